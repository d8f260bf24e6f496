"""Balances and statements: running balances that agree page by page."""

from __future__ import annotations

import datetime as dt

import pytest

from mutualist.core.money import Money
from mutualist.ledger.models import Account
from mutualist.ledger.selectors import account_balance, account_statement
from mutualist.ledger.services import Line, transaction_post
from mutualist.testing import Books

pytestmark = pytest.mark.django_db

# (day of March 2026, PHP moved from the bank into the fund; negative moves back)
MOVES = [(2, "10"), (2, "20"), (3, "-5"), (5, "40"), (5, "-15"), (5, "1.50"), (9, "100")]


def post_moves(books: Books) -> None:
    for n, (day, amount) in enumerate(MOVES):
        transaction_post(
            lines=[
                Line(books.fund, Money(amount, "PHP")),
                Line(books.bank, -Money(amount, "PHP")),
            ],
            memo=f"Move {n}",
            occurred_at=dt.date(2026, 3, day),
            idempotency_key=f"move-{n}",
        )


def running(start: str, amounts: list[str]) -> list[Money]:
    total, out = Money(start, "PHP"), []
    for amount in amounts:
        total = total + Money(amount, "PHP")
        out.append(total)
    return out


@pytest.mark.parametrize("limit", [1, 2, 3, 7, 50])
def test_pages_chain_into_one_running_balance(books: Books, limit: int) -> None:
    post_moves(books)
    rows = []
    for offset in range(0, 9, limit):
        page = account_statement(account=books.fund, offset=offset, limit=limit)
        rows += page.rows
    assert [row.posting.transaction.memo for row in rows] == [
        "Opening balance of the sick-pay fund"
    ] + [f"Move {n}" for n in range(len(MOVES))]
    assert [row.balance for row in rows] == running("0", ["1000"] + [a for _, a in MOVES])
    assert page.closing == Money("1151.50", "PHP")
    assert page.count == 8


def test_a_period_opens_with_the_balance_before_it(books: Books) -> None:
    post_moves(books)
    statement = account_statement(
        account=books.fund, since=dt.date(2026, 3, 3), until=dt.date(2026, 3, 5), offset=1, limit=2
    )
    assert statement.opening == Money("1030", "PHP")
    assert statement.count == 4
    assert [row.amount for row in statement.rows] == [Money("40", "PHP"), Money("-15", "PHP")]
    assert [row.balance for row in statement.rows] == [Money("1065", "PHP"), Money("1050", "PHP")]
    assert statement.closing == Money("1051.50", "PHP")


def test_the_balance_now_and_on_a_day(books: Books) -> None:
    post_moves(books)
    assert account_balance(account=books.fund) == Money("1151.50", "PHP")
    assert account_balance(account=books.fund, as_of=dt.date(2026, 3, 4)) == Money("1025", "PHP")
    assert account_balance(account=books.fund, as_of=dt.date(2025, 12, 31)) == Money("0", "PHP")
    # the balance now is read fresh, not from a stale instance
    stale = Account.objects.get(pk=books.bank.pk)
    one = Money("1", "PHP")
    transaction_post(
        lines=[Line(books.fund, one), Line(books.bank, -one)],
        memo="One more",
        occurred_at=dt.date(2026, 3, 10),
        idempotency_key="one-more",
    )
    assert account_balance(account=stale) == Money("99847.50", "PHP")


def test_a_statement_from_the_first_day_of_the_calendar_opens_at_zero(books: Books) -> None:
    statement = account_statement(account=books.fund, since=dt.date(1, 1, 1))
    assert statement.opening == Money("0", "PHP")
    assert statement.closing == Money("1000", "PHP")


def test_backdated_postings_take_their_place_in_the_running_balance(books: Books) -> None:
    # posted in this order, dated out of order: ids and dates disagree
    for n, (day, amount) in enumerate([(20, "10"), (5, "20"), (15, "30"), (1, "40"), (10, "50")]):
        transaction_post(
            lines=[Line(books.fund, Money(amount, "PHP")), Line(books.bank, -Money(amount, "PHP"))],
            memo=f"Late {n}",
            occurred_at=dt.date(2026, 4, day),
            idempotency_key=f"late-{n}",
        )
    rows = []
    for offset in range(0, 6, 2):
        rows += account_statement(account=books.fund, offset=offset, limit=2).rows
    assert [row.amount for row in rows] == [
        Money(a, "PHP") for a in ["1000", "40", "20", "50", "30", "10"]
    ]
    assert [row.balance for row in rows] == running("0", ["1000", "40", "20", "50", "30", "10"])
