"""Writing posts: a member writes, optionally for a collective they belong to.

Only the author edits or deletes a post. The slug is made from the title once
and kept when the title changes, so shared links keep working; a slug that
would shadow one of the blog's own pages (``write``, ``feed``…) gets a suffix.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from mutualist.collectives.models import Collective, Membership
from mutualist.community.models import (
    BODY_MAX,
    EXCERPT_MAX,
    SLUG_MAX,
    TAG_MAX,
    TITLE_MAX,
    Post,
    Tag,
)
from mutualist.community.services.text import refuse_unstorable
from mutualist.core.errors import PermissionDenied, ValidationFailed
from mutualist.members.models import User

# The blog's own paths under /blog/: a post may not take one as its slug.
RESERVED_SLUGS = frozenset(
    {"write", "mine", "moderation", "feed", "tags", "comments", "page", "new", "drafts"}
)
TAGS_MAX = 10
FIRST_YEAR, LAST_YEAR = 1900, 9998


def _clean_text(value: str, *, field: str, label: str, max_length: int, required: bool) -> str:
    refuse_unstorable(value or "", field=field)
    value = " ".join((value or "").split()) if field != "body" else (value or "").strip()
    if required and not value:
        raise ValidationFailed(f"{label} is required.", code="required", field=field)
    if len(value) > max_length:
        raise ValidationFailed(
            f"{label} is too long: at most {max_length:,} characters (it has {len(value):,}).",
            code="too_long",
            field=field,
        )
    return value


def _clean_tags(names: Sequence[str]) -> list[str]:
    cleaned: dict[str, str] = {}
    for raw in names:
        refuse_unstorable(raw or "", field="tags")
        name = " ".join((raw or "").split()).strip("#")
        if not name:
            continue
        if len(name) > TAG_MAX:
            raise ValidationFailed(
                f"The tag “{name[:20]}…” is too long: at most {TAG_MAX} characters.",
                code="invalid_tag",
                field="tags",
            )
        slug = slugify(name)
        if not slug:
            raise ValidationFailed(
                f"The tag “{name}” needs a letter or a digit.", code="invalid_tag", field="tags"
            )
        cleaned.setdefault(slug, name)
    if len(cleaned) > TAGS_MAX:
        raise ValidationFailed(
            f"At most {TAGS_MAX} tags per post.", code="too_many_tags", field="tags"
        )
    return list(cleaned.values())


def _tags(names: list[str]) -> list[Tag]:
    tags = []
    for name in names:
        slug = slugify(name)
        # get_or_create retries the read when another request created it first.
        tag, _ = Tag.objects.get_or_create(slug=slug, defaults={"name": name})
        tags.append(tag)
    return tags


def _check_collective(*, author: User, collective: Collective | None) -> None:
    if collective is None:
        return
    if not Membership.objects.filter(
        user=author, collective=collective, state=Membership.State.ACTIVE
    ).exists():
        # Input at fault, as billing's not_a_member: 422 on the collective field.
        raise ValidationFailed(
            "You can write on behalf of a collective only while you are one of its members.",
            code="not_a_member",
            field="collective",
        )


def _unique_slug(title: str, *, exclude_pk: int | None = None) -> str:
    base = slugify(title)[: SLUG_MAX - 8].strip("-") or "post"
    slug, n = base, 1
    taken = Post.objects.exclude(pk=exclude_pk) if exclude_pk else Post.objects.all()
    while slug in RESERVED_SLUGS or taken.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _publication(
    *, status: str, published_at: dt.datetime | None, current: dt.datetime | None, now: dt.datetime
) -> dt.datetime | None:
    # A date near year 1 or 9999 overflows on its way to UTC (and means nothing).
    if published_at is not None and not (
        FIRST_YEAR <= published_at.year <= LAST_YEAR and timezone.is_aware(published_at)
    ):
        raise ValidationFailed(
            f"A publication date must be between {FIRST_YEAR} and {LAST_YEAR}, with its time zone.",
            code="invalid_date",
            field="published_at",
        )
    if status not in Post.Status.values:
        raise ValidationFailed(
            "A post is either a draft or published.", code="invalid_status", field="status"
        )
    if status == Post.Status.DRAFT:
        return published_at  # a draft may carry the date it is meant for
    return published_at or current or now


def post_create(
    *,
    author: User,
    title: str,
    body: str,
    excerpt: str = "",
    tags: Sequence[str] = (),
    collective: Collective | None = None,
    status: str = Post.Status.DRAFT,
    published_at: dt.datetime | None = None,
    comments_open: bool = True,
    now: dt.datetime | None = None,
) -> Post:
    """A new post by ``author``; published now unless given a date or kept a draft."""
    now = now or timezone.now()
    title = _clean_text(title, field="title", label="A title", max_length=TITLE_MAX, required=True)
    body = _clean_text(body, field="body", label="The post", max_length=BODY_MAX, required=True)
    excerpt = _clean_text(
        excerpt, field="excerpt", label="The summary", max_length=EXCERPT_MAX, required=False
    )
    tag_names = _clean_tags(tags)
    _check_collective(author=author, collective=collective)
    when = _publication(status=status, published_at=published_at, current=None, now=now)
    fields = {
        "author": author,
        "collective": collective,
        "title": title,
        "body": body,
        "excerpt": excerpt,
        "status": status,
        "published_at": when,
        "comments_open": comments_open,
    }
    with transaction.atomic():
        try:
            with transaction.atomic():  # a savepoint: two posts of one title at once
                post = Post.objects.create(slug=_unique_slug(title), **fields)
        except IntegrityError:
            post = Post.objects.create(
                slug=f"{_unique_slug(title)}-{secrets.token_hex(3)}", **fields
            )
        post.tags.set(_tags(tag_names))
    return post


def post_update(
    *,
    post: Post,
    editor: User,
    title: str,
    body: str,
    excerpt: str = "",
    tags: Sequence[str] = (),
    collective: Collective | None = None,
    status: str = Post.Status.DRAFT,
    published_at: dt.datetime | None = None,
    comments_open: bool = True,
    now: dt.datetime | None = None,
) -> Post:
    """Replace what the author wrote. Only the author may; the slug stays."""
    if post.author_id != editor.pk:
        raise PermissionDenied("Only the post's author can change it.", code="not_author")
    now = now or timezone.now()
    title = _clean_text(title, field="title", label="A title", max_length=TITLE_MAX, required=True)
    body = _clean_text(body, field="body", label="The post", max_length=BODY_MAX, required=True)
    excerpt = _clean_text(
        excerpt, field="excerpt", label="The summary", max_length=EXCERPT_MAX, required=False
    )
    tag_names = _clean_tags(tags)
    if collective is not None and collective.pk != post.collective_id:
        _check_collective(author=editor, collective=collective)
    when = _publication(
        status=status, published_at=published_at, current=post.published_at, now=now
    )
    with transaction.atomic():
        post.title = title
        post.body = body
        post.excerpt = excerpt
        post.collective = collective
        post.status = status
        post.published_at = when
        post.comments_open = comments_open
        post.save()
        post.tags.set(_tags(tag_names))
    return post


def post_delete(*, post: Post, actor: User) -> None:
    """Delete a post and its comments. Only the author may."""
    if post.author_id != actor.pk:
        raise PermissionDenied("Only the post's author can delete it.", code="not_author")
    post.delete()
