"""Pitches, their live staffing check, engagements and written agreements.

Money is ``{"amount": "25.00", "currency": "AUD"}`` with a decimal string.
Shifts are in the matching engine's shape, in the job's (the engagement's)
time zone: ``{"days": ["mon", "tue"], "start": "09:00", "end": "17:00"}``.
Pay rates are the members' business: ``null`` for a client, and for a
member other than a coordinator on anyone's line but their own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from ninja import Field, Schema
from pydantic import StrictInt

from mutualist.api.schemas.common import CollectiveRefOut, InputSchema, MoneyOut, PersonOut
from mutualist.core.money import Money
from mutualist.members.models import User
from mutualist.work import pitch_check as check
from mutualist.work.coverage import DAY_NAMES, HourWindow, slots_to_intervals
from mutualist.work.models import (
    Agreement,
    AgreementAcceptance,
    Engagement,
    EngagementMember,
    JobRole,
    Pitch,
)
from mutualist.work.selectors.pitches import DraftTeam

# --- Shared -----------------------------------------------------------------------


def money_out(value: Money | None) -> MoneyOut | None:
    return None if value is None else MoneyOut(amount=str(value.amount), currency=value.currency)


def person_or_none(user: User | None) -> PersonOut | None:
    if user is None or getattr(user, "profile", None) is None:
        return None
    return PersonOut.from_user(user)


class ShiftOut(Schema):
    days: list[str] = Field(examples=[["mon", "tue", "wed", "thu", "fri"]])
    start: str = Field(examples=["09:00"])
    end: str = Field(
        examples=["17:00"], description="24:00 is midnight; at or before start: the next day"
    )

    @classmethod
    def grouped(cls, windows: Iterable[HourWindow]) -> list[ShiftOut]:
        """Windows sharing hours in one item, days in week order."""
        by_hours: dict[tuple[int, int], list[int]] = {}
        for window in windows:
            by_hours.setdefault((window.start_hour, window.end_hour), []).append(window.weekday)
        return [
            cls(
                days=[DAY_NAMES[day] for day in sorted(days)],
                start=f"{start:02d}:00",
                end=f"{end:02d}:00",
            )
            for (start, end), days in sorted(by_hours.items(), key=lambda item: min(item[1]))
        ]


class RefOut(Schema):
    id: int
    name: str


class IntervalOut(Schema):
    start: dt.datetime = Field(description="UTC")
    end: dt.datetime = Field(description="UTC")


def intervals_out(slots: Iterable[dt.datetime]) -> list[IntervalOut]:
    return [IntervalOut(start=start, end=end) for start, end in slots_to_intervals(slots)]


# --- Pitches ------------------------------------------------------------------------


class PitchRoleOut(Schema):
    job_role: int = Field(description="The job role's id")
    title: str
    kind: str = Field(description="coverage or flexible")
    bill_rate: MoneyOut | None = Field(description="What the client pays per hour; null if not set")


class PitchLineOut(Schema):
    member: PersonOut
    user_id: int
    job_role: int
    role: str
    pay_rate: MoneyOut | None = Field(
        description="What the member earns per hour: coordinators see everyone's, a member "
        "their own, a client none"
    )
    hours: int | None = Field(description="A flexible role's hours a week")
    shifts: list[ShiftOut] = Field(description="A coverage role's shifts, in the job's time zone")


class PitchSummaryOut(Schema):
    id: int
    job: RefOut
    client: RefOut
    collective: CollectiveRefOut
    state: str = Field(description="draft, sent, accepted, declined or withdrawn")
    created_at: dt.datetime
    sent_at: dt.datetime | None

    @classmethod
    def from_model(cls, pitch: Pitch) -> PitchSummaryOut:
        return cls(
            id=pitch.pk,
            job=RefOut(id=pitch.job.pk, name=pitch.job.title),
            client=RefOut(id=pitch.job.client.pk, name=pitch.job.client.name),
            collective=CollectiveRefOut(slug=pitch.collective.slug, name=pitch.collective.name),
            state=pitch.state,
            created_at=pitch.created_at,
            sent_at=pitch.sent_at,
        )


class PitchOut(PitchSummaryOut):
    message: str
    currency: str
    timezone: str = Field(description="The job's: shifts and coverage are in it")
    payment_terms_days: int = Field(
        description="Net N days: each invoice is due N days after its date"
    )
    payment_method: str
    created_by: PersonOut | None
    decided_at: dt.datetime | None
    decided_by: PersonOut | None
    decision_note: str
    roles: list[PitchRoleOut] = Field(
        description="Every role of the job, with the bill rate offered"
    )
    team: list[PitchLineOut]
    engagement: int | None = Field(description="The engagement an accepted pitch became")

    @classmethod
    def build(
        cls,
        pitch: Pitch,
        *,
        roles: list[JobRole],
        team: DraftTeam,
        viewer: User,
        side: str | None,
        engagement: int | None,
    ) -> PitchOut:
        return cls(
            **PitchSummaryOut.from_model(pitch).model_dump(),
            message=pitch.message,
            currency=pitch.currency,
            timezone=pitch.job.timezone,
            payment_terms_days=pitch.payment_terms_days,
            payment_method=pitch.payment_method,
            created_by=person_or_none(pitch.created_by),
            decided_at=pitch.decided_at,
            decided_by=person_or_none(pitch.decided_by),
            decision_note=pitch.decision_note,
            roles=[
                PitchRoleOut(
                    job_role=role.pk,
                    title=str(role),
                    kind=role.kind,
                    bill_rate=money_out(team.rates.get(role.pk)),
                )
                for role in roles
            ],
            team=[
                PitchLineOut(
                    member=PersonOut.from_user(line.user),
                    user_id=line.user.pk,
                    job_role=line.job_role.pk,
                    role=str(line.job_role),
                    pay_rate=(
                        money_out(line.pay_rate)
                        if side == "coordinator" or (side == "member" and line.user.pk == viewer.pk)
                        else None
                    ),
                    hours=line.hours,
                    shifts=ShiftOut.grouped(line.shifts),
                )
                for line in team.lines
            ],
            engagement=engagement,
        )


class CheckRoleOut(Schema):
    job_role: int
    title: str
    kind: str
    required_hours: int = Field(description="Coverage hours that week, or the flexible hours asked")
    staffed_hours: int
    hours: int = Field(description="The proposed team's hours on the role that week (billed)")
    bill_rate: MoneyOut | None
    price: MoneyOut | None = Field(description="hours x bill rate; null without a rate")
    staffed: list[IntervalOut] = Field(description="Coverage hours someone staffs (UTC)")
    unstaffed: list[IntervalOut] = Field(description="Coverage hours no one staffs (UTC)")


class CheckMemberOut(Schema):
    user_id: int
    name: str
    pitch_hours: int
    committed_hours: int = Field(description="Weekly caps of their other active engagements")
    capacity_hours: int
    overloaded: bool
    availability_unknown: bool
    outside_availability: list[IntervalOut] = Field(
        description="Their staffed hours outside their own availability (UTC)"
    )
    clashes: list[IntervalOut] = Field(description="Their hours that clash with other shifts (UTC)")


class CheckOut(Schema):
    """The live staffing check for one week; ``members`` and ``findings``
    only for the collective's members."""

    week: dt.date = Field(description="The Monday, in the job's time zone")
    timezone: str
    currency: str
    total: MoneyOut = Field(description="The weekly price: the sum of the priced roles")
    roles: list[CheckRoleOut]
    members: list[CheckMemberOut]
    findings: list[str] = Field(description="The check's findings as sentences (job's time zone)")

    @classmethod
    def build(cls, result: check.CheckResult, *, internal: bool) -> CheckOut:
        return cls(
            week=result.week,
            timezone=result.timezone,
            currency=result.currency,
            total=MoneyOut(amount=str(result.total.amount), currency=result.total.currency),
            roles=[
                CheckRoleOut(
                    job_role=role.role.key,
                    title=role.role.title,
                    kind=role.role.kind,
                    required_hours=role.required_hours,
                    staffed_hours=role.staffed_hours,
                    hours=role.hours,
                    bill_rate=money_out(role.role.bill_rate),
                    price=money_out(role.price),
                    staffed=intervals_out(role.staffed),
                    unstaffed=intervals_out(role.unstaffed),
                )
                for role in result.roles
            ],
            members=(
                [
                    CheckMemberOut(
                        user_id=load.member.key,
                        name=load.member.name,
                        pitch_hours=load.pitch_hours,
                        committed_hours=load.committed_hours,
                        capacity_hours=load.capacity_hours,
                        overloaded=load.overloaded,
                        availability_unknown=load.availability_unknown,
                        outside_availability=intervals_out(load.outside_availability),
                        clashes=intervals_out(load.clashes),
                    )
                    for load in result.members
                ]
                if internal
                else []
            ),
            findings=list(result.findings) if internal else [],
        )


