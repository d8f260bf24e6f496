"""The proposal kinds the funds decide by vote (see ``governance.kinds``):

- ``fund_rule_change``: a fund's next rules; passing writes them
  (``services.funds.fund_rules_enact``), the only way rules change; while
  the vote is open, its page shows what they would do to the fund's risk
  (``_rules_panel``);
- ``claim_approval``: a claim on a fund whose rules say the members vote;
- ``write_off``: giving up on an invoice the guarantee fund paid for
  (``services.guarantee``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from django.urls import reverse

from mutualist.core.errors import Conflict, PermissionDenied, ValidationFailed
from mutualist.core.money import Money
from mutualist.governance.kinds import KindHandler, ProposalDraft, register
from mutualist.governance.models import Proposal
from mutualist.members.models import User
from mutualist.mutual.models import Claim, Fund, FundRules
from mutualist.mutual.services.claims import claim_decided_by_vote
from mutualist.mutual.services.funds import (
    KIND_NAMES,
    fund_name,
    fund_rules_enact,
    newest_rules,
    rule_change_validate,
    rule_changes_described,
)
from mutualist.mutual.services.guarantee import (
    write_off_apply,
    write_off_describe,
    write_off_validate,
)

# --- Fund rule change --------------------------------------------------------------------


def _rules_validate(draft: ProposalDraft) -> dict[str, Any]:
    return rule_change_validate(
        collective=draft.collective, payload=draft.payload, closes_at=draft.closes_at
    )


def _rules_passed(proposal: Proposal) -> str:
    enacted = fund_rules_enact(proposal=proposal)
    day = enacted.effective_from
    return (
        f"Version {enacted.version} of the {fund_name(enacted.fund.kind)}'s rules is in force "
        f"from {day.day} {day:%B %Y}."
    )


def _rules_describe(proposal: Proposal) -> list[tuple[str, str]]:
    payload = proposal.payload
    kind = payload.get("fund", "")
    if kind not in Fund.Kind.values or not isinstance(payload.get("rules"), dict):
        return []
    fund = Fund.objects.filter(collective_id=proposal.collective_id, kind=kind).first()
    base: FundRules | None = None
    if fund is not None:
        base = (
            FundRules.objects.filter(fund=fund)
            .exclude(proposal=proposal)
            .filter(created_at__lte=proposal.opened_at)
            .order_by("-version")
            .first()
            if proposal.state != Proposal.State.OPEN
            else newest_rules(fund=fund)
        )
    try:
        effective = dt.date.fromisoformat(str(payload.get("effective_from", "")))
        shown = f"{effective.day} {effective:%B %Y}"
    except ValueError:
        shown = str(payload.get("effective_from", ""))
    rows = [("Fund", KIND_NAMES[kind]), ("In force from", shown)]
    # A payload stored under an older version of the rules shows what it can.
    with contextlib.suppress(KeyError, TypeError):
        rows += rule_changes_described(
            kind=kind, rules=payload["rules"], base=base.rules if base else None
        )
    return rows


# The kinds of fund the solvency simulator models (``services.solvency``).
SIMULATED = frozenset({Fund.Kind.SICK_PAY.value, Fund.Kind.GUARANTEE.value})


def _rules_panel(proposal: Proposal) -> tuple[str, dict[str, Any]] | None:
    """While the vote is open on new rules for a fund the simulator models:
    the panel comparing the fund's risk now and as proposed. It only names
    the URL; the page loads the comparison from it with htmx, so showing
    the proposal never waits for a simulation. A closed proposal has none:
    its rules are in force or never will be."""
    if proposal.state != Proposal.State.OPEN or proposal.payload.get("fund") not in SIMULATED:
        return None
    url = reverse(
        "mutual:proposal_solvency",
        kwargs={"slug": proposal.collective.slug, "proposal_id": proposal.pk},
    )
    return "mutual/_solvency_panel.html", {"url": url}


FUND_RULE_CHANGE = KindHandler(
    kind=Proposal.Kind.FUND_RULE_CHANGE,
    validate=_rules_validate,
    on_passed=_rules_passed,
    describe=_rules_describe,
    panel=_rules_panel,
)


# --- Claim approval ----------------------------------------------------------------------


def _claim_of(payload: dict[str, Any], collective_id: int) -> Claim:
    raw = payload.get("claim_id")
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 < raw < 2**63:
        raise ValidationFailed("Name the claim to decide.", code="claim_required", field="claim_id")
    claim = Claim.objects.filter(pk=raw, collective_id=collective_id).select_related("fund").first()
    if claim is None:
        raise ValidationFailed(
            "There is no such claim in this collective.", code="claim_not_found", field="claim_id"
        )
    return claim


def _claim_validate(draft: ProposalDraft) -> dict[str, Any]:
    claim = _claim_of(draft.payload, draft.collective.pk)
    if claim.approval != Claim.Approval.VOTE or claim.proposal_id is not None:
        raise Conflict(
            "This claim is not decided by a vote, or its vote is already open.",
            code="not_decided_by_vote",
            field="claim_id",
        )
    if claim.state != Claim.State.SUBMITTED:
        raise Conflict("This claim is no longer waiting for a decision.", code="claim_not_open")
    return {"claim_id": claim.pk}


def _claim_passed(proposal: Proposal) -> str:
    return claim_decided_by_vote(claim_id=int(proposal.payload["claim_id"]), passed=True)


def _claim_rejected(proposal: Proposal) -> str:
    return claim_decided_by_vote(claim_id=int(proposal.payload["claim_id"]), passed=False)


def _claim_check_open(proposal: Proposal) -> None:
    claim = Claim.objects.filter(pk=proposal.payload.get("claim_id")).first()
    if claim is None or claim.state != Claim.State.SUBMITTED:
        raise Conflict("This claim is no longer waiting for a decision.", code="claim_not_open")


def _claim_may_vote(proposal: Proposal, voter: User) -> None:
    claim = Claim.objects.filter(pk=proposal.payload.get("claim_id")).first()
    if claim is not None and claim.claimant_id == voter.pk:
        raise PermissionDenied(
            "You cannot vote on your own claim; the other members decide it.", code="own_claim"
        )


def _claim_describe(proposal: Proposal) -> list[tuple[str, str]]:
    claim = (
        Claim.objects.filter(pk=proposal.payload.get("claim_id"))
        .select_related("fund", "claimant")
        .first()
    )
    if claim is None:
        return []
    rows = [
        ("Fund", KIND_NAMES[claim.fund.kind]),
        ("Claim", f"#{claim.pk}, {claim.get_state_display().lower()}"),
    ]
    if claim.disclosure != Claim.Disclosure.ANONYMOUS:
        rows.append(("Member", claim.claimant.display_name))
    if claim.amount_minor is not None:
        rows.append(("Amount", str(Money.from_minor(claim.amount_minor, claim.currency))))
    if claim.starts_on is not None:
        rows.append(("Sick from", claim.starts_on.isoformat()))
        rows.append(("Sick", f"{claim.percent} %"))
    if claim.period is not None:
        rows.append(("Month", f"{claim.period:%B %Y}"))
    if claim.disclosure == Claim.Disclosure.EVERYTHING and claim.reason:
        rows.append(("Reason", claim.reason))
    return rows


def _claimant(proposal: Proposal) -> list[int]:
    return list(
        Claim.objects.filter(pk=proposal.payload.get("claim_id")).values_list(
            "claimant_id", flat=True
        )
    )


CLAIM_APPROVAL = KindHandler(
    kind=Proposal.Kind.CLAIM_APPROVAL,
    validate=_claim_validate,
    on_passed=_claim_passed,
    on_rejected=_claim_rejected,
    describe=_claim_describe,
    check_open=_claim_check_open,
    may_vote=_claim_may_vote,
    also_told=_claimant,
    # Opened by the claim itself, never by hand.
    members_may_propose=False,
)


def register_all() -> None:
    register(FUND_RULE_CHANGE)
    register(CLAIM_APPROVAL)
    register(
        KindHandler(
            kind=Proposal.Kind.WRITE_OFF,
            validate=write_off_validate,
            on_passed=write_off_apply,
            describe=write_off_describe,
        )
    )
