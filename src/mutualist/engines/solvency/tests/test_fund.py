"""The monthly fund model: hand-computed small cases with no randomness
left, the guarantee's months traced on one path, the properties every
result keeps, common random numbers, and the exact refusals."""

from __future__ import annotations

import dataclasses
import math
from typing import Any, cast

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from mutualist.engines.solvency import fund as fund_module
from mutualist.engines.solvency.fund import (
    MONTH_DAYS,
    PERCENTILES,
    Durations,
    FundResult,
    GuaranteeModel,
    SickPayModel,
    simulate_fund,
)

WAITING_30 = 30 / MONTH_DAYS  # 30 days in months: 0.98562...


def one_member(**changes) -> SickPayModel:
    """One member, one tier: deposit 10, gift 100, a sick period of exactly
    2.5 months whenever they are well, no waiting, no cap."""
    model = SickPayModel(
        tier_members=(1,),
        tier_deposits=(10.0,),
        tier_payouts=(100.0,),
        sick_probability=1.0,
        durations=Durations.empirical([2.5]),
        waiting_days=0,
        initial_balance=1000.0,
        buffer_multiple=None,
    )
    return dataclasses.replace(model, **changes)


def invoices(**changes) -> GuaranteeModel:
    """Invoices of 1000 (3 a month on average), 5 % levy; every one late,
    claimed a month after falling due (80 %), paid 3 months after due."""
    model = GuaranteeModel(
        invoices_per_month=3.0,
        invoice_amounts=(1000.0,),
        levy_percent=5.0,
        payout_fraction=0.8,
        late_probability=1.0,
        overdue_days=30,
        delays=Durations.empirical([3.0]),
        never_probability=0.0,
        recovery=1.0,
        initial_balance=1e9,
    )
    return dataclasses.replace(model, **changes)


def sick_fund(**changes) -> SickPayModel:
    """A small fund with some of everything."""
    model = SickPayModel(
        tier_members=(4, 3, 2),
        tier_deposits=(30.0, 45.0, 60.0),
        tier_payouts=(1000.0, 1500.0, 2000.0),
        sick_probability=0.02,
        durations=Durations.geometric(3.0),
        half_share=0.25,
        initial_balance=2000.0,
        joins_per_month=0.2,
        leave_rate=0.01,
        max_members=12,
        buffer_multiple=12,
        refund_month=6,
    )
    return dataclasses.replace(model, **changes)


def balances(result: FundResult) -> list[float]:
    return [float(x) for x in result.expected_balance]


# --- Sick pay, by hand ---------------------------------------------------------------------


def test_it_pays_a_sick_period_of_two_and_a_half_months_as_100_100_50():
    # Given one member who falls sick whenever well, for 2.5 months, no waiting
    # When simulated for 6 months (three paths, all alike)
    result = simulate_fund(one_member(), months=6, paths=3, rng=1)

    # Then the gifts are 100, 100, 50 for each period, and no deposit is made
    # while a paid month is running (months 0-2, again 3-5)
    assert result.expected_payouts.tolist() == [100.0, 100.0, 50.0, 100.0, 100.0, 50.0]
    assert result.expected_income.tolist() == [0.0] * 6
    assert balances(result) == [900.0, 800.0, 750.0, 650.0, 550.0, 500.0]
    assert result.shortfall_probability == 0.0
    assert result.paid_share == 1.0


def test_it_waits_30_days_before_the_first_paid_day():
    # Given a waiting period of 30 days (0.9856 of a 30.4375-day month)
    result = simulate_fund(one_member(waiting_days=30), months=3, paths=1, rng=1)

    # Then the first month pays only its last 0.4375 days, pro rata
    first = 100.0 * (1.0 - WAITING_30)
    assert result.expected_payouts.tolist() == pytest.approx([first, 100.0, 50.0], abs=1e-12)
    assert first == pytest.approx(100.0 * 0.4375 / 30.4375, abs=1e-12)
    # And the member deposits in month 0, whose first day is in the waiting period
    # (the app's rule: no deposit only for a month whose first day is paid), and
    # nothing in months 1 and 2, whose first days are paid
    assert result.expected_income.tolist() == [10.0, 0.0, 0.0]


def test_it_pays_at_most_max_months_after_the_waiting_period():
    # Given a sick period of 10 months, paid at most 2 months from the first paid day
    model = one_member(durations=Durations.empirical([10.0]), max_months=2, waiting_days=30)

    result = simulate_fund(model, months=4, paths=1, rng=1)

    # Then it pays from day 30 to 2 months later: 1 - w, 1, w of the third month, none after
    gifts = [100.0 * (1.0 - WAITING_30), 100.0, 100.0 * WAITING_30, 0.0]
    assert result.expected_payouts.tolist() == pytest.approx(gifts, abs=1e-12)
    # And the member deposits 10 in month 0 (its first day waits) and in month 3
    # (sick, but past the paid period); months 1 and 2 begin on a paid day
    assert result.expected_income.tolist() == [10.0, 0.0, 0.0, 10.0]


def test_at_100_percent_only_a_month_whose_first_day_is_paid_goes_without_a_deposit():
    # Given a wait of 45 days (w = 1.478 months) and a sick period of 3.5 months
    model = one_member(waiting_days=45, durations=Durations.empirical([3.5]))
    waiting = 45 / MONTH_DAYS

    result = simulate_fund(model, months=4, paths=1, rng=1)

    # Then the gifts are 0, 2 - w, 1 and 0.5 of a month's 100
    gifts = [0.0, 100.0 * (2.0 - waiting), 100.0, 50.0]
    assert result.expected_payouts.tolist() == pytest.approx(gifts, abs=1e-12)
    # And the member deposits in months 0 and 1, whose first days (0 and 1) lie
    # before the first paid day (1.478), though month 1 pays 0.52 of a gift;
    # months 2 and 3 begin on a paid day (the app's _fully_sick_on)
    assert result.expected_income.tolist() == [10.0, 10.0, 0.0, 0.0]


