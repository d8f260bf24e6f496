"""Read-only admin: decisions are made and recorded through the services."""

from __future__ import annotations

from django.contrib import admin

from mutualist.collectives.admin import ReadOnlyAdminMixin
from mutualist.governance.models import Delegation, Proposal, Vote


class _ReadOnly(ReadOnlyAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    pass


@admin.register(Proposal)
class ProposalAdmin(_ReadOnly):
    list_display = ("id", "collective", "kind", "title", "state", "outcome", "closes_at")
    list_filter = ("state", "outcome", "kind")
    search_fields = ("title",)


@admin.register(Vote)
class VoteAdmin(_ReadOnly):
    list_display = ("proposal", "member", "choice", "proxy", "cast_at")


@admin.register(Delegation)
class DelegationAdmin(_ReadOnly):
    list_display = ("collective", "delegator", "delegate", "proposal", "starts_on", "ends_on")
