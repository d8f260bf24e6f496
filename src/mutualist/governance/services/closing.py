"""Closing proposals and applying their outcomes, exactly once.

``proposal_close`` takes the proposal's row lock and claims the closing with
a conditional update (``WHERE state = 'open'``) whose row count it checks, so
two schedulers closing the same proposal at the same moment close it once:
the second finds it closed and does nothing. The count, the ballots on
record, the outcome and what the kind's handler did all commit together.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from mutualist.core.errors import DomainError
from mutualist.governance import emails
from mutualist.governance.kinds import handler_for
from mutualist.governance.models import Proposal, Vote
from mutualist.governance.selectors import ballots, eligible_members
from mutualist.governance.tally import count

logger = logging.getLogger(__name__)


def proposal_close(
    *, proposal_id: int, now: dt.datetime | None = None, early: bool = False
) -> bool:
    """Close one proposal if it is due (or, with ``early``, whatever its
    deadline: the caller has decided it ends now; the tick closes early only
    once every member has voted, checked again under the row lock). Returns
    whether this call closed it."""
    return _close(proposal_id=proposal_id, now=now or timezone.now(), early=early)


def _everyone_voted_themselves(proposal: Proposal) -> bool:
    """Whether every eligible member has a direct vote on ``proposal`` (call
    holding its row lock, which votes and retractions take too)."""
    eligible = eligible_members(proposal.collective_id)
    if not eligible.exists():
        return False
    voted = Vote.objects.filter(proposal=proposal, proxy__isnull=True).values("member_id")
    return not eligible.exclude(user_id__in=voted).exists()


def _close(
    *, proposal_id: int, now: dt.datetime, early: bool, if_everyone_voted: bool = False
) -> bool:
    with transaction.atomic():
        proposal = (
            Proposal.objects.select_for_update()
            .select_related("collective")
            .filter(pk=proposal_id)
            .first()
        )
        if proposal is None or proposal.state != Proposal.State.OPEN:
            return False
        if not early and proposal.closes_at > now:
            return False
        # The list of proposals everyone voted on was read without the lock:
        # a member may have retracted since (and must keep their time to vote).
        if (
            if_everyone_voted
            and proposal.closes_at > now
            and not _everyone_voted_themselves(proposal)
        ):
            return False
        eligible, counted = ballots(proposal=proposal, now=now)
        result = count(
            choices=[(b.choice, b.proxy_id is not None) for b in counted],
            eligible=eligible,
            quorum_percent=proposal.quorum_percent,
            threshold_percent=proposal.threshold_percent,
        )
        claimed = Proposal.objects.filter(pk=proposal.pk, state=Proposal.State.OPEN).update(
            state=Proposal.State.CLOSED,
            closed_at=now,
            outcome=result.outcome,
            tally=result.as_json(),
        )
        if claimed != 1:
            return False
        # Votes of members who are no longer eligible stay, for the record,
        # but were not counted; proxied ballots are written down now.
        Vote.objects.bulk_create(
            [
                Vote(
                    proposal=proposal,
                    member_id=b.member_id,
                    choice=b.choice,
                    proxy_id=b.proxy_id,
                    cast_at=now,
                )
                for b in counted
                if b.proxy_id is not None
            ]
        )
        proposal.refresh_from_db()
        handler = handler_for(proposal.kind)
        # Read before the outcome is applied: a turned-down applicant's row goes.
        also = handler.also_told(proposal) if handler is not None else []
        note = _apply(proposal)
        Proposal.objects.filter(pk=proposal.pk).update(applied_at=now, applied_note=note)
        transaction.on_commit(functools.partial(emails.send_outcome, proposal_id, also))
    return True


def _apply(proposal: Proposal) -> str:
    """Run the kind's handler in a savepoint; a refusal is recorded, not raised."""
    handler = handler_for(proposal.kind)
    if handler is None:
        return "No handler is registered for this kind; the outcome is recorded only."
    action = (
        handler.on_passed if proposal.outcome == Proposal.Outcome.PASSED else handler.on_rejected
    )
    try:
        with transaction.atomic():
            return action(proposal)
    except DomainError as exc:
        logger.warning("proposal %s: outcome not applied: %s", proposal.pk, exc.message)
        return f"Not applied: {exc.message}"


def proposals_everyone_voted(now: dt.datetime | None = None) -> list[int]:
    """Open proposals on which every eligible member has voted themselves (a
    proxy's vote does not cut short anyone's time to vote)."""
    from mutualist.collectives.models import Membership

    now = now or timezone.now()
    eligible = Membership.objects.filter(
        collective_id=OuterRef("collective_id"),
        state=Membership.State.ACTIVE,
        user__is_active=True,
    )
    not_voted = eligible.exclude(
        Exists(Vote.objects.filter(proposal=OuterRef(OuterRef("pk")), member=OuterRef("user")))
    )
    return list(
        Proposal.objects.filter(state=Proposal.State.OPEN, closes_at__gt=now)
        .filter(Exists(eligible))
        .exclude(Exists(not_voted))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def proposals_close_due(now: dt.datetime | None = None) -> int:
    """Close every proposal past its deadline, and those everyone voted on.
    Returns how many this call closed.

    A proposal whose handler crashes (anything but a ``DomainError``) stays
    open for the next tick; the others are still closed, then the first
    crash is raised so that the tick reports the job as failed.
    """
    now = now or timezone.now()
    closed = 0
    crashes: list[Exception] = []
    due = Proposal.objects.filter(state=Proposal.State.OPEN, closes_at__lte=now).order_by(
        "closes_at", "pk"
    )
    work = [(pk, False) for pk in due.values_list("pk", flat=True)]
    work += [(pk, True) for pk in proposals_everyone_voted(now)]
    for proposal_id, early in work:
        try:
            closed += _close(proposal_id=proposal_id, now=now, early=early, if_everyone_voted=early)
        except Exception as exc:  # one broken handler must not keep the others open
            logger.exception("proposal %s: closing failed; the next tick tries again", proposal_id)
            crashes.append(exc)
    if crashes:
        raise crashes[0]
    return closed


def reminders_due(now: dt.datetime | None = None) -> int:
    """Remind those who have not voted, once, 24 hours before a proposal
    closes (only proposals opened more than a day before their close: the
    others' opening email is reminder enough). Claimed with a conditional
    update, so any number of schedulers send it once."""
    now = now or timezone.now()
    window = now + dt.timedelta(hours=24)
    due = Proposal.objects.filter(
        Q(state=Proposal.State.OPEN, reminder_sent_at__isnull=True),
        closes_at__gt=now,
        closes_at__lte=window,
    )
    sent = 0
    for proposal in due.order_by("closes_at", "pk"):
        if proposal.closes_at - proposal.opened_at <= dt.timedelta(hours=24):
            continue
        with transaction.atomic():
            claimed = Proposal.objects.filter(pk=proposal.pk, reminder_sent_at__isnull=True).update(
                reminder_sent_at=now
            )
            if claimed:
                transaction.on_commit(functools.partial(emails.send_reminder, proposal.pk))
                sent += 1
    return sent
