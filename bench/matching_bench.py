"""Benchmark: the team matching engine on random pools of 100, 1,000 and 5,000 members.

Each pool (``matching_pools.py``: skills, time zones around the world,
weekly availability, rates, capacities; seeded) bids for one job: customer
support in Sydney Monday to Friday 09:00-17:00, 10 hours of bookkeeping and
8 of social media, at most five people. For every size and seed:

1. ``solve(pool)`` is timed, wall clock, from the JSON-shaped dict (so the
   parse is inside, as for the command line and the API), one warm-up on a
   small pool first (imports, zone caches), then ``repeat`` timed calls:
   best and median. ``parse_instance`` alone is timed the same way, so the
   parse's share shows. One more call runs under ``tracemalloc`` for the
   peak of what Python and NumPy allocate (HiGHS's own C++ memory is not
   traced). No time limit is given but a generous one (``TIME_LIMIT``), so a
   run that hangs ends as ``feasible`` or ``unknown`` and is reported.
2. A **greedy baseline** (``greedy``), what a coordinator would do by hand:
   every hour of the coverage role in time order goes to the cheapest member
   with the skill who is free that whole hour, has capacity left and is not
   on another coverage role then; the flexible hours then go to the cheapest
   members with the skill and capacity left. A new person joins only while
   the team stays within ``max_team_size`` with a seat kept for every
   flexible role nobody on the team can do yet (with the skill and
   capacity left). It may fail (no one left
   who fits the team); that is reported, not hidden.
3. **Both answers are checked** by ``check_plan``, written here from the
   instance's JSON and ``zoneinfo``, sharing nothing with the engine: every
   slot of the coverage role staffed exactly once by a member with the skill
   who is free for the whole hour; nobody on two coverage roles at once; the
   flexible roles' hours; hours within capacity; the team size; the cost
   recomputed in ``Decimal``. An engine answer that fails, an "optimal"
   cost above the greedy's, or "infeasible" where the greedy found a team,
   is a missed target: a fast wrong answer cannot pass.

The saving is ``(greedy - optimal) / greedy``. Run it through ``bench/run.py
--only matching``.

Targets (issue #9): proven optimal (status ``optimal``) for 1,000 members in
under 1 s and for 5,000 in under 10 s, judged on the median of the timed
calls of every seed (the worst seed decides).
"""

from __future__ import annotations

import bisect
import datetime as dt
import statistics
import sys
import time
import tracemalloc
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from harness import table
from matching_pools import DAYS, pool

if TYPE_CHECKING:
    from mutualist.engines.matching import MatchResult

SRC = Path(__file__).resolve().parent.parent / "src"
SIZES = (100, 1_000, 5_000)
# Seconds within which the engine must prove the optimum, by pool size.
TARGETS = {1_000: 1.0, 5_000: 10.0}
# A guard, not a target: a solve that has not finished by then ends and is
# reported as missed (feasible, with its gap, or unknown).
TIME_LIMIT = 120.0
HOUR = 60  # minutes

Interval = tuple[int, int]  # [start, end) in epoch minutes


# --- An independent time grid (shares nothing with the engine's timegrid) -----------


def local_hour_start(zone: ZoneInfo, day: dt.date, hour: int) -> int | None:
    """Epoch minutes at which local ``hour``:00 of ``day`` starts in ``zone``;
    the first of a repeated hour, None for one the clocks skip."""
    naive = dt.datetime(day.year, day.month, day.day, hour)  # noqa: DTZ001 - a wall clock, zoned next
    aware = naive.replace(tzinfo=zone)  # fold=0: the first occurrence
    if aware.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None) != naive:
        return None
    return int(aware.timestamp()) // 60


def _hour(text: str) -> int:
    return int(text.split(":", 1)[0])


