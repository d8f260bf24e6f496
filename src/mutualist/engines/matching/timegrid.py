"""Local wall-clock hours to real (UTC) hour slots, with each zone's real rules.

Instants are whole minutes since the Unix epoch (``int``), so slots of zones
with half-hour offsets (Asia/Kolkata: they start on the half hour in UTC)
sit beside whole-hour ones and comparisons are exact.

- A local hour skipped by a daylight-saving change does not exist: no slot.
- A local hour that happens twice when clocks go back counts once, the first.
- A member's weekly availability repeats every week: the weeks either side
  of the one planned count too, each with its own rules, because a role hour
  near a week's edge may fall on another local week for them.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
from collections.abc import Iterable, Sequence
from zoneinfo import ZoneInfo

from mutualist.engines.matching.instance import Member, Role, Window

HOUR = 60  # minutes
Interval = tuple[int, int]  # [start, end) in epoch minutes


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MINUTE = 60_000_000  # microseconds


def _microseconds(instant: dt.datetime) -> int:
    """Exact microseconds since the epoch (a float timestamp rounds)."""
    return (instant - _EPOCH) // dt.timedelta(microseconds=1)


def to_minutes(instant: dt.datetime) -> int:
    """Epoch minutes of an aware instant, rounded down."""
    return int(instant.timestamp()) // 60


def from_minutes(minutes: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(minutes * 60, dt.UTC)


@functools.lru_cache(maxsize=1 << 16)
def local_hour_utc(zone: str, ordinal: int, hour: int) -> int | None:
    """Epoch minutes at which ``hour``:00 of the day ``ordinal`` starts in
    ``zone``: the first occurrence of a repeated hour, ``None`` for a skipped one."""
    tz = ZoneInfo(zone)
    naive = dt.datetime.combine(dt.date.fromordinal(ordinal), dt.time(hour))
    utc = naive.replace(tzinfo=tz, fold=0).astimezone(dt.UTC)
    if utc.astimezone(tz).replace(tzinfo=None) != naive:
        return None  # the clocks skip this hour that day
    return to_minutes(utc)


def window_slots(windows: Iterable[Window], zone: str, monday: dt.date) -> set[int]:
    """The hour slots (epoch minutes of their starts) of ``windows`` in the
    week of ``monday``, in ``zone``."""
    first = monday.toordinal()
    slots = set()
    for window in windows:
        for day, hour in window.local_hours():
            slot = local_hour_utc(zone, first + day, hour)
            if slot is not None:
                slots.add(slot)
    return slots


def role_slots(role: Role, monday: dt.date) -> list[int]:
    """A coverage role's slots that week, sorted, each once."""
    if role.flexible or role.timezone is None:
        return []
    return sorted(window_slots(role.coverage, role.timezone, monday))


def merge_hours(starts: Iterable[int]) -> list[Interval]:
    """Hour-long pieces from ``starts`` joined where they touch or overlap."""
    merged: list[Interval] = []
    for start in sorted(set(starts)):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], start + HOUR))
        else:
            merged.append((start, start + HOUR))
    return merged


def merge_intervals(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def member_free(member: Member, monday: dt.date) -> list[Interval]:
    """The real intervals a member can work around the week planned, merged.

    From ``member.intervals`` when given (whole minutes inside them: a start
    at 09:00:00.5 is 09:01); otherwise each local hour of their weekly windows in the weeks
    before, of and after ``monday`` as an hour-long piece, with the slot rules.
    """
    if member.intervals is not None:
        return merge_intervals(
            (-(-_microseconds(start) // _MINUTE), _microseconds(end) // _MINUTE)
            for start, end in member.intervals
        )
    starts: set[int] = set()
    for weeks in (-1, 0, 1):
        starts |= window_slots(
            member.availability, member.timezone, monday + dt.timedelta(weeks=weeks)
        )
    return merge_hours(starts)


def staffable(slots: Sequence[int], free: Sequence[Interval]) -> list[int]:
    """Indices into the sorted ``slots`` of the hours lying wholly inside one
    of the merged ``free`` intervals."""
    found: list[int] = []
    for start, end in free:
        low = bisect.bisect_left(slots, start)
        high = bisect.bisect_right(slots, end - HOUR)
        found.extend(range(low, high))
    return found


def spans(slots: Iterable[int]) -> list[Interval]:
    """Consecutive hour slots joined into real intervals."""
    return merge_hours(slots)
