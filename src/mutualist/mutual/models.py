"""Mutual funds: their versioned rules, who takes part, deposits, claims
and what was paid.

Money is never stored here as a balance: a fund's money is in the ledger
(``mutual.accounts``), and these rows say why it moved. Amounts are integer
minor units beside a currency, as everywhere.

The four kinds of fund, one of each per collective at most:

- ``sick_pay``: members deposit monthly into their own account inside the
  fund (a ``Participation`` with a tier); a sick member's monthly gift is
  drawn from the others' accounts in proportion to their tiers.
- ``guarantee``: a pooled fund fed by a levy on every paid invoice; it pays
  the members' shares of an overdue invoice and takes over the receivable.
- ``income_gap``: a pooled fund fed by a levy; tops up a member's month.
- ``savings``: a share of each member's payment parts goes into the member's
  own savings account; withdrawals are claims that pay the member back.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from mutualist.collectives.models import Collective


class Fund(models.Model):
    class Kind(models.TextChoices):
        SICK_PAY = "sick_pay", "Sick pay"
        GUARANTEE = "guarantee", "Payment guarantee"
        INCOME_GAP = "income_gap", "Income gap"
        SAVINGS = "savings", "Savings"

    class State(models.TextChoices):
        # Set up, its first rules under vote: takes no deposits or claims yet.
        SETTING_UP = "setting_up", "Rules under vote"
        ACTIVE = "active", "Active"

    collective = models.ForeignKey(Collective, on_delete=models.PROTECT, related_name="funds")
    # Also the fund's code in the bylaws' split rule (``guarantee``...).
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # The currency its rules' amounts are in and its own payouts are made in
    # (the collective's base currency when it was set up). A pooled fund may
    # also hold levies in the currencies its invoices were paid in.
    currency = models.CharField(max_length=3)
    state = models.CharField(max_length=16, choices=State.choices, default=State.SETTING_UP)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["collective", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["collective", "kind"], name="mutual_fund_one_per_kind"),
            models.CheckConstraint(
                condition=Q(kind__in=["sick_pay", "guarantee", "income_gap", "savings"]),
                name="mutual_fund_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["setting_up", "active"]), name="mutual_fund_state_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} fund of {self.collective}"

    @property
    def code(self) -> str:
        return self.kind


class FundRules(models.Model):
    """One version of a fund's rules. Written only when a ``fund_rule_change``
    proposal passes; never changed afterwards. The version in force on a day
    is the newest one whose ``effective_from`` is on or before it."""

    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="rule_versions")
    version = models.PositiveIntegerField()
    effective_from = models.DateField()
    # The kind's rules as ``mutual.rules`` checked and normalised them.
    rules = models.JSONField()
    proposal = models.OneToOneField(
        "governance.Proposal", on_delete=models.PROTECT, related_name="fund_rules"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["fund", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["fund", "version"], name="mutual_rules_version_once"),
            models.CheckConstraint(
                condition=Q(version__gte=1), name="mutual_rules_version_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.fund} rules v{self.version} from {self.effective_from}"


class Participation(models.Model):
    """A member's place in a fund that keeps an account per member: the
    sick-pay fund (with a tier) and savings (opened on the first saving)."""

    class State(models.TextChoices):
        ACTIVE = "active", "Active"
        LEFT = "left", "Left"

    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="participations")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="fund_participations"
    )
    # Index into the sick-pay rules' tiers (0 = the lowest); None for savings.
    tier = models.PositiveSmallIntegerField(null=True, blank=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.ACTIVE)
    joined_on = models.DateField()
    left_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["fund", "member"]
        constraints = [
            models.UniqueConstraint(fields=["fund", "member"], name="mutual_participation_once"),
            models.CheckConstraint(
                condition=Q(state="active", left_on__isnull=True)
                | Q(state="left", left_on__isnull=False),
                name="mutual_participation_left_dated",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} in {self.fund}"


class ParticipationChange(models.Model):
    """A tier change or an exit asked for, taking effect on one of the
    fund's set dates (``mutualist tick`` applies it that day)."""

    class Kind(models.TextChoices):
        TIER = "tier", "Tier change"
        EXIT = "exit", "Exit"

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        APPLIED = "applied", "Applied"
        CANCELLED = "cancelled", "Cancelled"

    participation = models.ForeignKey(
        Participation, on_delete=models.PROTECT, related_name="changes"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    tier = models.PositiveSmallIntegerField(null=True, blank=True)
    effective_on = models.DateField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    requested_at = models.DateTimeField(default=timezone.now)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["effective_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["participation"],
                condition=Q(state="pending"),
                name="mutual_change_one_pending",
            ),
            models.CheckConstraint(
                condition=Q(kind="tier", tier__isnull=False) | Q(kind="exit", tier__isnull=True),
                name="mutual_change_tier_named",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.effective_on}"


class Deposit(models.Model):
    """A month's deposit into a member's sick-pay account, taken from what
    the collective owes the member. ``arrears`` when the member's payable
    could not cover it; ``mutualist tick`` tries again until it can."""

    class State(models.TextChoices):
        PAID = "paid", "Paid"
        ARREARS = "arrears", "In arrears"

    participation = models.ForeignKey(
        Participation, on_delete=models.PROTECT, related_name="deposits"
    )
    # The first day of the month the deposit is for.
    month = models.DateField()
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    state = models.CharField(max_length=8, choices=State.choices)
    transaction = models.OneToOneField(
        "ledger.Transaction", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-month", "participation"]
        constraints = [
            models.UniqueConstraint(
                fields=["participation", "month"], name="mutual_deposit_once_a_month"
            ),
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="mutual_deposit_positive"),
            models.CheckConstraint(
                condition=Q(state="paid", transaction__isnull=False)
                | Q(state="arrears", transaction__isnull=True),
                name="mutual_deposit_paid_posted",
            ),
        ]

    def __str__(self) -> str:
        return f"Deposit for {self.month:%B %Y}: {self.amount_minor} {self.currency}"


class BufferRefund(models.Model):
    """Once a year, what a sick-pay account holds beyond its cap goes back
    to the member."""

    participation = models.ForeignKey(
        Participation, on_delete=models.PROTECT, related_name="buffer_refunds"
    )
    year = models.PositiveSmallIntegerField()
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    transaction = models.OneToOneField(
        "ledger.Transaction", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["participation", "year"], name="mutual_refund_once_a_year"
            ),
            models.CheckConstraint(
                condition=Q(amount_minor__gte=0), name="mutual_refund_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"Buffer refund {self.year}: {self.amount_minor} {self.currency}"


class ClientAgreement(models.Model):
    """A client signed the collective's payment agreement: the first
    condition for the payment guarantee to cover its invoices."""

    collective = models.ForeignKey(
        Collective, on_delete=models.PROTECT, related_name="client_agreements"
    )
    client = models.ForeignKey("work.Client", on_delete=models.PROTECT, related_name="+")
    signed_on = models.DateField()
    reference = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["collective", "client"], name="mutual_agreement_once_per_client"
            ),
        ]

    def __str__(self) -> str:
        return f"Agreement with client #{self.client_id}, signed {self.signed_on}"


