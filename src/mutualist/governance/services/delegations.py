"""Proxies: a member lets another member's vote stand for theirs."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from mutualist.collectives.models import Collective, Membership
from mutualist.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from mutualist.governance.models import Delegation, Proposal
from mutualist.governance.selectors import eligible_members
from mutualist.members.models import User


def delegation_create(
    *,
    collective: Collective,
    delegator: User,
    delegate: User | None,
    proposal: Proposal | None = None,
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
) -> Delegation:
    """Name a proxy: for one open proposal, or for a period of days.

    For a period, ``starts_on`` defaults to today and ``ends_on`` may be left
    open. A new delegation replaces the member's standing one of the same
    scope (the old is kept, revoked). Refused: delegating to oneself
    (``delegate_self``), to someone who is not an active member
    (``delegate_not_member``), for a closed proposal or one of another
    collective, a period that ends before it starts or has already ended.
    """
    if not eligible_members(collective.pk).filter(user=delegator).exists():
        raise NotFound("No such collective.", code="not_found")
    if delegate is None:
        raise ValidationFailed(
            "Choose the member who votes for you.", code="delegate_required", field="delegate"
        )
    if delegate.pk == delegator.pk:
        raise ValidationFailed(
            "You cannot be your own proxy.", code="delegate_self", field="delegate"
        )
    if not eligible_members(collective.pk).filter(user=delegate).exists():
        raise ValidationFailed(
            f"{delegate.display_name} is not an active member of {collective.name}.",
            code="delegate_not_member",
            field="delegate",
        )
    today = timezone.localdate()
    if proposal is not None:
        if proposal.collective_id != collective.pk:
            raise ValidationFailed(
                "That proposal belongs to another collective.",
                code="proposal_other_collective",
                field="proposal",
            )
        # Read afresh: the caller's copy may predate the closing.
        state, closes_at = Proposal.objects.filter(pk=proposal.pk).values_list(
            "state", "closes_at"
        )[0]
        if state != Proposal.State.OPEN or closes_at <= timezone.now():
            raise Conflict(
                "Voting on that proposal has closed.", code="voting_closed", field="proposal"
            )
        if starts_on is not None or ends_on is not None:
            raise ValidationFailed(
                "A proxy is for one proposal or for a period, not both.",
                code="proposal_or_period",
                field="starts_on",
            )
    else:
        starts_on = starts_on or today
        if starts_on < today:
            raise ValidationFailed(
                "A proxy cannot start in the past: proposals already closed were counted "
                "without it.",
                code="starts_in_past",
                field="starts_on",
            )
        if ends_on is not None and ends_on < starts_on:
            raise ValidationFailed(
                "The period ends before it starts.", code="period_reversed", field="ends_on"
            )
    now = timezone.now()
    scope = Q(proposal=proposal) if proposal is not None else Q(proposal__isnull=True)
    try:
        with transaction.atomic():
            # Locks in the order the closing takes them (proposal, then
            # collective); the collective lock serialises this with a member
            # leaving (which ends the proxies given to them), so the checks
            # above are made again under it.
            if proposal is not None:
                locked = Proposal.objects.select_for_update().get(pk=proposal.pk)
                if locked.state != Proposal.State.OPEN or locked.closes_at <= timezone.now():
                    raise Conflict(
                        "Voting on that proposal has closed.",
                        code="voting_closed",
                        field="proposal",
                    )
            Collective.objects.select_for_update().filter(pk=collective.pk).first()
            members = eligible_members(collective.pk)
            if not members.filter(user=delegator).exists():
                raise NotFound("No such collective.", code="not_found")
            if not members.filter(user=delegate).exists():
                raise ValidationFailed(
                    f"{delegate.display_name} is not an active member of {collective.name}.",
                    code="delegate_not_member",
                    field="delegate",
                )
            Delegation.objects.filter(
                scope, collective=collective, delegator=delegator, revoked_at__isnull=True
            ).update(revoked_at=now, revoked_because="Replaced by a new proxy.")
            return Delegation.objects.create(
                collective=collective,
                delegator=delegator,
                delegate=delegate,
                proposal=proposal,
                starts_on=starts_on if proposal is None else None,
                ends_on=ends_on if proposal is None else None,
                created_at=now,
            )
    except IntegrityError:
        raise Conflict(
            "Your proxies changed meanwhile; try again.", code="delegation_changed"
        ) from None


def delegation_revoke(*, delegation: Delegation, actor: User) -> Delegation:
    """The member who gave a proxy takes it back."""
    if delegation.delegator_id != actor.pk:
        raise PermissionDenied("Only the member who named a proxy can revoke it.", code="not_yours")
    if (
        delegation.proposal_id is not None
        and not Proposal.objects.filter(
            pk=delegation.proposal_id, state=Proposal.State.OPEN
        ).exists()
    ):
        raise Conflict(
            "That proposal is no longer open: the proxy for it has done its work.",
            code="proposal_closed",
        )
    updated = Delegation.objects.filter(pk=delegation.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_because="Revoked by the member."
    )
    if updated != 1:
        raise Conflict("That proxy was already revoked.", code="already_revoked")
    delegation.refresh_from_db()
    return delegation


def delegations_end_for_leaver(*, membership: Membership) -> int:
    """A member left: the proxies they gave and those given to them end."""
    name = membership.user.display_name
    now = timezone.now()
    given_to = Delegation.objects.filter(
        collective_id=membership.collective_id,
        delegate_id=membership.user_id,
        revoked_at__isnull=True,
    ).update(revoked_at=now, revoked_because=f"{name} left the collective."[:200])
    given_by = Delegation.objects.filter(
        collective_id=membership.collective_id,
        delegator_id=membership.user_id,
        revoked_at__isnull=True,
    ).update(revoked_at=now, revoked_because=f"{name} left the collective."[:200])
    return given_to + given_by
