"""The entries a coordinator makes by hand (``ledger.services.books``): open
an asset account (with what it already holds), record an account's opening
balance, and reverse a mistaken opening or conversion.

Each form carries an idempotency key minted when it is shown (as the
conversion form does), scoped here to the person, so pressing the button
twice posts once and lands on the same page.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from mutualist.collectives.selectors import collective_get_for_coordinator
from mutualist.core.errors import DomainError
from mutualist.core.web import add_domain_error, forbidden_as_403
from mutualist.ledger.forms import AccountOpenForm, KeyedForm, OpeningBalanceForm, ReversalForm
from mutualist.ledger.selectors import (
    account_list_convertible,
    balances,
    transaction_get,
    transaction_reversal,
)
from mutualist.ledger.services import (
    asset_account_open_with_balance,
    opening_balance_record,
    transaction_reverse_by_hand,
)
from mutualist.ledger.views._common import _TEMPLATES, moved, reversible_by_hand
from mutualist.members.web import request_member


def _refuse_reused_form(form: KeyedForm, what: str, again: str) -> None:
    """This rendering of the form already posted something else; a fresh key
    lets a deliberate second one through."""
    form.renew_key()
    form.add_error(
        None,
        f"This form was already used for a different {what}. {again}",
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@forbidden_as_403
def account_open(request: HttpRequest, slug: str) -> HttpResponse:
    user = request_member(request)
    collective, _ = collective_get_for_coordinator(user=user, slug=slug)
    form = AccountOpenForm(
        request.POST if request.method == "POST" else None,
        collective=collective,
        initial=AccountOpenForm.initial_for(collective),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            # All or nothing: a balance the books refuse (an overdraft on an
            # account that must not go below zero) leaves no account behind.
            with transaction.atomic(durable=True):
                account, _ = asset_account_open_with_balance(
                    collective=collective,
                    actor=user,
                    label=data["label"],
                    currency=data["currency"],
                    description=data["description"],
                    must_not_go_negative=data["must_not_go_negative"],
                    opening_balance=data["money"],
                    occurred_at=data["occurred_at"],
                    # Scoped to the person: a key is only ever theirs to repeat.
                    idempotency_key=f"web:opening:{user.pk}:{data['idempotency_key']}",
                )
        except DomainError as exc:
            if exc.code == "idempotency_key_reused":
                _refuse_reused_form(
                    form,
                    "account",
                    "Check the books; if you do mean to open this one too, press Open once more.",
                )
            else:
                add_domain_error(form, exc)
        else:
            text = f"Opened {account.name}"
            if data["money"] is not None:
                day = data["occurred_at"]
                text += f" with {data['money'].format()} on {day.day} {day:%B %Y}"
            messages.success(request, f"{text}.")
            return redirect("ledger:account", slug=collective.slug, account_id=account.pk)
    return render(
        request, f"{_TEMPLATES}/account_open.html", {"collective": collective, "form": form}
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@forbidden_as_403
def opening_balance(request: HttpRequest, slug: str, account_id: int) -> HttpResponse:
    user = request_member(request)
    collective, _ = collective_get_for_coordinator(user=user, slug=slug)
    # Only the collective's own asset accounts hold an opening balance; any
    # other account has no such page.
    account = account_list_convertible(collective=collective).filter(pk=account_id).first()
    if account is None:
        raise Http404("No such account.")
    form = OpeningBalanceForm(
        request.POST if request.method == "POST" else None,
        account=account,
        initial=OpeningBalanceForm.initial_for(),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic(durable=True):
                posted = opening_balance_record(
                    account=account,
                    actor=user,
                    amount=data["money"],
                    occurred_at=data["occurred_at"],
                    idempotency_key=f"web:opening:{user.pk}:{data['idempotency_key']}",
                    memo=data["memo"],
                )
        except DomainError as exc:
            if exc.code == "idempotency_key_reused":
                _refuse_reused_form(
                    form,
                    "opening balance",
                    "Check the statement; if you do mean to record another, press Record "
                    "once more.",
                )
            else:
                add_domain_error(form, exc)
        else:
            messages.success(request, f"Posted: {posted.memo}, {data['money'].format()}.")
            return redirect("ledger:account", slug=collective.slug, account_id=account.pk)
    return render(
        request,
        f"{_TEMPLATES}/opening_balance.html",
        {
            "collective": collective,
            "account": account,
            "balance": balances(accounts=[account])[0].balance,
            "form": form,
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@forbidden_as_403
def transaction_reverse(request: HttpRequest, slug: str, transaction_id: int) -> HttpResponse:
    user = request_member(request)
    collective, _ = collective_get_for_coordinator(user=user, slug=slug)
    original = transaction_get(collective=collective, pk=transaction_id)
    form = ReversalForm(
        request.POST if request.method == "POST" else None,
        original=original,
        initial=ReversalForm.initial_for(),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic(durable=True):
                reversal = transaction_reverse_by_hand(
                    original=original,
                    actor=user,
                    idempotency_key=f"web:reversal:{user.pk}:{data['idempotency_key']}",
                    memo=data["memo"],
                )
        except DomainError as exc:
            if exc.code == "idempotency_key_reused":
                _refuse_reused_form(
                    form,
                    "reversal",
                    "Check the journal before you press Reverse once more.",
                )
            else:
                add_domain_error(form, exc)
        else:
            messages.success(request, f"Posted #{reversal.pk}, reversing #{original.pk}.")
            return redirect("ledger:transaction", slug=collective.slug, transaction_id=reversal.pk)
    reversed_by = transaction_reversal(transaction=original)
    return render(
        request,
        f"{_TEMPLATES}/transaction_reverse.html",
        {
            "collective": collective,
            "transaction": original,
            "postings": sorted(original.postings.all(), key=lambda posting: posting.pk),
            "totals": moved(original),
            "reversed_by": reversed_by,
            "reversible": reversible_by_hand(original, reversed_by),
            "form": form,
        },
    )
