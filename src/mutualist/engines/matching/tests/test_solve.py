"""The engine's answers: the issue's example, hand-worked optima, the
options, and infeasible instances that say what stands in the way.

Every returned team is checked by the independent validator (``solved``).
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from mutualist.engines.matching import (
    INFEASIBLE,
    OPTIMAL,
    InstanceError,
    parse_instance,
    solve,
    solver,
)
from mutualist.engines.matching.tests.brute import brute_force
from mutualist.engines.matching.tests.cases import CASES, MON_9_13
from mutualist.engines.matching.tests.support import (
    WEEKDAYS,
    coverage,
    flexible,
    instance,
    member,
    shift_rows,
    solved,
    uncovered_rows,
    window,
)

# --- The issue's example -------------------------------------------------------------------

SUPPORT = coverage(
    "support", "customer_support", "Australia/Sydney", window(WEEKDAYS, "09:00", "17:00")
)
BOOKS = flexible("books", "bookkeeping", 6)
MANILA_MORNINGS = [window(WEEKDAYS, "06:00", "14:00")]


def ana(capacity: int = 30) -> dict[str, object]:
    return member(
        "ana",
        ["customer_support", "bookkeeping"],
        timezone="Asia/Manila",
        rate="9.50",
        capacity=capacity,
        availability=MANILA_MORNINGS,
    )


def the_issues_example(*members: dict[str, object]) -> dict[str, object]:
    return instance([SUPPORT, BOOKS], [*members], max_team_size=3, currency="USD")


# Sydney 09:00-17:00 on daylight time (+11) is 22:00-06:00 UTC, from the Sunday.
SUPPORT_HOURS_UTC = [
    ("2026-11-29T22:00:00Z", "2026-11-30T06:00:00Z"),
    ("2026-11-30T22:00:00Z", "2026-12-01T06:00:00Z"),
    ("2026-12-01T22:00:00Z", "2026-12-02T06:00:00Z"),
    ("2026-12-02T22:00:00Z", "2026-12-03T06:00:00Z"),
    ("2026-12-03T22:00:00Z", "2026-12-04T06:00:00Z"),
]


def test_the_issues_example_with_room_for_all_46_hours_is_ana_alone():
    # Given ana free every Manila morning (Sydney's working day), with capacity for it all
    result = solved(the_issues_example(ana(capacity=46)))

    # Then she staffs the five days and the books: 46 h at 9.50
    assert result.status == OPTIMAL
    assert result.cost == Decimal("437.00")
    assert result.to_dict()["cost"] == "437.00"
    assert result.to_dict()["team"] == [
        {"member": "ana", "hours": 46, "roles": {"support": 40, "books": 6}, "cost": "437.00"}
    ]
    assert shift_rows(result) == [("support", "ana", *hours) for hours in SUPPORT_HOURS_UTC]


def test_the_issues_example_picks_the_cheapest_team_of_three():
    # Given ana (9.50, 30 h), bob (support only, 11) and cara (books only, 10)
    bob = member(
        "bob",
        ["customer_support"],
        timezone="Asia/Manila",
        rate="11",
        availability=MANILA_MORNINGS,
    )
    cara = member("cara", ["bookkeeping"], timezone="Asia/Manila", rate="10", availability=[])
    data = the_issues_example(ana(), bob, cara)

    result = solved(data)

    # Then ana's 30 h go to support (she saves 1.50 an hour on bob, 0.50 on cara)
    assert result.status == OPTIMAL
    assert result.cost == 30 * Decimal("9.50") + 10 * Decimal("11") + 6 * Decimal("10")
    assert result.to_dict()["cost"] == "455.00"
    assert [(line.member, line.hours, dict(line.roles)) for line in result.team] == [
        ("ana", 30, {"support": 30}),
        ("bob", 10, {"support": 10}),
        ("cara", 6, {"books": 6}),
    ]
    # and the shifts, whoever has them, cover exactly Sydney's working days
    staffed = sorted((start, end) for _role, _member, start, end in shift_rows(result))
    assert staffed[0][0] == "2026-11-29T22:00:00Z"
    assert sum(shift.hours for shift in result.shifts) == 40
    assert _joined(staffed) == SUPPORT_HOURS_UTC


def _joined(spans: list[tuple[str, str]]) -> list[tuple[str, str]]:
    joined: list[tuple[str, str]] = []
    for start, end in spans:
        if joined and joined[-1][1] == start:
            joined[-1] = (joined[-1][0], end)
        else:
            joined.append((start, end))
    return joined


def test_the_issues_example_as_written_lacks_capacity_and_says_so():
    # ana alone, 30 h a week, for 40 h of support and 6 of books
    result = solved(the_issues_example(ana()))

    assert result.status == INFEASIBLE
    assert result.cost is None
    assert result.team == ()
    assert result.uncovered == ()  # she could staff any of the hours, just not all
    assert result.reason is not None
    assert "capacity" in result.reason.lower()
    assert "30 of the 46 hours" in result.reason


# --- Hand-worked optima -----------------------------------------------------------------


@pytest.mark.parametrize(("data", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_the_engine_finds_the_optimum_worked_out_by_hand(data, expected):
    result = solved(data)
    if expected is None:
        assert result.status == INFEASIBLE
        assert result.cost is None
    else:
        assert result.status == OPTIMAL
        assert result.cost == expected


def test_a_role_whose_only_hour_the_clocks_skip_needs_no_team():
    # Sydney skips 02:00-03:00 on Sunday 4 October 2026
    data = instance(
        [coverage("c", "s", "Australia/Sydney", window(["sun"], "02:00", "03:00"))],
        [member("ana")],
        week="2026-09-28",
    )
    result = solved(data)
    assert (result.status, result.cost, result.team, result.shifts) == (
        OPTIMAL,
        Decimal("0"),
        (),
        (),
    )


# --- Options ------------------------------------------------------------------------------


def test_a_pinned_member_is_on_the_team_even_when_dearer():
    data = instance(
        [coverage("c", "s", "UTC", MON_9_13)],
        [member("ana", rate="10"), member("zed", rate="30")],
        pinned=["zed"],
    )
    unpinned = solved({**data, "pinned": []})
    assert [line.member for line in unpinned.team] == ["ana"]

    result = solved(data)

    assert result.status == OPTIMAL
    assert [(line.member, line.hours) for line in result.team] == [("ana", 3), ("zed", 1)]
    assert result.cost == Decimal("60") == brute_force(parse_instance(data))


def test_an_excluded_member_is_left_out_even_when_cheapest():
    data = instance(
        [coverage("c", "s", "UTC", MON_9_13), flexible("f", "s", 2)],
        [member("ana", rate="5"), member("bob", rate="8")],
        excluded=["ana"],
    )
    result = solved(data)
    assert [line.member for line in result.team] == ["bob"]
    assert result.cost == Decimal("48") == brute_force(parse_instance(data))


def test_one_role_per_member_keeps_each_member_to_one_role():
    data = instance(
        [
            coverage("c", "a", "UTC", window(["mon"], "09:00", "11:00")),
            flexible("f", "b", 2),
        ],
        [member("ana", ["a", "b"], rate="1"), member("bob", ["a", "b"], rate="2")],
        one_role_per_member=True,
    )
    result = solved(data)
    assert sorted(len(line.roles) for line in result.team) == [1, 1]
    assert result.cost == Decimal("6") == brute_force(parse_instance(data))


def test_fewest_members_picks_one_member_where_two_cost_the_same():
    # ana alone, or bob and cara together: 40 either way
    data = instance(
        [coverage("c", "s", "UTC", MON_9_13)],
        [member("bob", capacity=2), member("cara", capacity=2), member("ana", capacity=4)],
        fewest_members=True,
    )
    result = solved(data)
    assert result.status == OPTIMAL
    assert result.cost == Decimal("40")
    assert [line.member for line in result.team] == ["ana"]


def test_fewest_members_never_pays_for_a_smaller_team():
    # bob and cara are a millionth cheaper an hour than ana: they stay
    data = instance(
        [coverage("c", "s", "UTC", MON_9_13)],
        [
            member("bob", rate="9.999999", capacity=2),
            member("cara", rate="9.999999", capacity=2),
            member("ana", capacity=4),
        ],
        fewest_members=True,
    )
    result = solved(data)
    assert result.cost == Decimal("39.999996")
    assert [line.member for line in result.team] == ["bob", "cara"]


# --- Infeasible instances explain themselves -------------------------------------------


def test_hours_nobody_can_staff_are_listed_in_utc():
    # ana is free 09-12 and 14-17 UTC; nobody else has the skill
    data = instance(
        [coverage("c", "s", "UTC", window(["mon"], "09:00", "17:00"))],
        [
            member(
                "ana",
                availability=[window(["mon"], "09:00", "12:00"), window(["mon"], "14:00", "17:00")],
            ),
            member("bob", ["other"]),
        ],
    )
    result = solved(data)
    assert result.status == INFEASIBLE
    assert uncovered_rows(result) == [("c", "2026-11-30T12:00:00Z", "2026-11-30T14:00:00Z")]
    assert [slot.hours for slot in result.uncovered] == [2]
    assert result.reason is not None
    assert "2 of the 8 hours of 'c'" in result.reason


def test_hours_of_a_sydney_role_nobody_is_awake_for_are_listed_in_utc():
    # ana (Manila) is free 06:00-12:00, Sydney 09:00-15:00; 15:00-17:00 is nobody's
    data = instance(
        [SUPPORT],
        [
            member(
                "ana",
                ["customer_support"],
                timezone="Asia/Manila",
                availability=[window(WEEKDAYS, "06:00", "12:00")],
            )
        ],
    )
    result = solved(data)
    assert result.status == INFEASIBLE
    assert uncovered_rows(result) == [
        ("support", f"2026-{day}T04:00:00Z", f"2026-{day}T06:00:00Z")
        for day in ("11-30", "12-01", "12-02", "12-03", "12-04")
    ]


def test_a_member_without_capacity_staffs_nothing():
    data = instance([coverage("c", "s", "UTC", MON_9_13)], [member("ana", capacity=0)])
    result = solved(data)
    assert result.status == INFEASIBLE
    assert uncovered_rows(result) == [("c", "2026-11-30T09:00:00Z", "2026-11-30T13:00:00Z")]


def test_an_excluded_member_staffs_nothing():
    data = instance([coverage("c", "s", "UTC", MON_9_13)], [member("ana")], excluded=["ana"])
    result = solved(data)
    assert result.status == INFEASIBLE
    assert uncovered_rows(result) == [("c", "2026-11-30T09:00:00Z", "2026-11-30T13:00:00Z")]


def test_a_team_size_limit_too_small_is_named():
    # ana is free 09-11, bob 11-13: a team of one cannot cover 09-13
    data = instance(
        [coverage("c", "s", "UTC", MON_9_13)],
        [
            member("ana", availability=[window(["mon"], "09:00", "11:00")]),
            member("bob", availability=[window(["mon"], "11:00", "13:00")]),
        ],
        max_team_size=1,
    )
    assert solved({**data, "max_team_size": 2}).status == OPTIMAL

    result = solved(data)

    assert result.status == INFEASIBLE
    assert result.uncovered == ()
    assert result.reason is not None
    assert "max_team_size" in result.reason
    assert "at most 1 member" in result.reason
    assert "smallest team that can has 2 members" in result.reason


def test_capacity_too_small_is_named():
    data = instance(
        [coverage("c", "s", "UTC", MON_9_13), flexible("f", "s", 2)],
        [member("ana", capacity=3), member("bob", capacity=2)],
    )
    result = solved(data)
    assert result.status == INFEASIBLE
    assert result.uncovered == ()
    assert result.reason is not None
    assert result.reason.startswith("Capacity")
    assert "at most 5 of the 6 hours" in result.reason


def test_a_pinned_member_who_can_do_nothing_is_named():
    data = instance(
        [coverage("c", "s", "UTC", MON_9_13)],
        [member("ana"), member("zed", ["other"])],
        pinned=["zed"],
    )
    result = solved(data)
    assert result.status == INFEASIBLE
    assert result.reason is not None
    assert "'zed' is pinned" in result.reason


def test_pinned_members_who_crowd_out_the_team_are_named():
    # zed can staff only 09-10; pinned with a team of one, nobody else may help
    data = instance(
        [coverage("c", "s", "UTC", MON_9_13)],
        [member("ana"), member("zed", availability=[window(["mon"], "09:00", "10:00")])],
        pinned=["zed"],
        max_team_size=1,
    )
    result = solved(data)
    assert result.status == INFEASIBLE
    assert result.reason is not None
    assert "pinned" in result.reason
    assert "zed" in result.reason


def test_a_flexible_role_nobody_has_the_skill_for_is_named():
    data = instance(
        [coverage("c", "s", "UTC", MON_9_13), BOOKS],
        [member("ana")],
    )
    result = solved(data)
    assert result.status == INFEASIBLE
    assert result.reason is not None
    assert "'books'" in result.reason
    assert "'bookkeeping'" in result.reason


def test_one_role_per_member_standing_in_the_way_is_named():
    # ana, the only member, has both skills and room for all 4 hours
    data = instance(
        [coverage("c", "a", "UTC", window(["mon"], "09:00", "11:00")), flexible("f", "b", 2)],
        [member("ana", ["a", "b"])],
        one_role_per_member=True,
    )
    assert solved({**data, "one_role_per_member": False}).status == OPTIMAL

    result = solved(data)

    assert result.status == INFEASIBLE
    assert result.reason is not None
    assert "one_role_per_member" in result.reason


def test_an_instance_is_solved_from_its_typed_form_alike():
    data = the_issues_example(ana(capacity=46))
    assert solve(parse_instance(data)).to_dict() | {"seconds": 0} == solve(data).to_dict() | {
        "seconds": 0
    }


def test_two_roles_at_once_standing_in_the_way_is_named():
    # chat and phone both need Mon 09-10, and ana is the only one who can do either
    data = instance(
        [
            coverage("chat", "a", "UTC", window(["mon"], "09:00", "10:00")),
            coverage("phone", "a", "UTC", window(["mon"], "09:00", "10:00")),
        ],
        [member("ana", ["a"], capacity=168)],
    )

    result = solved(data)

    assert result.status == INFEASIBLE
    assert result.reason is not None
    assert "two coverage roles at the same time" in result.reason
    assert "Capacity" not in result.reason


def test_two_roles_half_an_hour_apart_are_named_too():
    # Kolkata 15:00 is 09:30 UTC: it overlaps a UTC 09:00-10:00 hour by half
    data = instance(
        [
            coverage("utc", "a", "UTC", window(["mon"], "09:00", "10:00")),
            coverage("ind", "a", "Asia/Kolkata", window(["mon"], "15:00", "16:00")),
        ],
        [member("ana", ["a"])],
    )

    result = solved(data)

    assert result.status == INFEASIBLE
    assert result.reason is not None
    assert "two coverage roles at the same time" in result.reason


def test_pins_without_a_team_limit_do_not_suggest_raising_one():
    data = instance(
        [coverage("c", "s", "UTC", window(["mon"], "09:00", "10:00"))],
        [member("ana"), member("zed")],
        pinned=["ana", "zed"],
    )

    result = solved(data)

    assert result.status == INFEASIBLE
    assert result.reason is not None
    assert "pinned" in result.reason and "ana, zed" in result.reason
    assert "max_team_size" not in result.reason


def test_costs_too_large_for_an_exact_optimum_are_refused():
    # 48 hours at a billion less a millionth, in millionths: past 2**53
    data = instance(
        [coverage("c", "s", "UTC", window(["mon", "tue"], "00:00", "24:00"))],
        [member("cheap", rate="999999999.000001", capacity=48)],
    )
    with pytest.raises(InstanceError) as caught:
        solve(data)
    assert caught.value.field == "members"
    assert "too large to be optimised exactly" in caught.value.message
    # The same hours in whole units are well inside
    data["members"][0]["rate"] = "999999999"
    assert solve(data).status == OPTIMAL


def test_fewest_members_unproven_in_time_says_so(monkeypatch):
    # A team of two; the second search (could fewer do it?) is cut short.
    data = instance(
        [flexible("f", "s", 2)],
        [member("ana", capacity=1), member("bob", capacity=1)],
        fewest_members=True,
    )
    runs = []
    real = solver._run

    def cut_short(model, time_limit):
        runs.append(model)
        outcome = real(model, time_limit)
        if len(runs) == 2:
            return dataclasses.replace(outcome, status=solver._MILP_LIMIT)
        return outcome

    monkeypatch.setattr(solver, "_run", cut_short)

    result = solve(data)

    assert len(runs) == 2
    assert result.status == OPTIMAL
    assert result.cost == Decimal("20.00")
    assert result.reason is not None
    assert "the time limit ran out before a team of that cost with fewer members" in result.reason


def test_members_the_limit_does_not_count_take_no_seat():
    # A stand-in (as the pitch builder adds for hours it leaves open) beside
    # a team of one: the limit counts ana only.
    typed = parse_instance(
        instance(
            [
                coverage("c", "s", "UTC", window(["mon"], "09:00", "11:00")),
                flexible("f", "t", 2),
            ],
            [member("ana", ["s"]), member("~open", ["t"], rate="1000")],
            max_team_size=1,
        )
    )
    counted = solve(typed)
    uncounted = solve(dataclasses.replace(typed, uncounted=frozenset({"~open"})))

    assert counted.status == INFEASIBLE
    assert uncounted.status == OPTIMAL
    assert [line.member for line in uncounted.team] == ["ana", "~open"]
    with pytest.raises(InstanceError) as caught:
        dataclasses.replace(typed, uncounted=frozenset({"zed"}))
    assert caught.value.field == "uncounted"
