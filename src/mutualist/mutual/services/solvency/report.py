"""What a solvency report says: its figures (``SolvencyReport``, a risk per
horizon, the recommendation, the assumptions), the results a run stores
(``_results``: the engine's answer, JSON-ready, amounts rounded once to
the currency's minor unit), and a report read back from them
(``_report_from``), or one that says why the fund is not modelled
(``_unmodelled``). No queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Decimal
from typing import Any

from django.utils import timezone

from mutualist.core.money import Money
from mutualist.core.reference import currency_exponent
from mutualist.engines.solvency.fund import FundModel, FundResult, SickPayModel
from mutualist.engines.solvency.recommend import Recommendation
from mutualist.mutual.models import Fund

HORIZONS = (12, 36, 60)  # months: one, three and five years
TARGET = Decimal("0.01")  # the risk the recommendation keeps under
MONTHS = 60
LEVERS = {
    "deposit_rate": "Deposit, as a share of the gift",
    "levy_percent": "Levy on paid invoices",
}


# --- The report -----------------------------------------------------------------------------


@dataclass(frozen=True)
class HorizonRisk:
    months: int  # 12, 36 or 60
    probability: float  # chance of at least one month not paid in full by then
    standard_error: float
    # When no simulated future ran short (probability 0): the chance is only
    # known to be under this (3 / paths, the rule of three); None otherwise.
    upper_bound: float | None = None


@dataclass(frozen=True)
class Assumption:
    label: str  # "Chance a member falls sick in a month"
    value: str  # "1.2 %"
    source: str  # "your history (412 member-months)", "a prior (no history yet)", "the rules"...


@dataclass(frozen=True)
class RecommendationView:
    lever: str  # "deposit_rate" | "levy_percent"
    label: str  # "Deposit, as a share of the gift" | "Levy on paid invoices"
    current: Decimal  # percent, e.g. Decimal("4.50")
    needed: Decimal | None  # percent keeping the 5-year risk under TARGET; None if unreachable
    achievable: bool
    probability: float  # 5-year risk at `needed` (at the upper bound when not achievable)
    standard_error: float
    # Sick pay: (deposit at `needed`, gift) per tier; () otherwise.
    tiers: tuple[tuple[Money, Money], ...]


@dataclass(frozen=True)
class SolvencyReport:
    fund: Fund
    modelled: bool  # False: savings, income gap, or nothing to simulate yet
    reason: str  # why not modelled ("" when modelled)
    currency: str
    first_month: dt.date  # the first simulated month (1st of next month)
    months: int
    paths: int
    computed_at: dt.datetime
    start_balance: Money
    risks: tuple[HorizonRisk, ...]  # one per HORIZONS
    percentiles: tuple[int, ...]  # (5, 25, 50, 75, 95)
    balance_bands: tuple[tuple[Decimal, ...], ...]  # a row per percentile, a value per month
    expected_shortfall: Money  # mean total promised but not paid over the months
    paid_share: float  # share of promised payouts paid
    recommendation: RecommendationView | None
    assumptions: tuple[Assumption, ...]
    run_id: int | None  # the stored SolvencyRun; None when not stored
    # What the simulated futures were drawn from (the seed, the paths, and
    # the model's fields that shape the draws, not those applied to them):
    # two reports with the same ``futures`` met the very same futures, so
    # any difference between them is their rules' doing. "" when not modelled.
    futures: str = ""


# --- Amounts --------------------------------------------------------------------------------


def _step(currency: str) -> Decimal:
    return Decimal(1).scaleb(-currency_exponent(currency))


def _decimal(value: float, currency: str) -> Decimal:
    """A float amount from the engine, rounded once to the currency's minor unit."""
    return Decimal(repr(float(value))).quantize(_step(currency), rounding=ROUND_HALF_EVEN)


def _money(value: float, currency: str) -> Money:
    return Money(_decimal(value, currency), currency)


# --- The results a run stores ---------------------------------------------------------------


def _lever_percent(value: float) -> Decimal:
    return Decimal(repr(float(value)))


