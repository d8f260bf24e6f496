"""Admin for the books: accounts, transactions with their postings, exchange
rates, all read-only.

Money moves only through ``ledger.services`` (balanced, locked, idempotent),
and the database refuses any change to a posted transaction, so the admin
only shows. An account is opened by the code that needs it, a rate entered by
a coordinator on the site or imported from the ECB (``mutualist ledger``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from mutualist.core.money import Money
from mutualist.ledger.models import Account, ExchangeRate, Posting, Transaction


class ReadOnlyAdminMixin:
    """Viewing only: no adding, changing or deleting through the admin."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Account)
class AccountAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "collective", "type", "currency", "owner_kind", "balance")
    list_filter = ("type", "owner_kind", "currency", "must_not_go_negative")
    list_select_related = ("collective",)
    search_fields = ("name", "description", "collective__name", "collective__slug")
    fields = (
        "name",
        "collective",
        "type",
        "currency",
        "owner_kind",
        "owner_type",
        "owner_id",
        "must_not_go_negative",
        "balance",
        "description",
        "opened_at",
    )
    readonly_fields = ("balance",)

    @admin.display(description="Balance (debits positive)")
    def balance(self, account: Account) -> str:
        return str(Money.from_minor(account.balance_minor, account.currency))


class PostingInline(ReadOnlyAdminMixin, admin.TabularInline):  # type: ignore[type-arg]
    model = Posting
    extra = 0
    fields = ("account", "amount", "currency", "occurred_at")
    readonly_fields = ("amount",)
    ordering = ("id",)

    @admin.display(description="Amount (debits positive)")
    def amount(self, posting: Posting) -> str:
        return str(Money.from_minor(posting.amount_minor, posting.currency).amount)


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """Posted transactions are never changed; a correction is a reversal,
    posted through ``transaction_reverse``."""

    list_display = ("id", "occurred_at", "collective", "kind", "memo", "posted_at")
    list_filter = ("kind",)
    list_select_related = ("collective",)
    search_fields = ("memo", "idempotency_key", "collective__name", "collective__slug")
    date_hierarchy = "occurred_at"
    inlines = (PostingInline,)
    fields = (
        "collective",
        "occurred_at",
        "posted_at",
        "posted_by",
        "kind",
        "memo",
        "idempotency_key",
        "fingerprint",
        "cause_type",
        "cause_id",
        "reverses",
        "fx_rate",
        "fx_rate_source",
    )


@admin.register(ExchangeRate)
class ExchangeRateAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("on", "base", "quote", "rate", "source", "collective")
    list_filter = ("source", "base", "quote")
    list_select_related = ("collective",)
    search_fields = ("base", "quote", "collective__name", "collective__slug")
    date_hierarchy = "on"
