"""The blog's corner of the outsider suites' world.

Ana's published post for collective A, with an approved visitor comment and
one held for moderation, and Ana's draft. The published post and its approved
comment are public; the draft, the held comment and every commenter's email
address are not. Olga (a member of no collective A has) and anonymous callers
may read the blog and comment on it (a refused comment changes nothing), but
see nothing private and moderate or edit nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from mutualist.community.models import Comment, Post, Tag
from mutualist.community.services.challenges import challenge_issue
from mutualist.community.services.comments import comment_moderate, comment_submit
from mutualist.community.services.posts import post_create
from mutualist.community.tests.helpers import answer_of
from mutualist.testing import Cast

COMMUNITY_PRIVATE = (
    "Secret draft title",
    "Secret draft body",
    "Secret held comment",
    "approved-commenter@example.net",
    "held-commenter@example.net",
)


def _visitor_comment(post: Post, **fields: Any) -> Comment:
    issued = challenge_issue()
    return comment_submit(
        post=post, challenge=issued.signed, answer=str(answer_of(issued)), **fields
    )


def community_world(cast: Cast) -> dict[str, Any]:
    post = post_create(
        author=cast.ana,
        collective=cast.collective_a,
        title="Finding clients across time zones",
        body="How we cover **three** continents.",
        tags=["time zones"],
        status=Post.Status.PUBLISHED,
        published_at=timezone.now() - dt.timedelta(days=2),
    )
    post_create(author=cast.ana, title="Secret draft title", body="Secret draft body")
    approved = _visitor_comment(
        post,
        name="Rosa Visitor",
        email="approved-commenter@example.net",
        body="A public comment.",
        address="192.0.2.10",
    )
    comment_moderate(comment=approved, moderator=cast.ana, action="approve")
    held = _visitor_comment(
        post,
        name="Held Visitor",
        email="held-commenter@example.net",
        body="Secret held comment",
        address="192.0.2.11",
    )
    tag = {"slug": Tag.objects.get().slug}
    published = {"slug": post.slug}
    return {
        "community:tag": tag,
        "community:tag_feed": tag,
        "community:post": published,
        "community:comment_create": published,
        "community:post_edit": published,
        "community:post_delete": published,
        "community:comment": {"comment_id": approved.pk},
        "community:comment_moderate": {"comment_id": held.pk},
        "community:comment_edit": {"comment_id": held.pk},
    }


def community_snapshot() -> dict[str, Any]:
    """The blog's rows (not the arithmetic questions: every page view of a
    post asks a new one, by design)."""
    return {
        "posts": list(Post.objects.order_by("pk").values()),
        "post_tags": list(Post.tags.through.objects.order_by("pk").values()),
        "tags": list(Tag.objects.order_by("pk").values()),
        "comments": list(Comment.objects.order_by("pk").values()),
    }
