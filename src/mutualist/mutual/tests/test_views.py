"""The funds pages through the web UI: the collective's funds, a fund's
page, setting a fund up and proposing new rules.

The cast (see ``mutualist.testing``): Ana coordinates collective A
(manila-va, PHP), Ben is a member of A, Carla coordinates B, Olga is in no
collective. The clock is frozen at ``NOW`` (Friday 27 November 2026).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from mutualist.governance.models import Proposal
from mutualist.mutual.models import Fund, FundRules
from mutualist.mutual.rules import DEFAULTS
from mutualist.mutual.tests.helpers import NOW, fund_active, rules_passed, snapshot
from mutualist.mutual.tests.test_views_support import (
    assert_login_redirect,
    fill,
    page_of,
    rules_data,
    shows,
)
from mutualist.testing import Cast

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


def url(name: str, **kwargs: object) -> str:
    return reverse(f"mutual:{name}", kwargs=kwargs)


A = "manila-va"


# --- The collective's funds -------------------------------------------------------------------


def test_the_funds_page_lists_every_kind_and_offers_coordinators_to_set_them_up(
    cast: Cast, client_for: Any
) -> None:
    # Given an active income-gap fund holding 1,000.00 and nothing else
    gap = fund_active(cast.collective_a, "income_gap", created_by=cast.ana)
    fill(gap, "1000", "a")
    # When Ana (coordinator) and Ben (member) open the funds page
    as_ana = client_for(cast.ana).get(url("funds", slug=A))
    as_ben = client_for(cast.ben).get(url("funds", slug=A))
    # Then both see the four kinds; the income-gap fund with its money
    for response in (as_ana, as_ben):
        assert response.status_code == 200
        for label in ("Sick pay", "Payment guarantee", "Income gap", "Savings"):
            assert shows(response, label)
        assert "₱1,000.00" in page_of(response)
        assert url("fund", slug=A, kind="income_gap") in page_of(response)
    # and only Ana is offered to set up the others
    assert url("fund_setup", slug=A, kind="sick_pay") in page_of(as_ana)
    assert url("fund_setup", slug=A, kind="sick_pay") not in page_of(as_ben)
    assert url("fund_setup", slug=A, kind="income_gap") not in page_of(as_ana)


def test_a_fund_being_set_up_links_to_its_vote(cast: Cast, client_for: Any) -> None:
    client = client_for(cast.ana)
    client.post(url("fund_setup", slug=A, kind="savings"), rules_data("savings"))
    vote = Proposal.objects.get(kind="fund_rule_change")
    response = client_for(cast.ben).get(url("funds", slug=A))
    assert shows(response, "Rules under vote")
    assert reverse("governance:proposal", kwargs={"slug": A, "proposal_id": vote.pk}) in page_of(
        response
    )


def test_outsiders_and_other_collectives_members_get_404(cast: Cast, client_for: Any) -> None:
    fund_active(cast.collective_a, "income_gap", created_by=cast.ana)
    for user in (cast.olga, cast.carla):
        client = client_for(user)
        assert client.get(url("funds", slug=A)).status_code == 404
        assert client.get(url("fund", slug=A, kind="income_gap")).status_code == 404
        assert client.get(url("fund_rules", slug=A, kind="income_gap")).status_code == 404
        assert client.get(url("fund_setup", slug=A, kind="sick_pay")).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(cast: Cast, client: Any) -> None:
    assert_login_redirect(client.get(url("funds", slug=A)))


# --- A fund's page ----------------------------------------------------------------------------


def test_the_fund_page_shows_money_rules_and_history(cast: Cast, client_for: Any) -> None:
    # Given an income-gap fund with version 1 in force and version 2 coming
    gap = fund_active(cast.collective_a, "income_gap", created_by=cast.ana)
    fill(gap, "2500", "a")
    coming = rules_passed(gap, {"cap": "250.00"}, effective_from=dt.date(2027, 1, 1))
    # When Ben opens it
    response = client_for(cast.ben).get(url("fund", slug=A, kind="income_gap"))
    # Then he sees what it holds, its rules in force and the change to come
    assert response.status_code == 200
    body = page_of(response)
    assert "₱2,500.00" in body
    assert shows(response, "Income floor per month")
    assert shows(response, "600.00")
    assert shows(response, "Coming: version 2, from 1 January 2027")
    assert shows(response, "250.00 (was 300.00)")
    assert (
        reverse("governance:proposal", kwargs={"slug": A, "proposal_id": coming.proposal_id})
        in body
    )
    assert shows(response, "No claims paid in PHP in the last 12 months")
    # and may claim, or propose new rules
    assert url("claim_new", slug=A, kind="income_gap") in body
    assert url("fund_rules", slug=A, kind="income_gap") in body


def test_an_unknown_kind_or_a_fund_not_set_up_is_404(cast: Cast, client_for: Any) -> None:
    client = client_for(cast.ben)
    assert client.get(url("fund", slug=A, kind="pension")).status_code == 404
    assert client.get(url("fund", slug=A, kind="savings")).status_code == 404
    assert client.get(url("claim_new", slug=A, kind="savings")).status_code == 404


# --- Setting a fund up ----------------------------------------------------------------------


def test_a_coordinator_sets_a_fund_up_and_is_taken_to_the_vote(cast: Cast, client_for: Any) -> None:
    client = client_for(cast.ana)
    # Given the form, filled in with the bread funds' defaults
    form = client.get(url("fund_setup", slug=A, kind="sick_pay"))
    assert form.status_code == 200
    assert 'value="33.75"' in page_of(form)  # tier 1's deposit, 4.5 % of 750
    assert 'value="2500.00"' in page_of(form)  # tier 8's gift
    # When she asks for a 14-day waiting period, the vote closing in three days
    data = rules_data("sick_pay", waiting_days="14", closes_at="2026-11-30T18:00")
    response = client.post(url("fund_setup", slug=A, kind="sick_pay"), data)
    # Then the fund is being set up and she lands on the vote on its rules
    fund = Fund.objects.get(collective=cast.collective_a, kind="sick_pay")
    vote = Proposal.objects.get(kind="fund_rule_change")
    assert fund.state == "setting_up"
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "governance:proposal", kwargs={"slug": A, "proposal_id": vote.pk}
    )
    assert vote.payload["rules"]["waiting_days"] == 14
    assert vote.payload["rules"]["tiers"] == DEFAULTS["sick_pay"]["tiers"]
    # Ana's clock is Manila's (UTC+8): the vote closes at 18:00 there
    assert vote.closes_at == dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC)
    assert vote.payload["effective_from"] == "2026-12-01"


def test_fewer_tiers_are_fewer_rows(cast: Cast, client_for: Any) -> None:
    data = rules_data("sick_pay")
    for index in range(3, 8):
        data[f"tier_{index}_deposit"] = ""
        data[f"tier_{index}_payout"] = ""
    client_for(cast.ana).post(url("fund_setup", slug=A, kind="sick_pay"), data)
    vote = Proposal.objects.get(kind="fund_rule_change")
    assert len(vote.payload["rules"]["tiers"]) == 3


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"waiting_days": "400"}, "waiting_days", "between 0 and 365"),
        ({"tier_2_payout": "900.00"}, "tiers", "Each tier deposits and pays more"),
        ({"tier_4_payout": ""}, "tier_4_payout", "Give both a deposit and a gift"),
        ({"min_members": "60"}, "min_members", "not above the largest"),
        ({"approvals_needed": "abc"}, "approvals_needed", "Enter a whole number"),
        ({"effective_from": "2026-11-28"}, "effective_from", "before the vote closes"),
        ({"closes_at": "2026-11-20T10:00"}, "closes_at", "in the future"),
    ],
)
def test_bad_rules_are_refused_on_their_field_and_nothing_is_set_up(
    cast: Cast, client_for: Any, change: dict[str, str], field: str, words: str
) -> None:
    before = snapshot()
    data = {**rules_data("sick_pay"), **change}
    response = client_for(cast.ana).post(url("fund_setup", slug=A, kind="sick_pay"), data)
    assert response.status_code in (409, 422)
    errors = response.context["form"].errors
    assert field in errors, errors
    assert words in " ".join(errors[field])
    assert snapshot() == before
    assert not Fund.objects.exists()


def test_a_fund_already_active_is_refused_on_the_form(cast: Cast, client_for: Any) -> None:
    fund_active(cast.collective_a, "income_gap", created_by=cast.ana)
    before = snapshot()
    response = client_for(cast.ana).post(
        url("fund_setup", slug=A, kind="income_gap"), rules_data("income_gap")
    )
    assert response.status_code == 409
    assert "already has its income-gap fund" in " ".join(
        response.context["form"].non_field_errors()
    )
    assert snapshot() == before


def test_only_coordinators_set_funds_up(cast: Cast, client_for: Any) -> None:
    client = client_for(cast.ben)
    before = snapshot()
    assert client.get(url("fund_setup", slug=A, kind="sick_pay")).status_code == 403
    response = client.post(url("fund_setup", slug=A, kind="sick_pay"), rules_data("sick_pay"))
    assert response.status_code == 403
    assert snapshot() == before
    assert client.get(url("fund_setup", slug=A, kind="pension")).status_code == 404


# --- Proposing new rules ----------------------------------------------------------------------


def test_a_member_proposes_new_rules_prefilled_with_the_newest_version(
    cast: Cast, client_for: Any
) -> None:
    gap = fund_active(cast.collective_a, "income_gap", {"floor": "700.00"}, created_by=cast.ana)
    client = client_for(cast.ben)
    form = client.get(url("fund_rules", slug=A, kind="income_gap"))
    assert form.status_code == 200
    assert 'value="700.00"' in page_of(form)
    data = rules_data(
        "income_gap",
        base={"floor": "700.00"},
        cap="350.00",
        effective_from="2027-01-01",
        title="A bigger top-up",
        body="Rents went up.",
    )
    response = client.post(url("fund_rules", slug=A, kind="income_gap"), data)
    vote = Proposal.objects.get(kind="fund_rule_change", state="open")
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "governance:proposal", kwargs={"slug": A, "proposal_id": vote.pk}
    )
    assert vote.author == cast.ben and vote.title == "A bigger top-up"
    assert vote.payload["rules"]["cap"] == "350.00"
    assert vote.payload["rules"]["floor"] == "700.00"
    assert vote.payload["effective_from"] == "2027-01-01"
    # Nothing changes until the members pass it
    assert FundRules.objects.filter(fund=gap).count() == 1
    page = client.get(url("fund", slug=A, kind="income_gap"))
    assert shows(page, "New rules are under vote")


def test_proposing_the_same_rules_is_refused_and_changes_nothing(
    cast: Cast, client_for: Any
) -> None:
    fund_active(cast.collective_a, "income_gap", created_by=cast.ana)
    before = snapshot()
    response = client_for(cast.ben).post(
        url("fund_rules", slug=A, kind="income_gap"),
        rules_data("income_gap", effective_from="2027-01-01"),
    )
    assert response.status_code == 422
    assert "already in force" in " ".join(response.context["form"].non_field_errors())
    assert snapshot() == before
