"""The "Propose a team" page of a draft pitch (coordinators): the form of
choices and the matching engine's cheapest team, and "Use this team".

Proposing is a read (GET with the form in the query string; with htmx the
result swaps in place), so a proposal can be bookmarked and re-run; using
the team is a POST that solves again and writes it into the draft
(``work.services.proposals``). Neither holds a database transaction around
the solve: the service writes in one short transaction of its own.

Outsiders get 404 (the pitch selector), members who do not coordinate 403,
a pitch that is no longer a draft sends the coordinator back to it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_http_methods, require_POST

from mutualist.core.errors import Conflict, ValidationFailed
from mutualist.core.money import Money
from mutualist.core.web import add_domain_error, forbidden_as_403, is_htmx_partial
from mutualist.members.models import User
from mutualist.members.web import request_member
from mutualist.work.forms.proposals import ProposalForm
from mutualist.work.matching import Proposal
from mutualist.work.models import Pitch
from mutualist.work.pitch_check import intervals_label
from mutualist.work.selectors.pitches import pitch_get_for_user
from mutualist.work.services.pitches import active_members_of, coordinator_only
from mutualist.work.services.proposals import pitch_team_apply_proposal, pitch_team_propose
from mutualist.work.views.pitches import not_found_as_404

_TEMPLATES = "work/pitches"
STATUS_WORDS = {
    "optimal": "The cheapest team, proven.",
    "feasible": "A good team: the search stopped at its time limit before proving it the cheapest.",
    "infeasible": "No team keeps every rule.",
    "unknown": "No team was found within the time limit.",
}
PARTIAL_WORDS = "The cheapest team for the hours that can be staffed, proven; some are left open."


def _draft_for_coordinator(request: HttpRequest, pk: int) -> tuple[User, Pitch]:
    user = request_member(request)
    pitch = pitch_get_for_user(user=user, pk=pk)
    coordinator_only(user, pitch.collective_id, thing="pitch")
    return user, pitch


def _form(pitch: Pitch, data: QueryDict | None) -> ProposalForm:
    members = sorted(active_members_of(pitch.collective_id), key=lambda u: u.display_name)
    return ProposalForm(data, members=members, currency=pitch.currency)


def _show_refusal(form: ProposalForm, exc: ValidationFailed) -> None:
    field = form.field_for(exc.field)
    if field is not None:
        form.add_error(field, exc.message)
    else:
        add_domain_error(form, exc)


def _result(proposal: Proposal, viewer: User) -> dict[str, Any]:
    """What the page shows of a proposal: shifts in the job's time zone and
    in each member's, open hours as labels."""
    tz = proposal.timezone
    lines = [
        {
            "line": line,
            "job_shifts": intervals_label(line.slots, tz),
            "member_shifts": intervals_label(line.slots, line.member.timezone),
        }
        for line in proposal.lines
    ]
    roles = [
        {
            "outcome": outcome,
            "open": intervals_label(outcome.uncovered, tz),
            "open_viewer": intervals_label(outcome.uncovered, viewer.profile.timezone),
        }
        for outcome in proposal.roles
    ]
    return {
        "proposal": proposal,
        "status_words": (
            PARTIAL_WORDS
            if proposal.status == "optimal" and proposal.found and not proposal.complete
            else STATUS_WORDS.get(proposal.status, proposal.status)
        ),
        "lines": lines,
        "roles": roles,
        "week_end": proposal.week + dt.timedelta(days=6),
        "viewer_tz": viewer.profile.timezone,
        "same_tz": viewer.profile.timezone == tz,
    }


def _profile_rate(user: User) -> Money | None:
    profile = user.profile
    if profile.rate_minor is None:
        return None
    return Money.from_minor(profile.rate_minor, profile.rate_currency)


def _apply_fields(form: ProposalForm) -> list[tuple[str, str]]:
    """The choices the proposal was made with, as the hidden fields of "Use
    this team" (which solves again with them)."""
    if not form.is_bound or not form.is_valid():
        return []
    data = form.cleaned_data
    fields = []
    if data.get("week"):
        fields.append(("week", data["week"].isoformat()))
    if data.get("max_team_size"):
        fields.append(("max_team_size", str(data["max_team_size"])))
    for user in form.members:
        use = data.get(form.use_field(user)) or ""
        if use and use != "consider":
            fields.append((form.use_field(user), use))
        rate = (data.get(form.rate_field(user)) or "").strip()
        if rate:
            fields.append((form.rate_field(user), rate))
    return fields


