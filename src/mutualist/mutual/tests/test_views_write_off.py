"""A guarantee claim's page: what the fund advanced each member and what
came back as the client paid, whether the invoice is still unpaid, and the
button that asks the members to write it off once it is long overdue.

The world is ``test_guarantee.build_world``: Harbour's 385.00 AUD invoice,
due 7 January 2027 (Ana 225.00, Ben 90.00), claimed by Ana on 10 February
2027 and paid at once after Ben's approval: Ana 180.00, Ben 72.00 advanced.
The rules allow a write-off vote 180 days after the due date: from 7 July 2027.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse

from mutualist.core.money import Money
from mutualist.governance.models import Proposal
from mutualist.mutual.models import Claim, GuaranteeAdvance
from mutualist.mutual.services.claims import claim_approve, claim_create
from mutualist.mutual.tests.helpers import fund_active, snapshot
from mutualist.mutual.tests.test_guarantee import CLAIM_DAY, World, build_world
from mutualist.mutual.tests.test_views_support import page_of, shows
from mutualist.testing import Billed, Cast, billing_pay, billing_state

pytestmark = pytest.mark.django_db

A = "manila-va"
LATE = dt.datetime(2027, 7, 7, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def world(cast: Cast, billed: Billed, time_machine: Any) -> World:
    return build_world(cast, billed, time_machine)


def claim_url(claim: Claim, name: str = "claim") -> str:
    return reverse(f"mutual:{name}", kwargs={"slug": A, "claim_id": claim.pk})


def paid_claim(world: World, **kwargs: Any) -> Claim:
    world.fill("1000", "a")
    claim = claim_approve(claim=world.claim(**kwargs), approver=world.cast.ben)
    assert claim.state == "paid"
    return claim


def state() -> Any:
    return snapshot(), billing_state()


# --- What the claim's page shows ------------------------------------------------------------


def test_the_claim_page_shows_the_advances_and_what_the_client_still_owes(
    world: World, client_for: Any
) -> None:
    claim = paid_claim(world)
    page = client_for(world.cast.ben).get(claim_url(claim))
    assert shows(page, "Advanced to the members")
    assert shows(page, "repaid to the fund as the client paid")
    rows = [
        (row.member, row.is_you, row.advanced, row.recovered) for row in page.context["advances"]
    ]
    assert rows == [
        ("Ana Reyes", False, Money("180", "AUD"), Money("0", "AUD")),
        ("Ben Okafor", True, Money("72", "AUD"), Money("0", "AUD")),
    ]
    assert shows(page, "still owes A$385.00")
    # Too early to write it off: the page says from when
    assert shows(page, "from 7 July 2027")
    assert not shows(page, "Propose a write-off")

    # When the client pays 100.00 AUD, the members' shares of it repay the fund
    billing_pay(world.invoice, "100 AUD", "part")
    page = client_for(world.cast.ben).get(claim_url(claim))
    recovered = dict(
        GuaranteeAdvance.objects.filter(claim=claim).values_list("member_id", "recovered_minor")
    )
    assert all(value > 0 for value in recovered.values())
    assert [row.recovered.minor_units for row in page.context["advances"]] == [
        recovered[world.cast.ana.pk],
        recovered[world.cast.ben.pk],
    ]
    assert shows(page, "still owes A$285.00")

    # and once it pays the rest, the page says so and no write-off is offered
    billing_pay(world.invoice, "285 AUD", "rest")
    world.at(LATE)
    page = client_for(world.cast.ben).get(claim_url(claim))
    assert shows(page, "paid the invoice in full")
    assert not shows(page, "Write-off")


def test_an_anonymous_claims_advances_name_only_the_viewer(world: World, client_for: Any) -> None:
    claim = paid_claim(world, disclosure="anonymous")
    page = client_for(world.cast.ben).get(claim_url(claim))
    assert [(row.member, row.is_you) for row in page.context["advances"]] == [
        ("A member", False),
        ("Ben Okafor", True),
    ]
    # The coordinator (who sees everything) reads both names
    ana = client_for(world.cast.ana).get(claim_url(claim))
    assert [row.member for row in ana.context["advances"]] == ["Ana Reyes", "Ben Okafor"]


# --- Proposing a write-off ------------------------------------------------------------------


def test_a_member_proposes_a_write_off_once_the_invoice_is_long_overdue(
    world: World, client_for: Any
) -> None:
    claim = paid_claim(world)
    world.at(LATE)
    ben = client_for(world.cast.ben)
    page = ben.get(claim_url(claim))
    assert shows(page, "Propose a write-off")
    assert claim_url(claim, "claim_write_off") in page_of(page)

    response = ben.post(claim_url(claim, "claim_write_off"), follow=True)

    proposal = Proposal.objects.get(kind="write_off")
    assert response.redirect_chain == [
        (reverse("governance:proposal", kwargs={"slug": A, "proposal_id": proposal.pk}), 302)
    ]
    assert shows(response, "The members are asked to write the invoice off")
    assert (proposal.payload, proposal.author, proposal.state) == (
        {"claim_id": claim.pk},
        world.cast.ben,
        "open",
    )
    assert world.invoice.number in proposal.title
    assert proposal.closes_at == LATE + dt.timedelta(days=7)
    # The claim's page now links to the vote instead of offering another
    page = ben.get(claim_url(claim))
    assert shows(page, "The members are voting on writing the invoice off")
    assert not shows(page, "Propose a write-off")
    # and a second proposal is refused on the claim's page, nothing changed
    before = state()
    again = ben.post(claim_url(claim, "claim_write_off"))
    assert again.status_code == 409
    assert shows(again, "A vote on writing this invoice off is already open.")
    assert state() == before


@pytest.mark.parametrize(
    ("when", "paid", "status", "words"),
    [
        (None, True, 409, "once it is overdue by more than 180 days, from 2027-07-07"),
        (LATE, False, 409, "Only an invoice the fund has paid the members for"),
    ],
)
def test_a_write_off_too_early_or_on_a_claim_not_paid_is_refused_on_the_claim_page(
    world: World,
    client_for: Any,
    when: dt.datetime | None,
    paid: bool,
    status: int,
    words: str,
) -> None:
    claim = paid_claim(world) if paid else world.claim()
    if when is not None:
        world.at(when)
    before = state()
    response = client_for(world.cast.ben).post(claim_url(claim, "claim_write_off"))
    assert response.status_code == status
    assert response.templates[0].name == "mutual/claim.html"
    assert shows(response, words)
    assert state() == before


def test_only_a_guarantee_claims_invoice_is_written_off(world: World, client_for: Any) -> None:
    gap = fund_active(world.a, "income_gap", created_by=world.cast.ana)
    with transaction.atomic():
        claim = claim_create(
            fund=gap,
            claimant=world.cast.ben,
            claim_date=CLAIM_DAY,
            reason="",
            disclosure="everything",
            currency="PHP",
            amount_minor=10000,
            period=dt.date(2026, 12, 1),
        )
    before = state()
    response = client_for(world.cast.ben).post(claim_url(claim, "claim_write_off"))
    assert response.status_code == 422
    assert shows(response, "Only a payment guarantee claim's invoice can be written off.")
    assert state() == before


def test_outsiders_cannot_propose_a_write_off(world: World, client_for: Any, client: Any) -> None:
    claim = paid_claim(world)
    world.at(LATE)
    before = state()
    for outsider in (world.cast.carla, world.cast.olga):
        assert client_for(outsider).post(claim_url(claim, "claim_write_off")).status_code == 404
    assert client.post(claim_url(claim, "claim_write_off")).status_code == 302  # to log in
    assert client_for(world.cast.ben).get(claim_url(claim, "claim_write_off")).status_code == 405
    assert state() == before
