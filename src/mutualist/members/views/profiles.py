"""The member's own pages (dashboard, profile, skills, availability) and the
public people directory and profile pages.

Thin views: a permission-scoped selector, a form, one service call, then a
render or a redirect with a message. A service's ``DomainError`` becomes an
error on the form field it names. No page here ever shows an email address
except the dashboard, which shows its owner their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods

from mutualist.core.errors import DomainError
from mutualist.core.reference import (
    country_names,
    from_minor_units,
    language_names,
    timezone_choices,
)
from mutualist.core.web import add_domain_error, is_htmx_partial
from mutualist.members.availability import Window, weekly_hours
from mutualist.members.forms.profiles import (
    TIMEZONE_DATALIST_ID,
    AvailabilityFormSet,
    DirectoryFilterForm,
    ProfileForm,
    SkillsForm,
)
from mutualist.members.models import Profile
from mutualist.members.panels import dashboard_panels, profile_panels
from mutualist.members.selectors import (
    DirectoryEntry,
    profile_get_for_user,
    profile_get_own,
    profile_list_directory,
    profile_windows,
    skill_list,
)
from mutualist.members.services.profiles import (
    profile_set_availability,
    profile_set_skills,
    profile_update,
)
from mutualist.members.web import request_member, request_viewer

_TEMPLATES = "members/profiles"
DIRECTORY_PAGE_SIZE = 24


_add_domain_error = add_domain_error


_viewer = request_viewer


_current_user = request_member


# --- What the templates show about a person ----------------------------------------


def rate_label(profile: Profile) -> str:
    """``"PHP 500.00 an hour"``, or an empty string when no rate is given."""
    if profile.rate_minor is None:
        return ""
    amount = from_minor_units(profile.rate_minor, profile.rate_currency)
    return f"{profile.rate_currency} {amount:,} an hour"


def place_label(profile: Profile) -> str:
    country = country_names().get(profile.country, profile.country)
    return ", ".join(part for part in (profile.city, country) if part)


@dataclass(frozen=True)
class PersonCard:
    """One person as the directory and the profile page show them (no email)."""

    profile: Profile
    rate: str
    place: str
    languages: list[str]
    overlap_hours: Decimal | None = None

    @classmethod
    def of(cls, profile: Profile, overlap_hours: Decimal | None = None) -> PersonCard:
        names = language_names()
        return cls(
            profile=profile,
            rate=rate_label(profile),
            place=place_label(profile),
            languages=[names.get(lang.code, lang.code) for lang in profile.languages.all()],
            overlap_hours=overlap_hours,
        )


def _timezone_datalist() -> dict[str, Any]:
    return {"timezone_datalist_id": TIMEZONE_DATALIST_ID, "timezone_names": timezone_choices()}


# --- The member's own pages ------------------------------------------------------------


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    user = _current_user(request)
    profile = profile_get_own(user=user)
    return render(
        request,
        "members/dashboard.html",
        {
            "profile": profile,
            "card": PersonCard.of(profile),
            "weekly_hours": weekly_hours(profile_windows(profile)),
            "panels": dashboard_panels(request),
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def profile_edit(request: HttpRequest) -> HttpResponse:
    user = _current_user(request)
    profile = profile_get_own(user=user)
    form = ProfileForm(
        request.POST if request.method == "POST" else None, initial=ProfileForm.initial_for(profile)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic(durable=True):
                profile_update(
                    user=user,
                    display_name=data["display_name"],
                    headline=data["headline"],
                    bio=data["bio"],
                    country=data["country"],
                    city=data["city"],
                    timezone=data["timezone"],
                    languages=data["languages"],
                    rate=data["rate"],
                    rate_currency=data["rate_currency"],
                    weekly_capacity_hours=data["weekly_capacity_hours"],
                    is_public=data["is_public"],
                )
        except DomainError as exc:
            _add_domain_error(form, exc)
        else:
            messages.success(request, "Your profile has been saved.")
            return redirect("members:profile_edit")
    return render(
        request,
        f"{_TEMPLATES}/profile_edit.html",
        {"form": form, "profile": profile, **_timezone_datalist()},
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def skills_edit(request: HttpRequest) -> HttpResponse:
    user = _current_user(request)
    profile = profile_get_own(user=user)
    levels = {ms.skill.slug: ms.level for ms in profile.skills.all()}
    form = SkillsForm(
        request.POST if request.method == "POST" else None, skills=list(skill_list()), levels=levels
    )
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic(durable=True):
                chosen = profile_set_skills(user=user, skills=form.levels())
        except DomainError as exc:
            _add_domain_error(form, exc)
        else:
            count = len(chosen)
            messages.success(
                request, f"Your skills have been saved ({count} skill{'s' if count != 1 else ''})."
            )
            return redirect("members:skills_edit")
    return render(request, f"{_TEMPLATES}/skills_edit.html", {"form": form, "profile": profile})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def availability_edit(request: HttpRequest) -> HttpResponse:
    user = _current_user(request)
    profile = profile_get_own(user=user)
    windows = profile_windows(profile)
    initial = [
        {"weekday": w.weekday, "start": f"{w.start:%H:%M}", "end": f"{w.end:%H:%M}"}
        for w in windows
    ]
    formset = AvailabilityFormSet(
        request.POST if request.method == "POST" else None, initial=initial, prefix="windows"
    )
    service_error = ""
    if request.method == "POST" and formset.is_valid():
        rows = [form.window() for form in formset.forms]
        try:
            with transaction.atomic(durable=True):
                saved = profile_set_availability(
                    user=user, windows=[row for row in rows if row is not None]
                )
        except DomainError as exc:
            # Every availability refusal (overlap, a bad time) concerns the
            # week as a whole, so it shows above the rows.
            service_error = exc.message
        else:
            hours = weekly_hours(Window(w.weekday, w.start, w.end) for w in saved)
            messages.success(request, f"Your availability has been saved: {hours} hours a week.")
            return redirect("members:availability_edit")
    return render(
        request,
        f"{_TEMPLATES}/availability_edit.html",
        {
            "formset": formset,
            "profile": profile,
            "windows": windows,
            "weekly_hours": weekly_hours(windows),
            "service_error": service_error,
        },
    )


# --- Public pages ------------------------------------------------------------------------


_is_htmx_partial = is_htmx_partial


@require_GET
def directory(request: HttpRequest) -> HttpResponse:
    form = DirectoryFilterForm(request.GET or None, skills=list(skill_list()))
    entries: Sequence[DirectoryEntry] = []
    data: dict[str, Any] = {}
    if not form.is_bound or form.is_valid():
        data = form.cleaned_data if form.is_bound else {}
        try:
            entries = profile_list_directory(
                viewer=_viewer(request),
                skill=data.get("skill") or None,
                country=data.get("country") or None,
                city=data.get("city") or None,
                language=data.get("language") or None,
                overlap_timezone=data.get("overlap_timezone") or None,
                min_overlap_hours=data.get("min_overlap_hours"),
            )
        except DomainError as exc:
            _add_domain_error(form, exc)
    # Page first, then build cards for that page only: without the overlap
    # filter the entries are paged in SQL.
    page = Paginator(entries, DIRECTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    cards = [PersonCard.of(entry.profile, entry.overlap_hours) for entry in page.object_list]
    context = {
        "form": form,
        "page_obj": page,
        "cards": cards,
        "overlap_timezone": data.get("overlap_timezone") if form.is_valid() else "",
        **_timezone_datalist(),
    }
    # The filters update the results in place through htmx; the same URL
    # renders the whole page for a plain request (no JS, a reload, history).
    partial = _is_htmx_partial(request)
    template = "_directory_results.html" if partial else "directory.html"
    response = render(request, f"{_TEMPLATES}/{template}", {**context, "partial": partial})
    patch_vary_headers(response, ("HX-Request",))
    return response


@require_GET
def profile_detail(request: HttpRequest, handle: str) -> HttpResponse:
    viewer = _viewer(request)
    profile = profile_get_for_user(viewer=viewer, handle=handle)
    windows = profile_windows(profile)
    return render(
        request,
        f"{_TEMPLATES}/profile_detail.html",
        {
            "profile": profile,
            "card": PersonCard.of(profile),
            "skills": list(profile.skills.all()),
            "windows": windows,
            "weekly_hours": weekly_hours(windows),
            "panels": profile_panels(request, profile),
            "is_own": viewer.pk == profile.user_id,
        },
    )
