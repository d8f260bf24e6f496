"""Two schedulers running billing's tick jobs at the same moment, on PostgreSQL.

SQLite serialises every write transaction, so these races cannot happen
there; the tests run where they can (CI sets DATABASE_URL to PostgreSQL).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.db import connection

from mutualist.billing.models import Invoice, InvoiceReminder
from mutualist.billing.reminders import invoice_reminders_send, invoices_mark_overdue
from mutualist.billing.tests.reports_helpers import issue, on
from mutualist.testing import race

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row-lock races need PostgreSQL (set DATABASE_URL); SQLite serialises writers",
    ),
    # Real commits, so each thread sees the others' work; serialized_rollback
    # puts the seeded skills back for the tests that run after these.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

D = dt.date


def test_two_schedulers_reminding_at_once_send_one_email_per_invoice(work):
    # given three invoices issued on 1 December, due on 31 December, never reminded
    cast = work.cast
    invoices = [
        issue(
            collective=cast.collective_a,
            actor=cast.ana,
            client=work.harbour,
            amount=amount,
            day=D(2026, 12, 1),
        )
        for amount in ("100", "200", "300")
    ]
    mail.outbox = []
    # when two schedulers run the reminders on 8 January at the same moment
    with on(D(2027, 1, 8)):
        outcome = race(invoice_reminders_send, invoice_reminders_send)
    # then together they reminded each invoice once, by one email for day 7
    assert sorted(outcome.results) in ([0, 3], [1, 2])
    assert sum(outcome.results) == 3
    assert len(mail.outbox) == 3
    assert sorted(message.subject for message in mail.outbox) == sorted(
        f"Invoice {invoice.number} from Manila Virtual Assistants is 8 days overdue"
        for invoice in invoices
    )
    for invoice in invoices:
        assert sorted(
            InvoiceReminder.objects.filter(invoice=invoice).values_list("days_from_due", flat=True)
        ) == [-3, 1, 7]


def test_two_schedulers_marking_overdue_at_once_mark_each_invoice_once(work):
    # given two invoices past their due date
    cast = work.cast
    for amount in ("100", "200"):
        issue(
            collective=cast.collective_a,
            actor=cast.ana,
            client=work.harbour,
            amount=amount,
            day=D(2026, 12, 1),
        )
    # when
    with on(D(2027, 1, 8)):
        outcome = race(invoices_mark_overdue, invoices_mark_overdue)
    # then between them they marked two, and each once
    assert sum(outcome.results) == 2
    assert Invoice.objects.filter(overdue_at__isnull=False).count() == 2
