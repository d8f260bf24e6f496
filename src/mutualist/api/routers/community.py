"""The community blog: posts, tags and approved comments for anyone; comments,
posts and moderation for members.

Anyone may read the published posts, their tags and their approved comments,
as the blog's pages show them; a draft or a post scheduled for later is a
404 to all but its author. A comment's email address never appears in these
answers: they are built from ``PublicComment``, which has none. Posting a
comment needs an account (a token or the browser session): a member comments
under their display name (or the ``name`` they give) with their account's
email, skips the arithmetic question visitors answer on the page, and has no
honeypot to fill. Only a post's author edits or deletes it (anyone else:
404). A post's moderators (its author, and the active coordinators of the
collective it was written for) see its comments with their email addresses,
and approve, hold, mark as spam, trash or correct them; anyone else: 404.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction
from django.http import Http404, HttpRequest
from ninja import Query, Router, Status

from mutualist.api.auth import OPTIONAL, request_user, request_viewer
from mutualist.api.pagination import Page, PageParams, paginate
from mutualist.api.routers import anonymous_allowed, responses
from mutualist.api.schemas.common import ProblemOut
from mutualist.api.schemas.community import (
    ID_MAX,
    CommentEditIn,
    CommentIn,
    CommentOut,
    CommentSubmittedOut,
    ModeratedCommentOut,
    ModerationFiltersIn,
    ModerationIn,
    PostFiltersIn,
    PostIn,
    PostOut,
    PostSummaryOut,
    TagOut,
)
from mutualist.collectives.models import Collective
from mutualist.collectives.selectors import collective_get_public
from mutualist.community.models import Comment, Post
from mutualist.community.sanitize import comment_markup_removed
from mutualist.community.selectors import (
    comment_get_for_moderator,
    comment_list_public,
    moderation_queue,
    post_get_for_author,
    post_get_for_viewer,
    post_get_public,
    post_list_for_author,
    post_list_public,
    tag_get_public,
    tag_list_used,
)
from mutualist.community.services.comments import comment_edit, comment_moderate, comment_submit
from mutualist.community.services.posts import post_create, post_delete, post_update
from mutualist.core.errors import DomainError, ValidationFailed
from mutualist.core.http import client_address
from mutualist.members.models import User

router = Router(tags=["community"])


@contextmanager
def _body_fields() -> Iterator[None]:
    """A refusal names the input at fault as the body names it.

    The services call a reply's parent ``parent``; the body, ``parent_id``.
    """
    try:
        yield
    except DomainError as exc:
        if exc.field == "parent":
            exc.field = "parent_id"
        raise


def _collective(slug: str | None) -> Collective | None:
    """The collective a post is written for, by the slug in the body."""
    if slug is None or not slug.strip():
        return None
    try:
        return collective_get_public(slug=slug.strip())
    except Http404:
        raise ValidationFailed(
            f"No collective has the address {slug.strip()!r}.",
            code="unknown_collective",
            field="collective",
        ) from None


def _moderated_comment(user: User, comment_id: int) -> Comment:
    # An id no database can hold finds nothing (SQLite cannot even bind it).
    if not 0 < comment_id <= ID_MAX:
        raise Http404("No such comment.")
    return comment_get_for_moderator(user=user, comment_id=comment_id)


def _own_post(user: User, slug: str) -> PostOut:
    """The post as its author sees it, read fresh (after any write)."""
    return PostOut.from_model(post_get_for_author(user=user, slug=slug))


# --- Reading --------------------------------------------------------------------------


@router.get(
    "/blog/posts",
    response=responses({200: Page[PostSummaryOut]}),
    auth=OPTIONAL,
    openapi_extra=anonymous_allowed(),
    summary="The blog's published posts, newest first (anyone)",
)
def blog_posts_list(
    request: HttpRequest, filters: Query[PostFiltersIn], page: Query[PageParams]
) -> Page[PostSummaryOut]:
    """``tag`` and ``collective`` (slugs) narrow the list; one that names
    nothing leaves it empty."""
    none: list[Post] = []
    try:
        tag = tag_get_public(slug=filters.tag) if filters.tag else None
        collective = collective_get_public(slug=filters.collective) if filters.collective else None
    except Http404:
        return paginate(none, page, PostSummaryOut.from_model)
    return paginate(
        post_list_public(tag=tag, collective=collective), page, PostSummaryOut.from_model
    )


@router.get(
    "/blog/posts/{slug}",
    response=responses({200: PostOut}),
    auth=OPTIONAL,
    openapi_extra=anonymous_allowed(),
    summary="A post: its Markdown and its sanitized HTML (anyone; drafts: their author)",
)
def blog_post_read(request: HttpRequest, slug: str) -> PostOut:
    return PostOut.from_model(post_get_for_viewer(viewer=request_viewer(request), slug=slug))


@router.get(
    "/blog/posts/{slug}/comments",
    response=responses({200: Page[CommentOut]}),
    auth=OPTIONAL,
    openapi_extra=anonymous_allowed(),
    summary="A post's approved comments, oldest first (anyone)",
)
def blog_post_comments_list(
    request: HttpRequest, slug: str, page: Query[PageParams]
) -> Page[CommentOut]:
    """Flat; ``parent_id`` threads them (a reply whose parent is no longer
    shown points at a comment missing from the list). Never an email address."""
    post = post_get_for_viewer(viewer=request_viewer(request), slug=slug)
    return paginate(comment_list_public(post=post), page, CommentOut.from_public)


@router.get(
    "/blog/tags",
    response=responses({200: Page[TagOut]}),
    auth=OPTIONAL,
    openapi_extra=anonymous_allowed(),
    summary="The tags of published posts, most used first (anyone)",
)
def blog_tags_list(request: HttpRequest, page: Query[PageParams]) -> Page[TagOut]:
    return paginate(tag_list_used(), page, TagOut.from_model)


# --- Commenting -----------------------------------------------------------------------


@router.post(
    "/blog/posts/{slug}/comments",
    response=responses({201: CommentSubmittedOut, 429: ProblemOut}),
    summary="Comment on a post, or answer a comment (members)",
)
def blog_comment_create(
    request: HttpRequest, slug: str, payload: CommentIn
) -> Status[CommentSubmittedOut]:
    """Published at once when a comment of yours was approved before (or
    you moderate the post); held for moderation otherwise (``status``,
    ``message``). HTML that is not allowed is removed, and said so
    (``cleaned``, ``message``). At most ``COMMUNITY_COMMENT_RATE_LIMIT`` comments from one
    address in ``COMMUNITY_COMMENT_RATE_WINDOW_SECONDS``: ``429 rate_limited``."""
    user = request_user(request)
    post = post_get_public(slug=slug)
    # Not inside transaction.atomic: comment_submit commits on its own (a
    # visitor's arithmetic question is spent in a transaction of its own,
    # and must stay spent whatever happens next), and mails the post's
    # author once the comment is stored.
    with _body_fields():
        comment = comment_submit(
            post=post,
            body=payload.body,
            address=client_address(request),
            # A blank name stands for the member's display name.
            name=payload.name.strip(),
            website=payload.website,
            parent_id=payload.parent_id,
            user=user,
        )
    cleaned = comment_markup_removed(payload.body.strip(), comment.body)
    return Status(201, CommentSubmittedOut.from_model(comment, post=post, cleaned=cleaned))


# --- Writing posts --------------------------------------------------------------------


@router.post(
    "/blog/posts",
    response=responses({201: PostOut}),
    summary="Write a post, on your own or for a collective you belong to (members)",
)
def blog_post_create(request: HttpRequest, payload: PostIn) -> Status[PostOut]:
    """A draft unless ``status`` is ``published``; the slug comes from the title."""
    user = request_user(request)
    with transaction.atomic(durable=True), _body_fields():
        post = post_create(
            author=user,
            title=payload.title,
            body=payload.body,
            excerpt=payload.excerpt,
            tags=payload.tags,
            collective=_collective(payload.collective),
            status=payload.status,
            published_at=payload.published_at,
            comments_open=payload.comments_open,
        )
    return Status(201, _own_post(user, post.slug))


@router.put(
    "/blog/posts/{slug}",
    response=responses({200: PostOut}),
    summary="Replace a post you wrote (its author)",
)
def blog_post_update(request: HttpRequest, slug: str, payload: PostIn) -> PostOut:
    """Every field, as for a new post; the slug stays, so links keep working.
    A collective the post was written for stays allowed after you leave it."""
    user = request_user(request)
    with transaction.atomic(durable=True), _body_fields():
        post = post_get_for_author(user=user, slug=slug)
        post_update(
            post=post,
            editor=user,
            title=payload.title,
            body=payload.body,
            excerpt=payload.excerpt,
            tags=payload.tags,
            collective=_collective(payload.collective),
            status=payload.status,
            published_at=payload.published_at,
            comments_open=payload.comments_open,
        )
    return _own_post(user, slug)


@router.delete(
    "/blog/posts/{slug}",
    response=responses({204: None}),
    summary="Delete a post you wrote, and its comments (its author)",
)
def blog_post_delete(request: HttpRequest, slug: str) -> Status[None]:
    user = request_user(request)
    with transaction.atomic(durable=True):
        post_delete(post=post_get_for_author(user=user, slug=slug), actor=user)
    return Status(204, None)


@router.get(
    "/me/blog/posts",
    response=responses({200: Page[PostSummaryOut]}),
    summary="Your posts, drafts first, then newest",
)
def me_blog_posts_list(request: HttpRequest, page: Query[PageParams]) -> Page[PostSummaryOut]:
    return paginate(
        post_list_for_author(user=request_user(request)), page, PostSummaryOut.from_model
    )


# --- Moderation -----------------------------------------------------------------------


@router.get(
    "/blog/moderation",
    response=responses({200: Page[ModeratedCommentOut]}),
    summary="Comments on the posts you moderate, with their email (moderators)",
)
def blog_moderation_queue(
    request: HttpRequest, filters: Query[ModerationFiltersIn], page: Query[PageParams]
) -> Page[ModeratedCommentOut]:
    """``status`` (``pending`` by default): the comments with it on your
    posts and on the posts of collectives you coordinate, oldest first."""
    rows = moderation_queue(user=request_user(request), status=filters.status)
    return paginate(rows, page, ModeratedCommentOut.from_model)


@router.post(
    "/blog/comments/{int:comment_id}/moderation",
    response=responses({200: ModeratedCommentOut}),
    summary="Approve, hold again, mark as spam or trash a comment (moderators)",
)
def blog_comment_moderate(
    request: HttpRequest, comment_id: int, payload: ModerationIn
) -> ModeratedCommentOut:
    """Doing what is already done changes nothing and is not an error."""
    user = request_user(request)
    with transaction.atomic(durable=True):
        comment = _moderated_comment(user, comment_id)
        comment = comment_moderate(comment=comment, moderator=user, action=payload.action)
    return ModeratedCommentOut.from_model(comment)


@router.put(
    "/blog/comments/{int:comment_id}",
    response=responses({200: ModeratedCommentOut}),
    summary="Correct a comment's name, website or text (moderators)",
)
def blog_comment_edit(
    request: HttpRequest, comment_id: int, payload: CommentEditIn
) -> ModeratedCommentOut:
    user = request_user(request)
    with transaction.atomic(durable=True):
        comment = _moderated_comment(user, comment_id)
        comment = comment_edit(
            comment=comment,
            moderator=user,
            body=payload.body,
            name=payload.name,
            website=payload.website,
        )
    return ModeratedCommentOut.from_model(comment)
