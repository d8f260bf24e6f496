"""Reads for clients, contacts, jobs and the job board.

Permission-scoped getters are in ``work.selectors.access``; this module builds
on them. Two pure helpers here are shared with the pitches area:

- ``job_coverage_slots(job, week)``: each coverage role's UTC hour slots in a
  given week, DST included (``work.coverage`` rules: an hour the clocks skip
  has no slot, an hour that happens twice counts once);
- ``job_weekly_hours(job)``: the hours a week the job asks for, counted in its
  start week: every coverage slot plus every flexible hour.

Both read ``job.roles`` and each role's ``coverage`` through ``.all()``, so
prefetch ``roles__coverage`` (``JOB_PREFETCH``) before calling them on many jobs.

The board's overlap figure: for each coverage role, the minutes of its real
intervals in the job's start week that fall inside the union of the chosen
collective's active members' availability (each member's windows in their own
``profile.timezone``, converted for that same week), summed over the roles.
Flexible hours have no fixed time and do not count.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TypedDict, overload
from zoneinfo import ZoneInfo

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from mutualist.collectives.models import Collective, Membership
from mutualist.core.errors import ValidationFailed
from mutualist.core.reference import MAX_MINOR_UNITS, currency_exponent
from mutualist.members.models import AvailabilityWindow, Profile, User
from mutualist.work.coverage import (
    DAY_NAMES,
    HourWindow,
    Interval,
    Slot,
    merge,
    monday_of,
    overlap_minutes,
    slots_of,
    slots_to_intervals,
    window_occurrences,
)
from mutualist.work.models import Client, ClientContact, CoverageWindow, Engagement, Job, JobRole
from mutualist.work.selectors.access import Viewer, active_collective_ids, job_get_for_user

HOURS_PER_WEEK = 168

logger = logging.getLogger(__name__)

# What the coverage helpers read, in two queries for any number of jobs.
JOB_PREFETCH = (
    Prefetch(
        "roles",
        queryset=JobRole.objects.select_related("skill").prefetch_related(
            Prefetch("coverage", queryset=CoverageWindow.objects.order_by("weekday", "start_hour"))
        ),
    ),
)


# --- Coverage: the helpers the board and the pitches share ---------------------------------


def role_windows(role: JobRole) -> list[HourWindow]:
    """A coverage role's windows (none for a flexible role)."""
    return [HourWindow(w.weekday, w.start_hour, w.end_hour) for w in role.coverage.all()]


# The weeks whose coverage can be computed: a Sunday-night window reaches the
# next Monday, availability is read a week either side, and a zone's offset
# moves a day across midnight. ``services.jobs`` starts jobs within two years,
# but a row written before that rule may start on 9999-12-31, whose week's
# slots overflow ``datetime`` (it took the job board down for everyone).
_FIRST_WEEK = monday_of(dt.date.min + dt.timedelta(weeks=3))
_LAST_WEEK = monday_of(dt.date.max - dt.timedelta(weeks=3))


def job_reference_week(job: Job) -> dt.date:
    """The Monday of the job's start week: the week its hours are counted in.

    A start date within three weeks of either end of the calendar counts in
    the nearest week that can be computed instead (no job validated today
    starts there).
    """
    return min(max(monday_of(job.start_date), _FIRST_WEEK), _LAST_WEEK)


def job_coverage_slots(job: Job, week: dt.date) -> dict[int, list[Slot]]:
    """Each coverage role's UTC hour slots in the week of ``week`` (any day of
    it; the week runs Monday to Sunday in the job's time zone), keyed by role
    id, sorted. Flexible roles are not in it.

    >>> job_coverage_slots(job, dt.date(2026, 11, 30))[support_role.pk][0]
    datetime.datetime(2026, 11, 29, 22, 0, tzinfo=datetime.timezone.utc)

    (Monday 09:00 in Sydney, summer time, is Sunday 22:00 UTC.)
    """
    return {
        role.pk: slots_of(role_windows(role), job.timezone, week)
        for role in job.roles.all()
        if role.kind == JobRole.Kind.COVERAGE
    }


