"""Time entries and timers: every write of a member's worked time.

Rules every writer here keeps (the web, the API and the CSV import call the
same functions):

- Times are aware datetimes, stored in UTC. An entry's week is the Monday, in
  the **member's** time zone, of the week its start falls in; its timesheet
  is the member's row for that engagement and week (created with the first
  entry).
- A member's entries never overlap one another, whatever the engagement; a
  running timer covers everything from its start on (it keeps running).
- Only an **active** engagement takes time. A paused engagement takes none:
  pausing means the client stopped the work, so hours logged against it
  would be hours nobody agreed to pay.
- ``minutes`` is the interval rounded to the nearest whole minute, and at
  least 1: a timer stopped after a few seconds counts one minute (the
  database wants every finished entry to be worth at least a minute, and
  the member did start work).
- An approved entry is locked (a database trigger refuses changes too); a
  correction is an adjustment entry (``time_entry_adjust``), which puts the
  week back to ``submitted``.
- Stopping a timer never loses worked time: the stop is recorded even when it
  takes the week over the seat's weekly cap (the week then warns and cannot
  be submitted until an entry is corrected) or runs past midnight or into
  the next week (the entry stays in the week it started in). A timer left
  running longer than 24 hours is stopped at 24 hours, the longest entry
  there is; the member edits the end if they stopped earlier.

Each function takes the member's row lock (``select_for_update`` on the
user) before it reads overlaps, caps or the running timer, so two writers
for one member queue instead of both passing the checks. Call them inside
``transaction.atomic()``.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from mutualist.core.errors import Conflict, PermissionDenied, ValidationFailed
from mutualist.members.models import User
from mutualist.work.coverage import monday_of
from mutualist.work.models import Engagement, EngagementMember, TimeEntry, Timesheet
from mutualist.work.selectors.access import is_coordinator

MAX_ENTRY = dt.timedelta(hours=24)
FUTURE_GRACE = dt.timedelta(minutes=5)
SOURCE_MAX = 120  # TimeEntry.source's length
OPEN_STATES = (Timesheet.State.OPEN, Timesheet.State.RETURNED)
# The days time is recorded on and asked about, first and last. Python's
# calendar runs from year 1 to 9999, and a week's end, the next day or a
# time zone's offset taken near either end overflows (``OverflowError``, a
# 500); no worked hour falls outside these years. Every date or time that
# comes in (the API, the web forms, ``?week=``, the CSV import) is checked
# against them and refused with ``invalid_date``.
TIME_DAYS = (dt.date(2000, 1, 1), dt.date(2100, 12, 31))


# --- helpers shared with timesheets and selectors ---------------------------


def member_zone(member: User) -> ZoneInfo:
    """The member's own time zone (their profile's)."""
    return ZoneInfo(member.profile.timezone)


def week_start_for(member: User, instant: dt.datetime) -> dt.date:
    """The Monday, in the member's time zone, of the week ``instant`` is in."""
    return monday_of(instant.astimezone(member_zone(member)).date())


def _out_of_range(value: object, field: str) -> ValidationFailed:
    first, last = TIME_DAYS
    return ValidationFailed(
        f"{value} is outside the dates time is kept for: {first:%d %b %Y} to {last:%d %b %Y}.",
        code="invalid_date",
        field=field,
    )


def require_day(day: dt.date, *, field: str) -> dt.date:
    """``day`` if it lies within ``TIME_DAYS``; ``invalid_date`` otherwise."""
    first, last = TIME_DAYS
    if not first <= day <= last:
        raise _out_of_range(f"{day:%Y-%m-%d}", field)
    return day


def require_week(week_start: dt.date, *, field: str = "week") -> dt.date:
    """``week_start`` if the week it starts has a day within ``TIME_DAYS``
    (the first such week starts on the Monday before 1 January 2000);
    ``invalid_date`` otherwise."""
    first, last = TIME_DAYS
    if not monday_of(first) <= week_start <= last:
        raise _out_of_range(f"The week of {week_start:%Y-%m-%d}", field)
    return week_start


