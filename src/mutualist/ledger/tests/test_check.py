"""``ledger_check`` re-derives the books from their postings and names every broken rule.

Good books are built through the services; broken ones are made by writing
rows behind the services' backs, as a bug, a bad restore or a hand-edit
would. The database refuses most such writes, so some tests lift one of its
triggers first. Every corrupting test runs inside the ``corrupted`` savepoint,
rolled back before the test ends: Django's ``TestCase`` checks deferred
constraints at teardown (``SET CONSTRAINTS ALL IMMEDIATE``), and on
PostgreSQL the deferred balance triggers would refuse the rows then.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from mutualist.collectives.models import Collective
from mutualist.core.money import Money
from mutualist.ledger.check import Violation, ledger_check
from mutualist.ledger.models import Account, Posting, Transaction
from mutualist.ledger.services import (
    Line,
    account_open,
    currency_convert,
    transaction_post,
    transaction_reverse,
)
from mutualist.testing import Books

DAY = dt.date(2026, 2, 1)


@pytest.fixture
def corrupted(books: Books) -> Iterator[None]:
    """A savepoint for rows no service would write, rolled back (with any
    lifted trigger) before Django's teardown checks the deferred constraints."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def corrupt_post(
    collective: Collective,
    rows: Sequence[tuple[Any, ...]],
    *,
    day: dt.date = DAY,
    memo: str = "written behind the ledger's back",
) -> Transaction:
    """A transaction and its postings inserted directly, as no service would:
    ``rows`` are ``(account, amount_minor)`` or ``(account, amount_minor,
    currency, posting_day)``. The accounts' cached balances follow the
    postings (as ``transaction_post`` keeps them), so the only fault is the
    one the rows carry."""
    tx = Transaction.objects.create(
        collective=collective,
        occurred_at=day,
        memo=memo,
        kind="transfer",
        idempotency_key=f"corrupt:{Transaction.objects.count()}",
        fingerprint="0" * 64,
    )
    postings = []
    for row in rows:
        account, minor = row[0], row[1]
        currency = row[2] if len(row) > 2 else account.currency
        posting_day = row[3] if len(row) > 3 else day
        postings.append(
            Posting(
                transaction=tx,
                account=account,
                amount_minor=minor,
                currency=currency,
                occurred_at=posting_day,
            )
        )
    Posting.objects.bulk_create(postings)
    return tx


def follow_cache(*rows: tuple[Account, int]) -> None:
    for account, minor in rows:
        Account.objects.filter(pk=account.pk).update(balance_minor=F("balance_minor") + minor)


