"""Timesheets: one week on one engagement for its member, the collective's
coordinators and the client's contacts (approve or return it), and a
coordinator's view of the whole team's week.

The team week is for coordinators only: a member sees their own week at
``/me/week/`` (403 for a member, 404 for an outsider).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_GET, require_POST

from mutualist.collectives.selectors import collective_get_for_coordinator
from mutualist.core.errors import DomainError
from mutualist.core.web import forbidden_as_403
from mutualist.members.models import User
from mutualist.members.panels import Panel
from mutualist.members.web import request_member
from mutualist.work.forms.time import ReturnForm, parse_week
from mutualist.work.models import Client, Timesheet
from mutualist.work.selectors.access import is_coordinator
from mutualist.work.selectors.time import (
    team_week,
    this_week,
    timesheet_get_for_user,
    timesheet_view,
    timesheets_to_approve_for_clients,
)
from mutualist.work.services.timesheets import timesheet_approve, timesheet_return

_TEMPLATES = "work/timesheets"


def _render_timesheet(
    request: HttpRequest,
    user: User,
    timesheet: Timesheet,
    *,
    return_form: ReturnForm | None = None,
    status: int = 200,
) -> HttpResponse:
    found = timesheet_view(timesheet=timesheet, viewer=user)
    return render(
        request,
        f"{_TEMPLATES}/detail.html",
        {
            "sheet": found,
            "timesheet": timesheet,
            "is_member": timesheet.member_id == user.pk,
            # The member, or a coordinator: a client contact asks, never edits;
            # and not while the week waits for a decision (``week_submitted``).
            "can_adjust": timesheet.state != Timesheet.State.SUBMITTED
            and (
                timesheet.member_id == user.pk
                or is_coordinator(user, timesheet.engagement.collective_id)
            ),
            "return_form": return_form or ReturnForm(),
        },
        status=status,
    )


@login_required
@require_GET
def timesheet_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_member(request)
    return _render_timesheet(request, user, timesheet_get_for_user(user=user, pk=pk))


@login_required
@require_POST
@forbidden_as_403
def timesheet_approve_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_member(request)
    timesheet = timesheet_get_for_user(user=user, pk=pk)
    try:
        with transaction.atomic(durable=True):
            timesheet_approve(timesheet=timesheet, by=user)
    except DomainError as exc:
        # The buttons show to anyone who may decide; a change of their own
        # waiting in the week is said on the page, not as a bare 403.
        if exc.status == 403 and exc.code != "own_entries":
            raise
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"Approved {timesheet.member.display_name}'s week: its entries are locked."
        )
    return redirect("work:timesheet", pk=timesheet.pk)


@login_required
@require_POST
@forbidden_as_403
def timesheet_return_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_member(request)
    timesheet = timesheet_get_for_user(user=user, pk=pk)
    form = ReturnForm(request.POST)
    if form.is_valid():
        try:
            with transaction.atomic(durable=True):
                timesheet_return(timesheet=timesheet, by=user, comment=form.cleaned_data["comment"])
        except DomainError as exc:
            if exc.status == 403:
                raise
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Returned the week to {timesheet.member.display_name}.")
        return redirect("work:timesheet", pk=timesheet.pk)
    return _render_timesheet(request, user, timesheet, return_form=form, status=422)


@login_required
@require_GET
@forbidden_as_403
def team_week_view(request: HttpRequest, slug: str) -> HttpResponse:
    user = request_member(request)
    collective, _ = collective_get_for_coordinator(user=user, slug=slug)
    try:
        week_start = parse_week(request.GET.get("week")) or this_week(user)
    except DomainError as exc:
        messages.warning(request, f"{exc.message} Showing this week instead.")
        week_start = this_week(user)
    return render(
        request,
        f"{_TEMPLATES}/team_week.html",
        {"team": team_week(collective=collective, week_start=week_start)},
    )


# --- the client portal's section ------------------------------------------------------------


def portal_timesheets(request: HttpRequest, clients: Sequence[Client]) -> Panel | None:
    """ "Timesheets to approve": the submitted weeks of the viewer's clients."""
    user = request.user
    if not isinstance(user, User):
        return None
    waiting = timesheets_to_approve_for_clients(user=user, clients=clients)
    return Panel(f"{_TEMPLATES}/panels/portal.html", {"timesheets": waiting}, order=30)


urlpatterns: list[URLPattern] = [
    path("timesheets/<int:pk>/", timesheet_detail, name="timesheet"),
    path("timesheets/<int:pk>/approve/", timesheet_approve_view, name="timesheet_approve"),
    path("timesheets/<int:pk>/return/", timesheet_return_view, name="timesheet_return"),
    path("collectives/<slug:slug>/week/", team_week_view, name="team_week"),
]
