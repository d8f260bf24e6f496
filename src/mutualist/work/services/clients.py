"""Clients and the people who act for them in the portal.

Two ways a client comes to exist:

- ``client_register``: someone registers their organisation in the portal and
  becomes its first contact (``client.collective`` stays null);
- ``client_record``: a coordinator records a lead client, private to their
  collective until it has contacts of its own.

Contacts invite contacts by email. The invitation is a signed, expiring token
(``django.core.signing``, no table): the link goes only to the invited
address, and accepting it needs a logged-in account whose confirmed address is
that one. Because nothing is stored, an invitation cannot be revoked one by
one; it lapses after ``settings.INVITATION_MAX_AGE_DAYS`` (14) days, and stops
working as soon as the person who sent it no longer acts for the client.
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

from mutualist.collectives.models import Collective
from mutualist.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from mutualist.core.reference import validate_country, validate_currency, validate_timezone
from mutualist.members.models import User
from mutualist.work.models import Client, ClientContact, Job
from mutualist.work.selectors.access import is_client_contact, is_coordinator

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
    collective's coordinators (``client_may_edit``). Anyone else: 403
    ``not_client_editor``. The currency is the currency of every job and
    invoice of the client, so it can change only while the client has no jobs
    (``currency_locked``). A changed time zone applies to jobs posted from
    then on; each job keeps its own.
    """
    if not client_may_edit(user=by, client=client):
        raise PermissionDenied(
            "Only the client's contacts (or, for a client a collective recorded, its "
            "coordinators) can change its details.",
            code="not_client_editor",
        )
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
    """Contacts may edit their client; coordinators the clients their collective recorded."""
    if is_client_contact(user, client.pk):
        return True
    return client.collective_id is not None and is_coordinator(user, client.collective_id)


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
    (``client_has_contacts``: they invite their own people).
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
    now = timezone.now()
    token = signing.dumps(
        {"c": client.pk, "e": address, "b": by.pk}, salt=CONTACT_INVITATION_SALT, compress=True
    )
    invitation = ContactInvitation(
        client=client, email=address, invited_by=by, expires_at=now + _max_age(), token=token
    )
    transaction.on_commit(lambda: _send_invitation_email(invitation))
    return invitation


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


def client_contact_invitation_resolve(*, token: str) -> ResolvedInvitation:
    """What a link names. Forged or damaged (``invalid_invitation_token``),
    expired (``invitation_expired``), or sent by someone who no longer acts
    for the client (``invitation_withdrawn``) is refused."""
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
    standing = inviter is not None and (
        is_client_contact(inviter, client.pk)
        or (client.collective_id is not None and is_coordinator(inviter, client.collective_id))
    )
    if inviter is None or not standing:
        raise Conflict(
            f"The person who sent this invitation no longer acts for {client.name}; "
            "ask one of its contacts for a new one.",
            code="invitation_withdrawn",
            field="token",
        )
    return ResolvedInvitation(client=client, email=address, invited_by=inviter)


def _bad_token() -> ValidationFailed:
    return ValidationFailed(
        "This invitation link is not valid; check that you copied all of it.",
        code="invalid_invitation_token",
        field="token",
    )


def client_contact_accept(*, token: str, user: User) -> ClientContact:
    """Start acting for the client the link names.

    Needs a confirmed email address (``email_unverified``) equal, ignoring
    case, to the invited one (``invitation_for_other_email``). Idempotent:
    someone who already acts for the client gets their contact row back.
    """
    invitation = client_contact_invitation_resolve(token=token)
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
    try:
        with transaction.atomic():
            contact, _ = ClientContact.objects.get_or_create(client=invitation.client, user=user)
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
