"""A client's page (its contacts and the collectives that work with it), editing
it, inviting and leaving; and a collective's clients and leads.

Who sees a client: ``access.client_get_for_user`` (its contacts, and the
active members of collectives that recorded it, sent it a pitch or work for
it); 404 for anyone else. A collective's clients page is for its active
members; recording a client or a lead is for its coordinators (403 for the
other members).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as HttpPermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mutualist.collectives.selectors import collective_get_for_member
from mutualist.core.errors import DomainError
from mutualist.core.money import Money
from mutualist.core.web import add_domain_error, forbidden_as_403
from mutualist.members.models import User
from mutualist.members.selectors import skill_list
from mutualist.members.web import request_member
from mutualist.work.forms.clients import ClientForm, ContactInviteForm
from mutualist.work.forms.jobs import JobForm
from mutualist.work.models import Client, ClientContact, Job
from mutualist.work.selectors.access import (
    active_collective_ids,
    client_get_for_user,
    is_client_contact,
    is_coordinator,
    jobs_visible_to,
    require_coordinator,
)
from mutualist.work.selectors.clients import (
    JOB_PREFETCH,
    client_contacts,
    collective_client_get,
    collective_client_list,
    collective_lead_list,
)
from mutualist.work.services.clients import (
    client_contact_invite,
    client_contact_leave,
    client_may_edit,
    client_record,
    client_update,
)
from mutualist.work.services.jobs import job_record_lead
from mutualist.work.views.board import job_budget, timezone_datalist

_TEMPLATES = "work/clients"


def _may_invite(user: User, client: Client) -> bool:
    """A contact; or a coordinator of the collective that recorded it, while
    it has no contact (its first one)."""
    if is_client_contact(user, client.pk):
        return True
    return (
        client.collective_id is not None
        and is_coordinator(user, client.collective_id)
        and not ClientContact.objects.filter(client=client).exists()
    )


# --- A client's page --------------------------------------------------------------------


@login_required
@require_GET
def client_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_member(request)
    client = client_get_for_user(user=user, pk=pk)
    # A contact sees the client's own jobs, not the leads collectives noted
    # about it; a member sees their own collectives' leads too.
    jobs = (
        jobs_visible_to(user)
        .filter(client=client)
        .filter(Q(collective__isnull=True) | Q(collective_id__in=active_collective_ids(user)))
        .prefetch_related(*JOB_PREFETCH)
        .order_by("-created_at", "-pk")
    )
    context: dict[str, Any] = {
        "client": client,
        "contacts": client_contacts(client=client),
        "jobs": [(job, job_budget(job)) for job in jobs],
        "is_contact": is_client_contact(user, client.pk),
        "can_edit": client_may_edit(user=user, client=client),
        "invite_form": ContactInviteForm() if _may_invite(user, client) else None,
    }
    return render(request, f"{_TEMPLATES}/detail.html", context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@forbidden_as_403
def client_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_member(request)
    client = client_get_for_user(user=user, pk=pk)
    if not client_may_edit(user=user, client=client):
        raise HttpPermissionDenied("Only the client's contacts can change its details.")
    form = ClientForm(
        request.POST if request.method == "POST" else None, initial=ClientForm.initial_for(client)
    )
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic(durable=True):
                client_update(client=client, by=user, **form.details())
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"{client.name}'s details have been saved.")
            return redirect("work:client", pk=client.pk)
    return render(
        request, f"{_TEMPLATES}/edit.html", {"form": form, "client": client, **timezone_datalist()}
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@forbidden_as_403
def client_invite(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_member(request)
    client = client_get_for_user(user=user, pk=pk)
    form = ContactInviteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic(durable=True):
                invitation = client_contact_invite(
                    client=client, by=user, email=form.cleaned_data["email"]
                )
        except DomainError as exc:
            if exc.status == 403:
                raise
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                f"Invitation sent to {invitation.email}; the link works until "
                f"{invitation.expires_at:%d %B %Y}.",
            )
            return redirect("work:client", pk=client.pk)
    elif not _may_invite(user, client):
        raise HttpPermissionDenied("Only the client's contacts can invite people.")
    return render(request, f"{_TEMPLATES}/invite.html", {"form": form, "client": client})


@login_required
@require_POST
def client_leave(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_member(request)
    client = client_get_for_user(user=user, pk=pk)
    try:
        with transaction.atomic(durable=True):
            client_contact_leave(client=client, user=user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("work:client", pk=client.pk)
    messages.success(request, f"You no longer act for {client.name}.")
    return redirect("work:portal")


# --- A collective's clients and leads -------------------------------------------------------


@login_required
@require_GET
def collective_clients(request: HttpRequest, slug: str) -> HttpResponse:
    user = request_member(request)
    collective, membership = collective_get_for_member(user=user, slug=slug)
    leads = collective_lead_list(collective=collective)
    context = {
        "collective": collective,
        "clients": collective_client_list(collective=collective),
        "leads": [(job, job_budget(job)) for job in leads],
        "is_coordinator": membership.is_coordinator,
    }
    return render(request, f"{_TEMPLATES}/collective.html", context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@forbidden_as_403
def client_record_view(request: HttpRequest, slug: str) -> HttpResponse:
    user = request_member(request)
    collective, _ = collective_get_for_member(user=user, slug=slug)
    require_coordinator(user, collective)
    form = ClientForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic(durable=True):
                client = client_record(collective=collective, by=user, **form.details())
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request, f"{client.name} is recorded as a client of {collective.name}."
            )
            return redirect("work:collective_clients", slug=collective.slug)
    return render(
        request,
        f"{_TEMPLATES}/record.html",
        {"form": form, "collective": collective, **timezone_datalist()},
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@forbidden_as_403
def lead_new(request: HttpRequest, slug: str) -> HttpResponse:
    user = request_member(request)
    collective, _ = collective_get_for_member(user=user, slug=slug)
    require_coordinator(user, collective)
    clients = list(collective_client_list(collective=collective))
    if not clients:
        messages.info(request, "Record the client first; then note its lead.")
        return redirect("work:client_record", slug=collective.slug)
    form = JobForm(
        request.POST if request.method == "POST" else None,
        skills=list(skill_list()),
        clients=[(client.pk, f"{client.name} ({client.currency})") for client in clients],
        lead=True,
        initial={"budget_kind": Job.BudgetKind.HOURLY},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic(durable=True):
                client = collective_client_get(collective=collective, pk=data["client"])
                budget_text = data["budget"].strip()
                job = job_record_lead(
                    collective=collective,
                    by=user,
                    client=client,
                    title=data["title"],
                    description=data["description"],
                    start_date=data["start_date"],
                    duration_weeks=data["duration_weeks"],
                    budget_kind=data["budget_kind"],
                    budget=Money.parse(budget_text, client.currency, field="budget")
                    if budget_text
                    else None,
                    roles=form.role_specs(),
                    timezone=data["timezone"].strip() or None,
                )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, f"The lead “{job.title}” is recorded.")
            return redirect("work:job", pk=job.pk)
    return render(
        request,
        f"{_TEMPLATES}/lead_new.html",
        {"form": form, "collective": collective, **timezone_datalist()},
    )


urlpatterns = [
    path("clients/<int:pk>/", client_detail, name="client"),
    path("clients/<int:pk>/edit/", client_edit, name="client_edit"),
    path("clients/<int:pk>/invite/", client_invite, name="client_contact_invite"),
    path("clients/<int:pk>/leave/", client_leave, name="client_leave"),
    path("collectives/<slug:slug>/clients/", collective_clients, name="collective_clients"),
    path("collectives/<slug:slug>/clients/new/", client_record_view, name="client_record"),
    path("collectives/<slug:slug>/leads/new/", lead_new, name="lead_new"),
]