def window_starts(windows: Sequence[Mapping[str, Any]], zone: str, monday: dt.date) -> set[int]:
    """Epoch minutes of every local whole hour the JSON ``windows`` hold that week."""
    tz = ZoneInfo(zone)
    starts = set()
    for window in windows:
        start, end = _hour(window["start"]), _hour(window["end"])
        hours = (end - start) % 24 or 24
        for name in window["days"]:
            for i in range(hours):
                day = monday + dt.timedelta(days=DAYS.index(name) + (start + i) // 24)
                minute = local_hour_start(tz, day, (start + i) % 24)
                if minute is not None:
                    starts.add(minute)
    return starts


def merged(starts: set[int]) -> list[Interval]:
    out: list[Interval] = []
    for start in sorted(starts):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], start + HOUR))
        else:
            out.append((start, start + HOUR))
    return out


def inside(free: list[Interval], start: int, end: int) -> bool:
    """[start, end) lies within one of the merged ``free`` intervals."""
    at = bisect.bisect_right(free, (start, sys.maxsize)) - 1
    return at >= 0 and free[at][0] <= start and end <= free[at][1]


class Grid:
    """The JSON instance's roles and members, with each coverage role's slots
    and (lazily) each member's free time: the availability pattern of the
    weeks before, of and after the one planned, as the issue says."""

    def __init__(self, instance: Mapping[str, Any]) -> None:
        self.monday = dt.date.fromisoformat(instance["week"])
        self.roles = {role["id"]: role for role in instance["roles"]}
        self.members = {member["id"]: member for member in instance["members"]}
        self.rates = {mid: Decimal(m["rate"]) for mid, m in self.members.items()}
        self.max_team_size: int | None = instance.get("max_team_size")
        self.slots = {
            rid: sorted(window_starts(role["coverage"], role["timezone"], self.monday))
            for rid, role in self.roles.items()
            if "coverage" in role
        }
        self._free: dict[str, list[Interval]] = {}

    def free(self, member_id: str) -> list[Interval]:
        if member_id not in self._free:
            member = self.members[member_id]
            starts: set[int] = set()
            for weeks in (-1, 0, 1):
                starts |= window_starts(
                    member.get("availability", []),
                    member["timezone"],
                    self.monday + dt.timedelta(weeks=weeks),
                )
            self._free[member_id] = merged(starts)
        return self._free[member_id]

    def can_staff(self, member_id: str, slot: int) -> bool:
        return inside(self.free(member_id), slot, slot + HOUR)


# --- A plan (the engine's or the greedy's), and its check --------------------------


@dataclass
class Plan:
    hours: dict[str, dict[str, int]]  # member -> role -> hours, as claimed
    staffed: list[tuple[str, int, str]]  # (coverage role, slot start, member), every hour
    cost: Decimal  # as claimed
    line_costs: dict[str, Decimal] = field(default_factory=dict)  # as claimed, if any


def plan_of(result: MatchResult) -> Plan:
    staffed: list[tuple[str, int, str]] = []
    for shift in result.shifts:
        start, end = int(shift.start.timestamp()) // 60, int(shift.end.timestamp()) // 60
        staffed.extend((shift.role, slot, shift.member) for slot in range(start, end, HOUR))
    assert result.cost is not None
    return Plan(
        hours={line.member: dict(line.roles) for line in result.team},
        staffed=staffed,
        cost=result.cost,
        line_costs={line.member: line.cost for line in result.team},
    )


