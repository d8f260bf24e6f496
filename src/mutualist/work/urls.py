"""The work domain's pages: each area's view module lists its own patterns."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

app_name = "work"

urlpatterns: list[URLPattern | URLResolver] = []
