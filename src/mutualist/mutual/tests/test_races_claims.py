"""Races on a fund's money: many claims approved and paid at once.

Threads meet at a barrier and call the services at once, each on its own
database connection. SQLite serialises every write transaction, so these run
on PostgreSQL (set DATABASE_URL) and are skipped otherwise.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from mutualist.ledger.models import Account
from mutualist.mutual.accounts import balance_minor, pool_account
from mutualist.mutual.models import Claim, ClaimPayment
from mutualist.mutual.services.claims import claim_approve, claim_pay, claims_pay_waiting
from mutualist.mutual.tests.helpers import add_member, fund_active
from mutualist.mutual.tests.test_claims import fill, gap_claim
from mutualist.testing import Cast, ledger_checked, race

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row-lock races need PostgreSQL (set DATABASE_URL); SQLite serialises writers",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def ten_claims(cast: Cast, *, partial: bool) -> tuple[Any, list[Claim]]:
    fund = fund_active(
        cast.collective_a,
        "income_gap",
        {"approvals_needed": 1, "partial_payouts": partial},
        created_by=cast.ana,
    )
    fill(fund, "1000", "race")
    claimants = [
        add_member(cast.collective_a, f"m{n}@example.com", f"Member {n}") for n in range(10)
    ]
    return fund, [gap_claim(fund, claimant, "150") for claimant in claimants]


def assert_never_beyond(cast: Cast, claims: list[Claim]) -> int:
    pool = pool_account(cast.collective_a, "income_gap", "PHP")
    paid = sum(c.paid_minor for c in Claim.objects.filter(pk__in=[c.pk for c in claims]))
    assert paid == sum(ClaimPayment.objects.values_list("amount_minor", flat=True))
    assert paid <= 100000
    assert balance_minor(pool) == 100000 - paid >= 0
    assert not Account.objects.filter(
        must_not_go_negative=True, type="liabilities", balance_minor__gt=0
    )
    ledger_checked()
    return paid


def test_ten_claims_approved_at_once_never_pay_beyond_the_fund(cast: Cast) -> None:
    # Given 1,000.00 PHP and ten claims of 150.00 that together ask 1,500.00
    fund, claims = ten_claims(cast, partial=False)
    # When Ana approves all ten at the same moment
    outcome = race(*[lambda c=c: claim_approve(claim=c, approver=cast.ana) for c in claims])
    assert not outcome.refusals
    # Then six are paid whole, four wait with nothing reserved, and the fund holds 100.00
    states = sorted(Claim.objects.filter(fund=fund).values_list("state", "paid_minor"))
    assert states == [("approved", 0)] * 4 + [("paid", 15000)] * 6
    assert assert_never_beyond(cast, claims) == 90000


def test_ten_claims_paid_at_once_with_partial_payouts_use_the_fund_exactly(cast: Cast) -> None:
    fund, claims = ten_claims(cast, partial=True)
    for claim in claims:
        Claim.objects.filter(pk=claim.pk).update(state="approved", decided_at=timezone.now())
    outcome = race(*[lambda c=c: claim_pay(claim=c) for c in claims])
    assert not outcome.refusals
    assert assert_never_beyond(cast, claims) == 100000
    figures = sorted(Claim.objects.filter(fund=fund).values_list("paid_minor", flat=True))
    # Six whole, one in part (the 100.00 left), three waiting.
    assert figures == [0, 0, 0, 10000, 15000, 15000, 15000, 15000, 15000, 15000]


def test_two_schedulers_paying_waiting_claims_pay_each_once(cast: Cast) -> None:
    fund, claims = ten_claims(cast, partial=False)
    for claim in claims:
        Claim.objects.filter(pk=claim.pk).update(state="approved", decided_at=timezone.now())
    outcome = race(claims_pay_waiting, claims_pay_waiting)
    assert not outcome.refusals
    assert sum(outcome.results) == 6
    assert assert_never_beyond(cast, claims) == 90000
