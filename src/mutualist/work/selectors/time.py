"""Reads of time: a member's week across clients, one timesheet for its
approvers, a coordinator's team week, and what waits for a decision.

Every time here is shown in the **viewer's** time zone (their profile's): a
member reads their week in their own, a client contact reads a timesheet in
theirs. A week is Monday to Sunday in the member's time zone; an entry
belongs to the week (timesheet) its start falls in.

Who sees what (``work.selectors.access``): a member sees their own time; a
coordinator their collective's whole team; a client contact the timesheets
of their client's engagements (times, notes, billable flags; never pay
rates). Everyone else gets 404.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from mutualist.collectives.models import Collective, Membership
from mutualist.members.models import User
from mutualist.work.coverage import monday_of
from mutualist.work.models import Client, Engagement, EngagementMember, TimeEntry, Timesheet
from mutualist.work.selectors.access import (
    Viewer,
    client_ids_of_contact,
    coordinated_collective_ids,
    is_client_contact,
    is_coordinator,
)
from mutualist.work.selectors.shifts import (
    ShiftOccurrence,
    committed_hours,
    seats_of,
    shift_clashes,
    shift_occurrences,
)
from mutualist.work.services.time import OPEN_STATES, require_day, require_week, running_timer

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def viewer_zone(user: User) -> ZoneInfo:
    return ZoneInfo(user.profile.timezone)


def this_week(user: User, *, now: dt.datetime | None = None) -> dt.date:
    """The Monday of the current week in the user's time zone."""
    now = now or timezone.now()
    return monday_of(now.astimezone(viewer_zone(user)).date())


