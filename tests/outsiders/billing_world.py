"""The billing domain's corner of the outsider suites' world.

On top of ``work_world`` (Ana's approved hour on collective A's Harbour
engagement): that hour invoiced and issued with 10 % tax (27.50 AUD), part
of it paid and shared out, a draft with a private note, a payout to Ana, Ben's
payout setting, and billing settings with private payment instructions.
Olga and anonymous callers must see none of it and change none of it.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from mutualist.api.models import IdempotentRequest
from mutualist.billing.accounts import default_deposit_account
from mutualist.billing.models import (
    BillingSettings,
    Invoice,
    InvoicedTime,
    InvoiceLine,
    Payment,
    PaymentShare,
    Payout,
    PayoutSetting,
)
from mutualist.billing.services import (
    FixedItem,
    billing_settings_update,
    invoice_draft_create,
    invoice_issue,
    payment_record,
    payout_record,
    payout_setting_set,
)
from mutualist.core.money import Money
from mutualist.members.models import User
from mutualist.testing import Work

# Never shown to Olga or an anonymous visitor, whatever the operation.
BILLING_PRIVATE = (
    "MANILA-2026",  # any of A's invoice numbers
    "Secret draft note",
    "Secret wire reference",
    "Secret payout reference",
    "BPI 9999 secret",
    "Pay into BPI 1234 secret",
)


def billing_world(work: Work) -> dict[str, Any]:
    cast = work.cast
    today = timezone.localdate()
    with transaction.atomic():
        billing_settings_update(
            collective=cast.collective_a,
            actor=cast.ana,
            payment_instructions="Pay into BPI 1234 secret",
        )
        invoice = invoice_issue(
            invoice=invoice_draft_create(
                collective=cast.collective_a, actor=cast.ana, engagement=work.engagement,
                tax_rate="10",
            ),
            actor=cast.ana,
        )  # fmt: skip
        payment = payment_record(
            invoice=invoice,
            actor=cast.ana,
            amount=Money("20.00", "AUD"),
            received_on=today,
            method="bank_transfer",
            reference="Secret wire reference",
            idempotency_key="world:payment",
        )
        payout_record(
            collective=cast.collective_a,
            member=cast.ana,
            actor=cast.ana,
            amount=Money("1.00", "AUD"),
            source_account=default_deposit_account(cast.collective_a, "AUD"),
            paid_on=today,
            reference="Secret payout reference",
            idempotency_key="world:payout",
        )
        payout_setting_set(
            collective=cast.collective_a,
            member=cast.ben,
            actor=cast.ben,
            currency="PHP",
            details="BPI 9999 secret",
        )
        draft = invoice_draft_create(
            collective=cast.collective_a,
            actor=cast.ana,
            client=work.harbour,
            items=[FixedItem(description="Set-up", quantity="1", unit_price=Money("50", "AUD"))],
            notes="Secret draft note",
        )
    return {
        # The REST API's path parameters: the draft by default (an issued
        # invoice where an operation needs one a coordinator could act on)
        "invoice_id": draft.pk,
        "issued_invoice_id": invoice.pk,
        "line_id": draft.lines.get().pk,
        "payment_id": payment.pk,
        "name": "income",
        "aud_bank_id": default_deposit_account(cast.collective_a, "AUD").pk,
    }


def billing_bodies(world: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Bodies that get past the schema for the billing operations that read
    theirs before checking who asks, each one a coordinator of A (or Ben, for
    his payout setting) could send."""
    work = world["work"]
    item = {"description": "An outsider's item", "quantity": "1",
            "unit_price": {"amount": "5.00", "currency": "AUD"}}  # fmt: skip
    return {
        "POST /api/v1/collectives/{slug}/invoices": {"client": work.harbour.pk, "items": [item]},
        "PATCH /api/v1/invoices/{invoice_id}": {"notes": "Taken over"},
        "POST /api/v1/invoices/{invoice_id}/lines": item,
        "POST /api/v1/invoices/{invoice_id}/credit-notes": {"reason": "An outsider's credit"},
        "POST /api/v1/invoices/{invoice_id}/payments": {
            "amount": {"amount": "7.50", "currency": "AUD"},
            "method": "bank_transfer",
        },
        "POST /api/v1/collectives/{slug}/payouts": {
            "member": "ana-reyes",
            "amount": {"amount": "1.00", "currency": "AUD"},
            "source_account": world["aud_bank_id"],
        },
        "PUT /api/v1/collectives/{slug}/payout-setting": {"currency": "EUR"},
        "PATCH /api/v1/collectives/{slug}/billing-settings": {"number_prefix": "OLGA"},
    }


# Path values other than the world's, where an operation needs one a
# coordinator of A could act on: what is paid and credited is issued.
BILLING_PATH_VALUES: dict[str, dict[str, str]] = {
    "POST /api/v1/invoices/{invoice_id}/credit-notes": {"invoice_id": "issued_invoice_id"},
    "POST /api/v1/invoices/{invoice_id}/payments": {"invoice_id": "issued_invoice_id"},
    "GET /api/v1/invoices/{invoice_id}/payments": {"invoice_id": "issued_invoice_id"},
    "GET /api/v1/invoices/{invoice_id}/pdf": {"invoice_id": "issued_invoice_id"},
}


def billing_snapshot(outsider: User) -> dict[str, Any]:
    """The billing domain's rows, and the replayable answers of anyone but the outsider."""
    return {
        "invoices": list(Invoice.objects.order_by("pk").values()),
        "invoice_lines": list(InvoiceLine.objects.order_by("pk").values()),
        "billed_time": list(InvoicedTime.objects.order_by("pk").values()),
        "payments": list(Payment.objects.order_by("pk").values()),
        "shares": list(PaymentShare.objects.order_by("pk").values()),
        "payouts": list(Payout.objects.order_by("pk").values()),
        "payout_settings": list(PayoutSetting.objects.order_by("pk").values()),
        "billing_settings": list(BillingSettings.objects.order_by("pk").values()),
        "idempotent_requests": list(
            IdempotentRequest.objects.exclude(user=outsider).order_by("pk").values()
        ),
    }