def job_coverage_intervals(job: Job, week: dt.date) -> dict[int, list[Interval]]:
    """``job_coverage_slots`` joined into real (start, end) intervals per role."""
    return {
        role_id: slots_to_intervals(slots)
        for role_id, slots in job_coverage_slots(job, week).items()
    }


def job_weekly_hours(job: Job, week: dt.date | None = None) -> int:
    """Hours a week the job asks for: its coverage slots in ``week`` (by
    default its start week, ``job_reference_week``) plus its flexible hours.

    A 09:00-17:00 window is 8 hours; a 00:00-06:00 window on the night the
    clocks go forward is 5 and on the night they go back 6 (the repeated
    hour counts once).
    """
    week = week or job_reference_week(job)
    coverage = sum(len(slots) for slots in job_coverage_slots(job, week).values())
    flexible = sum(
        role.flexible_hours or 0 for role in job.roles.all() if role.kind == JobRole.Kind.FLEXIBLE
    )
    return coverage + flexible


def job_nominal_weekly_hours(job: Job) -> int:
    """Hours a week the job asks for on the wall clock, without a calendar:
    each coverage window's nominal length (``HourWindow.hours``) plus the
    flexible hours. The board's fallback for a job whose real hours cannot be
    computed."""
    return sum(
        sum(window.hours for window in role_windows(role))
        if role.kind == JobRole.Kind.COVERAGE
        else role.flexible_hours or 0
        for role in job.roles.all()
    )


def availability_intervals(
    windows: Iterable[AvailabilityWindow], tz: str, week: dt.date
) -> list[Interval]:
    """A member's weekly availability (minutes, their own time zone) as real
    UTC intervals around the week of ``week``: that week and one either side,
    so a Sunday-night window and zones far from the job's are all counted.

    The same conversion as ``members.availability``: each window starts on
    its weekday's date at its start time in ``tz`` and ends at its end time
    (the next day when it runs past midnight); a wall-clock time the clocks
    skip is read with ``fold=0``.
    """
    zone = ZoneInfo(tz)
    monday = monday_of(week)
    intervals: list[Interval] = []
    for offset in (-1, 0, 1):
        first = monday + dt.timedelta(weeks=offset)
        for window in windows:
            day = first + dt.timedelta(days=window.weekday)
            end_day = day + dt.timedelta(days=1) if window.end <= window.start else day
            start = dt.datetime.combine(day, window.start, tzinfo=zone).astimezone(dt.UTC)
            end = dt.datetime.combine(end_day, window.end, tzinfo=zone).astimezone(dt.UTC)
            if start < end:
                intervals.append((start, end))
    return intervals


@dataclass(frozen=True)
class TeamAvailability:
    """A collective's active members' availability, ready to meet jobs' weeks."""

    members: tuple[tuple[str, tuple[AvailabilityWindow, ...]], ...]  # (time zone, windows)

    def intervals(self, week: dt.date) -> list[Interval]:
        """The union of everyone's availability around ``week``, merged."""
        return merge(
            interval
            for tz, windows in self.members
            for interval in availability_intervals(windows, tz, week)
        )


def collective_availability(*, collective: Collective) -> TeamAvailability:
    """The availability of ``collective``'s active members (accounts that can
    still log in); read once, converted per week on demand."""
    profiles = (
        Profile.objects.filter(
            user__memberships__collective=collective,
            user__memberships__state=Membership.State.ACTIVE,
            user__is_active=True,
        )
        .prefetch_related("availability")
        .order_by("pk")
    )
    return TeamAvailability(
        members=tuple((p.timezone, tuple(p.availability.all())) for p in profiles)
    )


def job_overlap_minutes(job: Job, team: TeamAvailability, week: dt.date | None = None) -> int:
    """Minutes of the job's coverage in ``week`` (default: its start week)
    that fall inside ``team``'s availability, summed over its coverage roles."""
    week = week or job_reference_week(job)
    available = team.intervals(week)
    return sum(
        overlap_minutes(intervals, available)
        for intervals in job_coverage_intervals(job, week).values()
    )


def minutes_as_hours(minutes: int) -> Decimal:
    """Minutes to hours, as a decimal with two places (90 -> 1.50)."""
    return (Decimal(minutes) / 60).quantize(Decimal("0.01"))


