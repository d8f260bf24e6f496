"""What a coordinator does to one invoice: change a draft's tax and notes,
add or remove a line, issue it or delete it; record a payment on an issued
invoice, or credit it.

Every action is a POST that reads the invoice through
``invoice_get_for_user`` (404 for anyone who may not read it, so a client's
contact gets 404 for a draft) and calls one service, which refuses anyone
but a coordinator (403). A refusal puts the service's message on the form
field it names and shows the page again (422); success redirects.

The draft's three forms post with htmx too: they then get back the part of
the page they change (the lines, the totals and the draft's forms), with
any refusal in it.

The payment and credit-note forms carry an idempotency key minted when the
form is shown, scoped here to the person (as the ledger's forms do): a
double submit, or a retried request, records one payment.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from mutualist.billing.forms_invoices import (
    CREDIT_IDS,
    CreditNoteForm,
    DraftUpdateForm,
    IssueForm,
    LineAddForm,
    PaymentForm,
)
from mutualist.billing.models import Invoice
from mutualist.billing.selectors import invoice_get_for_user
from mutualist.billing.services import (
    credit_note_issue,
    invoice_draft_delete,
    invoice_draft_update,
    invoice_issue,
    invoice_line_add,
    invoice_line_remove,
    payment_record,
)
from mutualist.billing.views.invoices import _members_of, invoice_page_context
from mutualist.core.errors import DomainError, PermissionDenied
from mutualist.core.money import Money
from mutualist.core.web import add_domain_error, forbidden_as_403, is_htmx_partial
from mutualist.ledger.selectors import account_list_convertible
from mutualist.members.models import User
from mutualist.members.web import request_member

_TEMPLATES = "billing/invoices"


def _errors_of(forms: dict[str, Any]) -> str:
    return " ".join(
        str(error) for form in forms.values() for errors in form.errors.values() for error in errors
    )


def _page(
    request: HttpRequest, user: User, invoice: Invoice, *, status: int = 422, **forms: Any
) -> HttpResponse:
    """The page again with the refused form, or, when the invoice has moved on
    meanwhile (issued, paid) and the page no longer offers that form, a
    redirect with the refusal said above the page."""
    invoice.refresh_from_db()
    context = invoice_page_context(user, invoice, **forms)
    _coordinators_only(context)
    if any(name not in context for name in forms):
        messages.error(request, _errors_of(forms))
        return redirect("billing:invoice", pk=invoice.pk)
    return render(request, f"{_TEMPLATES}/detail.html", context, status=status)


def _draft_answer(
    request: HttpRequest,
    user: User,
    invoice: Invoice,
    *,
    failed: bool,
    notice: str = "",
    **forms: Any,
) -> HttpResponse:
    """After a draft's form: for htmx, the draft's part of the page (200, so
    htmx swaps it in, refusal and all); otherwise the page again with the
    refusal (422), or a redirect to it."""
    if is_htmx_partial(request):
        invoice.refresh_from_db()
        context = invoice_page_context(user, invoice, notice=notice, **(forms if failed else {}))
        _coordinators_only(context)
        if failed and any(name not in context for name in forms):
            context["notice"] = _errors_of(forms)
        return render(request, f"{_TEMPLATES}/_body.html", context)
    if failed:
        return _page(request, user, invoice, **forms)
    if notice:
        messages.success(request, notice)
    return redirect("billing:invoice", pk=invoice.pk)


def _coordinators_only(context: dict[str, Any]) -> None:
    """A form a member or a contact could not have been shown (bad input
    never reaches the service that would refuse them): 403 all the same."""
    if not context["is_coordinator"]:
        raise PermissionDenied(
            "Only a coordinator of this collective can do that.", code="not_coordinator"
        )


def _refused(exc: DomainError) -> None:
    """A member who is not a coordinator is refused outright (403)."""
    if exc.status == 403:
        raise exc


@login_required
@require_POST
@forbidden_as_403
def invoice_update(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_member(request)
    invoice = invoice_get_for_user(user=user, pk=pk)
    form = DraftUpdateForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic(durable=True):
                invoice_draft_update(
                    invoice=invoice,
                    actor=user,
                    tax_rate=data["tax_rate"],
                    tax_label=data["tax_label"],
                    notes=data["notes"],
                )
        except DomainError as exc:
            _refused(exc)
            add_domain_error(form, exc)
        else:
            return _draft_answer(request, user, invoice, failed=False, notice="Draft updated.")
    return _draft_answer(request, user, invoice, failed=True, update_form=form)


@login_required
@require_POST
@forbidden_as_403
def invoice_line_add_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_member(request)
    invoice = invoice_get_for_user(user=user, pk=pk)
    form = LineAddForm(request.POST, prefix="line", members=_members_of(invoice.collective, user))
    item = form.item(invoice.currency) if form.is_valid() else None
    if item is not None:
        try:
            with transaction.atomic(durable=True):
                line = invoice_line_add(invoice=invoice, actor=user, item=item)
        except DomainError as exc:
            _refused(exc)
            # The service names the item's fields items[0].<name>.
            if exc.field and exc.field.startswith("items[0]."):
                exc.field = exc.field.removeprefix("items[0].")
            add_domain_error(form, exc)
        else:
            return _draft_answer(
                request, user, invoice, failed=False, notice=f"Added “{line.description}”."
            )
    return _draft_answer(request, user, invoice, failed=True, line_form=form)


@login_required
@require_POST
@forbidden_as_403
def invoice_line_remove_view(request: HttpRequest, pk: int, line_id: int) -> HttpResponse:
    user = request_member(request)
    invoice = invoice_get_for_user(user=user, pk=pk)
    try:
        with transaction.atomic(durable=True):
            invoice_line_remove(invoice=invoice, actor=user, line_id=line_id)
    except DomainError as exc:
        _refused(exc)
        if is_htmx_partial(request):
            return _draft_answer(request, user, invoice, failed=False, notice=exc.message)
        messages.error(request, exc.message)
        return redirect("billing:invoice", pk=invoice.pk)
    return _draft_answer(request, user, invoice, failed=False, notice="Line removed.")


@login_required
@require_POST
@forbidden_as_403
def invoice_issue_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_member(request)
    invoice = invoice_get_for_user(user=user, pk=pk)
    form = IssueForm(request.POST)
    if form.is_valid():
        try:
            with transaction.atomic(durable=True):
                issued = invoice_issue(
                    invoice=invoice, actor=user, issue_date=form.cleaned_data["issue_date"]
                )
        except DomainError as exc:
            _refused(exc)
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                f"Issued {issued.number}, due on {issued.due_date:%d %B %Y}. "
                "Its contacts see it in the client portal.",
            )
            return redirect("billing:invoice", pk=issued.pk)
    return _page(request, user, invoice, issue_form=form)


@login_required
@require_POST
@forbidden_as_403
def invoice_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_member(request)
    invoice = invoice_get_for_user(user=user, pk=pk)
    slug = invoice.collective.slug
    try:
        with transaction.atomic(durable=True):
            invoice_draft_delete(invoice=invoice, actor=user)
    except DomainError as exc:
        _refused(exc)
        messages.error(request, exc.message)
        return redirect("billing:invoice", pk=invoice.pk)
    messages.success(request, "Draft deleted; its time can be invoiced again.")
    return redirect("billing:invoices", slug=slug)


def _refuse_reused_form(form: PaymentForm | CreditNoteForm, what: str) -> None:
    """This rendering of the form already recorded something else; a fresh
    key lets a deliberate second one through."""
    form.renew_key()
    form.add_error(
        None,
        f"This form was already used for a different {what}. Check the payments below; if "
        "you do mean to record this one too, press the button once more.",
    )


@login_required
@require_POST
@forbidden_as_403
def invoice_payment_record(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_member(request)
    invoice = invoice_get_for_user(user=user, pk=pk)
    form = PaymentForm(
        request.POST,
        invoice=invoice,
        accounts=account_list_convertible(collective=invoice.collective),
    )
    if form.is_valid() and "money" in form.cleaned_data:
        data = form.cleaned_data
        try:
            with transaction.atomic(durable=True):
                payment = payment_record(
                    invoice=invoice,
                    actor=user,
                    amount=data["money"],
                    received_on=data["received_on"],
                    method=data["method"],
                    reference=data["reference"],
                    deposit_account=data["deposit_account"],
                    fx_rate=data["fx_rate"].strip() or None,
                    excess="credit" if data["keep_excess"] else "refuse",
                    # Scoped to the person: a key is only ever theirs to repeat.
                    idempotency_key=f"web:{user.pk}:{data['idempotency_key']}",
                )
        except DomainError as exc:
            _refused(exc)
            if exc.code == "idempotency_key_reused":
                _refuse_reused_form(form, "payment")
            else:
                # The form's names for the service's (and the rate finder's) fields.
                exc.field = {"excess": "keep_excess", "rate": "fx_rate"}.get(
                    exc.field or "", exc.field
                )
                add_domain_error(form, exc)
        else:
            text = f"Recorded {data['money'].format()} received on {payment.received_on:%d %B %Y}"
            if payment.currency != invoice.currency:
                applied = payment.applied_minor + payment.credit_minor
                text += f" (worth {_money(applied, invoice.currency)})"
            if payment.credit_minor:
                text += f"; {_money(payment.credit_minor, invoice.currency)} kept as credit"
            messages.success(request, text + ".")
            return redirect(reverse("billing:invoice", kwargs={"pk": invoice.pk}) + "#payments")
    return _page(request, user, invoice, payment_form=form)


def _money(minor: int, currency: str) -> str:
    return Money.from_minor(minor, currency).format()


@login_required
@require_POST
@forbidden_as_403
def invoice_credit_note(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_member(request)
    invoice = invoice_get_for_user(user=user, pk=pk)
    form = CreditNoteForm(request.POST, invoice=invoice, auto_id=CREDIT_IDS)
    if form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic(durable=True):
                note = credit_note_issue(
                    invoice=invoice,
                    actor=user,
                    reason=data["reason"],
                    amount=data["money"],
                    idempotency_key=f"web:{user.pk}:{data['idempotency_key']}",
                )
        except DomainError as exc:
            _refused(exc)
            if exc.code == "idempotency_key_reused":
                _refuse_reused_form(form, "credit note")
            else:
                add_domain_error(form, exc)
        else:
            total = _money(note.total_minor, note.currency)
            messages.success(request, f"Issued credit note {note.number} for {total}.")
            return redirect("billing:invoice", pk=invoice.pk)
    return _page(request, user, invoice, credit_form=form)
