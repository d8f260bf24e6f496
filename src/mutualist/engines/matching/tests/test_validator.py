"""The tests' own instruments can fail: the validator rejects each broken
answer, and brute force finds the optimum worked out by hand.

Nothing here calls the engine's solver: the answers are written by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from mutualist.engines.matching import (
    FEASIBLE,
    INFEASIBLE,
    OPTIMAL,
    MatchResult,
    Shift,
    TeamLine,
    Uncovered,
    parse_instance,
)
from mutualist.engines.matching.tests.brute import brute_force, cheapest_teams
from mutualist.engines.matching.tests.cases import CASES, MON_9_13
from mutualist.engines.matching.tests.support import (
    coverage,
    flexible,
    instance,
    member,
    utc,
    window,
)
from mutualist.engines.matching.tests.validate import member_free, role_slots, validate

# --- A valid answer, written by hand ----------------------------------------------------

# c: UTC Monday 09:00-13:00 (4 slots); d: Kolkata Monday 15:00-16:00, the
# hour from 09:30 UTC; f: 2 flexible hours of skill b.
BASE = instance(
    [
        coverage("c", "a", "UTC", window(["mon"], "09:00", "13:00")),
        coverage("d", "a", "Asia/Kolkata", window(["mon"], "15:00", "16:00")),
        flexible("f", "b", 2),
    ],
    [
        member("ana", ["a", "b"], rate="10", capacity=6),
        member("bob", ["a"], rate="12", capacity=8),
        member("cara", ["b"], rate="8", capacity=1, availability=[]),
        member("dan", ["a"], rate="1", availability=[window(["tue"], "00:00", "24:00")]),
    ],
    currency="EUR",
)


def base_result(**changes: Any) -> MatchResult:
    values: dict[str, Any] = {
        "status": OPTIMAL,
        "cost": Decimal("74"),
        "gap": 0.0,
        "seconds": 0.0,
        "team": (
            TeamLine("ana", 3, {"c": 2, "f": 1}, Decimal("30")),
            TeamLine("bob", 3, {"c": 2, "d": 1}, Decimal("36")),
            TeamLine("cara", 1, {"f": 1}, Decimal("8")),
        ),
        "shifts": (
            Shift("c", "ana", utc("2026-11-30T09:00"), utc("2026-11-30T11:00")),
            Shift("c", "bob", utc("2026-11-30T11:00"), utc("2026-11-30T13:00")),
            Shift("d", "bob", utc("2026-11-30T09:30"), utc("2026-11-30T10:30")),
        ),
        "currency": "EUR",
    }
    values.update(changes)
    return MatchResult(**values)


def test_the_hand_written_answer_keeps_every_rule():
    assert validate(parse_instance(BASE), base_result()) == []


ANA = TeamLine("ana", 3, {"c": 2, "f": 1}, Decimal("30"))
BOB = TeamLine("bob", 3, {"c": 2, "d": 1}, Decimal("36"))
CARA = TeamLine("cara", 1, {"f": 1}, Decimal("8"))
SHIFTS = (
    Shift("c", "ana", utc("2026-11-30T09:00"), utc("2026-11-30T11:00")),
    Shift("c", "bob", utc("2026-11-30T11:00"), utc("2026-11-30T13:00")),
    Shift("d", "bob", utc("2026-11-30T09:30"), utc("2026-11-30T10:30")),
)


def _options(**options: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda data: {**data, **options}


def _capacity(member_id: str, capacity: int) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def change(data: dict[str, Any]) -> dict[str, Any]:
        members = [
            {**m, "capacity": capacity} if m["id"] == member_id else m for m in data["members"]
        ]
        return {**data, "members": members}

    return change


# (what is broken, the answer's fields, a change to the instance, words in the complaint)
BROKEN: list[tuple[str, dict[str, Any], Any, str]] = [
    ("a slot unstaffed", {"shifts": SHIFTS[:1] + SHIFTS[2:]}, None, "2 slots unstaffed"),
    (
        "a slot staffed twice",
        {"shifts": (*SHIFTS, Shift("c", "dan", utc("2026-11-30T12:00"), utc("2026-11-30T13:00")))},
        None,
        "staffed twice",
    ),
    (
        "a shift cut in two where it touches",
        {
            "shifts": (
                Shift("c", "ana", utc("2026-11-30T09:00"), utc("2026-11-30T10:00")),
                Shift("c", "ana", utc("2026-11-30T10:00"), utc("2026-11-30T11:00")),
                *SHIFTS[1:],
            )
        },
        None,
        "not merged",
    ),
    (
        "a shift off the role's hours",
        {
            "shifts": (
                SHIFTS[0],
                Shift("c", "bob", utc("2026-11-30T11:00"), utc("2026-11-30T14:00")),
                SHIFTS[2],
            ),
            "team": (ANA, TeamLine("bob", 4, {"c": 3, "d": 1}, Decimal("48")), CARA),
        },
        None,
        "is not a slot of c",
    ),
    (
        "a member without the skill",
        {"shifts": (*SHIFTS[:2], Shift("d", "cara", SHIFTS[2].start, SHIFTS[2].end))},
        None,
        "cara lacks the skill 'a'",
    ),
    (
        "a member who is not free",
        {
            "shifts": (SHIFTS[0], Shift("c", "dan", SHIFTS[1].start, SHIFTS[1].end), SHIFTS[2]),
            "team": (
                ANA,
                TeamLine("bob", 1, {"d": 1}, Decimal("12")),
                CARA,
                TeamLine("dan", 2, {"c": 2}, Decimal("2")),
            ),
        },
        None,
        "dan is not free",
    ),
    (
        "a member on two roles at once (half an hour apart)",
        {
            "shifts": (*SHIFTS[:2], Shift("d", "ana", SHIFTS[2].start, SHIFTS[2].end)),
            "team": (
                TeamLine("ana", 4, {"c": 2, "d": 1, "f": 1}, Decimal("40")),
                TeamLine("bob", 2, {"c": 2}, Decimal("24")),
                CARA,
            ),
        },
        None,
        "on c and d at once",
    ),
    (
        "flexible hours short",
        {"team": (TeamLine("ana", 2, {"c": 2}, Decimal("20")), BOB, CARA)},
        None,
        "f: 1 h given, 2 h needed",
    ),
    ("over capacity", {}, _capacity("ana", 2), "over their capacity 2"),
    (
        "a line's hours not its roles' sum",
        {"team": (TeamLine("ana", 4, {"c": 2, "f": 1}, Decimal("40")), BOB, CARA)},
        None,
        "roles sum to 3",
    ),
    (
        "a line's coverage hours not its shifts'",
        {"team": (TeamLine("ana", 4, {"c": 3, "f": 1}, Decimal("40")), BOB, CARA)},
        None,
        "but shifts of 2 h",
    ),
    ("the cost a cent off", {"cost": Decimal("74.01")}, None, "not the sum of hours x rate"),
    ("the cost a float", {"cost": 74.0}, None, "not the sum of hours x rate"),
    (
        "a line's cost off",
        {"team": (TeamLine("ana", 3, {"c": 2, "f": 1}, Decimal("29.99")), BOB, CARA)},
        None,
        "ana costs",
    ),
    ("lines out of order", {"team": (BOB, ANA, CARA)}, None, "not in the instance's member order"),
    ("shifts without a line", {"team": (ANA, CARA)}, None, "bob has shifts but no line"),
    (
        "a line with no hours",
        {"team": (ANA, BOB, CARA, TeamLine("dan", 0, {}, Decimal("0")))},
        None,
        "dan is on the team with 0 h",
    ),
    ("a team over the size limit", {}, _options(max_team_size=2), "over max_team_size 2"),
    ("a pinned member left off", {}, _options(pinned=["dan"]), "pinned dan is not on it"),
    ("an excluded member on it", {}, _options(excluded=["cara"]), "cara is excluded"),
    ("two roles for one", {}, _options(one_role_per_member=True), "more than one role"),
    (
        "flexible hours without the skill",
        {
            "team": (
                ANA,
                TeamLine("bob", 4, {"c": 2, "d": 1, "f": 1}, Decimal("48")),
            )
        },
        None,
        "bob lacks the skill 'b' of f",
    ),
    ("optimal with a gap", {"gap": 0.5}, None, "optimal with gap 0.5"),
    ("feasible with a negative gap", {"status": FEASIBLE, "gap": -0.1}, None, "feasible with gap"),
    ("another currency", {"currency": "USD"}, None, "currency 'USD'"),
    (
        "a team with uncovered hours",
        {"uncovered": (Uncovered("c", utc("2026-11-30T09:00"), utc("2026-11-30T10:00")),)},
        None,
        "uncovered",
    ),
    ("no team at all", {"status": INFEASIBLE}, None, "returns no team"),
    (
        "a shift of someone unknown",
        {"shifts": (*SHIFTS, Shift("c", "zed", SHIFTS[0].start, SHIFTS[0].end))},
        None,
        "'zed' is not a member",
    ),
    (
        "a shift of a flexible role",
        {"shifts": (*SHIFTS, Shift("f", "ana", SHIFTS[0].start, SHIFTS[0].end))},
        None,
        "'f' is not a coverage role",
    ),
    (
        "naive datetimes",
        {
            "shifts": (
                Shift("c", "ana", utc("2026-11-30T09:00").replace(tzinfo=None), SHIFTS[0].end),
                *SHIFTS[1:],
            )
        },
        None,
        "naive",
    ),
    (
        "a shift of ninety minutes",
        {
            "shifts": (
                Shift("c", "ana", utc("2026-11-30T09:00"), utc("2026-11-30T10:30")),
                *SHIFTS[1:],
            )
        },
        None,
        "not a positive whole number of hours",
    ),
]


@pytest.mark.parametrize(
    ("changes", "change_instance", "complaint"),
    [case[1:] for case in BROKEN],
    ids=[case[0] for case in BROKEN],
)
def test_the_validator_rejects_a_broken_answer(changes, change_instance, complaint):
    data = change_instance(BASE) if change_instance else BASE
    problems = validate(parse_instance(data), base_result(**changes))
    assert any(complaint in problem for problem in problems), problems


# --- The validator's own clock: hand-worked instants --------------------------------------


def _role_slots(zone: str, week: str, start: str, end: str, day: str = "sun") -> list[str]:
    data = instance([coverage("r", "s", zone, window([day], start, end))], [], week=week)
    typed = parse_instance(data)
    return [f"{slot:%Y-%m-%dT%H:%M}" for slot in role_slots(typed.roles[0], typed.week)]


def test_the_validators_clock_counts_the_repeated_sydney_hour_once():
    # Sunday 5 April 2026: 03:00 daylight time (+11) becomes 02:00 standard (+10).
    assert _role_slots("Australia/Sydney", "2026-03-30", "00:00", "06:00") == [
        "2026-04-04T13:00",
        "2026-04-04T14:00",
        "2026-04-04T15:00",
        "2026-04-04T17:00",
        "2026-04-04T18:00",
        "2026-04-04T19:00",
    ]


def test_the_validators_clock_skips_the_missing_new_york_hour():
    assert _role_slots("America/New_York", "2026-03-02", "00:00", "06:00") == [
        "2026-03-08T05:00",
        "2026-03-08T06:00",
        "2026-03-08T07:00",
        "2026-03-08T08:00",
        "2026-03-08T09:00",
    ]


def test_the_validators_clock_repeats_the_week_for_a_members_availability():
    # Sundays 12:00-14:00 in Honolulu (-10) of the weeks before, of and after.
    typed = parse_instance(
        instance(
            [flexible("f", "s", 1)],
            [
                member(
                    "kai",
                    timezone="Pacific/Honolulu",
                    availability=[window(["sun"], "12:00", "14:00")],
                )
            ],
        )
    )
    free = member_free(typed.members[0], typed.week)
    assert free == [
        (utc("2026-11-29T22:00"), utc("2026-11-30T00:00")),  # the week before's Sunday
        (utc("2026-12-06T22:00"), utc("2026-12-07T00:00")),
        (utc("2026-12-13T22:00"), utc("2026-12-14T00:00")),  # the week after's
    ]


# --- Brute force against optima worked out by hand --------------------------------------


@pytest.mark.parametrize(("data", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_brute_force_finds_the_optimum_worked_out_by_hand(data, expected):
    assert brute_force(parse_instance(data)) == expected


def test_brute_force_counts_no_team_larger_than_the_limit():
    # Four slots, four members each free for one of them: a team of 3 cannot.
    members = [
        member(f"m{hour}", availability=[window(["mon"], f"{hour:02d}:00", f"{hour + 1:02d}:00")])
        for hour in range(9, 13)
    ]
    data = instance([coverage("c", "s", "UTC", MON_9_13)], members)
    assert brute_force(parse_instance(data)) == Decimal("40")
    assert brute_force(parse_instance({**data, "max_team_size": 3})) is None


def test_brute_force_finds_the_fewest_members_among_the_cheapest_teams():
    # ana alone, or bob and cara together, at 10 an hour: one member will do.
    data = instance(
        [coverage("c", "s", "UTC", MON_9_13)],
        [
            member("bob", capacity=2),
            member("cara", capacity=2),
            member("ana", capacity=4),
            member("dan", rate="11"),
        ],
    )
    assert cheapest_teams(parse_instance(data)) == (Decimal("40"), 1)
    # Cheaper by a cent, bob and cara make the only cheapest team.
    cheaper = {
        **data,
        "members": [
            {**m, "rate": "9.99"} if m["id"] in ("bob", "cara") else m for m in data["members"]
        ],
    }
    assert cheapest_teams(parse_instance(cheaper)) == (Decimal("39.96"), 2)
