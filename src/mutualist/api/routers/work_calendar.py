"""The caller's private calendar feed (shifts and deadlines as iCalendar):
whether it exists, make or replace its secret address, revoke it.

The feed itself is served at the address, outside the API, and needs no login.
"""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from ninja import Router, Status

from mutualist.api.auth import request_user
from mutualist.api.routers import responses
from mutualist.api.schemas.work_calendar import CalendarFeedCreatedOut, CalendarFeedOut
from mutualist.work.services.calendar import (
    calendar_feed_issue,
    calendar_feed_of,
    calendar_feed_revoke,
)
from mutualist.work.views.calendar import feed_url, webcal_url

router = Router(tags=["work"])


@router.get(
    "/me/calendar", response=responses({200: CalendarFeedOut}), summary="Your calendar feed"
)
def me_calendar(request: HttpRequest) -> CalendarFeedOut:
    """Whether you have a feed address, since when, and when a calendar app
    last read it. The address itself is never shown again."""
    return CalendarFeedOut.build(calendar_feed_of(user=request_user(request)))


@router.post(
    "/me/calendar",
    response=responses({201: CalendarFeedCreatedOut}),
    summary="Make or replace your calendar feed's address",
)
def me_calendar_issue(request: HttpRequest) -> Status[CalendarFeedCreatedOut]:
    """Makes your feed, or gives it a new secret address if you have one (the
    old address stops working at once). The response carries the address,
    this once: store it now. No body is needed."""
    user = request_user(request)
    with transaction.atomic(durable=True):
        issued = calendar_feed_issue(user=user)
    url = feed_url(request, issued.token)
    return Status(
        201,
        CalendarFeedCreatedOut.build_issued(
            issued.feed, url=url, webcal_url=webcal_url(url), rotated=issued.rotated
        ),
    )


@router.delete("/me/calendar", response=responses({204: None}), summary="Revoke your calendar feed")
def me_calendar_revoke(request: HttpRequest) -> Status[None]:
    """The feed's address answers 404 from now on. Revoking when there is no
    feed changes nothing and answers 204 too."""
    user = request_user(request)
    with transaction.atomic(durable=True):
        calendar_feed_revoke(user=user)
    return Status(204, None)
