"""Savings: a share of each member's part of a real payment lands in their
own savings account; withdrawals are claims approved by the rules and paid
at once, never beyond the balance, a set number a year.

Today is 5 December 2026. Collective A (PHP) gives 90 % of each invoice to
the member whose work it bills (the treasury takes 10 %). The savings rules
are the defaults unless a test says otherwise: 5 %, four withdrawals a year.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from mutualist.billing.accounts import member_account
from mutualist.billing.models import PaymentDiversion, PaymentShare
from mutualist.core.errors import Conflict, PermissionDenied, ValidationFailed
from mutualist.core.money import Money
from mutualist.mutual.accounts import member_fund_account
from mutualist.mutual.models import Claim, ClaimPayment, Fund, Participation
from mutualist.mutual.services.savings import (
    saving_of,
    savings_balance,
    savings_withdraw,
)
from mutualist.mutual.tests.helpers import fund_active, rules_passed, snapshot
from mutualist.mutual.tests.test_income_gap_helpers import client_paying_in, minor, paid_work
from mutualist.testing import Cast, ledger_checked

pytestmark = pytest.mark.django_db

TODAY = dt.datetime(2026, 12, 5, 9, 0, tzinfo=dt.UTC)


def php(amount: str) -> Money:
    return Money(amount, "PHP")


@pytest.fixture(autouse=True)
def _today(time_machine: Any) -> None:
    time_machine.move_to(TODAY, tick=False)


@pytest.fixture
def savings(cast: Cast) -> Fund:
    return fund_active(cast.collective_a, "savings", created_by=cast.ana)


@pytest.fixture
def peso(cast: Cast) -> Any:
    return client_paying_in(cast.collective_a, "PHP", created_by=cast.ana)


@pytest.fixture
def aussie(cast: Cast) -> Any:
    return client_paying_in(cast.collective_a, "AUD", created_by=cast.ana)


def pay(client: Any, member: Any, amount: str, key: str) -> Any:
    return paid_work(client, member, amount, on=TODAY.date(), key=key)


@pytest.fixture
def saved(cast: Cast, savings: Fund, peso: Any) -> Fund:
    """Ben has 45.00 PHP saved (5 % of his 900.00 part of a 1,000.00 invoice)
    and 855.00 PHP in his payable."""
    pay(peso, cast.ben, "1000.00", "saved")
    return savings


# --- Saving ------------------------------------------------------------------------------------


def test_a_share_of_each_part_lands_in_the_members_savings_and_the_rest_in_the_payable(
    cast: Cast, savings: Fund, peso: Any
) -> None:
    # when a client pays 1,000.00 for Ben's work
    payment = pay(peso, cast.ben, "1000.00", "first")

    # then of his 900.00 part, 5 % (45.00) is saved and 855.00 is his to be paid
    participation = Participation.objects.get(fund=savings, member=cast.ben)
    assert (participation.state, participation.tier, participation.joined_on) == (
        "active",
        None,
        TODAY.date(),
    )
    account = member_fund_account(participation, "PHP")
    assert minor(account) == 4500
    assert minor(member_account(cast.collective_a, cast.ben, "PHP")) == 85500
    assert savings_balance(fund=savings, member=cast.ben) == [php("45.00")]
    # billing records the member's whole share and where part of it went
    share = PaymentShare.objects.get(payment=payment, key=f"member:{cast.ben.pk}")
    assert share.amount_minor == 90000
    diversion = PaymentDiversion.objects.get(share=share)
    assert (diversion.account_id, diversion.amount_minor, diversion.currency, diversion.reason) == (
        account.pk,
        4500,
        "PHP",
        "savings",
    )
    ledger_checked()


def test_the_saving_is_rounded_down_to_the_minor_unit(cast: Cast, peso: Any) -> None:
    # given 3 % saved, and Ben's part of a 100.01 invoice is 90.01
    fund = fund_active(cast.collective_a, "savings", {"percent": "3"}, created_by=cast.ana)

    pay(peso, cast.ben, "100.01", "odd")

    # then 3 % of 90.01 (2.7003) is saved as 2.70, and 87.31 reaches his payable
    assert savings_balance(fund=fund, member=cast.ben) == [php("2.70")]
    assert minor(member_account(cast.collective_a, cast.ben, "PHP")) == 8731
    ledger_checked()


@pytest.mark.parametrize(
    ("amount", "percent", "saved"),
    [
        ("90.01", "3", "2.70"),
        ("0.19", "5", "0.00"),  # 0.0095: less than a centavo saves nothing
        ("100.00", "12.5", "12.50"),
        ("0.01", "50", "0.00"),
    ],
)
def test_saving_of_rounds_down(amount: str, percent: str, saved: str) -> None:
    from decimal import Decimal

    assert saving_of(php(amount), Decimal(percent)) == php(saved)


def test_yen_are_saved_in_whole_yen() -> None:
    from decimal import Decimal

    assert saving_of(Money("999", "JPY"), Decimal("5")) == Money("49", "JPY")


def test_each_member_saves_into_their_own_account(cast: Cast, savings: Fund, peso: Any) -> None:
    pay(peso, cast.ben, "1000.00", "ben")
    pay(peso, cast.ana, "200.00", "ana")

    assert savings_balance(fund=savings, member=cast.ben) == [php("45.00")]
    assert savings_balance(fund=savings, member=cast.ana) == [php("9.00")]
    accounts = {
        p.member_id: member_fund_account(p, "PHP").pk
        for p in Participation.objects.filter(fund=savings)
    }
    assert len(set(accounts.values())) == 2


def test_a_payment_in_another_currency_is_saved_in_that_currency(
    cast: Cast, savings: Fund, peso: Any, aussie: Any
) -> None:
    pay(peso, cast.ben, "1000.00", "php")
    pay(aussie, cast.ben, "100.00", "aud")

    # 5 % of 90.00 AUD, in an AUD account of his; currencies in order
    assert savings_balance(fund=savings, member=cast.ben) == [
        Money("4.50", "AUD"),
        php("45.00"),
    ]
    assert minor(member_account(cast.collective_a, cast.ben, "AUD")) == 8550
    assert Participation.objects.filter(fund=savings, member=cast.ben).count() == 1
    ledger_checked()


def test_nothing_is_saved_without_an_active_savings_fund(cast: Cast, peso: Any) -> None:
    # given a savings fund whose rules are still under vote
    fund = Fund.objects.create(
        collective=cast.collective_a, kind="savings", currency="PHP", created_by=cast.ana
    )

    pay(peso, cast.ben, "1000.00", "none")

    assert minor(member_account(cast.collective_a, cast.ben, "PHP")) == 90000
    assert not Participation.objects.exists()
    assert not PaymentDiversion.objects.exists()
    assert savings_balance(fund=fund, member=cast.ben) == []


def test_nothing_is_saved_at_zero_percent(cast: Cast, peso: Any) -> None:
    fund_active(cast.collective_a, "savings", {"percent": "0"}, created_by=cast.ana)

    pay(peso, cast.ben, "1000.00", "zero")

    assert minor(member_account(cast.collective_a, cast.ben, "PHP")) == 90000
    assert not Participation.objects.exists()
    assert not PaymentDiversion.objects.exists()


def test_another_collectives_savings_take_nothing(cast: Cast, peso: Any) -> None:
    fund_active(cast.collective_b, "savings", created_by=cast.carla)

    pay(peso, cast.ben, "1000.00", "b")

    assert minor(member_account(cast.collective_a, cast.ben, "PHP")) == 90000
    assert not Participation.objects.exists()


def test_the_rules_in_force_on_the_payments_day_set_the_share(
    cast: Cast, savings: Fund, peso: Any, time_machine: Any
) -> None:
    # given 10 % voted in from 10 December
    rules_passed(savings, {"percent": "10"}, effective_from=dt.date(2026, 12, 10))

    # when payments arrive on 5 and on 12 December
    pay(peso, cast.ben, "1000.00", "before")
    time_machine.move_to(dt.datetime(2026, 12, 12, 9, tzinfo=dt.UTC), tick=False)
    paid_work(peso, cast.ben, "1000.00", on=dt.date(2026, 12, 12), key="after")

    # then the first is saved at 5 % (45.00), the second at 10 % (90.00)
    assert savings_balance(fund=savings, member=cast.ben) == [php("135.00")]
    assert list(PaymentDiversion.objects.order_by("pk").values_list("amount_minor", flat=True)) == [
        4500,
        9000,
    ]


# --- Withdrawing ---------------------------------------------------------------------------------


def test_a_withdrawal_is_approved_by_the_rules_and_paid_at_once(cast: Cast, saved: Fund) -> None:
    payable = member_account(cast.collective_a, cast.ben, "PHP")

    claim = savings_withdraw(fund=saved, member=cast.ben, amount=php("20.00"), reason="New laptop")

    assert (claim.state, claim.approval, claim.approvals_needed) == ("paid", "automatic", 0)
    assert (claim.amount_minor, claim.paid_minor, claim.reserved_minor) == (2000, 2000, 0)
    assert (claim.currency, claim.claim_date, claim.reason) == ("PHP", TODAY.date(), "New laptop")
    assert savings_balance(fund=saved, member=cast.ben) == [php("25.00")]
    assert minor(payable) == 85500 + 2000
    payment = ClaimPayment.objects.get(claim=claim)
    assert payment.transaction is not None
    assert (payment.amount_minor, payment.transaction.kind) == (2000, "fund_payout")
    ledger_checked()


def test_the_whole_balance_can_be_withdrawn(cast: Cast, saved: Fund) -> None:
    claim = savings_withdraw(fund=saved, member=cast.ben, amount=php("45.00"))

    assert claim.state == "paid"
    assert savings_balance(fund=saved, member=cast.ben) == [php("0.00")]
    assert minor(member_account(cast.collective_a, cast.ben, "PHP")) == 90000
    ledger_checked()


def test_a_withdrawal_in_another_currency_comes_from_that_account(
    cast: Cast, saved: Fund, aussie: Any
) -> None:
    pay(aussie, cast.ben, "100.00", "aud")

    savings_withdraw(fund=saved, member=cast.ben, amount=Money("4.50", "AUD"))

    assert savings_balance(fund=saved, member=cast.ben) == [Money("0.00", "AUD"), php("45.00")]
    assert minor(member_account(cast.collective_a, cast.ben, "AUD")) == 9000


@pytest.mark.parametrize(
    ("amount", "error", "code"),
    [
        (php("45.01"), Conflict, "beyond_balance"),
        (php("0"), ValidationFailed, "invalid_amount"),
        (php("-5.00"), ValidationFailed, "invalid_amount"),
        (Money("1.00", "AUD"), ValidationFailed, "no_savings_in_currency"),
    ],
)
def test_a_withdrawal_beyond_the_rules_is_refused_and_changes_nothing(
    cast: Cast, saved: Fund, amount: Money, error: type[Exception], code: str
) -> None:
    before = snapshot()

    with pytest.raises(error) as refused:
        savings_withdraw(fund=saved, member=cast.ben, amount=amount)

    assert getattr(refused.value, "code", None) == code
    assert getattr(refused.value, "field", None) == "amount"
    assert snapshot() == before


def test_beyond_the_balance_says_what_is_held(cast: Cast, saved: Fund) -> None:
    with pytest.raises(Conflict) as refused:
        savings_withdraw(fund=saved, member=cast.ben, amount=php("100.00"))
    assert refused.value.message == "Your savings hold 45.00 PHP; you cannot withdraw 100.00 PHP."


def test_a_member_without_savings_has_nothing_to_withdraw(cast: Cast, saved: Fund) -> None:
    assert savings_balance(fund=saved, member=cast.ana) == []
    before = snapshot()
    with pytest.raises(ValidationFailed) as refused:
        savings_withdraw(fund=saved, member=cast.ana, amount=php("1.00"))
    assert refused.value.code == "no_savings_in_currency"
    assert snapshot() == before


def test_outsiders_cannot_withdraw(cast: Cast, saved: Fund) -> None:
    for outsider in (cast.olga, cast.carla):
        before = snapshot()
        with pytest.raises(PermissionDenied) as refused:
            savings_withdraw(fund=saved, member=outsider, amount=php("1.00"))
        assert refused.value.code == "not_a_member"
        assert snapshot() == before


def test_withdrawals_come_from_the_savings_fund_only(cast: Cast, saved: Fund) -> None:
    gap = fund_active(cast.collective_a, "income_gap", created_by=cast.ana)
    before = snapshot()
    with pytest.raises(ValidationFailed) as refused:
        savings_withdraw(fund=gap, member=cast.ben, amount=php("1.00"))
    assert (refused.value.code, refused.value.field) == ("wrong_fund", "fund")
    assert snapshot() == before


def test_more_withdrawals_than_the_rules_allow_in_twelve_months_are_refused(
    cast: Cast, peso: Any, time_machine: Any
) -> None:
    # given two withdrawals a year, and two made on 5 December 2026
    fund = fund_active(
        cast.collective_a, "savings", {"withdrawals_per_year": 2}, created_by=cast.ana
    )
    pay(peso, cast.ben, "1000.00", "saved")
    for _ in range(2):
        savings_withdraw(fund=fund, member=cast.ben, amount=php("10.00"))

    # then a third that day is refused, changing nothing
    before = snapshot()
    with pytest.raises(Conflict) as refused:
        savings_withdraw(fund=fund, member=cast.ben, amount=php("10.00"))
    assert (refused.value.code, refused.value.field) == ("too_many_withdrawals", "amount")
    assert "At most 2 withdrawals in twelve months" in refused.value.message
    assert snapshot() == before

    # and still on 4 December 2027
    time_machine.move_to(dt.datetime(2027, 12, 4, 9, tzinfo=dt.UTC), tick=False)
    with pytest.raises(Conflict) as refused:
        savings_withdraw(fund=fund, member=cast.ben, amount=php("10.00"))
    assert refused.value.code == "too_many_withdrawals"

    # but a year after them, one more is allowed
    time_machine.move_to(dt.datetime(2027, 12, 5, 9, tzinfo=dt.UTC), tick=False)
    assert savings_withdraw(fund=fund, member=cast.ben, amount=php("10.00")).state == "paid"
    assert savings_balance(fund=fund, member=cast.ben) == [php("15.00")]
    assert Claim.objects.filter(fund=fund, state="paid").count() == 3
    ledger_checked()


def test_a_withdrawal_follows_the_rules_in_force_that_day(
    cast: Cast, saved: Fund, time_machine: Any
) -> None:
    # given one withdrawal a year from 1 January 2027
    savings_withdraw(fund=saved, member=cast.ben, amount=php("5.00"))
    rules_passed(saved, {"withdrawals_per_year": 1}, effective_from=dt.date(2027, 1, 1))

    # then on 2 January the December withdrawal already uses it up
    time_machine.move_to(dt.datetime(2027, 1, 2, 9, tzinfo=dt.UTC), tick=False)
    with pytest.raises(Conflict) as refused:
        savings_withdraw(fund=saved, member=cast.ben, amount=php("5.00"))
    assert refused.value.code == "too_many_withdrawals"
