"""transaction_post and transaction_reverse: the one writer of money."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from mutualist.core.errors import Conflict, DomainError, ValidationFailed
from mutualist.core.money import CurrencyMismatch, Money
from mutualist.ledger.models import Account, Posting, Transaction
from mutualist.ledger.selectors import account_balance, trial_balance
from mutualist.ledger.services import (
    Line,
    WouldGoNegative,
    account_name_for,
    account_open,
    transaction_post,
    transaction_reverse,
)
from mutualist.testing import Books

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 2)


def php(amount: str) -> Money:
    return Money(amount, "PHP")


def snapshot() -> tuple[int, int, list[tuple[int, int]]]:
    """Row counts and every cached balance: what a refusal must leave untouched."""
    return (
        Transaction.objects.count(),
        Posting.objects.count(),
        list(Account.objects.order_by("pk").values_list("pk", "balance_minor")),
    )


def balance(account: Account) -> int:
    account.refresh_from_db()
    return account.balance_minor


def post(books: Books, *lines: Line, key: str = "k1", **kwargs: object) -> Transaction:
    return transaction_post(
        lines=list(lines),
        memo=str(kwargs.pop("memo", "Bank to fund")),
        occurred_at=kwargs.pop("occurred_at", DAY),  # type: ignore[arg-type]
        idempotency_key=key,
        **kwargs,  # type: ignore[arg-type]
    )


# --- posting ----------------------------------------------------------------------


def test_it_posts_a_balanced_transaction_and_keeps_the_balances(books: Books) -> None:
    # given the bank holds 100,000 PHP and the fund 1,000 PHP
    # when 250 PHP move from the bank to the fund
    posted = post(books, Line(books.fund, php("250")), Line(books.bank, php("-250")))

    # then one transaction with two postings, in the right books
    assert posted.collective == books.cast.collective_a
    assert posted.occurred_at == DAY
    assert posted.kind == "transfer"
    assert sorted(posted.postings.values_list("account__name", "amount_minor", "currency")) == [
        ("Assets:Collectives:ManilaVa:Bank:PHP", -25000, "PHP"),
        ("Assets:Collectives:ManilaVa:Funds:SickPay:Cash", 25000, "PHP"),
    ]
    assert set(posted.postings.values_list("occurred_at", flat=True)) == {DAY}
    assert balance(books.bank) == 9_975_000
    assert balance(books.fund) == 125_000


def test_it_posts_many_legs_in_several_currencies_when_each_balances(books: Books) -> None:
    b = books
    posted = post(
        b,
        Line(b.fund, php("10")),
        Line(b.bank, php("-30")),
        Line(b.opening, php("20")),
        Line(b.usd_bank, Money("1", "USD")),
        Line(b.usd_bank, Money("-1", "USD")),
    )
    assert posted.postings.count() == 5


@pytest.mark.parametrize(
    ("make_lines", "error", "code", "message"),
    [
        (lambda b: [], ValidationFailed, "no_postings", "A transaction needs postings."),
        (
            lambda b: [Line(b.bank, php("10"))],
            ValidationFailed,
            "one_sided",
            "A transaction needs at least two postings: money comes from somewhere.",
        ),
        (
            lambda b: [Line(b.bank, php("0")), Line(b.fund, php("0"))],
            ValidationFailed,
            "zero_posting",
            "A posting to Assets:Collectives:ManilaVa:Bank:PHP is zero; leave it out.",
        ),
        (
            lambda b: [Line(b.bank, php("10")), Line(b.fund, php("-9.99"))],
            ValidationFailed,
            "unbalanced",
            "The postings do not balance: they leave 0.01 PHP.",
        ),
        (
            lambda b: [Line(b.bank, php("10")), Line(b.usd_bank, Money("-10", "USD"))],
            ValidationFailed,
            "unbalanced",
            "The postings do not balance: they leave -10.00 USD, 10.00 PHP.",
        ),
        (
            lambda b: [Line(b.bank, Money("10", "USD")), Line(b.usd_bank, Money("-10", "USD"))],
            CurrencyMismatch,
            "currency_mismatch",
            "Assets:Collectives:ManilaVa:Bank:PHP holds PHP, not USD.",
        ),
        (
            lambda b: [Line(b.usd_bank, Money("10", "USD")), Line(b.b_bank, Money("-10", "USD"))],
            ValidationFailed,
            "mixed_books",
            "A transaction stays within one collective's books.",
        ),
    ],
)
def test_it_refuses_a_malformed_transaction_and_writes_nothing(
    books: Books, make_lines: object, error: type[DomainError], code: str, message: str
) -> None:
    before = snapshot()
    with pytest.raises(error) as refused:
        post(books, *make_lines(books))  # type: ignore[operator]
    assert (refused.value.code, refused.value.message) == (code, message)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("key", "", "invalid_idempotency_key"),
        ("key", "k" * 201, "invalid_idempotency_key"),
        ("memo", "   ", "invalid_memo"),
        ("memo", "m" * 501, "invalid_memo"),
        ("kind", "Not A Kind", "invalid_kind"),
    ],
)
def test_it_refuses_bad_metadata_and_writes_nothing(
    books: Books, field: str, value: str, code: str
) -> None:
    before = snapshot()
    with pytest.raises(ValidationFailed) as refused:
        post(books, Line(books.fund, php("1")), Line(books.bank, php("-1")), **{field: value})
    assert refused.value.code == code
    assert snapshot() == before


def test_it_refuses_to_take_a_fund_below_zero_and_writes_nothing(books: Books) -> None:
    before = snapshot()
    with pytest.raises(WouldGoNegative) as refused:
        post(books, Line(books.fund, php("-1000.01")), Line(books.bank, php("1000.01")))
    assert refused.value.code == "would_go_negative"
    assert refused.value.status == 409
    assert refused.value.message == (
        "Assets:Collectives:ManilaVa:Funds:SickPay:Cash cannot go below zero: it holds "
        "1000.00 PHP, and this would take it to -0.01 PHP."
    )
    assert snapshot() == before


def test_it_lets_a_fund_reach_exactly_zero(books: Books) -> None:
    post(books, Line(books.fund, php("-1000")), Line(books.bank, php("1000")))
    assert balance(books.fund) == 0


def test_it_refuses_to_take_a_members_payable_into_debit(books: Books) -> None:
    # Credit Ana's payable 50 (the collective owes her 50), then pay her 50.01.
    post(books, Line(books.ana_payable, php("-50")), Line(books.opening, php("50")), key="owe")
    before = snapshot()
    with pytest.raises(WouldGoNegative):
        post(books, Line(books.ana_payable, php("50.01")), Line(books.bank, php("-50.01")))
    assert snapshot() == before
    post(books, Line(books.ana_payable, php("50")), Line(books.bank, php("-50")), key="pay")
    assert balance(books.ana_payable) == 0


def test_an_account_that_may_go_negative_does(books: Books) -> None:
    post(books, Line(books.usd_bank, Money("-5", "USD")), Line(books.usd_bank, Money("5", "USD")))
    post(books, Line(books.bank, php("-200000")), Line(books.opening, php("200000")), key="k2")
    assert balance(books.bank) == -10_000_000


def test_it_records_what_caused_it_and_who_posted_it(books: Books) -> None:
    cause = books.cast.collective_b  # any saved row stands in for an invoice
    posted = post(
        books,
        Line(books.fund, php("1")),
        Line(books.bank, php("-1")),
        cause=cause,
        posted_by=books.cast.ana,
    )
    posted.refresh_from_db()
    assert posted.cause == cause
    assert posted.posted_by == books.cast.ana


# --- idempotency ------------------------------------------------------------------


def test_a_retry_with_the_same_key_returns_the_first_and_posts_nothing(books: Books) -> None:
    first = post(books, Line(books.fund, php("1")), Line(books.bank, php("-1")))
    before = snapshot()
    # the same content, lines in another order
    again = post(books, Line(books.bank, php("-1")), Line(books.fund, php("1")))
    assert again.pk == first.pk
    assert snapshot() == before


def test_a_retry_succeeds_even_after_the_money_has_moved_on(books: Books) -> None:
    first = post(books, Line(books.fund, php("-1000")), Line(books.bank, php("1000")))
    assert post(books, Line(books.fund, php("-1000")), Line(books.bank, php("1000"))) == first


@pytest.mark.parametrize(
    "change",
    [
        {"lines": "amount"},
        {"memo": "Another memo"},
        {"occurred_at": dt.date(2026, 3, 3)},
        {"kind": "payout"},
    ],
)
def test_the_same_key_with_other_content_is_a_conflict(
    books: Books, change: dict[str, Any]
) -> None:
    post(books, Line(books.fund, php("1")), Line(books.bank, php("-1")))
    before = snapshot()
    amount = "2" if change.pop("lines", None) else "1"
    with pytest.raises(Conflict) as refused:
        post(books, Line(books.fund, php(amount)), Line(books.bank, php(f"-{amount}")), **change)
    assert refused.value.code == "idempotency_key_reused"
    assert refused.value.message == (
        "The idempotency key 'k1' was already used for a different transaction."
    )
    assert snapshot() == before


# --- reversal ---------------------------------------------------------------------


def test_a_reversal_mirrors_the_original_and_links_to_it(books: Books) -> None:
    original = post(books, Line(books.fund, php("250")), Line(books.bank, php("-250")))
    reversal = transaction_reverse(
        original=original, idempotency_key="undo", posted_by=books.cast.ana
    )

    assert reversal.reverses == original
    assert original.reversed_by == reversal
    assert reversal.kind == "reversal"
    assert reversal.memo == f"Reversal of #{original.pk}: Bank to fund"
    assert sorted(reversal.postings.values_list("account_id", "amount_minor")) == sorted(
        (p.account_id, -p.amount_minor) for p in original.postings.all()
    )
    assert balance(books.bank) == 10_000_000
    assert balance(books.fund) == 100_000


def test_a_transaction_is_reversed_once(books: Books) -> None:
    original = post(books, Line(books.fund, php("250")), Line(books.bank, php("-250")))
    first = transaction_reverse(original=original, idempotency_key="undo")
    assert transaction_reverse(original=original, idempotency_key="undo") == first  # a retry
    before = snapshot()
    with pytest.raises(Conflict) as refused:
        transaction_reverse(original=original, idempotency_key="undo-again")
    assert refused.value.code == "already_reversed"
    assert refused.value.message == (
        f"Transaction #{original.pk} was already reversed by #{first.pk}."
    )
    assert snapshot() == before


def test_a_reversal_cannot_overdraw_a_fund_that_paid_the_money_out(books: Books) -> None:
    deposit = post(books, Line(books.fund, php("500")), Line(books.bank, php("-500")))
    post(books, Line(books.fund, php("-1500")), Line(books.bank, php("1500")), key="payout")
    before = snapshot()
    with pytest.raises(WouldGoNegative):
        transaction_reverse(original=deposit, idempotency_key="undo")
    assert snapshot() == before


# --- accounts ---------------------------------------------------------------------


def test_opening_an_account_again_returns_it(books: Books) -> None:
    a = books.cast.collective_a
    again = account_open(
        collective=a,
        name=account_name_for(a, "assets", "Bank", "PHP"),
        type="assets",
        currency="php",
    )
    assert again == books.bank


def test_opening_an_existing_name_with_other_settings_is_a_conflict(books: Books) -> None:
    before = Account.objects.count()
    with pytest.raises(Conflict) as refused:
        account_open(
            collective=books.cast.collective_a,
            name=books.bank.name,
            type="assets",
            currency="PHP",
            must_not_go_negative=True,
        )
    assert refused.value.code == "account_exists"
    assert Account.objects.count() == before


def test_a_reversal_retried_on_a_later_day_returns_the_first(books: Books) -> None:
    original = post(books, Line(books.fund, php("250")), Line(books.bank, php("-250")))
    with time_machine.travel(dt.datetime(2026, 3, 3, 12, tzinfo=dt.UTC), tick=False):
        first = transaction_reverse(original=original, idempotency_key="undo")
    with time_machine.travel(dt.datetime(2026, 3, 5, 12, tzinfo=dt.UTC), tick=False):
        again = transaction_reverse(original=original, idempotency_key="undo")
    assert again.pk == first.pk
    assert first.occurred_at == dt.date(2026, 3, 3)


@pytest.mark.parametrize("day", [dt.date(1, 1, 1), dt.date(1899, 12, 31), dt.date(9999, 12, 31)])
def test_it_refuses_a_date_no_one_books_money_on(books: Books, day: dt.date) -> None:
    before = snapshot()
    with pytest.raises(ValidationFailed) as refused:
        post(books, Line(books.fund, php("1")), Line(books.bank, php("-1")), occurred_at=day)
    assert (refused.value.code, refused.value.field) == ("invalid_date", "occurred_at")
    assert snapshot() == before


def test_the_oldest_bookable_day_is_1900(books: Books) -> None:
    posted = post(
        books,
        Line(books.fund, php("1")),
        Line(books.bank, php("-1")),
        occurred_at=dt.date(1900, 1, 1),
    )
    assert posted.occurred_at == dt.date(1900, 1, 1)


def test_no_balance_passes_ten_to_the_seventeen_minor_units(books: Books) -> None:
    # given the largest amount, 10^15 minor units, posted again and again
    largest = Money.from_minor(10**15, "PHP")
    for n in range(99):
        post(books, Line(books.bank, largest), Line(books.opening, -largest), key=f"big-{n}")
    # the bank holds 99 * 10^15 + 10^7 minor units: one more would pass 10^17
    before = snapshot()
    with pytest.raises(ValidationFailed) as refused:
        post(books, Line(books.bank, largest), Line(books.opening, -largest), key="one-too-many")
    assert refused.value.code == "amount_too_large"
    assert refused.value.message.startswith("Assets:Collectives:ManilaVa:Bank:PHP cannot hold")
    assert snapshot() == before


def test_a_balanced_transaction_is_accepted_in_any_order_of_its_lines(books: Books) -> None:
    largest = Money.from_minor(10**15, "PHP")
    posted = post(
        books,
        Line(books.bank, largest),
        Line(books.fund, largest),
        Line(books.opening, -largest),
        Line(books.opening, -largest),
    )
    assert posted.postings.count() == 4


def test_balances_beyond_the_largest_single_amount_still_read_and_add_up(books: Books) -> None:
    largest = Money.from_minor(10**15, "PHP")
    for n in range(3):
        post(books, Line(books.bank, largest), Line(books.opening, -largest), key=f"big-{n}")
    report = trial_balance(collective=books.cast.collective_a)
    assert account_balance(account=books.bank) == Money.from_minor(3 * 10**15 + 10**7, "PHP")
    assert report.debits["PHP"] == Money.from_minor(3 * 10**15 + 10**7 + 10**5, "PHP")
    assert report.balanced


def test_the_transaction_returned_is_the_one_stored(books: Books) -> None:
    posted = post(
        books,
        Line(books.fund, php("1")),
        Line(books.bank, php("-1")),
        cause=books.cast.collective_b,
        posted_by=books.cast.ana,
        kind="payout",
    )
    stored = Transaction.objects.get(pk=posted.pk)
    fields = [f.attname for f in Transaction._meta.concrete_fields]
    assert [getattr(posted, f) for f in fields] == [getattr(stored, f) for f in fields]
    assert not posted._state.adding
    assert posted.cause == books.cast.collective_b
