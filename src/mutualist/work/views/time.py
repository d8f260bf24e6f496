"""A member's week: the timer, manual entries, edits, submitting the week,
and corrections (adjustments) of approved entries.

Thin views: a selector, a form, one service call inside
``transaction.atomic(durable=True)``, then a render or a redirect. The timer
buttons post with htmx and get the week back as a fragment, so the running
timer, the day's entries and the totals change without a reload; without
JavaScript the same posts redirect to the page.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mutualist.core.errors import DomainError
from mutualist.core.web import add_domain_error, forbidden_as_403, is_htmx_partial
from mutualist.members.models import User
from mutualist.members.panels import Panel
from mutualist.members.web import request_member
from mutualist.work.forms.time import (
    AdjustmentForm,
    EntryEditForm,
    EntryForm,
    EntryNoteForm,
    TimerStartForm,
    parse_week,
)
from mutualist.work.models import TimeEntry
from mutualist.work.selectors.time import (
    Week,
    entry_get_for_adjuster,
    entry_get_for_member,
    member_week,
    seats_for_timer,
    this_week,
    viewer_zone,
)
from mutualist.work.services.time import (
    time_entry_adjust,
    time_entry_delete,
    time_entry_record,
    time_entry_update,
    timer_start,
    timer_stop,
)
from mutualist.work.services.timesheets import week_submit

_TEMPLATES = "work/time"


def _week_of(request: HttpRequest, user: User) -> dt.date:
    """The week asked for (``week`` in the query or the form), else this one;
    this one too, with a message saying why, when the week asked for is not
    a date or is outside the years time is kept for."""
    raw = request.POST.get("week") if request.method == "POST" else request.GET.get("week")
    try:
        return parse_week(raw) or this_week(user)
    except DomainError as exc:
        messages.warning(request, f"{exc.message} Showing this week instead.")
        return this_week(user)


def _week_url(week: dt.date) -> str:
    return f"{reverse('work:week')}?week={week:%Y-%m-%d}"


def _week_context(user: User, week_start: dt.date, **extra: Any) -> dict[str, Any]:
    seats = seats_for_timer(user)
    found: Week = member_week(member=user, week_start=week_start)
    return {
        "week": found,
        "seats": seats,
        "timer_form": TimerStartForm(seats=seats, initial={"billable": True}),
        "is_this_week": week_start == this_week(user),
        **extra,
    }


@login_required
@require_GET
def week(request: HttpRequest) -> HttpResponse:
    user = request_member(request)
    week_start = _week_of(request, user)
    seats = seats_for_timer(user)
    entry_form = EntryForm(
        seats=seats,
        zone=viewer_zone(user),
        initial={"billable": True, "day": _default_day(user, week_start)},
    )
    return render(
        request,
        f"{_TEMPLATES}/week.html",
        _week_context(user, week_start, entry_form=entry_form),
    )


def _default_day(user: User, week_start: dt.date) -> dt.date:
    today = dt.datetime.now(tz=viewer_zone(user)).date()
    return today if week_start <= today < week_start + dt.timedelta(days=7) else week_start


def _timer_answer(
    request: HttpRequest, user: User, week_start: dt.date, error: str | None = None
) -> HttpResponse:
    """The week fragment for htmx; a redirect (with the error as a message) otherwise."""
    if is_htmx_partial(request):
        return render(
            request,
            f"{_TEMPLATES}/_week.html",
            _week_context(user, week_start, timer_error=error),
        )
    if error:
        messages.error(request, error)
    return redirect(_week_url(week_start))


@login_required
@require_POST
def timer_start_view(request: HttpRequest) -> HttpResponse:
    user = request_member(request)
    week_start = _week_of(request, user)
    form = TimerStartForm(request.POST, seats=seats_for_timer(user))
    if not form.is_valid():
        return _timer_answer(
            request, user, week_start, "Choose an engagement to start the timer on."
        )
    try:
        with transaction.atomic(durable=True):
            timer_start(
                engagement=form.cleaned_data["seat"].engagement,
                member=user,
                note=form.cleaned_data["note"],
                billable=form.cleaned_data["billable"],
            )
    except DomainError as exc:
        return _timer_answer(request, user, week_start, exc.message)
    return _timer_answer(request, user, week_start)


@login_required
@require_POST
def timer_stop_view(request: HttpRequest) -> HttpResponse:
    user = request_member(request)
    week_start = _week_of(request, user)
    try:
        with transaction.atomic(durable=True):
            timer_stop(member=user)
    except DomainError as exc:
        return _timer_answer(request, user, week_start, exc.message)
    return _timer_answer(request, user, week_start)


@login_required
@require_POST
def entry_new(request: HttpRequest) -> HttpResponse:
    user = request_member(request)
    seats = seats_for_timer(user)
    form = EntryForm(request.POST, seats=seats, zone=viewer_zone(user))
    week_start = _week_of(request, user)
    if form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic(durable=True):
                entry = time_entry_record(
                    engagement=data["seat"].engagement,
                    member=user,
                    started_at=data["started_at"],
                    ended_at=data["ended_at"],
                    note=data["note"],
                    billable=data["billable"],
                    recorded_by=user,
                )
        except DomainError as exc:
            add_domain_error(form, _on_form_field(exc))
        else:
            messages.success(request, "Entry recorded.")
            return redirect(_week_url(entry.timesheet.week_start))
    return render(
        request,
        f"{_TEMPLATES}/week.html",
        _week_context(user, week_start, entry_form=form),
        status=422,
    )


def _on_form_field(exc: DomainError) -> DomainError:
    """The services name ``started_at``/``ended_at``; the form has ``start``/``end``."""
    fields = {"started_at": "start", "ended_at": "end", "engagement": "seat"}
    if exc.field in fields:
        exc.field = fields[exc.field]
    return exc


@login_required
@require_POST
def week_submit_view(request: HttpRequest) -> HttpResponse:
    user = request_member(request)
    week_start = _week_of(request, user)
    try:
        with transaction.atomic(durable=True):
            submitted = week_submit(member=user, week_start=week_start)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        names = ", ".join(t.engagement.title for t in submitted)
        messages.success(request, f"Week submitted for approval: {names}.")
    return redirect(_week_url(week_start))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@forbidden_as_403
def entry_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_member(request)
    entry = entry_get_for_member(user=user, pk=pk)
    zone = viewer_zone(user)
    data = request.POST if request.method == "POST" else None
    form: EntryEditForm | EntryNoteForm
    if entry.is_running or entry.kind == TimeEntry.Kind.ADJUSTMENT or entry.ended_at is None:
        form = EntryNoteForm(data, initial={"note": entry.note, "billable": entry.billable})
    else:
        form = EntryEditForm(
            data,
            zone=zone,
            initial=EntryEditForm.initial_from(
                started_at=entry.started_at,
                ended_at=entry.ended_at,
                zone=zone,
                note=entry.note,
                billable=entry.billable,
            ),
        )
    if request.method == "POST" and form.is_valid():
        cleaned = form.cleaned_data
        try:
            with transaction.atomic(durable=True):
                time_entry_update(
                    entry=entry,
                    by=user,
                    started_at=_unless_same(cleaned.get("started_at"), entry.started_at),
                    ended_at=_unless_same(cleaned.get("ended_at"), entry.ended_at),
                    note=cleaned["note"],
                    billable=cleaned["billable"],
                )
        except DomainError as exc:
            add_domain_error(form, _on_form_field(exc))
        else:
            messages.success(request, "Entry saved.")
            entry.refresh_from_db()
            return redirect(_week_url(entry.timesheet.week_start))
    return render(
        request,
        f"{_TEMPLATES}/entry_edit.html",
        {"entry": entry, "form": form, "zone": zone, "week_start": entry.timesheet.week_start},
        status=422 if form.is_bound and form.errors else 200,
    )


def _unless_same(new: dt.datetime | None, old: dt.datetime | None) -> dt.datetime | None:
    """``None`` (no change) when the form gives back the time it showed: the
    form has whole minutes, a timer's times have seconds."""
    if new is None or old is None:
        return new
    return None if new == old.replace(second=0, microsecond=0) else new


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@forbidden_as_403
def entry_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_member(request)
    entry = entry_get_for_member(user=user, pk=pk)
    week_start = entry.timesheet.week_start
    error = None
    if request.method == "POST":
        try:
            with transaction.atomic(durable=True):
                time_entry_delete(entry=entry, by=user)
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, "Entry deleted.")
            return redirect(_week_url(week_start))
    zone = viewer_zone(user)
    return render(
        request,
        f"{_TEMPLATES}/entry_delete.html",
        {
            "entry": entry,
            "start": entry.started_at.astimezone(zone),
            "end": entry.ended_at.astimezone(zone) if entry.ended_at else None,
            "zone": zone,
            "error": error,
            "week_start": week_start,
        },
        status=409 if error else 200,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@forbidden_as_403
def entry_adjust(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_member(request)
    entry = entry_get_for_adjuster(user=user, pk=pk)
    form = AdjustmentForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic(durable=True):
                time_entry_adjust(
                    entry=entry,
                    by=user,
                    minutes=form.cleaned_data["minutes"],
                    note=form.cleaned_data["note"],
                )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "Adjustment recorded: the week goes back for approval.")
            return redirect("work:timesheet", pk=entry.timesheet_id)
    zone = viewer_zone(user)
    return render(
        request,
        f"{_TEMPLATES}/entry_adjust.html",
        {
            "entry": entry,
            "form": form,
            "start": entry.started_at.astimezone(zone),
            "end": entry.ended_at.astimezone(zone) if entry.ended_at else None,
            "zone": zone,
        },
        status=422 if form.is_bound and form.errors else 200,
    )


# --- the dashboard's panel ---------------------------------------------------------------


def dashboard_this_week(request: HttpRequest) -> Panel | None:
    """ "This week": hours per client, the running timer with a stop button,
    and a link to the week; for members with a seat on an engagement."""
    user = request.user
    if not isinstance(user, User):
        return None
    seats = seats_for_timer(user)
    week_start = this_week(user)
    found = member_week(member=user, week_start=week_start)
    if not seats and not found.engagements:
        return None
    return Panel(f"{_TEMPLATES}/panels/this_week.html", {"week": found}, order=20)


urlpatterns: list[URLPattern] = [
    path("me/week/", week, name="week"),
    path("me/week/timer/start/", timer_start_view, name="timer_start"),
    path("me/week/timer/stop/", timer_stop_view, name="timer_stop"),
    path("me/week/entries/new/", entry_new, name="entry_new"),
    path("me/week/submit/", week_submit_view, name="week_submit"),
    path("me/time-entries/<int:pk>/edit/", entry_edit, name="entry_edit"),
    path("me/time-entries/<int:pk>/delete/", entry_delete, name="entry_delete"),
    path("time-entries/<int:pk>/adjust/", entry_adjust, name="entry_adjust"),
]
