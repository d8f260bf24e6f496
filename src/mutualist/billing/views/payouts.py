"""Payouts: how a member wants to be paid, what the collective owes each
member, and a coordinator recording money sent to one.

Members see their own payables, settings and payouts; coordinators see
everyone's in their collective and record payouts (403 for other members,
404 for everyone outside). The payout form carries an idempotency key
minted when it is shown, scoped here to the coordinator, so pressing the
button twice records one payout.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from mutualist.billing.forms_money import PayoutForm, PayoutSettingForm
from mutualist.billing.models import Payout, PayoutSetting
from mutualist.billing.selectors import payout_list, payout_setting_of
from mutualist.billing.selectors.money import (
    payable_currencies,
    payable_members,
    payables_of_collective,
)
from mutualist.billing.services import payout_record, payout_setting_set
from mutualist.collectives.models import Collective
from mutualist.collectives.selectors import (
    collective_get_for_coordinator,
    collective_get_for_member,
)
from mutualist.core.errors import DomainError
from mutualist.core.money import Money
from mutualist.core.web import add_domain_error, forbidden_as_403
from mutualist.ledger.selectors import account_list_convertible
from mutualist.members.models import User
from mutualist.members.web import request_member

_TEMPLATES = "billing/money"
PAYOUTS_PAGE_SIZE = 50


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@forbidden_as_403
def payout_settings(request: HttpRequest, slug: str) -> HttpResponse:
    user = request_member(request)
    collective, _ = collective_get_for_member(user=user, slug=slug)
    setting = payout_setting_of(collective=collective, member=user)
    form = PayoutSettingForm(
        request.POST if request.method == "POST" else None,
        initial=PayoutSettingForm.initial_for(setting, collective),
    )
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic(durable=True):
                saved = payout_setting_set(
                    collective=collective,
                    member=user,
                    actor=user,
                    currency=form.cleaned_data["currency"],
                    details=form.cleaned_data["details"],
                )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"Saved: {collective.name} pays you in {saved.currency}.")
            return redirect("billing:payouts", slug=collective.slug)
    return render(
        request,
        f"{_TEMPLATES}/payout_settings.html",
        {"collective": collective, "form": form, "setting": setting},
    )


def _settings_by_member(collective: Collective, members: list[User]) -> dict[int, PayoutSetting]:
    rows = PayoutSetting.objects.filter(collective=collective, member__in=members)
    return {row.member_id: row for row in rows}


@login_required
@require_GET
def payouts(request: HttpRequest, slug: str) -> HttpResponse:
    user = request_member(request)
    collective, membership = collective_get_for_member(user=user, slug=slug)
    coordinator = membership.is_coordinator
    payables = payables_of_collective(collective=collective, member=None if coordinator else user)
    settings = _settings_by_member(
        collective, [row.member for row in payables] if coordinator else [user]
    )
    rows = [(payable, settings.get(payable.member.pk)) for payable in payables]
    page = Paginator(payout_list(collective=collective, viewer=user), PAYOUTS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        f"{_TEMPLATES}/payouts.html",
        {
            "collective": collective,
            "is_coordinator": coordinator,
            "rows": rows,
            "own_setting": settings.get(user.pk),
            "page_obj": page,
            "payouts": [_payout_row(payout) for payout in page],
        },
    )


def _payout_row(payout: Payout) -> tuple[Payout, Money, Money | None, str]:
    """A payout with what it took off the payable and, when it was sent in
    another currency, what was sent and at which rate."""
    paid = Money.from_minor(payout.amount_minor, payout.currency)
    if payout.sent_currency == payout.currency:
        return payout, paid, None, ""
    rate = ""
    if payout.fx_rate is not None:
        rate = f"1 {payout.currency} = {payout.fx_rate.normalize():f} {payout.sent_currency}"
    return payout, paid, Money.from_minor(payout.sent_minor, payout.sent_currency), rate


def _initial_payout(
    request: HttpRequest, collective: Collective, members: QuerySet[User], currencies: list[str]
) -> dict[str, Any]:
    """``?member=<id>&currency=<code>`` (the payouts page's links): that
    payable, with all that is owed on it as the amount."""
    raw_member, currency = request.GET.get("member", ""), request.GET.get("currency", "")
    # Eighteen digits at most: a longer number overflows the database's integer.
    found = raw_member.isdigit() and len(raw_member) <= 18
    member = members.filter(pk=int(raw_member)).first() if found else None
    if member is None or currency not in currencies:
        return PayoutForm.initial_for()
    given: dict[str, Any] = {"member": member.pk, "currency": currency}
    for row in payables_of_collective(collective=collective, member=member):
        if row.owed.currency == currency:
            given["amount"] = f"{row.owed.amount:f}"
    return PayoutForm.initial_for(**given)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@forbidden_as_403
def payout_new(request: HttpRequest, slug: str) -> HttpResponse:
    user = request_member(request)
    collective, _ = collective_get_for_coordinator(user=user, slug=slug)
    members = payable_members(collective=collective)
    currencies = payable_currencies(collective=collective)
    form = PayoutForm(
        request.POST if request.method == "POST" else None,
        members=members,
        currencies=currencies,
        accounts=account_list_convertible(collective=collective),
        initial=_initial_payout(request, collective, members, currencies),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic(durable=True):
                payout = payout_record(
                    collective=collective,
                    member=data["member"],
                    actor=user,
                    amount=data["money"],
                    source_account=data["source_account"],
                    paid_on=data["paid_on"],
                    # Scoped to the person: a key is only ever theirs to repeat.
                    idempotency_key=f"web:payout:{user.pk}:{data['idempotency_key']}",
                    reference=data["reference"],
                    sent_amount=data["sent_money"],
                    fx_rate=data["fx_rate"],
                    fx_rate_source=data["fx_rate_source"],
                )
        except DomainError as exc:
            if exc.code == "idempotency_key_reused":
                # This rendering of the form recorded another payout already;
                # a fresh key lets a deliberate second one through.
                form.renew_key()
                form.add_error(
                    None,
                    "This form was already used for a different payout. Check the payouts "
                    "below; if you do mean to record this one too, press Record once more.",
                )
            else:
                add_domain_error(form, exc)
        else:
            messages.success(
                request,
                f"Recorded a payout of {data['money'].format()} to {payout.member.display_name}.",
            )
            return redirect("billing:payouts", slug=collective.slug)
    return render(
        request,
        f"{_TEMPLATES}/payout_new.html",
        {
            "collective": collective,
            "form": form,
            "payables": payables_of_collective(collective=collective),
        },
    )
