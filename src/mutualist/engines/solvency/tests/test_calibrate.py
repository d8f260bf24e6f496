"""Calibration: the priors with no history, the history's own rates with a
long one, weighted between with a short one, and running sick periods
counted as at least their length."""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import pytest

from mutualist.engines.solvency.calibrate import (
    Estimate,
    GuaranteeHistory,
    SickPayHistory,
    calibrate_guarantee,
    calibrate_sick_pay,
)
from mutualist.engines.solvency.fund import Durations

# --- Sick pay ------------------------------------------------------------------------------


def test_no_sick_pay_history_gives_the_priors_exactly():
    calibration = calibrate_sick_pay(SickPayHistory(member_months=0, sick_periods=0, durations=()))

    assert calibration.sick_probability == Estimate(0.01, "prior", 0.0, 0)
    assert calibration.mean_duration == Estimate(3.0, "prior", 0.0, 0)
    assert calibration.half_share == Estimate(0.25, "prior", 0.0, 0)
    assert calibration.durations == Durations.geometric(3.0)


def test_a_long_sick_pay_history_speaks_for_itself():
    # Given 10 years of 50 members: 60 000 member-months, 1 200 periods (2 %), half
    # of them at 50 %, 1 000 finished, lasting 2 and 6 months alternately (mean 4)
    history = SickPayHistory(
        member_months=60_000,
        sick_periods=1200,
        durations=(2.0, 6.0) * 500,
        half_periods=600,
    )

    calibration = calibrate_sick_pay(history)

    # Then each rate is within a hair of the history's
    assert calibration.sick_probability.value == pytest.approx(0.02, abs=1e-4)
    assert calibration.sick_probability.weight == 60_000 / 60_240
    assert calibration.sick_probability.source == "history and prior"
    assert calibration.sick_probability.observations == 60_000
    assert calibration.mean_duration.value == pytest.approx(4.0, abs=0.01)
    assert calibration.half_share.value == pytest.approx(0.5, abs=0.002)
    # And the durations are the history's own from 30 finished periods on: with
    # nothing running, the product-limit estimate is their empirical distribution
    assert calibration.durations == Durations.kaplan_meier(
        (2.0, 6.0) * 500, (), tail_mean=calibration.mean_duration.value
    )
    assert calibration.durations.mean == 4.0


def test_a_short_sick_pay_history_lies_between_with_its_weight():
    # Given 120 member-months with 6 periods (5 %), two of them finished (2 and 4 months)
    history = SickPayHistory(
        member_months=120, sick_periods=6, durations=(2.0, 4.0), half_periods=3
    )

    calibration = calibrate_sick_pay(history)

    # Then (prior x weight + observed) / (weight + n), each with its share from history
    assert calibration.sick_probability == Estimate(
        (0.01 * 240 + 6) / 360, "history and prior", 120 / 360, 120
    )
    assert 0.01 < calibration.sick_probability.value < 0.05
    assert calibration.mean_duration == Estimate((3.0 * 5 + 6.0) / 7, "history and prior", 2 / 7, 2)
    assert calibration.half_share == Estimate((0.25 * 8 + 3) / 14, "history and prior", 6 / 14, 6)
    assert calibration.durations == Durations.geometric((3.0 * 5 + 6.0) / 7)


def test_a_running_sick_period_counts_as_at_least_its_length():
    # Given two finished periods of 2 months and one still running after 9
    finished = SickPayHistory(member_months=100, sick_periods=3, durations=(2.0, 2.0))
    running = SickPayHistory(
        member_months=100, sick_periods=3, durations=(2.0, 2.0), ongoing=(9.0,)
    )

    without = calibrate_sick_pay(finished, prior_periods=0)
    with_it = calibrate_sick_pay(running, prior_periods=0)

    # Then its 9 months are added to the months sick, with no ended period:
    # (2 + 2 + 9) / 2, the memoryless mean under censoring
    assert without.mean_duration.value == 2.0
    assert with_it.mean_duration == Estimate(6.5, "history", 1.0, 3)
    assert with_it.mean_duration.value > without.mean_duration.value


