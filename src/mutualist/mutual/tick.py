"""The funds' periodic jobs for ``mutualist tick``; each is idempotent and
safe with several schedulers at once (see each service's docstring).

Order matters within one run: rule-set changes and exits first (an exit
takes the member's balance before this month's deposit would be asked of
them), then this month's deposits, then last month's sick pay drawn from
the accounts, then the yearly refund of what is above each cap, then claims
that waited for money and claims no one decided; last, stored solvency
estimates older than a month are forgotten.
"""

from __future__ import annotations

from mutualist.core.tick import register
from mutualist.mutual.services.claims import claims_expire_due, claims_pay_waiting
from mutualist.mutual.services.sick_pay import (
    sick_pay_buffer_refunds,
    sick_pay_changes_apply,
    sick_pay_deposits_post,
    sick_pay_runs_due,
)
from mutualist.mutual.services.solvency import solvency_runs_prune


def apply_participation_changes() -> int:
    """Apply sick-pay tier changes and exits due today."""
    return sick_pay_changes_apply()


def post_deposits() -> int:
    """Post this month's sick-pay deposits from members' payables; retry arrears."""
    return sick_pay_deposits_post()


def pay_sick_pay() -> int:
    """Pay last month's sick pay once it has ended, reduced pro rata when a fund is short."""
    return sick_pay_runs_due()


def refund_buffers() -> int:
    """Once a year, give back what a sick-pay account holds beyond its cap."""
    return sick_pay_buffer_refunds()


def pay_waiting_claims() -> int:
    """Pay approved claims that waited for money, oldest first."""
    return claims_pay_waiting()


def expire_claims() -> int:
    """Expire claims no one decided within their rules' time."""
    return claims_expire_due()


register("mutual.apply_participation_changes", apply_participation_changes)
register("mutual.post_deposits", post_deposits)
register("mutual.pay_sick_pay", pay_sick_pay)
register("mutual.refund_buffers", refund_buffers)
register("mutual.pay_waiting_claims", pay_waiting_claims)


def prune_solvency_runs() -> int:
    """Forget stored solvency estimates more than a month old (a cache)."""
    return solvency_runs_prune()


register("mutual.expire_claims", expire_claims)
register("mutual.prune_solvency_runs", prune_solvency_runs)