def check_plan(grid: Grid, plan: Plan) -> list[str]:
    """What is wrong with ``plan``, as sentences; empty when it keeps every rule."""
    problems: list[str] = []
    staffed_hours: dict[tuple[str, str], int] = defaultdict(int)
    by_slot: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    busy: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for role_id, slot, member_id in plan.staffed:
        if member_id not in grid.members or role_id not in grid.slots:
            problems.append(f"unknown member {member_id!r} or coverage role {role_id!r}")
            continue
        by_slot[role_id][slot].append(member_id)
        staffed_hours[member_id, role_id] += 1
        busy[member_id].append((slot, role_id))
        if grid.roles[role_id]["skill"] not in grid.members[member_id]["skills"]:
            problems.append(f"{member_id} staffs {role_id} without its skill")
        if not grid.can_staff(member_id, slot):
            problems.append(f"{member_id} staffs {role_id} at minute {slot} while not free")
    for role_id, slots in grid.slots.items():
        for slot in slots:
            who = by_slot[role_id].pop(slot, [])
            if len(who) != 1:
                problems.append(f"{role_id} slot at minute {slot} staffed {len(who)} times")
        for slot in by_slot[role_id]:
            problems.append(f"{role_id} staffed at minute {slot}, which is not one of its slots")
    for member_id, hours in busy.items():
        hours.sort()
        for (a, role_a), (b, role_b) in zip(hours, hours[1:], strict=False):
            if b - a < HOUR:
                problems.append(f"{member_id} on {role_a} and {role_b} at once (minute {b})")
    flexible: dict[str, int] = defaultdict(int)
    cost = Decimal(0)
    for member_id, roles in plan.hours.items():
        if member_id not in grid.members:
            problems.append(f"unknown member {member_id!r} on the team")
            continue
        member = grid.members[member_id]
        total = sum(roles.values())
        if total < 1 or any(h < 0 for h in roles.values()):
            problems.append(f"{member_id} is on the team with hours {roles}")
        if total > member["capacity"]:
            problems.append(f"{member_id} works {total} h, capacity {member['capacity']}")
        line = total * grid.rates[member_id]
        cost += line
        if member_id in plan.line_costs and plan.line_costs[member_id] != line:
            problems.append(f"{member_id}'s line costs {plan.line_costs[member_id]}, not {line}")
        for role_id, h in roles.items():
            role = grid.roles.get(role_id)
            if role is None:
                problems.append(f"{member_id} has hours on unknown role {role_id!r}")
            elif "coverage" in role:
                if h != staffed_hours.get((member_id, role_id), 0):
                    problems.append(f"{member_id}'s {role_id} hours {h} differ from the shifts")
            else:
                flexible[role_id] += h
                if h and role["skill"] not in member["skills"]:
                    problems.append(f"{member_id} on {role_id} without its skill")
    for (member_id, role_id), h in staffed_hours.items():
        if plan.hours.get(member_id, {}).get(role_id) != h:
            problems.append(f"{member_id} has {h} h of {role_id} shifts not on the team line")
    for role_id, role in grid.roles.items():
        if "hours" in role and flexible[role_id] != role["hours"]:
            problems.append(f"{role_id} gets {flexible[role_id]} h, needs {role['hours']}")
    if grid.max_team_size is not None and len(plan.hours) > grid.max_team_size:
        problems.append(f"team of {len(plan.hours)}, limit {grid.max_team_size}")
    if cost != plan.cost:
        problems.append(f"cost claimed {plan.cost}, recomputed {cost}")
    return problems


# --- The greedy baseline -----------------------------------------------------------


@dataclass(frozen=True)
class Greedy:
    plan: Plan | None
    failure: str | None  # why it gave up, when plan is None


