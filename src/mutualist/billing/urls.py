"""Billing's pages: each area's view module lists its own patterns.

- invoices (``views/invoices.py``...): the collective's invoices, drafts,
  issuing, credit notes, payments, PDFs, and the client portal's invoices;
- money (``views/money.py``...): a member's earnings and where each payment
  went, payout settings, payouts, billing settings;
- reports (``views/reports.py``): income, earnings and inflows, the client
  scorecard, CSV downloads.
"""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

from mutualist.billing.views import urls_invoices, urls_money, urls_reports

app_name = "billing"

urlpatterns: list[URLPattern | URLResolver] = [
    *urls_invoices.urlpatterns,
    *urls_money.urlpatterns,
    *urls_reports.urlpatterns,
]
