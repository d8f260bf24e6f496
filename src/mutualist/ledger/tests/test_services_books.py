"""A coordinator's hand-made entries: asset accounts, opening balances, reversals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from mutualist.core.errors import Conflict, PermissionDenied, ValidationFailed
from mutualist.core.money import Money
from mutualist.ledger.models import Account, Posting, Transaction
from mutualist.ledger.services import (
    Line,
    WouldGoNegative,
    asset_account_open,
    asset_account_open_with_balance,
    currency_convert,
    opening_balance_record,
    transaction_post,
    transaction_reverse_by_hand,
)
from mutualist.testing import Books, Cast

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 2)


def counts() -> tuple[int, int, int]:
    return Account.objects.count(), Transaction.objects.count(), Posting.objects.count()


def test_a_coordinator_opens_an_asset_account_and_records_what_it_held(cast: Cast) -> None:
    wise = asset_account_open(
        collective=cast.collective_a, actor=cast.ana, label="wise", currency="usd",
        description="Client receipts",
    )  # fmt: skip
    assert (wise.name, wise.type, wise.currency, wise.owner_kind) == (
        "Assets:Collectives:ManilaVa:Wise:USD",
        "assets",
        "USD",
        "collective",
    )
    opening = opening_balance_record(
        account=wise, actor=cast.ana, amount=Money("1250", "USD"), occurred_at=DAY,
        idempotency_key="open-wise",
    )  # fmt: skip
    assert opening.kind == "opening"
    assert opening.posted_by == cast.ana
    assert sorted(opening.postings.values_list("account__name", "amount_minor")) == [
        ("Assets:Collectives:ManilaVa:Wise:USD", 125_000),
        ("Equity:Collectives:ManilaVa:Opening:USD", -125_000),
    ]


@pytest.mark.parametrize(
    ("label", "currency", "code"),
    [
        ("", "USD", "invalid_account_name"),
        ("--", "USD", "invalid_account_name"),
        ("x" * 41, "USD", "invalid_account_name"),
        ("Wise", "XYZ", "invalid_currency"),
    ],
)
def test_it_refuses_a_bad_account_and_opens_nothing(
    cast: Cast, label: str, currency: str, code: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        asset_account_open(
            collective=cast.collective_a, actor=cast.ana, label=label, currency=currency
        )
    assert refused.value.code == code
    assert Account.objects.count() == 0


def test_a_name_already_taken_is_a_conflict(books: Books) -> None:
    before = counts()
    with pytest.raises(Conflict) as refused:
        asset_account_open(
            collective=books.cast.collective_a, actor=books.cast.ana, label="Bank", currency="PHP"
        )
    assert refused.value.code == "account_exists"
    assert refused.value.message == (
        "The collective already has an account named Assets:Collectives:ManilaVa:Bank:PHP."
    )
    assert counts() == before


@pytest.mark.parametrize("who", ["ben", "carla", "olga"])
def test_only_a_coordinator_keeps_the_books_by_hand(books: Books, who: str) -> None:
    actor = getattr(books.cast, who)
    before = counts()
    with pytest.raises(PermissionDenied):
        asset_account_open(
            collective=books.cast.collective_a, actor=actor, label="Wise", currency="USD"
        )
    with pytest.raises(PermissionDenied):
        opening_balance_record(
            account=books.usd_bank, actor=actor, amount=Money("1", "USD"), occurred_at=DAY,
            idempotency_key="x",
        )  # fmt: skip
    opening = Transaction.objects.get(idempotency_key="test:opening:a")
    with pytest.raises(PermissionDenied):
        transaction_reverse_by_hand(original=opening, actor=actor, idempotency_key="y")
    assert counts() == before


@pytest.mark.parametrize("account", ["ana_payable", "opening"])
def test_opening_balances_go_on_the_collectives_own_asset_accounts(
    books: Books, account: str
) -> None:
    before = counts()
    with pytest.raises(ValidationFailed) as refused:
        opening_balance_record(
            account=getattr(books, account), actor=books.cast.ana, amount=Money("1", "PHP"),
            occurred_at=DAY, idempotency_key="x",
        )  # fmt: skip
    assert refused.value.code == "unknown_account"
    assert counts() == before


def test_an_overdrawn_opening_is_refused_where_the_account_must_not_go_negative(
    books: Books,
) -> None:
    with pytest.raises(WouldGoNegative):
        opening_balance_record(
            account=books.fund, actor=books.cast.ana, amount=Money("-1000.01", "PHP"),
            occurred_at=DAY, idempotency_key="x",
        )  # fmt: skip


def test_a_coordinator_reverses_a_mistaken_conversion(books: Books) -> None:
    conversion = currency_convert(
        source=books.bank, target=books.usd_bank, amount=Money("580", "PHP"), occurred_at=DAY,
        idempotency_key="fx", rate=Decimal("0.0172"),
    )  # fmt: skip
    reversal = transaction_reverse_by_hand(
        original=conversion, actor=books.cast.ana, idempotency_key="undo-fx"
    )
    assert reversal.reverses == conversion
    assert reversal.posted_by == books.cast.ana
    books.usd_bank.refresh_from_db()
    assert books.usd_bank.balance_minor == 0


def test_entries_from_other_services_are_not_reversed_by_hand(books: Books) -> None:
    payout = transaction_post(
        lines=[Line(books.fund, Money("-10", "PHP")), Line(books.bank, Money("10", "PHP"))],
        memo="Payout",
        occurred_at=DAY,
        idempotency_key="payout",
        kind="payout",
    )
    before = counts()
    with pytest.raises(Conflict) as refused:
        transaction_reverse_by_hand(original=payout, actor=books.cast.ana, idempotency_key="undo")
    assert refused.value.code == "not_reversible_by_hand"
    assert refused.value.message == (
        "A payout entry is corrected where it came from, not reversed by hand; "
        "coordinators reverse only conversion and opening entries."
    )
    assert counts() == before


def open_wise(cast: Cast, **change: Any) -> tuple[Account, bool]:
    arguments: dict[str, Any] = {
        "collective": cast.collective_a,
        "actor": cast.ana,
        "label": "Wise",
        "currency": "USD",
        "opening_balance": Money("1250", "USD"),
        "occurred_at": DAY,
        "idempotency_key": "open-wise",
        **change,
    }
    return asset_account_open_with_balance(**arguments)


def test_opening_with_a_balance_is_one_step_and_a_retry_replays_it(cast: Cast) -> None:
    account, replayed = open_wise(cast)
    assert not replayed
    account.refresh_from_db()
    assert account.balance_minor == 125_000
    before = counts()
    again, replayed = open_wise(cast, occurred_at=None)  # a retry means the first day
    assert (again, replayed) == (account, True)
    assert counts() == before


def test_a_key_that_opened_another_account_is_refused(cast: Cast) -> None:
    open_wise(cast)
    before = counts()
    with pytest.raises(Conflict) as refused:
        open_wise(cast, description="Another")
    assert refused.value.code == "idempotency_key_reused"
    assert counts() == before


def test_a_refused_balance_opens_no_account(cast: Cast) -> None:
    with pytest.raises(WouldGoNegative):
        open_wise(cast, must_not_go_negative=True, opening_balance=Money("-1", "USD"))
    assert counts() == (0, 0, 0)


def test_a_balance_needs_a_key_and_a_bad_label_is_named_as_such(cast: Cast) -> None:
    with pytest.raises(ValidationFailed) as refused:
        open_wise(cast, idempotency_key=None)
    assert refused.value.code == "invalid_idempotency_key"
    with pytest.raises(ValidationFailed) as refused:
        open_wise(cast, label="--")
    assert (refused.value.code, refused.value.field) == ("invalid_account_name", "label")
    assert counts() == (0, 0, 0)
