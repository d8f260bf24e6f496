"""Will the fund hold? The solvency projection as members see it: on the
fund's page (loaded with htmx), before proposing new rules ("Preview the
effect"), and on an open rule change's proposal page.

The figures are the service's (``services.solvency``): each test asks the
service for the same report the page showed (the same inputs give the same
seed, and a run computed today is read back) and checks the page shows it
as formatted. Paths are few (``MUTUAL_SOLVENCY_PATHS = 300``) so a page
takes milliseconds. The cast: Ana coordinates collective A (manila-va,
PHP), Ben is a member of A, Carla coordinates B, Olga is in no collective.
The clock is frozen at ``NOW`` (Friday 27 November 2026).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse

from mutualist.engines.solvency.calibrate import Estimate, calibrate_sick_pay
from mutualist.governance.models import Proposal
from mutualist.governance.services import proposal_create
from mutualist.mutual.models import Fund, FundRules, SolvencyRun
from mutualist.mutual.rules import rules_clean
from mutualist.mutual.services import solvency as service
from mutualist.mutual.services.funds import fund_rules_propose, fund_setup
from mutualist.mutual.services.sick_pay.claims import sick_claim_end
from mutualist.mutual.services.solvency import (
    NOBODY_YET,
    NOT_MODELLED,
    UNWORKABLE,
    HorizonRisk,
    SolvencyReport,
    solvency_drafts_forget,
    solvency_for_fund,
    solvency_for_proposal,
    solvency_for_rules,
)
from mutualist.mutual.tests.helpers import NOW, fund_active
from mutualist.mutual.tests.sick_pay_helpers import RULES, join, ongoing, seed, sick_fund
from mutualist.mutual.tests.test_views_support import (
    HTMX,
    assert_login_redirect,
    fill,
    page_of,
    rules_data,
    shows,
)
from mutualist.mutual.views.solvency import NBSP, _change, chance, percent, share
from mutualist.testing import Cast

pytestmark = pytest.mark.django_db

A = "manila-va"
# Tier 1 deposits 3 % of its gift; doubled, 6 %.
DOUBLED = [
    {"deposit": "60.00", "payout": "1000.00"},
    {"deposit": "120.00", "payout": "2000.00"},
    {"deposit": "180.00", "payout": "3000.00"},
]


@pytest.fixture(autouse=True)
def _now(time_machine: Any, settings: Any) -> Iterator[None]:
    time_machine.move_to(NOW, tick=False)
    settings.MUTUAL_SOLVENCY_PATHS = 300
    solvency_drafts_forget()
    yield
    solvency_drafts_forget()


def url(name: str, **kwargs: object) -> str:
    return reverse(f"mutual:{name}", kwargs=kwargs)


def sick_pay(cast: Cast) -> Fund:
    """Collective A's sick-pay fund (``RULES``: deposits of 3 % of the gift),
    Ana in tier 1 and Ben in tier 2, 150.00 in their accounts: a small fund
    that may well run short."""
    fund = sick_fund(cast.collective_a, cast.ana)
    seed(join(fund, cast.ana, tier=0), "100.00", "ana")
    seed(join(fund, cast.ben, tier=1), "50.00", "ben")
    return fund


def guarantee(cast: Cast) -> Fund:
    fund = fund_active(cast.collective_a, "guarantee", created_by=cast.ana)
    fill(fund, "2000", "guarantee")
    return fund


def assert_shows_report(response: Any, report: SolvencyReport) -> None:
    """Every figure of a modelled report, as the page formats it."""
    assert report.modelled
    for risk in report.risks:
        assert shows(response, chance(risk.probability, risk.standard_error, risk.upper_bound))
    assert shows(response, report.expected_shortfall.format("en"))
    assert shows(response, share(report.paid_share))
    for assumption in report.assumptions:
        for text in (assumption.label, assumption.value, assumption.source):
            assert shows(response, text)
    assert shows(response, f"What this is: {report.paths:,} simulated futures of the fund")
    assert shows(response, "These are estimates, not promises.")
    assert 'role="img"' in page_of(response)


# --- The fund's page --------------------------------------------------------------------------


def test_the_fund_page_asks_for_the_projection_once_shown_and_simulates_nothing_itself(
    cast: Cast, client_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a sick-pay fund, and a simulator that must not run
    fund = sick_pay(cast)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the fund page ran a simulation")

    monkeypatch.setattr(service.run, "simulate_fund", refuse)
    monkeypatch.setattr(service.run, "recommend_contribution", refuse)
    # when Ben opens the fund's page
    response = client_for(cast.ben).get(url("fund", slug=A, kind="sick_pay"))
    # then it has a placeholder htmx fills in from the projection's URL once loaded,
    # and a plain link to it
    assert response.status_code == 200
    solvency = url("fund_solvency", slug=A, kind="sick_pay")
    body = page_of(response)
    assert shows(response, "Will the fund hold?")
    assert f'hx-get="{solvency}" hx-trigger="load"' in body
    assert shows(response, "Working out the projection…")
    assert f'<a href="{solvency}">See the projection on its own page</a>' in body
    # and should that request fail, the placeholder says so instead of
    # "Working out" for ever (the link stays)
    assert_says_when_the_request_fails(body)
    # and nothing was simulated or stored
    assert SolvencyRun.objects.filter(fund=fund).count() == 0


FAILED = (
    '<p class="solvency-failed" role="alert" hidden>'
    "The projection could not be worked out just now.</p>"
)
SHOW_FAILED = (
    "this.querySelector('.solvency-working').hidden = true; "
    "this.querySelector('.solvency-failed').hidden = false"
)


def assert_says_when_the_request_fails(body: str) -> None:
    """The htmx placeholder turns its "Working out" into a line saying the
    projection could not be worked out when the server errs or cannot be
    reached."""
    assert f'hx-on::response-error="{SHOW_FAILED}"' in body
    assert f'hx-on::send-error="{SHOW_FAILED}"' in body
    assert '<p class="solvency-working" aria-busy="true">Working out the projection…</p>' in body
    assert FAILED in body


def test_the_projection_fragment_shows_a_sick_pay_funds_risk_and_the_deposit_that_keeps_it_low(
    cast: Cast, client_for: Any
) -> None:
    # given the sick-pay fund
    fund = sick_pay(cast)
    # when htmx asks for its projection
    response = client_for(cast.ben).get(url("fund_solvency", slug=A, kind="sick_pay"), **HTMX)
    # then the fragment alone comes back (no page around it)
    assert response.status_code == 200
    body = page_of(response)
    assert "<html" not in body
    assert body.lstrip().startswith('<div id="solvency" class="solvency">')
    # with the figures the service computed (and stored, so they hold all day)
    report = solvency_for_fund(fund=fund)
    assert SolvencyRun.objects.filter(fund=fund).count() == 1
    assert_shows_report(response, report)
    five_years = report.risks[-1]
    assert (
        "The chance that the fund runs short at least once within five years: "
        f"<strong>{chance(five_years.probability, five_years.standard_error)}</strong>" in body
    )
    # and the deposit that keeps the five-year chance under 1 %, next to today's 3 %
    advice = report.recommendation
    assert advice is not None
    assert advice.lever == "deposit_rate"
    assert advice.current == 3
    # (two members, gifts of 1,000 and 2,000: far more than 3 % is needed)
    assert advice.achievable and advice.needed is not None and advice.needed > 3
    assert (
        f"deposit <strong>{percent(advice.needed)} of the gift</strong>; "
        f"now {percent(Decimal(3))}. That is more than now." in body
    )
    # with the tiers at that deposit
    assert len(advice.tiers) == 3
    for number, (deposit, payout) in enumerate(advice.tiers, start=1):
        assert (
            f'<th scope="row">{number}</th><td class="num">{deposit.format("en")}</td>'
            f'<td class="num">{payout.format("en")}</td>' in body
        )
    assert shows(response, "Worked out on 27 November 2026 at")


def test_without_htmx_the_projection_is_a_page_of_its_own(cast: Cast, client_for: Any) -> None:
    fund = sick_pay(cast)
    response = client_for(cast.ben).get(url("fund_solvency", slug=A, kind="sick_pay"))
    assert response.status_code == 200
    assert "<html" in page_of(response)
    assert shows(response, "Will the sick pay fund hold?")
    assert url("fund", slug=A, kind="sick_pay") in page_of(response)
    assert_shows_report(response, solvency_for_fund(fund=fund))


def test_the_guarantees_projection_advises_a_levy(cast: Cast, client_for: Any) -> None:
    fund = guarantee(cast)
    response = client_for(cast.ana).get(url("fund_solvency", slug=A, kind="guarantee"), **HTMX)
    assert response.status_code == 200
    report = solvency_for_fund(fund=fund)
    assert_shows_report(response, report)
    advice = report.recommendation
    assert advice is not None
    assert advice.lever == "levy_percent"
    assert advice.tiers == ()
    # (the bylaws give the guarantee no share yet: some levy is needed)
    assert advice.achievable and advice.needed is not None and advice.current == 0
    assert (
        f"levy <strong>{percent(advice.needed)} on paid invoices</strong>; "
        f"now {percent(advice.current)}. That is more than now." in page_of(response)
    )


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("savings", NOT_MODELLED[Fund.Kind.SAVINGS]),
        ("income_gap", NOT_MODELLED[Fund.Kind.INCOME_GAP]),
    ],
)
def test_a_fund_the_simulator_does_not_model_says_why(
    cast: Cast, client_for: Any, kind: str, reason: str
) -> None:
    fund_active(cast.collective_a, kind, created_by=cast.ana)
    response = client_for(cast.ben).get(url("fund_solvency", slug=A, kind=kind), **HTMX)
    assert response.status_code == 200
    assert shows(response, f"No projection for this fund: {reason}")
    assert "<svg" not in page_of(response)


def test_a_sick_pay_fund_nobody_takes_part_in_says_it_waits_for_members(
    cast: Cast, client_for: Any
) -> None:
    sick_fund(cast.collective_a, cast.ana)
    response = client_for(cast.ben).get(url("fund_solvency", slug=A, kind="sick_pay"), **HTMX)
    assert shows(response, f"No projection for this fund: {NOBODY_YET}")


def test_a_chance_no_simulated_future_reached_reads_under_the_rule_of_three_bound(
    cast: Cast, client_for: Any
) -> None:
    # given a fund whose deposits equal its gifts, holding 30,000.00: none of
    # its 300 simulated futures runs short
    fund = sick_fund(
        cast.collective_a, cast.ana, {"tiers": [{"deposit": "1000.00", "payout": "1000.00"}]}
    )
    seed(join(fund, cast.ana, 0), "30000.00", "ana")
    # when Ana opens the projection
    response = client_for(cast.ana).get(url("fund_solvency", slug=A, kind="sick_pay"), **HTMX)
    # then each chance reads "under 1 %" (3 / 300), never "0 %"
    report = solvency_for_fund(fund=fund)
    assert [risk.probability for risk in report.risks] == [0.0, 0.0, 0.0]
    body = page_of(response)
    assert body.count(f'<td class="num">under{NBSP}1{NBSP}%</td>') == 3
    assert f"five years: <strong>under{NBSP}1{NBSP}%</strong>" in body
    assert f"0{NBSP}%</td>" not in body
    assert shows(response, "“Under” means none of the 300 simulated futures ran short")


def test_the_upper_bound_reads_with_two_significant_digits_rounded_up() -> None:
    assert [chance(0.0, 0.0, 3 / paths) for paths in (10_000, 700, 400, 300, 10**7)] == [
        f"under{NBSP}{value}{NBSP}%" for value in ("0.03", "0.43", "0.75", "1", "0.00003")
    ]
    assert chance(0.0, 0.0) == f"0{NBSP}%"
    assert chance(0.0123, 0.001, None) == f"1.2{NBSP}% (±{NBSP}0.2)"


def test_a_fund_the_engine_cannot_simulate_says_so_and_is_never_an_error_page(
    cast: Cast, client_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a sick-pay fund and a calibration the engine refuses
    sick_pay(cast)
    calibrate = calibrate_sick_pay

    def impossible(history: Any) -> Any:
        return dataclasses.replace(
            calibrate(history), sick_probability=Estimate(1.5, "history", 1.0, 12)
        )

    monkeypatch.setattr(service.model, "calibrate_sick_pay", impossible)
    client = client_for(cast.ben)
    reason = UNWORKABLE.format(message="sick_probability must be at most 1; got 1.5")
    # when Ben opens the projection, and previews new rules
    fragment = client.get(url("fund_solvency", slug=A, kind="sick_pay"), **HTMX)
    page = client.get(url("fund_solvency", slug=A, kind="sick_pay"))
    preview = client.post(
        url("fund_rules_preview", slug=A, kind="sick_pay"),
        rules_data("sick_pay", base=RULES, tier_0_deposit="45.00"),
        **HTMX,
    )
    # then each says, in a line, that it could not be worked out and why
    assert (fragment.status_code, page.status_code, preview.status_code) == (200, 200, 200)
    assert shows(fragment, f"No projection for this fund: {reason}")
    assert shows(page, f"No projection for this fund: {reason}")
    assert shows(preview, f"No projection to compare: {reason}")


def test_two_short_sick_periods_in_a_new_funds_first_month_still_show_the_projection(
    cast: Cast, client_for: Any, time_machine: Any
) -> None:
    # given a fund whose members joined on 1 October: Ana sick 2-5 and
    # 20-24 October, Ben sick since 10 October (reported through the claims)
    time_machine.move_to(dt.datetime(2026, 10, 1, 9, tzinfo=dt.UTC), tick=False)
    fund = sick_fund(cast.collective_a, cast.ana)
    join(fund, cast.ana, 0, joined_on=dt.date(2026, 10, 1))
    join(fund, cast.ben, 0, joined_on=dt.date(2026, 10, 1))
    for starts_on, ends_on in ((dt.date(2026, 10, 2), dt.date(2026, 10, 5)),
                               (dt.date(2026, 10, 20), dt.date(2026, 10, 24))):  # fmt: skip
        time_machine.move_to(dt.datetime.combine(starts_on, dt.time(9), dt.UTC), tick=False)
        claim = ongoing(fund, cast.ana, cast.ben, starts_on)
        time_machine.move_to(
            dt.datetime.combine(ends_on + dt.timedelta(days=1), dt.time(9), dt.UTC), tick=False
        )
        sick_claim_end(claim=claim, actor=cast.ana, ends_on=ends_on)
    time_machine.move_to(dt.datetime(2026, 10, 10, 9, tzinfo=dt.UTC), tick=False)
    ongoing(fund, cast.ben, cast.ana, dt.date(2026, 10, 10))
    time_machine.move_to(NOW, tick=False)
    # when Ben opens the projection
    response = client_for(cast.ben).get(url("fund_solvency", slug=A, kind="sick_pay"), **HTMX)
    # then it is worked out (three periods began in two member-months)
    assert response.status_code == 200
    assert_shows_report(response, solvency_for_fund(fund=fund))


@pytest.mark.parametrize("htmx", [True, False])
def test_every_url_that_answers_a_fragment_or_a_page_varies_on_hx_request(
    cast: Cast, client_for: Any, htmx: bool
) -> None:
    fund = sick_pay(cast)
    proposal = rule_change(cast, fund)
    client = client_for(cast.ben)
    headers = HTMX if htmx else {}
    responses = [
        client.get(url("fund_solvency", slug=A, kind="sick_pay"), **headers),
        client.post(
            url("fund_rules_preview", slug=A, kind="sick_pay"),
            rules_data("sick_pay", base=RULES),
            **headers,
        ),
        client.post(
            url("fund_rules_preview", slug=A, kind="sick_pay"),
            rules_data("sick_pay", base=RULES, tier_0_deposit="lots"),
            **headers,
        ),
        client.get(url("proposal_solvency", slug=A, proposal_id=proposal.pk), **headers),
    ]
    assert [r.status_code for r in responses] == [200, 200, 422, 200]
    for response in responses:
        assert "HX-Request" in [part.strip() for part in response["Vary"].split(",")]
        assert ("<html" in page_of(response)) is not htmx


# --- Previewing new rules ---------------------------------------------------------------------


def test_the_rules_form_offers_a_preview_for_the_funds_the_simulator_models(
    cast: Cast, client_for: Any
) -> None:
    sick_pay(cast)
    fund_active(cast.collective_a, "income_gap", created_by=cast.ana)
    client = client_for(cast.ben)
    sick = page_of(client.get(url("fund_rules", slug=A, kind="sick_pay")))
    preview = url("fund_rules_preview", slug=A, kind="sick_pay")
    # the form opens the vote at the rules page; the preview button posts elsewhere
    assert f'action="{url("fund_rules", slug=A, kind="sick_pay")}"' in sick
    assert f'formaction="{preview}"' in sick
    assert f'hx-post="{preview}" hx-target="#rules-effect"' in sick
    assert "Preview the effect" in sick
    # a preview that fails says so under the form (and the next one hides it)
    failed = "document.getElementById('rules-effect-failed').hidden = false"
    assert f'hx-on::response-error="{failed}"' in sick
    assert f'hx-on::send-error="{failed}"' in sick
    assert (
        'hx-on::before-request="'
        + "document.getElementById('rules-effect-failed').hidden = true"
        + '"'
    ) in sick
    assert '<p id="rules-effect-failed" role="alert" hidden>' in sick
    assert "Preview the effect" not in page_of(
        client.get(url("fund_rules", slug=A, kind="income_gap"))
    )


def test_previewing_doubled_deposits_shows_the_risk_now_and_as_proposed_and_stores_nothing(
    cast: Cast, client_for: Any
) -> None:
    # given the sick-pay fund (deposits of 3 % of the gift)
    fund = sick_pay(cast)
    versions = FundRules.objects.count()
    data = rules_data("sick_pay", base=RULES)
    for index, tier in enumerate(DOUBLED):
        data[f"tier_{index}_deposit"] = tier["deposit"]
    # when Ben previews deposits of 6 %
    response = client_for(cast.ben).post(
        url("fund_rules_preview", slug=A, kind="sick_pay"), data, **HTMX
    )
    # then the comparison comes back, the figures the service gives for each
    assert response.status_code == 200
    assert "<html" not in page_of(response)
    assert shows(response, "What these rules would do to the fund's risk")
    now = solvency_for_fund(fund=fund)
    proposed_rules = rules_clean(
        "sick_pay", {**RULES, "tiers": DOUBLED}, base=FundRules.objects.get(fund=fund).rules
    )
    proposed = solvency_for_rules(fund=fund, rules=proposed_rules)
    for before, after in zip(now.risks, proposed.risks, strict=True):
        assert shows(response, chance(before.probability, before.standard_error))
        assert shows(response, chance(after.probability, after.standard_error))
    # and doubling the deposits lowers the five-year chance of running short:
    # both met the same futures, so the table says "lower", not "about the same"
    assert proposed.risks[-1].probability < now.risks[-1].probability
    assert proposed.futures == now.futures
    assert '<td class="solvency-change solvency-change--lower">lower</td>' in page_of(response)
    assert shows(response, "Both columns meet the same simulated futures (the same sick periods")
    assert shows(response, now.expected_shortfall.format("en"))
    assert shows(response, proposed.expected_shortfall.format("en"))
    assert "solvency-chart solvency-chart--small" in page_of(response)
    advice = proposed.recommendation
    assert advice is not None and advice.current == 6
    assert shows(response, f"they set {percent(advice.current)}")
    # and nothing was proposed or stored for the draft (only the run of the rules in force)
    assert Proposal.objects.filter(state=Proposal.State.OPEN).count() == 0
    assert FundRules.objects.count() == versions
    assert list(SolvencyRun.objects.values_list("fund_id", flat=True)) == [fund.pk]


def risk(probability: float, standard_error: float) -> HorizonRisk:
    return HorizonRisk(months=60, probability=probability, standard_error=standard_error)


def test_the_change_from_the_same_futures_is_exact_and_otherwise_beyond_the_margin() -> None:
    now = risk(0.20, 0.02)
    # the same futures: any difference is the rules' doing
    assert _change(now, risk(0.19, 0.02), same_futures=True) == "lower"
    assert _change(now, risk(0.21, 0.02), same_futures=True) == "higher"
    assert _change(now, risk(0.20, 0.02), same_futures=True) == "the same"
    # other futures: within 2 x hypot(0.02, 0.02) = 0.0566 it is about the same
    assert _change(now, risk(0.15, 0.02), same_futures=False) == "about the same"
    assert _change(now, risk(0.14, 0.02), same_futures=False) == "lower"
    assert _change(now, risk(0.26, 0.02), same_futures=False) == "higher"


def test_previewing_the_guarantees_rules_does_not_say_they_set_the_levy(
    cast: Cast, client_for: Any
) -> None:
    # given the guarantee fund, whose levy is the bylaws' share (none yet)
    guarantee(cast)
    # when Ana previews covering half the members' shares
    response = client_for(cast.ana).post(
        url("fund_rules_preview", slug=A, kind="guarantee"),
        rules_data("guarantee", cap_percent="50"),
        **HTMX,
    )
    # then the levy is the bylaws', not the rules'
    assert response.status_code == 200
    assert shows(response, f"the bylaws set {percent(Decimal(0))} now")
    assert shows(response, "the levy is changed in the bylaws, not in these rules")
    assert "they set" not in page_of(response)
    assert "set." not in page_of(response)


def test_an_invalid_preview_answers_422_with_the_field_errors_and_computes_nothing(
    cast: Cast, client_for: Any
) -> None:
    sick_pay(cast)
    data = rules_data("sick_pay", base=RULES, tier_0_deposit="lots", min_members="60")
    response = client_for(cast.ben).post(
        url("fund_rules_preview", slug=A, kind="sick_pay"), data, **HTMX
    )
    assert response.status_code == 422
    assert shows(response, "Some answers need another look before the effect can be worked out:")
    assert shows(response, "Tier 1: monthly deposit: Enter a number.")
    assert SolvencyRun.objects.count() == 0
    assert Proposal.objects.filter(state=Proposal.State.OPEN).count() == 0


def test_rules_the_fund_refuses_answer_422_with_the_refusal_on_its_field(
    cast: Cast, client_for: Any
) -> None:
    sick_pay(cast)
    data = rules_data("sick_pay", base=RULES, min_members="60", max_members="50")
    response = client_for(cast.ben).post(
        url("fund_rules_preview", slug=A, kind="sick_pay"), data, **HTMX
    )
    assert response.status_code == 422
    assert shows(response, "The smallest group size is not above the largest.")
    assert SolvencyRun.objects.count() == 0


def test_without_htmx_the_preview_is_the_form_again_with_the_effect_under_it(
    cast: Cast, client_for: Any
) -> None:
    sick_pay(cast)
    data = rules_data("sick_pay", base=RULES, tier_0_deposit="45.00")
    response = client_for(cast.ben).post(url("fund_rules_preview", slug=A, kind="sick_pay"), data)
    assert response.status_code == 200
    body = page_of(response)
    assert "<html" in body
    assert 'value="45.00"' in body  # the form keeps what was typed
    assert f'action="{url("fund_rules", slug=A, kind="sick_pay")}"' in body
    assert shows(response, "What these rules would do to the fund's risk")
    assert Proposal.objects.filter(state=Proposal.State.OPEN).count() == 0

    # and an invalid one is the form with its errors, 422
    data["tier_0_deposit"] = "lots"
    refused = client_for(cast.ben).post(url("fund_rules_preview", slug=A, kind="sick_pay"), data)
    assert refused.status_code == 422
    assert shows(refused, "Some answers need another look")
    assert shows(refused, "Enter a number.")


# --- On the proposal's page -------------------------------------------------------------------


def rule_change(cast: Cast, fund: Fund) -> Proposal:
    """Ben proposes doubling the deposits; the vote closes in a week."""
    with transaction.atomic():
        return fund_rules_propose(
            fund=fund,
            author=cast.ben,
            rules={"tiers": DOUBLED},
            effective_from=dt.date(2027, 1, 1),
            closes_at=NOW + dt.timedelta(days=7),
            title="Double the deposits",
        )


def proposal_url(proposal: Proposal) -> str:
    return reverse("governance:proposal", kwargs={"slug": A, "proposal_id": proposal.pk})


def test_an_open_rule_change_shows_a_panel_that_loads_its_effect(
    cast: Cast, client_for: Any
) -> None:
    # given Ben's open proposal to double the sick-pay deposits
    fund = sick_pay(cast)
    proposal = rule_change(cast, fund)
    client = client_for(cast.ana)
    # when Ana opens it
    page = client.get(proposal_url(proposal))
    # then its page has the panel, which loads the comparison with htmx
    assert page.status_code == 200
    effect = url("proposal_solvency", slug=A, proposal_id=proposal.pk)
    assert "What these rules do to the fund's risk" in page_of(page)
    assert f'hx-get="{effect}" hx-trigger="load"' in page_of(page)
    assert_says_when_the_request_fails(page_of(page))
    assert SolvencyRun.objects.count() == 0  # the page itself simulates nothing
    # and the comparison shows the service's figures, now and as proposed
    response = client.get(effect, **HTMX)
    assert response.status_code == 200
    pair = solvency_for_proposal(proposal=proposal)
    assert pair is not None
    now, proposed = pair
    assert now.run_id is not None and proposed.run_id is not None
    for before, after in zip(now.risks, proposed.risks, strict=True):
        assert shows(response, chance(before.probability, before.standard_error))
        assert shows(response, chance(after.probability, after.standard_error))
    assert "solvency-chart solvency-chart--small" in page_of(response)
    # and as a page of its own without htmx
    whole = client.get(effect)
    assert whole.status_code == 200
    assert "<html" in page_of(whole)
    assert proposal_url(proposal) in page_of(whole)


def test_a_closed_rule_change_and_other_kinds_of_proposal_show_no_panel(
    cast: Cast, client_for: Any
) -> None:
    fund = sick_pay(cast)
    closed = FundRules.objects.get(fund=fund).proposal
    assert closed is not None and closed.state == Proposal.State.CLOSED
    general = proposal_create(
        collective=cast.collective_a,
        author=cast.ana,
        kind=Proposal.Kind.GENERAL,
        title="Buy a shared laptop",
        closes_at=NOW + dt.timedelta(days=3),
    )
    client = client_for(cast.ben)
    for proposal in (closed, general):
        page = client.get(proposal_url(proposal))
        assert page.status_code == 200
        assert "What these rules do to the fund's risk" not in page_of(page)
        assert "proposal_solvency" not in page_of(page)
        assert "/solvency/" not in page_of(page)
    # the closed one's comparison says the vote is over; a general proposal has none
    response = client.get(url("proposal_solvency", slug=A, proposal_id=closed.pk), **HTMX)
    assert response.status_code == 200
    assert shows(response, "The vote is over.")
    assert client.get(url("proposal_solvency", slug=A, proposal_id=general.pk)).status_code == 404


def test_a_rule_change_on_a_fund_the_simulator_does_not_model_has_no_panel(
    cast: Cast, client_for: Any
) -> None:
    gap = fund_active(cast.collective_a, "income_gap", created_by=cast.ana)
    with transaction.atomic():
        proposal = fund_rules_propose(
            fund=gap,
            author=cast.ben,
            rules={"cap": "250.00"},
            effective_from=dt.date(2027, 1, 1),
            closes_at=NOW + dt.timedelta(days=7),
        )
    client = client_for(cast.ben)
    assert "the fund's risk" not in page_of(client.get(proposal_url(proposal)))
    response = client.get(url("proposal_solvency", slug=A, proposal_id=proposal.pk), **HTMX)
    assert shows(response, NOT_MODELLED[Fund.Kind.INCOME_GAP])


def test_a_funds_first_rules_under_vote_show_their_projection_alone(
    cast: Cast, client_for: Any
) -> None:
    # given the guarantee fund being set up: its first rules are under vote
    with transaction.atomic():
        proposal = fund_setup(
            collective=cast.collective_a,
            actor=cast.ana,
            kind="guarantee",
            rules={},
            closes_at=NOW + dt.timedelta(days=7),
        )
    fund = Fund.objects.get(kind="guarantee")
    assert fund.state == Fund.State.SETTING_UP
    client = client_for(cast.ben)
    # when Ben opens the vote, its panel loads
    assert "What these rules do to the fund's risk" in page_of(client.get(proposal_url(proposal)))
    response = client.get(url("proposal_solvency", slug=A, proposal_id=proposal.pk), **HTMX)
    # then it shows the projection under the proposed rules, with nothing to compare
    assert response.status_code == 200
    assert shows(response, "The fund has no rules in force yet")
    pair = solvency_for_proposal(proposal=proposal)
    assert pair is not None
    assert_shows_report(response, pair[1])
    assert "solvency-chart--small" not in page_of(response)
    # its headings sit under the panel's h2
    assert headings(page_of(response))[0] == 3
    # and on a page of its own, under the page's h1, with no level skipped
    whole = page_of(client.get(url("proposal_solvency", slug=A, proposal_id=proposal.pk)))
    assert_no_level_skipped(whole)
    assert headings(whole)[:2] == [1, 2]


def headings(body: str) -> list[int]:
    """The levels of a page's headings, in order (the site's header and
    footer have none)."""
    return [int(level) for level in re.findall(r"<h([1-6])[\s>]", body)]


def assert_no_level_skipped(body: str) -> None:
    levels = headings(body)
    assert levels and levels[0] == 1
    for before, after in itertools.pairwise(levels):
        assert after <= before + 1, levels


def test_the_full_pages_skip_no_heading_level(cast: Cast, client_for: Any) -> None:
    fund = sick_pay(cast)
    proposal = rule_change(cast, fund)
    client = client_for(cast.ben)
    for page in (
        client.get(url("fund_solvency", slug=A, kind="sick_pay")),
        client.get(url("proposal_solvency", slug=A, proposal_id=proposal.pk)),
        client.post(
            url("fund_rules_preview", slug=A, kind="sick_pay"), rules_data("sick_pay", base=RULES)
        ),
        client.get(url("fund", slug=A, kind="sick_pay")),
    ):
        assert page.status_code == 200
        assert_no_level_skipped(page_of(page))


# --- Who may see it ---------------------------------------------------------------------------


def test_outsiders_get_404_and_anonymous_visitors_the_login_page(
    cast: Cast, client_for: Any, client: Any
) -> None:
    fund = sick_pay(cast)
    proposal = rule_change(cast, fund)
    solvency = url("fund_solvency", slug=A, kind="sick_pay")
    preview = url("fund_rules_preview", slug=A, kind="sick_pay")
    effect = url("proposal_solvency", slug=A, proposal_id=proposal.pk)
    data = rules_data("sick_pay", base=RULES)
    for user in (cast.olga, cast.carla):
        outsider = client_for(user)
        assert outsider.get(solvency, **HTMX).status_code == 404
        assert outsider.post(preview, data, **HTMX).status_code == 404
        assert outsider.get(effect, **HTMX).status_code == 404
    # another collective's slug finds nothing either
    assert (
        client_for(cast.ben)
        .get(url("proposal_solvency", slug="other", proposal_id=proposal.pk))
        .status_code
        == 404
    )
    assert_login_redirect(client.get(solvency))
    assert_login_redirect(client.post(preview, data))
    assert_login_redirect(client.get(effect))
    assert SolvencyRun.objects.count() == 0
