"""``parse_instance`` refuses a malformed instance, naming exactly the field
at fault, so a coordinator (or ``mutualist match``) can say what to fix."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from mutualist.engines.matching import (
    Instance,
    InstanceError,
    Member,
    Window,
    parse_instance,
    solve,
)
from mutualist.engines.matching.tests.support import (
    WEEKDAYS,
    coverage,
    flexible,
    instance,
    member,
    window,
)


def good() -> dict[str, Any]:
    return instance(
        [
            coverage("support", "s", "Australia/Sydney", window(WEEKDAYS, "09:00", "17:00")),
            flexible("books", "b", 6),
        ],
        [member("ana", ["s", "b"]), member("bob", ["s"])],
        max_team_size=2,
        currency="USD",
    )


def test_the_good_instance_parses():
    typed = parse_instance(good())
    assert typed.week == dt.date(2026, 11, 30)
    assert [m.rate for m in typed.members] == [Decimal("10"), Decimal("10")]


def at(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """Set ``value`` at ``path`` (``members.0.rate``)."""

    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return change


def drop(path: str) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        del target[last]

    return change


REFUSALS = [
    ("a week that is no date", at("week", "2026-11-31"), "week"),
    ("a week that is not a Monday", at("week", "2026-12-01"), "week"),
    ("a week in basic ISO form", at("week", "20261130"), "week"),
    ("a week as a number", at("week", 20261130), "week"),
    ("a week too long ago", at("week", "1970-01-05"), "week"),
    # Monrovia's offset was -0:44:30 until 1972: not a whole minute
    ("a week before 1980", at("week", "1979-12-31"), "week"),
    ("no week", drop("week"), "week"),
    ("a team size of 0", at("max_team_size", 0), "max_team_size"),
    ("a team size as text", at("max_team_size", "2"), "max_team_size"),
    ("a team size as true", at("max_team_size", True), "max_team_size"),
    ("a currency in lower case", at("currency", "usd"), "currency"),
    ("no roles", at("roles", []), "roles"),
    ("roles not a list", at("roles", {"id": "x"}), "roles"),
    ("a role's unknown time zone", at("roles.0.timezone", "Mars/Olympus"), "roles[0].timezone"),
    (
        "a time zone given as a path",
        at("roles.0.timezone", "../../etc/passwd"),
        "roles[0].timezone",
    ),
    ("a coverage role without a time zone", drop("roles.0.timezone"), "roles[0].timezone"),
    ("a half-hour start", at("roles.0.coverage.0.start", "09:30"), "roles[0].coverage[0].start"),
    ("an end at 25:00", at("roles.0.coverage.0.end", "25:00"), "roles[0].coverage[0].end"),
    ("a start at 24:00", at("roles.0.coverage.0.start", "24:00"), "roles[0].coverage[0].start"),
    (
        "a start without a leading zero",
        at("roles.0.coverage.0.start", "9:00"),
        "roles[0].coverage[0].start",
    ),
    ("a start as a number", at("roles.0.coverage.0.start", 9), "roles[0].coverage[0].start"),
    ("an unknown day", at("roles.0.coverage.0.days.1", "funday"), "roles[0].coverage[0].days[1]"),
    ("a day twice", at("roles.0.coverage.0.days.1", "mon"), "roles[0].coverage[0].days[1]"),
    ("no days", at("roles.0.coverage.0.days", []), "roles[0].coverage[0].days"),
    ("no coverage windows", at("roles.0.coverage", []), "roles[0].coverage"),
    ("a misspelt key of a role", at("roles.0.coverge", []), "roles[0].coverge"),
    ("both coverage and hours", at("roles.0.hours", 3), "roles[0]"),
    ("neither coverage nor hours", drop("roles.1.hours"), "roles[1]"),
    ("no flexible hours", at("roles.1.hours", 0), "roles[1].hours"),
    ("flexible hours as text", at("roles.1.hours", "6"), "roles[1].hours"),
    ("a role without a skill", drop("roles.1.skill"), "roles[1].skill"),
    ("a blank role id", at("roles.1.id", "  "), "roles[1].id"),
    ("two roles with one id", at("roles.1.id", "support"), "roles[1].id"),
    ("a rate as a float", at("members.1.rate", 9.5), "members[1].rate"),
    ("a rate of abc", at("members.1.rate", "abc"), "members[1].rate"),
    ("a negative rate", at("members.1.rate", "-1"), "members[1].rate"),
    ("a rate in exponent form", at("members.1.rate", "1e3"), "members[1].rate"),
    ("a rate of NaN", at("members.1.rate", "NaN"), "members[1].rate"),
    ("a rate with seven places", at("members.1.rate", "9.1234567"), "members[1].rate"),
    ("a rate of a billion", at("members.1.rate", "1000000000"), "members[1].rate"),
    ("a rate of 10**5000", at("members.1.rate", 10**5000), "members[1].rate"),
    (
        "a rate of Decimal 1.5e999999999",
        at("members.1.rate", Decimal("1.5e999999999")),
        "members[1].rate",
    ),
    ("a rate of Decimal 1e-99", at("members.1.rate", Decimal("1e-99")), "members[1].rate"),
    ("a rate of Decimal Infinity", at("members.1.rate", Decimal("Infinity")), "members[1].rate"),
    ("a rate of 50 digits", at("members.1.rate", "1" * 50), "members[1].rate"),
    ("an id with a lone surrogate", at("members.1.id", "bob\ud800"), "members[1].id"),
    ("a negative capacity", at("members.1.capacity", -1), "members[1].capacity"),
    ("a capacity beyond a week", at("members.1.capacity", 169), "members[1].capacity"),
    ("a capacity as a float", at("members.1.capacity", 4.0), "members[1].capacity"),
    (
        "a member's unknown time zone",
        at("members.0.timezone", "Asia/Nowhere"),
        "members[0].timezone",
    ),
    ("skills as a string", at("members.0.skills", "s"), "members[0].skills"),
    ("an empty skill", at("members.0.skills", ["s", ""]), "members[0].skills[1]"),
    (
        "an availability end at 25:00",
        at("members.0.availability.0.end", "25:00"),
        "members[0].availability[0].end",
    ),
    ("a misspelt key of a member", at("members.0.skils", []), "members[0].skils"),
    ("an unknown key at the top", at("coverge", []), "coverge"),
    ("two members with one id", at("members.1.id", "ana"), "members[1].id"),
    ("a pinned stranger", at("pinned", ["zed"]), "pinned"),
    ("an excluded stranger", at("excluded", ["zed"]), "excluded"),
    ("pinned and excluded", lambda d: d.update(pinned=["ana"], excluded=["ana"]), "pinned"),
    (
        "more pinned than the team's size",
        lambda d: d.update(pinned=["ana", "bob"], max_team_size=1),
        "pinned",
    ),
    ("one role per member as text", at("one_role_per_member", "yes"), "one_role_per_member"),
    ("fewest members as a number", at("fewest_members", 1), "fewest_members"),
]


@pytest.mark.parametrize(
    ("change", "field"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS]
)
def test_a_malformed_instance_is_refused_naming_the_field(change, field):
    data = copy.deepcopy(good())
    change(data)
    with pytest.raises(InstanceError) as caught:
        parse_instance(data)
    assert caught.value.field == field
    assert str(caught.value) == f"{field}: {caught.value.message}"
    assert caught.value.message


@pytest.mark.parametrize(
    "data", [None, [], "{}", 3], ids=["None", "a list", "a string", "a number"]
)
def test_an_instance_that_is_no_object_is_refused(data):
    with pytest.raises(InstanceError) as caught:
        parse_instance(data)
    assert caught.value.field == "instance"


def test_solve_refuses_a_malformed_mapping_as_parse_instance_does():
    data = good()
    data["members"][1]["rate"] = 9.5
    with pytest.raises(InstanceError) as caught:
        solve(data)
    assert caught.value.field == "members[1].rate"


@pytest.mark.parametrize("limit", [0, -1, float("nan"), float("inf")])
def test_solve_refuses_a_time_limit_that_is_no_positive_number(limit):
    with pytest.raises(InstanceError) as caught:
        solve(good(), time_limit=limit)
    assert caught.value.field == "time_limit"


def test_a_typed_instance_keeps_the_rules_too():
    typed = parse_instance(good())
    with pytest.raises(InstanceError) as caught:
        Instance(week=dt.date(2026, 12, 1), roles=typed.roles, members=typed.members)
    assert caught.value.field == "week"


def test_a_typed_member_with_naive_intervals_is_refused():
    typed = parse_instance(good())
    naive = Member(
        id="ana",
        skills=frozenset({"s"}),
        timezone="UTC",
        rate=Decimal("10"),
        capacity=40,
        intervals=((dt.datetime(2026, 11, 30, 9), dt.datetime(2026, 11, 30, 12)),),  # noqa: DTZ001 - the point
    )
    with pytest.raises(InstanceError) as caught:
        Instance(week=typed.week, roles=typed.roles, members=(naive,))
    assert caught.value.field == "members[0].intervals[0]"


def test_a_typed_rate_that_is_no_number_is_refused():
    typed = parse_instance(good())
    odd = Member(
        id="ana", skills=frozenset({"s"}), timezone="UTC", rate=Decimal("NaN"), capacity=40
    )
    with pytest.raises(InstanceError) as caught:
        Instance(week=typed.week, roles=typed.roles, members=(odd,))
    assert caught.value.field == "members[0].rate"


@pytest.mark.parametrize("limit", ["5", True, None.__class__])
def test_solve_refuses_a_time_limit_of_another_type(limit):
    with pytest.raises(InstanceError) as caught:
        solve(good(), time_limit=limit)
    assert caught.value.field == "time_limit"


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (Window(days=(9,), start=1, end=2), "days"),
        (Window(days=(), start=1, end=2), "days"),
        (Window(days=(0, 0), start=1, end=2), "days"),
        (Window(days=(0,), start=30, end=2), "start"),
        (Window(days=(0,), start=1, end=25), "end"),
        (Window(days=(0,), start=1, end=-1), "end"),
    ],
)
def test_a_typed_window_out_of_range_is_refused(bad, field):
    typed = parse_instance(good())
    role = dataclasses.replace(typed.roles[0], coverage=(bad,))
    with pytest.raises(InstanceError) as caught:
        Instance(week=typed.week, roles=(role, *typed.roles[1:]), members=typed.members)
    assert caught.value.field == f"roles[0].coverage[0].{field}"
    member = dataclasses.replace(typed.members[0], availability=(bad,))
    with pytest.raises(InstanceError) as caught:
        Instance(week=typed.week, roles=typed.roles, members=(member, *typed.members[1:]))
    assert caught.value.field == f"members[0].availability[0].{field}"
