"""Wall clocks to real hours: daylight-saving weeks, overnight windows,
half-hour offsets, and availability as a weekly pattern.

The instants are worked out by hand from each zone's rules (and, through
``solved``, checked again by the validator's own clock). A role's slots show
as the shifts of one member free all week, or, with nobody to staff them,
as the uncovered spans.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from mutualist.engines.matching import (
    INFEASIBLE,
    OPTIMAL,
    Instance,
    Member,
    parse_instance,
    solve,
)
from mutualist.engines.matching.tests.support import (
    WEEKDAYS,
    coverage,
    instance,
    member,
    shift_rows,
    solved,
    uncovered_rows,
    utc,
    window,
)
from mutualist.engines.matching.tests.validate import validate


def slots_as_shifts(zone: str, week: str, *windows: dict[str, object]) -> list[tuple[str, str]]:
    """The role's slots, as the shifts of one member free all week."""
    result = solved(
        instance(
            [coverage("r", "s", zone, *windows)],
            [member("ana", rate="1", capacity=168)],
            week=week,
        )
    )
    assert result.status == OPTIMAL
    assert result.cost == sum(shift.hours for shift in result.shifts)
    return [(start, end) for _role, _member, start, end in shift_rows(result)]


def slots_as_uncovered(zone: str, week: str, *windows: dict[str, object]) -> list[tuple[str, str]]:
    """The role's slots, as the spans nobody can staff."""
    result = solve(instance([coverage("r", "s", zone, *windows)], [], week=week))
    assert result.status == INFEASIBLE
    return [(start, end) for _role, start, end in uncovered_rows(result)]


SUNDAY_NIGHT = window(["sun"], "00:00", "06:00")

# (zone, week, the real hours of Sunday 00:00-06:00 local)
CLOCK_CHANGES = [
    pytest.param(
        # Sunday 5 April 2026, 03:00 daylight time (+11) is 02:00 standard (+10):
        # six local hours, seven real ones; the second 02:00 (16:00 UTC) is no slot.
        "Australia/Sydney",
        "2026-03-30",
        [
            ("2026-04-04T13:00:00Z", "2026-04-04T16:00:00Z"),
            ("2026-04-04T17:00:00Z", "2026-04-04T20:00:00Z"),
        ],
        id="Sydney falls back in April: 02:00 twice counts once",
    ),
    pytest.param(
        # Sunday 4 October 2026, 02:00 standard time (+10) is 03:00 daylight (+11).
        "Australia/Sydney",
        "2026-09-28",
        [("2026-10-03T14:00:00Z", "2026-10-03T19:00:00Z")],
        id="Sydney springs forward in October: no 02:00",
    ),
    pytest.param(
        # Sunday 8 March 2026, 02:00 EST (-5) is 03:00 EDT (-4).
        "America/New_York",
        "2026-03-02",
        [("2026-03-08T05:00:00Z", "2026-03-08T10:00:00Z")],
        id="New York springs forward in March: no 02:00",
    ),
    pytest.param(
        # Sunday 1 November 2026, 02:00 EDT (-4) is 01:00 EST (-5): the second
        # 01:00 (06:00 UTC) is no slot.
        "America/New_York",
        "2026-10-26",
        [
            ("2026-11-01T04:00:00Z", "2026-11-01T06:00:00Z"),
            ("2026-11-01T07:00:00Z", "2026-11-01T11:00:00Z"),
        ],
        id="New York falls back in November: 01:00 twice counts once",
    ),
]


# Lord Howe Island moves its clocks by half an hour, on Sydney's Sundays.
FOUR_HOURS = window(["sun"], "00:00", "04:00")
HALF_HOUR_CHANGES = [
    pytest.param(
        # Sunday 5 April, 02:00 (+11) becomes 01:30 (+10:30): 01:00 first shows at
        # 14:00 UTC, 02:00 shows once, at 15:30; 15:00-15:30 is the second 01:30.
        "2026-03-30",
        [
            ("2026-04-04T13:00:00Z", "2026-04-04T15:00:00Z"),
            ("2026-04-04T15:30:00Z", "2026-04-04T17:30:00Z"),
        ],
        id="Lord Howe falls back half an hour",
    ),
    pytest.param(
        # Sunday 4 October, 02:00 (+10:30) becomes 02:30 (+11): 02:00 never shows;
        # 01:00 is 14:30-15:30 UTC and 03:00 is 16:00.
        "2026-09-28",
        [
            ("2026-10-03T13:30:00Z", "2026-10-03T15:30:00Z"),
            ("2026-10-03T16:00:00Z", "2026-10-03T17:00:00Z"),
        ],
        id="Lord Howe springs forward half an hour",
    ),
]