def test_a_member_well_again_deposits_and_a_half_sick_one_deposits_too():
    # Given no new sickness: the member deposits 10 a month
    well = simulate_fund(one_member(sick_probability=0.0), months=3, paths=1, rng=1)
    assert well.expected_income.tolist() == [10.0, 10.0, 10.0]
    assert balances(well) == [1010.0, 1020.0, 1030.0]

    # Given every sick report at 50 %: half the gift, and the deposit goes on
    half = simulate_fund(one_member(half_share=1.0), months=3, paths=1, rng=1)
    assert half.expected_payouts.tolist() == [50.0, 50.0, 25.0]
    assert half.expected_income.tolist() == [10.0, 10.0, 10.0]


def test_when_short_every_gift_is_reduced_by_the_same_share():
    # Given 120 in the fund and gifts of 100, 100, 50
    result = simulate_fund(one_member(initial_balance=120.0), months=3, paths=2, rng=1)

    # Then month 0 is paid, month 1 gets the 20 left, month 2 nothing
    assert result.expected_payouts.tolist() == [100.0, 20.0, 0.0]
    assert balances(result) == [20.0, 0.0, 0.0]
    # And the fund ran short in month 1 (the second month), on every path
    assert result.shortfall_by_month.tolist() == [0.0, 1.0, 1.0]
    assert result.shortfall_probability == 1.0
    assert result.standard_error == 0.0
    assert result.expected_shortfall == 80.0 + 50.0
    assert result.paid_share == 120.0 / 250.0


def test_without_partial_payouts_a_short_month_pays_nothing():
    # Given the same fund, paying in full or not at all
    model = one_member(initial_balance=120.0, partial_payouts=False)

    result = simulate_fund(model, months=3, paths=1, rng=1)

    # Then month 1 pays nothing and keeps the 20; month 2 (50) is short too
    assert result.expected_payouts.tolist() == [100.0, 0.0, 0.0]
    assert balances(result) == [20.0, 20.0, 20.0]
    assert result.expected_shortfall == 150.0


def test_a_balance_equal_to_the_gifts_is_not_short():
    # Given exactly what the gifts need
    result = simulate_fund(one_member(initial_balance=250.0), months=3, paths=1, rng=1)

    assert result.shortfall_probability == 0.0
    assert balances(result) == [150.0, 50.0, 0.0]


def test_a_shortfall_of_one_percent_of_the_gifts_is_short():
    # Given 99 in the fund and a gift of 100 due in month 0
    result = simulate_fund(one_member(initial_balance=99.0), months=1, paths=1, rng=1)

    # Then the month is short: the 99 are paid and 1 is not
    assert result.shortfall_probability == 1.0
    assert result.expected_payouts.tolist() == [99.0]
    assert result.expected_shortfall == 1.0


def test_a_gap_of_float_rounding_is_not_short():
    # Given a balance a ten-billionth under the gift (float sums, far below a cent)
    result = simulate_fund(one_member(initial_balance=100.0 - 1e-10), months=1, paths=1, rng=1)

    # Then the gift counts as paid (SHORT_TOLERANCE: a billionth of what is owed)
    assert fund_module.SHORT_TOLERANCE == 1e-9
    assert result.shortfall_probability == 0.0


def test_the_excess_over_the_cap_is_refunded_in_the_refund_month():
    # Given two well members depositing 10 each, a cap of 3 months' deposits (60),
    # simulated from November with the refund in January
    model = one_member(
        tier_members=(2,),
        sick_probability=0.0,
        initial_balance=100.0,
        buffer_multiple=3,
        refund_month=1,
        start_month=11,
    )

    result = simulate_fund(model, months=4, paths=1, rng=1)

    # Then Nov 120, Dec 140, Jan 160 cut to 60, Feb 80
    assert balances(result) == [120.0, 140.0, 60.0, 80.0]


def test_the_cap_counts_the_deposits_of_sick_members_too():
    # Given one member sick from month 0 (no deposit) and a cap of 3 x 10, refund in month 0
    model = one_member(initial_balance=1000.0, buffer_multiple=3, refund_month=1)

    result = simulate_fund(model, months=1, paths=1, rng=1)

    # Then 1000 - 100 is cut to 30
    assert balances(result) == [30.0]


def test_the_cap_follows_the_deposit_rate_simulated():
    # Given two well members with gifts of 100, a cap of 3 months' deposits
    # refunded at the end of month 0, and 1000 in the fund
    model = one_member(
        tier_members=(2,), sick_probability=0.0, buffer_multiple=3, initial_balance=1000.0
    )

    # When simulated at a deposit rate of 0.5 (50 each) and at the own deposits (10 each)
    at_rate = simulate_fund(model, months=1, paths=1, rng=1, contribution=0.5)
    own = simulate_fund(model, months=1, paths=1, rng=1)

    # Then the cap is 3 x 2 x 50 = 300 at the rate, 3 x 2 x 10 = 60 as it is
    assert balances(at_rate) == [300.0]
    assert balances(own) == [60.0]


