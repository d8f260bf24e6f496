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


def _refuse_existing(membership: Membership | None) -> None:
    if membership is None or membership.state == Membership.State.LEFT:
        return
    messages = {
        Membership.State.ACTIVE: ("is already a member of this collective.", "already_member"),
        Membership.State.APPLIED: ("has already applied to join.", "already_applied"),
        Membership.State.INVITED: ("has already been invited.", "already_invited"),
    }
    text, code = messages[Membership.State(membership.state)]
    raise Conflict(f"{membership.user.display_name} {text}", code=code, field="email")


def membership_apply(*, collective: Collective, user: User, note: str = "") -> Membership:
    """Ask to join. Under an open admission rule the applicant is admitted at
    once; otherwise the application waits for a coordinator."""
    existing = Membership.objects.filter(collective=collective, user=user).first()
    _refuse_existing(existing)
    rule = _admission_rule_now(collective)
    now = timezone.now()
    state = (
        Membership.State.ACTIVE if rule == Bylaws.AdmissionRule.OPEN else Membership.State.APPLIED
    )
    fields = {
        "state": state,
        "role": Membership.Role.MEMBER,
        "application_note": note.strip(),
        "left_at": None,
    }
    if state == Membership.State.ACTIVE:
        fields["joined_at"] = now
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
        state=Membership.State.ACTIVE, joined_at=timezone.now()
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
            deleted, _ = Membership.objects.filter(
                pk=membership.pk, state=Membership.State.APPLIED
            ).delete()
            changed = deleted
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


def membership_leave(*, membership: Membership, actor: User) -> Membership:
    """Leave a collective. The last coordinator cannot leave while others
    remain: they would be left with no one to admit or invite."""
    if membership.user_id != actor.pk:
        raise PermissionDenied("Only the member themselves can leave.", code="not_your_membership")
    if membership.state != Membership.State.ACTIVE:
        raise Conflict("You are not an active member of this collective.", code="not_active")
    with transaction.atomic():
        # Lock the collective's coordinators so two coordinators leaving at once
        # cannot both see "one other coordinator remains".
        list(
            Membership.objects.select_for_update()
            .filter(collective_id=membership.collective_id, role=Membership.Role.COORDINATOR)
            .order_by("pk")
        )
        if membership.role == Membership.Role.COORDINATOR and _other_coordinators(membership) == 0:
            others = (
                Membership.objects.filter(
                    collective_id=membership.collective_id, state=Membership.State.ACTIVE
                )
                .exclude(pk=membership.pk)
                .exists()
            )
            if others:
                raise Conflict(
                    "You are the last coordinator: make another member coordinator before leaving.",
                    code="last_coordinator",
                )
        updated = Membership.objects.filter(pk=membership.pk, state=Membership.State.ACTIVE).update(
            state=Membership.State.LEFT, left_at=timezone.now(), role=Membership.Role.MEMBER
        )
        if updated != 1:
            raise Conflict("You are not an active member of this collective.", code="not_active")
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
        list(
            Membership.objects.select_for_update()
            .filter(collective_id=membership.collective_id, role=Membership.Role.COORDINATOR)
            .order_by("pk")
        )
        if (
            role == Membership.Role.MEMBER
            and membership.role == Membership.Role.COORDINATOR
            and _other_coordinators(membership) == 0
        ):
            raise Conflict(
                "A collective needs at least one coordinator.",
                code="last_coordinator",
                field="role",
            )
        Membership.objects.filter(pk=membership.pk).update(role=role)
    membership.refresh_from_db()
    return membership
