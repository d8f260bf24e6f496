"""Making and withdrawing proposals."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from mutualist.collectives.models import Collective, Membership
from mutualist.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from mutualist.governance import emails
from mutualist.governance.kinds import ProposalDraft, available_kinds, handler_for
from mutualist.governance.markdown import BODY_MAX
from mutualist.governance.models import Proposal
from mutualist.governance.selectors import ballots, eligible_members
from mutualist.governance.tally import count
from mutualist.members.models import User

TITLE_MAX = 200
CLOSES_AT_MAX_DAYS = 366


def _percent(raw: Decimal | str | int | None, *, field: str, low: int, high: int) -> Decimal:
    label = "quorum" if field == "quorum_percent" else "threshold"
    try:
        value = raw if isinstance(raw, Decimal) else Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise ValidationFailed(
            f"The {label} must be a percentage; got {raw!r}.",
            code="invalid_percentage",
            field=field,
        ) from None
    if not value.is_finite() or not low <= value <= high:
        raise ValidationFailed(
            f"The {label} must be between {low} % and {high} %; got {raw}.",
            code=f"{label}_out_of_range",
            field=field,
        )
    if value != value.quantize(Decimal("0.01")):
        raise ValidationFailed(
            "Percentages have at most two decimal places.", code="invalid_percentage", field=field
        )
    return value.quantize(Decimal("0.01"))


def _require_member(*, collective: Collective, actor: User) -> Membership:
    membership = eligible_members(collective.pk).filter(user=actor).first()
    if membership is None:
        raise NotFound("No such collective.", code="not_found")
    return membership


def proposal_create(
    *,
    collective: Collective,
    author: User,
    kind: str,
    title: str,
    body: str = "",
    payload: Mapping[str, Any] | None = None,
    method: str = Proposal.Method.YES_NO,
    quorum_percent: Decimal | str | int = Decimal("50"),
    threshold_percent: Decimal | str | int = Decimal("50"),
    closes_at: dt.datetime,
    results_visibility: str = Proposal.Results.ALWAYS,
    reasons_required: bool = False,
    system: bool = False,
) -> Proposal:
    """Put a proposal to the collective's vote.

    The author is an active member (``system`` lets an application open its
    own admission vote, with the applicant as author). The kind's handler
    checks ``payload``. ``closes_at`` must be in the future and within a
    year. Members are told by email after commit.
    """
    if not system:
        _require_member(collective=collective, actor=author)
    now = timezone.now()
    handler = handler_for(kind)
    if kind not in Proposal.Kind.values:
        raise ValidationFailed(
            f"Kind must be one of {', '.join(available_kinds())}; got {kind!r}.",
            code="invalid_kind",
            field="kind",
        )
    if handler is None:
        raise ValidationFailed(
            f"Proposals of kind {kind!r} cannot be made yet; "
            f"available: {', '.join(available_kinds())}.",
            code="kind_unavailable",
            field="kind",
        )
    if not system and not handler.members_may_propose:
        raise ValidationFailed(
            f"Proposals of kind {kind!r} are opened by the system, not by members.",
            code="kind_not_proposable",
            field="kind",
        )
    title = (title or "").strip()
    if not title:
        raise ValidationFailed("A proposal needs a title.", code="title_required", field="title")
    if any(unicodedata.category(ch).startswith("C") for ch in title):
        raise ValidationFailed(
            "A title is one line of text, without line breaks or control characters.",
            code="invalid_title",
            field="title",
        )
    if len(title) > TITLE_MAX:
        raise ValidationFailed(
            f"The title is {len(title)} characters; at most {TITLE_MAX}.",
            code="title_too_long",
            field="title",
        )
    body = (body or "").strip()
    if len(body) > BODY_MAX:
        raise ValidationFailed(
            f"The text is {len(body)} characters; at most {BODY_MAX}.",
            code="body_too_long",
            field="body",
        )
    if method not in Proposal.Method.values:
        raise ValidationFailed(
            f"The voting method must be {' or '.join(Proposal.Method.values)}; got {method!r}.",
            code="invalid_method",
            field="method",
        )
    quorum = _percent(quorum_percent, field="quorum_percent", low=0, high=100)
    threshold = _percent(threshold_percent, field="threshold_percent", low=50, high=100)
    if results_visibility not in Proposal.Results.values:
        raise ValidationFailed(
            f"Results visibility must be one of {', '.join(Proposal.Results.values)}; "
            f"got {results_visibility!r}.",
            code="invalid_results_visibility",
            field="results_visibility",
        )
    if closes_at.tzinfo is None:
        raise ValidationFailed(
            "The closing time needs a time zone.", code="closes_at_naive", field="closes_at"
        )
    if closes_at <= now:
        raise ValidationFailed(
            "The closing time must be in the future.", code="closes_at_in_past", field="closes_at"
        )
    if closes_at > now + dt.timedelta(days=CLOSES_AT_MAX_DAYS):
        raise ValidationFailed(
            "The closing time must be within a year.", code="closes_at_too_late", field="closes_at"
        )
    draft = ProposalDraft(
        collective=collective, author=author, closes_at=closes_at, payload=dict(payload or {})
    )
    with transaction.atomic():
        # The collective row lock serialises proposals with what their kind
        # checks (one open admission vote per application; the bylaws version
        # a change amends), so two at once cannot both pass the check.
        Collective.objects.select_for_update().filter(pk=collective.pk).first()
        stored = handler.validate(draft)
        proposal = Proposal.objects.create(
            collective=collective,
            author=author,
            kind=kind,
            title=title,
            body=body,
            payload=stored,
            method=method,
            quorum_percent=quorum,
            threshold_percent=threshold,
            results_visibility=results_visibility,
            reasons_required=bool(reasons_required),
            opened_at=now,
            closes_at=closes_at,
        )
        proposal_id = proposal.pk
        transaction.on_commit(lambda: emails.send_opened(proposal_id))
    return proposal


def admission_vote_open(*, membership: Membership) -> Proposal:
    """Open the members' vote on an application (the "members vote" rule)."""
    user = membership.user
    days = int(getattr(settings, "GOVERNANCE_ADMISSION_VOTE_DAYS", 7))
    body = membership.application_note.strip()
    return proposal_create(
        collective=membership.collective,
        author=user,
        kind=Proposal.Kind.ADMISSION,
        title=f"Admit {user.display_name}"[:TITLE_MAX],
        body=f"{user.display_name} wrote:\n\n> {body}" if body else "",
        payload={"membership_id": membership.pk},
        closes_at=timezone.now() + dt.timedelta(days=days),
        system=True,
    )