class Claim(models.Model):
    """A member asks a fund for money: a sick period, an overdue invoice, a
    thin month, or their own savings back.

    Lifecycle: ``submitted`` -> ``approved`` (by enough peers, or by a
    ``claim_approval`` vote) -> ``paid`` (or ``partly_paid`` where the rules
    allow it, and ``ongoing`` for a sick period paid month by month); or
    ``rejected`` / ``expired`` / ``withdrawn``; a guarantee claim whose client
    never paid may end ``written_off`` by a vote. Approval reserves the
    amount (``reserved_minor``); payment posts it; rejection or expiry
    releases it.
    """

    class State(models.TextChoices):
        SUBMITTED = "submitted", "Waiting for approval"
        APPROVED = "approved", "Approved, waiting for payment"
        ONGOING = "ongoing", "Being paid monthly"
        PAID = "paid", "Paid"
        REJECTED = "rejected", "Rejected"
        EXPIRED = "expired", "Expired"
        WITHDRAWN = "withdrawn", "Withdrawn"
        ENDED = "ended", "Ended"
        WRITTEN_OFF = "written_off", "Paid; the invoice was written off"

    class Approval(models.TextChoices):
        PEERS = "peers", "By peers"
        VOTE = "vote", "By a vote"
        AUTOMATIC = "automatic", "Automatic"

    class Disclosure(models.TextChoices):
        # What the other members are told (approvers and coordinators always see all).
        EVERYTHING = "everything", "My name and my reason"
        NAME_ONLY = "name_only", "My name, not my reason"
        ANONYMOUS = "anonymous", "Neither my name nor my reason"

    LIVE_STATES = ("submitted", "approved", "ongoing")

    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="claims")
    collective = models.ForeignKey(Collective, on_delete=models.PROTECT, related_name="claims")
    claimant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="fund_claims"
    )
    # The rules in force on the claim date judge the claim, whatever passes later.
    rules = models.ForeignKey(FundRules, on_delete=models.PROTECT, related_name="claims")
    state = models.CharField(max_length=12, choices=State.choices, default=State.SUBMITTED)
    approval = models.CharField(max_length=10, choices=Approval.choices)
    approvals_needed = models.PositiveSmallIntegerField(default=0)
    proposal = models.OneToOneField(
        "governance.Proposal",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="claim",
    )
    disclosure = models.CharField(
        max_length=12, choices=Disclosure.choices, default=Disclosure.EVERYTHING
    )
    reason = models.TextField(blank=True)
    claim_date = models.DateField()
    # What is asked for, in ``currency``; None for a sick period (paid monthly).
    amount_minor = models.BigIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3)
    reserved_minor = models.BigIntegerField(default=0)
    paid_minor = models.BigIntegerField(default=0)
    # Sick pay: the period and whether the member is fully or half sick.
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    percent = models.PositiveSmallIntegerField(null=True, blank=True)
    # Guarantee: the overdue invoice.
    invoice = models.ForeignKey(
        "billing.Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Income gap: the month (its first day) that fell short.
    period = models.DateField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["fund", "state"], name="mutual_claim_fund_state")]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    state__in=[
                        "submitted",
                        "approved",
                        "ongoing",
                        "paid",
                        "rejected",
                        "expired",
                        "withdrawn",
                        "ended",
                        "written_off",
                    ]
                ),
                name="mutual_claim_state_valid",
            ),
            models.CheckConstraint(
                condition=Q(reserved_minor__gte=0, paid_minor__gte=0),
                name="mutual_claim_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(amount_minor__isnull=True)
                | Q(amount_minor__gt=0, paid_minor__lte=models.F("amount_minor")),
                name="mutual_claim_paid_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(amount_minor__isnull=True)
                | Q(reserved_minor__lte=models.F("amount_minor") - models.F("paid_minor")),
                name="mutual_claim_reserved_within_rest",
            ),
            models.CheckConstraint(
                condition=Q(percent__isnull=True) | Q(percent__in=[50, 100]),
                name="mutual_claim_percent_valid",
            ),
            # One live guarantee claim per invoice.
            models.UniqueConstraint(
                fields=["invoice"],
                condition=Q(invoice__isnull=False)
                & Q(state__in=["submitted", "approved", "paid", "written_off"]),
                name="mutual_claim_invoice_once",
            ),
            # One income-gap claim per member per month (refused ones may be made again).
            models.UniqueConstraint(
                fields=["fund", "claimant", "period"],
                condition=Q(period__isnull=False) & Q(state__in=["submitted", "approved", "paid"]),
                name="mutual_claim_period_once",
            ),
        ]

    def __str__(self) -> str:
        return f"Claim #{self.pk} on {self.fund}"

    @property
    def is_live(self) -> bool:
        return self.state in self.LIVE_STATES


