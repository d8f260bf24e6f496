"""Whole-hour windows in a time zone, turned into the real UTC hours of a week."""

from __future__ import annotations

import datetime as dt

import pytest

from mutualist.core.errors import ValidationFailed
from mutualist.work.coverage import (
    HourWindow,
    hour_windows_parse,
    overlap_minutes,
    parse_hour,
    slots_of,
    window_occurrences,
    window_slots,
)

UTC = dt.UTC


def hours(slots: list[dt.datetime]) -> list[str]:
    return [f"{slot:%a %H:%M}" for slot in slots]


def test_a_sydney_business_day_is_eight_utc_hours_the_day_before():
    # given: Monday 30 Nov 2026, Sydney on summer time (UTC+11)
    window = HourWindow(0, 9, 17)
    # when
    slots = window_slots(window, "Australia/Sydney", dt.date(2026, 11, 30))
    # then
    assert hours(slots) == [f"Sun {h:02d}:00" for h in range(22, 24)] + [
        f"Mon {h:02d}:00" for h in range(0, 6)
    ]


@pytest.mark.parametrize(
    ("zone", "week", "weekday", "expected"),
    [
        # clocks go forward at 02:00: the 02:00 hour does not exist
        ("America/New_York", dt.date(2026, 3, 2), 6, 5),  # Sunday 8 March
        ("Europe/London", dt.date(2026, 3, 23), 6, 5),  # Sunday 29 March, 01:00
        ("Australia/Sydney", dt.date(2026, 9, 28), 6, 5),  # Sunday 4 October
        # clocks go back: the repeated hour counts once, so still six
        ("America/New_York", dt.date(2026, 10, 26), 6, 6),  # Sunday 1 November
        ("Europe/London", dt.date(2026, 10, 19), 6, 6),  # Sunday 25 October
        ("Australia/Sydney", dt.date(2026, 3, 30), 6, 6),  # Sunday 5 April
    ],
)
def test_a_night_window_across_a_clock_change_follows_the_zones_rules(
    zone, week, weekday, expected
):
    # given: 00:00-06:00 local on the night the clocks change
    window = HourWindow(weekday, 0, 6)
    # when
    slots = window_slots(window, zone, week)
    # then
    assert len(slots) == expected
    assert len(set(slots)) == expected
    assert slots == sorted(slots)


def test_the_repeated_hour_is_the_first_one():
    # given: London falls back at 02:00 BST on Sunday 25 October 2026: 01:00 happens twice
    window = HourWindow(6, 1, 2)
    # when
    [slot] = window_slots(window, "Europe/London", dt.date(2026, 10, 19))
    # then: the first 01:00 is still summer time, 00:00 UTC
    assert slot == dt.datetime(2026, 10, 25, 0, 0, tzinfo=UTC)


def test_a_shift_across_spring_forward_is_one_interval_an_hour_shorter():
    # given: New York, Sunday 8 March 2026, 00:00-06:00 local
    window = HourWindow(6, 0, 6)
    # when
    [(start, end)] = window_occurrences(window, "America/New_York", dt.date(2026, 3, 2))
    # then
    assert start == dt.datetime(2026, 3, 8, 5, 0, tzinfo=UTC)  # 00:00 EST
    assert end == dt.datetime(2026, 3, 8, 10, 0, tzinfo=UTC)  # 06:00 EDT
    assert end - start == dt.timedelta(hours=5)


def test_a_shift_across_the_autumn_change_is_one_interval_an_hour_longer():
    # given: London, Saturday 24 October 2026 22:00 to Sunday 06:00 local; the
    # clocks go back from 02:00 BST to 01:00 GMT in between
    window = HourWindow(5, 22, 6)
    # when
    [(start, end)] = window_occurrences(window, "Europe/London", dt.date(2026, 10, 19))
    # then: one continuous stretch, nine real hours, no gap at the repeated hour
    assert start == dt.datetime(2026, 10, 24, 21, 0, tzinfo=UTC)  # 22:00 BST
    assert end == dt.datetime(2026, 10, 25, 6, 0, tzinfo=UTC)  # 06:00 GMT
    assert end - start == dt.timedelta(hours=9)
    # while coverage still counts each hour of the wall clock once: eight
    assert len(window_slots(window, "Europe/London", dt.date(2026, 10, 19))) == 8


