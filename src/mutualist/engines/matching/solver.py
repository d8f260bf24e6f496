"""The cheapest team: a mixed-integer linear programme solved by HiGHS.

Variables
---------
- ``x[m, r, t]`` (0/1): member ``m`` staffs hour slot ``t`` of coverage role
  ``r``; only for pairs where ``m`` has the skill and is free that whole hour.
- ``h[m, f]`` (integer): ``m``'s hours on flexible role ``f``.
- ``y[m]`` (0/1), with a team-size limit or pinned members: ``m`` may work.
- ``z[m, r]`` (0/1), with ``one_role_per_member``: ``m`` works role ``r``.

Constraints
-----------
- each coverage slot: ``sum_m x = 1``; each flexible role: ``sum_m h = hours``;
- each member: ``sum x + sum h <= capacity`` (times ``y[m]`` when there is one);
- each member and instant: the slots of different coverage roles that overlap
  it sum to at most 1 (one role at a time);
- ``sum_m y <= max_team_size``; a pinned member has ``y = 1`` and one hour at least;
- ``one_role_per_member``: ``x, h <= z`` in aggregate and ``sum_r z[m, r] <= 1``.

The objective is the sum of hours x rate, with the rates scaled to whole
numbers (``10 ** places``) so the solver's optimum is exact, and HiGHS runs
with a relative gap of zero: ``optimal`` means proven.

Without a team-size limit, pins or ``one_role_per_member`` the model is a
min-cost flow and its linear relaxation is already whole.

Before the solver, an exact reduction when there is a team-size limit ``K``:
a member who is *dominated* by ``K`` others (each at most as dear, with at
least as much capacity, and able to staff every slot and role the member
can) is never needed. In any team of at most ``K`` that uses the member, one
of their ``K`` dominators is idle and can take all their hours for no more
money, so some optimal team uses none of them. Ties are broken by the
members' order, so of identical members only the first ``K`` stay.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
from babel.numbers import get_currency_precision
from numpy.typing import NDArray
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_array

from mutualist.engines.matching.instance import Instance, InstanceError, Member, parse_instance
from mutualist.engines.matching.result import (
    FEASIBLE,
    INFEASIBLE,
    OPTIMAL,
    UNKNOWN,
    MatchResult,
    Shift,
    TeamLine,
    Uncovered,
)
from mutualist.engines.matching.timegrid import (
    HOUR,
    from_minutes,
    member_free,
    role_slots,
    spans,
    staffable,
)

_Remaining = Callable[[], float | None]
_OUT_OF_TIME = (
    "No team keeps every rule; the time limit ran out before the engine could tell which "
    "rule stands in the way. Give it more time to find out."
)

# HiGHS statuses as scipy.optimize.milp reports them.
_MILP_OPTIMAL, _MILP_LIMIT, _MILP_INFEASIBLE = 0, 1, 2


@dataclass
class _Candidate:
    """A member the model may use: what they can staff, and for how much."""

    index: int  # into instance.members
    member: Member
    capacity: int
    coverage: dict[int, list[int]] = field(default_factory=dict)  # role index -> global slot ids
    flexible: list[int] = field(default_factory=list)  # flexible role indices

    @property
    def possible_hours(self) -> int:
        return sum(len(slots) for slots in self.coverage.values())


@dataclass
class _Problem:
    instance: Instance
    slots: list[list[int]]  # per role: sorted slot starts (epoch minutes); [] for a flexible role
    slot_ids: list[list[int]]  # per role: global slot ids, parallel to ``slots``
    slot_role: list[int]  # global slot id -> role index
    slot_start: list[int]  # global slot id -> epoch minutes
    candidates: list[_Candidate]
    scale: int  # rates x scale are whole numbers
    places: int  # decimal places of the cost


@dataclass
class _Model:
    """The MILP's arrays, and what each variable means."""

    c: NDArray[np.float64]
    integrality: NDArray[np.int_]
    lower: NDArray[np.float64]
    upper: NDArray[np.float64]
    rows: list[int]
    cols: list[int]
    vals: list[float]
    row_low: list[float]
    row_high: list[float]
    x: list[tuple[int, int]]  # x var -> (candidate, global slot id)
    h: list[tuple[int, int]]  # h var -> (candidate, flexible role index)
    offset_h: int
    team_vars: list[list[int]]  # per candidate: the y var, or its z vars (to count the team)

    @property
    def size(self) -> tuple[int, int]:
        return len(self.c), len(self.row_low)


