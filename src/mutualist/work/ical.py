"""A member's private calendar as an iCalendar document (RFC 5545).

Built with the ``icalendar`` library from the member's own data only:

- one ``VEVENT`` per shift occurrence (``work.selectors.shifts``) from a week
  back to eight weeks ahead, written in the engagement's time zone (``TZID``
  plus a matching ``VTIMEZONE``), so a calendar shows "09:00 Sydney time"
  and lands on the right real hours across daylight-saving changes;
- a reminder to submit each week's timesheet: the Monday after the week, at
  12:00 in the member's own time zone, for weeks in which they hold a seat on
  an active engagement (or one that ended since), unless every timesheet of
  that week is already submitted or approved;
- the last day of each engagement they are on, as an all-day event.

Why a wall-clock time and not UTC: calendar apps show a shift's own zone and
keep it right if the zone's rules change. The one case a wall-clock time
cannot say is the second of two equal local times when clocks go back
(RFC 5545 section 3.3.5 reads an ambiguous local time as the first); such an
instant is written in UTC instead, so no event ever moves by an hour.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.utils import timezone
from icalendar import Calendar, Event

from mutualist.members.models import User
from mutualist.work.coverage import monday_of
from mutualist.work.models import Engagement, EngagementMember, Timesheet
from mutualist.work.selectors.shifts import ShiftOccurrence, seats_of, shift_occurrences

FEED_PAST = dt.timedelta(weeks=1)
FEED_AHEAD = dt.timedelta(weeks=8)
PRODID = "-//Mutualist//Member calendar//EN"
UID_DOMAIN = "mutualist"
# Calendar apps poll a subscribed feed; once an hour is plenty for shifts.
REFRESH = dt.timedelta(hours=1)
DEADLINE_TIME = dt.time(12, 0)
DEADLINE_LENGTH = dt.timedelta(minutes=30)
# Engagements whose weeks need a timesheet: time is tracked only while
# active, and an ended engagement's last weeks still wait for theirs.
TIMESHEET_STATUSES = (Engagement.Status.ACTIVE, Engagement.Status.ENDED)
END_STATUSES = (Engagement.Status.ACTIVE, Engagement.Status.PAUSED, Engagement.Status.ENDED)
DONE_STATES = (Timesheet.State.SUBMITTED, Timesheet.State.APPROVED)


def ical_instant(instant: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """``instant`` on ``zone``'s wall clock (written with its ``TZID``), or in
    UTC when that wall-clock time happens twice and this is the second time."""
    local = instant.astimezone(zone)
    if local.fold and local.replace(fold=0).utcoffset() != local.utcoffset():
        return instant.astimezone(dt.UTC)
    return local


def _shift_event(occurrence: ShiftOccurrence, *, stamp: dt.datetime) -> Event:
    seat = occurrence.seat
    engagement = seat.engagement
    zone = ZoneInfo(engagement.timezone)
    local_start = occurrence.start.astimezone(zone)
    event = Event()
    event.add("uid", f"shift-{seat.pk}-{local_start:%Y%m%d}-{local_start.hour:02d}@{UID_DOMAIN}")
    event.add("dtstamp", stamp)
    event.add("dtstart", ical_instant(occurrence.start, zone))
    event.add("dtend", ical_instant(occurrence.end, zone))
    summary = f"{engagement.client.name}: {seat.role_title} shift"
    if engagement.status == Engagement.Status.PAUSED:
        summary += " (paused)"
        event.add("status", "TENTATIVE")
    else:
        event.add("status", "CONFIRMED")
    event.add("summary", summary)
    event.add(
        "description",
        "\n".join(
            [
                f"Engagement: {engagement.title}",
                f"Client: {engagement.client.name}",
                f"Collective: {engagement.collective.name}",
                f"Shift: {occurrence.window.label()}, {engagement.timezone} time",
            ]
        ),
    )
    event.add("categories", ["Shift"])
    return event


def _week_has_seat(seat: EngagementMember, monday: dt.date, zone: ZoneInfo) -> bool:
    engagement = seat.engagement
    sunday = monday + dt.timedelta(days=6)
    if engagement.starts_on > sunday:
        return False
    if engagement.ended_on is not None and engagement.ended_on < monday:
        return False
    return seat.joined_at.astimezone(zone).date() <= sunday


def _deadline_events(
    *,
    user: User,
    seats: list[EngagementMember],
    zone: ZoneInfo,
    start: dt.datetime,
    end: dt.datetime,
    stamp: dt.datetime,
) -> Iterable[Event]:
    """Each week's "submit your timesheet" reminder, due the Monday after the
    week at 12:00 in the member's time zone."""
    seats = [seat for seat in seats if seat.engagement.status in TIMESHEET_STATUSES]
    if not seats:
        return
    first = monday_of(start.astimezone(zone).date()) - dt.timedelta(weeks=1)
    last = monday_of(end.astimezone(zone).date())
    weeks: dict[dt.date, list[EngagementMember]] = {}
    monday = first
    while monday <= last:
        due = dt.datetime.combine(monday + dt.timedelta(weeks=1), DEADLINE_TIME, tzinfo=zone)
        if start <= due < end:
            on = [seat for seat in seats if _week_has_seat(seat, monday, zone)]
            if on:
                weeks[monday] = on
        monday += dt.timedelta(weeks=1)
    done = set(
        Timesheet.objects.filter(
            member=user, week_start__in=list(weeks), state__in=DONE_STATES
        ).values_list("engagement_id", "week_start")
    )
    for monday, on in weeks.items():
        waiting = [seat for seat in on if (seat.engagement_id, monday) not in done]
        if not waiting:
            continue
        due = dt.datetime.combine(monday + dt.timedelta(weeks=1), DEADLINE_TIME, tzinfo=zone)
        event = Event()
        event.add("uid", f"timesheet-{user.pk}-{monday:%Y%m%d}@{UID_DOMAIN}")
        event.add("dtstamp", stamp)
        event.add("dtstart", ical_instant(due, zone))
        event.add("dtend", ical_instant(due + DEADLINE_LENGTH, zone))
        event.add("summary", f"Submit your timesheet for the week of {monday.day} {monday:%b %Y}")
        lines = [
            f"Your hours of the week of Monday {monday.day} {monday:%B %Y}, for:",
            *(
                f"- {seat.engagement.client.name}: {seat.engagement.title} "
                f"({seat.engagement.collective.name})"
                for seat in waiting
            ),
        ]
        event.add("description", "\n".join(lines))
        event.add("categories", ["Deadline"])
        event.add("transp", "TRANSPARENT")  # a reminder, not time taken
        yield event


