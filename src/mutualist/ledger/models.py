"""The books: accounts, transactions and their postings.

Sign convention (Beancount's): a posting's amount is positive for a debit and
negative for a credit. Assets and expenses normally hold a positive balance;
liabilities, income and equity a negative one. Every transaction sums to zero
in each currency.

Only ``ledger.services`` writes here. Posted transactions and postings are
never changed or deleted; the database refuses it (migration 0002), and on
PostgreSQL it also refuses, at commit, a transaction that does not balance.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone

from mutualist.collectives.models import Collective


class Account(models.Model):
    class Type(models.TextChoices):
        ASSETS = "assets", "Assets"
        LIABILITIES = "liabilities", "Liabilities"
        INCOME = "income", "Income"
        EXPENSES = "expenses", "Expenses"
        EQUITY = "equity", "Equity"

    class OwnerKind(models.TextChoices):
        COLLECTIVE = "collective", "Collective"
        MEMBER = "member", "Member"
        FUND = "fund", "Fund"
        CLIENT = "client", "Client"

    # Debit-normal types hold a positive balance; the others a negative one.
    DEBIT_NORMAL = frozenset({Type.ASSETS, Type.EXPENSES})
    # The root of the account's name for each type, as Beancount spells it.
    ROOTS = {
        Type.ASSETS: "Assets",
        Type.LIABILITIES: "Liabilities",
        Type.INCOME: "Income",
        Type.EXPENSES: "Expenses",
        Type.EQUITY: "Equity",
    }

    # Whose books the account is in; every posting of a transaction is in one
    # collective's books, so each collective's trial balance sums to zero.
    collective = models.ForeignKey(Collective, on_delete=models.PROTECT, related_name="accounts")
    name = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=16, choices=Type.choices)
    currency = models.CharField(max_length=3)
    owner_kind = models.CharField(max_length=16, choices=OwnerKind.choices)
    # Who the account belongs to when it is not the collective itself: a member
    # (the user), a fund or a client. Generic, so the ledger knows nothing of
    # funds or clients; their apps pass the owner in.
    owner_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    owner_id = models.PositiveBigIntegerField(null=True, blank=True)
    owner = GenericForeignKey("owner_type", "owner_id")
    must_not_go_negative = models.BooleanField(default=False)
    # The sum of the account's postings, kept by ``transaction_post`` in the
    # same database transaction; ``mutualist ledger check`` re-derives it.
    balance_minor = models.BigIntegerField(default=0)
    description = models.CharField(max_length=200, blank=True)
    opened_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["owner_type", "owner_id"], name="ledger_account_owner")]
        constraints = [
            models.CheckConstraint(
                condition=Q(type__in=["assets", "liabilities", "income", "expenses", "equity"]),
                name="ledger_account_type_valid",
            ),
            models.CheckConstraint(
                condition=Q(owner_kind__in=["collective", "member", "fund", "client"]),
                name="ledger_account_owner_kind_valid",
            ),
            # The collective's own accounts have no other owner; every other
            # account names one.
            models.CheckConstraint(
                condition=(
                    Q(owner_kind="collective", owner_type__isnull=True, owner_id__isnull=True)
                    | (
                        ~Q(owner_kind="collective")
                        & Q(owner_type__isnull=False, owner_id__isnull=False)
                    )
                ),
                name="ledger_account_owner_named",
            ),
            # The last line of defence for rule 4 of DESIGN.md: even a writer
            # that skipped the row lock cannot leave such an account on the
            # wrong side of zero.
            models.CheckConstraint(
                condition=(
                    Q(must_not_go_negative=False)
                    | Q(type__in=["assets", "expenses"], balance_minor__gte=0)
                    | Q(type__in=["liabilities", "income", "equity"], balance_minor__lte=0)
                ),
                name="ledger_account_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_debit_normal(self) -> bool:
        return self.type in self.DEBIT_NORMAL

    def would_go_negative(self, balance_minor: int) -> bool:
        """Whether ``balance_minor`` is on the wrong side of zero for this account."""
        return balance_minor < 0 if self.is_debit_normal else balance_minor > 0


class Transaction(models.Model):
    collective = models.ForeignKey(
        Collective, on_delete=models.PROTECT, related_name="ledger_transactions"
    )
    occurred_at = models.DateField()
    posted_at = models.DateTimeField(default=timezone.now)
    memo = models.CharField(max_length=500)
    # What sort of movement this is ("opening", "transfer", "conversion",
    # "reversal", later "payment", "payout"...); the ledger does not interpret it.
    kind = models.CharField(max_length=40)
    idempotency_key = models.CharField(max_length=200, unique=True)
    # sha256 of the request's content: a retry with the same key must carry it.
    fingerprint = models.CharField(max_length=64)
    # What caused it (an invoice, a payment, a claim), generic for the same
    # reason as an account's owner.
    cause_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cause_id = models.PositiveBigIntegerField(null=True, blank=True)
    cause = GenericForeignKey("cause_type", "cause_id")
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    # A conversion records the rate it used (units of the target currency per
    # unit of the source) and where the rate came from.
    fx_rate = models.DecimalField(max_digits=30, decimal_places=12, null=True, blank=True)
    fx_rate_source = models.CharField(max_length=200, blank=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [
            models.Index(fields=["collective", "occurred_at", "id"], name="ledger_tx_journal"),
            models.Index(fields=["cause_type", "cause_id"], name="ledger_tx_cause"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(cause_type__isnull=True, cause_id__isnull=True)
                | Q(cause_type__isnull=False, cause_id__isnull=False),
                name="ledger_transaction_cause_whole",
            ),
            models.CheckConstraint(
                condition=Q(fx_rate__isnull=True) | Q(fx_rate__gt=0),
                name="ledger_transaction_fx_rate_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.occurred_at} {self.memo}"


class Posting(models.Model):
    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT, related_name="postings")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="postings")
    # Signed minor units: debit positive, credit negative.
    amount_minor = models.BigIntegerField()
    # The account's currency, copied so a transaction balances per currency in
    # one GROUP BY; the database refuses a posting whose currency differs.
    currency = models.CharField(max_length=3)
    # The transaction's date, copied so an account's balance as of a date and
    # its statement read one index (account, date) without a join.
    occurred_at = models.DateField()

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [
            # Covers balance-as-of and statements: index-only on both engines.
            models.Index(
                fields=["account", "occurred_at", "id", "amount_minor"],
                name="ledger_posting_statement",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(amount_minor=0), name="ledger_posting_amount_nonzero"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.amount_minor} {self.currency}"


class ExchangeRate(models.Model):
    """How many units of ``quote`` one unit of ``base`` buys on a day.

    Reference rates imported from the European Central Bank are everyone's
    (no collective); a coordinator's rate belongs to their collective and is
    preferred there.
    """

    class Source(models.TextChoices):
        ECB = "ecb", "European Central Bank"
        MANUAL = "manual", "Entered by a coordinator"

    base = models.CharField(max_length=3)
    quote = models.CharField(max_length=3)
    rate = models.DecimalField(max_digits=30, decimal_places=12)
    on = models.DateField()
    source = models.CharField(max_length=16, choices=Source.choices)
    collective = models.ForeignKey(
        Collective, null=True, blank=True, on_delete=models.CASCADE, related_name="exchange_rates"
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-on", "base", "quote"]
        indexes = [models.Index(fields=["base", "quote", "on"], name="ledger_rate_lookup")]
        constraints = [
            models.CheckConstraint(condition=Q(rate__gt=0), name="ledger_rate_positive"),
            models.CheckConstraint(condition=~Q(base=models.F("quote")), name="ledger_rate_pair"),
            models.CheckConstraint(
                condition=Q(source="ecb", collective__isnull=True)
                | Q(source="manual", collective__isnull=False),
                name="ledger_rate_source_scope",
            ),
            models.UniqueConstraint(
                fields=["base", "quote", "on"],
                condition=Q(collective__isnull=True),
                name="ledger_rate_reference_once",
            ),
            models.UniqueConstraint(
                fields=["collective", "base", "quote", "on"],
                condition=Q(collective__isnull=False),
                name="ledger_rate_collective_once",
            ),
        ]

    def __str__(self) -> str:
        return f"1 {self.base} = {self.rate} {self.quote} on {self.on} ({self.source})"
