"""The payment guarantee through the API: clients' agreements, whether an
overdue invoice is covered, and claiming it.

The world (as in ``mutual/tests/test_guarantee.py``): collective A's
guarantee fund, one peer approves. Harbour (AUD) paid a 3,300.00 AUD
invoice on 8 December 2026 (a credit limit of 550.00 AUD) and signed the
agreement (PGA-7). The claimed invoice, issued that day: 385.00 AUD (Ana
225.00, Ben 90.00 of it), due 7 January 2027; on 10 February 2027 it is
more than 30 days overdue and the guarantee covers 80 % of the members'
315.00: 252.00 AUD.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from mutualist.api.tests.support import assert_problem, bearer_client
from mutualist.api.tests.test_mutual_support import BIG, A, post, send, state
from mutualist.billing.models import Invoice
from mutualist.billing.services import FixedItem, invoice_draft_create, invoice_issue
from mutualist.core.money import Money
from mutualist.ledger.services import Line, account_name_for, account_open, transaction_post
from mutualist.mutual.accounts import balance_minor, pool_account
from mutualist.mutual.models import Claim, ClientAgreement, Fund
from mutualist.mutual.services.guarantee import client_agreement_record
from mutualist.mutual.tests.helpers import fund_active
from mutualist.testing import Billed, Cast, billing_issued, billing_pay, ledger_checked
from mutualist.work.models import Client

pytestmark = pytest.mark.django_db

ISSUED_AT = dt.datetime(2026, 12, 8, 12, 0, tzinfo=dt.UTC)
CLAIMED_AT = dt.datetime(2027, 2, 10, 12, 0, tzinfo=dt.UTC)
FUND = f"{A}/funds/guarantee"


def aud(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "AUD"}


@dataclass
class World:
    cast: Cast
    fund: Fund
    invoice: Invoice
    client: Client


@pytest.fixture
def world(cast: Cast, billed: Billed, time_machine: Any) -> World:
    time_machine.move_to(ISSUED_AT, tick=False)
    fund = fund_active(cast.collective_a, "guarantee", {"approvals_needed": 1}, created_by=cast.ana)
    draft = invoice_draft_create(
        collective=cast.collective_a,
        actor=cast.ana,
        engagement=billed.work.engagement,
        include_time=False,
        items=[FixedItem("Set-up", 1, Money("3000", "AUD"), member=cast.ana)],
        tax_rate="10",
    )
    billing_pay(invoice_issue(invoice=draft, actor=cast.ana), "3300 AUD", "history")
    invoice = billing_issued(billed)
    client_agreement_record(
        collective=cast.collective_a,
        actor=cast.ana,
        client=invoice.client,
        signed_on=dt.date(2026, 6, 1),
        reference="PGA-7",
    )
    time_machine.move_to(CLAIMED_AT, tick=False)
    return World(cast, fund, invoice, invoice.client)


def fill(world: World, amount: str) -> None:
    a = world.cast.collective_a
    opening = account_open(
        collective=a,
        name=account_name_for(a, "equity", "Opening", "AUD"),
        type="equity",
        currency="AUD",
    )
    money = Money(amount, "AUD")
    transaction_post(
        lines=[Line(opening, money), Line(pool_account(a, "guarantee", "AUD"), -money)],
        memo="Levies",
        occurred_at=dt.date(2026, 12, 8),
        idempotency_key="test:api:guarantee:fill",
        kind="opening",
    )


# --- Agreements ----------------------------------------------------------------------------------


def test_members_see_which_clients_signed_the_agreement(world: World) -> None:
    body = bearer_client(world.cast.ben).get(f"{FUND}/agreements").json()

    assert body["count"] == 1
    (agreement,) = body["items"]
    assert agreement["client"] == {"id": world.client.pk, "name": world.client.name}
    assert (agreement["signed_on"], agreement["reference"]) == ("2026-06-01", "PGA-7")
    assert agreement["recorded_by"]["display_name"] == "Ana Reyes"


def test_a_coordinator_removes_and_records_an_agreement(world: World) -> None:
    ana = bearer_client(world.cast.ana)
    agreement = ClientAgreement.objects.get()

    removed = send(ana, "DELETE", f"{FUND}/agreements/{agreement.pk}")
    recorded = post(
        ana,
        f"{FUND}/agreements",
        {"client_id": world.client.pk, "signed_on": "2027-02-01", "reference": "PGA-8"},
    )

    assert removed.status_code == 204
    assert recorded.status_code == 201, recorded.content
    assert (recorded.json()["reference"], recorded.json()["signed_on"]) == ("PGA-8", "2027-02-01")
    assert_problem(send(ana, "DELETE", f"{FUND}/agreements/{agreement.pk}"), 404, "not_found")


@pytest.mark.parametrize(
    ("who", "body", "status", "code", "field"),
    [
        ("ben", {"signed_on": "2027-02-01"}, 403, "not_coordinator", None),
        ("ana", {"signed_on": "2027-02-01"}, 409, "agreement_exists", "client_id"),
        (
            "ana",
            {"signed_on": "2027-02-01", "client_id": BIG},
            422,
            "validation_failed",
            "client_id",
        ),
        (
            "ana",
            {"signed_on": "2027-02-01", "client_id": 999_999},
            422,
            "unknown_client",
            "client_id",
        ),
        (
            "ana",
            {"signed_on": "2027-03-01", "new_client": True},
            422,
            "date_in_future",
            "signed_on",
        ),
    ],
)
def test_recording_an_agreement_is_refused_when_it_should_be(
    world: World, who: str, body: dict[str, Any], status: int, code: str, field: str | None
) -> None:
    if body.pop("new_client", False):
        world.client = Client.objects.create(
            name="Tide",
            country="AU",
            timezone="Australia/Sydney",
            currency="AUD",
            billing_address="2 Quay St",
            collective=world.cast.collective_a,
            created_by=world.cast.ana,
        )
    body.setdefault("client_id", world.client.pk)
    before = state()

    problem = assert_problem(
        post(bearer_client(getattr(world.cast, who)), f"{FUND}/agreements", body), status, code
    )

    assert [e["field"] for e in problem.get("errors", [])] == ([field] if field else [])
    assert state() == before


def test_another_collectives_client_is_unknown_here(world: World) -> None:
    other = Client.objects.create(
        name="Tide",
        country="GB",
        timezone="Europe/London",
        currency="GBP",
        billing_address="3 Wharf Rd",
        collective=world.cast.collective_b,
        created_by=world.cast.carla,
    )
    before = state()

    assert_problem(
        post(
            bearer_client(world.cast.ana),
            f"{FUND}/agreements",
            {"client_id": other.pk, "signed_on": "2027-02-01"},
        ),
        422,
        "unknown_client",
    )
    assert state() == before


def test_only_a_coordinator_removes_an_agreement(world: World) -> None:
    agreement = ClientAgreement.objects.get()
    before = state()

    assert_problem(
        send(bearer_client(world.cast.ben), "DELETE", f"{FUND}/agreements/{agreement.pk}"),
        403,
        "not_coordinator",
    )
    assert state() == before


# --- Eligibility ------------------------------------------------------------------------------


def test_an_overdue_invoice_is_covered_up_to_the_cap(world: World) -> None:
    body = bearer_client(world.cast.ben).get(f"{FUND}/eligibility/{world.invoice.pk}").json()

    assert (body["eligible"], body["reasons"], body["codes"]) == (True, [], [])
    assert body["invoice"] == {"id": world.invoice.pk, "number": world.invoice.number}
    assert body["covered"] == aud("252.00")
    assert body["credit_limit"] == aud("550.00")
    assert body["credit_used"] == aud("0.00")
    assert [(s["member"]["display_name"], s["unpaid"]) for s in body["unpaid_member_shares"]] == [
        ("Ana Reyes", aud("225.00")),
        ("Ben Okafor", aud("90.00")),
    ]


def test_an_invoice_not_yet_overdue_enough_is_not_covered_and_says_why(
    world: World, time_machine: Any
) -> None:
    time_machine.move_to(dt.datetime(2027, 1, 20, tzinfo=dt.UTC), tick=False)

    body = bearer_client(world.cast.ben).get(f"{FUND}/eligibility/{world.invoice.pk}").json()

    assert (body["eligible"], body["codes"], body["covered"]) == (
        False,
        ["not_overdue"],
        aud("0.00"),
    )
    assert "2027-02-07" in body["reasons"][0]


def test_an_invoice_of_another_collective_is_a_404(world: World, cast: Cast) -> None:
    other = Invoice.objects.exclude(collective=cast.collective_a).first()
    ben = bearer_client(cast.ben)
    if other is not None:
        assert_problem(ben.get(f"{FUND}/eligibility/{other.pk}"), 404, "not_found")
    assert_problem(ben.get(f"{FUND}/eligibility/{BIG}"), 404, "not_found")


# --- Claiming ---------------------------------------------------------------------------------


def test_a_member_with_a_share_claims_and_a_peer_approves_the_payout(world: World) -> None:
    fill(world, "1000.00")
    ben = bearer_client(world.cast.ben)

    made = post(
        ben,
        f"{FUND}/claims",
        {"invoice_id": world.invoice.pk, "reason": "Harbour went quiet"},
        key="g-1",
    )

    assert made.status_code == 201, made.content
    claim = made.json()
    assert (claim["fund"], claim["state"], claim["amount"]) == (
        "guarantee",
        "submitted",
        aud("252.00"),
    )
    assert claim["invoice"] == {"id": world.invoice.pk, "number": world.invoice.number}
    approved = post(bearer_client(world.cast.ana), f"{A}/claims/{claim['id']}/approve", key="a")
    assert approved.json()["state"] == "paid"
    assert balance_minor(pool_account(world.cast.collective_a, "guarantee", "AUD")) == 748_00
    ledger_checked()


def test_claiming_twice_for_the_same_invoice_is_refused(world: World) -> None:
    ben = bearer_client(world.cast.ben)
    assert post(ben, f"{FUND}/claims", {"invoice_id": world.invoice.pk}, key="1").status_code == 201
    before = state()

    problem = assert_problem(
        post(
            bearer_client(world.cast.ana),
            f"{FUND}/claims",
            {"invoice_id": world.invoice.pk},
            key="2",
        ),
        409,
        "claim_exists",
    )

    assert problem["errors"][0]["field"] == "invoice_id"
    assert state() == before


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"invoice_id": BIG}, 422, "validation_failed", "invoice_id"),
        ({"invoice_id": 999_999}, 422, "unknown_invoice", "invoice_id"),
        ({}, 422, "validation_failed", "invoice_id"),
        ({"invoice_id": "own", "period": "2027-01"}, 422, "validation_failed", "period"),
    ],
)
def test_a_guarantee_claim_with_bad_input_is_refused(
    world: World, body: dict[str, Any], status: int, code: str, field: str
) -> None:
    if body.get("invoice_id") == "own":
        body["invoice_id"] = world.invoice.pk
    before = state()

    problem = assert_problem(
        post(bearer_client(world.cast.ben), f"{FUND}/claims", body, key="k"), status, code
    )

    assert [e["field"] for e in problem["errors"]] == [field]
    assert state() == before


def test_an_invoice_not_covered_is_refused_saying_why(world: World, time_machine: Any) -> None:
    time_machine.move_to(dt.datetime(2027, 1, 20, tzinfo=dt.UTC), tick=False)
    before = state()

    problem = assert_problem(
        post(
            bearer_client(world.cast.ben),
            f"{FUND}/claims",
            {"invoice_id": world.invoice.pk},
            key="k",
        ),
        409,
        "not_eligible",
    )

    assert "not overdue by more than 30 days" in problem["detail"]
    assert state() == before


def test_a_member_with_no_share_in_the_invoice_cannot_claim(world: World) -> None:
    from mutualist.mutual.tests.helpers import add_member

    cleo = add_member(world.cast.collective_a, "cleo@example.com", "Cleo Santos")
    before = state()

    assert_problem(
        post(bearer_client(cleo), f"{FUND}/claims", {"invoice_id": world.invoice.pk}, key="k"),
        403,
        "no_share",
    )
    assert state() == before
    assert not Claim.objects.exists()
