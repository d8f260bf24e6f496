"""Issuing an invoice: the next number, the snapshot, the receivable booked.

Issuing gives a draft the next number of its series, copies both parties,
the engagement's payment terms and the split rule of the bylaws in force,
fixes its due date and books the receivable in one ledger transaction; from
then on it is a snapshot that only a credit note corrects (``credit_notes``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from mutualist.billing.accounts import invoiced_account, receivable_account, tax_account
from mutualist.billing.models import Invoice, InvoiceLine
from mutualist.billing.services._common import require_coordinator
from mutualist.billing.services.invoices import locked_invoice, require_draft
from mutualist.billing.services.settings import billing_settings_get, number_next
from mutualist.collectives.models import Collective
from mutualist.collectives.selectors import bylaws_in_force
from mutualist.core.errors import ValidationFailed
from mutualist.core.money import Money
from mutualist.ledger.services import Line, ledger_date_validate, transaction_post
from mutualist.members.models import User


def _split_rule(collective: Collective, on: dt.date) -> tuple[int, dict[str, str], str]:
    bylaws = bylaws_in_force(collective=collective, on=on)
    rule = {share.recipient: str(share.percent) for share in bylaws.split_shares.all()}
    return bylaws.pk, rule, bylaws.member_share_basis


def invoice_issue(*, invoice: Invoice, actor: User, issue_date: dt.date | None = None) -> Invoice:
    """Give a draft its number and send it out: copy both parties, the
    engagement's payment terms (due date = issue date + terms) and the split
    rule of the bylaws in force on the issue date; book the receivable
    (``Dr Receivable``, ``Cr Invoiced`` for the net, ``Cr Tax``) in one ledger
    transaction. Issuing what is already issued is refused
    (``invoice_issued``); numbers are gapless (``number_next``)."""
    require_coordinator(collective=invoice.collective, actor=actor)
    day = issue_date or timezone.localdate()
    if day > timezone.localdate():  # before the books' range, which reaches a year ahead
        raise ValidationFailed(
            "An invoice is issued today or on a past day, not in the future.",
            code="issue_date_in_future",
            field="issue_date",
        )
    ledger_date_validate(day, field="issue_date")
    with transaction.atomic():
        locked = locked_invoice(invoice)
        require_draft(locked)
        if locked.total_minor <= 0:
            raise ValidationFailed(
                "An invoice asks for more than nothing; add a line first.",
                code="nothing_to_invoice",
                field="lines",
            )
        collective = locked.collective
        client = locked.client
        settings = billing_settings_get(collective)
        number, series, seq = number_next(collective=collective, kind=locked.kind, issue_date=day)
        bylaws_id, rule, basis = _split_rule(collective, day)
        locked.status = Invoice.Status.ISSUED
        locked.number, locked.series, locked.seq = number, series, seq
        if locked.engagement is not None:
            # The terms in force when it is issued, not when it was drafted:
            # an agreement accepted in between changes what the client owes.
            locked.payment_terms_days = locked.engagement.payment_terms_days
            locked.payment_method = locked.engagement.payment_method
        locked.issue_date = day
        locked.due_date = day + dt.timedelta(days=locked.payment_terms_days)
        locked.seller_name = collective.name
        locked.seller_address = collective.postal_address or _place(collective)
        locked.buyer_name = client.name
        locked.buyer_address = client.billing_address
        locked.buyer_tax_id = client.tax_id
        locked.payment_instructions = settings.payment_instructions
        locked.late_payment_terms = settings.late_payment_terms
        locked.bylaws_id = bylaws_id
        locked.split_rule = rule
        locked.member_share_basis = basis
        locked.issued_at = timezone.now()
        locked.issued_by = actor
        currency = locked.currency
        lines = [
            Line(
                receivable_account(collective, client, currency),
                Money.from_minor(locked.total_minor, currency),
            ),
            Line(
                invoiced_account(collective, currency),
                -Money.from_minor(locked.subtotal_minor, currency),
            ),
        ]
        if locked.tax_minor:
            lines.append(
                Line(
                    tax_account(collective, currency), -Money.from_minor(locked.tax_minor, currency)
                )
            )
        if locked.subtotal_minor == 0:
            lines.pop(1)
        posted = transaction_post(
            lines=lines,
            memo=f"Invoice {number} to {client.name}",
            occurred_at=day,
            idempotency_key=f"billing:invoice:{locked.pk}:issue",
            kind="invoice",
            cause=locked,
            posted_by=actor,
        )
        locked.transaction = posted
        locked.save()
    return locked


def _place(collective: Collective) -> str:
    return ", ".join(part for part in (collective.city, collective.country) if part)


def invoice_member_weights(invoice: Invoice) -> dict[int, int]:
    """Each member's weight in the members' part of a payment: what their
    lines bill (``bill``), or their pay for the hours (``pay``). Pay weights
    are minutes x pay rate (sixty times the pay, so no division rounds)."""
    weights: dict[int, int] = defaultdict(int)
    for line in invoice.lines.all():
        if line.member_id is None:
            continue
        if (
            invoice.member_share_basis == "pay"
            and line.kind == InvoiceLine.Kind.TIME
            and line.pay_rate_minor is not None
            and line.minutes is not None
        ):
            weights[line.member_id] += line.minutes * line.pay_rate_minor
        elif invoice.member_share_basis == "pay":
            # A fixed item for a member counts at its amount in both bases,
            # put on the same scale as minutes x rate (x 60).
            weights[line.member_id] += line.amount_minor * 60
        else:
            weights[line.member_id] += line.amount_minor
    return {member: weight for member, weight in weights.items() if weight > 0}
