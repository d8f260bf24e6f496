"""Proposals, votes and proxies.

Percentages are decimal strings (``"50.00"``); ``closes_at`` comes in as ISO
8601 with an offset (``2026-12-01T18:00:00+08:00``; one without is refused,
``closes_at_naive``) and goes out in UTC. How the members voted (the counts,
the ballots) appears only where the proposal lets the caller see it: while
hidden, ``tally`` is null and ``results_hidden`` true, and only ``voted`` of
``eligible`` is shown.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema

from mutualist.api.schemas.common import CollectiveRefOut, InputSchema, PersonOut
from mutualist.governance.models import CHOICE_LABELS, CHOICES, Delegation, Proposal, Vote
from mutualist.governance.selectors import ID_MAX
from mutualist.governance.tally import Tally
from mutualist.members.models import User

# --- Output -----------------------------------------------------------------------


class ProposalRefOut(Schema):
    id: int
    title: str


class ChoiceOut(Schema):
    value: str = Field(examples=["yes"])
    label: str = Field(examples=["Yes"])


class DetailOut(Schema):
    label: str = Field(examples=["Treasury share"])
    value: str = Field(examples=["12.00 %"])


class TallyOut(Schema):
    """The count: as it stands while open (as if it closed now), as recorded once closed."""

    eligible: int = Field(description="Active members who may vote")
    voted: int = Field(description="Ballots: direct votes and votes through a proxy")
    direct: int
    by_proxy: int = Field(description="Absent members whose proxy's vote counts for them")
    quorum_needed: int = Field(description="The fewest ballots that make the quorum")
    quorum_met: bool
    for_votes: int = Field(description="yes and agree")
    against_votes: int = Field(description="no and disagree")
    counts: dict[str, int] = Field(
        description="Ballots per choice (choices nobody made are left out)",
        examples=[{"yes": 3, "no": 1}],
    )

    @classmethod
    def from_tally(cls, tally: Tally) -> TallyOut:
        return cls(
            eligible=tally.eligible,
            voted=tally.voted,
            direct=tally.direct,
            by_proxy=tally.by_proxy,
            quorum_needed=tally.quorum_needed,
            quorum_met=tally.quorum_met,
            for_votes=tally.for_votes,
            against_votes=tally.against_votes,
            counts=dict(sorted(tally.counts.items())),
        )


class ProposalSummaryOut(Schema):
    id: int
    collective: CollectiveRefOut
    kind: str = Field(description="admission, bylaws_change, general (and the funds' kinds)")
    title: str
    author: PersonOut
    method: str = Field(description="yes_no or consent")
    state: str = Field(description="open, closed or withdrawn")
    outcome: str | None = Field(description="passed, failed, blocked or no_quorum once closed")
    results_visibility: str = Field(description="always, after_vote or after_close")
    opened_at: dt.datetime
    closes_at: dt.datetime
    closed_at: dt.datetime | None
    tally: TallyOut | None = Field(
        description="The count recorded at closing; null while open (GET /proposals/{id} "
        "shows the count as it stands, where the proposal lets you see it)"
    )

    @classmethod
    def from_model(cls, proposal: Proposal) -> ProposalSummaryOut:
        return cls(**_summary_fields(proposal))


def _recorded_tally(proposal: Proposal) -> TallyOut | None:
    recorded = proposal.tally
    if proposal.state != Proposal.State.CLOSED or not recorded:
        return None
    return TallyOut.from_tally(
        Tally(
            eligible=recorded["eligible"],
            direct=recorded["direct"],
            by_proxy=recorded["by_proxy"],
            counts=dict(recorded["counts"]),
            quorum_needed=recorded["quorum_needed"],
            outcome=proposal.outcome,
        )
    )


def _summary_fields(proposal: Proposal) -> dict[str, Any]:
    return {
        "id": proposal.pk,
        "collective": CollectiveRefOut(
            slug=proposal.collective.slug, name=proposal.collective.name
        ),
        "kind": proposal.kind,
        "title": proposal.title,
        "author": PersonOut.from_user(proposal.author),
        "method": proposal.method,
        "state": proposal.state,
        "outcome": proposal.outcome or None,
        "results_visibility": proposal.results_visibility,
        "opened_at": proposal.opened_at,
        "closes_at": proposal.closes_at,
        "closed_at": proposal.closed_at,
        "tally": _recorded_tally(proposal),
    }


class VoteOut(Schema):
    """A ballot. While a proposal is open there are only direct votes; once
    closed, a ballot with ``proxy`` set is an absent member's, counted as
    their proxy voted."""

    member: PersonOut
    choice: str
    reason: str
    proxy: PersonOut | None = Field(description="Whose vote was counted for the member")
    cast_at: dt.datetime
    changed_at: dt.datetime | None = Field(description="When the member last changed it")

    @classmethod
    def from_model(cls, vote: Vote) -> VoteOut:
        return cls(
            member=PersonOut.from_user(vote.member),
            choice=vote.choice,
            reason=vote.reason,
            proxy=PersonOut.from_user(vote.proxy) if vote.proxy is not None else None,
            cast_at=vote.cast_at,
            changed_at=vote.changed_at,
        )


class MyProxyOut(Schema):
    id: int = Field(description="The proxy's id (POST /proxies/{id}/revoke)")
    delegate: PersonOut
    scope: Literal["proposal", "period"] = Field(
        description="Named for this proposal, or for a period covering its closing day"
    )


class ProposalOut(ProposalSummaryOut):
    """Everything on the proposal's page, as the caller may see it."""

    tally: TallyOut | None = Field(
        description="The count as it stands (as if it closed now) while open, as recorded "
        "once closed; null while the proposal hides it from you (results_hidden)"
    )
    body: str = Field(description="Markdown, as written")
    body_html: str = Field(description="The body rendered and sanitized (safe to show as is)")
    payload: dict[str, Any] = Field(
        description="What the kind's handler acts on, as checked when the proposal was made"
    )
    details: list[DetailOut] = Field(description="The payload in words, as the page shows it")
    choices: list[ChoiceOut] = Field(description="The ballot, in order")
    quorum_percent: str = Field(examples=["50.00"])
    threshold_percent: str = Field(examples=["50.00"])
    reasons_required: bool = Field(description="Every vote needs a reason (a block always does)")
    voting_open: bool = Field(description="Votes are taken now (open and before closes_at)")
    applied_at: dt.datetime | None
    applied_note: str = Field(description="What the outcome did, in one line")
    voted: int = Field(description="Ballots so far (proxies included), shown even while hidden")
    eligible: int
    results_hidden: bool = Field(description="True while you may not see counts or ballots")
    my_vote: VoteOut | None
    my_proxy: MyProxyOut | None = Field(
        description="Who votes for you on it while it is open, should you not vote yourself"
    )

    @classmethod
    def build(
        cls,
        proposal: Proposal,
        *,
        body_html: str,
        details: list[tuple[str, str]],
        tally: Tally,
        results_shown: bool,
        my_vote: Vote | None,
        my_proxy: Delegation | None,
        voting_open: bool,
    ) -> ProposalOut:
        fields = _summary_fields(proposal)
        fields["tally"] = TallyOut.from_tally(tally) if results_shown else None
        return cls(
            **fields,
            body=proposal.body,
            body_html=body_html,
            payload=proposal.payload,
            details=[DetailOut(label=label, value=value) for label, value in details],
            choices=[
                ChoiceOut(value=choice, label=CHOICE_LABELS[choice])
                for choice in CHOICES[Proposal.Method(proposal.method)]
            ],
            quorum_percent=str(proposal.quorum_percent),
            threshold_percent=str(proposal.threshold_percent),
            reasons_required=proposal.reasons_required,
            voting_open=voting_open,
            applied_at=proposal.applied_at,
            applied_note=proposal.applied_note,
            voted=tally.voted,
            eligible=tally.eligible,
            results_hidden=not results_shown,
            my_vote=VoteOut.from_model(my_vote) if my_vote is not None else None,
            my_proxy=(
                MyProxyOut(
                    id=my_proxy.pk,
                    delegate=PersonOut.from_user(my_proxy.delegate),
                    scope="proposal" if my_proxy.proposal_id is not None else "period",
                )
                if my_proxy is not None
                else None
            ),
        )


