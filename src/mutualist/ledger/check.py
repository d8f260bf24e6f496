"""``ledger_check``: re-derive the books from their postings and say what is wrong.

``transaction_post`` and the database's rules (migration 0002) keep the books
right as they are written; this is the audit that does not trust them. It
reads the postings afresh and verifies DESIGN.md's ledger rules:

- every transaction has at least two postings and balances in each currency;
- each currency sums to zero across the whole ledger (or across one
  collective's books: a transaction never leaves them);
- no ``must_not_go_negative`` account is on the wrong side of zero;
- each account's cached ``balance_minor`` equals the sum of its postings;
- each posting carries its account's currency and books and its
  transaction's date.

Every rule is one grouped SQL query, so the cost grows with the number of
accounts and of violations, not with a Python loop over the postings. All
queries read one consistent snapshot (``consistent_snapshot``), so a
transaction posted while the check runs cannot show up as a false mismatch.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, F, QuerySet, Sum

from mutualist.collectives.models import Collective
from mutualist.core.errors import DomainError
from mutualist.core.reference import from_minor_units
from mutualist.ledger.models import Account, Posting, Transaction


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule. ``code`` is stable (for scripts and alerts);
    ``message`` is a sentence naming the transaction, posting or account."""

    code: str
    message: str
    transaction_id: int | None = None
    posting_id: int | None = None
    account_id: int | None = None

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


@contextlib.contextmanager
def consistent_snapshot() -> Iterator[None]:
    """Run the enclosed reads against one snapshot of the database.

    On PostgreSQL a read-only REPEATABLE READ transaction (READ COMMITTED,
    the default, gives each statement its own snapshot: a posting committed
    between the sum of the postings and the read of the cached balances would
    be reported as a mismatch). On SQLite one transaction is enough (this
    project's transactions begin IMMEDIATE, so writers wait until it ends).
    Inside an existing atomic block (a test, a caller's transaction) the
    caller's transaction is used as it is, with its own isolation level.
    """
    if connection.in_atomic_block:
        yield
        return
    with transaction.atomic(durable=True):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def _money(minor: int | Decimal, currency: str) -> str:
    # Violations describe broken data: a currency code no table knows must
    # still be reported, not crash the report.
    try:
        return f"{from_minor_units(int(minor), currency):f} {currency}"
    except DomainError:
        return f"{int(minor)} minor units of {currency!r}"


def _scoped_postings(collective: Collective | None) -> QuerySet[Posting]:
    postings = Posting.objects.all()
    if collective is not None:
        postings = postings.filter(transaction__collective=collective)
    return postings


def ledger_check(*, collective: Collective | None = None) -> list[Violation]:
    """Every violation of the ledger's rules, in a stable order; ``[]`` when
    the books are right. With ``collective``, only its books are checked."""
    with consistent_snapshot():
        return [
            *_transactions_with_too_few_postings(collective),
            *_unbalanced_transactions(collective),
            *_unbalanced_currencies(collective),
            *_postings_unlike_their_account_or_transaction(collective),
            *_accounts(collective),
        ]


def _transactions_with_too_few_postings(collective: Collective | None) -> list[Violation]:
    transactions = Transaction.objects.all()
    if collective is not None:
        transactions = transactions.filter(collective=collective)
    short = (
        transactions.annotate(count=Count("postings"))
        .filter(count__lt=2)
        .order_by("id")
        .values_list("id", "count")
    )
    return [
        Violation(
            "too_few_postings",
            f"transaction #{pk} has {count} posting{'' if count == 1 else 's'}; "
            "a transaction needs at least two",
            transaction_id=pk,
        )
        for pk, count in short
    ]


