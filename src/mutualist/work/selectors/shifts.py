"""A member's shifts on their engagements, as real intervals.

Engagement shifts are weekly windows in the engagement's time zone (the
client's); a member reads them in their own. Each occurrence is converted
for its own week (``work.coverage``), so a shift lands on the right hour
across daylight-saving changes on either side.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from mutualist.members.models import User
from mutualist.work.coverage import HourWindow, week_starts_between, window_occurrences
from mutualist.work.models import Engagement, EngagementMember, EngagementShift

LIVE = (Engagement.Status.ACTIVE, Engagement.Status.PAUSED)


@dataclass(frozen=True)
class ShiftOccurrence:
    seat: EngagementMember  # with .engagement (and its client) loaded
    window: HourWindow  # in the engagement's time zone
    start: dt.datetime  # UTC
    end: dt.datetime  # UTC

    @property
    def engagement(self) -> Engagement:
        return self.seat.engagement

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600

    def local(self, tz: str) -> tuple[dt.datetime, dt.datetime]:
        zone = ZoneInfo(tz)
        return self.start.astimezone(zone), self.end.astimezone(zone)


def seats_of(user: User, *, statuses: tuple[str, ...] = LIVE) -> list[EngagementMember]:
    """The user's current seats (not left) on engagements in ``statuses``."""
    return list(
        EngagementMember.objects.filter(
            user=user, left_at__isnull=True, engagement__status__in=statuses
        )
        .select_related("engagement", "engagement__client", "engagement__collective")
        .order_by("engagement__title", "pk")
    )


def shift_occurrences(
    *, user: User, start: dt.datetime, end: dt.datetime, seats: list[EngagementMember] | None = None
) -> list[ShiftOccurrence]:
    """The user's shifts that overlap ``[start, end)`` (aware datetimes), on
    engagements that are active or paused, sorted by start. Engagement dates
    bound them: nothing before ``starts_on`` or after ``ended_on``."""
    seats = seats_of(user) if seats is None else seats
    shifts = EngagementShift.objects.filter(member__in=seats).order_by("pk")
    by_seat: dict[int, list[HourWindow]] = {}
    for shift in shifts:
        by_seat.setdefault(shift.member_id, []).append(
            HourWindow(shift.weekday, shift.start_hour, shift.end_hour)
        )
    found: list[ShiftOccurrence] = []
    for seat in seats:
        engagement = seat.engagement
        zone = ZoneInfo(engagement.timezone)
        # A week's shifts may start the Sunday before in UTC terms or end on
        # the next Monday: look one week either side.
        first = start.astimezone(zone).date() - dt.timedelta(days=7)
        last = end.astimezone(zone).date() + dt.timedelta(days=7)
        for week in week_starts_between(first, last):
            for window in by_seat.get(seat.pk, []):
                for occ_start, occ_end in window_occurrences(window, engagement.timezone, week):
                    if occ_end <= start or occ_start >= end:
                        continue
                    local_day = occ_start.astimezone(zone).date()
                    if local_day < engagement.starts_on:
                        continue
                    if engagement.ended_on is not None and local_day > engagement.ended_on:
                        continue
                    found.append(ShiftOccurrence(seat, window, occ_start, occ_end))
    return sorted(found, key=lambda occ: (occ.start, occ.seat.pk))


def shift_clashes(
    occurrences: list[ShiftOccurrence],
) -> list[tuple[ShiftOccurrence, ShiftOccurrence]]:
    """Pairs of the occurrences that overlap in real time (sorted input)."""
    clashes = []
    for i, first in enumerate(occurrences):
        for second in occurrences[i + 1 :]:
            if second.start >= first.end:
                break
            clashes.append((first, second))
    return clashes


def committed_hours(*, seats: list[EngagementMember]) -> int:
    """Hours a week the member has promised: the sum of their weekly caps on
    active engagements."""
    return sum(
        seat.weekly_cap_hours
        for seat in seats
        if seat.engagement.status == Engagement.Status.ACTIVE
    )