@pytest.mark.parametrize(
    ("window", "zone", "week", "start", "end"),
    [
        # the start hour is skipped (New York, 02:00 EST -> 03:00 EDT): from the jump
        (HourWindow(6, 2, 5), "America/New_York", dt.date(2026, 3, 2),
         dt.datetime(2026, 3, 8, 7, tzinfo=UTC), dt.datetime(2026, 3, 8, 9, tzinfo=UTC)),
        # the end hour is skipped: until the jump
        (HourWindow(5, 22, 2), "America/New_York", dt.date(2026, 3, 2),
         dt.datetime(2026, 3, 8, 3, tzinfo=UTC), dt.datetime(2026, 3, 8, 7, tzinfo=UTC)),
        # the end hour happens twice (London, 01:00): until its second time, 01:00 GMT
        (HourWindow(5, 22, 1), "Europe/London", dt.date(2026, 10, 19),
         dt.datetime(2026, 10, 24, 21, tzinfo=UTC), dt.datetime(2026, 10, 25, 1, tzinfo=UTC)),
        # the start hour happens twice: from its first time, 01:00 BST
        (HourWindow(6, 1, 3), "Europe/London", dt.date(2026, 10, 19),
         dt.datetime(2026, 10, 25, 0, tzinfo=UTC), dt.datetime(2026, 10, 25, 3, tzinfo=UTC)),
        # a half-hour change (Lord Howe, 02:00 -> 02:30): from the jump, half an hour
        (HourWindow(6, 2, 3), "Australia/Lord_Howe", dt.date(2026, 9, 28),
         dt.datetime(2026, 10, 3, 15, 30, tzinfo=UTC), dt.datetime(2026, 10, 3, 16, tzinfo=UTC)),
    ],
)  # fmt: skip
def test_a_shift_starts_and_ends_where_the_clocks_show_its_hours(window, zone, week, start, end):
    assert window_occurrences(window, zone, week) == [(start, end)]


def test_a_shift_whose_every_hour_is_skipped_does_not_happen():
    # New York skips 02:00-03:00 on Sunday 8 March 2026
    assert window_occurrences(HourWindow(6, 2, 3), "America/New_York", dt.date(2026, 3, 2)) == []


def test_a_night_shift_runs_into_the_next_day_and_sunday_into_monday():
    # given
    night = HourWindow(6, 22, 6)
    # when
    slots = window_slots(night, "America/New_York", dt.date(2026, 11, 30))
    # then: Sunday 6 December 22:00 EST to Monday 7 December 06:00 EST
    assert len(slots) == 8
    assert slots[0] == dt.datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
    assert slots[-1] == dt.datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def test_midnight_at_the_end_of_the_day_is_24():
    assert HourWindow(0, 18, 24).hours == 6
    assert not HourWindow(0, 18, 24).crosses_midnight
    assert HourWindow(0, 0, 24).hours == 24


def test_it_parses_the_engines_shape_into_one_window_per_day():
    windows = hour_windows_parse(
        [{"days": ["mon", "tue"], "start": "09:00", "end": "17:00"}], field="coverage"
    )
    assert windows == [HourWindow(0, 9, 17), HourWindow(1, 9, 17)]


@pytest.mark.parametrize(
    ("items", "code", "field"),
    [
        ([{"days": ["mon"], "start": "09:30", "end": "17:00"}], "not_whole_hour", "w[0].start"),
        ([{"days": ["mon"], "start": "09:00", "end": "25:00"}], "invalid_time", "w[0].end"),
        ([{"days": ["mon"], "start": "24:00", "end": "06:00"}], "invalid_time", "w[0].start"),
        ([{"days": ["mon"], "start": "9", "end": "17:00"}], "invalid_time", "w[0].start"),
        ([{"days": ["mon"], "start": "09:00", "end": "09:00"}], "empty_window", "w"),
        ([{"days": ["funday"], "start": "09:00", "end": "17:00"}], "invalid_weekday", "w[0].days"),
        ([{"days": [], "start": "09:00", "end": "17:00"}], "invalid_weekday", "w[0].days"),
        (
            [
                {"days": ["mon"], "start": "09:00", "end": "17:00"},
                {"days": ["mon"], "start": "16:00", "end": "18:00"},
            ],
            "overlapping_windows",
            "w",
        ),
        (
            # Sunday night into Monday morning overlaps Monday's early window
            [
                {"days": ["sun"], "start": "22:00", "end": "06:00"},
                {"days": ["mon"], "start": "05:00", "end": "09:00"},
            ],
            "overlapping_windows",
            "w",
        ),
    ],
)
def test_it_refuses_windows_it_cannot_read_naming_the_field(items, code, field):
    with pytest.raises(ValidationFailed) as refused:
        hour_windows_parse(items, field="w")
    assert (refused.value.code, refused.value.field) == (code, field)


def test_24_is_only_an_end():
    assert parse_hour("24:00", field="x", end=True) == 24
    with pytest.raises(ValidationFailed):
        parse_hour("24:00", field="x")


def test_overlap_counts_real_minutes_in_both():
    # given: Sydney 09-17 against Manila 06-14 (UTC+8) on a summer Monday in Sydney
    sydney = window_occurrences(HourWindow(0, 9, 17), "Australia/Sydney", dt.date(2026, 11, 30))
    manila = window_occurrences(HourWindow(0, 6, 14), "Asia/Manila", dt.date(2026, 11, 30))
    # when / then: Sydney 09:00 is Manila 06:00, so all eight hours meet
    assert overlap_minutes(sydney, manila) == 8 * 60


def test_slots_of_counts_each_hour_once():
    windows = [HourWindow(0, 9, 12), HourWindow(1, 9, 12)]
    assert len(slots_of(windows, "Europe/London", dt.date(2026, 11, 30))) == 6
