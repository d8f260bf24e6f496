"""The reports pages' URL patterns: the monthly reports and the client scorecard."""

from __future__ import annotations

from django.urls import URLPattern, path

from mutualist.billing.views import reports

urlpatterns: list[URLPattern] = [
    path("collectives/<slug:slug>/reports/", reports.reports, name="reports"),
    path("collectives/<slug:slug>/clients/scorecard/", reports.scorecard, name="scorecard"),
]
