"""Overdue invoices and reminders: billing's periodic jobs, which
``billing/tick.py`` hands to ``mutualist tick``.

- ``billing.mark_overdue`` stamps ``overdue_at`` on every unpaid invoice
  whose due date has passed: one conditional ``UPDATE ... WHERE overdue_at IS
  NULL``, so a second scheduler running it at the same moment finds nothing
  left and stamps nothing twice.
- ``billing.send_reminders`` emails a client's contacts about an unpaid
  invoice on each of the collective's reminder days (days from the due date,
  ``-3`` being three days before). Each (invoice, day) is claimed by
  inserting its ``InvoiceReminder`` row, which is unique: a twin scheduler's
  claim fails and it sends nothing. A backlog (several days passed since the
  last run, or an invoice issued late) sends one email, for the latest day;
  the earlier days are recorded so that they are never sent afterwards.
  The email says, in plain words, the number, what is unpaid, the due date
  and how many days are left or late, how to pay, and links to the invoice
  in the client portal and its PDF, which is attached.

Who is emailed: the client's contacts, one message each, so no one learns
another's address. The collective's coordinators are not copied. Their
addresses stay private from the client (a client reaches the collective
through the portal, and a collective's people never show their addresses to
outsiders, DESIGN.md "Who sees what"), and they already see what is overdue
on their dashboard and in the invoices list, where one glance replaces a
copy of every reminder of every client.

Delivery is at most once: the row is committed before the email leaves
(``transaction.on_commit``), so a crash in between loses that one email
rather than sending it twice; the invoice's page still shows it unpaid.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from mutualist.billing.models import Invoice, InvoiceReminder
from mutualist.billing.services import billing_settings_get, reminder_days_of
from mutualist.collectives.models import Collective
from mutualist.core.money import Money
from mutualist.members.models import User
from mutualist.work.models import ClientContact

logger = logging.getLogger(__name__)


def invoices_mark_overdue(*, today: dt.date | None = None) -> int:
    """Mark every unpaid invoice whose due date is before ``today`` overdue
    (once: an invoice already marked keeps its first stamp). Returns how many
    it marked."""
    today = today or timezone.localdate()
    return Invoice.objects.filter(
        kind=Invoice.Kind.INVOICE,
        status=Invoice.Status.ISSUED,
        due_date__lt=today,
        overdue_at__isnull=True,
    ).update(overdue_at=timezone.now())


def invoice_reminders_send(*, today: dt.date | None = None) -> int:
    """Claim and send the reminders due by ``today`` for every unpaid
    invoice; returns how many emails it queued (one per invoice reminded,
    whatever the number of its contacts). One invoice per transaction, so
    one that fails leaves the others to be reminded."""
    today = today or timezone.localdate()
    collective_ids = (
        Invoice.objects.filter(kind=Invoice.Kind.INVOICE, status=Invoice.Status.ISSUED)
        .values_list("collective_id", flat=True)
        .distinct()
    )
    reminded = 0
    for collective in Collective.objects.filter(pk__in=list(collective_ids)).order_by("pk"):
        days = sorted(reminder_days_of(billing_settings_get(collective)))
        if not days:
            continue
        # Only invoices whose first reminder day has come.
        candidates = (
            Invoice.objects.filter(
                collective=collective,
                kind=Invoice.Kind.INVOICE,
                status=Invoice.Status.ISSUED,
                due_date__lte=today - dt.timedelta(days=days[0]),
            )
            .prefetch_related("reminders")
            .order_by("due_date", "pk")
        )
        for invoice in candidates:
            assert invoice.due_date is not None  # noqa: S101 -- issued invoices have one
            passed = [day for day in days if invoice.due_date + dt.timedelta(days=day) <= today]
            done = {reminder.days_from_due for reminder in invoice.reminders.all()}
            if set(passed) <= done:
                continue
            try:
                if _claim(invoice_id=invoice.pk, passed=passed, today=today):
                    reminded += 1
            except Exception:
                # Keep going: one invoice must not keep every other client unreminded.
                logger.exception("Could not remind the client of invoice %s", invoice.pk)
    return reminded


def _claim(*, invoice_id: int, passed: Sequence[int], today: dt.date) -> bool:
    """Record every passed reminder day not yet recorded for the invoice and,
    when the latest of them is among those, queue its email after commit.
    Returns whether an email was queued."""
    try:
        with transaction.atomic():
            # The invoice's row lock, which ``payment_record`` takes too: a
            # payment being recorded at this moment is seen before we remind.
            locked = (
                Invoice.objects.select_for_update()
                .filter(pk=invoice_id, kind=Invoice.Kind.INVOICE, status=Invoice.Status.ISSUED)
                .first()
            )
            if locked is None:
                return False
            taken = set(
                InvoiceReminder.objects.filter(invoice=locked).values_list(
                    "days_from_due", flat=True
                )
            )
            claimed = [day for day in passed if day not in taken]
            if not claimed:
                return False
            now = timezone.now()
            # The unique (invoice, days_from_due) is the claim: a twin that got
            # past the checks above fails here and rolls back all it did.
            InvoiceReminder.objects.bulk_create(
                [InvoiceReminder(invoice=locked, days_from_due=day, sent_at=now) for day in claimed]
            )
            latest = max(passed)
            if latest not in claimed:
                # Only days added to the settings after a later day was sent.
                return False
            transaction.on_commit(
                partial(_send_reminder, invoice_id=locked.pk, day=latest, today=today),
                robust=True,
            )
            return True
    except IntegrityError:
        return False


def _contacts(invoice: Invoice) -> list[User]:
    return [
        contact.user
        for contact in ClientContact.objects.filter(
            client_id=invoice.client_id, user__is_active=True
        )
        .select_related("user")
        .order_by("pk")
    ]


def _amount(money: Money) -> str:
    """``1,234.50 AUD``: plain, with the currency's code, in any mail reader."""
    return f"{money.amount:,} {money.currency}"


