"""The sick-pay fund through the API: joining at a tier, changing tier or
leaving on a set date (and cancelling), reporting a sick period, ending it,
and what a participant sees of their own account.

The fund's rules (``mutual.tests.sick_pay_helpers.RULES``): three tiers,
30.00 / 60.00 / 90.00 PHP a month for a gift of 1,000.00 / 2,000.00 /
3,000.00; one peer approves a claim; tier changes and exits on 1 January
and 1 July. The API numbers tiers from 1. Today is 27 November 2026.
"""

from __future__ import annotations

from typing import Any

import pytest

from mutualist.api.tests.support import assert_problem, bearer_client
from mutualist.api.tests.test_mutual_support import NOW, A, post, send, state
from mutualist.members.models import User
from mutualist.mutual.models import Claim, Fund, Participation, ParticipationChange
from mutualist.mutual.services.sick_pay import sick_pay_deposits_post
from mutualist.mutual.tests.helpers import add_member
from mutualist.mutual.tests.sick_pay_helpers import join, ongoing, pay_member, sick_fund
from mutualist.testing import Cast, ledger_checked

pytestmark = pytest.mark.django_db

FUND = f"{A}/funds/sick_pay"
JOIN = f"{FUND}/participation"
CHANGES = f"{FUND}/participation/changes"


@pytest.fixture(autouse=True)
def _now(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def fund(cast: Cast) -> Fund:
    return sick_fund(cast.collective_a, cast.ana)


@pytest.fixture
def cleo(cast: Cast) -> User:
    return add_member(cast.collective_a, "cleo@example.com", "Cleo Santos")


def php(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "PHP"}


# --- Joining -------------------------------------------------------------------------------


def test_a_member_joins_at_a_tier_and_sees_what_it_costs_and_gives(cast: Cast, fund: Fund) -> None:
    response = post(bearer_client(cast.ben), JOIN, {"tier": 2})

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["participation"] == {
        "state": "active",
        "tier": 2,
        "monthly_deposit": php("60.00"),
        "monthly_gift": php("2000.00"),
        "joined_on": "2026-11-27",
        "left_on": None,
    }
    assert Participation.objects.get(fund=fund, member=cast.ben).tier == 1
    # The fund warns that two members are fewer than the rules ask for
    fund_page = bearer_client(cast.ben).get(FUND).json()
    assert fund_page["participants"] == 1
    assert any("20 to 50" in warning for warning in fund_page["warnings"])


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"tier": 0}, 422, "invalid_tier"),
        ({"tier": 4}, 422, "invalid_tier"),
        ({"tier": "2"}, 422, "validation_failed"),
        ({}, 422, "validation_failed"),
    ],
)
def test_joining_at_a_tier_the_rules_do_not_have_is_refused(
    cast: Cast, fund: Fund, body: dict[str, Any], status: int, code: str
) -> None:
    before = state()

    assert_problem(post(bearer_client(cast.ben), JOIN, body), status, code)
    assert state() == before


def test_joining_twice_is_refused(cast: Cast, fund: Fund) -> None:
    join(fund, cast.ben)
    before = state()

    assert_problem(post(bearer_client(cast.ben), JOIN, {"tier": 1}), 409, "already_joined")
    assert state() == before


def test_a_fund_still_under_vote_takes_no_one(cast: Cast, fund: Fund) -> None:
    Fund.objects.filter(pk=fund.pk).update(state="setting_up")
    before = state()

    assert_problem(post(bearer_client(cast.ben), JOIN, {"tier": 1}), 409, "fund_not_active")
    assert state() == before


def test_a_collective_without_a_sick_pay_fund_has_nothing_to_join(cast: Cast) -> None:
    assert_problem(post(bearer_client(cast.ben), JOIN, {"tier": 1}), 404, "not_found")


# --- Changing tier, leaving ---------------------------------------------------------------------


