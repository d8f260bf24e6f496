"""Invoices and credit notes: drafts from approved time and fixed items,
issuing, credit notes, the PDF, and a client's own invoices.

- A collective's active members read its invoices, drafts included, and see
  who did each line's work and how payments are split; its coordinators
  change them (a member gets ``403 not_coordinator``).
- A client's contacts read the client's issued invoices and credit notes
  (``GET /me/invoices``, ``GET /invoices/{id}``, the PDF), never a draft,
  never the split.
- Anyone else gets 404.

Issuing books the receivable and a credit note takes money off it, so both
need an ``Idempotency-Key`` header (``mutualist.api.idempotency``): a retry
with the same key and body answers as the first request did, with
``Idempotent-Replayed: true``, and issues nothing new. Making a draft takes
one too, optionally: with it, a retried draft is not made twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router, Status
from ninja.params import HeaderEx

from mutualist.api.auth import request_user
from mutualist.api.idempotency import idempotent, key_header
from mutualist.api.pagination import Page, PageParams, paginate
from mutualist.api.routers import responses
from mutualist.api.routers.billing_common import (
    dotted_fields,
    money_in,
    person_in,
    service_key,
)
from mutualist.api.schemas.billing_invoices import (
    CreditNoteIn,
    DraftIn,
    DraftPatchIn,
    FixedItemIn,
    InvoiceFiltersIn,
    InvoiceOut,
    InvoiceSummaryOut,
    InvoiceView,
    IssueIn,
)
from mutualist.billing.models import Invoice
from mutualist.billing.pdf import invoice_pdf, invoice_pdf_filename
from mutualist.billing.selectors import (
    invoice_credit_notes,
    invoice_get_for_user,
    invoice_is_member_view,
    invoice_list_for_collective,
    invoice_list_for_contact,
    is_coordinator_of,
)
from mutualist.billing.services import (
    FixedItem,
    credit_note_issue,
    invoice_draft_create,
    invoice_draft_delete,
    invoice_draft_update,
    invoice_issue,
    invoice_line_add,
    invoice_line_remove,
    invoice_targets,
    shares_so_far,
)
from mutualist.collectives.models import Collective
from mutualist.collectives.selectors import (
    collective_get_for_coordinator,
    collective_get_for_member,
)
from mutualist.core.errors import DomainError, PermissionDenied, ValidationFailed
from mutualist.members.models import User
from mutualist.work.models import Client, Engagement
from mutualist.work.selectors.access import client_get_for_user, engagement_get_for_user

router = Router(tags=["billing: invoices"])


# --- Reading ------------------------------------------------------------------------


def invoice_view(user: User, invoice: Invoice) -> InvoiceView:
    """``invoice`` as ``user`` may see it (see ``InvoiceView``)."""
    member_view = invoice_is_member_view(user=user, invoice=invoice)
    lines = list(invoice.lines.select_related("member__profile").order_by("position"))
    if not member_view:
        pay_rates_of: frozenset[int] = frozenset()
    elif is_coordinator_of(user, invoice.collective_id):
        pay_rates_of = frozenset(line.member_id for line in lines if line.member_id is not None)
    else:
        pay_rates_of = frozenset({user.pk})
    credit_notes = (
        list(invoice_credit_notes(invoice=invoice)) if invoice.kind == Invoice.Kind.INVOICE else []
    )
    targets, received, members = None, {}, {}
    if (
        member_view
        and invoice.kind == Invoice.Kind.INVOICE
        and invoice.status != Invoice.Status.DRAFT
    ):
        targets, received = invoice_targets(invoice), shares_so_far(invoice)
        members = {line.member.pk: line.member for line in lines if line.member is not None}
    return InvoiceView(
        invoice=invoice,
        lines=lines,
        credit_notes=credit_notes,
        member_view=member_view,
        pay_rates_of=pay_rates_of,
        today=timezone.localdate(),
        targets=targets,
        received=received,
        members=members,
    )


def invoice_out(user: User, pk: int) -> InvoiceOut:
    """The invoice read fresh (after a write) as ``user`` sees it."""
    return InvoiceOut.build_view(invoice_view(user, invoice_get_for_user(user=user, pk=pk)))


def require_coordinator(user: User, invoice: Invoice) -> None:
    """Changing an invoice is for its collective's coordinators: the members
    and the client's contacts who may read it get 403, before anything runs
    (and before a stored answer is replayed)."""
    if not is_coordinator_of(user, invoice.collective_id):
        raise PermissionDenied(
            "Only a coordinator of this collective can do that.", code="not_coordinator"
        )


def _filtered(rows: QuerySet[Invoice], filters: InvoiceFiltersIn) -> QuerySet[Invoice]:
    """The filters the selectors do not take: kind and overdue (issued and
    past the due date today, whether or not the scheduler has marked it)."""
    if filters.kind:
        rows = rows.filter(kind=filters.kind)
    if filters.overdue is not None:
        late = Q(
            kind=Invoice.Kind.INVOICE,
            status=Invoice.Status.ISSUED,
            due_date__lt=timezone.localdate(),
        )
        rows = rows.filter(late) if filters.overdue else rows.exclude(late)
    return rows


@router.get(
    "/collectives/{slug}/invoices",
    response=responses({200: Page[InvoiceSummaryOut]}),
    summary="A collective's invoices and credit notes, drafts included (members)",
)
def invoices_list(
    request: HttpRequest, slug: str, filters: Query[InvoiceFiltersIn], page: Query[PageParams]
) -> Page[InvoiceSummaryOut]:
    """Newest first, by issue date."""
    collective, _ = collective_get_for_member(user=request_user(request), slug=slug)
    rows = invoice_list_for_collective(
        collective=collective, status=filters.status, client_id=filters.client
    )
    today = timezone.localdate()
    return paginate(_filtered(rows, filters), page, lambda row: InvoiceSummaryOut.build(row, today))


@router.get(
    "/me/invoices",
    response=responses({200: Page[InvoiceSummaryOut]}),
    summary="The issued invoices and credit notes of the clients you act for",
)
def my_invoices(
    request: HttpRequest, filters: Query[InvoiceFiltersIn], page: Query[PageParams]
) -> Page[InvoiceSummaryOut]:
    """For a client's contacts: every collective's invoices to their clients,
    newest first. Members read their collective's at
    ``/collectives/{slug}/invoices``."""
    rows = invoice_list_for_contact(user=request_user(request))
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.client:
        rows = rows.filter(client_id=filters.client)
    today = timezone.localdate()
    return paginate(_filtered(rows, filters), page, lambda row: InvoiceSummaryOut.build(row, today))


@router.get(
    "/invoices/{int:invoice_id}",
    response=responses({200: InvoiceOut}),
    summary="One invoice or credit note (members; the client's contacts once issued)",
)
def invoice_detail(request: HttpRequest, invoice_id: int) -> InvoiceOut:
    """With its lines and credit notes; for members also whose work each line
    is, and on an issued invoice how its payments are split."""
    return invoice_out(request_user(request), invoice_id)


@router.get(
    "/invoices/{int:invoice_id}/pdf",
    response=responses({200: None}),
    summary="An invoice or credit note as a PDF (application/pdf)",
)
def invoice_pdf_download(request: HttpRequest, invoice_id: int) -> HttpResponse:
    """The document the client receives: both parties, the lines, the
    totals, the due date, how to pay and the late-payment terms. A draft's
    (members only) is marked DRAFT."""
    invoice = invoice_get_for_user(user=request_user(request), pk=invoice_id)
    response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{invoice_pdf_filename(invoice)}"'
    return response


# --- Drafts -------------------------------------------------------------------------


@contextmanager
def _item_fields() -> Iterator[None]:
    """A one-item body: the service's ``items[0].quantity`` is the body's ``quantity``."""
    try:
        yield
    except DomainError as exc:
        if exc.field and exc.field.startswith("items[0]."):
            exc.field = exc.field.removeprefix("items[0].")
        raise


def _fixed_item(item: FixedItemIn, *, collective: Collective, field: str) -> FixedItem:
    prefix = f"{field}." if field else ""
    return FixedItem(
        description=item.description,
        quantity=item.quantity,
        unit_price=money_in(item.unit_price, field=f"{prefix}unit_price"),
        member=(
            person_in(item.member, collective=collective, field=f"{prefix}member", active=True)
            if item.member is not None
            else None
        ),
    )


def _engagement(user: User, pk: int) -> Engagement:
    """An engagement named in a body: one the caller cannot see is an input
    at fault (422), not a missing page."""
    try:
        return engagement_get_for_user(user=user, pk=pk)
    except Http404:
        raise ValidationFailed(
            "That engagement is not this collective's.",
            code="unknown_engagement",
            field="engagement",
        ) from None


def _client(user: User, pk: int) -> Client:
    try:
        return client_get_for_user(user=user, pk=pk)
    except Http404:
        raise ValidationFailed(
            "The collective has no engagement with that client.",
            code="unknown_client",
            field="client",
        ) from None


def _draft_create(*, user: User, collective: Collective, payload: DraftIn) -> Status[InvoiceOut]:
    if payload.engagement is not None and payload.client is not None:
        raise ValidationFailed(
            "Give an engagement (its client follows) or a client, not both.",
            code="validation_failed",
            field="client",
        )
    with dotted_fields():
        draft = invoice_draft_create(
            collective=collective,
            actor=user,
            engagement=_engagement(user, payload.engagement) if payload.engagement else None,
            client=_client(user, payload.client) if payload.client else None,
            include_time=payload.include_time,
            until=payload.until,
            items=[
                _fixed_item(item, collective=collective, field=f"items.{index}")
                for index, item in enumerate(payload.items)
            ],
            tax_rate=payload.tax_rate,
            tax_label=payload.tax_label,
            notes=payload.notes,
        )
    return Status(201, invoice_out(user, draft.pk))


@router.post(
    "/collectives/{slug}/invoices",
    response=responses({201: InvoiceOut}),
    summary="Make a draft from an engagement's approved time and fixed items (coordinators)",
)
def invoice_draft_new(
    request: HttpRequest,
    response: HttpResponse,
    slug: str,
    payload: DraftIn,
    idempotency_key: HeaderEx[str | None, key_header("making this draft (optional)")] = None,
) -> Status[InvoiceOut]:
    """For ``engagement``: a line per member and role for its approved,
    billable time not yet invoiced (up to ``until``), hours x bill rate,
    plus ``items``; that time is claimed, so no other invoice bills it. For
    ``client`` alone: fixed items in the client's currency. A draft moves no
    money and can change until it is issued. With an ``Idempotency-Key``, a
    retry answers with the same draft."""
    user = request_user(request)
    with transaction.atomic(durable=True):
        collective, _ = collective_get_for_coordinator(user=user, slug=slug)
        if idempotency_key is None:
            return _draft_create(user=user, collective=collective, payload=payload)
        return idempotent(
            request,
            response,
            user=user,
            key=idempotency_key,
            operation="invoice_draft_create",
            run=lambda: _draft_create(user=user, collective=collective, payload=payload),
        )


@router.patch(
    "/invoices/{int:invoice_id}",
    response=responses({200: InvoiceOut}),
    summary="Change a draft's tax or notes (coordinators)",
)
def invoice_draft_change(
    request: HttpRequest, invoice_id: int, payload: DraftPatchIn
) -> InvoiceOut:
    """Only the fields sent change; the totals follow. An issued invoice is
    ``409 invoice_issued``: correct it with a credit note."""
    user = request_user(request)
    with transaction.atomic(durable=True):
        invoice = invoice_get_for_user(user=user, pk=invoice_id)
        require_coordinator(user, invoice)
        invoice_draft_update(
            invoice=invoice,
            actor=user,
            tax_rate=payload.tax_rate,
            tax_label=payload.tax_label,
            notes=payload.notes,
        )
    return invoice_out(user, invoice_id)


@router.delete(
    "/invoices/{int:invoice_id}",
    response=responses({204: None}),
    summary="Delete a draft (coordinators)",
)
def invoice_draft_remove(request: HttpRequest, invoice_id: int) -> Status[None]:
    """The time it claimed can be invoiced again. An issued invoice is never
    deleted (``409 invoice_issued``)."""
    user = request_user(request)
    with transaction.atomic(durable=True):
        invoice = invoice_get_for_user(user=user, pk=invoice_id)
        require_coordinator(user, invoice)
        invoice_draft_delete(invoice=invoice, actor=user)
    return Status(204, None)


@router.post(
    "/invoices/{int:invoice_id}/lines",
    response=responses({201: InvoiceOut}),
    summary="Add a fixed item to a draft (coordinators)",
)
def invoice_line_new(
    request: HttpRequest, invoice_id: int, payload: FixedItemIn
) -> Status[InvoiceOut]:
    """The answer is the draft with its new line and totals."""
    user = request_user(request)
    with transaction.atomic(durable=True):
        invoice = invoice_get_for_user(user=user, pk=invoice_id)
        require_coordinator(user, invoice)
        with _item_fields():
            invoice_line_add(
                invoice=invoice,
                actor=user,
                item=_fixed_item(payload, collective=invoice.collective, field=""),
            )
    return Status(201, invoice_out(user, invoice_id))


@router.delete(
    "/invoices/{int:invoice_id}/lines/{int:line_id}",
    response=responses({200: InvoiceOut}),
    summary="Remove a line from a draft (coordinators)",
)
def invoice_line_delete(request: HttpRequest, invoice_id: int, line_id: int) -> InvoiceOut:
    """A time line gives its entries back, to be invoiced again. A draft
    keeps at least one line (``422 last_line``: delete the draft)."""
    user = request_user(request)
    with transaction.atomic(durable=True):
        invoice = invoice_get_for_user(user=user, pk=invoice_id)
        require_coordinator(user, invoice)
        invoice_line_remove(invoice=invoice, actor=user, line_id=line_id)
    return invoice_out(user, invoice_id)


# --- Issuing and crediting ------------------------------------------------------------


@router.post(
    "/invoices/{int:invoice_id}/issue",
    response=responses({200: InvoiceOut}),
    summary="Issue a draft: number it and book what the client owes (coordinators)",
)
def invoice_issue_action(
    request: HttpRequest,
    response: HttpResponse,
    invoice_id: int,
    idempotency_key: HeaderEx[str, key_header("issuing this invoice")],
    payload: IssueIn | None = None,
) -> Status[InvoiceOut]:
    """Gives it the next number of the collective's series, copies both
    parties, the payment terms (due date) and the split rule of the bylaws
    in force on the issue date, and books the receivable in the ledger.
    From then on it is a snapshot: only a credit note corrects it. Requires
    an ``Idempotency-Key`` header."""
    user = request_user(request)
    issue_date = payload.issue_date if payload is not None else None

    def run() -> Status[InvoiceOut]:
        invoice_issue(invoice=invoice, actor=user, issue_date=issue_date)
        return Status(200, invoice_out(user, invoice_id))

    with transaction.atomic(durable=True):
        invoice = invoice_get_for_user(user=user, pk=invoice_id)
        require_coordinator(user, invoice)
        return idempotent(
            request, response, user=user, key=idempotency_key, operation="invoice_issue", run=run
        )


@router.post(
    "/invoices/{int:invoice_id}/credit-notes",
    response=responses({201: InvoiceOut}),
    summary="Credit part or all of what is unpaid on an issued invoice (coordinators)",
)
def credit_note_new(
    request: HttpRequest,
    response: HttpResponse,
    invoice_id: int,
    payload: CreditNoteIn,
    idempotency_key: HeaderEx[str, key_header("this credit note")],
) -> Status[InvoiceOut]:
    """A numbered credit note of its own series, for ``reason``; without
    ``amount`` it credits all that is still unpaid. An invoice credited down
    to nothing owed is ``void`` (or ``paid``, if part of it was paid). The
    answer is the credit note. Requires an ``Idempotency-Key`` header."""
    user = request_user(request)

    def run() -> Status[InvoiceOut]:
        note = credit_note_issue(
            invoice=invoice,
            actor=user,
            reason=payload.reason,
            idempotency_key=service_key(user, idempotency_key),
            amount=money_in(payload.amount, field="amount") if payload.amount else None,
            issue_date=payload.issue_date,
        )
        return Status(201, invoice_out(user, note.pk))

    with transaction.atomic(durable=True):
        invoice = invoice_get_for_user(user=user, pk=invoice_id)
        require_coordinator(user, invoice)
        return idempotent(
            request,
            response,
            user=user,
            key=idempotency_key,
            operation="credit_note_issue",
            run=run,
        )


__all__ = ["invoice_out", "invoice_view", "require_coordinator", "router"]
