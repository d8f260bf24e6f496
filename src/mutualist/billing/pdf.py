"""An invoice as a document: what it says, on the web page and in its PDF.

``invoice_document`` gathers everything the document shows (both parties,
the lines, the totals, how to pay) as ``Money`` values and plain text, so the
invoice page and the PDF say exactly the same. An issued invoice shows its
snapshot (the parties and terms as they were when it was issued); a draft,
which has no snapshot yet, shows the parties as they are now.

``invoice_pdf`` renders ``billing/pdf/invoice.html`` with WeasyPrint, as the
work app renders an agreement (``work.selectors.pitches.agreement_pdf``): the
system's fonts, ``SITE_URL`` as the base URL, and a fetcher that fetches
nothing over the network, so a PDF never waits on, or leaks to, another host.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.template.loader import render_to_string

from mutualist.billing.models import BillingSettings, Invoice, InvoiceLine
from mutualist.core.money import Money

# Only ``data:`` URLs (none today): no http, https, ftp or file fetches.
_ALLOWED_PROTOCOLS = ("data",)


def minutes_text(minutes: int) -> str:
    """Minutes as a person reads a duration: 200 -> "3 h 20 min", 600 ->
    "10 h", 45 -> "45 min"."""
    sign = "-" if minutes < 0 else ""
    hours, rest = divmod(abs(minutes), 60)
    if hours and rest:
        return f"{sign}{hours} h {rest} min"
    if hours:
        return f"{sign}{hours} h"
    return f"{sign}{rest} min"


def decimal_text(value: Decimal) -> str:
    """A decimal without trailing zeros or an exponent: 1.5000 -> "1.5",
    10.00 -> "10"."""
    return format(value.normalize(), "f")


@dataclass(frozen=True, slots=True)
class LineRow:
    pk: int
    position: int
    kind: str
    description: str
    # For time: "3 h 20 min" and the hours as a decimal ("3.3333"); for a
    # fixed item: its quantity ("2") and no duration.
    duration: str
    quantity: str
    unit_price: Money
    amount: Money
    member_name: str
    is_time: bool
    # The hours as a decimal under the duration, when it is not whole hours
    # ("3.3333 h" under "3 h 20 min"; nothing under "10 h").
    hours_note: str


@dataclass(frozen=True, slots=True)
class InvoiceDocument:
    invoice: Invoice
    title: str  # "Invoice" or "Credit note"
    number: str  # "" for a draft
    is_draft: bool
    is_credit_note: bool
    currency: str
    seller_name: str
    seller_address: str
    buyer_name: str
    buyer_address: str
    buyer_tax_id: str
    issue_date: dt.date | None
    due_date: dt.date | None
    period_start: dt.date | None
    period_end: dt.date | None
    lines: list[LineRow]
    subtotal: Money
    tax: Money
    total: Money
    tax_label: str
    tax_rate: str  # "10" for 10 %
    paid: Money
    credited: Money
    unpaid: Money
    payment_method: str
    payment_instructions: str
    late_payment_terms: str
    notes: str
    # For a credit note: the invoice it credits.
    credits_number: str
    credits_issue_date: dt.date | None

    @property
    def has_tax(self) -> bool:
        return not self.tax.is_zero() or self.invoice.tax_rate > 0

    @property
    def filename(self) -> str:
        return invoice_pdf_filename(self.invoice)


def _line_row(line: InvoiceLine, currency: str) -> LineRow:
    is_time = line.kind == InvoiceLine.Kind.TIME and line.minutes is not None
    return LineRow(
        pk=line.pk,
        position=line.position,
        kind=line.kind,
        description=line.description,
        duration=minutes_text(line.minutes) if is_time and line.minutes is not None else "",
        quantity=decimal_text(line.quantity),
        unit_price=Money.from_minor(line.unit_price_minor, currency),
        amount=Money.from_minor(line.amount_minor, currency),
        member_name=line.member.display_name if line.member is not None else "",
        is_time=is_time,
        hours_note=(
            f"{decimal_text(line.quantity)} h" if is_time and (line.minutes or 0) % 60 else ""
        ),
    )


def _place(invoice: Invoice) -> str:
    collective = invoice.collective
    if collective.postal_address:
        return collective.postal_address
    return ", ".join(part for part in (collective.city, collective.country) if part)


def invoice_document(invoice: Invoice) -> InvoiceDocument:
    """What ``invoice`` says, read for a page or a PDF. The caller has read
    the invoice through a permission-scoped selector
    (``invoice_get_for_user``), with its collective and client loaded."""
    currency = invoice.currency
    lines = [
        _line_row(line, currency)
        for line in invoice.lines.select_related("member__profile").order_by("position")
    ]
    is_draft = invoice.status == Invoice.Status.DRAFT
    if is_draft:
        # No snapshot yet: the parties and terms as they stand today, which
        # issuing will copy. Reading the settings creates nothing.
        client = invoice.client
        terms = BillingSettings.objects.filter(collective_id=invoice.collective_id).first()
        seller_name, seller_address = invoice.collective.name, _place(invoice)
        buyer_name, buyer_address, buyer_tax_id = (
            client.name,
            client.billing_address,
            client.tax_id,
        )
        instructions = terms.payment_instructions if terms else ""
        late_terms = terms.late_payment_terms if terms else ""
    else:
        seller_name, seller_address = invoice.seller_name, invoice.seller_address
        buyer_name, buyer_address = invoice.buyer_name, invoice.buyer_address
        buyer_tax_id = invoice.buyer_tax_id
        instructions = invoice.payment_instructions
        late_terms = invoice.late_payment_terms
    is_credit_note = invoice.kind == Invoice.Kind.CREDIT_NOTE
    credited = invoice.credits if is_credit_note else None
    return InvoiceDocument(
        invoice=invoice,
        title="Credit note" if is_credit_note else "Invoice",
        number=invoice.number,
        is_draft=is_draft,
        is_credit_note=is_credit_note,
        currency=currency,
        seller_name=seller_name,
        seller_address=seller_address,
        buyer_name=buyer_name,
        buyer_address=buyer_address,
        buyer_tax_id=buyer_tax_id,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        lines=lines,
        subtotal=Money.from_minor(invoice.subtotal_minor, currency),
        tax=Money.from_minor(invoice.tax_minor, currency),
        total=Money.from_minor(invoice.total_minor, currency),
        tax_label=invoice.tax_label or "Tax",
        tax_rate=decimal_text(invoice.tax_rate),
        paid=Money.from_minor(invoice.paid_minor, currency),
        credited=Money.from_minor(invoice.credited_minor, currency),
        unpaid=Money.from_minor(invoice.outstanding_minor, currency),
        payment_method=invoice.payment_method,
        payment_instructions=instructions,
        late_payment_terms=late_terms,
        notes=invoice.notes,
        credits_number=credited.number if credited is not None else "",
        credits_issue_date=credited.issue_date if credited is not None else None,
    )


def invoice_pdf_html(invoice: Invoice) -> str:
    """The HTML handed to WeasyPrint for ``invoice_pdf``."""
    return render_to_string("billing/pdf/invoice.html", {"doc": invoice_document(invoice)})


def invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice (or credit note) as a PDF. A draft is marked DRAFT."""
    import weasyprint  # type: ignore[import-untyped]  # heavy: imported when a PDF is asked for

    fetcher = weasyprint.URLFetcher(allowed_protocols=_ALLOWED_PROTOCOLS)
    pdf: bytes = weasyprint.HTML(
        string=invoice_pdf_html(invoice), base_url=settings.SITE_URL, url_fetcher=fetcher
    ).write_pdf()
    return pdf


def invoice_pdf_filename(invoice: Invoice) -> str:
    """``MANILA-2026-0001.pdf``; a number pattern may hold ``/``, which a
    file name may not."""
    if not invoice.number:
        return f"draft-invoice-{invoice.pk}.pdf"
    return invoice.number.replace("/", "-") + ".pdf"


__all__ = [
    "InvoiceDocument",
    "LineRow",
    "decimal_text",
    "invoice_document",
    "invoice_pdf",
    "invoice_pdf_filename",
    "invoice_pdf_html",
    "minutes_text",
]
