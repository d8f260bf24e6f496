"""Applying, admitting, leaving and roles."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from mutualist.collectives.models import (
    Bylaws,
    Collective,
    Membership,
)
from mutualist.collectives.services._common import require_coordinator
from mutualist.collectives.services.bylaws import _admission_rule_now
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
    once; otherwise the application waits for a coordinator."""
    existing = Membership.objects.filter(collective=collective, user=user).first()
    # No field: the applicant typed nothing that is at fault (a view that puts
    # the error on an "email" field would fail, the apply form has none).
    _refuse_existing(existing, field=None, to_applicant=True)
    rule = _admission_rule_now(collective)
    now = timezone.now()
    state = (
        Membership.State.ACTIVE if rule == Bylaws.AdmissionRule.OPEN else Membership.State.APPLIED
    )
    fields: dict[str, object] = {
        "state": state,
        "role": Membership.Role.MEMBER,
        "application_note": note.strip(),
    }
    if state == Membership.State.ACTIVE:
        fields["joined_at"] = now
        fields["left_at"] = None
    # A returning applicant keeps joined_at and left_at until admitted: if they
    # are turned down, their row goes back to "left" with its dates intact.
    try:
        with transaction.atomic():
            if existing is None:
                return Membership.objects.create(
                    collective=collective, user=user, created_at=now, **fields
                )
            # Re-joining after leaving: only from the state we read.
            updated = Membership.objects.filter(pk=existing.pk, state=Membership.State.LEFT).update(
                **fields
            )
            if updated != 1:
                raise Conflict(
                    "Your membership changed meanwhile; try again.", code="state_changed"
                )
    except IntegrityError:
        raise Conflict("You have already applied to join.", code="already_applied") from None
    existing.refresh_from_db()
    return existing


def membership_approve(*, membership: Membership, actor: User) -> Membership:
    require_coordinator(collective=membership.collective, actor=actor)
    updated = Membership.objects.filter(pk=membership.pk, state=Membership.State.APPLIED).update(
        state=Membership.State.ACTIVE, joined_at=timezone.now(), left_at=None
    )
    if updated != 1:
        raise Conflict("That application is no longer waiting for a decision.", code="not_applied")
    membership.refresh_from_db()
    return membership


def membership_reject(*, membership: Membership, actor: User) -> None:
    """Decline an application. A first-time applicant's row goes away; someone
    who had been a member before goes back to having left."""
    require_coordinator(collective=membership.collective, actor=actor)
    with transaction.atomic():
        if membership.joined_at is None:
            # Count only this table's rows: delete()'s total also counts cascades.
            _, per_model = Membership.objects.filter(
                pk=membership.pk, state=Membership.State.APPLIED
            ).delete()
            changed = per_model.get(Membership._meta.label, 0)
        else:
            changed = Membership.objects.filter(
                pk=membership.pk, state=Membership.State.APPLIED
            ).update(state=Membership.State.LEFT)
        if changed != 1:
            raise Conflict(
                "That application is no longer waiting for a decision.", code="not_applied"
            )


def _other_coordinators(membership: Membership) -> int:
    return (
        Membership.objects.filter(
            collective_id=membership.collective_id,
            state=Membership.State.ACTIVE,
            role=Membership.Role.COORDINATOR,
        )
        .exclude(pk=membership.pk)
        .count()
    )


def _lock_collective(membership: Membership) -> Membership:
    """Lock the collective row and return ``membership`` as it is now.

    Every change to who coordinates a collective (leave, set_role) takes this
    lock first, so two coordinators leaving or demoting each other at once are
    decided one after the other, each seeing what the other did.
    """
    Collective.objects.select_for_update().get(pk=membership.collective_id)
    return Membership.objects.get(pk=membership.pk)


def membership_leave(*, membership: Membership, actor: User) -> Membership:
    """Leave a collective. The last coordinator cannot leave while others
    remain: they would be left with no one to admit or invite."""
    if membership.user_id != actor.pk:
        raise PermissionDenied("Only the member themselves can leave.", code="not_your_membership")
    if membership.state != Membership.State.ACTIVE:
        raise Conflict("You are not an active member of this collective.", code="not_active")
    with transaction.atomic():
        current = _lock_collective(membership)
        if current.state != Membership.State.ACTIVE:
            raise Conflict("You are not an active member of this collective.", code="not_active")
        if current.role == Membership.Role.COORDINATOR and _other_coordinators(current) == 0:
            others = (
                Membership.objects.filter(
                    collective_id=current.collective_id, state=Membership.State.ACTIVE
                )
                .exclude(pk=current.pk)
                .exists()
            )
            if others:
                raise Conflict(
                    "You are the last coordinator: make another member coordinator before leaving.",
                    code="last_coordinator",
                )
        Membership.objects.filter(pk=current.pk).update(
            state=Membership.State.LEFT, left_at=timezone.now(), role=Membership.Role.MEMBER
        )
    membership.refresh_from_db()
    return membership


def membership_set_role(*, membership: Membership, actor: User, role: str) -> Membership:
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
        if (
            role == Membership.Role.MEMBER
            and current.role == Membership.Role.COORDINATOR
            and _other_coordinators(current) == 0
        ):
            raise Conflict(
                "A collective needs at least one coordinator.",
                code="last_coordinator",
                field="role",
            )
        Membership.objects.filter(pk=current.pk).update(role=role)
    membership.refresh_from_db()
    return membership
