"""Payouts: what the collective owes its members, how each wants to be paid,
and the money coordinators send them.

- Your payout setting (the currency you are paid in, and where to) is
  yours to read and set, in each collective you are an active member of.
- Payouts: a member sees their own, a coordinator everyone's. Recording
  one is for coordinators and needs an ``Idempotency-Key`` header (a retry
  answers with the first payout and posts nothing new). A payout is never
  more than the member is owed in that currency
  (``409 payout_beyond_payable``).
- Members' payables (what the collective owes each member) are for
  coordinators; ``GET /me/payables`` is what every collective owes you.

Outsiders get 404 for all of it.
"""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router, Status
from ninja.params import HeaderEx

from mutualist.api.auth import request_user
from mutualist.api.idempotency import idempotent, key_header
from mutualist.api.pagination import Page, PageParams, paginate
from mutualist.api.routers import responses
from mutualist.api.routers.billing_common import money_in, person_in, service_key
from mutualist.api.schemas.billing_money import (
    MyPayableOut,
    PayableOut,
    PayoutFiltersIn,
    PayoutIn,
    PayoutOut,
    PayoutSettingIn,
    PayoutSettingOut,
)
from mutualist.api.schemas.common import CollectiveRefOut, MoneyOut, PersonOut
from mutualist.api.schemas.ledger import AccountRefOut
from mutualist.billing.models import Payout, PayoutSetting
from mutualist.billing.selectors import payout_list, payout_setting_of
from mutualist.billing.selectors.money import Payable, payables_of_collective, payables_of_member
from mutualist.billing.services import payout_record, payout_setting_set
from mutualist.collectives.models import Collective
from mutualist.collectives.selectors import (
    collective_get_for_coordinator,
    collective_get_for_member,
)
from mutualist.core.errors import ValidationFailed
from mutualist.ledger.models import Account
from mutualist.ledger.selectors import account_in_books

router = Router(tags=["billing: payouts"])


# --- Your payout setting ----------------------------------------------------------------


@router.get(
    "/collectives/{slug}/payout-setting",
    response=responses({200: PayoutSettingOut}),
    summary="How you are paid by this collective (members)",
)
def my_payout_setting(request: HttpRequest, slug: str) -> PayoutSettingOut:
    """``currency`` is null until you choose one: you are then paid in the
    currency you are owed."""
    user = request_user(request)
    collective, _ = collective_get_for_member(user=user, slug=slug)
    return PayoutSettingOut.from_model(payout_setting_of(collective=collective, member=user))


@router.put(
    "/collectives/{slug}/payout-setting",
    response=responses({200: PayoutSettingOut}),
    summary="Choose the currency you are paid in, and where to (members)",
)
def my_payout_setting_set(
    request: HttpRequest, slug: str, payload: PayoutSettingIn
) -> PayoutSettingOut:
    user = request_user(request)
    with transaction.atomic(durable=True):
        collective, _ = collective_get_for_member(user=user, slug=slug)
        setting = payout_setting_set(
            collective=collective,
            member=user,
            actor=user,
            currency=payload.currency,
            details=payload.details,
        )
    return PayoutSettingOut.from_model(setting)


# --- Payouts ------------------------------------------------------------------------------


def _payout_out(payout: Payout) -> PayoutOut:
    fresh = Payout.objects.select_related(
        "member__profile", "source_account", "recorded_by__profile"
    ).get(pk=payout.pk)
    return PayoutOut.from_model(fresh)


@router.get(
    "/collectives/{slug}/payouts",
    response=responses({200: Page[PayoutOut]}),
    summary="Payouts, newest first: your own, or everyone's for coordinators",
)
def payouts_list(
    request: HttpRequest, slug: str, filters: Query[PayoutFiltersIn], page: Query[PageParams]
) -> Page[PayoutOut]:
    user = request_user(request)
    collective, _ = collective_get_for_member(user=user, slug=slug)
    rows = payout_list(collective=collective, viewer=user)
    if filters.member is not None:
        rows = rows.filter(member_id=filters.member)
    return paginate(rows, page, PayoutOut.from_model)


