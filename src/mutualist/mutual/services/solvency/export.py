"""A report as JSON (``solvency_report_json``): the API's and
``mutualist simulate --fund --json``'s shape."""

from __future__ import annotations

import dataclasses
from typing import Any

from mutualist.core.money import Money
from mutualist.mutual.services.solvency.report import SolvencyReport


def _money_json(money: Money) -> dict[str, str]:
    return {"amount": str(money.amount), "currency": money.currency}


def solvency_report_json(report: SolvencyReport) -> dict[str, Any]:
    """The report as JSON: money as ``{"amount": "12.34", "currency": ...}``,
    percents and balances as decimal strings, probabilities as floats; the
    figures null when the fund is not modelled (the API's and the
    ``mutualist simulate --fund --json`` shape)."""
    advice = report.recommendation
    return {
        "kind": report.fund.kind,
        "collective": report.fund.collective.slug,
        "modelled": report.modelled,
        "reason": report.reason,
        "currency": report.currency,
        "first_month": report.first_month.isoformat(),
        "months": report.months,
        "paths": report.paths,
        "computed_at": report.computed_at.isoformat(),
        "start_balance": _money_json(report.start_balance),
        "risks": [dataclasses.asdict(risk) for risk in report.risks],
        "percentiles": list(report.percentiles),
        "balance_bands": [
            {"percentile": percentile, "balances": [str(value) for value in row]}
            for percentile, row in zip(report.percentiles, report.balance_bands, strict=True)
        ],
        "expected_shortfall": (_money_json(report.expected_shortfall) if report.modelled else None),
        "paid_share": report.paid_share if report.modelled else None,
        "recommendation": (
            None
            if advice is None
            else {
                "lever": advice.lever,
                "label": advice.label,
                "current": str(advice.current),
                "needed": None if advice.needed is None else str(advice.needed),
                "achievable": advice.achievable,
                "probability": advice.probability,
                "standard_error": advice.standard_error,
                "tiers": [
                    {"deposit": _money_json(deposit), "payout": _money_json(payout)}
                    for deposit, payout in advice.tiers
                ],
            }
        ),
        "assumptions": [dataclasses.asdict(row) for row in report.assumptions],
        "run_id": report.run_id,
    }