def test_a_leaver_takes_their_share_of_the_balance():
    # Given 4 well members depositing 10, half of whom leave each month (one path)
    model = one_member(
        tier_members=(4,), sick_probability=0.0, leave_rate=0.5, initial_balance=100.0
    )

    result = simulate_fund(model, months=2, paths=1, rng=5)

    # Then those who stayed deposit in month 1, and the leavers took
    # balance / members each at the end of month 0
    stayed = result.expected_income[1] / 10.0
    assert 0 < stayed < 4  # this seed leaves some and keeps some
    assert balances(result)[0] == 140.0 * (1.0 - (4 - stayed) / 4)


def test_leavers_take_half_the_balance_on_average_when_half_leave():
    # Given 4 well members, each leaving with probability 0.5 at the end of month 0
    model = one_member(
        tier_members=(4,), sick_probability=0.0, leave_rate=0.5, initial_balance=100.0
    )

    result = simulate_fund(model, months=1, paths=4000, rng=2)

    # Then the mean balance left is 140 / 2, within 4 standard errors
    # (members left ~ Binomial(4, 0.5): balance 35 x that, sd 35)
    error = 35.0 / math.sqrt(4000)
    assert abs(result.expected_balance[0] - 70.0) < 4 * error


def test_joins_fill_the_fund_up_to_max_members_and_deposit_from_their_first_month():
    # Given one well member, joins far above the room left, at most 3 members
    model = one_member(sick_probability=0.0, joins_per_month=1000.0, max_members=3)

    result = simulate_fund(model, months=3, paths=2, rng=1)

    # Then month 0 has the one member, months 1 and 2 the three
    assert result.expected_income.tolist() == [10.0, 30.0, 30.0]


def test_members_join_at_the_expected_rate_up_to_max_members():
    # Given 5 well members depositing 1 each and 0.8 joins a month (Poisson, from month 1)
    model = one_member(
        tier_members=(5,),
        tier_deposits=(1.0,),
        sick_probability=0.0,
        joins_per_month=0.8,
    )
    paths, month = 2000, 24

    free = simulate_fund(model, months=month + 1, paths=paths, rng=13)
    capped = simulate_fund(
        dataclasses.replace(model, max_members=20), months=month + 1, paths=paths, rng=13
    )

    # Then month 24's income counts the members: 5 + Poisson(0.8 x 24), within
    # 4 standard errors (variance 19.2, over 2000 paths)
    mean = 0.8 * month
    assert abs(free.expected_income[month] - (5 + mean)) < 4 * math.sqrt(mean / paths)
    # And capped at 20: E[min(5 + N, 20)] from the Poisson's own probabilities
    counts = np.arange(0, 200)
    weights = scipy.stats.poisson.pmf(counts, mean)
    members = np.minimum(5 + counts, 20)
    expected = float(np.sum(weights * members))
    spread = math.sqrt(float(np.sum(weights * (members - expected) ** 2)))
    assert abs(capped.expected_income[month] - expected) < 4 * spread / math.sqrt(paths)
    assert 19.0 < expected < 19.9  # the cap binds on most paths (86 %), not all


# --- Guarantee, traced on one path ---------------------------------------------------------


