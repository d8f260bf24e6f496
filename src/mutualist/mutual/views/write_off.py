"""Asking the members to write off an invoice the guarantee fund paid for:
from the claim's page, a button that opens a ``write_off`` vote."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from mutualist.core.errors import DomainError
from mutualist.core.money import Money
from mutualist.core.web import forbidden_as_403
from mutualist.governance.forms import zone_of
from mutualist.governance.models import Proposal
from mutualist.governance.services import proposal_create
from mutualist.members.web import request_member
from mutualist.mutual.forms import VOTE_DAYS
from mutualist.mutual.models import Claim
from mutualist.mutual.selectors import claim_get_for_user
from mutualist.mutual.views._common import TEMPLATES, claim_context, day


def _title(claim: Claim) -> str:
    invoice = claim.invoice
    if invoice is None:
        return f"Write off the invoice of claim #{claim.pk}"
    return f"Write off {invoice.client.name}'s invoice {invoice.number}"


def _body(claim: Claim) -> str:
    invoice = claim.invoice
    if invoice is None or invoice.due_date is None:
        return ""
    paid = Money.from_minor(claim.paid_minor, claim.currency).format("en")
    owed = Money.from_minor(invoice.outstanding_minor, invoice.currency).format("en")
    return (
        f"The payment guarantee fund paid the members {paid} for their shares of invoice "
        f"{invoice.number} (claim #{claim.pk}). The invoice was due on {day(invoice.due_date)} "
        f"and {owed} of it is still unpaid.\n\n"
        "Writing it off issues a credit note for what is left: the collective stops asking "
        "the client for it, the fund bears the loss, and the members keep what it paid them."
    )


@login_required
@require_POST
@forbidden_as_403
def claim_write_off(request: HttpRequest, slug: str, claim_id: int) -> HttpResponse:
    """Open the vote; the governance handler (``write_off_validate``) says
    whether the invoice may be written off yet, and its refusal is shown on
    the claim's page. The vote closes a week from now."""
    user = request_member(request)
    found = claim_get_for_user(user=user, slug=slug, claim_id=claim_id)
    try:
        with transaction.atomic(durable=True):
            proposal = proposal_create(
                collective=found.collective,
                author=user,
                kind=Proposal.Kind.WRITE_OFF,
                title=_title(found),
                body=_body(found),
                payload={"claim_id": found.pk},
                closes_at=timezone.now() + dt.timedelta(days=VOTE_DAYS),
            )
    except DomainError as exc:
        if exc.status == 403:
            raise
        context = claim_context(user=user, claim=found, write_off_error=exc.message)
        return render(request, f"{TEMPLATES}/claim.html", context, status=exc.status)
    closes = timezone.localtime(proposal.closes_at, zone_of(user)).date()
    messages.success(
        request,
        f"The members are asked to write the invoice off; the vote is open until {day(closes)}.",
    )
    return redirect("governance:proposal", slug=found.collective.slug, proposal_id=proposal.pk)
