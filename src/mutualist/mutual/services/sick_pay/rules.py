"""Which sick-pay rules apply on a day, and the checks every sick-pay
service makes first: the fund is the sick-pay fund, it is active, the
tier exists."""

from __future__ import annotations

import datetime as dt

from mutualist.core.errors import Conflict, ValidationFailed
from mutualist.mutual.models import Fund, FundRules
from mutualist.mutual.rules import SickPayRules, rules_for
from mutualist.mutual.services.funds import newest_rules, rules_in_force

# --- Rules and amounts ---------------------------------------------------------------------


def _require_sick_pay(fund: Fund) -> None:
    if fund.kind != Fund.Kind.SICK_PAY:
        raise ValidationFailed(
            "That is not the sick-pay fund.", code="not_sick_pay_fund", field="fund"
        )


def _require_active(fund: Fund) -> None:
    if fund.state != Fund.State.ACTIVE:
        raise Conflict(
            "The sick-pay fund takes no members or claims until its members vote its rules in.",
            code="fund_not_active",
        )


def _typed(version: FundRules) -> SickPayRules:
    rules = rules_for(Fund.Kind.SICK_PAY, version.rules)
    if not isinstance(rules, SickPayRules):  # pragma: no cover - rules_for's contract
        raise TypeError("sick-pay rules expected")
    return rules


def _rules_on(fund: Fund, day: dt.date) -> SickPayRules | None:
    """The rules in force on ``day``; before the first version takes effect
    (the day a vote passed, effective the next), the newest version."""
    version = rules_in_force(fund=fund, on=day) or newest_rules(fund=fund)
    return None if version is None else _typed(version)


def _rules_on_or_refuse(fund: Fund, day: dt.date) -> SickPayRules:
    rules = _rules_on(fund, day)
    if rules is None:
        raise Conflict(
            "The sick-pay fund has no rules yet: its members have not voted them in.",
            code="no_rules",
        )
    return rules


def _validate_tier(rules: SickPayRules, tier: int) -> int:
    if isinstance(tier, bool) or not isinstance(tier, int) or not 0 <= tier < len(rules.tiers):
        raise ValidationFailed(
            f"Choose a tier from 1 to {len(rules.tiers)}.", code="invalid_tier", field="tier"
        )
    return tier