def test_a_tier_change_waits_for_the_next_set_date_and_can_be_cancelled(
    cast: Cast, fund: Fund
) -> None:
    join(fund, cast.ben)
    ben = bearer_client(cast.ben)

    asked = post(ben, CHANGES, {"kind": "tier", "tier": 3, "effective_on": "2027-01-01"})

    assert asked.status_code == 201, asked.content
    change = asked.json()
    assert {k: change[k] for k in ("kind", "tier", "effective_on", "state")} == {
        "kind": "tier",
        "tier": 3,
        "effective_on": "2027-01-01",
        "state": "pending",
    }
    assert ParticipationChange.objects.get(pk=change["id"]).tier == 2
    assert ben.get(f"{FUND}/me").json()["pending_change"]["id"] == change["id"]
    # A second change waits for the first to be cancelled
    before = state()
    assert_problem(
        post(ben, CHANGES, {"kind": "exit", "effective_on": "2027-07-01"}), 409, "change_pending"
    )
    assert state() == before

    cancelled = send(ben, "DELETE", f"{CHANGES}/{change['id']}")

    assert cancelled.status_code == 200, cancelled.content
    assert cancelled.json()["state"] == "cancelled"
    assert_problem(send(ben, "DELETE", f"{CHANGES}/{change['id']}"), 409, "change_not_pending")


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        (
            {"kind": "tier", "tier": 2, "effective_on": "2026-12-01"},
            "not_a_change_date",
            "effective_on",
        ),
        ({"kind": "exit", "effective_on": "2027-01-02"}, "not_a_change_date", "effective_on"),
        ({"kind": "tier", "tier": 1, "effective_on": "2027-01-01"}, "same_tier", "tier"),
        ({"kind": "tier", "tier": 9, "effective_on": "2027-01-01"}, "invalid_tier", "tier"),
        ({"kind": "tier", "effective_on": "2027-01-01"}, "validation_failed", "tier"),
        ({"kind": "exit", "tier": 2, "effective_on": "2027-01-01"}, "validation_failed", "tier"),
    ],
)
def test_a_change_off_the_set_dates_or_otherwise_wrong_is_refused(
    cast: Cast, fund: Fund, body: dict[str, Any], code: str, field: str
) -> None:
    join(fund, cast.ben)
    before = state()

    problem = assert_problem(post(bearer_client(cast.ben), CHANGES, body), 422, code)

    assert [error["field"] for error in problem["errors"]] == [field]
    if code == "not_a_change_date":
        assert "1 January 2027" in problem["detail"]
    assert state() == before


def test_only_a_participant_asks_for_a_change(cast: Cast, fund: Fund) -> None:
    before = state()

    assert_problem(
        post(bearer_client(cast.ben), CHANGES, {"kind": "exit", "effective_on": "2027-01-01"}),
        403,
        "not_a_participant",
    )
    assert state() == before


def test_a_coordinator_may_cancel_a_members_change_and_other_members_may_not(
    cast: Cast, fund: Fund, cleo: User
) -> None:
    join(fund, cast.ben)
    change = post(
        bearer_client(cast.ben), CHANGES, {"kind": "exit", "effective_on": "2027-01-01"}
    ).json()
    before = state()

    assert_problem(
        send(bearer_client(cleo), "DELETE", f"{CHANGES}/{change['id']}"), 403, "not_allowed"
    )
    assert state() == before
    assert send(bearer_client(cast.ana), "DELETE", f"{CHANGES}/{change['id']}").status_code == 200
    assert_problem(send(bearer_client(cast.ana), "DELETE", f"{CHANGES}/{2**70}"), 404, "not_found")


# --- Sick claims ---------------------------------------------------------------------------------


def test_a_participant_reports_a_sick_period_once_whatever_the_retries(
    cast: Cast, fund: Fund
) -> None:
    join(fund, cast.ben)
    ben = bearer_client(cast.ben)
    body = {"starts_on": "2026-11-20", "percent": 100, "reason": "Flu", "disclosure": "name_only"}

    first = post(ben, f"{FUND}/claims", body, key="sick-1")
    again = post(ben, f"{FUND}/claims", body, key="sick-1")

    assert first.status_code == 201, first.content
    claim = first.json()
    assert {k: claim[k] for k in ("fund", "state", "starts_on", "percent", "amount")} == {
        "fund": "sick_pay",
        "state": "submitted",
        "starts_on": "2026-11-20",
        "percent": 100,
        "amount": None,
    }
    assert (claim["approval"], claim["approvals_needed"], claim["disclosure"]) == (
        "peers",
        1,
        "name_only",
    )
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert Claim.objects.filter(fund=fund).count() == 1
    # A peer approves: the claim is paid monthly from now on
    approved = post(bearer_client(cast.ana), f"{A}/claims/{claim['id']}/approve", key="a")
    assert approved.json()["state"] == "ongoing"


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"starts_on": "2026-11-20"}, 422, "validation_failed", "percent"),
        ({"starts_on": "2026-11-20", "percent": 70}, 422, "invalid_percent", "percent"),
        (
            {"starts_on": "2026-11-20", "percent": 100, "invoice_id": 1},
            422,
            "validation_failed",
            "invoice_id",
        ),
        ({"starts_on": "2026-12-20", "percent": 100}, 422, "starts_in_future", "starts_on"),
        (
            {"starts_on": "2026-11-20", "percent": 100, "disclosure": "all"},
            422,
            "invalid_disclosure",
            "disclosure",
        ),
        (
            {"starts_on": "2026-11-20", "percent": 100, "reason": "x" * 2001},
            422,
            "too_long",
            "reason",
        ),
    ],
)
def test_a_sick_claim_with_bad_input_is_refused_and_changes_nothing(
    cast: Cast, fund: Fund, body: dict[str, Any], status: int, code: str, field: str
) -> None:
    join(fund, cast.ben)
    before = state()

    problem = assert_problem(
        post(bearer_client(cast.ben), f"{FUND}/claims", body, key="k"), status, code
    )

    assert [error["field"] for error in problem["errors"]] == [field]
    assert state() == before


