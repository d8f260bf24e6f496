"""The reports pages' URL patterns (filled in by the reports views)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
