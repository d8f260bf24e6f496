"""Joining and leaving: applying, leaving, deciding applications and
changing a member's role."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from mutualist.collectives.forms import ApplyForm, DecisionForm, RoleForm
from mutualist.collectives.models import Membership
from mutualist.collectives.selectors import (
    collective_get_for_coordinator,
    collective_get_for_member,
    collective_get_public,
    membership_get_for_coordinator,
)
from mutualist.collectives.services import (
    membership_apply,
    membership_approve,
    membership_leave,
    membership_reject,
    membership_set_role,
)
from mutualist.collectives.views._common import _back_to_detail, _current_user
from mutualist.core.errors import DomainError
from mutualist.core.web import forbidden_as_403


@login_required
@require_POST
def apply(request: HttpRequest, slug: str) -> HttpResponse:
    user = _current_user(request)
    collective = collective_get_public(slug=slug)
    form = ApplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Your note is too long; keep it under 2,000 characters.")
        return _back_to_detail(collective)
    try:
        with transaction.atomic(durable=True):
            membership = membership_apply(
                collective=collective, user=user, note=form.cleaned_data["note"]
            )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if membership.state == Membership.State.ACTIVE:
            messages.success(request, f"Welcome to {collective.name}: you are now a member.")
        else:
            messages.success(
                request,
                f"Your application to {collective.name} has been sent. "
                "A coordinator will decide on it.",
            )
    return _back_to_detail(collective)


@login_required
@require_POST
def leave(request: HttpRequest, slug: str) -> HttpResponse:
    user = _current_user(request)
    collective, membership = collective_get_for_member(user=user, slug=slug)
    try:
        with transaction.atomic(durable=True):
            membership_leave(membership=membership, actor=user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"You have left {collective.name}.")
    return _back_to_detail(collective)


@login_required
@require_POST
@forbidden_as_403
def application_decide(request: HttpRequest, slug: str, membership_id: int) -> HttpResponse:
    user = _current_user(request)
    collective, _ = collective_get_for_coordinator(user=user, slug=slug)
    membership = membership_get_for_coordinator(
        collective=collective, viewer=user, membership_id=membership_id
    )
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose to approve or to reject the application.")
        return _back_to_detail(collective)
    name = membership.user.display_name
    try:
        with transaction.atomic(durable=True):
            if form.cleaned_data["decision"] == "approve":
                membership_approve(membership=membership, actor=user)
                text = f"{name} is now a member of {collective.name}."
            else:
                membership_reject(membership=membership, actor=user)
                text = f"You declined {name}'s application."
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, text)
    return _back_to_detail(collective)


@login_required
@require_POST
@forbidden_as_403
def membership_role(request: HttpRequest, slug: str, membership_id: int) -> HttpResponse:
    user = _current_user(request)
    collective, _ = collective_get_for_coordinator(user=user, slug=slug)
    membership = membership_get_for_coordinator(
        collective=collective, viewer=user, membership_id=membership_id
    )
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Role must be coordinator or member.")
        return _back_to_detail(collective)
    try:
        with transaction.atomic(durable=True):
            membership = membership_set_role(
                membership=membership, actor=user, role=form.cleaned_data["role"]
            )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"{membership.user.display_name} is now a {membership.get_role_display().lower()}.",
        )
    return _back_to_detail(collective)
