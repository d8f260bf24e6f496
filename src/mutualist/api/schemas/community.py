"""The community blog: posts, their tags, comments, and the moderation queue.

What the public sees of a comment is built from ``PublicComment``, which has
no email field, so no public answer can carry a commenter's address. Only
the moderation queue (``ModeratedCommentOut``), answered to a post's
moderators alone, shows it. A post's body is Markdown as written (``body``)
and rendered and sanitized (``body_html``); a comment's ``body_html`` went
through ``clean_comment_html`` (only the allowed HTML is left).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.text import Truncator
from ninja import Field, Schema
from pydantic import AwareDatetime, StrictInt

from mutualist.api.schemas.common import CollectiveRefOut, InputSchema
from mutualist.community.models import Comment, Post, Tag
from mutualist.community.sanitize import clean_comment_html, plain_text, render_post_markdown
from mutualist.community.selectors import PublicComment
from mutualist.members.models import User

ID_MAX = 2**63 - 1
# How much of the body stands in for a summary the author did not write.
EXCERPT_CHARS = 200


def site_url(name: str, fallback: str, **kwargs: object) -> str:
    """The absolute address of one of the blog's pages.

    ``fallback`` is the page's path as the blog's URLs name it, for a
    settings module that does not mount the pages (a test's)."""
    try:
        path = reverse(name, kwargs=kwargs or None)
    except NoReverseMatch:
        path = fallback
    return f"{settings.SITE_URL}{path}"


def post_url(slug: str) -> str:
    return site_url("community:post", f"/blog/{slug}/", slug=slug)


def comment_url(comment_id: int) -> str:
    return site_url("community:comment", f"/blog/comments/{comment_id}/", comment_id=comment_id)


# --- Output -----------------------------------------------------------------------


class TagRefOut(Schema):
    name: str = Field(examples=["time zones"])
    slug: str = Field(examples=["time-zones"])

    @classmethod
    def from_model(cls, tag: Tag) -> TagRefOut:
        return cls(name=tag.name, slug=tag.slug)


class TagOut(TagRefOut):
    post_count: int = Field(description="Published posts with this tag")

    @classmethod
    def from_model(cls, tag: Tag) -> TagOut:
        return cls(name=tag.name, slug=tag.slug, post_count=getattr(tag, "post_count", 0))


class AuthorOut(Schema):
    """The byline: never an email address; the handle only where the
    author's profile is published (GET /members/{handle} finds it)."""

    display_name: str
    handle: str | None = Field(description="null unless the author's profile is published")

    @classmethod
    def from_user(cls, user: User) -> AuthorOut:
        profile = getattr(user, "profile", None)
        handle = profile.handle if profile is not None and profile.is_public else None
        return cls(display_name=user.display_name, handle=handle)


def _summary_fields(post: Post, body_html: str | None = None) -> dict[str, Any]:
    excerpt = post.excerpt
    if not excerpt:  # the body is rendered only when its start stands in
        html = body_html if body_html is not None else render_post_markdown(post.body)
        excerpt = Truncator(plain_text(html)).chars(EXCERPT_CHARS)
    return {
        "title": post.title,
        "slug": post.slug,
        "url": post_url(post.slug),
        "status": post.status,
        "excerpt": excerpt,
        "tags": [TagRefOut.from_model(tag) for tag in post.tags.all()],
        "author": AuthorOut.from_user(post.author),
        "collective": (
            CollectiveRefOut(slug=post.collective.slug, name=post.collective.name)
            if post.collective is not None
            else None
        ),
        "published_at": post.published_at,
        "comment_count": getattr(post, "comment_count", 0),
    }


class PostSummaryOut(Schema):
    title: str
    slug: str
    url: str = Field(description="The post's page (public once published and its date has come)")
    status: str = Field(description="published, or draft (only its author sees a draft)")
    excerpt: str = Field(description="The author's summary, or the start of the body")
    tags: list[TagRefOut]
    author: AuthorOut
    collective: CollectiveRefOut | None = Field(description="Written on the collective's behalf")
    published_at: dt.datetime | None = Field(
        description="Public from then (a later date schedules the post)"
    )
    comment_count: int = Field(description="Approved comments")

    @classmethod
    def from_model(cls, post: Post) -> PostSummaryOut:
        return cls(**_summary_fields(post))


class PostOut(PostSummaryOut):
    body: str = Field(description="Markdown, as written")
    body_html: str = Field(description="The body rendered and sanitized (safe to show as is)")
    comments_open: bool
    updated_at: dt.datetime

    @classmethod
    def from_model(cls, post: Post) -> PostOut:
        body_html = render_post_markdown(post.body)
        return cls(
            **_summary_fields(post, body_html),
            body=post.body,
            body_html=str(body_html),
            comments_open=post.comments_open,
            updated_at=post.updated_at,
        )


class CommentOut(Schema):
    """An approved comment as anyone may see it. There is no email field."""

    id: int
    parent_id: int | None = Field(description="The comment it answers; null at the top level")
    name: str
    website: str = Field(description="http(s) address the commenter gave, or empty")
    body_html: str = Field(description="Only the allowed HTML; links carry rel=nofollow ugc")
    by_member: bool = Field(description="Written by a member while signed in")
    by_author: bool = Field(description="Written by the post's author")
    created_at: dt.datetime
    url: str = Field(description="The comment's permalink")

    @classmethod
    def from_public(cls, comment: PublicComment) -> CommentOut:
        return cls(
            id=comment.id,
            parent_id=comment.parent_id,
            name=comment.name,
            website=comment.website,
            body_html=str(comment.body_html),
            by_member=comment.by_member,
            by_author=comment.by_author,
            created_at=comment.created_at,
            url=comment_url(comment.id),
        )


HELD_MESSAGE = (
    "Thank you. Your comment is held for moderation: it will appear once the "
    "post's author or its collective's coordinators approve it."
)
CLEANED_MESSAGE = (
    "Some of your HTML was removed: only the allowed tags and attributes are kept "
    "(body_html is the comment as it is shown)."
)


class CommentSubmittedOut(Schema):
    """Your comment as you see it once sent: published, or held for moderation."""

    id: int
    post: str = Field(description="The post's slug")
    parent_id: int | None
    name: str
    website: str
    body_html: str
    status: Literal["pending", "approved"] = Field(
        description="approved: shown now; pending: held until a moderator approves it"
    )
    created_at: dt.datetime
    url: str = Field(description="The comment's permalink (it answers once approved)")
    cleaned: bool = Field(
        description="Some of the HTML sent was removed (a tag or attribute not allowed, "
        "a link that is not http, https or mailto)"
    )
    message: str | None = Field(
        description="What happens next, when the comment is held; and what was removed, "
        "when something was"
    )

    @classmethod
    def from_model(cls, comment: Comment, *, post: Post, cleaned: bool) -> CommentSubmittedOut:
        """``cleaned``: whether cleaning took away some of what was sent
        (``comment_markup_removed``)."""
        held = comment.status == Comment.Status.PENDING
        said = [HELD_MESSAGE] if held else []
        if cleaned:
            said.append(CLEANED_MESSAGE)
        return cls(
            id=comment.pk,
            post=post.slug,
            parent_id=comment.parent_id,
            name=comment.name,
            website=comment.website,
            body_html=clean_comment_html(comment.body),
            status="pending" if held else "approved",
            created_at=comment.created_at,
            url=comment_url(comment.pk),
            cleaned=cleaned,
            message=" ".join(said) or None,
        )


class PostRefOut(Schema):
    slug: str
    title: str
    url: str


class ModeratedCommentOut(Schema):
    """A comment as the post's moderators see it, email included."""

    id: int
    post: PostRefOut
    parent_id: int | None
    status: str = Field(description="pending, approved, spam or trash")
    name: str
    email: str = Field(description="Never published: shown to the post's moderators only")
    website: str
    body: str = Field(description="The comment as stored (already cleaned): what an edit replaces")
    body_html: str
    by_member: bool
    created_at: dt.datetime
    moderated_at: dt.datetime | None
    edited_at: dt.datetime | None

    @classmethod
    def from_model(cls, comment: Comment) -> ModeratedCommentOut:
        post = comment.post
        return cls(
            id=comment.pk,
            post=PostRefOut(slug=post.slug, title=post.title, url=post_url(post.slug)),
            parent_id=comment.parent_id,
            status=comment.status,
            name=comment.name,
            email=comment.email,
            website=comment.website,
            body=comment.body,
            body_html=clean_comment_html(comment.body),
            by_member=comment.user_id is not None,
            created_at=comment.created_at,
            moderated_at=comment.moderated_at,
            edited_at=comment.edited_at,
        )


# --- Input ------------------------------------------------------------------------


class PostFiltersIn(Schema):
    """Query parameters of GET /blog/posts."""

    tag: str | None = Field(None, description="A tag's slug")
    collective: str | None = Field(None, description="A collective's slug")


class ModerationFiltersIn(Schema):
    """Query parameters of GET /blog/moderation."""

    status: Literal["pending", "approved", "spam", "trash"] = Field(
        "pending", description="The comments with this status"
    )


class PostIn(InputSchema):
    title: str = Field(
        description="At most 200 characters", examples=["Covering Sydney's mornings"]
    )
    body: str = Field(description="Markdown (raw HTML is not rendered); at most 100,000 characters")
    excerpt: str = Field("", description="A summary for the index and link previews; at most 300")
    tags: list[str] = Field(
        default_factory=list, description="Tag names, at most 10", examples=[["time zones"]]
    )
    collective: str | None = Field(
        None, description="The slug of a collective you are an active member of, to write for it"
    )
    status: str = Field("draft", description="draft or published")
    published_at: AwareDatetime | None = Field(
        None,
        description="With an offset. Published: public from then (default now; a later date "
        "schedules the post); a draft may carry the date it is meant for",
    )
    comments_open: bool = True


class CommentIn(InputSchema):
    body: str = Field(
        description="The comment: text with the allowed HTML (the rest is removed); at most "
        "5,000 characters and 2 links",
        examples=["Thank you, <em>this</em> helped."],
    )
    parent_id: StrictInt | None = Field(
        None, ge=1, le=ID_MAX, description="An approved comment of the same post, to answer it"
    )
    name: str = Field("", description="Shown with the comment; default: your display name")
    website: str = Field("", description="An http:// or https:// address, or empty")


class ModerationIn(InputSchema):
    action: str = Field(description="approve, spam, trash or unapprove", examples=["approve"])


class CommentEditIn(InputSchema):
    name: str
    website: str = ""
    body: str = Field(description="Cleaned like a new comment (the links limit does not apply)")
