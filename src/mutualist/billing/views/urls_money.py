"""The money pages' URL patterns (filled in by the money views)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