@pytest.mark.parametrize(("week", "hours"), HALF_HOUR_CHANGES)
def test_a_half_hour_clock_change_keeps_whole_local_hours(week, hours):
    assert slots_as_shifts("Australia/Lord_Howe", week, FOUR_HOURS) == hours
    assert slots_as_uncovered("Australia/Lord_Howe", week, FOUR_HOURS) == hours


@pytest.mark.parametrize(("zone", "week", "hours"), CLOCK_CHANGES)
def test_a_night_of_a_clock_change_has_the_slots_of_its_local_hours(zone, week, hours):
    assert slots_as_shifts(zone, week, SUNDAY_NIGHT) == hours
    assert slots_as_uncovered(zone, week, SUNDAY_NIGHT) == hours


@pytest.mark.parametrize(
    ("zone", "week", "local", "slot"),
    [
        (
            "Australia/Sydney",
            "2026-03-30",
            "02:00",
            ("2026-04-04T15:00:00Z", "2026-04-04T16:00:00Z"),
        ),
        (
            "America/New_York",
            "2026-10-26",
            "01:00",
            ("2026-11-01T05:00:00Z", "2026-11-01T06:00:00Z"),
        ),
    ],
    ids=["Sydney", "New York"],
)
def test_a_repeated_hour_is_staffed_once_the_first_time(zone, week, local, slot):
    start = int(local[:2])
    one_hour = window(["sun"], local, f"{start + 1:02d}:00")
    assert slots_as_shifts(zone, week, one_hour) == [slot]


@pytest.mark.parametrize(
    ("zone", "week"),
    [("Australia/Sydney", "2026-09-28"), ("America/New_York", "2026-03-02")],
    ids=["Sydney", "New York"],
)
def test_a_skipped_hour_has_no_slot(zone, week):
    result = solved(
        instance(
            [coverage("r", "s", zone, window(["sun"], "02:00", "03:00"))],
            [],
            week=week,
        )
    )
    assert (result.status, result.cost, result.uncovered) == (OPTIMAL, Decimal("0"), ())


def test_a_member_free_through_a_repeated_hour_is_free_for_its_first_showing_only():
    # A New York member free 00:00-06:00 that Sunday: the weekly pattern's hours
    # follow the slot rules, so the second 01:00 (06:00-07:00 UTC) is not theirs.
    nights = [window(["sun"], "00:00", "06:00")]
    role = coverage("r", "s", "UTC", window(["sun"], "05:00", "08:00"))
    data = instance(
        [role],
        [member("nia", timezone="America/New_York", availability=nights)],
        week="2026-10-26",
    )
    result = solved(data)
    assert result.status == INFEASIBLE
    assert uncovered_rows(result) == [("r", "2026-11-01T06:00:00Z", "2026-11-01T07:00:00Z")]


def test_a_week_of_sydney_mornings_in_april_keeps_0900_as_the_clock_moves():
    # Monday 30 March-Friday 3 April 2026 is daylight time (+11); Sydney's 09:00
    # is 22:00 UTC the day before, and the next week's (+10) would be 23:00.
    hours = slots_as_shifts(
        "Australia/Sydney", "2026-03-30", window(["fri", "sat", "sun", "mon"], "09:00", "10:00")
    )
    assert hours == [
        ("2026-03-29T22:00:00Z", "2026-03-29T23:00:00Z"),  # Monday 30 March, +11
        ("2026-04-02T22:00:00Z", "2026-04-02T23:00:00Z"),  # Friday 3 April, +11
        ("2026-04-03T22:00:00Z", "2026-04-03T23:00:00Z"),  # Saturday 4 April, +11
        ("2026-04-04T23:00:00Z", "2026-04-05T00:00:00Z"),  # Sunday 5 April, +10
    ]


# --- Overnight windows ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "shifts"),
    [
        (window(["mon"], "22:00", "06:00"), [("2026-11-30T22:00:00Z", "2026-12-01T06:00:00Z")]),
        (window(["fri"], "20:00", "24:00"), [("2026-12-04T20:00:00Z", "2026-12-05T00:00:00Z")]),
        (window(["fri"], "20:00", "00:00"), [("2026-12-04T20:00:00Z", "2026-12-05T00:00:00Z")]),
        (window(["mon"], "09:00", "09:00"), [("2026-11-30T09:00:00Z", "2026-12-01T09:00:00Z")]),
        (window(["mon"], "00:00", "24:00"), [("2026-11-30T00:00:00Z", "2026-12-01T00:00:00Z")]),
        # Sunday night runs into the next week's Monday.
        (window(["sun"], "22:00", "06:00"), [("2026-12-06T22:00:00Z", "2026-12-07T06:00:00Z")]),
        # Back-to-back nights join into one shift.
        (
            window(["mon", "tue"], "12:00", "12:00"),
            [("2026-11-30T12:00:00Z", "2026-12-02T12:00:00Z")],
        ),
    ],
    ids=["22-06", "20-24", "20-00", "09-09 is 24 h", "00-24", "sunday night", "two days"],
)
def test_an_overnight_window_runs_past_midnight(hours, shifts):
    assert slots_as_shifts("UTC", "2026-11-30", hours) == shifts