class ClaimApproval(models.Model):
    """A peer's decision on a claim decided by peers: approve or reject."""

    class Decision(models.TextChoices):
        APPROVE = "approve", "Approve"
        REJECT = "reject", "Reject"

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="approvals")
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(max_length=8, choices=Decision.choices)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "approver"], name="mutual_approval_once"),
        ]

    def __str__(self) -> str:
        return f"{self.decision} on claim #{self.claim_id}"


class ClaimPayment(models.Model):
    """Money a claim was paid: one transaction. A sick claim has one per
    month (``month``); ``requested_minor`` is what the rules promised that
    month, more than ``amount_minor`` when the fund was short."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="payments")
    month = models.DateField(null=True, blank=True)
    amount_minor = models.BigIntegerField()
    requested_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    # None for a month's gift reduced to nothing (the fund held nothing to
    # give): the month is settled, at zero, like every gift that month.
    transaction = models.OneToOneField(
        "ledger.Transaction", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    paid_on = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["paid_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["claim", "month"],
                condition=Q(month__isnull=False),
                name="mutual_payment_once_a_month",
            ),
            models.CheckConstraint(
                condition=Q(amount_minor__gte=0, requested_minor__gte=models.F("amount_minor")),
                name="mutual_payment_within_request",
            ),
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0, transaction__isnull=False)
                | Q(amount_minor=0, transaction__isnull=True),
                name="mutual_payment_posted_unless_nothing",
            ),
        ]

    def __str__(self) -> str:
        return f"Payment of {self.amount_minor} {self.currency} on claim #{self.claim_id}"


class SickPayRun(models.Model):
    """A sick-pay fund's monthly payout run: the claim on the month that
    makes two schedulers pay it once, and the record of any shortfall
    (every gift that month reduced by the same share, ``paid/required``)."""

    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="sick_pay_runs")
    month = models.DateField()
    required_minor = models.BigIntegerField(default=0)
    available_minor = models.BigIntegerField(default=0)
    paid_minor = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-month"]
        constraints = [
            models.UniqueConstraint(fields=["fund", "month"], name="mutual_run_once_a_month"),
        ]

    def __str__(self) -> str:
        return f"Sick-pay run {self.month:%B %Y}"

    @property
    def reduced(self) -> bool:
        return self.paid_minor < self.required_minor


class GuaranteeAdvance(models.Model):
    """What the guarantee fund paid one member for their share of an unpaid
    invoice. Until the client pays, that much of the member's share of later
    payments goes back to the fund (billing's ``PaymentDiversion`` rows with
    reason ``guarantee_refill`` record each refill)."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="advances")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    advanced_minor = models.BigIntegerField()
    recovered_minor = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["claim", "member"], name="mutual_advance_once"),
            models.CheckConstraint(
                condition=Q(advanced_minor__gt=0, recovered_minor__gte=0)
                & Q(recovered_minor__lte=models.F("advanced_minor")),
                name="mutual_advance_recovered_within",
            ),
        ]

    def __str__(self) -> str:
        return f"Advance of {self.advanced_minor} {self.currency} on claim #{self.claim_id}"


