"""A collective's books for its members: accounts and trial balance, the
journal, one transaction."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from mutualist.collectives.selectors import collective_get_for_member
from mutualist.core.web import is_htmx_partial
from mutualist.ledger.forms import AsOfForm, JournalFilterForm
from mutualist.ledger.selectors import (
    account_list,
    journal_kinds,
    transaction_get,
    transaction_reversal,
    trial_balance,
)
from mutualist.ledger.selectors import journal as journal_of
from mutualist.ledger.views._common import (
    _TEMPLATES,
    TYPE_ORDER,
    JournalRow,
    moved,
    reversible_by_hand,
)
from mutualist.members.web import request_member

JOURNAL_PAGE_SIZE = 25


@login_required
@require_GET
def books(request: HttpRequest, slug: str) -> HttpResponse:
    collective, membership = collective_get_for_member(user=request_member(request), slug=slug)
    form = AsOfForm(request.GET or None)
    as_of = form.cleaned_data["as_of"] if form.is_bound and form.is_valid() else None
    report = trial_balance(collective=collective, as_of=as_of)
    groups = [
        (account_type.label, [row for row in report.rows if row.account.type == account_type])
        for account_type in TYPE_ORDER
    ]
    totals = [
        (currency, report.debits[currency], -report.credits[currency])
        for currency in sorted(report.debits)
    ]
    context: dict[str, Any] = {
        "collective": collective,
        "is_coordinator": membership.is_coordinator,
        "form": form,
        "as_of": as_of,
        "groups": [(label, rows) for label, rows in groups if rows],
        "totals": totals,
        "balanced": report.balanced,
    }
    return render(request, f"{_TEMPLATES}/books.html", context)


@login_required
@require_GET
def journal(request: HttpRequest, slug: str) -> HttpResponse:
    collective, _ = collective_get_for_member(user=request_member(request), slug=slug)
    form = JournalFilterForm(
        request.GET or None,
        accounts=account_list(collective=collective),
        kinds=journal_kinds(collective=collective),
    )
    transactions: Any = []
    if not form.is_bound or form.is_valid():
        data = form.cleaned_data if form.is_bound else {}
        transactions = journal_of(
            collective=collective,
            account=data.get("account"),
            kind=data.get("kind") or "",
            since=data.get("from"),
            until=data.get("to"),
            search=(data.get("q") or "").strip(),
        ).prefetch_related("postings")
    page = Paginator(transactions, JOURNAL_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [JournalRow(transaction, moved(transaction)) for transaction in page]
    partial = is_htmx_partial(request)
    template = "_journal_results.html" if partial else "journal.html"
    response = render(
        request,
        f"{_TEMPLATES}/{template}",
        {
            "collective": collective,
            "form": form,
            "page_obj": page,
            "rows": rows,
            "partial": partial,
        },
    )
    patch_vary_headers(response, ("HX-Request",))
    return response


@login_required
@require_GET
def transaction_detail(request: HttpRequest, slug: str, transaction_id: int) -> HttpResponse:
    collective, membership = collective_get_for_member(user=request_member(request), slug=slug)
    found = transaction_get(collective=collective, pk=transaction_id)
    postings = sorted(found.postings.all(), key=lambda posting: posting.pk)
    reversed_by = transaction_reversal(transaction=found)
    return render(
        request,
        f"{_TEMPLATES}/transaction.html",
        {
            "collective": collective,
            "transaction": found,
            "postings": postings,
            "totals": moved(found),
            "reversed_by": reversed_by,
            # The button for a coordinator's own kinds of entry; the service
            # decides again when it is pressed.
            "can_reverse": membership.is_coordinator and reversible_by_hand(found, reversed_by),
        },
    )
