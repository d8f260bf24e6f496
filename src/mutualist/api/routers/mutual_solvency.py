"""Will a fund hold? Its solvency report (``mutualist.mutual.services.solvency``):
the chance of a month not paid in full within one, three and five years, the
projected balance's percentiles month by month, and the deposit or levy that
keeps the five-year risk under 1 %, with every assumption and its source.

Only a collective's active members see its funds' reports; anyone else gets
404, as for a fund that does not exist. Savings and the income-gap fund are
not simulated: their report says why (``modelled`` false, ``reason``).

A report is an estimate, never money. The first request of the day with
given inputs computes it (a second or two at the default paths) and stores
it; later ones read it back, so the figures do not move between requests.
No request here holds a database transaction while it computes: a stored
run is one short insert, and two requests computing at once store one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema

from mutualist.api.auth import request_user
from mutualist.api.routers import responses
from mutualist.api.schemas.common import InputSchema, MoneyOut
from mutualist.collectives.selectors import collective_get_for_member
from mutualist.core.errors import NotFound
from mutualist.governance.models import Proposal
from mutualist.governance.selectors import proposal_get_for_user
from mutualist.mutual.models import Fund
from mutualist.mutual.rules import rules_clean
from mutualist.mutual.selectors import fund_get_for_user
from mutualist.mutual.services.funds import newest_rules
from mutualist.mutual.services.solvency import (
    SolvencyReport,
    solvency_compared,
    solvency_for_fund,
    solvency_for_rules,
    solvency_report_json,
)

router = Router(tags=["mutual: funds and claims"])


# --- Schemas ------------------------------------------------------------------------------


class HorizonRiskOut(Schema):
    months: int = Field(description="12, 36 or 60")
    probability: float = Field(
        description="Chance of at least one month, by then, in which the fund cannot pay "
        "everything it promised in full"
    )
    standard_error: float = Field(description="The estimate's Monte Carlo standard error")
    upper_bound: float | None = Field(
        default=None,
        description="When no simulated future ran short (probability 0): the chance is only "
        "known to be under this, 3 / paths (the rule of three, a 95 % upper bound); null "
        "otherwise",
    )


class BalanceBandOut(Schema):
    percentile: int = Field(description="5, 25, 50, 75 or 95")
    balances: list[str] = Field(
        description="End-of-month balance at that percentile, one decimal string a month"
    )


class TierAdviceOut(Schema):
    deposit: MoneyOut = Field(description="The tier's monthly deposit at the needed share")
    payout: MoneyOut = Field(description="The tier's monthly gift")


class RecommendationOut(Schema):
    lever: str = Field(description="deposit_rate (sick pay) or levy_percent (guarantee)")
    label: str
    current: str = Field(description="The rules' level now, in percent (a decimal string)")
    needed: str | None = Field(
        description="The lowest level, in percent, keeping the five-year risk under 1 %; "
        "null when no level up to the highest tried does"
    )
    achievable: bool
    probability: float = Field(description="The five-year risk at `needed` (or the highest tried)")
    standard_error: float
    tiers: list[TierAdviceOut] = Field(description="Sick pay: each tier at `needed`; else empty")


class AssumptionOut(Schema):
    label: str
    value: str
    source: str = Field(description="Where it came from: your history, a prior, the rules...")


class SolvencyOut(Schema):
    """A fund's solvency report. When ``modelled`` is false, ``reason`` says
    why and the figures are empty or null."""

    kind: str
    collective: str = Field(description="The collective's slug")
    modelled: bool
    reason: str
    currency: str
    first_month: dt.date = Field(description="The first simulated month (its 1st)")
    months: int
    paths: int = Field(description="Simulated paths (0 when not modelled)")
    computed_at: dt.datetime
    start_balance: MoneyOut
    risks: list[HorizonRiskOut]
    percentiles: list[int]
    balance_bands: list[BalanceBandOut]
    expected_shortfall: MoneyOut | None = Field(
        description="Mean total promised but not paid over the months"
    )
    paid_share: float | None = Field(description="Share of the promised payouts paid")
    recommendation: RecommendationOut | None
    assumptions: list[AssumptionOut]
    run_id: int | None = Field(description="The stored run; null for a draft's preview")

    @classmethod
    def build(cls, report: SolvencyReport) -> SolvencyOut:
        return cls.model_validate(solvency_report_json(report))


class SolvencyComparisonOut(Schema):
    now: SolvencyOut | None = Field(
        description="The fund under the rules in force (or voted in, from a later day); "
        "null for a fund being set up, whose members have voted no rules in yet: there is "
        "nothing to compare with"
    )
    proposed: SolvencyOut = Field(description="The fund under the proposed rules")

    @classmethod
    def build(cls, fund: Fund, proposed: SolvencyReport) -> SolvencyComparisonOut:
        """``now`` from the rules voted in; none for a fund being set up
        (``solvency_for_fund`` would project its first rules under vote,
        which are not "now")."""
        now = solvency_for_fund(fund=fund) if newest_rules(fund=fund) is not None else None
        return cls(
            now=None if now is None else SolvencyOut.build(now),
            proposed=SolvencyOut.build(proposed),
        )


class SolvencyPreviewIn(InputSchema):
    rules: dict[str, Any] = Field(
        description="Only what changes; the rest stays as in the newest version",
        examples=[{"tiers": [{"deposit": "40.00", "payout": "1000.00"}]}],
    )


# --- Operations ---------------------------------------------------------------------------


@router.get(
    "/collectives/{slug}/funds/{kind}/solvency",
    response=responses({200: SolvencyOut}),
    summary="Will the fund hold? Its risk of running short, projected balance and the "
    "contribution that keeps the risk under 1 % (members)",
)
def fund_solvency_read(request: HttpRequest, slug: str, kind: str) -> SolvencyOut:
    """Under the rules in force (for a fund still setting up, its first rules
    under vote), from what the fund holds and its own history."""
    fund = fund_get_for_user(user=request_user(request), slug=slug, kind=kind)
    return SolvencyOut.build(solvency_for_fund(fund=fund))


@router.post(
    "/collectives/{slug}/funds/{kind}/solvency/preview",
    response=responses({200: SolvencyComparisonOut}),
    summary="What other rules would do to a fund's risk, before proposing them (members)",
)
def fund_solvency_preview(
    request: HttpRequest, slug: str, kind: str, payload: SolvencyPreviewIn
) -> SolvencyComparisonOut:
    """``rules`` names only what changes, laid over the newest version (over
    the defaults for a fund with none yet), and checked as a proposal's
    would be (``422`` naming ``rules.<field>``). ``now`` is null for a fund
    being set up: no rules are voted in to compare with. Writes nothing for
    rules other than those the fund runs by."""
    fund = fund_get_for_user(user=request_user(request), slug=slug, kind=kind)
    newest = newest_rules(fund=fund)
    # As ``rule_change_validate`` lays a proposal's changes: over the newest
    # version, or over the defaults for a first version.
    rules = rules_clean(fund.kind, payload.rules, base=newest.rules if newest else None)
    return SolvencyComparisonOut.build(fund, solvency_for_rules(fund=fund, rules=rules))


@router.get(
    "/collectives/{slug}/proposals/{int:proposal_id}/solvency",
    response=responses({200: SolvencyComparisonOut}),
    summary="A fund rule change under vote: the fund's risk now and as proposed (members)",
)
def proposal_solvency_read(
    request: HttpRequest, slug: str, proposal_id: int
) -> SolvencyComparisonOut:
    """For an open ``fund_rule_change`` proposal: 404 ``not_a_rule_change``
    for a proposal of another kind, ``proposal_closed`` once the vote is
    over (the rules it carried are then in force, or never will be).
    ``now`` is null for a fund's first rules under vote: nothing is in
    force to compare them with."""
    user = request_user(request)
    collective, _ = collective_get_for_member(user=user, slug=slug)
    proposal = proposal_get_for_user(user=user, proposal_id=proposal_id)
    if proposal.collective_id != collective.pk:
        raise Http404("No such proposal.")
    if proposal.kind != Proposal.Kind.FUND_RULE_CHANGE:
        raise NotFound(
            f"Proposal #{proposal.pk} is not a fund rule change: only those have a "
            "solvency comparison.",
            code="not_a_rule_change",
        )
    if proposal.state != Proposal.State.OPEN:
        raise NotFound(
            f"Proposal #{proposal.pk} is {proposal.get_state_display().lower()}: the "
            "comparison is shown while the members vote.",
            code="proposal_closed",
        )
    compared = solvency_compared(proposal=proposal)
    if compared is None:
        raise NotFound(
            f"The fund proposal #{proposal.pk} is about no longer exists.", code="fund_not_found"
        )
    now, proposed = compared
    if newest_rules(fund=proposed.fund) is None:
        return SolvencyComparisonOut(now=None, proposed=SolvencyOut.build(proposed))
    return SolvencyComparisonOut(now=SolvencyOut.build(now), proposed=SolvencyOut.build(proposed))