def test_from_thirty_finished_periods_running_ones_are_censored_not_finished():
    # Given 30 periods finished after 2 months and 10 still running after 12
    history = SickPayHistory(
        member_months=3000, sick_periods=50, durations=(2.0,) * 30, ongoing=(12.0,) * 10
    )

    calibration = calibrate_sick_pay(history)

    # Then the durations are the product-limit estimate: 3/4 at 2 months, and
    # the quarter left past 12 months drawn as 12 plus geometric months of the
    # censoring-corrected mean (60 + 120 + 3 x 5) / (30 + 5), never 12 itself
    mean = (60.0 + 120.0 + 3.0 * 5) / 35
    assert calibration.mean_duration.value == pytest.approx(mean, rel=1e-12)
    assert calibration.durations == Durations.kaplan_meier(
        (2.0,) * 30, (12.0,) * 10, tail_mean=calibration.mean_duration.value
    )
    assert calibration.durations.mean == pytest.approx(0.75 * 2.0 + 0.25 * (12.0 + mean))
    draws = calibration.durations.sample(np.random.default_rng(1), 4000)
    assert 12.0 not in draws
    assert draws[draws != 2.0].min() >= 13.0


def test_one_more_finished_period_at_the_threshold_does_not_shorten_the_durations():
    # Given the reviewer's case: 29 or 30 periods finished after 2 months, 10 running after 12
    def durations(finished: int) -> Durations:
        history = SickPayHistory(
            member_months=3000,
            sick_periods=50,
            durations=(2.0,) * finished,
            ongoing=(12.0,) * 10,
        )
        return calibrate_sick_pay(history).durations

    below, at = durations(29), durations(30)

    # Then the 30th finished period (geometric below, product-limit from 30 on)
    # does not drop the mean duration the model draws (it dropped from 5.68 to 4.5
    # when the running periods entered the empirical list as if finished)
    assert (below.kind, at.kind) == ("geometric", "kaplan_meier")
    assert below.mean == pytest.approx((58.0 + 120.0 + 15.0) / 34, rel=1e-12)
    assert at.mean >= below.mean


def test_running_periods_alone_raise_the_prior_mean():
    history = SickPayHistory(member_months=50, sick_periods=1, durations=(), ongoing=(4.0,))

    calibration = calibrate_sick_pay(history)

    assert calibration.mean_duration == Estimate((3.0 * 5 + 4.0) / 5, "history and prior", 0.0, 1)


def test_a_history_with_no_prior_weight_is_the_history():
    history = SickPayHistory(member_months=200, sick_periods=4, durations=(0.5,))

    calibration = calibrate_sick_pay(history, prior_member_months=0, prior_periods=0)

    assert calibration.sick_probability == Estimate(0.02, "history", 1.0, 200)
    # A mean below one month is a geometric of mean 1 (its shortest)
    assert calibration.mean_duration.value == 0.5
    assert calibration.durations == Durations.geometric(1.0)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: SickPayHistory(-1, 0, ()), "member_months must be at least 0; got -1."),
        (lambda: SickPayHistory(10, 11, ()), "sick_periods must be at most 10; got 11."),
        (
            lambda: SickPayHistory(10, 2, (), half_periods=3),
            "half_periods must be at most 2; got 3.",
        ),
        (lambda: SickPayHistory(10, 2, (1.0, 0.0)), "durations[1] must be above 0; got 0."),
        (
            lambda: SickPayHistory(10, 2, (), ongoing=(-1.0,)),
            "ongoing[0] must be at least 0; got -1.",
        ),
        (
            lambda: calibrate_sick_pay(SickPayHistory(0, 0, ()), prior_probability=2),
            "prior_probability must be at most 1; got 2.",
        ),
        (
            lambda: calibrate_sick_pay(SickPayHistory(0, 0, ()), prior_mean_duration=0.5),
            "prior_mean_duration must be at least 1; got 0.5.",
        ),
        (
            lambda: SickPayHistory(10, 2, (), ongoing=(1e20,)),
            "ongoing[0] must be at most 1200; got 1e+20.",
        ),
        (
            lambda: calibrate_sick_pay(cast(Any, "history")),
            "history must be a SickPayHistory; got 'history'.",
        ),
    ],
)
def test_it_refuses_a_bad_sick_pay_history(build, message):
    with pytest.raises(ValueError) as caught:
        build()
    assert str(caught.value) == message


