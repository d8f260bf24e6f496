"""Member accounts: sign-up, verification of the login email, and its change.

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
EMAIL_VERIFY_SALT = "members.email_verify"
# Used until settings.py defines EMAIL_VERIFY_MAX_AGE_HOURS.
_EMAIL_VERIFY_MAX_AGE_HOURS_DEFAULT = 72

_HANDLE_MAX_LENGTH = 60
# Room left for a "-<n>" suffix when the handle is already taken.
_HANDLE_BASE_MAX_LENGTH = _HANDLE_MAX_LENGTH - 8
_DISPLAY_NAME_MAX_LENGTH = 80
_EMAIL_MAX_LENGTH = 254
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
    # validate_email accepts up to 320 characters, the columns hold 254 (RFC 5321's
    # limit): PostgreSQL would fail the INSERT (a 500), SQLite would store it.
    if len(value) > _EMAIL_MAX_LENGTH:
        raise ValidationFailed(
            f"Use at most {_EMAIL_MAX_LENGTH} characters.", code="too_long", field=field
        )
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
def user_signup(
    *,
    email: str,
    password: str,
    display_name: str,
    timezone: str = "UTC",
    request_base_url: str | None = None,
) -> User:
    """Create a member's login and public profile.

    The email is stored lower-case and must not belong to anyone yet, in any
    case. The password must pass every validator in AUTH_PASSWORD_VALIDATORS.
    The profile gets a unique ``handle`` made from the display name
    ("Ana Cruz" -> "ana-cruz", then "ana-cruz-2", ...).

    The address starts unverified: once the transaction commits, a
    verification link goes to it (see ``email_verification_send``; the link
    points at ``request_base_url``, default ``settings.SITE_URL``).

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
    email_verification_send(user=user, request_base_url=request_base_url)
    return user


# --- verification of the login email -------------------------------------------------


def _email_verify_max_age_hours() -> int:
    return int(getattr(settings, "EMAIL_VERIFY_MAX_AGE_HOURS", _EMAIL_VERIFY_MAX_AGE_HOURS_DEFAULT))


def email_verification_token(*, user: User) -> str:
    """A signed token naming ``user`` and the address it is mailed to.

    It carries the address, so a link mailed before an email change stops
    working once the login email is different: it proves control of the old
    mailbox, not the new one.
    """
    return signing.dumps({"u": user.pk, "e": user.email}, salt=EMAIL_VERIFY_SALT)


def email_verification_send(*, user: User, request_base_url: str | None = None) -> None:
    """Mail ``user`` a link that verifies their current login email.

    The mail goes out when the surrounding transaction commits (at once
    outside one); a new link does not revoke earlier ones, each works within
    ``EMAIL_VERIFY_MAX_AGE_HOURS``. ``request_base_url`` is the scheme and host
    the link points at, e.g. ``https://mutualist.example``; default
    ``settings.SITE_URL``.

    Raises ``Conflict`` (``already_verified``) if the address is verified.
    """
    if user.email_verified:
        raise Conflict("Your email address is already confirmed.", code="already_verified")

    base_url = request_base_url or settings.SITE_URL
    verify_url = base_url.rstrip("/") + reverse(
        "members:email_verify", kwargs={"token": email_verification_token(user=user)}
    )
    context = {
        "user": user,
        "email": user.email,
        "verify_url": verify_url,
        "max_age_hours": _email_verify_max_age_hours(),
        "site_name": settings.SITE_NAME,
    }
    user_id, email = user.pk, user.email

    def send_unless_verified_meanwhile() -> None:
        # Whoever creates an account and proves the address in one transaction
        # (an accepted invitation, the demo loader, test fixtures) has no use
        # for the link; mailing it anyway would be noise, or mail to made-up
        # addresses.
        if User.objects.filter(pk=user_id, email=email, email_verified_at__isnull=True).exists():
            _send(template="email_verify", to=email, context=context)

    transaction.on_commit(send_unless_verified_meanwhile)


