"""The reads the funds' pages and API make inside a fund or a claim the
viewer already got through ``fund_get_for_user`` / ``claim_get_for_user``:
each reads only that fund's collective (or that claim), so another
collective's rows are not found (None or 404), never shown; and each keeps
the order the pages show.

Guarantee figures are ``test_guarantee.build_world``'s: Harbour's 385.00 AUD
invoice, due 7 January 2027 (Ana 225.00, Ben 90.00), claimed by Ana on 10
February 2027 and paid after Ben's approval: Ana 180.00, Ben 72.00.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.http import Http404

from mutualist.billing.models import Invoice
from mutualist.billing.services import (
    FixedItem,
    credit_note_issue,
    invoice_draft_create,
    invoice_issue,
)
from mutualist.governance.services import proposal_create, proposal_withdraw
from mutualist.members.models import User
from mutualist.mutual.models import Claim, ClaimPayment, Fund, ParticipationChange
from mutualist.mutual.selectors import (
    agreement_client_find,
    claim_payments,
    client_agreement_get_for_fund,
    client_agreements,
    fund_find,
    fund_get_for_user,
    guarantee_advances,
    guarantee_invoices_claimable,
    invoice_find_for_fund,
    invoice_get_for_fund,
    participation_active_find,
    participation_change_get_for_fund,
    people_by_id,
    write_off_vote_open,
)
from mutualist.mutual.services.claims import claim_approve
from mutualist.mutual.services.guarantee import client_agreement_record
from mutualist.mutual.services.sick_pay import sick_pay_tier_change
from mutualist.mutual.tests.helpers import NOW, add_member, fund_active
from mutualist.mutual.tests.sick_pay_helpers import join, sick_fund
from mutualist.mutual.tests.test_claims import fill, gap_claim
from mutualist.mutual.tests.test_guarantee import CLAIM_DAY, DUE, World, aud, build_world
from mutualist.testing import Billed, Cast, billing_pay
from mutualist.work.models import Client

pytestmark = pytest.mark.django_db

A = "manila-va"
TOO_BIG = 2**63
LATE = dt.datetime(2027, 7, 7, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def world(cast: Cast, billed: Billed, time_machine: Any) -> World:
    return build_world(cast, billed, time_machine)


def paid_claim(world: World) -> Claim:
    world.fill("1000", "a")
    claim = claim_approve(claim=world.claim(), approver=world.cast.ben)
    assert claim.state == "paid"
    return claim


def b_invoice(world: World) -> Invoice:
    """An issued invoice of collective B (Carla's, for Thames)."""
    cast = world.cast
    return invoice_issue(
        invoice=invoice_draft_create(
            collective=cast.collective_b,
            actor=cast.carla,
            engagement=world.billed.work.b_engagement,
        ),
        actor=cast.carla,
    )


# --- A fund of a kind, payments of a claim --------------------------------------------------


def test_fund_find_finds_only_the_collectives_own_fund_of_the_kind(
    cast: Cast, time_machine: Any
) -> None:
    time_machine.move_to(NOW, tick=False)
    sick = sick_fund(cast.collective_a, cast.ana)

    assert fund_find(collective=cast.collective_a, kind="sick_pay") == sick
    assert fund_find(collective=cast.collective_a, kind="guarantee") is None
    assert fund_find(collective=cast.collective_a, kind="no_such_kind") is None
    assert fund_find(collective=cast.collective_b, kind="sick_pay") is None


def test_claim_payments_are_the_claims_own_oldest_first(cast: Cast, time_machine: Any) -> None:
    # Given an income-gap fund that paid Ben's claim of 300.00 and Ana's of 50.00
    time_machine.move_to(NOW, tick=False)
    gap = fund_active(
        cast.collective_a,
        "income_gap",
        {"approvals_needed": 1},
        created_by=cast.ana,
        effective_from=dt.date(2026, 9, 1),
    )
    fill(gap, "1000", "a")
    claim = claim_approve(claim=gap_claim(gap, cast.ben, "300"), approver=cast.ana)
    other = claim_approve(claim=gap_claim(gap, cast.ana, "50"), approver=cast.ben)
    assert (claim.state, other.state) == ("paid", "paid")
    paid = ClaimPayment.objects.get(claim=claim)

    # and two months settled at nothing on Ben's claim, recorded after it:
    # one dated the day before, one the same day
    def nothing(on: dt.date) -> ClaimPayment:
        return ClaimPayment.objects.create(
            claim=claim, amount_minor=0, requested_minor=0, currency="PHP", paid_on=on
        )

    before = nothing(NOW.date() - dt.timedelta(days=1))
    same_day = nothing(NOW.date())

    # Then the claim's payments come by the day paid, then as recorded,
    # never with the other claim's
    assert [p.pk for p in claim_payments(claim=claim)] == [before.pk, paid.pk, same_day.pk]
    assert [p.amount_minor for p in claim_payments(claim=other)] == [5000]


# --- Sick pay: a place in the fund and its changes ------------------------------------------


def test_a_participation_and_its_changes_are_found_only_through_their_own_fund(
    cast: Cast, time_machine: Any
) -> None:
    time_machine.move_to(NOW, tick=False)
    a_fund = sick_fund(cast.collective_a, cast.ana)
    b_fund = sick_fund(cast.collective_b, cast.carla)
    bens = join(a_fund, cast.ben)
    carlas = join(b_fund, cast.carla)
    change = sick_pay_tier_change(participation=bens, tier=1, effective_on=dt.date(2027, 1, 1))
    b_change = sick_pay_tier_change(participation=carlas, tier=1, effective_on=dt.date(2027, 1, 1))

    assert participation_active_find(fund=a_fund, member=cast.ben) == bens
    # Ana is a member who does not take part; Carla takes part in B's fund only
    assert participation_active_find(fund=a_fund, member=cast.ana) is None
    assert participation_active_find(fund=a_fund, member=cast.carla) is None

    found = participation_change_get_for_fund(fund=a_fund, change_id=change.pk)
    assert found == change
    assert found.participation.fund.collective == cast.collective_a
    for change_id in (b_change.pk, 0, -1, TOO_BIG):
        with pytest.raises(Http404):
            participation_change_get_for_fund(fund=a_fund, change_id=change_id)
    assert ParticipationChange.objects.count() == 2


def test_a_change_that_is_no_longer_pending_is_still_found_for_its_service_to_judge(
    cast: Cast, time_machine: Any
) -> None:
    time_machine.move_to(NOW, tick=False)
    fund = sick_fund(cast.collective_a, cast.ana)
    change = sick_pay_tier_change(
        participation=join(fund, cast.ben), tier=1, effective_on=dt.date(2027, 1, 1)
    )
    ParticipationChange.objects.filter(pk=change.pk).update(
        state=ParticipationChange.State.CANCELLED
    )
    assert participation_change_get_for_fund(fund=fund, change_id=change.pk).pk == change.pk


# --- Guarantee: agreements, clients, invoices -----------------------------------------------


def test_client_agreements_are_the_collectives_own_by_client_name(world: World) -> None:
    cast = world.cast
    # Given a second client of A, named before Harbour, and Thames's agreement with B
    acme = Client.objects.create(
        name="Acme Atelier",
        country="PH",
        timezone="Asia/Manila",
        currency="PHP",
        billing_address="3 Rizal Ave\nManila",
        collective=cast.collective_a,
        created_by=cast.ana,
    )
    client_agreement_record(
        collective=cast.collective_a, actor=cast.ana, client=acme, signed_on=CLAIM_DAY
    )
    thames = world.billed.work.thames
    b_agreement = client_agreement_record(
        collective=cast.collective_b, actor=cast.carla, client=thames, signed_on=CLAIM_DAY
    )

    # Then A's guarantee lists A's two, by name, with who recorded each
    listed = list(client_agreements(fund=world.fund))
    assert [(a.client.name, a.recorded_by.display_name) for a in listed] == [
        ("Acme Atelier", "Ana Reyes"),
        ("Harbour Bridge Logistics", "Ana Reyes"),
    ]
    assert client_agreement_get_for_fund(fund=world.fund, agreement_id=listed[1].pk).client == (
        world.client
    )
    # and B's agreement is not there to be removed through A's fund
    for agreement_id in (b_agreement.pk, 0, TOO_BIG):
        with pytest.raises(Http404):
            client_agreement_get_for_fund(fund=world.fund, agreement_id=agreement_id)


def test_agreement_client_find_names_any_client_and_none_for_an_unknown_id(world: World) -> None:
    # Whether the collective dealt with it is client_agreement_record's to say
    thames = world.billed.work.thames
    assert agreement_client_find(client_id=world.client.pk) == world.client
    assert agreement_client_find(client_id=thames.pk) == thames
    unknown = max(Client.objects.values_list("pk", flat=True)) + 1
    for client_id in (unknown, 0, TOO_BIG):
        assert agreement_client_find(client_id=client_id) is None


def test_an_invoice_is_found_only_through_its_own_collectives_fund(world: World) -> None:
    other = b_invoice(world)

    found = invoice_get_for_fund(fund=world.fund, invoice_id=world.invoice.pk)
    assert found == world.invoice
    assert found.client == world.client
    assert invoice_find_for_fund(fund=world.fund, invoice_id=world.invoice.pk) == world.invoice
    for invoice_id in (other.pk, 0, TOO_BIG):
        assert invoice_find_for_fund(fund=world.fund, invoice_id=invoice_id) is None
        with pytest.raises(Http404):
            invoice_get_for_fund(fund=world.fund, invoice_id=invoice_id)


def test_claimable_invoices_are_the_members_overdue_unpaid_ones_longest_overdue_first(
    world: World,
) -> None:
    cast = world.cast
    # Given a second invoice with a share for Ben only, issued (and due) before
    # the claimed one but made after it
    world.at(dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC))
    earlier = invoice_issue(
        invoice=invoice_draft_create(
            collective=world.a,
            actor=cast.ana,
            engagement=world.billed.work.engagement,
            include_time=False,
            items=[FixedItem("Extra", 1, aud("100"), member=cast.ben)],
        ),
        actor=cast.ana,
    )
    assert earlier.pk > world.invoice.pk
    assert earlier.due_date is not None and earlier.due_date < DUE
    # B's overdue invoice, and a credit note on the claimed invoice
    b_invoice(world)
    world.at(dt.datetime(2027, 2, 10, 12, 0, tzinfo=dt.UTC))
    credit_note_issue(
        invoice=world.invoice,
        actor=cast.ana,
        reason="Discount",
        idempotency_key="cn",
        amount=aud("10"),
    )
    cleo = add_member(world.a, "cleo@example.com", "Cleo")

    def claimable(member: User, today: dt.date = CLAIM_DAY) -> list[int]:
        return [
            invoice.pk
            for invoice in guarantee_invoices_claimable(fund=world.fund, member=member, today=today)
        ]

    # Then Ben may claim on both, the longest overdue first; Ana on hers only;
    # Cleo, with no share, on none; nor Carla on A's fund (nor B's invoice)
    assert claimable(cast.ben) == [earlier.pk, world.invoice.pk]
    assert claimable(cast.ana) == [world.invoice.pk]
    assert claimable(cleo) == []
    assert claimable(cast.carla) == []
    # On its due date an invoice is not overdue yet
    assert claimable(cast.ana, DUE) == []
    assert claimable(cast.ana, DUE + dt.timedelta(days=1)) == [world.invoice.pk]
    # Once paid in full it is gone
    billing_pay(earlier, "100 AUD", "earlier")
    assert claimable(cast.ben) == [world.invoice.pk]


