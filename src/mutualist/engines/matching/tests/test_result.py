"""The answer's JSON shape, exact costs, and honest statuses under a time limit."""

from __future__ import annotations

import functools
import json
import random
from decimal import Decimal

import pytest

from mutualist.engines.matching import (
    FEASIBLE,
    INFEASIBLE,
    OPTIMAL,
    UNKNOWN,
    InstanceError,
    MatchResult,
    parse_instance,
    solve,
)
from mutualist.engines.matching.tests.support import (
    DAYS,
    WEEKDAYS,
    coverage,
    flexible,
    instance,
    member,
    solved,
    window,
)
from mutualist.engines.matching.tests.validate import validate

TOP_KEYS = {"status", "cost", "currency", "gap", "seconds", "team", "shifts", "uncovered", "reason"}


def test_a_team_serialises_to_the_issues_shape():
    data = instance(
        [coverage("c", "s", "UTC", window(["mon"], "09:00", "11:00")), flexible("f", "s", 1)],
        [member("ana", rate="9.50")],
        currency="USD",
    )
    result = solved(data)
    shape = result.to_dict()

    assert set(shape) == TOP_KEYS
    assert shape["status"] == "optimal"
    assert shape["cost"] == "28.50"
    assert shape["currency"] == "USD"
    assert shape["gap"] == 0.0
    assert isinstance(shape["seconds"], float)
    assert shape["team"] == [
        {"member": "ana", "hours": 3, "roles": {"c": 2, "f": 1}, "cost": "28.50"}
    ]
    assert shape["shifts"] == [
        {
            "role": "c",
            "member": "ana",
            "start": "2026-11-30T09:00:00Z",
            "end": "2026-11-30T11:00:00Z",
        }
    ]
    assert shape["uncovered"] == []
    assert shape["reason"] is None
    # The JSON text says the same, numbers of money as strings.
    assert json.loads(result.to_json()) == shape
    assert json.loads(result.to_json(indent=None)) == shape
    assert '"cost": "28.50"' in result.to_json()


def test_an_infeasible_answer_serialises_with_its_uncovered_hours():
    data = instance([coverage("c", "s", "UTC", window(["mon"], "09:00", "11:00"))], [])
    shape = solve(data).to_dict()
    assert set(shape) == TOP_KEYS
    assert (shape["status"], shape["cost"], shape["gap"], shape["team"], shape["shifts"]) == (
        "infeasible",
        None,
        None,
        [],
        [],
    )
    assert shape["uncovered"] == [
        {"role": "c", "start": "2026-11-30T09:00:00Z", "end": "2026-11-30T11:00:00Z", "hours": 2}
    ]
    assert isinstance(shape["reason"], str)
    assert shape["currency"] is None


@pytest.mark.parametrize(
    ("rates", "cost"),
    [
        # Ten tenths: 1.0000000000000002 in floats.
        (["0.1"] * 10, "1.00"),
        (["0.1", "0.2"], "0.30"),
        (["10.000001", "10.000002", "10.000003"], "30.000006"),
        (["999999999.999999", "999999999.999999"], "1999999999.999998"),
    ],
    ids=["tenths", "0.1 + 0.2", "six places", "the largest rate"],
)
def test_the_cost_is_the_exact_decimal_sum(rates, cost):
    # One member per rate, each free for one hour of their own (the hour is theirs).
    members = [
        member(f"m{i}", rate=rate, availability=[window(["mon"], f"{i:02d}:00", f"{i + 1:02d}:00")])
        for i, rate in enumerate(rates)
    ]
    data = instance(
        [coverage("c", "s", "UTC", window(["mon"], "00:00", f"{len(rates):02d}:00"))], members
    )
    result = solved(data)
    assert result.status == OPTIMAL
    assert isinstance(result.cost, Decimal)
    assert result.to_dict()["cost"] == cost
    assert result.cost == sum((Decimal(rate) for rate in rates), Decimal(0))


def test_the_cheaper_of_two_rates_a_millionth_apart_wins():
    data = instance(
        [flexible("f", "s", 100)],
        [
            member("dear", rate="9999999.999999", capacity=100),
            member("cheap", rate="9999999.999998", capacity=100),
        ],
    )
    result = solved(data)
    assert [line.member for line in result.team] == ["cheap"]
    assert result.to_dict()["cost"] == "999999999.999800"


