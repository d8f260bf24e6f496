"""Proxies: who votes for a member when they do not, and for whom they vote."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from mutualist.core.errors import DomainError
from mutualist.core.web import add_domain_error, forbidden_as_403
from mutualist.governance.forms import ProxyForm, zone_of
from mutualist.governance.models import Delegation, Proposal, Vote
from mutualist.governance.selectors import delegation_get_for_user, delegation_list_for_user
from mutualist.governance.services import delegation_create, delegation_revoke
from mutualist.governance.views._common import (
    TEMPLATES,
    day_of,
    fellow_members,
    proposal_context,
    proposal_in,
)
from mutualist.members.models import User
from mutualist.members.web import request_member


@dataclass(frozen=True)
class EarlierProxy:
    delegation: Delegation
    ended: str
    why: str


def _standing(delegation: Delegation, now: dt.datetime, today: dt.date) -> bool:
    """Whether a proxy still stands: not revoked, and its proposal still open
    for votes (a proxy for one proposal has done its work once voting on it
    closed), or its period not over."""
    if delegation.revoked_at is not None:
        return False
    if delegation.proposal_id is not None:
        proposal = delegation.proposal
        return proposal is not None and proposal.is_open and proposal.closes_at > now
    return delegation.ends_on is None or delegation.ends_on >= today


def _earlier(
    delegation: Delegation, *, zone: ZoneInfo, used: set[tuple[int, int]], now: dt.datetime
) -> EarlierProxy:
    """Why a proxy of the member's no longer stands, and since when."""
    proposal = delegation.proposal
    if delegation.revoked_at is not None:
        ended = timezone.localtime(delegation.revoked_at, zone).date()
        return EarlierProxy(delegation, day_of(ended), delegation.revoked_because)
    if proposal is not None:
        if proposal.state == Proposal.State.CLOSED:
            ended_on = day_of(timezone.localtime(proposal.closed_at or now, zone).date())
            if (proposal.pk, delegation.delegator_id) in used:
                why = f"Used in the count of “{proposal.title}”."
            else:
                why = (
                    f"Ended with the count of “{proposal.title}”; not used (you voted "
                    f"yourself, or {delegation.delegate.display_name} did not vote)."
                )
            return EarlierProxy(delegation, ended_on, why)
        if proposal.state == Proposal.State.WITHDRAWN:
            closed = proposal.closed_at or now
            return EarlierProxy(
                delegation,
                day_of(timezone.localtime(closed, zone).date()),
                "Ended: the proposal was withdrawn before the count.",
            )
        return EarlierProxy(
            delegation,
            day_of(timezone.localtime(proposal.closes_at, zone).date()),
            "Ended: voting on the proposal has closed; the count is made within minutes.",
        )
    ends_on = delegation.ends_on or timezone.localdate()
    return EarlierProxy(delegation, day_of(ends_on), "Its period is over.")


def _proxies_page(
    request: HttpRequest, user: User, slug: str, form: ProxyForm | None, status: int = 200
) -> HttpResponse:
    collective, delegations = delegation_list_for_user(user=user, slug=slug)
    rows = list(delegations)
    now = timezone.now()
    today = timezone.localdate()
    zone = zone_of(user)
    given = [d for d in rows if d.delegator_id == user.pk]
    standing = [d for d in given if _standing(d, now, today)]
    ended = [d for d in given if not _standing(d, now, today)]
    # Which of the member's ended proxies for a closed proposal were counted:
    # the ballot on record says through whom.
    used = set(
        Vote.objects.filter(
            proposal_id__in=[d.proposal_id for d in ended if d.proposal_id is not None],
            member=user,
            proxy_id__isnull=False,
        ).values_list("proposal_id", "member_id")
    )
    context: dict[str, Any] = {
        "collective": collective,
        "period": next((d for d in standing if d.proposal_id is None), None),
        "for_proposals": [d for d in standing if d.proposal_id is not None],
        "to_me": [d for d in rows if d.delegate_id == user.pk and _standing(d, now, today)],
        "history": [_earlier(d, zone=zone, used=used, now=now) for d in ended],
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
            if exc.field != "delegate":
                # Voting closed meanwhile (or the like): the page no longer
                # offers the form, so the refusal travels as a message.
                messages.error(request, exc.message)
                return redirect("governance:proposal", slug=slug, proposal_id=proposal.pk)
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
            until = f" until {day_of(made.ends_on)}" if made.ends_on else ""
            starts = day_of(made.starts_on) if made.starts_on else "today"
            messages.success(
                request,
                f"From {starts}{until}, {made.delegate.display_name} votes for "
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
