"""Team proposals: the matching engine's cheapest team for a draft pitch, in
pitch terms.

Members are named by handle, roles by job role id. A coverage line's shifts
come twice: ``shifts``, weekly windows in the job's time zone in the shape a
pitch takes (``{"days": ["mon"], "start": "09:00", "end": "17:00"}``), and
``intervals``, the real hours of the week planned in UTC. Money is
``{"amount": "25.00", "currency": "AUD"}``. Proposals are for coordinators,
who see pay rates.
"""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema
from pydantic import StrictInt

from mutualist.api.schemas.common import InputSchema, MoneyOut, PersonOut
from mutualist.api.schemas.work_pitches import (
    IntervalOut,
    PitchOut,
    ShiftOut,
    intervals_out,
    money_out,
)
from mutualist.core.money import Money
from mutualist.work.coverage import slots_to_intervals
from mutualist.work.matching import Candidate, Proposal, ProposalLine, ProposalRole


def _money(value: Money) -> MoneyOut:
    return MoneyOut(amount=str(value.amount), currency=value.currency)


class ProposalLineOut(Schema):
    member: PersonOut
    user_id: int
    job_role: int = Field(description="The job role's id")
    role: str
    pay_rate: MoneyOut = Field(description="Their profile's rate, or the one you gave")
    hours: int = Field(description="Their hours on the role in the week planned")
    cost: MoneyOut = Field(description="hours x pay rate")
    shifts: list[ShiftOut] = Field(
        description="A coverage role's weekly shifts in the job's time zone (what applying "
        "writes); empty for a flexible role"
    )
    intervals: list[IntervalOut] = Field(
        description="The same hours in the week planned, as real intervals (UTC)"
    )

    @classmethod
    def build(cls, line: ProposalLine, *, person: PersonOut) -> ProposalLineOut:
        return cls(
            member=person,
            user_id=line.member.key,
            job_role=line.role.key,
            role=line.role.title,
            pay_rate=_money(line.pay_rate),
            hours=line.hours,
            cost=_money(line.cost),
            shifts=ShiftOut.grouped(line.shifts),
            intervals=[IntervalOut(start=s, end=e) for s, e in slots_to_intervals(line.slots)],
        )


class ProposalRoleOut(Schema):
    job_role: int
    title: str
    kind: str = Field(description="coverage or flexible")
    required_hours: int = Field(description="Coverage hours that week, or the flexible hours asked")
    covered_hours: int
    uncovered_hours: int
    uncovered: list[IntervalOut] = Field(description="Coverage hours no one proposed staffs (UTC)")
    bill_rate: MoneyOut | None = Field(description="The draft's; null while it has none")
    price: MoneyOut | None = Field(description="covered hours x bill rate; null without a rate")

    @classmethod
    def build(cls, outcome: ProposalRole) -> ProposalRoleOut:
        return cls(
            job_role=outcome.role.key,
            title=outcome.role.title,
            kind=outcome.role.kind,
            required_hours=outcome.required_hours,
            covered_hours=outcome.covered_hours,
            uncovered_hours=outcome.uncovered_hours,
            uncovered=intervals_out(outcome.uncovered),
            bill_rate=money_out(outcome.role.bill_rate),
            price=money_out(outcome.price),
        )


class CandidateOut(Schema):
    """An active member of the collective as the proposal considered them."""

    member: PersonOut
    user_id: int
    status: str = Field(
        description="considered, pinned, excluded, no_skill (none of the roles' skills), "
        "no_rate (no rate in the pitch's currency: give one in rates) or rate_above_bill"
    )
    rate: MoneyOut | None = Field(description="The pay rate used, when there is one")
    rate_given: bool = Field(description="The rate is the one you gave, not the profile's")
    job_roles: list[int] = Field(description="The roles they may staff")
    hours_left: int = Field(description="Weekly capacity less hours committed elsewhere")
    reason: str = Field(description="Why they were left out, for people; empty otherwise")

    @classmethod
    def build(cls, candidate: Candidate, *, person: PersonOut) -> CandidateOut:
        return cls(
            member=person,
            user_id=candidate.member.key,
            status=candidate.status,
            rate=money_out(candidate.rate),
            rate_given=candidate.rate_given,
            job_roles=list(candidate.roles),
            hours_left=candidate.capacity,
            reason=candidate.reason,
        )


