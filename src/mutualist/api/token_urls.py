"""The API tokens page, mounted at /me/tokens/."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from mutualist.api import views

app_name = "api_tokens"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.token_list, name="list"),
    path("<int:token_id>/revoke/", views.token_revoke, name="revoke"),
]
