"""The guarantee's and the savings' pages through the web UI (client
agreements, claiming an overdue invoice, withdrawing savings), the
dashboard panels, and the way from the collective's page to its funds.

The guarantee's world is ``test_guarantee.build_world``: Harbour signed the
agreement; its 385.00 AUD invoice (Ana 225.00, Ben 90.00) is claimable on
10 February 2027 for 252.00 AUD (80 % of the members' unpaid shares).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from mutualist.billing.accounts import find_member_account
from mutualist.core.money import Money
from mutualist.ledger.services import Line, account_name_for, account_open, transaction_post
from mutualist.mutual.accounts import balance_minor, member_fund_account
from mutualist.mutual.models import Claim, ClientAgreement, Fund
from mutualist.mutual.services.claims import claim_create
from mutualist.mutual.services.savings import participation_for
from mutualist.mutual.tests.helpers import NOW, fund_active, snapshot
from mutualist.mutual.tests.sick_pay_helpers import join, sick_fund
from mutualist.mutual.tests.test_guarantee import World, build_world
from mutualist.mutual.tests.test_views_support import page_of, shows
from mutualist.testing import Billed, Cast, ledger_checked

pytestmark = pytest.mark.django_db

A = "manila-va"


def url(name: str, **kwargs: object) -> str:
    return reverse(f"mutual:{name}", kwargs={"slug": A, **kwargs})


@pytest.fixture
def world(cast: Cast, billed: Billed, time_machine: Any) -> World:
    return build_world(cast, billed, time_machine)


# --- Client agreements --------------------------------------------------------------------------


def test_members_see_the_agreements_and_only_coordinators_change_them(
    world: World, client_for: Any
) -> None:
    ben = client_for(world.cast.ben)
    page = ben.get(url("agreements"))
    assert page.status_code == 200
    assert shows(page, "Harbour Bridge Logistics") and shows(page, "PGA-7")
    assert 'name="signed_on"' not in page_of(page)
    agreement = ClientAgreement.objects.get()
    before = snapshot()
    assert ben.post(url("agreement_remove", agreement_id=agreement.pk)).status_code == 403
    assert ben.post(url("agreements"), {"client": world.client.pk}).status_code == 403
    assert snapshot() == before
    assert client_for(world.cast.olga).get(url("agreements")).status_code == 404


def test_a_coordinator_removes_and_records_an_agreement(world: World, client_for: Any) -> None:
    ana = client_for(world.cast.ana)
    agreement = ClientAgreement.objects.get()
    response = ana.post(url("agreement_remove", agreement_id=agreement.pk), follow=True)
    assert not ClientAgreement.objects.exists()
    assert shows(response, "agreement is removed")
    # A date ahead of today is refused on its field, nothing recorded
    response = ana.post(
        url("agreements"),
        {"client": world.client.pk, "signed_on": "2027-03-01", "reference": ""},
    )
    assert response.status_code == 422
    assert "signed_on" in response.context["form"].errors
    assert not ClientAgreement.objects.exists()
    response = ana.post(
        url("agreements"),
        {"client": world.client.pk, "signed_on": "2027-02-01", "reference": "PGA-8"},
    )
    assert response.status_code == 302
    recorded = ClientAgreement.objects.get()
    assert (recorded.signed_on, recorded.reference) == (dt.date(2027, 2, 1), "PGA-8")


# --- Claiming an overdue invoice ----------------------------------------------------------------


def test_a_member_with_a_share_claims_an_overdue_invoice(world: World, client_for: Any) -> None:
    ana = client_for(world.cast.ana)
    form = ana.get(url("claim_new", kind="guarantee"))
    assert form.status_code == 200
    assert shows(form, world.invoice.number)
    assert shows(form, "The guarantee covers")
    assert "A$252.00" in page_of(form)
    response = ana.post(
        url("claim_new", kind="guarantee"),
        {"invoice": world.invoice.pk, "reason": "Harbour is silent", "disclosure": "everything"},
    )
    claim = Claim.objects.get()
    assert response.status_code == 302
    assert (claim.invoice_id, claim.amount_minor, claim.currency) == (
        world.invoice.pk,
        25200,
        "AUD",
    )
    # A second claim on the same invoice is refused on the invoice
    before = snapshot()
    again = client_for(world.cast.ben).post(
        url("claim_new", kind="guarantee"),
        {"invoice": world.invoice.pk, "reason": "", "disclosure": "everything"},
    )
    assert again.status_code == 409
    assert "claiming twice is refused" in " ".join(again.context["form"].errors["invoice"])
    assert snapshot() == before
    # The claim's page names the invoice
    page = ana.get(reverse("mutual:claim", kwargs={"slug": A, "claim_id": claim.pk}))
    assert shows(page, f"Invoice {world.invoice.number}")


def test_an_invoice_not_covered_says_why(world: World, client_for: Any) -> None:
    ClientAgreement.objects.all().delete()
    form = client_for(world.cast.ana).get(url("claim_new", kind="guarantee"))
    assert shows(
        form, "Not covered now: The client has not signed the collective's payment agreement."
    )
    before = snapshot()
    response = client_for(world.cast.ana).post(
        url("claim_new", kind="guarantee"),
        {"invoice": world.invoice.pk, "reason": "", "disclosure": "everything"},
    )
    assert response.status_code == 409
    assert snapshot() == before


def test_an_invoice_of_someone_elses_work_is_not_offered(world: World, client_for: Any) -> None:
    # Carla's collective has no guarantee fund: 404; Ben has a share, Ana too
    assert client_for(world.cast.carla).get(url("claim_new", kind="guarantee")).status_code == 404
    response = client_for(world.cast.ana).post(
        url("claim_new", kind="guarantee"),
        {"invoice": "999999", "reason": "", "disclosure": "everything"},
    )
    assert response.status_code == 422
    assert "invoice" in response.context["form"].errors
    assert not Claim.objects.exists()


# --- Savings ----------------------------------------------------------------------------------


@pytest.fixture
def savings(cast: Cast, time_machine: Any) -> Fund:
    time_machine.move_to(NOW, tick=False)
    fund = fund_active(cast.collective_a, "savings", created_by=cast.ana)
    participation = participation_for(fund=fund, member=cast.ben, on=NOW.date())
    collective = cast.collective_a
    opening = account_open(
        collective=collective,
        name=account_name_for(collective, "equity", "Opening", "PHP"),
        type="equity",
        currency="PHP",
    )
    money = Money("500", "PHP")
    transaction_post(
        lines=[Line(opening, money), Line(member_fund_account(participation, "PHP"), -money)],
        memo="Saved",
        occurred_at=NOW.date(),
        idempotency_key="test:views:savings",
        kind="opening",
    )
    return fund


def test_a_member_withdraws_savings_at_once(cast: Cast, savings: Fund, client_for: Any) -> None:
    ben = client_for(cast.ben)
    page = ben.get(url("fund", kind="savings"))
    assert "₱500.00" in page_of(page) and shows(page, "Withdraw savings")
    form = ben.get(url("claim_new", kind="savings"))
    assert shows(form, "You have ₱500.00 saved.")
    response = ben.post(
        url("claim_new", kind="savings"),
        {"amount": "200", "currency": "PHP", "reason": ""},
        follow=True,
    )
    claim = Claim.objects.get()
    assert (claim.state, claim.paid_minor) == ("paid", 20000)
    assert shows(response, "Paid: ₱200.00 is added to what the collective owes you.")
    assert balance_minor(find_member_account(cast.collective_a, cast.ben, "PHP")) == 20000
    ledger_checked()


@pytest.mark.parametrize(
    ("amount", "field", "words"),
    [
        ("600", "amount", ""),
        ("1.005", "amount", "at most 2 decimal places"),
        ("0", "amount", "above zero"),
    ],
)
def test_a_withdrawal_beyond_the_rules_is_refused_on_the_amount(
    cast: Cast, savings: Fund, client_for: Any, amount: str, field: str, words: str
) -> None:
    before = snapshot()
    response = client_for(cast.ben).post(
        url("claim_new", kind="savings"), {"amount": amount, "currency": "PHP", "reason": ""}
    )
    assert response.status_code in (409, 422)
    errors = response.context["form"].errors
    assert field in errors or errors.get("__all__"), errors
    assert words in " ".join(errors.get(field, errors.get("__all__", [])))
    assert snapshot() == before


# --- Dashboard and the collective's page ----------------------------------------------------------


def test_the_dashboard_shows_claims_waiting_and_the_members_funds(
    cast: Cast, client_for: Any, time_machine: Any
) -> None:
    time_machine.move_to(NOW, tick=False)
    sick = sick_fund(cast.collective_a, cast.ana)
    join(sick, cast.ben, tier=2)
    gap = fund_active(cast.collective_a, "income_gap", created_by=cast.ana)
    from django.db import transaction

    with transaction.atomic():
        claim = claim_create(
            fund=gap,
            claimant=cast.ben,
            claim_date=NOW.date(),
            reason="",
            disclosure="everything",
            currency="PHP",
            amount_minor=30000,
            period=dt.date(2026, 10, 1),
        )
    ana = client_for(cast.ana).get(reverse("members:dashboard"))
    assert shows(ana, "Claims waiting for you")
    assert shows(ana, f"Claim #{claim.pk} by Ben Okafor")
    assert "₱300.00" in page_of(ana)
    ben = client_for(cast.ben).get(reverse("members:dashboard"))
    assert not shows(ben, "Claims waiting for you")
    assert shows(ben, "Your funds")
    assert shows(ben, "sick pay at tier 3")
    assert shows(ben, "1 claim open")
    assert not shows(client_for(cast.olga).get(reverse("members:dashboard")), "Your funds")


def test_the_collectives_page_links_its_members_to_the_funds(cast: Cast, client_for: Any) -> None:
    detail = reverse("collectives:detail", kwargs={"slug": A})
    assert url("funds") in page_of(client_for(cast.ben).get(detail))
    assert url("funds") not in page_of(client_for(cast.olga).get(detail))
