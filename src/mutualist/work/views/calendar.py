"""The member's private calendar feed: the page that makes, replaces and
revokes its secret URL (``work:calendar``), and the feed itself
(``work:calendar_feed``), which needs no login: the URL's token is the key.

The same services as ``GET/POST/DELETE /api/v1/me/calendar``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.views.decorators.http import require_http_methods, require_safe

from mutualist.members.web import request_member
from mutualist.work.ical import member_calendar_ics
from mutualist.work.services.calendar import (
    IssuedFeed,
    calendar_feed_find,
    calendar_feed_issue,
    calendar_feed_of,
    calendar_feed_record_use,
    calendar_feed_revoke,
)

ICS_CONTENT_TYPE = "text/calendar; charset=utf-8"


def feed_url(request: HttpRequest, token: str) -> str:
    """The feed's absolute address, to paste into a calendar app."""
    return request.build_absolute_uri(reverse("work:calendar_feed", args=[token]))


def webcal_url(url: str) -> str:
    """The same address with the ``webcal:`` scheme, which calendar apps open
    as a subscription."""
    return "webcal:" + url.split(":", 1)[1]


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def calendar(request: HttpRequest) -> HttpResponse:
    user = request_member(request)
    issued: IssuedFeed | None = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "issue":
            with transaction.atomic(durable=True):
                issued = calendar_feed_issue(user=user)
        elif action == "revoke":
            with transaction.atomic(durable=True):
                revoked = calendar_feed_revoke(user=user)
            if revoked:
                messages.success(
                    request, "Your calendar feed is revoked: its address no longer works."
                )
            return redirect("work:calendar")
        else:
            messages.error(request, "Choose to make or to revoke the feed.")
            return redirect("work:calendar")
    url = feed_url(request, issued.token) if issued else None
    # The new address is rendered straight into this response, never through
    # the session or a redirect, so it exists nowhere but this page.
    response = render(
        request,
        "work/calendar/manage.html",
        {
            "feed": issued.feed if issued else calendar_feed_of(user=user),
            "issued": issued,
            "url": url,
            "webcal": webcal_url(url) if url else None,
            "viewer_timezone": user.profile.timezone,
        },
    )
    if issued is not None:
        add_never_cache_headers(response)  # no copy of the address in any cache
    return response


@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    feed = calendar_feed_find(token=token)
    if feed is None:
        # Plain and bare: nothing says whether such a feed ever existed.
        return HttpResponseNotFound("Not found.\n", content_type="text/plain; charset=utf-8")
    calendar_feed_record_use(feed=feed)
    response = HttpResponse(member_calendar_ics(user=feed.user), content_type=ICS_CONTENT_TYPE)
    response["Content-Disposition"] = 'inline; filename="mutualist.ics"'
    # The feed is one member's: shared caches must not keep it.
    patch_cache_control(response, private=True, max_age=0)
    return response


urlpatterns: list[URLPattern] = [
    path("me/calendar/", calendar, name="calendar"),
    path("calendar/<str:token>.ics", calendar_feed, name="calendar_feed"),
]