class DelegationOut(Schema):
    """A proxy: the delegate's vote stands for the delegator's when they do not vote."""

    id: int
    collective: CollectiveRefOut
    direction: Literal["given", "received"] = Field(
        description="given: you named the proxy; received: someone named you"
    )
    delegator: PersonOut
    delegate: PersonOut
    proposal: ProposalRefOut | None = Field(description="For this proposal only")
    starts_on: dt.date | None = Field(description="For a period (null for one proposal)")
    ends_on: dt.date | None = Field(description="Last day of the period; null: until revoked")
    created_at: dt.datetime
    active: bool
    revoked_at: dt.datetime | None
    revoked_because: str

    @classmethod
    def build(cls, delegation: Delegation, *, viewer: User) -> DelegationOut:
        return cls(
            id=delegation.pk,
            collective=CollectiveRefOut(
                slug=delegation.collective.slug, name=delegation.collective.name
            ),
            direction="given" if delegation.delegator_id == viewer.pk else "received",
            delegator=PersonOut.from_user(delegation.delegator),
            delegate=PersonOut.from_user(delegation.delegate),
            proposal=(
                ProposalRefOut(id=delegation.proposal.pk, title=delegation.proposal.title)
                if delegation.proposal is not None
                else None
            ),
            starts_on=delegation.starts_on,
            ends_on=delegation.ends_on,
            created_at=delegation.created_at,
            active=delegation.is_active,
            revoked_at=delegation.revoked_at,
            revoked_because=delegation.revoked_because,
        )


