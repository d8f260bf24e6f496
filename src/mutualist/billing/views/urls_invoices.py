"""The invoices pages' URL patterns (filled in by the invoices views)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
