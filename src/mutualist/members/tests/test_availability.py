"""Weekly availability: validation, weekly hours and overlap across time zones.

Expected overlaps are worked out by hand in each test's comment, from the UTC
offsets the IANA database gives for that week.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mutualist.core.errors import ValidationFailed
from mutualist.members.availability import (
    Window,
    business_hours,
    overlap_hours,
    parse_time,
    parse_weekday,
    weekly_hours,
    windows_validate,
)

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def w(weekday: int, start: str, end: str) -> Window:
    return Window(weekday, dt.time.fromisoformat(start), dt.time.fromisoformat(end))


def weekdays(start: str, end: str) -> list[Window]:
    return [w(day, start, end) for day in (MON, TUE, WED, THU, FRI)]


def assert_refused(windows: list[Window], code: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        windows_validate(windows)
    assert refused.value.code == code
    assert refused.value.field == "availability"


# --- windows_validate -----------------------------------------------------------


def test_it_accepts_windows_that_touch_end_to_start_and_returns_them_sorted():
    # given two windows where one ends exactly when the other starts
    windows = [w(MON, "12:00", "15:00"), w(MON, "09:00", "12:00")]

    # when they are validated
    checked = windows_validate(windows)

    # then both are kept, in order
    assert checked == [w(MON, "09:00", "12:00"), w(MON, "12:00", "15:00")]


def test_it_refuses_overlapping_windows_on_the_same_day():
    assert_refused([w(MON, "09:00", "12:00"), w(MON, "11:00", "15:00")], "overlapping_availability")


def test_it_refuses_a_window_inside_another():
    assert_refused([w(TUE, "08:00", "18:00"), w(TUE, "10:00", "11:00")], "overlapping_availability")


def test_it_refuses_a_night_shift_that_runs_into_the_next_mornings_window():
    # given Monday 22:00 - Tuesday 06:00 and Tuesday 05:00 - 09:00
    assert_refused([w(MON, "22:00", "06:00"), w(TUE, "05:00", "09:00")], "overlapping_availability")


def test_it_refuses_a_sunday_night_shift_that_runs_into_monday_morning():
    # the week wraps: Sunday 22:00 - Monday 06:00 meets Monday 05:00 - 09:00
    assert_refused([w(SUN, "22:00", "06:00"), w(MON, "05:00", "09:00")], "overlapping_availability")


def test_it_accepts_a_sunday_night_shift_that_ends_when_monday_starts():
    windows = [w(SUN, "22:00", "06:00"), w(MON, "06:00", "09:00")]

    assert windows_validate(windows) == [w(MON, "06:00", "09:00"), w(SUN, "22:00", "06:00")]


def test_it_refuses_a_window_given_twice():
    assert_refused([w(WED, "09:00", "17:00"), w(WED, "09:00", "17:00")], "overlapping_availability")


def test_it_refuses_an_empty_window():
    assert_refused([w(THU, "09:00", "09:00")], "empty_availability_window")


@pytest.mark.parametrize("weekday", [-1, 7])
def test_it_refuses_a_weekday_out_of_range(weekday):
    assert_refused([Window(weekday, dt.time(9), dt.time(17))], "invalid_weekday")


def test_a_window_ending_at_midnight_does_not_overlap_the_next_day():
    windows = [w(MON, "22:00", "00:00"), w(TUE, "00:00", "02:00")]

    assert windows_validate(windows) == windows
    assert windows[0].duration_minutes == 120
    assert windows[0].label() == "Mon 22:00-00:00"


def test_it_accepts_no_windows_at_all():
    assert windows_validate([]) == []


# --- parsing ----------------------------------------------------------------------


@pytest.mark.parametrize("text", ["25:00", "9h", "", "noon", "12:60"])
def test_it_refuses_a_malformed_time(text):
    with pytest.raises(ValidationFailed) as refused:
        parse_time(text)

    assert refused.value.code == "invalid_time"
    assert refused.value.field == "availability"


@pytest.mark.parametrize("text", ["09:00:30", "09:00+02:00"])
def test_it_refuses_a_time_with_seconds_or_an_offset(text):
    with pytest.raises(ValidationFailed) as refused:
        parse_time(text)

    assert refused.value.code == "invalid_time"


def test_it_parses_hh_mm_and_passes_a_time_through():
    assert parse_time("09:30") == dt.time(9, 30)
    assert parse_time(dt.time(22, 0)) == dt.time(22, 0)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, MON), (6, SUN), ("mon", MON), ("Sun", SUN), (" TUESDAY ", TUE), ("saturday", SAT)],
)
def test_it_parses_weekday_numbers_and_names(value, expected):
    assert parse_weekday(value) == expected


@pytest.mark.parametrize("value", [7, -1, True, "", "funday", "monkey", "sunshine", "m"])
def test_it_refuses_something_that_is_not_a_weekday(value):
    with pytest.raises(ValidationFailed) as refused:
        parse_weekday(value)

    assert refused.value.code == "invalid_weekday"
    assert refused.value.field == "availability"


# --- weekly_hours ---------------------------------------------------------------


def test_weekly_hours_of_an_office_week_is_forty():
    assert weekly_hours(business_hours()) == Decimal("40.00")


def test_weekly_hours_counts_a_night_shift_across_midnight():
    assert weekly_hours([w(MON, "22:00", "06:00"), w(SUN, "23:00", "00:00")]) == Decimal("9.00")


def test_weekly_hours_rounds_to_hundredths():
    # 20 minutes is a third of an hour
    assert weekly_hours([w(MON, "09:00", "09:20")]) == Decimal("0.33")
    assert weekly_hours([]) == Decimal("0.00")


# --- overlap_hours --------------------------------------------------------------

MANILA_MORNINGS = weekdays("06:00", "14:00")


def test_manila_mornings_meet_seven_hours_of_each_sydney_day_in_the_australian_winter():
    # Sydney on AEST (UTC+10), Manila UTC+8: Sydney 09:00-17:00 is Manila
    # 07:00-15:00; inside Manila 06:00-14:00 that is 07:00-14:00, 7 h x 5 days.
    hours = overlap_hours(
        MANILA_MORNINGS,
        "Asia/Manila",
        business_hours(),
        "Australia/Sydney",
        week_start=dt.date(2025, 6, 2),
    )

    assert hours == Decimal("35.00")


def test_manila_mornings_cover_all_of_each_sydney_day_in_the_australian_summer():
    # Sydney on AEDT (UTC+11): Sydney 09:00-17:00 is Manila 06:00-14:00 exactly.
    hours = overlap_hours(
        MANILA_MORNINGS,
        "Asia/Manila",
        business_hours(),
        "Australia/Sydney",
        week_start=dt.date(2025, 1, 6),
    )

    assert hours == Decimal("40.00")


@pytest.mark.parametrize(
    ("week_start", "expected"),
    [
        # the last week of AEDT: daylight saving ends Sunday 6 April 2025
        (dt.date(2025, 3, 31), Decimal("40.00")),
        # the first week back on AEST
        (dt.date(2025, 4, 7), Decimal("35.00")),
    ],
)
def test_overlap_follows_sydney_daylight_saving_week_by_week(week_start, expected):
    hours = overlap_hours(
        MANILA_MORNINGS,
        "Asia/Manila",
        business_hours(),
        "Australia/Sydney",
        week_start=week_start,
    )

    assert hours == expected


@pytest.mark.parametrize(
    ("week_start", "expected"),
    [
        # EST (UTC-5) and GMT: London 09:00-17:00 is New York 04:00-12:00 -> 3 h a day
        (dt.date(2025, 3, 3), Decimal("15.00")),
        # New York moved to EDT on 9 March, London waits until 30 March: a
        # 4-hour gap, London 09:00-17:00 is New York 05:00-13:00 -> 4 h a day
        (dt.date(2025, 3, 10), Decimal("20.00")),
        # both on summer time (EDT, BST): 5 hours apart again -> 3 h a day
        (dt.date(2025, 3, 31), Decimal("15.00")),
    ],
)
def test_new_york_and_london_overlap_an_hour_more_in_the_weeks_between_their_clock_changes(
    week_start, expected
):
    hours = overlap_hours(
        weekdays("09:00", "17:00"),
        "America/New_York",
        business_hours(),
        "Europe/London",
        week_start=week_start,
    )

    assert hours == expected


@pytest.mark.parametrize(
    ("week_start", "expected"),
    [
        # Saturday 8 March 22:00 EST to Sunday 06:00 EDT: the clocks skip 02:00-03:00
        (dt.date(2025, 3, 3), Decimal("7.00")),
        # Saturday 1 November 22:00 EDT to Sunday 06:00 EST: 01:00-02:00 happens twice
        (dt.date(2025, 10, 27), Decimal("9.00")),
        # an ordinary week
        (dt.date(2025, 6, 2), Decimal("8.00")),
    ],
)
def test_a_night_shift_over_a_clock_change_lasts_the_real_hours(week_start, expected):
    night = [w(SAT, "22:00", "06:00")]

    hours = overlap_hours(
        night, "America/New_York", night, "America/New_York", week_start=week_start
    )

    assert weekly_hours(night) == Decimal("8.00")
    assert hours == expected


@pytest.mark.parametrize(
    ("week_start", "expected"),
    [
        # EDT (UTC-4): New York 09:00-17:00 is Manila 21:00-05:00 (+1 day);
        # inside the 22:00-06:00 shift that is 22:00-05:00, 7 h x 5 nights
        (dt.date(2025, 6, 2), Decimal("35.00")),
        # EST (UTC-5): New York 09:00-17:00 is Manila 22:00-06:00 exactly
        (dt.date(2025, 1, 6), Decimal("40.00")),
    ],
)
def test_a_manila_night_shift_across_midnight_covers_new_york_office_hours(week_start, expected):
    nights = weekdays("22:00", "06:00")

    hours = overlap_hours(
        nights, "Asia/Manila", business_hours(), "America/New_York", week_start=week_start
    )

    assert hours == expected


def test_a_repeating_sunday_night_window_meets_the_other_weeks_monday_morning():
    # ours Sunday 22:00 - Monday 02:00 repeats: last week's copy covers this
    # Monday 00:00-02:00 of theirs (Monday 00:00-04:00)
    hours = overlap_hours(
        [w(SUN, "22:00", "02:00")],
        "UTC",
        [w(MON, "00:00", "04:00")],
        "UTC",
        week_start=dt.date(2025, 6, 2),
    )

    assert hours == Decimal("2.00")


def test_their_sunday_night_window_meets_our_next_mondays_window():
    # theirs Sunday 23:00 - Monday 01:00 ends in the following week, where our
    # Monday 00:00-03:00 repeats: they share Monday 00:00-01:00
    hours = overlap_hours(
        [w(MON, "00:00", "03:00")],
        "UTC",
        [w(SUN, "23:00", "01:00")],
        "UTC",
        week_start=dt.date(2025, 6, 2),
    )

    assert hours == Decimal("1.00")


def test_a_week_start_that_is_not_a_monday_means_the_week_containing_it():
    # given a Wednesday: the week still runs from Monday 2 June 2025
    wednesday = overlap_hours(
        MANILA_MORNINGS,
        "Asia/Manila",
        business_hours(),
        "Australia/Sydney",
        week_start=dt.date(2025, 6, 4),
    )

    assert wednesday == Decimal("35.00")


def test_no_windows_overlap_nothing():
    assert overlap_hours(
        [], "UTC", business_hours(), "UTC", week_start=dt.date(2025, 6, 2)
    ) == Decimal("0.00")


# --- properties -----------------------------------------------------------------

# Zones with one UTC offset all year, so a week is the same every week and the
# overlap can be brute-forced on a circle of quarter-hour slots.
FIXED_OFFSET_MINUTES = {
    "UTC": 0,
    "Asia/Manila": 8 * 60,
    "Asia/Kolkata": 5 * 60 + 30,
    "Asia/Kathmandu": 5 * 60 + 45,
    "Africa/Lagos": 60,
    "America/Bogota": -5 * 60,
    "Pacific/Honolulu": -10 * 60,
}
SLOT = 15
SLOTS_PER_WEEK = 7 * 24 * 60 // SLOT
SLOTS_PER_DAY = 24 * 60 // SLOT
MONDAYS = [dt.date(2025, 1, 6), dt.date(2025, 3, 10), dt.date(2025, 6, 30), dt.date(2025, 11, 3)]


def slot_window(weekday: int, start_slot: int, length: int) -> Window:
    start = start_slot * SLOT
    end = (start + length * SLOT) % (24 * 60)
    return Window(weekday, dt.time(start // 60, start % 60), dt.time(end // 60, end % 60))


def occupied(window: Window) -> set[int]:
    """The quarter-hours of the week (0 = Monday 00:00) a window covers."""
    first = window.weekday * SLOTS_PER_DAY + (window.start.hour * 60 + window.start.minute) // SLOT
    return {(first + k) % SLOTS_PER_WEEK for k in range(window.duration_minutes // SLOT)}


candidate_windows = st.builds(
    slot_window,
    weekday=st.integers(0, 6),
    start_slot=st.integers(0, SLOTS_PER_DAY - 1),
    length=st.integers(1, SLOTS_PER_DAY - 1),
)


@st.composite
def disjoint_weeks(draw: st.DrawFn) -> list[Window]:
    """Windows kept greedily when none of their quarter-hours is taken yet."""
    kept: list[Window] = []
    taken: set[int] = set()
    for window in draw(st.lists(candidate_windows, max_size=12)):
        slots = occupied(window)
        if not slots & taken:
            kept.append(window)
            taken |= slots
    return kept


def slots_in_utc(windows: list[Window], tz: str) -> set[int]:
    shift = FIXED_OFFSET_MINUTES[tz] // SLOT
    return {(slot - shift) % SLOTS_PER_WEEK for window in windows for slot in occupied(window)}


zones = st.sampled_from(sorted(FIXED_OFFSET_MINUTES))
mondays = st.sampled_from(MONDAYS)


@settings(max_examples=200, deadline=None)
@given(windows=disjoint_weeks())
def test_property_validate_accepts_any_set_of_non_overlapping_windows(windows):
    assert windows_validate(windows) == sorted(windows)


@settings(max_examples=300, deadline=None)
@given(windows=disjoint_weeks(), extra=candidate_windows)
def test_property_validate_refuses_an_added_window_exactly_when_it_shares_time(windows, extra):
    clashes = bool(occupied(extra) & {slot for window in windows for slot in occupied(window)})

    if clashes:
        with pytest.raises(ValidationFailed) as refused:
            windows_validate([*windows, extra])
        assert refused.value.code == "overlapping_availability"
    else:
        assert windows_validate([*windows, extra]) == sorted([*windows, extra])


@settings(max_examples=200, deadline=None)
@given(windows=disjoint_weeks())
def test_property_weekly_hours_counts_every_quarter_hour_once(windows):
    quarters = sum(len(occupied(window)) for window in windows)

    assert weekly_hours(windows) == Decimal(quarters * SLOT) / 60


@settings(max_examples=200, deadline=None)
@given(windows=disjoint_weeks(), tz=zones, monday=mondays)
def test_property_overlap_with_itself_in_the_same_zone_is_its_weekly_hours(windows, tz, monday):
    assert overlap_hours(windows, tz, windows, tz, week_start=monday) == weekly_hours(windows)


@settings(max_examples=300, deadline=None)
@given(ours=disjoint_weeks(), theirs=disjoint_weeks(), tz=zones, other_tz=zones, monday=mondays)
def test_property_overlap_equals_the_brute_force_count_and_exceeds_neither_side(
    ours, theirs, tz, other_tz, monday
):
    hours = overlap_hours(ours, tz, theirs, other_tz, week_start=monday)

    shared = slots_in_utc(ours, tz) & slots_in_utc(theirs, other_tz)
    assert hours == (Decimal(len(shared) * SLOT) / 60).quantize(Decimal("0.01"))
    assert hours <= min(weekly_hours(ours), weekly_hours(theirs))
    # with fixed offsets a week is every week, so it does not matter whose repeats
    assert hours == overlap_hours(theirs, other_tz, ours, tz, week_start=monday)