def proposal_withdraw(*, proposal: Proposal, actor: User) -> Proposal:
    """The author (or a coordinator) takes an open proposal back; nothing is
    applied. Under the proposal's row lock, so it cannot cross a closing."""
    membership = _require_member(collective=proposal.collective, actor=actor)
    if proposal.author_id != actor.pk and not membership.is_coordinator:
        raise PermissionDenied(
            "Only the author or a coordinator can withdraw a proposal.",
            code="not_author",
        )
    with transaction.atomic():
        current = Proposal.objects.select_for_update().get(pk=proposal.pk)
        if current.state != Proposal.State.OPEN:
            raise Conflict("This proposal is no longer open.", code="proposal_closed")
        now = timezone.now()
        # Past its deadline the vote is decided, tick or not: withdrawing it
        # then would let an author undo an outcome they did not like.
        if current.closes_at <= now:
            raise Conflict(
                "Voting on this proposal has closed; its outcome stands.", code="voting_closed"
            )
        # The count as it stood, for the record; no outcome: nothing was decided.
        eligible, counted = ballots(proposal=current, now=now)
        frozen = count(
            choices=[(b.choice, b.proxy_id is not None) for b in counted],
            eligible=eligible,
            quorum_percent=current.quorum_percent,
            threshold_percent=current.threshold_percent,
        )
        Proposal.objects.filter(pk=current.pk, state=Proposal.State.OPEN).update(
            state=Proposal.State.WITHDRAWN,
            closed_at=now,
            tally=frozen.as_json(),
            applied_note=f"Withdrawn by {actor.display_name} before the count.",
        )
    proposal.refresh_from_db()
    return proposal


def admission_votes_end(*, membership_id: int, admitted: bool) -> int:
    """Withdraw the open votes on an application that was decided another way
    (a coordinator approved or turned it down): there is nothing left to
    vote on. The proposal being closed right now (its own outcome decided
    the application) is no longer open, so it is left alone."""
    decided = "admitted" if admitted else "turned down"
    return Proposal.objects.filter(
        kind=Proposal.Kind.ADMISSION,
        state=Proposal.State.OPEN,
        payload__membership_id=membership_id,
    ).update(
        state=Proposal.State.WITHDRAWN,
        closed_at=timezone.now(),
        applied_note=f"Withdrawn: a coordinator {decided} the application before the vote closed.",
    )
