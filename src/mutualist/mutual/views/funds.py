"""A collective's funds, a fund's page, setting a fund up and proposing
new rules for it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from mutualist.collectives.selectors import collective_get_for_coordinator
from mutualist.core.errors import DomainError
from mutualist.core.web import forbidden_as_403
from mutualist.governance.forms import zone_of
from mutualist.governance.models import Proposal
from mutualist.members.web import request_member
from mutualist.mutual.forms import RulesForm, form_error, rules_field_for
from mutualist.mutual.models import Fund
from mutualist.mutual.rules import DEFAULTS
from mutualist.mutual.selectors import (
    KIND_ORDER,
    PER_MEMBER,
    FundOverview,
    fund_find,
    fund_get_for_user,
    fund_list_for_user,
    fund_overview,
)
from mutualist.mutual.services.funds import fund_rules_propose, fund_setup, newest_rules
from mutualist.mutual.views._common import ABOUT, TEMPLATES, day, fund_context, with_zero


@dataclass(frozen=True)
class FundRow:
    kind: str
    label: str
    about: str
    fund: Fund | None
    overview: FundOverview | None
    balances: list[Any]
    available: list[Any]
    # The open vote on the fund's first rules, while it is being set up.
    vote: Proposal | None


@login_required
@require_GET
def funds(request: HttpRequest, slug: str) -> HttpResponse:
    user = request_member(request)
    collective, membership, found = fund_list_for_user(user=user, slug=slug)
    by_kind = {fund.kind: fund for fund in found}
    today = timezone.localdate()
    rows = []
    for kind in KIND_ORDER:
        fund = by_kind.get(kind)
        overview = fund_overview(fund=fund, today=today) if fund is not None else None
        rows.append(
            FundRow(
                kind,
                Fund.Kind(kind).label,
                ABOUT[kind],
                fund,
                overview,
                with_zero(overview.balances, fund.currency) if overview and fund else [],
                with_zero(overview.available, fund.currency) if overview and fund else [],
                overview.rules_vote if overview else None,
            )
        )
    return render(
        request,
        f"{TEMPLATES}/funds.html",
        {
            "collective": collective,
            "rows": rows,
            "is_coordinator": membership.is_coordinator,
            "per_member": PER_MEMBER,
        },
    )


@login_required
@require_GET
def fund(request: HttpRequest, slug: str, kind: str) -> HttpResponse:
    user = request_member(request)
    found = fund_get_for_user(user=user, slug=slug, kind=kind)
    return render(request, f"{TEMPLATES}/fund.html", fund_context(user=user, fund=found))


def _rules_post(form: RulesForm, call: Callable[[], Proposal]) -> tuple[Proposal | None, int]:
    """Run ``call`` (a service opening a rules vote) on the valid form in one
    durable transaction; a refusal lands on the field it names."""
    if not form.is_valid():
        return None, 422
    try:
        with transaction.atomic(durable=True):
            return call(), 302
    except DomainError as exc:
        form_error(form, rules_field_for(exc.field), exc.message)
        return None, exc.status


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@forbidden_as_403
def fund_setup_view(request: HttpRequest, slug: str, kind: str) -> HttpResponse:
    """A coordinator sets a fund up: its first rules, pre-filled with the
    kind's defaults, go to the members' vote."""
    user = request_member(request)
    if kind not in Fund.Kind.values:
        raise Http404("No such kind of fund.")
    collective, _ = collective_get_for_coordinator(user=user, slug=slug)
    existing = fund_find(collective=collective, kind=kind)
    zone = zone_of(user)
    form = RulesForm(
        request.POST if request.method == "POST" else None,
        kind=kind,
        base=DEFAULTS[kind],
        currency=existing.currency if existing else collective.base_currency,
        zone=zone,
        first=True,
    )
    status = 200
    if request.method == "POST":
        made, status = _rules_post(
            form,
            lambda: fund_setup(
                collective=collective,
                actor=user,
                kind=kind,
                rules=form.rules(),
                effective_from=form.cleaned_data.get("effective_from"),
                closes_at=form.cleaned_data["closes_at"],
                body=form.cleaned_data.get("body", ""),
            ),
        )
        if made is not None:
            messages.success(
                request,
                f"The {Fund.Kind(kind).label.lower()} fund is set up. Its rules are open for "
                f"votes until {day(timezone.localtime(made.closes_at, zone).date())}; "
                "it takes no money until they pass.",
            )
            return redirect("governance:proposal", slug=collective.slug, proposal_id=made.pk)
    return render(
        request,
        f"{TEMPLATES}/rules_form.html",
        {
            "collective": collective,
            "kind": kind,
            "kind_label": Fund.Kind(kind).label,
            "about": ABOUT[Fund.Kind(kind)],
            "form": form,
            "first": True,
            "existing": existing,
            "currency": existing.currency if existing else collective.base_currency,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@forbidden_as_403
def fund_rules(request: HttpRequest, slug: str, kind: str) -> HttpResponse:
    """Any member proposes new rules: the form is pre-filled with the newest
    version; the members vote."""
    user = request_member(request)
    found = fund_get_for_user(user=user, slug=slug, kind=kind)
    newest = newest_rules(fund=found)
    zone = zone_of(user)
    form = RulesForm(
        request.POST if request.method == "POST" else None,
        kind=found.kind,
        base=newest.rules if newest else DEFAULTS[found.kind],
        currency=found.currency,
        zone=zone,
        first=False,
    )
    status = 200
    if request.method == "POST":
        made, status = _rules_post(
            form,
            lambda: fund_rules_propose(
                fund=found,
                author=user,
                rules=form.rules(),
                effective_from=form.cleaned_data["effective_from"],
                closes_at=form.cleaned_data["closes_at"],
                title=form.cleaned_data.get("title", ""),
                body=form.cleaned_data.get("body", ""),
            ),
        )
        if made is not None:
            messages.success(
                request,
                "Your proposal is open for votes until "
                f"{day(timezone.localtime(made.closes_at, zone).date())}. "
                "The members have been told by email.",
            )
            return redirect("governance:proposal", slug=found.collective.slug, proposal_id=made.pk)
    return render(
        request,
        f"{TEMPLATES}/rules_form.html",
        {
            "collective": found.collective,
            "fund": found,
            "kind": found.kind,
            "kind_label": found.get_kind_display(),
            "form": form,
            "first": False,
            "newest": newest,
            "currency": found.currency,
        },
        status=status,
    )
