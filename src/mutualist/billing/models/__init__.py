"""The billing domain's tables, one module per area, re-exported here."""

from __future__ import annotations

from mutualist.billing.models.invoices import (
    BillingSettings,
    Invoice,
    InvoiceCounter,
    InvoicedTime,
    InvoiceLine,
    InvoiceReminder,
)
from mutualist.billing.models.payments import (
    Payment,
    PaymentDiversion,
    PaymentShare,
    Payout,
    PayoutSetting,
)

__all__ = [
    "BillingSettings",
    "Invoice",
    "InvoiceCounter",
    "InvoiceLine",
    "InvoiceReminder",
    "InvoicedTime",
    "Payment",
    "PaymentDiversion",
    "PaymentShare",
    "Payout",
    "PayoutSetting",
]
