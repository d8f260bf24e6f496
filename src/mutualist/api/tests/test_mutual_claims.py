"""Claims through the API: reading them as far as the claimant lets each
member see, approving (paid once enough peers approve, once per
Idempotency-Key), rejecting, withdrawing. Refusals assert the exact code
and that nothing changed.

The claims here are income-gap claims made through the claims service
(``test_mutual_support.gap_claim``): two peers decide them.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from mutualist.api.tests.support import assert_problem, bearer_client
from mutualist.api.tests.test_mutual_support import (
    BIG,
    NOW,
    A,
    B,
    fill,
    gap_claim,
    post,
    state,
)
from mutualist.billing.accounts import find_member_account
from mutualist.members.models import User
from mutualist.mutual.accounts import balance_minor, pool_account
from mutualist.mutual.models import Claim, ClaimApproval, Fund
from mutualist.mutual.services.claims import claim_approve, claim_reject
from mutualist.mutual.tests.helpers import add_member, fund_active
from mutualist.testing import Cast, ledger_checked

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def gap(cast: Cast) -> Fund:
    return fund_active(
        cast.collective_a, "income_gap", {"approvals_needed": 2}, created_by=cast.ana
    )


@pytest.fixture
def cleo(cast: Cast) -> User:
    return add_member(cast.collective_a, "cleo@example.com", "Cleo Santos")


@pytest.fixture
def dan(cast: Cast) -> User:
    return add_member(cast.collective_a, "dan@example.com", "Dan Cruz")


def claim_path(claim: Claim, action: str = "") -> str:
    return f"{A}/claims/{claim.pk}" + (f"/{action}" if action else "")


def payable(cast: Cast, user: User) -> int:
    return balance_minor(find_member_account(cast.collective_a, user, "PHP"))


# --- Reading, and who sees what --------------------------------------------------------------


def test_a_claim_shows_everything_to_its_claimant(cast: Cast, gap: Fund) -> None:
    claim = gap_claim(gap, cast.ben, "300.00", period=NOW.date().replace(month=10, day=1))

    body = bearer_client(cast.ben).get(claim_path(claim)).json()

    assert body == {
        "id": claim.pk,
        "fund": "income_gap",
        "state": "submitted",
        "claimant": {"handle": cast.ben.profile.handle, "display_name": "Ben Okafor"},
        "who": "Ben Okafor",
        "is_own": True,
        "disclosure": "everything",
        "reason": "A quiet month",
        "approval": "peers",
        "approvals_needed": 2,
        "approvals": 0,
        "rejections": 0,
        "can_decide": False,
        "my_decision": None,
        "proposal_id": None,
        "claim_date": "2026-11-27",
        "rules_version": 1,
        "amount": {"amount": "300.00", "currency": "PHP"},
        "reserved": {"amount": "0.00", "currency": "PHP"},
        "paid": {"amount": "0.00", "currency": "PHP"},
        "starts_on": None,
        "ends_on": None,
        "percent": None,
        "invoice": None,
        "period": "2026-10",
        "decided_at": None,
        "decision_note": "",
        "created_at": "2026-11-27T09:00:00Z",
        "decisions": [],
        "payments": [],
    }


def test_an_anonymous_claim_names_no_one_to_members_who_do_not_decide_it(
    cast: Cast, gap: Fund, cleo: User, dan: User
) -> None:
    # Given Ben's anonymous claim, approved and paid by Ana and Cleo
    fill(gap, "1000.00", "a")
    claim = gap_claim(gap, cast.ben, "300.00", disclosure="anonymous", reason="My divorce")
    claim_approve(claim=claim, approver=cast.ana, note="Ben, take care")
    claim_approve(claim=claim, approver=cleo)

    # When Dan, who decided nothing, reads it and the fund's claims
    dan_client = bearer_client(dan)
    one = dan_client.get(claim_path(claim))
    listed = dan_client.get(f"{A}/funds/income_gap/claims")

    # Then nothing says who made it or why
    for response in (one, listed):
        assert response.status_code == 200, response.content
        assert "Ben" not in response.content.decode()
        assert "divorce" not in response.content.decode()
    body = one.json()
    assert (body["claimant"], body["who"], body["reason"], body["is_own"]) == (
        None,
        "A member",
        None,
        False,
    )
    assert body["state"] == "paid"
    assert [(d["approver"]["display_name"], d["note"]) for d in body["decisions"]] == [
        ("Ana Reyes", None),
        ("Cleo Santos", None),
    ]
    assert listed.json()["items"][0]["who"] == "A member"
    # A coordinator sees all
    seen = bearer_client(cast.ana).get(claim_path(claim)).json()
    assert (seen["who"], seen["reason"]) == ("Ben Okafor", "My divorce")
    assert seen["decisions"][0]["note"] == "Ben, take care"


def test_a_name_only_claim_hides_the_reason_but_not_the_name(
    cast: Cast, gap: Fund, cleo: User, dan: User
) -> None:
    fill(gap, "1000.00", "a")
    claim = gap_claim(gap, cast.ben, "300.00", disclosure="name_only", reason="Hospital")
    claim_approve(claim=claim, approver=cast.ana)
    claim_approve(claim=claim, approver=cleo)

    body = bearer_client(dan).get(claim_path(claim)).json()

    assert (body["claimant"]["display_name"], body["who"], body["reason"]) == (
        "Ben Okafor",
        "Ben Okafor",
        None,
    )


def test_peers_deciding_an_anonymous_claim_see_only_what_the_claimant_chose_to_tell(
    cast: Cast, gap: Fund, cleo: User
) -> None:
    claim = gap_claim(gap, cast.ben, "300.00", disclosure="anonymous", reason="Burnout")

    body = bearer_client(cleo).get(claim_path(claim)).json()

    assert (body["who"], body["reason"], body["claimant"], body["can_decide"]) == (
        "A member",
        None,
        None,
        True,
    )
    assert body["amount"] == {"amount": "300.00", "currency": "PHP"}


def test_the_claims_list_pages_and_filters_by_state(cast: Cast, gap: Fund, cleo: User) -> None:
    first = gap_claim(gap, cast.ben, "100.00")
    second = gap_claim(gap, cleo, "200.00")
    claim_reject(claim=first, approver=cast.ana, note="No")
    claim_reject(claim=first, approver=cleo, note="No")
    client = bearer_client(cast.ana)

    page = client.get(f"{A}/funds/income_gap/claims?limit=1").json()
    rejected = client.get(f"{A}/funds/income_gap/claims?state=rejected").json()

    assert (page["count"], [c["id"] for c in page["items"]]) == (2, [second.pk])
    assert [c["id"] for c in rejected["items"]] == [first.pk]
    assert_problem(client.get(f"{A}/funds/income_gap/claims?state=lost"), 422, "validation_failed")


@pytest.mark.parametrize("who", ["carla", "olga"])
def test_a_claim_is_a_404_to_anyone_outside_the_collective(cast: Cast, gap: Fund, who: str) -> None:
    claim = gap_claim(gap, cast.ben, "300.00")
    client = bearer_client(getattr(cast, who))
    before = state()

    for response in [
        client.get(claim_path(claim)),
        client.get(f"{B}/claims/{claim.pk}"),
        client.get(f"{A}/funds/income_gap/claims"),
        post(client, claim_path(claim, "approve"), key="k1"),
        post(client, claim_path(claim, "reject"), {"note": "No"}),
        post(client, claim_path(claim, "withdraw")),
    ]:
        body = assert_problem(response, 404, "not_found")
        assert "Ben" not in json.dumps(body)
    assert state() == before


def test_a_claim_of_another_collective_or_beyond_any_id_is_a_404(cast: Cast, gap: Fund) -> None:
    claim = gap_claim(gap, cast.ben, "300.00")
    carla = bearer_client(cast.carla)

    assert_problem(carla.get(f"{B}/claims/{claim.pk}"), 404, "not_found")
    assert_problem(bearer_client(cast.ben).get(f"{A}/claims/{BIG}"), 404, "not_found")


# --- Approving ---------------------------------------------------------------------------------


def test_the_second_approval_pays_the_claim_once_whatever_the_retries(
    cast: Cast, gap: Fund, cleo: User
) -> None:
    # Given 1,000.00 in the fund and Ben's 300.00 claim, approved by Ana
    fill(gap, "1000.00", "a")
    claim = gap_claim(gap, cast.ben, "300.00")
    first = post(bearer_client(cast.ana), claim_path(claim, "approve"), key="ana-1")
    assert first.status_code == 200, first.content
    assert (first.json()["state"], first.json()["approvals"]) == ("submitted", 1)
    cleo_client = bearer_client(cleo)

    # When Cleo approves, and her client sends the same request again
    approved = post(cleo_client, claim_path(claim, "approve"), {"note": "Hang in"}, key="c-1")
    again = post(cleo_client, claim_path(claim, "approve"), {"note": "Hang in"}, key="c-1")

    # Then the claim is paid once, and the retry is the first answer replayed
    assert approved.status_code == 200, approved.content
    body = approved.json()
    assert (body["state"], body["paid"], body["my_decision"]) == (
        "paid",
        {"amount": "300.00", "currency": "PHP"},
        "approve",
    )
    assert body["payments"] == [
        {
            "amount": {"amount": "300.00", "currency": "PHP"},
            "requested": {"amount": "300.00", "currency": "PHP"},
            "month": None,
            "paid_on": "2026-11-27",
        }
    ]
    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == body
    assert ClaimApproval.objects.filter(claim=claim).count() == 2
    assert payable(cast, cast.ben) == 300_00
    assert balance_minor(pool_account(cast.collective_a, "income_gap", "PHP")) == 700_00
    ledger_checked()


def test_an_approval_key_used_for_another_request_is_refused(
    cast: Cast, gap: Fund, cleo: User
) -> None:
    claim = gap_claim(gap, cast.ben, "300.00")
    other = gap_claim(gap, cleo, "200.00")
    ana = bearer_client(cast.ana)
    assert post(ana, claim_path(claim, "approve"), key="same").status_code == 200
    before = state()

    reused = post(ana, claim_path(other, "approve"), key="same")

    assert_problem(reused, 409, "idempotency_key_reused")
    assert state() == before


def test_an_approval_needs_an_idempotency_key(cast: Cast, gap: Fund) -> None:
    claim = gap_claim(gap, cast.ben, "300.00")
    before = state()

    assert_problem(
        post(bearer_client(cast.ana), claim_path(claim, "approve")), 422, "validation_failed"
    )
    assert state() == before


def test_a_claim_beyond_the_fund_is_approved_and_waits_for_money(
    cast: Cast, gap: Fund, cleo: User
) -> None:
    fill(gap, "100.00", "a")
    claim = gap_claim(gap, cast.ben, "300.00")
    claim_approve(claim=claim, approver=cast.ana)

    body = post(bearer_client(cleo), claim_path(claim, "approve"), key="c").json()

    # Approved, its whole amount reserved until the fund can pay it.
    assert (body["state"], body["paid"]["amount"], body["reserved"]["amount"]) == (
        "approved",
        "0.00",
        "300.00",
    )
    fund = bearer_client(cleo).get(f"{A}/funds/income_gap").json()
    assert fund["obligations"] == {"amount": "300.00", "currency": "PHP"}
    assert fund["reserved"] == [{"amount": "300.00", "currency": "PHP"}]
    assert fund["available"] == [{"amount": "0.00", "currency": "PHP"}]
    assert fund["claims_waiting"] == 1


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [("ben", 403, "own_claim"), ("ana_twice", 409, "already_decided")],
)
def test_approving_ones_own_claim_or_twice_is_refused_and_changes_nothing(
    cast: Cast, gap: Fund, who: str, status: int, code: str
) -> None:
    fill(gap, "1000.00", "a")
    claim = gap_claim(gap, cast.ben, "300.00")
    if who == "ana_twice":
        claim_approve(claim=claim, approver=cast.ana)
    client = bearer_client(cast.ben if who == "ben" else cast.ana)
    before = state()

    assert_problem(post(client, claim_path(claim, "approve"), key="k"), status, code)
    assert state() == before


def test_a_note_too_long_is_refused(cast: Cast, gap: Fund) -> None:
    claim = gap_claim(gap, cast.ben, "300.00")
    before = state()

    problem = assert_problem(
        post(bearer_client(cast.ana), claim_path(claim, "approve"), {"note": "x" * 301}, key="k"),
        422,
        "too_long",
    )
    assert problem["errors"][0]["field"] == "note"
    assert state() == before


# --- Rejecting and withdrawing -----------------------------------------------------------------


def test_peers_reject_a_claim_saying_why(cast: Cast, gap: Fund, cleo: User) -> None:
    claim = gap_claim(gap, cast.ben, "300.00")
    ana = bearer_client(cast.ana)
    before = state()
    assert_problem(post(ana, claim_path(claim, "reject"), {"note": "  "}), 422, "note_required")
    assert_problem(post(ana, claim_path(claim, "reject"), {}), 422, "validation_failed")
    assert state() == before

    first = post(ana, claim_path(claim, "reject"), {"note": "Ben had a good month"})
    second = post(bearer_client(cleo), claim_path(claim, "reject"), {"note": "Same"})

    assert (first.json()["state"], first.json()["rejections"]) == ("submitted", 1)
    assert second.json()["state"] == "rejected"
    assert second.json()["decision_note"] == "Rejected by 2 members."


def test_only_the_claimant_withdraws_a_claim(cast: Cast, gap: Fund) -> None:
    claim = gap_claim(gap, cast.ben, "300.00")
    before = state()

    assert_problem(
        post(bearer_client(cast.ana), claim_path(claim, "withdraw")), 403, "not_claimant"
    )
    assert state() == before

    body = post(bearer_client(cast.ben), claim_path(claim, "withdraw")).json()
    assert body["state"] == "withdrawn"
    before = state()
    assert_problem(
        post(bearer_client(cast.ana), claim_path(claim, "approve"), key="k"), 409, "claim_not_open"
    )
    assert_problem(
        post(bearer_client(cast.ben), claim_path(claim, "withdraw")), 409, "claim_not_open"
    )
    assert state() == before


def test_a_claim_decided_by_a_vote_is_not_approved_by_peers(cast: Cast) -> None:
    fund = fund_active(cast.collective_a, "income_gap", {"approval": "vote"}, created_by=cast.ana)
    claim = gap_claim(fund, cast.ben, "300.00")
    before = state()

    assert_problem(
        post(bearer_client(cast.ana), claim_path(claim, "approve"), key="k"), 409, "decided_by_vote"
    )
    assert state() == before
    body = bearer_client(cast.ana).get(claim_path(claim)).json()
    assert body["approval"] == "vote"
    assert body["proposal_id"] == claim.proposal_id is not None
