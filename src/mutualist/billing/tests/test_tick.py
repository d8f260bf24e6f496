"""`mutualist tick` for billing: unpaid invoices are marked overdue once, and
clients are reminded on the collective's reminder days, once each.

The cast (``mutualist.testing``): Ana coordinates collective A (manila-va),
Ben is a member; Dana is the contact of Harbour (AUD), which A works for.
Collective A keeps the default reminder days: 3 days before the due date,
then 1, 7, 14 and 30 days after. Invoices here are issued on 1 December
2026 for 30 days: due on 31 December.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from mutualist.billing import reminders
from mutualist.billing.models import Invoice, InvoiceReminder
from mutualist.billing.reminders import invoice_reminders_send, invoices_mark_overdue
from mutualist.billing.services import FixedItem, billing_settings_update, invoice_draft_create
from mutualist.billing.tests.reports_helpers import credit, issue, on, pay
from mutualist.core import tick
from mutualist.core.money import Money
from mutualist.testing import Work, make_member
from mutualist.work.models import ClientContact

D = dt.date
ISSUED = D(2026, 12, 1)
DUE = D(2026, 12, 31)
INSTRUCTIONS = "Pay by bank transfer to BPI 1234-5678-90, quoting the invoice number."


@pytest.fixture
def billing(work: Work) -> Work:
    """Collective A tells clients how to pay; invoices copy it when issued."""
    with on(ISSUED):
        billing_settings_update(
            collective=work.cast.collective_a,
            actor=work.cast.ana,
            payment_instructions=INSTRUCTIONS,
            late_payment_terms="Interest of 1% a month after the due date.",
        )
    return work


def harbour_invoice(work: Work, amount: str = "385", day: D = ISSUED) -> Invoice:
    return issue(
        collective=work.cast.collective_a,
        actor=work.cast.ana,
        client=work.harbour,
        amount=amount,
        day=day,
    )


def remind(capture: Any, day: D) -> int:
    """Run the reminder job on ``day`` and send what it queued (after commit)."""
    with on(day), capture(execute=True):
        return invoice_reminders_send()


def reminded_days(invoice: Invoice) -> list[int]:
    return sorted(
        InvoiceReminder.objects.filter(invoice=invoice).values_list("days_from_due", flat=True)
    )


# --- Overdue --------------------------------------------------------------------------


def test_an_unpaid_invoice_is_marked_overdue_the_day_after_it_was_due(billing):
    # given an invoice due on 31 December
    invoice = harbour_invoice(billing)
    # when the job runs on its due date, it is not overdue yet
    with on(DUE):
        assert invoices_mark_overdue() == 0
    invoice.refresh_from_db()
    assert invoice.overdue_at is None
    # when it runs the next day
    with on(DUE + dt.timedelta(days=1)):
        assert invoices_mark_overdue() == 1
    # then it is marked, at that moment
    invoice.refresh_from_db()
    assert invoice.overdue_at == dt.datetime(2027, 1, 1, 12, tzinfo=dt.UTC)


def test_marking_overdue_twice_marks_once_and_keeps_the_first_stamp(billing):
    invoice = harbour_invoice(billing)
    with on(D(2027, 1, 1)):
        assert invoices_mark_overdue() == 1
    with on(D(2027, 1, 2)):
        assert invoices_mark_overdue() == 0
    invoice.refresh_from_db()
    assert invoice.overdue_at == dt.datetime(2027, 1, 1, 12, tzinfo=dt.UTC)


def test_paid_credited_draft_invoices_and_credit_notes_are_never_marked_overdue(billing):
    # given, all past their due date on 1 February: a paid invoice, one
    # credited in full (void) with its credit note, a draft, and one partly paid
    cast = billing.cast
    paid = harbour_invoice(billing, "100")
    pay(paid, actor=cast.ana, amount="100", day=D(2026, 12, 5))
    void = harbour_invoice(billing, "200")
    note = credit(void, actor=cast.ana, day=D(2026, 12, 6))
    partly = harbour_invoice(billing, "300")
    pay(partly, actor=cast.ana, amount="50", day=D(2026, 12, 7))
    with on(D(2026, 12, 8)):
        draft = invoice_draft_create(
            collective=cast.collective_a,
            actor=cast.ana,
            client=billing.harbour,
            items=[FixedItem("Draft", 1, Money("10", "AUD"))],
        )
    # when
    with on(D(2027, 2, 1)):
        marked = invoices_mark_overdue()
    # then only the partly paid one, which still has 250.00 unpaid
    assert marked == 1
    assert list(Invoice.objects.filter(overdue_at__isnull=False).values_list("pk", flat=True)) == [
        partly.pk
    ]
    for other in (paid, void, note, draft):
        other.refresh_from_db()
        assert other.overdue_at is None


# --- Reminders ------------------------------------------------------------------------


def test_a_client_is_reminded_three_days_before_the_due_date_once(
    billing, django_capture_on_commit_callbacks
):
    # given
    invoice = harbour_invoice(billing)
    # when the job runs four days before: nothing yet
    assert remind(django_capture_on_commit_callbacks, D(2026, 12, 27)) == 0
    assert mail.outbox == []
    # when it runs three days before, then again (a second scheduler)
    assert remind(django_capture_on_commit_callbacks, D(2026, 12, 28)) == 1
    assert remind(django_capture_on_commit_callbacks, D(2026, 12, 28)) == 0
    # then Dana got one email, and the day is recorded
    assert len(mail.outbox) == 1
    (message,) = mail.outbox
    assert message.to == [billing.dana.email]
    assert message.subject == (
        f"Invoice {invoice.number} from Manila Virtual Assistants is due in 3 days"
    )
    assert "It is due on 31 December 2026, in 3 days." in message.body
    assert reminded_days(invoice) == [-3]


def test_the_reminder_says_what_is_unpaid_when_and_how_to_pay_with_links_and_the_pdf(
    billing, django_capture_on_commit_callbacks
):
    # given an invoice of 1,385.00 AUD, 385.00 of it paid
    invoice = harbour_invoice(billing, "1385")
    pay(invoice, actor=billing.cast.ana, amount="385", day=D(2026, 12, 10))
    # when it is reminded 7 days after its due date
    remind(django_capture_on_commit_callbacks, D(2027, 1, 7))
    # then
    (message,) = mail.outbox
    assert message.subject == (
        f"Invoice {invoice.number} from Manila Virtual Assistants is 7 days overdue"
    )
    body = message.body
    assert f"about invoice {invoice.number} of 1 December 2026 to Harbour Bridge Logistics" in body
    assert "It was due on 31 December 2026 and is now 7 days overdue." in body
    assert "Amount unpaid: 1,000.00 AUD (of 1,385.00 AUD invoiced)" in body
    assert INSTRUCTIONS in body
    assert "Late payment: Interest of 1% a month after the due date." in body
    invoice_url = settings.SITE_URL + reverse("billing:invoice", kwargs={"pk": invoice.pk})
    pdf_url = settings.SITE_URL + reverse("billing:invoice_pdf", kwargs={"pk": invoice.pk})
    assert invoice_url.startswith(("http://", "https://"))
    assert f"\n{invoice_url}\n" in body
    assert f"\n{pdf_url}\n" in body
    assert "&amp;" not in body and "&#x27;" not in body  # plain text, not HTML-escaped
    ((filename, content, mimetype),) = message.attachments
    assert (filename, mimetype) == (f"{invoice.number}.pdf", "application/pdf")
    assert content.startswith(b"%PDF")


def test_a_backlog_of_passed_days_sends_one_email_for_the_latest_and_records_the_rest(
    billing, django_capture_on_commit_callbacks
):
    # given an invoice no scheduler looked at until 20 January: days -3, 1,
    # 7 and 14 have all passed
    invoice = harbour_invoice(billing)
    # when
    assert remind(django_capture_on_commit_callbacks, D(2027, 1, 20)) == 1
    # then one email, for day 14 (20 days overdue), and every passed day recorded
    (message,) = mail.outbox
    assert message.subject.endswith("is 20 days overdue")
    assert reminded_days(invoice) == [-3, 1, 7, 14]
    # when the job runs again before day 30, nothing is sent; on day 30 the next one
    assert remind(django_capture_on_commit_callbacks, D(2027, 1, 29)) == 0
    assert remind(django_capture_on_commit_callbacks, D(2027, 1, 30)) == 1
    assert len(mail.outbox) == 2
    assert reminded_days(invoice) == [-3, 1, 7, 14, 30]
    # and after the last reminder day, never again
    assert remind(django_capture_on_commit_callbacks, D(2027, 6, 1)) == 0
    assert len(mail.outbox) == 2


def test_a_day_added_to_the_settings_after_a_later_one_was_sent_is_not_sent(
    billing, django_capture_on_commit_callbacks
):
    # given day 7's reminder was sent
    invoice = harbour_invoice(billing)
    remind(django_capture_on_commit_callbacks, D(2027, 1, 7))
    assert len(mail.outbox) == 1
    # when the collective adds day 5, already passed
    with on(D(2027, 1, 8)):
        billing_settings_update(
            collective=billing.cast.collective_a, actor=billing.cast.ana, reminder_days="5,7,30"
        )
    sent = remind(django_capture_on_commit_callbacks, D(2027, 1, 8))
    # then it is recorded, so it is never sent, and no email goes for it
    assert sent == 0
    assert len(mail.outbox) == 1
    assert reminded_days(invoice) == [-3, 1, 5, 7]


@pytest.mark.parametrize("state", ["paid", "void", "draft", "credit_note"])
def test_paid_void_and_draft_invoices_and_credit_notes_are_never_reminded(
    billing, django_capture_on_commit_callbacks, state
):
    # given
    cast = billing.cast
    if state == "draft":
        with on(ISSUED):
            invoice = invoice_draft_create(
                collective=cast.collective_a,
                actor=cast.ana,
                client=billing.harbour,
                items=[FixedItem("Draft", 1, Money("10", "AUD"))],
            )
    else:
        invoice = harbour_invoice(billing)
    if state == "paid":
        pay(invoice, actor=cast.ana, amount="385", day=D(2026, 12, 5))
    elif state in ("void", "credit_note"):
        note = credit(invoice, actor=cast.ana, day=D(2026, 12, 5))
        invoice = note if state == "credit_note" else invoice
    # when the job runs on every reminder day and long after
    for day in (D(2026, 12, 28), D(2027, 1, 1), D(2027, 1, 7), D(2027, 3, 1)):
        assert remind(django_capture_on_commit_callbacks, day) == 0
    # then
    assert mail.outbox == []
    assert InvoiceReminder.objects.count() == 0
    invoice.refresh_from_db()
    assert (
        invoice.status
        == {
            "paid": "paid",
            "void": "void",
            "draft": "draft",
            "credit_note": "issued",
        }[state]
    )


def test_an_invoice_paid_after_its_reminder_was_claimed_is_not_emailed(
    billing, django_capture_on_commit_callbacks
):
    # given the job claimed a reminder, and the client's payment is recorded
    # before the email leaves
    invoice = harbour_invoice(billing)
    with on(D(2027, 1, 7)), django_capture_on_commit_callbacks(execute=False) as queued:
        assert invoice_reminders_send() == 1
    pay(invoice, actor=billing.cast.ana, amount="385", day=D(2027, 1, 7))
    # when the email would be sent
    for callback in queued:
        callback()
    # then it is not
    assert mail.outbox == []


def test_every_active_contact_gets_their_own_email_and_no_one_in_the_collective(
    billing, django_capture_on_commit_callbacks
):
    # given Harbour has a second contact and a third who was deactivated
    second = make_member("accounts@harbour.example", "Harbour Accounts")
    gone = make_member("gone@harbour.example", "Gone Away")
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    for user in (second, gone):
        ClientContact.objects.create(client=billing.harbour, user=user)
    harbour_invoice(billing)
    # when
    remind(django_capture_on_commit_callbacks, D(2027, 1, 1))
    # then one message each for the two active contacts, no one copied
    assert sorted(tuple(m.to) for m in mail.outbox) == [
        ("accounts@harbour.example",),
        (billing.dana.email,),
    ]
    assert all(not m.cc and not m.bcc for m in mail.outbox)


def test_a_collective_without_reminder_days_sends_none(billing, django_capture_on_commit_callbacks):
    with on(ISSUED):
        billing_settings_update(
            collective=billing.cast.collective_a, actor=billing.cast.ana, reminder_days=""
        )
    harbour_invoice(billing)
    assert remind(django_capture_on_commit_callbacks, D(2027, 3, 1)) == 0
    assert mail.outbox == []


def test_each_invoice_is_reminded_in_its_own_transaction(
    billing, django_capture_on_commit_callbacks, monkeypatch
):
    # given two overdue invoices, the first of which cannot be claimed
    first = harbour_invoice(billing, "100")
    second = harbour_invoice(billing, "200")
    real_claim = reminders._claim

    def claim(*, invoice_id: int, **kwargs: Any) -> bool:
        if invoice_id == first.pk:
            raise RuntimeError("database hiccup")
        return real_claim(invoice_id=invoice_id, **kwargs)

    monkeypatch.setattr(reminders, "_claim", claim)
    # when
    sent = remind(django_capture_on_commit_callbacks, D(2027, 1, 1))
    # then the second is reminded all the same
    assert sent == 1
    assert reminded_days(first) == []
    assert reminded_days(second) == [-3, 1]
    assert len(mail.outbox) == 1


# --- From the command line ------------------------------------------------------------


def test_mutualist_tick_marks_overdue_and_sends_reminders(
    billing, capsys, django_capture_on_commit_callbacks
):
    # given an invoice a day past its due date
    invoice = harbour_invoice(billing)
    # when the scheduler runs `mutualist tick`, twice
    with on(D(2027, 1, 1)), django_capture_on_commit_callbacks(execute=True):
        call_command("tick")
        first = capsys.readouterr().out.splitlines()
        call_command("tick")
        second = capsys.readouterr().out.splitlines()
    # then the first run did the work, the second nothing
    assert "billing.mark_overdue: 1" in first
    assert "billing.send_reminders: 1" in first
    assert "billing.mark_overdue: 0" in second
    assert "billing.send_reminders: 0" in second
    invoice.refresh_from_db()
    assert invoice.overdue_at is not None
    assert len(mail.outbox) == 1


def test_the_billing_jobs_are_registered_for_mutualist_tick():
    tick.autodiscover()
    names = [job.name for job in tick.jobs()]
    assert "billing.mark_overdue" in names
    assert "billing.send_reminders" in names
    assert tick.job_get("billing.send_reminders").description == (  # type: ignore[union-attr]
        "Email clients about unpaid invoices on the collective's reminder days."
    )
