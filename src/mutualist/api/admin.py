"""Admin for API tokens: see and revoke, never create (a token's secret is shown
only to its owner, once) and never edit its hash."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from mutualist.api.models import ApiToken
from mutualist.api.services import api_token_revoke
from mutualist.members.models import User


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix", "user__email")
    readonly_fields = ("user", "name", "prefix", "created_at", "last_used_at", "revoked_at")
    exclude = ("hash",)
    actions = ("revoke",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Revoke selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        assert isinstance(request.user, User)  # noqa: S101 -- the admin requires a login
        count = 0
        for token in queryset.filter(revoked_at__isnull=True).order_by("pk"):
            api_token_revoke(token=token, actor=request.user)
            count += 1
        self.message_user(request, f"Revoked {count} token(s).")
