"""Pitch pages: drafting a pitch for a job, the pitch itself (the team form
with its live staffing check for coordinators, accept and decline for the
client's contacts), and a collective's pitches.

Reads go through ``work.selectors.pitches`` (404 for whoever may not know a
pitch exists); every write is one service call in a durable transaction.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.forms import BaseFormSet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_http_methods, require_POST

from mutualist.collectives.models import Collective
from mutualist.collectives.selectors import collective_get_for_member
from mutualist.core.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from mutualist.core.web import add_domain_error, forbidden_as_403
from mutualist.members.models import User
from mutualist.members.panels import Panel
from mutualist.members.web import request_member
from mutualist.work import pitch_check as check
from mutualist.work.coverage import DAY_LABELS
from mutualist.work.forms.pitches import (
    MAX_TEAM_LINES,
    PitchDeclineForm,
    PitchForm,
    PitchNewForm,
    TeamFormSet,
    TeamLineForm,
)
from mutualist.work.models import Client, Engagement, JobRole, Pitch
from mutualist.work.selectors.access import coordinated_collective_ids, job_get_for_user
from mutualist.work.selectors.pitches import (
    WEEK_RANGE,
    DraftTeam,
    agreement_document,
    agreement_terms_for_pitch,
    agreements_awaiting_client,
    engagement_list_for_clients,
    job_roles_of,
    pitch_check,
    pitch_get_for_user,
    pitch_list_for_collective,
    pitch_list_received,
    pitch_side,
    pitch_team,
)
from mutualist.work.services.pitches import (
    active_members_of,
    pitch_accept,
    pitch_create,
    pitch_decline,
    pitch_send,
    pitch_team_parse,
    pitch_update,
    pitch_withdraw,
)

P = ParamSpec("P")
_TEMPLATES = "work/pitches"
BLANK_LINES = 2
_TEAM_FIELD = re.compile(r"^team\[(\d+)\](?:\.(\w+))?")
_ROLE_FIELD = re.compile(r"^roles\[(\d+)\]")


def not_found_as_404(
    view: Callable[Concatenate[HttpRequest, P], HttpResponse],
) -> Callable[Concatenate[HttpRequest, P], HttpResponse]:
    """A service's ``NotFound`` (someone who may not know the thing) is a 404."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from exc

    return wrapper


# --- The live check, as the pages show it -------------------------------------------------


@dataclass(frozen=True)
class Cell:
    status: str  # staffed, warning, unstaffed, or "" (not a coverage hour)
    title: str


def _grid(
    role: check.RoleCheck, result: check.CheckResult, names: dict[int, str], *, internal: bool
) -> dict[str, Any]:
    """A week of hours in the job's time zone: a column per day, a row per
    hour from the first covered hour to the last. Warnings (availability,
    clashes) are the members' business: a client sees staffed or not."""
    zone = ZoneInfo(result.timezone)
    cells: dict[tuple[int, int], Cell] = {}
    for slot in role.slots:
        local = slot.start.astimezone(zone)
        who = ", ".join(names.get(m, "?") for m in slot.staffed_by)
        notes = [f"outside {names.get(m, '?')}'s availability" for m in slot.outside_availability]
        notes += [f"{names.get(m, '?')} works elsewhere then" for m in slot.clashes]
        if not internal:
            notes = []
        if not slot.staffed:
            cell = Cell("unstaffed", f"{local:%a %H:%M}: not staffed")
        elif notes:
            cell = Cell("warning", f"{local:%a %H:%M}: {who} ({'; '.join(notes)})")
        else:
            cell = Cell("staffed", f"{local:%a %H:%M}: {who}")
        cells[((local.date() - result.week).days, local.hour)] = cell
    if not cells:
        return {"days": [], "rows": []}
    days = sorted(set(range(7)) | {day for day, _ in cells})
    hours = range(min(h for _, h in cells), max(h for _, h in cells) + 1)
    return {
        "days": [
            f"{DAY_LABELS[day % 7]} {result.week + dt.timedelta(days=day):%d %b}" for day in days
        ],
        "rows": [
            (f"{hour:02d}:00", [cells.get((day, hour), Cell("", "")) for day in days])
            for hour in hours
        ],
    }