def reminder_context(*, invoice: Invoice, today: dt.date) -> dict[str, object]:
    """What a reminder for ``invoice`` says on ``today``."""
    assert invoice.due_date is not None  # noqa: S101 -- issued invoices have one
    days = (today - invoice.due_date).days
    invoice_path = reverse("billing:invoice", kwargs={"pk": invoice.pk})
    pdf_path = reverse("billing:invoice_pdf", kwargs={"pk": invoice.pk})
    return {
        "invoice": invoice,
        "unpaid": _amount(Money.from_minor(invoice.outstanding_minor, invoice.currency)),
        "total": _amount(Money.from_minor(invoice.total_minor, invoice.currency)),
        "partly_paid": invoice.paid_minor + invoice.credited_minor > 0,
        "days_overdue": max(days, 0),
        "days_to_due": max(-days, 0),
        "url": f"{settings.SITE_URL}{invoice_path}",
        "pdf_url": f"{settings.SITE_URL}{pdf_path}",
        "site_url": settings.SITE_URL,
    }


def reminder_subject(*, invoice: Invoice, today: dt.date) -> str:
    assert invoice.due_date is not None  # noqa: S101 -- issued invoices have one
    days = (today - invoice.due_date).days
    when = (
        f"is {days} day{'s' if days != 1 else ''} overdue"
        if days > 0
        else "is due today"
        if days == 0
        else f"is due in {-days} day{'s' if days != -1 else ''}"
    )
    return f"Invoice {invoice.number} from {invoice.seller_name} {when}"


def _pdf_of(invoice: Invoice) -> tuple[str, bytes] | None:
    """The invoice's PDF to attach, or ``None`` if it cannot be rendered now
    (the email still goes, with its link to the PDF)."""
    from mutualist.billing.pdf import invoice_pdf, invoice_pdf_filename

    try:
        return invoice_pdf_filename(invoice), invoice_pdf(invoice)
    except Exception:
        logger.exception("Could not render the PDF of invoice %s for its reminder", invoice.pk)
        return None


def _send_reminder(*, invoice_id: int, day: int, today: dt.date) -> None:
    invoice = Invoice.objects.select_related("collective", "client").get(pk=invoice_id)
    if invoice.status != Invoice.Status.ISSUED:
        return  # paid or credited since it was claimed: nothing to ask for
    contacts = _contacts(invoice)
    if not contacts:
        logger.info("Invoice %s is due a reminder but its client has no contacts", invoice.number)
        return
    pdf = _pdf_of(invoice)
    context = reminder_context(invoice=invoice, today=today) | {"pdf_attached": pdf is not None}
    body = render_to_string("billing/email/invoice_reminder.txt", context)
    subject = reminder_subject(invoice=invoice, today=today)
    for user in contacts:
        message = EmailMessage(subject=subject, body=body, to=[user.email])
        if pdf is not None:
            message.attach(pdf[0], pdf[1], "application/pdf")
        message.send()
    logger.info("Reminded the client of invoice %s (day %+d)", invoice.number, day)


__all__ = [
    "invoice_reminders_send",
    "invoices_mark_overdue",
    "reminder_context",
    "reminder_subject",
]