def _render(
    request: HttpRequest,
    pitch: Pitch,
    form: ProposalForm,
    proposal: Proposal | None,
    viewer: User,
) -> HttpResponse:
    context: dict[str, Any] = {"pitch": pitch, "job": pitch.job, "form": form}
    considered = {c.member.key: c for c in proposal.candidates} if proposal is not None else {}
    context["rows"] = [
        (user, use, rate, considered.get(user.pk), _profile_rate(user))
        for user, use, rate in form.rows()
    ]
    if proposal is not None:
        context.update(_result(proposal, viewer))
        context["apply_fields"] = _apply_fields(form)
    if is_htmx_partial(request):
        return render(request, f"{_TEMPLATES}/_proposal.html", context)
    return render(request, f"{_TEMPLATES}/proposal.html", context)


@login_required
@require_http_methods(["GET", "HEAD"])
@forbidden_as_403
@not_found_as_404
def pitch_proposal(request: HttpRequest, pk: int) -> HttpResponse:
    """The form and, when it is valid (an empty one is), the proposal."""
    user, pitch = _draft_for_coordinator(request, pk)
    if pitch.state != Pitch.State.DRAFT:
        messages.error(request, "Only a draft pitch gets a proposed team.")
        return redirect("work:pitch", pk=pitch.pk)
    # An empty query string proposes with the defaults (the form is bound to
    # nothing, so it validates and shows its initial choices as chosen).
    form = _form(pitch, request.GET or QueryDict())
    proposal = None
    if form.is_valid():
        try:
            proposal = pitch_team_propose(pitch=pitch, by=user, **form.choices())
        except ValidationFailed as exc:
            _show_refusal(form, exc)
    return _render(request, pitch, form, proposal, user)


@login_required
@require_POST
@forbidden_as_403
@not_found_as_404
def pitch_proposal_apply(request: HttpRequest, pk: int) -> HttpResponse:
    """Use the proposed team: solve again with the same choices, write it
    into the draft and go back to the pitch, whose live check shows it."""
    user, pitch = _draft_for_coordinator(request, pk)
    if pitch.state != Pitch.State.DRAFT:
        messages.error(request, "Only a draft pitch can be changed.")
        return redirect("work:pitch", pk=pitch.pk)
    form = _form(pitch, request.POST)
    proposal = None
    if form.is_valid():
        try:
            pitch_team_apply_proposal(
                pitch=pitch,
                by=user,
                digest=request.POST.get("digest") or None,
                **form.choices(),
            )
        except ValidationFailed as exc:
            _show_refusal(form, exc)
        except Conflict as exc:
            if exc.code == "pitch_not_draft":
                messages.error(request, exc.message)
                return redirect("work:pitch", pk=pitch.pk)
            messages.warning(request, exc.message)
            proposal = _propose_again(pitch, user, form)
        else:
            messages.success(
                request, "The proposed team is the draft's team now; its staffing check is below."
            )
            # The check of the week the team was planned for (the shifts are
            # weekly; another week's clocks or engagements may differ).
            week = form.choices().get("week")
            target = reverse("work:pitch", kwargs={"pk": pitch.pk})
            return redirect(f"{target}?week={week.isoformat()}" if week else target)
    return _render(request, pitch, form, proposal, user)


def _propose_again(pitch: Pitch, user: User, form: ProposalForm) -> Proposal | None:
    """After a refusal to use the team, the team the engine proposes now."""
    try:
        return pitch_team_propose(pitch=pitch, by=user, **form.choices())
    except (ValidationFailed, Conflict) as exc:
        add_domain_error(form, exc)
        return None


urlpatterns: list[URLPattern] = [
    path("pitches/<int:pk>/proposal/", pitch_proposal, name="pitch_proposal"),
    path("pitches/<int:pk>/proposal/use/", pitch_proposal_apply, name="pitch_proposal_apply"),
]
