"""What a member's calendar holds: their own shifts (no one else's), a
reminder to submit each week's timesheet, their engagements' last days."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar, Component

from mutualist.testing import Work
from mutualist.work.ical import member_calendar
from mutualist.work.models import Engagement, EngagementShift, Timesheet

UTC = dt.UTC
SYDNEY = ZoneInfo("Australia/Sydney")
MANILA = ZoneInfo("Asia/Manila")
# Friday 27 November 2026; the work fixture's engagement starts Monday 30th.
NOW = dt.datetime(2026, 11, 27, 1, 0, tzinfo=UTC)


def events(calendar: Calendar, prefix: str = "") -> list[Component]:
    return [e for e in calendar.walk("VEVENT") if str(e["UID"]).startswith(prefix)]


def by_uid(calendar: Calendar) -> dict[str, Component]:
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


@pytest.fixture
def ben_on_shift(work: Work) -> Work:
    """Ben keeps the books on Saturdays 10:00-12:00 Sydney time."""
    EngagementShift.objects.create(member=work.ben_seat, weekday=5, start_hour=10, end_hour=12)
    return work


def test_a_shift_is_one_event_with_the_client_the_role_and_the_engagements_zone(
    work: Work,
) -> None:
    calendar = member_calendar(user=work.cast.ana, now=NOW)

    event = by_uid(calendar)[f"shift-{work.ana_seat.pk}-20261130-09@mutualist"]
    assert event["SUMMARY"] == "Harbour Bridge Logistics: Support shift"
    assert event.decoded("DTSTART") == dt.datetime(2026, 11, 30, 9, tzinfo=SYDNEY)
    assert event.decoded("DTEND") == dt.datetime(2026, 11, 30, 17, tzinfo=SYDNEY)
    assert event["DTSTART"].params["TZID"] == "Australia/Sydney"
    assert event["DESCRIPTION"] == (
        "Engagement: Customer support, Sydney business hours\n"
        "Client: Harbour Bridge Logistics\n"
        "Collective: Manila Virtual Assistants\n"
        "Shift: Mon 09:00-17:00, Australia/Sydney time"
    )
    assert event["STATUS"] == "CONFIRMED"


def test_the_feed_spans_a_week_back_to_eight_weeks_ahead(work: Work) -> None:
    # given the engagement started two weeks before "now"
    now = dt.datetime(2026, 12, 16, 1, 0, tzinfo=UTC)  # Wed 16 Dec, 12:00 Sydney

    shifts = events(member_calendar(user=work.cast.ana, now=now), "shift-")

    starts = sorted(e.decoded("DTSTART") for e in shifts)
    # from Wednesday 9 December (a week back) ...
    assert starts[0] == dt.datetime(2026, 12, 9, 9, tzinfo=SYDNEY)
    # ... to Wednesday 10 February (eight weeks ahead, the shift under way then)
    assert starts[-1] == dt.datetime(2027, 2, 10, 9, tzinfo=SYDNEY)
    assert len(shifts) == 9 * 5 + 1  # Wed-Tue nine times over, and that last Wednesday


def test_only_the_feeds_owner_shifts_appear(ben_on_shift: Work) -> None:
    work = ben_on_shift

    ana = member_calendar(user=work.cast.ana, now=NOW)
    ben = member_calendar(user=work.cast.ben, now=NOW)

    assert {str(e["SUMMARY"]) for e in events(ana, "shift-")} == {
        "Harbour Bridge Logistics: Support shift"
    }
    assert {str(e["SUMMARY"]) for e in events(ben, "shift-")} == {
        "Harbour Bridge Logistics: Books shift"
    }
    assert all(str(work.ben_seat.pk) not in uid.split("-")[1] for uid in by_uid(ana))
    assert b"Ben" not in ana.to_ical()
    assert b"Ana" not in ben.to_ical()


def test_an_outsider_and_a_client_contact_have_empty_calendars(work: Work) -> None:
    for user in (work.cast.olga, work.dana):
        calendar = member_calendar(user=user, now=NOW)

        assert events(calendar) == []
        assert calendar["PRODID"] == "-//Mutualist//Member calendar//EN"


def test_a_timesheet_reminder_falls_on_the_next_monday_at_noon_in_the_members_zone(
    work: Work,
) -> None:
    calendar = member_calendar(user=work.cast.ana, now=NOW)

    reminders = events(calendar, "timesheet-")
    first = by_uid(calendar)[f"timesheet-{work.cast.ana.pk}-20261130@mutualist"]
    assert first["SUMMARY"] == "Submit your timesheet for the week of 30 Nov 2026"
    assert first.decoded("DTSTART") == dt.datetime(2026, 12, 7, 12, tzinfo=MANILA)
    assert first["DTSTART"].params["TZID"] == "Asia/Manila"
    assert first["TRANSP"] == "TRANSPARENT"
    assert first["DESCRIPTION"] == (
        "Your hours of the week of Monday 30 November 2026, for:\n"
        "- Harbour Bridge Logistics: Customer support, Sydney business hours "
        "(Manila Virtual Assistants)"
    )
    # weeks from the engagement's first (30 Nov) to the last due within 8 weeks
    assert sorted(e.decoded("DTSTART").date() for e in reminders) == [
        dt.date(2026, 12, 7) + dt.timedelta(weeks=n) for n in range(7)
    ]


def test_a_week_already_submitted_has_no_reminder(work: Work) -> None:
    Timesheet.objects.create(
        engagement=work.engagement,
        member=work.cast.ana,
        week_start=dt.date(2026, 11, 30),
        state=Timesheet.State.SUBMITTED,
    )
    Timesheet.objects.create(
        engagement=work.engagement,
        member=work.cast.ana,
        week_start=dt.date(2026, 12, 7),
        state=Timesheet.State.RETURNED,
    )

    uids = by_uid(member_calendar(user=work.cast.ana, now=NOW))

    assert f"timesheet-{work.cast.ana.pk}-20261130@mutualist" not in uids
    assert f"timesheet-{work.cast.ana.pk}-20261207@mutualist" in uids


def test_a_paused_engagement_shows_its_shifts_as_tentative_and_asks_for_no_timesheet(
    work: Work,
) -> None:
    Engagement.objects.filter(pk=work.engagement.pk).update(status=Engagement.Status.PAUSED)

    calendar = member_calendar(user=work.cast.ana, now=NOW)

    shifts = events(calendar, "shift-")
    assert shifts
    assert {str(e["STATUS"]) for e in shifts} == {"TENTATIVE"}
    assert {str(e["SUMMARY"]) for e in shifts} == {
        "Harbour Bridge Logistics: Support shift (paused)"
    }
    assert events(calendar, "timesheet-") == []


def test_an_engagements_last_day_is_an_all_day_event(work: Work) -> None:
    Engagement.objects.filter(pk=work.engagement.pk).update(ended_on=dt.date(2026, 12, 18))

    calendar = member_calendar(user=work.cast.ben, now=NOW)

    end = by_uid(calendar)[f"end-{work.ben_seat.pk}@mutualist"]
    assert end["SUMMARY"] == (
        "Harbour Bridge Logistics: last day of Customer support, Sydney business hours"
    )
    assert end.decoded("DTSTART") == dt.date(2026, 12, 18)
    assert end.decoded("DTEND") == dt.date(2026, 12, 19)
    # and no reminder for weeks after the end
    assert max(e.decoded("DTSTART").date() for e in events(calendar, "timesheet-")) == dt.date(
        2026, 12, 21
    )


def test_an_ended_engagement_keeps_its_last_reminder_but_no_shifts(work: Work) -> None:
    Engagement.objects.filter(pk=work.engagement.pk).update(
        status=Engagement.Status.ENDED, ended_on=dt.date(2026, 12, 4)
    )
    now = dt.datetime(2026, 12, 5, 1, 0, tzinfo=UTC)

    calendar = member_calendar(user=work.cast.ana, now=now)

    assert events(calendar, "shift-") == []
    assert [str(e["UID"]) for e in events(calendar, "timesheet-")] == [
        f"timesheet-{work.cast.ana.pk}-20261130@mutualist"
    ]
    assert [str(e["UID"]) for e in events(calendar, "end-")] == [
        f"end-{work.ana_seat.pk}@mutualist"
    ]


def test_a_member_who_left_the_team_sees_nothing_of_it(work: Work) -> None:
    work.ana_seat.left_at = NOW
    work.ana_seat.save(update_fields=["left_at"])

    assert events(member_calendar(user=work.cast.ana, now=NOW)) == []
