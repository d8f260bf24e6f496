"""What the blog API tests share (no tests here): posts and comments built
through the blog's own services, and the state a refusal must leave as it was.

The world is ``mutualist.testing``'s cast: Ana coordinates collective A
(manila-va), Ben is a member of A, Carla is in collective B, Olga in none.
Visitors' comments come through the page's path (the arithmetic question
answered right) from ``VISITOR_ADDRESS``; the API's test client calls from
127.0.0.1, so visitors never use up its comments allowance.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import timezone

from mutualist.community.models import Comment, Post, Tag
from mutualist.community.services.challenges import challenge_issue
from mutualist.community.services.comments import comment_moderate, comment_submit
from mutualist.community.services.posts import post_create
from mutualist.community.tests.helpers import answer_of
from mutualist.members.models import User

__test__ = False  # pytest: builders only

API = "/api/v1"
VISITOR_ADDRESS = "203.0.113.7"
# Visitors' addresses: none may ever appear in a public answer.
ROSA_EMAIL = "rosa.visitor@example.net"
PIA_EMAIL = "pia.pending@example.net"


def post_url(slug: str) -> str:
    return f"{settings.SITE_URL}/blog/{slug}/"


def comment_url(comment_id: int) -> str:
    return f"{settings.SITE_URL}/blog/comments/{comment_id}/"


def published_post(author: User, **kwargs: Any) -> Post:
    fields: dict[str, Any] = {
        "title": "Covering Sydney's mornings from Manila",
        "body": "We split the day in **three**.",
        "tags": ["time zones"],
        "status": Post.Status.PUBLISHED,
        "published_at": timezone.now() - dt.timedelta(days=1),
    }
    fields.update(kwargs)
    return post_create(author=author, **fields)


def draft_post(author: User, **kwargs: Any) -> Post:
    fields: dict[str, Any] = {
        "title": "Half-written thoughts",
        "body": "Not ready yet.",
        "status": Post.Status.DRAFT,
    }
    fields.update(kwargs)
    return post_create(author=author, **fields)


def visitor_comment(post: Post, **kwargs: Any) -> Comment:
    """A visitor's comment as the page sends it, the sum answered right
    (held for moderation, unless that address has an approved comment)."""
    issued = challenge_issue()
    fields: dict[str, Any] = {
        "name": "Rosa",
        "email": ROSA_EMAIL,
        "body": "Thank you, this helped.",
        "address": VISITOR_ADDRESS,
        "challenge": issued.signed,
        "answer": str(answer_of(issued)),
    }
    fields.update(kwargs)
    return comment_submit(post=post, **fields)


def approved(comment: Comment, *, by: User) -> Comment:
    return comment_moderate(comment=comment, moderator=by, action="approve")


def blog_state() -> dict[str, Any]:
    """Every row of the blog, to compare before and after a refusal."""
    return {
        "posts": list(Post.objects.order_by("pk").values()),
        "post_tags": list(Post.tags.through.objects.order_by("pk").values()),
        "tags": list(Tag.objects.order_by("pk").values()),
        "comments": list(Comment.objects.order_by("pk").values()),
    }
