"""Small builders the blog's tests share."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from mutualist.community.models import Comment, Post
from mutualist.community.services.challenges import IssuedChallenge, challenge_issue
from mutualist.community.services.comments import comment_submit
from mutualist.community.services.posts import post_create
from mutualist.members.models import User

ADDRESS = "203.0.113.7"


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


def visitor_comment(post: Post, **kwargs: Any) -> Comment:
    """A visitor's comment through the form's path, question answered right."""
    issued = challenge_issue()
    fields: dict[str, Any] = {
        "name": "Rosa",
        "email": "rosa@example.net",
        "body": "Thank you, this helped.",
        "address": ADDRESS,
        "challenge": issued.signed,
        "answer": str(answer_of(issued)),
    }
    fields.update(kwargs)
    return comment_submit(post=post, **fields)


def answer_of(issued: IssuedChallenge) -> int:
    """The right answer, as a person reads it off the question ("4 + 3 =")."""
    left, right = issued.question.removesuffix(" =").split(" + ")
    return int(left) + int(right)
