"""An independent check of the matching engine's answers.

It re-derives everything from the issue's rules and shares no code with the
engine's ``timegrid`` or ``solver``: a bug there cannot hide by being copied
here. Local hours become real instants by *scanning* real time (every quarter
hour in UTC, turned into the zone's wall clock) instead of converting wall
clock to UTC as the engine does, so the two meet only if both follow the
rules:

- a coverage role's slots are the local whole hours of its windows in the
  week planned; a local hour the clocks skip never shows on the wall clock, so
  it has no slot; one the clocks repeat shows twice and counts once, the
  first time it shows;
- a member's availability is a weekly pattern: their windows in the weeks
  before, of and after the one planned, each local hour an hour-long piece
  of real time under the same rules; a member given ``intervals`` is free in
  exactly those;
- a member can staff a slot when the whole hour lies inside their free time.

``validate(instance, result)`` lists every rule a returned team breaks; an
empty list means the team keeps them all.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from zoneinfo import ZoneInfo

from mutualist.engines.matching.instance import Instance, Member, Role, Window
from mutualist.engines.matching.result import FEASIBLE, OPTIMAL, MatchResult

HOUR = dt.timedelta(hours=1)
# Every offset of every zone since 1980 (the engine's first week) is a multiple of a quarter hour
# (Asia/Kathmandu +05:45, Pacific/Chatham +12:45), so a wall clock that shows
# a whole hour does so at one of these instants.
_QUARTER = dt.timedelta(minutes=15)
# Local days scanned around the week planned: the week before and after
# (availability repeats) and a Sunday-night window's next Monday, with room
# for the furthest offsets (+14 h, -12 h).
_DAYS_BEFORE = 9
_DAYS_AFTER = 17

Interval = tuple[dt.datetime, dt.datetime]


# --- Wall clock to real time, by scanning real time ---------------------------------


@functools.lru_cache(maxsize=512)
def wall_clock_hours(zone: str, monday: dt.date) -> dict[tuple[dt.date, int], dt.datetime]:
    """``(local date, hour)`` -> the first real instant (UTC) the wall clock
    of ``zone`` shows that whole hour, for the days around ``monday``'s week.

    A skipped hour is absent; a repeated one maps to its first showing.
    """
    tz = ZoneInfo(zone)
    start = dt.datetime.combine(monday, dt.time(), tzinfo=dt.UTC) - dt.timedelta(days=_DAYS_BEFORE)
    end = dt.datetime.combine(monday, dt.time(), tzinfo=dt.UTC) + dt.timedelta(days=_DAYS_AFTER)
    shown: dict[tuple[dt.date, int], dt.datetime] = {}
    instant = start
    while instant < end:
        local = instant.astimezone(tz)
        if local.minute == 0 and local.second == 0:
            shown.setdefault((local.date(), local.hour), instant)
        instant += _QUARTER
    return shown


def window_local_hours(window: Window, monday: dt.date) -> list[tuple[dt.date, int]]:
    """Each wall-clock hour of ``window`` in ``monday``'s week, as (date, hour).

    The window runs from ``start`` to ``end``; an ``end`` not after ``start``
    runs past midnight (09:00-09:00 is a whole day).
    """
    length = (
        window.end - window.start if window.end > window.start else window.end + 24 - window.start
    )
    hours = []
    for day in window.days:
        midnight = dt.datetime.combine(monday + dt.timedelta(days=day), dt.time())
        for offset in range(length):
            local = midnight + dt.timedelta(hours=window.start + offset)
            hours.append((local.date(), local.hour))
    return hours


def window_instants(windows: Iterable[Window], zone: str, monday: dt.date) -> set[dt.datetime]:
    """Real starts (UTC) of the wall-clock hours of ``windows`` in that week."""
    shown = wall_clock_hours(zone, monday)
    instants = set()
    for window in windows:
        for local in window_local_hours(window, monday):
            if local in shown:
                instants.add(shown[local])
    return instants


def role_slots(role: Role, monday: dt.date) -> list[dt.datetime]:
    """A coverage role's slots that week, sorted (none for a flexible role)."""
    if role.hours is not None:
        return []
    assert role.timezone is not None
    return sorted(window_instants(role.coverage, role.timezone, monday))


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def member_free(member: Member, monday: dt.date) -> list[Interval]:
    """The real time a member can work around that week, merged."""
    if member.intervals is not None:
        return merge(
            (start.astimezone(dt.UTC), end.astimezone(dt.UTC)) for start, end in member.intervals
        )
    pieces: set[dt.datetime] = set()
    for weeks in (-1, 0, 1):
        pieces |= window_instants(
            member.availability, member.timezone, monday + dt.timedelta(weeks=weeks)
        )
    return merge((start, start + HOUR) for start in pieces)


