"""The matching engine's answer in pitch terms: team lines in
``work.services.pitches.pitch_team_parse``'s shape (weekly shifts in the
job's time zone), what each role gets, the price, the pay cost and the
margin (``proposal_read``), and the engine's reasons in the pitch builder's
words (``engine_words``). Pure: no database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from mutualist.core.money import Money
from mutualist.engines.matching.result import MatchResult
from mutualist.work.coverage import (
    DAY_NAMES,
    HOUR,
    HourWindow,
    Interval,
    Slot,
    local_hour_to_utc,
    slots_of,
    slots_to_intervals,
)
from mutualist.work.matching.facts import (
    Built,
    Candidate,
    MemberFacts,
    RoleFacts,
    role_skill,
)
from mutualist.work.pitch_check import FLEXIBLE, intervals_label

# --- Output -----------------------------------------------------------------------


@dataclass(frozen=True)
class ProposalLine:
    """A member on one role: their hours that week; on a coverage role their
    hour slots (UTC) and the weekly shifts they make in the job's time zone,
    on a flexible role a number of hours."""

    member: MemberFacts
    role: RoleFacts
    pay_rate: Money
    hours: int
    slots: tuple[Slot, ...] = ()
    shifts: tuple[HourWindow, ...] = ()

    @property
    def cost(self) -> Money:
        return self.pay_rate * self.hours

    @property
    def intervals(self) -> list[Interval]:
        """The slots joined into real intervals (UTC)."""
        return slots_to_intervals(self.slots)

    def team_item(self) -> dict[str, object]:
        """The line in ``pitch_team_parse``'s shape."""
        item: dict[str, object] = {
            "member": self.member.key,
            "job_role": self.role.key,
            "pay_rate": str(self.pay_rate.amount),
        }
        if self.role.kind == FLEXIBLE:
            item["hours"] = self.hours
        else:
            item["shifts"] = [window_item(window) for window in self.shifts]
        return item


@dataclass(frozen=True)
class ProposalRole:
    """What one role gets from the proposed team that week."""

    role: RoleFacts
    required_hours: int  # coverage slots that week, or the flexible hours asked
    covered_hours: int
    uncovered: tuple[Slot, ...] = ()  # coverage slots no one proposed staffs (UTC)

    @property
    def uncovered_hours(self) -> int:
        return self.required_hours - self.covered_hours

    @property
    def price(self) -> Money | None:
        """Covered hours x the bill rate; None without a bill rate."""
        if self.role.bill_rate is None:
            return None
        return self.role.bill_rate * self.covered_hours


