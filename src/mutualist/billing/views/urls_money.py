"""The money pages' URL patterns: a member's earnings, where a payment went,
payout settings and payouts, and the billing settings."""

from __future__ import annotations

from django.urls import URLPattern, path

from mutualist.billing.views.billing_settings import billing_settings, settings_preview
from mutualist.billing.views.earnings import my_earnings, payment_detail
from mutualist.billing.views.payouts import payout_new, payout_settings, payouts

urlpatterns: list[URLPattern] = [
    path("me/earnings/", my_earnings, name="my_earnings"),
    path("collectives/<slug:slug>/payments/<int:pk>/", payment_detail, name="payment"),
    path("collectives/<slug:slug>/payouts/", payouts, name="payouts"),
    path("collectives/<slug:slug>/payouts/new/", payout_new, name="payout_new"),
    path("collectives/<slug:slug>/payouts/settings/", payout_settings, name="payout_settings"),
    path("collectives/<slug:slug>/billing/settings/", billing_settings, name="settings"),
    path(
        "collectives/<slug:slug>/billing/settings/preview/",
        settings_preview,
        name="settings_preview",
    ),
]
