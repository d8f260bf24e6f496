"""Reading the blog: the index, a tag's posts, a post with its comments, and
a comment's permalink. Anyone may read; a post's author also sees their own
draft or scheduled post (a preview, without the comment form)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from mutualist.community.forms import HONEYPOT_FIELD, ID_MAX, CommentForm
from mutualist.community.models import Post
from mutualist.community.sanitize import allowed_comment_html, render_post_markdown
from mutualist.community.selectors import (
    PublicComment,
    can_moderate,
    comment_get_public,
    comment_tree_public,
    post_get_for_viewer,
    post_is_public,
    post_list_public,
    tag_get_public,
    tag_list_used,
)
from mutualist.community.services.challenges import challenge_issue
from mutualist.community.views._common import (
    TEMPLATES,
    absolute,
    blog_context,
    byline,
    card,
    description,
    post_url,
)
from mutualist.members.models import User
from mutualist.members.web import request_viewer


def _listing(request: HttpRequest, posts: QuerySet[Post], **extra: Any) -> dict[str, Any]:
    page = Paginator(posts, settings.COMMUNITY_POSTS_PER_PAGE).get_page(request.GET.get("page"))
    return blog_context(
        request,
        page_obj=page,
        cards=[card(post) for post in page],
        tags=list(tag_list_used()),
        **extra,
    )


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    return render(request, f"{TEMPLATES}/index.html", _listing(request, post_list_public()))


@require_safe
def tag(request: HttpRequest, slug: str) -> HttpResponse:
    found = tag_get_public(slug=slug)
    context = _listing(
        request,
        post_list_public(tag=found),
        tag=found,
        tag_feed_url=reverse("community:tag_feed", kwargs={"slug": found.slug}),
    )
    return render(request, f"{TEMPLATES}/index.html", context)


# --- A post ----------------------------------------------------------------------


def _flatten(comments: list[PublicComment]) -> list[PublicComment]:
    """Every comment of the threads (``PublicComment.website`` is already
    empty unless it is an http(s) address: the selector sees to that)."""
    flat: list[PublicComment] = []
    for comment in comments:
        flat.append(comment)
        flat.extend(_flatten(comment.replies))
    return flat


def _reply_target(request: HttpRequest, shown: list[PublicComment]) -> PublicComment | None:
    """The comment ``?replyto=`` names, if it is one of those shown."""
    raw = (request.GET.get("replyto") or request.POST.get("parent") or "").strip()
    # isascii: "²".isdigit() is True, yet int("²") raises; and no id is
    # longer than the largest one a database stores.
    if not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(ID_MAX)):
        return None
    return next((c for c in shown if c.id == int(raw)), None)


def new_comment_form(request: HttpRequest, *, parent: PublicComment | None) -> CommentForm:
    """A blank comment form: a new question for a visitor, the name filled
    in for a signed-in member."""
    viewer = request_viewer(request)
    parent_id = parent.id if parent is not None else None
    if isinstance(viewer, User):
        return CommentForm(member=True, initial={"name": viewer.display_name, "parent": parent_id})
    issued = challenge_issue()
    return CommentForm(
        member=False,
        question=issued.question,
        initial={"challenge": issued.signed, "parent": parent_id},
    )


@dataclass(frozen=True)
class OpenGraph:
    title: str
    url: str
    description: str
    published_time: str
    author: str
    tags: list[str]


def post_context(
    request: HttpRequest,
    post: Post,
    *,
    form: CommentForm | None = None,
    refusal: str = "",
) -> dict[str, Any]:
    """Everything the post's page shows; ``form`` is a refused comment form
    to show again (with its errors and a new question)."""
    viewer = request_viewer(request)
    public = post_is_public(post)
    comments = comment_tree_public(post=post)
    shown = _flatten(comments)
    parent = _reply_target(request, shown)
    accepting = public and post.comments_open
    if accepting and form is None:
        form = new_comment_form(request, parent=parent)
    tags = list(post.tags.all())
    the_byline = byline(post)
    canonical = absolute(post_url(post))
    published = post.published_at
    return blog_context(
        request,
        post=post,
        public=public,
        body_html=render_post_markdown(post.body),
        the_byline=the_byline,
        post_tags=tags,
        comments=comments,
        comment_count=len(shown),
        accepting=accepting,
        form=form if accepting else None,
        honeypot_field=HONEYPOT_FIELD,
        reply_to=parent,
        refusal=refusal,
        allowed_html=" ".join(allowed_comment_html()),
        is_author=isinstance(viewer, User) and post.author_id == viewer.pk,
        can_moderate=isinstance(viewer, User) and can_moderate(user=viewer, post=post),
        canonical_url=canonical,
        og=OpenGraph(
            title=post.title,
            url=canonical,
            description=description(post),
            published_time=published.isoformat() if published else "",
            author=absolute(the_byline.profile_url) if the_byline.profile_url else the_byline.name,
            tags=[t.name for t in tags],
        ),
    )


@require_safe
def post(request: HttpRequest, slug: str) -> HttpResponse:
    found = post_get_for_viewer(viewer=request_viewer(request), slug=slug)
    return render(request, f"{TEMPLATES}/post.html", post_context(request, found))


@require_safe
def comment(request: HttpRequest, comment_id: int) -> HttpResponse:
    """A comment's permalink: its place on its post's page."""
    found = comment_get_public(comment_id=comment_id)
    return redirect(post_url(found.post, f"comment-{found.pk}"))
