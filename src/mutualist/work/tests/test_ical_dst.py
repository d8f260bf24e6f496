"""The calendar feed's shifts land on the right real hours across
daylight-saving changes: each shift's DTSTART/DTEND instants are the
instants ``work.coverage.window_slots`` gives for that week, read either
with the zone's name or with the VTIMEZONE the feed carries."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar, Timezone

from mutualist.members.models import User
from mutualist.testing import Cast
from mutualist.work.coverage import HourWindow, slots_to_intervals, window_slots
from mutualist.work.ical import member_calendar, member_calendar_ics
from mutualist.work.models import (
    Client,
    Engagement,
    EngagementMember,
    EngagementShift,
)

UTC = dt.UTC
# Saturday night into Sunday: over midnight and across the change, which
# happens early on a Sunday in all three zones.
NIGHT = HourWindow(5, 22, 6)  # Sat 22:00-06:00
DAY = HourWindow(0, 9, 17)  # Mon 09:00-17:00


def engagement_in(cast: Cast, member: User, tz: str) -> EngagementMember:
    """An active engagement of collective A in ``tz``, with ``member`` on
    shift on the windows above."""
    client = Client.objects.create(
        name=f"Client in {tz}",
        country="AU",
        timezone=tz,
        currency="AUD",
        billing_address="1 Street",
        created_by=member,
    )
    engagement = Engagement.objects.create(
        collective=cast.collective_a,
        client=client,
        title=f"Night desk, {tz}",
        currency="AUD",
        timezone=tz,
        status=Engagement.Status.ACTIVE,
        starts_on=dt.date(2026, 1, 1),
    )
    seat = EngagementMember.objects.create(
        engagement=engagement,
        user=member,
        role_title="Night desk",
        bill_rate_minor=2500,
        pay_rate_minor=2000,
        weekly_cap_hours=40,
        joined_at=dt.datetime(2026, 1, 1, tzinfo=UTC),
    )
    for window in (NIGHT, DAY):
        EngagementShift.objects.create(
            member=seat,
            weekday=window.weekday,
            start_hour=window.start_hour,
            end_hour=window.end_hour,
        )
    return seat


def shift_instants(calendar: Calendar) -> set[tuple[dt.datetime, dt.datetime]]:
    """(start, end) in UTC of every shift event, read with the zone's name."""
    found = set()
    for event in calendar.walk("VEVENT"):
        if str(event["UID"]).startswith("shift-"):
            start, end = event.decoded("DTSTART"), event.decoded("DTEND")
            found.add((start.astimezone(UTC), end.astimezone(UTC)))
    return found


def shift_instants_by_vtimezone(ics: bytes) -> set[tuple[dt.datetime, dt.datetime]]:
    """The same, but each wall-clock time read with the feed's own VTIMEZONE
    rules (as a calendar app without a time-zone database would)."""
    calendar = Calendar.from_ical(ics)
    zones = {}
    for tz in calendar.walk("VTIMEZONE"):
        assert isinstance(tz, Timezone)
        zones[str(tz["TZID"])] = tz.to_tz(lookup_tzid=False)

    def instant(prop: object) -> dt.datetime:
        value = prop.dt  # type: ignore[attr-defined]
        tzid = prop.params.get("TZID")  # type: ignore[attr-defined]
        if tzid is None:
            assert value.tzinfo is not None and value.utcoffset() == dt.timedelta(0)
            return dt.datetime.fromtimestamp(value.timestamp(), UTC)
        naive: dt.datetime = value.replace(tzinfo=None)
        return naive.replace(tzinfo=zones[tzid]).astimezone(UTC)

    return {
        (instant(event["DTSTART"]), instant(event["DTEND"]))
        for event in calendar.walk("VEVENT")
        if str(event["UID"]).startswith("shift-")
    }


def expected_week(tz: str, week: dt.date) -> set[tuple[dt.datetime, dt.datetime]]:
    intervals = set()
    for window in (NIGHT, DAY):
        intervals |= set(slots_to_intervals(window_slots(window, tz, week)))
    return intervals


# (zone, the Sunday the clocks change, what happens)
TRANSITIONS = [
    pytest.param("Australia/Sydney", dt.date(2026, 4, 5), "back", id="sydney-april"),
    pytest.param("Australia/Sydney", dt.date(2026, 10, 4), "forward", id="sydney-october"),
    pytest.param("America/New_York", dt.date(2026, 3, 8), "forward", id="new-york-march"),
    pytest.param("America/New_York", dt.date(2026, 11, 1), "back", id="new-york-november"),
    pytest.param("Europe/London", dt.date(2026, 3, 29), "forward", id="london-march"),
    pytest.param("Europe/London", dt.date(2026, 10, 25), "back", id="london-october"),
]