def test_a_sydney_overnight_window_crosses_the_daylight_change():
    # Saturday 3 October 22:00 (+10) to Sunday 06:00 (+11): 02:00 is skipped, 7 slots.
    hours = slots_as_shifts("Australia/Sydney", "2026-09-28", window(["sat"], "22:00", "06:00"))
    assert hours == [("2026-10-03T12:00:00Z", "2026-10-03T19:00:00Z")]


# --- Half-hour offsets ---------------------------------------------------------------------

UTC_4_TO_5 = coverage("r", "s", "UTC", window(["mon"], "04:00", "05:00"))


@pytest.mark.parametrize(
    ("availability", "staffed"),
    [
        # 09:00-11:00 in Kolkata (+05:30) is 03:30-05:30 UTC: holds 04:00-05:00.
        ([window(["mon"], "09:00", "11:00")], True),
        # Two local hours from separate windows hold it just the same.
        ([window(["mon"], "09:00", "10:00"), window(["mon"], "10:00", "11:00")], True),
        # 09:00-10:00 is 03:30-04:30 UTC; 10:00-11:00 is 04:30-05:30: neither alone.
        ([window(["mon"], "09:00", "10:00")], False),
        ([window(["mon"], "10:00", "11:00")], False),
    ],
    ids=["09-11", "09-10 and 10-11", "09-10", "10-11"],
)
def test_a_kolkata_member_staffs_a_utc_hour_only_when_two_local_hours_hold_it(
    availability, staffed
):
    data = instance(
        [UTC_4_TO_5], [member("ira", timezone="Asia/Kolkata", availability=availability)]
    )
    result = solved(data)
    if staffed:
        assert shift_rows(result) == [("r", "ira", "2026-11-30T04:00:00Z", "2026-11-30T05:00:00Z")]
    else:
        assert result.status == INFEASIBLE
        assert uncovered_rows(result) == [("r", "2026-11-30T04:00:00Z", "2026-11-30T05:00:00Z")]


def test_a_kolkata_role_has_its_slots_on_the_half_hour():
    hours = slots_as_shifts("Asia/Kolkata", "2026-11-30", window(["mon"], "10:00", "12:00"))
    assert hours == [("2026-11-30T04:30:00Z", "2026-11-30T06:30:00Z")]


def test_a_member_takes_one_of_two_roles_half_an_hour_apart():
    # r is 04:00-05:00 UTC; k, Kolkata 10:00-11:00, is 04:30-05:30 UTC
    data = instance(
        [UTC_4_TO_5, coverage("k", "s", "Asia/Kolkata", window(["mon"], "10:00", "11:00"))],
        [member("ana", rate="1"), member("bob", rate="5")],
    )
    result = solved(data)
    assert result.cost == Decimal("6")
    assert {(row[0], row[1]) for row in shift_rows(result)} in (
        {("r", "ana"), ("k", "bob")},
        {("r", "bob"), ("k", "ana")},
    )


# --- Availability is a weekly pattern ------------------------------------------------------


def test_a_honolulu_sunday_of_the_week_before_covers_a_sydney_monday_morning():
    # Sydney Monday 30 November 09:00-17:00 (+11) is Sunday 29 November
    # 12:00-20:00 in Honolulu (-10): a day of the week before the one planned.
    data = instance(
        [coverage("support", "s", "Australia/Sydney", window(["mon"], "09:00", "17:00"))],
        [
            member(
                "kai",
                timezone="Pacific/Honolulu",
                availability=[window(["sun"], "12:00", "20:00")],
            )
        ],
    )
    result = solved(data)
    assert shift_rows(result) == [
        ("support", "kai", "2026-11-29T22:00:00Z", "2026-11-30T06:00:00Z")
    ]


def test_a_honolulu_monday_is_a_sydney_tuesday():
    data = instance(
        [coverage("support", "s", "Australia/Sydney", window(["mon"], "09:00", "17:00"))],
        [
            member(
                "kai",
                timezone="Pacific/Honolulu",
                availability=[window(["mon"], "12:00", "20:00")],
            )
        ],
    )
    result = solved(data)
    assert result.status == INFEASIBLE
    assert uncovered_rows(result) == [("support", "2026-11-29T22:00:00Z", "2026-11-30T06:00:00Z")]


