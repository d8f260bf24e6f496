"""The client portal: where a client contact registers their organisation,
sees their clients, contacts and jobs, posts a job, and answers an invitation
to act for a client. Plus the members' dashboard panel that leads there.

The sections other areas add (pitches received, agreements, timesheets,
invoices) come from ``work.portal.portal_sections`` and are rendered as the
dashboard renders its panels.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_http_methods

from mutualist.core.errors import DomainError
from mutualist.core.money import Money
from mutualist.core.web import add_domain_error
from mutualist.members.models import User
from mutualist.members.panels import Panel
from mutualist.members.selectors import skill_list
from mutualist.members.web import request_member, request_viewer
from mutualist.work.forms.clients import ClientForm, ContactInviteForm
from mutualist.work.forms.jobs import JobForm
from mutualist.work.models import Client, Job
from mutualist.work.portal import portal_sections
from mutualist.work.selectors.access import client_get_for_contact
from mutualist.work.selectors.clients import client_list_for_contact, job_list_for_contact
from mutualist.work.services.clients import (
    client_contact_accept as client_contact_accept_service,
)
from mutualist.work.services.clients import client_contact_invitation_resolve, client_register
from mutualist.work.services.jobs import job_post as job_post_service
from mutualist.work.views.board import job_budget, timezone_datalist

_TEMPLATES = "work/portal"


def _job_form(user: User, clients: list[Client], data: Any = None) -> JobForm:
    return JobForm(
        data,
        skills=list(skill_list()),
        clients=[(client.pk, f"{client.name} ({client.currency})") for client in clients],
        initial={"visibility": Job.Visibility.PUBLIC, "budget_kind": Job.BudgetKind.HOURLY},
    )


def _portal_context(request: HttpRequest, user: User, clients: list[Client]) -> dict[str, Any]:
    jobs = list(job_list_for_contact(user=user))
    return {
        "clients": clients,
        "jobs": [(job, job_budget(job)) for job in jobs],
        "invite_form": ContactInviteForm(),
        "sections": portal_sections(request, clients),
        **timezone_datalist(),
    }


@login_required
@require_http_methods(["GET", "HEAD"])
def portal(request: HttpRequest) -> HttpResponse:
    user = request_member(request)
    clients = list(client_list_for_contact(user=user))
    if not clients:
        return render(
            request,
            f"{_TEMPLATES}/welcome.html",
            {"form": ClientForm(initial=_register_initial(user)), **timezone_datalist()},
        )
    context = _portal_context(request, user, clients)
    context["job_form"] = _job_form(user, clients)
    return render(request, f"{_TEMPLATES}/portal.html", context)


def _register_initial(user: User) -> dict[str, Any]:
    profile = getattr(user, "profile", None)
    if profile is None:
        return {}
    return {"timezone": profile.timezone, "country": profile.country}


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def client_register_view(request: HttpRequest) -> HttpResponse:
    user = request_member(request)
    form = ClientForm(
        request.POST if request.method == "POST" else None, initial=_register_initial(user)
    )
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic(durable=True):
                client = client_register(user=user, **form.details())
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request, f"{client.name} is registered, and you act for it in the portal."
            )
            return redirect("work:portal")
    return render(request, f"{_TEMPLATES}/register.html", {"form": form, **timezone_datalist()})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def job_post(request: HttpRequest) -> HttpResponse:
    """Post a job for one of the clients the user acts for."""
    user = request_member(request)
    clients = list(client_list_for_contact(user=user))
    if not clients:
        messages.info(request, "Register your organisation first; then post its jobs.")
        return redirect("work:client_register")
    form = _job_form(user, clients, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic(durable=True):
                # The choices are the user's clients; read it through the
                # contacts-only getter all the same.
                client = client_get_for_contact(user=user, pk=data["client"])
                budget_text = data["budget"].strip()
                job = job_post_service(
                    client=client,
                    by=user,
                    title=data["title"],
                    description=data["description"],
                    start_date=data["start_date"],
                    duration_weeks=data["duration_weeks"],
                    budget_kind=data["budget_kind"],
                    budget=Money.parse(budget_text, client.currency, field="budget")
                    if budget_text
                    else None,
                    visibility=data["visibility"],
                    roles=form.role_specs(),
                    timezone=data["timezone"].strip() or None,
                )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            where = "on the job board" if job.visibility == Job.Visibility.PUBLIC else "privately"
            messages.success(request, f"“{job.title}” is posted {where}.")
            return redirect("work:job", pk=job.pk)
    return render(request, f"{_TEMPLATES}/job_post.html", {"form": form, **timezone_datalist()})


# --- Answering an invitation to act for a client ----------------------------------------

# As the collectives' invitation page answers: gone (410) when expired, a
# conflict (409) when its sender no longer acts for the client, 403 for
# another address or an unconfirmed one, or for a member of the collective
# that recorded the client, 400 for a broken link.
_INVITATION_STATUS = {
    "invitation_expired": 410,
    "invitation_withdrawn": 409,
    "contact_is_member": 403,
}


def _invitation_problem(request: HttpRequest, exc: DomainError) -> HttpResponse:
    status = _INVITATION_STATUS.get(exc.code, exc.status if exc.status in (403, 409) else 400)
    return render(
        request, f"{_TEMPLATES}/invitation_invalid.html", {"error": exc.message}, status=status
    )


@require_http_methods(["GET", "HEAD", "POST"])
def client_contact_accept(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows whom the invitation is from; POST accepts it. Mail scanners
    that prefetch links only GET, so they never accept for anyone."""
    viewer = request_viewer(request)
    try:
        invitation = client_contact_invitation_resolve(
            token=token, user=viewer if isinstance(viewer, User) else None
        )
    except DomainError as exc:
        return _invitation_problem(request, exc)
    if request.method == "POST":
        if not isinstance(viewer, User):
            return redirect_to_login(request.get_full_path())
        try:
            with transaction.atomic(durable=True):
                contact = client_contact_accept_service(token=token, user=viewer)
        except DomainError as exc:
            return _invitation_problem(request, exc)
        messages.success(request, f"You now act for {contact.client.name}.")
        return redirect("work:portal")
    addressed_to_viewer = isinstance(viewer, User) and (
        viewer.email.lower() == invitation.email.lower()
    )
    return render(
        request,
        f"{_TEMPLATES}/invitation.html",
        {
            "invitation": invitation,
            "inviter_name": str(invitation.invited_by),
            "addressed_to_viewer": addressed_to_viewer,
            "email_verified": isinstance(viewer, User) and viewer.email_verified,
            "next": request.get_full_path(),
        },
    )


# --- The members' dashboard panel -------------------------------------------------------


def dashboard_clients_panel(request: HttpRequest) -> Panel | None:
    """For a client contact: the clients they act for, with the way to the
    portal. Nothing for anyone else."""
    user = request.user
    if not isinstance(user, User):
        return None
    clients = list(client_list_for_contact(user=user))
    if not clients:
        return None
    return Panel("work/portal/panel_dashboard_clients.html", {"clients": clients}, order=40)


urlpatterns = [
    path("portal/", portal, name="portal"),
    path("portal/register/", client_register_view, name="client_register"),
    path("portal/jobs/new/", job_post, name="job_post"),
    path("portal/invitations/<str:token>/", client_contact_accept, name="client_contact_accept"),
]
