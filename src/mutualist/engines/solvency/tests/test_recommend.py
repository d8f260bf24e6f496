"""The recommended contribution: the lowest lever value on the tolerance grid
that meets the target, checked by simulating at it and one step below with
the same seed (common random numbers make the two agree exactly)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from mutualist.engines.solvency import recommend as recommend_module
from mutualist.engines.solvency.fund import (
    Durations,
    FundModel,
    GuaranteeModel,
    SickPayModel,
    simulate_fund,
)
from mutualist.engines.solvency.recommend import recommend_contribution

RUN: dict[str, Any] = {"months": 24, "paths": 600, "rng": 12, "chunk_size": 256}


def sick_fund(**changes) -> SickPayModel:
    values = {
        "tier_members": (6, 4),
        "tier_deposits": (20.0, 30.0),
        "tier_payouts": (1000.0, 1500.0),
        "sick_probability": 0.02,
        "durations": Durations.geometric(3.0),
        "waiting_days": 30,
        "initial_balance": 1000.0,
        "buffer_multiple": 24,
    }
    return SickPayModel(**{**values, **changes})


def guarantee(**changes) -> GuaranteeModel:
    values = {
        "invoices_per_month": 4.0,
        "invoice_amounts": (500.0, 1000.0, 2500.0),
        "levy_percent": 2.0,
        "payout_fraction": 0.8,
        "late_probability": 0.08,
        "never_probability": 0.2,
        "delays": Durations.geometric(2.0),
        "initial_balance": 500.0,
    }
    return GuaranteeModel(**{**values, **changes})


def risk(model: FundModel, value: float) -> float:
    return simulate_fund(model, contribution=value, **RUN).shortfall_probability


@pytest.mark.parametrize(
    ("model", "lever", "step"),
    [(sick_fund(), "deposit_rate", 0.0001), (guarantee(), "levy_percent", 0.01)],
)
def test_the_recommended_value_meets_the_target_and_one_step_below_does_not(model, lever, step):
    # When the lowest contribution keeping the 2-year risk at or under 5 % is sought
    answer = recommend_contribution(model, target=0.05, **RUN)

    # Then it is on the tolerance grid, meets the target, and one step less does not
    assert answer.lever == lever
    assert answer.achievable
    assert answer.tolerance == step
    assert answer.value == round(round(answer.value / step) * step, 10)
    assert answer.value > 0
    assert risk(model, answer.value) == answer.shortfall_probability <= 0.05
    assert risk(model, round(answer.value - step, 10)) > 0.05


def test_it_reports_the_current_contribution_and_its_risk():
    model = sick_fund()

    answer = recommend_contribution(model, target=0.05, **RUN)

    # The model's own rate: (6 x 2 % + 4 x 2 %) / 10, and its risk with its own deposits
    assert answer.current == pytest.approx(0.02)
    as_is = simulate_fund(model, **RUN)
    assert answer.current_probability == as_is.shortfall_probability
    assert answer.current_standard_error == as_is.standard_error
    assert answer.months == 24
    assert answer.paths == 600
    assert answer.target == 0.05


def test_the_current_rate_deposits_as_much_as_the_tiers_do():
    # Given 6 members depositing 20 for 1000 (2 %) and 4 depositing 60 for 1500 (4 %)
    model = sick_fund(tier_deposits=(20.0, 60.0))

    answer = recommend_contribution(model, target=0.05, **RUN)

    # Then the current rate is the deposits over the gifts, (120 + 240) / (6000 + 6000),
    # not the members' mean ratio (2.8 %)
    assert answer.current == pytest.approx(360.0 / 12_000.0, rel=1e-12)
    assert answer.current == model.deposit_rate


def test_the_lowest_rate_counts_the_cap_at_that_rate():
    # Given one member at 50 % for 2.5 months from month 0 (gifts 50, 50, 25), who
    # deposits all along, 1000 in the fund and a cap of 4 months' deposits
    # refunded at the end of month 0
    model = SickPayModel(
        tier_members=(1,),
        tier_deposits=(10.0,),
        tier_payouts=(100.0,),
        sick_probability=1.0,
        durations=Durations.empirical([2.5]),
        waiting_days=0,
        half_share=1.0,
        initial_balance=1000.0,
        buffer_multiple=4,
        refund_month=1,
    )

    # When the lowest rate never short in 3 months is sought
    answer = recommend_contribution(model, target=0.0, months=3, paths=1, rng=1)

    # Then at rate r month 0 ends at the cap 4 x 100 r, month 1 needs
    # 400 r + 100 r >= 50 and month 2 500 r - 50 + 100 r >= 25: r = 0.125
    assert answer.value == 0.125
    assert answer.shortfall_probability == 0.0
    assert risk_of(model, 0.1249, months=3) == 1.0


def risk_of(model: FundModel, value: float, *, months: int) -> float:
    result = simulate_fund(model, months=months, paths=1, rng=1, contribution=value)
    return result.shortfall_probability


def test_a_tolerance_of_half_the_range_still_answers_a_value_that_meets_the_target():
    # Given the coarsest grid allowed: 0, 0.5, 1
    model = sick_fund()

    answer = recommend_contribution(model, target=0.05, tolerance=0.5, **RUN)

    # Then the answer is on it and meets the target when simulated again
    assert answer.achievable
    assert answer.value in (0.0, 0.5, 1.0)
    assert risk(model, answer.value) == answer.shortfall_probability <= 0.05


def test_an_answer_missing_the_target_is_never_returned_as_achievable(monkeypatch):
    # Given a member at 50 % (gifts of 50) depositing 100 r and nothing in the fund:
    # a rate of 0.5 meets the target (never short in month 0), 0.4999 does not
    model = SickPayModel(
        tier_members=(1,),
        tier_deposits=(10.0,),
        tier_payouts=(100.0,),
        sick_probability=1.0,
        durations=Durations.empirical([2.5]),
        waiting_days=0,
        half_share=1.0,
        buffer_multiple=None,
    )
    # and a grid whose top falls a step short of `high` (as float rounding could)
    monkeypatch.setattr(
        recommend_module,
        "_steps",
        lambda value, tolerance: math.floor(value / tolerance + 1e-9) - (1 if value > 0 else 0),
    )

    answer = recommend_contribution(model, target=0.0, high=0.5, months=1, paths=1, rng=1)

    # Then the answer is `high`, simulated and meeting the target, not the grid's top
    assert risk_of(model, 0.4999, months=1) == 1.0
    assert (answer.value, answer.achievable, answer.shortfall_probability) == (0.5, True, 0.0)


def test_a_seeded_generator_gives_the_same_recommendation_every_time():
    generator = np.random.default_rng(12)
    run = {**RUN, "rng": generator}

    first = recommend_contribution(guarantee(), target=0.05, **run)
    again = recommend_contribution(guarantee(), target=0.05, **run)

    assert first.to_dict() == again.to_dict()
    assert first.to_dict() == recommend_contribution(guarantee(), target=0.05, **RUN).to_dict()


def test_an_unreachable_target_is_not_achievable():
    # Given a levy capped at 1 % where claims far exceed it
    model = guarantee(late_probability=0.5, initial_balance=0.0)

    answer = recommend_contribution(model, target=0.01, high=1.0, **RUN)

    assert answer.achievable is False
    assert answer.value is None
    assert answer.shortfall_probability == risk(model, 1.0) > 0.01
    assert answer.evaluations == 2  # the model as it is, and `high`


def test_a_target_met_at_low_gives_low():
    # Given a fund that never pays anything out
    model = sick_fund(sick_probability=0.0)

    answer = recommend_contribution(model, target=0.01, low=0.005, **RUN)

    assert answer.value == 0.005
    assert answer.shortfall_probability == 0.0


def test_the_answer_is_the_same_when_events_are_drawn_again_instead_of_kept(monkeypatch):
    # Given a cache too small for any chunk: every candidate draws its chunks again
    model = guarantee()
    kept = recommend_contribution(model, target=0.05, **RUN)
    monkeypatch.setattr(recommend_module, "CACHE_BYTES", 0)

    drawn = recommend_contribution(model, target=0.05, **RUN)

    # Then the chunks' own seeds give the same events, so the same answer
    assert drawn.to_dict() == kept.to_dict()


def test_progress_ends_at_its_total():
    calls = []

    recommend_contribution(guarantee(), target=0.05, progress=lambda *a: calls.append(a), **RUN)

    assert calls[-1][0] == calls[-1][1]
    assert all(done <= total for done, total in calls)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


def test_to_dict_is_json_ready():
    answer = recommend_contribution(guarantee(), target=0.05, **RUN)

    data = answer.to_dict()

    assert data["lever"] == "levy_percent"
    assert data["value"] == answer.value
    assert data["achievable"] is True
    assert data["evaluations"] == answer.evaluations


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"target": 1.0}, "target must be below 1; got 1."),
        ({"target": -0.1}, "target must be at least 0; got -0.1."),
        ({"low": -1.0}, "low must be at least 0; got -1."),
        ({"low": 0.5, "high": 0.2}, "high must be at least low (0.5); got 0.2."),
        ({"tolerance": 0.0}, "tolerance must be at least 1e-09; got 0."),
        ({"tolerance": 1e-300}, "tolerance must be at least 1e-09; got 1e-300."),
        # A tolerance of the whole range or more has no grid to search
        ({"tolerance": 1e300}, "tolerance must be at most 0.5; got 1e+300."),
        ({"tolerance": 1.0}, "tolerance must be at most 0.5; got 1."),
        ({"high": 1e300}, "high must be at most 1000000; got 1e+300."),
        ({"high": float("inf")}, "high must be a finite number; got inf."),
        ({"target": 10**400}, "target must be a finite number; got a whole number of 401 digits."),
        ({"months": 0}, "months must be at least 1; got 0."),
    ],
)
def test_it_refuses_bad_inputs_naming_the_parameter(kwargs, message):
    with pytest.raises(ValueError) as caught:
        recommend_contribution(sick_fund(), **kwargs)
    assert str(caught.value) == message


def test_a_levy_above_100_is_refused():
    with pytest.raises(ValueError) as caught:
        recommend_contribution(guarantee(), high=150.0)
    assert str(caught.value) == "high must be at most 100; got 150."
