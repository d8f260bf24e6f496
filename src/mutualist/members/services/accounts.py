"""Member accounts: sign-up and change of login email.

Every function here validates first and writes second, so a raised
``DomainError`` always means nothing was written. Emails go out through
``transaction.on_commit``: a rolled-back change never mails anyone.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.core import signing
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone as django_timezone
from django.utils.text import slugify

from mutualist.core.errors import Conflict, ValidationFailed
from mutualist.core.reference import validate_timezone
from mutualist.members.models import EmailChange, Profile, User

EMAIL_CHANGE_SALT = "members.email_change"

_HANDLE_MAX_LENGTH = 60
# Room left for a "-<n>" suffix when the handle is already taken.
_HANDLE_BASE_MAX_LENGTH = _HANDLE_MAX_LENGTH - 8
_DISPLAY_NAME_MAX_LENGTH = 80
# A handle collides only when two sign-ups race for the same name; a few retries
# with a fresh suffix absorb that without failing the sign-up.
_HANDLE_ATTEMPTS = 5


def _email_normalize(*, email: str, field: str = "email") -> str:
    """Return the address trimmed and lower-cased, or refuse a malformed one.

    Addresses are stored lower-case so that login, uniqueness and password
    reset all agree on what "the same address" means.
    """
    value = (email or "").strip().lower()
    try:
        validate_email(value)
    except DjangoValidationError:
        raise ValidationFailed(
            "Enter a valid email address.", code="invalid_email", field=field
        ) from None
    return value


def _email_taken(email: str, *, exclude_user_id: int | None = None) -> bool:
    users = User.objects.filter(email__iexact=email)
    if exclude_user_id is not None:
        users = users.exclude(pk=exclude_user_id)
    return users.exists()


def _email_taken_error(field: str) -> Conflict:
    return Conflict(
        "An account with this email address already exists.", code="email_taken", field=field
    )


def _handle_base(display_name: str) -> str:
    # slugify() drops what it cannot transliterate to ASCII ("李雷" -> ""), so a
    # name made only of such characters still gets a usable handle.
    base = slugify(display_name)[:_HANDLE_BASE_MAX_LENGTH].strip("-")
    return base or "member"


def _handle_candidates(base: str) -> list[str]:
    """Free handles for ``base`` in order of preference: base, base-2, base-3, ..."""
    taken = set(Profile.objects.filter(handle__startswith=base).values_list("handle", flat=True))
    candidates: list[str] = []
    suffix = 1
    while len(candidates) < _HANDLE_ATTEMPTS:
        handle = base if suffix == 1 else f"{base}-{suffix}"
        if handle not in taken:
            candidates.append(handle)
        suffix += 1
    return candidates


@transaction.atomic
def user_signup(*, email: str, password: str, display_name: str, timezone: str = "UTC") -> User:
    """Create a member's login and public profile.

    The email is stored lower-case and must not belong to anyone yet, in any
    case. The password must pass every validator in AUTH_PASSWORD_VALIDATORS.
    The profile gets a unique ``handle`` made from the display name
    ("Ana Cruz" -> "ana-cruz", then "ana-cruz-2", ...).

    Raises ``ValidationFailed`` (fields ``email``, ``display_name``,
    ``timezone``, ``password``) or ``Conflict`` (``email_taken``).
    """
    email = _email_normalize(email=email)
    display_name = (display_name or "").strip()
    if not display_name:
        raise ValidationFailed(
            "Enter the name other members will see.", code="required", field="display_name"
        )
    if len(display_name) > _DISPLAY_NAME_MAX_LENGTH:
        raise ValidationFailed(
            f"Use at most {_DISPLAY_NAME_MAX_LENGTH} characters.",
            code="too_long",
            field="display_name",
        )
    timezone = validate_timezone(timezone)
    try:
        # The similarity validator compares the password with the email address.
        password_validation.validate_password(password, user=User(email=email))
    except DjangoValidationError as exc:
        raise ValidationFailed(
            " ".join(exc.messages), code="weak_password", field="password"
        ) from None
    if _email_taken(email):
        raise _email_taken_error("email")

    try:
        # A savepoint, so that losing a race for the address to a concurrent
        # sign-up (the case-insensitive unique constraint) leaves the outer
        # transaction usable and the caller gets the same Conflict.
        with transaction.atomic():
            user = User.objects.create_user(email=email, password=password)
    except IntegrityError:
        raise _email_taken_error("email") from None

    for handle in _handle_candidates(_handle_base(display_name)):
        try:
            with transaction.atomic():
                Profile.objects.create(
                    user=user, handle=handle, display_name=display_name, timezone=timezone
                )
        except IntegrityError:
            continue  # another sign-up took this handle between our read and write
        break
    else:
        raise Conflict(
            "Could not find a free profile handle; please try again.",
            code="handle_unavailable",
            field="display_name",
        )
    return user


def _email_change_token(change: EmailChange) -> str:
    return signing.dumps({"change": change.pk}, salt=EMAIL_CHANGE_SALT)


def _send(*, template: str, to: str, context: dict[str, Any]) -> None:
    subject = render_to_string(f"members/accounts/email/{template}_subject.txt", context)
    body = render_to_string(f"members/accounts/email/{template}_body.txt", context)
    send_mail(
        subject=" ".join(subject.split()),  # a header: one line, no stray newlines
        message=body,
        from_email=None,
        recipient_list=[to],
    )


@transaction.atomic
def email_change_request(*, user: User, new_email: str, request_base_url: str) -> EmailChange:
    """Start a change of ``user``'s login email; nothing changes until it is confirmed.

    Sends, once the transaction commits, a confirmation link (a signed token,
    valid for ``EMAIL_CHANGE_MAX_AGE_HOURS``) to the new address and a notice
    to the current one, so an owner whose session was hijacked hears of it.
    A new request replaces the user's earlier unconfirmed ones: their links
    stop working.

    ``request_base_url`` is the scheme and host the link points at,
    e.g. ``https://mutualist.example``.

    Raises ``ValidationFailed`` (``invalid_email``, ``same_email``) or
    ``Conflict`` (``email_taken``), all on field ``new_email``.
    """
    new_email = _email_normalize(email=new_email, field="new_email")
    if new_email == user.email.lower():
        raise ValidationFailed(
            "This is already your login email address.", code="same_email", field="new_email"
        )
    if _email_taken(new_email, exclude_user_id=user.pk):
        raise _email_taken_error("new_email")

    EmailChange.objects.filter(user=user, confirmed_at__isnull=True).delete()
    change = EmailChange.objects.create(user=user, new_email=new_email)

    confirm_url = request_base_url.rstrip("/") + reverse(
        "members:email_change_confirm", kwargs={"token": _email_change_token(change)}
    )
    context = {
        "user": user,
        "new_email": new_email,
        "confirm_url": confirm_url,
        "max_age_hours": settings.EMAIL_CHANGE_MAX_AGE_HOURS,
        "site_name": settings.SITE_NAME,
    }
    old_email = user.email
    transaction.on_commit(
        lambda: _send(template="email_change_confirm", to=new_email, context=context)
    )
    transaction.on_commit(
        lambda: _send(template="email_change_notice", to=old_email, context=context)
    )
    return change


def email_change_confirm(*, token: str) -> User:
    """Switch the login email to the address the token was sent to.

    Each token works once, within ``EMAIL_CHANGE_MAX_AGE_HOURS`` of the
    request. The address must still be free at the moment of confirming.

    Raises ``ValidationFailed`` (``invalid_token``, ``expired_token``) or
    ``Conflict`` (``token_used``, ``email_taken``).
    """
    invalid = ValidationFailed(
        "This confirmation link is not valid. Ask for a new one from your account page.",
        code="invalid_token",
    )
    try:
        payload = signing.loads(
            token,
            salt=EMAIL_CHANGE_SALT,
            max_age=timedelta(hours=settings.EMAIL_CHANGE_MAX_AGE_HOURS),
        )
    except signing.SignatureExpired:  # a subclass of BadSignature: catch it first
        raise ValidationFailed(
            "This confirmation link has expired. Ask for a new one from your account page.",
            code="expired_token",
        ) from None
    except signing.BadSignature:
        raise invalid from None
    change_id = payload.get("change") if isinstance(payload, dict) else None
    if not isinstance(change_id, int):
        raise invalid
    change = EmailChange.objects.select_related("user").filter(pk=change_id).first()
    if change is None:
        # Replaced by a newer request, or the account is gone.
        raise invalid
    if change.confirmed_at is not None:
        raise _token_used_error()
    user = change.user
    if _email_taken(change.new_email, exclude_user_id=user.pk):
        raise _email_taken_error("new_email")

    try:
        with transaction.atomic():
            # Conditional update: of two concurrent confirmations only one
            # matches the row, so the token is spent exactly once.
            claimed = EmailChange.objects.filter(pk=change.pk, confirmed_at__isnull=True).update(
                confirmed_at=django_timezone.now()
            )
            if claimed != 1:
                raise _token_used_error()
            user.email = change.new_email
            user.save(update_fields=["email"])
    except IntegrityError:
        # Someone signed up with the address after our check above.
        raise _email_taken_error("new_email") from None
    return user


def _token_used_error() -> Conflict:
    return Conflict("This confirmation link has already been used.", code="token_used", field=None)
