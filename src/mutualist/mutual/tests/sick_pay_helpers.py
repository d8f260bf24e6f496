"""Builders for the sick-pay tests (imported, not collected).

Figures are chosen so that gifts read easily: tier 1 deposits 30.00 PHP a
month for a gift of 1,000.00, tier 2 60.00 for 2,000.00, tier 3 90.00 for
3,000.00 (indexes 0, 1, 2). Peers approve a claim with one approval.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from mutualist.billing.accounts import member_account
from mutualist.collectives.models import Collective
from mutualist.core.money import Money
from mutualist.ledger.models import Account
from mutualist.ledger.services import Line, account_name_for, account_open, transaction_post
from mutualist.members.models import User
from mutualist.mutual.accounts import balance_minor, member_fund_account
from mutualist.mutual.models import Claim, Fund, Participation
from mutualist.mutual.services.claims import claim_approve
from mutualist.mutual.services.sick_pay import sick_claim_submit, sick_pay_join
from mutualist.mutual.tests.helpers import fund_active

RULES: dict[str, Any] = {
    "tiers": [
        {"deposit": "30.00", "payout": "1000.00"},
        {"deposit": "60.00", "payout": "2000.00"},
        {"deposit": "90.00", "payout": "3000.00"},
    ],
    "approvals_needed": 1,
}
# Everyone in the tests joined at the start of the year, before any sick period.
JOINED = dt.date(2026, 1, 1)


def sick_fund(
    collective: Collective, created_by: User, rules: dict[str, Any] | None = None
) -> Fund:
    """An active sick-pay fund whose rules (``RULES`` and ``rules``) are in force since 2026."""
    return fund_active(collective, "sick_pay", {**RULES, **(rules or {})}, created_by=created_by)


def join(fund: Fund, member: User, tier: int = 0, joined_on: dt.date = JOINED) -> Participation:
    return sick_pay_join(fund=fund, member=member, tier=tier, joined_on=joined_on)


def _bank(collective: Collective) -> Account:
    return account_open(
        collective=collective,
        name=account_name_for(collective, "assets", "Bank", "PHP"),
        type="assets",
        currency="PHP",
    )


def pay_member(fund: Fund, member: User, amount: str, key: str) -> None:
    """``amount`` PHP lands in ``member``'s payable (as a share of a paid invoice would)."""
    money = Money(amount, "PHP")
    transaction_post(
        lines=[
            Line(_bank(fund.collective), money),
            Line(member_account(fund.collective, member, "PHP"), -money),
        ],
        memo="A share of a paid invoice",
        occurred_at=timezone.localdate(),
        idempotency_key=f"test:pay:{key}",
        kind="opening",
    )


def seed(participation: Participation, amount: str, key: str) -> None:
    """``amount`` PHP in the member's own sick-pay account (deposits made before)."""
    money = Money(amount, "PHP")
    transaction_post(
        lines=[
            Line(_bank(participation.fund.collective), money),
            Line(member_fund_account(participation, "PHP"), -money),
        ],
        memo="Deposits made before",
        occurred_at=timezone.localdate(),
        idempotency_key=f"test:seed:{key}",
        kind="opening",
    )


def held(participation: Participation) -> int:
    """What the member's sick-pay account holds, in minor units."""
    account = member_fund_account(participation, "PHP")
    account.refresh_from_db()
    return balance_minor(account)


def owed(fund: Fund, member: User) -> int:
    """What the member's payable holds, in minor units."""
    account = member_account(fund.collective, member, "PHP")
    account.refresh_from_db()
    return balance_minor(account)


def ongoing(
    fund: Fund, claimant: User, approver: User, starts_on: dt.date, percent: int = 100
) -> Claim:
    """A sick claim reported and approved by one peer: ongoing."""
    claim = sick_claim_submit(fund=fund, claimant=claimant, starts_on=starts_on, percent=percent)
    return claim_approve(claim=claim, approver=approver)
