"""Payouts: money sent to members, taken off what the collective owes them.

Given the ``billed`` invoice paid in full, the collective owes Ana 225.00
AUD and Ben 90.00 AUD; 385.00 AUD sits in its AUD bank account.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from mutualist.billing.accounts import default_deposit_account, find_member_account
from mutualist.billing.models import Payout, PayoutSetting
from mutualist.billing.services import payout_record, payout_setting_set
from mutualist.core.errors import Conflict, DomainError, PermissionDenied, ValidationFailed
from mutualist.core.money import Money
from mutualist.ledger.models import Account
from mutualist.ledger.services import account_name_for, account_open, exchange_rate_set
from mutualist.testing import (
    Billed,
    Books,
    billing_issued,
    billing_pay,
    billing_state,
    ledger_checked,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("billing_time", "ledger_checked_after"),
]

TODAY = dt.date(2026, 12, 8)


def refused(error: type[DomainError], code: str, call: Any) -> DomainError:
    before = billing_state()
    with pytest.raises(error) as raised:
        call()
    assert raised.value.code == code, raised.value.message
    assert billing_state() == before
    return raised.value


def aud(amount: str) -> Money:
    return Money(amount, "AUD")


def balance(account: Account | None) -> int:
    assert account is not None
    account.refresh_from_db()
    return int(account.balance_minor)


@pytest.fixture
def owed(billed: Billed) -> Billed:
    billing_pay(billing_issued(billed), "385 AUD", "paid")
    return billed


@pytest.fixture
def bank(owed: Billed) -> Account:
    return default_deposit_account(owed.work.cast.collective_a, "AUD")


def opened(billed: Billed, currency: str, **kwargs: Any) -> Account:
    a = billed.work.cast.collective_a
    return account_open(
        collective=a,
        name=account_name_for(a, "assets", "Wise", currency),
        type="assets",
        currency=currency,
        **kwargs,
    )


def payout(billed: Billed, amount: Money, source: Account, key: str = "k", **kwargs: Any) -> Payout:
    cast = billed.work.cast
    kwargs.setdefault("member", cast.ana)
    kwargs.setdefault("actor", cast.ana)
    kwargs.setdefault("paid_on", TODAY)
    return payout_record(
        collective=cast.collective_a,
        amount=amount,
        source_account=source,
        idempotency_key=key,
        **kwargs,
    )


def test_a_payout_in_the_payables_currency_takes_it_off_what_is_owed(
    owed: Billed, bank: Account
) -> None:
    cast = owed.work.cast
    payable = find_member_account(cast.collective_a, cast.ana, "AUD")

    made = payout(owed, aud("100"), bank, reference="TRF-1")

    assert (made.amount_minor, made.currency, made.sent_minor, made.sent_currency) == (
        10000,
        "AUD",
        10000,
        "AUD",
    )
    assert (made.fx_rate, made.member, made.recorded_by) == (None, cast.ana, cast.ana)
    assert balance(payable) == -12500
    assert balance(bank) == 38500 - 10000
    assert made.transaction.memo == "Payout to Ana Reyes (ref. TRF-1)"
    assert "ledger ok" in ledger_checked()


def test_the_whole_payable_can_be_paid_out_and_not_a_cent_more(owed: Billed, bank: Account) -> None:
    cast = owed.work.cast
    payout(owed, aud("225"), bank, "all")
    assert balance(find_member_account(cast.collective_a, cast.ana, "AUD")) == 0

    error = refused(
        Conflict, "payout_beyond_payable", lambda: payout(owed, aud("0.01"), bank, "more")
    )
    assert error.message == (
        "The collective owes Ana Reyes 0.00 AUD; a payout of 0.01 AUD is more than that."
    )
    assert error.field == "amount"


def test_a_payout_beyond_the_payable_is_refused_and_nothing_changes(
    owed: Billed, bank: Account
) -> None:
    error = refused(Conflict, "payout_beyond_payable", lambda: payout(owed, aud("225.01"), bank))
    assert error.message == (
        "The collective owes Ana Reyes 225.00 AUD; a payout of 225.01 AUD is more than that."
    )
    # in a currency the member is owed nothing in, or to someone owed nothing
    error = refused(
        Conflict, "payout_beyond_payable", lambda: payout(owed, Money("1", "PHP"), bank)
    )
    assert error.message == "The collective owes Ana Reyes nothing in PHP."
    refused(
        Conflict,
        "payout_beyond_payable",
        lambda: payout(owed, aud("1"), bank, member=owed.work.cast.olga),
    )


@pytest.mark.parametrize(
    ("sent", "rate"),
    [
        ("60", Decimal("0.666666666667")),  # 90.00 AUD as 60.00 USD
        ("900", Decimal("10")),  # a whole rate (Decimal 1E+1 once read as no rate)
        ("2999.97", Decimal("33.333")),  # 333.333.. would not fit; the amounts are exact
    ],
)
def test_a_payout_sent_in_another_currency_books_the_amounts_and_their_rate(
    owed: Billed, bank: Account, sent: str, rate: Decimal
) -> None:
    # given the collective's USD account, and Ana paid in USD
    usd = opened(owed, "USD")

    # when 90.00 AUD of what she is owed is sent as ``sent`` USD
    made = payout(owed, aud("90"), usd, sent_amount=Money(sent, "USD"))

    # then the payable falls by 90.00 AUD, the account by what was sent, through trading
    assert (made.sent_minor, made.sent_currency, made.fx_rate) == (
        Money(sent, "USD").minor_units,
        "USD",
        rate,
    )
    assert made.fx_rate_source == "the amounts owed and sent"
    assert made.transaction.fx_rate == rate
    postings = {
        p.account.name: p.amount_minor for p in made.transaction.postings.select_related("account")
    }
    cast = owed.work.cast
    assert postings == {
        find_member_account(cast.collective_a, cast.ana, "AUD").name: 9000,  # type: ignore[union-attr]
        "Equity:Collectives:ManilaVa:Trading:AUD": -9000,
        "Equity:Collectives:ManilaVa:Trading:USD": Money(sent, "USD").minor_units,
        "Assets:Collectives:ManilaVa:Wise:USD": -Money(sent, "USD").minor_units,
    }
    assert "ledger ok" in ledger_checked()


def test_a_payout_in_another_currency_at_a_given_rate_or_the_rate_on_record(
    owed: Billed,
) -> None:
    cast = owed.work.cast
    usd = opened(owed, "USD")

    given = payout(owed, aud("10"), usd, "given", fx_rate="0.65", fx_rate_source="Wise")
    exchange_rate_set(
        collective=cast.collective_a, actor=cast.ana, base="AUD", quote="USD", rate="0.66", on=TODAY
    )
    found = payout(owed, aud("10"), usd, "found")

    assert (given.sent_minor, given.fx_rate, given.fx_rate_source) == (650, Decimal("0.65"), "Wise")
    assert (found.sent_minor, found.fx_rate) == (660, Decimal("0.66"))
    assert found.fx_rate_source == "2026-12-08 rate entered by Ana Reyes"
    eur = opened(owed, "EUR")
    refused(ValidationFailed, "no_rate", lambda: payout(owed, aud("10"), eur, "none"))


def test_a_source_that_must_not_go_negative_is_not_overdrawn(owed: Billed, books: Books) -> None:
    # given the sick-pay fund's cash holds 1,000.00 PHP and must not go negative
    # when 100.00 AUD of Ana's payable is sent from it as 5,000.00 PHP
    error = refused(
        Conflict,
        "beyond_source_balance",
        lambda: payout(owed, aud("100"), books.fund, sent_amount=Money("5000", "PHP")),
    )

    # then the refusal says which account was short
    assert error.message == (
        "Assets:Collectives:ManilaVa:Funds:SickPay:Cash holds 1000.00 PHP; "
        "it cannot send 5000.00 PHP."
    )


def test_a_retried_payout_is_the_first_one_and_a_reused_key_is_refused(
    owed: Billed, bank: Account
) -> None:
    usd = opened(owed, "USD")
    first = payout(owed, aud("50"), usd, "once", sent_amount=Money("33", "USD"))
    before = billing_state()

    again = payout(owed, aud("50"), usd, "once", sent_amount=Money("33", "USD"))

    assert again.pk == first.pk and billing_state() == before
    for changes in (
        {"amount": aud("51")},
        {"sent_amount": Money("34", "USD")},
        {"member": owed.work.cast.ben},
        {"reference": "other"},
        {"paid_on": TODAY - dt.timedelta(days=1)},
    ):
        request: dict[str, Any] = {"amount": aud("50"), "sent_amount": Money("33", "USD")}
        request.update(changes)
        amount = request.pop("amount")
        refused(
            Conflict,
            "idempotency_key_reused",
            lambda amount=amount, request=request: payout(owed, amount, usd, "once", **request),
        )
    refused(
        Conflict,
        "idempotency_key_reused",
        lambda: payout(owed, aud("50"), bank, "once"),
    )


def test_a_retry_with_a_rate_must_name_the_same_rate(owed: Billed) -> None:
    usd = opened(owed, "USD")
    payout(owed, aud("10"), usd, "rated", fx_rate="0.65")

    assert payout(owed, aud("10"), usd, "rated", fx_rate="0.650").sent_minor == 650
    refused(
        Conflict,
        "idempotency_key_reused",
        lambda: payout(owed, aud("10"), usd, "rated", fx_rate="0.66"),
    )


@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        ({"amount": Money("0", "AUD")}, "invalid_amount", "amount"),
        ({"amount": Money("-1", "AUD")}, "invalid_amount", "amount"),
        ({"paid_on": TODAY + dt.timedelta(days=1)}, "date_in_future", "paid_on"),
        ({"paid_on": dt.date(1, 1, 1)}, "invalid_date", "paid_on"),
        ({"fx_rate": "1"}, "rate_not_needed", "fx_rate"),
        ({"sent_amount": Money("9", "AUD")}, "invalid_amount", "sent_amount"),
        ({"reference": "x" * 121}, "too_long", "reference"),
        ({"idempotency_key": " "}, "required", "idempotency_key"),
    ],
)
def test_bad_payout_input_is_refused_and_changes_nothing(
    owed: Billed, bank: Account, kwargs: dict[str, Any], code: str, field: str
) -> None:
    amount = kwargs.pop("amount", aud("10"))
    key = kwargs.pop("idempotency_key", "k")
    error = refused(ValidationFailed, code, lambda: payout(owed, amount, bank, key, **kwargs))
    assert error.field == field


@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        ({"sent_amount": Money("5", "EUR")}, "invalid_amount", "sent_amount"),
        ({"sent_amount": Money("0", "USD")}, "invalid_amount", "sent_amount"),
        ({"fx_rate": "0"}, "invalid_rate", "fx_rate"),
        ({"fx_rate": "abc"}, "invalid_rate", "fx_rate"),
        ({"fx_rate": "0.0001"}, "invalid_amount", "amount"),  # 10.00 AUD is worth no cent
        (
            {"amount": Money("10000000000000", "AUD"), "sent_amount": Money("0.01", "USD")},
            "invalid_amount",
            "sent_amount",
        ),
    ],
)
def test_bad_foreign_payout_input_is_refused_and_changes_nothing(
    owed: Billed, kwargs: dict[str, Any], code: str, field: str
) -> None:
    usd = opened(owed, "USD")
    amount = kwargs.pop("amount", aud("10"))
    error = refused(ValidationFailed, code, lambda: payout(owed, amount, usd, **kwargs))
    assert error.field == field


def test_a_payout_is_sent_from_the_collectives_own_asset_account(
    owed: Billed, books: Books
) -> None:
    cast = owed.work.cast
    payable = find_member_account(cast.collective_a, cast.ana, "AUD")
    assert payable is not None
    for source in (books.b_bank, payable):
        refused(
            ValidationFailed,
            "unknown_account",
            lambda source=source: payout(owed, aud("1"), source),
        )


def test_a_float_is_never_a_rate_or_an_amount(owed: Billed) -> None:
    usd = opened(owed, "USD")
    with pytest.raises(TypeError):
        payout(owed, aud("1"), usd, fx_rate=0.65)
    with pytest.raises(TypeError):
        payout(owed, 1, usd)  # type: ignore[arg-type]


@pytest.mark.parametrize("who", ["ben", "carla", "olga"])
def test_only_a_coordinator_records_payouts(owed: Billed, bank: Account, who: str) -> None:
    actor = getattr(owed.work.cast, who)
    refused(PermissionDenied, "not_coordinator", lambda: payout(owed, aud("1"), bank, actor=actor))


# --- Payout settings ------------------------------------------------------------------------


def test_a_member_chooses_the_currency_they_are_paid_in(billed: Billed) -> None:
    cast = billed.work.cast
    a = cast.collective_a

    setting = payout_setting_set(
        collective=a, member=cast.ben, actor=cast.ben, currency="ngn", details=" GTBank 0123 "
    )
    changed = payout_setting_set(collective=a, member=cast.ben, actor=cast.ben, currency="USD")

    assert (setting.currency, setting.details) == ("NGN", "GTBank 0123")
    assert changed.pk == setting.pk and changed.currency == "USD"
    assert PayoutSetting.objects.count() == 1


@pytest.mark.parametrize(
    ("who", "member", "currency", "error", "code"),
    [
        ("ana", "ben", "USD", PermissionDenied, "not_your_setting"),
        ("olga", "olga", "USD", Conflict, "not_active"),
        ("carla", "carla", "USD", Conflict, "not_active"),
        ("ben", "ben", "XYZ", ValidationFailed, "invalid_currency"),
        ("ben", "ben", "DEM", ValidationFailed, "invalid_currency"),
    ],
)
def test_payout_settings_are_the_members_own_in_a_real_currency(
    billed: Billed, who: str, member: str, currency: str, error: type[DomainError], code: str
) -> None:
    cast = billed.work.cast
    refused(
        error,
        code,
        lambda: payout_setting_set(
            collective=cast.collective_a,
            member=getattr(cast, member),
            actor=getattr(cast, who),
            currency=currency,
        ),
    )
