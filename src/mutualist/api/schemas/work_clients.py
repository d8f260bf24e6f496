"""Clients, their contacts, jobs and the job board.

Contacts appear by handle and display name, never by email address. A job's
coverage windows travel in the matching engine's shape, in input and output:
``{"days": ["mon", "tue"], "start": "09:00", "end": "17:00"}`` (whole hours in
the job's time zone; an end at or before the start runs past midnight).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Schema

from mutualist.api.schemas.common import CollectiveRefOut, InputSchema, MoneyIn, MoneyOut, PersonOut
from mutualist.work.models import Client, ClientContact, Job, JobRole
from mutualist.work.selectors.clients import (
    BoardEntry,
    job_weekly_hours,
    role_windows,
    windows_as_specs,
)
from mutualist.work.services.clients import ContactInvitation

# --- Output -----------------------------------------------------------------------


class ClientOut(Schema):
    id: int
    name: str
    country: str = Field(description="ISO 3166 two-letter code")
    timezone: str = Field(
        description="IANA name; a job's hours are read in it unless the job names another"
    )
    currency: str = Field(description="ISO 4217 code of its jobs' budgets, rates and invoices")
    billing_address: str
    tax_id: str
    collective: CollectiveRefOut | None = Field(
        description="The collective that recorded it as a lead; null when it registered itself"
    )
    contacts: list[PersonOut] = Field(description="The people who act for it in the portal")
    created_at: dt.datetime

    @classmethod
    def from_model(cls, client: Client, contacts: list[ClientContact]) -> ClientOut:
        collective = client.collective
        return cls(
            id=client.pk,
            name=client.name,
            country=client.country,
            timezone=client.timezone,
            currency=client.currency,
            billing_address=client.billing_address,
            tax_id=client.tax_id,
            collective=(
                CollectiveRefOut(slug=collective.slug, name=collective.name)
                if collective is not None
                else None
            ),
            contacts=[PersonOut.from_user(contact.user) for contact in contacts],
            created_at=client.created_at,
        )


class ContactInvitationOut(Schema):
    """An invitation as sent. The link (and its token) goes only to the invited
    address, by email; it is never in an answer."""

    client_id: int
    email: str = Field(description="The invited address, as you typed it (normalised)")
    expires_at: dt.datetime

    @classmethod
    def from_invitation(cls, invitation: ContactInvitation) -> ContactInvitationOut:
        return cls(
            client_id=invitation.client.pk, email=invitation.email, expires_at=invitation.expires_at
        )


class CoverageWindowOut(Schema):
    days: list[str] = Field(examples=[["mon", "tue", "wed", "thu", "fri"]])
    start: str = Field(examples=["09:00"])
    end: str = Field(examples=["17:00"], description="At or before start: runs past midnight")


class SkillRefOut(Schema):
    slug: str
    name: str


class JobRoleOut(Schema):
    id: int
    skill: SkillRefOut
    title: str
    kind: str = Field(description="coverage or flexible")
    hours: int | None = Field(description="Flexible hours a week (flexible roles)")
    coverage: list[CoverageWindowOut] = Field(
        description="Weekly windows in the job's time zone (coverage roles)"
    )

    @classmethod
    def from_model(cls, role: JobRole) -> JobRoleOut:
        return cls(
            id=role.pk,
            skill=SkillRefOut(slug=role.skill.slug, name=role.skill.name),
            title=role.title,
            kind=role.kind,
            hours=role.flexible_hours,
            coverage=[CoverageWindowOut(**spec) for spec in windows_as_specs(role_windows(role))],
        )


class ClientRefOut(Schema):
    id: int
    name: str


class JobOut(Schema):
    id: int
    client: ClientRefOut
    collective: CollectiveRefOut | None = Field(
        description="For a lead: the collective that recorded it (always private)"
    )
    title: str
    description: str
    start_date: dt.date
    duration_weeks: int | None = Field(description="null: ongoing")
    timezone: str = Field(description="The time zone of the coverage windows")
    budget_kind: str = Field(description="hourly (a maximum rate) or total")
    budget: MoneyOut | None = Field(description="null: an open budget")
    visibility: str = Field(description="public (on the job board) or private")
    state: str = Field(description="open, filled or closed")
    weekly_hours: int = Field(
        description="Coverage hours in the job's start week (daylight saving included) "
        "plus flexible hours"
    )
    roles: list[JobRoleOut]
    created_at: dt.datetime

    @classmethod
    def from_model(cls, job: Job, *, weekly_hours: int | None = None) -> JobOut:
        """``weekly_hours``: counted already (the board's), else counted here."""
        collective = job.collective
        return cls(
            id=job.pk,
            client=ClientRefOut(id=job.client.pk, name=job.client.name),
            collective=(
                CollectiveRefOut(slug=collective.slug, name=collective.name)
                if collective is not None
                else None
            ),
            title=job.title,
            description=job.description,
            start_date=job.start_date,
            duration_weeks=job.duration_weeks,
            timezone=job.timezone,
            budget_kind=job.budget_kind,
            budget=(
                MoneyOut.from_minor(job.budget_minor, job.currency)
                if job.budget_minor is not None
                else None
            ),
            visibility=job.visibility,
            state=job.state,
            weekly_hours=job_weekly_hours(job) if weekly_hours is None else weekly_hours,
            roles=[JobRoleOut.from_model(role) for role in job.roles.all()],
            created_at=job.created_at,
        )


class BoardJobOut(JobOut):
    overlap_hours: str | None = Field(
        description="With ?collective=: hours of the job's coverage (its start week) inside "
        "that collective's members' availability, as a decimal string",
        examples=["32.00"],
    )

    @classmethod
    def from_entry(cls, entry: BoardEntry) -> BoardJobOut:
        # The entry's hours, not counted again: the board falls back to
        # nominal hours for a job whose real ones cannot be computed.
        base = JobOut.from_model(entry.job, weekly_hours=entry.weekly_hours).model_dump()
        hours = entry.overlap_hours
        return cls(**base, overlap_hours=None if hours is None else str(hours))


# --- Input ------------------------------------------------------------------------


class ClientIn(InputSchema):
    name: str = Field(max_length=1000)
    country: str = Field(description="ISO 3166 two-letter code", examples=["AU"])
    timezone: str = Field(description="IANA name", examples=["Australia/Sydney"])
    currency: str = Field(description="ISO 4217 code", examples=["AUD"])
    billing_address: str
    tax_id: str = ""


class ClientPatchIn(InputSchema):
    """Only the fields you send change."""

    name: str | None = None
    country: str | None = None
    timezone: str | None = None
    currency: str | None = Field(None, description="Only while the client has no jobs")
    billing_address: str | None = None
    tax_id: str | None = None


class ContactInviteIn(InputSchema):
    email: str = Field(
        description="The link goes to this address only", examples=["sam@harbour.example"]
    )


class ClientInvitationTokenIn(InputSchema):
    token: str = Field(description="From the invitation email's link")


class CoverageWindowIn(InputSchema):
    days: list[str] = Field(description="mon..sun", examples=[["mon", "tue", "wed", "thu", "fri"]])
    start: str = Field(description="HH:00 in the job's time zone", examples=["09:00"])
    end: str = Field(
        description="HH:00 (24:00 allowed); at or before start runs past midnight",
        examples=["17:00"],
    )


class JobRoleIn(InputSchema):
    """A skill plus either ``coverage`` or ``hours``, not both."""

    skill: str = Field(description="Skill slug (GET /skills)", examples=["customer_support"])
    title: str = ""
    coverage: list[CoverageWindowIn] | None = None
    hours: int | None = Field(None, description="Flexible hours a week, 1-168")

    def spec(self) -> dict[str, object]:
        spec: dict[str, object] = {"skill": self.skill, "title": self.title}
        if self.coverage is not None:
            spec["coverage"] = [window.model_dump() for window in self.coverage]
        if self.hours is not None:
            spec["hours"] = self.hours
        return spec


class _JobFieldsIn(InputSchema):
    title: str
    description: str
    start_date: dt.date = Field(description="Not in the past (the client's today)")
    duration_weeks: int | None = Field(None, description="1-520; null for ongoing work")
    budget_kind: str = Field(description="hourly (a maximum rate) or total")
    budget: MoneyIn | None = Field(None, description="In the client's currency; null: open")
    roles: list[JobRoleIn]
    timezone: str | None = Field(None, description="Of the coverage windows; default the client's")


class JobIn(_JobFieldsIn):
    client_id: int = Field(description="A client you act for")
    visibility: str = Field("public", description="public (on the job board) or private")


class LeadIn(_JobFieldsIn):
    client_id: int = Field(description="A client the collective recorded or works with")


class JobPatchIn(InputSchema):
    """Only the fields you send change; ``roles`` replaces every role (refused
    once a collective has pitched)."""

    title: str | None = None
    description: str | None = None
    start_date: dt.date | None = None
    duration_weeks: int | None = None
    budget_kind: str | None = None
    budget: MoneyIn | None = None
    visibility: str | None = None
    timezone: str | None = None
    roles: list[JobRoleIn] | None = None


class BoardFiltersIn(Schema):
    """Query parameters of GET /jobs."""

    skill: str | None = Field(None, description="Skill slug: some role needs it")
    min_hours: int | None = Field(None, ge=0, le=168, description="Weekly hours at least")
    max_hours: int | None = Field(None, ge=0, le=168, description="Weekly hours at most")
    budget_kind: str | None = Field(None, description="hourly or total")
    min_budget: Decimal | None = Field(
        None,
        ge=0,
        max_digits=18,
        description="With budget_kind: at least this much, in each job's own currency",
    )
    collective: str | None = Field(
        None, description="Slug of a collective you are an active member of: adds overlap_hours"
    )
    min_overlap_hours: Decimal | None = Field(
        None, ge=0, le=168, description="With collective: keep jobs with at least this overlap"
    )
