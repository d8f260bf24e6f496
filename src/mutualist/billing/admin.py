"""Admin for billing: invoices and credit notes with their lines, payments
with where each unit went, payouts, and the collectives' billing settings,
all read-only.

An issued invoice is a snapshot the database refuses to change, and every
payment and payout is a record of money that moved; the services keep the
books and the invoices in step (numbers under a lock, the split, the
ledger). So the admin only shows. The one thing it does is delete drafts,
and it does that through ``invoice_draft_delete``: the same permission
check (a coordinator of the collective) and the same refusal of anything
issued as on the site.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from mutualist.billing.models import (
    BillingSettings,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentShare,
    Payout,
    PayoutSetting,
)
from mutualist.billing.services import invoice_draft_delete
from mutualist.core.errors import DomainError
from mutualist.core.money import Money
from mutualist.members.models import User


class ReadOnlyAdminMixin:
    """Viewing only: no adding, changing or deleting through the admin."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _money(minor: int, currency: str) -> str:
    return str(Money.from_minor(minor, currency))


class InvoiceLineInline(ReadOnlyAdminMixin, admin.TabularInline):  # type: ignore[type-arg]
    model = InvoiceLine
    extra = 0
    fields = ("position", "kind", "description", "quantity", "unit_price", "amount", "member")
    readonly_fields = ("unit_price", "amount")
    ordering = ("position",)

    @admin.display(description="Unit price")
    def unit_price(self, line: InvoiceLine) -> str:
        return _money(line.unit_price_minor, line.invoice.currency)

    @admin.display(description="Amount")
    def amount(self, line: InvoiceLine) -> str:
        return _money(line.amount_minor, line.invoice.currency)


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "__str__", "collective", "client", "kind", "status", "total", "issue_date", "due_date",
    )  # fmt: skip
    list_filter = ("kind", "status", "currency")
    list_select_related = ("collective", "client")
    search_fields = ("number", "buyer_name", "client__name", "collective__name", "collective__slug")
    date_hierarchy = "issue_date"
    inlines = (InvoiceLineInline,)
    actions = ("delete_drafts",)
    fields = (
        "collective", "client", "engagement", "kind", "credits", "status", "number",
        "currency", "subtotal", "tax_rate", "tax_label", "tax", "total", "paid", "credited",
        "issue_date", "due_date", "period_start", "period_end", "payment_terms_days",
        "seller_name", "seller_address", "buyer_name", "buyer_address", "buyer_tax_id",
        "payment_method", "payment_instructions", "late_payment_terms", "notes", "bylaws",
        "split_rule", "member_share_basis", "transaction", "created_at", "created_by",
        "issued_at", "issued_by", "paid_at", "overdue_at",
    )  # fmt: skip
    readonly_fields = ("subtotal", "tax", "total", "paid", "credited")

    @admin.display(description="Subtotal")
    def subtotal(self, invoice: Invoice) -> str:
        return _money(invoice.subtotal_minor, invoice.currency)

    @admin.display(description="Tax")
    def tax(self, invoice: Invoice) -> str:
        return _money(invoice.tax_minor, invoice.currency)

    @admin.display(description="Total")
    def total(self, invoice: Invoice) -> str:
        return _money(invoice.total_minor, invoice.currency)

    @admin.display(description="Paid")
    def paid(self, invoice: Invoice) -> str:
        return _money(invoice.paid_minor, invoice.currency)

    @admin.display(description="Credited")
    def credited(self, invoice: Invoice) -> str:
        return _money(invoice.credited_minor, invoice.currency)

    @admin.action(description="Delete the selected drafts (issued invoices are kept)")
    def delete_drafts(self, request: HttpRequest, queryset: QuerySet[Invoice]) -> None:
        actor = request.user
        if not isinstance(actor, User):  # pragma: no cover -- the admin needs a login
            return
        deleted = 0
        for invoice in queryset.select_related("collective").order_by("pk"):
            try:
                invoice_draft_delete(invoice=invoice, actor=actor)
            except DomainError as refusal:
                said = refusal.message
                if str(invoice) not in said:
                    said = f"{invoice}: {said}"
                self.message_user(request, said, messages.ERROR)
            else:
                deleted += 1
        if deleted:
            self.message_user(request, f"Deleted {deleted} draft(s).", messages.SUCCESS)


class PaymentShareInline(ReadOnlyAdminMixin, admin.TabularInline):  # type: ignore[type-arg]
    model = PaymentShare
    extra = 0
    fields = ("recipient", "key", "member", "amount", "account")
    readonly_fields = ("amount",)
    ordering = ("pk",)

    @admin.display(description="Amount")
    def amount(self, share: PaymentShare) -> str:
        return _money(share.amount_minor, share.currency)


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """A mistaken payment is corrected by a reversal in the books, never here."""

    list_display = ("__str__", "collective", "received_on", "amount", "applied", "method")
    list_filter = ("method", "currency")
    list_select_related = ("collective", "invoice")
    search_fields = ("invoice__number", "reference", "idempotency_key", "collective__slug")
    date_hierarchy = "received_on"
    inlines = (PaymentShareInline,)
    fields = (
        "collective", "invoice", "amount", "applied", "credit", "fx_rate", "fx_rate_source",
        "received_on", "method", "reference", "deposit_account", "transaction",
        "idempotency_key", "recorded_by", "created_at",
    )  # fmt: skip
    readonly_fields = ("amount", "applied", "credit")

    @admin.display(description="Amount received")
    def amount(self, payment: Payment) -> str:
        return _money(payment.amount_minor, payment.currency)

    @admin.display(description="Applied to the invoice")
    def applied(self, payment: Payment) -> str:
        return _money(payment.applied_minor, payment.invoice.currency)

    @admin.display(description="Kept as the client's credit")
    def credit(self, payment: Payment) -> str:
        return _money(payment.credit_minor, payment.invoice.currency)


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("__str__", "collective", "member", "paid_on", "amount", "sent")
    list_filter = ("currency", "sent_currency")
    list_select_related = ("collective", "member")
    search_fields = ("reference", "idempotency_key", "member__email", "collective__slug")
    date_hierarchy = "paid_on"
    fields = (
        "collective", "member", "amount", "sent", "fx_rate", "fx_rate_source",
        "source_account", "paid_on", "reference", "transaction", "idempotency_key",
        "recorded_by", "created_at",
    )  # fmt: skip
    readonly_fields = ("amount", "sent")

    @admin.display(description="Taken off the payable")
    def amount(self, payout: Payout) -> str:
        return _money(payout.amount_minor, payout.currency)

    @admin.display(description="Sent")
    def sent(self, payout: Payout) -> str:
        return _money(payout.sent_minor, payout.sent_currency)


@admin.register(BillingSettings)
class BillingSettingsAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """Changed on the site by a coordinator (``billing_settings_update``
    validates patterns that must keep numbers unique)."""

    list_display = ("collective", "number_prefix", "number_pattern", "credit_note_pattern")
    list_select_related = ("collective",)


@admin.register(PayoutSetting)
class PayoutSettingAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """Each member's own choice (``payout_setting_set``)."""

    list_display = ("member", "collective", "currency", "updated_at")
    list_select_related = ("member", "collective")
