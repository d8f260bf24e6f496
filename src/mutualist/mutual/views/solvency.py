"""Will the fund hold? The solvency projection as members read it.

Three pages, each a fragment for htmx and a whole page without it:

- ``fund_solvency``: a fund's projection under the rules in force (the fan
  chart, the chance of running short within one, three and five years, the
  contribution that keeps the five-year chance under 1 %, what it rests
  on). The fund's page loads it with htmx once it is shown, so the page
  itself never waits for a simulation.
- ``fund_rules_preview``: the rules form posted to it: the rules in force
  against the form's, side by side, without storing anything. An invalid
  form answers 422 with the field errors (in the fragment for htmx, in the
  form again without it).
- ``proposal_solvency``: the same comparison for an open ``fund_rule_change``
  proposal, loaded by the panel its handler gives the proposal page
  (``handlers._rules_panel``), so the proposal page stays fast too.

Reads only, through the permission-scoped selectors (``fund_get_for_user``,
governance's ``proposal_get_for_user``): outsiders get 404, anonymous
visitors the login page. The service caches a projection it has computed
today, so the figures do not move between page loads.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET, require_POST

from mutualist.core.errors import ValidationFailed
from mutualist.core.money import Money
from mutualist.core.web import forbidden_as_403, is_htmx_partial
from mutualist.governance.forms import zone_of
from mutualist.governance.models import Proposal
from mutualist.governance.selectors import proposal_get_for_user
from mutualist.members.models import User
from mutualist.members.web import request_member
from mutualist.mutual.charts import comparison_chart, fan_chart
from mutualist.mutual.forms import RulesForm, form_error, rules_field_for
from mutualist.mutual.models import Fund
from mutualist.mutual.rules import DEFAULTS, rules_clean
from mutualist.mutual.selectors import fund_find, fund_get_for_user
from mutualist.mutual.services.funds import newest_rules
from mutualist.mutual.services.solvency import (
    TARGET,
    HorizonRisk,
    RecommendationView,
    SolvencyReport,
    solvency_for_fund,
    solvency_for_proposal,
    solvency_for_rules,
)
from mutualist.mutual.views._common import TEMPLATES, day

# The kinds the simulator models: the others show no preview button and no
# panel on their rule changes (their page still says why there is nothing).
MODELLED_KINDS = frozenset({Fund.Kind.SICK_PAY.value, Fund.Kind.GUARANTEE.value})
# The rules form's fields about the vote rather than the rules.
VOTE_FIELDS = ("title", "body", "closes_at", "effective_from")
# The margin shown after a chance: about two standard errors either way,
# where 95 % of reruns of the simulation would land.
MARGIN_ERRORS = 2
NBSP = "\u00a0"
LEVER_WORDS = {
    "deposit_rate": ("deposit", "of the gift"),
    "levy_percent": ("levy", "on paid invoices"),
}


# --- Figures in words -------------------------------------------------------------------------


def percent(value: Decimal) -> str:
    """ "4.5 %", "3.95 %", "10 %" (as the rules pages show percentages)."""
    return f"{value.normalize():f}{NBSP}%"


def bound(upper_bound: float) -> str:
    """An upper bound on a chance, in percent, rounded UP to two significant
    digits and never in exponent notation: 3 / 10,000 paths is "0.03",
    3 / 700 "0.43", 3 / 300 "1"."""
    value = Decimal(repr(upper_bound)) * 100  # in decimals: 0.0003 x 100 is 0.03, no float dust
    if value <= 0:
        return "0"
    # Two significant digits: quantize at the second digit's place, upward.
    exponent = value.adjusted() - 1
    rounded = value.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_CEILING)
    return f"{rounded.normalize():f}"


def chance(probability: float, standard_error: float, upper_bound: float | None = None) -> str:
    """A simulated chance with its margin: "2.4 % (± 0.3)"; a chance under
    1 % with a margin under 0.1 point gets two decimals ("0.45 % (± 0.07)").
    None of the simulated futures ran short: not "0 %", which no simulation
    can show, but "under 0.03 %" (``upper_bound``: 3 / paths, the rule of
    three)."""
    if probability <= 0:
        if upper_bound is not None and upper_bound > 0:
            return f"under{NBSP}{bound(upper_bound)}{NBSP}%"
        return f"0{NBSP}%"
    shown = probability * 100
    margin = MARGIN_ERRORS * standard_error * 100
    places = 2 if shown < 1 and margin < 0.1 else 1
    return f"{shown:.{places}f}{NBSP}% (±{NBSP}{margin:.{places}f})"


def share(value: float) -> str:
    """A share of payouts paid: "99.2 %", "all", never "100.0 %" for less than all."""
    if value >= 1:
        return "all"
    shown = math.floor(value * 1000) / 10
    return f"{shown:.1f}{NBSP}%"


def horizon_label(months: int) -> str:
    """ "Within 1 year", "Within 3 years", "Within 18 months"."""
    if months % 12 == 0:
        years = months // 12
        return f"Within {years} year{'' if years == 1 else 's'}"
    return f"Within {months} months"


YEARS = {12: "one year", 24: "two years", 36: "three years", 48: "four years", 60: "five years"}


def years(months: int) -> str:
    """ "five years" for 60 months; "18 months" when not whole years."""
    return YEARS.get(months, f"{months} months")


@dataclass(frozen=True)
class Risk:
    months: int
    label: str
    shown: str
    probability: float
    standard_error: float


def risks_of(report: SolvencyReport) -> list[Risk]:
    return [
        Risk(r.months, horizon_label(r.months),
             chance(r.probability, r.standard_error, r.upper_bound),
             r.probability, r.standard_error)
        for r in report.risks
    ]  # fmt: skip


@dataclass(frozen=True)
class Advice:
    """The contribution that keeps the risk over the whole projection under
    the target, next to the rules' own, in words."""

    label: str
    noun: str  # "deposit", "levy"
    unit: str  # "of the gift", "on paid invoices"
    current: str
    needed: str  # "" when no contribution tried reaches the target
    achievable: bool
    risk: str  # the chance at ``needed`` (at the highest tried when not achievable)
    direction: str  # "raise", "lower", "keep"
    tiers: list[tuple[int, Money, Money]]


