"""The fund solvency simulator: will a mutual fund pay what it promises?

Pure NumPy (SciPy for a few roots, the Lundberg exponent and the tilt,
and the Clopper-Pearson bound); never imports Django. Every simulation is Monte Carlo over chunks of paths, each chunk
with its own random stream spawned from the run's seed, so the same seed
gives the same answer and memory stays flat however many paths are asked
for.

Public::

    classical_ruin(*, initial, claim_rate, claims, horizon, theta=... | premium_rate=...,
                   paths=..., rng=..., method="auto") -> ClassicalResult
        # the compound-Poisson (Cramér-Lundberg) model, finite horizon; exponential
        # tilting for rare ruin; ClaimSizes.exponential / .lognormal / .empirical
    simulate_fund(SickPayModel(...) | GuaranteeModel(...), *, months, paths, rng) -> FundResult
        # the monthly model of a collective's sick-pay or guarantee fund
    recommend_contribution(model, *, target=0.01, months, paths, rng) -> Recommendation
        # the lowest deposit rate or levy that keeps the risk under the target
    calibrate_sick_pay(SickPayHistory(...)) / calibrate_guarantee(GuaranteeHistory(...))
        # the model's rates from a fund's own history, shrunk toward priors
    parse_fund_config(data) -> FundConfig  # a fund config file (ConfigError names the field)

``docs/solvency.md`` is the reference: the models, their month, the command
line (``mutualist simulate``) and how the fund pages use it.
"""

from __future__ import annotations

from mutualist.engines.solvency.calibrate import (
    Estimate,
    GuaranteeCalibration,
    GuaranteeHistory,
    SickPayCalibration,
    SickPayHistory,
    calibrate_guarantee,
    calibrate_sick_pay,
)
from mutualist.engines.solvency.classical import (
    ClaimSizes,
    ClassicalResult,
    classical_ruin,
    exponential_ruin,
    lundberg_exponent,
)
from mutualist.engines.solvency.config import (
    ConfigError,
    FundConfig,
    fund_config_dict,
    parse_fund_config,
)
from mutualist.engines.solvency.fund import (
    Durations,
    FundModel,
    FundResult,
    GuaranteeModel,
    SickPayModel,
    simulate_fund,
)
from mutualist.engines.solvency.recommend import Recommendation, recommend_contribution

__all__ = [
    "ClaimSizes",
    "ClassicalResult",
    "ConfigError",
    "Durations",
    "Estimate",
    "FundConfig",
    "FundModel",
    "FundResult",
    "GuaranteeCalibration",
    "GuaranteeHistory",
    "GuaranteeModel",
    "Recommendation",
    "SickPayCalibration",
    "SickPayHistory",
    "SickPayModel",
    "calibrate_guarantee",
    "calibrate_sick_pay",
    "classical_ruin",
    "exponential_ruin",
    "fund_config_dict",
    "lundberg_exponent",
    "parse_fund_config",
    "recommend_contribution",
    "simulate_fund",
]
