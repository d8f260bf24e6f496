"""Invoices: drafts made from approved time and fixed items, and issuing them.

A draft is the coordinator's to shape: it claims the approved, billable time
it bills (each entry once, ever: ``InvoicedTime.time_entry`` is unique, so a
second claim, even at the same moment, fails and writes nothing), and it can
gain or lose fixed items and change its tax. Deleting a draft gives its time
back. Issuing it gives it the next number, copies both parties and the split
rule in force, fixes its due date from the engagement's terms and books the
receivable in one ledger transaction; from then on it is a snapshot that
only a credit note corrects (``credit_notes``).

Every service here takes the invoice's row lock before it changes anything,
so two hands on one draft are served one after the other.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from mutualist.billing.accounts import invoiced_account, receivable_account, tax_account
from mutualist.billing.models import Invoice, InvoicedTime, InvoiceLine
from mutualist.billing.services._common import (
    MAX_TEXT,
    require_coordinator,
    round_minor,
    text_clean,
)
from mutualist.billing.services.settings import billing_settings_get, number_next
from mutualist.collectives.models import Collective
from mutualist.collectives.selectors import bylaws_in_force, membership_of
from mutualist.core.errors import Conflict, ValidationFailed
from mutualist.core.money import Money
from mutualist.core.reference import MAX_MINOR_UNITS
from mutualist.ledger.services import Line, ledger_date_validate, transaction_post
from mutualist.members.models import User
from mutualist.work.models import Client, Engagement, EngagementMember, TimeEntry

MAX_LINES = 200
MAX_QUANTITY = Decimal("1000000")
MAX_DESCRIPTION = 200
MAX_TAX_LABEL = 40
FOUR_PLACES = Decimal("0.0001")
THREE_PLACES = Decimal("0.001")


@dataclass(frozen=True)
class FixedItem:
    """A fixed line for a draft: ``quantity`` x ``unit_price`` (in the
    invoice's currency), for ``member``'s work or for the whole team."""

    description: str
    quantity: Decimal | str | int
    unit_price: Money
    member: User | None = None


def _locked(invoice: Invoice) -> Invoice:
    return Invoice.objects.select_for_update().get(pk=invoice.pk)


def _require_draft(invoice: Invoice) -> None:
    if invoice.status != Invoice.Status.DRAFT:
        raise Conflict(
            f"{invoice} is issued and cannot be changed; issue a credit note to correct it.",
            code="invoice_issued",
        )


def tax_rate_parse(raw: Decimal | str | int | None, *, field: str = "tax_rate") -> Decimal:
    """A tax percentage from 0 to 100 with at most three decimals."""
    if raw is None or raw == "":
        return Decimal(0)
    if isinstance(raw, bool | float):
        raise TypeError("A tax rate is a Decimal, an int or a string.")
    try:
        rate = raw if isinstance(raw, Decimal) else Decimal(str(raw).strip())
    except InvalidOperation:
        raise ValidationFailed(
            f"{raw!r} is not a percentage.", code="invalid_tax_rate", field=field
        ) from None
    if not rate.is_finite() or not Decimal(0) <= rate <= Decimal(100):
        raise ValidationFailed(
            "A tax rate is a percentage from 0 to 100.", code="invalid_tax_rate", field=field
        )
    if rate != rate.quantize(THREE_PLACES):
        raise ValidationFailed(
            "A tax rate has at most three decimal places.", code="invalid_tax_rate", field=field
        )
    return rate.quantize(THREE_PLACES)


def quantity_parse(raw: Decimal | str | int, *, field: str) -> Decimal:
    if isinstance(raw, bool | float):
        raise TypeError("A quantity is a Decimal, an int or a string.")
    try:
        quantity = raw if isinstance(raw, Decimal) else Decimal(str(raw).strip())
    except InvalidOperation:
        raise ValidationFailed(
            f"{raw!r} is not a quantity.", code="invalid_quantity", field=field
        ) from None
    if not quantity.is_finite() or not Decimal(0) < quantity <= MAX_QUANTITY:
        raise ValidationFailed(
            f"A quantity is above 0 and at most {MAX_QUANTITY}.",
            code="invalid_quantity",
            field=field,
        )
    if quantity != quantity.quantize(FOUR_PLACES):
        raise ValidationFailed(
            "A quantity has at most four decimal places.", code="invalid_quantity", field=field
        )
    return quantity.quantize(FOUR_PLACES)


def _amount_within(minor: int, currency: str, *, field: str) -> int:
    if abs(minor) > MAX_MINOR_UNITS:
        raise ValidationFailed(
            f"That comes to more than any invoice can ask in {currency}.",
            code="amount_too_large",
            field=field,
        )
    return minor


def invoiceable_entries(
    *, engagement: Engagement, until: dt.date | None = None
) -> QuerySet[TimeEntry]:
    """The engagement's approved, billable time no invoice has claimed,
    started before the end of ``until`` (in the engagement's time zone)."""
    entries = TimeEntry.objects.filter(
        engagement=engagement, approved_at__isnull=False, billable=True
    ).exclude(Exists(InvoicedTime.objects.filter(time_entry=OuterRef("pk"))))
    if until is not None:
        zone = ZoneInfo(engagement.timezone)
        end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), tzinfo=zone)
        entries = entries.filter(started_at__lt=end)
    return entries.order_by("started_at", "pk")