def advice_of(view: RecommendationView | None, paths: int = 0) -> Advice | None:
    """The recommendation in words; ``paths`` bound a chance of 0 (the
    report's, which the recommendation's search used too)."""
    if view is None:
        return None
    noun, unit = LEVER_WORDS.get(view.lever, ("contribution", ""))
    direction = "keep"
    if view.needed is not None:
        if view.needed > view.current:
            direction = "raise"
        elif view.needed < view.current:
            direction = "lower"
    return Advice(
        label=view.label,
        noun=noun,
        unit=unit,
        current=percent(view.current),
        needed=percent(view.needed) if view.needed is not None else "",
        achievable=view.achievable and view.needed is not None,
        risk=chance(
            view.probability,
            view.standard_error,
            3 / paths if view.probability <= 0 and paths > 0 else None,
        ),
        direction=direction,
        tiers=[(index + 1, deposit, payout) for index, (deposit, payout) in enumerate(view.tiers)],
    )


@dataclass(frozen=True)
class Shown:
    """A report with everything the templates show already in words."""

    report: SolvencyReport
    risks: list[Risk]
    headline: Risk | None  # the longest horizon's
    advice: Advice | None
    paid_share: str
    computed: str
    span: str  # "December 2026 to November 2031"
    bounded: bool = False  # some chance is shown as "under X %" (no future ran short)


