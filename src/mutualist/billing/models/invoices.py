"""Invoices, their lines, the time they bill, and how they are numbered.

A draft is the collective's to change. Issuing gives it the next number of
its series and freezes it: an issued invoice and its lines are a snapshot
(parties, lines, rates, the split rule in force) that the database refuses
to change or delete (migration 0002). Only the running figures a payment, a
credit note or the scheduler keep (``paid_minor``, ``credited_minor``,
``status``, ``overdue_at``) still move, and only through the services.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.timezone import now

DEFAULT_NUMBER_PATTERN = "{prefix}-{year}-{seq:04}"
DEFAULT_CREDIT_NOTE_PATTERN = "{prefix}-CN-{year}-{seq:04}"
DEFAULT_REMINDER_DAYS = "-3,1,7,14,30"


class BillingSettings(models.Model):
    """How a collective bills: its numbering, the words on its invoices, and
    when clients are reminded. One row per collective, made on first use."""

    collective = models.OneToOneField(
        "collectives.Collective", on_delete=models.CASCADE, related_name="billing_settings"
    )
    # Placeholders: {prefix}, {year}, {seq} (with a format, {seq:04}).
    # With {year} the sequence starts again at 1 each year.
    number_prefix = models.CharField(max_length=12)
    number_pattern = models.CharField(max_length=60, default=DEFAULT_NUMBER_PATTERN)
    credit_note_pattern = models.CharField(max_length=60, default=DEFAULT_CREDIT_NOTE_PATTERN)
    payment_instructions = models.TextField(blank=True)
    late_payment_terms = models.TextField(blank=True)
    # Days relative to the due date on which the client is reminded of an
    # unpaid invoice ("-3,1,7" is three days before, then one and seven after).
    reminder_days = models.CharField(max_length=60, default=DEFAULT_REMINDER_DAYS)
    updated_at = models.DateTimeField(default=now)

    def __str__(self) -> str:
        return f"Billing settings of {self.collective}"


class InvoiceCounter(models.Model):
    """The last number given in one series of a collective (one per kind and,
    when the pattern has {year}, per year). Incremented under its row lock
    at issue time, so numbers are gapless: a rolled-back issue gives its
    number back with the rest of its transaction."""

    collective = models.ForeignKey(
        "collectives.Collective", on_delete=models.CASCADE, related_name="invoice_counters"
    )
    series = models.CharField(max_length=40)  # "invoice:2026", "credit_note:all"
    last_seq = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["collective", "series"], name="billing_invoicecounter_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.collective} {self.series}: {self.last_seq}"


class Invoice(models.Model):
    class Kind(models.TextChoices):
        INVOICE = "invoice", "Invoice"
        CREDIT_NOTE = "credit_note", "Credit note"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ISSUED = "issued", "Issued"
        PAID = "paid", "Paid"
        # Credited in full: nothing is owed on it any more.
        VOID = "void", "Credited in full"

    collective = models.ForeignKey(
        "collectives.Collective", on_delete=models.PROTECT, related_name="invoices"
    )
    client = models.ForeignKey("work.Client", on_delete=models.PROTECT, related_name="invoices")
    engagement = models.ForeignKey(
        "work.Engagement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoices",
    )
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.INVOICE)
    # A credit note names the invoice it corrects.
    credits = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="credit_notes"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    currency = models.CharField(max_length=3)
    # Given at issue; blank on a draft.
    number = models.CharField(max_length=60, blank=True)
    series = models.CharField(max_length=40, blank=True)
    seq = models.PositiveIntegerField(null=True, blank=True)
    # A percentage with up to three decimals (7.5, 12.375), and its label.
    tax_rate = models.DecimalField(max_digits=6, decimal_places=3, default=0)
    tax_label = models.CharField(max_length=40, blank=True)
    subtotal_minor = models.BigIntegerField(default=0)
    tax_minor = models.BigIntegerField(default=0)
    total_minor = models.BigIntegerField(default=0)
    # Kept by the payment and credit-note services with F() updates.
    paid_minor = models.BigIntegerField(default=0)
    credited_minor = models.BigIntegerField(default=0)
    payment_terms_days = models.PositiveSmallIntegerField(default=30)
    issue_date = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    # The snapshot taken at issue: both parties as they were, what the
    # client is asked to do, and the split rule the payments will follow.
    seller_name = models.CharField(max_length=120, blank=True)
    seller_address = models.TextField(blank=True)
    buyer_name = models.CharField(max_length=120, blank=True)
    buyer_address = models.TextField(blank=True)
    buyer_tax_id = models.CharField(max_length=64, blank=True)
    payment_method = models.CharField(max_length=120, blank=True)
    payment_instructions = models.TextField(blank=True)
    late_payment_terms = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    bylaws = models.ForeignKey(
        "collectives.Bylaws", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # {"treasury": "10.00", "sick_pay": "3.00"} and "bill" or "pay".
    split_rule = models.JSONField(default=dict, blank=True)
    member_share_basis = models.CharField(max_length=4, blank=True)
    # The ledger transaction that booked the receivable.
    transaction = models.ForeignKey(
        "ledger.Transaction", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    # Set once by ``mutualist tick`` when the due date has passed unpaid.
    overdue_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["collective", "status", "due_date"], name="billing_invoice_due"),
            models.Index(fields=["client", "status"], name="billing_invoice_client"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["invoice", "credit_note"]), name="billing_invoice_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "issued", "paid", "void"]),
                name="billing_invoice_status_valid",
            ),
            # Numbers are unique in a collective, and so is each place in a series.
            models.UniqueConstraint(
                fields=["collective", "number"],
                condition=~Q(number=""),
                name="billing_invoice_number_once",
            ),
            models.UniqueConstraint(
                fields=["collective", "series", "seq"],
                condition=Q(seq__isnull=False),
                name="billing_invoice_seq_once",
            ),
            # A draft has no number; anything issued has one, a date and a due date.
            models.CheckConstraint(
                condition=(
                    Q(status="draft", number="", seq__isnull=True, issue_date__isnull=True)
                    | (
                        ~Q(status="draft")
                        & ~Q(number="")
                        & Q(seq__isnull=False, issue_date__isnull=False, due_date__isnull=False)
                    )
                ),
                name="billing_invoice_numbered_when_issued",
            ),
            models.CheckConstraint(
                condition=Q(credits__isnull=True) | Q(kind="credit_note"),
                name="billing_invoice_only_credit_notes_credit",
            ),
            models.CheckConstraint(
                condition=Q(kind="invoice") | Q(credits__isnull=False),
                name="billing_invoice_credit_note_names_invoice",
            ),
            models.CheckConstraint(
                condition=Q(subtotal_minor__gte=0, tax_minor__gte=0)
                & Q(total_minor=F("subtotal_minor") + F("tax_minor")),
                name="billing_invoice_total_adds_up",
            ),
            models.CheckConstraint(
                condition=Q(tax_rate__gte=0, tax_rate__lte=100), name="billing_invoice_tax_0_100"
            ),
            # Never more paid or credited than the invoice asks for.
            models.CheckConstraint(
                condition=Q(paid_minor__gte=0, credited_minor__gte=0)
                & Q(total_minor__gte=F("paid_minor") + F("credited_minor")),
                name="billing_invoice_not_overpaid",
            ),
            models.CheckConstraint(
                condition=~Q(status="paid") | Q(paid_at__isnull=False),
                name="billing_invoice_paid_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"Draft #{self.pk}"

    @property
    def outstanding_minor(self) -> int:
        """What the client still owes on it."""
        if self.status == self.Status.DRAFT or self.kind == self.Kind.CREDIT_NOTE:
            return 0
        return self.total_minor - self.paid_minor - self.credited_minor

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT


class InvoiceLine(models.Model):
    """One line: hours of one member in one role at a bill rate, or a fixed item.

    Copies its description, quantity and rate: an issued invoice does not
    change when a rate or a name changes later.
    """

    class Kind(models.TextChoices):
        TIME = "time", "Time"
        FIXED = "fixed", "Fixed item"

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=6, choices=Kind.choices)
    description = models.CharField(max_length=200)
    # Hours for time (exact: minutes / 60, kept to four places for display;
    # the amount is computed from ``minutes``), a count for a fixed item.
    quantity = models.DecimalField(max_digits=14, decimal_places=4)
    minutes = models.IntegerField(null=True, blank=True)
    unit_price_minor = models.BigIntegerField()
    amount_minor = models.BigIntegerField()
    # Whose work it is: the member's share of each payment follows it. A
    # fixed item may name no one; its members' part then follows the others.
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    role_title = models.CharField(max_length=80, blank=True)
    # The member's pay rate for the hours, for a "pay" share basis.
    pay_rate_minor = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "position"], name="billing_invoiceline_position_once"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["time", "fixed"]), name="billing_invoiceline_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind="fixed") | Q(minutes__isnull=False, member__isnull=False),
                name="billing_invoiceline_time_has_member",
            ),
            models.CheckConstraint(
                condition=Q(unit_price_minor__gte=0), name="billing_invoiceline_price_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.description


class InvoicedTime(models.Model):
    """A time entry billed by an invoice. ``time_entry`` is unique: claiming
    an entry is one INSERT that a second claim, even a concurrent one, cannot
    repeat, so no hour is ever billed twice."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="billed_time")
    line = models.ForeignKey(
        InvoiceLine, on_delete=models.CASCADE, null=True, blank=True, related_name="entries"
    )
    time_entry = models.OneToOneField(
        "work.TimeEntry", on_delete=models.PROTECT, related_name="invoiced"
    )

    def __str__(self) -> str:
        return f"{self.time_entry_id} on {self.invoice}"


class InvoiceReminder(models.Model):
    """A reminder sent (or being sent) for an invoice on one of the
    collective's reminder days. Unique, so two schedulers never send the
    same reminder twice."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="reminders")
    days_from_due = models.SmallIntegerField()
    sent_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "days_from_due"], name="billing_invoicereminder_once"
            ),
        ]

    def __str__(self) -> str:
        return f"Reminder for {self.invoice} at {self.days_from_due:+d} days"