def _period_text(first: dt.date, last: dt.date) -> str:
    if first == last:
        return first.strftime("%d %b %Y")
    return f"{first:%d %b %Y} to {last:%d %b %Y}"


def _next_position(invoice: Invoice) -> int:
    last = invoice.lines.order_by("-position").values_list("position", flat=True).first()
    return (last or 0) + 1


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
    invoice.subtotal_minor = _amount_within(subtotal, invoice.currency, field="lines")
    invoice.tax_minor = _amount_within(tax, invoice.currency, field="tax_rate")
    invoice.total_minor = _amount_within(subtotal + tax, invoice.currency, field="lines")
    invoice.save(update_fields=["subtotal_minor", "tax_minor", "total_minor"])


_TAKEN = (
    "Some of this time was invoiced a moment ago by someone else; "
    "nothing was changed. Reload and try again."
)


# Entries checked per query (SQLite's default limit is 999 parameters).
_CHUNK = 900


def _claim_time(*, invoice: Invoice, engagement: Engagement, entries: list[TimeEntry]) -> int:
    """Add a line per member and role for ``entries`` (the engagement's
    unbilled approved time when the request began), and claim them for
    ``invoice``. A group whose time nets to zero or less (a correction
    larger than what is left to bill) waits for the next invoice. Returns
    the number of entries claimed.

    Call holding the engagement's row lock. If another draft claimed any of
    ``entries`` while this one waited (approved entries never change
    otherwise), the request is refused (``time_already_invoiced``) rather
    than quietly billing less than the coordinator asked for; the unique
    ``InvoicedTime.time_entry`` backs that up."""
    ids = [entry.pk for entry in entries]
    for start in range(0, len(ids), _CHUNK):
        if InvoicedTime.objects.filter(time_entry_id__in=ids[start : start + _CHUNK]).exists():
            raise Conflict(_TAKEN, code="time_already_invoiced")
    seats = {
        seat.user_id: seat
        for seat in EngagementMember.objects.filter(engagement=engagement).select_related(
            "user__profile"
        )
    }
    zone = ZoneInfo(engagement.timezone)
    groups: dict[int, list[TimeEntry]] = defaultdict(list)
    for entry in entries:
        if entry.member_id in seats:
            groups[entry.member_id].append(entry)
    claimed = 0
    billed_days: list[dt.date] = []
    position = _next_position(invoice)
    for member_id in sorted(groups, key=lambda uid: (seats[uid].role_title, uid)):
        group = groups[member_id]
        minutes = sum(entry.minutes or 0 for entry in group)
        if minutes <= 0:
            continue
        seat = seats[member_id]
        days = [entry.started_at.astimezone(zone).date() for entry in group]
        amount = round_minor(Decimal(minutes) * Decimal(seat.bill_rate_minor) / Decimal(60))
        line = InvoiceLine.objects.create(
            invoice=invoice,
            position=position,
            kind=InvoiceLine.Kind.TIME,
            description=(
                f"{seat.role_title}: {seat.user.display_name}, {_period_text(min(days), max(days))}"
            )[:MAX_DESCRIPTION],
            quantity=(Decimal(minutes) / Decimal(60)).quantize(FOUR_PLACES),
            minutes=minutes,
            unit_price_minor=seat.bill_rate_minor,
            amount_minor=_amount_within(amount, invoice.currency, field="lines"),
            member_id=member_id,
            role_title=seat.role_title,
            pay_rate_minor=seat.pay_rate_minor,
        )
        position += 1
        try:
            with transaction.atomic():
                InvoicedTime.objects.bulk_create(
                    [InvoicedTime(invoice=invoice, line=line, time_entry=e) for e in group]
                )
        except IntegrityError:
            raise Conflict(_TAKEN, code="time_already_invoiced") from None
        claimed += len(group)
        billed_days += days
    if billed_days:
        invoice.period_start, invoice.period_end = min(billed_days), max(billed_days)
        invoice.save(update_fields=["period_start", "period_end"])
    return claimed


