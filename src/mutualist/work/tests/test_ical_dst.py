"""The calendar feed's shifts land on the right real hours across
daylight-saving changes: each shift's DTSTART/DTEND instants are the real
interval ``work.coverage.window_occurrences`` gives for that week (one
continuous stretch, an hour shorter across spring forward and an hour longer
across the autumn change), read either with the zone's name or with the
VTIMEZONE the feed carries."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar, Timezone

from mutualist.members.models import User
from mutualist.testing import Cast
from mutualist.work.coverage import HourWindow, window_occurrences
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


def engagement_in(
    cast: Cast, member: User, tz: str, windows: tuple[HourWindow, ...] = (NIGHT, DAY)
) -> EngagementMember:
    """An active engagement of collective A in ``tz``, with ``member`` on
    shift on ``windows`` (those above unless told)."""
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
    for window in windows:
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
        intervals |= set(window_occurrences(window, tz, week))
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
def test_shifts_across_a_clock_change_are_their_real_continuous_intervals(
    cast: Cast, tz: str, sunday: dt.date, change: str
) -> None:
    # given Ana on shift Sat 22:00-06:00 and Mon 09:00-17:00 in ``tz``
    engagement_in(cast, cast.ana, tz)
    monday = sunday - dt.timedelta(days=6)  # the week holding the change
    # when her feed is built on the Wednesday of that week
    now = dt.datetime.combine(monday + dt.timedelta(days=2), dt.time(12), tzinfo=UTC)
    ics = member_calendar_ics(user=cast.ana, now=now)
    calendar = Calendar.from_ical(ics)

    # then that week's shifts are exactly their real intervals
    expected = expected_week(tz, monday)
    assert _in_week(shift_instants(calendar), tz, monday) == expected
    # and reading the wall-clock times with the feed's VTIMEZONE gives the same
    assert _in_week(shift_instants_by_vtimezone(ics), tz, monday) == expected
    # and the week after the change too (the new offset, a full-length night)
    following = monday + dt.timedelta(weeks=1)
    assert _in_week(shift_instants(calendar), tz, following) == expected_week(tz, following)
    # and the night shift is one event, an hour shorter going forward and an
    # hour longer going back: 22:00 to 06:00 as the clocks show them
    [night] = window_occurrences(NIGHT, tz, monday)
    zone = ZoneInfo(tz)
    assert night[1] - night[0] == dt.timedelta(hours=7 if change == "forward" else 9)
    saturday = sunday - dt.timedelta(days=1)
    assert night[0].astimezone(zone).replace(tzinfo=None) == dt.datetime.combine(
        saturday, dt.time(22)
    )
    assert night[1].astimezone(zone).replace(tzinfo=None) == dt.datetime.combine(sunday, dt.time(6))
    assert night in shift_instants(calendar)


def test_a_night_shift_across_the_autumn_change_is_one_event_an_hour_longer(cast: Cast) -> None:
    # given Ana on a London night shift, and the clocks going back on 25 October 2026
    engagement_in(cast, cast.ana, "Europe/London")
    now = dt.datetime(2026, 10, 21, 12, tzinfo=UTC)

    calendar = member_calendar(user=cast.ana, now=now)
    ics = calendar.to_ical().decode()

    # then Saturday's night is one event from 22:00 BST to 06:00 GMT: nine
    # continuous hours, with no break at the repeated hour
    assert "DTSTART;TZID=Europe/London:20261024T220000" in ics
    assert "DTEND;TZID=Europe/London:20261025T060000" in ics
    assert (
        dt.datetime(2026, 10, 24, 21, tzinfo=UTC),
        dt.datetime(2026, 10, 25, 6, tzinfo=UTC),
    ) in shift_instants(calendar)
    assert "DTSTART;TZID=Europe/London:20261025T020000" not in ics
    assert "DTEND:20261025T010000Z" not in ics
    # and the next shift keeps the zone's wall clock
    assert "DTSTART;TZID=Europe/London:20261026T090000" in ics


def test_the_second_of_two_equal_local_times_is_written_in_utc(cast: Cast) -> None:
    # given Ana on a London shift Saturday 22:00 to 01:00, and the clocks going
    # back at 02:00 BST on 25 October 2026: 01:00 happens twice that night
    engagement_in(cast, cast.ana, "Europe/London", windows=(HourWindow(5, 22, 1),))
    now = dt.datetime(2026, 10, 21, 12, tzinfo=UTC)

    ics = member_calendar_ics(user=cast.ana, now=now).decode()

    # then the shift ends at the second 01:00 (GMT), which a TZID wall-clock
    # time would read as the first (BST): it is written in UTC
    assert "DTSTART;TZID=Europe/London:20261024T220000" in ics
    assert "DTEND:20261025T010000Z" in ics
    # and the other weeks' ends keep the zone's wall clock
    assert "DTEND;TZID=Europe/London:20261018T010000" in ics


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
