"""A coordinator converts a pooled fund's money into another currency.

Levies arrive in the currencies the clients paid in; an income-gap top-up is
paid in the fund's own currency and a guarantee claim in its invoice's, so a
coordinator moves money between them, at the rate on record or one given.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from mutualist.core.errors import DomainError, ValidationFailed
from mutualist.core.money import Money
from mutualist.core.web import forbidden_as_403
from mutualist.ledger.models import Transaction
from mutualist.ledger.services import exchange_rate_find
from mutualist.members.web import request_member
from mutualist.mutual.forms import form_error
from mutualist.mutual.forms_money import ConvertForm
from mutualist.mutual.models import Fund
from mutualist.mutual.selectors import fund_get_for_user, fund_overview
from mutualist.mutual.services.conversion import POOLED, fund_convert
from mutualist.mutual.views._common import TEMPLATES, membership_in, with_zero

WHY = {
    Fund.Kind.INCOME_GAP: "Levies arrive in the clients' currencies; top-ups are paid in the "
    "fund's ({currency}).",
    Fund.Kind.GUARANTEE: "Levies arrive in the clients' currencies; a claim is paid in its "
    "invoice's.",
}


@dataclass(frozen=True)
class Holding:
    """One currency the fund holds: how much, how much approved claims have
    reserved, what is free to convert, and its rate into the fund's currency."""

    held: Money
    reserved: Money
    free: Money
    # "1 AUD = 38.5 PHP (…)", or why there is none; empty for the fund's own currency.
    rate: str
    rate_missing: bool = False


def _rate_words(currency: str, fund: Fund) -> tuple[str, bool]:
    if currency == fund.currency:
        return "", False
    try:
        quote = exchange_rate_find(
            base=currency, quote=fund.currency, on=timezone.localdate(), collective=fund.collective
        )
    except ValidationFailed:
        return f"No {currency}/{fund.currency} rate on record", True
    return f"1 {currency} = {quote.rate.normalize():f} {fund.currency} ({quote.source})", False


def _holdings(fund: Fund) -> list[Holding]:
    overview = fund_overview(fund=fund, today=timezone.localdate())
    reserved = {money.currency: money for money in overview.reserved}
    free = {money.currency: money for money in overview.available}
    return [
        Holding(
            held,
            reserved.get(held.currency, Money.from_minor(0, held.currency)),
            free.get(held.currency, held),
            *_rate_words(held.currency, fund),
        )
        for held in with_zero(overview.balances, fund.currency)
    ]


def _done(amount: Money, to_currency: str, posted: Transaction) -> str:
    """ "Converted A$40.00 into ₱1,540.00 at 38.5 (…rate entered by Ana)."."""
    rate = posted.fx_rate
    if rate is None:  # every conversion records its rate; said plainly if one did not
        return f"Converted {amount.format('en')} into {to_currency}."
    converted = amount.convert(rate, to_currency).format("en")
    return (
        f"Converted {amount.format('en')} into {converted} at {rate.normalize():f} "
        f"({posted.fx_rate_source})."
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@forbidden_as_403
def fund_convert_view(request: HttpRequest, slug: str, kind: str) -> HttpResponse:
    user = request_member(request)
    found = fund_get_for_user(user=user, slug=slug, kind=kind)
    if found.kind not in POOLED:
        raise Http404("Only a pooled fund's money is converted.")
    if not membership_in(user, found).is_coordinator:
        raise DjangoPermissionDenied("Only a coordinator converts a fund's money.")
    holdings = _holdings(found)
    held = [row.free.currency for row in holdings if row.free.amount > 0]
    form = ConvertForm(
        request.POST if request.method == "POST" else None, held=held, currency=found.currency
    )
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic(durable=True):
                    posted = fund_convert(
                        fund=found,
                        actor=user,
                        amount=data["money"],
                        to_currency=data["to_currency"],
                        # Scoped to the person: a key is only ever theirs to repeat.
                        idempotency_key=f"web:{user.pk}:{data['idempotency_key']}",
                        rate=data["rate"],
                        rate_source=data["rate_source"],
                    )
            except DomainError as exc:
                if exc.status == 403:
                    raise
                if exc.code == "idempotency_key_reused":
                    # This rendering of the form already converted another
                    # amount; a fresh key lets a deliberate second one through.
                    form.renew_key()
                    form.add_error(
                        None,
                        "This form was already used for another conversion. If you do mean "
                        "to convert again, press Convert once more.",
                    )
                else:
                    form_error(form, exc.field, exc.message)
                status = exc.status
            else:
                messages.success(request, _done(data["money"], data["to_currency"], posted))
                return redirect("mutual:fund", slug=found.collective.slug, kind=found.kind)
    return render(
        request,
        f"{TEMPLATES}/convert.html",
        {
            "collective": found.collective,
            "fund": found,
            "why": WHY[Fund.Kind(found.kind)].format(currency=found.currency),
            "holdings": holdings,
            "form": form if held else None,
        },
        status=status,
    )
