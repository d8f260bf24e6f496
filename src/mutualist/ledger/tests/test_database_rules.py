"""The database itself refuses what the ledger's rules forbid, whoever writes.

These go around the services on purpose (the ORM's update/delete, raw SQL)
to show the last line holds on both engines.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from mutualist.core.money import Money
from mutualist.ledger.models import Account, Posting, Transaction
from mutualist.ledger.services import Line, transaction_post
from mutualist.testing import Books

pytestmark = pytest.mark.django_db


@pytest.fixture
def posted(books: Books) -> Transaction:
    return transaction_post(
        lines=[Line(books.fund, Money("5", "PHP")), Line(books.bank, Money("-5", "PHP"))],
        memo="Bank to fund",
        occurred_at=dt.date(2026, 3, 2),
        idempotency_key="rules",
    )


def refused(action: object) -> str:
    with pytest.raises((IntegrityError, DatabaseError)) as error, transaction.atomic():
        action()  # type: ignore[operator]
    return str(error.value)


def test_a_posting_cannot_be_changed(posted: Transaction) -> None:
    posting = posted.postings.first()
    assert posting is not None
    message = refused(lambda: Posting.objects.filter(pk=posting.pk).update(amount_minor=1))
    assert "immutable" in message
    assert Posting.objects.get(pk=posting.pk).amount_minor == posting.amount_minor


def test_a_posting_cannot_be_deleted(posted: Transaction) -> None:
    before = Posting.objects.count()
    assert "immutable" in refused(lambda: Posting.objects.filter(transaction=posted).delete())
    assert Posting.objects.count() == before


def test_a_transaction_cannot_be_changed_or_deleted(posted: Transaction) -> None:
    assert "immutable" in refused(
        lambda: Transaction.objects.filter(pk=posted.pk).update(memo="edited")
    )
    assert "immutable" in refused(
        lambda: connection.cursor().execute(
            "DELETE FROM ledger_transaction WHERE id = %s", [posted.pk]
        )
    )
    assert Transaction.objects.get(pk=posted.pk).memo == "Bank to fund"


def test_a_posting_must_carry_its_accounts_currency(posted: Transaction, books: Books) -> None:
    message = refused(
        lambda: Posting.objects.create(
            transaction=posted,
            account=books.bank,
            amount_minor=1,
            currency="USD",
            occurred_at=posted.occurred_at,
        )
    )
    assert "must match" in message


def test_a_posting_stays_in_its_transactions_books(posted: Transaction, books: Books) -> None:
    message = refused(
        lambda: Posting.objects.create(
            transaction=posted,
            account=books.b_bank,
            amount_minor=1,
            currency="USD",
            occurred_at=posted.occurred_at,
        )
    )
    assert "must match" in message


def test_a_zero_posting_is_refused(posted: Transaction, books: Books) -> None:
    refused(
        lambda: Posting.objects.create(
            transaction=posted,
            account=books.bank,
            amount_minor=0,
            currency="PHP",
            occurred_at=posted.occurred_at,
        )
    )


def test_an_accounts_identity_is_frozen_but_its_balance_moves(books: Books) -> None:
    for change in ({"name": "Assets:Other"}, {"currency": "USD"}, {"type": "expenses"}):
        assert "cannot change" in refused(
            lambda change=change: Account.objects.filter(pk=books.bank.pk).update(**change)
        )
    Account.objects.filter(pk=books.bank.pk).update(balance_minor=1)  # the cache may move


def test_an_account_that_must_not_go_negative_cannot_be_left_negative(books: Books) -> None:
    refused(lambda: Account.objects.filter(pk=books.fund.pk).update(balance_minor=-1))
    refused(lambda: Account.objects.filter(pk=books.ana_payable.pk).update(balance_minor=1))
    books.fund.refresh_from_db()
    assert books.fund.balance_minor == 100_000


@pytest.mark.skipif(connection.vendor != "postgresql", reason="deferred triggers are PostgreSQL's")
def test_postgresql_refuses_an_unbalanced_transaction_at_commit(books: Books) -> None:
    with (
        pytest.raises(IntegrityError) as error,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO ledger_transaction (collective_id, occurred_at, posted_at, memo,"
            " kind, idempotency_key, fingerprint, fx_rate_source)"
            " VALUES (%s, '2026-03-02', now(), 'raw', 'transfer', 'raw', '', '') RETURNING id",
            [books.cast.collective_a.pk],
        )
        (tx_id,) = cursor.fetchone()
        cursor.execute(
            "INSERT INTO ledger_posting (transaction_id, account_id, amount_minor, currency,"
            " occurred_at) VALUES (%s, %s, 100, 'PHP', '2026-03-02'),"
            " (%s, %s, -99, 'PHP', '2026-03-02')",
            [tx_id, books.bank.pk, tx_id, books.opening.pk],
        )
        # What COMMIT does: run the deferred constraint triggers.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert "does not balance" in str(error.value)
    assert not Transaction.objects.filter(idempotency_key="raw").exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="deferred triggers are PostgreSQL's")
def test_postgresql_refuses_a_transaction_without_postings_at_commit(books: Books) -> None:
    with (
        pytest.raises(IntegrityError) as error,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO ledger_transaction (collective_id, occurred_at, posted_at, memo,"
            " kind, idempotency_key, fingerprint, fx_rate_source)"
            " VALUES (%s, '2026-03-02', now(), 'raw', 'transfer', 'raw', '', '')",
            [books.cast.collective_a.pk],
        )
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert "fewer than two postings" in str(error.value)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="deferred triggers are PostgreSQL's")
def test_postgresql_accepts_what_the_service_posts_at_commit(posted: Transaction) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # would raise if anything were off
    assert posted.postings.count() == 2
