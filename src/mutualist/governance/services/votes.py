"""Voting: one ballot per member per proposal, changeable until it closes."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from mutualist.core.errors import Conflict, NotFound, ValidationFailed
from mutualist.governance.kinds import handler_for
from mutualist.governance.models import CHOICES, Proposal, Vote
from mutualist.governance.selectors import is_eligible
from mutualist.members.models import User

REASON_MAX = 2_000


def _locked_open(proposal: Proposal) -> Proposal:
    """The proposal under its row lock, refused unless voting is still open.

    The lock serialises a vote with the closing (which takes it too), so no
    vote lands after the count.
    """
    current = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if current.state != Proposal.State.OPEN or current.closes_at <= timezone.now():
        raise Conflict(
            f"Voting on this proposal closed on {current.closes_at.day} "
            f"{current.closes_at:%B %Y at %H:%M} UTC.",
            code="voting_closed",
        )
    return current


def vote_cast(*, proposal: Proposal, voter: User, choice: str, reason: str = "") -> Vote:
    """Cast or change the voter's own vote. A second vote changes the first.

    Refused: voting after the close (``voting_closed``), by anyone who is not
    an active member (``not_found``: they see no proposal), a choice the
    method does not offer (``invalid_choice``), no reason where one is
    required (``reason_required``; a block always needs one).
    """
    if not is_eligible(collective_id=proposal.collective_id, user=voter):
        raise NotFound("No such proposal.", code="not_found")
    choices = CHOICES[Proposal.Method(proposal.method)]
    choice = (choice or "").strip().lower()
    if choice not in choices:
        raise ValidationFailed(
            f"Choose one of {', '.join(choices)}; got {choice!r}.",
            code="invalid_choice",
            field="choice",
        )
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        raise ValidationFailed(
            f"The reason is {len(reason)} characters; at most {REASON_MAX}.",
            code="reason_too_long",
            field="reason",
        )
    if not reason and (proposal.reasons_required or choice == "block"):
        raise ValidationFailed(
            "A block needs a reason: say what would have to change."
            if choice == "block"
            else "This proposal asks every voter for a reason.",
            code="reason_required",
            field="reason",
        )
    with transaction.atomic():
        current = _locked_open(proposal)
        handler = handler_for(current.kind)
        if handler is not None and handler.check_open is not None:
            handler.check_open(current)
        if handler is not None and handler.may_vote is not None:
            handler.may_vote(current, voter)
        now = timezone.now()
        vote = Vote.objects.filter(proposal=current, member=voter, proxy__isnull=True).first()
        if vote is None:
            vote = Vote.objects.create(
                proposal=current, member=voter, choice=choice, reason=reason, cast_at=now
            )
        elif vote.choice != choice or vote.reason != reason:
            Vote.objects.filter(pk=vote.pk).update(choice=choice, reason=reason, changed_at=now)
            vote.refresh_from_db()
    return vote


def vote_retract(*, proposal: Proposal, voter: User) -> None:
    """Take one's vote back while voting is open (a proxy may then stand in)."""
    if not is_eligible(collective_id=proposal.collective_id, user=voter):
        raise NotFound("No such proposal.", code="not_found")
    with transaction.atomic():
        current = _locked_open(proposal)
        deleted, _ = Vote.objects.filter(proposal=current, member=voter).delete()
        if not deleted:
            raise Conflict("You have not voted on this proposal.", code="no_vote")
