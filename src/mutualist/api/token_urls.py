"""Placeholder URLs for API token pages; the lead replaces this module."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

app_name = "api_tokens"

urlpatterns: list[URLPattern | URLResolver] = []