def solve(
    instance: Instance | Mapping[str, object], *, time_limit: float | None = None
) -> MatchResult:
    """The cheapest team for ``instance`` (typed, or the JSON shape).

    ``time_limit`` (seconds, wall clock, counted from the call) stops the
    search: the best team found so far comes back as ``feasible`` with its
    proven ``gap``. The preparation before the search (reading availability,
    about 0.3 s for 5,000 members) is not cut short. Raises ``InstanceError``
    for a malformed instance or limit, or one whose costs are too large to
    be optimised exactly.
    """
    started = time.perf_counter()
    if time_limit is not None and (
        isinstance(time_limit, bool)
        or not isinstance(time_limit, int | float)
        or not (math.isfinite(time_limit) and time_limit > 0)
    ):
        raise InstanceError("time_limit", "give a number of seconds above 0.")
    typed = instance if isinstance(instance, Instance) else parse_instance(instance)
    problem = _problem(typed)
    _check_exact(problem)

    def elapsed() -> float:
        return round(time.perf_counter() - started, 3)

    def remaining() -> float | None:
        if time_limit is None:
            return None
        return max(time_limit - (time.perf_counter() - started), 0.001)

    refusal = _precheck(problem)
    if refusal is not None:
        uncovered, reason = refusal
        return MatchResult(
            status=INFEASIBLE,
            cost=None,
            gap=None,
            seconds=elapsed(),
            uncovered=uncovered,
            reason=reason,
            currency=typed.currency,
            stats=_stats(problem, None, considered=len(problem.candidates)),
        )

    considered = _prune(problem, typed.max_team_size)
    model = _model(problem, considered, team_limit=True, pins=True)
    outcome = _run(model, remaining())
    stats = _stats(problem, model, considered=len(considered))
    if outcome.x is None:
        if outcome.status == _MILP_INFEASIBLE:
            reason = _diagnose(problem, remaining)
            return MatchResult(
                status=INFEASIBLE,
                cost=None,
                gap=None,
                seconds=elapsed(),
                reason=reason,
                currency=typed.currency,
                stats=stats,
            )
        return MatchResult(
            status=UNKNOWN,
            cost=None,
            gap=None,
            seconds=elapsed(),
            reason=(
                "The time limit ran out before any team was found; give the search more time."
                if outcome.status == _MILP_LIMIT
                else f"The solver stopped without a team: {outcome.message}"
            ),
            currency=typed.currency,
            stats=stats,
        )
    optimal = outcome.status == _MILP_OPTIMAL
    note: str | None = None
    gap = 0.0 if optimal else float(outcome.mip_gap if outcome.mip_gap is not None else math.inf)
    team, shifts, cost = _answer(problem, considered, model, outcome.x)
    if optimal and typed.fewest_members and len(team) > 1:
        # Among the teams of that least cost, one with the fewest members: the
        # cost is unchanged, so the answer stays proven optimal; if time runs
        # out, the best such team found so far (or the first) is kept.
        cheapest = int(cost * problem.scale)
        fewest = _model(
            problem, considered, team_limit=True, pins=True, objective="team", cost_cap=cheapest
        )
        smaller = _run(fewest, remaining())
        if smaller.x is not None:
            team, shifts, cost = _answer(problem, considered, fewest, smaller.x)
        if smaller.status != _MILP_OPTIMAL:
            note = (
                "The team is the cheapest, proven; the time limit ran out before a team "
                "of that cost with fewer members could be ruled out."
            )
    return MatchResult(
        status=OPTIMAL if optimal else FEASIBLE,
        cost=cost,
        gap=gap if math.isfinite(gap) else None,
        seconds=elapsed(),
        team=team,
        shifts=shifts,
        reason=note,
        currency=typed.currency,
        stats=stats,
    )


# --- The problem ---------------------------------------------------------------------