def check_context(result: check.CheckResult, *, viewer_tz: str, internal: bool) -> dict[str, Any]:
    """What the check partial shows. ``internal`` (the collective's members):
    also each member's load, availability and clashes; a client sees the
    coverage and the price only."""
    names = {load.member.key: load.member.name for load in result.members}
    roles = []
    for role in result.roles:
        roles.append(
            {
                "check": role,
                "grid": (
                    _grid(role, result, names, internal=internal)
                    if role.role.kind == check.COVERAGE
                    else None
                ),
                "staffed": check.intervals_label(role.staffed, result.timezone),
                "unstaffed": check.intervals_label(role.unstaffed, result.timezone),
                "staffed_viewer": check.intervals_label(role.staffed, viewer_tz),
                "unstaffed_viewer": check.intervals_label(role.unstaffed, viewer_tz),
            }
        )
    return {
        "result": result,
        "roles": roles,
        "members": result.members if internal else (),
        "findings": result.findings if internal else (),
        "internal": internal,
        "viewer_tz": viewer_tz,
        "same_tz": viewer_tz == result.timezone,
        "week_end": result.week + dt.timedelta(days=6),
    }


def _week(request: HttpRequest) -> dt.date | None:
    """The ``week`` asked for, or None (the job's start week) with a message
    when it is not a date within ``WEEK_RANGE``."""
    raw = request.GET.get("week") or request.POST.get("week") or ""
    try:
        week = dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        week = None
    if (raw and week is None) or (week is not None and not WEEK_RANGE[0] <= week <= WEEK_RANGE[1]):
        messages.warning(
            request,
            f"{raw[:20]!r} is not a week from {WEEK_RANGE[0].year} to {WEEK_RANGE[1].year}; "
            "showing the job's start week.",
        )
        return None
    return week


# --- Forms of the pitch page -----------------------------------------------------------------


def _forms(
    pitch: Pitch, roles: list[JobRole], data: QueryDict | None
) -> tuple[PitchForm, BaseFormSet[TeamLineForm]]:
    members = active_members_of(pitch.collective_id)
    initial: dict[str, Any] = {
        "message": pitch.message,
        "payment_terms_days": pitch.payment_terms_days,
        "payment_method": pitch.payment_method,
    }
    team = pitch_team(pitch=pitch)
    for role_id, rate in team.rates.items():
        initial[f"rate_{role_id}"] = str(rate.amount)
    form = PitchForm(data, roles=roles, currency=pitch.currency, initial=initial)
    lines = [TeamLineForm.initial_for(line) for line in team.lines]
    if data is not None and "add_line" in data:
        data = data.copy()
        count = data.get("team-TOTAL_FORMS") or "0"
        # A count that is not a small number is left as it came: the formset
        # reports it as a form error (its management form), never a 500.
        if count.isascii() and count.isdigit() and int(count) < MAX_TEAM_LINES:
            data["team-TOTAL_FORMS"] = str(int(count) + 1)
    formset = TeamFormSet(
        data,
        prefix="team",
        initial=lines + [{} for _ in range(BLANK_LINES)],
        form_kwargs={"members": members, "roles": roles},
    )
    return form, formset


def _team_input(formset: BaseFormSet[TeamLineForm]) -> tuple[list[dict[str, object]], list[int]]:
    """The lines that are not blank, and the form index each came from."""
    lines, where = [], []
    for index, line_form in enumerate(formset.forms):
        if line_form.is_blank():
            continue
        lines.append(line_form.line_input())
        where.append(index)
    return lines, where


def _show_refusal(
    exc: DomainError, form: PitchForm, formset: BaseFormSet[TeamLineForm], where: list[int]
) -> None:
    """Put a service's refusal on the field it names: ``team[1].shifts`` on
    that line's shifts, ``roles[0].bill_rate`` on that role's rate."""
    field = exc.field or ""
    team = _TEAM_FIELD.match(field)
    if team is not None and int(team.group(1)) < len(where):
        line_form = formset.forms[where[int(team.group(1))]]
        name = team.group(2)
        line_form.add_error(name if name in line_form.fields else None, exc.message)
        return
    role = _ROLE_FIELD.match(field)
    if role is not None:
        rate_field = form.rate_field_at(int(role.group(1)))
        form.add_error(rate_field, exc.message)
        return
    add_domain_error(form, exc)


def _draft_team(
    pitch: Pitch, form: PitchForm, formset: BaseFormSet[TeamLineForm]
) -> tuple[DraftTeam | None, list[int]]:
    """The typed team, validated by the service; ``None`` (with the errors on
    the forms) when it does not pass."""
    if not (form.is_valid() and formset.is_valid()):
        return None, []
    team, where = _team_input(formset)
    try:
        return pitch_team_parse(pitch=pitch, roles=form.roles_input(), team=team), where
    except ValidationFailed as exc:
        _show_refusal(exc, form, formset, where)
        return None, where


