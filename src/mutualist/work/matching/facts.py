"""The matching engine's input as the pitch builder makes it: a job's roles
and a collective's members (``RoleFacts``, ``MemberFacts``, read by
``work.selectors.matching``), the coordinator's ``Choices``, and the engine
``Instance`` built from them (``instance_build``). Pure: no database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from mutualist.core.money import Money
from mutualist.engines.matching.instance import (
    RATE_MAX,
    Instance,
    Member,
    Role,
    Window,
    is_timezone,
)
from mutualist.members.availability import Window as AvailabilityWindow
from mutualist.work.coverage import HOUR, HourWindow, Interval, merge, monday_of
from mutualist.work.pitch_check import COVERAGE, FLEXIBLE, availability_intervals

# A week holds at most this many hours (the engine's capacity limit too).
WEEK_HOURS = 168
# Ids of the stand-ins for hours no one can staff (see ``open_roles``): a
# handle is a slug, so it never starts with "~".
OPEN_PREFIX = "~open:"

# Hours left open for a stand-in, per role: coverage spans (UTC) or flexible hours.
OpenHours = tuple[Interval, ...] | int

# Why a member is or is not in the instance (``Candidate.status``).
CONSIDERED = "considered"
PINNED = "pinned"
EXCLUDED = "excluded"
NO_SKILL = "no_skill"
NO_RATE = "no_rate"
RATE_ABOVE_BILL = "rate_above_bill"


def role_skill(role_key: int) -> str:
    """The engine skill of one job role: eligibility is per role."""
    return f"role-{role_key}"


# --- Input ------------------------------------------------------------------------


@dataclass(frozen=True)
class RoleFacts:
    """One role of the job, and the bill rate the draft offers for it."""

    key: int  # the JobRole's id
    title: str
    kind: str  # COVERAGE or FLEXIBLE
    skill: int  # the Skill's id
    skill_name: str
    coverage: tuple[HourWindow, ...] = ()  # in the job's time zone
    flexible_hours: int | None = None
    bill_rate: Money | None = None


@dataclass(frozen=True)
class MemberFacts:
    """An active member of the pitching collective as the engine needs them.

    ``rate`` is the profile's, in its own currency (None when not recorded);
    ``committed_hours`` the weekly caps of their other active engagements;
    ``busy`` the real intervals of their shifts on other live engagements
    around the week planned.
    """

    key: int  # the User's id
    handle: str
    name: str
    timezone: str
    skills: frozenset[int]
    rate: Money | None
    capacity_hours: int
    committed_hours: int = 0
    availability: tuple[AvailabilityWindow, ...] = ()
    busy: tuple[Interval, ...] = ()


@dataclass(frozen=True)
class Choices:
    """What the coordinator asked for: member keys pinned (on the team) and
    excluded (left out), pay rates given (in the pitch's currency, over the
    profile's), and a team size limit. The service has validated them."""

    max_team_size: int | None = None
    pinned: frozenset[int] = frozenset()
    excluded: frozenset[int] = frozenset()
    rates: Mapping[int, Money] = field(default_factory=dict)


@dataclass(frozen=True)
class Candidate:
    """A member as the proposal considered them: the rate used, the roles
    they may staff, the hours they have left, their free time; and, when
    they are not in the instance, why (``reason``, a sentence)."""

    member: MemberFacts
    status: str
    rate: Money | None = None
    rate_given: bool = False
    roles: tuple[int, ...] = ()
    capacity: int = 0
    free: tuple[Interval, ...] = ()
    reason: str = ""

    @property
    def considered(self) -> bool:
        return self.status in (CONSIDERED, PINNED)


@dataclass(frozen=True)
class Built:
    """An engine instance and what it was built from."""

    instance: Instance
    timezone: str  # the job's
    currency: str
    week: dt.date  # the Monday
    roles: tuple[RoleFacts, ...]
    candidates: tuple[Candidate, ...]
    notes: tuple[str, ...]
    # Stand-ins for hours no one can staff, by role key (see ``open_roles``).
    open_roles: Mapping[int, str] = field(default_factory=dict)


# --- Building the instance -----------------------------------------------------------


def candidates_of(
    *,
    roles: Sequence[RoleFacts],
    members: Sequence[MemberFacts],
    choices: Choices,
    currency: str,
    timezone: str,
    week: dt.date,
) -> list[Candidate]:
    """Each member with the rate, roles, capacity and free time the engine
    gets for them, or the reason they are left out."""
    monday = monday_of(week)
    found = []
    for member in members:
        found.append(
            _candidate(member, roles, choices, currency=currency, timezone=timezone, monday=monday)
        )
    return found


def _candidate(
    member: MemberFacts,
    roles: Sequence[RoleFacts],
    choices: Choices,
    *,
    currency: str,
    timezone: str,
    monday: dt.date,
) -> Candidate:
    name = member.name
    if member.key in choices.excluded:
        return Candidate(member, EXCLUDED, reason=f"{name} is left out, as you asked.")
    skilled = [role for role in roles if role.skill in member.skills]
    if not skilled:
        needed = ", ".join(sorted({role.skill_name for role in roles}))
        return Candidate(
            member, NO_SKILL, reason=f"{name} has none of the skills these roles need ({needed})."
        )
    given = choices.rates.get(member.key)
    rate = given
    if rate is None and member.rate is not None and member.rate.currency == currency:
        rate = member.rate
    if rate is None:
        if member.rate is None:
            why = f"{name} has recorded no rate; give one in {currency} to consider them."
        else:
            why = (
                f"{name}'s rate is in {member.rate.currency}; give a rate in {currency} to "
                "consider them (the pitch builder converts no currency)."
            )
        return Candidate(member, NO_RATE, reason=why)
    if rate.amount >= RATE_MAX:
        return Candidate(
            member, NO_RATE, rate=rate, reason=f"{name}'s rate ({rate}) is beyond what is planned."
        )
    eligible = tuple(
        role.key for role in skilled if role.bill_rate is None or rate <= role.bill_rate
    )
    if not eligible:
        above = ", ".join(f"{role.title} ({role.bill_rate})" for role in skilled)
        return Candidate(
            member,
            RATE_ABOVE_BILL,
            rate=rate,
            rate_given=given is not None,
            reason=f"{name}'s rate ({rate}) is above the bill rate of {above}: a pitch never "
            "pays a member more than the client pays for the role.",
        )
    capacity = max(0, min(WEEK_HOURS, member.capacity_hours - member.committed_hours))
    free = tuple(free_intervals(member, monday=monday))
    return Candidate(
        member,
        PINNED if member.key in choices.pinned else CONSIDERED,
        rate=rate,
        rate_given=given is not None,
        roles=eligible,
        capacity=capacity,
        free=free,
    )


def free_intervals(member: MemberFacts, *, monday: dt.date) -> list[Interval]:
    """The member's availability around the week of ``monday`` (the week
    either side too, as their own week may begin a day earlier or later),
    less their shifts on other engagements, merged (UTC). A time zone this
    machine does not know (a profile saved before a zone was retired, or
    edited in the database) gives no free time rather than an error: the
    member is considered for flexible roles only, and shown with no free hour."""
    if not is_timezone(member.timezone):
        return []
    available = merge(availability_intervals(member.availability, member.timezone, monday))
    return subtract(available, merge(member.busy))


def subtract(intervals: Sequence[Interval], taken: Sequence[Interval]) -> list[Interval]:
    """``intervals`` less ``taken``, both merged and sorted."""
    left: list[Interval] = []
    for start, end in intervals:
        cursor = start
        for busy_start, busy_end in taken:
            if busy_end <= cursor or busy_start >= end:
                continue
            if busy_start > cursor:
                left.append((cursor, busy_start))
            cursor = max(cursor, busy_end)
            if cursor >= end:
                break
        if cursor < end:
            left.append((cursor, end))
    return left


def open_roles(roles: Sequence[RoleFacts], candidates: Sequence[Candidate]) -> dict[int, OpenHours]:
    """Flexible roles no considered member may take (their hours), for a
    stand-in: see ``instance_build``."""
    found: dict[int, OpenHours] = {}
    for role in roles:
        if role.kind != FLEXIBLE:
            continue
        if not any(c.considered and c.capacity > 0 and role.key in c.roles for c in candidates):
            found[role.key] = role.flexible_hours or 0
    return found


def instance_build(
    *,
    roles: Sequence[RoleFacts],
    members: Sequence[MemberFacts],
    choices: Choices,
    currency: str,
    timezone: str,
    week: dt.date,
    open_hours: Mapping[int, OpenHours] | None = None,
    open_rate: Decimal = Decimal(0),
) -> Built:
    """The engine instance for the week of ``week`` (any day of it).

    ``open_hours`` (by role key) adds a stand-in member for hours no one can
    staff: the coverage spans the engine reported uncovered, or a flexible
    role's hours when no one may take it. A stand-in costs nothing, staffs
    only those hours and only that role, and is not counted in the team size
    (the engine's ``uncounted``),
    so the engine proposes the cheapest team for the rest and the proposal
    leaves those hours open (``proposal_read`` drops the stand-ins).

    ``open_rate`` prices a stand-in's hour instead: above what the whole
    team could ever cost, it makes the engine leave open as few hours as it
    can, and only then the cheapest team (see ``pitch_team_propose``).
    """
    monday = monday_of(week)
    candidates = candidates_of(
        roles=roles,
        members=members,
        choices=choices,
        currency=currency,
        timezone=timezone,
        week=monday,
    )
    engine_roles = tuple(_engine_role(role, timezone) for role in roles)
    engine_members = [
        Member(
            id=c.member.handle,
            skills=frozenset(role_skill(key) for key in c.roles),
            timezone=c.member.timezone if is_timezone(c.member.timezone) else "UTC",
            rate=c.rate.amount if c.rate is not None else Decimal(0),
            capacity=c.capacity,
            intervals=tuple(c.free),
        )
        for c in candidates
        if c.considered
    ]
    stand_ins: dict[int, str] = {}
    for key, hours in (open_hours or {}).items():
        if isinstance(hours, tuple):
            spans, amount = hours, sum(_hours(start, end) for start, end in hours)
        else:
            spans, amount = (), hours
        stand_ins[key] = f"{OPEN_PREFIX}{key}"
        engine_members.append(
            Member(
                id=stand_ins[key],
                skills=frozenset({role_skill(key)}),
                timezone="UTC",
                rate=open_rate,
                capacity=min(WEEK_HOURS, amount),
                intervals=spans,
            )
        )
    size = choices.max_team_size
    instance = Instance(
        week=monday,
        roles=engine_roles,
        members=tuple(engine_members),
        max_team_size=size,
        # Stand-ins are not people: the limit counts the members only.
        uncounted=frozenset(stand_ins.values()),
        currency=currency,
        pinned=frozenset(c.member.handle for c in candidates if c.status == PINNED),
        one_role_per_member=True,
        # Of the teams of least cost, the fewest people: no one on for a single hour
        # where a teammate could have taken it for the same money.
        fewest_members=True,
    )
    return Built(
        instance=instance,
        timezone=timezone,
        currency=currency,
        week=monday,
        roles=tuple(roles),
        candidates=tuple(candidates),
        notes=tuple(_notes(roles, candidates)),
        open_roles=stand_ins,
    )


def _engine_role(role: RoleFacts, timezone: str) -> Role:
    if role.kind == FLEXIBLE:
        return Role(id=str(role.key), skill=role_skill(role.key), hours=role.flexible_hours)
    return Role(
        id=str(role.key),
        skill=role_skill(role.key),
        coverage=tuple(
            Window(days=(w.weekday,), start=w.start_hour, end=w.end_hour) for w in role.coverage
        ),
        timezone=timezone,
    )


def _hours(start: dt.datetime, end: dt.datetime) -> int:
    return int((end - start) / HOUR)


def _notes(roles: Sequence[RoleFacts], candidates: Sequence[Candidate]) -> list[str]:
    """Sentences for the coordinator: who was left out and why (but those
    with none of the skills, who are many and need no note), who has no
    availability or no hours left, which roles have no bill rate."""
    notes: list[str] = []
    for role in roles:
        if role.bill_rate is None:
            notes.append(
                f"{role.title} has no bill rate yet: everyone with its skill is considered "
                "and its hours are not priced."
            )
    coverage = {role.key for role in roles if role.kind == COVERAGE}
    for c in candidates:
        name = c.member.name
        if c.status in (EXCLUDED, NO_RATE, RATE_ABOVE_BILL):
            notes.append(c.reason)
            continue
        if not c.considered:
            continue
        if not c.member.availability and coverage & set(c.roles):
            notes.append(
                f"{name} has recorded no availability: considered for flexible roles only."
            )
        if c.capacity == 0:
            notes.append(
                f"{name} has no hours left that week ({c.member.committed_hours} h committed "
                f"elsewhere, capacity {c.member.capacity_hours} h)."
            )
    return notes
