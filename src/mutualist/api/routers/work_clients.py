"""Clients, contacts, jobs and the job board.

Reads go through the work domain's permission-scoped selectors: a client is
seen by its contacts and by the active members of collectives that recorded
it, sent it a pitch or work with it; a private job by the same people (a lead
only by its collective); anyone else gets 404. The board (``GET /jobs``) is
public.

A write builds its reply inside its transaction: if the reply cannot be
built, the write is rolled back with it, rather than committed behind a 500
the caller would retry (a far-future job once did exactly that).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.http import HttpRequest
from ninja import Query, Router, Status

from mutualist.api.auth import OPTIONAL, request_user, request_viewer
from mutualist.api.pagination import Page, PageParams, paginate
from mutualist.api.routers import anonymous_allowed, responses
from mutualist.api.schemas.common import MoneyIn
from mutualist.api.schemas.work_clients import (
    BoardFiltersIn,
    BoardJobOut,
    ClientIn,
    ClientInvitationTokenIn,
    ClientOut,
    ClientPatchIn,
    ContactInvitationOut,
    ContactInviteIn,
    JobIn,
    JobOut,
    JobPatchIn,
    LeadIn,
)
from mutualist.collectives.selectors import collective_get_for_member
from mutualist.core.errors import ValidationFailed
from mutualist.core.money import Money
from mutualist.core.reference import from_minor_units
from mutualist.work.models import Client, Job
from mutualist.work.selectors.access import client_get_for_user, clients_visible_to
from mutualist.work.selectors.clients import (
    client_contacts,
    collective_client_get,
    collective_client_list,
    job_get_visible,
    job_list_board,
    job_with_roles,
)
from mutualist.work.services.clients import (
    client_contact_accept,
    client_contact_invite,
    client_contact_leave,
    client_record,
    client_register,
    client_update,
)
from mutualist.work.services.jobs import (
    job_close,
    job_post,
    job_record_lead,
    job_update,
)

router = Router(tags=["work: clients and jobs"])


def _client_out(client: Client) -> ClientOut:
    fresh = Client.objects.select_related("collective").get(pk=client.pk)
    return ClientOut.from_model(fresh, client_contacts(client=fresh))


def _job_out(job: Job) -> JobOut:
    return JobOut.from_model(job_with_roles(job))


def _money(given: MoneyIn | None, *, field: str) -> Money | None:
    """``given`` as Money; a refusal names the input at fault under ``field``."""
    if given is None:
        return None
    try:
        return Money(given.amount, given.currency)
    except ValidationFailed as exc:
        part = "currency" if exc.code == "invalid_currency" else "amount"
        raise type(exc)(exc.message, code=exc.code, field=f"{field}.{part}") from None


# --- Clients ----------------------------------------------------------------------


@router.get(
    "/clients",
    response=responses({200: Page[ClientOut]}),
    summary="Clients you act for or your collectives work with",
)
def clients_list(request: HttpRequest, page: Query[PageParams]) -> Page[ClientOut]:
    rows = (
        clients_visible_to(request_user(request))
        .select_related("collective")
        .distinct()
        .order_by("name", "pk")
    )
    return paginate(
        rows, page, lambda client: ClientOut.from_model(client, client_contacts(client=client))
    )


@router.post(
    "/clients",
    response=responses({201: ClientOut}),
    summary="Register your organisation (you become its first contact)",
)
def client_new(request: HttpRequest, payload: ClientIn) -> Status[ClientOut]:
    user = request_user(request)
    with transaction.atomic(durable=True):
        client = client_register(user=user, **payload.model_dump())
        return Status(201, _client_out(client))


@router.get(
    "/clients/{int:client_id}",
    response=responses({200: ClientOut}),
    summary="A client",
)
def client_detail(request: HttpRequest, client_id: int) -> ClientOut:
    return _client_out(client_get_for_user(user=request_user(request), pk=client_id))


@router.patch(
    "/clients/{int:client_id}",
    response=responses({200: ClientOut}),
    summary="Change a client's details (its contacts; coordinators for a recorded client)",
)
def client_patch(request: HttpRequest, client_id: int, payload: ClientPatchIn) -> ClientOut:
    """Only the fields you send change. The currency changes only while the
    client has no jobs."""
    user = request_user(request)
    with transaction.atomic(durable=True):
        client = client_get_for_user(user=user, pk=client_id)
        sent = payload.model_dump(exclude_unset=True)
        current = {
            "name": client.name,
            "country": client.country,
            "timezone": client.timezone,
            "currency": client.currency,
            "billing_address": client.billing_address,
            "tax_id": client.tax_id,
        }
        fields = {
            key: sent[key] if sent.get(key) is not None else value for key, value in current.items()
        }
        client_update(client=client, by=user, **fields)
        return _client_out(client)


@router.post(
    "/clients/{int:client_id}/contacts",
    response=responses({201: ContactInvitationOut}),
    summary="Invite someone by email to act for a client",
)
def client_contact_new(
    request: HttpRequest, client_id: int, payload: ContactInviteIn
) -> Status[ContactInvitationOut]:
    """Contacts invite colleagues; a coordinator invites the first contact of
    a client their collective recorded. The link goes only to the invited
    address, by email, and works for 14 days."""
    user = request_user(request)
    with transaction.atomic(durable=True):
        client = client_get_for_user(user=user, pk=client_id)
        invitation = client_contact_invite(client=client, by=user, email=payload.email)
        return Status(201, ContactInvitationOut.from_invitation(invitation))


@router.post(
    "/clients/{int:client_id}/leave",
    response=responses({204: None}),
    summary="Stop acting for a client (not the last contact)",
)
def client_leave(request: HttpRequest, client_id: int) -> Status[None]:
    user = request_user(request)
    with transaction.atomic(durable=True):
        client = client_get_for_user(user=user, pk=client_id)
        client_contact_leave(client=client, user=user)
    return Status(204, None)


@router.post(
    "/client-invitations/accept",
    response=responses({200: ClientOut}),
    summary="Accept an invitation to act for a client",
)
def client_invitation_accept(request: HttpRequest, payload: ClientInvitationTokenIn) -> ClientOut:
    """Needs your confirmed email address to be the invited one. Accepting
    again is harmless: you get the client back."""
    user = request_user(request)
    with transaction.atomic(durable=True):
        contact = client_contact_accept(token=payload.token, user=user)
        return _client_out(contact.client)


# --- A collective's clients ----------------------------------------------------------


@router.get(
    "/collectives/{slug}/clients",
    response=responses({200: Page[ClientOut]}),
    summary="Clients a collective recorded or works with (its members)",
)
def collective_clients_list(
    request: HttpRequest, slug: str, page: Query[PageParams]
) -> Page[ClientOut]:
    collective, _ = collective_get_for_member(user=request_user(request), slug=slug)
    rows = collective_client_list(collective=collective).select_related("collective")
    return paginate(
        rows, page, lambda client: ClientOut.from_model(client, client_contacts(client=client))
    )


@router.post(
    "/collectives/{slug}/clients",
    response=responses({201: ClientOut}),
    summary="Record a lead client (coordinators)",
)
def collective_client_new(request: HttpRequest, slug: str, payload: ClientIn) -> Status[ClientOut]:
    user = request_user(request)
    with transaction.atomic(durable=True):
        collective, _ = collective_get_for_member(user=user, slug=slug)
        client = client_record(collective=collective, by=user, **payload.model_dump())
        return Status(201, _client_out(client))


@router.post(
    "/collectives/{slug}/leads",
    response=responses({201: JobOut}),
    summary="Record a lead: a private job for one of the collective's clients (coordinators)",
)
def lead_new(request: HttpRequest, slug: str, payload: LeadIn) -> Status[JobOut]:
    user = request_user(request)
    with transaction.atomic(durable=True):
        collective, _ = collective_get_for_member(user=user, slug=slug)
        client = collective_client_get(collective=collective, pk=payload.client_id)
        job = job_record_lead(
            collective=collective,
            by=user,
            client=client,
            title=payload.title,
            description=payload.description,
            start_date=payload.start_date,
            duration_weeks=payload.duration_weeks,
            budget_kind=payload.budget_kind,
            budget=_money(payload.budget, field="budget"),
            roles=[role.spec() for role in payload.roles],
            timezone=payload.timezone,
        )
        return Status(201, _job_out(job))


# --- Jobs ---------------------------------------------------------------------------


@router.get(
    "/jobs",
    response=responses({200: Page[BoardJobOut]}),
    auth=OPTIONAL,
    openapi_extra=anonymous_allowed(),
    summary="The job board: public, open jobs, newest first",
)
def jobs_board(
    request: HttpRequest, filters: Query[BoardFiltersIn], page: Query[PageParams]
) -> Page[BoardJobOut]:
    """Weekly hours and overlap are counted in each job's start week, on real
    instants (daylight saving included). ``min_budget`` is compared in each
    job's own currency and needs ``budget_kind``. ``collective`` (one you are
    an active member of; 404 otherwise) adds ``overlap_hours``: how much of
    the job's coverage falls inside its active members' availability."""
    overlap_with = None
    if filters.collective:
        overlap_with, _ = collective_get_for_member(
            user=request_viewer(request), slug=filters.collective
        )
    rows = job_list_board(
        skill=filters.skill,
        min_hours=filters.min_hours,
        max_hours=filters.max_hours,
        budget_kind=filters.budget_kind,
        min_budget=filters.min_budget,
        overlap_with=overlap_with,
        min_overlap_hours=filters.min_overlap_hours,
    )
    return paginate(rows, page, BoardJobOut.from_entry)


@router.post(
    "/jobs",
    response=responses({201: JobOut}),
    summary="Post a job for a client you act for",
)
def job_new(request: HttpRequest, payload: JobIn) -> Status[JobOut]:
    user = request_user(request)
    with transaction.atomic(durable=True):
        client = client_get_for_user(user=user, pk=payload.client_id)
        job = job_post(
            client=client,
            by=user,
            title=payload.title,
            description=payload.description,
            start_date=payload.start_date,
            duration_weeks=payload.duration_weeks,
            budget_kind=payload.budget_kind,
            budget=_money(payload.budget, field="budget"),
            visibility=payload.visibility,
            roles=[role.spec() for role in payload.roles],
            timezone=payload.timezone,
        )
        return Status(201, _job_out(job))


@router.get(
    "/jobs/{int:job_id}",
    response=responses({200: JobOut}),
    auth=OPTIONAL,
    openapi_extra=anonymous_allowed(),
    summary="A job (public ones for anyone; private ones for those who may see them)",
)
def job_detail(request: HttpRequest, job_id: int) -> JobOut:
    return _job_out(job_get_visible(user=request_viewer(request), pk=job_id))


@router.patch(
    "/jobs/{int:job_id}",
    response=responses({200: JobOut}),
    summary="Change an open job (its client's contacts; a lead's coordinators)",
)
def job_patch(request: HttpRequest, job_id: int, payload: JobPatchIn) -> JobOut:
    """Only the fields you send change (``"budget": null`` makes it open,
    ``"duration_weeks": null`` ongoing); ``roles`` replaces all of them."""
    user = request_user(request)
    sent = payload.model_fields_set
    with transaction.atomic(durable=True):
        job = job_get_visible(user=user, pk=job_id)
        current_budget = (
            Money(from_minor_units(job.budget_minor, job.currency), job.currency)
            if job.budget_minor is not None
            else None
        )
        job_update(
            job=job,
            by=user,
            title=payload.title if payload.title is not None else job.title,
            description=payload.description if payload.description is not None else job.description,
            start_date=_date(payload.start_date, job.start_date),
            duration_weeks=payload.duration_weeks
            if "duration_weeks" in sent
            else job.duration_weeks,
            budget_kind=payload.budget_kind if payload.budget_kind is not None else job.budget_kind,
            budget=_money(payload.budget, field="budget") if "budget" in sent else current_budget,
            visibility=payload.visibility if payload.visibility is not None else job.visibility,
            timezone=payload.timezone if payload.timezone is not None else job.timezone,
            roles=[role.spec() for role in payload.roles] if payload.roles is not None else None,
        )
        return _job_out(job)


def _date(given: dt.date | None, current: dt.date) -> dt.date:
    return given if given is not None else current


@router.post(
    "/jobs/{int:job_id}/close",
    response=responses({200: JobOut}),
    summary="Close an open job",
)
def job_close_view(request: HttpRequest, job_id: int) -> JobOut:
    user = request_user(request)
    with transaction.atomic(durable=True):
        job = job_get_visible(user=user, pk=job_id)
        job_close(job=job, by=user)
        return _job_out(job)
