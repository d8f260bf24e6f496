"""The fund model written plainly: one path at a time, one member and one
invoice at a time, Python loops and the ``random`` module.

It is the same model as ``fund.simulate_fund`` (see that module's docstring)
written independently of it, for two uses: the benchmark's ratio (how much
the vectorised engine gains over a straightforward loop) and statistical
cross-checks in the tests (the two must agree within Monte Carlo error).
Its random draws differ from the engine's, so it agrees in distribution,
never path by path. Slow by design: keep ``paths`` small.
"""

from __future__ import annotations

import functools
import math
import random
from dataclasses import dataclass

import numpy as np

from mutualist.engines.solvency._common import check_int
from mutualist.engines.solvency.fund import (
    MAX_MONTHS,
    MONTH_DAYS,
    SHORT_TOLERANCE,
    Durations,
    FundModel,
    FundResult,
    GuaranteeModel,
    SickPayModel,
    _check_model,
    _result,
)


@dataclass
class _Member:
    tier: int
    sick_until: int = 0  # the first month they are well again
    no_deposit: frozenset[int] = frozenset()  # months at 100 % in a paid period


@dataclass
class _Path:
    income: list[float]
    owed: list[float]
    leave_share: list[float]  # share of the members leaving at each month's end
    cap: list[float]  # the members' monthly deposits (sick pay), per month


def _geometric(rnd: random.Random, mean: float) -> float:
    q = 1.0 / mean
    months = 1
    while rnd.random() >= q:
        months += 1
    return float(months)


@functools.lru_cache(maxsize=16)
def _survival_steps(durations: Durations) -> tuple[list[tuple[float, float]], float]:
    """Kaplan-Meier written out: ``[(length, mass), ...]`` over the distinct
    finished lengths, and the longest observation (the tail's start)."""
    observed = list(durations.values) + list(durations.running)
    survival = 1.0
    steps = []
    for length in sorted(set(durations.values)):
        ended = sum(1 for value in durations.values if value == length)
        at_risk = sum(1 for value in observed if value >= length)
        after = survival * (1.0 - ended / at_risk)
        steps.append((length, survival - after))
        survival = after
    return steps, max(observed)


def _duration(rnd: random.Random, durations: Durations) -> float:
    if durations.kind == "geometric":
        return _geometric(rnd, durations.mean)
    if durations.kind == "empirical":
        return rnd.choice(durations.values)
    steps, longest = _survival_steps(durations)
    draw = rnd.random()
    for length, mass in steps:
        if draw < mass:
            return length
        draw -= mass
    # Past every finished length: the longest observation and geometric months more.
    return longest + _geometric(rnd, durations.tail_mean)


def _poisson(rnd: random.Random, mean: float) -> int:
    # Knuth's product of uniforms: fine for the small means of a fund.
    limit = math.exp(-mean)
    count = 0
    product = rnd.random()
    while product > limit:
        count += 1
        product *= rnd.random()
    return count


def _sick_pay_path(rnd: random.Random, model: SickPayModel, months: int) -> _Path:
    members = [_Member(tier) for tier, count in enumerate(model.tier_members) for _ in range(count)]
    tiers = list(range(len(model.tier_members)))
    weights = list(model.tier_members) if sum(model.tier_members) else [1] * len(tiers)
    waiting = model.waiting_days / MONTH_DAYS
    income = [0.0] * months
    owed = [0.0] * months
    leave_share = [0.0] * months
    cap = [0.0] * months
    for month in range(months):
        if month > 0 and model.joins_per_month > 0:
            joins = _poisson(rnd, model.joins_per_month)
            if model.max_members is not None:
                joins = min(joins, max(model.max_members - len(members), 0))
            for _ in range(joins):
                members.append(_Member(rnd.choices(tiers, weights)[0]))
        for member in members:
            if member.sick_until > month or rnd.random() >= model.sick_probability:
                continue
            length = _duration(rnd, model.durations)
            half = rnd.random() < model.half_share
            gift = model.tier_payouts[member.tier] * (0.5 if half else 1.0)
            end = min(length, waiting + model.max_months)
            free: set[int] = set()
            for j in range(math.ceil(length)):
                share = max(min(j + 1.0, end) - max(float(j), waiting), 0.0)
                if share > 0 and month + j < months:
                    owed[month + j] += gift * share
                # At 100 %, no deposit for a month whose first day is paid.
                if not half and waiting <= j < end and month + j < months:
                    free.add(month + j)
            member.sick_until = month + math.ceil(length)
            member.no_deposit = frozenset(free)
        for member in members:
            cap[month] += model.tier_deposits[member.tier]
            if month not in member.no_deposit:
                income[month] += model.tier_deposits[member.tier]
        staying = []
        leaving = 0
        for member in members:
            if member.sick_until <= month and rnd.random() < model.leave_rate:
                leaving += 1
            else:
                staying.append(member)
        if members:
            leave_share[month] = leaving / len(members)
        members = staying
    return _Path(income, owed, leave_share, cap)