def test_a_sydney_monday_of_the_week_after_covers_a_utc_sunday_night():
    # Sunday 6 December 22:00-24:00 UTC is Monday 7 December 09:00-11:00 in
    # Sydney (+11): a day of the week after the one planned.
    data = instance(
        [coverage("r", "s", "UTC", window(["sun"], "22:00", "24:00"))],
        [
            member(
                "syd",
                timezone="Australia/Sydney",
                availability=[window(["mon"], "09:00", "11:00")],
            )
        ],
    )
    result = solved(data)
    assert shift_rows(result) == [("r", "syd", "2026-12-06T22:00:00Z", "2026-12-07T00:00:00Z")]


def test_manila_mornings_are_sydneys_working_days():
    data = instance(
        [coverage("support", "s", "Australia/Sydney", window(WEEKDAYS, "09:00", "17:00"))],
        [
            member(
                "ana",
                timezone="Asia/Manila",
                availability=[window(WEEKDAYS, "06:00", "14:00")],
            )
        ],
    )
    assert [start for _r, _m, start, _e in shift_rows(solved(data))] == [
        f"2026-{day}T22:00:00Z" for day in ("11-29", "11-30", "12-01", "12-02", "12-03")
    ]


# --- Real free time given as intervals ----------------------------------------------------


def _typed_with_intervals(*intervals: tuple[dt.datetime, dt.datetime]) -> Instance:
    base = parse_instance(
        instance(
            [coverage("r", "s", "UTC", window(["mon"], "09:00", "12:00"))],
            # Their weekly pattern would cover everything; the intervals rule.
            [member("ana")],
        )
    )
    given = Member(
        id="ana",
        skills=frozenset({"s"}),
        timezone="UTC",
        rate=Decimal("10"),
        capacity=40,
        availability=base.members[0].availability,
        intervals=intervals,
    )
    return Instance(week=base.week, roles=base.roles, members=(given,))


def test_a_member_given_intervals_is_free_in_those_only():
    # Free 09:00-10:00 and 10:30-12:00 UTC (their other engagement holds 10:00-10:30)
    typed = _typed_with_intervals(
        (utc("2026-11-30T09:00"), utc("2026-11-30T10:00")),
        (utc("2026-11-30T10:30"), utc("2026-11-30T12:00")),
    )
    result = solve(typed)
    assert result.status == INFEASIBLE
    assert uncovered_rows(result) == [("r", "2026-11-30T10:00:00Z", "2026-11-30T11:00:00Z")]


def test_intervals_in_any_zone_are_real_instants():
    # 18:00-21:00 in Tokyo (+9) is 09:00-12:00 UTC
    tokyo = dt.timezone(dt.timedelta(hours=9))
    typed = _typed_with_intervals(
        (dt.datetime(2026, 11, 30, 18, tzinfo=tokyo), dt.datetime(2026, 11, 30, 21, tzinfo=tokyo)),
    )
    result = solve(typed)
    assert validate(typed, result) == []
    assert shift_rows(result) == [("r", "ana", "2026-11-30T09:00:00Z", "2026-11-30T12:00:00Z")]


def test_an_interval_starting_a_second_late_does_not_hold_the_hour():
    typed = _typed_with_intervals(
        (utc("2026-11-30T09:00") + dt.timedelta(seconds=1), utc("2026-11-30T12:00")),
    )
    result = solve(typed)
    assert uncovered_rows(result) == [("r", "2026-11-30T09:00:00Z", "2026-11-30T10:00:00Z")]


def test_a_day_the_calendar_skipped_has_no_slots():
    # Samoa crossed the date line after Thursday 29 December 2011 (-10): Friday
    # the 30th never happened, and Saturday 00:00 (+14) came an hour after
    # Thursday 23:00.
    hours = slots_as_shifts(
        "Pacific/Apia",
        "2011-12-26",
        window(["thu"], "23:00", "02:00"),  # its last two hours fall on the 30th
        window(["fri"], "09:00", "17:00"),
        window(["sat"], "00:00", "01:00"),
    )
    assert hours == [("2011-12-30T09:00:00Z", "2011-12-30T11:00:00Z")]


def test_an_interval_starting_a_fraction_of_a_second_late_does_not_hold_the_hour():
    typed = _typed_with_intervals(
        (utc("2026-11-30T09:00") + dt.timedelta(milliseconds=500), utc("2026-11-30T12:00")),
    )
    result = solve(typed)
    assert uncovered_rows(result) == [("r", "2026-11-30T09:00:00Z", "2026-11-30T10:00:00Z")]
