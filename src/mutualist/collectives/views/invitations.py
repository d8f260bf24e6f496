"""Invitations: a coordinator invites by email or revokes; the invitee answers
through the link they were sent."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from mutualist.collectives.forms import InvitationForm, InvitationResponseForm
from mutualist.collectives.selectors import (
    collective_get_for_coordinator,
    invitation_get_for_coordinator,
)
from mutualist.collectives.services import (
    invitation_accept,
    invitation_create,
    invitation_decline,
    invitation_resolve,
)
from mutualist.collectives.services import invitation_revoke as invitation_revoke_service
from mutualist.collectives.views._common import (
    _TEMPLATES,
    _add_domain_error,
    _back_to_detail,
    _current_user,
    _viewer,
)
from mutualist.core.errors import DomainError
from mutualist.core.web import forbidden_as_403
from mutualist.members.models import User

# --- Inviting and revoking -------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@forbidden_as_403
def invite(request: HttpRequest, slug: str) -> HttpResponse:
    user = _current_user(request)
    collective, _ = collective_get_for_coordinator(user=user, slug=slug)
    form = InvitationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic(durable=True):
                invitation = invitation_create(
                    collective=collective,
                    inviter=user,
                    email=data["email"],
                    role=data["role"],
                    message=data["message"],
                )
        except DomainError as exc:
            _add_domain_error(form, exc)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return _back_to_detail(collective)
    return render(request, f"{_TEMPLATES}/invite.html", {"form": form, "collective": collective})


@login_required
@require_POST
@forbidden_as_403
def invitation_revoke(request: HttpRequest, slug: str, invitation_id: int) -> HttpResponse:
    user = _current_user(request)
    collective, _ = collective_get_for_coordinator(user=user, slug=slug)
    invitation = invitation_get_for_coordinator(
        collective=collective, viewer=user, invitation_id=invitation_id
    )
    try:
        with transaction.atomic(durable=True):
            invitation_revoke_service(invitation=invitation, actor=user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"The invitation to {invitation.email} has been revoked.")
    return _back_to_detail(collective)


# --- Answering an invitation ------------------------------------------------------------

# How a refused invitation link answers: gone for good (410) when it has
# expired, a conflict (409) when it was already answered, a bad request (400)
# when the link itself is broken or forged.
_INVITATION_STATUS = {"invitation_expired": 410, "invitation_used": 409}


def _invitation_problem(request: HttpRequest, exc: DomainError) -> HttpResponse:
    status = _INVITATION_STATUS.get(exc.code, exc.status if exc.status in (403, 409) else 400)
    return render(
        request, f"{_TEMPLATES}/invitation_invalid.html", {"error": exc.message}, status=status
    )


@require_http_methods(["GET", "HEAD", "POST"])
def invitation_respond(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows the invitation; POST accepts or declines it.

    Mail scanners that prefetch links only GET, so they never answer for anyone.
    """
    try:
        invitation = invitation_resolve(token=token)
    except DomainError as exc:
        return _invitation_problem(request, exc)
    viewer = _viewer(request)
    if request.method == "POST":
        if not isinstance(viewer, User):
            return redirect_to_login(request.get_full_path())
        form = InvitationResponseForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose to accept or to decline the invitation.")
            return redirect("collectives:invitation", token=token)
        collective = invitation.collective
        accepting = form.cleaned_data["action"] == "accept"
        try:
            with transaction.atomic(durable=True):
                if accepting:
                    membership = invitation_accept(token=token, user=viewer)
                else:
                    invitation_decline(token=token, user=viewer)
        except DomainError as exc:
            return _invitation_problem(request, exc)
        if not accepting:
            messages.info(request, f"You declined the invitation to {collective.name}.")
            return redirect("members:dashboard")
        messages.success(
            request,
            f"Welcome to {collective.name}: you joined as a "
            f"{membership.get_role_display().lower()}.",
        )
        return _back_to_detail(collective)
    addressed_to_viewer = isinstance(viewer, User) and (
        viewer.email.lower() == invitation.email.lower()
    )
    return render(
        request,
        f"{_TEMPLATES}/invitation.html",
        {
            "invitation": invitation,
            "token": token,
            "addressed_to_viewer": addressed_to_viewer,
            "next": request.get_full_path(),
        },
    )
