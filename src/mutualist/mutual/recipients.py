"""Where the funds' money comes from and goes to, wired into the apps below.

- The split rule's levies for the pooled funds (``guarantee``,
  ``income_gap``) are credited to the fund's pool account
  (``billing.recipients.fund_recipient_register``). A sick-pay or savings
  code in a split rule is not a levy: those funds are fed by deposits and
  by a share of each member's part, so a levy to them lands in a plain
  pool account of that code, kept like any other.
- How each kind's claims are paid (``services.claims.payout_kind_register``):
  income-gap top-ups from the pool to the member's payable here; the
  guarantee and savings register their own.
"""

from __future__ import annotations

from mutualist.billing.accounts import member_account
from mutualist.billing.recipients import fund_recipient_register
from mutualist.collectives.models import Collective
from mutualist.core.money import Money
from mutualist.ledger.models import Account
from mutualist.ledger.services import Line
from mutualist.mutual.accounts import pool_account
from mutualist.mutual.models import Claim
from mutualist.mutual.services.claims import PayoutPlan, payout_kind_register


def _guarantee_pool(collective: Collective, currency: str) -> Account:
    return pool_account(collective, "guarantee", currency)


def _income_gap_pool(collective: Collective, currency: str) -> Account:
    return pool_account(collective, "income_gap", currency)


def _pool_source(claim: Claim) -> Account:
    return pool_account(claim.collective, claim.fund.code, claim.currency)


def _top_up_plan(claim: Claim, amount: Money) -> PayoutPlan:
    month = f" for {claim.period:%B %Y}" if claim.period else ""
    return PayoutPlan(
        lines=[
            Line(_pool_source(claim), amount),
            Line(member_account(claim.collective, claim.claimant, claim.currency), -amount),
        ],
        memo=f"Income-gap top-up{month} to {claim.claimant.display_name} (claim #{claim.pk})",
    )


def register_all() -> None:
    fund_recipient_register(
        "guarantee", label="Payment guarantee fund", account_for=_guarantee_pool
    )
    fund_recipient_register("income_gap", label="Income-gap fund", account_for=_income_gap_pool)
    payout_kind_register("income_gap", source=_pool_source, plan=_top_up_plan)
    from mutualist.mutual.services import guarantee, savings

    guarantee.register()
    savings.register()