def _source_account(collective: Collective, pk: int) -> Account:
    account = account_in_books(collective=collective, pk=pk)
    if account is None:
        raise ValidationFailed(
            f"There is no account {pk} in these books.",
            code="unknown_account",
            field="source_account",
        )
    return account


@router.post(
    "/collectives/{slug}/payouts",
    response=responses({201: PayoutOut}),
    summary="Record money sent to a member (coordinators)",
)
def payout_new(
    request: HttpRequest,
    response: HttpResponse,
    slug: str,
    payload: PayoutIn,
    idempotency_key: HeaderEx[str, key_header("this payout")],
) -> Status[PayoutOut]:
    """The money left outside the app (a transfer, a wallet); this records
    it: ``amount`` comes off what the collective owes ``member`` in that
    currency, and leaves ``source_account``, through the trading accounts
    when that account holds another currency (give ``sent_amount`` or
    ``fx_rate``, or the rate on record is used). Requires an
    ``Idempotency-Key`` header."""
    user = request_user(request)

    def run() -> Status[PayoutOut]:
        payout = payout_record(
            collective=collective,
            member=person_in(payload.member, collective=collective, field="member", active=False),
            actor=user,
            amount=money_in(payload.amount, field="amount"),
            source_account=_source_account(collective, payload.source_account),
            paid_on=payload.paid_on or timezone.localdate(),
            idempotency_key=service_key(user, idempotency_key),
            reference=payload.reference,
            sent_amount=(
                money_in(payload.sent_amount, field="sent_amount") if payload.sent_amount else None
            ),
            fx_rate=payload.fx_rate,
            fx_rate_source=payload.fx_rate_source,
        )
        return Status(201, _payout_out(payout))

    with transaction.atomic(durable=True):
        collective, _ = collective_get_for_coordinator(user=user, slug=slug)
        return idempotent(
            request, response, user=user, key=idempotency_key, operation="payout_record", run=run
        )


@router.get(
    "/me/payables",
    response=responses({200: Page[MyPayableOut]}),
    summary="What each collective owes you, per currency",
)
def my_payables(request: HttpRequest, page: Query[PageParams]) -> Page[MyPayableOut]:
    """In every collective that owes you something, one you have left included."""
    rows = payables_of_member(user=request_user(request))
    return paginate(
        rows,
        page,
        lambda row: MyPayableOut(
            collective=CollectiveRefOut(slug=row.collective.slug, name=row.collective.name),
            account=AccountRefOut(id=row.account.pk, name=row.account.name),
            owed=MoneyOut(amount=str(row.owed.amount), currency=row.owed.currency),
        ),
    )


# --- Members' payables ----------------------------------------------------------------------


@router.get(
    "/collectives/{slug}/payables",
    response=responses({200: Page[PayableOut]}),
    summary="What the collective owes each member, by currency (coordinators)",
)
def payables_list(request: HttpRequest, slug: str, page: Query[PageParams]) -> Page[PayableOut]:
    """Each member's payable that holds money (a member who left may still
    be owed), with the currency they chose to be paid in and where to: what
    a coordinator needs to pay them out."""
    user = request_user(request)
    collective, _ = collective_get_for_coordinator(user=user, slug=slug)
    rows = payables_of_collective(collective=collective)
    settings = {
        setting.member_id: setting
        for setting in PayoutSetting.objects.filter(
            collective=collective, member__in=[row.member for row in rows]
        )
    }

    def present(row: Payable) -> PayableOut:
        setting = settings.get(row.member.pk)
        return PayableOut(
            member=PersonOut.from_user(row.member),
            account=AccountRefOut(id=row.account.pk, name=row.account.name),
            owed=MoneyOut(amount=str(row.owed.amount), currency=row.owed.currency),
            payout_currency=setting.currency if setting is not None else None,
            payout_details=setting.details if setting is not None else "",
        )

    return paginate(rows, page, present)
