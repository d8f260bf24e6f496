"""Builders shared by the blog pages' tests (no tests of its own).

Posts and comments are made through the real services; a visitor's answer
to the sum is read from the server's row, as a person would work it out from
the question (the page never carries it).
"""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

from django.urls import reverse
from django.utils import timezone

from mutualist.community.models import Comment, Post
from mutualist.community.services.challenges import challenge_issue
from mutualist.community.services.comments import comment_moderate, comment_submit
from mutualist.community.services.posts import post_create
from mutualist.community.tests.helpers import answer_of
from mutualist.members.models import User

ADDRESS = "198.51.100.20"
VISITOR_EMAIL = "rosa.visitor@example.net"
# In every blog page's <head>: no inline <style> from htmx, no eval of attributes.
HTMX_CONFIG = (
    """<meta name="htmx-config" content='{"includeIndicatorStyles":false,"allowEval":false}'>"""
)


def page_of(response: Any) -> str:
    return str(response.content.decode())


def shows(response: Any, text: str) -> bool:
    return html.escape(text) in page_of(response)


def a_post(author: User, **kwargs: Any) -> Post:
    """A published post (yesterday), by ``author``."""
    fields: dict[str, Any] = {
        "title": "Covering Sydney’s mornings from Manila",
        "body": "We split the day in **three** shifts.\n\nEach of us keeps a calendar.",
        "tags": ["time zones"],
        "status": Post.Status.PUBLISHED,
        "published_at": timezone.now() - dt.timedelta(days=1),
    }
    fields.update(kwargs)
    return post_create(author=author, **fields)


def a_draft(author: User, **kwargs: Any) -> Post:
    return a_post(author, status=Post.Status.DRAFT, published_at=None, **kwargs)


def post_url(post: Post) -> str:
    return reverse("community:post", kwargs={"slug": post.slug})


def comment_url(post: Post) -> str:
    return reverse("community:comment_create", kwargs={"slug": post.slug})


def challenge_in(page: str) -> str:
    """The signed reference the form carries (``challenge`` hidden input)."""
    match = re.search(r'name="challenge" value="([^"]+)"', page)
    assert match is not None, "the form has no question"
    return html.unescape(match.group(1))


def question_in(page: str) -> tuple[int, int]:
    match = re.search(r"(\d+) \+ (\d+) =", page)
    assert match is not None, "the page asks no sum"
    return int(match.group(1)), int(match.group(2))


def answer_in(page: str) -> int:
    """The sum's answer, worked out from the question as a person would."""
    left, right = question_in(page)
    return left + right


def visitor_form(client: Any, post: Post, **changes: str) -> dict[str, str]:
    """What a visitor posts after opening the post's page: a right answer,
    unless ``changes`` says otherwise."""
    page = page_of(client.get(post_url(post)))
    signed = challenge_in(page)
    data = {
        "name": "Rosa Visitor",
        "email": VISITOR_EMAIL,
        "website": "",
        "body": "Thank you, this helped our team.",
        "homepage": "",
        "challenge": signed,
        "answer": str(answer_in(page)),
        "parent": "",
    }
    data.update(changes)
    return data


def approved_comment(post: Post, *, moderator: User, **kwargs: Any) -> Comment:
    """A visitor's comment, approved by ``moderator``."""
    issued = challenge_issue()
    fields: dict[str, Any] = {
        "name": "Rosa Visitor",
        "email": VISITOR_EMAIL,
        "body": "Thank you, this helped.",
        "address": "192.0.2.99",
        "challenge": issued.signed,
        "answer": str(answer_of(issued)),
    }
    fields.update(kwargs)
    comment = comment_submit(post=post, **fields)
    if comment.status != Comment.Status.APPROVED:
        comment = comment_moderate(comment=comment, moderator=moderator, action="approve")
    return comment


def held_comment(post: Post, **kwargs: Any) -> Comment:
    """A first comment from a new address: held for moderation."""
    issued = challenge_issue()
    fields: dict[str, Any] = {
        "name": "Sam Newcomer",
        "email": "sam.newcomer@example.net",
        "body": "First time here. Is the guarantee fund open to newcomers?",
        "address": "192.0.2.50",
        "challenge": issued.signed,
        "answer": str(answer_of(issued)),
    }
    fields.update(kwargs)
    comment = comment_submit(post=post, **fields)
    assert comment.status == Comment.Status.PENDING
    return comment