def greedy(instance: Mapping[str, Any]) -> Greedy:
    """The cheapest member free each hour, hour by hour; then the flexible
    hours to the cheapest with the skill (module docstring)."""
    grid = Grid(instance)
    limit = grid.max_team_size
    left = {mid: int(m["capacity"]) for mid, m in grid.members.items()}
    hours: dict[str, dict[str, int]] = {}
    busy: dict[str, list[int]] = defaultdict(list)
    staffed: list[tuple[str, int, str]] = []
    flexible = [role for role in grid.roles.values() if "hours" in role]

    def cheapest(skill: str) -> list[str]:
        return sorted(
            (mid for mid, m in grid.members.items() if skill in m["skills"]),
            key=lambda mid: (grid.rates[mid], mid),
        )

    def may_join(member_id: str, still_flexible: Sequence[Mapping[str, Any]]) -> bool:
        if member_id in hours or limit is None:
            return True
        reserved = sum(
            1
            for role in still_flexible
            if not any(role["skill"] in grid.members[m]["skills"] and left[m] for m in hours)
            and role["skill"] not in grid.members[member_id]["skills"]
        )
        return len(hours) + 1 + reserved <= limit

    order = sorted(
        (slot, index, rid)
        for index, (rid, slots) in enumerate(grid.slots.items())
        for slot in slots
    )
    candidates = {rid: cheapest(grid.roles[rid]["skill"]) for rid in grid.slots}
    for slot, _, role_id in order:
        for member_id in candidates[role_id]:
            if (
                left[member_id] >= 1
                and all(abs(slot - other) >= HOUR for other in busy[member_id])
                and may_join(member_id, flexible)
                and grid.can_staff(member_id, slot)
            ):
                break
        else:
            return Greedy(None, f"nobody left who fits the team for {role_id} at minute {slot}")
        left[member_id] -= 1
        busy[member_id].append(slot)
        staffed.append((role_id, slot, member_id))
        roles = hours.setdefault(member_id, {})
        roles[role_id] = roles.get(role_id, 0) + 1
    for index, role in enumerate(flexible):
        need = int(role["hours"])
        for member_id in cheapest(role["skill"]):
            if need == 0:
                break
            if left[member_id] >= 1 and may_join(member_id, flexible[index + 1 :]):
                take = min(need, left[member_id])
                need -= take
                left[member_id] -= take
                roles = hours.setdefault(member_id, {})
                roles[role["id"]] = roles.get(role["id"], 0) + take
        if need:
            return Greedy(None, f"{need} h of {role['id']} left with nobody who fits the team")
    cost = sum((sum(roles.values()) * grid.rates[mid] for mid, roles in hours.items()), Decimal(0))
    return Greedy(Plan(hours=hours, staffed=staffed, cost=cost), None)


# --- Measuring -----------------------------------------------------------------------


@dataclass
class Run:
    size: int
    seed: int
    status: str
    cost: Decimal | None
    gap: float | None
    team: int
    solve_s: list[float]  # each timed call, parse included
    parse_ms: float  # median of parse_instance alone
    peak_mib: float
    stats: Mapping[str, int]
    greedy: Greedy
    greedy_ms: float  # median
    problems: list[str]  # the checks' findings, engine and greedy

    @property
    def best(self) -> float:
        return min(self.solve_s)

    @property
    def median(self) -> float:
        return statistics.median(self.solve_s)

    @property
    def saving(self) -> float | None:
        """(greedy - optimal) / greedy, in %."""
        if self.cost is None or self.greedy.plan is None or not self.greedy.plan.cost:
            return None
        return float((self.greedy.plan.cost - self.cost) / self.greedy.plan.cost * 100)


def _timed(call: Any, repeat: int) -> tuple[list[float], Any]:
    times, value = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        value = call()
        times.append(time.perf_counter() - started)
    return times, value


def measure_pool(size: int, seed: int, repeat: int) -> Run:
    from mutualist.engines.matching import INFEASIBLE, OPTIMAL, parse_instance, solve

    instance = pool(size, seed)
    parse_times, _ = _timed(lambda: parse_instance(instance), repeat)
    results = []
    solve_times = []
    for _ in range(repeat):
        started = time.perf_counter()
        results.append(solve(instance, time_limit=TIME_LIMIT))
        solve_times.append(time.perf_counter() - started)
    result = results[-1]
    tracemalloc.start()
    tracemalloc.reset_peak()
    solve(instance, time_limit=TIME_LIMIT)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    where = f"{size:,} members, seed {seed}"
    problems = []
    grid = Grid(instance)
    for index, each in enumerate(results):
        if (each.status, each.cost) != (result.status, result.cost):
            problems.append(
                f"{where}: call {index + 1} answered {each.status} {each.cost}, "
                f"the last {result.status} {result.cost}"
            )
        if each.found:
            problems += [f"{where}: engine: {p}" for p in check_plan(grid, plan_of(each))]
    greedy_times, base = _timed(lambda: greedy(instance), repeat)
    if base.plan is not None:
        problems += [f"{where}: greedy: {p}" for p in check_plan(grid, base.plan)]
        if result.status == OPTIMAL and result.cost is not None and result.cost > base.plan.cost:
            problems.append(
                f"{where}: the engine's optimal {result.cost} costs more than the greedy's "
                f"{base.plan.cost}"
            )
        if result.status == INFEASIBLE:
            problems.append(f"{where}: the engine says infeasible, the greedy found a team")
    return Run(
        size=size,
        seed=seed,
        status=result.status,
        cost=result.cost,
        gap=result.gap,
        team=len(result.team),
        solve_s=solve_times,
        parse_ms=statistics.median(parse_times) * 1000,
        peak_mib=peak / 2**20,
        stats=dict(result.stats),
        greedy=base,
        greedy_ms=statistics.median(greedy_times) * 1000,
        problems=problems,
    )