def invoice_counts(
    result: FundResult, *, delay_months: int = 3, claim_months: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """The invoices falling due each month, read back from one path with money
    to spare: each brings 800 of claims a month later and 850 (50 levy + 800
    recovered) three months later."""
    from_claims = result.expected_payouts[claim_months:] / 800.0
    from_income = result.expected_income[delay_months:] / 850.0
    return from_claims, from_income


def test_a_late_invoice_is_claimed_a_month_later_and_repaid_when_the_client_pays():
    # Given every invoice late, claimed after 30 days, paid 3 months after due
    result = simulate_fund(invoices(), months=12, paths=1, rng=3)

    # Then payouts in month m+1 and income in month m+3 count the same invoices of month m
    from_claims, from_income = invoice_counts(result)
    assert from_income.tolist() == from_claims[: len(from_income)].tolist()
    assert from_claims.sum() > 0
    assert np.all(from_claims == np.round(from_claims))
    # And nothing comes in before month 3, nothing is paid in month 0
    assert result.expected_income[:3].tolist() == [0.0, 0.0, 0.0]
    assert result.expected_payouts[0] == 0.0
    assert result.shortfall_probability == 0.0


def test_unpaid_claims_wait_for_money_and_are_paid_when_it_comes():
    # Given the same invoices and an empty fund
    rich = simulate_fund(invoices(), months=12, paths=1, rng=3)
    poor = simulate_fund(invoices(initial_balance=0.0), months=12, paths=1, rng=3)

    # When the months are replayed by hand from the invoices of the rich run
    counts, _ = invoice_counts(rich)
    owed = [0.0] + [800.0 * n for n in counts.tolist()]
    income = [0.0, 0.0, 0.0] + [850.0 * n for n in counts[:9].tolist()]
    balance, waiting, paid_by_hand, balance_by_hand = 0.0, 0.0, [], []
    for month in range(12):
        balance += income[month]
        due = owed[month] + waiting
        paid = min(due, balance)
        balance -= paid
        waiting = due - paid
        paid_by_hand.append(paid)
        balance_by_hand.append(balance)

    # Then the engine pays the same amounts, carrying what waits
    assert poor.expected_payouts.tolist() == pytest.approx(paid_by_hand, abs=1e-9)
    assert balances(poor) == pytest.approx(balance_by_hand, abs=1e-9)
    assert poor.expected_shortfall == pytest.approx(waiting, abs=1e-9)
    assert poor.shortfall_probability == 1.0
    assert poor.shortfall_by_month[0] == 0.0  # nothing owed in month 0


def test_an_invoice_never_paid_brings_neither_levy_nor_recovery():
    # Given every late invoice written off
    result = simulate_fund(invoices(never_probability=1.0), months=12, paths=1, rng=3)

    # Then nothing comes in, and the claims are paid from the balance
    assert result.expected_income.tolist() == [0.0] * 12
    assert result.expected_payouts.sum() > 0
    assert result.expected_balance[-1] == 1e9 - result.expected_payouts.sum()


def test_an_invoice_paid_on_time_brings_its_levy_that_month():
    # Given no invoice late
    result = simulate_fund(invoices(late_probability=0.0), months=6, paths=1, rng=3)

    # Then the income is 50 a month per invoice, and nothing is ever owed
    assert np.all(result.expected_income % 50.0 == 0.0)
    assert result.expected_income.sum() > 0
    assert result.expected_payouts.tolist() == [0.0] * 6


def test_the_claim_month_is_at_least_the_next_one():
    assert invoices(overdue_days=0).claim_months == 1
    assert invoices(overdue_days=30).claim_months == 1
    assert invoices(overdue_days=31).claim_months == 2
    assert invoices(overdue_days=61).claim_months == 3


# --- Zero risk -----------------------------------------------------------------------------


def test_nobody_falling_sick_gives_exactly_zero():
    result = simulate_fund(sick_fund(sick_probability=0.0), months=24, paths=300, rng=1)

    assert result.shortfall_probability == 0.0
    assert result.standard_error == 0.0
    assert result.expected_shortfall == 0.0
    assert result.paid_share == 1.0
    assert result.expected_payouts.tolist() == [0.0] * 24


def test_no_late_invoice_gives_exactly_zero():
    model = invoices(late_probability=0.0, initial_balance=0.0)

    result = simulate_fund(model, months=24, paths=300, rng=1)

    assert result.shortfall_probability == 0.0
    assert result.shortfall_by_month.tolist() == [0.0] * 24


# --- What every result keeps ---------------------------------------------------------------


def test_shortfall_by_month_rises_to_the_shortfall_probability_and_bands_are_ordered():
    result = simulate_fund(sick_fund(initial_balance=500.0), months=36, paths=1000, rng=4)

    by_month = result.shortfall_by_month
    assert np.all(np.diff(by_month) >= 0)
    assert by_month[-1] == result.shortfall_probability
    assert 0.0 < result.shortfall_probability < 1.0  # this fund is at risk, not doomed
    assert result.standard_error == math.sqrt(
        result.shortfall_probability * (1 - result.shortfall_probability) / 1000
    )
    assert result.percentiles == PERCENTILES == (5, 25, 50, 75, 95)
    assert result.balance_percentiles.shape == (5, 36)
    assert np.all(np.diff(result.balance_percentiles, axis=0) >= 0)
    assert result.probability_within(12) == (
        by_month[11],
        result.standard_error_by_month[11],
    )
    assert result.probability_within(36) == (result.shortfall_probability, result.standard_error)


def test_the_percentiles_come_from_the_first_percentile_paths_only():
    model = sick_fund()

    few = simulate_fund(model, months=12, paths=500, rng=8, chunk_size=128, percentile_paths=256)
    first = simulate_fund(model, months=12, paths=256, rng=8, chunk_size=128)

    # The first 256 paths (two whole chunks) are the same paths in both runs
    assert few.percentile_paths == 256
    assert few.balance_percentiles.tolist() == first.balance_percentiles.tolist()
    assert few.expected_balance.tolist() != first.expected_balance.tolist()


def test_balance_percentiles_interpolate_linearly_between_the_sampled_paths():
    # Given five paths ending month 0 with balances 30, 0, 40, 10 and 20
    sample = np.array([[30.0], [0.0], [40.0], [10.0], [20.0]])

    result = fund_module._result(
        first_counts=np.array([0, 5]),
        paths=5,
        unpaid=0.0,
        promised=0.0,
        paid=np.zeros(1),
        income=np.zeros(1),
        balance=np.array([100.0]),
        sample=sample,
        contribution=None,
    )

    # Then the p-th percentile lies at position p / 100 x (5 - 1) of the sorted
    # balances, between its neighbours (numpy's default, "linear"): 5 % at 0.2
    # is 2, 25 % at 1 is 10, 50 % is 20, 75 % is 30, 95 % at 3.8 is 38
    assert result.balance_percentiles[:, 0].tolist() == pytest.approx(
        [2.0, 10.0, 20.0, 30.0, 38.0], abs=1e-12
    )


def test_to_dict_is_json_ready():
    result = simulate_fund(sick_fund(), months=3, paths=20, rng=1)

    data = result.to_dict()

    assert data["percentiles"] == [5, 25, 50, 75, 95]
    assert len(data["balance_percentiles"]) == 5
    assert all(len(row) == 3 for row in data["balance_percentiles"])
    assert data["shortfall_by_month"] == result.shortfall_by_month.tolist()
    assert (data["paths"], data["months"], data["percentile_paths"]) == (20, 3, 20)
    assert data["contribution"] is None


def test_progress_is_told_after_each_chunk():
    calls = []

    simulate_fund(
        sick_fund(), months=3, paths=250, rng=1, chunk_size=100, progress=lambda *a: calls.append(a)
    )

    assert calls == [(100, 250), (200, 250), (250, 250)]


# --- Randomness ----------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_result():
    first = simulate_fund(sick_fund(), months=24, paths=500, rng=11)
    again = simulate_fund(sick_fund(), months=24, paths=500, rng=np.random.SeedSequence(11))

    assert first.to_dict() == again.to_dict()


def test_a_seeded_generator_answers_as_its_seed_every_time_and_is_not_advanced():
    # Given a generator seeded with 11
    generator = np.random.default_rng(11)

    # When it is passed twice
    first = simulate_fund(sick_fund(), months=12, paths=300, rng=generator)
    again = simulate_fund(sick_fund(), months=12, paths=300, rng=generator)

    # Then both answers are the seed 11's, and the generator drew nothing
    assert first.to_dict() == again.to_dict()
    assert first.to_dict() == simulate_fund(sick_fund(), months=12, paths=300, rng=11).to_dict()
    assert generator.random() == np.random.default_rng(11).random()


@pytest.mark.parametrize(
    "model",
    [sick_fund(initial_balance=800.0), invoices(late_probability=0.1, initial_balance=2000.0)],
)
def test_two_chunk_sizes_agree_within_four_standard_errors(model):
    small = simulate_fund(model, months=24, paths=3000, rng=21, chunk_size=256)
    large = simulate_fund(model, months=24, paths=3000, rng=21, chunk_size=3000)

    combined = math.hypot(small.standard_error, large.standard_error)
    assert 0.0 < small.shortfall_probability < 1.0
    assert abs(small.shortfall_probability - large.shortfall_probability) <= 4 * combined


models = st.builds(
    sick_fund,
    tier_members=st.tuples(st.integers(0, 6), st.integers(1, 6)),
    tier_deposits=st.tuples(st.floats(0, 80), st.floats(0, 80)),
    tier_payouts=st.tuples(st.floats(100, 2000), st.floats(100, 2000)),
    sick_probability=st.floats(0.005, 0.2),
    durations=st.sampled_from([Durations.geometric(1.5), Durations.empirical([0.5, 2.0, 7.5])]),
    waiting_days=st.integers(0, 60),
    half_share=st.floats(0, 1),
    leave_rate=st.floats(0, 0.05),
    partial_payouts=st.booleans(),
    buffer_multiple=st.sampled_from([None, 1, 6]),
)


@settings(max_examples=30, deadline=None)
@given(model=models, low=st.floats(0, 3000), more=st.floats(0, 3000))
def test_more_initial_balance_never_raises_the_risk(model, low, more):
    poorer = simulate_fund(
        dataclasses.replace(model, initial_balance=low), months=24, paths=200, rng=5
    )
    richer = simulate_fund(
        dataclasses.replace(model, initial_balance=low + more), months=24, paths=200, rng=5
    )

    # Pathwise under common random numbers: month by month, never more often short
    assert np.all(richer.shortfall_by_month <= poorer.shortfall_by_month)


@settings(max_examples=30, deadline=None)
@given(model=models, rate=st.floats(0, 0.2), more=st.floats(0, 0.2))
def test_a_higher_deposit_rate_never_raises_the_risk(model, rate, more):
    lower = simulate_fund(model, months=24, paths=200, rng=6, contribution=rate)
    higher = simulate_fund(model, months=24, paths=200, rng=6, contribution=rate + more)

    assert np.all(higher.shortfall_by_month <= lower.shortfall_by_month)


@settings(max_examples=30, deadline=None)
@given(
    late=st.floats(0, 0.5),
    never=st.floats(0, 1),
    partial=st.booleans(),
    levy=st.floats(0, 20),
    more=st.floats(0, 20),
)
def test_a_higher_levy_never_raises_the_risk(late, never, partial, levy, more):
    model = invoices(
        late_probability=late,
        never_probability=never,
        partial_payouts=partial,
        delays=Durations.geometric(2.0),
        initial_balance=500.0,
    )

    lower = simulate_fund(model, months=24, paths=200, rng=7, contribution=levy)
    higher = simulate_fund(model, months=24, paths=200, rng=7, contribution=levy + more)

    assert np.all(higher.shortfall_by_month <= lower.shortfall_by_month)


def test_a_deposit_rate_sets_every_tier_to_rate_times_its_payout():
    # Given a fund with its own deposits
    model = sick_fund(sick_probability=0.0, joins_per_month=0.0, leave_rate=0.0)

    # When simulated at a rate of 5 %
    result = simulate_fund(model, months=2, paths=1, rng=1, contribution=0.05)

    # Then every member deposits 5 % of their gift
    assert result.expected_income.tolist() == [0.05 * (4 * 1000 + 3 * 1500 + 2 * 2000)] * 2
    assert result.contribution == 0.05


def test_the_models_own_deposit_rate_weighs_tiers_by_their_members():
    model = sick_fund()

    assert model.deposit_rate == pytest.approx((4 * 0.03 + 3 * 0.03 + 2 * 0.03) / 9)
    assert one_member(tier_payouts=(0.0,)).deposit_rate == 0.0


def test_the_models_own_deposit_rate_is_its_deposits_over_its_gifts():
    # Given 9 members depositing 20 for a gift of 200 (10 %) and one depositing 20
    # for a gift of 3000 (0.67 %): a mean of the ratios would say 9.07 %
    model = one_member(
        tier_members=(9, 1),
        tier_deposits=(20.0, 20.0),
        tier_payouts=(200.0, 3000.0),
        sick_probability=0.0,
    )

    # Then the rate is the deposits over the gifts, (9 x 20 + 20) / (9 x 200 + 3000)
    assert model.deposit_rate == 200.0 / 4800.0
    # And at that rate the members deposit in total what they deposit now
    own = simulate_fund(model, months=2, paths=1, rng=1)
    at_rate = simulate_fund(model, months=2, paths=1, rng=1, contribution=model.deposit_rate)
    assert at_rate.expected_income.tolist() == pytest.approx(
        own.expected_income.tolist(), rel=1e-12
    )
    assert own.expected_income.tolist() == [200.0, 200.0]


def test_with_nobody_yet_the_deposit_rate_counts_every_tier_once():
    model = one_member(tier_members=(0, 0), tier_deposits=(20.0, 30.0), tier_payouts=(200.0, 600.0))

    assert model.deposit_rate == 50.0 / 800.0


# --- Refusals ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: sick_fund(sick_probability=1.5), "sick_probability must be at most 1; got 1.5."),
        (lambda: sick_fund(leave_rate=-0.1), "leave_rate must be at least 0; got -0.1."),
        (lambda: sick_fund(joins_per_month=-1), "joins_per_month must be at least 0; got -1."),
        (lambda: sick_fund(half_share=2), "half_share must be at most 1; got 2."),
        (
            lambda: sick_fund(tier_deposits=(30.0, 45.0)),
            "tier_deposits must hold one amount per tier (3, as tier_members); got 2.",
        ),
        (
            lambda: sick_fund(tier_payouts=(1.0, 2.0, 3.0, 4.0)),
            "tier_payouts must hold one amount per tier (3, as tier_members); got 4.",
        ),
        (lambda: sick_fund(tier_members=()), "tier_members must hold at least one tier."),
        (lambda: sick_fund(tier_members=(1, -1, 2)), "tier_members[1] must be at least 0; got -1."),
        (
            lambda: sick_fund(tier_deposits=(30.0, -1.0, 2.0)),
            "tier_deposits[1] must be at least 0; got -1.",
        ),
        (lambda: sick_fund(waiting_days=-1), "waiting_days must be at least 0; got -1."),
        (lambda: sick_fund(max_months=0), "max_months must be at least 1; got 0."),
        (lambda: sick_fund(buffer_multiple=0), "buffer_multiple must be at least 1; got 0."),
        (lambda: sick_fund(refund_month=13), "refund_month must be at most 12; got 13."),
        (lambda: sick_fund(start_month=0), "start_month must be at least 1; got 0."),
        (lambda: sick_fund(initial_balance=-5), "initial_balance must be at least 0; got -5."),
        (lambda: sick_fund(durations=3.0), "durations must be a Durations; got 3.0."),
        (lambda: sick_fund(partial_payouts=1), "partial_payouts must be true or false; got 1."),
        (lambda: Durations.geometric(0.5), "mean must be at least 1; got 0.5."),
        (lambda: Durations.empirical([]), "months must hold at least one number."),
        (lambda: Durations.empirical([1, 0]), "months[1] must be above 0; got 0."),
        (
            lambda: Durations("poisson", 2.0),
            "kind must be 'geometric', 'empirical' or 'kaplan_meier'; got 'poisson'.",
        ),
        (lambda: invoices(levy_percent=101), "levy_percent must be at most 100; got 101."),
        (lambda: invoices(invoices_per_month=-2), "invoices_per_month must be at least 0; got -2."),
        (lambda: invoices(late_probability=1.2), "late_probability must be at most 1; got 1.2."),
        (
            lambda: invoices(never_probability=-0.5),
            "never_probability must be at least 0; got -0.5.",
        ),
        (lambda: invoices(recovery=1.5), "recovery must be at most 1; got 1.5."),
        (lambda: invoices(payout_fraction=-1), "payout_fraction must be at least 0; got -1."),
        (lambda: invoices(invoice_amounts=()), "invoice_amounts must hold at least one number."),
        (
            lambda: invoices(invoice_amounts=(10.0, 0.0)),
            "invoice_amounts[1] must be above 0; got 0.",
        ),
        (lambda: invoices(overdue_days=-3), "overdue_days must be at least 0; got -3."),
        # Huge inputs: a ValueError naming them, never an overflow or terabytes of memory
        (
            lambda: sick_fund(tier_members=(10**19, 1, 1)),
            "tier_members[0] must be at most 1000000; got 10000000000000000000.",
        ),
        (
            lambda: sick_fund(tier_members=(600_000, 600_000, 0)),
            "tier_members must add up to at most 1000000 members; got 1200000.",
        ),
        (
            lambda: one_member(
                tier_members=(1,) * 25, tier_deposits=(1.0,) * 25, tier_payouts=(1.0,) * 25
            ),
            "tier_members must hold at most 24 tiers; got 25.",
        ),
        (
            lambda: sick_fund(max_members=10**19),
            "max_members must be at most 1000000; got 10000000000000000000.",
        ),
        (
            lambda: sick_fund(waiting_days=10**30),
            "waiting_days must be at most 3650; got a whole number of 31 digits.",
        ),
        (lambda: sick_fund(max_months=1201), "max_months must be at most 1200; got 1201."),
        (
            lambda: sick_fund(buffer_multiple=10**19),
            "buffer_multiple must be at most 1200; got 10000000000000000000.",
        ),
        (
            lambda: sick_fund(joins_per_month=1e12),
            "joins_per_month must be at most 10000; got 1000000000000.",
        ),
        (
            lambda: sick_fund(tier_deposits=(1e308, 1.0, 1.0)),
            "tier_deposits[0] must be at most 1000000000000; got 1e+308.",
        ),
        (
            lambda: sick_fund(tier_payouts=(1.0, 1e13, 1.0)),
            "tier_payouts[1] must be at most 1000000000000; got 10000000000000.",
        ),
        (
            lambda: sick_fund(initial_balance=1e308),
            "initial_balance must be at most 1000000000000; got 1e+308.",
        ),
        (lambda: Durations.geometric(1e20), "mean must be at most 1200; got 1e+20."),
        (lambda: Durations.empirical([2.0, 1e20]), "months[1] must be at most 1200; got 1e+20."),
        (
            lambda: invoices(overdue_days=10**30),
            "overdue_days must be at most 3650; got a whole number of 31 digits.",
        ),
        (
            lambda: invoices(invoice_amounts=(1e308,)),
            "invoice_amounts[0] must be at most 1000000000000; got 1e+308.",
        ),
        (
            lambda: invoices(invoices_per_month=1e7),
            "invoices_per_month must be at most 100000; got 10000000.",
        ),
        (
            lambda: invoices(initial_balance=1e13),
            "initial_balance must be at most 1000000000000; got 10000000000000.",
        ),
        (
            lambda: simulate_fund(sick_fund(), percentile_paths=10**7),
            "percentile_paths must be at most 1000000; got 10000000.",
        ),
        (
            lambda: simulate_fund(sick_fund(), contribution=1e300),
            "contribution must be at most 1000000; got 1e+300.",
        ),
        # Kaplan-Meier durations
        (lambda: Durations.kaplan_meier([]), "finished must hold at least one number."),
        (
            lambda: Durations.kaplan_meier([1.0], running=[-1.0]),
            "running[0] must be at least 0; got -1.",
        ),
        (
            lambda: Durations.kaplan_meier([1.0], tail_mean=0.5),
            "tail_mean must be at least 1; got 0.5.",
        ),
        (
            lambda: Durations.kaplan_meier([1.0], running=[1300.0]),
            "running[0] must be at most 1200; got 1300.",
        ),
        (
            lambda: Durations("empirical", 0.0, (1.0,), (2.0,)),
            "running and tail_mean are for kaplan_meier durations only.",
        ),
        (lambda: simulate_fund(sick_fund(), months=0), "months must be at least 1; got 0."),
        (lambda: simulate_fund(sick_fund(), paths=0), "paths must be at least 1; got 0."),
        (lambda: simulate_fund(sick_fund(), chunk_size=0), "chunk_size must be at least 1; got 0."),
        (
            lambda: simulate_fund(sick_fund(), contribution=-0.1),
            "contribution must be at least 0; got -0.1.",
        ),
        (
            lambda: simulate_fund(invoices(), contribution=120),
            "contribution must be at most 100; got 120.",
        ),
        (
            lambda: simulate_fund(cast(Any, "fund")),
            "model must be a SickPayModel or a GuaranteeModel; got 'fund'.",
        ),
        (
            lambda: simulate_fund(sick_fund(), months=3, paths=1).probability_within(4),
            "months must be at most 3; got 4.",
        ),
    ],
)
def test_it_refuses_bad_inputs_naming_the_parameter(build, message):
    with pytest.raises(ValueError) as caught:
        build()
    assert str(caught.value) == message


