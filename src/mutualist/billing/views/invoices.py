"""The invoice pages: a collective's invoices, a new draft, one invoice (for
the collective's members and for the client's contacts) and its PDF.

Thin views, as in the ledger's: a permission-scoped selector first (404 for
anyone who may not read the thing), a form, at most one service call, then
a render or a redirect. The members of a collective read its invoices and
where each payment went; only coordinators draft, issue, record payments
and credit (the services refuse anyone else, 403). A client's contacts read
that client's issued invoices, without the split and without the forms.

A new draft is made in ``invoice_new``; the actions on one invoice (editing
a draft, issuing it, a payment, a credit note) are in ``invoice_actions``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Context, Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods

from mutualist.billing.forms_invoices import (
    CREDIT_IDS,
    CreditNoteForm,
    DraftUpdateForm,
    InvoiceFilterForm,
    IssueForm,
    LineAddForm,
    PaymentForm,
)
from mutualist.billing.models import Invoice, Payment, PaymentShare
from mutualist.billing.pdf import (
    decimal_text,
    invoice_document,
    invoice_pdf,
    invoice_pdf_filename,
)
from mutualist.billing.recipients import fund_label
from mutualist.billing.selectors import (
    invoice_credit_notes,
    invoice_get_for_user,
    invoice_is_member_view,
    invoice_list_for_collective,
    is_coordinator_of,
    payment_list_for_invoice,
    payment_shares,
)
from mutualist.collectives.models import Collective
from mutualist.collectives.selectors import (
    collective_get_for_member,
    membership_list_active,
)
from mutualist.core.money import Money
from mutualist.core.web import is_htmx_partial
from mutualist.ledger.selectors import account_list_convertible
from mutualist.members.models import User
from mutualist.members.web import request_member
from mutualist.work.models import Client
from mutualist.work.selectors.clients import collective_client_list

_TEMPLATES = "billing/invoices"
PAGE_SIZE = 25


# --- The list -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InvoiceRow:
    invoice: Invoice
    total: Money
    unpaid: Money
    overdue: bool
    status: str


def status_label(invoice: Invoice, today: dt.date) -> tuple[str, bool]:
    """What the status column says, and whether the invoice is overdue: due
    before today with something still unpaid."""
    if invoice.kind == Invoice.Kind.CREDIT_NOTE:
        return "Credit note", False
    overdue = (
        invoice.status == Invoice.Status.ISSUED
        and invoice.due_date is not None
        and invoice.due_date < today
        and invoice.outstanding_minor > 0
    )
    return ("Overdue" if overdue else invoice.get_status_display()), overdue


def invoice_row(invoice: Invoice, today: dt.date) -> InvoiceRow:
    label, overdue = status_label(invoice, today)
    total = Money.from_minor(invoice.total_minor, invoice.currency)
    return InvoiceRow(
        invoice=invoice,
        # A credit note takes its total off what the client owes.
        total=-total if invoice.kind == Invoice.Kind.CREDIT_NOTE else total,
        unpaid=Money.from_minor(invoice.outstanding_minor, invoice.currency),
        overdue=overdue,
        status=label,
    )


def _clients_of(collective: Collective) -> QuerySet[Client]:
    return collective_client_list(collective=collective)


@login_required
@require_GET
def invoice_list(request: HttpRequest, slug: str) -> HttpResponse:
    collective, membership = collective_get_for_member(user=request_member(request), slug=slug)
    form = InvoiceFilterForm(request.GET or None, clients=_clients_of(collective))
    rows: Any = Invoice.objects.none()
    if not form.is_bound or form.is_valid():
        data = form.cleaned_data if form.is_bound else {}
        client = data.get("client")
        rows = invoice_list_for_collective(
            collective=collective,
            status=data.get("status") or None,
            client_id=client.pk if client is not None else None,
        )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    partial = is_htmx_partial(request)
    response = render(
        request,
        f"{_TEMPLATES}/{'_list_results.html' if partial else 'list.html'}",
        {
            "collective": collective,
            "is_coordinator": membership.is_coordinator,
            "form": form,
            "page_obj": page,
            "rows": [invoice_row(invoice, today) for invoice in page],
        },
    )
    patch_vary_headers(response, ("HX-Request",))
    return response


def _members_of(collective: Collective, viewer: User) -> list[User]:
    return [m.user for m in membership_list_active(collective=collective, viewer=viewer)]


# --- One invoice ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ShareRow:
    who: str
    amount: Money
    why: str


@dataclass(frozen=True, slots=True)
class PaymentRow:
    payment: Payment
    amount: Money  # as received
    applied: Money  # in the invoice's currency
    credit: Money  # kept as the client's credit
    rate: str
    shares: list[ShareRow]


def _percent(invoice: Invoice, code: str) -> str:
    """The split rule's percentage for ``code`` ("10" for "10.00")."""
    raw = invoice.split_rule.get(code)
    if raw in (None, ""):
        return ""
    return decimal_text(Decimal(str(raw)))


