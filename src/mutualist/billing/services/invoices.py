"""Invoice drafts: made from approved time and fixed items, changed, deleted.

A draft is the coordinator's to shape: it claims the approved, billable time
it bills (each entry once, ever: ``InvoicedTime.time_entry`` is unique, so a
second claim, even at the same moment, fails and writes nothing), and it can
gain or lose fixed items and change its tax. Deleting a draft gives its time
back. Issuing it (``issue``) freezes it.

Every service here takes the invoice's row lock before it changes anything,
so two hands on one draft are served one after the other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from mutualist.billing.models import Invoice, InvoicedTime, InvoiceLine
from mutualist.billing.services._common import (
    MAX_DESCRIPTION,
    MAX_TAX_LABEL,
    MAX_TEXT,
    amount_within,
    next_position,
    quantity_parse,
    require_coordinator,
    round_minor,
    tax_rate_parse,
    text_clean,
)
from mutualist.billing.services.billed_time import claim_time, invoiceable_entries, period_refresh
from mutualist.collectives.models import Collective
from mutualist.collectives.selectors import membership_of
from mutualist.core.errors import Conflict, ValidationFailed
from mutualist.core.money import Money
from mutualist.ledger.services import ledger_date_validate
from mutualist.members.models import User
from mutualist.work.models import Client, Engagement, TimeEntry

MAX_LINES = 200


@dataclass(frozen=True)
class FixedItem:
    """A fixed line for a draft: ``quantity`` x ``unit_price`` (in the
    invoice's currency), for ``member``'s work or for the whole team."""

    description: str
    quantity: Decimal | str | int
    unit_price: Money
    member: User | None = None


def locked_invoice(invoice: Invoice) -> Invoice:
    return Invoice.objects.select_for_update().get(pk=invoice.pk)


def require_draft(invoice: Invoice) -> None:
    if invoice.status != Invoice.Status.DRAFT:
        raise Conflict(
            f"{invoice} is issued and cannot be changed; issue a credit note to correct it.",
            code="invoice_issued",
        )


def _totals_refresh(invoice: Invoice) -> None:
    """Subtotal, tax and total from the lines: the tax rounded once, half to
    even, on the subtotal."""
    subtotal = sum(invoice.lines.values_list("amount_minor", flat=True), 0)
    if subtotal < 0:  # pragma: no cover -- lines are never negative today
        raise ValidationFailed(
            "The lines come to less than zero; issue a credit note instead.",
            code="invoice_below_zero",
            field="lines",
        )
    tax = round_minor(Decimal(subtotal) * invoice.tax_rate / Decimal(100))
    invoice.subtotal_minor = amount_within(subtotal, invoice.currency, field="lines")
    invoice.tax_minor = amount_within(tax, invoice.currency, field="tax_rate")
    invoice.total_minor = amount_within(subtotal + tax, invoice.currency, field="lines")
    invoice.save(update_fields=["subtotal_minor", "tax_minor", "total_minor"])


def _fixed_line_add(*, invoice: Invoice, item: FixedItem, position: int, index: int) -> None:
    field = f"items[{index}]"
    description = text_clean(
        item.description,
        field=f"{field}.description",
        max_length=MAX_DESCRIPTION,
        required=True,
    )
    quantity = quantity_parse(item.quantity, field=f"{field}.quantity")
    if not isinstance(item.unit_price, Money):
        raise TypeError("A unit price is Money.")
    if item.unit_price.currency != invoice.currency:
        raise ValidationFailed(
            f"This invoice is in {invoice.currency}, not {item.unit_price.currency}.",
            code="currency_mismatch",
            field=f"{field}.unit_price",
        )
    if item.unit_price.amount < 0:
        raise ValidationFailed(
            "A unit price is not negative; correct an issued invoice with a credit note.",
            code="invalid_amount",
            field=f"{field}.unit_price",
        )
    if item.member is not None and not _is_active_member(invoice.collective, item.member):
        raise ValidationFailed(
            f"{item.member.display_name} is not an active member of the collective.",
            code="not_a_member",
            field=f"{field}.member",
        )
    price = item.unit_price.minor_units
    amount = round_minor(quantity * Decimal(price))
    InvoiceLine.objects.create(
        invoice=invoice,
        position=position,
        kind=InvoiceLine.Kind.FIXED,
        description=description,
        quantity=quantity,
        unit_price_minor=price,
        amount_minor=amount_within(amount, invoice.currency, field=f"{field}.quantity"),
        member=item.member,
    )


def _is_active_member(collective: Collective, user: User) -> bool:
    membership = membership_of(user=user, collective=collective)
    return membership is not None and membership.state == membership.State.ACTIVE


def invoice_draft_create(
    *,
    collective: Collective,
    actor: User,
    engagement: Engagement | None = None,
    client: Client | None = None,
    include_time: bool = True,
    until: dt.date | None = None,
    items: Sequence[FixedItem] = (),
    tax_rate: Decimal | str | None = None,
    tax_label: str = "",
    notes: str = "",
) -> Invoice:
    """A draft for ``engagement`` (its client and currency; with its
    unbilled approved time up to ``until`` when ``include_time``), or for
    ``client`` alone with fixed items in the client's currency.

    Refuses an empty draft (``nothing_to_invoice``), an engagement or client
    of another collective, and time someone else claimed at the same moment
    (``time_already_invoiced``); a refusal writes nothing."""
    require_coordinator(collective=collective, actor=actor)
    if engagement is not None:
        if engagement.collective_id != collective.pk:
            raise ValidationFailed(
                "That engagement is not this collective's.",
                code="unknown_engagement",
                field="engagement",
            )
        if engagement.status == Engagement.Status.PENDING:
            raise Conflict(
                "The engagement's agreement is not accepted yet; there is nothing to invoice.",
                code="engagement_pending",
                field="engagement",
            )
        client = engagement.client
        currency = engagement.currency
    elif client is not None:
        if not Engagement.objects.filter(collective=collective, client=client).exists() and (
            client.collective_id != collective.pk
        ):
            raise ValidationFailed(
                "The collective has no engagement with that client.",
                code="unknown_client",
                field="client",
            )
        currency = client.currency
        include_time = False
    else:
        raise ValidationFailed(
            "Say which engagement or client to invoice.", code="required", field="engagement"
        )
    if until is not None:
        ledger_date_validate(until, field="until")
    if len(items) > MAX_LINES:
        raise ValidationFailed(
            f"An invoice has at most {MAX_LINES} lines.", code="too_many_lines", field="items"
        )
    rate = tax_rate_parse(tax_rate)
    label = text_clean(tax_label, field="tax_label", max_length=MAX_TAX_LABEL)
    note = text_clean(notes, field="notes", max_length=MAX_TEXT)
    # What is unbilled now, before waiting for another draft of the
    # engagement: what this request means to bill (and the longest read,
    # done outside the lock).
    entries: list[TimeEntry] = []
    if include_time and engagement is not None:
        entries = list(invoiceable_entries(engagement=engagement, until=until))
    with transaction.atomic():
        if engagement is not None:
            # Serialises drafts of one engagement: the second waits, then
            # finds the first one's time claimed (time_already_invoiced).
            Engagement.objects.select_for_update().get(pk=engagement.pk)
        invoice = Invoice.objects.create(
            collective=collective,
            client=client,
            engagement=engagement,
            currency=currency,
            tax_rate=rate,
            tax_label=label or ("Tax" if rate else ""),
            notes=note,
            payment_terms_days=engagement.payment_terms_days if engagement else 30,
            payment_method=engagement.payment_method if engagement else "",
            created_by=actor,
        )
        claimed = 0
        if include_time and engagement is not None:
            claimed = claim_time(invoice=invoice, engagement=engagement, entries=entries)
        position = next_position(invoice)
        for index, item in enumerate(items):
            _fixed_line_add(invoice=invoice, item=item, position=position + index, index=index)
        if claimed == 0 and not items:
            raise ValidationFailed(
                "There is no approved, unbilled time to invoice"
                + (f" up to {until.isoformat()}" if until else "")
                + "; add a fixed item instead.",
                code="nothing_to_invoice",
                field="engagement" if engagement else "items",
            )
        _totals_refresh(invoice)
    return invoice


def invoice_draft_update(
    *,
    invoice: Invoice,
    actor: User,
    tax_rate: Decimal | str | None = None,
    tax_label: str | None = None,
    notes: str | None = None,
) -> Invoice:
    """Change a draft's tax or notes; the totals follow."""
    require_coordinator(collective=invoice.collective, actor=actor)
    rate = tax_rate_parse(tax_rate) if tax_rate is not None else None
    label = (
        text_clean(tax_label, field="tax_label", max_length=MAX_TAX_LABEL)
        if tax_label is not None
        else None
    )
    note = text_clean(notes, field="notes", max_length=MAX_TEXT) if notes is not None else None
    with transaction.atomic():
        locked = locked_invoice(invoice)
        require_draft(locked)
        fields = []
        if rate is not None:
            locked.tax_rate = rate
            fields.append("tax_rate")
            if rate and not (label or locked.tax_label):
                label = "Tax"
        if label is not None:
            locked.tax_label = label
            fields.append("tax_label")
        if note is not None:
            locked.notes = note
            fields.append("notes")
        if fields:
            locked.save(update_fields=fields)
        _totals_refresh(locked)
    return locked


def invoice_line_add(*, invoice: Invoice, actor: User, item: FixedItem) -> InvoiceLine:
    """Add a fixed item to a draft."""
    require_coordinator(collective=invoice.collective, actor=actor)
    with transaction.atomic():
        locked = locked_invoice(invoice)
        require_draft(locked)
        if locked.lines.count() >= MAX_LINES:
            raise ValidationFailed(
                f"An invoice has at most {MAX_LINES} lines.", code="too_many_lines", field="items"
            )
        position = next_position(locked)
        _fixed_line_add(invoice=locked, item=item, position=position, index=0)
        _totals_refresh(locked)
        return locked.lines.get(position=position)


def invoice_line_remove(*, invoice: Invoice, actor: User, line_id: int) -> Invoice:
    """Remove a line from a draft; a time line gives its entries back."""
    require_coordinator(collective=invoice.collective, actor=actor)
    with transaction.atomic():
        locked = locked_invoice(invoice)
        require_draft(locked)
        line = locked.lines.filter(pk=line_id).first()
        if line is None:
            raise ValidationFailed(
                "That line is not on this invoice.", code="unknown_line", field="line"
            )
        if locked.lines.count() == 1:
            raise ValidationFailed(
                "An invoice keeps at least one line; delete the draft instead.",
                code="last_line",
                field="line",
            )
        InvoicedTime.objects.filter(line=line).delete()
        line.delete()
        period_refresh(locked)
        _totals_refresh(locked)
    return locked


def invoice_draft_delete(*, invoice: Invoice, actor: User) -> None:
    """Delete a draft; the time it claimed can be invoiced again. An issued
    invoice is never deleted (``invoice_issued``): credit it instead."""
    require_coordinator(collective=invoice.collective, actor=actor)
    with transaction.atomic():
        locked = locked_invoice(invoice)
        require_draft(locked)
        InvoicedTime.objects.filter(invoice=locked).delete()
        locked.lines.all().delete()
        locked.delete()
