"""Admin for collectives: the collective and its co-working space, memberships,
invitations and bylaws.

Only what no service owns is editable here (a collective's description and
home, its co-working space). Memberships, invitations and bylaws change only
through the services, which keep their rules (a collective always has a
coordinator, an invitation is answered once, a bylaws version is never
edited), so the admin shows them read-only. Invitation tokens are never shown:
a token is a working link into someone's invitation.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from mutualist.collectives.models import (
    Bylaws,
    Collective,
    CoworkingSpace,
    Invitation,
    Membership,
    SplitShare,
)


class ReadOnlyAdminMixin:
    """Viewing only: no adding, changing or deleting through the admin."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CoworkingSpaceInline(admin.StackedInline):  # type: ignore[type-arg]
    model = CoworkingSpace
    extra = 0
    max_num = 1


@admin.register(Collective)
class CollectiveAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "slug", "is_remote", "city", "country", "base_currency", "created_at")
    list_filter = ("is_remote", "country")
    search_fields = ("name", "slug", "city")
    # Money and links depend on these; collective_create fixes them.
    readonly_fields = ("slug", "base_currency", "created_at", "created_by")
    fields = (
        "name",
        "slug",
        "description",
        "is_remote",
        "city",
        "country",
        "base_currency",
        "created_at",
        "created_by",
    )
    inlines = (CoworkingSpaceInline,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # collective_create also makes the founder coordinator and writes bylaws
        # v1; a collective made here would have neither. Create one on the site.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deleting would cascade through memberships and bylaws (and later money).
        return False


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("user", "collective", "role", "state", "joined_at", "left_at")
    list_filter = ("state", "role")
    list_select_related = ("user__profile", "collective")
    search_fields = ("collective__name", "collective__slug", "user__profile__display_name")


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("collective", "email", "role", "state", "created_at", "expires_at")
    list_filter = ("state", "role")
    list_select_related = ("collective",)
    search_fields = ("email", "collective__name", "collective__slug")
    # Explicit, so that no computed field (a token, a link) ever appears here.
    fields = (
        "collective",
        "email",
        "role",
        "message",
        "invited_by",
        "state",
        "created_at",
        "expires_at",
        "responded_at",
        "accepted_by",
    )


class SplitShareInline(ReadOnlyAdminMixin, admin.TabularInline):  # type: ignore[type-arg]
    model = SplitShare
    extra = 0


@admin.register(Bylaws)
class BylawsAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """Bylaws versions are immutable: a change is the next version, adopted
    through ``bylaws_adopt``."""

    list_display = ("collective", "version", "effective_from", "admission_rule", "created_at")
    list_filter = ("admission_rule",)
    list_select_related = ("collective",)
    search_fields = ("collective__name", "collective__slug")
    inlines = (SplitShareInline,)