# --- Views ---------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@forbidden_as_403
@not_found_as_404
def pitch_new(request: HttpRequest, job_id: int) -> HttpResponse:
    """A coordinator picks which of their collectives pitches, and starts the draft."""
    user = request_member(request)
    job = job_get_for_user(user=user, pk=job_id)
    collectives = list(Collective.objects.filter(pk__in=coordinated_collective_ids(user)))
    if not collectives:
        raise PermissionDenied(
            "Only a collective's coordinators can pitch for a job.", code="not_coordinator"
        )
    form = PitchNewForm(request.POST if request.method == "POST" else None, collectives=collectives)
    if request.method == "POST" and form.is_valid():
        collective = next(c for c in collectives if c.slug == form.cleaned_data["collective"])
        try:
            with transaction.atomic(durable=True):
                pitch = pitch_create(job=job, collective=collective, by=user)
        except (ValidationFailed, Conflict) as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "The draft is started: propose the team and its rates.")
            return redirect("work:pitch", pk=pitch.pk)
    return render(request, f"{_TEMPLATES}/new.html", {"job": job, "form": form})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@forbidden_as_403
@not_found_as_404
def pitch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_member(request)
    pitch = pitch_get_for_user(user=user, pk=pk)
    side = pitch_side(user, pitch)
    editable = side == "coordinator" and pitch.state == Pitch.State.DRAFT
    if request.method == "POST" and side != "coordinator":
        raise PermissionDenied("Only a coordinator can change a pitch.", code="not_coordinator")
    if request.method == "POST" and not editable:
        messages.error(request, "Only a draft pitch can be changed.")
        return redirect("work:pitch", pk=pitch.pk)
    roles = job_roles_of(pitch.job)
    form = formset = None
    if editable:
        form, formset = _forms(pitch, roles, request.POST if request.method == "POST" else None)
    if (
        request.method == "POST"
        and form is not None
        and formset is not None
        and "add_line" not in request.POST
        and form.is_valid()
        and formset.is_valid()
    ):
        team, where = _team_input(formset)
        try:
            with transaction.atomic(durable=True):
                pitch_update(
                    pitch=pitch,
                    by=user,
                    message=form.cleaned_data["message"],
                    payment_terms_days=form.cleaned_data["payment_terms_days"],
                    payment_method=form.cleaned_data["payment_method"],
                    roles=form.roles_input(),
                    team=team,
                )
        except (ValidationFailed, Conflict) as exc:
            _show_refusal(exc, form, formset, where)
        else:
            messages.success(request, "The draft is saved.")
            return redirect("work:pitch", pk=pitch.pk)
    return render(
        request, f"{_TEMPLATES}/detail.html", _page(request, user, pitch, side, form, formset)
    )


