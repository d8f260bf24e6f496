"""Applying, admitting, leaving and roles."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from mutualist.collectives.models import (
    Bylaws,
    Collective,
    Invitation,
    Membership,
)
from mutualist.collectives.selectors import membership_stands
from mutualist.collectives.services._common import (
    active_coordinators,
    active_members,
    application_reject,
    invitations_close,
    invitations_to,
    lock_collective,
    require_coordinator,
)
from mutualist.collectives.services.bylaws import _admission_rule_now
from mutualist.collectives.signals import (
    membership_applied,
    membership_decided,
    membership_left,
)
from mutualist.core.errors import Conflict, PermissionDenied, ValidationFailed
from mutualist.members.models import User

# What a membership already there says to a second one, by state: (code, said
# to a coordinator about the person they invite, said to the applicant).
_ALREADY_THERE = {
    Membership.State.ACTIVE: (
        "already_member",
        "{name} is already a member of this collective.",
        "You are already a member of this collective.",
    ),
    Membership.State.APPLIED: (
        "already_applied",
        "{name} has already applied to join.",
        "You have already applied to join.",
    ),
    Membership.State.INVITED: (
        "already_invited",
        "{name} has already been invited.",
        "You have already been invited to this collective: "
        "accept the invitation from your dashboard.",
    ),
}


def _refuse_existing(
    membership: Membership | None, *, field: str | None = "email", to_applicant: bool = False
) -> None:
    """Refuse a new invitation or application where ``membership`` still stands.

    A coordinator inviting someone is told about that person by name; with
    ``to_applicant`` the message speaks to the person applying, who would not
    expect to read their own name.
    """
    if membership is None or membership.state == Membership.State.LEFT:
        return
    code, about_them, to_them = _ALREADY_THERE[Membership.State(membership.state)]
    text = to_them if to_applicant else about_them.format(name=membership.user.display_name)
    raise Conflict(text, code=code, field=field)


def membership_apply(*, collective: Collective, user: User, note: str = "") -> Membership:
    """Ask to join. Under an open admission rule the applicant is admitted at
    once; otherwise the application waits for a coordinator.

    An empty collective (its last member left) admits the applicant at once
    as its coordinator, under either rule: a collective nobody is in is
    revived by whoever joins it first, as no one is left to decide an
    application. Where members remain but no coordinator can act (an operator
    deactivated them), applications wait: an outsider must not take over.

    An "invited" membership refuses the application only while an invitation
    the person can accept stands; one that lapsed (and ``mutualist tick`` has
    not closed yet), or went to an address they no longer log in with, is
    treated like having left. Joining closes the collective's pending
    invitations to the same person: they are in already.

    Takes the collective row lock.
    """
    note = note.strip()
    try:
        with transaction.atomic():
            lock_collective(collective.pk)
            now = timezone.now()
            existing = (
                Membership.objects.filter(collective=collective, user=user)
                .select_related("user__profile")
                .first()
            )
            if existing is None or membership_stands(existing):
                # No field: the applicant typed nothing that is at fault (a view
                # that puts the error on an "email" field would fail, the apply
                # form has none).
                _refuse_existing(existing, field=None, to_applicant=True)
            # Only an empty collective is revived by a newcomer: where members
            # remain without a coordinator, an outsider must not take it over.
            revive = not active_members(collective.pk).exists()
            admit = revive or _admission_rule_now(collective) == Bylaws.AdmissionRule.OPEN
            fields: dict[str, object] = {
                "state": Membership.State.ACTIVE if admit else Membership.State.APPLIED,
                "role": Membership.Role.COORDINATOR if revive else Membership.Role.MEMBER,
                "application_note": note,
            }
            # A returning applicant keeps joined_at and left_at until admitted:
            # if they are turned down, their row goes back to "left" with its
            # dates intact.
            if admit:
                fields["joined_at"] = now
                fields["left_at"] = None
            if existing is None:
                membership = Membership.objects.create(
                    collective=collective, user=user, created_at=now, **fields
                )
            else:
                # Re-joining after leaving, or after an invitation lapsed: only
                # from the state we read.
                updated = Membership.objects.filter(pk=existing.pk, state=existing.state).update(
                    **fields
                )
                if updated != 1:
                    raise Conflict(
                        "Your membership changed meanwhile; try again.", code="state_changed"
                    )
                membership = existing
                membership.refresh_from_db()
            if admit:
                _close_invitations_to_new_member(membership, now=now)
            else:
                # Under the "members vote" rule, governance opens the vote.
                membership_applied.send(sender=Membership, membership=membership)
    except IntegrityError:
        raise Conflict("You have already applied to join.", code="already_applied") from None
    return membership


def _close_invitations_to_new_member(membership: Membership, *, now: dt.datetime) -> None:
    """Someone who joined by applying keeps no invitation to the collective
    open on the coordinators' list or their own dashboard: closed (revoked) as
    answered another way. Their row is active, so there is none to withdraw."""
    invitations_close(
        invitations_to(collective_id=membership.collective_id, user=membership.user),
        now=now,
        withdraw=False,
    )


def _refuse_under_vote(collective: Collective) -> None:
    if _admission_rule_now(collective) == Bylaws.AdmissionRule.VOTE:
        raise Conflict(
            "This collective admits new members by vote: the members decide this application "
            "on the decisions page.",
            code="admission_by_vote",
        )


def membership_approve(*, membership: Membership, actor: User) -> Membership:
    """A coordinator admits an applicant. Refused when the application was
    decided meanwhile (``not_applied``), the applicant's account was
    deactivated (``account_inactive``: reject the application instead) or
    the bylaws say the members vote on applications (``admission_by_vote``).
    Closes pending invitations to the same person. Takes the collective row lock."""
    require_coordinator(collective=membership.collective, actor=actor)
    _refuse_under_vote(membership.collective)
    with transaction.atomic():
        lock_collective(membership.collective_id)
        # Checked again under the lock: the actor may have been demoted meanwhile.
        require_coordinator(collective=membership.collective, actor=actor)
        return membership_admit(membership=membership)


def membership_admit(*, membership: Membership) -> Membership:
    """Admit an applicant as decided (by a coordinator, or by a passed vote:
    the governance handler calls this). No permission check; refused as
    ``membership_approve`` says. Takes the collective row lock."""
    with transaction.atomic():
        lock_collective(membership.collective_id)
        current = Membership.objects.select_related("user").get(pk=membership.pk)
        if current.state != Membership.State.APPLIED:
            raise Conflict(
                "That application is no longer waiting for a decision.", code="not_applied"
            )
        if not current.user.is_active:
            raise Conflict(
                "This applicant's account has been deactivated; reject the application instead.",
                code="account_inactive",
            )
        now = timezone.now()
        updated = Membership.objects.filter(pk=current.pk, state=Membership.State.APPLIED).update(
            state=Membership.State.ACTIVE, joined_at=now, left_at=None
        )
        if updated != 1:
            raise Conflict(
                "That application is no longer waiting for a decision.", code="not_applied"
            )
        _close_invitations_to_new_member(current, now=now)
        membership_decided.send(sender=Membership, membership=current, admitted=True)
    membership.refresh_from_db()
    return membership


def membership_reject(*, membership: Membership, actor: User) -> None:
    """Decline an application. A first-time applicant's row goes away; someone
    who had been a member before goes back to having left. Refused under the
    "members vote" admission rule (``admission_by_vote``)."""
    require_coordinator(collective=membership.collective, actor=actor)
    _refuse_under_vote(membership.collective)
    membership_turn_down(membership=membership)


def membership_turn_down(*, membership: Membership) -> None:
    """Turn an application down as decided (a coordinator, or a vote that did
    not pass). No permission check; ``not_applied`` when it was decided
    meanwhile."""
    with transaction.atomic():
        if application_reject(membership) != 1:
            raise Conflict(
                "That application is no longer waiting for a decision.", code="not_applied"
            )
        membership_decided.send(sender=Membership, membership=membership, admitted=False)


def _other_coordinators(membership: Membership) -> int:
    """Coordinators besides ``membership`` who can act: a deactivated account
    still shows an active membership, but it coordinates nothing."""
    return active_coordinators(membership.collective_id).exclude(pk=membership.pk).count()


def _lock_collective(membership: Membership) -> Membership:
    """Lock the collective row and return ``membership`` as it is now.

    Every change to who coordinates a collective (leave, set_role) takes this
    lock first, so two coordinators leaving or demoting each other at once are
    decided one after the other, each seeing what the other did.
    """
    lock_collective(membership.collective_id)
    return Membership.objects.get(pk=membership.pk)


def membership_leave(*, membership: Membership, actor: User) -> Membership:
    """Leave a collective. The last coordinator cannot leave while other
    members (with accounts that can still log in) remain: they would be left
    with no one to admit or invite.

    A coordinator who leaves takes back the invitations they sent that are
    still pending. When no coordinator who can act remains (the sole member
    left), nothing they left behind may admit anyone: the collective's pending
    invitations are revoked and its applications rejected, as
    ``membership_reject`` would. Takes the collective row lock.
    """
    if membership.user_id != actor.pk:
        raise PermissionDenied("Only the member themselves can leave.", code="not_your_membership")
    if membership.state != Membership.State.ACTIVE:
        raise Conflict("You are not an active member of this collective.", code="not_active")
    with transaction.atomic():
        current = _lock_collective(membership)
        if current.state != Membership.State.ACTIVE:
            raise Conflict("You are not an active member of this collective.", code="not_active")
        was_coordinator = current.role == Membership.Role.COORDINATOR
        if was_coordinator and _other_coordinators(current) == 0:
            others = (
                Membership.objects.filter(
                    collective_id=current.collective_id,
                    state=Membership.State.ACTIVE,
                    user__is_active=True,
                )
                .exclude(pk=current.pk)
                .exists()
            )
            if others:
                raise Conflict(
                    "You are the last coordinator: make another member coordinator before leaving.",
                    code="last_coordinator",
                )
        now = timezone.now()
        Membership.objects.filter(pk=current.pk).update(
            state=Membership.State.LEFT, left_at=now, role=Membership.Role.MEMBER
        )
        membership_left.send(sender=Membership, membership=current)
        if was_coordinator:
            _close_invitations_sent_by(current, now=now)
            if not active_coordinators(current.collective_id).exists():
                invitations_close(
                    Invitation.objects.filter(collective_id=current.collective_id), now=now
                )
                for application in Membership.objects.filter(
                    collective_id=current.collective_id, state=Membership.State.APPLIED
                ).order_by("pk"):
                    application_reject(application)
    membership.refresh_from_db()
    return membership


def _close_invitations_sent_by(coordinator: Membership, *, now: dt.datetime) -> None:
    """An invitation speaks for the coordinator who sent it only while they
    coordinate: one about to be demoted must not leave invitations (even as
    coordinator) behind that still work."""
    invitations_close(
        Invitation.objects.filter(
            collective_id=coordinator.collective_id, invited_by_id=coordinator.user_id
        ),
        now=now,
    )


def membership_set_role(*, membership: Membership, actor: User, role: str) -> Membership:
    """Make an active member coordinator or member. A collective keeps at
    least one coordinator who can act. Demoting a coordinator revokes the
    invitations they sent that are still pending. Takes the collective row lock."""
    require_coordinator(collective=membership.collective, actor=actor)
    if role not in Membership.Role.values:
        raise ValidationFailed(
            "Role must be coordinator or member.", code="invalid_role", field="role"
        )
    if membership.state != Membership.State.ACTIVE:
        raise Conflict("Only active members can have a role.", code="not_active")
    with transaction.atomic():
        current = _lock_collective(membership)
        # Checked again under the lock: the actor may have been demoted, or the
        # member may have left, since the checks above.
        require_coordinator(collective=membership.collective, actor=actor)
        if current.state != Membership.State.ACTIVE:
            raise Conflict("Only active members can have a role.", code="not_active")
        demoted = role == Membership.Role.MEMBER and current.role == Membership.Role.COORDINATOR
        if demoted and _other_coordinators(current) == 0:
            raise Conflict(
                "A collective needs at least one coordinator.",
                code="last_coordinator",
                field="role",
            )
        Membership.objects.filter(pk=current.pk).update(role=role)
        if demoted:
            _close_invitations_sent_by(current, now=timezone.now())
    membership.refresh_from_db()
    return membership