# --- Engagements ----------------------------------------------------------------------


class SeatOut(Schema):
    user_id: int
    member: PersonOut
    role_title: str
    skill: str | None = Field(description="The skill's slug")
    bill_rate: MoneyOut
    pay_rate: MoneyOut | None = Field(
        description="Coordinators see everyone's, a member their own, a client none"
    )
    weekly_cap_hours: int
    shifts: list[ShiftOut] = Field(description="In the engagement's time zone")
    joined_at: dt.datetime | None = Field(
        description="None for a member proposed in an agreement version not accepted yet"
    )
    left_at: dt.datetime | None

    @classmethod
    def proposed(cls, seat: Mapping[str, Any], *, user: User, currency: str) -> SeatOut:
        """A seat as an agreement version proposes it (for a coordinator)."""
        return cls(
            user_id=user.pk,
            member=PersonOut.from_user(user),
            role_title=seat["role_title"],
            skill=seat["skill"],
            bill_rate=MoneyOut.from_minor(seat["bill_rate_minor"], currency),
            pay_rate=MoneyOut.from_minor(seat["pay_rate_minor"], currency),
            weekly_cap_hours=seat["weekly_cap_hours"],
            shifts=ShiftOut.grouped(HourWindow(d, s, e) for d, s, e in seat["shifts"]),
            joined_at=dt.datetime.fromisoformat(seat["joined_at"]) if seat["joined_at"] else None,
            left_at=None,
        )

    @classmethod
    def build(cls, seat: EngagementMember, *, currency: str, show_pay: bool) -> SeatOut:
        return cls(
            user_id=seat.user_id,
            member=PersonOut.from_user(seat.user),
            role_title=seat.role_title,
            skill=seat.skill.slug if seat.skill is not None else None,
            bill_rate=MoneyOut.from_minor(seat.bill_rate_minor, currency),
            pay_rate=MoneyOut.from_minor(seat.pay_rate_minor, currency) if show_pay else None,
            weekly_cap_hours=seat.weekly_cap_hours,
            shifts=ShiftOut.grouped(
                HourWindow(s.weekday, s.start_hour, s.end_hour) for s in seat.shifts.all()
            ),
            joined_at=seat.joined_at,
            left_at=seat.left_at,
        )


