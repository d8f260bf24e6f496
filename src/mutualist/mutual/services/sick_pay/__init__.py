"""The sick-pay fund, in the Broodfonds tradition.

Each member who takes part (a ``Participation`` with a tier) deposits every
month into their OWN account inside the fund (``mutual.accounts.
member_fund_account``), taken from what the collective owes them (their
payable, ``billing.accounts.member_account``). When a member is sick, the
monthly gift they receive is drawn from the OTHER members' accounts in
proportion to their tiers' deposits; a member who leaves takes what is left
in their account. Each account is capped (``buffer_multiple`` monthly
deposits) and what is above the cap is refunded once a year.

Dates and timing:

- Joining is allowed any day; the first deposit is for the month joined.
- Tier changes and exits take effect only on a set date: the 1st of one of
  the rules' ``change_months``, after today (``not_a_change_date``).
- Deposits are for calendar months, posted by ``mutualist tick`` from the
  1st (``sick_pay_deposits_post``).
- Gifts are for calendar months, paid by the run for a month once it is
  over (``sick_pay_runs_due``: on or after the 1st, last month).

The gift arithmetic, for a claim and a calendar month: the claim's paid
period starts after the waiting period (``starts_on + waiting_days`` is the
first paid day) and lasts at most ``max_months`` months from there (ending
the day before the same date ``max_months`` later, clamped to the month's
end: 31 January plus one month is 28 February), or until ``ends_on``::

    gift = payout of the claimant's tier x percent / 100
           x days of the month in the paid period / days in the month

computed exactly (fractions of minor units) and rounded ONCE per gift to
the currency's minor unit, half to even. The payout is from the claim's
own rules (the version in force on its start date), whatever passed since.

Locks, always in this order, as ``services.claims`` takes them: the fund's
row, then claim or participation rows, then (in one statement, key order)
the ledger accounts. Any number of schedulers may run the tick jobs at once:
each unit of work is claimed by inserting a unique row (``Deposit``,
``SickPayRun``, ``BufferRefund``) or by a conditional ``UPDATE`` whose row
count is checked, so nothing is done twice.

The modules, each re-exported here: ``dates`` (months, set dates, amounts
and the gift arithmetic, pure), ``rules`` (the rules in force, the checks
every service makes first), ``membership`` (joining, tier changes, exits),
``deposits``, ``claims`` (sick claims), ``run`` (the monthly run) and
``refunds`` (the yearly buffer refund).
"""

from __future__ import annotations

from mutualist.mutual.services.sick_pay.claims import (
    DAYS_AHEAD,
    PERCENTS,
    sick_claim_end,
    sick_claim_submit,
)
from mutualist.mutual.services.sick_pay.dates import (
    PaidPeriod,
    add_months,
    deposit_minor,
    gift_minor,
    month_end,
    month_start,
    next_change_date,
    paid_period,
    payout_minor,
    to_minor,
    water_fill,
)
from mutualist.mutual.services.sick_pay.deposits import sick_pay_deposits_post
from mutualist.mutual.services.sick_pay.membership import (
    group_size_warning,
    sick_pay_change_cancel,
    sick_pay_changes_apply,
    sick_pay_exit,
    sick_pay_join,
    sick_pay_tier_change,
)
from mutualist.mutual.services.sick_pay.refunds import sick_pay_buffer_refunds
from mutualist.mutual.services.sick_pay.run import sick_pay_run, sick_pay_runs_due

__all__ = [
    "DAYS_AHEAD",
    "PERCENTS",
    "PaidPeriod",
    "add_months",
    "deposit_minor",
    "gift_minor",
    "group_size_warning",
    "month_end",
    "month_start",
    "next_change_date",
    "paid_period",
    "payout_minor",
    "sick_claim_end",
    "sick_claim_submit",
    "sick_pay_buffer_refunds",
    "sick_pay_change_cancel",
    "sick_pay_changes_apply",
    "sick_pay_deposits_post",
    "sick_pay_exit",
    "sick_pay_join",
    "sick_pay_run",
    "sick_pay_runs_due",
    "sick_pay_tier_change",
    "to_minor",
    "water_fill",
]
