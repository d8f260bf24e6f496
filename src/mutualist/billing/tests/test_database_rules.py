"""The database itself keeps issued invoices and recorded money as they are.

These go around the services on purpose (the ORM's update and delete, raw
SQL), to show the last line holds whoever writes (migration 0002's triggers,
on SQLite and on PostgreSQL alike). Drafts stay the coordinator's to change.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from mutualist.billing.accounts import default_deposit_account
from mutualist.billing.models import (
    Invoice,
    InvoicedTime,
    InvoiceLine,
    Payment,
    PaymentShare,
    Payout,
)
from mutualist.billing.services import credit_note_issue, payout_record
from mutualist.core.money import Money
from mutualist.testing import (
    Billed,
    approved_time,
    billing_draft,
    billing_issued,
    billing_pay,
    billing_state,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("billing_time")]

ISSUED = "an issued invoice cannot be changed or deleted"
RECORDED = "a recorded payment or payout cannot be changed or deleted"


def refused(action: Any) -> str:
    """Runs ``action`` in a savepoint; the database must refuse it."""
    before = billing_state()
    with pytest.raises((IntegrityError, DatabaseError)) as error, transaction.atomic():
        action()
    assert billing_state() == before
    return str(error.value)


@pytest.fixture
def issued(billed: Billed) -> Invoice:
    invoice: Invoice = billing_issued(billed)
    return invoice


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("number", "MANILA-2026-9999"),
        ("total_minor", 38600),
        ("subtotal_minor", 35100),
        ("buyer_name", "Someone else"),
        ("issue_date", dt.date(2026, 12, 1)),
        ("due_date", dt.date(2027, 6, 1)),
        ("split_rule", {"treasury": "50.00"}),
        ("member_share_basis", "pay"),
        ("currency", "USD"),
        ("client_id", None),
        ("notes", "edited"),
        ("status", "draft"),
    ],
)
def test_an_issued_invoices_snapshot_cannot_be_edited(
    issued: Invoice, column: str, value: Any
) -> None:
    if column == "client_id":
        value = issued.client_id + 1000
    message = refused(lambda: Invoice.objects.filter(pk=issued.pk).update(**{column: value}))
    assert ISSUED in message


def test_an_issued_invoice_cannot_be_deleted_by_the_orm_or_by_sql(issued: Invoice) -> None:
    assert ISSUED in refused(lambda: Invoice.objects.filter(pk=issued.pk).delete())
    assert ISSUED in refused(
        lambda: connection.cursor().execute(
            "DELETE FROM billing_invoice WHERE id = %s", [issued.pk]
        )
    )


def test_the_running_figures_of_an_issued_invoice_still_move(issued: Invoice) -> None:
    # what payments, credit notes and the scheduler keep up to date
    now = timezone.now()
    Invoice.objects.filter(pk=issued.pk).update(paid_minor=100, overdue_at=now)
    Invoice.objects.filter(pk=issued.pk).update(credited_minor=38400, status="paid", paid_at=now)

    stored = Invoice.objects.get(pk=issued.pk)
    assert (stored.status, stored.paid_minor, stored.credited_minor) == ("paid", 100, 38400)


def test_an_issued_invoices_lines_cannot_be_changed_added_or_removed(issued: Invoice) -> None:
    line = issued.lines.first()
    assert line is not None
    assert ISSUED in refused(lambda: InvoiceLine.objects.filter(pk=line.pk).update(amount_minor=1))
    assert ISSUED in refused(lambda: InvoiceLine.objects.filter(pk=line.pk).delete())
    assert ISSUED in refused(
        lambda: InvoiceLine.objects.create(
            invoice=issued,
            position=99,
            kind="fixed",
            description="Slipped in",
            quantity=1,
            unit_price_minor=100,
            amount_minor=100,
        )
    )


def test_the_time_an_issued_invoice_bills_stays_billed_by_it(
    billed: Billed, issued: Invoice
) -> None:
    work = billed.work
    claim = issued.billed_time.first()
    assert claim is not None
    assert ISSUED in refused(lambda: InvoicedTime.objects.filter(pk=claim.pk).delete())
    assert ISSUED in refused(lambda: InvoicedTime.objects.filter(pk=claim.pk).update(line=None))
    newer = approved_time(
        work.engagement, work.cast.ana, minutes=60, day=dt.date(2026, 12, 7), approver=work.dana
    )
    assert ISSUED in refused(lambda: InvoicedTime.objects.create(invoice=issued, time_entry=newer))
    # and a draft cannot take a claim over from it either
    draft = billing_draft(billed)
    assert ISSUED in refused(lambda: InvoicedTime.objects.filter(pk=claim.pk).update(invoice=draft))


def test_an_issued_credit_note_is_as_frozen_as_an_invoice(issued: Invoice) -> None:
    note = credit_note_issue(
        invoice=issued,
        actor=issued.created_by,
        reason="Correction",
        idempotency_key="cn",
        amount=Money("10", "AUD"),
    )
    assert ISSUED in refused(lambda: Invoice.objects.filter(pk=note.pk).update(total_minor=1))
    assert ISSUED in refused(lambda: Invoice.objects.filter(pk=note.pk).delete())
    assert ISSUED in refused(lambda: note.lines.all().delete())


def test_a_recorded_payment_and_its_shares_are_never_changed_or_deleted(
    issued: Invoice,
) -> None:
    payment = billing_pay(issued, "100 AUD", "p")
    share = payment.shares.first()
    assert share is not None

    assert RECORDED in refused(lambda: Payment.objects.filter(pk=payment.pk).update(amount_minor=1))
    assert RECORDED in refused(
        lambda: connection.cursor().execute(
            "DELETE FROM billing_payment WHERE id = %s", [payment.pk]
        )
    )
    assert RECORDED in refused(
        lambda: PaymentShare.objects.filter(pk=share.pk).update(amount_minor=1)
    )
    assert RECORDED in refused(lambda: PaymentShare.objects.filter(pk=share.pk).delete())


def test_a_recorded_payout_is_never_changed_or_deleted(billed: Billed, issued: Invoice) -> None:
    billing_pay(issued, "385 AUD", "p")
    cast = billed.work.cast
    payout = payout_record(
        collective=cast.collective_a,
        member=cast.ana,
        actor=cast.ana,
        amount=Money("10", "AUD"),
        source_account=default_deposit_account(cast.collective_a, "AUD"),
        paid_on=dt.date(2026, 12, 8),
        idempotency_key="po",
    )

    assert RECORDED in refused(lambda: Payout.objects.filter(pk=payout.pk).update(sent_minor=1))
    assert RECORDED in refused(lambda: Payout.objects.filter(pk=payout.pk).delete())


def test_a_draft_and_its_lines_and_time_stay_editable_and_deletable(billed: Billed) -> None:
    draft = billing_draft(billed)
    line = draft.lines.first()
    assert line is not None

    Invoice.objects.filter(pk=draft.pk).update(notes="Edited", tax_rate=0)
    InvoiceLine.objects.filter(pk=line.pk).update(description="Renamed")
    InvoicedTime.objects.filter(line=line).update(line=None)

    assert Invoice.objects.get(pk=draft.pk).notes == "Edited"
    assert InvoiceLine.objects.get(pk=line.pk).description == "Renamed"
    # deleting a draft takes its lines and claims with it (the ORM's cascade)
    Invoice.objects.filter(pk=draft.pk).delete()
    assert not Invoice.objects.exists()
    assert not InvoiceLine.objects.exists() and not InvoicedTime.objects.exists()


def test_a_draft_can_be_deleted_by_sql_with_its_rows(billed: Billed) -> None:
    draft = billing_draft(billed)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM billing_invoicedtime WHERE invoice_id = %s", [draft.pk])
        cursor.execute("DELETE FROM billing_invoiceline WHERE invoice_id = %s", [draft.pk])
        cursor.execute("DELETE FROM billing_invoice WHERE id = %s", [draft.pk])
    assert not Invoice.objects.exists()
