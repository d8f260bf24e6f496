"""Collective pages: the directory, a collective's page, editing, membership,
invitations and bylaws.

Thin views: a permission-scoped selector (404 for outsiders), a form, one
service call, then a render or a redirect with a message. A service's
``DomainError`` becomes an error on the form field it names; the domain's
``PermissionDenied`` (a member lacking the coordinator role) becomes a 403.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Concatenate, ParamSpec

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as HttpPermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.middleware import HtmxDetails

from mutualist.collectives.forms import (
    ApplyForm,
    BylawsForm,
    CollectiveCreateForm,
    CollectiveEditForm,
    CollectiveFilterForm,
    DecisionForm,
    InvitationForm,
    InvitationResponseForm,
    RoleForm,
)
from mutualist.collectives.models import Bylaws, Collective, Membership, SplitShare
from mutualist.collectives.selectors import (
    Viewer,
    bylaws_history,
    bylaws_in_force,
    collective_get_for_coordinator,
    collective_get_for_member,
    collective_get_public,
    collective_list_directory,
    invitation_get_for_coordinator,
    invitation_list_pending,
    membership_get_for_coordinator,
    membership_list_active,
    membership_list_applications,
    membership_of,
)
from mutualist.collectives.services import (
    bylaws_adopt,
    collective_create,
    collective_update,
    invitation_accept,
    invitation_create,
    invitation_decline,
    invitation_resolve,
    membership_apply,
    membership_approve,
    membership_leave,
    membership_reject,
    membership_set_role,
)
from mutualist.collectives.services import invitation_revoke as invitation_revoke_service
from mutualist.core.errors import DomainError
from mutualist.core.errors import PermissionDenied as DomainPermissionDenied
from mutualist.core.reference import country_names
from mutualist.members.models import User
from mutualist.members.selectors import skill_list

_TEMPLATES = "collectives"
DIRECTORY_PAGE_SIZE = 24
HUNDRED = Decimal(100)

P = ParamSpec("P")
View = Callable[Concatenate[HttpRequest, P], HttpResponse]


def forbidden_as_403(view: View[P]) -> View[P]:
    """Turn the domain's ``PermissionDenied`` into Django's, which answers 403.

    Selectors and services raise it for a member who lacks the role; outsiders
    get a 404 from the selectors before this matters.
    """

    @functools.wraps(view)
    def wrapper(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except DomainPermissionDenied as exc:
            raise HttpPermissionDenied(exc.message) from exc

    return wrapper


def _add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Show a service's refusal on the field it names, else above the form."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


def _viewer(request: HttpRequest) -> Viewer:
    user = request.user
    return user if isinstance(user, User) else AnonymousUser()


def _current_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 -- login_required guarantees it; narrows the type
    return user


def _is_htmx_partial(request: HttpRequest) -> bool:
    """An htmx request for a fragment (not a history restore, which needs a page)."""
    htmx = getattr(request, "htmx", None)
    return isinstance(htmx, HtmxDetails) and bool(htmx) and not htmx.history_restore_request


def _home_label(collective: Collective) -> str:
    if collective.is_remote and not collective.city:
        return "Remote"
    country = country_names().get(collective.country, collective.country)
    place = ", ".join(part for part in (collective.city, country) if part)
    return f"{place} (and remote)" if collective.is_remote else place


def _split(bylaws: Bylaws) -> tuple[list[tuple[str, Decimal]], Decimal]:
    """The bylaws' shares as (label, percent), and what remains for the members."""
    labels = dict(SplitShare.Recipient.choices)
    shares = [
        (labels.get(share.recipient, share.recipient.replace("_", " ").capitalize()), share.percent)
        for share in bylaws.split_shares.all()
    ]
    return shares, HUNDRED - sum((percent for _, percent in shares), Decimal(0))


def _back_to_detail(collective: Collective) -> HttpResponse:
    return redirect("collectives:detail", slug=collective.slug)


# --- Public pages ------------------------------------------------------------------------


@require_GET
def directory(request: HttpRequest) -> HttpResponse:
    form = CollectiveFilterForm(request.GET or None, skills=list(skill_list()))
    rows: list[tuple[Collective, str]] = []
    if not form.is_bound or form.is_valid():
        data = form.cleaned_data if form.is_bound else {}
        collectives = collective_list_directory(
            country=data.get("country") or None,
            city=data.get("city") or None,
            skill=data.get("skill") or None,
            remote=form.remote_value() if form.is_bound else None,
            query=data.get("q") or None,
        )
        rows = [(collective, _home_label(collective)) for collective in collectives]
    page = Paginator(rows, DIRECTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    partial = _is_htmx_partial(request)
    template = "_directory_results.html" if partial else "directory.html"
    response = render(
        request, f"{_TEMPLATES}/{template}", {"form": form, "page_obj": page, "partial": partial}
    )
    patch_vary_headers(response, ("HX-Request",))
    return response


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
    form = CollectiveCreateForm(request.POST or None)
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
        request.POST or None, initial=CollectiveEditForm.initial_for(collective)
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
                )
        except DomainError as exc:
            _add_domain_error(form, exc)
        else:
            messages.success(request, "The collective's page has been saved.")
            return _back_to_detail(collective)
    return render(request, f"{_TEMPLATES}/edit.html", {"form": form, "collective": collective})


# --- Membership ------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@forbidden_as_403
def invite(request: HttpRequest, slug: str) -> HttpResponse:
    user = _current_user(request)
    collective, _ = collective_get_for_coordinator(user=user, slug=slug)
    form = InvitationForm(request.POST or None)
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


# --- Bylaws ------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@forbidden_as_403
def bylaws(request: HttpRequest, slug: str) -> HttpResponse:
    viewer = _viewer(request)
    if request.method == "POST":
        if not isinstance(viewer, User):
            return redirect_to_login(request.get_full_path())
        collective, _ = collective_get_for_coordinator(user=viewer, slug=slug)
    else:
        collective = collective_get_public(slug=slug)
    mine = membership_of(user=viewer, collective=collective)
    is_coordinator = mine is not None and mine.is_coordinator
    current = bylaws_in_force(collective=collective)
    form: BylawsForm | None = None
    if is_coordinator:
        form = BylawsForm(request.POST or None, initial=BylawsForm.initial_for(current))
    if request.method == "POST" and form is not None and form.is_valid():
        assert isinstance(viewer, User)  # noqa: S101 -- checked above; narrows the type
        data = form.cleaned_data
        try:
            with transaction.atomic(durable=True):
                adopted = bylaws_adopt(
                    collective=collective,
                    actor=viewer,
                    effective_from=data["effective_from"],
                    treasury_percent=data["treasury_percent"],
                    admission_rule=data["admission_rule"],
                    notes=data["notes"],
                )
        except DomainError as exc:
            _add_domain_error(form, exc)
        else:
            messages.success(
                request,
                f"Version {adopted.version} of the bylaws is adopted; "
                f"it takes effect on {adopted.effective_from:%d %B %Y}.",
            )
            return redirect("collectives:bylaws", slug=collective.slug)
    versions = [(version, *_split(version)) for version in bylaws_history(collective=collective)]
    return render(
        request,
        f"{_TEMPLATES}/bylaws.html",
        {"collective": collective, "current": current, "versions": versions, "form": form},
    )


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