def test_rates_too_fine_for_an_exact_answer_are_refused_not_guessed():
    # 100 hours at a billion in millionths is 10**17 units: a double cannot tell
    # two such costs a millionth apart, so no answer could be proven.
    data = instance(
        [flexible("f", "s", 100)],
        [
            member("dear", rate="999999999.999999", capacity=100),
            member("cheap", rate="999999999.999998", capacity=100),
        ],
    )
    with pytest.raises(InstanceError) as caught:
        solve(data)
    assert caught.value.field == "members"


# --- A time limit ------------------------------------------------------------------------


def big_instance(seed: int, members: int = 300) -> dict[str, object]:
    """A pool in a dozen zones for a five-day Sydney role and two flexible ones,
    with a team-size limit: enough for HiGHS to branch."""
    rng = random.Random(seed)
    zones = [
        "Asia/Manila",
        "Asia/Kolkata",
        "Europe/Lisbon",
        "America/New_York",
        "Pacific/Honolulu",
        "Africa/Lagos",
        "America/Sao_Paulo",
        "Australia/Sydney",
        "Asia/Tokyo",
        "UTC",
        "Europe/Berlin",
        "America/Los_Angeles",
    ]
    pool = []
    for index in range(members):
        start = rng.randrange(24)
        pool.append(
            member(
                f"m{index}",
                rng.sample(["support", "books", "ads"], rng.randint(1, 3)),
                timezone=rng.choice(zones),
                rate=f"{rng.randint(500, 4000) / 100:.2f}",
                capacity=rng.randint(5, 40),
                availability=[
                    window(
                        rng.sample(DAYS, rng.randint(3, 6)),
                        f"{start:02d}:00",
                        f"{(start + rng.randint(4, 10)) % 24:02d}:00",
                    )
                ],
            )
        )
    return instance(
        [
            coverage("support", "support", "Australia/Sydney", window(WEEKDAYS, "08:00", "20:00")),
            flexible("books", "books", 15),
            flexible("ads", "ads", 10),
        ],
        pool,
        max_team_size=6,
        currency="USD",
    )


@functools.cache
def unhurried(seed: int, team: int) -> MatchResult:
    return solve(big_instance(seed) | {"max_team_size": team})


@pytest.mark.parametrize("limit", [0.001, 0.03, 0.1])
@pytest.mark.parametrize(
    ("seed", "team"),
    [(1, 6), (2, 6), (1, 1), (2, 2)],
    ids=["a team of 6", "another of 6", "no team of 1", "no team of 2"],
)
def test_a_time_limit_gives_an_honest_status(seed, team, limit):
    # Whatever the clock allows (no timing is asserted), the status tells the truth.
    data = big_instance(seed) | {"max_team_size": team}
    result = solve(data, time_limit=limit)
    if result.found:
        assert validate(parse_instance(data), result) == []
    if result.status == OPTIMAL:
        assert result.cost == unhurried(seed, team).cost
    elif result.status == FEASIBLE:
        best = unhurried(seed, team)
        assert best.status == OPTIMAL
        assert result.cost is not None and best.cost is not None and result.cost >= best.cost
        # The gap is proven: the team is never further from the optimum than it says.
        assert result.gap is not None
        assert (result.cost - best.cost) / result.cost <= Decimal(repr(result.gap)) + Decimal(
            "1e-9"
        )
    elif result.status == UNKNOWN:
        assert (result.cost, result.gap, result.team, result.shifts) == (None, None, (), ())
        assert result.reason is not None and "time limit" in result.reason
    else:
        # Infeasible is a proof, never a guess under the clock.
        assert result.status == INFEASIBLE
        assert unhurried(seed, team).status == INFEASIBLE
        assert result.reason


def test_without_a_time_limit_the_pools_are_solved_to_proven_optimality():
    for seed in (1, 2):
        result = unhurried(seed, 6)
        assert result.status == OPTIMAL
        assert result.gap == 0.0
        assert validate(parse_instance(big_instance(seed)), result) == []
    for seed, team in ((1, 1), (2, 2)):
        result = unhurried(seed, team)
        assert result.status == INFEASIBLE
        assert result.reason is not None and f"at most {team} member" in result.reason


@pytest.mark.parametrize(
    ("currency", "rate", "cost"),
    [
        ("JPY", "1500", "3000"),
        ("USD", "9.5", "19.00"),
        ("KWD", "2.5", "5.000"),
        (None, "3", "6.00"),
    ],
)
def test_the_cost_shows_the_currencys_minor_units(currency, rate, cost):
    data = instance(
        [flexible("f", "s", 2)],
        [member("ana", rate=rate)],
        **({"currency": currency} if currency else {}),
    )
    result = solved(data)
    assert result.status == OPTIMAL
    assert str(result.cost) == cost
    assert result.to_dict()["team"][0]["cost"] == cost
