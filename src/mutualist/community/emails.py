"""The email a post's author gets when someone comments, after commit.

Sent from ``transaction.on_commit`` (a refused comment mails no one); a
failure to send is logged, never raised. The author learns who wrote and
what, and where to moderate it; the commenter's email address is not in it
(the moderation page shows it to moderators).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse

from mutualist.community.models import Comment
from mutualist.community.sanitize import plain_text

logger = logging.getLogger(__name__)


def _url(name: str, **kwargs: object) -> str:
    try:
        return f"{settings.SITE_URL}{reverse(name, kwargs=kwargs or None)}"
    except NoReverseMatch:  # the pages are not wired (a test settings module)
        return settings.SITE_URL


def comment_received(comment_id: int) -> int:
    """Tell the post's author about comment ``comment_id``; 1 if sent."""
    comment = Comment.objects.filter(pk=comment_id).select_related("post", "post__author").first()
    if comment is None:
        return 0
    post = comment.post
    held = comment.status == Comment.Status.PENDING
    context = {
        "comment": comment,
        "post": post,
        "author": post.author,
        "held": held,
        "text": plain_text(comment.body),
        "post_url": _url("community:post", slug=post.slug),
        "moderation_url": _url("community:moderation"),
    }
    subject = (
        f"New comment awaiting moderation on “{post.title}”"
        if held
        else f"New comment on “{post.title}”"
    )
    body = render_to_string("community/email/comment_received.txt", context)
    try:
        send_mail(" ".join(subject.split())[:200], body, None, [post.author.email])
    except Exception:  # a mail server down must not undo a comment
        logger.exception("could not send the new-comment email for comment %s", comment_id)
        return 0
    return 1
