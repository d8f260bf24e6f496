"""Payments: recording what a client paid, and where every unit of it went.

- Recording a payment is for the collective's coordinators, and needs an
  ``Idempotency-Key`` header: a retry with the same key and body answers
  with the first payment (``Idempotent-Replayed: true``) and records nothing
  new; the same key with another body is ``409 idempotency_key_reused``.
- An invoice's payments are listed for the collective's members and the
  client's contacts (who do not see the collective's accounts).
- One payment with its shares (the treasury's, each fund's, each
  member's, the tax) is for the collective's members: a client's contacts
  and everyone else get 404.
- ``GET /me/payment-shares`` lists your own shares, in every collective.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router, Status
from ninja.params import HeaderEx

from mutualist.api.auth import request_user
from mutualist.api.idempotency import idempotent, key_header
from mutualist.api.pagination import Page, PageParams, paginate
from mutualist.api.routers import responses
from mutualist.api.routers.billing_common import money_in, service_key
from mutualist.api.routers.billing_invoices import require_coordinator
from mutualist.api.schemas.billing_money import MyShareOut, PaymentDetailOut, PaymentIn, PaymentOut
from mutualist.billing.models import Invoice, Payment, PaymentShare
from mutualist.billing.selectors import (
    invoice_get_for_user,
    invoice_is_member_view,
    member_shares,
    payment_list_for_invoice,
    payment_shares,
)
from mutualist.billing.services import payment_record
from mutualist.core.errors import ValidationFailed
from mutualist.ledger.models import Account
from mutualist.ledger.selectors import account_in_books
from mutualist.members.models import User

router = Router(tags=["billing: payments"])


def payment_get_for_member(*, user: User, pk: int) -> Payment:
    """One payment, for an active member of its collective; 404 for anyone
    else, with one message whether or not it exists (a client's contact
    who may read the invoice does not see where the money went)."""
    payment = (
        Payment.objects.select_related("invoice", "recorded_by__profile", "deposit_account")
        .filter(pk=pk)
        .first()
    )
    if payment is None:
        raise Http404("No such payment.")
    try:
        invoice = invoice_get_for_user(user=user, pk=payment.invoice_id)
    except Http404:
        raise Http404("No such payment.") from None
    if not invoice_is_member_view(user=user, invoice=invoice):
        raise Http404("No such payment.")
    return payment


def payment_detail_out(payment: Payment) -> PaymentDetailOut:
    shares: Sequence[PaymentShare] = list(payment_shares(payment=payment))
    members = {share.member.pk: share.member for share in shares if share.member is not None}
    return PaymentDetailOut.build_detail(payment, shares, members)


def _deposit_account(invoice: Invoice, pk: int | None) -> Account | None:
    """An account named in the body: it must be in the collective's books
    (the service checks it is one of its own asset accounts)."""
    if pk is None:
        return None
    account = account_in_books(collective=invoice.collective, pk=pk)
    if account is None:
        raise ValidationFailed(
            f"There is no account {pk} in these books.",
            code="unknown_account",
            field="deposit_account",
        )
    return account


@router.get(
    "/invoices/{int:invoice_id}/payments",
    response=responses({200: Page[PaymentOut]}),
    summary="The payments recorded on an invoice, oldest first (members, the client's contacts)",
)
def invoice_payments(
    request: HttpRequest, invoice_id: int, page: Query[PageParams]
) -> Page[PaymentOut]:
    user = request_user(request)
    invoice = invoice_get_for_user(user=user, pk=invoice_id)
    member_view = invoice_is_member_view(user=user, invoice=invoice)
    return paginate(
        payment_list_for_invoice(invoice=invoice),
        page,
        lambda payment: PaymentOut.build(payment, member_view=member_view),
    )


@router.post(
    "/invoices/{int:invoice_id}/payments",
    response=responses({201: PaymentDetailOut}),
    summary="Record a payment and share it out by the split rule (coordinators)",
)
def invoice_payment_new(
    request: HttpRequest,
    response: HttpResponse,
    invoice_id: int,
    payload: PaymentIn,
    idempotency_key: HeaderEx[str, key_header("this payment")],
) -> Status[PaymentDetailOut]:
    """One ledger transaction: the money arrives in ``deposit_account`` (in
    the payment's currency; converted at ``fx_rate`` when that is not the
    invoice's), settles the receivable, and is shared out by the split rule
    the invoice was issued under, in proportion to what each recipient is
    still owed, so that partial payments add up exactly. More than is unpaid
    is refused (``422 overpayment``) unless ``excess`` is ``credit``. The
    answer shows where every unit went. Requires an ``Idempotency-Key``."""
    user = request_user(request)

    def run() -> Status[PaymentDetailOut]:
        payment = payment_record(
            invoice=invoice,
            actor=user,
            amount=money_in(payload.amount, field="amount"),
            received_on=payload.received_on or timezone.localdate(),
            method=payload.method,
            idempotency_key=service_key(user, idempotency_key),
            reference=payload.reference,
            deposit_account=_deposit_account(invoice, payload.deposit_account),
            fx_rate=payload.fx_rate,
            fx_rate_source=payload.fx_rate_source,
            excess=payload.excess,
        )
        return Status(201, payment_detail_out(payment_get_for_member(user=user, pk=payment.pk)))

    with transaction.atomic(durable=True):
        invoice = invoice_get_for_user(user=user, pk=invoice_id)
        require_coordinator(user, invoice)
        return idempotent(
            request, response, user=user, key=idempotency_key, operation="payment_record", run=run
        )


@router.get(
    "/payments/{int:payment_id}",
    response=responses({200: PaymentDetailOut}),
    summary="One payment and where every unit of it went (members)",
)
def payment_detail(request: HttpRequest, payment_id: int) -> PaymentDetailOut:
    """Its shares add up to what it settled: the tax, the treasury's share,
    each fund's levy and each member's share, each in plain words."""
    return payment_detail_out(payment_get_for_member(user=request_user(request), pk=payment_id))


@router.get(
    "/me/payment-shares",
    response=responses({200: Page[MyShareOut]}),
    summary="Your shares of payments, in every collective, newest first",
)
def my_payment_shares(request: HttpRequest, page: Query[PageParams]) -> Page[MyShareOut]:
    return paginate(member_shares(user=request_user(request)), page, MyShareOut.from_model)