# --- Guarantee: a claim's advances and its write-off vote -----------------------------------


def test_guarantee_advances_are_the_claims_own_largest_first(world: World) -> None:
    cast = world.cast
    claim = paid_claim(world)
    rows = guarantee_advances(claim=claim)
    assert [(a.member.display_name, a.advanced_minor, a.recovered_minor) for a in rows] == [
        ("Ana Reyes", 18000, 0),
        ("Ben Okafor", 7200, 0),
    ]
    # A claim not paid yet has none (and shows none of another claim's)
    gap = fund_active(cast.collective_a, "income_gap", {"approvals_needed": 1}, created_by=cast.ana)
    assert guarantee_advances(claim=gap_claim(gap, cast.ben, "10")) == []


def test_write_off_vote_open_is_the_open_vote_on_this_claim_only(world: World) -> None:
    cast = world.cast
    claim = paid_claim(world)
    assert write_off_vote_open(claim=claim) is None
    world.at(LATE)
    vote = proposal_create(
        collective=world.a,
        author=cast.ben,
        kind="write_off",
        title="Write off Harbour's invoice",
        payload={"claim_id": claim.pk},
        closes_at=LATE + dt.timedelta(days=7),
    )
    assert write_off_vote_open(claim=claim) == vote
    # Once it is no longer open, there is none
    proposal_withdraw(proposal=vote, actor=cast.ben)
    assert write_off_vote_open(claim=claim) is None


