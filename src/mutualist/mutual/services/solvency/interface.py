"""What the pages, the API and the command ask for: a fund's report
(``solvency_for_fund``), the same fund under other rules
(``solvency_for_rules``), and a rule-change proposal's two reports, as the
fund runs now and as proposed (``solvency_compared``,
``solvency_for_proposal``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.utils import timezone

from mutualist.governance.models import Proposal
from mutualist.mutual.models import Fund
from mutualist.mutual.services.solvency.model import rules_now
from mutualist.mutual.services.solvency.report import SolvencyReport
from mutualist.mutual.services.solvency.run import _report


def solvency_for_fund(
    *,
    fund: Fund,
    today: dt.date | None = None,
    paths: int | None = None,
    seed: int | None = None,
) -> SolvencyReport:
    """The fund's report under the rules it runs by (``rules_now``: in force,
    or for a fund still setting up its first rules under vote), what it
    holds, and its history. Stored and reused: a run with the same inputs
    computed today is read back, so the figures do not jump between page
    loads. ``paths`` (default ``MUTUAL_SOLVENCY_PATHS``) and ``seed``
    (default: the fund's and the day's, ``seed_of``; a report with a seed
    given is never stored) are the operator's command's."""
    today = today or timezone.localdate()
    return _report(
        fund=fund,
        rules=rules_now(fund=fund, today=today),
        today=today,
        proposal=None,
        store=True,
        paths=paths,
        seed=seed,
    )


def solvency_for_rules(
    *,
    fund: Fund,
    rules: Mapping[str, Any],
    today: dt.date | None = None,
    proposal: Proposal | None = None,
) -> SolvencyReport:
    """The same fund under other ``rules`` (whole and cleaned by
    ``mutual.rules.rules_clean``): a proposal's, or a draft's. Stored like
    ``solvency_for_fund`` when ``proposal`` is given or the rules are those
    the fund runs by; a draft's report is computed and never stored."""
    today = today or timezone.localdate()
    store = proposal is not None or dict(rules) == rules_now(fund=fund, today=today)
    return _report(fund=fund, rules=rules, today=today, proposal=proposal, store=store)


def _proposal_fund(proposal: Proposal) -> Fund | None:
    kind = proposal.payload.get("fund") if isinstance(proposal.payload, dict) else None
    if not isinstance(kind, str):
        return None
    return (
        Fund.objects.filter(collective_id=proposal.collective_id, kind=kind)
        .select_related("collective")
        .first()
    )


def solvency_compared(
    *, proposal: Proposal, today: dt.date | None = None
) -> tuple[SolvencyReport, SolvencyReport] | None:
    """(as the fund runs now, as proposed) for a ``fund_rule_change``
    proposal, open or not, whatever the kind of fund (an unmodelled one's
    reports say why); None when the proposal is of another kind or its fund
    is gone."""
    if proposal.kind != Proposal.Kind.FUND_RULE_CHANGE:
        return None
    fund = _proposal_fund(proposal)
    rules = proposal.payload.get("rules")
    if fund is None or not isinstance(rules, dict):
        return None
    today = today or timezone.localdate()
    now = solvency_for_fund(fund=fund, today=today)
    proposed = solvency_for_rules(fund=fund, rules=rules, today=today, proposal=proposal)
    return now, proposed


def solvency_for_proposal(
    *, proposal: Proposal, today: dt.date | None = None
) -> tuple[SolvencyReport, SolvencyReport] | None:
    """(in force now, as proposed) for an OPEN ``fund_rule_change`` proposal
    whose fund is modelled; None otherwise."""
    if proposal.state != Proposal.State.OPEN:
        return None
    compared = solvency_compared(proposal=proposal, today=today)
    if compared is None or not compared[1].modelled:
        return None
    return compared
