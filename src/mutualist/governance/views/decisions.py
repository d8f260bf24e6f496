"""A collective's decisions page, and making a proposal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from mutualist.collectives.models import Collective, Membership
from mutualist.collectives.selectors import bylaws_in_force, collective_get_for_member
from mutualist.core.errors import DomainError
from mutualist.governance.forms import ProposalForm, form_field_for, zone_of
from mutualist.governance.kinds import available_kinds, handler_for
from mutualist.governance.models import CHOICE_LABELS, Proposal, Vote
from mutualist.governance.selectors import (
    live_tally,
    proposal_list_for_collective,
    results_shown,
    vote_of,
)
from mutualist.governance.services import proposal_create
from mutualist.governance.tally import Tally
from mutualist.governance.views._common import (
    TEMPLATES,
    CountRow,
    blockers_of,
    count_rows,
    opened_by,
    outcome_in_words,
    when,
    withdrawn_in_words,
)
from mutualist.members.models import User
from mutualist.members.web import request_member

CLOSED_PER_PAGE = 20


@dataclass(frozen=True)
class OpenRow:
    proposal: Proposal
    voted: int
    eligible: int
    my_vote: Vote | None
    my_choice: str
    opened_by: str
    voting_open: bool
    closed_when: str


@dataclass(frozen=True)
class ClosedRow:
    proposal: Proposal
    tally: Tally | None
    rows: list[CountRow]
    opened_by: str
    # Closed: why it ended so ("60 % for; at least 66.67 % needed").
    outcome_words: str = ""
    # Withdrawn: "Withdrawn on … by … before the count", and a note saying more.
    withdrawn_line: str = ""
    withdrawn_note: str = ""
    # Results hidden (withdrawn before an after-close count): how many had voted.
    voted_line: str = ""


@login_required
@require_GET
def decisions(request: HttpRequest, slug: str) -> HttpResponse:
    user = request_member(request)
    collective, open_proposals = proposal_list_for_collective(user=user, slug=slug, state="open")
    _, closed = proposal_list_for_collective(user=user, slug=slug, state="closed")
    zone = zone_of(user)
    now = timezone.now()
    open_rows = []
    for proposal in open_proposals:
        tally = live_tally(proposal=proposal)
        mine = vote_of(proposal=proposal, user=user)
        open_rows.append(
            OpenRow(
                proposal,
                tally.direct,
                tally.eligible,
                mine,
                CHOICE_LABELS.get(mine.choice, "") if mine else "",
                opened_by(proposal),
                proposal.closes_at > now,
                when(proposal.closes_at, zone),
            )
        )
    page = Paginator(closed, CLOSED_PER_PAGE).get_page(request.GET.get("page"))
    blockers = blockers_of(list(page))
    closed_rows = []
    for proposal in page:
        shown = results_shown(proposal=proposal, user=user)
        frozen = live_tally(proposal=proposal) if proposal.tally else None
        recorded = frozen if shown else None
        voted_line = (
            f"{frozen.direct} of {frozen.eligible} had voted."
            if frozen is not None and not shown
            else ""
        )
        line, note = (
            withdrawn_in_words(proposal, zone)
            if proposal.state == Proposal.State.WITHDRAWN
            else ("", "")
        )
        closed_rows.append(
            ClosedRow(
                proposal,
                recorded,
                count_rows(proposal, recorded) if recorded else [],
                opened_by(proposal),
                outcome_in_words(proposal, recorded, blockers.get(proposal.pk, [])),
                line,
                note,
                voted_line,
            )
        )
    return render(
        request,
        f"{TEMPLATES}/decisions.html",
        {
            "collective": collective,
            "open_rows": open_rows,
            "closed_rows": closed_rows,
            "page_obj": page,
            "zone": zone.key,
            "now": now,
        },
    )


def _applications_waiting(collective: Collective, user: User) -> list[Membership]:
    """Applications to the collective that wait for a decision and have no
    vote open on them: what an admission proposal may be about. (No selector
    offers these to members yet; the caller has checked that ``user`` is an
    active member, and members see the applicants in admission votes anyway.)"""
    _, open_proposals = proposal_list_for_collective(user=user, slug=collective.slug, state="open")
    voting_on = {
        p.payload.get("membership_id") for p in open_proposals.filter(kind=Proposal.Kind.ADMISSION)
    }
    waiting = (
        Membership.objects.filter(collective=collective, state=Membership.State.APPLIED)
        .select_related("user__profile")
        .order_by("created_at", "pk")
    )
    return [m for m in waiting if m.pk not in voting_on]


# The kinds this page has fields for. The funds' kinds (a fund's rules, a
# write-off) are proposed from the fund's and the claim's pages, which know
# what they are about.
FORM_KINDS = (Proposal.Kind.GENERAL, Proposal.Kind.BYLAWS_CHANGE, Proposal.Kind.ADMISSION)


def _kind_choices(applications: list[Membership]) -> list[tuple[str, str]]:
    labels = dict(Proposal.Kind.choices)
    kinds = []
    for kind in available_kinds():
        if kind not in FORM_KINDS:
            continue
        handler = handler_for(kind)
        if handler is None or not handler.members_may_propose:
            continue
        if kind == Proposal.Kind.ADMISSION and not applications:
            continue
        kinds.append((kind, labels[kind]))
    return kinds


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def proposal_new(request: HttpRequest, slug: str) -> HttpResponse:
    user = request_member(request)
    collective, _ = collective_get_for_member(user=user, slug=slug)
    bylaws = bylaws_in_force(collective=collective)
    applications = _applications_waiting(collective, user)
    kinds = _kind_choices(applications)
    zone = zone_of(user)
    wanted = request.GET.get("kind", "")
    kind = wanted if wanted in dict(kinds) else Proposal.Kind.GENERAL
    form = ProposalForm(
        request.POST if request.method == "POST" else None,
        kinds=kinds,
        applications=applications,
        zone=zone,
        initial=ProposalForm.initial_for(kind=kind, bylaws=bylaws, zone=zone),
    )
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic(durable=True):
                    made = proposal_create(
                        collective=collective,
                        author=user,
                        kind=data["kind"],
                        title=data["title"],
                        body=data["body"],
                        payload=form.payload(bylaws),
                        method=data["method"],
                        quorum_percent=data["quorum_percent"],
                        threshold_percent=data["threshold_percent"],
                        closes_at=data["closes_at"],
                        results_visibility=data["results_visibility"],
                        reasons_required=data["reasons_required"],
                    )
            except DomainError as exc:
                field = form_field_for(exc.field)
                form.add_error(field if field in form.fields else None, exc.message)
                status = exc.status
            else:
                messages.success(
                    request,
                    f"Your proposal is open for votes until {when(made.closes_at, zone)} "
                    f"({zone.key}). The members have been told by email.",
                )
                return redirect("governance:proposal", slug=collective.slug, proposal_id=made.pk)
    context: dict[str, Any] = {
        "collective": collective,
        "form": form,
        "bylaws": bylaws,
        "kind": form.data.get("kind", kind) if form.is_bound else kind,
        "has_applications": bool(applications),
        "general_fields": [
            form[name]
            for name in form.fields
            if name not in ProposalForm.BYLAWS_FIELDS + ProposalForm.ADMISSION_FIELDS
            and name not in {"kind", "title", "body"}
        ],
        "bylaws_fields": [form[name] for name in ProposalForm.BYLAWS_FIELDS],
        "admission_fields": [form[name] for name in ProposalForm.ADMISSION_FIELDS],
    }
    return render(request, f"{TEMPLATES}/proposal_new.html", context, status=status)
