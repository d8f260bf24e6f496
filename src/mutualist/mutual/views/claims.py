"""A claim's page, and what members do with a claim: make one (a form per
kind of fund), approve or reject one (peers), withdraw one's own, end a
sick period."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from mutualist.billing.models import Invoice
from mutualist.core.errors import DomainError
from mutualist.core.money import Money
from mutualist.core.web import forbidden_as_403, is_htmx_partial
from mutualist.members.models import User
from mutualist.members.web import request_member
from mutualist.mutual.forms import (
    DecideForm,
    GuaranteeClaimForm,
    IncomeGapClaimForm,
    SavingsWithdrawForm,
    SickClaimForm,
    SickEndForm,
    form_error,
)
from mutualist.mutual.models import Claim, Fund, Participation
from mutualist.mutual.selectors import (
    claim_get_for_user,
    fund_get_for_user,
    guarantee_invoices_claimable,
    member_statement,
)
from mutualist.mutual.services import claims as claim_services
from mutualist.mutual.services import guarantee, income_gap, savings, sick_pay
from mutualist.mutual.views._common import TEMPLATES, claim_context, day


def claim_url(claim: Claim, anchor: str = "") -> str:
    url = reverse("mutual:claim", kwargs={"slug": claim.collective.slug, "claim_id": claim.pk})
    return f"{url}#{anchor}" if anchor else url


def _to_claim(claim: Claim, anchor: str = "") -> HttpResponse:
    return redirect(claim_url(claim, anchor))


@login_required
@require_GET
def claim(request: HttpRequest, slug: str, claim_id: int) -> HttpResponse:
    user = request_member(request)
    found = claim_get_for_user(user=user, slug=slug, claim_id=claim_id)
    return render(request, f"{TEMPLATES}/claim.html", claim_context(user=user, claim=found))


@login_required
@require_POST
def claim_decide(request: HttpRequest, slug: str, claim_id: int) -> HttpResponse:
    """A peer approves or rejects. A refusal comes back in place with htmx
    (the decision panel, the message at the note), or as the page with the
    refusal; a decision reloads the claim's page, with htmx or without."""
    user = request_member(request)
    found = claim_get_for_user(user=user, slug=slug, claim_id=claim_id)
    form = DecideForm(request.POST)
    status = 422
    error = ""
    if form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic(durable=True):
                if data["decision"] == "approve":
                    decided = claim_services.claim_approve(
                        claim=found, approver=user, note=data["note"]
                    )
                else:
                    decided = claim_services.claim_reject(
                        claim=found, approver=user, note=data["note"]
                    )
        except DomainError as exc:
            if exc.field == "note":
                form.add_error("note", exc.message)
            else:
                error = exc.message
            status = exc.status
        else:
            messages.success(request, _decided_notice(data["decision"], decided))
            if is_htmx_partial(request):
                # A decision changes the whole page (its state, what is
                # paid), so htmx loads it again rather than swap the panel:
                # at its top, where the message and the new state are. Not
                # to "#decision": from the claim's own page that is only a
                # jump to the anchor, and the browser would not load it again.
                return HttpResponseClientRedirect(claim_url(decided))
            return _to_claim(decided, "decision")
    else:
        error = "Choose to approve or to reject."
    found.refresh_from_db()
    context = claim_context(user=user, claim=found, decide_form=form, error=error)
    if is_htmx_partial(request):
        return render(request, f"{TEMPLATES}/_claim_decision.html", context)
    return render(request, f"{TEMPLATES}/claim.html", context, status=status)


def _decided_notice(decision: str, claim: Claim) -> str:
    if decision == "reject":
        if claim.state == Claim.State.REJECTED:
            return "You rejected the claim; it is rejected. The member is told why."
        return "You rejected the claim. It is rejected once enough members do."
    if claim.state == Claim.State.PAID:
        return "You approved the claim; it is approved and paid."
    if claim.state == Claim.State.ONGOING:
        return "You approved the claim; the sick pay is paid month by month."
    if claim.state == Claim.State.APPROVED:
        return "You approved the claim; it is approved and paid as soon as the fund has the money."
    return "You approved the claim. It is approved once enough members do."


@login_required
@require_POST
@forbidden_as_403
def claim_withdraw(request: HttpRequest, slug: str, claim_id: int) -> HttpResponse:
    user = request_member(request)
    found = claim_get_for_user(user=user, slug=slug, claim_id=claim_id)
    try:
        with transaction.atomic(durable=True):
            claim_services.claim_withdraw(claim=found, actor=user)
    except DomainError as exc:
        if exc.status == 403:
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, "Your claim is withdrawn; nothing of it will be paid.")
    return _to_claim(found)


@login_required
@require_POST
@forbidden_as_403
def claim_end(request: HttpRequest, slug: str, claim_id: int) -> HttpResponse:
    """The member is better: the sick period's last day."""
    user = request_member(request)
    found = claim_get_for_user(user=user, slug=slug, claim_id=claim_id)
    form = SickEndForm(request.POST)
    status = 422
    if form.is_valid():
        try:
            with transaction.atomic(durable=True):
                ended = sick_pay.sick_claim_end(
                    claim=found, actor=user, ends_on=form.cleaned_data["ends_on"]
                )
        except DomainError as exc:
            if exc.status == 403:
                raise
            form_error(form, exc.field, exc.message)
            status = exc.status
        else:
            last = ended.ends_on or form.cleaned_data["ends_on"]
            messages.success(
                request,
                f"The sick period ends on {day(last)}. Sick pay is owed up to that day.",
            )
            return _to_claim(ended)
    context = claim_context(user=user, claim=found, end_form=form)
    return render(request, f"{TEMPLATES}/claim.html", context, status=status)