def hours_label(minutes: int) -> str:
    """Minutes as people read hours: 2400 -> "40", 90 -> "1.5", 20 -> "0.33"."""
    whole, rest = divmod(minutes, 60)
    if rest == 0:
        return str(whole)
    return f"{minutes_as_hours(minutes):f}".rstrip("0")


# --- Coverage as people read it --------------------------------------------------------------


@dataclass(frozen=True)
class WindowView:
    """One coverage window: as the job states it, and when it falls for the
    viewer in the job's start week."""

    window: HourWindow
    label: str  # "Mon 09:00-17:00", in the job's time zone
    viewer_labels: tuple[str, ...]  # "Sun 23:00-07:00 (+1 day)", in the viewer's


def _viewer_label(start: dt.datetime, end: dt.datetime, zone: ZoneInfo) -> str:
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    days = (local_end.date() - local_start.date()).days
    if local_end.time() == dt.time(0) and days == 1:
        return f"{local_start:%a %H:%M}-24:00"
    suffix = f" (+{days} day)" if days == 1 else (f" (+{days} days)" if days > 1 else "")
    return f"{local_start:%a %H:%M}-{local_end:%H:%M}{suffix}"


def role_window_views(job: Job, role: JobRole, viewer_tz: str | None) -> list[WindowView]:
    """A coverage role's windows, each with its real times in ``viewer_tz``
    during the job's start week (none when the viewer's zone is the job's)."""
    week = job_reference_week(job)
    zone = ZoneInfo(viewer_tz) if viewer_tz and viewer_tz != job.timezone else None
    views = []
    for window in role_windows(role):
        labels: tuple[str, ...] = ()
        if zone is not None:
            labels = tuple(
                _viewer_label(start, end, zone)
                for start, end in window_occurrences(window, job.timezone, week)
            )
        views.append(WindowView(window=window, label=window.label(), viewer_labels=labels))
    return views


class WindowSpec(TypedDict):
    days: list[str]
    start: str
    end: str


def windows_as_specs(windows: Sequence[HourWindow]) -> list[WindowSpec]:
    """Windows in the API's shape, days with the same hours joined:
    ``[{"days": ["mon", "tue"], "start": "09:00", "end": "17:00"}]``."""
    grouped: dict[tuple[int, int], list[int]] = {}
    for window in sorted(windows):
        grouped.setdefault((window.start_hour, window.end_hour), []).append(window.weekday)
    ordered = sorted(grouped.items(), key=lambda item: (min(item[1]), item[0]))
    return [
        WindowSpec(
            days=[DAY_NAMES[day] for day in sorted(days)],
            start=f"{start:02d}:00",
            end=f"{end:02d}:00",
        )
        for (start, end), days in ordered
    ]


# --- Clients ----------------------------------------------------------------------------------


def client_list_for_contact(*, user: User) -> QuerySet[Client]:
    """The clients ``user`` acts for in the portal."""
    return (
        Client.objects.filter(contacts__user=user)
        .prefetch_related(
            Prefetch("contacts", queryset=ClientContact.objects.select_related("user__profile"))
        )
        .distinct()
        .order_by("name", "pk")
    )


def client_contacts(*, client: Client) -> list[ClientContact]:
    return list(
        ClientContact.objects.filter(client=client)
        .select_related("user__profile")
        .order_by("created_at", "pk")
    )


def _with_collective(collective: Collective) -> Q:
    """Clients ``collective`` recorded, sent a pitch to or works for. A draft
    pitch does not count: the client has not heard from the collective, and a
    draft for a public job would otherwise open the client's billing address,
    tax id and contacts to a collective the client never dealt with."""
    return (
        Q(collective=collective)
        | Q(
            Exists(
                Job.objects.filter(
                    client=OuterRef("pk"),
                    pitches__collective=collective,
                    pitches__sent_at__isnull=False,
                )
            )
        )
        | Q(Exists(Engagement.objects.filter(client=OuterRef("pk"), collective=collective)))
    )


def client_visible_to_collective(*, client: Client, collective: Collective) -> bool:
    """Whether ``collective`` recorded ``client``, sent it a pitch or works for it."""
    return Client.objects.filter(_with_collective(collective), pk=client.pk).exists()


