"""Time: entries, the timer, a member's week, timesheets and the team's week.

Datetimes come in as ISO 8601 **with an offset** (``2026-12-01T09:00:00+08:00``;
a time without one is refused, ``naive_datetime``) and go out in UTC
(``...Z``), each beside ``local_*`` in the caller's own time zone. Dates and
times in fall within ``TIME_DAYS`` (2000-01-01 to 2100-12-31; ``invalid_date``
otherwise, checked where they are used). Durations
are whole ``minutes`` (integers); hours are decimal strings with two places
(``"1.50"``), never floats.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema

from mutualist.api.schemas.common import CollectiveRefOut, InputSchema, PersonOut
from mutualist.work.models import Engagement, Timesheet
from mutualist.work.selectors.time import (
    EngagementWeek,
    EntryRow,
    ShiftRow,
    TeamWeek,
    TimesheetView,
    Week,
    hours_decimal,
)

TimesheetState = Literal["open", "submitted", "approved", "returned"]


def _person(user: object) -> PersonOut | None:
    if user is None or getattr(user, "profile", None) is None:
        return None
    return PersonOut.from_user(user)  # type: ignore[arg-type]


# --- Output -----------------------------------------------------------------------


class ClientRefOut(Schema):
    id: int
    name: str


class EngagementRefOut(Schema):
    id: int
    title: str
    client: ClientRefOut

    @classmethod
    def from_model(cls, engagement: Engagement) -> EngagementRefOut:
        return cls(
            id=engagement.pk,
            title=engagement.title,
            client=ClientRefOut(id=engagement.client_id, name=engagement.client.name),
        )


class EntryOut(Schema):
    id: int
    engagement: EngagementRefOut
    member: PersonOut | None
    timesheet_id: int
    week_start: dt.date = Field(description="Monday of the entry's week, in the member's time zone")
    kind: str = Field(description="timer, manual, import or adjustment")
    running: bool = Field(description="A timer still running (no end, minutes so far)")
    started_at: dt.datetime = Field(
        description="UTC. For an adjustment, only places it in its week (the corrected entry's start)"
    )
    ended_at: dt.datetime | None = Field(description="UTC; null while running and for adjustments")
    local_start: dt.datetime = Field(description="The start in your time zone")
    local_end: dt.datetime | None
    minutes: int = Field(
        description="Whole minutes (signed for an adjustment; so far for a running timer)"
    )
    hours: str = Field(examples=["1.50"])
    note: str
    billable: bool
    adjusts_id: int | None = Field(description="The approved entry an adjustment corrects")
    approved_at: dt.datetime | None = Field(description="Set once approved: the entry is locked")
    source: str = Field(description="Where an imported entry came from")

    @classmethod
    def build(cls, row: EntryRow) -> EntryOut:
        entry = row.entry
        return cls(
            id=entry.pk,
            engagement=EngagementRefOut.from_model(entry.engagement),
            member=_person(entry.member),
            timesheet_id=entry.timesheet_id,
            week_start=entry.timesheet.week_start,
            kind=entry.kind,
            running=entry.is_running,
            started_at=entry.started_at,
            ended_at=entry.ended_at,
            local_start=row.start,
            local_end=row.end,
            minutes=row.minutes,
            hours=hours_decimal(row.minutes),
            note=entry.note,
            billable=entry.billable,
            adjusts_id=entry.adjusts_id,
            approved_at=entry.approved_at,
            source=entry.source,
        )


class TimesheetRefOut(Schema):
    id: int
    state: TimesheetState


class EngagementWeekOut(Schema):
    engagement: EngagementRefOut
    minutes: int
    hours: str
    cap_hours: int | None = Field(description="The seat's weekly cap")
    over_cap: bool
    timesheet: TimesheetRefOut | None = Field(description="null until the week's first entry")

    @classmethod
    def build(cls, row: EngagementWeek) -> EngagementWeekOut:
        sheet = row.timesheet
        return cls(
            engagement=EngagementRefOut.from_model(row.engagement),
            minutes=row.minutes,
            hours=hours_decimal(row.minutes),
            cap_hours=row.cap_hours,
            over_cap=row.over_cap,
            timesheet=TimesheetRefOut(id=sheet.pk, state=sheet.state) if sheet else None,  # type: ignore[arg-type]
        )


class ClientWeekOut(Schema):
    client: ClientRefOut
    minutes: int
    hours: str
    cap_hours: int = Field(description="The caps of your seats on its engagements, added up")
    over_cap: bool


class DayOut(Schema):
    date: dt.date
    minutes: int
    hours: str
    entries: list[EntryOut]


class ShiftOut(Schema):
    engagement: EngagementRefOut
    start: dt.datetime = Field(description="UTC")
    end: dt.datetime
    local_start: dt.datetime = Field(description="In your time zone")
    local_end: dt.datetime
    upcoming: bool

    @classmethod
    def build(cls, row: ShiftRow) -> ShiftOut:
        return cls(
            engagement=EngagementRefOut.from_model(row.engagement),
            start=row.occurrence.start,
            end=row.occurrence.end,
            local_start=row.start,
            local_end=row.end,
            upcoming=row.upcoming,
        )


class WeekOut(Schema):
    week_start: dt.date = Field(description="Monday, in your time zone")
    week_end: dt.date
    timezone: str = Field(description="Your time zone: every local_* time is in it")
    minutes: int
    hours: str
    capacity_hours: int = Field(description="Your weekly capacity (profile)")
    committed_hours: int = Field(description="Your seats' caps on active engagements, added up")
    clients: list[ClientWeekOut]
    engagements: list[EngagementWeekOut]
    days: list[DayOut] = Field(description="Monday to Sunday, each entry on the day it starts")
    shifts: list[ShiftOut]
    warnings: list[str]
    running: EntryOut | None = Field(description="Your running timer, whatever its week")
    submittable: bool

    @classmethod
    def build(cls, week: Week) -> WeekOut:
        return cls(
            week_start=week.week_start,
            week_end=week.week_end,
            timezone=week.zone.key,
            minutes=week.minutes,
            hours=hours_decimal(week.minutes),
            capacity_hours=week.capacity_hours,
            committed_hours=week.committed_hours,
            clients=[
                ClientWeekOut(
                    client=ClientRefOut(id=c.client.pk, name=c.client.name),
                    minutes=c.minutes,
                    hours=hours_decimal(c.minutes),
                    cap_hours=c.cap_hours,
                    over_cap=c.over_cap,
                )
                for c in week.clients
            ],
            engagements=[EngagementWeekOut.build(e) for e in week.engagements],
            days=[
                DayOut(
                    date=day.day,
                    minutes=day.minutes,
                    hours=hours_decimal(day.minutes),
                    entries=[EntryOut.build(row) for row in day.entries],
                )
                for day in week.days
            ],
            shifts=[ShiftOut.build(s) for s in week.shifts],
            warnings=week.warnings,
            running=EntryOut.build(week.running) if week.running else None,
            submittable=week.submittable,
        )


class TimerOut(Schema):
    running: bool
    entry: EntryOut | None


class TimesheetSummaryOut(Schema):
    id: int
    engagement: EngagementRefOut
    collective: CollectiveRefOut
    member: PersonOut | None
    week_start: dt.date = Field(description="Monday, in the member's time zone")
    state: TimesheetState
    submitted_at: dt.datetime | None
    decided_at: dt.datetime | None
    decided_by: PersonOut | None
    comment: str = Field(description="The last return's comment")

    @classmethod
    def from_model(cls, sheet: Timesheet) -> TimesheetSummaryOut:
        return cls(**_summary_fields(sheet))


def _summary_fields(sheet: Timesheet) -> dict[str, Any]:
    engagement = sheet.engagement
    return {
        "id": sheet.pk,
        "engagement": EngagementRefOut.from_model(engagement),
        "collective": CollectiveRefOut(
            slug=engagement.collective.slug, name=engagement.collective.name
        ),
        "member": _person(sheet.member),
        "week_start": sheet.week_start,
        "state": sheet.state,
        "submitted_at": sheet.submitted_at,
        "decided_at": sheet.decided_at,
        "decided_by": _person(sheet.decided_by),
        "comment": sheet.comment,
    }


class TimesheetOut(TimesheetSummaryOut):
    timezone: str = Field(description="Your time zone: every local_* time is in it")
    minutes: int
    hours: str
    cap_hours: int | None
    over_cap: bool
    can_decide: bool = Field(description="You may approve or return it (once submitted)")
    entries: list[EntryOut]

    @classmethod
    def build(cls, view: TimesheetView) -> TimesheetOut:
        return cls(
            **_summary_fields(view.timesheet),
            timezone=view.zone.key,
            minutes=view.minutes,
            hours=hours_decimal(view.minutes),
            cap_hours=view.cap_hours,
            over_cap=view.over_cap,
            can_decide=view.can_decide,
            entries=[EntryOut.build(row) for row in view.entries],
        )


class TeamMemberWeekOut(Schema):
    member: PersonOut | None
    minutes: int
    hours: str
    engagements: list[EngagementWeekOut]


class TeamWeekOut(Schema):
    collective: CollectiveRefOut
    week_start: dt.date
    members: list[TeamMemberWeekOut]
    to_approve: list[TimesheetSummaryOut] = Field(
        description="The collective's submitted timesheets, any week, oldest first"
    )

    @classmethod
    def build(cls, team: TeamWeek) -> TeamWeekOut:
        return cls(
            collective=CollectiveRefOut(slug=team.collective.slug, name=team.collective.name),
            week_start=team.week_start,
            members=[
                TeamMemberWeekOut(
                    member=_person(m.member),
                    minutes=m.minutes,
                    hours=hours_decimal(m.minutes),
                    engagements=[EngagementWeekOut.build(r) for r in m.rows],
                )
                for m in team.members
            ],
            to_approve=[TimesheetSummaryOut.from_model(t) for t in team.to_approve],
        )


# --- Input ------------------------------------------------------------------------


class WeekQueryIn(Schema):
    week: dt.date | None = Field(
        None, description="Any day of the week wanted (default: this week, in your time zone)"
    )


class EntryRangeIn(Schema):
    since: dt.date | None = Field(None, alias="from", description="First day, in your time zone")
    until: dt.date | None = Field(None, alias="to", description="Last day (inclusive)")


class EntryIn(InputSchema):
    engagement_id: int
    started_at: dt.datetime = Field(examples=["2026-12-01T09:00:00+08:00"])
    ended_at: dt.datetime = Field(examples=["2026-12-01T10:30:00+08:00"])
    note: str = Field("", max_length=2000)
    billable: bool = True


class EntryPatchIn(InputSchema):
    started_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    note: str | None = Field(None, max_length=2000)
    billable: bool | None = None


class TimerStartIn(InputSchema):
    engagement_id: int
    note: str = Field("", max_length=2000)
    billable: bool = True


class AdjustmentIn(InputSchema):
    minutes: int = Field(
        description="Signed whole minutes: 30 adds half an hour, -15 takes a quarter off",
        ge=-24 * 60,
        le=24 * 60,
    )
    note: str = Field(description="Why (required)", max_length=2000)


class ReturnIn(InputSchema):
    comment: str = Field(description="What the member should change (required)", max_length=2000)


class TimesheetFiltersIn(Schema):
    state: TimesheetState | None = None
    week: dt.date | None = Field(
        None, description="Any day of the week wanted: that week's timesheets (from its Monday)"
    )
