"""Reads of API tokens, scoped to their owner."""

from __future__ import annotations

import hashlib

from django.db.models import QuerySet
from django.http import Http404

from mutualist.api.models import ApiToken
from mutualist.members.models import User


def token_hash(secret: str) -> str:
    """SHA-256 hex of the whole token (see ``ApiToken.hash`` for why a fast hash)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def api_token_list_for_user(*, user: User) -> QuerySet[ApiToken]:
    """The user's usable tokens, newest first; revoked ones are gone for good."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).order_by(
        "-created_at", "-pk"
    )


def api_token_get_for_user(*, user: User, token_id: int) -> ApiToken:
    """One of the user's own tokens (revoked or not); 404 for anyone else's."""
    try:
        return ApiToken.objects.get(user=user, pk=token_id)
    except ApiToken.DoesNotExist:
        raise Http404("No such token.") from None


def api_token_find_active(*, secret: str) -> ApiToken | None:
    """The token whose hash matches, if it is usable: not revoked, owner active.

    Looking the token up by its hash (a unique index) leaks nothing through
    timing that helps a guesser: they would need a preimage of SHA-256.
    """
    if not secret:
        return None
    return (
        ApiToken.objects.select_related("user")
        .filter(hash=token_hash(secret), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
