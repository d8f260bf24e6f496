"""The client scorecard and the monthly reports, read-only, for the
collective's active members (everyone else: 404). The web pages add CSV
downloads and charts; the figures are the same.

- ``GET /collectives/{slug}/scorecard``: how each client pays, per currency.
- ``GET /collectives/{slug}/reports/{name}``: ``income`` (by client),
  ``earnings`` (by member) or ``inflows`` (the treasury and each fund), per
  month and currency.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router

from mutualist.api.auth import request_user
from mutualist.api.routers import responses
from mutualist.api.schemas.billing_reports import (
    PeriodIn,
    ReportOut,
    ScorecardOut,
    ScorecardRowOut,
)
from mutualist.billing.selectors.reports import (
    MAX_MONTHS,
    REPORTS,
    MonthRange,
    client_scorecard,
    month_add,
)
from mutualist.collectives.selectors import collective_get_for_member
from mutualist.core.errors import ValidationFailed

router = Router(tags=["billing: reports"])


def _month(text: str) -> dt.date:
    year, month = text.split("-")
    return dt.date(int(year), int(month), 1)


def period_of(given: PeriodIn, today: dt.date) -> MonthRange:
    """The months asked for, both included: the 12 up to this one by
    default; 12 from ``from``, or the 12 up to ``to``, when one is given."""
    first = _month(given.since) if given.since else None
    last = _month(given.until) if given.until else None
    if first is None and last is None:
        return MonthRange.last_months(12, today=today)
    if first is None:
        assert last is not None  # noqa: S101 -- one of them is given
        first = month_add(last, -11)
    if last is None:
        last = month_add(first, 11)
    if last < first:
        raise ValidationFailed(
            "The last month is before the first.", code="invalid_period", field="to"
        )
    span = (last.year - first.year) * 12 + last.month - first.month + 1
    if span > MAX_MONTHS:
        raise ValidationFailed(
            f"Ask for at most {MAX_MONTHS} months at a time.", code="invalid_period", field="to"
        )
    return MonthRange(first=first, last=last)


@router.get(
    "/collectives/{slug}/scorecard",
    response=responses({200: ScorecardOut}),
    summary="How each client pays: days to pay, late payments, what is overdue (members)",
)
def scorecard(request: HttpRequest, slug: str) -> ScorecardOut:
    """Per client and currency, from the invoices and the books, as of today."""
    collective, _ = collective_get_for_member(user=request_user(request), slug=slug)
    today = timezone.localdate()
    rows = client_scorecard(collective=collective, today=today)
    return ScorecardOut(as_of=today, rows=[ScorecardRowOut.from_row(row) for row in rows])


@router.get(
    "/collectives/{slug}/reports/{name}",
    response=responses({200: ReportOut}),
    by_alias=True,
    summary="Income by client, member earnings, or treasury and fund inflows, by month (members)",
)
def report(
    request: HttpRequest,
    slug: str,
    name: Literal["income", "earnings", "inflows"],
    period: Query[PeriodIn],
) -> ReportOut:
    """One table per currency: a row per month, a column per client, member
    or recipient, with totals."""
    collective, _ = collective_get_for_member(user=request_user(request), slug=slug)
    months = period_of(period, timezone.localdate())
    return ReportOut.from_report(REPORTS[name](collective=collective, period=months))
