"""Races on savings and top-ups, on PostgreSQL: withdrawals at once never
take more than the balance, payments at once open one savings place, two
claims for one month at once make one claim.

Each test runs threads that meet at a barrier and call a service at once,
each on its own database connection. SQLite serialises every write
transaction, so these races cannot happen there; they are skipped unless
DATABASE_URL names a PostgreSQL database.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection

from mutualist.billing.accounts import member_account
from mutualist.core.money import Money
from mutualist.mutual.models import Claim, ClaimPayment, Participation
from mutualist.mutual.services.income_gap import income_gap_claim_submit
from mutualist.mutual.services.savings import savings_balance, savings_withdraw
from mutualist.mutual.tests.helpers import fund_active
from mutualist.mutual.tests.test_income_gap_helpers import (
    client_paying_in,
    joined_on,
    minor,
    paid_work,
)
from mutualist.testing import Cast, ledger_checked, race

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row-lock races need PostgreSQL (set DATABASE_URL); SQLite serialises writers",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TODAY = dt.datetime(2026, 12, 5, 9, 0, tzinfo=dt.UTC)


def php(amount: str) -> Money:
    return Money(amount, "PHP")


@pytest.fixture(autouse=True)
def _today(time_machine: Any) -> None:
    time_machine.move_to(TODAY, tick=False)


def test_withdrawals_at_once_never_take_more_than_the_balance(cast: Cast) -> None:
    # given Ben has 45.00 saved and may withdraw often
    fund = fund_active(
        cast.collective_a, "savings", {"withdrawals_per_year": 52}, created_by=cast.ana
    )
    client = client_paying_in(cast.collective_a, "PHP", created_by=cast.ana)
    paid_work(client, cast.ben, "1000.00", on=TODAY.date(), key="saved")
    assert savings_balance(fund=fund, member=cast.ben) == [php("45.00")]

    # when he asks for 10.00 ten times at once
    outcome = race(
        *[
            lambda: savings_withdraw(fund=fund, member=cast.ben, amount=php("10.00"))
            for _ in range(10)
        ]
    )

    # then four are paid, six refused as beyond the balance, 5.00 is left
    assert len(outcome.results) == 4
    assert all(claim.state == "paid" for claim in outcome.results)
    assert sorted({refusal.code for refusal in outcome.refusals}) == ["beyond_balance"]
    assert len(outcome.refusals) == 6
    assert savings_balance(fund=fund, member=cast.ben) == [php("5.00")]
    assert Claim.objects.filter(fund=fund).count() == 4
    assert ClaimPayment.objects.filter(claim__fund=fund).count() == 4
    assert minor(member_account(cast.collective_a, cast.ben, "PHP")) == 85500 + 4000
    ledger_checked()


def test_two_withdrawals_of_most_of_the_balance_at_once_pay_one(cast: Cast) -> None:
    fund = fund_active(cast.collective_a, "savings", created_by=cast.ana)
    client = client_paying_in(cast.collective_a, "PHP", created_by=cast.ana)
    paid_work(client, cast.ben, "1000.00", on=TODAY.date(), key="saved")

    outcome = race(
        lambda: savings_withdraw(fund=fund, member=cast.ben, amount=php("30.00")),
        lambda: savings_withdraw(fund=fund, member=cast.ben, amount=php("30.00")),
    )

    assert len(outcome.results) == 1
    assert [refusal.code for refusal in outcome.refusals] == ["beyond_balance"]
    assert savings_balance(fund=fund, member=cast.ben) == [php("15.00")]
    ledger_checked()


def test_payments_at_once_open_one_savings_place_and_save_both(cast: Cast) -> None:
    # given two invoices of Ben's work, paid at the same moment
    fund = fund_active(cast.collective_a, "savings", created_by=cast.ana)
    client = client_paying_in(cast.collective_a, "PHP", created_by=cast.ana)

    outcome = race(
        lambda: paid_work(client, cast.ben, "1000.00", on=TODAY.date(), key="one"),
        lambda: paid_work(client, cast.ben, "200.00", on=TODAY.date(), key="two"),
    )

    # then both are booked, into one savings account: 45.00 + 9.00
    assert len(outcome.results) == 2
    assert Participation.objects.filter(fund=fund, member=cast.ben).count() == 1
    assert savings_balance(fund=fund, member=cast.ben) == [php("54.00")]
    assert minor(member_account(cast.collective_a, cast.ben, "PHP")) == 85500 + 17100
    ledger_checked()


def test_two_top_up_claims_for_one_month_at_once_make_one_claim(cast: Cast) -> None:
    joined_on(cast.collective_a, cast.ben, dt.date(2025, 1, 1))
    fund = fund_active(cast.collective_a, "income_gap", created_by=cast.ana)

    def claim() -> Claim:
        return income_gap_claim_submit(
            fund=fund, claimant=cast.ben, period=dt.date(2026, 11, 1), reason="Quiet month"
        )

    outcome = race(claim, claim)

    assert len(outcome.results) == 1
    assert [refusal.code for refusal in outcome.refusals] == ["claim_exists"]
    assert Claim.objects.filter(fund=fund).count() == 1
