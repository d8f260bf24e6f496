"""A member's private calendar feed: issue (create or rotate), revoke, find by
token, and note its use.

The feed's URL carries a random token (``secrets.token_urlsafe(32)``); only
its SHA-256 digest is stored, so the database cannot give the URL away, and
the token is shown once, when it is issued. Issuing again replaces it (the old
URL stops working at once); revoking deletes the row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from mutualist.members.models import User
from mutualist.work.models import CalendarFeed

TOKEN_BYTES = 32
# A calendar app polls the feed every few minutes to hours; noting each poll
# would turn every read into a write. "Used within the last hour" is enough.
LAST_USED_RESOLUTION = dt.timedelta(hours=1)
# token_urlsafe(32) gives 43 characters; anything far off that is not a token.
_TOKEN_MAX_LENGTH = 128


@dataclass(frozen=True)
class IssuedFeed:
    """A feed and the token of its URL. The token exists only here: show it once."""

    feed: CalendarFeed
    token: str
    rotated: bool  # an earlier URL was replaced


def feed_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def calendar_feed_of(*, user: User) -> CalendarFeed | None:
    """``user``'s own feed, if they have one."""
    return CalendarFeed.objects.filter(user=user).first()


def calendar_feed_issue(*, user: User) -> IssuedFeed:
    """Give ``user`` a feed with a new secret URL: create it, or, if they
    have one, rotate its token (the old URL stops working; ``created_at``
    becomes now and ``last_used_at`` is cleared, since they describe the URL).

    Safe under concurrency: two first issues at once make one feed (the later
    rotates the earlier's token). Call inside ``transaction.atomic()``.
    """
    token = secrets.token_urlsafe(TOKEN_BYTES)
    digest = feed_token_hash(token)
    now = timezone.now()
    fields = {"token_hash": digest, "created_at": now, "last_used_at": None}
    rotated = bool(CalendarFeed.objects.filter(user=user).update(**fields))
    if not rotated:
        try:
            with transaction.atomic():
                CalendarFeed.objects.create(user=user, **fields)
        except IntegrityError:
            # Another request made this member's feed between our UPDATE and
            # INSERT (the one-feed-per-user constraint said no): ours replaces it.
            rotated = bool(CalendarFeed.objects.filter(user=user).update(**fields))
            if not rotated:  # pragma: no cover -- and it was revoked again meanwhile
                raise
    return IssuedFeed(feed=CalendarFeed.objects.get(user=user), token=token, rotated=rotated)


def calendar_feed_revoke(*, user: User) -> bool:
    """Delete ``user``'s feed: its URL answers 404 from now on. Returns whether
    there was one (revoking twice changes nothing)."""
    deleted, _ = CalendarFeed.objects.filter(user=user).delete()
    return bool(deleted)


def calendar_feed_find(*, token: str) -> CalendarFeed | None:
    """The feed whose URL carries ``token`` (with its user and profile), or
    ``None`` for an unknown or revoked token, or an inactive account."""
    if not token or len(token) > _TOKEN_MAX_LENGTH:
        return None
    return (
        CalendarFeed.objects.select_related("user", "user__profile")
        .filter(token_hash=feed_token_hash(token), user__is_active=True)
        .first()
    )


def calendar_feed_record_use(*, feed: CalendarFeed, now: dt.datetime | None = None) -> bool:
    """Note that ``feed`` was read, at most once per ``LAST_USED_RESOLUTION``.

    Reads the loaded row first so most polls write nothing, then one
    conditional UPDATE: of concurrent polls only one matches. Returns whether
    it wrote.
    """
    now = now or timezone.now()
    threshold = now - LAST_USED_RESOLUTION
    if feed.last_used_at is not None and feed.last_used_at > threshold:
        return False
    updated = (
        CalendarFeed.objects.filter(pk=feed.pk, token_hash=feed.token_hash)
        .filter(Q(last_used_at__isnull=True) | Q(last_used_at__lte=threshold))
        .update(last_used_at=now)
    )
    if updated:
        feed.last_used_at = now
    return bool(updated)