def test_durations_draw_what_they_promise():
    rng = np.random.default_rng(1)

    geometric = Durations.geometric(3.0).sample(rng, 20_000)
    empirical = Durations.empirical([1, 2.5]).sample(rng, 1000)

    assert geometric.min() == 1.0
    assert np.all(geometric == np.round(geometric))
    # mean 3, sd sqrt(1 - q) / q = sqrt(6): within 4 standard errors
    assert abs(geometric.mean() - 3.0) < 4 * math.sqrt(6 / 20_000)
    assert set(empirical.tolist()) == {1.0, 2.5}
    assert Durations.empirical([1, 2.5]).to_dict() == {"empirical": [1.0, 2.5]}
    assert Durations.geometric(3).to_dict() == {"geometric": 3.0}


def test_kaplan_meier_moves_the_running_periods_mass_onto_longer_finished_ones():
    # Given periods finished after 1, 2, 2 and 4 months, and two running for 2 and 3 so far
    durations = Durations.kaplan_meier([1.0, 2.0, 2.0, 4.0], running=[2.0, 3.0])

    # Then the product-limit steps are: at 1, 6 at risk, 1 ends: S = 5/6; at 2,
    # 5 at risk (the one running for exactly 2 too), 2 end: S = 1/2; at 4, 1
    # at risk, it ends: S = 0. Mass 1/6, 1/3 and 1/2, nothing beyond
    assert durations.mean == pytest.approx(1 / 6 + 2 / 3 + 4 / 2, abs=1e-12)
    draws = durations.sample(np.random.default_rng(3), 30_000)
    assert set(draws.tolist()) == {1.0, 2.0, 4.0}
    for length, mass in [(1.0, 1 / 6), (2.0, 1 / 3), (4.0, 1 / 2)]:
        error = math.sqrt(mass * (1 - mass) / 30_000)
        assert abs(np.mean(draws == length) - mass) < 4 * error


