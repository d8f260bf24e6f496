"""A member's earnings across their collectives, and where each unit of a
payment went.

My earnings is the member's own: what each collective owes them now and
their shares of payments. A payment's page is for the active members of its
collective (the split is shared inside the collective, DESIGN.md); anyone
else, a client's contact included, gets 404.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from mutualist.billing.selectors import member_shares
from mutualist.billing.selectors.money import (
    payables_of_member,
    payment_get_for_member,
    payment_split,
)
from mutualist.collectives.models import Membership
from mutualist.core.money import Money
from mutualist.members.web import request_member

_TEMPLATES = "billing/money"
SHARES_PAGE_SIZE = 25


@login_required
@require_GET
def my_earnings(request: HttpRequest) -> HttpResponse:
    user = request_member(request)
    # Shares of a collective one has left stay listed (they are one's own
    # money), but its payments' pages are for its members only.
    active = set(
        Membership.objects.filter(user=user, state=Membership.State.ACTIVE).values_list(
            "collective_id", flat=True
        )
    )
    shares = member_shares(user=user).select_related("payment__invoice")
    page = Paginator(shares, SHARES_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        f"{_TEMPLATES}/earnings.html",
        {
            "payables": payables_of_member(user=user),
            "page_obj": page,
            "shares": [
                (share, Money.from_minor(share.amount_minor, share.currency)) for share in page
            ],
            "active_collective_ids": active,
        },
    )


@login_required
@require_GET
def payment_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    user = request_member(request)
    payment, membership = payment_get_for_member(user=user, slug=slug, pk=pk)
    return render(
        request,
        f"{_TEMPLATES}/payment.html",
        {
            "collective": payment.collective,
            "is_coordinator": membership.is_coordinator,
            "split": payment_split(payment=payment, viewer=user),
        },
    )
