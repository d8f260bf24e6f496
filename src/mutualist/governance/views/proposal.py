"""A proposal's page, voting on it, and withdrawing it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mutualist.collectives.selectors import collective_get_for_member
from mutualist.core.errors import DomainError
from mutualist.core.web import forbidden_as_403, is_htmx_partial
from mutualist.governance.forms import VoteForm
from mutualist.governance.models import CHOICE_LABELS, Proposal
from mutualist.governance.selectors import results_shown
from mutualist.governance.services import proposal_withdraw, vote_cast, vote_retract
from mutualist.governance.views._common import TEMPLATES, proposal_context, proposal_in
from mutualist.members.web import request_member


def _to_proposal(proposal: Proposal, anchor: str = "") -> HttpResponse:
    url = reverse(
        "governance:proposal",
        kwargs={"slug": proposal.collective.slug, "proposal_id": proposal.pk},
    )
    return redirect(f"{url}#{anchor}" if anchor else url)


@login_required
@require_GET
def proposal(request: HttpRequest, slug: str, proposal_id: int) -> HttpResponse:
    user = request_member(request)
    found = proposal_in(user=user, slug=slug, proposal_id=proposal_id)
    context = proposal_context(user=user, proposal=found)
    return render(request, f"{TEMPLATES}/proposal.html", context)


@login_required
@require_POST
def vote(request: HttpRequest, slug: str, proposal_id: int) -> HttpResponse:
    """Cast, change or take back one's vote.

    With htmx the vote panel comes back in place (the refusal inside it, so
    htmx swaps it in); a plain POST is redirected back to the page, or, when
    refused, answered with the page and the refusal (the service's status).
    """
    user = request_member(request)
    found = proposal_in(user=user, slug=slug, proposal_id=proposal_id)
    form = VoteForm(request.POST)
    form.is_valid()  # every field is optional; the service judges the vote
    data = form.cleaned_data
    retract = request.POST.get("action") == "retract"
    try:
        with transaction.atomic(durable=True):
            if retract:
                vote_retract(proposal=found, voter=user)
            else:
                cast = vote_cast(
                    proposal=found,
                    voter=user,
                    choice=data.get("choice", ""),
                    reason=data.get("reason", ""),
                )
    except DomainError as exc:
        found.refresh_from_db()
        if exc.field == "reason":
            # Said under the textarea, which takes the focus.
            form.add_error("reason", exc.message)
            error = ""
        else:
            error = exc.message
        context = proposal_context(user=user, proposal=found, vote_form=form, vote_error=error)
        if is_htmx_partial(request):
            return render(request, f"{TEMPLATES}/includes/voting.html", context)
        return render(request, f"{TEMPLATES}/proposal.html", context, status=exc.status)
    if retract:
        notice = "You took back your vote."
    else:
        notice = f"Your vote is recorded: {CHOICE_LABELS[cast.choice]}."
    if is_htmx_partial(request):
        context = proposal_context(user=user, proposal=found, notice=notice)
        return render(request, f"{TEMPLATES}/includes/voting.html", context)
    messages.success(request, notice)
    return _to_proposal(found, "voting")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@forbidden_as_403
def withdraw(request: HttpRequest, slug: str, proposal_id: int) -> HttpResponse:
    """Withdraw in two steps: a GET (or a POST without ``confirm``) asks
    "Withdraw '…'?"; the POST with ``confirm=1`` withdraws."""
    user = request_member(request)
    found = proposal_in(user=user, slug=slug, proposal_id=proposal_id)
    if request.method != "POST" or request.POST.get("confirm") != "1":
        _, membership = collective_get_for_member(user=user, slug=slug)
        if found.author_id != user.pk and not membership.is_coordinator:
            raise DjangoPermissionDenied("Only the author or a coordinator can withdraw it.")
        if not found.is_open:
            messages.error(request, "This proposal is no longer open.")
            return _to_proposal(found)
        if found.closes_at <= timezone.now():
            messages.error(request, "Voting on this proposal has closed; its outcome stands.")
            return _to_proposal(found)
        context = {
            "collective": found.collective,
            "proposal": found,
            "results_shown": results_shown(proposal=found, user=user),
        }
        return render(request, f"{TEMPLATES}/withdraw_confirm.html", context)
    try:
        with transaction.atomic(durable=True):
            proposal_withdraw(proposal=found, actor=user)
    except DomainError as exc:
        if exc.status == 403:
            raise
        messages.error(request, exc.message)
    else:
        messages.success(
            request, "The proposal is withdrawn; nothing of it will be applied and it stays closed."
        )
    return _to_proposal(found)
