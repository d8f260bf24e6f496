"""The blog's corner of the API outsider suite's world.

Ana's published post, with a visitor's approved comment and another held
for moderation; Ben's draft. Anonymous callers and Olga read the post and
its approved comment (never the commenters' email addresses, never the held
comment) and nothing of the draft; they change none of it, and moderate
nothing.
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
from mutualist.members.models import User
from mutualist.testing import Cast

COMMUNITY_API_PRIVATE = (
    "blog-rosa@example.net",  # an approved comment's author's address
    "blog-pia@example.net",  # a held comment's author's address
    "Secret held comment",
    "Secret blog draft",
)


def _visitor_comment(post: Post, *, name: str, email: str, body: str) -> Comment:
    """A visitor's comment as the page sends it, the sum answered right."""
    issued = challenge_issue()
    return comment_submit(
        post=post,
        body=body,
        address="203.0.113.7",
        name=name,
        email=email,
        challenge=issued.signed,
        answer=str(answer_of(issued)),
    )


def community_api_world(cast: Cast) -> dict[str, Any]:
    post = post_create(
        author=cast.ana,
        title="Covering Sydney's mornings from Manila",
        body="We split the day in **three**.",
        tags=["time zones"],
        status=Post.Status.PUBLISHED,
        published_at=timezone.now() - dt.timedelta(days=1),
    )
    rosa = _visitor_comment(
        post, name="Rosa", email="blog-rosa@example.net", body="Thank you, this helped."
    )
    comment_moderate(comment=rosa, moderator=cast.ana, action="approve")
    held = _visitor_comment(
        post, name="Pia", email="blog-pia@example.net", body="Secret held comment"
    )
    draft = post_create(
        author=cast.ben, title="Secret blog draft", body="Not ready.", tags=["drafts"]
    )
    return {
        "blog_post_slug": post.slug,
        "blog_draft_slug": draft.slug,
        "comment_id": held.pk,
    }


def community_api_bodies() -> dict[str, dict[str, Any]]:
    """Bodies that get past the schema: each one the author, a member of
    collective A or a moderator of the post could send."""
    return {
        "POST /api/v1/blog/posts": {
            "title": "Olga writes for A",
            "body": "Taken over.",
            "collective": "manila-va",
            "status": "published",
        },
        "PUT /api/v1/blog/posts/{slug}": {"title": "Taken over", "body": "Taken over."},
        "POST /api/v1/blog/posts/{slug}/comments": {"body": "Olga was here"},
        "POST /api/v1/blog/comments/{comment_id}/moderation": {"action": "approve"},
        "PUT /api/v1/blog/comments/{comment_id}": {"name": "Olga", "body": "Rewritten"},
    }


# A post's operations name Ben's draft, but for its public comments, which
# are read on Ana's post (``{slug}`` is collective A's slug elsewhere).
COMMUNITY_API_PATH_VALUES: dict[str, dict[str, str]] = {
    "GET /api/v1/blog/posts/{slug}": {"slug": "blog_draft_slug"},
    "PUT /api/v1/blog/posts/{slug}": {"slug": "blog_draft_slug"},
    "DELETE /api/v1/blog/posts/{slug}": {"slug": "blog_draft_slug"},
    "POST /api/v1/blog/posts/{slug}/comments": {"slug": "blog_draft_slug"},
    "GET /api/v1/blog/posts/{slug}/comments": {"slug": "blog_post_slug"},
}


def community_api_snapshot(outsider: User) -> dict[str, Any]:
    return {
        "blog_posts": list(Post.objects.exclude(author=outsider).order_by("pk").values()),
        "blog_post_tags": list(
            Post.tags.through.objects.exclude(post__author=outsider).order_by("pk").values()
        ),
        "blog_tags": list(Tag.objects.order_by("pk").values()),
        "blog_comments": list(Comment.objects.exclude(user=outsider).order_by("pk").values()),
    }
