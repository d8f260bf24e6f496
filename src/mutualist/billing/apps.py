from __future__ import annotations

from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "mutualist.billing"
    label = "billing"
    verbose_name = "Billing: invoices, payments, the split and payouts"
