"""Claims through the web UI: a claim's page, peers approving and
rejecting, the claimant withdrawing, what the other members are told, and
the claim forms of the income-gap fund and savings.

Collective A's income-gap fund (``gap``) needs two approvals; Cleo and Dan
are plain members besides Ana (coordinator) and Ben. The clock is frozen at
``NOW`` (Friday 27 November 2026).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse

from mutualist.billing.accounts import find_member_account
from mutualist.collectives.models import Membership
from mutualist.mutual.accounts import balance_minor, pool_account
from mutualist.mutual.models import Claim, ClaimApproval, Fund
from mutualist.mutual.services.claims import claim_approve, claim_create
from mutualist.mutual.tests.helpers import NOW, add_member, fund_active, snapshot
from mutualist.mutual.tests.test_views_support import (
    HTMX,
    assert_login_redirect,
    fill,
    page_of,
    shows,
)
from mutualist.testing import Cast, ledger_checked

pytestmark = pytest.mark.django_db

A = "manila-va"
SECRET = "Chemotherapy left me unable to work"


@pytest.fixture(autouse=True)
def _now(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


def url(name: str, **kwargs: object) -> str:
    return reverse(f"mutual:{name}", kwargs=kwargs)


def claim_url(claim: Claim, name: str = "claim") -> str:
    return url(name, slug=A, claim_id=claim.pk)


@pytest.fixture
def gap(cast: Cast) -> Fund:
    # Members since long before the months claimed for.
    Membership.objects.filter(collective=cast.collective_a).update(
        joined_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    )
    fund = fund_active(
        cast.collective_a,
        "income_gap",
        {"approvals_needed": 2, "min_months_member": 0},
        created_by=cast.ana,
    )
    fill(fund, "1000", "gap")
    return fund


@pytest.fixture
def cleo(cast: Cast) -> Any:
    return add_member(cast.collective_a, "cleo@example.com", "Cleo Santos")


@pytest.fixture
def dan(cast: Cast) -> Any:
    return add_member(cast.collective_a, "dan@example.com", "Dan Reyes")


def gap_claim(fund: Fund, claimant: Any, amount: str = "300", **kwargs: Any) -> Claim:
    with transaction.atomic():
        return claim_create(
            fund=fund,
            claimant=claimant,
            claim_date=NOW.date(),
            reason=kwargs.pop("reason", SECRET),
            disclosure=kwargs.pop("disclosure", "everything"),
            currency="PHP",
            amount_minor=int(Decimal(amount) * 100),
            period=dt.date(2026, 10, 1),
            **kwargs,
        )


def owed(cast: Cast, user: Any) -> int:
    return balance_minor(find_member_account(cast.collective_a, user, "PHP"))


# --- The claim page ---------------------------------------------------------------------------


def test_a_member_sees_a_claim_and_outsiders_get_404(
    cast: Cast, gap: Fund, client_for: Any, client: Any
) -> None:
    claim = gap_claim(gap, cast.ben)
    response = client_for(cast.ana).get(claim_url(claim))
    assert response.status_code == 200
    assert shows(response, "Ben Okafor")
    assert shows(response, SECRET)
    assert shows(response, "Top-up for October 2026")
    assert "₱300.00" in page_of(response)
    for outsider in (cast.olga, cast.carla):
        assert client_for(outsider).get(claim_url(claim)).status_code == 404
        assert client_for(outsider).post(claim_url(claim, "claim_decide"), {}).status_code == 404
    assert_login_redirect(client.get(claim_url(claim)))
    # Another collective's slug finds nothing either
    other = reverse("mutual:claim", kwargs={"slug": "remote-crew", "claim_id": claim.pk})
    assert client_for(cast.carla).get(other).status_code == 404
    assert client_for(cast.ana).get(url("claim", slug=A, claim_id=999999)).status_code == 404


def test_peers_approve_a_claim_and_it_is_paid(
    cast: Cast, gap: Fund, cleo: Any, client_for: Any
) -> None:
    claim = gap_claim(gap, cast.ben)
    # Given Ana sees the decision panel and approves with a plain POST
    ana = client_for(cast.ana)
    assert shows(ana.get(claim_url(claim)), "Approve")
    response = ana.post(claim_url(claim, "claim_decide"), {"decision": "approve", "note": ""})
    assert response.status_code == 302
    assert response["Location"] == claim_url(claim) + "#decision"
    claim.refresh_from_db()
    assert claim.state == "submitted"
    # When Cleo approves through htmx
    cleo_client = client_for(cleo)
    response = cleo_client.post(
        claim_url(claim, "claim_decide"), {"decision": "approve", "note": "Get well"}, **HTMX
    )
    # Then htmx is told to load the claim's page again, which says it is paid
    assert response.status_code == 200
    # (to the page itself: "#decision" would only jump to the anchor in a browser)
    assert response["HX-Redirect"] == claim_url(claim)
    claim.refresh_from_db()
    assert (claim.state, claim.paid_minor) == ("paid", 30000)
    assert owed(cast, cast.ben) == 30000
    assert balance_minor(pool_account(cast.collective_a, "income_gap", "PHP")) == 70000
    assert shows(cleo_client.get(claim_url(claim)), "it is approved and paid")
    # and the page lists the payment, with no panel left to decide
    page = client_for(cast.ben).get(claim_url(claim))
    assert shows(page, "Payments") and "₱300.00" in page_of(page)
    assert 'name="decision"' not in page_of(client_for(cleo).get(claim_url(claim)))
    ledger_checked()


def test_a_rejection_needs_a_reason_said_at_the_note(
    cast: Cast, gap: Fund, client_for: Any
) -> None:
    claim = gap_claim(gap, cast.ben)
    before = snapshot()
    response = client_for(cast.ana).post(
        claim_url(claim, "claim_decide"), {"decision": "reject", "note": "  "}
    )
    assert response.status_code == 422
    assert "Say why you reject the claim" in " ".join(
        response.context["decide_form"].errors["note"]
    )
    assert snapshot() == before
    # With htmx the panel comes back with the message at the note
    response = client_for(cast.ana).post(
        claim_url(claim, "claim_decide"), {"decision": "reject", "note": ""}, **HTMX
    )
    assert response.status_code == 200
    assert shows(response, "Say why you reject the claim")
    assert snapshot() == before


def test_two_rejections_reject_the_claim_and_the_member_reads_why(
    cast: Cast, gap: Fund, cleo: Any, client_for: Any
) -> None:
    claim = gap_claim(gap, cast.ben)
    client_for(cast.ana).post(
        claim_url(claim, "claim_decide"), {"decision": "reject", "note": "Ben had a good month"}
    )
    client_for(cleo).post(claim_url(claim, "claim_decide"), {"decision": "reject", "note": "Same"})
    claim.refresh_from_db()
    assert claim.state == "rejected" and claim.reserved_minor == 0
    page = client_for(cast.ben).get(claim_url(claim))
    assert shows(page, "Rejected")
    assert shows(page, "Ben had a good month")
    assert owed(cast, cast.ben) == 0


def test_approving_ones_own_claim_is_refused_and_changes_nothing(
    cast: Cast, gap: Fund, client_for: Any
) -> None:
    claim = gap_claim(gap, cast.ben)
    ben = client_for(cast.ben)
    assert 'name="decision"' not in page_of(ben.get(claim_url(claim)))
    before = snapshot()
    response = ben.post(claim_url(claim, "claim_decide"), {"decision": "approve", "note": ""})
    assert response.status_code == 403
    assert shows(response, "You cannot approve or reject your own claim")
    assert snapshot() == before


def test_deciding_twice_is_refused(cast: Cast, gap: Fund, client_for: Any) -> None:
    claim = gap_claim(gap, cast.ben)
    ana = client_for(cast.ana)
    ana.post(claim_url(claim, "claim_decide"), {"decision": "approve", "note": ""})
    before = snapshot()
    response = ana.post(claim_url(claim, "claim_decide"), {"decision": "reject", "note": "No"})
    assert response.status_code == 409
    assert shows(response, "You have already decided on this claim.")
    assert snapshot() == before
    assert ClaimApproval.objects.count() == 1


def test_the_claimant_withdraws_a_claim_and_no_one_else_can(
    cast: Cast, gap: Fund, client_for: Any
) -> None:
    claim = gap_claim(gap, cast.ben)
    before = snapshot()
    assert client_for(cast.ana).post(claim_url(claim, "claim_withdraw")).status_code == 403
    assert snapshot() == before
    ben = client_for(cast.ben)
    assert shows(ben.get(claim_url(claim)), "Withdraw this claim")
    response = ben.post(claim_url(claim, "claim_withdraw"))
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.state == "withdrawn"
    assert client_for(cast.ben).get(claim_url(claim, "claim_withdraw")).status_code == 405


# --- What the other members are told ----------------------------------------------------------


def decided(cast: Cast, claim: Claim, cleo: Any) -> None:
    claim_approve(claim=claim, approver=cast.ana, note=f"About {SECRET}")
    claim_approve(claim=claim, approver=cleo)


def test_an_anonymous_claim_shows_neither_name_nor_reason_to_another_member(
    cast: Cast, gap: Fund, cleo: Any, dan: Any, client_for: Any
) -> None:
    # Given Ben's anonymous claim, approved and paid
    claim = gap_claim(gap, cast.ben, disclosure="anonymous")
    decided(cast, claim, cleo)
    # When Dan, a member who did not decide it, reads the fund and the claim
    dan_client = client_for(dan)
    for response in (
        dan_client.get(url("fund", slug=A, kind="income_gap")),
        dan_client.get(claim_url(claim)),
    ):
        # Then neither Ben's name nor his reason (nor a note about it) is in the HTML
        assert response.status_code == 200
        body = page_of(response)
        assert "Ben Okafor" not in body
        assert "Chemotherapy" not in body
        assert shows(response, "A member")
    assert shows(dan_client.get(claim_url(claim)), "Not shared with the other members.")
    # while Ben and Ana (coordinator) see both
    for user in (cast.ben, cast.ana):
        response = client_for(user).get(claim_url(claim))
        assert shows(response, "Ben Okafor") and shows(response, SECRET)


def test_a_name_only_claim_names_the_member_and_keeps_the_reason(
    cast: Cast, gap: Fund, cleo: Any, dan: Any, client_for: Any
) -> None:
    claim = gap_claim(gap, cast.ben, disclosure="name_only")
    decided(cast, claim, cleo)
    for response in (
        client_for(dan).get(url("fund", slug=A, kind="income_gap")),
        client_for(dan).get(claim_url(claim)),
    ):
        body = page_of(response)
        assert "Ben Okafor" in body
        assert "Chemotherapy" not in body


def test_the_peers_deciding_an_anonymous_claim_decide_it_without_learning_who(
    cast: Cast, gap: Fund, dan: Any, client_for: Any
) -> None:
    # With peer approval every member may decide: a choice that gave way to
    # deciders would hide nothing. They judge on the amount and the month.
    claim = gap_claim(gap, cast.ben, disclosure="anonymous")
    response = client_for(dan).get(claim_url(claim))
    assert not shows(response, "Ben Okafor") and not shows(response, SECRET)
    assert 'name="decision"' in page_of(response)


# --- Claiming a top-up ------------------------------------------------------------------------


def test_a_member_claims_last_months_top_up_from_the_books(
    cast: Cast, gap: Fund, client_for: Any
) -> None:
    ben = client_for(cast.ben)
    form = ben.get(url("claim_new", slug=A, kind="income_gap"))
    assert form.status_code == 200
    # Ben earned nothing through the collective in October: the top-up is the cap
    assert shows(form, "Claim a top-up for October 2026")
    assert "₱300.00" in page_of(form)
    response = ben.post(
        url("claim_new", slug=A, kind="income_gap"),
        {"reason": "Between contracts", "disclosure": "name_only"},
    )
    claim = Claim.objects.get()
    assert response.status_code == 302
    assert response["Location"] == claim_url(claim)
    assert (claim.state, claim.amount_minor, claim.period) == (
        "submitted",
        30000,
        dt.date(2026, 10, 1),
    )
    assert (claim.disclosure, claim.reason, claim.claimant) == (
        "name_only",
        "Between contracts",
        cast.ben,
    )
    # Claiming twice for the same month is refused, nothing changed
    before = snapshot()
    again = ben.post(
        url("claim_new", slug=A, kind="income_gap"), {"reason": "", "disclosure": "everything"}
    )
    assert again.status_code == 409
    assert "claiming twice for the same period" in " ".join(
        again.context["form"].non_field_errors()
    )
    assert snapshot() == before


def test_a_claim_without_a_privacy_choice_is_refused_on_its_field(
    cast: Cast, gap: Fund, client_for: Any
) -> None:
    before = snapshot()
    response = client_for(cast.ben).post(
        url("claim_new", slug=A, kind="income_gap"), {"reason": "x", "disclosure": "everyone"}
    )
    assert response.status_code == 422
    assert "disclosure" in response.context["form"].errors
    assert snapshot() == before


def test_a_member_not_eligible_is_told_why_and_cannot_claim(cast: Cast, client_for: Any) -> None:
    fund_active(cast.collective_a, "income_gap", created_by=cast.ana)  # 3 months' membership
    ben = client_for(cast.ben)
    form = ben.get(url("claim_new", slug=A, kind="income_gap"))
    assert shows(form, "You cannot claim a top-up for October 2026")
    assert 'name="disclosure"' not in page_of(form)
    before = snapshot()
    response = ben.post(
        url("claim_new", slug=A, kind="income_gap"), {"reason": "", "disclosure": "everything"}
    )
    # not_eligible: a conflict with the books, as for the guarantee
    assert response.status_code == 409
    assert "not_eligible" not in page_of(response)
    assert shows(response, "You cannot claim a top-up for October 2026:")
    assert snapshot() == before