@dataclass(frozen=True)
class Proposal:
    """The engine's answer in pitch terms.

    ``status`` is the engine's: ``optimal`` (proven cheapest), ``feasible``
    (the time limit stopped the search; ``gap`` is how far from proven),
    ``infeasible`` (no team: ``reason``, and ``uncovered`` spans per role)
    or ``unknown`` (the time limit ran out before any team). When some
    hours can be staffed by no one, the proposal is the cheapest team for
    the others and those hours are left open (``left_open``).
    """

    status: str
    gap: float | None
    seconds: float
    reason: str | None
    week: dt.date  # the Monday, in the job's time zone
    timezone: str
    currency: str
    lines: tuple[ProposalLine, ...]
    roles: tuple[ProposalRole, ...]
    candidates: tuple[Candidate, ...]
    notes: tuple[str, ...]
    left_open: bool = False

    @property
    def found(self) -> bool:
        """A team to use: the engine found one, and it has someone on it."""
        return self.status in ("optimal", "feasible") and bool(self.lines)

    @property
    def complete(self) -> bool:
        """Every hour of every role is covered."""
        return self.found and all(role.uncovered_hours == 0 for role in self.roles)

    @property
    def team_size(self) -> int:
        return len({line.member.key for line in self.lines})

    @property
    def price(self) -> Money:
        """The weekly price of the priced roles: covered hours x bill rate."""
        total = Money.zero(self.currency)
        for role in self.roles:
            if role.price is not None:
                total = total + role.price
        return total

    @property
    def pay_cost(self) -> Money:
        """What the team is paid that week: hours x pay rate (the engine's cost)."""
        total = Money.zero(self.currency)
        for line in self.lines:
            total = total + line.cost
        return total

    @property
    def unpriced(self) -> list[RoleFacts]:
        """Roles the team has hours on but the draft has no bill rate for."""
        staffed = {line.role.key for line in self.lines}
        return [r.role for r in self.roles if r.role.key in staffed and r.role.bill_rate is None]

    @property
    def margin(self) -> Money | None:
        """Price less pay cost, what funds the treasury and the mutual funds;
        None while a staffed role has no bill rate."""
        if self.unpriced:
            return None
        return self.price - self.pay_cost

    @property
    def digest(self) -> str:
        """A fingerprint of the team (who, on which role, at what rate, for
        which hours): applying a proposal can insist the team it re-solves
        is the one the coordinator saw."""
        lines = sorted(
            (
                line.member.handle,
                line.role.key,
                str(line.pay_rate.amount),
                line.hours,
                [[w.weekday, w.start_hour, w.end_hour] for w in line.shifts],
            )
            for line in self.lines
        )
        text = json.dumps([self.week.isoformat(), self.currency, lines], separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def team_input(self) -> list[dict[str, object]]:
        """The team in ``pitch_team_parse``'s shape."""
        return [line.team_item() for line in self.lines]


# --- Reading the answer -----------------------------------------------------------------


def proposal_read(result: MatchResult, built: Built, *, reason: str | None = None) -> Proposal:
    """The engine's ``result`` for ``built`` in pitch terms; ``reason``
    (words for people) replaces the engine's own."""
    roles = {str(role.key): role for role in built.roles}
    by_handle = {c.member.handle: c for c in built.candidates if c.considered}
    stand_ins = set(built.open_roles.values())
    slots: dict[tuple[str, str], set[Slot]] = {}
    for shift in result.shifts:
        if shift.member in stand_ins:
            continue
        mine = slots.setdefault((shift.member, shift.role), set())
        start = shift.start.astimezone(dt.UTC)
        while start < shift.end:
            mine.add(start)
            start += HOUR
    lines: list[ProposalLine] = []
    found = result.status in ("optimal", "feasible")
    for team_line in result.team if found else ():
        if team_line.member in stand_ins:
            continue
        candidate = by_handle[team_line.member]
        rate = candidate.rate
        if rate is None:  # pragma: no cover - only members with a rate are considered
            raise ValueError(f"{team_line.member} has no rate.")
        for role_id, hours in team_line.roles.items():
            if hours <= 0:
                continue
            role = roles[role_id]
            if role.kind == FLEXIBLE:
                lines.append(ProposalLine(candidate.member, role, rate, hours))
                continue
            taken = tuple(sorted(slots.get((team_line.member, role_id), ())))
            lines.append(
                ProposalLine(
                    candidate.member,
                    role,
                    rate,
                    len(taken),
                    slots=taken,
                    shifts=slot_windows(taken, built.timezone, built.week, role.coverage),
                )
            )
    order = {role.key: index for index, role in enumerate(built.roles)}
    lines.sort(key=lambda line: (order[line.role.key], line.slots[:1], line.member.name))
    outcomes = tuple(_role_outcome(role, lines, built) for role in built.roles)
    notes = list(built.notes)
    if found and built.open_roles:
        notes[:0] = _open_notes(outcomes, built)
    if reason is None:
        reason = engine_words(result.reason, built.roles, stand_ins=len(built.open_roles)) or None
    status = result.status
    if found and not lines:
        # Only stand-ins: every hour is left open, and there is no team to use.
        status = "infeasible"
        reason = (
            "Nobody considered can staff any hour of this job: no active member who is "
            "not left out has a role's skill, a rate in the pitch's currency and free time "
            "in its hours. See the notes beside each member."
        )
    return Proposal(
        status=status,
        gap=result.gap,
        seconds=result.seconds,
        reason=reason,
        week=built.week,
        timezone=built.timezone,
        currency=built.currency,
        lines=tuple(lines),
        roles=outcomes,
        candidates=built.candidates,
        notes=tuple(notes),
        left_open=bool(built.open_roles),
    )


def _open_notes(outcomes: Sequence[ProposalRole], built: Built) -> list[str]:
    """What the proposal leaves open, and why."""
    notes = []
    for outcome in outcomes:
        role = outcome.role
        if role.key not in built.open_roles or not outcome.uncovered_hours:
            continue
        if role.kind == FLEXIBLE:
            notes.append(
                f"{role.title}: its {outcome.uncovered_hours} hours are left open; no member "
                "considered has the skill and hours to give."
            )
            continue
        labels = ", ".join(intervals_label(outcome.uncovered, built.timezone))
        notes.append(
            f"{role.title}: {labels} ({built.timezone}) left open; no member considered with "
            "the skill is free then with hours to give."
        )
    return notes


def _role_outcome(role: RoleFacts, lines: Sequence[ProposalLine], built: Built) -> ProposalRole:
    mine = [line for line in lines if line.role.key == role.key]
    if role.kind == FLEXIBLE:
        required = role.flexible_hours or 0
        return ProposalRole(role, required, min(required, sum(line.hours for line in mine)))
    wanted = slots_of(role.coverage, built.timezone, built.week)
    staffed = {slot for line in mine for slot in line.slots}
    return ProposalRole(
        role,
        len(wanted),
        len([slot for slot in wanted if slot in staffed]),
        uncovered=tuple(slot for slot in wanted if slot not in staffed),
    )


def slot_windows(
    slots: Iterable[Slot],
    tz: str,
    monday: dt.date,
    coverage: Sequence[HourWindow] | None = None,
) -> tuple[HourWindow, ...]:
    """Hour slots (UTC) as weekly windows of ``tz``'s wall clock.

    Each slot maps back to the local hour it came from (the first time of a
    repeated hour, as the engine counts it); consecutive local hours join,
    also across an hour the clocks skip that week (it has no slot, and the
    wall clock reads on) when that hour is one of the role's ``coverage``
    hours (a shift must stay inside them). A window may cross midnight; one
    longer than 23 hours is cut at local midnights, as a weekly window is at
    most a day.
    """
    zone = ZoneInfo(tz)
    allowed = (
        None
        if coverage is None
        else {(day % 7) * 24 + hour for window in coverage for day, hour in window.local_hours()}
    )
    indices = sorted({_local_index(slot, zone, monday) for slot in slots})
    runs: list[list[int]] = []
    for index in indices:
        if runs and _joins(runs[-1][-1], index, zone, monday, allowed):
            runs[-1].append(index)
        else:
            runs.append([index])
    windows: list[HourWindow] = []
    for run in runs:
        for start, end in _pieces(run[0], run[-1] + 1):
            windows.append(HourWindow((start // 24) % 7, start % 24, end % 24 or 24))
    return tuple(windows)


def _local_index(slot: Slot, zone: ZoneInfo, monday: dt.date) -> int:
    """Hours from the Monday's midnight on the wall clock (day x 24 + hour)."""
    local = slot.astimezone(zone)
    return (local.date() - monday).days * 24 + local.hour


def _joins(
    last: int, index: int, zone: ZoneInfo, monday: dt.date, allowed: set[int] | None
) -> bool:
    if index == last + 1:
        return True
    between = range(last + 1, index)
    return len(between) <= 2 and all(
        local_hour_to_utc(monday + dt.timedelta(days=i // 24), i % 24, zone) is None
        and (allowed is None or ((i // 24) % 7) * 24 + i % 24 in allowed)
        for i in between
    )


def _pieces(start: int, end: int) -> list[tuple[int, int]]:
    """``[start, end)`` whole as long as it is at most 23 hours (a window of
    24 must start at midnight), otherwise cut at each midnight inside it."""
    if end - start <= 23:
        return [(start, end)]
    cuts = [start, *range((start // 24 + 1) * 24, end, 24), end]
    return list(zip(cuts, cuts[1:], strict=False))


def window_item(window: HourWindow) -> dict[str, object]:
    """A window in the engine's (and the API's) shape."""
    return {
        "days": [DAY_NAMES[window.weekday]],
        "start": f"{window.start_hour:02d}:00",
        "end": f"{window.end_hour:02d}:00",
    }


def engine_words(text: str | None, roles: Sequence[RoleFacts], *, stand_ins: int = 0) -> str:
    """An engine's reason in the pitch builder's words: role titles and skill
    names for the engine's ids, "the team size limit" for its parameter.

    ``stand_ins``: the reason comes from an instance with that many
    stand-ins for open hours (``instance_build``), which count in its
    figures: a team-size reason is given without them, a capacity reason
    in words only.
    """
    if not text:
        return ""
    if stand_ins and (text.startswith("Capacity:") or text.startswith("The members cannot")):
        return (
            "Even with those hours left open, the members who could do the work cannot give "
            "all the other hours within their capacity (each on one role). Consider more "
            "members, or raise capacity."
        )
    if stand_ins:
        text = _TEAM_COUNT.sub(lambda m: f"{m[1]}{int(m[2]) - stand_ins} member", text)
        text = re.sub(r"\b1 members\b", "1 member", text)
    for role in roles:
        text = text.replace(f"the skill {role_skill(role.key)!r}", f"the skill {role.skill_name}")
        text = text.replace(repr(str(role.key)), f"“{role.title}”")
    # One role per member is the pitch builder's rule, not a choice to relax.
    text = text.replace(" (one_role_per_member)", "").replace(
        ", or allow more than one role each.",
        "; a pitch keeps each member on one role, as an engagement seat has one rate.",
    )
    return text.replace("Raise max_team_size", "Raise the team size limit").replace(
        "raise max_team_size", "raise the team size limit"
    )


_TEAM_COUNT = re.compile(r"(at most |smallest team that can has )(\d+) member")
