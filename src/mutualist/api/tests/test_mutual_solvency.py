"""A fund's solvency through the API: its report, a preview of other rules,
and an open rule change's comparison. Members only (anyone else 404); a bad
rule is 422 naming ``rules.<field>`` and stores nothing."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction

from mutualist.api.tests.support import assert_problem, bearer_client
from mutualist.api.tests.test_mutual_support import NOW, A, B, post
from mutualist.engines.solvency.calibrate import Estimate, calibrate_sick_pay
from mutualist.governance.models import Proposal
from mutualist.governance.services import proposal_create, proposal_withdraw
from mutualist.mutual.models import Fund, SolvencyRun
from mutualist.mutual.services import solvency as service
from mutualist.mutual.services.funds import fund_rules_propose, fund_setup
from mutualist.mutual.services.solvency import (
    NOT_MODELLED,
    UNWORKABLE,
    solvency_drafts_forget,
    solvency_for_fund,
    solvency_report_json,
)
from mutualist.mutual.tests.helpers import fund_active
from mutualist.mutual.tests.sick_pay_helpers import join, seed, sick_fund
from mutualist.testing import Cast

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now(time_machine: Any, settings: Any) -> Iterator[None]:
    time_machine.move_to(NOW, tick=False)
    settings.MUTUAL_SOLVENCY_PATHS = 300
    solvency_drafts_forget()
    yield
    solvency_drafts_forget()


@pytest.fixture
def fund(cast: Cast) -> Fund:
    fund = sick_fund(cast.collective_a, cast.ana)
    seed(join(fund, cast.ana, 0), "450.00", "ana")
    join(fund, cast.ben, 1)
    return fund


# --- The report ---------------------------------------------------------------------------


def test_a_member_reads_the_funds_report(cast: Cast, fund: Fund) -> None:
    response = bearer_client(cast.ben).get(f"{A}/funds/sick_pay/solvency")

    assert response.status_code == 200, response.content
    body = response.json()
    run = SolvencyRun.objects.get()
    # the service's report, the time as the API writes times
    expected = solvency_report_json(solvency_for_fund(fund=fund))
    assert body == {**expected, "computed_at": "2026-11-27T09:00:00Z"}
    assert body["run_id"] == run.pk
    assert (body["kind"], body["collective"], body["modelled"], body["reason"]) == (
        "sick_pay",
        "manila-va",
        True,
        "",
    )
    assert body["start_balance"] == {"amount": "450.00", "currency": "PHP"}
    assert [risk["months"] for risk in body["risks"]] == [12, 36, 60]
    assert [risk["upper_bound"] for risk in body["risks"]] == [None, None, None]
    assert [band["percentile"] for band in body["balance_bands"]] == [5, 25, 50, 75, 95]
    assert all(len(band["balances"]) == 60 for band in body["balance_bands"])
    assert body["recommendation"]["lever"] == "deposit_rate"
    assert body["recommendation"]["current"] == "3.00"
    assert (body["first_month"], body["months"], body["paths"]) == ("2026-12-01", 60, 300)


def test_a_chance_no_simulated_future_reached_comes_with_its_upper_bound(cast: Cast) -> None:
    # Given a fund whose deposits equal its gifts, holding 30,000.00: none of
    # its 300 simulated futures runs short
    fund = sick_fund(
        cast.collective_a, cast.ana, {"tiers": [{"deposit": "1000.00", "payout": "1000.00"}]}
    )
    seed(join(fund, cast.ana, 0), "30000.00", "ana")

    response = bearer_client(cast.ben).get(f"{A}/funds/sick_pay/solvency")

    # Then the number and its standard error stay 0, with the bound 3 / 300
    assert response.status_code == 200, response.content
    assert response.json()["risks"] == [
        {"months": months, "probability": 0.0, "standard_error": 0.0, "upper_bound": 0.01}
        for months in (12, 36, 60)
    ]


def test_a_fund_the_engine_cannot_simulate_is_a_report_saying_why(
    cast: Cast, fund: Fund, monkeypatch: pytest.MonkeyPatch
) -> None:
    calibrate = calibrate_sick_pay

    def impossible(history: Any) -> Any:
        return dataclasses.replace(
            calibrate(history), sick_probability=Estimate(1.5, "history", 1.0, 12)
        )

    monkeypatch.setattr(service.model, "calibrate_sick_pay", impossible)
    client = bearer_client(cast.ben)

    read = client.get(f"{A}/funds/sick_pay/solvency")
    preview = post(client, f"{A}/funds/sick_pay/solvency/preview", {"rules": {"waiting_days": 14}})

    reason = UNWORKABLE.format(message="sick_probability must be at most 1; got 1.5")
    assert (read.status_code, preview.status_code) == (200, 200)
    assert (read.json()["modelled"], read.json()["reason"]) == (False, reason)
    assert preview.json()["proposed"]["reason"] == reason
    assert SolvencyRun.objects.count() == 0


def test_an_unmodelled_fund_says_why(cast: Cast) -> None:
    fund_active(cast.collective_a, "income_gap", created_by=cast.ana)

    response = bearer_client(cast.ben).get(f"{A}/funds/income_gap/solvency")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["modelled"], body["reason"]) == (False, NOT_MODELLED[Fund.Kind.INCOME_GAP])
    assert (body["risks"], body["balance_bands"], body["recommendation"]) == ([], [], None)
    assert (body["expected_shortfall"], body["paid_share"], body["run_id"]) == (None, None, None)
    assert SolvencyRun.objects.count() == 0


def test_an_outsider_and_an_unknown_fund_get_404(cast: Cast, fund: Fund) -> None:
    carla = bearer_client(cast.carla)

    assert_problem(carla.get(f"{A}/funds/sick_pay/solvency"), 404, "not_found")
    assert_problem(bearer_client(cast.ben).get(f"{A}/funds/guarantee/solvency"), 404, "not_found")
    assert_problem(carla.get(f"{B}/funds/sick_pay/solvency"), 404, "not_found")
    assert SolvencyRun.objects.count() == 0


# --- A preview ----------------------------------------------------------------------------


def test_a_member_previews_other_rules_without_storing_them(cast: Cast, fund: Fund) -> None:
    rules = {"tiers": [{"deposit": "40.00", "payout": "1000.00"}]}

    response = post(
        bearer_client(cast.ben), f"{A}/funds/sick_pay/solvency/preview", {"rules": rules}
    )

    assert response.status_code == 200, response.content
    now, proposed = response.json()["now"], response.json()["proposed"]
    assert now["run_id"] == SolvencyRun.objects.get().pk
    assert proposed["run_id"] is None
    assert (now["recommendation"]["current"], proposed["recommendation"]["current"]) == (
        "3.00",
        "4.00",
    )


def test_a_fund_being_set_up_previews_changes_over_the_defaults_with_nothing_now(
    cast: Cast,
) -> None:
    # Given a guarantee fund being set up: its first rules under vote cover
    # half the members' shares (the default is 80 %)
    with transaction.atomic():
        proposal = fund_setup(
            collective=cast.collective_a,
            actor=cast.ana,
            kind="guarantee",
            rules={"cap_percent": "50"},
            closes_at=NOW + dt.timedelta(days=7),
        )
    ben = bearer_client(cast.ben)

    # When Ben previews a change of the days before an invoice is late
    response = post(ben, f"{A}/funds/guarantee/solvency/preview", {"rules": {"overdue_days": 45}})

    # Then the change is laid over the defaults, as a proposal's would be
    # (not over the rules under vote), and there is no "now": no rules are in force
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["now"] is None
    rows = {row["label"]: row["value"] for row in body["proposed"]["assumptions"]}
    assert "covered up to 80 %" in rows["Paid to the members on a late invoice"]
    assert "Chance a client pays more than 45 days late" in rows
    # and the first rules' own comparison has no "now" either
    compared = ben.get(f"{A}/proposals/{proposal.pk}/solvency")
    assert compared.status_code == 200, compared.content
    assert compared.json()["now"] is None
    proposed = {row["label"]: row["value"] for row in compared.json()["proposed"]["assumptions"]}
    assert "covered up to 50 %" in proposed["Paid to the members on a late invoice"]


@pytest.mark.parametrize(
    ("rules", "field"),
    [
        ({"waiting_days": -1}, "rules.waiting_days"),
        ({"tiers": [{"deposit": "1.005", "payout": "10.00"}]}, "rules.tiers.0.deposit"),
        ({"wating_days": 14}, "rules.wating_days"),
    ],
)
def test_a_bad_rule_is_refused_naming_it_and_nothing_is_stored(
    cast: Cast, fund: Fund, rules: dict[str, Any], field: str
) -> None:
    response = post(
        bearer_client(cast.ben), f"{A}/funds/sick_pay/solvency/preview", {"rules": rules}
    )

    body = assert_problem(response, 422, "invalid_rules")
    assert [error["field"] for error in body["errors"]] == [field]
    assert SolvencyRun.objects.count() == 0


def test_a_preview_without_rules_is_refused_by_the_schema(cast: Cast, fund: Fund) -> None:
    response = post(bearer_client(cast.ben), f"{A}/funds/sick_pay/solvency/preview", {})

    assert_problem(response, 422, "validation_failed")
    assert SolvencyRun.objects.count() == 0


def test_an_outsider_previews_nothing(cast: Cast, fund: Fund) -> None:
    response = post(
        bearer_client(cast.carla),
        f"{A}/funds/sick_pay/solvency/preview",
        {"rules": {"waiting_days": 14}},
    )

    assert_problem(response, 404, "not_found")
    assert SolvencyRun.objects.count() == 0


# --- A rule change under vote ---------------------------------------------------------------


def test_an_open_rule_change_shows_the_fund_now_and_as_proposed(cast: Cast, fund: Fund) -> None:
    proposal = fund_rules_propose(
        fund=fund,
        author=cast.ben,
        rules={"tiers": [{"deposit": "50.00", "payout": "1000.00"}]},
        effective_from=dt.date(2027, 1, 1),
    )

    response = bearer_client(cast.ana).get(f"{A}/proposals/{proposal.pk}/solvency")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (
        body["now"]["recommendation"]["current"],
        body["proposed"]["recommendation"]["current"],
    ) == (
        "3.00",
        "5.00",
    )
    stored = dict(SolvencyRun.objects.values_list("pk", "proposal_id"))
    assert stored == {body["now"]["run_id"]: None, body["proposed"]["run_id"]: proposal.pk}


def test_a_proposal_of_another_kind_or_closed_has_no_comparison(cast: Cast, fund: Fund) -> None:
    general = proposal_create(
        collective=cast.collective_a,
        author=cast.ana,
        kind=Proposal.Kind.GENERAL,
        title="Picnic",
        closes_at=NOW + dt.timedelta(days=3),
    )
    change = fund_rules_propose(
        fund=fund, author=cast.ben, rules={"waiting_days": 14}, effective_from=dt.date(2027, 1, 1)
    )
    proposal_withdraw(proposal=change, actor=cast.ben)
    ben = bearer_client(cast.ben)

    other = assert_problem(
        ben.get(f"{A}/proposals/{general.pk}/solvency"), 404, "not_a_rule_change"
    )
    closed = assert_problem(ben.get(f"{A}/proposals/{change.pk}/solvency"), 404, "proposal_closed")

    assert other["detail"] == (
        f"Proposal #{general.pk} is not a fund rule change: only those have a solvency comparison."
    )
    assert closed["detail"] == (
        f"Proposal #{change.pk} is withdrawn: the comparison is shown while the members vote."
    )
    assert SolvencyRun.objects.count() == 0


def test_an_outsider_or_another_collectives_path_gets_404(cast: Cast, fund: Fund) -> None:
    proposal = fund_rules_propose(
        fund=fund, author=cast.ben, rules={"waiting_days": 14}, effective_from=dt.date(2027, 1, 1)
    )

    assert_problem(
        bearer_client(cast.carla).get(f"{A}/proposals/{proposal.pk}/solvency"), 404, "not_found"
    )
    # Carla's own collective's path does not reach A's proposal either
    assert_problem(
        bearer_client(cast.carla).get(f"{B}/proposals/{proposal.pk}/solvency"), 404, "not_found"
    )
    assert_problem(bearer_client(cast.ben).get(f"{A}/proposals/{2**70}/solvency"), 404, "not_found")
    assert SolvencyRun.objects.count() == 0
