"""The job board and a job's own pages: the public list with its filters
(htmx swaps the results in place), a job's page, and editing or closing it.

Thin views: a permission-scoped selector (404 for whoever may not see the
job), a form, one service call, then a render or a redirect. A service's
``DomainError`` lands on the form field it names; the domain's
``PermissionDenied`` is a 403.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as HttpPermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mutualist.collectives.models import Collective, Membership
from mutualist.collectives.selectors import collective_get_for_member
from mutualist.core.errors import DomainError
from mutualist.core.money import Money
from mutualist.core.reference import timezone_choices
from mutualist.core.web import add_domain_error, forbidden_as_403, is_htmx_partial
from mutualist.members.forms.profiles import TIMEZONE_DATALIST_ID
from mutualist.members.models import User
from mutualist.members.selectors import skill_list
from mutualist.members.web import Viewer, request_member, request_viewer
from mutualist.work.forms.jobs import BoardFilterForm, JobForm
from mutualist.work.models import Job, JobRole
from mutualist.work.selectors.access import coordinated_collective_ids
from mutualist.work.selectors.clients import (
    BoardEntry,
    WindowView,
    job_get_visible,
    job_list_board,
    job_reference_week,
    job_weekly_hours,
    job_with_roles,
    role_window_views,
)
from mutualist.work.services.jobs import job_close as job_close_service
from mutualist.work.services.jobs import job_may_edit, job_update

BOARD_PAGE_SIZE = 20
_TEMPLATES = "work/jobs"


def viewer_timezone(viewer: Viewer) -> str | None:
    """The logged-in viewer's own time zone; ``None`` for the public."""
    if not isinstance(viewer, User):
        return None
    profile = getattr(viewer, "profile", None)
    return profile.timezone if profile is not None else None


def timezone_datalist() -> dict[str, Any]:
    return {"timezone_datalist_id": TIMEZONE_DATALIST_ID, "timezone_names": timezone_choices()}


def job_budget(job: Job) -> Money | None:
    return None if job.budget_minor is None else Money.from_minor(job.budget_minor, job.currency)


def active_collectives(viewer: Viewer) -> list[Collective]:
    """The collectives the viewer is an active member of, by name."""
    if not isinstance(viewer, User):
        return []
    return list(
        Collective.objects.filter(
            memberships__user=viewer, memberships__state=Membership.State.ACTIVE
        ).order_by("name", "pk")
    )


# --- The board ----------------------------------------------------------------------------


@require_GET
def board(request: HttpRequest) -> HttpResponse:
    viewer = request_viewer(request)
    mine = active_collectives(viewer)
    form = BoardFilterForm(
        request.GET or None,
        skills=list(skill_list()),
        collectives=[(collective.slug, collective.name) for collective in mine],
    )
    entries: Sequence[BoardEntry] = []
    overlap_with: Collective | None = None
    if not form.is_bound or form.is_valid():
        data = form.cleaned_data if form.is_bound else {}
        if data.get("collective"):
            # Choices are the viewer's own collectives; read it through the
            # members-only getter all the same (404 for anyone else).
            overlap_with, _ = collective_get_for_member(user=viewer, slug=data["collective"])
        try:
            entries = job_list_board(
                skill=data.get("skill") or None,
                min_hours=data.get("min_hours"),
                max_hours=data.get("max_hours"),
                budget_kind=data.get("budget_kind") or None,
                min_budget=data.get("min_budget"),
                overlap_with=overlap_with,
                min_overlap_hours=data.get("min_overlap_hours"),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
    page = Paginator(entries, BOARD_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(entry, job_budget(entry.job)) for entry in page.object_list]
    partial = is_htmx_partial(request)
    template = "_board_results.html" if partial else "board.html"
    response = render(
        request,
        f"work/board/{template}",
        {
            "form": form,
            "page_obj": page,
            "rows": rows,
            "overlap_with": overlap_with,
            "partial": partial,
        },
    )
    patch_vary_headers(response, ("HX-Request",))
    return response


# --- A job's page -------------------------------------------------------------------------


def role_rows(job: Job, viewer_tz: str | None) -> list[tuple[JobRole, list[WindowView]]]:
    return [(role, role_window_views(job, role, viewer_tz)) for role in job.roles.all()]


@require_GET
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = request_viewer(request)
    job = job_with_roles(job_get_visible(user=viewer, pk=pk))
    viewer_tz = viewer_timezone(viewer)
    context = {
        "job": job,
        "roles": role_rows(job, viewer_tz),
        "viewer_tz": viewer_tz,
        "weekly_hours": job_weekly_hours(job),
        "week": job_reference_week(job),
        "budget": job_budget(job),
        "can_edit": isinstance(viewer, User) and job_may_edit(user=viewer, job=job),
        "can_pitch": bool(coordinated_collective_ids(viewer)) and job.state == Job.State.OPEN,
        "Job": Job,
    }
    return render(request, f"{_TEMPLATES}/detail.html", context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@forbidden_as_403
def job_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_member(request)
    job = job_with_roles(job_get_visible(user=user, pk=pk))
    if not job_may_edit(user=user, job=job):
        raise HttpPermissionDenied("Only the client's contacts (or, for a lead, its coordinators).")
    form = JobForm(
        request.POST if request.method == "POST" else None,
        skills=list(skill_list()),
        roles=list(job.roles.all()),
        lead=job.collective_id is not None,
        editing=True,
        initial=JobForm.initial_for(job),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic(durable=True):
                budget_text = data["budget"].strip()
                job_update(
                    job=job,
                    by=user,
                    title=data["title"],
                    description=data["description"],
                    start_date=data["start_date"],
                    duration_weeks=data["duration_weeks"],
                    budget_kind=data["budget_kind"],
                    budget=Money.parse(budget_text, job.currency, field="budget")
                    if budget_text
                    else None,
                    visibility=data.get("visibility") or Job.Visibility.PRIVATE,
                    timezone=data["timezone"].strip() or job.client.timezone,
                    roles=form.role_specs(),
                )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, "The job has been saved.")
            return redirect("work:job", pk=job.pk)
    return render(
        request,
        f"{_TEMPLATES}/edit.html",
        {"form": form, "job": job, **timezone_datalist()},
    )


@login_required
@require_POST
@forbidden_as_403
def job_close(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_member(request)
    job = job_get_visible(user=user, pk=pk)
    try:
        with transaction.atomic(durable=True):
            job_close_service(job=job, by=user)
    except DomainError as exc:
        if exc.status == 403:
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, f"“{job.title}” is closed.")
    return redirect("work:job", pk=job.pk)


urlpatterns = [
    path("jobs/", board, name="board"),
    path("jobs/<int:pk>/", job_detail, name="job"),
    path("jobs/<int:pk>/edit/", job_edit, name="job_edit"),
    path("jobs/<int:pk>/close/", job_close, name="job_close"),
]
