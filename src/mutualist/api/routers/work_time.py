"""Time: your week, your entries and timer, submitting a week, corrections,
and timesheets for their approvers; the team's week for coordinators.

- ``/me/...`` is always your own time: entries, the timer, the week.
- A timesheet is seen by its member, the collective's coordinators and the
  client's contacts (everyone else: 404); a coordinator or a contact
  approves or returns it, never its own member (403 ``own_timesheet``).
- A correction of an approved entry (an adjustment) is made by its member or
  a coordinator.

Datetimes in: ISO 8601 with an offset; out: UTC, with ``local_*`` in your
time zone. Durations are whole minutes; hours decimal strings.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.http import HttpRequest
from ninja import Query, Router, Status

from mutualist.api.auth import request_user
from mutualist.api.pagination import Page, PageParams, paginate
from mutualist.api.routers import responses
from mutualist.api.schemas.work_time import (
    AdjustmentIn,
    EntryIn,
    EntryOut,
    EntryPatchIn,
    EntryRangeIn,
    ReturnIn,
    TeamWeekOut,
    TimerOut,
    TimerStartIn,
    TimesheetFiltersIn,
    TimesheetOut,
    TimesheetSummaryOut,
    WeekOut,
    WeekQueryIn,
)
from mutualist.collectives.selectors import collective_get_for_coordinator
from mutualist.core.errors import ValidationFailed
from mutualist.members.models import User
from mutualist.work.coverage import monday_of
from mutualist.work.models import TimeEntry, Timesheet
from mutualist.work.selectors.access import engagement_get_for_user
from mutualist.work.selectors.time import (
    entries_of_member,
    entry_get_for_adjuster,
    entry_get_for_member,
    entry_row,
    member_week,
    team_week,
    this_week,
    timesheet_get_for_user,
    timesheet_view,
    timesheets_of_engagement,
    viewer_zone,
)
from mutualist.work.services.time import (
    require_day,
    running_timer,
    time_entry_adjust,
    time_entry_delete,
    time_entry_record,
    time_entry_update,
    timer_start,
    timer_stop,
)
from mutualist.work.services.timesheets import timesheet_approve, timesheet_return, week_submit

router = Router(tags=["time"])


def _entry_out(user: User, entry: TimeEntry) -> EntryOut:
    """The entry read fresh (after a write) as ``user`` sees it."""
    fresh = entry_get_for_adjuster(user=user, pk=entry.pk)
    return EntryOut.build(
        entry_row(fresh, viewer_zone(user), viewer=user, now=dt.datetime.now(tz=dt.UTC))
    )


def _sheet_out(user: User, sheet: Timesheet) -> TimesheetOut:
    fresh = timesheet_get_for_user(user=user, pk=sheet.pk)
    return TimesheetOut.build(timesheet_view(timesheet=fresh, viewer=user))


# --- Your week ------------------------------------------------------------------------


@router.get("/me/week", response=responses({200: WeekOut}), summary="Your week across clients")
def my_week(request: HttpRequest, query: Query[WeekQueryIn]) -> WeekOut:
    """Monday to Sunday in your time zone: entries per day, hours per client
    and engagement against your caps, your shifts, warnings."""
    user = request_user(request)
    if query.week is None:
        week_start = this_week(user)
    else:
        week_start = monday_of(require_day(query.week, field="week"))
    return WeekOut.build(member_week(member=user, week_start=week_start))


@router.post(
    "/me/weeks/{week}/submit",
    response=responses({200: list[TimesheetSummaryOut]}),
    summary="Submit your week for approval",
)
def my_week_submit(request: HttpRequest, week: dt.date) -> list[TimesheetSummaryOut]:
    """``week`` is the Monday (in your time zone). Every open or returned
    timesheet of that week with time in it becomes ``submitted``."""
    user = request_user(request)
    with transaction.atomic(durable=True):
        submitted = week_submit(member=user, week_start=week)
    return [
        TimesheetSummaryOut.from_model(timesheet_get_for_user(user=user, pk=s.pk))
        for s in submitted
    ]


# --- Your entries ---------------------------------------------------------------------


@router.get(
    "/me/time-entries",
    response=responses({200: Page[EntryOut]}),
    by_alias=True,
    summary="Your time entries, oldest first",
)
def my_time_entries(
    request: HttpRequest, period: Query[EntryRangeIn], page: Query[PageParams]
) -> Page[EntryOut]:
    """``from`` and ``to`` are days in your time zone (inclusive)."""
    user = request_user(request)
    if period.since and period.until and period.until < period.since:
        raise ValidationFailed(
            "The end date is before the start date.", code="invalid_period", field="to"
        )
    zone, now = viewer_zone(user), dt.datetime.now(tz=dt.UTC)
    rows = entries_of_member(member=user, since=period.since, until=period.until)
    return paginate(
        rows, page, lambda entry: EntryOut.build(entry_row(entry, zone, viewer=user, now=now))
    )


@router.post("/me/time-entries", response=responses({201: EntryOut}), summary="Record time by hand")
def my_time_entry_new(request: HttpRequest, payload: EntryIn) -> Status[EntryOut]:
    user = request_user(request)
    engagement = engagement_get_for_user(user=user, pk=payload.engagement_id)
    with transaction.atomic(durable=True):
        entry = time_entry_record(
            engagement=engagement,
            member=user,
            started_at=payload.started_at,
            ended_at=payload.ended_at,
            note=payload.note,
            billable=payload.billable,
            recorded_by=user,
        )
    return Status(201, _entry_out(user, entry))


@router.patch(
    "/me/time-entries/{int:entry_id}",
    response=responses({200: EntryOut}),
    summary="Change one of your entries (open or returned weeks)",
)
def my_time_entry_change(request: HttpRequest, entry_id: int, payload: EntryPatchIn) -> EntryOut:
    """Only the fields sent change. A running timer's note and billable flag
    change, not its times."""
    user = request_user(request)
    entry = entry_get_for_member(user=user, pk=entry_id)
    with transaction.atomic(durable=True):
        time_entry_update(
            entry=entry,
            by=user,
            started_at=payload.started_at,
            ended_at=payload.ended_at,
            note=payload.note,
            billable=payload.billable,
        )
    return _entry_out(user, entry)


@router.delete(
    "/me/time-entries/{int:entry_id}",
    response=responses({204: None}),
    summary="Delete one of your entries (open or returned weeks)",
)
def my_time_entry_remove(request: HttpRequest, entry_id: int) -> Status[None]:
    user = request_user(request)
    entry = entry_get_for_member(user=user, pk=entry_id)
    with transaction.atomic(durable=True):
        time_entry_delete(entry=entry, by=user)
    return Status(204, None)


# --- Your timer -----------------------------------------------------------------------


@router.get("/me/timer", response=responses({200: TimerOut}), summary="Your running timer")
def my_timer(request: HttpRequest) -> TimerOut:
    user = request_user(request)
    running = running_timer(user)
    if running is None:
        return TimerOut(running=False, entry=None)
    return TimerOut(running=True, entry=_entry_out(user, running))


@router.post("/me/timer", response=responses({201: EntryOut}), summary="Start your timer")
def my_timer_start(request: HttpRequest, payload: TimerStartIn) -> Status[EntryOut]:
    """At most one timer runs per member, whatever the engagement."""
    user = request_user(request)
    engagement = engagement_get_for_user(user=user, pk=payload.engagement_id)
    with transaction.atomic(durable=True):
        entry = timer_start(
            engagement=engagement, member=user, note=payload.note, billable=payload.billable
        )
    return Status(201, _entry_out(user, entry))


@router.post("/me/timer/stop", response=responses({200: EntryOut}), summary="Stop your timer")
def my_timer_stop(request: HttpRequest) -> EntryOut:
    """The finished entry: whole minutes, at least one; recorded even past
    the week's cap (the week then cannot be submitted until corrected)."""
    user = request_user(request)
    with transaction.atomic(durable=True):
        entry = timer_stop(member=user)
    return _entry_out(user, entry)