def _unbalanced_transactions(collective: Collective | None) -> list[Violation]:
    rows = (
        _scoped_postings(collective)
        .values("transaction_id", "currency")
        .annotate(total=Sum("amount_minor"))
        .exclude(total=0)
        .order_by("transaction_id", "currency")
        .values_list("transaction_id", "currency", "total")
    )
    return [
        Violation(
            "unbalanced_transaction",
            f"transaction #{pk} does not balance: its {currency} postings sum to "
            f"{_money(total, currency)}",
            transaction_id=pk,
        )
        for pk, currency, total in rows
    ]


def _unbalanced_currencies(collective: Collective | None) -> list[Violation]:
    where = "across the ledger" if collective is None else f"in the books of {collective.slug}"
    rows = (
        _scoped_postings(collective)
        .values("currency")
        .annotate(total=Sum("amount_minor"))
        .exclude(total=0)
        .order_by("currency")
        .values_list("currency", "total")
    )
    return [
        Violation(
            "unbalanced_currency",
            f"{currency} does not sum to zero {where}: {_money(total, currency)} left over",
        )
        for currency, total in rows
    ]


def _postings_unlike_their_account_or_transaction(
    collective: Collective | None,
) -> list[Violation]:
    postings = _scoped_postings(collective)
    violations = [
        Violation(
            "posting_currency_mismatch",
            f"posting #{pk} of transaction #{tx} is in {currency} but its account "
            f"{account} holds {account_currency}",
            transaction_id=tx,
            posting_id=pk,
        )
        for pk, tx, currency, account, account_currency in postings.exclude(
            currency=F("account__currency")
        )
        .order_by("id")
        .values_list("id", "transaction_id", "currency", "account__name", "account__currency")
    ]
    violations += [
        Violation(
            "posting_date_mismatch",
            f"posting #{pk} is dated {day} but its transaction #{tx} is dated {tx_day}",
            transaction_id=tx,
            posting_id=pk,
        )
        for pk, tx, day, tx_day in postings.exclude(occurred_at=F("transaction__occurred_at"))
        .order_by("id")
        .values_list("id", "transaction_id", "occurred_at", "transaction__occurred_at")
    ]
    violations += [
        Violation(
            "posting_books_mismatch",
            f"posting #{pk} of transaction #{tx} (books of {books}) is to {account}, "
            f"which is in the books of {account_books}",
            transaction_id=tx,
            posting_id=pk,
        )
        for pk, tx, books, account, account_books in postings.exclude(
            account__collective=F("transaction__collective")
        )
        .order_by("id")
        .values_list(
            "id",
            "transaction_id",
            "transaction__collective__slug",
            "account__name",
            "account__collective__slug",
        )
    ]
    return violations


def _accounts(collective: Collective | None) -> list[Violation]:
    """Cached balances and the must-not-go-negative rule, from one grouped
    sum per account (a loop over the accounts, never over the postings)."""
    accounts = Account.objects.all()
    if collective is not None:
        accounts = accounts.filter(collective=collective)
    postings = Posting.objects.all()
    if collective is not None:
        postings = postings.filter(account__collective=collective)
    derived = dict(
        postings.values("account_id")
        .annotate(total=Sum("amount_minor"))
        .order_by()
        .values_list("account_id", "total")
    )
    violations: list[Violation] = []
    for account in accounts.order_by("name").only(
        "id", "name", "type", "currency", "must_not_go_negative", "balance_minor"
    ):
        total = int(derived.get(account.pk, 0))
        if account.must_not_go_negative and account.would_go_negative(total):
            violations.append(
                Violation(
                    "negative_balance",
                    f"{account.name} must not go negative, but its postings sum to "
                    f"{_money(total, account.currency)}",
                    account_id=account.pk,
                )
            )
        if account.balance_minor != total:
            violations.append(
                Violation(
                    "balance_cache_mismatch",
                    f"{account.name} holds a cached balance of "
                    f"{_money(account.balance_minor, account.currency)}, but its postings "
                    f"sum to {_money(total, account.currency)}",
                    account_id=account.pk,
                )
            )
    return violations