# --- Guarantee -----------------------------------------------------------------------------


def test_no_guarantee_history_gives_the_priors_exactly():
    calibration = calibrate_guarantee(
        GuaranteeHistory(months=0, invoice_amounts=(), late=0, delays=())
    )

    assert calibration.invoices_per_month == Estimate(4.0, "prior", 0.0, 0)
    assert calibration.invoice_amounts == (1000.0,)
    assert calibration.late_probability == Estimate(0.1, "prior", 0.0, 0)
    assert calibration.never_probability == Estimate(0.2, "prior", 0.0, 0)
    assert calibration.mean_delay == Estimate(2.0, "prior", 0.0, 0)
    assert calibration.delays == Durations.geometric(2.0)


def test_a_long_guarantee_history_speaks_for_itself():
    # Given 5 years, 10 invoices a month, 5 % late, a tenth of those never paid
    history = GuaranteeHistory(
        months=60,
        invoice_amounts=(800.0, 1200.0) * 300,
        late=30,
        delays=(1.0, 3.0) * 13 + (2.0,),
        never=3,
    )

    calibration = calibrate_guarantee(history)

    # (the prior's 3 months of 4 invoices pull 10 down by 6 x 3 / 63, under 0.3)
    assert calibration.invoices_per_month.value == pytest.approx(10.0, abs=0.3)
    assert calibration.invoices_per_month.weight == 60 / 63
    assert calibration.invoice_amounts == (800.0, 1200.0) * 300
    assert calibration.late_probability.value == pytest.approx(0.05, abs=0.002)
    assert calibration.never_probability.weight == 30 / 40
    assert calibration.mean_delay.value == pytest.approx(2.0, abs=1e-9)
    assert calibration.mean_delay.observations == 27
    # Under 30 late payments: a geometric with their mean
    assert calibration.delays == Durations.geometric(calibration.mean_delay.value)


def test_a_short_guarantee_history_lies_between_with_its_weight():
    # Given 2 months, 6 invoices, 2 late (one paid after 4 months, one written off)
    history = GuaranteeHistory(
        months=2, invoice_amounts=(500.0,) * 6, late=2, delays=(4.0,), never=1
    )

    calibration = calibrate_guarantee(history)

    assert calibration.invoices_per_month == Estimate(
        (4.0 * 3 + 6) / 5, "history and prior", 2 / 5, 6
    )
    assert calibration.late_probability == Estimate(
        (0.1 * 20 + 2) / 26, "history and prior", 6 / 26, 6
    )
    assert calibration.never_probability == Estimate(
        (0.2 * 10 + 1) / 12, "history and prior", 2 / 12, 2
    )
    assert calibration.mean_delay == Estimate((2.0 * 5 + 4.0) / 6, "history and prior", 1 / 6, 1)


def test_thirty_late_payments_give_the_historys_own_delays():
    delays = tuple(float(1 + i % 4) for i in range(30))
    history = GuaranteeHistory(months=12, invoice_amounts=(100.0,) * 40, late=30, delays=delays)

    calibration = calibrate_guarantee(history)

    assert calibration.delays == Durations.kaplan_meier(
        delays, (), tail_mean=calibration.mean_delay.value
    )
    # With nothing outstanding, the payments' own distribution: their mean, no tail
    assert calibration.delays.mean == pytest.approx(sum(delays) / 30, rel=1e-12)