# --- Corrections ------------------------------------------------------------------------


@router.post(
    "/time-entries/{int:entry_id}/adjustments",
    response=responses({201: EntryOut}),
    summary="Correct an approved entry (its member, coordinators)",
)
def time_entry_adjustment_new(
    request: HttpRequest, entry_id: int, payload: AdjustmentIn
) -> Status[EntryOut]:
    """An adjustment entry of signed minutes in the same timesheet; the week
    goes back to ``submitted`` for approval."""
    user = request_user(request)
    entry = entry_get_for_adjuster(user=user, pk=entry_id)
    with transaction.atomic(durable=True):
        adjustment = time_entry_adjust(
            entry=entry, by=user, minutes=payload.minutes, note=payload.note
        )
    return Status(201, _entry_out(user, adjustment))


# --- Timesheets ------------------------------------------------------------------------


@router.get(
    "/engagements/{int:engagement_id}/timesheets",
    response=responses({200: Page[TimesheetSummaryOut]}),
    summary="An engagement's timesheets, newest week first",
)
def engagement_timesheets(
    request: HttpRequest,
    engagement_id: int,
    filters: Query[TimesheetFiltersIn],
    page: Query[PageParams],
) -> Page[TimesheetSummaryOut]:
    """All of them for coordinators and the client's contacts; a member
    sees their own."""
    user = request_user(request)
    engagement = engagement_get_for_user(user=user, pk=engagement_id)
    # Any day of the week, as everywhere else a week is asked for by date.
    week_start = (
        None if filters.week is None else monday_of(require_day(filters.week, field="week"))
    )
    rows = timesheets_of_engagement(
        user=user, engagement=engagement, state=filters.state, week_start=week_start
    )
    return paginate(rows, page, TimesheetSummaryOut.from_model)


