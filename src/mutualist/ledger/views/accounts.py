"""An account's statement (for its collective's members and its owner) and a
member's own accounts."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from mutualist.collectives.models import Membership
from mutualist.collectives.selectors import membership_of
from mutualist.ledger.forms import DateRangeForm
from mutualist.ledger.models import Account
from mutualist.ledger.selectors import (
    Statement,
    account_get_for_user,
    account_list_owned,
    account_statement,
    balances,
)
from mutualist.ledger.views._common import _TEMPLATES
from mutualist.members.web import request_member

STATEMENT_PAGE_SIZE = 50


# Far past any statement's end, and far inside what an SQL OFFSET holds:
# ?page=99999999999999999999 would otherwise overflow the query.
MAX_PAGE = 1_000_000


def _page_number(raw: str | None) -> int:
    try:
        return min(max(1, int(raw or 1)), MAX_PAGE)
    except ValueError:
        return 1


def _statement_page(
    account: Account, since: dt.date | None, until: dt.date | None, number: int
) -> tuple[Statement, Page[int]]:
    """One page of the statement, and a ``Page`` for the pager. A page past
    the end shows the last one, as ``Paginator.get_page`` would."""
    size = STATEMENT_PAGE_SIZE
    found = account_statement(
        account=account, since=since, until=until, offset=(number - 1) * size, limit=size
    )
    last = max(1, -(-found.count // size))
    if number > last:
        number = last
        found = account_statement(
            account=account, since=since, until=until, offset=(number - 1) * size, limit=size
        )
    return found, Paginator(range(found.count), size).get_page(number)


@login_required
@require_GET
def statement(request: HttpRequest, slug: str, account_id: int) -> HttpResponse:
    user = request_member(request)
    account = account_get_for_user(user=user, slug=slug, pk=account_id)
    membership = membership_of(user=user, collective=account.collective)
    # The owner of an account who is not (or no longer) a member reads its
    # statement, but not the rest of the books it links to.
    reads_books = membership is not None and membership.state == Membership.State.ACTIVE
    form = DateRangeForm(request.GET or None)
    found: Statement | None = None
    page = None
    if not form.is_bound or form.is_valid():
        data = form.cleaned_data if form.is_bound else {}
        found, page = _statement_page(
            account, data.get("from"), data.get("to"), _page_number(request.GET.get("page"))
        )
    return render(
        request,
        f"{_TEMPLATES}/statement.html",
        {
            "collective": account.collective,
            "account": account,
            "statement": found,
            "page_obj": page,
            "form": form,
            "reads_books": reads_books,
            "records_opening": reads_books
            and membership is not None
            and membership.is_coordinator
            and account.type == Account.Type.ASSETS
            and account.owner_kind == Account.OwnerKind.COLLECTIVE,
            "is_owner": account.owner_kind == Account.OwnerKind.MEMBER
            and account.owner_id == user.pk,
        },
    )


@login_required
@require_GET
def my_accounts(request: HttpRequest) -> HttpResponse:
    rows = balances(accounts=account_list_owned(user=request_member(request)).order_by("name"))
    return render(request, f"{_TEMPLATES}/my_accounts.html", {"rows": rows})
