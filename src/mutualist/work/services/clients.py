"""Clients and the people who act for them in the portal.

Two ways a client comes to exist:

- ``client_register``: someone registers their organisation in the portal and
  becomes its first contact (``client.collective`` stays null);
- ``client_record``: a coordinator records a lead client, private to their
  collective until it has contacts of its own. The coordinators manage it and
  may invite its first contact; once it has a contact, its contacts manage it
  and invite their people, and the collective's coordinators no longer act
  for it in any way (a collective cannot be its own client: its active
  members cannot act for a client it recorded).

Contacts invite contacts by email. The invitation is a signed, expiring token
(``django.core.signing``, no table): the link goes only to the invited
address, and accepting it needs a logged-in account whose confirmed address is
that one. Because nothing is stored, an invitation cannot be revoked one by
one; it lapses after ``settings.INVITATION_MAX_AGE_DAYS`` (14) days, and stops
working as soon as the person who sent it no longer acts for the client (a
coordinator's invitation to a recorded client: as soon as the client has a
contact).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from mutualist.collectives.models import Collective, Membership
from mutualist.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from mutualist.core.reference import validate_country, validate_currency, validate_timezone
from mutualist.members.models import User
from mutualist.work.models import Client, ClientContact, Job
from mutualist.work.selectors.access import is_active_member, is_client_contact, is_coordinator

CONTACT_INVITATION_SALT = "work.client_contact_invitation"

NAME_MAX = 120  # Client.name
TAX_ID_MAX = 64  # Client.tax_id
BILLING_ADDRESS_MAX = 1000  # a postal address, with room to spare
EMAIL_MAX = 254  # RFC 5321


@dataclass(frozen=True)
class ClientDetails:
    """A client's details, checked and normalised."""

    name: str
    country: str
    timezone: str
    currency: str
    billing_address: str
    tax_id: str


def client_details_validate(
    *, name: str, country: str, timezone: str, currency: str, billing_address: str, tax_id: str
) -> ClientDetails:
    """Check a client's details: the name and billing address are required,
    the codes must be real (ISO 3166 country, IANA time zone, ISO 4217
    currency in use today). Raises ``ValidationFailed`` naming the field."""
    clean_name = _text(name, field="name", limit=NAME_MAX, required=True)
    address = _text(billing_address, field="billing_address", limit=BILLING_ADDRESS_MAX)
    if not address:
        raise ValidationFailed(
            "Give the billing address: invoices are addressed to it.",
            code="required",
            field="billing_address",
        )
    return ClientDetails(
        name=clean_name,
        country=validate_country(country, field="country"),
        timezone=validate_timezone(timezone, field="timezone"),
        currency=validate_currency(currency, field="currency"),
        billing_address=address,
        tax_id=_text(tax_id, field="tax_id", limit=TAX_ID_MAX),
    )


def _text(value: str, *, field: str, limit: int, required: bool = False) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationFailed(
            f"The {field.replace('_', ' ')} is required.", code="required", field=field
        )
    if len(text) > limit:
        raise ValidationFailed(
            f"The {field.replace('_', ' ')} has at most {limit} characters.",
            code="too_long",
            field=field,
        )
    return text


# --- Registering, recording, editing ----------------------------------------------------


def client_register(
    *,
    user: User,
    name: str,
    country: str,
    timezone: str,
    currency: str,
    billing_address: str,
    tax_id: str = "",
) -> Client:
    """Register an organisation in the client portal; ``user`` becomes its
    first contact. The client belongs to no collective: its contacts manage it."""
    details = client_details_validate(
        name=name,
        country=country,
        timezone=timezone,
        currency=currency,
        billing_address=billing_address,
        tax_id=tax_id,
    )
    with transaction.atomic():
        client = Client.objects.create(**_fields(details), created_by=user)
        ClientContact.objects.create(client=client, user=user)
    return client


def client_record(
    *,
    collective: Collective,
    by: User,
    name: str,
    country: str,
    timezone: str,
    currency: str,
    billing_address: str,
    tax_id: str = "",
) -> Client:
    """Record a lead client for ``collective`` (coordinators only). Only the
    collective's active members see it, until a coordinator invites its first
    contact (``client_contact_invite``)."""
    _require_coordinator(by, collective.pk)
    details = client_details_validate(
        name=name,
        country=country,
        timezone=timezone,
        currency=currency,
        billing_address=billing_address,
        tax_id=tax_id,
    )
    return Client.objects.create(**_fields(details), collective=collective, created_by=by)