class SolvencyRun(models.Model):
    """A stored solvency estimate of a fund (``services.solvency``): the
    simulator's figures for one set of inputs, computed on one day.

    A cache of estimates, never money: no ledger posting points here and no
    amount is a balance. ``digest`` is the SHA-256 of everything that
    determines the figures (the engine model's parameters, months, paths,
    the first simulated month); the seed comes from the fund and the day
    (``services.solvency.seed_of``), so the same inputs the same day give
    the same figures. One row per fund, digest and day: two viewers
    computing at once store one row, the second reads the first's. Rows
    older than ``services.solvency.KEEP_DAYS`` are deleted by ``mutualist
    tick``."""

    fund = models.ForeignKey(Fund, on_delete=models.CASCADE, related_name="solvency_runs")
    # The open rule-change proposal whose rules were simulated; None for the rules in force.
    proposal = models.ForeignKey(
        "governance.Proposal",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="solvency_runs",
    )
    digest = models.CharField(max_length=64)
    computed_on = models.DateField()
    computed_at = models.DateTimeField(default=timezone.now)
    # What went in (the model's parameters, the assumptions shown) and what
    # came out (money as decimal strings in the fund's currency,
    # probabilities as floats).
    inputs = models.JSONField()
    results = models.JSONField()
    paths = models.PositiveIntegerField()
    months = models.PositiveSmallIntegerField()
    seed = models.BigIntegerField()
    milliseconds = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-computed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["fund", "digest", "computed_on"], name="mutual_solvency_once_a_day"
            ),
            models.CheckConstraint(
                condition=Q(paths__gte=1, months__gte=1, seed__gte=0),
                name="mutual_solvency_run_sizes_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"Solvency of {self.fund} on {self.computed_on}"