# --- Input ------------------------------------------------------------------------


class ProposalFiltersIn(Schema):
    """Query parameters of GET /collectives/{slug}/proposals."""

    state: Literal["open", "closed"] | None = Field(
        None,
        description="open (soonest closing first) or closed (withdrawn included, latest "
        "first); all, newest first, when left out",
    )


class ProposalIn(InputSchema):
    kind: str = Field(description="general, bylaws_change or admission", examples=["general"])
    title: str = Field(description="At most 200 characters")
    body: str = Field("", description="Markdown, at most 20,000 characters")
    payload: dict[str, Any] = Field(
        default_factory=dict,
        description="What the kind acts on: {} for general; for bylaws_change "
        '{"effective_from": "2026-12-01", "shares": {"treasury": "12.00"}, '
        '"admission_rule": "vote", "member_share_basis": "bill", "notes": "..."} '
        "(only effective_from is required; the rest defaults to the version in force); "
        'for admission {"membership_id": 42}',
    )
    method: str = Field("yes_no", description="yes_no or consent")
    quorum_percent: str = Field(
        "50", description="A decimal string, 0 to 100: share of the eligible members"
    )
    threshold_percent: str = Field(
        "50",
        description="A decimal string, 50 to 100: share of the for and against votes that "
        "must be for (always more than half)",
    )
    closes_at: dt.datetime = Field(
        description="ISO 8601 with an offset; in the future and within a year",
        examples=["2026-12-01T18:00:00+08:00"],
    )
    results_visibility: str = Field("always", description="always, after_vote or after_close")
    reasons_required: bool = False


class VoteIn(InputSchema):
    choice: str = Field(
        description="yes or no; consent: agree, abstain, disagree or block", examples=["yes"]
    )
    reason: str = Field("", description="At most 2,000 characters; a block needs one")


class DelegationIn(InputSchema):
    delegate: str = Field(description="The handle of an active member of the collective")
    proposal_id: int | None = Field(
        None, ge=1, le=ID_MAX, description="For one open proposal; leave out for a period"
    )
    starts_on: dt.date | None = Field(None, description="A period's first day (default today)")
    ends_on: dt.date | None = Field(None, description="A period's last day (default: open-ended)")
