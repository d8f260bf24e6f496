"""Writing: a new post, editing and deleting one's own, and the list of them.

Only the author edits or deletes a post (``post_get_for_author`` is a 404 for
anyone else); a member may write on behalf of a collective they are an
active member of. Each write is one service call in one durable transaction.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from mutualist.collectives.models import Collective, Membership
from mutualist.collectives.selectors import membership_list_for_user
from mutualist.community.forms import PostForm, zone_of
from mutualist.community.models import Post
from mutualist.community.selectors import (
    post_get_for_author,
    post_is_public,
    post_list_for_author,
)
from mutualist.community.services.posts import post_create, post_delete, post_update
from mutualist.community.views._common import TEMPLATES, blog_context, card, post_url
from mutualist.core.errors import DomainError
from mutualist.core.web import add_domain_error, forbidden_as_403
from mutualist.members.models import User
from mutualist.members.web import request_member


def _collectives(user: User, post: Post | None = None) -> list[Collective]:
    """Whom the author may write for: their active collectives (and, when
    editing, the one the post was written for, which they may keep)."""
    collectives = [
        m.collective
        for m in membership_list_for_user(user=user).filter(state=Membership.State.ACTIVE)
    ]
    kept = post.collective if post is not None else None
    if kept is not None and all(c.pk != kept.pk for c in collectives):
        collectives.append(kept)
    return collectives


def _saved_notice(post: Post) -> str:
    if post.status == Post.Status.DRAFT:
        return "Saved as a draft: only you can see it."
    if not post_is_public(post):
        return "Scheduled: it will be public from its publication date."
    return "Published."


def _form_page(
    request: HttpRequest, form: PostForm, *, post: Post | None, status: int = 200
) -> HttpResponse:
    context: dict[str, Any] = blog_context(request, form=form, post=post)
    return render(request, f"{TEMPLATES}/post_form.html", context, status=status)


def _refused(form: PostForm, exc: DomainError) -> int:
    if exc.code == "not_a_member":
        form.add_error("collective", exc.message)
    else:
        add_domain_error(form, exc)
    return exc.status


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def post_new(request: HttpRequest) -> HttpResponse:
    user = request_member(request)
    collectives, zone = _collectives(user), zone_of(user)
    if request.method != "POST":
        return _form_page(request, PostForm(collectives=collectives, zone=zone), post=None)
    form = PostForm(request.POST, collectives=collectives, zone=zone)
    status = 422
    if form.is_valid():
        try:
            with transaction.atomic(durable=True):
                post = post_create(author=user, **form.service_fields())
        except DomainError as exc:
            status = _refused(form, exc)
        else:
            messages.success(request, _saved_notice(post))
            return redirect(post_url(post))
    return _form_page(request, form, post=None, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@forbidden_as_403
def post_edit(request: HttpRequest, slug: str) -> HttpResponse:
    user = request_member(request)
    post = post_get_for_author(user=user, slug=slug)
    collectives, zone = _collectives(user, post), zone_of(user)
    if request.method != "POST":
        initial = PostForm.initial_for(post, zone)
        form = PostForm(initial=initial, collectives=collectives, zone=zone)
        return _form_page(request, form, post=post)
    form = PostForm(request.POST, collectives=collectives, zone=zone)
    status = 422
    if form.is_valid():
        try:
            with transaction.atomic(durable=True):
                post = post_update(post=post, editor=user, **form.service_fields())
        except DomainError as exc:
            if exc.code == "not_author":
                raise
            status = _refused(form, exc)
        else:
            messages.success(request, _saved_notice(post))
            return redirect(post_url(post))
    post.refresh_from_db()
    return _form_page(request, form, post=post, status=status)


@login_required
@require_POST
@forbidden_as_403
def post_delete_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Delete in two steps: a POST without ``confirm`` asks "Delete '…'?";
    the POST with ``confirm=1`` deletes the post and its comments."""
    user = request_member(request)
    post = post_get_for_author(user=user, slug=slug)
    if request.POST.get("confirm") != "1":
        context = blog_context(request, post=post, card=card(post))
        return render(request, f"{TEMPLATES}/post_delete_confirm.html", context)
    title = post.title
    with transaction.atomic(durable=True):
        post_delete(post=post, actor=user)
    messages.success(request, f"“{title}” is deleted, with its comments.")
    return redirect("community:mine")


@login_required
@require_safe
def mine(request: HttpRequest) -> HttpResponse:
    user = request_member(request)
    cards = [card(post) for post in post_list_for_author(user=user)]
    return render(request, f"{TEMPLATES}/mine.html", blog_context(request, cards=cards))