def _page(
    request: HttpRequest,
    user: User,
    pitch: Pitch,
    side: str | None,
    form: PitchForm | None,
    formset: BaseFormSet[TeamLineForm] | None,
) -> dict[str, Any]:
    team = pitch_team(pitch=pitch)
    result = pitch_check(pitch=pitch, week=_week(request), team=team)
    internal = side in ("coordinator", "member")
    lines = [
        {
            "line": line,
            "rate": team.rates.get(line.job_role.pk),
            "show_pay": side == "coordinator" or (side == "member" and line.user.pk == user.pk),
            "shifts": line.shifts,
        }
        for line in team.lines
    ]
    context: dict[str, Any] = {
        "pitch": pitch,
        "job": pitch.job,
        "side": side,
        "form": form,
        "formset": formset,
        "lines": lines,
        "rates": [(role, team.rates.get(role.pk)) for role in job_roles_of(pitch.job)],
        "engagement": Engagement.objects.filter(pitch=pitch).first(),
        "State": Pitch.State,
        **check_context(result, viewer_tz=user.profile.timezone, internal=internal),
    }
    if side == "client" and pitch.state == Pitch.State.SENT:
        preview = agreement_document(agreement_terms_for_pitch(pitch=pitch))
        context["agreement_preview"] = preview
        context["agreement_sha256"] = hashlib.sha256(preview.encode()).hexdigest()
        context["decline_form"] = PitchDeclineForm()
    return context


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@forbidden_as_403
@not_found_as_404
def pitch_check_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The check partial (htmx): GET for the saved team (``?week=``), POST
    with the pitch form for a team typed but not saved (coordinators)."""
    user = request_member(request)
    pitch = pitch_get_for_user(user=user, pk=pk)
    side = pitch_side(user, pitch)
    team: DraftTeam | None = None
    errors: list[str] = []
    if request.method == "POST":
        if side != "coordinator":
            raise PermissionDenied("Only a coordinator can change a pitch.", code="not_coordinator")
        form, formset = _forms(pitch, job_roles_of(pitch.job), request.POST)
        team, _ = _draft_team(pitch, form, formset)
        if team is None:
            errors = [
                *(str(e) for e in form.non_field_errors()),
                *(
                    f"{form[name].label}: {' '.join(str(e) for e in field_errors)}"
                    for name, field_errors in form.errors.items()
                    if name != "__all__"
                ),
            ]
            for index, line_form in enumerate(formset.forms, start=1):
                for name, field_errors in line_form.errors.items():
                    label = line_form.fields[name].label if name in line_form.fields else ""
                    errors.append(
                        f"Line {index}{f' ({label})' if label else ''}: "
                        + " ".join(str(e) for e in field_errors)
                    )
    result = pitch_check(pitch=pitch, week=_week(request), team=team) if not errors else None
    context: dict[str, Any] = {"pitch": pitch, "check_errors": errors}
    if result is not None:
        context.update(
            check_context(
                result, viewer_tz=user.profile.timezone, internal=side in ("coordinator", "member")
            )
        )
    return render(request, f"{_TEMPLATES}/_check.html", context)


def _act(
    request: HttpRequest, pk: int, action: Callable[[Pitch, User], Any], done: str
) -> HttpResponse:
    user = request_member(request)
    pitch = pitch_get_for_user(user=user, pk=pk)
    try:
        with transaction.atomic(durable=True):
            result = action(pitch, user)
    except (ValidationFailed, Conflict) as exc:
        messages.error(request, exc.message)
        return redirect("work:pitch", pk=pitch.pk)
    messages.success(request, done)
    if isinstance(result, Engagement):
        return redirect("work:agreement", pk=result.pk, version=1)
    return redirect("work:pitch", pk=pitch.pk)


@login_required
@require_POST
@forbidden_as_403
@not_found_as_404
def pitch_send_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        lambda pitch, user: pitch_send(pitch=pitch, by=user),
        "The pitch is sent; the client's contacts have been emailed.",
    )


@login_required
@require_POST
@forbidden_as_403
@not_found_as_404
def pitch_withdraw_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        lambda pitch, user: pitch_withdraw(pitch=pitch, by=user),
        "The pitch is withdrawn.",
    )


@login_required
@require_POST
@forbidden_as_403
@not_found_as_404
def pitch_accept_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        # The digest of the document shown: accepting binds to what was read.
        lambda pitch, user: pitch_accept(
            pitch=pitch, by=user, agreement_sha256=request.POST.get("agreement_sha256", "")
        ),
        "You accepted the pitch and its written agreement for your organisation. The "
        "engagement starts once the collective accepts the agreement too.",
    )


@login_required
@require_POST
@forbidden_as_403
@not_found_as_404
def pitch_decline_view(request: HttpRequest, pk: int) -> HttpResponse:
    form = PitchDeclineForm(request.POST)
    if not form.is_valid():
        # An invalid note (too long, NUL) is shown, never passed on raw.
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, f"The note: {error}")
        pitch = pitch_get_for_user(user=request_member(request), pk=pk)
        return redirect("work:pitch", pk=pitch.pk)
    note = form.cleaned_data["note"]
    return _act(
        request,
        pk,
        lambda pitch, user: pitch_decline(pitch=pitch, by=user, note=note),
        "You declined the pitch; the collective has been told.",
    )


@login_required
@require_http_methods(["GET", "HEAD"])
@forbidden_as_403
def collective_pitches(request: HttpRequest, slug: str) -> HttpResponse:
    user = request_member(request)
    collective, membership = collective_get_for_member(user=user, slug=slug)
    return render(
        request,
        f"{_TEMPLATES}/collective_list.html",
        {
            "collective": collective,
            "pitches": pitch_list_for_collective(collective=collective),
            "is_coordinator": membership.is_coordinator,
        },
    )


def portal_pitches(request: HttpRequest, clients: Sequence[Client]) -> Panel | None:
    """The client portal's section: pitches received (sent, accepted,
    declined), agreements waiting for the client's acceptance, and the
    client's engagements."""
    user = request.user
    if not isinstance(user, User) or not clients:
        return None
    return Panel(
        f"{_TEMPLATES}/_portal.html",
        {
            "pitches": list(pitch_list_received(user=user)[:50]),
            "agreements": agreements_awaiting_client(user=user),
            "engagements": list(engagement_list_for_clients(user=user)[:50]),
        },
        order=20,
    )


urlpatterns: list[URLPattern] = [
    path("jobs/<int:job_id>/pitch/", pitch_new, name="pitch_new"),
    path("pitches/<int:pk>/", pitch_detail, name="pitch"),
    path("pitches/<int:pk>/check/", pitch_check_view, name="pitch_check"),
    path("pitches/<int:pk>/send/", pitch_send_view, name="pitch_send"),
    path("pitches/<int:pk>/withdraw/", pitch_withdraw_view, name="pitch_withdraw"),
    path("pitches/<int:pk>/accept/", pitch_accept_view, name="pitch_accept"),
    path("pitches/<int:pk>/decline/", pitch_decline_view, name="pitch_decline"),
    path("collectives/<slug:slug>/pitches/", collective_pitches, name="collective_pitches"),
]