def email_verify(*, token: str) -> User:
    """Mark the login email the token was mailed to as verified; return the user.

    Works within ``EMAIL_VERIFY_MAX_AGE_HOURS`` of the token being made, and
    only while the login email is still the address it was mailed to. Using a
    token again once verified is harmless: the user comes back unchanged.

    Raises ``ValidationFailed`` (``invalid_token``, ``expired_token``).
    """
    invalid = ValidationFailed(
        "This confirmation link is not valid. Log in to ask for a new one.",
        code="invalid_token",
    )
    try:
        payload = signing.loads(
            token,
            salt=EMAIL_VERIFY_SALT,
            max_age=timedelta(hours=_email_verify_max_age_hours()),
        )
    except signing.SignatureExpired:  # a subclass of BadSignature: catch it first
        raise ValidationFailed(
            "This confirmation link has expired. Log in to ask for a new one.",
            code="expired_token",
        ) from None
    except signing.BadSignature:
        raise invalid from None
    user_id = payload.get("u") if isinstance(payload, dict) else None
    email = payload.get("e") if isinstance(payload, dict) else None
    if not isinstance(user_id, int) or not isinstance(email, str):
        raise invalid
    user = User.objects.filter(pk=user_id).first()
    if user is None or user.email != email:
        # The account is gone, or its login email changed since the link went out.
        raise invalid
    if user.email_verified:
        return user

    now = django_timezone.now()
    # Conditional update: an email change committed since the read above
    # leaves the row unmatched, so the token never verifies an address it was
    # not mailed to.
    verified = User.objects.filter(pk=user.pk, email=email, email_verified_at__isnull=True).update(
        email_verified_at=now
    )
    if verified == 1:
        user.email_verified_at = now
        return user
    user.refresh_from_db(fields=["email", "email_verified_at"])
    if user.email == email and user.email_verified:
        return user  # verified meanwhile by a concurrent request: same outcome
    raise invalid


def email_mark_verified(*, user: User) -> None:
    """Record that ``user`` controls the mailbox at ``user.email``.

    For callers that hold other proof than a verification token, such as a
    link mailed to that exact address being followed (an invitation). The
    caller must check the proof is for ``user.email``. Idempotent: an
    address verified earlier keeps its first time. If the login email changed
    since ``user`` was read, nothing is marked: the proof was for the old one.
    """
    now = django_timezone.now()
    verified = User.objects.filter(
        pk=user.pk, email=user.email, email_verified_at__isnull=True
    ).update(email_verified_at=now)
    if verified == 1:
        user.email_verified_at = now
    else:
        user.refresh_from_db(fields=["email_verified_at"])


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
def email_change_request(
    *, user: User, new_email: str, current_password: str, request_base_url: str
) -> EmailChange:
    """Start a change of ``user``'s login email; nothing changes until it is confirmed.

    ``current_password`` must be the user's password: whoever holds only a
    session left open or an API token cannot move the account to a mailbox of
    theirs (and then reset the password through it). It is checked before
    anything else, so a wrong one learns nothing about other accounts' addresses.

    Sends, once the transaction commits, a confirmation link (a signed token,
    valid for ``EMAIL_CHANGE_MAX_AGE_HOURS``) to the new address and a notice
    to the current one, so an owner whose session was hijacked hears of it.
    A new request replaces the user's earlier unconfirmed ones: their links
    stop working.

    ``request_base_url`` is the scheme and host the link points at,
    e.g. ``https://mutualist.example``.

    Raises ``ValidationFailed`` (``wrong_password`` on field
    ``current_password``; ``invalid_email``, ``too_long``, ``same_email`` on
    ``new_email``) or ``Conflict`` (``email_taken``, on ``new_email``).
    """
    if not user.check_password(current_password):
        raise ValidationFailed(
            "Your password is not correct.", code="wrong_password", field="current_password"
        )
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
    """Switch the login email to the address the token was sent to, verified.

    Following the link proves control of the new mailbox, so the new address
    counts as verified from the same moment. Each token works once, within
    ``EMAIL_CHANGE_MAX_AGE_HOURS`` of the request. The address must still be
    free at the moment of confirming.

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
            now = django_timezone.now()
            claimed = EmailChange.objects.filter(pk=change.pk, confirmed_at__isnull=True).update(
                confirmed_at=now
            )
            if claimed != 1:
                raise _token_used_error()
            user.email = change.new_email
            user.email_verified_at = now
            user.save(update_fields=["email", "email_verified_at"])
    except IntegrityError:
        # Someone signed up with the address after our check above.
        raise _email_taken_error("new_email") from None
    return user


def _token_used_error() -> Conflict:
    return Conflict("This confirmation link has already been used.", code="token_used", field=None)