def _end_events(
    *, seats: list[EngagementMember], first: dt.date, last: dt.date, stamp: dt.datetime
) -> Iterable[Event]:
    for seat in seats:
        engagement = seat.engagement
        ended_on = engagement.ended_on
        if ended_on is None or not first <= ended_on <= last:
            continue
        event = Event()
        event.add("uid", f"end-{seat.pk}@{UID_DOMAIN}")
        event.add("dtstamp", stamp)
        event.add("dtstart", ended_on)
        event.add("dtend", ended_on + dt.timedelta(days=1))
        event.add("summary", f"{engagement.client.name}: last day of {engagement.title}")
        event.add(
            "description",
            f"The engagement with {engagement.client.name} for "
            f"{engagement.collective.name} ends on this day.",
        )
        event.add("categories", ["Deadline"])
        event.add("transp", "TRANSPARENT")
        yield event


def member_calendar(*, user: User, now: dt.datetime | None = None) -> Calendar:
    """``user``'s calendar: their shifts from ``FEED_PAST`` before ``now`` to
    ``FEED_AHEAD`` after it, their timesheet deadlines and their engagements'
    last days in that span. Nothing of anyone else."""
    now = now or timezone.now()
    start, end = now - FEED_PAST, now + FEED_AHEAD
    zone = ZoneInfo(user.profile.timezone)
    stamp = now.astimezone(dt.UTC)

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", "Mutualist: shifts and deadlines")
    calendar.add("x-wr-calname", "Mutualist: shifts and deadlines")
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", REFRESH)

    seats = seats_of(user, statuses=END_STATUSES)
    live = [seat for seat in seats if seat.engagement.status != Engagement.Status.ENDED]
    for occurrence in shift_occurrences(user=user, start=start, end=end, seats=live):
        calendar.add_component(_shift_event(occurrence, stamp=stamp))
    for event in _deadline_events(
        user=user, seats=seats, zone=zone, start=start, end=end, stamp=stamp
    ):
        calendar.add_component(event)
    for event in _end_events(
        seats=seats,
        first=start.astimezone(zone).date(),
        last=end.astimezone(zone).date(),
        stamp=stamp,
    ):
        calendar.add_component(event)
    # The VTIMEZONEs cover the feed's span (and a margin), not 1970-2038:
    # a zone's full history would make every poll ten times larger.
    calendar.add_missing_timezones(
        first_date=start.date() - dt.timedelta(days=14),
        last_date=end.date() + dt.timedelta(days=14),
    )
    return calendar


def member_calendar_ics(*, user: User, now: dt.datetime | None = None) -> bytes:
    """``member_calendar`` serialised, as the feed serves it."""
    return bytes(member_calendar(user=user, now=now).to_ical())
