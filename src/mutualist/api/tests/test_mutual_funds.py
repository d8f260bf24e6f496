"""The funds through the API: their figures, setting one up, its rules and
their history, a member's statement. Rules change only by a passed vote."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import call_command

from mutualist.api.tests.support import assert_problem, bearer_client
from mutualist.api.tests.test_mutual_support import NOW, A, B, fill, gap_claim, post, state
from mutualist.governance.models import Proposal
from mutualist.governance.services import vote_cast
from mutualist.mutual.models import Fund
from mutualist.mutual.rules import DEFAULTS
from mutualist.mutual.tests.helpers import fund_active, rules_passed
from mutualist.testing import Cast

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def gap(cast: Cast) -> Fund:
    return fund_active(cast.collective_a, "income_gap", created_by=cast.ana)


def tick() -> None:
    call_command("tick", stdout=__import__("io").StringIO())


# --- Reading -------------------------------------------------------------------------------


def test_a_member_lists_the_funds_with_what_each_holds(cast: Cast, gap: Fund) -> None:
    # Given a guarantee fund still under vote and an income-gap fund holding 1,000.00
    fund_active(cast.collective_a, "guarantee", created_by=cast.ana)
    Fund.objects.filter(kind="guarantee").update(state="setting_up")
    fill(gap, "1000.00", "a")

    response = bearer_client(cast.ben).get(f"{A}/funds")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["count"], body["limit"], body["offset"]) == (2, 20, 0)
    guarantee, income_gap = body["items"]
    assert (guarantee["kind"], guarantee["name"], guarantee["state"]) == (
        "guarantee",
        "Payment guarantee",
        "setting_up",
    )
    assert "still to be voted in" in guarantee["warnings"][0]
    assert income_gap == {
        "kind": "income_gap",
        "name": "Income gap",
        "state": "active",
        "currency": "PHP",
        "balance": [{"amount": "1000.00", "currency": "PHP"}],
        "reserved": [],
        "available": [{"amount": "1000.00", "currency": "PHP"}],
        "obligations": {"amount": "0.00", "currency": "PHP"},
        "runway_months": None,
        "participants": 0,
        "claims_waiting": 0,
        "claims_ongoing": 0,
        "rules_version": 1,
        "warnings": [],
    }


def test_a_fund_shows_its_rules_in_force_what_is_coming_and_the_open_vote(
    cast: Cast, gap: Fund
) -> None:
    # Given version 2 voted in from January, and a third under vote
    rules_passed(gap, {"cap": "250.00"}, effective_from=dt.date(2027, 1, 1))
    ben = bearer_client(cast.ben)
    proposed = post(
        ben,
        f"{A}/funds/income_gap/rules",
        {"rules": {"floor": "700.00"}, "effective_from": "2027-02-01"},
    )
    assert proposed.status_code == 201, proposed.content

    body = ben.get(f"{A}/funds/income_gap").json()

    assert body["rules"]["version"] == 1
    assert body["rules"]["effective_from"] == "2026-01-01"
    assert body["rules"]["rules"] == DEFAULTS["income_gap"]
    assert body["upcoming_rules"]["version"] == 2
    assert body["upcoming_rules"]["rules"]["cap"] == "250.00"
    assert body["rules_vote"]["id"] == proposed.json()["id"]
    assert body["monthly_claim_rate"] == {"amount": "0.00", "currency": "PHP"}
    history = ben.get(f"{A}/funds/income_gap/rules").json()
    assert [v["version"] for v in history["items"]] == [2, 1]
    assert history["items"][0]["proposal_id"] == gap.rule_versions.get(version=2).proposal_id


def test_a_fund_shows_its_money_reserved_paid_out_and_runway(cast: Cast, gap: Fund) -> None:
    # Given 1,000.00 in the fund and a 300.00 top-up paid out of it
    fill(gap, "1000.00", "a")
    claim = gap_claim(gap, cast.ben, "300.00")
    from mutualist.mutual.services.claims import claim_approve

    claim_approve(claim=claim, approver=cast.ana)

    body = bearer_client(cast.ana).get(f"{A}/funds/income_gap").json()

    assert body["balance"] == [{"amount": "700.00", "currency": "PHP"}]
    assert body["paid_out"] == [{"amount": "300.00", "currency": "PHP"}]
    assert body["money_in"] == [{"amount": "1000.00", "currency": "PHP"}]
    # 300.00 paid over the 11 months the rules have been in force: 27.27 a month
    assert body["monthly_claim_rate"] == {"amount": "27.27", "currency": "PHP"}
    assert body["runway_months"] == "25.7"


@pytest.mark.parametrize("path", ["funds/pension", "funds/savings", "funds/savings/rules"])
def test_a_fund_that_is_not_there_is_a_404(cast: Cast, gap: Fund, path: str) -> None:
    assert_problem(bearer_client(cast.ben).get(f"{A}/{path}"), 404, "not_found")


@pytest.mark.parametrize(
    "path",
    ["funds", "funds/income_gap", "funds/income_gap/rules", "funds/income_gap/me"],
)
def test_another_collectives_member_gets_a_404(cast: Cast, gap: Fund, path: str) -> None:
    carla = bearer_client(cast.carla)
    assert_problem(carla.get(f"{A}/{path}"), 404, "not_found")
    assert carla.get(f"{B}/funds").json()["count"] == 0


def test_anonymous_callers_must_authenticate(gap: Fund) -> None:
    from django.test import Client

    assert_problem(Client().get(f"{A}/funds"), 401, "not_authenticated")


def test_a_members_statement_shows_what_they_received(cast: Cast, gap: Fund) -> None:
    fill(gap, "1000.00", "a")
    claim = gap_claim(gap, cast.ben, "300.00", disclosure="anonymous")
    from mutualist.mutual.services.claims import claim_approve

    claim_approve(claim=claim, approver=cast.ana)

    body = bearer_client(cast.ben).get(f"{A}/funds/income_gap/me").json()

    assert body["fund"] == "income_gap"
    assert body["participation"] is None
    assert body["received"] == [{"amount": "300.00", "currency": "PHP"}]
    assert [(c["id"], c["state"], c["is_own"], c["who"]) for c in body["claims"]] == [
        (claim.pk, "paid", True, "Ben Okafor")
    ]
    assert bearer_client(cast.ana).get(f"{A}/funds/income_gap/me").json()["claims"] == []


# --- Setting up and changing rules ----------------------------------------------------------


def test_a_coordinator_sets_a_fund_up_and_the_members_vote_its_rules_in(
    cast: Cast, time_machine: Any
) -> None:
    # When Ana sets up a sick-pay fund with a 14-day waiting period
    ana = bearer_client(cast.ana)
    response = post(
        ana,
        f"{A}/funds/sick_pay/setup",
        {
            "rules": {"waiting_days": 14, "min_members": 2},
            "closes_at": "2026-11-30T18:00:00+08:00",
            "body": "As the bread funds do.",
        },
    )

    # Then the fund waits for its rules, under a vote closing on 30 November
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["title"], body["state"], body["fund"]) == (
        "Rules for the sick-pay fund",
        "open",
        "sick_pay",
    )
    assert body["closes_at"] == "2026-11-30T10:00:00Z"
    assert body["effective_from"] == "2026-12-01"
    assert body["rules"]["waiting_days"] == 14
    assert body["rules"]["tiers"] == DEFAULTS["sick_pay"]["tiers"]
    fund = ana.get(f"{A}/funds/sick_pay").json()
    assert (fund["state"], fund["rules"], fund["rules_vote"]["id"]) == (
        "setting_up",
        None,
        body["id"],
    )
    # When both members vote yes and the vote closes
    proposal = Proposal.objects.get(pk=body["id"])
    vote_cast(proposal=proposal, voter=cast.ana, choice="yes")
    vote_cast(proposal=proposal, voter=cast.ben, choice="yes")
    time_machine.move_to(dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC), tick=False)
    tick()

    # Then the fund is active with version 1 in force
    fund = ana.get(f"{A}/funds/sick_pay").json()
    assert (fund["state"], fund["rules_version"], fund["rules_vote"]) == ("active", 1, None)
    assert fund["rules"]["rules"]["waiting_days"] == 14
    assert fund["rules"]["proposal_id"] == body["id"]


def test_only_a_coordinator_sets_a_fund_up_and_a_refusal_changes_nothing(cast: Cast) -> None:
    before = state()

    refused = post(bearer_client(cast.ben), f"{A}/funds/savings/setup", {})

    assert_problem(refused, 403, "not_coordinator")
    assert_problem(
        post(bearer_client(cast.carla), f"{A}/funds/savings/setup", {}), 404, "not_found"
    )
    assert state() == before


@pytest.mark.parametrize(
    ("kind", "body", "status", "code", "field"),
    [
        ("sick_pay", {"rules": {"waiting_days": -1}}, 422, "invalid_rules", "rules.waiting_days"),
        ("sick_pay", {"rules": {"colour": "blue"}}, 422, "invalid_rules", "rules.colour"),
        (
            "sick_pay",
            {"rules": {"tiers": [{"deposit": 10.5, "payout": "100"}]}},
            422,
            "invalid_rules",
            "rules.tiers.0.deposit",
        ),
        ("pension", {}, 422, "invalid_fund_kind", "kind"),
        ("income_gap", {}, 409, "fund_exists", "kind"),
        (
            "savings",
            {"closes_at": "2026-11-30T18:00:00"},
            422,
            "closes_at_naive",
            "closes_at",
        ),
        ("savings", {"closes_at": "2026-11-20T18:00:00Z"}, 422, "closes_at_in_past", "closes_at"),
        (
            "savings",
            {"effective_from": "2026-11-28", "closes_at": "2026-12-04T18:00:00Z"},
            422,
            "effective_before_close",
            "effective_from",
        ),
    ],
)
def test_a_setup_with_bad_input_is_refused_naming_the_field(
    cast: Cast, gap: Fund, kind: str, body: dict[str, Any], status: int, code: str, field: str
) -> None:
    before = state()

    response = post(bearer_client(cast.ana), f"{A}/funds/{kind}/setup", body)

    problem = assert_problem(response, status, code)
    assert [error["field"] for error in problem.get("errors", [])] == [field]
    assert state() == before


def test_any_member_proposes_new_rules_naming_only_what_changes(cast: Cast, gap: Fund) -> None:
    response = post(
        bearer_client(cast.ben),
        f"{A}/funds/income_gap/rules",
        {
            "rules": {"cap": "200.00"},
            "effective_from": "2027-01-01",
            "closes_at": "2026-12-04T18:00:00+08:00",
            "title": "A smaller top-up",
            "body": "The fund is thin.",
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["title"] == "A smaller top-up"
    assert body["rules"] == {**DEFAULTS["income_gap"], "cap": "200.00"}
    proposal = Proposal.objects.get(pk=body["id"])
    assert (proposal.kind, proposal.author, proposal.body) == (
        "fund_rule_change",
        cast.ben,
        "The fund is thin.",
    )
    # Nothing changes until the vote passes
    assert gap.rule_versions.count() == 1


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"rules": {"floor": "600.00"}, "effective_from": "2027-01-01"}, "no_change", "rules"),
        (
            {"rules": {"cap": "900.00"}, "effective_from": "2027-01-01"},
            "invalid_rules",
            "rules.cap",
        ),
        (
            {"rules": {"cap": "200.00"}, "effective_from": "2026-11-28"},
            "effective_before_close",
            "effective_from",
        ),
    ],
)
def test_a_rule_change_with_bad_input_is_refused(
    cast: Cast, gap: Fund, body: dict[str, Any], code: str, field: str
) -> None:
    before = state()

    problem = assert_problem(
        post(bearer_client(cast.ben), f"{A}/funds/income_gap/rules", body), 422, code
    )

    assert [error["field"] for error in problem["errors"]] == [field]
    assert state() == before


def test_a_rule_change_without_its_required_fields_is_a_schema_error(cast: Cast, gap: Fund) -> None:
    before = state()

    assert_problem(
        post(bearer_client(cast.ben), f"{A}/funds/income_gap/rules", {"rules": {}}),
        422,
        "validation_failed",
    )
    assert state() == before


def test_a_closing_time_years_ahead_is_refused_not_a_crash(cast: Cast) -> None:
    from mutualist.api.tests.support import assert_problem, bearer_client

    response = bearer_client(cast.ana).post(
        "/api/v1/collectives/manila-va/funds/sick_pay/setup",
        data='{"closes_at": "9999-12-31T12:00:00+00:00"}',
        content_type="application/json",
    )
    assert_problem(response, 422, "closes_at_too_late")