class ProposalOut(Schema):
    """The engine's cheapest team for the week planned, in pitch terms."""

    pitch: int
    status: str = Field(
        description="optimal (proven cheapest), feasible (the time limit stopped the search; "
        "see gap), infeasible (no team: see reason) or unknown (no team within the time limit)"
    )
    gap: float | None = Field(description="The proven relative gap of a feasible team")
    seconds: float
    reason: str | None = Field(description="Why there is no team, in words")
    week: dt.date = Field(description="The Monday planned, in the job's time zone")
    timezone: str = Field(description="The job's")
    currency: str
    complete: bool = Field(description="Every hour of every role is covered")
    left_open: bool = Field(
        description="Hours no one can staff were left open and the team covers the rest"
    )
    digest: str = Field(
        description="Names this team: send it when applying to insist on it "
        "(409 proposal_changed otherwise)"
    )
    team_size: int
    team: list[ProposalLineOut]
    roles: list[ProposalRoleOut]
    price: MoneyOut = Field(description="What the client pays that week: covered hours x bill rate")
    pay_cost: MoneyOut = Field(description="What the team is paid that week: hours x pay rate")
    margin: MoneyOut | None = Field(
        description="price - pay_cost, for the treasury and the funds; null while a role the "
        "team works on has no bill rate"
    )
    members: list[CandidateOut] = Field(description="Every active member, and how they counted")
    notes: list[str]

    @classmethod
    def build(
        cls, proposal: Proposal, *, pitch_id: int, people: dict[int, PersonOut]
    ) -> ProposalOut:
        margin = proposal.margin
        return cls(
            pitch=pitch_id,
            status=proposal.status,
            gap=proposal.gap,
            seconds=proposal.seconds,
            reason=proposal.reason,
            week=proposal.week,
            timezone=proposal.timezone,
            currency=proposal.currency,
            complete=proposal.complete,
            left_open=proposal.left_open,
            digest=proposal.digest,
            team_size=proposal.team_size,
            team=[
                ProposalLineOut.build(line, person=people[line.member.key])
                for line in proposal.lines
            ],
            roles=[ProposalRoleOut.build(outcome) for outcome in proposal.roles],
            price=_money(proposal.price),
            pay_cost=_money(proposal.pay_cost),
            margin=_money(margin) if margin is not None else None,
            members=[
                CandidateOut.build(candidate, person=people[candidate.member.key])
                for candidate in proposal.candidates
            ],
            notes=list(proposal.notes),
        )


class ProposalAppliedOut(Schema):
    pitch: PitchOut = Field(description="The draft with its new team")
    proposal: ProposalOut = Field(description="The team written")


# --- Input --------------------------------------------------------------------------


class ProposalIn(InputSchema):
    week: dt.date | None = Field(
        None, description="Any day of the week to plan (default: the job's start week)"
    )
    max_team_size: StrictInt | None = Field(None, description="1 to 1000; none: no limit")
    pinned: list[StrictInt | str] = Field(
        default_factory=list, description="Members (handle or user id) who must be on the team"
    )
    excluded: list[StrictInt | str] = Field(
        default_factory=list, description="Members (handle or user id) left out"
    )
    rates: dict[str, str] = Field(
        default_factory=dict,
        description="Pay rates by handle, in the pitch's currency, over the profile's: the "
        "way to consider a member with no rate or a rate in another currency",
        examples=[{"sofia-alvarez": "14.00"}],
    )


class ProposalApplyIn(ProposalIn):
    digest: str | None = Field(
        None,
        description="The digest of the proposal you saw; if the engine now proposes another "
        "team, 409 proposal_changed and nothing is written",
    )
