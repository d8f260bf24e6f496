"""Hypothesis over small random instances: the engine's optimum is brute
force's, its infeasible is brute force's, every team it returns keeps every
rule, and what it says stands in the way of an infeasible one is true.

The instances (``support.small_instances``) mix daylight-saving weeks, zones
with half-hour offsets and half an hour of daylight saving, overnight
windows, ties and six-decimal rates, team-size limits, pins, exclusions and
one role per member; about four in ten have a team.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import HealthCheck, given, settings

from mutualist.engines.matching import INFEASIBLE, OPTIMAL, Instance, parse_instance, solve
from mutualist.engines.matching.tests.brute import brute_force, cheapest_teams
from mutualist.engines.matching.tests.support import small_instances, small_typed_instances
from mutualist.engines.matching.tests.validate import (
    holds,
    member_free,
    role_slots,
    spans,
    validate,
)

SETTINGS = settings(deadline=None, max_examples=250, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(small_instances())
def test_the_engine_agrees_with_brute_force(data: dict[str, Any]):
    typed = parse_instance(data)
    best = brute_force(typed)

    result = solve(data)

    if best is None:
        assert result.status == INFEASIBLE
        assert result.cost is None
        assert result.team == ()
        assert result.shifts == ()
    else:
        assert result.status == OPTIMAL
        assert result.cost == best
        assert validate(typed, result) == []


@SETTINGS
@given(small_typed_instances())
def test_the_engine_agrees_with_brute_force_on_members_real_free_time(typed: Instance):
    best = brute_force(typed)

    result = solve(typed)

    if best is None:
        assert result.status == INFEASIBLE
    else:
        assert result.status == OPTIMAL
        assert result.cost == best
        assert validate(typed, result) == []


@SETTINGS
@given(small_instances())
def test_fewest_members_keeps_the_least_cost_with_the_smallest_team(data: dict[str, Any]):
    data = {**data, "fewest_members": True}
    typed = parse_instance(data)
    best = cheapest_teams(typed)

    result = solve(data)

    if best is None:
        assert result.status == INFEASIBLE
    else:
        assert result.status == OPTIMAL
        assert (result.cost, len(result.team)) == best
        assert validate(typed, result) == []


def _brute_without(data: dict[str, Any], *keys: str):
    return brute_force(parse_instance({k: v for k, v in data.items() if k not in keys}))


@SETTINGS
@given(small_instances())
def test_an_infeasible_instance_says_truly_what_stands_in_the_way(data: dict[str, Any]):
    result = solve(data)
    if result.status != INFEASIBLE:
        return
    typed = parse_instance(data)
    assert result.reason, "an infeasible answer gives a reason"
    assert [(u.role, u.start, u.end) for u in result.uncovered] == nobody_can_staff(typed)
    for role in typed.roles:
        if role.hours is not None and not any(
            role.skill in m.skills and m.capacity > 0
            for m in typed.members
            if m.id not in typed.excluded
        ):
            assert f"{role.id!r}" in result.reason
    reason = result.reason
    if reason.startswith("No team of at most"):
        # The limit stands in the way: without it (and the pins), there is a team.
        assert _brute_without(data, "max_team_size", "pinned") is not None
    elif reason.startswith("Capacity"):
        # Capacity stands in the way whatever the team's size or pins.
        assert _brute_without(data, "max_team_size", "pinned") is None
    elif reason.startswith("No valid team includes every pinned member"):
        assert _brute_without(data, "pinned") is not None


def nobody_can_staff(typed: Instance) -> list[tuple[str, dt.datetime, dt.datetime]]:
    """Spans of each coverage role's slots that no member who is not excluded,
    has the skill and some capacity, is free for."""
    able = [m for m in typed.members if m.id not in typed.excluded and m.capacity > 0]
    free = {m.id: member_free(m, typed.week) for m in able}
    found: list[tuple[str, dt.datetime, dt.datetime]] = []
    for role in typed.roles:
        lonely = [
            slot
            for slot in role_slots(role, typed.week)
            if not any(role.skill in m.skills and holds(free[m.id], slot) for m in able)
        ]
        found.extend((role.id, start, end) for start, end in spans(lonely))
    return found
