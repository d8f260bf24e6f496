"""What the blog's pages share: a post's byline and summary, its URLs, and
the blog's own navigation (with the moderator's pending count)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator

from mutualist.community.models import Post, Tag
from mutualist.community.sanitize import plain_text, render_post_markdown
from mutualist.community.selectors import moderation_counts, post_is_public
from mutualist.members.models import User
from mutualist.members.web import request_viewer

TEMPLATES = "community"
SUMMARY_WORDS = 45
DESCRIPTION_CHARS = 200


@dataclass(frozen=True)
class Byline:
    """Who wrote a post, as the public may read it.

    The profile is linked only when it is published (an unpublished profile
    is a 404 to the public); the author's email address is never part of it.
    """

    name: str
    profile_url: str
    collective_name: str
    collective_url: str


def byline(post: Post) -> Byline:
    author = post.author
    profile = getattr(author, "profile", None)
    profile_url = ""
    if profile is not None and profile.is_public and author.is_active:
        profile_url = reverse("members:profile", kwargs={"handle": profile.handle})
    collective = post.collective
    return Byline(
        name=author.display_name,
        profile_url=profile_url,
        collective_name=collective.name if collective is not None else "",
        collective_url=(
            reverse("collectives:detail", kwargs={"slug": collective.slug})
            if collective is not None
            else ""
        ),
    )


def post_text(post: Post) -> str:
    """The post's text without markup (sanitized first, so nothing hidden counts)."""
    return plain_text(render_post_markdown(post.body))


def summary(post: Post, words: int = SUMMARY_WORDS) -> str:
    """The author's summary, else the start of the text (plain: the template escapes it)."""
    return post.excerpt or Truncator(post_text(post)).words(words, truncate="…")


def description(post: Post) -> str:
    """One or two sentences for link previews (og:description)."""
    return post.excerpt or Truncator(post_text(post)).chars(DESCRIPTION_CHARS, truncate="…")


def linkable_website(url: str) -> str:
    """``url`` if it may be a link's ``href`` (http or https), else "".

    For the moderation queue, which shows the rows themselves (the public
    pages read ``PublicComment``, whose website the selector already empties
    unless it is http(s)). ``comment_submit`` and ``comment_edit`` accept
    nothing else; this keeps a row written some other way (the admin, a
    migration) from becoming a ``javascript:`` link.
    """
    return url if url.strip().lower().startswith(("http://", "https://")) else ""


def post_url(post: Post, anchor: str = "") -> str:
    url = reverse("community:post", kwargs={"slug": post.slug})
    return f"{url}#{anchor}" if anchor else url


def absolute(path: str) -> str:
    """``path`` on the site's public address (links shared elsewhere)."""
    return f"{settings.SITE_URL}{path}"


def publication_label(post: Post) -> str:
    """ "Draft", "Scheduled", "Published": as the author's list says it."""
    if post.status == Post.Status.DRAFT:
        return "Draft"
    if not post_is_public(post):
        return "Scheduled"
    return "Published"


@dataclass(frozen=True)
class PostCard:
    """A post as a list shows it: link, byline, date, summary, tags, count."""

    post: Post
    url: str
    byline: Byline
    summary: str
    tags: list[Tag]
    comment_count: int
    status_label: str


def card(post: Post) -> PostCard:
    return PostCard(
        post=post,
        url=post_url(post),
        byline=byline(post),
        summary=summary(post),
        tags=list(post.tags.all()),
        comment_count=int(getattr(post, "comment_count", 0)),
        status_label=publication_label(post),
    )


def blog_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    """What every blog page's own navigation needs: for a signed-in member,
    how many comments wait for them in the moderation queue."""
    viewer = request_viewer(request)
    pending = 0
    if isinstance(viewer, User):
        pending = moderation_counts(user=viewer)["pending"]
    return {
        "blog_member": isinstance(viewer, User),
        "moderation_pending": pending,
        "feed_url": reverse("community:feed"),
        "now": timezone.now(),
        **extra,
    }
