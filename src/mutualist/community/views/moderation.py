"""The moderation queue: the comments on the posts one moderates (one's own,
and those written for a collective one coordinates), by status, with the
commenter's email address, and the buttons to approve, mark as spam, trash,
hold again, or correct one.

Anyone signed in may open the queue: it holds only what they moderate, so an
outsider's is empty. A comment on a post they do not moderate is a 404.
With htmx a button swaps its row for the row as it is now; a plain POST is
redirected back to the tab the comment was in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from mutualist.community.forms import CommentEditForm
from mutualist.community.models import Comment
from mutualist.community.sanitize import allowed_comment_html, clean_comment_html
from mutualist.community.selectors import (
    comment_get_for_moderator,
    moderation_counts,
    moderation_queue,
)
from mutualist.community.services.comments import comment_edit as comment_edit_service
from mutualist.community.services.comments import comment_moderate as comment_moderate_service
from mutualist.community.views._common import (
    TEMPLATES,
    blog_context,
    linkable_website,
    post_url,
)
from mutualist.core.errors import DomainError
from mutualist.core.web import add_domain_error, forbidden_as_403, is_htmx_partial
from mutualist.members.web import request_member

PAGE_SIZE = 20
TAB_LABELS = {
    Comment.Status.PENDING: "Pending",
    Comment.Status.APPROVED: "Approved",
    Comment.Status.SPAM: "Spam",
    Comment.Status.TRASH: "Trash",
}
# The buttons a comment of each status offers: (action, label).
ACTIONS: dict[str, list[tuple[str, str]]] = {
    Comment.Status.PENDING: [("approve", "Approve"), ("spam", "Spam"), ("trash", "Trash")],
    Comment.Status.APPROVED: [("unapprove", "Unapprove"), ("spam", "Spam"), ("trash", "Trash")],
    Comment.Status.SPAM: [("approve", "Not spam: approve"), ("trash", "Trash")],
    Comment.Status.TRASH: [("approve", "Restore and approve"), ("unapprove", "Restore as pending")],
}
DONE = {
    "approve": "Approved: it is shown on the post.",
    "spam": "Marked as spam.",
    "trash": "Moved to the trash.",
    "unapprove": "Held again: it is no longer shown.",
}


def queue_url(status: str) -> str:
    return f"{reverse('community:moderation')}?{urlencode({'status': status})}"


def mailto(address: str) -> str:
    """A ``mailto:`` URL that writes to ``address`` and nothing more.

    Every character but letters, digits, ``@`` and ``._-~`` is
    percent-encoded (RFC 6068): a valid address such as
    ``"?cc=a@evil.example&body=hi"@example.com`` must not add a copy to
    someone else, or words, to the moderator's reply.
    """
    return f"mailto:{quote(address, safe='@')}"


@dataclass(frozen=True)
class Row:
    """A comment as its moderator sees it, email address included."""

    comment: Comment
    body_html: SafeString
    post_url: str
    parent_url: str
    website: str
    mailto: str
    actions: list[tuple[str, str]]
    notice: str = ""
    error: str = ""


def row(comment: Comment, *, notice: str = "", error: str = "") -> Row:
    parent = comment.parent
    return Row(
        comment=comment,
        # Stored clean; cleaned again on the way out, as the public pages do.
        body_html=mark_safe(clean_comment_html(comment.body)),  # noqa: S308 -- nh3 cleaned it
        post_url=post_url(comment.post),
        parent_url=post_url(comment.post, f"comment-{parent.pk}") if parent is not None else "",
        website=linkable_website(comment.website),
        mailto=mailto(comment.email),
        actions=ACTIONS[comment.status],
        notice=notice,
        error=error,
    )


@dataclass(frozen=True)
class Tab:
    status: str
    label: str
    count: int
    url: str
    current: bool


@login_required
@require_safe
def moderation(request: HttpRequest) -> HttpResponse:
    user = request_member(request)
    status = request.GET.get("status") or Comment.Status.PENDING
    if status not in Comment.Status.values:
        status = Comment.Status.PENDING
    counts = moderation_counts(user=user)
    page = Paginator(moderation_queue(user=user, status=status), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    tabs = [
        Tab(value, label, counts[value], queue_url(value), value == status)
        for value, label in TAB_LABELS.items()
    ]
    context: dict[str, Any] = blog_context(
        request,
        status=status,
        status_label=TAB_LABELS[Comment.Status(status)],
        tabs=tabs,
        page_obj=page,
        rows=[row(c) for c in page],
    )
    return render(request, f"{TEMPLATES}/moderation.html", context)


@login_required
@require_POST
@forbidden_as_403
def comment_moderate(request: HttpRequest, comment_id: int) -> HttpResponse:
    user = request_member(request)
    found = comment_get_for_moderator(user=user, comment_id=comment_id)
    was = found.status
    action = request.POST.get("action", "")
    try:
        with transaction.atomic(durable=True):
            done = comment_moderate_service(comment=found, moderator=user, action=action)
    except DomainError as exc:
        if exc.status == 403:
            raise
        if is_htmx_partial(request):
            context = {"row": row(found, error=exc.message)}
            return render(request, f"{TEMPLATES}/_moderation_row.html", context)
        messages.error(request, exc.message)
        return redirect(queue_url(was))
    if is_htmx_partial(request):
        context = {"row": row(done, notice=DONE[action])}
        return render(request, f"{TEMPLATES}/_moderation_row.html", context)
    messages.success(request, f"{done.name}’s comment: {DONE[action]}")
    return redirect(queue_url(was))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@forbidden_as_403
def comment_edit(request: HttpRequest, comment_id: int) -> HttpResponse:
    user = request_member(request)
    found = comment_get_for_moderator(user=user, comment_id=comment_id)
    status = 200
    if request.method == "POST":
        form = CommentEditForm(request.POST)
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic(durable=True):
                    comment_edit_service(
                        comment=found,
                        moderator=user,
                        name=data["name"],
                        website=data["website"],
                        body=data["body"],
                    )
            except DomainError as exc:
                if exc.status == 403:
                    raise
                add_domain_error(form, exc)
                status = exc.status
            else:
                messages.success(request, f"{found.name}’s comment is saved.")
                return redirect(queue_url(found.status))
    else:
        form = CommentEditForm(
            initial={"name": found.name, "website": found.website, "body": found.body}
        )
    context = blog_context(
        request, form=form, row=row(found), allowed_html=" ".join(allowed_comment_html())
    )
    return render(request, f"{TEMPLATES}/comment_edit.html", context, status=status)
