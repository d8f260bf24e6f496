"""A collective's own pages: its public page, creating and editing it, and its
bylaws."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from mutualist.collectives.forms import ApplyForm, CollectiveCreateForm, CollectiveEditForm
from mutualist.collectives.models import Bylaws, Membership, SplitShare
from mutualist.collectives.selectors import (
    bylaws_history,
    bylaws_in_force,
    collective_get_for_coordinator,
    collective_get_public,
    invitation_list_pending,
    membership_list_active,
    membership_list_applications,
    membership_of,
)
from mutualist.collectives.services import collective_create, collective_update
from mutualist.collectives.views._common import (
    _TEMPLATES,
    _add_domain_error,
    _back_to_detail,
    _current_user,
    _home_label,
    _viewer,
)
from mutualist.core.errors import DomainError
from mutualist.core.web import forbidden_as_403

HUNDRED = Decimal(100)


def _split(bylaws: Bylaws) -> tuple[list[tuple[str, Decimal]], Decimal]:
    """The bylaws' shares as (label, percent), and what remains for the members."""
    labels = dict(SplitShare.Recipient.choices)
    shares = [
        (labels.get(share.recipient, share.recipient.replace("_", " ").capitalize()), share.percent)
        for share in bylaws.split_shares.all()
    ]
    return shares, HUNDRED - sum((percent for _, percent in shares), Decimal(0))


# --- The public page -------------------------------------------------------------------


@require_GET
@forbidden_as_403
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    viewer = _viewer(request)
    collective = collective_get_public(slug=slug)
    mine = membership_of(user=viewer, collective=collective)
    is_active = mine is not None and mine.state == Membership.State.ACTIVE
    is_coordinator = mine is not None and mine.is_coordinator
    bylaws = bylaws_in_force(collective=collective)
    shares, remainder = _split(bylaws)
    context: dict[str, Any] = {
        "collective": collective,
        "home": _home_label(collective),
        "space": getattr(collective, "coworking_space", None),
        "members": membership_list_active(collective=collective, viewer=viewer),
        "mine": mine,
        "is_active": is_active,
        "is_coordinator": is_coordinator,
        "bylaws": bylaws,
        "shares": shares,
        "remainder": remainder,
        "apply_form": ApplyForm() if mine is None or mine.state == Membership.State.LEFT else None,
        "Role": Membership.Role,
    }
    if is_coordinator:
        context["applications"] = membership_list_applications(collective=collective, viewer=viewer)
        context["invitations"] = invitation_list_pending(collective=collective, viewer=viewer)
    return render(request, f"{_TEMPLATES}/detail.html", context)


# --- Creating and editing ------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def create(request: HttpRequest) -> HttpResponse:
    user = _current_user(request)
    form = CollectiveCreateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic(durable=True):
                collective = collective_create(
                    creator=user,
                    name=data["name"],
                    slug=data["slug"],
                    base_currency=data["base_currency"],
                    description=data["description"],
                    is_remote=data["is_remote"],
                    city=data["city"],
                    country=data["country"],
                    treasury_percent=data["treasury_percent"],
                    admission_rule=data["admission_rule"],
                    coworking=form.coworking(),
                )
        except DomainError as exc:
            _add_domain_error(form, exc)
        else:
            messages.success(
                request, f"{collective.name} is created, and you are its first coordinator."
            )
            return _back_to_detail(collective)
    return render(request, f"{_TEMPLATES}/create.html", {"form": form})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@forbidden_as_403
def edit(request: HttpRequest, slug: str) -> HttpResponse:
    user = _current_user(request)
    collective, _ = collective_get_for_coordinator(user=user, slug=slug)
    form = CollectiveEditForm(
        request.POST if request.method == "POST" else None,
        initial=CollectiveEditForm.initial_for(collective),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic(durable=True):
                collective_update(
                    collective=collective,
                    actor=user,
                    name=data["name"],
                    description=data["description"],
                    is_remote=data["is_remote"],
                    city=data["city"],
                    country=data["country"],
                    coworking=form.coworking(),
                    postal_address=data["postal_address"],
                )
        except DomainError as exc:
            _add_domain_error(form, exc)
        else:
            messages.success(request, "The collective's page has been saved.")
            return _back_to_detail(collective)
    return render(request, f"{_TEMPLATES}/edit.html", {"form": form, "collective": collective})


# --- Bylaws ------------------------------------------------------------------------------


@require_GET
def bylaws(request: HttpRequest, slug: str) -> HttpResponse:
    """Every version of the bylaws, for anyone. A change is a proposal the
    members vote on (governance's ``bylaws_change``): active members get a
    link to propose one; nothing is adopted from this page."""
    viewer = _viewer(request)
    collective = collective_get_public(slug=slug)
    mine = membership_of(user=viewer, collective=collective)
    current = bylaws_in_force(collective=collective)
    versions = [(version, *_split(version)) for version in bylaws_history(collective=collective)]
    return render(
        request,
        f"{_TEMPLATES}/bylaws.html",
        {
            "collective": collective,
            "current": current,
            "versions": versions,
            "is_active": mine is not None and mine.state == Membership.State.ACTIVE,
        },
    )
