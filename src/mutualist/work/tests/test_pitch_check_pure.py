"""The live staffing check as a pure function: coverage slots staffed and not,
availability, load against capacity, price, and daylight-saving weeks."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from mutualist.core.money import Money
from mutualist.members.availability import Window
from mutualist.work.coverage import HourWindow
from mutualist.work.pitch_check import (
    COVERAGE,
    FLEXIBLE,
    CheckInput,
    CheckResult,
    LineInput,
    MemberInput,
    RoleInput,
    intervals_label,
    pitch_check,
)

SYDNEY = "Australia/Sydney"
WEEKDAYS_9_17 = tuple(HourWindow(day, 9, 17) for day in range(5))
SUNDAY_NIGHT = (HourWindow(6, 0, 6),)


def aud(amount: str) -> Money:
    return Money(amount, "AUD")


def support(coverage=WEEKDAYS_9_17, rate: str | None = "25.00") -> RoleInput:
    return RoleInput(
        1, "Support", COVERAGE, coverage=coverage, bill_rate=aud(rate) if rate else None
    )


def books(rate: str | None = "30.00") -> RoleInput:
    return RoleInput(2, "Books", FLEXIBLE, flexible_hours=6, bill_rate=aud(rate) if rate else None)


def member(key: int = 10, name: str = "Ana", **fields: Any) -> MemberInput:
    values: dict[str, Any] = {"timezone": "Asia/Manila", "availability": (), "capacity_hours": 40}
    values.update(fields)
    return MemberInput(key, name, **values)


def run(
    roles: list[RoleInput],
    lines: list[LineInput],
    members: list[MemberInput],
    week: dt.date = dt.date(2026, 11, 30),
) -> CheckResult:
    return pitch_check(CheckInput(SYDNEY, week, "AUD", tuple(roles), tuple(lines), tuple(members)))


def test_a_full_team_staffs_every_coverage_hour_and_prices_the_week():
    # given Ana on support Mon-Fri 09-17 and Ben on books for 6 hours
    result = run(
        [support(), books()],
        [LineInput(10, 1, shifts=WEEKDAYS_9_17), LineInput(11, 2, hours=6)],
        [member(10, "Ana"), member(11, "Ben", timezone="Africa/Lagos")],
    )

    # then all 40 coverage hours are staffed and the week costs 40 x 25 + 6 x 30
    [cover, flexible] = result.roles
    assert (cover.required_hours, cover.staffed_hours, cover.unstaffed) == (40, 40, [])
    assert (flexible.hours, flexible.required_hours, flexible.staffed_hours) == (6, 6, 6)
    assert (cover.price, flexible.price) == (aud("1000.00"), aud("180.00"))
    assert result.total == aud("1180.00")
    assert result.week == dt.date(2026, 11, 30)
    # Sydney is UTC+11 in December: Monday 09:00 there is Sunday 22:00 UTC
    assert cover.staffed[0] == dt.datetime(2026, 11, 29, 22, tzinfo=dt.UTC)


def test_unstaffed_hours_are_listed_in_the_jobs_and_the_viewers_time_zone():
    result = run(
        [support()],
        [LineInput(10, 1, shifts=(HourWindow(0, 9, 13),))],
        [member()],
    )

    [cover] = result.roles
    assert cover.staffed_hours == 4
    assert cover.unstaffed_hours == 36
    assert intervals_label(cover.unstaffed, SYDNEY)[:2] == ["Mon 13:00-17:00", "Tue 09:00-17:00"]
    assert intervals_label(cover.unstaffed, "Asia/Manila")[0] == "Mon 10:00-14:00"
    assert "Support: 4 of 40 hours staffed." in result.findings
    assert "Support: Mon 13:00-17:00 is not staffed." in result.findings


def test_staffed_hours_outside_the_members_own_availability_are_flagged():
    # given Ana available 09:00-17:00 Manila time, which is 12:00-20:00 in Sydney
    manila_days = tuple(Window(day, dt.time(9), dt.time(17)) for day in range(5))
    result = run(
        [support()],
        [LineInput(10, 1, shifts=WEEKDAYS_9_17)],
        [member(availability=manila_days)],
    )

    [cover] = result.roles
    [load] = result.members
    # then 09:00-12:00 Sydney of each weekday is outside her availability
    assert sum(1 for slot in cover.slots if slot.outside_availability == (10,)) == 15
    assert len(load.outside_availability) == 15
    assert "Support: Mon 09:00-12:00 is outside Ana's availability." in result.findings
    assert "Support: Fri 09:00-12:00 is outside Ana's availability." in result.findings


def test_availability_to_the_minute_needs_the_whole_hour():
    # available from 09:30 Sydney time (06:30 Manila): the 09:00 hour is outside
    result = run(
        [support(coverage=(HourWindow(0, 9, 11),))],
        [LineInput(10, 1, shifts=(HourWindow(0, 9, 11),))],
        [member(availability=(Window(0, dt.time(6, 30), dt.time(12)),))],
    )

    assert [bool(slot.outside_availability) for slot in result.roles[0].slots] == [True, False]


def test_a_member_without_availability_is_reported_not_flagged_every_hour():
    result = run([support()], [LineInput(10, 1, shifts=WEEKDAYS_9_17)], [member()])

    assert result.members[0].availability_unknown
    assert result.members[0].outside_availability == ()
    assert "Ana has not recorded their availability." in result.findings


def test_load_counts_hours_committed_elsewhere_against_capacity():
    result = run(
        [support(), books()],
        [LineInput(10, 1, shifts=WEEKDAYS_9_17), LineInput(10, 2, hours=6)],
        [member(committed_hours=10, capacity_hours=50)],
    )

    [load] = result.members
    assert (load.pitch_hours, load.committed_hours, load.total_hours) == (46, 10, 56)
    assert load.overloaded
    assert (
        "Ana: 46 h in this pitch and 10 h elsewhere is 56 h a week, over a capacity of 50 h."
        in result.findings
    )
    assert any("Ana is proposed for Support and Books" in f for f in result.findings)


def test_shifts_that_clash_with_another_engagement_are_flagged():
    busy = (
        (dt.datetime(2026, 11, 29, 22, tzinfo=dt.UTC), dt.datetime(2026, 11, 30, 0, tzinfo=dt.UTC)),
    )
    result = run([support()], [LineInput(10, 1, shifts=WEEKDAYS_9_17)], [member(busy=busy)])

    assert len(result.members[0].clashes) == 2
    assert "Ana already works Mon 09:00-11:00 on another engagement." in result.findings


def test_a_role_without_a_bill_rate_is_not_priced():
    result = run(
        [support(rate=None), books()], [LineInput(10, 1, shifts=WEEKDAYS_9_17)], [member()]
    )

    assert result.roles[0].price is None
    assert [role.role.title for role in result.unpriced] == ["Support"]
    assert result.total == aud("0.00")


def test_two_people_on_one_hour_are_both_billed():
    result = run(
        [support()],
        [
            LineInput(10, 1, shifts=(HourWindow(0, 9, 17),)),
            LineInput(11, 1, shifts=(HourWindow(0, 9, 17),)),
        ],
        [member(10, "Ana"), member(11, "Ben")],
    )

    [cover] = result.roles
    assert cover.staffed_hours == 8
    assert cover.hours == 16
    assert cover.slots[0].staffed_by == (10, 11)
    assert result.total == aud("400.00")


@pytest.mark.parametrize(
    ("week", "slots"),
    [
        # The first Sunday of April 2027: clocks go back at 03:00 to 02:00;
        # the repeated hour counts once, so 00:00-06:00 is 6 slots.
        (dt.date(2027, 3, 29), 6),
        # The first Sunday of October 2027: 02:00 is skipped, so 5 slots.
        (dt.date(2027, 9, 27), 5),
        # An ordinary week.
        (dt.date(2027, 6, 7), 6),
    ],
)
def test_a_sydney_sunday_night_window_follows_the_clock_changes(week, slots):
    result = run(
        [support(coverage=SUNDAY_NIGHT)],
        [LineInput(10, 1, shifts=SUNDAY_NIGHT)],
        [member()],
        week=week,
    )

    [cover] = result.roles
    assert cover.required_hours == slots
    assert cover.staffed_hours == slots
    assert cover.unstaffed == []
    assert cover.hours == slots
    assert cover.price == aud("25.00") * slots
    assert result.members[0].pitch_hours == slots
    assert f"Support: {slots} of {slots} hours staffed." in result.findings


def test_in_the_october_week_the_skipped_hour_has_no_slot():
    result = run([support(coverage=SUNDAY_NIGHT)], [], [], week=dt.date(2027, 9, 27))

    local = [slot.start.astimezone(ZoneInfo(SYDNEY)).hour for slot in result.roles[0].slots]
    assert local == [0, 1, 3, 4, 5]
    assert result.roles[0].unstaffed_hours == 5


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([LineInput(99, 1)], "member 99"),
        ([LineInput(10, 9)], "role 9"),
    ],
)
def test_it_refuses_lines_that_name_nothing_known(lines, message):
    with pytest.raises(ValueError, match=message):
        run([support()], lines, [member()])


def test_a_monday_midnight_shift_staffs_the_end_of_a_sunday_night_window_every_week():
    # given: coverage Sunday 22:00 to Monday 06:00; Ana Sunday 22:00-24:00,
    # Ben from Monday midnight (the hours a team proposal may split at midnight)
    night = support(coverage=(HourWindow(6, 22, 6),))
    lines = [
        LineInput(10, 1, shifts=(HourWindow(6, 22, 24),)),
        LineInput(11, 1, shifts=(HourWindow(0, 0, 6),)),
    ]

    result = run([night], lines, [member(10), member(11, "Ben")])

    # then: all 8 hours of the week's night are staffed, Ben's 6 by his
    # Monday shift of the week after, and the week bills 2 + 6 hours
    [role] = result.roles
    assert (role.required_hours, role.staffed_hours, role.unstaffed) == (8, 8, [])
    assert [len(slot.staffed_by) for slot in role.slots] == [1] * 8
    assert role.hours == 8
