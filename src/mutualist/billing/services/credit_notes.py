"""Credit notes: the only way to correct an issued invoice.

A credit note is a numbered document of its own (its own series) that takes
an amount off what a client owes on one invoice. It can credit at most what
is still unpaid. In the books it undoes that part of the issue: ``Cr
Receivable`` the amount, ``Dr Invoiced`` and ``Dr Tax`` in the proportion of
the invoice's net and tax (see ``split.credit_split``). An invoice credited down to nothing owed becomes
``void`` (or ``paid``, if part of it had been paid).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from mutualist.billing.accounts import invoiced_account, receivable_account, tax_account
from mutualist.billing.models import Invoice, InvoiceLine
from mutualist.billing.recipients import credit_guards_check
from mutualist.billing.services._common import MAX_TEXT, require_coordinator, text_clean
from mutualist.billing.services.payments import invoice_targets, shares_so_far
from mutualist.billing.services.settings import number_next
from mutualist.billing.split import credit_split
from mutualist.core.errors import Conflict, ValidationFailed
from mutualist.core.money import Money
from mutualist.ledger.models import Transaction
from mutualist.ledger.services import Line, ledger_date_validate, transaction_post
from mutualist.members.models import User


def _replayed(
    *, invoice: Invoice, key: str, amount_minor: int | None, reason: str
) -> Invoice | None:
    first = Transaction.objects.filter(idempotency_key=key).first()
    if first is None:
        return None
    note = Invoice.objects.filter(transaction=first).first()
    if note is None or note.credits_id != invoice.pk:
        raise Conflict(
            "That idempotency key was already used for something else.",
            code="idempotency_key_reused",
            field="idempotency_key",
        )
    if (amount_minor is not None and note.total_minor != amount_minor) or note.notes != reason:
        raise Conflict(
            "That idempotency key was already used for a different credit note.",
            code="idempotency_key_reused",
            field="idempotency_key",
        )
    return note


def credit_note_issue(
    *,
    invoice: Invoice,
    actor: User,
    reason: str,
    idempotency_key: str,
    amount: Money | None = None,
    issue_date: dt.date | None = None,
) -> Invoice:
    """Credit ``amount`` (all that is still unpaid when ``None``) of an
    issued invoice, for ``reason``; returns the issued credit note. A retry
    with the same ``idempotency_key`` returns the first credit note.

    Refuses: a draft (delete it instead), a credit note, an invoice with
    nothing left unpaid, an amount of zero or less, in another currency, or
    beyond what is unpaid."""
    require_coordinator(collective=invoice.collective, actor=actor)
    why = text_clean(reason, field="reason", max_length=MAX_TEXT, required=True)
    day = issue_date or timezone.localdate()
    if day > timezone.localdate():  # before the books' range, which reaches a year ahead
        raise ValidationFailed(
            "A credit note is issued today or on a past day.",
            code="issue_date_in_future",
            field="issue_date",
        )
    ledger_date_validate(day, field="issue_date")
    if amount is not None:
        if not isinstance(amount, Money):
            raise TypeError("A credit is Money.")
        if amount.currency != invoice.currency:
            raise ValidationFailed(
                f"The invoice is in {invoice.currency}, not {amount.currency}.",
                code="currency_mismatch",
                field="amount",
            )
        if amount.amount <= 0:
            raise ValidationFailed(
                "Credit an amount above zero.", code="invalid_amount", field="amount"
            )
    key = f"billing:credit:{invoice.collective_id}:{idempotency_key}"
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        replay = _replayed(
            invoice=locked,
            key=key,
            amount_minor=amount.minor_units if amount is not None else None,
            reason=why,
        )
        if replay is not None:
            return replay
        if locked.kind != Invoice.Kind.INVOICE:
            raise ValidationFailed(
                "A credit note cannot itself be credited.", code="not_an_invoice", field="invoice"
            )
        if locked.status == Invoice.Status.DRAFT:
            raise Conflict(
                "A draft is not owed yet; change it or delete it instead.",
                code="invoice_draft",
            )
        unpaid = locked.outstanding_minor
        if unpaid <= 0:
            raise Conflict(
                f"Nothing is left unpaid on {locked.number} to credit.",
                code="nothing_to_credit",
            )
        # The apps above billing may hold a stake in the invoice (a fund
        # that paid the members for it): they may refuse.
        credit_guards_check(locked)
        credit = amount.minor_units if amount is not None else unpaid
        if credit > unpaid:
            shown = Money.from_minor(unpaid, locked.currency)
            raise ValidationFailed(
                f"Only {shown} is unpaid on {locked.number}; a credit note cannot take off more.",
                code="credit_beyond_unpaid",
                field="amount",
            )
        if locked.issue_date is not None and day < locked.issue_date:
            raise ValidationFailed(
                f"{locked.number} was issued on {locked.issue_date.isoformat()}; its credit "
                "note cannot be dated before that.",
                code="date_before_issue",
                field="issue_date",
            )
        currency = locked.currency
        total = Money.from_minor(credit, currency)
        # The tax in the invoice's own proportion, taken off what each
        # recipient is still owed (see split.credit_split): a recipient
        # already given their part keeps it, and later payments still bring
        # everyone exactly to their share of what is left.
        split = credit_split(
            amount=total,
            invoice_net=Money.from_minor(locked.subtotal_minor, currency),
            invoice_tax=Money.from_minor(locked.tax_minor, currency),
            targets=invoice_targets(locked),
            already=shares_so_far(locked),
        )
        net, tax = split.net, split.tax
        number, series, seq = number_next(
            collective=locked.collective, kind=Invoice.Kind.CREDIT_NOTE, issue_date=day
        )
        now = timezone.now()
        note = Invoice.objects.create(
            collective=locked.collective,
            client=locked.client,
            engagement=locked.engagement,
            kind=Invoice.Kind.CREDIT_NOTE,
            credits=locked,
            status=Invoice.Status.DRAFT,
            currency=currency,
            tax_rate=locked.tax_rate,
            tax_label=locked.tax_label,
            created_by=actor,
            notes=why,
        )
        InvoiceLine.objects.create(
            invoice=note,
            position=1,
            kind=InvoiceLine.Kind.FIXED,
            description=f"Credit on invoice {locked.number} of {locked.issue_date:%d %b %Y}"[:200],
            quantity=1,
            unit_price_minor=net.minor_units,
            amount_minor=net.minor_units,
        )
        collective, client = locked.collective, locked.client
        lines = [Line(receivable_account(collective, client, currency), -total)]
        if not net.is_zero():
            lines.append(Line(invoiced_account(collective, currency), net))
        if not tax.is_zero():
            lines.append(Line(tax_account(collective, currency), tax))
        posted = transaction_post(
            lines=lines,
            memo=f"Credit note {number} on invoice {locked.number}",
            occurred_at=day,
            idempotency_key=key,
            kind="credit_note",
            cause=locked,
            posted_by=actor,
        )
        Invoice.objects.filter(pk=note.pk).update(
            status=Invoice.Status.ISSUED,
            number=number,
            series=series,
            seq=seq,
            issue_date=day,
            due_date=day,
            subtotal_minor=net.minor_units,
            tax_minor=tax.minor_units,
            total_minor=credit,
            seller_name=locked.seller_name,
            seller_address=locked.seller_address,
            buyer_name=locked.buyer_name,
            buyer_address=locked.buyer_address,
            buyer_tax_id=locked.buyer_tax_id,
            bylaws_id=locked.bylaws_id,
            split_rule=locked.split_rule,
            member_share_basis=locked.member_share_basis,
            transaction=posted,
            issued_at=now,
            issued_by=actor,
        )
        settled = credit == unpaid
        changes: dict[str, object] = {"credited_minor": F("credited_minor") + credit}
        if settled:
            if locked.paid_minor > 0:
                changes.update(status=Invoice.Status.PAID, paid_at=now)
            else:
                changes["status"] = Invoice.Status.VOID
        Invoice.objects.filter(pk=locked.pk).update(**changes)
        note.refresh_from_db()
    return note