def test_kaplan_meier_draws_beyond_the_longest_running_period_geometrically():
    # Given three periods finished after 2 months and one still running after 12
    durations = Durations.kaplan_meier([2.0, 2.0, 2.0], running=[12.0], tail_mean=4.0)

    # Then a quarter of the draws lie past 12: 12 plus geometric months of mean 4
    draws = durations.sample(np.random.default_rng(4), 40_000)
    tail = draws[draws != 2.0]
    assert abs(len(tail) / 40_000 - 0.25) < 4 * math.sqrt(0.25 * 0.75 / 40_000)
    assert tail.min() == 13.0
    assert np.all(tail == np.round(tail))
    # (a geometric of mean 4 has sd sqrt(1 - 1/4) x 4)
    assert abs(tail.mean() - 16.0) < 4 * math.sqrt(0.75) * 4.0 / math.sqrt(len(tail))
    assert durations.mean == 0.75 * 2.0 + 0.25 * 16.0
    # By default the tail's mean is the memoryless one, months observed / periods ended
    assert Durations.kaplan_meier([2.0, 2.0, 2.0], running=[12.0]).tail_mean == 18.0 / 3


def test_kaplan_meier_durations_round_trip_through_their_dict():
    durations = Durations.kaplan_meier([1.5, 3.0], running=[0.0, 2.0], tail_mean=2.5)

    assert durations.to_dict() == {
        "kaplan_meier": {"finished": [1.5, 3.0], "running": [0.0, 2.0], "tail_mean": 2.5}
    }
    assert durations == Durations.kaplan_meier([1.5, 3.0], [0.0, 2.0], tail_mean=2.5)


