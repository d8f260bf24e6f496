"""Races on the books, on PostgreSQL: many payouts from one fund at once.

The threads meet at a barrier and post at the same moment, each on its own
database connection; SQLite serialises writers, so these run where CI runs
them (DATABASE_URL set to PostgreSQL) and are skipped otherwise.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection, transaction

from mutualist.core.errors import Conflict
from mutualist.core.money import Money
from mutualist.ledger.models import Account, Posting, Transaction
from mutualist.ledger.selectors import account_balance
from mutualist.ledger.services import Line, WouldGoNegative, transaction_post, transaction_reverse
from mutualist.testing import Books, race

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row-lock races need PostgreSQL (set DATABASE_URL); SQLite serialises writers",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DAY = dt.date(2026, 3, 2)


def payout(books: Books, n: int, amount: str) -> Callable[[], Transaction]:
    return lambda: transaction_post(
        lines=[
            Line(books.fund, Money(f"-{amount}", "PHP")),
            Line(books.bank, Money(amount, "PHP")),
        ],
        memo=f"Payout {n}",
        occurred_at=DAY,
        idempotency_key=f"payout-{n}",
        kind="payout",
    )


def test_concurrent_payouts_never_overdraw_the_fund(books: Books) -> None:
    # given a fund holding 1,000.00 PHP
    # when 16 payouts of 150.00 PHP are posted at the same moment
    outcome = race(*(payout(books, n, "150") for n in range(16)))

    # then exactly the affordable six succeed and the other ten are refused
    assert len(outcome.results) == 6
    assert len(outcome.refusals) == 10
    assert {type(refusal) for refusal in outcome.refusals} == {WouldGoNegative}
    # and nothing is lost: the fund holds what its postings say
    books.fund.refresh_from_db()
    assert books.fund.balance_minor == 10_000
    assert account_balance(account=books.fund) == Money("100", "PHP")
    assert Transaction.objects.filter(kind="payout").count() == 6
    assert Posting.objects.filter(account=books.fund, amount_minor=-15_000).count() == 6
    books.bank.refresh_from_db()
    assert books.bank.balance_minor == 10_000_000 + 6 * 15_000


def test_concurrent_payouts_of_different_sizes_spend_at_most_the_fund(books: Books) -> None:
    amounts = ["400", "300", "250", "200", "150", "100", "50", "25"]  # 1,475 asked of 1,000
    outcome = race(*(payout(books, n, a) for n, a in enumerate(amounts)))

    books.fund.refresh_from_db()
    paid = set(Transaction.objects.filter(kind="payout").values_list("memo", flat=True))
    paid_minor = sum(
        Money(a, "PHP").minor_units for n, a in enumerate(amounts) if f"Payout {n}" in paid
    )
    refused_minor = [
        Money(a, "PHP").minor_units for n, a in enumerate(amounts) if f"Payout {n}" not in paid
    ]
    assert len(outcome.results) == len(paid) and len(outcome.refusals) == len(refused_minor) > 0
    assert all(isinstance(refusal, WouldGoNegative) for refusal in outcome.refusals)
    # nothing lost, never below zero
    assert books.fund.balance_minor == 100_000 - paid_minor >= 0
    assert account_balance(account=books.fund).minor_units == books.fund.balance_minor
    # the fund only shrinks, so each refused payout is more than what is left
    assert all(amount > books.fund.balance_minor for amount in refused_minor)


def test_the_same_payout_sent_at_once_posts_once(books: Books) -> None:
    outcome = race(*(payout(books, 1, "150") for _ in range(8)))

    assert outcome.refusals == []
    assert len({tx.pk for tx in outcome.results}) == 1
    assert Transaction.objects.filter(kind="payout").count() == 1
    assert Account.objects.get(pk=books.fund.pk).balance_minor == 85_000


def test_two_reversals_at_once_reverse_once(books: Books) -> None:
    original = transaction_post(
        lines=[Line(books.fund, Money("5", "PHP")), Line(books.bank, Money("-5", "PHP"))],
        memo="Bank to fund",
        occurred_at=DAY,
        idempotency_key="original",
    )
    outcome = race(
        lambda: transaction_reverse(original=original, idempotency_key="undo-1"),
        lambda: transaction_reverse(original=original, idempotency_key="undo-2"),
    )

    assert len(outcome.results) == 1
    assert [(type(r), r.code) for r in outcome.refusals] == [(Conflict, "already_reversed")]
    assert Transaction.objects.filter(reverses=original).count() == 1


def test_a_key_reused_on_other_accounts_is_refused_without_a_deadlock(books: Books) -> None:
    # given request A, in one database transaction, posts under K1 and then,
    # a moment later, under K2 on two other accounts; meanwhile request B
    # sends K1 for those two other accounts
    def lines(first: Account, second: Account) -> list[Line]:
        return [Line(first, Money("10", "PHP")), Line(second, Money("-10", "PHP"))]

    a_posted_k1 = threading.Event()
    outcome: dict[str, object] = {}

    def request_a() -> None:
        try:
            with transaction.atomic():
                transaction_post(lines=lines(books.bank, books.opening), memo="K1", occurred_at=DAY,
                                 idempotency_key="K1")  # fmt: skip
                a_posted_k1.set()
                time.sleep(0.5)  # B is now waiting on K1
                transaction_post(lines=lines(books.fund, books.ana_payable), memo="K2",
                                 occurred_at=DAY, idempotency_key="K2")  # fmt: skip
            outcome["a"] = "posted"
        except BaseException as error:  # a deadlock would land here
            outcome["a"] = error
        finally:
            connection.close()

    def request_b() -> None:
        a_posted_k1.wait(timeout=10)
        try:
            transaction_post(lines=lines(books.fund, books.ana_payable), memo="K1",
                             occurred_at=DAY, idempotency_key="K1")  # fmt: skip
            outcome["b"] = "posted"
        except BaseException as error:
            outcome["b"] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=request_a), threading.Thread(target=request_b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    # then A posts both, and B is told its key was used for something else
    assert outcome["a"] == "posted"
    assert isinstance(outcome["b"], Conflict)
    assert outcome["b"].code == "idempotency_key_reused"
    assert Transaction.objects.filter(idempotency_key__in=["K1", "K2"]).count() == 2


def test_opening_one_account_six_times_at_once_opens_it_once(books: Books) -> None:
    from mutualist.ledger.services import asset_account_open

    outcome = race(
        *(
            lambda: asset_account_open(
                collective=books.cast.collective_a, actor=books.cast.ana, label="Wise",
                currency="USD",
            )
            for _ in range(6)
        )
    )  # fmt: skip

    assert len(outcome.results) == 1
    assert [(type(r), r.code) for r in outcome.refusals] == [(Conflict, "account_exists")] * 5
    assert Account.objects.filter(name="Assets:Collectives:ManilaVa:Wise:USD").count() == 1
