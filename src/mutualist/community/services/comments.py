"""Comments: submitted by anyone, held until trusted, moderated by the post's people.

``comment_submit`` checks everything a comment must satisfy before it spends
the visitor's arithmetic question, so a refusal for too many links or a bad
email leaves nothing behind and the form simply asks again. The order:

1. the honeypot (a field people never see) is empty;
2. the post is public and open to comments; the reply is to one of its shown comments;
3. name, email, website and body are valid; the body, cleaned by
   ``clean_comment_html``, is not empty, not too long, not too many links;
4. the address has not sent too many comments lately;
5. the question is answered (visitors only; signed-in members skip it).

Then the comment is stored: published at once when its author's email has an
approved comment already, or when a moderator of the post writes it; held
for moderation otherwise. The post's author hears of it by email after commit.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from mutualist.community.models import NAME_MAX, WEBSITE_MAX, Comment, Post
from mutualist.community.sanitize import clean_comment_html, plain_text
from mutualist.community.selectors import can_moderate, post_is_public
from mutualist.community.services.challenges import challenge_redeem
from mutualist.community.services.text import refuse_unstorable
from mutualist.core.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    TooManyAttempts,
    ValidationFailed,
)
from mutualist.members.models import User

HONEYPOT = "This comment looks automated, so it was not accepted."
# Anything that reads as a link to a person or a crawler, in the cleaned body:
# a URL with a scheme (in an attribute or in the text) or a bare www. address.
_LINK = re.compile(r"""(?i)(?:https?://|mailto:|\bwww\.)[^\s"'<>]*""")


def address_digest(address: str) -> str:
    """A keyed hash of a client address: enough to count, never the address.

    An IPv6 address counts by its /64 network: one home or one server gets a
    whole /64, so counting each /128 would give it an endless budget.
    """
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        key = address or "-"
    else:
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped  # ::ffff:192.0.2.1 is that IPv4 address
        if isinstance(ip, ipaddress.IPv6Address):
            key = str(ipaddress.IPv6Network((ip, 64), strict=False))
        else:
            key = str(ip)
    return salted_hmac("mutualist.community.address", key, algorithm="sha256").hexdigest()


def _count_links(cleaned: str) -> int:
    return len({m.group(0).rstrip(".,;:!?)").lower() for m in _LINK.finditer(cleaned)})


def _clean_name(name: str) -> str:
    refuse_unstorable(name or "", field="name")
    name = " ".join((name or "").split())
    if not name:
        raise ValidationFailed("Please give your name.", code="required", field="name")
    if len(name) > NAME_MAX:
        raise ValidationFailed(
            f"The name is too long: at most {NAME_MAX} characters.", code="too_long", field="name"
        )
    return name


def _clean_email(email: str) -> str:
    refuse_unstorable(email or "", field="email")
    email = (email or "").strip()
    if not email:
        raise ValidationFailed(
            "Please give your email address (it is never published).",
            code="required",
            field="email",
        )
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationFailed(
            "That is not an email address.", code="invalid_email", field="email"
        ) from None
    # A quoted local part ("?cc=x@evil"@example.com) is valid mail syntax but
    # no one's real address, and it would carry headers into a mailto: link.
    if '"' in email or "\\" in email:
        raise ValidationFailed(
            "That is not an email address we accept.", code="invalid_email", field="email"
        )
    return email


def _clean_website(website: str) -> str:
    refuse_unstorable(website or "", field="website")
    website = (website or "").strip()
    if not website:
        return ""
    if len(website) > WEBSITE_MAX:
        raise ValidationFailed(
            f"The website address is too long: at most {WEBSITE_MAX} characters.",
            code="too_long",
            field="website",
        )
    try:
        URLValidator(schemes=["http", "https"])(website)
    except ValidationError:
        raise ValidationFailed(
            "A website must be an address starting with http:// or https://.",
            code="invalid_website",
            field="website",
        ) from None
    return website


def clean_comment_body(body: str, *, check_links: bool = True) -> str:
    """The body as it will be stored, or the refusal a commenter should read.

    ``check_links=False`` for a moderator's edit: the links limit is against
    spam, and a moderator's correction is not spam.
    """
    limit = settings.COMMUNITY_COMMENT_MAX_CHARS
    raw = refuse_unstorable((body or "").strip(), field="body", allow_nul=True)
    if len(raw) > limit:
        raise ValidationFailed(
            f"The comment is too long: at most {limit:,} characters (it has {len(raw):,}).",
            code="too_long",
            field="body",
        )
    cleaned = clean_comment_html(raw).strip()
    if not plain_text(cleaned):
        raise ValidationFailed("Please write a comment.", code="empty_comment", field="body")
    if not check_links:
        return cleaned
    links = _count_links(cleaned)
    if links > settings.COMMUNITY_COMMENT_MAX_LINKS:
        raise ValidationFailed(
            f"A comment may have at most {settings.COMMUNITY_COMMENT_MAX_LINKS} links "
            f"(this one has {links}): links are how spam spreads.",
            code="too_many_links",
            field="body",
        )
    return cleaned


def _check_rate(*, digest: str, now: dt.datetime) -> None:
    window = dt.timedelta(seconds=settings.COMMUNITY_COMMENT_RATE_WINDOW_SECONDS)
    recent = Comment.objects.filter(address_digest=digest, created_at__gt=now - window).count()
    if recent >= settings.COMMUNITY_COMMENT_RATE_LIMIT:
        minutes = max(1, round(window.total_seconds() / 60))
        raise TooManyAttempts(
            f"Too many comments from your address: please wait a few minutes "
            f"(at most {settings.COMMUNITY_COMMENT_RATE_LIMIT} in {minutes} minutes).",
            code="rate_limited",
        )


def _parent(*, post: Post, parent_id: int | None) -> Comment | None:
    if parent_id is None:
        return None
    parent = Comment.objects.filter(pk=parent_id, post=post, status=Comment.Status.APPROVED).first()
    if parent is None:
        raise ValidationFailed(
            "You can only reply to a comment shown on this post.",
            code="invalid_parent",
            field="parent",
        )
    return parent


def _trusted(*, name: str, email: str, user: User | None, post: Post) -> bool:
    """Whether the comment is published at once rather than held.

    A signed-in member: when they moderate the post, or once a comment of
    theirs (signed in) was approved. A visitor: once a visitor's comment with
    the same name and email was approved (as WordPress has it), and never
    under the email of an account: anyone can type a member's address, which
    is easy to guess, so the member must sign in to be trusted.
    """
    if user is not None:
        if can_moderate(user=user, post=post):
            return True
        return Comment.objects.filter(user=user, status=Comment.Status.APPROVED).exists()
    if User.objects.filter(email__iexact=email).exists():
        return False
    return Comment.objects.filter(
        user__isnull=True,
        email__iexact=email,
        name__iexact=name,
        status=Comment.Status.APPROVED,
    ).exists()


def comment_submit(
    *,
    post: Post,
    body: str,
    address: str,
    name: str = "",
    email: str = "",
    website: str = "",
    parent_id: int | None = None,
    user: User | None = None,
    challenge: str = "",
    answer: str = "",
    honeypot: str = "",
    now: dt.datetime | None = None,
) -> Comment:
    """Store a comment on ``post`` from ``address`` (the client's IP address).

    A signed-in ``user`` comments under their name unless they give another,
    always with their account's email, and skips the question; a visitor
    must answer the question ``challenge`` names. Call it outside a
    transaction: the question is spent in a transaction of its own.
    """
    now = now or timezone.now()
    if honeypot.strip():
        raise ValidationFailed(HONEYPOT, code="honeypot")
    if not post_is_public(post, now=now):
        raise NotFound("No such post.", code="not_found")
    if not post.comments_open:
        raise Conflict("Comments on this post are closed.", code="comments_closed")
    parent = _parent(post=post, parent_id=parent_id)
    if user is not None:
        name = _clean_name(name or user.display_name)
        email = user.email
    else:
        name = _clean_name(name)
        email = _clean_email(email)
    website = _clean_website(website)
    cleaned = clean_comment_body(body)
    digest = address_digest(address)
    _check_rate(digest=digest, now=now)
    if user is None:
        challenge_redeem(signed=challenge, answer=answer, now=now)
    status = (
        Comment.Status.APPROVED
        if _trusted(name=name, email=email, user=user, post=post)
        else Comment.Status.PENDING
    )
    with transaction.atomic():
        comment = Comment.objects.create(
            post=post,
            parent=parent,
            user=user,
            name=name,
            email=email,
            website=website,
            body=cleaned,
            status=status,
            address_digest=digest,
        )
        if user is None or user.pk != post.author_id:
            from mutualist.community import emails

            comment_id = comment.pk
            transaction.on_commit(lambda: emails.comment_received(comment_id))
    return comment


# --- Moderation -------------------------------------------------------------------

ACTIONS = {
    "approve": Comment.Status.APPROVED,
    "spam": Comment.Status.SPAM,
    "trash": Comment.Status.TRASH,
    "unapprove": Comment.Status.PENDING,
}


def _require_moderator(*, comment: Comment, moderator: User) -> None:
    if not can_moderate(user=moderator, post=comment.post):
        raise PermissionDenied(
            "Only the post's author and its collective's coordinators moderate its comments.",
            code="not_moderator",
        )


def comment_moderate(
    *, comment: Comment, moderator: User, action: str, now: dt.datetime | None = None
) -> Comment:
    """Approve, mark as spam, trash, or hold again (``unapprove``) a comment.

    Doing what is already done changes nothing and is not an error (two
    moderators clicking at once both see the result they wanted).
    """
    if action not in ACTIONS:
        raise ValidationFailed(
            f"Unknown action “{action}”: one of {', '.join(ACTIONS)}.",
            code="invalid_action",
            field="action",
        )
    _require_moderator(comment=comment, moderator=moderator)
    status = ACTIONS[action]
    now = now or timezone.now()
    # A conditional update: the row changes once however many moderators click.
    Comment.objects.filter(pk=comment.pk).filter(~Q(status=status)).update(
        status=status, moderated_at=now, moderated_by=moderator
    )
    comment.refresh_from_db()
    return comment


def comment_edit(
    *,
    comment: Comment,
    moderator: User,
    body: str,
    name: str,
    website: str = "",
    now: dt.datetime | None = None,
) -> Comment:
    """A moderator's correction of a comment's name, website or text
    (cleaned like a new comment; the links limit does not apply to a moderator)."""
    _require_moderator(comment=comment, moderator=moderator)
    name = _clean_name(name)
    website = _clean_website(website)
    try:
        cleaned = clean_comment_body(body, check_links=False)
    except ValidationFailed as exc:
        if exc.code != "empty_comment":
            raise
        raise ValidationFailed(
            "A comment cannot be empty: trash it instead.", code="empty_comment", field="body"
        ) from None
    Comment.objects.filter(pk=comment.pk).update(
        name=name, website=website, body=cleaned, edited_at=now or timezone.now()
    )
    comment.refresh_from_db()
    return comment
