"""Races on the funds' money-moving requests: a retry arriving while the
first request is still running, two withdrawals from one balance, two peers
giving a claim its last approval.

Each test sends requests from threads released together, each on its own
database connection. SQLite serialises every write transaction, so these
races cannot happen there; they run on PostgreSQL (set DATABASE_URL) and are
skipped otherwise.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection

from mutualist.api.tests.support import bearer_client
from mutualist.api.tests.test_mutual_support import A, fill, gap_claim, php, post
from mutualist.billing.accounts import member_account
from mutualist.members.models import User
from mutualist.mutual.accounts import member_fund_account
from mutualist.mutual.models import Claim, ClaimPayment, Fund, Participation
from mutualist.mutual.services.claims import claim_approve
from mutualist.mutual.tests.helpers import add_member, fund_active
from mutualist.mutual.tests.test_income_gap_helpers import client_paying_in, minor, paid_work
from mutualist.testing import Cast, ledger_checked, race

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row-lock races need PostgreSQL (set DATABASE_URL); SQLite serialises writers",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TODAY = dt.datetime(2026, 12, 5, 9, 0, tzinfo=dt.UTC)
SAVINGS = f"{A}/funds/savings/claims"


@pytest.fixture(autouse=True)
def _today(time_machine: Any) -> None:
    time_machine.move_to(TODAY, tick=False)


@pytest.fixture
def saved(cast: Cast) -> Fund:
    """Ben has 45.00 PHP saved (5 % of his 900.00 part of a 1,000.00 invoice)."""
    fund = fund_active(cast.collective_a, "savings", created_by=cast.ana)
    peso = client_paying_in(cast.collective_a, "PHP", created_by=cast.ana)
    paid_work(peso, cast.ben, "1000.00", on=TODAY.date(), key="saved")
    return fund


def savings_held(fund: Fund, member: User) -> int:
    return minor(member_fund_account(Participation.objects.get(fund=fund, member=member), "PHP"))


def test_a_retry_sent_while_the_first_withdrawal_runs_is_answered_with_it(
    cast: Cast, saved: Fund
) -> None:
    body = {"amount": php("20.00"), "reason": "Laptop"}
    first, second = bearer_client(cast.ben), bearer_client(cast.ben)
    payable = minor(member_account(cast.collective_a, cast.ben, "PHP"))

    outcome = race(
        lambda: post(first, SAVINGS, body, key="twin"),
        lambda: post(second, SAVINGS, body, key="twin"),
    )

    assert outcome.crashes == []
    responses = outcome.results
    assert [r.status_code for r in responses] == [201, 201]
    assert responses[0].json() == responses[1].json()
    assert sorted(r.get("Idempotent-Replayed") or "" for r in responses) == ["", "true"]
    assert Claim.objects.filter(fund=saved).count() == 1
    assert savings_held(saved, cast.ben) == 25_00
    assert minor(member_account(cast.collective_a, cast.ben, "PHP")) == payable + 20_00
    ledger_checked()


def test_two_withdrawals_at_once_never_take_more_than_the_savings_hold(
    cast: Cast, saved: Fund
) -> None:
    body = {"amount": php("30.00")}

    outcome = race(
        lambda: post(bearer_client(cast.ben), SAVINGS, body, key="one"),
        lambda: post(bearer_client(cast.ben), SAVINGS, body, key="two"),
    )

    assert outcome.crashes == []
    statuses = sorted(r.status_code for r in outcome.results)
    assert statuses == [201, 409]
    refused = next(r for r in outcome.results if r.status_code == 409)
    assert refused.json()["code"] == "beyond_balance"
    assert savings_held(saved, cast.ben) == 15_00
    ledger_checked()


def test_two_peers_giving_a_claim_its_last_approval_at_once_pay_it_once(cast: Cast) -> None:
    gap = fund_active(cast.collective_a, "income_gap", {"approvals_needed": 2}, created_by=cast.ana)
    fill(gap, "1000.00", "race")
    cleo = add_member(cast.collective_a, "cleo@example.com", "Cleo Santos")
    dan = add_member(cast.collective_a, "dan@example.com", "Dan Cruz")
    claim = gap_claim(gap, cast.ben, "300.00")
    claim_approve(claim=claim, approver=cast.ana)
    path = f"{A}/claims/{claim.pk}/approve"

    outcome = race(
        lambda: post(bearer_client(cleo), path, key="cleo"),
        lambda: post(bearer_client(dan), path, key="dan"),
    )

    assert outcome.crashes == []
    assert sorted(r.status_code for r in outcome.results) == [200, 409]
    claim.refresh_from_db()
    assert (claim.state, claim.paid_minor) == ("paid", 300_00)
    assert ClaimPayment.objects.filter(claim=claim).count() == 1
    assert minor(member_account(cast.collective_a, cast.ben, "PHP")) == 300_00
    ledger_checked()