# --- Making a claim --------------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceRow:
    invoice: Invoice
    eligibility: Any
    unpaid: Money


def _guarantee_rows(fund: Fund, user: User, today: dt.date) -> list[InvoiceRow]:
    """The collective's overdue invoices the member has a share in, each
    with whether the guarantee covers it now."""
    return [
        InvoiceRow(
            invoice,
            guarantee.guarantee_eligibility(fund=fund, invoice=invoice, on=today),
            Money.from_minor(invoice.outstanding_minor, invoice.currency),
        )
        for invoice in guarantee_invoices_claimable(fund=fund, member=user, today=today)
    ]


@dataclass
class ClaimPage:
    """One kind's claim form: what it shows and how it is submitted."""

    form: forms.Form
    submit: Callable[[], Claim]
    context: dict[str, Any]
    can_submit: bool = True


def _sick_page(request: HttpRequest, fund: Fund, user: User) -> ClaimPage:
    today = timezone.localdate()
    form = SickClaimForm(
        request.POST if request.method == "POST" else None, initial={"starts_on": today}
    )
    statement = member_statement(fund=fund, member=user)
    taking_part = (
        statement.participation is not None
        and statement.participation.state == Participation.State.ACTIVE
    )

    def submit() -> Claim:
        data = form.cleaned_data
        return sick_pay.sick_claim_submit(
            fund=fund,
            claimant=user,
            starts_on=data["starts_on"],
            percent=data["percent"],
            reason=data["reason"],
            disclosure=data["disclosure"],
        )

    return ClaimPage(form, submit, {"taking_part": taking_part}, can_submit=taking_part)


def _guarantee_page(request: HttpRequest, fund: Fund, user: User) -> ClaimPage:
    today = timezone.localdate()
    rows = _guarantee_rows(fund, user, today)
    form = GuaranteeClaimForm(
        request.POST if request.method == "POST" else None,
        invoices=[(row.invoice.pk, row.invoice.number) for row in rows],
    )
    by_pk = {row.invoice.pk: row.invoice for row in rows}

    def submit() -> Claim:
        data = form.cleaned_data
        return guarantee.guarantee_claim_submit(
            fund=fund,
            claimant=user,
            invoice=by_pk[data["invoice"]],
            reason=data["reason"],
            disclosure=data["disclosure"],
        )

    return ClaimPage(form, submit, {"invoice_rows": rows}, can_submit=bool(rows))


def _income_gap_page(request: HttpRequest, fund: Fund, user: User) -> ClaimPage:
    today = timezone.localdate()
    period = income_gap.claim_period(today)
    eligibility = income_gap.income_gap_eligibility(fund=fund, member=user, period=period, on=today)
    form = IncomeGapClaimForm(request.POST if request.method == "POST" else None)

    def submit() -> Claim:
        data = form.cleaned_data
        return income_gap.income_gap_claim_submit(
            fund=fund,
            claimant=user,
            period=period,
            reason=data["reason"],
            disclosure=data["disclosure"],
        )

    return ClaimPage(
        form,
        submit,
        {"period": period, "eligibility": eligibility},
        can_submit=eligibility.eligible,
    )


def _savings_page(request: HttpRequest, fund: Fund, user: User) -> ClaimPage:
    statement = member_statement(fund=fund, member=user)
    held = [money for money in statement.own_balance if money.amount > 0]
    form = SavingsWithdrawForm(
        request.POST if request.method == "POST" else None,
        currencies=[money.currency for money in held] or [fund.currency],
    )

    def submit() -> Claim:
        return savings.savings_withdraw(
            fund=fund, member=user, amount=form.money(), reason=form.cleaned_data["reason"]
        )

    return ClaimPage(form, submit, {"held": held}, can_submit=bool(held))


PAGES: dict[str, Callable[[HttpRequest, Fund, User], ClaimPage]] = {
    Fund.Kind.SICK_PAY: _sick_page,
    Fund.Kind.GUARANTEE: _guarantee_page,
    Fund.Kind.INCOME_GAP: _income_gap_page,
    Fund.Kind.SAVINGS: _savings_page,
}


def _made_notice(claim: Claim) -> str:
    if claim.state == Claim.State.PAID:
        paid = Money.from_minor(claim.paid_minor, claim.currency).format("en")
        return f"Paid: {paid} is added to what the collective owes you."
    if claim.state == Claim.State.APPROVED:
        return "Your claim is approved; it is paid as soon as the fund has the money."
    if claim.approval == Claim.Approval.VOTE:
        return "Your claim is made. The members vote on it; you are told the outcome by email."
    needed = claim.approvals_needed
    return (
        f"Your claim is made. It needs {needed} other member{'s' if needed != 1 else ''} to "
        "approve it; they have been told, and you are told the outcome by email."
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@forbidden_as_403
def claim_new(request: HttpRequest, slug: str, kind: str) -> HttpResponse:
    user = request_member(request)
    found = fund_get_for_user(user=user, slug=slug, kind=kind)
    page = PAGES[found.kind](request, found, user)
    status = 200
    if request.method == "POST":
        status = 422
        if page.form.is_valid():
            try:
                with transaction.atomic(durable=True):
                    made = page.submit()
            except DomainError as exc:
                form_error(page.form, exc.field, exc.message)
                status = exc.status
            else:
                messages.success(request, _made_notice(made))
                return _to_claim(made)
    return render(
        request,
        f"{TEMPLATES}/claim_new.html",
        {
            "collective": found.collective,
            "fund": found,
            "form": page.form,
            "can_submit": page.can_submit and found.state == Fund.State.ACTIVE,
            **page.context,
        },
        status=status,
    )
