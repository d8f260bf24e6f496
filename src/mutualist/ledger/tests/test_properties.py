"""Properties of the books under random sequences of transactions (Hypothesis).

Whatever valid transactions are posted, refused or reversed, in whatever
order and currencies: every currency sums to zero across the ledger and in
each transaction, every cached balance equals its postings, and no account
that must not go negative is negative.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from itertools import count

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mutualist.core.money import Money
from mutualist.core.reference import MAX_MINOR_UNITS
from mutualist.ledger.models import Account, Posting, Transaction
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

CURRENCIES = ["PHP", "USD", "JPY", "BHD"]
keys = count()


def open_accounts(books: Books) -> dict[str, list[Account]]:
    a = books.cast.collective_a
    by_currency: dict[str, list[Account]] = {}
    for currency in CURRENCIES:
        by_currency[currency] = [
            account_open(
                collective=a,
                name=account_name_for(a, type, "Prop", name, currency),
                type=type,
                currency=currency,
                must_not_go_negative=guarded,
            )
            for type, name, guarded in [
                ("assets", "Cash", True),
                ("assets", "Bank", False),
                ("liabilities", "Owed", True),
                ("income", "Fees", False),
                ("equity", "Capital", False),
            ]
        ]
    return by_currency


# A transaction: for each of one or two currencies, 1-3 free postings
# (account index, minor units) balanced by a last posting to another account.
legs = st.lists(
    st.tuples(st.integers(0, 4), st.integers(-(10**15), 10**15).filter(bool)),
    min_size=1,
    max_size=3,
)
operation = st.one_of(
    st.tuples(
        st.just("post"),
        st.dictionaries(st.sampled_from(CURRENCIES), legs, min_size=1, max_size=2),
        st.integers(0, 4),
    ),
    st.tuples(st.just("reverse"), st.integers(0, 50), st.just(0)),
    st.tuples(st.just("retry"), st.integers(0, 50), st.just(0)),
)


def assert_books_hold() -> None:
    # every currency sums to zero across the whole ledger
    for currency, total in Posting.objects.values_list("currency").annotate(Sum("amount_minor")):
        assert total == 0, currency
    # and within each transaction
    assert not (
        Posting.objects.values("transaction", "currency")
        .annotate(total=Sum("amount_minor"))
        .exclude(total=0)
        .exists()
    )
    for account in Account.objects.all():
        derived = account.postings.aggregate(total=Sum("amount_minor"))["total"] or 0
        assert account.balance_minor == derived, account.name
        assert not (account.must_not_go_negative and account.would_go_negative(derived))


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(operation, min_size=1, max_size=12))
def test_random_transactions_keep_the_books_balanced(
    books: Books, operations: list[tuple[str, object, int]]
) -> None:
    with transaction.atomic():
        accounts = open_accounts(books)
        posted: list[tuple[Transaction, list[Line], str]] = []
        for kind, payload, balancing in operations:
            if kind == "post":
                assert isinstance(payload, dict)
                lines: list[Line] = []
                for currency, currency_legs in payload.items():
                    pool = accounts[currency]
                    lines += [
                        Line(pool[i], Money.from_minor(m, currency)) for i, m in currency_legs
                    ]
                    rest = -sum(m for _, m in currency_legs)
                    if abs(rest) > MAX_MINOR_UNITS:  # no single amount may be that large
                        lines = []
                        break
                    if rest:
                        lines.append(Line(pool[balancing], Money.from_minor(rest, currency)))
                if len(lines) < 2 or any(line.amount.is_zero() for line in lines):
                    continue
                key = f"prop-{next(keys)}"
                try:
                    tx = transaction_post(
                        lines=lines,
                        memo="random",
                        occurred_at=dt.date(2026, 1, 2),
                        idempotency_key=key,
                    )
                except WouldGoNegative:
                    pass
                else:
                    posted.append((tx, lines, key))
            elif posted and kind == "reverse":
                assert isinstance(payload, int)
                tx = posted[payload % len(posted)][0]
                # refused when the money has moved on; a second reversal
                # with the same key is a replay
                with contextlib.suppress(WouldGoNegative):
                    transaction_reverse(original=tx, idempotency_key=f"undo-{tx.pk}")
            elif posted and kind == "retry":
                assert isinstance(payload, int)
                tx, lines, key = posted[payload % len(posted)]
                again = transaction_post(
                    lines=list(reversed(lines)),
                    memo="random",
                    occurred_at=dt.date(2026, 1, 2),
                    idempotency_key=key,
                )
                assert again.pk == tx.pk
            assert_books_hold()
        transaction.set_rollback(True)