class EngagementSummaryOut(Schema):
    id: int
    title: str
    collective: CollectiveRefOut
    client: RefOut
    status: str = Field(description="pending, active, paused or ended")
    starts_on: dt.date
    ended_on: dt.date | None

    @classmethod
    def from_model(cls, engagement: Engagement) -> EngagementSummaryOut:
        return cls(
            id=engagement.pk,
            title=engagement.title,
            collective=CollectiveRefOut(
                slug=engagement.collective.slug, name=engagement.collective.name
            ),
            client=RefOut(id=engagement.client.pk, name=engagement.client.name),
            status=engagement.status,
            starts_on=engagement.starts_on,
            ended_on=engagement.ended_on,
        )


class AcceptanceOut(Schema):
    party: str = Field(description="client or collective")
    name: str = Field(description="Who accepted, as their name was then")
    accepted_at: dt.datetime

    @classmethod
    def from_model(cls, acceptance: AgreementAcceptance) -> AcceptanceOut:
        return cls(party=acceptance.party, name=acceptance.name, accepted_at=acceptance.accepted_at)


class AgreementSummaryOut(Schema):
    version: int
    created_at: dt.datetime
    created_by: PersonOut | None
    sha256: str = Field(description="Of the stored HTML document")
    acceptances: list[AcceptanceOut]

    @classmethod
    def from_model(cls, agreement: Agreement) -> AgreementSummaryOut:
        return cls(
            version=agreement.version,
            created_at=agreement.created_at,
            created_by=person_or_none(agreement.created_by),
            sha256=agreement.sha256,
            acceptances=[AcceptanceOut.from_model(a) for a in agreement.acceptances.all()],
        )


