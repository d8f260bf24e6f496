"""The classical compound-Poisson ruin estimator: agreement with the closed
form for exponential claims, plain against tilted, hand-checkable cases,
reproducibility, monotonicity (Hypothesis) and every refusal.

Statistical checks use fixed seeds and a bound of four standard errors.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from mutualist.engines.solvency import classical as classical_module
from mutualist.engines.solvency.classical import (
    ClaimSizes,
    ClassicalResult,
    classical_ruin,
    exponential_ruin,
    lundberg_exponent,
)

EXPONENTIAL = ClaimSizes.exponential(1.0)


def finite_horizon_gap(
    *, initial: float, claim_rate: float, premium_rate: float, mean: float, horizon: float
) -> float:
    """An upper bound on psi(u) - psi(u, T) for exponential claims (Gerber):
    for any r in (0, R), exp(-r u) exp(T kappa(r)) with
    kappa(r) = lambda (M(r) - 1) - c r < 0, minimised over a grid of r."""
    r = np.linspace(1e-6, 1.0 / mean, 100_000, endpoint=False)
    kappa = claim_rate * (1.0 / (1.0 - r * mean) - 1.0) - premium_rate * r
    usable = kappa < 0
    return float(np.min(np.exp(-r[usable] * initial + horizon * kappa[usable])))


def within(result: ClassicalResult, expected: float | None, errors: float = 4.0) -> bool:
    assert expected is not None
    return abs(result.ruin_probability - expected) <= errors * result.standard_error


# Closed form ---------------------------------------------------------------


def test_it_agrees_with_the_closed_form_for_exponential_claims_by_plain_monte_carlo():
    # Given exponential claims of mean 1, a 25 % loading, capital 5 and a
    # horizon of 1,000 expected claims: the finite-horizon probability is
    # the infinite one to far below the Monte Carlo error
    result = classical_ruin(
        initial=5.0,
        claim_rate=1.0,
        claims=EXPONENTIAL,
        theta=0.25,
        horizon=1000.0,
        paths=20_000,
        rng=101,
        method="plain",
    )
    gap = finite_horizon_gap(
        initial=5.0, claim_rate=1.0, premium_rate=1.25, mean=1.0, horizon=1000.0
    )

    # Then
    assert result.closed_form == pytest.approx(math.exp(-1.0) / 1.25, rel=1e-12)
    assert gap < result.standard_error / 100
    assert result.method == "plain"
    assert within(result, result.closed_form)
    assert 0.0025 < result.standard_error < 0.004  # about sqrt(0.29 * 0.71 / 20,000)


def test_it_estimates_a_one_in_a_million_ruin_by_tilting():
    # Given capital 68 against claims of mean 1 with a 25 % loading: psi is
    # about 1e-6, out of reach of plain Monte Carlo at any affordable scale
    closed_form = exponential_ruin(initial=68.0, theta=0.25, mean=1.0)
    gap = finite_horizon_gap(
        initial=68.0, claim_rate=1.0, premium_rate=1.25, mean=1.0, horizon=2000.0
    )

    # When "auto" chooses the method
    result = classical_ruin(
        initial=68.0,
        claim_rate=1.0,
        claims=EXPONENTIAL,
        theta=0.25,
        horizon=2000.0,
        paths=2_000,
        rng=202,
    )

    # Then it tilts, agrees with the closed form, and is precise
    assert 9e-7 < closed_form < 1.1e-6
    assert gap < result.standard_error / 100
    assert result.method == "tilted"
    assert result.adjustment_coefficient == pytest.approx(0.2, rel=1e-12)
    assert result.closed_form == closed_form
    assert within(result, closed_form)
    assert result.standard_error / result.ruin_probability < 0.05


def test_it_is_ruined_about_one_time_in_one_plus_theta_from_zero_capital():
    # Given no capital and a horizon long enough to be infinite
    result = classical_ruin(
        initial=0.0,
        claim_rate=1.0,
        claims=EXPONENTIAL,
        theta=0.5,
        horizon=1000.0,
        paths=8_000,
        rng=303,
    )
    gap = finite_horizon_gap(
        initial=0.0, claim_rate=1.0, premium_rate=1.5, mean=1.0, horizon=1000.0
    )

    # Then psi(0) = 1 / (1 + theta)
    assert gap < result.standard_error / 100
    assert result.method == "plain"
    assert result.closed_form == pytest.approx(1.0 / 1.5, rel=1e-12)
    assert within(result, 1.0 / 1.5)


def test_it_gives_a_closed_form_of_one_when_the_premium_does_not_cover_the_claims():
    # Given a premium rate of exactly the expected claims (theta = 0)
    result = classical_ruin(
        initial=3.0,
        claim_rate=2.0,
        claims=ClaimSizes.exponential(2.0),
        premium_rate=4.0,
        horizon=5.0,
        paths=100,
        rng=1,
    )

    # Then
    assert result.theta == 0.0
    assert result.closed_form == 1.0
    assert result.adjustment_coefficient is None
    assert result.method == "plain"


# Plain against tilted ----------------------------------------------------


@pytest.mark.parametrize(
    ("claims", "theta"),
    [
        (ClaimSizes.exponential(1.0), 0.25),
        (ClaimSizes.empirical([0.2, 0.5, 1.0, 1.0, 3.0]), 0.4),
    ],
    ids=["exponential", "empirical"],
)
def test_plain_and_tilted_agree_at_a_finite_horizon(claims, theta):
    # Given a moderate ruin probability over a horizon of 40 expected claims
    common = {
        "initial": 8.0,
        "claim_rate": 2.0,
        "claims": claims,
        "theta": theta,
        "horizon": 20.0,
    }

    # When estimated both ways
    plain = classical_ruin(**common, paths=40_000, rng=404, method="plain")
    tilted = classical_ruin(**common, paths=10_000, rng=405, method="tilted")

    # Then they agree, and tilting is the more precise with fewer paths
    combined = math.hypot(plain.standard_error, tilted.standard_error)
    assert 0.01 < plain.ruin_probability < 0.3
    assert abs(plain.ruin_probability - tilted.ruin_probability) <= 4 * combined
    assert tilted.standard_error < plain.standard_error
    assert (plain.method, tilted.method) == ("plain", "tilted")


def test_auto_tilts_exactly_when_the_lundberg_bound_is_below_one_percent_at_a_long_horizon():
    # Given R = 0.2 and a horizon where T kappa'(R) = 1000 x 0.3125 is above u:
    # the finite-horizon bound is Lundberg's exp(-0.2 u), crossing 0.01 at u = 23.03
    def run(initial: float) -> ClassicalResult:
        return classical_ruin(
            initial=initial,
            claim_rate=1.0,
            claims=EXPONENTIAL,
            theta=0.25,
            horizon=1000.0,
            paths=10,
            rng=1,
        )

    # Then
    assert run(23.0).method == "plain"
    assert run(23.1).method == "tilted"
    assert run(23.1).ruin_bound == pytest.approx(math.exp(-0.2 * 23.1), rel=1e-12)
    assert run(23.1).tilt_exponent == run(23.1).adjustment_coefficient


def test_auto_tilts_exactly_when_the_finite_horizon_bound_is_below_one_percent():
    # Given a horizon of 10 (T kappa'(R) = 3.125, below u): Gerber's bound at its best
    # exponent r* > R is exp(-(sqrt(u + c T) - sqrt(lambda T))^2), far below exp(-0.2 u)
    def run(initial: float) -> ClassicalResult:
        return classical_ruin(
            initial=initial,
            claim_rate=1.0,
            claims=EXPONENTIAL,
            theta=0.25,
            horizon=10.0,
            paths=10,
            rng=1,
        )

    def gerber(initial: float) -> float:
        return math.exp(-((math.sqrt(initial + 12.5) - math.sqrt(10.0)) ** 2))

    crossing = (math.sqrt(10.0) + math.sqrt(-math.log(0.01))) ** 2 - 12.5  # 15.68

    # Then it tilts from there on, by the steeper exponent, where Lundberg's
    # bound alone (0.04 at u = 15.7) would have left it to plain paths
    assert run(crossing - 0.01).method == "plain"
    assert run(crossing + 0.01).method == "tilted"
    assert run(crossing + 0.01).ruin_bound == pytest.approx(gerber(crossing + 0.01), rel=1e-9)
    assert math.exp(-0.2 * crossing) > 0.04
    result = run(crossing + 0.01)
    assert result.tilt_exponent is not None and result.adjustment_coefficient is not None
    assert result.tilt_exponent > result.adjustment_coefficient


def test_auto_falls_back_to_plain_for_lognormal_claims():
    # Given heavy-tailed claims and capital far above them
    result = classical_ruin(
        initial=500.0,
        claim_rate=1.0,
        claims=ClaimSizes.lognormal(0.0, 1.0),
        theta=0.25,
        horizon=10.0,
        paths=1_000,
        rng=1,
    )

    # Then there is no Lundberg exponent and no closed form
    assert result.method == "plain"
    assert result.adjustment_coefficient is None
    assert result.closed_form is None
    assert result.ruin_probability == 0.0


def test_it_answers_zero_at_once_when_the_lundberg_bound_is_below_the_smallest_float():
    # Given capital 10,000 claims of mean 1 deep: exp(-R u) = exp(-2,000)
    result = classical_ruin(
        initial=10_000.0,
        claim_rate=1.0,
        claims=EXPONENTIAL,
        theta=0.25,
        horizon=1e6,
        paths=1_000,
        rng=1,
    )

    # Then
    assert result.method == "tilted"
    assert (result.ruin_probability, result.standard_error) == (0.0, 0.0)
    assert result.closed_form == 0.0


# Rare ruin at a short horizon ----------------------------------------------


def test_it_estimates_a_rare_ruin_at_a_short_horizon_rather_than_answering_zero():
    # Given the reviewer's case: capital 20, claims of mean 1 at rate 1, a 25 %
    # loading and a horizon of 2: Lundberg's bound exp(-0.2 x 20) = 0.018 says
    # little, but in 2 time units ruin needs about 20 claims' worth at once
    common: dict[str, Any] = {
        "initial": 20.0,
        "claim_rate": 1.0,
        "claims": EXPONENTIAL,
        "theta": 0.25,
        "horizon": 2.0,
    }

    # When "auto" chooses (with few paths), and plain paths try
    auto = classical_ruin(**common, paths=2_000, rng=31)
    plain = classical_ruin(**common, paths=400_000, rng=32, method="plain")
    few = classical_ruin(**common, paths=20_000, rng=33, method="plain")

    # Then auto tilts by the finite-horizon exponent and gives a usable estimate,
    # between a lower bound (one claim above u + c T = 22.5 in [0, T]) and Gerber's
    lower = -math.expm1(-2.0 * math.exp(-22.5))
    gerber = math.exp(-((math.sqrt(22.5) - math.sqrt(2.0)) ** 2))
    assert auto.method == "tilted"
    assert auto.ruin_bound == pytest.approx(gerber, rel=1e-9)
    assert lower < auto.ruin_probability < gerber
    assert 0 < auto.standard_error < 0.1 * auto.ruin_probability
    assert auto.ruin_probability <= auto.upper_bound_95 <= gerber
    # And plain paths see no ruin, but say how little that proves, not 0 +- 0: a
    # single hit's standard error and the rule of three's 95 % bound (exactly
    # 1 - 0.05^(1/paths)), or Gerber's bound when that is lower (fewer paths)
    assert plain.ruin_probability == 0.0
    assert plain.standard_error == 1.0 / 400_000
    assert plain.upper_bound_95 == pytest.approx(1 - 0.05 ** (1 / 400_000), rel=1e-12)
    assert plain.upper_bound_95 == pytest.approx(3 / 400_000, rel=0.01)
    assert (few.ruin_probability, few.upper_bound_95) == (0.0, few.ruin_bound)


@pytest.mark.parametrize(
    "claims",
    [ClaimSizes.exponential(1.0), ClaimSizes.empirical([0.2, 0.5, 1.0, 1.0, 3.0])],
    ids=["exponential", "empirical"],
)
def test_the_steeper_tilt_of_a_short_horizon_agrees_with_plain_paths(claims):
    # Given a horizon short against the capital (T kappa'(R) below u): r* > R
    common = {"initial": 4.0, "claim_rate": 2.0, "claims": claims, "theta": 0.3, "horizon": 1.0}

    plain = classical_ruin(**common, paths=100_000, rng=11, method="plain")
    tilted = classical_ruin(**common, paths=10_000, rng=12, method="tilted")

    # Then the two agree within 4 combined standard errors (the score carries
    # exp(tau kappa(r*)) besides exp(r* U_tau), which keeps it unbiased)
    assert tilted.tilt_exponent is not None and tilted.adjustment_coefficient is not None
    assert tilted.tilt_exponent > 1.5 * tilted.adjustment_coefficient
    assert 0.03 < plain.ruin_probability < 0.1
    combined = math.hypot(plain.standard_error, tilted.standard_error)
    assert abs(plain.ruin_probability - tilted.ruin_probability) <= 4 * combined


def test_a_plain_estimate_carries_its_clopper_pearson_upper_bound():
    result = classical_ruin(
        initial=2.0,
        claim_rate=1.0,
        claims=EXPONENTIAL,
        theta=0.25,
        horizon=5.0,
        paths=2_000,
        rng=3,
        method="plain",
    )

    hits = round(result.ruin_probability * 2_000)
    assert 0 < hits < 2_000
    assert result.upper_bound_95 == pytest.approx(
        scipy.stats.beta.ppf(0.95, hits + 1, 2_000 - hits), rel=1e-9
    )


def test_the_tilted_standard_error_matches_the_exact_second_moment():
    # Given exponential claims (mean 1, theta 0.25: R = 0.2) over a horizon long
    # enough that every tilted path is ruined: the overshoot below 0 is then
    # exponential with rate a = 1/mean - R, so a score exp(-R u) exp(-R X) has
    # E[score] = e^{-Ru} a / (a + R) and E[score^2] = e^{-2Ru} a / (a + 2R)
    initial, paths = 6.0, 20_000
    result = classical_ruin(
        initial=initial,
        claim_rate=1.0,
        claims=EXPONENTIAL,
        theta=0.25,
        horizon=2000.0,
        paths=paths,
        rng=44,
        method="tilted",
    )
    a, r = 1.0 - 0.2, 0.2
    mean = math.exp(-r * initial) * a / (a + r)
    second = math.exp(-2 * r * initial) * a / (a + 2 * r)
    exact = math.sqrt((second - mean * mean) / paths)

    # Then the reported standard error is the exact one within 3 %: the sample
    # standard deviation of these scores has a relative error of 1.64 / sqrt(2 x paths)
    # (from their fourth moment), 0.8 % here, so 3 % is nearly four of them
    assert result.standard_error == pytest.approx(exact, rel=0.03)
    assert abs(result.ruin_probability - mean) < 4 * exact


# Hand-checkable cases ------------------------------------------------------


@pytest.mark.parametrize("method", ["auto", "plain", "tilted"])
@pytest.mark.parametrize(("premium_rate", "theta"), [(None, 0.3), (2.0, None)])
def test_it_gives_exactly_zero_without_claims(method, premium_rate, theta):
    # Given no claims at all
    calls = []

    # When
    result = classical_ruin(
        initial=0.0,
        claim_rate=0.0,
        claims=EXPONENTIAL,
        horizon=100.0,
        premium_rate=premium_rate,
        theta=theta,
        paths=1_000,
        rng=1,
        method=method,
        progress=lambda done, total: calls.append((done, total)),
    )

    # Then
    assert (result.ruin_probability, result.standard_error) == (0.0, 0.0)
    assert result.closed_form == 0.0
    assert result.adjustment_coefficient is None
    assert result.mean_claims_per_path == 0.0
    assert calls == [(1_000, 1_000)]


@pytest.mark.parametrize(
    "claims",
    [ClaimSizes.empirical([10.0]), ClaimSizes.lognormal(math.log(10.0), 0.0)],
    ids=["one amount", "lognormal with sigma 0"],
)
def test_a_fixed_claim_size_ruins_without_premium_iff_a_claim_comes(claims):
    # Given claims of exactly 10 against capital 5 and no premium: ruin
    # iff at least one claim comes before T, P = 1 - exp(-lambda T)
    result = classical_ruin(
        initial=5.0,
        claim_rate=0.1,
        claims=claims,
        premium_rate=0.0,
        horizon=10.0,
        paths=10_000,
        rng=505,
    )

    # Then
    assert claims.mean == pytest.approx(10.0, rel=1e-12)
    assert result.theta == pytest.approx(-1.0, abs=1e-12)
    assert result.method == "plain"
    assert within(result, 1.0 - math.exp(-1.0))


def test_a_claim_exactly_the_capital_does_not_ruin():
    # Given claims of exactly the capital and no premium: the surplus
    # reaches 0, which is not below 0, until a second claim comes
    # (P = 1 - exp(-m) (1 + m), m = lambda T)
    result = classical_ruin(
        initial=10.0,
        claim_rate=0.2,
        claims=ClaimSizes.empirical([10.0]),
        premium_rate=0.0,
        horizon=10.0,
        paths=10_000,
        rng=606,
    )

    # Then
    assert within(result, 1.0 - math.exp(-2.0) * 3.0)


def test_ruin_is_unchanged_when_capital_and_lognormal_claims_are_scaled_together():
    # Given lognormal claims and a loading, over a short horizon
    lognormal = ClaimSizes.lognormal(1.0, 0.8)
    common: dict[str, Any] = {
        "claim_rate": 3.0,
        "theta": 0.2,
        "horizon": 5.0,
        "paths": 20_000,
        "rng": 7,
    }

    # When the capital and the claims are scaled by the same factor
    small = classical_ruin(initial=4.0, claims=lognormal, **common)
    large = classical_ruin(
        initial=40.0, claims=ClaimSizes.lognormal(1.0 + math.log(10.0), 0.8), **common
    )

    # Then the ruin probability is the same (ruin is scale-free), draw for
    # draw up to rounding of the sums
    assert small.premium_rate == pytest.approx(1.2 * 3.0 * lognormal.mean, rel=1e-12)
    assert 0.1 < small.ruin_probability < 0.9
    assert large.ruin_probability == pytest.approx(small.ruin_probability, abs=2 / 20_000)


# Reproducibility -----------------------------------------------------------


@pytest.mark.parametrize("method", ["plain", "tilted"])
def test_the_same_seed_gives_the_same_result(method):
    # Given one call repeated with a seed, a SeedSequence and a Generator
    def run(rng: Any) -> ClassicalResult:
        return classical_ruin(
            initial=6.0,
            claim_rate=1.5,
            claims=ClaimSizes.empirical([0.5, 1.0, 2.5]),
            theta=0.3,
            horizon=30.0,
            paths=3_000,
            rng=rng,
            chunk_size=1_000,
            method=method,
        )

    # Then every answer is identical
    first = run(11)
    assert run(11) == first
    assert run(np.random.SeedSequence(11)) == first
    assert run(np.random.default_rng(11)) == first
    assert run(12) != first


def test_a_seeded_generator_is_read_for_its_seed_and_not_advanced():
    generator = np.random.default_rng(21)
    common: dict[str, Any] = {
        "initial": 3.0,
        "claim_rate": 1.0,
        "claims": EXPONENTIAL,
        "theta": 0.2,
        "horizon": 20.0,
        "paths": 2_000,
    }

    first = classical_ruin(**common, rng=generator)
    again = classical_ruin(**common, rng=generator)

    # The same generator twice answers alike, as its seed does, and drew nothing
    assert first == again == classical_ruin(**common, rng=21)
    assert generator.random() == np.random.default_rng(21).random()


@pytest.mark.parametrize("method", ["plain", "tilted"])
def test_different_chunk_sizes_agree(method):
    # Given the same run in chunks of 700 and of 2**15 paths
    def run(chunk_size: int) -> ClassicalResult:
        return classical_ruin(
            initial=10.0,
            claim_rate=2.0,
            claims=EXPONENTIAL,
            theta=0.25,
            horizon=20.0,
            paths=10_000,
            rng=808,
            chunk_size=chunk_size,
            method=method,
        )

    small, large = run(700), run(2**15)

    # Then the draws differ but the estimates agree
    combined = math.hypot(small.standard_error, large.standard_error)
    assert small.ruin_probability != large.ruin_probability
    assert abs(small.ruin_probability - large.ruin_probability) <= 4 * combined


def test_it_reports_progress_after_each_chunk():
    calls = []

    classical_ruin(
        initial=1.0,
        claim_rate=1.0,
        claims=EXPONENTIAL,
        theta=0.2,
        horizon=2.0,
        paths=2_500,
        rng=1,
        chunk_size=1_000,
        progress=lambda done, total: calls.append((done, total)),
    )

    assert calls == [(1_000, 2_500), (2_000, 2_500), (2_500, 2_500)]


# Monotonicity (common random numbers) ----------------------------------------


CLAIMS = st.sampled_from(
    [
        ClaimSizes.exponential(1.0),
        ClaimSizes.empirical([0.3, 1.0, 1.7]),
        ClaimSizes.lognormal(-0.3, 0.9),
    ]
)


@settings(max_examples=40, deadline=None)
@given(
    claims=CLAIMS,
    claim_rate=st.floats(0.1, 5.0),
    horizon=st.floats(0.5, 150.0),  # up to 750 claims a path: several blocks
    initial=st.floats(0.0, 10.0),
    more_initial=st.floats(0.0, 5.0),
    premium_rate=st.floats(0.0, 5.0),
    more_premium=st.floats(0.0, 2.0),
    seed=st.integers(0, 2**32),
)
def test_ruin_never_rises_with_more_capital_or_premium(
    claims, claim_rate, horizon, initial, more_initial, premium_rate, more_premium, seed
):
    # Given the same seed and chunk size: every run meets the same claims
    def ruin(u: float, c: float) -> float:
        return classical_ruin(
            initial=u,
            claim_rate=claim_rate,
            claims=claims,
            premium_rate=c,
            horizon=horizon,
            paths=200,
            rng=seed,
            chunk_size=64,
            method="plain",
        ).ruin_probability

    base = ruin(initial, premium_rate)

    # Then ruin is pathwise monotone, so the estimate never rises
    assert ruin(initial + more_initial, premium_rate) <= base
    assert ruin(initial, premium_rate + more_premium) <= base
    assert ruin(initial + more_initial, premium_rate + more_premium) <= base


# Claim sizes and the Lundberg exponent -------------------------------------


def test_empirical_claims_are_drawn_uniformly_among_the_amounts():
    # Given three amounts, one of them twice
    claims = ClaimSizes.empirical([1.0, 2.0, 2.0, 5.0])

    # When
    drawn = claims.sample(np.random.default_rng(9), 40_000)

    # Then each amount comes up in its share, within 4 standard errors
    assert claims.mean == 2.5
    assert set(np.unique(drawn)) == {1.0, 2.0, 5.0}
    for amount, share in ((1.0, 0.25), (2.0, 0.5), (5.0, 0.25)):
        seen = float(np.mean(drawn == amount))
        assert abs(seen - share) <= 4 * math.sqrt(share * (1 - share) / drawn.size)


@pytest.mark.parametrize(
    "claims",
    [ClaimSizes.exponential(3.0), ClaimSizes.lognormal(0.5, 0.7)],
    ids=["exponential", "lognormal"],
)
def test_drawn_claims_have_the_distributions_mean(claims):
    drawn = claims.sample(np.random.default_rng(10), (200, 100))

    assert drawn.shape == (200, 100)
    assert drawn.dtype == np.float64
    assert abs(drawn.mean() - claims.mean) <= 4 * drawn.std() / math.sqrt(drawn.size)


def test_the_lundberg_exponent_solves_the_lundberg_equation():
    # Given empirical claims with a 30 % loading
    claims = ClaimSizes.empirical([0.5, 1.0, 4.0, 120.0])
    claim_rate, premium = 2.0, 1.3 * 2.0 * claims.mean

    # When
    exponent = lundberg_exponent(claims, claim_rate=claim_rate, premium_rate=premium)

    # Then lambda (M(R) - 1) = c R, with M(R) computed directly
    assert exponent is not None and exponent > 0
    mgf = float(np.mean(np.exp(exponent * np.array(claims.amounts))))
    assert claim_rate * (mgf - 1.0) == pytest.approx(premium * exponent, rel=1e-9)


def test_there_is_no_lundberg_exponent_without_a_loading_or_a_light_tail():
    assert lundberg_exponent(EXPONENTIAL, claim_rate=1.0, premium_rate=1.0) is None
    assert lundberg_exponent(EXPONENTIAL, claim_rate=0.0, premium_rate=1.0) is None
    assert (
        lundberg_exponent(ClaimSizes.lognormal(0.0, 1.0), claim_rate=1.0, premium_rate=3.0) is None
    )
    assert lundberg_exponent(EXPONENTIAL, claim_rate=2.0, premium_rate=2.5) == pytest.approx(
        0.2, rel=1e-12
    )


def test_the_largest_loading_tilts_without_dividing_by_zero():
    # Given theta = 10^6: 1 - mean R = 1 / (1 + theta) is all cancellation
    # (at theta = 10^17 it was 0), so the tilted mean is written mean (1 + theta)
    exponent = lundberg_exponent(EXPONENTIAL, claim_rate=1.0, premium_rate=1e6 + 1)
    assert exponent is not None
    tilt = classical_module._tilt(
        EXPONENTIAL,
        claim_rate=1.0,
        premium_rate=1e6 + 1,
        theta=1e6,
        lundberg=exponent,
        initial=0.5,
        horizon=10.0,
    )
    assert tilt.mean == 1e6 + 1

    # When such a run is tilted
    result = classical_ruin(
        initial=0.5,
        claim_rate=1.0,
        claims=EXPONENTIAL,
        theta=1e6,
        horizon=10.0,
        paths=200,
        rng=5,
        method="tilted",
    )

    # Then it answers (tilting is no help there: every ruin overshoots by about a
    # million, so its score underflows) and says how little a zero proves
    assert result.method == "tilted"
    assert result.ruin_probability <= result.upper_bound_95 <= 0.61
    assert result.standard_error > 0


# JSON -------------------------------------------------------------------------


def test_to_dict_is_json_ready():
    # Given a result with no claims and a premium rate: theta is infinite
    result = classical_ruin(
        initial=2.0,
        claim_rate=0.0,
        claims=ClaimSizes.empirical([3.0]),
        premium_rate=1.0,
        horizon=4.0,
        paths=50,
        rng=1,
    )

    # When
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))

    # Then
    assert result.theta == math.inf
    assert data == {
        "ruin_probability": 0.0,
        "standard_error": 0.0,
        "paths": 50,
        "horizon": 4.0,
        "initial": 2.0,
        "claim_rate": 0.0,
        "premium_rate": 1.0,
        "theta": None,
        "method": "plain",
        "adjustment_coefficient": None,
        "closed_form": None,
        "mean_claims_per_path": 0.0,
        "upper_bound_95": 0.0,
        "ruin_bound": 0.0,
        "tilt_exponent": None,
    }


# Refusals ---------------------------------------------------------------------

GOOD = {
    "initial": 1.0,
    "claim_rate": 1.0,
    "claims": EXPONENTIAL,
    "horizon": 10.0,
    "theta": 0.2,
    "paths": 10,
    "rng": 1,
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"initial": -1.0}, "initial must be at least 0; got -1."),
        ({"claim_rate": -0.5}, "claim_rate must be at least 0; got -0.5."),
        ({"claim_rate": math.nan}, "claim_rate must be a finite number; got nan."),
        ({"horizon": 0}, "horizon must be above 0; got 0."),
        ({"horizon": -2.0}, "horizon must be above 0; got -2."),
        ({"horizon": math.inf}, "horizon must be a finite number; got inf."),
        ({"theta": 0.0}, "theta must be above 0; got 0."),
        ({"theta": -0.1}, "theta must be above 0; got -0.1."),
        ({"premium_rate": 2.0}, "give exactly one of premium_rate and theta; got both."),
        ({"theta": None}, "give exactly one of premium_rate and theta; got neither."),
        ({"theta": None, "premium_rate": -1.0}, "premium_rate must be at least 0; got -1."),
        ({"paths": 0}, "paths must be at least 1; got 0."),
        ({"paths": 2.5}, "paths must be a whole number; got 2.5."),
        ({"chunk_size": 0}, "chunk_size must be at least 1; got 0."),
        ({"rng": -1}, "seed must be at least 0; got -1."),
        ({"method": "fast"}, "method must be 'auto', 'plain' or 'tilted'; got 'fast'."),
        (
            {"claims": 2.0},
            "claims must be a ClaimSizes (ClaimSizes.exponential, .lognormal "
            "or .empirical); got 2.0.",
        ),
        ({"progress": 3}, "progress must be a callable or None; got 3."),
        # Huge inputs: a ValueError naming them, never an overflow or a division by zero
        ({"theta": 1e17}, "theta must be at most 1000000; got 1e+17."),
        ({"theta": 1e300}, "theta must be at most 1000000; got 1e+300."),
        ({"theta": 10**400}, "theta must be a finite number; got a whole number of 401 digits."),
        ({"initial": 1e13}, "initial must be at most 1000000000000; got 10000000000000."),
        (
            {"theta": None, "premium_rate": 1e7},
            "premium_rate must give a theta of at most 1000000 (premiums at most a million "
            "times the expected claims); got theta = 1e+07.",
        ),
        (
            {
                "claim_rate": 1e-200,
                "claims": ClaimSizes.exponential(1e-200),
                "theta": None,
                "premium_rate": 1.0,
            },
            "claim_rate must be 0 or give claim_rate x mean claim of at least 1e-300; "
            "got 1e-200 x 1e-200.",
        ),
        (
            {"claim_rate": 1e-200, "claims": ClaimSizes.exponential(1e-200)},
            "claim_rate must be 0 or give claim_rate x mean claim of at least 1e-300; "
            "got 1e-200 x 1e-200.",
        ),
        (
            {"claims": ClaimSizes.lognormal(0.0, 1.0), "method": "tilted"},
            "method 'tilted' needs claim sizes with a moment generating function; lognormal "
            "claims have none (their tail is too heavy for exponential tilting): use method "
            "'plain' or 'auto'.",
        ),
        (
            {"theta": None, "premium_rate": 0.8, "method": "tilted"},
            "method 'tilted' needs a premium above the expected claims (theta > 0); "
            "premium_rate 0.8 gives theta = -0.2, so there is no Lundberg exponent to tilt "
            "by: use method 'plain' or 'auto'.",
        ),
    ],
)
def test_it_refuses_a_bad_call_naming_the_parameter(change, message):
    with pytest.raises(ValueError) as caught:
        classical_ruin(**{**GOOD, **change})
    assert str(caught.value) == message


NOT_A_LIST: Any = "12"


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: ClaimSizes.exponential(0.0), "mean must be above 0; got 0."),
        (lambda: ClaimSizes.exponential(-3), "mean must be above 0; got -3."),
        (lambda: ClaimSizes.lognormal(0.0, -1.0), "sigma must be at least 0; got -1."),
        (lambda: ClaimSizes.lognormal(math.inf, 1.0), "mu must be a finite number; got inf."),
        (
            lambda: ClaimSizes.lognormal(700.0, 5.0),
            "mu + sigma**2/2 must be at most 27.6310 (a mean claim of at most 1e12); got 712.5.",
        ),
        (
            lambda: ClaimSizes.lognormal(0.0, 30.0),
            "mu + sigma**2/2 must be at most 27.6310 (a mean claim of at most 1e12); got 450.0.",
        ),
        (
            lambda: ClaimSizes.empirical([1e308, 1e308]),
            "amounts[0] must be at most 1000000000000; got 1e+308.",
        ),
        (
            lambda: ClaimSizes.exponential(1e13),
            "mean must be at most 1000000000000; got 10000000000000.",
        ),
        (lambda: ClaimSizes.empirical([]), "amounts must hold at least one number."),
        (lambda: ClaimSizes.empirical([1.0, 0.0]), "amounts[1] must be above 0; got 0."),
        (lambda: ClaimSizes.empirical(NOT_A_LIST), "amounts must be a list of numbers; got '12'."),
        (
            lambda: ClaimSizes(kind="pareto", mean=1.0),
            "kind must be 'exponential', 'lognormal' or 'empirical'; got 'pareto'.",
        ),
        (
            lambda: ClaimSizes(kind="empirical", mean=3.0, amounts=(1.0, 2.0)),
            "mean must be the distribution's mean 1.5; got 3.0. Build the claims with "
            "ClaimSizes.empirical(amounts).",
        ),
    ],
)
def test_claim_sizes_refuse_bad_parameters(build, message):
    with pytest.raises(ValueError) as caught:
        build()
    assert str(caught.value) == message