def client_update(
    *,
    client: Client,
    by: User,
    name: str,
    country: str,
    timezone: str,
    currency: str,
    billing_address: str,
    tax_id: str = "",
) -> Client:
    """Replace a client's details.

    Who may: its contacts; and, for a client a collective recorded, that
    collective's coordinators until the client has contacts of its own
    (``client_may_edit``); after that, a coordinator is refused with 403
    ``client_managed_by_contacts``: the billing address and tax id are the
    client's to state. Anyone else: 403 ``not_client_editor``. The currency is
    the currency of every job and invoice of the client, so it can change
    only while the client has no jobs (``currency_locked``). A changed time
    zone applies to jobs posted from then on; each job keeps its own.
    """
    _require_client_editor(client, by)
    details = client_details_validate(
        name=name,
        country=country,
        timezone=timezone,
        currency=currency,
        billing_address=billing_address,
        tax_id=tax_id,
    )
    with transaction.atomic():
        # The row lock orders this against a job being posted at the same
        # moment (job_post locks the client too), so a currency change and a
        # new job in the old currency cannot both succeed.
        locked = Client.objects.select_for_update().get(pk=client.pk)
        # Again under the lock: a first contact accepting at this moment
        # (client_contact_accept locks the row too) ends a coordinator's say.
        _require_client_editor(locked, by)
        if details.currency != locked.currency and Job.objects.filter(client=locked).exists():
            raise Conflict(
                f"{locked.name} has jobs in {locked.currency}; its currency cannot change.",
                code="currency_locked",
                field="currency",
            )
        Client.objects.filter(pk=locked.pk).update(**_fields(details))
    client.refresh_from_db()
    return client


def client_may_edit(*, user: User, client: Client) -> bool:
    """Contacts may edit their client; coordinators a client their collective
    recorded, while it has no contact of its own."""
    if is_client_contact(user, client.pk):
        return True
    return _is_recording_coordinator(user, client) and not _has_contacts(client)


def _is_recording_coordinator(user: User, client: Client) -> bool:
    """``user`` coordinates the collective that recorded ``client``."""
    return client.collective_id is not None and is_coordinator(user, client.collective_id)


def _has_contacts(client: Client) -> bool:
    return ClientContact.objects.filter(client_id=client.pk).exists()


def _require_client_editor(client: Client, by: User) -> None:
    if client_may_edit(user=by, client=client):
        return
    if _is_recording_coordinator(by, client):
        raise PermissionDenied(
            f"{client.name} has contacts of its own now; they keep its details.",
            code="client_managed_by_contacts",
        )
    raise PermissionDenied(
        "Only the client's contacts (or, for a client a collective recorded, its "
        "coordinators until it has contacts) can change its details.",
        code="not_client_editor",
    )


def _fields(details: ClientDetails) -> dict[str, str]:
    return {
        "name": details.name,
        "country": details.country,
        "timezone": details.timezone,
        "currency": details.currency,
        "billing_address": details.billing_address,
        "tax_id": details.tax_id,
    }


def _require_coordinator(user: User, collective_id: int) -> None:
    if not is_coordinator(user, collective_id):
        raise PermissionDenied(
            "Only a coordinator of this collective can do that.", code="not_coordinator"
        )


# --- Contacts: invitations by signed link -----------------------------------------------


@dataclass(frozen=True)
class ContactInvitation:
    """An invitation as it was sent: to whom, for which client, until when.
    The token itself travels only in the email."""

    client: Client
    email: str
    invited_by: User
    expires_at: dt.datetime
    token: str


def _max_age() -> dt.timedelta:
    return dt.timedelta(days=settings.INVITATION_MAX_AGE_DAYS)


def client_contact_invitation_url(token: str) -> str:
    path = reverse("work:client_contact_accept", kwargs={"token": token})
    return f"{settings.SITE_URL}{path}"