# --- People an invoice's shares name --------------------------------------------------------


def test_people_by_id_gives_each_person_by_id_and_leaves_out_unknown_ids(cast: Cast) -> None:
    unknown = max(User.objects.values_list("pk", flat=True)) + 1
    people = people_by_id(ids=[cast.ben.pk, cast.ana.pk, unknown])
    assert people == {cast.ana.pk: cast.ana, cast.ben.pk: cast.ben}
    assert people[cast.ana.pk].profile.handle == cast.ana.profile.handle
    assert people_by_id(ids=[]) == {}


def test_outsiders_never_get_the_fund_these_reads_start_from(world: World) -> None:
    for outsider in (world.cast.carla, world.cast.olga):
        with pytest.raises(Http404):
            fund_get_for_user(user=outsider, slug=A, kind="guarantee")


def test_fund_rows_of_a_fund_not_in_the_collective_are_not_shown(world: World) -> None:
    # A guarantee fund of B sees neither A's agreements nor A's invoices
    b_fund = Fund.objects.create(
        collective=world.cast.collective_b,
        kind="guarantee",
        currency="USD",
        created_by=world.cast.carla,
    )
    assert list(client_agreements(fund=b_fund)) == []
    assert invoice_find_for_fund(fund=b_fund, invoice_id=world.invoice.pk) is None
    assert guarantee_invoices_claimable(fund=b_fund, member=world.cast.ana, today=CLAIM_DAY) == []
