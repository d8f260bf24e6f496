"""Helpers shared by the collectives services.

Locking rule: every service that changes who belongs to a collective, who
coordinates it, or its pending invitations first locks the collective's row
(``lock_collective``), then touches invitations and memberships. One lock,
always taken first, means no two such changes interleave (a coordinator
demoted while sending an invitation, the last coordinator leaving while
someone accepts) and no two of them wait on each other's rows in opposite
orders (a deadlock).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from mutualist.collectives.models import (
    Collective,
    Invitation,
    Membership,
)
from mutualist.collectives.selectors import invitation_list_open_to
from mutualist.core.errors import PermissionDenied
from mutualist.members.models import User


def require_coordinator(*, collective: Collective, actor: User) -> Membership:
    membership = Membership.objects.filter(collective=collective, user=actor).first()
    if membership is None or not membership.is_coordinator:
        raise PermissionDenied(
            "Only a coordinator of this collective can do that.", code="not_coordinator"
        )
    return membership


def lock_collective(collective_id: int) -> None:
    """Take the collective row lock (see the module docstring); call inside
    ``transaction.atomic()``."""
    Collective.objects.select_for_update().get(pk=collective_id)


def active_coordinators(collective_id: int) -> QuerySet[Membership]:
    """Coordinators who can act: an active membership of an account that can
    still log in (an operator may have deactivated it)."""
    return Membership.objects.filter(
        collective_id=collective_id,
        state=Membership.State.ACTIVE,
        role=Membership.Role.COORDINATOR,
        user__is_active=True,
    )


def active_members(collective_id: int) -> QuerySet[Membership]:
    """Members who can act, in any role: active memberships of accounts that
    can still log in."""
    return Membership.objects.filter(
        collective_id=collective_id, state=Membership.State.ACTIVE, user__is_active=True
    )


def invitations_to(*, collective_id: int, user: User) -> QuerySet[Invitation]:
    """The collective's invitations to ``user``: shown to their account, or
    addressed to the email they log in with now."""
    return Invitation.objects.filter(collective_id=collective_id).filter(
        Q(invitee_id=user.pk) | Q(email__iexact=user.email)
    )


def withdraw_invited_membership(invitation: Invitation, *, now: dt.datetime) -> None:
    """Take back the "invited" membership ``invitation`` showed, once it is closed.

    The row is found by the account the invitation was shown to, not by its
    address: the person may have changed their login email since. (Invitations
    from before that was recorded fall back to the address.) A row that another
    invitation the person can still accept shows is left standing.
    """
    person = (
        Q(user_id=invitation.invitee_id)
        if invitation.invitee_id is not None
        else Q(user__email__iexact=invitation.email)
    )
    membership = (
        Membership.objects.filter(
            person, collective_id=invitation.collective_id, state=Membership.State.INVITED
        )
        .select_related("user")
        .first()
    )
    if membership is None:
        return
    if invitation_list_open_to(
        collective_id=invitation.collective_id, email=membership.user.email, now=now
    ).exists():
        return
    if membership.joined_at is None:
        Membership.objects.filter(pk=membership.pk, state=Membership.State.INVITED).delete()
    else:
        # A former member invited back: back to having left, history intact.
        Membership.objects.filter(pk=membership.pk, state=Membership.State.INVITED).update(
            state=Membership.State.LEFT
        )


def invitations_close(
    invitations: QuerySet[Invitation], *, now: dt.datetime, withdraw: bool = True
) -> int:
    """Close the pending ones among ``invitations``: revoked, or expired when
    past their expiry already; with ``withdraw``, take back the "invited" rows
    they showed. Returns how many were closed. Call holding the collective lock."""
    closed = 0
    for invitation in invitations.filter(state=Invitation.State.PENDING).order_by("pk"):
        state = (
            Invitation.State.EXPIRED if invitation.expires_at <= now else Invitation.State.REVOKED
        )
        if Invitation.objects.filter(pk=invitation.pk, state=Invitation.State.PENDING).update(
            state=state, responded_at=now
        ):
            closed += 1
            if withdraw:
                withdraw_invited_membership(invitation, now=now)
    return closed


def application_reject(membership: Membership) -> int:
    """Turn an application down: a first-time applicant's row goes away, a
    former member goes back to having left. Returns 1, or 0 when the row was
    no longer an application."""
    if membership.joined_at is None:
        # Count only this table's rows: delete()'s total also counts cascades.
        _, per_model = Membership.objects.filter(
            pk=membership.pk, state=Membership.State.APPLIED
        ).delete()
        return per_model.get(Membership._meta.label, 0)
    return Membership.objects.filter(pk=membership.pk, state=Membership.State.APPLIED).update(
        state=Membership.State.LEFT
    )
