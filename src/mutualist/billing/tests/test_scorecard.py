"""The client scorecard: how each client pays the collective, per currency,
read from the invoices and the books, and its page for the collective's members.

The cast (``mutualist.testing``): Ana coordinates collective A (manila-va),
Ben is a member of A, Carla is in B only, Olga in no collective; Dana is the
contact of Harbour (AUD), which A works for.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from mutualist.billing.accounts import invoiced_account, receivable_account
from mutualist.billing.models import Invoice
from mutualist.billing.selectors.reports import client_scorecard, overdue_totals
from mutualist.billing.services import FixedItem, invoice_draft_create
from mutualist.billing.tests.reports_helpers import credit, issue, on, pay, private_client
from mutualist.core.money import Money
from mutualist.ledger.models import Transaction
from mutualist.ledger.services import Line, transaction_post
from mutualist.testing import Work

D = dt.date


@pytest.fixture
def history(work: Work) -> dict[str, Any]:
    """Harbour's invoices with collective A, in AUD, as of 20 January 2027:

    - 1: 100.00 issued 1 Dec 2026 (due 31 Dec), paid in full on 11 Dec: 10 days, on time;
    - 2: 200.00 issued 1 Dec (due 31 Dec), 50.00 paid on 20 Dec and 150.00 on
      10 Jan 2027: 40 days, late;
    - 3: 300.00 issued 15 Dec (due 14 Jan), 100.00 paid on 5 Jan: 200.00 unpaid, overdue;
    - 4: 400.00 issued 10 Jan (due 9 Feb), unpaid, not due yet;
    - 5: 50.00 issued 1 Dec, credited in full (void): issued, never paid;
    - a draft, which is no invoice issued.

    And Pacific Parcels, a lead of A billed in USD: 80.00 issued 1 Dec, paid
    on 2 Jan (32 days, late).
    """
    cast = work.cast
    a, ana = cast.collective_a, cast.ana

    def harbour(amount: str, day: D) -> Invoice:
        return issue(collective=a, actor=ana, client=work.harbour, amount=amount, day=day)

    one = harbour("100", D(2026, 12, 1))
    two = harbour("200", D(2026, 12, 1))
    three = harbour("300", D(2026, 12, 15))
    five = harbour("50", D(2026, 12, 1))
    pay(one, actor=ana, amount="100", day=D(2026, 12, 11))
    pay(two, actor=ana, amount="50", day=D(2026, 12, 20))
    credit(five, actor=ana, day=D(2026, 12, 21))
    pay(three, actor=ana, amount="100", day=D(2027, 1, 5))
    pay(two, actor=ana, amount="150", day=D(2027, 1, 10))
    four = harbour("400", D(2027, 1, 10))
    parcels = private_client(a, name="Pacific Parcels", currency="USD", by=ana)
    six = issue(collective=a, actor=ana, client=parcels, amount="80", day=D(2026, 12, 1))
    pay(six, actor=ana, amount="80", day=D(2027, 1, 2))
    with on(D(2027, 1, 12)):
        invoice_draft_create(
            collective=a,
            actor=ana,
            client=work.harbour,
            items=[FixedItem("Not sent", 1, Money("999", "AUD"))],
        )
    return {"work": work, "parcels": parcels, "invoices": [one, two, three, four, five, six]}


def test_it_sums_up_how_a_client_pays_per_currency(history):
    # given the history above
    work = history["work"]
    # when the scorecard is read on 20 January 2027
    rows = client_scorecard(collective=work.cast.collective_a, today=D(2027, 1, 20))
    # then Harbour, then Pacific Parcels (by name), one row each
    assert [(row.client.name, row.currency) for row in rows] == [
        ("Harbour Bridge Logistics", "AUD"),
        ("Pacific Parcels", "USD"),
    ]
    harbour, parcels = rows
    assert (harbour.issued, harbour.paid, harbour.paid_late) == (5, 2, 1)
    assert harbour.average_days_to_pay == Decimal("25.0")
    assert harbour.paid_late_percent == Decimal("50.0")
    assert harbour.unpaid == Money("600", "AUD")
    assert harbour.unpaid_by_invoices == Money("600", "AUD")
    assert harbour.agrees
    assert harbour.overdue == Money("200", "AUD")
    assert harbour.overdue_invoices == 1
    assert (parcels.issued, parcels.paid, parcels.paid_late) == (1, 1, 1)
    assert parcels.average_days_to_pay == Decimal("32.0")
    assert parcels.unpaid == Money("0", "USD")
    assert parcels.overdue == Money("0", "USD")


def test_what_is_overdue_depends_on_the_day_it_is_read(history):
    a = history["work"].cast.collective_a
    # given: on 14 January invoice 3 is due today, not overdue
    (harbour, _) = client_scorecard(collective=a, today=D(2027, 1, 14))
    assert harbour.overdue == Money("0", "AUD")
    # when: on 10 February invoice 4 is overdue as well
    (harbour, _) = client_scorecard(collective=a, today=D(2027, 2, 10))
    # then
    assert harbour.overdue == Money("600", "AUD")
    assert harbour.overdue_invoices == 2
    assert overdue_totals(collective=a, today=D(2027, 2, 10)) == [Money("600", "AUD")]


def test_it_reads_one_client_when_asked(history):
    a = history["work"].cast.collective_a
    rows = client_scorecard(collective=a, client=history["parcels"], today=D(2027, 1, 20))
    assert [(row.client.name, row.issued) for row in rows] == [("Pacific Parcels", 1)]


def test_a_payment_in_another_currency_counts_in_the_invoices_currency(work):
    # given an AUD invoice paid in USD at 1.5 AUD per USD
    a, ana = work.cast.collective_a, work.cast.ana
    invoice = issue(collective=a, actor=ana, client=work.harbour, amount="150", day=D(2026, 12, 1))
    pay(invoice, actor=ana, amount="100", currency="USD", fx_rate="1.5", day=D(2026, 12, 4))
    # when
    (row,) = client_scorecard(collective=a, today=D(2026, 12, 5))
    # then: paid in 3 days, nothing unpaid, one AUD row
    assert (row.currency, row.paid, row.average_days_to_pay) == ("AUD", 1, Decimal("3.0"))
    assert row.unpaid == Money("0", "AUD")


def test_a_mismatch_between_the_books_and_the_invoices_shows(history):
    # given the receivable moved in the books without an invoice (a bug, or a
    # hand-made entry): the scorecard trusts the books and says they disagree
    a = history["work"].cast.collective_a
    (harbour, _) = client_scorecard(collective=a, today=D(2027, 1, 20))
    receivable = receivable_account(a, history["work"].harbour, "AUD")
    with on(D(2027, 1, 20)):
        transaction_post(
            lines=[
                Line(receivable, Money("5", "AUD")),
                Line(invoiced_account(a, "AUD"), Money("-5", "AUD")),
            ],
            memo="Hand-made",
            occurred_at=D(2027, 1, 20),
            idempotency_key="test:hand-made",
        )
    # when
    (after, _) = client_scorecard(collective=a, today=D(2027, 1, 20))
    # then
    assert harbour.agrees
    assert after.unpaid == Money("605", "AUD")
    assert after.unpaid_by_invoices == Money("600", "AUD")
    assert not after.agrees


def test_a_collective_that_invoiced_no_one_has_an_empty_scorecard(work):
    assert client_scorecard(collective=work.cast.collective_b) == []
    assert Transaction.objects.count() == 0


def test_another_collectives_invoices_never_show(history):
    assert client_scorecard(collective=history["work"].cast.collective_b) == []


# --- The page ----------------------------------------------------------------------------


def scorecard_url(slug: str = "manila-va") -> str:
    return reverse("billing:scorecard", kwargs={"slug": slug})


def test_members_of_the_collective_see_the_scorecard(history, client_for):
    cast = history["work"].cast
    with on(D(2027, 1, 20)):
        for user in (cast.ana, cast.ben):
            response = client_for(user).get(scorecard_url())
            assert response.status_code == 200
            page = response.content.decode()
            assert "Harbour Bridge Logistics" in page
            assert "Pacific Parcels" in page
            assert "25.0&nbsp;days" in page
            assert "50.0%" in page
            assert "A$600.00" in page  # unpaid
            assert "A$200.00" in page  # overdue


@pytest.mark.parametrize("who", ["carla", "olga", "dana"])
def test_anyone_outside_the_collective_finds_no_scorecard(history, client_for, who):
    work = history["work"]
    user = work.dana if who == "dana" else getattr(work.cast, who)
    assert client_for(user).get(scorecard_url()).status_code == 404


def test_the_scorecard_asks_a_visitor_to_log_in(history, client):
    response = client.get(scorecard_url())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("members:login"))


def test_an_empty_scorecard_says_so(work, client_for):
    response = client_for(work.cast.carla).get(scorecard_url("remote-crew"))
    assert response.status_code == 200
    assert "has not invoiced anyone yet" in response.content.decode()
