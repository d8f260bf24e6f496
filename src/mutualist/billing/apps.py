from __future__ import annotations

from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "mutualist.billing"
    label = "billing"
    verbose_name = "Billing: invoices, payments, the split and payouts"

    def ready(self) -> None:
        from mutualist.billing import panels_invoices, panels_money, panels_reports

        panels_invoices.register()
        panels_money.register()
        panels_reports.register()
