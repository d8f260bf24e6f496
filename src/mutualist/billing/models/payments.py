"""Payments from clients, where each unit of them went, and payouts to members.

Every row here points at the one ledger transaction that moved the money;
the books are the truth, these rows say why (which invoice, which member).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.timezone import now


class Payment(models.Model):
    """Money received from a client for one invoice.

    ``amount_minor``/``currency`` is what arrived (perhaps in another
    currency than the invoice's, at ``fx_rate``); ``applied_minor`` is what
    it settled of the invoice, in the invoice's currency; ``credit_minor``
    what was more than owed and is held for the client as credit.
    """

    class Method(models.TextChoices):
        BANK_TRANSFER = "bank_transfer", "Bank transfer"
        CARD = "card", "Card"
        WALLET = "wallet", "Online wallet"
        CASH = "cash", "Cash"
        CHEQUE = "cheque", "Cheque"
        CLIENT_CREDIT = "client_credit", "The client's credit with us"
        OTHER = "other", "Other"

    collective = models.ForeignKey(
        "collectives.Collective", on_delete=models.PROTECT, related_name="payments"
    )
    invoice = models.ForeignKey(
        "billing.Invoice", on_delete=models.PROTECT, related_name="payments"
    )
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    applied_minor = models.BigIntegerField()
    credit_minor = models.BigIntegerField(default=0)
    # Units of the invoice's currency per unit of the payment's; null when
    # they are the same currency.
    fx_rate = models.DecimalField(max_digits=30, decimal_places=12, null=True, blank=True)
    fx_rate_source = models.CharField(max_length=200, blank=True)
    received_on = models.DateField()
    method = models.CharField(max_length=16, choices=Method.choices)
    reference = models.CharField(max_length=120, blank=True)
    # Where the money arrived (an asset account in the payment's currency);
    # null when it came from the client's credit.
    deposit_account = models.ForeignKey(
        "ledger.Account", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    transaction = models.OneToOneField(
        "ledger.Transaction", on_delete=models.PROTECT, related_name="billing_payment"
    )
    idempotency_key = models.CharField(max_length=200)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-received_on", "-pk"]
        indexes = [models.Index(fields=["invoice", "received_on"], name="billing_payment_invoice")]
        constraints = [
            models.UniqueConstraint(
                fields=["collective", "idempotency_key"], name="billing_payment_key_once"
            ),
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0, applied_minor__gte=0, credit_minor__gte=0),
                name="billing_payment_amounts_positive",
            ),
            models.CheckConstraint(
                condition=Q(applied_minor__gt=0) | Q(credit_minor__gt=0),
                name="billing_payment_does_something",
            ),
            models.CheckConstraint(
                condition=Q(fx_rate__isnull=True) | Q(fx_rate__gt=0),
                name="billing_payment_fx_rate_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"Payment #{self.pk} on {self.invoice}"


class PaymentShare(models.Model):
    """Where one part of a payment went: a member's share, the treasury, a
    fund's levy, or the tax collected. In the invoice's currency; the parts
    of one payment add up to its ``applied_minor``."""

    class Recipient(models.TextChoices):
        MEMBER = "member", "Member"
        TREASURY = "treasury", "Treasury"
        FUND = "fund", "Fund"
        TAX = "tax", "Tax"

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="shares")
    invoice = models.ForeignKey("billing.Invoice", on_delete=models.PROTECT, related_name="+")
    recipient = models.CharField(max_length=8, choices=Recipient.choices)
    # The split rule's name for it: "treasury", "tax", a fund's code, or
    # "member:<user id>".
    key = models.CharField(max_length=60)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    account = models.ForeignKey(
        "ledger.Account", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["payment", "recipient", "key"]
        indexes = [models.Index(fields=["member", "payment"], name="billing_share_member")]
        constraints = [
            models.UniqueConstraint(fields=["payment", "key"], name="billing_paymentshare_once"),
            models.CheckConstraint(
                condition=Q(recipient__in=["member", "treasury", "fund", "tax"]),
                name="billing_paymentshare_recipient_valid",
            ),
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0), name="billing_paymentshare_positive"
            ),
            models.CheckConstraint(
                condition=Q(recipient="member", member__isnull=False)
                | (~Q(recipient="member") & Q(member__isnull=True)),
                name="billing_paymentshare_member_named",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key}: {self.amount_minor} {self.currency}"


class PaymentDiversion(models.Model):
    """Part of a member's share of a payment that a share diverter sent to
    another account instead of the member's payable (``billing.recipients``):
    the guarantee fund taking back what it advanced, the member's savings.

    The share itself (``PaymentShare``) stays the member's whole share of
    the invoice; the payable was credited with what no diverter took. In
    the invoice's currency, like the share."""

    share = models.ForeignKey(PaymentShare, on_delete=models.PROTECT, related_name="diversions")
    account = models.ForeignKey("ledger.Account", on_delete=models.PROTECT, related_name="+")
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    # A short code the diverter gives: "guarantee_refill", "savings".
    reason = models.CharField(max_length=40)

    class Meta:
        ordering = ["share", "pk"]
        indexes = [models.Index(fields=["reason", "share"], name="billing_diversion_reason")]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0), name="billing_diversion_positive"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="billing_diversion_reason_named"),
        ]

    def __str__(self) -> str:
        return f"{self.reason}: {self.amount_minor} {self.currency} of share #{self.share_id}"


class PayoutSetting(models.Model):
    """How a member of a collective wants to be paid: the currency, and
    where to (free text the coordinator reads: an account, a wallet)."""

    collective = models.ForeignKey(
        "collectives.Collective", on_delete=models.CASCADE, related_name="payout_settings"
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="payout_settings"
    )
    currency = models.CharField(max_length=3)
    details = models.TextField(blank=True)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["collective", "member"], name="billing_payoutsetting_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} in {self.collective}: {self.currency}"


class Payout(models.Model):
    """Money a coordinator sent a member outside the app, drawn from the
    member's payable in one currency and sent from one of the collective's
    accounts, perhaps in another (the member's payout currency)."""

    collective = models.ForeignKey(
        "collectives.Collective", on_delete=models.PROTECT, related_name="payouts"
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payouts"
    )
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    sent_minor = models.BigIntegerField()
    sent_currency = models.CharField(max_length=3)
    fx_rate = models.DecimalField(max_digits=30, decimal_places=12, null=True, blank=True)
    fx_rate_source = models.CharField(max_length=200, blank=True)
    source_account = models.ForeignKey("ledger.Account", on_delete=models.PROTECT, related_name="+")
    paid_on = models.DateField()
    reference = models.CharField(max_length=120, blank=True)
    transaction = models.OneToOneField(
        "ledger.Transaction", on_delete=models.PROTECT, related_name="billing_payout"
    )
    idempotency_key = models.CharField(max_length=200)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-paid_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["collective", "idempotency_key"], name="billing_payout_key_once"
            ),
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0, sent_minor__gt=0), name="billing_payout_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"Payout #{self.pk} to {self.member}"