# --- Bounded memory ------------------------------------------------------------------------


def test_pieces_cover_the_counts_in_order_each_within_the_batch():
    # Given counts 3, 0, 2, 5, 1 and a batch of 4: the 5 goes alone
    assert fund_module._pieces(np.array([3, 0, 2, 5, 1]), 4) == [(0, 2), (2, 3), (3, 4), (4, 5)]
    assert fund_module._pieces(np.array([3, 0, 1]), 4) == [(0, 3)]


def test_a_months_sick_periods_drawn_and_scattered_in_pieces_give_the_same_months(monkeypatch):
    # Given a fund where nothing is random (every member sick for 2.5 months when well)
    model = one_member(tier_members=(2, 1), tier_deposits=(10.0, 20.0), tier_payouts=(100.0, 300.0))
    whole = simulate_fund(model, months=8, paths=5, rng=1)

    # When every month's onsets are drawn cell by cell and scattered a pair at a time
    monkeypatch.setattr(fund_module, "ONSET_BATCH", 1)
    monkeypatch.setattr(fund_module, "PAIR_BATCH", 1)
    pieces = simulate_fund(model, months=8, paths=5, rng=1)

    # Then the months are the same
    assert pieces.expected_payouts.tolist() == pytest.approx(whole.expected_payouts.tolist())
    assert pieces.expected_income.tolist() == pytest.approx(whole.expected_income.tolist())
    assert pieces.expected_balance.tolist() == pytest.approx(whole.expected_balance.tolist())