def client_contact_invite(*, client: Client, by: User, email: str) -> ContactInvitation:
    """Invite someone by email to act for ``client``; the email with the
    signed link goes out after commit, to that address only.

    Who may: the client's contacts; and a coordinator of the collective that
    recorded the client, while it has no contact yet (its first one), so a
    lead client can use the portal. Refused: an address that is not one
    (``invalid_email``), someone who already acts for the client
    (``already_contact``), a coordinator once the client has contacts
    (``client_has_contacts``: they invite their own people), the address of
    an active member of the collective that recorded the client
    (``contact_is_member``: a collective cannot be its own client; checked
    again on accepting).
    """
    address = _email(email)
    is_contact = is_client_contact(by, client.pk)
    if not is_contact:
        if client.collective_id is None or not is_coordinator(by, client.collective_id):
            raise PermissionDenied(
                "Only the client's contacts can invite people to act for it.",
                code="not_client_contact",
            )
        if ClientContact.objects.filter(client=client).exists():
            raise Conflict(
                f"{client.name} has contacts of its own now; they invite their people.",
                code="client_has_contacts",
            )
    if ClientContact.objects.filter(client=client, user__email__iexact=address).exists():
        raise Conflict(
            f"{address} already acts for {client.name}.", code="already_contact", field="email"
        )
    if (
        client.collective_id is not None
        and Membership.objects.filter(
            collective_id=client.collective_id,
            state=Membership.State.ACTIVE,
            user__email__iexact=address,
        ).exists()
    ):
        raise _member_refused(client, who=f"{address} is", field="email")
    now = timezone.now()
    token = signing.dumps(
        {"c": client.pk, "e": address, "b": by.pk}, salt=CONTACT_INVITATION_SALT, compress=True
    )
    invitation = ContactInvitation(
        client=client, email=address, invited_by=by, expires_at=now + _max_age(), token=token
    )
    transaction.on_commit(lambda: _send_invitation_email(invitation))
    return invitation


def _member_refused(client: Client, *, who: str, field: str | None) -> ValidationFailed:
    return ValidationFailed(
        f"{who} an active member of the collective that recorded {client.name}, and a "
        f"collective cannot be its own client: someone who works for {client.name} acts for it.",
        code="contact_is_member",
        field=field,
    )


def _email(email: str) -> str:
    address = (email or "").strip().lower()
    if len(address) > EMAIL_MAX:
        raise ValidationFailed(
            "An email address has at most 254 characters.", code="too_long", field="email"
        )
    try:
        validate_email(address)
    except DjangoValidationError:
        raise ValidationFailed(
            f"{email!r} is not an email address.", code="invalid_email", field="email"
        ) from None
    return address


