"""What only a collective's coordinators do to its books: enter an exchange
rate, and convert money between two of its accounts in different currencies.
Members may read the rates; the forms are the coordinators'."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from mutualist.collectives.selectors import (
    collective_get_for_coordinator,
    collective_get_for_member,
)
from mutualist.core.errors import DomainError
from mutualist.core.web import add_domain_error, forbidden_as_403
from mutualist.ledger.forms import ConversionForm, ExchangeRateForm
from mutualist.ledger.models import ExchangeRate
from mutualist.ledger.selectors import (
    account_list_convertible,
    exchange_rate_list,
    exchange_rate_list_reference_latest,
)
from mutualist.ledger.services import currency_convert, exchange_rate_set
from mutualist.ledger.views._common import _TEMPLATES
from mutualist.members.web import request_member

RATES_PAGE_SIZE = 25


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@forbidden_as_403
def rates(request: HttpRequest, slug: str) -> HttpResponse:
    user = request_member(request)
    if request.method == "POST":
        collective, membership = collective_get_for_coordinator(user=user, slug=slug)
    else:
        collective, membership = collective_get_for_member(user=user, slug=slug)
    form: ExchangeRateForm | None = None
    if membership.is_coordinator:
        form = ExchangeRateForm(
            request.POST if request.method == "POST" else None,
            initial={"base": collective.base_currency, "on": timezone.localdate()},
        )
    if request.method == "POST" and form is not None and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic(durable=True):
                rate = exchange_rate_set(
                    collective=collective,
                    actor=user,
                    base=data["base"],
                    quote=data["quote"],
                    rate=data["rate"].strip(),
                    on=data["on"],
                )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                f"Saved: on {rate.on:%d %B %Y}, 1 {rate.base} = "
                f"{rate.rate.normalize():f} {rate.quote}.",
            )
            return redirect("ledger:rates", slug=collective.slug)
    own = exchange_rate_list(collective=collective, source=ExchangeRate.Source.MANUAL)
    page = Paginator(own, RATES_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        f"{_TEMPLATES}/rates.html",
        {
            "collective": collective,
            "form": form,
            "page_obj": page,
            "reference": list(exchange_rate_list_reference_latest()),
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@forbidden_as_403
def convert(request: HttpRequest, slug: str) -> HttpResponse:
    user = request_member(request)
    collective, _ = collective_get_for_coordinator(user=user, slug=slug)
    accounts = account_list_convertible(collective=collective)
    form = ConversionForm(
        request.POST if request.method == "POST" else None,
        accounts=accounts,
        initial=ConversionForm.initial_for(),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic(durable=True):
                posted = currency_convert(
                    source=data["source"],
                    target=data["target"],
                    amount=data["money"],
                    occurred_at=data["occurred_at"],
                    # Scoped to the person: a key is only ever theirs to repeat.
                    idempotency_key=f"web:conversion:{user.pk}:{data['idempotency_key']}",
                    memo=data["memo"].strip(),
                    rate=data["rate"],
                    rate_source=data["rate_source"],
                    posted_by=user,
                )
        except DomainError as exc:
            if exc.code == "idempotency_key_reused":
                # This rendering of the form already posted a different
                # conversion; a fresh key lets a deliberate second one through.
                form.renew_key()
                form.add_error(
                    None,
                    "This form was already used for a different conversion. Check the "
                    "journal; if you do mean to convert again, press Convert once more.",
                )
            else:
                add_domain_error(form, exc)
        else:
            messages.success(request, f"Posted: {posted.memo}.")
            return redirect("ledger:transaction", slug=collective.slug, transaction_id=posted.pk)
    currencies = {account.currency for account in accounts}
    return render(
        request,
        f"{_TEMPLATES}/convert.html",
        {"collective": collective, "form": form, "enough_currencies": len(currencies) >= 2},
    )
