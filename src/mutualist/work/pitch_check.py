"""The live staffing check of a pitch: which hours the proposed team covers,
whose load it pushes past their capacity, and what a week costs the client.

Pure: no database, no Django. ``work.selectors.pitches.pitch_check`` builds
the input from rows (a saved pitch, or a team typed but not saved yet) and
calls ``pitch_check``.

The check is made for one real week (the job's start week, or one the
viewer picks), with ``work.coverage``'s rules: every wall-clock hour of a
coverage window or shift is one real hour slot of that week, a skipped hour
(spring forward) has no slot, a repeated hour (fall back) counts once. So a
Sunday 00:00-06:00 window in Sydney has 6 slots the week clocks go back and
5 the week they go forward, and the price of that week follows.

Members' availability is kept to the minute in their own time zone
(``members.availability``); a staffed slot is "outside Ana's availability"
unless the whole hour lies inside one of Ana's windows that week. A member
who has recorded no availability at all is reported as such rather than as
unavailable every hour.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo

from mutualist.core.money import Money
from mutualist.members.availability import Window
from mutualist.work.coverage import (
    DAY_LABELS,
    HourWindow,
    Interval,
    Slot,
    covered,
    merge,
    monday_of,
    slots_of,
    slots_to_intervals,
)

COVERAGE = "coverage"
FLEXIBLE = "flexible"

# --- Input ------------------------------------------------------------------------


@dataclass(frozen=True)
class RoleInput:
    """One role of the job: coverage windows (in the job's time zone) or a
    number of flexible hours a week, and the bill rate the pitch offers
    (``None`` while the coordinator has not set one)."""

    key: int
    title: str
    kind: str  # COVERAGE or FLEXIBLE
    coverage: tuple[HourWindow, ...] = ()
    flexible_hours: int | None = None
    bill_rate: Money | None = None


@dataclass(frozen=True)
class LineInput:
    """A proposed member on a role: shifts (coverage role, in the job's time
    zone) or hours a week (flexible role)."""

    member: int  # a MemberInput key
    role: int  # a RoleInput key
    shifts: tuple[HourWindow, ...] = ()
    hours: int | None = None


@dataclass(frozen=True)
class MemberInput:
    """What the check needs to know of a proposed member.

    ``committed_hours``: hours a week promised on other engagements;
    ``busy``: the real (UTC) intervals of their shifts on other engagements
    around the week checked.
    """

    key: int
    name: str
    timezone: str
    availability: tuple[Window, ...]
    capacity_hours: int
    committed_hours: int = 0
    busy: tuple[Interval, ...] = ()


@dataclass(frozen=True)
class CheckInput:
    timezone: str  # the job's: coverage windows and shifts are in it
    week: dt.date  # any day of the week checked
    currency: str
    roles: tuple[RoleInput, ...]
    lines: tuple[LineInput, ...]
    members: tuple[MemberInput, ...]


# --- Output -----------------------------------------------------------------------


@dataclass(frozen=True)
class SlotCheck:
    """One coverage hour of a role: who staffs it, and for whom of them it is
    outside their availability or clashes with another engagement's shift."""

    start: Slot  # UTC
    staffed_by: tuple[int, ...] = ()
    outside_availability: tuple[int, ...] = ()
    clashes: tuple[int, ...] = ()

    @property
    def staffed(self) -> bool:
        return bool(self.staffed_by)


@dataclass(frozen=True)
class RoleCheck:
    role: RoleInput
    slots: tuple[SlotCheck, ...]  # the coverage hours of the week (none for a flexible role)
    required_hours: int  # coverage slots that week, or the flexible hours asked
    hours: int  # the proposed team's hours on the role that week (what is billed)
    price: Money | None  # hours x bill rate; None without a rate

    @property
    def staffed(self) -> list[Slot]:
        return [slot.start for slot in self.slots if slot.staffed]

    @property
    def unstaffed(self) -> list[Slot]:
        return [slot.start for slot in self.slots if not slot.staffed]

    @property
    def staffed_hours(self) -> int:
        """Coverage hours with someone on them; a flexible role's proposed
        hours, up to those asked."""
        if self.role.kind == FLEXIBLE:
            return min(self.hours, self.required_hours)
        return len(self.staffed)

    @property
    def unstaffed_hours(self) -> int:
        return self.required_hours - self.staffed_hours


@dataclass(frozen=True)
class MemberLoad:
    member: MemberInput
    pitch_hours: int  # in this pitch, that week
    roles: tuple[int, ...]  # the RoleInput keys they are proposed for
    outside_availability: tuple[Slot, ...]
    clashes: tuple[Slot, ...]

    @property
    def committed_hours(self) -> int:
        return self.member.committed_hours

    @property
    def capacity_hours(self) -> int:
        return self.member.capacity_hours

    @property
    def total_hours(self) -> int:
        return self.pitch_hours + self.member.committed_hours

    @property
    def overloaded(self) -> bool:
        return self.total_hours > self.member.capacity_hours

    @property
    def availability_unknown(self) -> bool:
        return not self.member.availability


@dataclass(frozen=True)
class CheckResult:
    timezone: str
    week: dt.date  # the Monday
    currency: str
    roles: tuple[RoleCheck, ...]
    members: tuple[MemberLoad, ...]
    total: Money  # the weekly price: the sum of the priced roles
    findings: tuple[str, ...] = field(default=())

    @property
    def unpriced(self) -> list[RoleCheck]:
        """Roles with proposed hours but no bill rate yet."""
        return [role for role in self.roles if role.hours and role.price is None]


# --- The check --------------------------------------------------------------------


def pitch_check(data: CheckInput) -> CheckResult:
    """Check a proposed team against the job's roles for one week.

    Parameters
    ----------
    data : CheckInput
        The roles, the team lines and the proposed members. Lines must name
        known roles and members (``ValueError`` otherwise); the services
        have validated shifts (whole hours, inside coverage) before.

    Returns
    -------
    CheckResult
        Per coverage role each hour slot of the week with who staffs it; per
        role the team's hours and their price; per member their hours in this
        pitch against capacity; the total weekly price, exact; and
        ``findings``, sentences for people ("Support: Sat 09:00-12:00 is not
        staffed.").

    Examples
    --------
    >>> from decimal import Decimal
    >>> role = RoleInput(1, "Books", FLEXIBLE, flexible_hours=6, bill_rate=Money("30", "AUD"))
    >>> ben = MemberInput(7, "Ben", "Africa/Lagos", (), capacity_hours=40)
    >>> result = pitch_check(CheckInput("Australia/Sydney", dt.date(2026, 11, 30), "AUD",
    ...     (role,), (LineInput(7, 1, hours=6),), (ben,)))
    >>> result.total
    Money('180.00', 'AUD')
    """
    _validate(data)
    monday = monday_of(data.week)
    members = {member.key: member for member in data.members}
    roles = {role.key: role for role in data.roles}

    # Each line's real hour slots that week (a flexible line has none).
    line_slots = [slots_of(line.shifts, data.timezone, monday) for line in data.lines]
    # A coverage window from Sunday night reaches into the next Monday (day
    # 7 of the week), and a shift starting that Monday at midnight staffs
    # those hours week after week: its occurrence in the next week counts
    # for them. Without it, "mon 00:00-06:00" against "sun 22:00-06:00"
    # would read as unstaffed every week.
    next_week = monday + dt.timedelta(weeks=1)
    line_next = [slots_of(line.shifts, data.timezone, next_week) for line in data.lines]
    available = {
        member.key: merge(availability_intervals(member.availability, member.timezone, monday))
        for member in data.members
    }
    busy = {member.key: merge(member.busy) for member in data.members}

    def outside(member: int, slot: Slot) -> bool:
        return bool(members[member].availability) and not covered(slot, available[member])

    def clashing(member: int, slot: Slot) -> bool:
        return _overlaps(slot, busy[member])

    role_checks = []
    for role in data.roles:
        lines = [
            (line, line_slots[i]) for i, line in enumerate(data.lines) if line.role == role.key
        ]
        if role.kind == COVERAGE:
            by_slot: dict[Slot, list[int]] = {}
            for i, line in enumerate(data.lines):
                if line.role != role.key:
                    continue
                for slot in sorted({*line_slots[i], *line_next[i]}):
                    by_slot.setdefault(slot, []).append(line.member)
            slot_checks = tuple(
                SlotCheck(
                    start=slot,
                    staffed_by=tuple(by_slot.get(slot, ())),
                    outside_availability=tuple(
                        m for m in by_slot.get(slot, ()) if outside(m, slot)
                    ),
                    clashes=tuple(m for m in by_slot.get(slot, ()) if clashing(m, slot)),
                )
                for slot in slots_of(role.coverage, data.timezone, monday)
            )
            hours = sum(len(slots) for _, slots in lines)
            required = len(slot_checks)
        else:
            slot_checks = ()
            hours = sum(line.hours or 0 for line, _ in lines)
            required = role.flexible_hours or 0
        price = role.bill_rate * hours if role.bill_rate is not None else None
        role_checks.append(RoleCheck(role, slot_checks, required, hours, price))

    loads = []
    for member in data.members:
        mine = [
            (line, line_slots[i]) for i, line in enumerate(data.lines) if line.member == member.key
        ]
        if not mine:
            continue
        slots = sorted(slot for _, line_slot_list in mine for slot in line_slot_list)
        loads.append(
            MemberLoad(
                member=member,
                pitch_hours=sum(len(s) for _, s in mine) + sum(line.hours or 0 for line, _ in mine),
                roles=tuple(dict.fromkeys(line.role for line, _ in mine)),
                outside_availability=tuple(s for s in slots if outside(member.key, s)),
                clashes=tuple(s for s in slots if clashing(member.key, s)),
            )
        )

    total = Money.zero(data.currency)
    for check in role_checks:
        if check.price is not None:
            total = total + check.price
    result = CheckResult(
        timezone=data.timezone,
        week=monday,
        currency=data.currency,
        roles=tuple(role_checks),
        members=tuple(loads),
        total=total,
    )
    return replace(result, findings=tuple(describe(result, roles=roles)))


def _validate(data: CheckInput) -> None:
    role_keys = {role.key for role in data.roles}
    member_keys = {member.key for member in data.members}
    if len(role_keys) != len(data.roles):
        raise ValueError("Role keys must be unique.")
    if len(member_keys) != len(data.members):
        raise ValueError("Member keys must be unique.")
    for role in data.roles:
        if role.kind not in (COVERAGE, FLEXIBLE):
            raise ValueError(f"Role {role.key} has an unknown kind {role.kind!r}.")
        if role.bill_rate is not None and role.bill_rate.currency != data.currency:
            raise ValueError(f"Role {role.key}'s bill rate is not in {data.currency}.")
    for line in data.lines:
        if line.role not in role_keys:
            raise ValueError(f"A line names role {line.role}, which is not in the input.")
        if line.member not in member_keys:
            raise ValueError(f"A line names member {line.member}, who is not in the input.")


def availability_intervals(windows: Iterable[Window], tz: str, monday: dt.date) -> list[Interval]:
    """The real (UTC) intervals of weekly availability ``windows`` (in ``tz``)
    for the week of ``monday`` and the weeks either side: in the member's own
    time zone that week may begin a day earlier or later."""
    zone = ZoneInfo(tz)
    intervals = []
    for offset in (-1, 0, 1):
        week = monday + dt.timedelta(weeks=offset)
        for window in windows:
            day = week + dt.timedelta(days=window.weekday)
            start = dt.datetime.combine(day, window.start, tzinfo=zone)
            end_day = day + dt.timedelta(days=1) if window.crosses_midnight else day
            end = dt.datetime.combine(end_day, window.end, tzinfo=zone)
            intervals.append((start.astimezone(dt.UTC), end.astimezone(dt.UTC)))
    return intervals


def _overlaps(slot: Slot, intervals: Sequence[Interval]) -> bool:
    end = slot + dt.timedelta(hours=1)
    return any(start < end and slot < stop for start, stop in intervals)


# --- Words for people -------------------------------------------------------------


def slot_label(slot: Slot, tz: str) -> str:
    """ "Mon 09:00" in ``tz``."""
    local = slot.astimezone(ZoneInfo(tz))
    return f"{DAY_LABELS[local.weekday()]} {local:%H:%M}"


def intervals_label(slots: Iterable[Slot], tz: str) -> list[str]:
    """Consecutive slots joined into spans of real time, each as "Mon 09:00-17:00"
    in ``tz`` (a span into the next day says "Mon 22:00-Tue 06:00")."""
    zone = ZoneInfo(tz)
    labels = []
    for start, end in slots_to_intervals(slots):
        first, last = start.astimezone(zone), end.astimezone(zone)
        day = DAY_LABELS[first.weekday()]
        if last.date() == first.date():
            labels.append(f"{day} {first:%H:%M}-{last:%H:%M}")
        elif last.date() == first.date() + dt.timedelta(days=1) and last.time() == dt.time(0):
            labels.append(f"{day} {first:%H:%M}-24:00")
        else:
            labels.append(f"{day} {first:%H:%M}-{DAY_LABELS[last.weekday()]} {last:%H:%M}")
    return labels


def describe(result: CheckResult, *, roles: dict[int, RoleInput] | None = None) -> list[str]:
    """The check's findings as sentences, times in the job's time zone."""
    roles = roles or {check.role.key: check.role for check in result.roles}
    tz = result.timezone
    names = {load.member.key: load.member.name for load in result.members}
    found: list[str] = []
    for check in result.roles:
        title = check.role.title
        if check.role.kind == COVERAGE:
            found.append(f"{title}: {check.staffed_hours} of {check.required_hours} hours staffed.")
            for label in intervals_label(check.unstaffed, tz):
                found.append(f"{title}: {label} is not staffed.")
            for member, name in names.items():
                outside = [s.start for s in check.slots if member in s.outside_availability]
                for label in intervals_label(outside, tz):
                    found.append(f"{title}: {label} is outside {name}'s availability.")
        else:
            found.append(
                f"{title}: {check.hours} of {check.required_hours} flexible hours proposed."
            )
        if check.hours and check.price is None:
            found.append(f"{title}: no bill rate yet, so its {check.hours} hours are not priced.")
    for load in result.members:
        name = load.member.name
        if load.overloaded:
            found.append(
                f"{name}: {load.pitch_hours} h in this pitch and {load.committed_hours} h "
                f"elsewhere is {load.total_hours} h a week, over a capacity of "
                f"{load.capacity_hours} h."
            )
        if load.availability_unknown:
            found.append(f"{name} has not recorded their availability.")
        for label in intervals_label(load.clashes, tz):
            found.append(f"{name} already works {label} on another engagement.")
        if len(load.roles) > 1:
            titles = " and ".join(roles[key].title for key in load.roles if key in roles)
            found.append(
                f"{name} is proposed for {titles}: a seat has one bill rate and one pay "
                "rate, so choose one role before sending."
            )
    return found