def _send_invitation_email(invitation: ContactInvitation) -> None:
    inviter = invitation.invited_by
    context = {
        "client": invitation.client,
        "inviter_name": str(inviter),
        "url": client_contact_invitation_url(invitation.token),
        "expires_at": invitation.expires_at,
        "site_url": settings.SITE_URL,
    }
    send_mail(
        subject=f"Act for {invitation.client.name} on Mutualist",
        message=render_to_string("work/email/client_contact_invitation.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
    )


@dataclass(frozen=True)
class ResolvedInvitation:
    client: Client
    email: str
    invited_by: User


def client_contact_invitation_resolve(
    *, token: str, user: User | None = None
) -> ResolvedInvitation:
    """What a link names. Forged or damaged (``invalid_invitation_token``),
    expired (``invitation_expired``), or withdrawn (``invitation_withdrawn``)
    is refused: withdrawn when its sender no longer acts for the client, or
    when its sender invited as a coordinator of the collective that recorded
    the client (its first contact) and the client has a contact by now. A
    ``user`` who acts for the client already still gets through: accepting
    twice is harmless."""
    try:
        payload = signing.loads(token, salt=CONTACT_INVITATION_SALT, max_age=_max_age())
    except signing.SignatureExpired:
        raise ValidationFailed(
            "This invitation has expired; ask for a new one.",
            code="invitation_expired",
            field="token",
        ) from None
    except signing.BadSignature:
        raise _bad_token() from None
    if not isinstance(payload, dict):
        raise _bad_token()
    client_id, address, inviter_id = payload.get("c"), payload.get("e"), payload.get("b")
    if not (
        isinstance(client_id, int) and isinstance(address, str) and isinstance(inviter_id, int)
    ):
        raise _bad_token()
    client = Client.objects.filter(pk=client_id).first()
    inviter = User.objects.filter(pk=inviter_id, is_active=True).first()
    if client is None:
        raise _bad_token()
    if inviter is None:
        raise _withdrawn(client)
    _require_standing(client, inviter, user)
    return ResolvedInvitation(client=client, email=address, invited_by=inviter)


def _require_standing(client: Client, inviter: User, user: User | None) -> None:
    """The invitation still holds: its sender acts for the client, or is a
    coordinator of the collective that recorded it and the client has no
    contact yet (the first-contact invitation; without this, a coordinator's
    old link made them, or anyone they chose, a contact after the client had
    taken over). ``user``, already a contact, is let through."""
    if is_client_contact(inviter, client.pk):
        return
    if user is not None and is_client_contact(user, client.pk):
        return
    if _is_recording_coordinator(inviter, client):
        if not _has_contacts(client):
            return
        raise Conflict(
            f"{client.name} has contacts of its own now, so this invitation from "
            f"{inviter} no longer works; ask one of its contacts for a new one.",
            code="invitation_withdrawn",
            field="token",
        )
    raise _withdrawn(client)


def _withdrawn(client: Client) -> Conflict:
    return Conflict(
        f"The person who sent this invitation no longer acts for {client.name}; "
        "ask one of its contacts for a new one.",
        code="invitation_withdrawn",
        field="token",
    )


def _bad_token() -> ValidationFailed:
    return ValidationFailed(
        "This invitation link is not valid; check that you copied all of it.",
        code="invalid_invitation_token",
        field="token",
    )


def client_contact_accept(*, token: str, user: User) -> ClientContact:
    """Start acting for the client the link names.

    Needs a confirmed email address (``email_unverified``) equal, ignoring
    case, to the invited one (``invitation_for_other_email``), and someone
    who is not an active member of the collective that recorded the client
    (``contact_is_member``). Idempotent: someone who already acts for the
    client gets their contact row back. Two first-contact invitations
    accepted at once are ordered by the client's row lock: the second finds
    the client has a contact and is withdrawn.
    """
    invitation = client_contact_invitation_resolve(token=token, user=user)
    if user.email_verified_at is None:
        raise PermissionDenied(
            "Confirm your email address first (we sent you a link), then open the "
            "invitation again.",
            code="email_unverified",
        )
    if user.email.lower() != invitation.email.lower():
        raise PermissionDenied(
            "This invitation was sent to a different email address. Log in with that "
            "address, or ask for an invitation to yours.",
            code="invitation_for_other_email",
        )
    client = invitation.client
    if client.collective_id is not None and is_active_member(user, client.collective_id):
        # Checked at sending too; this catches a link sent before the person
        # joined the collective (or before the check existed).
        raise _member_refused(client, who="You are", field=None)
    try:
        with transaction.atomic():
            locked = Client.objects.select_for_update().get(pk=client.pk)
            _require_standing(locked, invitation.invited_by, user)
            contact, _ = ClientContact.objects.get_or_create(client=locked, user=user)
    except IntegrityError:
        # Accepted twice at the same moment: the unique (client, user) index
        # let one in; the other finds it.
        contact = ClientContact.objects.get(client=invitation.client, user=user)
    return contact


def client_contact_leave(*, client: Client, user: User) -> None:
    """Stop acting for ``client``. The last contact cannot leave
    (``last_contact``): a client nobody acts for could never be managed
    again. Two contacts leaving at once are ordered by the client's row lock,
    so one of them stays."""
    with transaction.atomic():
        Client.objects.select_for_update().get(pk=client.pk)
        contacts = list(
            ClientContact.objects.filter(client=client).values_list("user_id", flat=True)
        )
        if user.pk not in contacts:
            raise NotFound("You do not act for this client.", code="not_found")
        if len(contacts) == 1:
            raise Conflict(
                f"You are the last person acting for {client.name}; invite someone "
                "else before you leave.",
                code="last_contact",
            )
        ClientContact.objects.filter(client=client, user=user).delete()