def _period_refresh(invoice: Invoice) -> None:
    """The period a draft covers, from the time it still bills (after a
    time line is removed, its days no longer count)."""
    first = last = None
    if invoice.engagement is not None:
        zone = ZoneInfo(invoice.engagement.timezone)
        days = [
            started.astimezone(zone).date()
            for started in TimeEntry.objects.filter(invoiced__invoice=invoice).values_list(
                "started_at", flat=True
            )
        ]
        if days:
            first, last = min(days), max(days)
    invoice.period_start, invoice.period_end = first, last
    invoice.save(update_fields=["period_start", "period_end"])


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
        amount_minor=_amount_within(amount, invoice.currency, field=f"{field}.quantity"),
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
            claimed = _claim_time(invoice=invoice, engagement=engagement, entries=entries)
        position = _next_position(invoice)
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
        locked = _locked(invoice)
        _require_draft(locked)
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
        locked = _locked(invoice)
        _require_draft(locked)
        if locked.lines.count() >= MAX_LINES:
            raise ValidationFailed(
                f"An invoice has at most {MAX_LINES} lines.", code="too_many_lines", field="items"
            )
        position = _next_position(locked)
        _fixed_line_add(invoice=locked, item=item, position=position, index=0)
        _totals_refresh(locked)
        return locked.lines.get(position=position)


def invoice_line_remove(*, invoice: Invoice, actor: User, line_id: int) -> Invoice:
    """Remove a line from a draft; a time line gives its entries back."""
    require_coordinator(collective=invoice.collective, actor=actor)
    with transaction.atomic():
        locked = _locked(invoice)
        _require_draft(locked)
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
        _period_refresh(locked)
        _totals_refresh(locked)
    return locked


def invoice_draft_delete(*, invoice: Invoice, actor: User) -> None:
    """Delete a draft; the time it claimed can be invoiced again. An issued
    invoice is never deleted (``invoice_issued``): credit it instead."""
    require_coordinator(collective=invoice.collective, actor=actor)
    with transaction.atomic():
        locked = _locked(invoice)
        _require_draft(locked)
        InvoicedTime.objects.filter(invoice=locked).delete()
        locked.lines.all().delete()
        locked.delete()


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
    day = ledger_date_validate(issue_date or timezone.localdate(), field="issue_date")
    if day > timezone.localdate():
        raise ValidationFailed(
            "An invoice is issued today or on a past day, not in the future.",
            code="issue_date_in_future",
            field="issue_date",
        )
    with transaction.atomic():
        locked = _locked(invoice)
        _require_draft(locked)
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