@router.get(
    "/timesheets/{int:timesheet_id}",
    response=responses({200: TimesheetOut}),
    summary="A timesheet with its entries (its member, coordinators, the client)",
)
def timesheet_detail(request: HttpRequest, timesheet_id: int) -> TimesheetOut:
    """Times in your time zone; notes and billable flags; never pay rates."""
    user = request_user(request)
    return _sheet_out(user, timesheet_get_for_user(user=user, pk=timesheet_id))


@router.post(
    "/timesheets/{int:timesheet_id}/approve",
    response=responses({200: TimesheetOut}),
    summary="Approve a submitted timesheet (coordinators, the client)",
)
def timesheet_approval(request: HttpRequest, timesheet_id: int) -> TimesheetOut:
    """Its entries are locked; the member is told by email."""
    user = request_user(request)
    sheet = timesheet_get_for_user(user=user, pk=timesheet_id)
    with transaction.atomic(durable=True):
        timesheet_approve(timesheet=sheet, by=user)
    return _sheet_out(user, sheet)


@router.post(
    "/timesheets/{int:timesheet_id}/return",
    response=responses({200: TimesheetOut}),
    summary="Return a submitted timesheet with a comment (coordinators, the client)",
)
def timesheet_sent_back(request: HttpRequest, timesheet_id: int, payload: ReturnIn) -> TimesheetOut:
    user = request_user(request)
    sheet = timesheet_get_for_user(user=user, pk=timesheet_id)
    with transaction.atomic(durable=True):
        timesheet_return(timesheet=sheet, by=user, comment=payload.comment)
    return _sheet_out(user, sheet)


@router.get(
    "/collectives/{slug}/weeks/{week}",
    response=responses({200: TeamWeekOut}),
    summary="The team's week (coordinators)",
)
def collective_team_week(request: HttpRequest, slug: str, week: dt.date) -> TeamWeekOut:
    """Every active member's hours per engagement in the week containing
    ``week`` and their timesheets' states, and the submitted timesheets
    waiting for a decision."""
    user = request_user(request)
    collective, _ = collective_get_for_coordinator(user=user, slug=slug)
    week_start = monday_of(require_day(week, field="week"))
    return TeamWeekOut.build(team_week(collective=collective, week_start=week_start))
