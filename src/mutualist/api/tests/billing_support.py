"""What the billing API tests share: the invoices they start from, a way to
send money-moving requests with a key, and the state a refusal must leave.

The world is ``mutualist.testing``'s ``billed``: collective A (manila-va,
Ana coordinates, Ben is a member) bills Harbour (AUD; Dana is its contact)
for Ana's 10 h at 25.00 and Ben's 3 h 20 at 30.00, worked in the week of
30 November 2026. Carla's collective B bills Thames (GBP; Evan). The tests
run on 8 December 2026 at noon UTC, after that week.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.test import Client

from mutualist.api.models import IdempotentRequest
from mutualist.billing.models import (
    Invoice,
    InvoicedTime,
    InvoiceLine,
    Payment,
    PaymentShare,
    Payout,
    PayoutSetting,
)
from mutualist.billing.services import invoice_draft_create, invoice_issue, payment_record
from mutualist.core.money import Money
from mutualist.ledger.models import Account, Posting, Transaction
from mutualist.testing import Billed

A = "/api/v1/collectives/manila-va"
B = "/api/v1/collectives/remote-crew"
TODAY = dt.date(2026, 12, 8)
NOON = dt.datetime(2026, 12, 8, 12, tzinfo=dt.UTC)


def money(amount: str, currency: str = "AUD") -> dict[str, str]:
    return {"amount": amount, "currency": currency}


def send(
    client: Client, method: str, path: str, body: Any = None, *, key: str | None = None
) -> Any:
    """A JSON request, with an ``Idempotency-Key`` header when ``key`` is given."""
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.generic(
        method,
        path,
        data="" if body is None else json.dumps(body),
        content_type="application/json",
        headers=headers,
    )


def post(client: Client, path: str, body: Any = None, *, key: str | None = None) -> Any:
    return send(client, "POST", path, {} if body is None else body, key=key)


def state() -> dict[str, Any]:
    """Everything a refused billing request must leave as it was."""
    return {
        "invoices": list(
            Invoice.objects.order_by("pk").values_list(
                "pk",
                "status",
                "number",
                "tax_rate",
                "notes",
                "total_minor",
                "paid_minor",
                "credited_minor",
            )
        ),  # fmt: skip
        "lines": list(InvoiceLine.objects.order_by("pk").values_list("pk", "amount_minor")),
        "billed_time": InvoicedTime.objects.count(),
        "payments": Payment.objects.count(),
        "shares": PaymentShare.objects.count(),
        "payouts": Payout.objects.count(),
        "payout_settings": list(PayoutSetting.objects.order_by("pk").values()),
        "transactions": Transaction.objects.count(),
        "postings": Posting.objects.count(),
        "balances": list(Account.objects.order_by("pk").values_list("name", "balance_minor")),
        "idempotent_requests": IdempotentRequest.objects.count(),
    }


def draft_of(billed: Billed, *, tax_rate: str = "10") -> Invoice:
    """A draft of all of A's approved time for Harbour: 350.00 AUD, tax 35.00."""
    cast = billed.work.cast
    return invoice_draft_create(
        collective=cast.collective_a,
        actor=cast.ana,
        engagement=billed.work.engagement,
        tax_rate=tax_rate,
    )


def issued_invoice(billed: Billed, *, tax_rate: str = "10") -> Invoice:
    """That draft issued today: MANILA-2026-0001, 385.00 AUD, due in 30 days."""
    invoice = invoice_issue(invoice=draft_of(billed, tax_rate=tax_rate), actor=billed.work.cast.ana)
    invoice.refresh_from_db()
    return invoice


def paid(billed: Billed, invoice: Invoice, amount: str, *, key: str = "seed") -> Payment:
    """A payment recorded through the service, in the invoice's currency."""
    return payment_record(
        invoice=invoice,
        actor=billed.work.cast.ana,
        amount=Money(amount, invoice.currency),
        received_on=TODAY,
        method="bank_transfer",
        idempotency_key=key,
    )
