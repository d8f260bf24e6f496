"""Invoices in the client portal and on a member's dashboard.

The cast and fixtures are test_views_invoices.py's: Dana acts for Harbour,
Evan for Thames; MANILA-2026-0001 is A's issued invoice to Harbour (385.00
AUD, due 7 January 2027); time is frozen on 8 December 2026.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from mutualist.billing.models import Invoice
from mutualist.billing.services import FixedItem, invoice_draft_create, payment_record
from mutualist.billing.tests.test_views_invoices import (
    NOW,
    A,
    evans_invoice,
    make_issued,
    text_of,
    url,
)
from mutualist.core.money import Money
from mutualist.testing import Billed

PORTAL = reverse("work:portal")
DASHBOARD = reverse("members:dashboard")


@pytest.fixture
def frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def issued(billed: Billed, frozen: None) -> Invoice:
    return make_issued(billed)


# --- The client portal -------------------------------------------------------------------------


def test_the_portal_lists_the_contacts_issued_invoices_with_what_is_unpaid(
    billed: Billed, issued: Invoice, client_for: Any
) -> None:
    # given: a part payment, a draft for the same client, and B's invoice to Evan's client
    payment_record(
        invoice=issued, actor=issued.created_by, amount=Money("100", "AUD"),
        received_on=dt.date(2026, 12, 8), method="bank_transfer", idempotency_key="p1",
    )  # fmt: skip
    draft = invoice_draft_create(
        collective=billed.work.cast.collective_a,
        actor=billed.work.cast.ana,
        client=billed.work.harbour,
        items=[FixedItem("Set-up", "1", Money("50", "AUD"))],
    )
    evans = evans_invoice(billed)

    # when
    page = text_of(client_for(billed.work.dana).get(PORTAL))

    # then
    assert 'id="portal-invoices-heading">Invoices<' in page
    assert url("invoice", pk=issued.pk) in page and "MANILA-2026-0001" in page
    assert "Manila Virtual Assistants" in page
    assert "7 Jan 2027" in page and "A$385.00" in page and "A$285.00" in page
    assert url("invoice", pk=draft.pk) not in page
    assert url("invoice", pk=evans.pk) not in page and evans.number not in page


def test_an_overdue_invoice_is_marked_in_the_portal(
    billed: Billed, client_for: Any, time_machine: Any
) -> None:
    time_machine.move_to(dt.datetime(2026, 12, 8, 12, tzinfo=dt.UTC), tick=False)
    make_issued(billed)
    time_machine.move_to(dt.datetime(2027, 1, 9, 12, tzinfo=dt.UTC), tick=False)

    page = text_of(client_for(billed.work.dana).get(PORTAL))

    assert "7 Jan 2027 <strong>(overdue)</strong>" in page


def test_a_contact_without_invoices_gets_no_invoices_section(
    billed: Billed, client_for: Any
) -> None:
    page = text_of(client_for(billed.work.dana).get(PORTAL))

    assert "portal-invoices-heading" not in page


def test_the_contacts_invoice_page_has_the_pdf_and_the_payment_instructions(
    billed: Billed, frozen: None, client_for: Any
) -> None:
    from mutualist.billing.services import billing_settings_update

    billing_settings_update(
        collective=billed.work.cast.collective_a,
        actor=billed.work.cast.ana,
        payment_instructions="Pay to BPI 1234-5678-90",
        late_payment_terms="2% a month when late.",
    )
    invoice = make_issued(billed)

    page = text_of(client_for(billed.work.dana).get(url("invoice", pk=invoice.pk)))

    assert url("invoice_pdf", pk=invoice.pk) in page
    assert "How to pay" in page and "Pay to BPI 1234-5678-90" in page
    assert "2% a month when late." in page
    assert "Where the money went" not in page and "Record a payment" not in page


# --- The members' dashboard --------------------------------------------------------------------


def test_the_dashboard_counts_unpaid_and_overdue_invoices_per_collective(
    billed: Billed, client_for: Any, time_machine: Any
) -> None:
    # given: A's invoice of 385.00 AUD, 100.00 paid, overdue since 8 January
    time_machine.move_to(dt.datetime(2026, 12, 8, 12, tzinfo=dt.UTC), tick=False)
    invoice = make_issued(billed)
    payment_record(
        invoice=invoice, actor=invoice.created_by, amount=Money("100", "AUD"),
        received_on=dt.date(2026, 12, 8), method="bank_transfer", idempotency_key="p1",
    )  # fmt: skip
    time_machine.move_to(dt.datetime(2027, 1, 9, 12, tzinfo=dt.UTC), tick=False)

    anas = text_of(client_for(billed.work.cast.ana).get(DASHBOARD))
    bens = text_of(client_for(billed.work.cast.ben).get(DASHBOARD))
    carlas = text_of(client_for(billed.work.cast.carla).get(DASHBOARD))

    assert "1 unpaid (A$285.00)" in anas and "<strong>1 overdue</strong> (A$285.00)" in anas
    assert url("invoices", slug=A) in anas and url("invoice_new", slug=A) in anas
    # Ben reads the same counts and the list, but is not offered to invoice
    assert "1 unpaid (A$285.00)" in bens and url("invoices", slug=A) in bens
    assert url("invoice_new", slug=A) not in bens
    # Carla is in B only, which has nothing unpaid
    assert "Remote Crew</strong>:" in carlas and "nothing unpaid." in carlas
    assert url("invoices", slug=A) not in carlas


def test_the_dashboard_has_no_invoices_panel_for_someone_in_no_collective(
    billed: Billed, client_for: Any
) -> None:
    page = text_of(client_for(billed.work.cast.olga).get(DASHBOARD))

    assert "invoices-panel-heading" not in page
