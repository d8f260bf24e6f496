"""Reads of the blog, scoped by who is asking.

Public: published posts whose date has come, their tags, and their approved
comments as ``PublicComment`` values, which have no email field at all, so no
template, feed or API schema can show one by mistake. Authors: their own
drafts. Moderators (the post's author, and the active coordinators of the
collective it was written for): every comment on those posts, with the email.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from mutualist.collectives.models import Collective, Membership
from mutualist.community.models import Comment, Post, Tag
from mutualist.community.sanitize import clean_comment_html
from mutualist.members.models import User

Viewer = User | AnonymousUser


def _published(now: dt.datetime | None = None) -> Q:
    return Q(status=Post.Status.PUBLISHED, published_at__lte=now or timezone.now())


def _with_listing(posts: QuerySet[Post]) -> QuerySet[Post]:
    return (
        posts.select_related("author__profile", "collective")
        .prefetch_related("tags")
        .annotate(
            comment_count=Count("comments", filter=Q(comments__status=Comment.Status.APPROVED))
        )
    )


def post_list_public(
    *,
    tag: Tag | None = None,
    collective: Collective | None = None,
    now: dt.datetime | None = None,
) -> QuerySet[Post]:
    """Published posts whose date has come, newest first, each with
    ``comment_count`` (approved comments only)."""
    posts = Post.objects.filter(_published(now))
    if tag is not None:
        posts = posts.filter(tags=tag)
    if collective is not None:
        posts = posts.filter(collective=collective)
    return _with_listing(posts).order_by("-published_at", "-pk")


def post_get_public(*, slug: str, now: dt.datetime | None = None) -> Post:
    """A published post; 404 for a draft, a scheduled post or no post."""
    post = _with_listing(Post.objects.filter(_published(now), slug=slug)).first()
    if post is None:
        raise Http404("No such post.")
    return post


def post_get_for_viewer(*, viewer: Viewer, slug: str, now: dt.datetime | None = None) -> Post:
    """A published post, or the viewer's own draft or scheduled post (a preview)."""
    visible = _published(now)
    if viewer.is_authenticated:
        visible |= Q(author=viewer)
    post = _with_listing(Post.objects.filter(visible, slug=slug)).first()
    if post is None:
        raise Http404("No such post.")
    return post


def post_is_public(post: Post, *, now: dt.datetime | None = None) -> bool:
    return (
        post.status == Post.Status.PUBLISHED
        and post.published_at is not None
        and post.published_at <= (now or timezone.now())
    )


def post_get_for_author(*, user: Viewer, slug: str) -> Post:
    """A post its author may edit; 404 for anyone else."""
    if not user.is_authenticated:
        raise Http404("No such post.")
    post = _with_listing(Post.objects.filter(author=user, slug=slug)).first()
    if post is None:
        raise Http404("No such post.")
    return post


def post_list_for_author(*, user: User) -> QuerySet[Post]:
    """The author's posts, drafts first, then newest."""
    return _with_listing(Post.objects.filter(author=user)).order_by(
        "status", "-published_at", "-created_at"
    )


def tag_get_public(*, slug: str, now: dt.datetime | None = None) -> Tag:
    """A tag of at least one public post; 404 otherwise (a tag only a draft
    carries would tell the public what the draft is about)."""
    tag = tag_list_used(now=now).filter(slug=slug).first()
    if tag is None:
        raise Http404("No such tag.")
    return tag


def tag_list_used(*, now: dt.datetime | None = None) -> QuerySet[Tag]:
    """Tags of published posts, each with ``post_count``, most used first."""
    published = Q(
        posts__status=Post.Status.PUBLISHED, posts__published_at__lte=now or timezone.now()
    )
    return (
        Tag.objects.annotate(post_count=Count("posts", filter=published, distinct=True))
        .filter(post_count__gt=0)
        .order_by("-post_count", "name")
    )


# --- Comments as the public sees them -------------------------------------------


@dataclass
class PublicComment:
    """An approved comment as anyone may see it: no email, body cleaned again."""

    id: int
    post_id: int
    parent_id: int | None
    name: str
    website: str
    body_html: SafeString
    created_at: dt.datetime
    by_member: bool
    by_author: bool  # the post's own author answering
    replies: list[PublicComment] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"comment-{self.id}"


def _linkable(website: str) -> str:
    """The commenter's website if it is an http(s) address, else empty: a row
    written by anything but the services (the admin, a migration) must not put
    a ``javascript:`` link under a commenter's name."""
    return website if website.lower().startswith(("http://", "https://")) else ""