def _problem(instance: Instance) -> _Problem:
    slots = [role_slots(role, instance.week) for role in instance.roles]
    slot_ids: list[list[int]] = []
    slot_role: list[int] = []
    slot_start: list[int] = []
    for index, starts in enumerate(slots):
        slot_ids.append(list(range(len(slot_start), len(slot_start) + len(starts))))
        slot_role.extend([index] * len(starts))
        slot_start.extend(starts)

    candidates = []
    for index, member in enumerate(instance.members):
        if member.id in instance.excluded:
            continue
        candidate = _Candidate(index=index, member=member, capacity=member.capacity)
        coverage_roles = [
            r
            for r, role in enumerate(instance.roles)
            if not role.flexible and role.skill in member.skills
        ]
        if coverage_roles:
            free = member_free(member, instance.week)
            for r in coverage_roles:
                found = staffable(slots[r], free)
                if found:
                    candidate.coverage[r] = [slot_ids[r][i] for i in found]
        candidate.flexible = [
            r
            for r, role in enumerate(instance.roles)
            if role.flexible and role.skill in member.skills
        ]
        candidates.append(candidate)

    places = max((-int(m.rate.as_tuple().exponent) for m in instance.members), default=0)
    places = max(places, 0)
    # The cost shows at least the currency's minor units (none for JPY, three for KWD).
    minor = get_currency_precision(instance.currency) if instance.currency else 2
    return _Problem(
        instance=instance,
        slots=slots,
        slot_ids=slot_ids,
        slot_role=slot_role,
        slot_start=slot_start,
        candidates=candidates,
        scale=10**places,
        places=max(places, minor),
    )


# The solver works in doubles, which hold whole numbers exactly up to 2**53.
_EXACT = 2**53


def _check_exact(problem: _Problem) -> None:
    """Refuse an instance whose dearest possible team costs more (in rate x
    scale units) than a double holds exactly: past it, the solver could take
    a dearer team for the cheapest and call it proven."""
    instance = problem.instance
    hours = len(problem.slot_start) + sum(role.hours or 0 for role in instance.roles)
    dearest = max((m.rate for m in instance.members), default=Decimal(0))
    if dearest * problem.scale * hours >= _EXACT:
        raise InstanceError(
            "members",
            f"rates up to {dearest} with {len(str(problem.scale)) - 1} decimal places over "
            f"{hours} hours are too large to be optimised exactly; give rates with fewer "
            "decimal places, or in a larger unit.",
        )


def _useful(candidate: _Candidate) -> bool:
    return candidate.capacity > 0 and bool(candidate.coverage or candidate.flexible)


def _precheck(problem: _Problem) -> tuple[tuple[Uncovered, ...], str] | None:
    """Refusals that need no solver: hours nobody can staff, flexible roles
    nobody can do, pinned members who can do nothing."""
    instance = problem.instance
    useful = [c for c in problem.candidates if _useful(c)]
    staffed = {slot for c in useful for slots in c.coverage.values() for slot in slots}
    uncovered: list[Uncovered] = []
    reasons: list[str] = []
    for r, role in enumerate(instance.roles):
        if role.flexible:
            if not any(r in c.flexible for c in useful):
                reasons.append(
                    f"Nobody with the skill {role.skill!r} and some capacity is available for "
                    f"the {role.hours} flexible hours of {role.id!r}."
                )
            continue
        if not problem.slots[r]:
            continue
        open_slots = [
            problem.slot_start[slot] for slot in problem.slot_ids[r] if slot not in staffed
        ]
        for start, end in spans(open_slots):
            uncovered.append(
                Uncovered(role=role.id, start=from_minutes(start), end=from_minutes(end))
            )
        if open_slots:
            reasons.append(
                f"{len(open_slots)} of the {len(problem.slots[r])} hours of {role.id!r} have "
                f"nobody with the skill {role.skill!r} who is free that whole hour and has capacity."
            )
    for c in problem.candidates:
        if c.member.id in instance.pinned and not _useful(c):
            reasons.append(
                f"{c.member.id!r} is pinned but cannot be given any hour (no matching skill, "
                "no free hour in the role's hours, or no capacity)."
            )
    if not reasons:
        return None
    return tuple(uncovered), " ".join(reasons)