def collective_client_list(*, collective: Collective) -> QuerySet[Client]:
    """Clients the collective recorded or works with (for its active members;
    the caller has checked membership)."""
    return Client.objects.filter(_with_collective(collective)).distinct().order_by("name", "pk")


def collective_client_get(*, collective: Collective, pk: int) -> Client:
    """One of the collective's clients; 404 for any other."""
    client = collective_client_list(collective=collective).filter(pk=pk).first()
    if client is None:
        raise Http404("No such client.")
    return client


# --- Jobs -------------------------------------------------------------------------------------


def job_list_for_contact(*, user: User) -> QuerySet[Job]:
    """Every job the client contact's clients posted, in any state and of any
    visibility, newest first. Leads are the collectives' own notes: not here."""
    return (
        Job.objects.filter(client__contacts__user=user, collective__isnull=True)
        .select_related("client")
        .prefetch_related(*JOB_PREFETCH)
        .distinct()
        .order_by("-created_at", "-pk")
    )


def collective_lead_list(*, collective: Collective) -> QuerySet[Job]:
    """The leads the collective's coordinators recorded, newest first."""
    return (
        Job.objects.filter(collective=collective)
        .select_related("client")
        .prefetch_related(*JOB_PREFETCH)
        .order_by("-created_at", "-pk")
    )


def job_get_visible(*, user: Viewer, pk: int) -> Job:
    """``access.job_get_for_user``, and a lead only for its collective's
    active members: a lead is the collective's own note, so a contact of the
    client it is about gets 404 for it too."""
    job = job_get_for_user(user=user, pk=pk)
    if job.collective_id is not None and job.collective_id not in active_collective_ids(user):
        raise Http404("No such job.")
    return job


def job_with_roles(job: Job) -> Job:
    """``job`` read again with its client and roles loaded."""
    return (
        Job.objects.select_related("client", "collective")
        .prefetch_related(*JOB_PREFETCH)
        .get(pk=job.pk)
    )


# --- The job board ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardEntry:
    job: Job
    weekly_hours: int
    overlap_minutes: int | None  # with the chosen collective's availability, if one was

    @property
    def overlap_hours(self) -> Decimal | None:
        return None if self.overlap_minutes is None else minutes_as_hours(self.overlap_minutes)

    @property
    def overlap_label(self) -> str | None:
        return None if self.overlap_minutes is None else hours_label(self.overlap_minutes)


class _LazyBoard(Sequence[BoardEntry]):
    """The board without filters computed in Python, paged in SQL: a paginator
    asks for ``len()`` and one slice, and only that slice's hours are counted."""

    def __init__(self, jobs: QuerySet[Job], present: Callable[[Job], BoardEntry]) -> None:
        self._jobs = jobs
        self._present = present
        self._count: int | None = None

    def __len__(self) -> int:
        if self._count is None:
            self._count = self._jobs.count()
        return self._count

    @overload
    def __getitem__(self, index: int) -> BoardEntry: ...
    @overload
    def __getitem__(self, index: slice) -> list[BoardEntry]: ...
    def __getitem__(self, index: int | slice) -> BoardEntry | list[BoardEntry]:
        if isinstance(index, slice):
            return [self._present(job) for job in self._jobs[index]]
        return self._present(self._jobs[index])

    def __iter__(self) -> Iterator[BoardEntry]:
        return (self._present(job) for job in self._jobs)


def _budget_at_least(jobs: QuerySet[Job], minimum: Decimal) -> QuerySet[Job]:
    """Jobs whose budget is at least ``minimum`` of their own currency: 30
    means 30.00 AUD for an AUD job and 30 JPY for a yen one. Exact, in SQL: one
    threshold in minor units per currency (rounded up, so 12.5 yen needs 13)."""
    condition = Q(pk__in=[])
    for currency in jobs.order_by().values_list("currency", flat=True).distinct():
        threshold = math.ceil(minimum.scaleb(currency_exponent(currency)))
        # No stored budget exceeds MAX_MINOR_UNITS (Money refuses more); capping
        # keeps an absurd minimum from overflowing the database's integers.
        threshold = min(threshold, MAX_MINOR_UNITS + 1)
        condition |= Q(currency=currency, budget_minor__gte=threshold)
    return jobs.filter(condition)