def share_row(share: PaymentShare, invoice: Invoice, viewer: User) -> ShareRow:
    """One share of a payment in plain words: "Treasury: A$9.09 (10% of the net)"."""
    amount = Money.from_minor(share.amount_minor, share.currency)
    if share.recipient == PaymentShare.Recipient.MEMBER and share.member is not None:
        if share.member_id == viewer.pk:
            return ShareRow(f"{share.member.display_name} (you)", amount, "your share of the work")
        return ShareRow(share.member.display_name, amount, "their share of the work")
    if share.recipient == PaymentShare.Recipient.TAX:
        return ShareRow(invoice.tax_label or "Tax", amount, "held for the tax office")
    percent = _percent(invoice, share.key)
    if share.recipient == PaymentShare.Recipient.TREASURY:
        why = f"{percent}% of the net" if percent else "the collective's share"
        return ShareRow("Treasury", amount, why)
    why = f"{percent}% of the net" if percent else "its levy"
    return ShareRow(fund_label(share.key), amount, why)


def rate_words(payment: Payment, invoice: Invoice) -> str:
    """``1 PHP = 0.0169434 USD``: the direction said, six significant digits
    (the payment's own page and the books keep the exact rate); empty when
    the payment came in the invoice's currency."""
    if payment.fx_rate is None:
        return ""
    shown = payment.fx_rate.normalize(Context(prec=6))
    return f"1 {payment.currency} = {decimal_text(shown)} {invoice.currency}"


def payment_rows(invoice: Invoice, viewer: User, *, with_shares: bool) -> list[PaymentRow]:
    rows = []
    for payment in payment_list_for_invoice(invoice=invoice):
        shares = (
            [share_row(share, invoice, viewer) for share in payment_shares(payment=payment)]
            if with_shares
            else []
        )
        rows.append(
            PaymentRow(
                payment=payment,
                amount=Money.from_minor(payment.amount_minor, payment.currency),
                applied=Money.from_minor(payment.applied_minor, invoice.currency),
                credit=Money.from_minor(payment.credit_minor, invoice.currency),
                rate=rate_words(payment, invoice),
                shares=shares,
            )
        )
    return rows


def invoice_page_context(
    user: User,
    invoice: Invoice,
    *,
    update_form: DraftUpdateForm | None = None,
    line_form: LineAddForm | None = None,
    issue_form: IssueForm | None = None,
    payment_form: PaymentForm | None = None,
    credit_form: CreditNoteForm | None = None,
    notice: str = "",
) -> dict[str, Any]:
    """Everything the invoice page (and its htmx fragment) shows to ``user``."""
    is_member = invoice_is_member_view(user=user, invoice=invoice)
    is_coordinator = is_member and is_coordinator_of(user, invoice.collective_id)
    is_draft = invoice.status == Invoice.Status.DRAFT
    can_edit = is_coordinator and is_draft
    # Payments and credit notes for an issued invoice with something unpaid.
    can_collect = (
        is_coordinator
        and invoice.kind == Invoice.Kind.INVOICE
        and invoice.status == Invoice.Status.ISSUED
    )
    today = timezone.localdate()
    label, overdue = status_label(invoice, today) if not is_draft else ("Draft", False)
    context: dict[str, Any] = {
        "invoice": invoice,
        "doc": invoice_document(invoice),
        "status": label,
        "overdue": overdue,
        "is_member": is_member,
        "is_coordinator": is_coordinator,
        "can_edit": can_edit,
        "can_collect": can_collect,
        "notice": notice,
        "payments": [] if is_draft else payment_rows(invoice, user, with_shares=is_member),
        "credit_notes": [
            invoice_row(note, today) for note in invoice_credit_notes(invoice=invoice)
        ],
    }
    if can_edit:
        members = _members_of(invoice.collective, user)
        context["update_form"] = update_form or DraftUpdateForm(
            initial=DraftUpdateForm.initial_for(invoice)
        )
        context["line_form"] = line_form or LineAddForm(prefix="line", members=members)
        context["issue_form"] = issue_form or IssueForm()
    if can_collect:
        context["payment_form"] = payment_form or PaymentForm(
            invoice=invoice,
            accounts=account_list_convertible(collective=invoice.collective),
            initial=PaymentForm.initial_for(invoice),
        )
        # Its own ids: the payment form beside it has fields of the same
        # names, and a label must point at its own form's box.
        context["credit_form"] = credit_form or CreditNoteForm(
            invoice=invoice, initial=CreditNoteForm.initial_for(), auto_id=CREDIT_IDS
        )
    return context


@login_required
@require_http_methods(["GET", "HEAD"])
def invoice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_member(request)
    invoice = invoice_get_for_user(user=user, pk=pk)
    return render(request, f"{_TEMPLATES}/detail.html", invoice_page_context(user, invoice))


@login_required
@require_http_methods(["GET", "HEAD"])
def invoice_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The PDF, for the collective's members (a draft's marked DRAFT) and for
    the client's contacts (issued ones only: the selector hides drafts)."""
    invoice = invoice_get_for_user(user=request_member(request), pk=pk)
    response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{invoice_pdf_filename(invoice)}"'
    return response
