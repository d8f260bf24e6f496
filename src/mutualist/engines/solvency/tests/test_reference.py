"""The plain-Python reference against the vectorised engine: the same
numbers where nothing is random, and statistical agreement where it is
(their random draws differ, so they agree in distribution only)."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from mutualist.engines.solvency.fund import (
    Durations,
    GuaranteeModel,
    SickPayModel,
    simulate_fund,
)
from mutualist.engines.solvency.reference import _duration, simulate_fund_reference

PATHS = 3000
MONTHS = 24


def one_member(**changes) -> SickPayModel:
    values = {
        "tier_members": (1,),
        "tier_deposits": (10.0,),
        "tier_payouts": (100.0,),
        "sick_probability": 1.0,
        "durations": Durations.empirical([2.5]),
        "waiting_days": 30,
        "initial_balance": 400.0,
        "buffer_multiple": None,
    }
    return SickPayModel(**{**values, **changes})


@pytest.mark.parametrize(
    "model",
    [
        one_member(),
        one_member(initial_balance=120.0, waiting_days=0),
        one_member(initial_balance=120.0, partial_payouts=False),
        one_member(durations=Durations.empirical([9.0]), max_months=2),
        one_member(durations=Durations.empirical([3.5]), waiting_days=45),
        one_member(tier_members=(2,), sick_probability=0.0, buffer_multiple=3, start_month=11),
        one_member(half_share=1.0, buffer_multiple=5, refund_month=3),
    ],
    ids=["waiting", "short", "all-or-nothing", "max-months", "first-day", "cap", "half"],
)
def test_with_nothing_random_left_both_give_the_same_months(model):
    engine = simulate_fund(model, months=8, paths=2, rng=1)
    reference = simulate_fund_reference(model, months=8, paths=2, seed=1)

    assert engine.expected_payouts.tolist() == pytest.approx(
        reference.expected_payouts.tolist(), abs=1e-9
    )
    assert engine.expected_income.tolist() == pytest.approx(
        reference.expected_income.tolist(), abs=1e-9
    )
    assert engine.expected_balance.tolist() == pytest.approx(
        reference.expected_balance.tolist(), abs=1e-9
    )
    assert engine.shortfall_by_month.tolist() == reference.shortfall_by_month.tolist()
    assert engine.expected_shortfall == pytest.approx(reference.expected_shortfall, abs=1e-9)


# Tolerances for what has no standard error at hand: measured over 12 seeds of
# 3000 paths each, the paid share's seed-to-seed standard deviation was at most
# 0.0075 and the final median balance's 33 (sick), 6 (all-or-nothing) and 64
# (guarantee), in both implementations; each tolerance is about 4 x sqrt(2)
# times that (four combined standard deviations).
CASES = [
    pytest.param(
        SickPayModel(
            tier_members=(3, 2),
            tier_deposits=(30.0, 45.0),
            tier_payouts=(1000.0, 1500.0),
            sick_probability=0.03,
            durations=Durations.geometric(2.5),
            waiting_days=14,
            half_share=0.3,
            initial_balance=1500.0,
            joins_per_month=0.2,
            leave_rate=0.02,
            max_members=8,
            buffer_multiple=12,
            refund_month=6,
        ),
        190.0,
        id="sick-pay",
    ),
    pytest.param(
        SickPayModel(
            tier_members=(4,),
            tier_deposits=(60.0,),
            tier_payouts=(1000.0,),
            sick_probability=0.02,
            durations=Durations.empirical([0.5, 1.5, 4.0]),
            initial_balance=800.0,
            partial_payouts=False,
            buffer_multiple=None,
        ),
        40.0,
        id="all-or-nothing",
    ),
    pytest.param(
        GuaranteeModel(
            invoices_per_month=3.0,
            invoice_amounts=(500.0, 1000.0, 3000.0),
            levy_percent=8.0,
            payout_fraction=0.8,
            late_probability=0.1,
            never_probability=0.2,
            recovery=0.9,
            delays=Durations.empirical([1.5, 4.0]),
            initial_balance=1000.0,
        ),
        370.0,
        id="guarantee",
    ),
]


@pytest.mark.parametrize(("model", "median_tolerance"), CASES)
def test_the_engine_agrees_with_the_plain_loop(model, median_tolerance):
    engine = simulate_fund(model, months=MONTHS, paths=PATHS, rng=31)
    reference = simulate_fund_reference(model, months=MONTHS, paths=PATHS, seed=31)

    # The shortfall probability, within 4 combined standard errors (and not trivially 0 or 1)
    combined = math.hypot(engine.standard_error, reference.standard_error)
    assert 0.05 < reference.shortfall_probability < 0.95
    assert abs(engine.shortfall_probability - reference.shortfall_probability) <= 4 * combined
    # The share of promised payouts paid, and the final median balance, within the tolerances
    assert abs(engine.paid_share - reference.paid_share) <= 0.045
    median = engine.balance_percentiles[2, -1] - reference.balance_percentiles[2, -1]
    assert abs(median) <= median_tolerance


def test_kaplan_meier_durations_are_drawn_alike():
    # Given durations from finished and running periods, with a tail past the longest
    durations = Durations.kaplan_meier([1.0, 2.0, 2.0, 5.0, 6.5], running=[3.0, 8.0, 0.0])
    rnd = random.Random(5)

    engine = durations.sample(np.random.default_rng(5), 20_000)
    reference = np.array([_duration(rnd, durations) for _ in range(20_000)])

    # Then both draw the same lengths with the same frequencies (within 4 combined
    # standard errors each), and the tail's mean agrees
    for length in (1.0, 2.0, 5.0, 6.5):
        a, b = np.mean(engine == length), np.mean(reference == length)
        error = math.sqrt(a * (1 - a) / 20_000 + b * (1 - b) / 20_000)
        assert abs(a - b) < 4 * error
    spread = math.hypot(engine.std(), reference.std()) / math.sqrt(20_000)
    assert abs(engine.mean() - reference.mean()) < 4 * spread
    assert abs(engine.mean() - durations.mean) < 4 * engine.std() / math.sqrt(20_000)
    assert reference[reference > 6.5].min() == 9.0  # 8 plus at least a month
