"""Writes to API tokens: issue, revoke, and note when one was last used."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from mutualist.api.models import ApiToken
from mutualist.api.selectors import token_hash
from mutualist.core.errors import PermissionDenied, ValidationFailed
from mutualist.members.models import User

# Tokens look like "mut_<43 url-safe characters>": the marker makes a leaked
# token easy to recognise (secret scanners, logs); the rest is 32 random bytes.
TOKEN_MARKER = "mut_"  # noqa: S105 -- a public marker, not a secret
TOKEN_BYTES = 32
PREFIX_LENGTH = 12  # "mut_" and 8 characters of the secret, shown in the UI
NAME_MAX_LENGTH = 80
# last_used_at is advisory ("used in the last minute"); writing it on every
# request would turn each API read into a write and contend on the row.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedToken:
    """A new token and its secret. The secret exists only here: show it once."""

    token: ApiToken
    secret: str


def api_token_create(*, user: User, name: str) -> IssuedToken:
    """Issue a personal API token for ``user``.

    Raises ``ValidationFailed`` (``required``, ``too_long``) on field ``name``.
    """
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(
            "Give the token a name, such as the script or laptop it is for.",
            code="required",
            field="name",
        )
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationFailed(
            f"Use at most {NAME_MAX_LENGTH} characters.", code="too_long", field="name"
        )
    secret = TOKEN_MARKER + secrets.token_urlsafe(TOKEN_BYTES)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=secret[:PREFIX_LENGTH], hash=token_hash(secret)
    )
    return IssuedToken(token=token, secret=secret)


def api_token_revoke(*, token: ApiToken, actor: User) -> ApiToken:
    """Revoke ``token`` for good. Revoking a revoked token changes nothing.

    Its owner may revoke it, and so may staff (the admin's "revoke" action, for a
    leaked token). Raises ``PermissionDenied`` (``not_your_token``) otherwise.
    """
    if token.user_id != actor.pk and not actor.is_staff:
        raise PermissionDenied("Only the token's owner can revoke it.", code="not_your_token")
    # Conditional update: the first revocation's time stands.
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    token.refresh_from_db(fields=["revoked_at"])
    return token


def api_token_record_use(*, token: ApiToken, now: dt.datetime | None = None) -> bool:
    """Note that ``token`` was used, at most once per ``LAST_USED_RESOLUTION``.

    One conditional UPDATE, no read-modify-write: of many concurrent requests
    only one matches the row in each minute. Returns whether it wrote.
    """
    now = now or timezone.now()
    updated = (
        ApiToken.objects.filter(pk=token.pk)
        .filter(Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_RESOLUTION))
        .update(last_used_at=now)
    )
    if updated:
        token.last_used_at = now
    return bool(updated)