def job_list_board(
    *,
    skill: str | None = None,
    min_hours: int | None = None,
    max_hours: int | None = None,
    budget_kind: str | None = None,
    min_budget: Decimal | None = None,
    overlap_with: Collective | None = None,
    min_overlap_hours: Decimal | None = None,
) -> Sequence[BoardEntry]:
    """Public, open jobs, newest first, each with its weekly hours (and, given
    ``overlap_with``, how much of its coverage meets that collective's
    availability). The caller checks the viewer is an active member of
    ``overlap_with``.

    Filters: ``skill`` (a slug: some role needs it), weekly hours within
    ``min_hours``..``max_hours`` (``job_weekly_hours``), ``budget_kind`` and
    ``min_budget`` (an amount in each job's own currency; a job with an open
    budget never meets a minimum), ``min_overlap_hours`` (needs
    ``overlap_with``). Refused: ``min_budget`` without ``budget_kind``
    (``budget_kind_required``: a rate and a total do not compare),
    ``min_overlap_hours`` without a collective (``collective_required``),
    ``min_hours`` above ``max_hours`` (``invalid_range``).

    Without hour or overlap minimums the result is paged in SQL: take
    ``len()`` and a slice rather than iterating over all of it.
    """
    if min_budget is not None and not budget_kind:
        raise ValidationFailed(
            "Say whether the minimum is an hourly rate or a total budget.",
            code="budget_kind_required",
            field="budget_kind",
        )
    if min_overlap_hours is not None and overlap_with is None:
        raise ValidationFailed(
            "Pick one of your collectives to count overlapping hours against.",
            code="collective_required",
            field="collective",
        )
    if min_hours is not None and max_hours is not None and min_hours > max_hours:
        raise ValidationFailed(
            f"The minimum of {min_hours} hours is above the maximum of {max_hours}.",
            code="invalid_range",
            field="min_hours",
        )
    if budget_kind and budget_kind not in Job.BudgetKind.values:
        raise ValidationFailed(
            "The budget is a maximum hourly rate (hourly) or a total (total).",
            code="invalid_budget_kind",
            field="budget_kind",
        )
    jobs = Job.objects.filter(visibility=Job.Visibility.PUBLIC, state=Job.State.OPEN)
    if skill:
        jobs = jobs.filter(Exists(JobRole.objects.filter(job=OuterRef("pk"), skill__slug=skill)))
    if budget_kind:
        jobs = jobs.filter(budget_kind=budget_kind)
    if min_budget is not None:
        jobs = _budget_at_least(jobs, min_budget)
    jobs = (
        jobs.select_related("client").prefetch_related(*JOB_PREFETCH).order_by("-created_at", "-pk")
    )
    team = collective_availability(collective=overlap_with) if overlap_with is not None else None

    def present(job: Job) -> BoardEntry:
        try:
            overlap = job_overlap_minutes(job, team) if team is not None else None
            return BoardEntry(job=job, weekly_hours=job_weekly_hours(job), overlap_minutes=overlap)
        except (OverflowError, ValueError, LookupError):
            # One job whose real hours cannot be computed (a date or a time
            # zone no check let through: ZoneInfoNotFoundError is a KeyError)
            # must not take the board down for everyone: it shows its
            # nominal hours, and no overlap.
            logger.exception("Job %s: its coverage cannot be computed", job.pk)
            return BoardEntry(
                job=job, weekly_hours=job_nominal_weekly_hours(job), overlap_minutes=None
            )

    if min_hours is None and max_hours is None and min_overlap_hours is None:
        return _LazyBoard(jobs, present)
    entries = []
    for job in jobs:
        entry = present(job)
        if min_hours is not None and entry.weekly_hours < min_hours:
            continue
        if max_hours is not None and entry.weekly_hours > max_hours:
            continue
        if min_overlap_hours is not None and (
            entry.overlap_minutes is None or entry.overlap_minutes < min_overlap_hours * 60
        ):
            continue
        entries.append(entry)
    return entries