def holds(free: Iterable[Interval], start: dt.datetime) -> bool:
    """The whole hour from ``start`` lies inside the free time."""
    return any(low <= start and start + HOUR <= high for low, high in free)


def spans(instants: Iterable[dt.datetime]) -> list[Interval]:
    """Hour slots joined where they touch, as real intervals."""
    return merge((start, start + HOUR) for start in instants)


# --- The validator -----------------------------------------------------------------------


def validate(instance: Instance, result: MatchResult) -> list[str]:
    """Every rule the returned team breaks, in words (empty: none)."""
    if result.status not in (OPTIMAL, FEASIBLE):
        return [f"status {result.status!r} returns no team to check"]
    problems: list[str] = []
    fail = problems.append
    monday = instance.week
    members = {member.id: member for member in instance.members}
    roles = {role.id: role for role in instance.roles}
    slots = {role.id: set(role_slots(role, monday)) for role in instance.roles}
    free = {member.id: member_free(member, monday) for member in instance.members}

    # Shifts: on the role's slots, staffed by a member who may, each slot once.
    staffed: dict[str, dict[dt.datetime, str]] = defaultdict(dict)
    coverage_hours: dict[tuple[str, str], int] = defaultdict(int)
    by_member: dict[str, list[tuple[dt.datetime, dt.datetime, str]]] = defaultdict(list)
    for shift in result.shifts:
        where = f"shift {shift.role}/{shift.member} {shift.start}..{shift.end}"
        role = roles.get(shift.role)
        member = members.get(shift.member)
        if role is None or role.hours is not None:
            fail(f"{where}: {shift.role!r} is not a coverage role")
            continue
        if member is None:
            fail(f"{where}: {shift.member!r} is not a member")
            continue
        if shift.start.tzinfo is None or shift.end.tzinfo is None:
            fail(f"{where}: naive datetimes")
            continue
        length = shift.end - shift.start
        if length <= dt.timedelta(0) or length % HOUR:
            fail(f"{where}: not a positive whole number of hours")
            continue
        if role.skill not in member.skills:
            fail(f"{where}: {member.id} lacks the skill {role.skill!r}")
        if member.id in instance.excluded:
            fail(f"{where}: {member.id} is excluded")
        start = shift.start.astimezone(dt.UTC)
        for index in range(length // HOUR):
            slot = start + index * HOUR
            if slot not in slots[role.id]:
                fail(f"{where}: {slot} is not a slot of {role.id}")
            elif slot in staffed[role.id]:
                fail(f"{where}: {slot} of {role.id} is staffed twice")
            else:
                staffed[role.id][slot] = member.id
            if not holds(free[member.id], slot):
                fail(f"{where}: {member.id} is not free for the hour from {slot}")
        coverage_hours[member.id, role.id] += length // HOUR
        by_member[member.id].append((start, shift.end.astimezone(dt.UTC), role.id))
    for role_id, role_slot_set in slots.items():
        missing = sorted(role_slot_set - staffed[role_id].keys())
        if missing:
            fail(f"{role_id}: {len(missing)} slots unstaffed, the first from {missing[0]}")
    for member_id, worked in by_member.items():
        worked.sort()
        for at, (start, end, role_id) in enumerate(worked):
            for later_start, later_end, later_role in worked[at + 1 :]:
                if later_start > end:
                    break
                if later_role == role_id and later_start <= end:
                    fail(
                        f"{member_id}: shifts of {role_id} at {start} and {later_start} "
                        "touch or overlap and are not merged"
                    )
                elif later_role != role_id and later_start < end and start < later_end:
                    fail(
                        f"{member_id}: on {role_id} and {later_role} at once "
                        f"({start}..{end} and {later_start}..{later_end})"
                    )

    # Team lines: who, how many hours, in which roles, at what cost.
    seen: set[str] = set()
    order = [member.id for member in instance.members]
    flexible_given: dict[str, int] = defaultdict(int)
    total = Decimal(0)
    for line in result.team:
        member = members.get(line.member)
        if member is None:
            fail(f"team: {line.member!r} is not a member")
            continue
        if line.member in seen:
            fail(f"team: {line.member} has two lines")
        seen.add(line.member)
        hours = 0
        for role_id, given in line.roles.items():
            role = roles.get(role_id)
            if role is None:
                fail(f"team: {line.member} has hours in {role_id!r}, not a role")
                continue
            if isinstance(given, bool) or not isinstance(given, int) or given < 0:
                fail(f"team: {line.member} has {given!r} hours in {role_id}")
                continue
            hours += given
            if role.hours is None:
                if given != coverage_hours[line.member, role_id]:
                    fail(
                        f"team: {line.member} has {given} h in {role_id} but shifts of "
                        f"{coverage_hours[line.member, role_id]} h"
                    )
            else:
                flexible_given[role_id] += given
                if given and role.skill not in member.skills:
                    fail(f"team: {line.member} lacks the skill {role.skill!r} of {role_id}")
        for (member_id, role_id), count in coverage_hours.items():
            if member_id == line.member and role_id not in line.roles:
                fail(f"team: {line.member} has shifts of {count} h in {role_id} not in the line")
        if line.hours != hours:
            fail(f"team: {line.member} has {line.hours} h but its roles sum to {hours}")
        if line.hours < 1:
            fail(f"team: {line.member} is on the team with {line.hours} h")
        if line.hours > member.capacity:
            fail(f"team: {line.member} has {line.hours} h, over their capacity {member.capacity}")
        if line.member in instance.excluded:
            fail(f"team: {line.member} is excluded")
        if instance.one_role_per_member and sum(1 for h in line.roles.values() if h) > 1:
            fail(f"team: {line.member} works in more than one role")
        expected = line.hours * member.rate
        if not isinstance(line.cost, Decimal) or line.cost != expected:
            fail(f"team: {line.member} costs {line.cost!r}, not {expected}")
        total += line.hours * member.rate
    for member_id in by_member:
        if member_id not in seen:
            fail(f"team: {member_id} has shifts but no line")
    if [line.member for line in result.team] != [m for m in order if m in seen]:
        fail("team: lines are not in the instance's member order")
    for role in instance.roles:
        if role.hours is not None and flexible_given[role.id] != role.hours:
            fail(f"{role.id}: {flexible_given[role.id]} h given, {role.hours} h needed")
    if instance.max_team_size is not None and len(seen) > instance.max_team_size:
        fail(f"team: {len(seen)} members, over max_team_size {instance.max_team_size}")
    for member_id in sorted(instance.pinned - seen):
        fail(f"team: pinned {member_id} is not on it")

    # The answer's figures.
    if not isinstance(result.cost, Decimal) or result.cost != total:
        fail(f"cost {result.cost!r} is not the sum of hours x rate, {total}")
    if result.status == OPTIMAL and result.gap != 0.0:
        fail(f"optimal with gap {result.gap!r}")
    # A feasible team's proven gap, or None when the solver proved no bound.
    if result.status == FEASIBLE and not (
        result.gap is None or (isinstance(result.gap, float) and result.gap >= 0.0)
    ):
        fail(f"feasible with gap {result.gap!r}")
    if result.uncovered:
        fail(f"a team with uncovered hours: {result.uncovered!r}")
    if result.currency != instance.currency:
        fail(f"currency {result.currency!r}, not {instance.currency!r}")
    return problems