def _in_week(
    instants: set[tuple[dt.datetime, dt.datetime]], tz: str, monday: dt.date
) -> set[tuple[dt.datetime, dt.datetime]]:
    """The intervals that start in the week of ``monday`` on ``tz``'s wall clock."""
    zone = ZoneInfo(tz)
    last = monday + dt.timedelta(days=6)
    return {(a, b) for a, b in instants if monday <= a.astimezone(zone).date() <= last}


@pytest.mark.parametrize(("tz", "sunday", "change"), TRANSITIONS)
def test_shifts_across_a_clock_change_land_on_the_hours_window_slots_give(
    cast: Cast, tz: str, sunday: dt.date, change: str
) -> None:
    # given Ana on shift Sat 22:00-06:00 and Mon 09:00-17:00 in ``tz``
    engagement_in(cast, cast.ana, tz)
    monday = sunday - dt.timedelta(days=6)  # the week holding the change
    # when her feed is built on the Wednesday of that week
    now = dt.datetime.combine(monday + dt.timedelta(days=2), dt.time(12), tzinfo=UTC)
    ics = member_calendar_ics(user=cast.ana, now=now)
    calendar = Calendar.from_ical(ics)

    # then that week's shifts are exactly the real intervals of its slots
    expected = expected_week(tz, monday)
    assert _in_week(shift_instants(calendar), tz, monday) == expected
    # and reading the wall-clock times with the feed's VTIMEZONE gives the same
    assert _in_week(shift_instants_by_vtimezone(ics), tz, monday) == expected
    # and the week after the change too (the new offset, a full-length night)
    following = monday + dt.timedelta(weeks=1)
    assert _in_week(shift_instants(calendar), tz, following) == expected_week(tz, following)
    # and the night shift is an hour shorter going forward, and split around
    # the repeated hour going back (which counts once, the first time)
    night = slots_to_intervals(window_slots(NIGHT, tz, monday))
    if change == "forward":
        assert [(b - a) for a, b in night] == [dt.timedelta(hours=7)]
    else:
        assert [(b - a) for a, b in night] in (
            [dt.timedelta(hours=4), dt.timedelta(hours=4)],
            [dt.timedelta(hours=5), dt.timedelta(hours=3)],
        )
    assert {(a, b) for a, b in night} <= shift_instants(calendar)


def test_the_second_of_two_equal_local_times_is_written_in_utc(cast: Cast) -> None:
    # given Ana on a London night shift, and the clocks going back on 25 October 2026
    engagement_in(cast, cast.ana, "Europe/London")
    now = dt.datetime(2026, 10, 21, 12, tzinfo=UTC)

    ics = member_calendar_ics(user=cast.ana, now=now).decode()

    # then the first part of the night ends at 01:00 GMT, the second 01:00 of
    # the night, which a TZID wall-clock time would read as the first (BST)
    assert "DTEND:20261025T010000Z" in ics
    # and everything else keeps the zone's wall clock
    assert "DTSTART;TZID=Europe/London:20261024T220000" in ics
    assert "DTSTART;TZID=Europe/London:20261025T020000" in ics
    assert "DTSTART;TZID=Europe/London:20261026T090000" in ics


def test_every_tzid_has_a_matching_vtimezone(cast: Cast) -> None:
    engagement_in(cast, cast.ana, "America/New_York")
    engagement_in(cast, cast.ana, "Australia/Sydney")

    calendar = member_calendar(user=cast.ana, now=dt.datetime(2026, 3, 4, 12, tzinfo=UTC))

    # Shifts in the engagements' zones; deadlines in Ana's own (Manila).
    assert calendar.get_missing_tzids() == set()
    assert {str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")} == {
        "America/New_York",
        "Australia/Sydney",
        "Asia/Manila",
    }


def test_the_uid_of_a_shift_is_stable_from_one_poll_to_the_next(cast: Cast) -> None:
    seat = engagement_in(cast, cast.ana, "Europe/London")
    first = member_calendar(user=cast.ana, now=dt.datetime(2026, 3, 25, 12, tzinfo=UTC))
    later = member_calendar(user=cast.ana, now=dt.datetime(2026, 3, 26, 8, tzinfo=UTC))

    def uids(calendar: Calendar) -> set[str]:
        return {str(e["UID"]) for e in calendar.walk("VEVENT") if str(e["UID"]).startswith("s")}

    shared = uids(first) & uids(later)
    assert f"shift-{seat.pk}-20260330-09@mutualist" in shared  # Mon 30 March, 09:00 London
    assert f"shift-{seat.pk}-20260328-22@mutualist" in shared  # the night 01:00 vanished
    assert len(shared) == len(uids(first))