def local_datetime(day: dt.date, time: dt.time, zone: ZoneInfo, *, field: str) -> dt.datetime:
    """The aware instant of a wall-clock ``time`` on ``day`` in ``zone``.

    A time the clocks skip that day (spring forward) does not exist and is
    refused (``nonexistent_time``); a time that happens twice (clocks go
    back) is its first occurrence, the one before the change. A day outside
    ``TIME_DAYS`` is refused (``invalid_date``): near year 1 or 9999 the
    conversion to UTC would overflow.
    """
    require_day(day, field=field)
    naive = dt.datetime.combine(day, time)
    aware = naive.replace(tzinfo=zone, fold=0)
    try:
        round_trip = aware.astimezone(dt.UTC).astimezone(zone)
    except OverflowError:  # pragma: no cover - require_day keeps far from the ends
        raise _out_of_range(f"{day:%Y-%m-%d}", field) from None
    if round_trip.replace(tzinfo=None) != naive:
        raise ValidationFailed(
            f"{time:%H:%M} does not exist on {day:%d %b %Y} in {zone.key}: "
            "the clocks skip that hour.",
            code="nonexistent_time",
            field=field,
        )
    return aware


def minutes_between(started_at: dt.datetime, ended_at: dt.datetime) -> int:
    """Whole minutes, rounded half up, at least one. In UTC: two datetimes
    sharing one ZoneInfo subtract by wall clock, so 01:30 BST to 01:30 GMT
    would be no time at all."""
    seconds = int((ended_at.astimezone(dt.UTC) - started_at.astimezone(dt.UTC)).total_seconds())
    return max(1, (seconds + 30) // 60)


def lock_member(member: User) -> None:
    """Queue the member's writers: the row lock every function here takes."""
    User.objects.select_for_update().only("pk").get(pk=member.pk)


def format_span(start: dt.datetime, end: dt.datetime | None, zone: ZoneInfo) -> str:
    """``Mon 30 Nov 2026 09:00–10:30`` in ``zone`` (the end's date when it differs)."""
    local_start = start.astimezone(zone)
    text = local_start.strftime("%a %d %b %Y %H:%M")
    if end is None:
        return f"{text}–(running)"
    local_end = end.astimezone(zone)
    if local_end.date() == local_start.date():
        return f"{text}–{local_end:%H:%M}"
    return f"{text}–{local_end:%a %d %b %H:%M}"


def entry_label(entry: TimeEntry, zone: ZoneInfo) -> str:
    """How a refusal names an entry: its client, its span in ``zone``, its id."""
    client = entry.engagement.client.name
    span = format_span(entry.started_at, entry.ended_at, zone)
    return f"{client}, {span} ({zone.key}), entry #{entry.pk}"


def week_minutes(timesheet: Timesheet, *, exclude_pk: int | None = None) -> int:
    """The timesheet's total: finished entries plus adjustments (signed)."""
    if timesheet.pk is None:
        return 0
    entries = TimeEntry.objects.filter(timesheet=timesheet, minutes__isnull=False)
    if exclude_pk is not None:
        entries = entries.exclude(pk=exclude_pk)
    return int(entries.aggregate(total=Sum("minutes"))["total"] or 0)


def _running_timer(member: User) -> TimeEntry | None:
    """The member's running timer, if one runs (a seam the tests bypass to
    reach the database's own refusal)."""
    return (
        TimeEntry.objects.filter(member=member, kind=TimeEntry.Kind.TIMER, ended_at__isnull=True)
        .select_related("engagement__client")
        .first()
    )


def running_timer(member: User) -> TimeEntry | None:
    return _running_timer(member)


# --- checks -------------------------------------------------------------------


def _require_aware(**values: dt.datetime | None) -> None:
    """Each value is aware (``naive_datetime``) and falls within ``TIME_DAYS``
    (``invalid_date``), so converting it to UTC or to a member's zone cannot
    overflow: ``0001-01-01T00:00:00+14:00`` would be in year 0 in UTC."""
    for name, value in values.items():
        if value is None:
            continue
        if timezone.is_naive(value):
            raise ValidationFailed(
                "Give the time with its time zone or UTC offset.", code="naive_datetime", field=name
            )
        require_day(value.date(), field=name)
        try:
            value.astimezone(dt.UTC)
        except OverflowError:  # pragma: no cover - require_day keeps far from the ends
            raise _out_of_range(value.isoformat(), name) from None


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    """Aware datetimes in one zone compare and subtract by wall clock (Python's
    rule for a shared tzinfo), wrong across a clock change; in UTC they are
    real instants."""
    return None if value is None else value.astimezone(dt.UTC)


def _seat(engagement: Engagement, member: User) -> EngagementMember:
    """The member's current seat on the engagement, or ``not_on_team``."""
    seat = EngagementMember.objects.filter(
        engagement=engagement, user=member, left_at__isnull=True
    ).first()
    if seat is None:
        raise PermissionDenied(
            f"{member.display_name} is not on the team of {engagement.title}.",
            code="not_on_team",
            field="engagement",
        )
    return seat


def _require_active(engagement: Engagement) -> None:
    if engagement.status != Engagement.Status.ACTIVE:
        raise Conflict(
            f"{engagement.title} is {engagement.get_status_display().lower()}: "
            "only an active engagement takes time.",
            code="engagement_not_active",
            field="engagement",
        )


def _require_within_engagement(
    engagement: Engagement, started_at: dt.datetime, ended_at: dt.datetime | None
) -> None:
    zone = ZoneInfo(engagement.timezone)
    first_day = started_at.astimezone(zone).date()
    if first_day < engagement.starts_on:
        raise ValidationFailed(
            f"{engagement.title} starts on {engagement.starts_on:%d %b %Y} "
            f"({engagement.timezone}); this time is before it.",
            code="outside_engagement",
            field="started_at",
        )
    if engagement.ended_on is not None:
        last = (ended_at or started_at) - dt.timedelta(microseconds=1)
        if max(started_at, last).astimezone(zone).date() > engagement.ended_on:
            raise ValidationFailed(
                f"{engagement.title} ended on {engagement.ended_on:%d %b %Y} "
                f"({engagement.timezone}); this time is after it.",
                code="outside_engagement",
                field="ended_at",
            )


def _require_interval(started_at: dt.datetime, ended_at: dt.datetime, *, now: dt.datetime) -> None:
    if ended_at <= started_at:
        raise ValidationFailed(
            "The end must be after the start.", code="ends_before_start", field="ended_at"
        )
    if ended_at - started_at > MAX_ENTRY:
        raise ValidationFailed(
            "An entry can be at most 24 hours long: split longer work into several entries.",
            code="entry_too_long",
            field="ended_at",
        )
    if ended_at > now + FUTURE_GRACE:
        raise ValidationFailed(
            "That entry ends in the future: record time once it is worked.",
            code="entry_in_future",
            field="ended_at",
        )


def _require_no_overlap(
    member: User,
    started_at: dt.datetime,
    ended_at: dt.datetime | None,
    *,
    exclude_pk: int | None = None,
) -> None:
    """Refuse an interval that overlaps another of the member's entries. A
    running timer covers everything from its start on; ``ended_at=None``
    (a timer about to start) likewise."""
    clash = TimeEntry.objects.filter(member=member).exclude(kind=TimeEntry.Kind.ADJUSTMENT)
    clash = clash.filter(Q(ended_at__isnull=True) | Q(ended_at__gt=started_at))
    if ended_at is not None:
        clash = clash.filter(started_at__lt=ended_at)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    other = clash.select_related("engagement__client").order_by("started_at", "pk").first()
    if other is not None:
        raise Conflict(
            f"This overlaps your entry for {entry_label(other, member_zone(member))}.",
            code="overlapping_entry",
            field="started_at",
        )


def _require_open_week(timesheet: Timesheet) -> None:
    if timesheet.state == Timesheet.State.SUBMITTED:
        raise Conflict(
            f"Your week of {timesheet.week_start:%d %b %Y} on {timesheet.engagement.title} "
            "is submitted and waiting for approval: it takes no changes until it is "
            "approved or returned.",
            code="week_submitted",
        )
    if timesheet.state == Timesheet.State.APPROVED:
        raise Conflict(
            f"Your week of {timesheet.week_start:%d %b %Y} on {timesheet.engagement.title} "
            "is approved: correct it with an adjustment.",
            code="week_approved",
        )


def _require_within_cap(
    seat: EngagementMember, timesheet: Timesheet, adding: int, *, exclude_pk: int | None = None
) -> None:
    cap = seat.weekly_cap_hours * 60
    total = week_minutes(timesheet, exclude_pk=exclude_pk) + adding
    if total > cap:
        already = week_minutes(timesheet, exclude_pk=exclude_pk)
        raise ValidationFailed(
            f"That would make {_hours(total)} h on {seat.engagement.title} in the week of "
            f"{timesheet.week_start:%d %b %Y}, over your cap of {seat.weekly_cap_hours} h "
            f"({_hours(already)} h logged already).",
            code="over_weekly_cap",
        )


def _hours(minutes: int) -> str:
    return f"{minutes // 60}:{minutes % 60:02d}"


def _require_recorder(engagement: Engagement, member: User, recorded_by: User) -> None:
    if recorded_by.pk != member.pk and not is_coordinator(recorded_by, engagement.collective_id):
        raise PermissionDenied(
            "Only the member or a coordinator of the collective can record their time.",
            code="not_allowed",
        )


def _timesheet_for(engagement: Engagement, member: User, week_start: dt.date) -> Timesheet:
    """The member's timesheet for the week (call holding the member's lock:
    ``get_or_create`` then only meets a row another writer made first)."""
    timesheet, _ = Timesheet.objects.select_related("engagement").get_or_create(
        engagement=engagement, member=member, week_start=week_start
    )
    return timesheet


def _existing_timesheet(engagement: Engagement, member: User, week_start: dt.date) -> Timesheet:
    """The timesheet if there is one, else an unsaved open one (to check
    against without writing a row before every check has passed)."""
    found = (
        Timesheet.objects.select_related("engagement")
        .filter(engagement=engagement, member=member, week_start=week_start)
        .first()
    )
    return found or Timesheet(
        engagement=engagement, member=member, week_start=week_start, state=Timesheet.State.OPEN
    )


# --- services -----------------------------------------------------------------


def time_entry_record(
    *,
    engagement: Engagement,
    member: User,
    started_at: dt.datetime,
    ended_at: dt.datetime,
    note: str = "",
    billable: bool = True,
    kind: str = TimeEntry.Kind.MANUAL,
    source: str = "",
    recorded_by: User,
) -> TimeEntry:
    """Record a finished interval of work. Call inside ``transaction.atomic()``;
    takes the member's row lock.

    Refuses (``DomainError`` with these codes): ``naive_datetime`` (aware
    datetimes required); ``invalid_date`` (a time outside ``TIME_DAYS``);
    ``ends_before_start`` (``ended_at <= started_at``);
    ``entry_too_long`` (> 24 h); ``entry_in_future`` (ends more than 5
    minutes from now); ``not_on_team`` (no current seat: ``left_at`` set
    counts as not on the team); ``engagement_not_active`` (pending, paused
    or ended: only active engagements take time); ``outside_engagement``
    (before ``starts_on`` / after ``ended_on``, in the engagement's time
    zone); ``overlapping_entry`` (overlaps another of the member's entries,
    a running timer included: the message names the entry, its client, its
    start–end in the member's time zone and its id); ``week_submitted`` /
    ``week_approved`` (the member's timesheet for that engagement and week
    is not open or returned); ``over_weekly_cap`` (the week's total on that
    engagement would pass the seat's ``weekly_cap_hours``); ``not_allowed``
    (``recorded_by`` is neither the member nor a coordinator of the
    engagement's collective); ``too_long`` (a ``source`` over 120
    characters). ``kind`` is ``manual`` or ``import``
    (``invalid_kind`` otherwise: timers and adjustments have their own
    functions).
    """
    if kind not in (TimeEntry.Kind.MANUAL, TimeEntry.Kind.IMPORT):
        raise ValidationFailed(
            "Record manual or imported time here; timers and adjustments have their own steps.",
            code="invalid_kind",
            field="kind",
        )
    if len(source) > SOURCE_MAX:
        raise ValidationFailed(
            f"The source is at most {SOURCE_MAX} characters.", code="too_long", field="source"
        )
    _require_aware(started_at=started_at, ended_at=ended_at)
    started_at, ended_at = started_at.astimezone(dt.UTC), ended_at.astimezone(dt.UTC)
    now = timezone.now()
    _require_interval(started_at, ended_at, now=now)
    _require_recorder(engagement, member, recorded_by)
    seat = _seat(engagement, member)
    _require_active(engagement)
    _require_within_engagement(engagement, started_at, ended_at)
    lock_member(member)
    _require_no_overlap(member, started_at, ended_at)
    week = week_start_for(member, started_at)
    timesheet = _existing_timesheet(engagement, member, week)
    _require_open_week(timesheet)
    minutes = minutes_between(started_at, ended_at)
    _require_within_cap(seat, timesheet, minutes)
    return TimeEntry.objects.create(
        engagement=engagement,
        member=member,
        timesheet=_timesheet_for(engagement, member, week),
        kind=kind,
        started_at=started_at,
        ended_at=ended_at,
        minutes=minutes,
        note=note.strip(),
        billable=billable,
        source=source,
        created_at=now,
        created_by=recorded_by,
    )


def timer_start(
    *,
    engagement: Engagement,
    member: User,
    note: str = "",
    billable: bool = True,
    at: dt.datetime | None = None,
) -> TimeEntry:
    """Start the member's timer on ``engagement`` at ``at`` (now by default).
    Call inside ``transaction.atomic()``; takes the member's row lock.

    Refuses ``timer_running`` (one runs already, on any engagement: also the
    database's partial unique index ``work_timeentry_one_running_timer``
    turned into the same refusal), ``over_weekly_cap`` (the week's total on
    the engagement has reached the cap), ``entry_in_future``, and the same
    ``not_on_team``, ``engagement_not_active``, ``outside_engagement``,
    ``overlapping_entry`` (an entry ending after ``at``) and
    ``week_submitted`` / ``week_approved`` as ``time_entry_record``.
    """
    now = timezone.now()
    at = now if at is None else at
    _require_aware(at=at)
    at = at.astimezone(dt.UTC)
    if at > now + FUTURE_GRACE:
        raise ValidationFailed(
            "A timer starts now, not in the future.", code="entry_in_future", field="at"
        )
    seat = _seat(engagement, member)
    _require_active(engagement)
    _require_within_engagement(engagement, at, None)
    lock_member(member)
    running = _running_timer(member)
    if running is not None:
        raise Conflict(
            "Your timer is already running on "
            f"{entry_label(running, member_zone(member))}: stop it first.",
            code="timer_running",
        )
    _require_no_overlap(member, at, None)
    week = week_start_for(member, at)
    timesheet = _existing_timesheet(engagement, member, week)
    _require_open_week(timesheet)
    if week_minutes(timesheet) >= seat.weekly_cap_hours * 60:
        raise ValidationFailed(
            f"You have reached your cap of {seat.weekly_cap_hours} h on {engagement.title} "
            f"in the week of {week:%d %b %Y}.",
            code="over_weekly_cap",
        )
    timesheet = _timesheet_for(engagement, member, week)
    try:
        with transaction.atomic():
            return TimeEntry.objects.create(
                engagement=engagement,
                member=member,
                timesheet=timesheet,
                kind=TimeEntry.Kind.TIMER,
                started_at=at,
                note=note.strip(),
                billable=billable,
                created_at=now,
                created_by=member,
            )
    except IntegrityError:
        # Another start won between our check and our insert (only possible
        # for a writer that skipped the member's lock): the index said no.
        raise Conflict(
            "Your timer is already running: stop it first.", code="timer_running"
        ) from None


def timer_stop(*, member: User, at: dt.datetime | None = None) -> TimeEntry:
    """Stop the member's running timer at ``at`` (now by default) and return
    the finished entry. Call inside ``transaction.atomic()``; takes the
    member's row lock.

    Never loses worked time: the stop is recorded even over the weekly cap
    or across midnight. A timer that ran more than 24 hours stops at 24
    hours. Refuses ``no_timer_running``, ``ends_before_start`` (``at`` before
    the start) and ``entry_in_future``.
    """
    now = timezone.now()
    at = now if at is None else at
    _require_aware(at=at)
    at = at.astimezone(dt.UTC)
    lock_member(member)
    running = _running_timer(member)
    if running is None:
        raise Conflict("Your timer is not running.", code="no_timer_running")
    if at <= running.started_at:
        raise ValidationFailed(
            "The timer cannot stop before it started.", code="ends_before_start", field="at"
        )
    if at > now + FUTURE_GRACE:
        raise ValidationFailed(
            "A timer stops now, not in the future.", code="entry_in_future", field="at"
        )
    ended_at = min(at, running.started_at + MAX_ENTRY)
    minutes = minutes_between(running.started_at, ended_at)
    updated = TimeEntry.objects.filter(
        pk=running.pk, kind=TimeEntry.Kind.TIMER, ended_at__isnull=True
    ).update(ended_at=ended_at, minutes=minutes)
    if updated != 1:  # pragma: no cover - the member lock makes this unreachable
        raise Conflict("Your timer is not running.", code="no_timer_running")
    running.ended_at = ended_at
    running.minutes = minutes
    return running


def _require_own_editable(entry: TimeEntry, by: User) -> None:
    if by.pk != entry.member_id:
        raise PermissionDenied("Only the member can change their own entries.", code="not_allowed")
    if entry.approved_at is not None:
        raise Conflict(
            "This entry is approved and locked: correct it with an adjustment.",
            code="entry_locked",
        )
    _require_open_week(entry.timesheet)


def time_entry_update(
    *,
    entry: TimeEntry,
    by: User,
    started_at: dt.datetime | None = None,
    ended_at: dt.datetime | None = None,
    note: str | None = None,
    billable: bool | None = None,
) -> TimeEntry:
    """Change one of the member's own entries in an open or returned week
    (``None`` leaves a value as it is). Call inside ``transaction.atomic()``;
    takes the member's row lock.

    A new start may move the entry into another week (and timesheet), which
    must be open too. A running timer's note and billable flag can change,
    not its times (``timer_running``); an adjustment's minutes cannot
    (``entry_is_adjustment``: delete it and record another). Refuses
    ``not_allowed`` (someone else's entry), ``entry_locked`` (approved),
    ``week_submitted`` / ``week_approved`` and every check of
    ``time_entry_record`` on the new interval.
    """
    _require_aware(started_at=started_at, ended_at=ended_at)
    started_at, ended_at = _utc(started_at), _utc(ended_at)
    lock_member(entry.member)
    entry = (
        TimeEntry.objects.select_related("engagement__client", "timesheet__engagement", "member")
        .select_for_update(of=("self",))
        .get(pk=entry.pk)
    )
    _require_own_editable(entry, by)
    moving = (started_at is not None and started_at != entry.started_at) or (
        ended_at is not None and ended_at != entry.ended_at
    )
    fields: dict[str, object] = {}
    if note is not None:
        fields["note"] = note.strip()
    if billable is not None:
        fields["billable"] = billable
    if moving:
        if entry.kind == TimeEntry.Kind.ADJUSTMENT:
            raise ValidationFailed(
                "An adjustment has no times to change: delete it and record another.",
                code="entry_is_adjustment",
            )
        if entry.is_running:
            raise Conflict(
                "A running timer's times cannot change: stop it first.", code="timer_running"
            )
        new_start = started_at or entry.started_at
        new_end = ended_at or entry.ended_at or new_start
        _require_interval(new_start, new_end, now=timezone.now())
        engagement = entry.engagement
        seat = _seat(engagement, entry.member)
        _require_active(engagement)
        _require_within_engagement(engagement, new_start, new_end)
        _require_no_overlap(entry.member, new_start, new_end, exclude_pk=entry.pk)
        week = week_start_for(entry.member, new_start)
        timesheet = (
            entry.timesheet
            if week == entry.timesheet.week_start
            else _existing_timesheet(engagement, entry.member, week)
        )
        _require_open_week(timesheet)
        minutes = minutes_between(new_start, new_end)
        _require_within_cap(seat, timesheet, minutes, exclude_pk=entry.pk)
        if timesheet.pk is None:
            timesheet = _timesheet_for(engagement, entry.member, week)
        fields.update(started_at=new_start, ended_at=new_end, minutes=minutes, timesheet=timesheet)
    for name, value in fields.items():
        setattr(entry, name, value)
    if fields:
        entry.save(update_fields=list(fields))
    return entry


def time_entry_delete(*, entry: TimeEntry, by: User) -> None:
    """Delete one of the member's own entries (a running timer too) in an
    open or returned week. Call inside ``transaction.atomic()``; takes the
    member's row lock. Refuses ``not_allowed``, ``entry_locked``,
    ``week_submitted`` / ``week_approved``. (Only approved entries have
    adjustments, and those are locked, so no deletion strands one.)"""
    lock_member(entry.member)
    entry = (
        TimeEntry.objects.select_related("timesheet__engagement")
        .select_for_update(of=("self",))
        .get(pk=entry.pk)
    )
    _require_own_editable(entry, by)
    entry.delete()


def time_entry_adjust(*, entry: TimeEntry, by: User, minutes: int, note: str) -> TimeEntry:
    """Correct an approved entry by ``minutes`` (signed, not zero) with a
    ``note`` saying why. Call inside ``transaction.atomic()``; takes the
    member's row lock.

    Creates an ``adjustment`` entry in the same timesheet that points at
    ``entry``; an approved timesheet goes back to ``submitted`` (a
    conditional update: a returned week stays returned) so the correction
    is approved in turn. By the member or a coordinator of the collective
    (``not_allowed``). Refuses ``week_submitted`` while the timesheet waits
    for a decision: an approver may have it open, and approving approves
    every unapproved entry in it, so a correction added meanwhile would be
    approved unseen. Also refuses
    ``entry_not_approved`` (edit an unapproved entry instead),
    ``entry_is_adjustment`` (adjust the original entry), ``invalid_minutes``
    (zero), ``adjustment_below_zero`` (the entry and its adjustments would
    total less than nothing), ``required`` (no note) and ``over_weekly_cap``
    (a positive correction past the cap).
    """
    note = note.strip()
    if by.pk != entry.member_id and not is_coordinator(by, entry.engagement.collective_id):
        raise PermissionDenied(
            "Only the member or a coordinator of the collective can correct an entry.",
            code="not_allowed",
        )
    if entry.kind == TimeEntry.Kind.ADJUSTMENT:
        raise ValidationFailed(
            "Correct the original entry, not an adjustment.", code="entry_is_adjustment"
        )
    if entry.approved_at is None:
        raise Conflict(
            "This entry is not approved yet: edit it instead.", code="entry_not_approved"
        )
    if minutes == 0:
        raise ValidationFailed(
            "An adjustment adds or removes at least one minute.",
            code="invalid_minutes",
            field="minutes",
        )
    if not note:
        raise ValidationFailed("Say why the entry is corrected.", code="required", field="note")
    lock_member(entry.member)
    already = int(entry.adjustments.aggregate(total=Sum("minutes"))["total"] or 0)
    counted = (entry.minutes or 0) + already
    if counted + minutes < 0:
        raise ValidationFailed(
            f"The entry counts {_hours(counted)} h with its corrections: "
            f"it cannot lose {_hours(-minutes)} h.",
            code="adjustment_below_zero",
            field="minutes",
        )
    # Locked: an approver's decision is a conditional update of this row, so
    # the state read here holds until we commit (approved stays approved,
    # returned stays returned), and only this member's writers, queued on
    # their lock, put a week into ``submitted``.
    timesheet = (
        Timesheet.objects.select_related("engagement")
        .select_for_update(of=("self",))
        .get(pk=entry.timesheet_id)
    )
    if timesheet.state == Timesheet.State.SUBMITTED:
        raise Conflict(
            f"The week of {timesheet.week_start:%d %b %Y} on {timesheet.engagement.title} "
            "is waiting for approval: correct it once it is approved or returned, so the "
            "approver decides on what they have seen.",
            code="week_submitted",
        )
    if minutes > 0:
        seat = EngagementMember.objects.get(engagement_id=entry.engagement_id, user=entry.member)
        _require_within_cap(seat, timesheet, minutes)
    now = timezone.now()
    adjustment = TimeEntry.objects.create(
        engagement_id=entry.engagement_id,
        member_id=entry.member_id,
        timesheet=timesheet,
        kind=TimeEntry.Kind.ADJUSTMENT,
        started_at=entry.started_at,
        minutes=minutes,
        note=note,
        billable=entry.billable,
        adjusts=entry,
        created_at=now,
        created_by=by,
    )
    Timesheet.objects.filter(pk=timesheet.pk, state=Timesheet.State.APPROVED).update(
        state=Timesheet.State.SUBMITTED, submitted_at=now, decided_at=None, decided_by=None
    )
    return adjustment