def test_a_fund_of_a_million_members_runs_in_pieces():
    # Given a million members, half of whom fall sick in month 0 (the onsets of
    # one month are drawn in pieces of ONSET_BATCH, gifts scattered by PAIR_BATCH)
    model = one_member(
        tier_members=(1_000_000,),
        sick_probability=0.5,
        durations=Durations.geometric(3.0),
        waiting_days=30,
    )

    result = simulate_fund(model, months=1, paths=2, rng=5)

    # Then month 0 owes 100 x (1 - w) for each of them (every period lasts a month
    # or more): Binomial(10^6, 0.5) of them, within 4 standard errors
    gift = 100.0 * (1.0 - WAITING_30)
    error = gift * math.sqrt(1e6 * 0.25 / 2)
    assert abs(result.expected_payouts[0] - gift * 500_000) < 4 * error


def test_invoices_of_a_busy_month_drawn_path_by_path_keep_their_months(monkeypatch):
    # Given a batch smaller than one month's invoices over all paths
    monkeypatch.setattr(fund_module, "INVOICE_BATCH", 4)

    result = simulate_fund(invoices(), months=12, paths=3, rng=3)

    # Then each path's invoices are still claimed a month later and repaid 3 months later
    # (the mean over paths of whole counts, so compared as such)
    from_claims, from_income = invoice_counts(result)
    assert from_income.tolist() == pytest.approx(from_claims[: len(from_income)].tolist())
    assert from_claims.sum() > 0


def test_sick_periods_scattered_in_small_batches_give_the_same_gifts(monkeypatch):
    # Given the same run with every sick period scattered on its own
    whole = simulate_fund(sick_fund(), months=24, paths=300, rng=9)
    monkeypatch.setattr(fund_module, "GIFT_BATCH", 1)

    batched = simulate_fund(sick_fund(), months=24, paths=300, rng=9)

    # Then the same draws give the same months (up to the order of float sums)
    assert batched.expected_payouts.tolist() == pytest.approx(
        whole.expected_payouts.tolist(), rel=1e-12
    )
    assert batched.expected_balance.tolist() == pytest.approx(
        whole.expected_balance.tolist(), rel=1e-12
    )
    assert batched.shortfall_probability == whole.shortfall_probability


def test_invoices_drawn_a_month_at_a_time_keep_their_months(monkeypatch):
    # Given blocks of one month of invoices (the draws come in another order)
    monkeypatch.setattr(fund_module, "INVOICE_BATCH", 1)

    result = simulate_fund(invoices(), months=12, paths=1, rng=3)

    # Then each month's invoices are still claimed a month later and repaid 3 months later
    from_claims, from_income = invoice_counts(result)
    assert from_income.tolist() == from_claims[: len(from_income)].tolist()
    assert from_claims.sum() > 0