def test_claiming_twice_for_the_same_period_is_refused(cast: Cast, fund: Fund) -> None:
    join(fund, cast.ben)
    ongoing(fund, cast.ben, cast.ana, NOW.date().replace(day=1))
    before = state()

    assert_problem(
        post(
            bearer_client(cast.ben),
            f"{FUND}/claims",
            {"starts_on": "2026-11-20", "percent": 50},
            key="twice",
        ),
        409,
        "claim_overlaps",
    )
    assert state() == before


def test_a_member_outside_the_fund_cannot_claim_from_it(cast: Cast, fund: Fund) -> None:
    before = state()

    assert_problem(
        post(
            bearer_client(cast.ben),
            f"{FUND}/claims",
            {"starts_on": "2026-11-20", "percent": 100},
            key="k",
        ),
        403,
        "not_a_participant",
    )
    assert_problem(
        post(
            bearer_client(cast.carla),
            f"{FUND}/claims",
            {"starts_on": "2026-11-20", "percent": 100},
            key="k",
        ),
        404,
        "not_found",
    )
    assert state() == before


def test_the_claimant_ends_the_sick_period_and_other_members_may_not(
    cast: Cast, fund: Fund, cleo: User
) -> None:
    join(fund, cast.ben)
    claim = ongoing(fund, cast.ben, cast.ana, NOW.date().replace(day=2))
    path = f"{A}/claims/{claim.pk}/end"
    before = state()

    assert_problem(post(bearer_client(cleo), path, {"ends_on": "2026-11-26"}), 403, "not_allowed")
    assert_problem(
        post(bearer_client(cast.ben), path, {"ends_on": "2026-10-01"}), 422, "ends_before_start"
    )
    assert state() == before

    ended = post(bearer_client(cast.ben), path, {"ends_on": "2026-11-26"})

    assert ended.status_code == 200, ended.content
    # Within the 30-day waiting period: nothing is owed, so the claim ends at once
    assert (ended.json()["ends_on"], ended.json()["state"]) == ("2026-11-26", "ended")


# --- A participant's own account --------------------------------------------------------------


def test_a_participant_sees_their_deposits_and_arrears(cast: Cast, fund: Fund, cleo: User) -> None:
    # Given Ben (tier 2) is owed 500.00 by the collective and Cleo (tier 1) nothing
    join(fund, cast.ben, tier=1)
    join(fund, cleo, tier=0)
    pay_member(fund, cast.ben, "500.00", "ben")

    # When the month's deposits are taken
    sick_pay_deposits_post()

    # Then Ben's is paid into his own account, and Cleo's waits in arrears
    ben = bearer_client(cast.ben).get(f"{FUND}/me").json()
    assert ben["own_balance"] == [php("60.00")]
    assert ben["paid_in"] == [php("60.00")]
    assert ben["arrears"] == []
    assert [(d["month"], d["amount"], d["state"]) for d in ben["deposits"]] == [
        ("2026-11", php("60.00"), "paid")
    ]
    cleo_page = bearer_client(cleo).get(f"{FUND}/me").json()
    assert cleo_page["arrears"] == [php("30.00")]
    assert all(money["amount"] == "0.00" for money in cleo_page["own_balance"])
    assert cleo_page["deposits"][0]["state"] == "arrears"
    ledger_checked()