def _span(report: SolvencyReport) -> str:
    index = report.first_month.year * 12 + report.first_month.month - 1 + report.months - 1
    last = dt.date(index // 12, index % 12 + 1, 1)
    return f"{report.first_month:%B %Y} to {last:%B %Y}"


def _computed(report: SolvencyReport, user: User) -> str:
    zone = zone_of(user)
    moment = timezone.localtime(report.computed_at, zone)
    return f"{day(moment.date())} at {moment:%H:%M} ({zone.key})"


def shown(report: SolvencyReport, user: User) -> Shown:
    risks = risks_of(report) if report.modelled else []
    advice = advice_of(report.recommendation, report.paths) if report.modelled else None
    return Shown(
        report=report,
        risks=risks,
        headline=risks[-1] if risks else None,
        advice=advice,
        paid_share=share(report.paid_share) if report.modelled else "",
        computed=_computed(report, user),
        span=_span(report) if report.modelled else "",
        bounded=any(risk.upper_bound is not None for risk in report.risks)
        or (advice is not None and advice.risk.startswith(f"under{NBSP}")),
    )


def fan_of(report: SolvencyReport) -> SafeString | None:
    if not report.modelled or not report.balance_bands or not report.balance_bands[0]:
        return None
    return fan_chart(
        percentiles=report.percentiles,
        bands=report.balance_bands,
        first_month=report.first_month,
        currency=report.currency,
        start=report.start_balance.amount,
    )


@dataclass(frozen=True)
class Compared:
    label: str
    now: str
    proposed: str
    change: str  # "lower", "higher", "the same", "about the same"


# Below this, two estimates from the same futures are equal (float noise).
SAME = 1e-12


def _change(now: HorizonRisk, proposed: HorizonRisk, *, same_futures: bool) -> str:
    """How the proposed rules move a chance. When both reports met the very
    same simulated futures (``same_futures``: the same seed and paths, and
    rules that change only what is applied to those futures, such as the
    deposits, the gifts or the levy), the difference is exact for those
    futures, not sampling noise: any difference is "lower" or "higher".
    Otherwise (the rules change what is drawn: the number of tiers, the
    most members, the days after which an invoice counts as late) only a
    difference beyond the two estimates' combined margin counts; within it
    the chance is "about the same"."""
    difference = proposed.probability - now.probability
    if same_futures:
        if abs(difference) <= SAME:
            return "the same"
        return "higher" if difference > 0 else "lower"
    margin = MARGIN_ERRORS * math.hypot(now.standard_error, proposed.standard_error)
    if abs(difference) <= margin:
        return "about the same"
    return "higher" if difference > 0 else "lower"


def effect_context(now: SolvencyReport, proposed: SolvencyReport, user: User) -> dict[str, Any]:
    """Now against proposed, for ``_solvency_effect.html``."""
    same_futures = bool(now.futures) and now.futures == proposed.futures
    context: dict[str, Any] = {
        "now": shown(now, user),
        "proposed": shown(proposed, user),
        "compared": [],
        "comparison_chart": None,
        "modelled": now.modelled and proposed.modelled,
        "target": percent(TARGET * 100),
        "horizon_words": years(proposed.months),
        "same_futures": same_futures,
        # The guarantee's levy is the bylaws' share of each payment, not a rule.
        "levy": proposed.fund.kind == Fund.Kind.GUARANTEE,
    }
    if not context["modelled"]:
        return context
    by_months = {risk.months: risk for risk in now.risks}
    context["compared"] = [
        Compared(
            horizon_label(after.months),
            chance(before.probability, before.standard_error, before.upper_bound),
            chance(after.probability, after.standard_error, after.upper_bound),
            _change(before, after, same_futures=same_futures),
        )
        for after in proposed.risks
        if (before := by_months.get(after.months)) is not None
    ]
    if now.balance_bands and proposed.balance_bands and now.months == proposed.months:
        context["comparison_chart"] = comparison_chart(
            percentiles=now.percentiles,
            now=now.balance_bands,
            proposed=proposed.balance_bands,
            first_month=now.first_month,
            currency=now.currency,
            start=now.start_balance.amount,
        )
    return context


def _report_context(report: SolvencyReport, user: User) -> dict[str, Any]:
    return {
        "solvency": shown(report, user),
        "fan": fan_of(report),
        "target": percent(TARGET * 100),
        "horizon_words": years(report.months),
    }


def _varied(response: HttpResponse) -> HttpResponse:
    """Each URL here answers htmx with a fragment and a browser with a whole
    page: caches must keep the two apart (``Vary: HX-Request``), or the back
    button may show a bare fragment."""
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- The fund's projection --------------------------------------------------------------------


@login_required
@require_GET
def fund_solvency(request: HttpRequest, slug: str, kind: str) -> HttpResponse:
    """The fund's projection under the rules in force: the fragment for
    htmx (the fund's page loads it), the whole page otherwise."""
    user = request_member(request)
    found = fund_get_for_user(user=user, slug=slug, kind=kind)
    report = solvency_for_fund(fund=found)
    context = {
        "collective": found.collective,
        "fund": found,
        **_report_context(report, user),
    }
    if is_htmx_partial(request):
        return _varied(render(request, f"{TEMPLATES}/_solvency.html", context))
    return _varied(render(request, f"{TEMPLATES}/solvency.html", {**context, "page": "fund"}))


# --- The effect of new rules, before they are proposed ----------------------------------------


@login_required
@require_POST
@forbidden_as_403
def fund_rules_preview(request: HttpRequest, slug: str, kind: str) -> HttpResponse:
    """The rules form's "Preview the effect": the rules in force against
    the form's, nothing stored. With htmx the comparison (or the form's
    errors, 422) goes under the form; without it, the form comes back with
    the comparison under it."""
    user = request_member(request)
    found = fund_get_for_user(user=user, slug=slug, kind=kind)
    newest = newest_rules(fund=found)
    form = RulesForm(
        request.POST,
        kind=found.kind,
        base=newest.rules if newest else DEFAULTS[found.kind],
        currency=found.currency,
        zone=zone_of(user),
        first=False,
    )
    status = 422
    effect: dict[str, Any] | None = None
    form.is_valid()
    # The vote's own fields (title, closing time, effective date) matter to
    # opening the vote, not to what the rules would do: a preview ignores them.
    for name in VOTE_FIELDS:
        form.errors.pop(name, None)
    if not form.errors:
        try:
            rules = rules_clean(found.kind, form.rules(), base=newest.rules if newest else None)
        except ValidationFailed as exc:
            form_error(form, rules_field_for(exc.field), exc.message)
        else:
            status = 200
            effect = effect_context(
                solvency_for_fund(fund=found),
                solvency_for_rules(fund=found, rules=rules),
                user,
            )
    context: dict[str, Any] = {
        "collective": found.collective,
        "fund": found,
        "form": form,
        "effect": effect,
        "effect_errors": _errors(form) if effect is None else [],
        "effect_title": "What these rules would do to the fund's risk",
    }
    if is_htmx_partial(request):
        return _varied(
            render(request, f"{TEMPLATES}/_solvency_effect.html", context, status=status)
        )
    return _varied(
        render(
            request,
            f"{TEMPLATES}/rules_form.html",
            {
                **context,
                "kind": found.kind,
                "kind_label": found.get_kind_display(),
                "first": False,
                "newest": newest,
                "currency": found.currency,
                "previewable": found.kind in MODELLED_KINDS,
            },
            status=status,
        )
    )


def _errors(form: RulesForm) -> list[tuple[str, str]]:
    """The form's errors as (field label, message), for the fragment that
    sits under the form (the fields themselves are not in it)."""
    rows = []
    for name, errors in form.errors.items():
        label = str(form.fields[name].label) if name in form.fields and name != "tiers" else ""
        if name == "tiers":
            label = "Tiers"
        for message in errors:
            rows.append((label, str(message)))
    return rows


# --- The effect of a proposal, on its page ----------------------------------------------------


def _proposal_for(user: User, slug: str, proposal_id: int) -> tuple[Proposal, Fund]:
    proposal = proposal_get_for_user(user=user, proposal_id=proposal_id)
    if proposal.collective.slug != slug or proposal.kind != Proposal.Kind.FUND_RULE_CHANGE:
        raise Http404("No such rule change.")
    kind = proposal.payload.get("fund")
    fund = (
        fund_find(collective=proposal.collective, kind=kind)
        if isinstance(kind, str) and kind in Fund.Kind.values
        else None
    )
    if fund is None:
        raise Http404("No such fund.")
    return proposal, fund


@login_required
@require_GET
def proposal_solvency(request: HttpRequest, slug: str, proposal_id: int) -> HttpResponse:
    """What an open rule change would do to its fund's risk: the fragment
    the proposal page's panel loads with htmx, the whole page otherwise.
    A closed proposal shows no comparison: its rules are in force or never
    will be, and the fund's page shows the projection of those in force."""
    user = request_member(request)
    proposal, fund = _proposal_for(user, slug, proposal_id)
    context: dict[str, Any] = {
        "collective": fund.collective,
        "fund": fund,
        "proposal": proposal,
        "effect": None,
        "effect_errors": [],
        # The panel's heading, or the page's, says it already.
        "effect_title": "",
        "effect_reason": "",
    }
    pair = solvency_for_proposal(proposal=proposal) if proposal.is_open else None
    if pair is not None and newest_rules(fund=fund) is None:
        # A fund's first rules: nothing is in force to compare them with
        # (the service projects a fund being set up under its first rules
        # under vote), so the projection of these rules alone.
        context["single"] = _report_context(pair[1], user)
    elif pair is not None:
        context["effect"] = effect_context(*pair, user)
    elif not proposal.is_open:
        context["effect_reason"] = (
            "The vote is over. The fund's page shows the projection under the rules in force."
        )
    else:
        context["effect_reason"] = _unmodelled_reason(proposal, fund)
    if is_htmx_partial(request):
        return _varied(render(request, f"{TEMPLATES}/_solvency_effect.html", context))
    # On its own page the projection alone sits under the page's h1.
    return _varied(
        render(
            request,
            f"{TEMPLATES}/solvency.html",
            {**context, "page": "proposal", "single_h": "h2"},
        )
    )


def _unmodelled_reason(proposal: Proposal, fund: Fund) -> str:
    """Why an open rule change has no comparison (the fund is not one the
    simulator models, or has nothing to simulate yet): the report of its
    rules says (the service answers it without simulating anything)."""
    rules = proposal.payload.get("rules")
    if isinstance(rules, Mapping):
        report = solvency_for_rules(fund=fund, rules=rules, proposal=proposal)
        if not report.modelled:
            return report.reason
    return "There is no projection to compare for this fund yet."