def _prune(problem: _Problem, limit: int | None) -> list[_Candidate]:
    """The candidates worth a variable: useful ones, less those dominated by
    ``limit`` others, when no team needs more than ``limit`` members (see the
    module's docstring). A dominator needs capacity for all a member could
    ever be given (their capacity, or fewer if they can do fewer hours)."""
    instance = problem.instance
    useful = [c for c in problem.candidates if _useful(c)]
    if limit is None or len(useful) <= limit or instance.uncounted:
        # (With members the limit does not count, the exchange argument does
        # not hold: such an instance is small, and solved whole.)
        return useful
    total_hours = len(problem.slot_start) + sum(r.hours or 0 for r in instance.roles)
    positions = len(problem.slot_start) + len(instance.roles)
    words = (positions + 63) // 64
    masks = np.zeros((len(useful), words), dtype=np.uint64)
    for row, c in enumerate(useful):
        bits = [slot for slots in c.coverage.values() for slot in slots]
        bits += [len(problem.slot_start) + r for r in c.flexible]
        for bit in bits:
            masks[row, bit // 64] |= np.uint64(1) << np.uint64(bit % 64)
    # What a member can give at most, and what they could ever be asked for.
    capacity = np.array([min(c.capacity, total_hours) for c in useful], dtype=np.int64)
    flexible = [role.hours or 0 for role in instance.roles]
    asked = np.array(
        [min(c.capacity, c.possible_hours + sum(flexible[r] for r in c.flexible)) for c in useful],
        dtype=np.int64,
    )
    # The order that breaks ties: cheaper first, then more capacity, then the instance's order.
    order = sorted(range(len(useful)), key=lambda i: (useful[i].member.rate, -capacity[i], i))
    masks, capacity, asked = masks[order], capacity[order], asked[order]
    keep: list[_Candidate] = []
    for position, i in enumerate(order):
        candidate = useful[i]
        if candidate.member.id in instance.pinned or position < limit:
            keep.append(candidate)
            continue
        mine = masks[position]
        covers = np.all((masks[:position] & mine) == mine, axis=1)
        dominators = np.count_nonzero(covers & (capacity[:position] >= asked[position]))
        if dominators < limit:
            keep.append(candidate)
    keep.sort(key=lambda c: c.index)
    return keep


# --- The model -----------------------------------------------------------------------


def _model(
    problem: _Problem,
    candidates: Sequence[_Candidate],
    *,
    team_limit: bool,
    pins: bool,
    objective: str = "cost",
    cost_cap: int | None = None,
    one_role: bool | None = None,
    overlap: bool = True,
) -> _Model:
    """The MILP over ``candidates``. ``objective`` is ``cost`` (the engine's),
    ``team`` (fewest members) or ``hours`` (most hours staffed, with the
    cover rows relaxed to at most: for explaining an infeasible instance).
    ``cost_cap`` bounds the cost (in rate x scale units): the cheapest
    teams, for the ``fewest_members`` tie-break. ``one_role`` overrides the
    instance's ``one_role_per_member`` and ``overlap=False`` drops the one
    role at a time rows (to tell whether either stands in the way)."""
    instance = problem.instance
    limit = instance.max_team_size if team_limit else None
    pinned = instance.pinned if pins else frozenset()
    one_role = instance.one_role_per_member if one_role is None else one_role
    needs_y = (limit is not None or bool(pinned) or objective == "team") and not one_role

    x: list[tuple[int, int]] = []
    h: list[tuple[int, int]] = []
    h_upper: list[int] = []
    for k, c in enumerate(candidates):
        for slots in c.coverage.values():
            x.extend((k, slot) for slot in slots)
    for k, c in enumerate(candidates):
        for r in c.flexible:
            h.append((k, r))
            h_upper.append(min(c.capacity, instance.roles[r].hours or 0))
    offset_h = len(x)
    offset_team = offset_h + len(h)
    team_vars: list[list[int]] = []
    z_of: dict[tuple[int, int], int] = {}
    n = offset_team
    for k, c in enumerate(candidates):
        if needs_y:
            team_vars.append([n])
            n += 1
        elif one_role:
            roles = sorted(set(c.coverage) | set(c.flexible))
            team_vars.append(list(range(n, n + len(roles))))
            for r in roles:
                z_of[(k, r)] = n
                n += 1
        else:
            team_vars.append([])

    rates = [c.member.rate * problem.scale for c in candidates]
    cost = np.zeros(n)
    if objective == "cost":
        cost[:offset_team] = [float(rates[k]) for k, _ in x] + [float(rates[k]) for k, _ in h]
    elif objective == "team":
        for variables in team_vars:
            cost[variables] = 1.0
    else:  # hours
        cost[:offset_team] = -1.0
    integrality = np.ones(n, dtype=np.int_)
    lower = np.zeros(n)
    upper = np.ones(n)
    upper[offset_h:offset_team] = h_upper

    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    row_low: list[float] = []
    row_high: list[float] = []

    def add_row(entries: Sequence[tuple[int, float]], low: float, high: float) -> None:
        row = len(row_low)
        for col, value in entries:
            rows.append(row)
            cols.append(col)
            vals.append(value)
        row_low.append(low)
        row_high.append(high)

    exact = objective != "hours"
    by_slot: dict[int, list[int]] = {}
    for var, (_, slot) in enumerate(x):
        by_slot.setdefault(slot, []).append(var)
    for slot in range(len(problem.slot_start)):
        add_row([(var, 1.0) for var in by_slot.get(slot, [])], 1.0 if exact else 0.0, 1.0)
    by_flexible: dict[int, list[int]] = {}
    for offset, (_, r) in enumerate(h):
        by_flexible.setdefault(r, []).append(offset_h + offset)
    for r, role in enumerate(instance.roles):
        if role.flexible:
            hours = float(role.hours or 0)
            add_row([(var, 1.0) for var in by_flexible.get(r, [])], hours if exact else 0.0, hours)

    x_of: dict[int, list[int]] = {}
    for var, (k, _) in enumerate(x):
        x_of.setdefault(k, []).append(var)
    h_of: dict[int, list[int]] = {}
    for offset, (k, _) in enumerate(h):
        h_of.setdefault(k, []).append(offset_h + offset)
    for k, c in enumerate(candidates):
        load = [(var, 1.0) for var in x_of.get(k, []) + h_of.get(k, [])]
        possible = c.possible_hours + sum(upper[var] for var in h_of.get(k, []))
        reach = float(min(c.capacity, possible))
        if needs_y:
            add_row([*load, (team_vars[k][0], -reach)], -math.inf, 0.0)
            if c.member.id in pinned:
                lower[team_vars[k][0]] = 1.0
                add_row(load, 1.0, math.inf)
        else:
            if possible > c.capacity:
                add_row(load, -math.inf, float(c.capacity))
            if one_role:
                for r, slots in c.coverage.items():
                    mine = [var for var in x_of.get(k, []) if problem.slot_role[x[var][1]] == r]
                    size = float(min(len(slots), c.capacity))
                    add_row([*[(v, 1.0) for v in mine], (z_of[(k, r)], -size)], -math.inf, 0.0)
                for var in h_of.get(k, []):
                    r = h[var - offset_h][1]
                    add_row([(var, 1.0), (z_of[(k, r)], -upper[var])], -math.inf, 0.0)
                if len(team_vars[k]) > 1:
                    add_row([(var, 1.0) for var in team_vars[k]], -math.inf, 1.0)
                if c.member.id in pinned:
                    add_row([(var, 1.0) for var in team_vars[k]], 1.0, math.inf)
                    add_row(load, 1.0, math.inf)
        # One coverage role at a time: at each instant one of their slots starts,
        # the slots covering it (of different roles: one role's slots never
        # overlap) sum to at most one.
        if overlap and len(c.coverage) > 1:
            timeline = sorted(
                (problem.slot_start[x[var][1]], var, problem.slot_role[x[var][1]])
                for var in x_of.get(k, [])
            )
            starts = [start for start, _, _ in timeline]
            for point in sorted(set(starts)):
                low = _first_at_least(starts, point - HOUR + 1)
                group = [(var, role) for start, var, role in timeline[low:] if start <= point]
                if len(group) > 1:
                    add_row([(var, 1.0) for var, _ in group], -math.inf, 1.0)
    if limit is not None:
        every = [
            var
            for k, variables in enumerate(team_vars)
            if candidates[k].member.id not in instance.uncounted
            for var in variables
        ]
        add_row([(var, 1.0) for var in every], -math.inf, float(limit))
    if cost_cap is not None:
        paid = [(var, float(rates[k])) for var, (k, _) in enumerate(x)]
        paid += [(offset_h + offset, float(rates[k])) for offset, (k, _) in enumerate(h)]
        # Costs are whole numbers: half a unit of room absorbs rounding in the row.
        add_row(paid, -math.inf, float(cost_cap) + 0.5)

    return _Model(
        c=cost,
        integrality=integrality,
        lower=lower,
        upper=upper,
        rows=rows,
        cols=cols,
        vals=vals,
        row_low=row_low,
        row_high=row_high,
        x=x,
        h=h,
        offset_h=offset_h,
        team_vars=team_vars,
    )


def _first_at_least(values: Sequence[int], target: int) -> int:
    low, high = 0, len(values)
    while low < high:
        middle = (low + high) // 2
        if values[middle] < target:
            low = middle + 1
        else:
            high = middle
    return low


@dataclass(frozen=True)
class _Outcome:
    status: int
    x: NDArray[np.float64] | None
    mip_gap: float | None
    message: str


def _run(model: _Model, time_limit: float | None) -> _Outcome:
    n, m = model.size
    if n == 0:
        # Nothing to decide: feasible only if no row needs anything.
        empty = all(
            low <= 0.0 <= high for low, high in zip(model.row_low, model.row_high, strict=True)
        )
        return _Outcome(
            _MILP_OPTIMAL if empty else _MILP_INFEASIBLE,
            np.zeros(0) if empty else None,
            0.0,
            "",
        )
    options: dict[str, object] = {"disp": False, "presolve": True, "mip_rel_gap": 0.0}
    if time_limit is not None:
        options["time_limit"] = time_limit
    constraints = []
    if m:
        matrix = coo_array((model.vals, (model.rows, model.cols)), shape=(m, n)).tocsr()
        constraints.append(LinearConstraint(matrix, model.row_low, model.row_high))
    result = milp(
        model.c,
        integrality=model.integrality,
        bounds=Bounds(model.lower, model.upper),
        constraints=constraints,
        options=options,
    )
    gap = getattr(result, "mip_gap", None)
    return _Outcome(
        status=int(result.status),
        x=None if result.x is None else np.asarray(result.x, dtype=np.float64),
        mip_gap=None if gap is None else float(gap),
        message=str(result.message),
    )


# --- The answer ----------------------------------------------------------------------


def _answer(
    problem: _Problem,
    candidates: Sequence[_Candidate],
    model: _Model,
    values: NDArray[np.float64],
) -> tuple[tuple[TeamLine, ...], tuple[Shift, ...], Decimal]:
    instance = problem.instance
    whole = np.rint(values).astype(np.int64)
    hours: dict[int, dict[int, int]] = {}  # candidate -> role index -> hours
    slots: dict[tuple[int, int], list[int]] = {}  # (role, candidate) -> slot starts
    for var, (k, slot) in enumerate(model.x):
        if whole[var] == 1:
            role = problem.slot_role[slot]
            hours.setdefault(k, {}).setdefault(role, 0)
            hours[k][role] += 1
            slots.setdefault((role, k), []).append(problem.slot_start[slot])
    for offset, (k, r) in enumerate(model.h):
        amount = int(whole[model.offset_h + offset])
        if amount > 0:
            hours.setdefault(k, {}).setdefault(r, 0)
            hours[k][r] += amount

    quantum = Decimal(1).scaleb(-problem.places)
    team = []
    total = Decimal(0)
    for k in sorted(hours, key=lambda k: candidates[k].index):
        member = candidates[k].member
        by_role = {
            instance.roles[r].id: count for r, count in sorted(hours[k].items()) if count > 0
        }
        worked = sum(by_role.values())
        cost = (member.rate * worked).quantize(quantum)
        total += cost
        team.append(TeamLine(member=member.id, hours=worked, roles=by_role, cost=cost))
    shifts = [
        Shift(
            role=instance.roles[role].id,
            member=candidates[k].member.id,
            start=from_minutes(start),
            end=from_minutes(end),
        )
        for (role, k), starts in slots.items()
        for start, end in spans(starts)
    ]
    order = {role.id: r for r, role in enumerate(instance.roles)}
    shifts.sort(key=lambda s: (order[s.role], s.start, s.member))
    return tuple(team), tuple(shifts), total.quantize(quantum)


def _stats(problem: _Problem, model: _Model | None, *, considered: int) -> dict[str, int]:
    variables, constraints = model.size if model is not None else (0, 0)
    return {
        "members": len(problem.instance.members),
        "members_considered": considered,
        "slots": len(problem.slot_start),
        "variables": variables,
        "constraints": constraints,
    }


# --- Explaining an infeasible instance ----------------------------------------------


def _diagnose(problem: _Problem, remaining: _Remaining) -> str:
    """Why no team exists, when every hour has someone who could staff it:
    one role per member, capacity (members are shared between roles and
    hours), the team-size limit, or the pinned members."""
    instance = problem.instance
    useful = [c for c in problem.candidates if _useful(c)]
    unlimited = _model(problem, useful, team_limit=False, pins=False)
    free = _run(unlimited, remaining())
    if free.status == _MILP_INFEASIBLE and instance.one_role_per_member:
        many = _run(
            _model(problem, useful, team_limit=False, pins=False, one_role=False), remaining()
        )
        if many.x is not None:
            return (
                "No team keeps every member on one role (one_role_per_member): the hours "
                "can be staffed only if someone works two roles. Add members with these "
                "skills, or allow more than one role each."
            )
        if many.status != _MILP_INFEASIBLE:
            return _OUT_OF_TIME
    if free.status == _MILP_INFEASIBLE and _overlapping_roles(problem):
        apart = _run(
            _model(problem, useful, team_limit=False, pins=False, one_role=False, overlap=False),
            remaining(),
        )
        if apart.x is not None:
            return (
                "The hours can be staffed only if someone works two coverage roles at the "
                "same time: the roles' hours overlap and too few members can take either. "
                "Add members with these skills who are free then."
            )
        if apart.status != _MILP_INFEASIBLE:
            return _OUT_OF_TIME
    if free.status == _MILP_INFEASIBLE:
        return _capacity_reason(problem, useful, remaining)
    if free.x is None:
        return _OUT_OF_TIME
    if instance.max_team_size is not None:
        limited = _run(
            _model(problem, _prune(problem, instance.max_team_size), team_limit=True, pins=False),
            remaining(),
        )
        if limited.status != _MILP_INFEASIBLE and limited.x is None:
            return _OUT_OF_TIME
        if limited.status == _MILP_INFEASIBLE:
            # No team needs more members than this one has, so the same
            # reduction holds for the smallest team with that many.
            known = len(_answer(problem, useful, unlimited, free.x)[0])
            fewest = _model(
                problem, _prune(problem, known), team_limit=False, pins=False, objective="team"
            )
            smallest = _run(fewest, remaining())
            needed = ""
            if smallest.status == _MILP_OPTIMAL and smallest.x is not None:
                size = round(float(smallest.x @ fewest.c))
                needed = f" The smallest team that can has {_members(size)}."
            each = ", each on one role," if instance.one_role_per_member else ""
            return (
                f"No team of at most {_members(instance.max_team_size)}{each} can staff every "
                f"hour within their capacity.{needed} Raise max_team_size, or add members "
                "with more capacity or wider availability."
            )
    pinned = ", ".join(sorted(instance.pinned))
    raise_limit = " or raise max_team_size" if instance.max_team_size is not None else ""
    return (
        f"No valid team includes every pinned member ({pinned}) within the other rules "
        f"(each pinned member needs at least one hour); unpin one{raise_limit}."
    )


def _overlapping_roles(problem: _Problem) -> bool:
    """Whether slots of two different coverage roles overlap in time."""
    starts = sorted(
        (start, problem.slot_role[slot]) for slot, start in enumerate(problem.slot_start)
    )
    return any(
        later - earlier < HOUR and first != second
        for (earlier, first), (later, second) in zip(starts, starts[1:], strict=False)
    )


def _members(count: int) -> str:
    return f"{count} member" if count == 1 else f"{count} members"


def _capacity_reason(
    problem: _Problem, candidates: Sequence[_Candidate], remaining: _Remaining
) -> str:
    """Each role's hours the members can staff at most, when capacity (or one
    role at a time) leaves some unstaffed whichever team is chosen."""
    instance = problem.instance
    model = _model(
        problem,
        candidates,
        team_limit=False,
        pins=False,
        objective="hours",
        one_role=False,
        overlap=False,
    )
    most = _run(model, remaining())
    needed = len(problem.slot_start) + sum(role.hours or 0 for role in instance.roles)
    if most.x is None:
        return f"The members cannot give the {needed} hours the roles need within their capacity."
    whole = np.rint(most.x).astype(np.int64)
    staffed = [0] * len(instance.roles)
    for var, (_, slot) in enumerate(model.x):
        staffed[problem.slot_role[slot]] += int(whole[var])
    for offset, (_, r) in enumerate(model.h):
        staffed[r] += int(whole[model.offset_h + offset])
    short = []
    for r, role in enumerate(instance.roles):
        wanted = role.hours if role.flexible else len(problem.slots[r])
        short.append(f"{role.id!r} {staffed[r]} of {wanted}")
    return (
        f"Capacity: the members who could do the work can give at most {sum(staffed)} of "
        f"the {needed} hours the roles need ({', '.join(short)}) within their capacity. "
        "Add members, or raise capacity."
    )