def _guarantee_path(rnd: random.Random, model: GuaranteeModel, months: int) -> _Path:
    income = [0.0] * months
    owed = [0.0] * months
    claim = max(math.ceil(model.overdue_days / MONTH_DAYS), 1)
    for month in range(months):
        for _ in range(_poisson(rnd, model.invoices_per_month)):
            amount = rnd.choice(model.invoice_amounts)
            levy = amount * model.levy_percent / 100.0
            if rnd.random() >= model.late_probability:
                income[month] += levy
                continue
            advance = model.payout_fraction * amount
            if month + claim < months:
                owed[month + claim] += advance
            if rnd.random() < model.never_probability:
                continue
            paid = month + max(math.ceil(_duration(rnd, model.delays)), claim)
            if paid < months:
                income[paid] += levy + model.recovery * advance
    return _Path(income, owed, [0.0] * months, [0.0] * months)


def simulate_fund_reference(model: FundModel, *, months: int, paths: int, seed: int) -> FundResult:
    """``simulate_fund`` for one path at a time in plain Python.

    Parameters
    ----------
    model : SickPayModel or GuaranteeModel
    months : int
    paths : int
    seed : int
        Seeds ``random.Random``; the draws differ from the engine's.

    Returns
    -------
    FundResult
        Percentiles from every path.

    Examples
    --------
    >>> model = GuaranteeModel(invoices_per_month=2.0, invoice_amounts=(1000.0,),
    ...                        levy_percent=5.0, payout_fraction=0.8, late_probability=0.0)
    >>> simulate_fund_reference(model, months=12, paths=50, seed=1).shortfall_probability
    0.0
    """
    model = _check_model(model)
    months = check_int(months, "months", low=1, high=MAX_MONTHS)
    paths = check_int(paths, "paths", low=1)
    rnd = random.Random(check_int(seed, "seed", low=0))  # noqa: S311 (a simulation, not secrets)
    sick_pay = isinstance(model, SickPayModel)
    multiple = 0.0
    refunds: set[int] = set()
    if isinstance(model, SickPayModel) and model.buffer_multiple is not None:
        multiple = float(model.buffer_multiple)
        refunds = {
            month
            for month in range(months)
            if (model.start_month - 1 + month) % 12 + 1 == model.refund_month
        }
    first_counts = [0] * (months + 1)
    unpaid_total = 0.0
    promised = 0.0
    paid_by_month = [0.0] * months
    income_by_month = [0.0] * months
    balance_by_month = [0.0] * months
    balances = np.empty((paths, months))
    for path_index in range(paths):
        if isinstance(model, SickPayModel):
            path = _sick_pay_path(rnd, model, months)
        else:
            path = _guarantee_path(rnd, model, months)
        balance = model.initial_balance
        waiting = 0.0
        first = months
        unpaid = 0.0
        for month in range(months):
            balance += path.income[month]
            due = path.owed[month] + waiting
            promised += path.owed[month]
            if due - balance > SHORT_TOLERANCE * (1.0 + due):
                paid = balance if model.partial_payouts else 0.0
                first = min(first, month)
            else:
                paid = due
            balance = max(balance - paid, 0.0)
            if sick_pay:
                unpaid += due - paid
            else:
                waiting = due - paid
            if month in refunds:
                balance = min(balance, multiple * path.cap[month])
            balance *= 1.0 - path.leave_share[month]
            paid_by_month[month] += paid
            income_by_month[month] += path.income[month]
            balance_by_month[month] += balance
            balances[path_index, month] = balance
        first_counts[first] += 1
        unpaid_total += unpaid + waiting
    return _result(
        first_counts=np.asarray(first_counts, dtype=np.int64),
        paths=paths,
        unpaid=unpaid_total,
        promised=promised,
        paid=np.asarray(paid_by_month),
        income=np.asarray(income_by_month),
        balance=np.asarray(balance_by_month),
        sample=balances,
        contribution=None,
    )