def public_terms(terms: Mapping[str, Any]) -> dict[str, Any]:
    """The terms without the proposed seats' pay rates: pay is between the
    collective and its members, and the client reads these terms too."""
    public = dict(terms)
    if "seats" in public:
        public["seats"] = [
            {key: value for key, value in seat.items() if key != "pay_rate_minor"}
            for seat in public["seats"]
        ]
    return public


class AgreementOut(AgreementSummaryOut):
    terms: dict[str, Any] = Field(
        description="The snapshot: parties and addresses, itemised services, total weekly "
        "value, currency, method of pay, payment terms and date rule, start date"
    )
    html: str = Field(description="The document as rendered when the version was created")

    @classmethod
    def build(cls, agreement: Agreement) -> AgreementOut:
        return cls(
            **AgreementSummaryOut.from_model(agreement).model_dump(),
            terms=public_terms(agreement.terms),
            html=agreement.html,
        )


class EngagementOut(EngagementSummaryOut):
    job: int | None
    pitch: int | None
    currency: str
    timezone: str
    payment_terms_days: int
    payment_method: str
    created_at: dt.datetime
    team: list[SeatOut] = Field(description="Current members first, then those who left")
    agreement: AgreementSummaryOut | None = Field(description="The latest version")


# --- Input --------------------------------------------------------------------------


class ShiftIn(InputSchema):
    days: list[str] = Field(examples=[["mon", "tue", "wed", "thu", "fri"]])
    start: str = Field(examples=["09:00"])
    end: str = Field(examples=["17:00"])


class RoleRateIn(InputSchema):
    job_role: StrictInt
    bill_rate: str = Field(description="Per hour, a decimal string", examples=["25.00"])


class TeamLineIn(InputSchema):
    member: StrictInt | str = Field(description="A user id or a handle")
    job_role: StrictInt
    pay_rate: str = Field(description="Per hour, at most the role's bill rate", examples=["20.00"])
    hours: StrictInt | None = Field(None, description="A flexible role's hours a week")
    shifts: list[ShiftIn] = Field(
        default_factory=list, description="A coverage role's shifts, inside its coverage hours"
    )


class TeamIn(InputSchema):
    roles: list[RoleRateIn] = Field(default_factory=list, description="Bill rates by job role")
    team: list[TeamLineIn] = Field(default_factory=list)

    def roles_input(self) -> list[dict[str, object]]:
        return [role.model_dump() for role in self.roles]

    def team_input(self) -> list[dict[str, object]]:
        return [line.model_dump() for line in self.team]


class PitchIn(TeamIn):
    """PUT: the draft's every field; the team replaces the old one."""

    message: str = ""
    payment_terms_days: StrictInt = Field(30, description="0 to 365; net 30 by default")
    payment_method: str = "Bank transfer"


class PitchCheckIn(TeamIn):
    """A team to check without saving it."""

    week: dt.date | None = Field(None, description="Any day of the week (default: the job's start)")


class PitchCreateIn(InputSchema):
    collective: str = Field(description="The slug of a collective you coordinate")


class CheckQueryIn(Schema):
    week: dt.date | None = Field(None, description="Any day of the week (default: the job's start)")


class DeclineIn(InputSchema):
    note: str = Field("", description="For the collective, at most 2000 characters")


class StatusIn(InputSchema):
    status: str = Field(description="active, paused or ended")


class SeatPatchIn(InputSchema):
    pay_rate: str | None = None
    bill_rate: str | None = Field(None, description="A change makes a new agreement version")
    weekly_cap_hours: StrictInt | None = Field(
        None, description="A change makes a new agreement version"
    )


class SeatAddIn(InputSchema):
    member: StrictInt | str = Field(description="A user id or a handle")
    role_title: str
    skill: str | None = Field(None, description="A skill's slug")
    bill_rate: str
    pay_rate: str
    weekly_cap_hours: StrictInt
    shifts: list[ShiftIn] = Field(default_factory=list)


class PitchAcceptIn(InputSchema):
    agreement_sha256: str | None = Field(
        None,
        description="The SHA-256 of the agreement document you read (the pitch's agreement "
        "preview); if version 1 as built now differs, 409 agreement_changed",
    )


class AcceptIn(InputSchema):
    party: str | None = Field(
        None, description="client or collective; needed only if you act for both"
    )