def _recommendation_results(
    model: FundModel, recommendation: Recommendation, currency: str
) -> dict[str, Any]:
    """The recommendation, JSON-ready: percents as decimal strings, the
    needed one rounded up to 0.01 (a level at or above the engine's)."""
    scale = Decimal(100) if recommendation.lever == "deposit_rate" else Decimal(1)
    current = (_lever_percent(recommendation.current) * scale).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_EVEN
    )
    needed = (
        (_lever_percent(recommendation.value) * scale).quantize(
            Decimal("0.01"), rounding=ROUND_CEILING
        )
        if recommendation.value is not None and recommendation.achievable
        else None
    )
    tiers: list[list[str]] = []
    if isinstance(model, SickPayModel) and needed is not None:
        step = _step(currency)
        for payout in model.tier_payouts:
            gift = _decimal(payout, currency)
            deposit = (gift * needed / 100).quantize(step, rounding=ROUND_CEILING)
            tiers.append([str(deposit), str(gift)])
    return {
        "lever": recommendation.lever,
        "current": str(current),
        "needed": None if needed is None else str(needed),
        "achievable": bool(recommendation.achievable and needed is not None),
        "probability": float(recommendation.shortfall_probability),
        "standard_error": float(recommendation.standard_error),
        "tiers": tiers,
    }


def _results(
    model: FundModel,
    result: FundResult,
    recommendation: Recommendation,
    currency: str,
    start: Money,
) -> dict[str, Any]:
    risks = []
    for months in HORIZONS:
        probability, error = result.probability_within(months)
        risks.append(
            {"months": months, "probability": float(probability), "standard_error": float(error)}
        )
    return {
        "start_balance": str(start.amount),
        "risks": risks,
        "percentiles": [int(p) for p in result.percentiles],
        "balance_bands": [
            [str(_decimal(value, currency)) for value in row]
            for row in result.balance_percentiles.tolist()
        ],
        "expected_shortfall": str(_decimal(result.expected_shortfall, currency)),
        "paid_share": float(result.paid_share),
        "recommendation": _recommendation_results(model, recommendation, currency),
    }


# --- A report from the results --------------------------------------------------------------


def _upper_bound(probability: float, paths: int) -> float | None:
    """The rule of three: when none of ``paths`` simulated futures ran
    short, the chance is still only known to be under about ``3 / paths``
    (a 95 % upper bound); None when some did."""
    return 3 / paths if probability <= 0 and paths > 0 else None


def _report_from(
    fund: Fund,
    *,
    first_month: dt.date,
    paths: int,
    computed_at: dt.datetime,
    results: Mapping[str, Any],
    assumptions: Sequence[Sequence[str]],
    run_id: int | None,
    futures: str,
) -> SolvencyReport:
    currency = fund.currency
    advice = results["recommendation"]
    recommendation = None
    if advice is not None:
        recommendation = RecommendationView(
            lever=advice["lever"],
            label=LEVERS[advice["lever"]],
            current=Decimal(advice["current"]),
            needed=None if advice["needed"] is None else Decimal(advice["needed"]),
            achievable=bool(advice["achievable"]),
            probability=float(advice["probability"]),
            standard_error=float(advice["standard_error"]),
            tiers=tuple(
                (Money(deposit, currency), Money(gift, currency))
                for deposit, gift in advice["tiers"]
            ),
        )
    return SolvencyReport(
        fund=fund,
        modelled=True,
        reason="",
        currency=currency,
        first_month=first_month,
        months=MONTHS,
        paths=paths,
        computed_at=computed_at,
        start_balance=Money(results["start_balance"], currency),
        risks=tuple(
            HorizonRisk(
                months=int(risk["months"]),
                probability=float(risk["probability"]),
                standard_error=float(risk["standard_error"]),
                upper_bound=_upper_bound(float(risk["probability"]), paths),
            )
            for risk in results["risks"]
        ),
        percentiles=tuple(int(p) for p in results["percentiles"]),
        balance_bands=tuple(
            tuple(Decimal(value) for value in row) for row in results["balance_bands"]
        ),
        expected_shortfall=Money(results["expected_shortfall"], currency),
        paid_share=float(results["paid_share"]),
        recommendation=recommendation,
        assumptions=tuple(Assumption(*row) for row in assumptions),
        run_id=run_id,
        futures=futures,
    )


def _unmodelled(
    fund: Fund,
    *,
    reason: str,
    first_month: dt.date,
    start_balance: Money,
    assumptions: tuple[Assumption, ...] = (),
) -> SolvencyReport:
    return SolvencyReport(
        fund=fund,
        modelled=False,
        reason=reason,
        currency=fund.currency,
        first_month=first_month,
        months=MONTHS,
        paths=0,
        computed_at=timezone.now(),
        start_balance=start_balance,
        risks=(),
        percentiles=(),
        balance_bands=(),
        expected_shortfall=Money.zero(fund.currency),
        paid_share=0.0,
        recommendation=None,
        assumptions=assumptions,
        run_id=None,
    )