def run_matching(
    *, sizes: Sequence[int] = SIZES, seeds: int = 3, repeat: int = 3
) -> tuple[str, list[str]]:
    """Measure every size and seed; the report and the missed targets."""
    if str(SRC) not in sys.path:
        sys.path.insert(0, str(SRC))
    from mutualist.engines.matching import solve

    solve(pool(100, 0))  # warm-up: imports (SciPy, HiGHS), zone caches
    runs = []
    for size in sizes:
        for seed in range(1, seeds + 1):
            started = time.perf_counter()
            runs.append(measure_pool(size, seed, repeat))
            print(
                f"matching: {size:,} members, seed {seed}: {runs[-1].status} "
                f"in {runs[-1].median:.2f} s (all of it {time.perf_counter() - started:.1f} s)",
                file=sys.stderr,
            )
    missed = check_matching(runs)
    report = matching_text(runs, repeat)
    if not missed:
        report += "\n\n" + targets_text(sizes)
    return report, missed


def check_matching(runs: Sequence[Run]) -> list[str]:
    missed = []
    for run in runs:
        missed += run.problems
        target = TARGETS.get(run.size)
        if target is None:
            continue
        where = f"{run.size:,} members, seed {run.seed}"
        if run.status != "optimal":
            missed.append(f"{where}: status {run.status}, not optimal (gap {run.gap})")
        if run.median >= target:
            missed.append(
                f"{where}: solved in {run.median:.2f} s (median), target under {target:g} s"
            )
    return missed


def targets_text(sizes: Sequence[int]) -> str:
    judged = [f"{size:,} members in under {TARGETS[size]:g} s" for size in sizes if size in TARGETS]
    if not judged:
        return "No time target at these sizes; every answer passed the independent check."
    return (
        f"Targets met: proven optimal for {' and '.join(judged)} (median of the timed "
        "calls, every seed); every answer passed the independent check."
    )


def _money(value: Decimal | None) -> str:
    return "-" if value is None else f"{value:,.2f}"


def matching_text(runs: Sequence[Run], repeat: int) -> str:
    header = (
        "members",
        "seed",
        "status",
        "cost",
        "gap",
        "team",
        "best s",
        "median s",
        "parse ms",
        "peak MiB",
        "greedy cost",
        "team",
        "greedy ms",
        "saving",
    )
    rows = []
    for run in runs:
        plan = run.greedy.plan
        rows.append(
            (
                f"{run.size:,}",
                str(run.seed),
                run.status,
                _money(run.cost),
                "-" if run.gap is None else f"{run.gap:.1e}" if run.gap else "0",
                str(run.team),
                f"{run.best:.3f}",
                f"{run.median:.3f}",
                f"{run.parse_ms:.1f}",
                f"{run.peak_mib:.1f}",
                _money(plan.cost) if plan else "failed",
                str(len(plan.hours)) if plan else "-",
                f"{run.greedy_ms:.1f}",
                "-" if run.saving is None else f"{run.saving:.1f} %",
            )
        )
    lines = [table(header, rows, left=2)]
    calls = "1 call" if repeat == 1 else f"{repeat} calls"
    lines.append(f"\n(best and median of {calls} of solve(dict), parse included)")
    lines.append("\nModel (result.stats):")
    for run in runs:
        stats = ", ".join(f"{k} {v:,}" for k, v in run.stats.items()) or "none given"
        lines.append(f"  {run.size:,}/{run.seed}: {stats}")
    failures = [run for run in runs if run.greedy.failure]
    if failures:
        lines.append("\nGreedy failures:")
        lines += [f"  {r.size:,}/{r.seed}: {r.greedy.failure}" for r in failures]
    return "\n".join(lines)
