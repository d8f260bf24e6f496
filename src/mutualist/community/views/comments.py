"""Posting a comment from a post's page.

Not wrapped in ``transaction.atomic``: ``comment_submit`` spends the
visitor's question in a transaction of its own, which must commit even when
the comment is then refused (or a wrong answer could be tried again), and it
stores the comment in another.

A refusal shows the post's page again (400, or 429 for too many comments
from one address) with the message on the field at fault, what the visitor
typed kept, and a new question: the old one is spent or about to be.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from mutualist.community.forms import HONEYPOT_FIELD, CommentForm
from mutualist.community.models import Comment, Post
from mutualist.community.sanitize import comment_markup_removed
from mutualist.community.selectors import post_get_for_viewer
from mutualist.community.services.challenges import challenge_issue
from mutualist.community.services.comments import comment_submit
from mutualist.community.views._common import TEMPLATES, post_url
from mutualist.community.views.reading import post_context
from mutualist.core.errors import DomainError, NotFound, TooManyAttempts, ValidationFailed
from mutualist.core.http import client_address
from mutualist.members.models import User
from mutualist.members.web import request_viewer

HELD = "Thank you! Your comment is awaiting moderation."
PUBLISHED = "Thank you! Your comment is published."
CLEANED = "Some of your HTML was removed: only the tags listed under the form are kept."


def _status_of(exc: DomainError) -> int:
    if isinstance(exc, TooManyAttempts):
        return 429
    if isinstance(exc, ValidationFailed):
        return 400
    return exc.status  # comments closed: 409


def _form_again(request: HttpRequest, *, member: bool, exc: DomainError) -> CommentForm:
    """The refused form: what was typed, the refusal on its field, a new question."""
    data = request.POST.copy()
    question = ""
    if not member:
        issued = challenge_issue()
        data["challenge"] = issued.signed
        data["answer"] = ""
        question = issued.question
    data[HONEYPOT_FIELD] = ""
    if exc.field == "parent":
        # Not a comment one may answer: the form comes back as a comment on
        # the post, as its heading says, and the refusal is said above it.
        data["parent"] = ""
    form = CommentForm(data, member=member, question=question)
    form.is_valid()
    field = exc.field if exc.field in form.fields else None
    if field is not None and form.fields[field].widget.is_hidden:
        field = None  # a reply to a comment no longer shown: said above the form
    form.add_error(field, exc.message)
    return form


@require_POST
def comment_create(request: HttpRequest, slug: str) -> HttpResponse:
    viewer = request_viewer(request)
    post: Post = post_get_for_viewer(viewer=viewer, slug=slug)
    member = isinstance(viewer, User)
    form = CommentForm(request.POST, member=member)
    form.is_valid()  # every field is optional here: the service judges the comment
    try:
        comment = comment_submit(
            post=post,
            body=form.value("body"),
            address=client_address(request),
            name=form.value("name"),
            email="" if member else form.value("email"),
            website=form.value("website"),
            parent_id=form.parent_id(),
            user=viewer if isinstance(viewer, User) else None,
            challenge="" if member else form.value("challenge"),
            answer="" if member else form.value("answer"),
            honeypot=form.value(HONEYPOT_FIELD),
        )
    except NotFound:
        raise Http404("No such post.") from None
    except DomainError as exc:
        again = _form_again(request, member=member, exc=exc)
        context = post_context(request, post, form=again, refusal=exc.message)
        return render(request, f"{TEMPLATES}/post.html", context, status=_status_of(exc))
    # Said, not done silently: a javascript: link or a <p> that was typed
    # is not in what is stored.
    cleaned = comment_markup_removed(form.value("body").strip(), comment.body)
    note = f" {CLEANED}" if cleaned else ""
    if comment.status == Comment.Status.APPROVED:
        messages.success(request, PUBLISHED + note)
        return redirect(post_url(post, f"comment-{comment.pk}"))
    # To the top of the page's content, where the message is (the comment is
    # not shown yet). An anchor is needed: without one the browser would keep
    # the form's "#respond".
    messages.success(request, HELD + note)
    return redirect(post_url(post, "content"))