def lift_posting_consistency_trigger() -> None:
    """Let a posting disagree with its account or transaction (the database
    refuses it at insert). Rolled back with the test's transaction."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER ledger_posting_consistent ON ledger_posting")
        else:
            cursor.execute("DROP TRIGGER ledger_posting_consistent")


def post_a_busy_month(books: Books) -> None:
    """Transfers, a conversion and a reversal, all through the services."""
    transfer = transaction_post(
        lines=[
            Line(books.ana_payable, Money("-2500", "PHP")),
            Line(books.bank, Money("2500", "PHP")),
        ],
        memo="Ana's share of the Acme invoice",
        occurred_at=DAY,
        idempotency_key="check:share:ana",
        kind="transfer",
    )
    transaction_reverse(
        original=transfer, idempotency_key="check:share:ana:reverse", occurred_at=DAY
    )
    currency_convert(
        source=books.bank,
        target=books.usd_bank,
        amount=Money("5800", "PHP"),
        occurred_at=DAY,
        idempotency_key="check:convert",
        rate=Decimal("0.0172"),
        rate_source="bank statement",
    )


def test_it_finds_nothing_wrong_with_books_written_by_the_services(books):
    # given
    post_a_busy_month(books)
    # when / then
    assert ledger_check() == []
    assert ledger_check(collective=books.cast.collective_a) == []
    assert ledger_check(collective=books.cast.collective_b) == []


def test_it_finds_nothing_wrong_with_empty_books(db):
    assert ledger_check() == []


def test_it_reports_a_cached_balance_that_differs_from_the_postings(books):
    # given: the cache says one centavo more than the postings
    Account.objects.filter(pk=books.bank.pk).update(balance_minor=F("balance_minor") + 1)
    # when
    violations = ledger_check()
    # then
    assert violations == [
        Violation(
            "balance_cache_mismatch",
            "Assets:Collectives:ManilaVa:Bank:PHP holds a cached balance of 100000.01 PHP, "
            "but its postings sum to 100000.00 PHP",
            account_id=books.bank.pk,
        )
    ]


def test_it_reports_a_transaction_that_does_not_balance_and_the_currency_it_unbalances(
    books, corrupted
):
    # given: 5.00 PHP in, 3.00 PHP out
    tx = corrupt_post(books.cast.collective_a, [(books.bank, 500), (books.opening, -300)])
    follow_cache((books.bank, 500), (books.opening, -300))
    # when
    violations = ledger_check()
    # then
    assert violations == [
        Violation(
            "unbalanced_transaction",
            f"transaction #{tx.pk} does not balance: its PHP postings sum to 2.00 PHP",
            transaction_id=tx.pk,
        ),
        Violation(
            "unbalanced_currency", "PHP does not sum to zero across the ledger: 2.00 PHP left over"
        ),
    ]


def test_it_reports_a_transaction_with_fewer_than_two_postings(books, corrupted):
    # given
    empty = corrupt_post(books.cast.collective_a, [])
    # when / then
    assert ledger_check() == [
        Violation(
            "too_few_postings",
            f"transaction #{empty.pk} has 0 postings; a transaction needs at least two",
            transaction_id=empty.pk,
        )
    ]


def test_it_reports_a_one_sided_transaction_on_every_rule_it_breaks(books, corrupted):
    # given: a lone posting, cached as if it were real
    lone = corrupt_post(books.cast.collective_a, [(books.bank, 100)])
    follow_cache((books.bank, 100))
    # when / then
    assert [(v.code, v.transaction_id) for v in ledger_check()] == [
        ("too_few_postings", lone.pk),
        ("unbalanced_transaction", lone.pk),
        ("unbalanced_currency", None),
    ]


def test_it_reports_an_account_that_must_not_go_negative_on_the_wrong_side_of_zero(
    books, corrupted
):
    # given: 1,050.00 PHP taken out of a fund that holds 1,000.00. The
    # database refuses to cache a negative balance for it, so the cache
    # stays at 1,000.00 and is reported too.
    corrupt_post(books.cast.collective_a, [(books.fund, -105000), (books.bank, 105000)])
    follow_cache((books.bank, 105000))
    # when
    violations = ledger_check()
    # then
    fund = "Assets:Collectives:ManilaVa:Funds:SickPay:Cash"
    assert violations == [
        Violation(
            "negative_balance",
            f"{fund} must not go negative, but its postings sum to -50.00 PHP",
            account_id=books.fund.pk,
        ),
        Violation(
            "balance_cache_mismatch",
            f"{fund} holds a cached balance of 1000.00 PHP, but its postings sum to -50.00 PHP",
            account_id=books.fund.pk,
        ),
    ]


def test_it_reports_a_payable_pushed_into_debit(books, corrupted):
    # given: a credit-normal account (Ana's payable) with a debit balance
    corrupt_post(books.cast.collective_a, [(books.ana_payable, 700), (books.opening, -700)])
    follow_cache((books.opening, -700))
    # when / then
    assert [(v.code, v.account_id) for v in ledger_check()] == [
        ("negative_balance", books.ana_payable.pk),
        ("balance_cache_mismatch", books.ana_payable.pk),
    ]


def test_it_reports_a_posting_in_another_currency_than_its_account(books, corrupted):
    # given: 1.00 USD posted to the PHP bank account (balanced in USD)
    lift_posting_consistency_trigger()
    tx = corrupt_post(
        books.cast.collective_a, [(books.bank, 100, "USD", DAY), (books.usd_bank, -100)]
    )
    follow_cache((books.bank, 100), (books.usd_bank, -100))
    wrong = Posting.objects.get(transaction=tx, account=books.bank)
    # when / then
    assert ledger_check() == [
        Violation(
            "posting_currency_mismatch",
            f"posting #{wrong.pk} of transaction #{tx.pk} is in USD but its account "
            "Assets:Collectives:ManilaVa:Bank:PHP holds PHP",
            transaction_id=tx.pk,
            posting_id=wrong.pk,
        )
    ]


def test_it_reports_a_posting_dated_otherwise_than_its_transaction(books, corrupted):
    # given
    lift_posting_consistency_trigger()
    later = DAY + dt.timedelta(days=1)
    tx = corrupt_post(
        books.cast.collective_a, [(books.bank, 100, "PHP", later), (books.opening, -100)]
    )
    follow_cache((books.bank, 100), (books.opening, -100))
    wrong = Posting.objects.get(transaction=tx, account=books.bank)
    # when / then
    assert ledger_check() == [
        Violation(
            "posting_date_mismatch",
            f"posting #{wrong.pk} is dated 2026-02-02 but its transaction #{tx.pk} "
            "is dated 2026-02-01",
            transaction_id=tx.pk,
            posting_id=wrong.pk,
        )
    ]


def test_it_reports_a_posting_in_another_collectives_books(books, corrupted):
    # given: a transaction of collective A moving collective B's money
    lift_posting_consistency_trigger()
    tx = corrupt_post(books.cast.collective_a, [(books.b_bank, 100), (books.b_opening, -100)])
    follow_cache((books.b_bank, 100), (books.b_opening, -100))
    # when
    violations = ledger_check()
    # then
    assert [(v.code, v.transaction_id) for v in violations] == [
        ("posting_books_mismatch", tx.pk),
        ("posting_books_mismatch", tx.pk),
    ]
    assert violations[0].message == (
        f"posting #{violations[0].posting_id} of transaction #{tx.pk} (books of manila-va) "
        "is to Assets:Collectives:RemoteCrew:Bank:USD, which is in the books of remote-crew"
    )


def test_it_checks_only_the_named_collectives_books(books):
    # given: collective B's cache is wrong
    Account.objects.filter(pk=books.b_bank.pk).update(balance_minor=F("balance_minor") - 1)
    # when / then
    assert ledger_check(collective=books.cast.collective_a) == []
    assert [v.account_id for v in ledger_check(collective=books.cast.collective_b)] == [
        books.b_bank.pk
    ]


def test_it_scopes_the_currency_total_to_the_named_collective(books, corrupted):
    # given
    corrupt_post(books.cast.collective_b, [(books.b_bank, 100), (books.b_opening, -1)])
    follow_cache((books.b_bank, 100), (books.b_opening, -1))
    # when
    violations = ledger_check(collective=books.cast.collective_b)
    # then
    assert violations[-1] == Violation(
        "unbalanced_currency",
        "USD does not sum to zero in the books of remote-crew: 0.99 USD left over",
    )
    assert ledger_check(collective=books.cast.collective_a) == []


@pytest.mark.parametrize("currency", ["JPY", "BHD"])
def test_it_speaks_in_each_currencys_own_decimals(books, currency):
    # given
    account = account_open(
        collective=books.cast.collective_a,
        name=f"Assets:Collectives:ManilaVa:Bank:{currency}",
        type="assets",
        currency=currency,
    )
    Account.objects.filter(pk=account.pk).update(balance_minor=1250)
    # when
    (violation,) = ledger_check()
    # then
    expected = {"JPY": "1250 JPY", "BHD": "1.250 BHD"}[currency]
    assert violation.message.endswith(
        f"holds a cached balance of {expected}, but its postings sum to "
        f"{'0' if currency == 'JPY' else '0.000'} {currency}"
    )
    assert violation.account_id == account.pk


def test_its_number_of_queries_does_not_grow_with_the_postings(books, django_assert_num_queries):
    # given: the number of queries on the fixture's books
    with CaptureQueriesContext(connection) as few:
        ledger_check()
    # when: forty more transactions
    for n in range(40):
        transaction_post(
            lines=[Line(books.bank, Money("1", "PHP")), Line(books.opening, Money("-1", "PHP"))],
            memo=f"Top-up {n}",
            occurred_at=DAY,
            idempotency_key=f"check:topup:{n}",
            kind="transfer",
        )
    # then
    with django_assert_num_queries(len(few.captured_queries)):
        assert ledger_check() == []
