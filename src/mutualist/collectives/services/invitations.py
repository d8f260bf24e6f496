"""Invitations by email with signed, expiring links."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from mutualist.collectives.models import (
    Collective,
    Invitation,
    Membership,
)
from mutualist.collectives.selectors import invitation_list_open_to
from mutualist.collectives.services._common import (
    active_members,
    invitations_close,
    invitations_to,
    lock_collective,
    require_coordinator,
    withdraw_invited_membership,
)
from mutualist.collectives.services.memberships import _refuse_existing
from mutualist.core.errors import Conflict, PermissionDenied, ValidationFailed
from mutualist.members.models import User
from mutualist.members.services.accounts import email_mark_verified

INVITATION_SALT = "collectives.invitation"


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps({"i": invitation.pk}, salt=INVITATION_SALT, compress=True)


def invitation_url(invitation: Invitation) -> str:
    path = reverse("collectives:invitation", kwargs={"token": invitation_token(invitation)})
    return f"{settings.SITE_URL}{path}"


def _send_invitation_email(invitation_id: int) -> None:
    invitation = Invitation.objects.select_related("collective", "invited_by__profile").get(
        pk=invitation_id
    )
    context = {
        "invitation": invitation,
        "url": invitation_url(invitation),
        "site_url": settings.SITE_URL,
    }
    send_mail(
        subject=f"You are invited to join {invitation.collective.name} on Mutualist",
        message=render_to_string("collectives/email/invitation.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
    )


def _membership_of(*, collective: Collective, user: User) -> Membership | None:
    return (
        Membership.objects.filter(collective=collective, user=user)
        .select_related("user__profile")
        .first()
    )


def invitation_create(
    *,
    collective: Collective,
    inviter: User,
    email: str,
    role: str = Membership.Role.MEMBER,
    message: str = "",
    now: dt.datetime | None = None,
) -> Invitation:
    """Invite someone by email; the email with a signed link goes out after commit.

    If the address belongs to an account whose owner confirmed it, that person's
    membership shows as invited until they answer, and the invitation records
    them as its ``invitee``. Takes the collective row lock: an inviter demoted
    meanwhile is refused, and a simultaneous application by the same person
    is answered with a conflict (``state_changed``), with nothing written.
    """
    require_coordinator(collective=collective, actor=inviter)
    address = email.strip().lower()
    from django.core.exceptions import ValidationError as DjangoValidationError
    from django.core.validators import validate_email

    try:
        validate_email(address)
    except DjangoValidationError:
        raise ValidationFailed(
            f"{email!r} is not an email address.", code="invalid_email", field="email"
        ) from None
    if len(address) > 254:  # the column, and RFC 5321's limit on an address
        raise ValidationFailed(
            "An email address has at most 254 characters.", code="too_long", field="email"
        )
    if role not in Membership.Role.values:
        raise ValidationFailed(
            "Role must be coordinator or member.", code="invalid_role", field="role"
        )
    account = User.objects.filter(email__iexact=address).first()
    # Only a confirmed address is shown its invitation as a membership row:
    # an account holding someone else's address must not learn of it.
    invitee = account if account is not None and account.email_verified_at is not None else None
    now = now or timezone.now()
    with transaction.atomic():
        lock_collective(collective.pk)
        # Checked again under the lock: demoting a coordinator revokes the
        # invitations they sent, so none may be sent after that.
        require_coordinator(collective=collective, actor=inviter)
        existing = _membership_of(collective=collective, user=account) if account else None
        if existing is not None and existing.state in (
            Membership.State.ACTIVE,
            Membership.State.APPLIED,
        ):
            _refuse_existing(existing)
        if invitation_list_open_to(collective_id=collective.pk, email=address, now=now).exists():
            raise Conflict(
                f"{address} already has an open invitation.", code="already_invited", field="email"
            )
        # An expired, unanswered invitation makes room for a new one.
        invitations_close(
            Invitation.objects.filter(collective=collective, email=address, expires_at__lte=now),
            now=now,
        )
        try:
            with transaction.atomic():
                invitation = Invitation.objects.create(
                    collective=collective,
                    email=address,
                    role=role,
                    message=message.strip(),
                    invited_by=inviter,
                    invitee=invitee,
                    created_at=now,
                    expires_at=now + dt.timedelta(days=settings.INVITATION_MAX_AGE_DAYS),
                )
        except IntegrityError:
            raise Conflict(
                f"{address} already has an open invitation.", code="already_invited", field="email"
            ) from None
        if invitee is not None:
            _show_as_invited(collective=collective, invitee=invitee, role=role, now=now)
        invitation_id = invitation.pk
        transaction.on_commit(lambda: _send_invitation_email(invitation_id))
    return invitation


def _show_as_invited(*, collective: Collective, invitee: User, role: str, now: dt.datetime) -> None:
    """Create or update the invitee's row as "invited"; call holding the
    collective lock. Read again here: closing a lapsed invitation just now
    may have withdrawn the row read before."""
    existing = _membership_of(collective=collective, user=invitee)
    try:
        with transaction.atomic():
            if existing is None:
                Membership.objects.create(
                    collective=collective,
                    user=invitee,
                    role=role,
                    state=Membership.State.INVITED,
                    created_at=now,
                )
                return
            # A former member, or someone whose earlier invitation ran out
            # unanswered: the row shows the new invitation's role.
            updated = Membership.objects.filter(
                pk=existing.pk, state__in=[Membership.State.LEFT, Membership.State.INVITED]
            ).update(state=Membership.State.INVITED, role=role)
            if updated == 1:
                return
    except IntegrityError:
        # The person applied, or joined, between our read and this write (a
        # writer that did not take the collective lock): the unique
        # (collective, user) index decided.
        pass
    raise Conflict("This person's membership changed meanwhile; try again.", code="state_changed")


def invitation_resolve(*, token: str) -> Invitation:
    """The invitation a link names. Forged, unknown, expired or answered links
    are refused with a reason a person can act on."""
    max_age = dt.timedelta(days=settings.INVITATION_MAX_AGE_DAYS)
    try:
        payload = signing.loads(token, salt=INVITATION_SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise ValidationFailed(
            "This invitation has expired; ask the collective for a new one.",
            code="invitation_expired",
            field="token",
        ) from None
    except signing.BadSignature:
        raise ValidationFailed(
            "This invitation link is not valid; check that you copied all of it.",
            code="invalid_invitation_token",
            field="token",
        ) from None
    invitation_id = payload.get("i") if isinstance(payload, dict) else None
    invitation = (
        Invitation.objects.select_related("collective", "invited_by__profile")
        .filter(pk=invitation_id)
        .first()
        if isinstance(invitation_id, int)
        else None
    )
    if invitation is None:
        raise ValidationFailed(
            "This invitation link is not valid; check that you copied all of it.",
            code="invalid_invitation_token",
            field="token",
        )
    if invitation.state == Invitation.State.EXPIRED:
        # Closed by ``invitation_expire_overdue``: the same answer as a link
        # whose expiry date has passed, not "already answered".
        raise ValidationFailed(
            "This invitation has expired; ask the collective for a new one.",
            code="invitation_expired",
            field="token",
        )
    if invitation.state != Invitation.State.PENDING:
        raise Conflict(
            f"This invitation has already been {invitation.get_state_display().lower()}.",
            code="invitation_used",
            field="token",
        )
    if invitation.is_expired:
        raise ValidationFailed(
            "This invitation has expired; ask the collective for a new one.",
            code="invitation_expired",
            field="token",
        )
    return invitation


def _check_invitee(invitation: Invitation, user: User) -> None:
    if user.email.lower() != invitation.email.lower():
        raise PermissionDenied(
            "This invitation was sent to a different email address. Log in with that "
            "address, or ask for an invitation to yours.",
            code="invitation_for_other_email",
        )


def invitation_accept(*, token: str, user: User) -> Membership:
    """Join with the invitation's role. In an empty collective (no member
    left who can act) the person joins as its coordinator: a collective
    nobody is in is revived by whoever joins first. Closes any other pending invitation to them there. Takes the
    collective row lock."""
    invitation = invitation_resolve(token=token)
    _check_invitee(invitation, user)
    now = timezone.now()
    try:
        with transaction.atomic():
            lock_collective(invitation.collective_id)
            membership = (
                Membership.objects.filter(collective=invitation.collective, user=user)
                .select_for_update()
                .first()
            )
            if membership is not None and membership.state == Membership.State.ACTIVE:
                raise Conflict(
                    "You are already a member of this collective.", code="already_member"
                )
            claimed = Invitation.objects.filter(
                pk=invitation.pk, state=Invitation.State.PENDING
            ).update(state=Invitation.State.ACCEPTED, responded_at=now, accepted_by=user)
            if claimed != 1:
                raise Conflict("This invitation has already been answered.", code="invitation_used")
            role = (
                invitation.role
                if active_members(invitation.collective_id).exists()
                else Membership.Role.COORDINATOR
            )
            if membership is None:
                membership = Membership.objects.create(
                    collective=invitation.collective,
                    user=user,
                    role=role,
                    state=Membership.State.ACTIVE,
                    joined_at=now,
                )
            else:
                Membership.objects.filter(pk=membership.pk).update(
                    state=Membership.State.ACTIVE, role=role, joined_at=now, left_at=None
                )
                membership.refresh_from_db()
            # Another invitation to them here (sent to an address they used
            # before) has nothing left to offer.
            invitations_close(
                invitations_to(collective_id=invitation.collective_id, user=user),
                now=now,
                withdraw=False,
            )
            # The link was mailed to this address and _check_invitee matched
            # it to the user's login email: that proves they read its mail.
            email_mark_verified(user=user)
    except IntegrityError:
        # The user applied to the same collective while accepting: the unique
        # (collective, user) index decided; nothing of this acceptance was kept.
        raise Conflict(
            "Your membership changed meanwhile; try again.", code="state_changed"
        ) from None
    return membership


def invitation_decline(*, token: str, user: User) -> Invitation:
    invitation = invitation_resolve(token=token)
    _check_invitee(invitation, user)
    with transaction.atomic():
        lock_collective(invitation.collective_id)
        now = timezone.now()
        updated = Invitation.objects.filter(
            pk=invitation.pk, state=Invitation.State.PENDING
        ).update(state=Invitation.State.DECLINED, responded_at=now)
        if updated != 1:
            raise Conflict("This invitation has already been answered.", code="invitation_used")
        withdraw_invited_membership(invitation, now=now)
    invitation.refresh_from_db()
    return invitation


def invitation_revoke(*, invitation: Invitation, actor: User) -> Invitation:
    require_coordinator(collective=invitation.collective, actor=actor)
    with transaction.atomic():
        lock_collective(invitation.collective_id)
        require_coordinator(collective=invitation.collective, actor=actor)
        now = timezone.now()
        updated = Invitation.objects.filter(
            pk=invitation.pk, state=Invitation.State.PENDING
        ).update(state=Invitation.State.REVOKED, responded_at=now)
        if updated != 1:
            raise Conflict("This invitation has already been answered.", code="invitation_used")
        withdraw_invited_membership(invitation, now=now)
    invitation.refresh_from_db()
    return invitation


def invitation_expire_overdue(*, now: dt.datetime | None = None) -> int:
    """Close invitations past their expiry (run by ``mutualist tick``; idempotent)."""
    now = now or timezone.now()
    count = 0
    overdue = Invitation.objects.filter(state=Invitation.State.PENDING, expires_at__lte=now)
    for invitation in overdue.order_by("pk"):
        with transaction.atomic():
            lock_collective(invitation.collective_id)
            if Invitation.objects.filter(pk=invitation.pk, state=Invitation.State.PENDING).update(
                state=Invitation.State.EXPIRED, responded_at=now
            ):
                withdraw_invited_membership(invitation, now=now)
                count += 1
    return count