def test_outstanding_invoices_count_as_late_at_least_their_age_and_of_unknown_outcome():
    # Given 20 late invoices: 5 paid a month after falling due, 15 still unpaid
    # 4 months after (the reviewer's case, none written off)
    paid_only = GuaranteeHistory(
        months=24, invoice_amounts=(1000.0,) * 100, late=20, delays=(1.0,) * 5
    )
    censored = GuaranteeHistory(
        months=24,
        invoice_amounts=(1000.0,) * 100,
        late=20,
        delays=(1.0,) * 5,
        outstanding=(4.0,) * 15,
    )

    without = calibrate_guarantee(paid_only)
    with_them = calibrate_guarantee(censored)

    # Then their 60 months so far join the 5 months paid, over the 5 payments
    # (the prior's 2 months worth 5 payments): (2 x 5 + 5 + 60) / (5 + 5)
    assert with_them.mean_delay == Estimate(7.5, "history and prior", 5 / 10, 20)
    assert without.mean_delay.value == (2.0 * 5 + 5.0) / 10
    # And the never-paid share is among the 5 whose outcome is known (none
    # written off), shrunk to the prior 0.2 worth 10: not 0 of 20
    assert with_them.never_probability == Estimate(2.0 / 15, "history and prior", 5 / 15, 5)
    assert without.never_probability.value == 2.0 / 30


def test_thirty_payments_and_outstanding_invoices_give_a_kaplan_meier_delay():
    history = GuaranteeHistory(
        months=24,
        invoice_amounts=(1000.0,) * 100,
        late=40,
        delays=(1.0,) * 30,
        outstanding=(6.0,) * 10,
    )

    calibration = calibrate_guarantee(history)

    # A quarter of the mass lies past the 6 months the outstanding ones have run
    assert calibration.delays == Durations.kaplan_meier(
        (1.0,) * 30, (6.0,) * 10, tail_mean=calibration.mean_delay.value
    )
    assert calibration.delays.mean == pytest.approx(
        0.75 * 1.0 + 0.25 * (6.0 + calibration.mean_delay.value), rel=1e-12
    )


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: GuaranteeHistory(0, (100.0,), 0, ()),
            "months must be at least 1 when invoice_amounts holds invoices.",
        ),
        (lambda: GuaranteeHistory(3, (100.0,), 2, ()), "late must be at most 1; got 2."),
        (
            lambda: GuaranteeHistory(3, (100.0, 5.0), 1, (), never=2),
            "never must be at most 1; got 2.",
        ),
        (
            lambda: GuaranteeHistory(3, (100.0, -5.0), 0, ()),
            "invoice_amounts[1] must be above 0; got -5.",
        ),
        (
            lambda: GuaranteeHistory(3, (1.0,) * 5, 3, (1.0,), never=1, outstanding=(1.0, 2.0)),
            "outstanding must hold at most 1 entries (late - never - len(delays)); got 2.",
        ),
        (
            lambda: GuaranteeHistory(3, (1.0,) * 5, 3, (), outstanding=(-1.0,)),
            "outstanding[0] must be at least 0; got -1.",
        ),
        (
            lambda: GuaranteeHistory(3, (1.0,) * 5, 3, (1e20,)),
            "delays[0] must be at most 1200; got 1e+20.",
        ),
        (
            lambda: calibrate_guarantee(GuaranteeHistory(0, (), 0, ()), prior_invoice_amount=0),
            "prior_invoice_amount must be above 0; got 0.",
        ),
    ],
)
def test_it_refuses_a_bad_guarantee_history(build, message):
    with pytest.raises(ValueError) as caught:
        build()
    assert str(caught.value) == message
