"""Invoices and credit notes: drafts, their lines, issued snapshots, the split.

Money is ``{"amount": "12.50", "currency": "AUD"}`` with a decimal string;
a tax rate and a line's quantity are decimal strings too (``"10"``,
``"3.3333"``). What a reader sees depends on who they are (the router
decides, see ``InvoiceView``): a member of the collective sees who did each
line's work and, on an issued invoice, the split; a client's contact sees
the invoice as it was sent, never the split or anyone's pay rate. A pay
rate shows to coordinators, and to a member on their own lines.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema
from pydantic import StrictBool, StrictInt

from mutualist.api.schemas.common import CollectiveRefOut, InputSchema, MoneyIn, MoneyOut, PersonOut
from mutualist.api.schemas.work_clients import ClientRefOut
from mutualist.billing.models import Invoice, InvoiceLine
from mutualist.billing.recipients import fund_label
from mutualist.billing.split import MEMBER_PREFIX, TAX, TREASURY, Target, recipient_of
from mutualist.core.money import Money
from mutualist.members.models import User

# --- What the router gathers for one reader ------------------------------------------


@dataclass(frozen=True)
class InvoiceView:
    """An invoice as one reader may see it, with what the schema shows of it.

    ``member_view``: the reader is an active member of the collective (else
    a contact of the client). ``pay_rates_of``: the member ids whose pay
    rates the reader may see (every one for a coordinator, their own for a
    member, none for a contact). ``targets`` and ``received``: the split
    (what each recipient is owed of the invoice, and has been given so far),
    for a member reading an issued invoice; ``None`` otherwise.
    """

    invoice: Invoice
    lines: Sequence[InvoiceLine]
    credit_notes: Sequence[Invoice]
    member_view: bool
    pay_rates_of: frozenset[int]
    today: dt.date
    targets: Sequence[Target] | None = None
    received: Mapping[str, int] = field(default_factory=dict)
    members: Mapping[int, User] = field(default_factory=dict)


def percent_text(value: Decimal | str) -> str:
    """``Decimal("10.000")`` as ``"10"``, ``"7.500"`` as ``"7.5"``; never in exponent form."""
    return f"{Decimal(value).normalize():f}"


def money_of(minor: int, currency: str) -> MoneyOut:
    return MoneyOut.from_minor(minor, currency)


def is_overdue(invoice: Invoice, today: dt.date) -> bool:
    """Issued, not settled, and past its due date (whether or not the
    scheduler has marked it yet)."""
    return (
        invoice.kind == Invoice.Kind.INVOICE
        and invoice.status == Invoice.Status.ISSUED
        and invoice.due_date is not None
        and invoice.due_date < today
    )


def recipient_label(key: str, members: Mapping[int, User]) -> str:
    """The split rule's name for a recipient, in words."""
    if key == TAX:
        return "Tax"
    if key == TREASURY:
        return "Treasury"
    if key.startswith(MEMBER_PREFIX):
        member = members.get(int(key.removeprefix(MEMBER_PREFIX)))
        return member.display_name if member is not None else "A former member"
    return fund_label(key)


def share_words(key: str, amount: Money, members: Mapping[int, User]) -> str:
    """Where one part of a payment went, as a member reads it."""
    label = recipient_label(key, members)
    if key == TAX:
        return f"{amount} is tax, kept for the tax office"
    if key == TREASURY:
        return f"{amount} to the collective's treasury"
    if key.startswith(MEMBER_PREFIX):
        return f"{amount} to {label}, for their share of the work"
    return f"{amount} to the {label[:1].lower()}{label[1:]}"


# --- Output -----------------------------------------------------------------------


class EngagementRefOut(Schema):
    id: int
    title: str


class DocumentRefOut(Schema):
    """An invoice or credit note by id and number."""

    id: int
    number: str | None = Field(description="Null for a draft")


class PartiesOut(Schema):
    """Both parties as they were when the invoice was issued."""

    seller_name: str
    seller_address: str
    buyer_name: str
    buyer_address: str
    buyer_tax_id: str


class InvoiceLineOut(Schema):
    id: int
    position: int
    kind: str = Field(description="time (hours of one member in one role) or fixed")
    description: str
    quantity: str = Field(description="Hours for time, a count for a fixed item", examples=["10"])
    minutes: int | None = Field(description="A time line's minutes, from which it is priced")
    unit_price: MoneyOut
    amount: MoneyOut
    member: PersonOut | None = Field(
        description="Whose work it is; null for a team item, and for the client's contacts"
    )
    role_title: str
    pay_rate: MoneyOut | None = Field(
        description="The member's hourly pay for a time line: for coordinators, and "
        "for the member on their own lines; null otherwise"
    )


class CreditNoteRefOut(Schema):
    id: int
    number: str
    issue_date: dt.date
    total: MoneyOut
    reason: str