def _public(comment: Comment, *, author_id: int) -> PublicComment:
    return PublicComment(
        id=comment.pk,
        post_id=comment.post_id,
        parent_id=comment.parent_id,
        name=comment.name,
        website=_linkable(comment.website),
        # Stored clean; cleaned again on the way out, so a row written by
        # anything but comment_submit (the admin, a migration) is safe too.
        body_html=mark_safe(clean_comment_html(comment.body)),  # noqa: S308 -- nh3 cleaned it
        created_at=comment.created_at,
        by_member=comment.user_id is not None,
        by_author=comment.user_id is not None and comment.user_id == author_id,
    )


def comment_list_public(*, post: Post) -> list[PublicComment]:
    """The post's approved comments, flat, oldest first (feeds, the API)."""
    rows = Comment.objects.filter(post=post, status=Comment.Status.APPROVED).order_by(
        "created_at", "pk"
    )
    return [_public(c, author_id=post.author_id) for c in rows]


def comment_tree_public(*, post: Post) -> list[PublicComment]:
    """The post's approved comments as threads: top-level comments oldest
    first, each with its approved replies. A reply whose parent is no longer
    shown (trashed, marked spam) is shown at the top level rather than lost.

    Threads nest at most ``COMMUNITY_COMMENT_MAX_DEPTH`` levels: a reply to a
    comment at the deepest level is shown beside it, as blogs do. Without a
    limit a long chain of replies (each one published once its writer is
    trusted) would make the page's recursive template exceed Python's
    recursion limit, a 500 for every reader.
    """
    deepest = max(1, settings.COMMUNITY_COMMENT_MAX_DEPTH) - 1
    flat = comment_list_public(post=post)
    by_id = {c.id: c for c in flat}
    depth: dict[int, int] = {}
    # Where a comment's replies go: the comment itself, or beside it when it
    # is at the deepest level (then its own container).
    home: dict[int, list[PublicComment]] = {}
    roots: list[PublicComment] = []
    # Oldest first, so a parent is always placed before its replies.
    for comment in flat:
        parent = by_id.get(comment.parent_id) if comment.parent_id is not None else None
        if parent is None or parent.id not in depth:
            container, level = roots, 0
        elif depth[parent.id] < deepest:
            container, level = parent.replies, depth[parent.id] + 1
        else:
            container, level = home[parent.id], deepest
        container.append(comment)
        depth[comment.id] = level
        home[comment.id] = container
    return roots


def comment_get_public(*, comment_id: int) -> Comment:
    """An approved comment on a public post (for its permalink); 404 otherwise."""
    comment = (
        Comment.objects.filter(
            pk=comment_id,
            status=Comment.Status.APPROVED,
            post__in=Post.objects.filter(_published()),
        )
        .select_related("post")
        .first()
    )
    if comment is None:
        raise Http404("No such comment.")
    return comment


# --- Moderation -------------------------------------------------------------------


def _moderated_posts(user: User) -> Q:
    """Posts ``user`` moderates: their own, and those written for a
    collective they actively coordinate."""
    coordinates = Membership.objects.filter(
        user=user,
        collective=OuterRef("collective"),
        state=Membership.State.ACTIVE,
        role=Membership.Role.COORDINATOR,
    )
    return Q(author=user) | Q(Exists(coordinates))


def can_moderate(*, user: Viewer, post: Post) -> bool:
    if not user.is_authenticated:
        return False
    if post.author_id == user.pk:
        return True
    if post.collective_id is None:
        return False
    return Membership.objects.filter(
        user=user,
        collective_id=post.collective_id,
        state=Membership.State.ACTIVE,
        role=Membership.Role.COORDINATOR,
    ).exists()


def moderation_queue(*, user: Viewer, status: str = Comment.Status.PENDING) -> QuerySet[Comment]:
    """Comments with ``status`` on the posts ``user`` moderates, oldest first;
    nothing for anyone else. Moderators see the email address."""
    if not user.is_authenticated or status not in Comment.Status.values:
        return Comment.objects.none()
    posts = Post.objects.filter(_moderated_posts(user))
    return (
        Comment.objects.filter(post__in=posts, status=status)
        .select_related("post", "parent", "user")
        .order_by("created_at", "pk")
    )


def moderation_counts(*, user: Viewer) -> dict[str, int]:
    """How many comments of each status wait on ``user``'s posts."""
    counts = dict.fromkeys(Comment.Status.values, 0)
    if not user.is_authenticated:
        return counts
    posts = Post.objects.filter(_moderated_posts(user))
    rows = (
        Comment.objects.filter(post__in=posts)
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for status, n in rows:
        counts[status] = n
    return counts


def comment_get_for_moderator(*, user: Viewer, comment_id: int) -> Comment:
    """A comment on a post ``user`` moderates; 404 for anyone else."""
    if not user.is_authenticated:
        raise Http404("No such comment.")
    posts = Post.objects.filter(_moderated_posts(user))
    comment = (
        Comment.objects.filter(pk=comment_id, post__in=posts)
        .select_related("post", "parent", "user")
        .first()
    )
    if comment is None:
        raise Http404("No such comment.")
    return comment