def week_bounds(week_start: dt.date, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """The real instants a local Monday-to-Sunday week starts and ends at
    (a DST change inside it makes it 167 or 169 hours long). Refuses a week
    outside ``TIME_DAYS`` (``invalid_date``): near year 1 or 9999 its end or
    its offset from UTC would overflow."""
    require_week(week_start)
    start = dt.datetime.combine(week_start, dt.time(0), tzinfo=zone)
    end = dt.datetime.combine(week_start + dt.timedelta(days=7), dt.time(0), tzinfo=zone)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def hours_text(minutes: int) -> str:
    """``90`` -> ``"1:30"``; negative for a negative adjustment."""
    sign = "-" if minutes < 0 else ""
    minutes = abs(minutes)
    return f"{sign}{minutes // 60}:{minutes % 60:02d}"


def hours_decimal(minutes: int) -> str:
    """``90`` -> ``"1.50"``: hours as a decimal string with two places (the
    API's form; exact to the minute only in minutes, which it also gives)."""
    sign = "-" if minutes < 0 else ""
    minutes = abs(minutes)
    hundredths = (minutes * 100 + 30) // 60
    return f"{sign}{hundredths // 100}.{hundredths % 100:02d}"


# --- rows ----------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryRow:
    """An entry as one viewer sees it: local start and end in their zone."""

    entry: TimeEntry
    start: dt.datetime  # local, in the viewer's zone
    end: dt.datetime | None  # local; None while running or for an adjustment
    minutes: int  # a running timer's elapsed minutes so far
    editable: bool  # the viewer may change or delete it now

    @property
    def is_running(self) -> bool:
        return self.entry.is_running

    @property
    def is_adjustment(self) -> bool:
        return self.entry.kind == TimeEntry.Kind.ADJUSTMENT

    @property
    def hours(self) -> str:
        return hours_text(self.minutes)

    @property
    def crosses_midnight(self) -> bool:
        return self.end is not None and self.end.date() != self.start.date()


def entry_row(
    entry: TimeEntry, zone: ZoneInfo, *, viewer: User | None, now: dt.datetime
) -> EntryRow:
    if entry.is_running:
        # So far, in whole minutes: the stop rounds (and counts at least one).
        minutes = max(0, int((now - entry.started_at).total_seconds()) // 60)
    else:
        minutes = entry.minutes or 0
    state = entry.timesheet.state if entry.timesheet_id else Timesheet.State.OPEN
    editable = (
        viewer is not None
        and viewer.pk == entry.member_id
        and entry.approved_at is None
        and state in OPEN_STATES
    )
    return EntryRow(
        entry=entry,
        start=entry.started_at.astimezone(zone),
        end=entry.ended_at.astimezone(zone) if entry.ended_at else None,
        minutes=minutes,
        editable=editable,
    )


@dataclass
class DayRow:
    day: dt.date
    entries: list[EntryRow] = field(default_factory=list)

    @property
    def name(self) -> str:
        return DAY_NAMES[self.day.weekday()]

    @property
    def minutes(self) -> int:
        return sum(row.minutes for row in self.entries)

    @property
    def hours(self) -> str:
        return hours_text(self.minutes)


@dataclass
class EngagementWeek:
    """One engagement in the member's week: time against the seat's cap and
    the timesheet's state (``open`` when no timesheet exists yet)."""

    engagement: Engagement
    cap_hours: int | None  # None: no seat any more
    timesheet: Timesheet | None
    minutes: int = 0
    has_entries: bool = False

    @property
    def state(self) -> str:
        return self.timesheet.state if self.timesheet else Timesheet.State.OPEN

    @property
    def over_cap(self) -> bool:
        return self.cap_hours is not None and self.minutes > self.cap_hours * 60

    @property
    def hours(self) -> str:
        return hours_text(self.minutes)

    @property
    def client(self) -> Client:
        return self.engagement.client


@dataclass
class ClientWeek:
    client: Client
    engagements: list[EngagementWeek]

    @property
    def minutes(self) -> int:
        return sum(e.minutes for e in self.engagements)

    @property
    def cap_hours(self) -> int:
        return sum(e.cap_hours or 0 for e in self.engagements)

    @property
    def over_cap(self) -> bool:
        return any(e.over_cap for e in self.engagements)

    @property
    def hours(self) -> str:
        return hours_text(self.minutes)


@dataclass(frozen=True)
class ShiftRow:
    occurrence: ShiftOccurrence
    start: dt.datetime  # local, in the member's zone
    end: dt.datetime
    upcoming: bool

    @property
    def engagement(self) -> Engagement:
        return self.occurrence.engagement


@dataclass
class Week:
    """A member's week across all their engagements, in their own time."""

    member: User
    zone: ZoneInfo
    week_start: dt.date
    days: list[DayRow]
    engagements: list[EngagementWeek]
    clients: list[ClientWeek]
    shifts: list[ShiftRow]
    clashes: list[tuple[ShiftOccurrence, ShiftOccurrence]]
    capacity_hours: int
    committed_hours: int
    running: EntryRow | None
    warnings: list[str]

    @property
    def minutes(self) -> int:
        return sum(e.minutes for e in self.engagements)

    @property
    def hours(self) -> str:
        return hours_text(self.minutes)

    @property
    def week_end(self) -> dt.date:
        return self.week_start + dt.timedelta(days=6)

    @property
    def previous(self) -> dt.date:
        return self.week_start - dt.timedelta(days=7)

    @property
    def next(self) -> dt.date:
        return self.week_start + dt.timedelta(days=7)

    @property
    def submittable(self) -> bool:
        """Some timesheet has time and is open or returned; no timer runs in
        the week; no timesheet is over its cap."""
        has_open = any(
            e.timesheet is not None and e.state in OPEN_STATES and e.has_entries
            for e in self.engagements
        )
        running_here = self.running is not None and (
            self.running.entry.timesheet.week_start == self.week_start
        )
        return has_open and not running_here and not any(e.over_cap for e in self.engagements)

    @property
    def entries(self) -> list[EntryRow]:
        return [row for day in self.days for row in day.entries]


def _entries(rows: QuerySet[TimeEntry]) -> QuerySet[TimeEntry]:
    return rows.select_related(
        "engagement__client",
        "member__profile",
        "timesheet",
        "adjusts",
        "approved_by__profile",
        "created_by__profile",
    ).order_by("started_at", "pk")


def member_week(*, member: User, week_start: dt.date, now: dt.datetime | None = None) -> Week:
    """The member's week starting ``week_start`` (a Monday in their zone),
    across every engagement they have a seat on or time in: days Monday to
    Sunday with each entry's local start and end, totals per engagement
    and client against the seats' caps, the week against their capacity,
    their shifts in their own time, and warnings (committed hours over
    capacity, shifts that overlap, a week over a cap)."""
    now = now or timezone.now()
    zone = viewer_zone(member)
    start, end = week_bounds(week_start, zone)
    entries = list(
        _entries(TimeEntry.objects.filter(member=member, timesheet__week_start=week_start))
    )
    timesheets = {
        t.engagement_id: t
        for t in Timesheet.objects.filter(member=member, week_start=week_start).select_related(
            "decided_by__profile"
        )
    }
    seats = seats_of(member)
    seat_by_engagement = {seat.engagement_id: seat for seat in seats}
    engagement_ids = set(seat_by_engagement) | set(timesheets)
    engagements = {
        e.pk: e
        for e in Engagement.objects.filter(pk__in=engagement_ids).select_related(
            "client", "collective"
        )
    }
    old_caps = dict(
        EngagementMember.objects.filter(
            user=member, engagement_id__in=engagement_ids - set(seat_by_engagement)
        ).values_list("engagement_id", "weekly_cap_hours")
    )
    rows = [entry_row(entry, zone, viewer=member, now=now) for entry in entries]
    per_engagement: dict[int, EngagementWeek] = {}
    for pk in sorted(
        engagement_ids, key=lambda pk: (engagements[pk].client.name, engagements[pk].title, pk)
    ):
        seat = seat_by_engagement.get(pk)
        per_engagement[pk] = EngagementWeek(
            engagement=engagements[pk],
            cap_hours=seat.weekly_cap_hours if seat else old_caps.get(pk),
            timesheet=timesheets.get(pk),
        )
    for row in rows:
        ew = per_engagement[row.entry.engagement_id]
        ew.minutes += row.minutes
        ew.has_entries = True
    days = [DayRow(week_start + dt.timedelta(days=i)) for i in range(7)]
    for row in rows:
        index = (row.start.date() - week_start).days
        days[min(max(index, 0), 6)].entries.append(row)
    clients: dict[int, ClientWeek] = {}
    for ew in per_engagement.values():
        clients.setdefault(
            ew.engagement.client_id, ClientWeek(ew.engagement.client, [])
        ).engagements.append(ew)
    occurrences = shift_occurrences(user=member, start=start, end=end, seats=seats)
    shifts = [
        ShiftRow(occ, occ.start.astimezone(zone), occ.end.astimezone(zone), occ.start >= now)
        for occ in occurrences
    ]
    clashes = shift_clashes(occurrences)
    running = running_timer(member)
    capacity = member.profile.weekly_capacity_hours
    committed = committed_hours(seats=seats)
    warnings = []
    if committed > capacity:
        warnings.append(
            f"Your caps add up to {committed} h a week, more than your capacity of {capacity} h."
        )
    for first, second in clashes:
        a, b = first.start.astimezone(zone), second.start.astimezone(zone)
        warnings.append(
            f"Shifts overlap: {first.engagement.client.name} {a:%a %H:%M}–"
            f"{first.end.astimezone(zone):%H:%M} and {second.engagement.client.name} "
            f"{b:%a %H:%M}–{second.end.astimezone(zone):%H:%M}."
        )
    for ew in per_engagement.values():
        if ew.over_cap:
            warnings.append(
                f"{ew.hours} h on {ew.engagement.title} is over your cap of {ew.cap_hours} h: "
                "correct an entry before you submit the week."
            )
    return Week(
        member=member,
        zone=zone,
        week_start=week_start,
        days=days,
        engagements=list(per_engagement.values()),
        clients=list(clients.values()),
        shifts=shifts,
        clashes=clashes,
        capacity_hours=capacity,
        committed_hours=committed,
        running=entry_row(running, zone, viewer=member, now=now) if running else None,
        warnings=warnings,
    )


def seats_for_timer(member: User) -> list[EngagementMember]:
    """The member's current seats on active engagements: where a timer or a
    manual entry can go."""
    return seats_of(member, statuses=(Engagement.Status.ACTIVE,))


# --- entries -----------------------------------------------------------------------------


def entries_of_member(
    *, member: User, since: dt.date | None = None, until: dt.date | None = None
) -> QuerySet[TimeEntry]:
    """The member's own entries, oldest first; ``since``/``until`` are local
    days in their zone (inclusive), within ``TIME_DAYS`` (``invalid_date``
    on ``from`` or ``to``, the API's names)."""
    if since is not None:
        require_day(since, field="from")
    if until is not None:
        require_day(until, field="to")
    zone = viewer_zone(member)
    rows = TimeEntry.objects.filter(member=member)
    if since is not None:
        rows = rows.filter(
            started_at__gte=dt.datetime.combine(since, dt.time(0), tzinfo=zone).astimezone(dt.UTC)
        )
    if until is not None:
        bound = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
        rows = rows.filter(started_at__lt=bound.astimezone(dt.UTC))
    return _entries(rows)


def entry_get_for_member(*, user: Viewer, pk: int) -> TimeEntry:
    """One of the viewer's own entries; 404 for anyone else's."""
    if not isinstance(user, User):
        raise Http404("No such entry.")
    entry = _entries(TimeEntry.objects.filter(member=user, pk=pk)).first()
    if entry is None:
        raise Http404("No such entry.")
    return entry


def entry_get_for_adjuster(*, user: Viewer, pk: int) -> TimeEntry:
    """An entry the viewer may correct or at least see to correct: their
    own, or one on an engagement of a collective they coordinate; 404
    otherwise."""
    if not isinstance(user, User):
        raise Http404("No such entry.")
    entry = (
        _entries(TimeEntry.objects.all())
        .filter(Q(member=user) | Q(engagement__collective_id__in=coordinated_collective_ids(user)))
        .filter(pk=pk)
        .first()
    )
    if entry is None:
        raise Http404("No such entry.")
    return entry


# --- timesheets ---------------------------------------------------------------------------


def timesheets_visible_to(user: Viewer) -> QuerySet[Timesheet]:
    """The viewer's own timesheets, those of collectives they coordinate,
    and those of the clients they act for."""
    if not isinstance(user, User):
        return Timesheet.objects.none()
    return Timesheet.objects.filter(
        Q(member=user)
        | Q(engagement__collective_id__in=coordinated_collective_ids(user))
        | Q(engagement__client_id__in=client_ids_of_contact(user))
    )


def _with_details(rows: QuerySet[Timesheet]) -> QuerySet[Timesheet]:
    return rows.select_related(
        "engagement__client",
        "engagement__collective",
        "member__profile",
        "decided_by__profile",
    )


def timesheet_get_for_user(*, user: Viewer, pk: int) -> Timesheet:
    timesheet = _with_details(timesheets_visible_to(user)).filter(pk=pk).first()
    if timesheet is None:
        raise Http404("No such timesheet.")
    return timesheet


def timesheets_of_engagement(
    *,
    user: User,
    engagement: Engagement,
    state: str | None = None,
    week_start: dt.date | None = None,
) -> QuerySet[Timesheet]:
    """An engagement's timesheets the viewer may see (call after
    ``engagement_get_for_user``): all for its coordinators and its client's
    contacts, a member's own for a member; newest week first."""
    rows = timesheets_visible_to(user).filter(engagement=engagement)
    if state:
        rows = rows.filter(state=state)
    if week_start is not None:
        rows = rows.filter(week_start=week_start)
    return _with_details(rows).order_by("-week_start", "member__profile__display_name", "pk")


@dataclass(frozen=True)
class TimesheetView:
    """A timesheet with its entries in the viewer's time zone."""

    timesheet: Timesheet
    zone: ZoneInfo
    entries: list[EntryRow]
    minutes: int
    cap_hours: int | None
    can_decide: bool

    @property
    def hours(self) -> str:
        return hours_text(self.minutes)

    @property
    def over_cap(self) -> bool:
        return self.cap_hours is not None and self.minutes > self.cap_hours * 60


def timesheet_view(
    *, timesheet: Timesheet, viewer: User, now: dt.datetime | None = None
) -> TimesheetView:
    """The timesheet's entries for one viewer (who may see it): times in the
    viewer's own zone, notes, billable flags, adjustments as such."""
    now = now or timezone.now()
    zone = viewer_zone(viewer)
    entries = [
        entry_row(entry, zone, viewer=viewer, now=now)
        for entry in _entries(TimeEntry.objects.filter(timesheet=timesheet))
    ]
    cap = (
        EngagementMember.objects.filter(
            engagement_id=timesheet.engagement_id, user_id=timesheet.member_id
        )
        .values_list("weekly_cap_hours", flat=True)
        .first()
    )
    can_decide = timesheet.member_id != viewer.pk and (
        is_coordinator(viewer, timesheet.engagement.collective_id)
        or is_client_contact(viewer, timesheet.engagement.client_id)
    )
    return TimesheetView(
        timesheet=timesheet,
        zone=zone,
        entries=entries,
        minutes=sum(row.minutes for row in entries),
        cap_hours=cap,
        can_decide=can_decide,
    )


def timesheets_to_approve_for_clients(*, user: User, clients: Sequence[Client]) -> list[Timesheet]:
    """Submitted timesheets of the clients the viewer acts for (the portal)."""
    mine = set(client_ids_of_contact(user))
    ids = [c.pk for c in clients if c.pk in mine]
    return list(
        _with_details(
            Timesheet.objects.filter(engagement__client_id__in=ids, state=Timesheet.State.SUBMITTED)
        ).order_by("week_start", "engagement__title", "pk")
    )


# --- the team's week -----------------------------------------------------------------------


@dataclass
class TeamMemberWeek:
    membership: Membership
    rows: list[EngagementWeek]

    @property
    def member(self) -> User:
        return self.membership.user

    @property
    def minutes(self) -> int:
        return sum(r.minutes for r in self.rows)

    @property
    def hours(self) -> str:
        return hours_text(self.minutes)


@dataclass
class TeamWeek:
    collective: Collective
    week_start: dt.date
    members: list[TeamMemberWeek]
    to_approve: list[Timesheet]

    @property
    def previous(self) -> dt.date:
        return self.week_start - dt.timedelta(days=7)

    @property
    def next(self) -> dt.date:
        return self.week_start + dt.timedelta(days=7)


def team_week(*, collective: Collective, week_start: dt.date) -> TeamWeek:
    """Every active member's hours on the collective's engagements in the
    week starting ``week_start`` (each member's own Monday), with their
    timesheets' states, and the collective's submitted timesheets waiting
    for a decision (any week). For coordinators: call after
    ``collective_get_for_coordinator``. Refuses a week outside ``TIME_DAYS``
    (``invalid_date``), whose neighbours the page links to."""
    require_week(week_start)
    memberships = list(
        Membership.objects.filter(collective=collective, state=Membership.State.ACTIVE)
        .select_related("user__profile")
        .order_by("user__profile__display_name", "pk")
    )
    user_ids = [m.user_id for m in memberships]
    seats = list(
        EngagementMember.objects.filter(
            engagement__collective=collective, user_id__in=user_ids
        ).select_related("engagement__client")
    )
    timesheets = list(
        Timesheet.objects.filter(
            engagement__collective=collective, week_start=week_start, member_id__in=user_ids
        ).select_related("engagement__client")
    )
    minutes: dict[int, int] = {}
    for entry in TimeEntry.objects.filter(timesheet__in=timesheets).values(
        "timesheet_id", "minutes", "started_at", "ended_at", "kind"
    ):
        if entry["minutes"] is not None:
            value = int(entry["minutes"])
        else:  # a running timer: so far
            value = max(0, int((timezone.now() - entry["started_at"]).total_seconds()) // 60)
        minutes[entry["timesheet_id"]] = minutes.get(entry["timesheet_id"], 0) + value
    by_member: dict[int, dict[int, EngagementWeek]] = {}
    for seat in seats:
        if seat.left_at is None and seat.engagement.status in (
            Engagement.Status.ACTIVE,
            Engagement.Status.PAUSED,
        ):
            by_member.setdefault(seat.user_id, {})[seat.engagement_id] = EngagementWeek(
                seat.engagement, seat.weekly_cap_hours, None
            )
    caps = {(s.user_id, s.engagement_id): s.weekly_cap_hours for s in seats}
    for timesheet in timesheets:
        rows = by_member.setdefault(timesheet.member_id, {})
        row = rows.get(timesheet.engagement_id) or EngagementWeek(
            timesheet.engagement, caps.get((timesheet.member_id, timesheet.engagement_id)), None
        )
        row.timesheet = timesheet
        row.minutes = minutes.get(timesheet.pk, 0)
        rows[timesheet.engagement_id] = row
    members = [
        TeamMemberWeek(
            m,
            sorted(
                by_member.get(m.user_id, {}).values(),
                key=lambda r: (r.engagement.client.name, r.engagement.title),
            ),
        )
        for m in memberships
    ]
    to_approve = list(
        _with_details(
            Timesheet.objects.filter(
                engagement__collective=collective, state=Timesheet.State.SUBMITTED
            )
        ).order_by("week_start", "member__profile__display_name", "pk")
    )
    return TeamWeek(collective, week_start, members, to_approve)
