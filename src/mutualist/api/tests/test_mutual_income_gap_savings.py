"""The income-gap fund and savings through the API: eligibility read from
the ledger, a top-up claim for last month, and savings withdrawals (paid at
once, so made once per Idempotency-Key).

Today is 5 December 2026, so a top-up is for November. Collective A (PHP)
gives 90 % of each invoice to the member whose work it bills. Income-gap
rules are the defaults (floor 600.00, cap 300.00, one peer approves); Ben
has been a member since January 2025. Savings take 5 % of each part.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from mutualist.api.tests.support import assert_problem, bearer_client
from mutualist.api.tests.test_mutual_support import A, php, post, state
from mutualist.billing.accounts import member_account
from mutualist.mutual.accounts import member_fund_account
from mutualist.mutual.models import Claim, Fund, Participation
from mutualist.mutual.tests.helpers import fund_active
from mutualist.mutual.tests.test_income_gap_helpers import (
    client_paying_in,
    fill,
    joined_on,
    minor,
    paid_work,
)
from mutualist.testing import Cast, ledger_checked

pytestmark = pytest.mark.django_db

TODAY = dt.datetime(2026, 12, 5, 9, 0, tzinfo=dt.UTC)
GAP = f"{A}/funds/income_gap"
SAVINGS = f"{A}/funds/savings"


@pytest.fixture(autouse=True)
def _today(time_machine: Any) -> None:
    time_machine.move_to(TODAY, tick=False)


@pytest.fixture
def gap(cast: Cast) -> Fund:
    joined_on(cast.collective_a, cast.ben, dt.date(2025, 1, 1))
    return fund_active(cast.collective_a, "income_gap", created_by=cast.ana)


@pytest.fixture
def peso(cast: Cast) -> Any:
    return client_paying_in(cast.collective_a, "PHP", created_by=cast.ana)


@pytest.fixture
def saved(cast: Cast, peso: Any) -> Fund:
    """Ben has 45.00 PHP saved (5 % of his 900.00 part of a 1,000.00 invoice)."""
    fund = fund_active(cast.collective_a, "savings", created_by=cast.ana)
    paid_work(peso, cast.ben, "1000.00", on=TODAY.date(), key="saved")
    return fund


# --- Income gap ---------------------------------------------------------------------------------


def test_a_member_with_no_income_last_month_may_be_topped_up_by_the_cap(
    cast: Cast, gap: Fund
) -> None:
    body = bearer_client(cast.ben).get(f"{GAP}/eligibility").json()

    assert body == {
        "period": "2026-11",
        "eligible": True,
        "reasons": [],
        "codes": [],
        "income": php("0.00"),
        "income_by_currency": [],
        "missing_rates": [],
        "top_up": php("300.00"),
    }


def test_eligibility_names_every_reason_against(cast: Cast, gap: Fund, peso: Any) -> None:
    paid_work(peso, cast.ben, "1000.00", on=dt.date(2026, 10, 15), key="october")

    body = bearer_client(cast.ben).get(f"{GAP}/eligibility?period=2026-10").json()

    assert body["eligible"] is False
    assert body["codes"] == ["invalid_period", "income_above_floor"]
    assert body["income"] == php("900.00")
    assert body["income_by_currency"] == [php("900.00")]
    assert body["top_up"] == php("0.00")


@pytest.mark.parametrize("period", ["2026-13", "2026-1", "November", "0000-01", "9999-12"])
def test_a_period_not_written_yyyy_mm_is_a_schema_error(cast: Cast, gap: Fund, period: str) -> None:
    assert_problem(
        bearer_client(cast.ben).get(f"{GAP}/eligibility?period={period}"),
        422,
        "validation_failed",
    )


def test_a_member_claims_a_top_up_for_last_month_and_a_peer_approves_it(
    cast: Cast, gap: Fund
) -> None:
    fill(gap, "1000.00", on=TODAY.date(), key="gap")

    made = post(
        bearer_client(cast.ben),
        f"{GAP}/claims",
        {"period": "2026-11", "reason": "No contracts", "disclosure": "anonymous"},
        key="gap-1",
    )

    assert made.status_code == 201, made.content
    claim = made.json()
    assert (claim["state"], claim["period"], claim["amount"], claim["disclosure"]) == (
        "submitted",
        "2026-11",
        php("300.00"),
        "anonymous",
    )
    paid = post(bearer_client(cast.ana), f"{A}/claims/{claim['id']}/approve", key="a")
    assert paid.json()["state"] == "paid"
    assert minor(member_account(cast.collective_a, cast.ben, "PHP")) == 300_00
    ledger_checked()


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"period": "2026-10"}, 422, "invalid_period", "period"),
        ({"period": "2026-11", "percent": 100}, 422, "validation_failed", "percent"),
        ({"period": "2026-11", "amount": php("1.00")}, 422, "validation_failed", "amount"),
        ({"period": "11/2026"}, 422, "validation_failed", "period"),
    ],
)
def test_a_top_up_claim_with_bad_input_is_refused(
    cast: Cast, gap: Fund, body: dict[str, Any], status: int, code: str, field: str
) -> None:
    before = state()

    problem = assert_problem(
        post(bearer_client(cast.ben), f"{GAP}/claims", body, key="k"), status, code
    )

    assert [e["field"] for e in problem["errors"]] == [field]
    assert state() == before


def test_a_member_above_the_floor_is_not_topped_up(cast: Cast, gap: Fund, peso: Any) -> None:
    paid_work(peso, cast.ben, "1000.00", on=dt.date(2026, 11, 15), key="november")
    before = state()

    problem = assert_problem(
        post(bearer_client(cast.ben), f"{GAP}/claims", {"period": "2026-11"}, key="k"),
        409,
        "not_eligible",
    )

    assert "not below the floor" in problem["detail"]
    assert state() == before


def test_claiming_twice_for_the_same_month_is_refused(cast: Cast, gap: Fund) -> None:
    ben = bearer_client(cast.ben)
    assert post(ben, f"{GAP}/claims", {"period": "2026-11"}, key="1").status_code == 201
    before = state()

    assert_problem(post(ben, f"{GAP}/claims", {"period": "2026-11"}, key="2"), 409, "claim_exists")
    assert state() == before


def test_the_same_key_and_body_make_one_claim_and_another_body_is_refused(
    cast: Cast, gap: Fund
) -> None:
    ben = bearer_client(cast.ben)

    first = post(ben, f"{GAP}/claims", {"period": "2026-11"}, key="same")
    again = post(ben, f"{GAP}/claims", {"period": "2026-11"}, key="same")
    other = post(ben, f"{GAP}/claims", {"period": "2026-11", "reason": "x"}, key="same")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert_problem(other, 409, "idempotency_key_reused")
    assert Claim.objects.count() == 1


# --- Savings ------------------------------------------------------------------------------------


def test_a_member_sees_their_savings(cast: Cast, saved: Fund) -> None:
    body = bearer_client(cast.ben).get(f"{SAVINGS}/me").json()

    assert body["own_balance"] == [php("45.00")]
    assert body["paid_in"] == [php("45.00")]
    assert body["participation"]["tier"] is None


def test_a_withdrawal_is_paid_at_once_and_only_once_whatever_the_retries(
    cast: Cast, saved: Fund
) -> None:
    ben = bearer_client(cast.ben)
    body = {"amount": php("20.00"), "reason": "New laptop"}
    payable_before = minor(member_account(cast.collective_a, cast.ben, "PHP"))

    first = post(ben, f"{SAVINGS}/claims", body, key="w-1")
    again = post(ben, f"{SAVINGS}/claims", body, key="w-1")

    assert first.status_code == 201, first.content
    claim = first.json()
    assert (claim["state"], claim["approval"], claim["amount"], claim["paid"]) == (
        "paid",
        "automatic",
        php("20.00"),
        php("20.00"),
    )
    assert claim["disclosure"] == "name_only"
    assert again["Idempotent-Replayed"] == "true" and again.json() == claim
    participation = Participation.objects.get(fund=saved, member=cast.ben)
    assert minor(member_fund_account(participation, "PHP")) == 25_00
    assert minor(member_account(cast.collective_a, cast.ben, "PHP")) == payable_before + 20_00
    ledger_checked()


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"amount": php("45.01")}, 409, "beyond_balance", "amount"),
        (
            {"amount": {"amount": "5.00", "currency": "AUD"}},
            422,
            "no_savings_in_currency",
            "amount",
        ),
        ({"amount": php("0.00")}, 422, "invalid_amount", "amount"),
        ({"amount": php("1.001")}, 422, "too_many_decimals", "amount.amount"),
        (
            {"amount": {"amount": "5", "currency": "ZZZ"}},
            422,
            "invalid_currency",
            "amount.currency",
        ),
        (
            {"amount": php("5.00"), "disclosure": "anonymous"},
            422,
            "validation_failed",
            "disclosure",
        ),
        ({}, 422, "validation_failed", "amount"),
    ],
)
def test_a_withdrawal_with_bad_input_is_refused_and_changes_nothing(
    cast: Cast, saved: Fund, body: dict[str, Any], status: int, code: str, field: str
) -> None:
    before = state()

    problem = assert_problem(
        post(bearer_client(cast.ben), f"{SAVINGS}/claims", body, key="k"), status, code
    )

    assert [e["field"] for e in problem["errors"]] == [field]
    assert state() == before


def test_withdrawals_beyond_the_yearly_limit_are_refused(cast: Cast, saved: Fund) -> None:
    ben = bearer_client(cast.ben)
    for n in range(4):
        response = post(ben, f"{SAVINGS}/claims", {"amount": php("1.00")}, key=f"w{n}")
        assert response.status_code == 201, response.content
    before = state()

    assert_problem(
        post(ben, f"{SAVINGS}/claims", {"amount": php("1.00")}, key="w5"),
        409,
        "too_many_withdrawals",
    )
    assert state() == before


def test_only_the_member_and_the_coordinators_see_a_savings_withdrawal(
    cast: Cast, saved: Fund
) -> None:
    from mutualist.mutual.tests.helpers import add_member

    assert post(bearer_client(cast.ben), f"{SAVINGS}/claims", {"amount": php("20.00")}, key="w")
    cleo = add_member(cast.collective_a, "cleo@example.com", "Cleo")
    mine = bearer_client(cast.ben).get(f"{SAVINGS}/claims").json()
    coordinator = bearer_client(cast.ana).get(f"{SAVINGS}/claims").json()
    other = bearer_client(cleo).get(f"{SAVINGS}/claims").json()
    assert (mine["count"], coordinator["count"], other["count"]) == (1, 1, 0)
    claim_id = mine["items"][0]["id"]
    assert_problem(
        bearer_client(cleo).get(f"/api/v1/collectives/manila-va/claims/{claim_id}"),
        404,
        "not_found",
    )