class SplitRecipientOut(Schema):
    key: str = Field(description="treasury, tax, a fund's code, or member:<user id>")
    recipient: str = Field(description="member, treasury, fund or tax")
    label: str = Field(examples=["Ana Reyes", "Treasury", "Sick pay fund"])
    member: PersonOut | None
    owed: MoneyOut = Field(description="Their part of the whole invoice (less credit notes)")
    received: MoneyOut = Field(description="What the payments so far have given them")


class SplitOut(Schema):
    """How payments of this invoice are shared out, fixed when it was issued."""

    rule: dict[str, str] = Field(
        description="Percentages of the net amount by recipient, from the bylaws in force "
        "on the issue date; the members share the rest",
        examples=[{"treasury": "10"}],
    )
    member_share_basis: str = Field(
        description="bill: members share by what their lines bill; pay: by their pay for them"
    )
    recipients: list[SplitRecipientOut]


class InvoiceSummaryOut(Schema):
    id: int
    kind: str = Field(description="invoice or credit_note")
    status: str = Field(description="draft, issued, paid or void (credited in full)")
    number: str | None = Field(description="Given at issue; null on a draft")
    collective: CollectiveRefOut
    client: ClientRefOut
    engagement: EngagementRefOut | None
    credits: DocumentRefOut | None = Field(description="The invoice a credit note corrects")
    currency: str
    total: MoneyOut
    paid: MoneyOut
    credited: MoneyOut
    outstanding: MoneyOut = Field(description="What the client still owes on it")
    issue_date: dt.date | None
    due_date: dt.date | None
    overdue: bool = Field(description="Issued, unpaid and past its due date")
    created_at: dt.datetime

    @classmethod
    def fields_of(cls, invoice: Invoice, today: dt.date) -> dict[str, object]:
        currency = invoice.currency
        credits = invoice.credits
        return {
            "id": invoice.pk,
            "kind": invoice.kind,
            "status": invoice.status,
            "number": invoice.number or None,
            "collective": CollectiveRefOut(
                slug=invoice.collective.slug, name=invoice.collective.name
            ),
            "client": ClientRefOut(id=invoice.client.pk, name=invoice.client.name),
            "engagement": (
                EngagementRefOut(id=invoice.engagement.pk, title=invoice.engagement.title)
                if invoice.engagement is not None
                else None
            ),
            "credits": (
                DocumentRefOut(id=credits.pk, number=credits.number or None)
                if credits is not None
                else None
            ),
            "currency": currency,
            "total": money_of(invoice.total_minor, currency),
            "paid": money_of(invoice.paid_minor, currency),
            "credited": money_of(invoice.credited_minor, currency),
            "outstanding": money_of(invoice.outstanding_minor, currency),
            "issue_date": invoice.issue_date,
            "due_date": invoice.due_date,
            "overdue": is_overdue(invoice, today),
            "created_at": invoice.created_at,
        }

    @classmethod
    def build(cls, invoice: Invoice, today: dt.date) -> InvoiceSummaryOut:
        return cls.model_validate(cls.fields_of(invoice, today))


class InvoiceOut(InvoiceSummaryOut):
    tax_rate: str = Field(description="A percentage", examples=["10"])
    tax_label: str
    subtotal: MoneyOut
    tax: MoneyOut
    payment_terms_days: int = Field(description="The due date is the issue date plus these")
    payment_method: str
    period_start: dt.date | None = Field(description="The first day of the time it bills")
    period_end: dt.date | None
    parties: PartiesOut | None = Field(description="The snapshot taken at issue; null on a draft")
    payment_instructions: str
    late_payment_terms: str
    notes: str = Field(description="Notes on the invoice; a credit note's reason")
    lines: list[InvoiceLineOut]
    credit_notes: list[CreditNoteRefOut] = Field(description="The credit notes issued against it")
    split: SplitOut | None = Field(
        description="For members of the collective, on an issued invoice (not a credit "
        "note); null otherwise"
    )
    transaction_id: int | None = Field(
        description="The ledger transaction that booked it (members); null for the client"
    )
    issued_at: dt.datetime | None
    paid_at: dt.datetime | None

    @classmethod
    def build_view(cls, view: InvoiceView) -> InvoiceOut:
        invoice, currency = view.invoice, view.invoice.currency
        issued = invoice.status != Invoice.Status.DRAFT
        return cls.model_validate(
            {
                **cls.fields_of(invoice, view.today),
                "tax_rate": percent_text(invoice.tax_rate),
                "tax_label": invoice.tax_label,
                "subtotal": money_of(invoice.subtotal_minor, currency),
                "tax": money_of(invoice.tax_minor, currency),
                "payment_terms_days": invoice.payment_terms_days,
                "payment_method": invoice.payment_method,
                "period_start": invoice.period_start,
                "period_end": invoice.period_end,
                "parties": (
                    PartiesOut(
                        seller_name=invoice.seller_name,
                        seller_address=invoice.seller_address,
                        buyer_name=invoice.buyer_name,
                        buyer_address=invoice.buyer_address,
                        buyer_tax_id=invoice.buyer_tax_id,
                    )
                    if issued
                    else None
                ),
                "payment_instructions": invoice.payment_instructions,
                "late_payment_terms": invoice.late_payment_terms,
                "notes": invoice.notes,
                "lines": [_line_out(line, view) for line in view.lines],
                "credit_notes": [
                    CreditNoteRefOut(
                        id=note.pk,
                        number=note.number,
                        issue_date=note.issue_date or note.created_at.date(),
                        total=money_of(note.total_minor, note.currency),
                        reason=note.notes,
                    )
                    for note in view.credit_notes
                ],
                "split": _split_out(view) if view.targets is not None else None,
                "transaction_id": invoice.transaction_id if view.member_view else None,
                "issued_at": invoice.issued_at,
                "paid_at": invoice.paid_at,
            }
        )


