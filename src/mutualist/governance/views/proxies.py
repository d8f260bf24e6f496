"""Proxies: who votes for a member when they do not, and for whom they vote."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from mutualist.core.errors import DomainError
from mutualist.core.web import add_domain_error, forbidden_as_403
from mutualist.governance.forms import ProxyForm
from mutualist.governance.models import Delegation, Proposal
from mutualist.governance.selectors import delegation_get_for_user, delegation_list_for_user
from mutualist.governance.services import delegation_create, delegation_revoke
from mutualist.governance.views._common import (
    TEMPLATES,
    fellow_members,
    proposal_context,
    proposal_in,
)
from mutualist.members.models import User
from mutualist.members.web import request_member


def _proxies_page(
    request: HttpRequest, user: User, slug: str, form: ProxyForm | None, status: int = 200
) -> HttpResponse:
    collective, delegations = delegation_list_for_user(user=user, slug=slug)
    rows = list(delegations)
    given = [d for d in rows if d.delegator_id == user.pk]
    context: dict[str, Any] = {
        "collective": collective,
        "period": next((d for d in given if d.is_active and d.proposal_id is None), None),
        "for_proposals": [d for d in given if d.is_active and d.proposal_id is not None],
        "to_me": [d for d in rows if d.delegate_id == user.pk and d.is_active],
        "history": [d for d in given if not d.is_active],
        "form": form
        or ProxyForm(
            me=user, members=fellow_members(collective), initial={"starts_on": timezone.localdate()}
        ),
    }
    return render(request, f"{TEMPLATES}/proxies.html", context, status=status)


def _proxy_for_proposal(request: HttpRequest, user: User, slug: str) -> HttpResponse:
    """The small form on a proposal's page: a proxy for that proposal only."""
    try:
        proposal_id = int(request.POST.get("proposal", ""))
    except ValueError:
        raise Http404("No such proposal.") from None
    proposal: Proposal = proposal_in(user=user, slug=slug, proposal_id=proposal_id)
    form = ProxyForm(
        request.POST, me=user, members=fellow_members(proposal.collective), auto_id="proxy_%s"
    )
    status = 422
    if form.is_valid():
        try:
            with transaction.atomic(durable=True):
                made = delegation_create(
                    collective=proposal.collective,
                    delegator=user,
                    delegate=form.cleaned_data["delegate"],
                    proposal=proposal,
                )
        except DomainError as exc:
            add_domain_error(form, exc)
            status = exc.status
        else:
            messages.success(
                request,
                f"{made.delegate.display_name} votes for you on this proposal "
                "unless you vote yourself.",
            )
            return redirect("governance:proposal", slug=slug, proposal_id=proposal.pk)
    context = proposal_context(user=user, proposal=proposal, proxy_form=form)
    return render(request, f"{TEMPLATES}/proposal.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def proxies(request: HttpRequest, slug: str) -> HttpResponse:
    user = request_member(request)
    if request.method != "POST":
        return _proxies_page(request, user, slug, None)
    if request.POST.get("proposal"):
        return _proxy_for_proposal(request, user, slug)
    collective, _ = delegation_list_for_user(user=user, slug=slug)
    form = ProxyForm(request.POST, me=user, members=fellow_members(collective))
    status = 422
    if form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic(durable=True):
                made = delegation_create(
                    collective=collective,
                    delegator=user,
                    delegate=data["delegate"],
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                )
        except DomainError as exc:
            add_domain_error(form, exc)
            status = exc.status
        else:
            until = f" until {made.ends_on:%d %B %Y}" if made.ends_on else ""
            messages.success(
                request,
                f"From {made.starts_on:%d %B %Y}{until}, {made.delegate.display_name} votes for "
                "you whenever you do not vote yourself.",
            )
            return redirect("governance:proxies", slug=collective.slug)
    return _proxies_page(request, user, slug, form, status=status)


@login_required
@require_POST
@forbidden_as_403
def proxy_revoke(request: HttpRequest, slug: str, delegation_id: int) -> HttpResponse:
    user = request_member(request)
    delegation: Delegation = delegation_get_for_user(user=user, delegation_id=delegation_id)
    if delegation.collective.slug != slug:
        raise Http404("No such proxy.")
    try:
        with transaction.atomic(durable=True):
            delegation_revoke(delegation=delegation, actor=user)
    except DomainError as exc:
        if exc.status == 403:
            raise
        messages.error(request, exc.message)
    else:
        scope = " on this proposal" if delegation.proposal_id else ""
        messages.success(
            request, f"{delegation.delegate.display_name} no longer votes for you{scope}."
        )
    if request.POST.get("back") == "proposal" and delegation.proposal_id:
        return redirect("governance:proposal", slug=slug, proposal_id=delegation.proposal_id)
    return redirect("governance:proxies", slug=slug)
