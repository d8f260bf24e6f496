"""A member paid in another currency deposits from that balance, at the rate on record."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from mutualist.billing.accounts import member_account
from mutualist.core.money import Money
from mutualist.ledger.services import (
    Line,
    account_name_for,
    account_open,
    exchange_rate_set,
    transaction_post,
)
from mutualist.mutual.accounts import balance_minor
from mutualist.mutual.models import Deposit
from mutualist.mutual.services.sick_pay import sick_pay_deposits_post
from mutualist.mutual.tests.sick_pay_helpers import held, join, owed, pay_member, sick_fund
from mutualist.testing import Cast, ledger_checked

pytestmark = pytest.mark.django_db
DAY = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _now(time_machine: Any) -> None:
    time_machine.move_to(DAY, tick=False)


def pay_aud(cast: Cast, member: Any, amount: str) -> None:
    collective = cast.collective_a
    bank = account_open(
        collective=collective,
        name=account_name_for(collective, "assets", "Bank", "AUD"),
        type="assets",
        currency="AUD",
    )
    money = Money(amount, "AUD")
    transaction_post(
        lines=[Line(bank, money), Line(member_account(collective, member, "AUD"), -money)],
        memo="A share of a paid invoice, in AUD",
        occurred_at=timezone.localdate(),
        idempotency_key=f"test:aud:{member.pk}",
        kind="opening",
    )


def test_a_member_paid_in_aud_deposits_pesos_at_the_rate_on_record(cast: Cast) -> None:
    # Given Ben earns in AUD only, and tier 1 deposits 60.00 PHP
    fund = sick_fund(cast.collective_a, cast.ana)
    ben = join(fund, cast.ben, tier=1)
    pay_aud(cast, cast.ben, "10.00")
    exchange_rate_set(
        collective=cast.collective_a,
        actor=cast.ana,
        base="AUD",
        quote="PHP",
        rate="38.50",
        on=DAY.date(),
    )
    # When the month's deposits are taken
    sick_pay_deposits_post(DAY.date())
    # Then 60.00 PHP is in his account, taken as 1.56 AUD (60 / 38.5 = 1.5584..., rounded up)
    deposit = Deposit.objects.get(participation=ben)
    assert deposit.state == "paid"
    assert held(ben) == 6000
    aud = member_account(cast.collective_a, cast.ben, "AUD")
    aud.refresh_from_db()
    assert balance_minor(aud) == 1000 - 156
    assert deposit.transaction is not None
    assert str(deposit.transaction.fx_rate) == "38.500000000000"
    ledger_checked()


def test_the_funds_currency_comes_first_and_no_rate_means_arrears(cast: Cast) -> None:
    fund = sick_fund(cast.collective_a, cast.ana)
    ana = join(fund, cast.ana, tier=0)
    ben = join(fund, cast.ben, tier=0)
    pay_member(fund, cast.ana, "100.00", "ana")
    pay_aud(cast, cast.ana, "10.00")
    pay_aud(cast, cast.ben, "10.00")
    sick_pay_deposits_post(DAY.date())
    # Ana's pesos cover hers; Ben has only AUD and there is no AUD/PHP rate.
    assert Deposit.objects.get(participation=ana).state == "paid"
    assert owed(fund, cast.ana) == 10000 - 3000
    assert Deposit.objects.get(participation=ben).state == "arrears"
    assert held(ben) == 0
    ledger_checked()