def _line_out(line: InvoiceLine, view: InvoiceView) -> InvoiceLineOut:
    currency = view.invoice.currency
    member = line.member if view.member_view else None
    pay_rate = None
    if (
        line.pay_rate_minor is not None
        and line.member_id is not None
        and line.member_id in view.pay_rates_of
    ):
        pay_rate = money_of(line.pay_rate_minor, currency)
    return InvoiceLineOut(
        id=line.pk,
        position=line.position,
        kind=line.kind,
        description=line.description,
        quantity=percent_text(line.quantity),
        minutes=line.minutes,
        unit_price=money_of(line.unit_price_minor, currency),
        amount=money_of(line.amount_minor, currency),
        member=PersonOut.from_user(member) if member is not None else None,
        role_title=line.role_title,
        pay_rate=pay_rate,
    )


def _split_out(view: InvoiceView) -> SplitOut:
    invoice = view.invoice
    recipients = []
    for target in view.targets or ():
        member = None
        if target.key.startswith(MEMBER_PREFIX):
            member = view.members.get(int(target.key.removeprefix(MEMBER_PREFIX)))
        recipients.append(
            SplitRecipientOut(
                key=target.key,
                recipient=recipient_of(target.key),
                label=recipient_label(target.key, view.members),
                member=PersonOut.from_user(member) if member is not None else None,
                owed=MoneyOut(amount=str(target.amount.amount), currency=target.amount.currency),
                received=money_of(view.received.get(target.key, 0), invoice.currency),
            )
        )
    return SplitOut(
        rule={code: percent_text(pct) for code, pct in invoice.split_rule.items()},
        member_share_basis=invoice.member_share_basis,
        recipients=recipients,
    )


# --- Input ------------------------------------------------------------------------


class InvoiceFiltersIn(Schema):
    """Query parameters of GET /collectives/{slug}/invoices."""

    status: Literal["draft", "issued", "paid", "void"] | None = None
    kind: Literal["invoice", "credit_note"] | None = None
    # Bounded like a database id: SQLite cannot bind a larger int (a 500).
    client: int | None = Field(None, ge=1, le=2**63 - 1, description="A client's id")
    overdue: bool | None = Field(
        None, description="true: only issued invoices past their due date; false: all others"
    )


class FixedItemIn(InputSchema):
    description: str = Field(max_length=200, examples=["Setting up the help desk"])
    quantity: StrictInt | str = Field(
        description="Above 0, at most four decimal places", examples=["1", "2.5"]
    )
    unit_price: MoneyIn = Field(description="In the invoice's currency; not negative")
    member: StrictInt | str | None = Field(
        None,
        description="Whose work it is (a user id or a handle): their share of each payment "
        "follows it; null for the whole team",
    )


class DraftIn(InputSchema):
    """A draft for an engagement (its unbilled approved time and these items),
    or for a client alone (fixed items only)."""

    engagement: StrictInt | None = Field(None, description="An engagement's id")
    client: StrictInt | None = Field(
        None, description="A client's id, for a draft without an engagement"
    )
    include_time: StrictBool = Field(
        True, description="Bill the engagement's approved, not yet invoiced time"
    )
    until: dt.date | None = Field(
        None, description="Only time started up to the end of this day (the client's time zone)"
    )
    items: list[FixedItemIn] = Field(default_factory=list, description="Fixed items")
    tax_rate: str | None = Field(None, description="A percentage, 0 to 100", examples=["10"])
    tax_label: str = Field("", max_length=40, examples=["GST"])
    notes: str = Field("", max_length=2000)


class DraftPatchIn(InputSchema):
    """Only the fields sent change."""

    tax_rate: str | None = Field(None, description="A percentage, 0 to 100", examples=["10"])
    tax_label: str | None = Field(None, max_length=40)
    notes: str | None = Field(None, max_length=2000)


class IssueIn(InputSchema):
    issue_date: dt.date | None = Field(None, description="Today or a past day; today if absent")


class CreditNoteIn(InputSchema):
    reason: str = Field(max_length=2000, description="Why: it is printed on the credit note")
    amount: MoneyIn | None = Field(
        None, description="In the invoice's currency; all that is still unpaid if absent"
    )
    issue_date: dt.date | None = Field(None, description="Today or a past day; today if absent")
