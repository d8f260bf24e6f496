"""What a collective's members read about its money over time: the client
scorecard and the monthly reports.

Everything here is shared inside the collective (the split is, DESIGN.md) and
nothing outside it: the caller has already checked that the viewer is an
active member (``collective_get_for_member``). Every figure is summed by the
database (``GROUP BY`` client, currency, month), so a report costs a few
queries however many invoices and payments the collective has.

Money in different currencies is never added together: each report and each
scorecard row is per currency.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
)
from django.db.models.functions import TruncMonth
from django.utils import timezone

from mutualist.billing.models import Invoice, Payment, PaymentShare
from mutualist.billing.recipients import fund_label
from mutualist.collectives.models import Collective
from mutualist.core.money import Money
from mutualist.ledger.models import Account, Posting
from mutualist.ledger.services import account_name_for
from mutualist.members.models import User
from mutualist.work.models import Client

# --- The client scorecard ------------------------------------------------------------


@dataclass(frozen=True)
class ScorecardRow:
    """How one client pays the collective, in one currency.

    - ``issued``: invoices issued (paid and credited ones included; credit
      notes and drafts are not invoices issued).
    - ``paid``: invoices paid in full; ``average_days_to_pay`` is over those:
      from the issue date to the day the last of their payments arrived (the
      payment's ledger transaction date), ``None`` when none is paid yet.
    - ``paid_late``: how many of those were settled after their due date.
    - ``unpaid``: what the client owes now, read from its receivable account
      in the books; ``unpaid_by_invoices`` is the same worked out from the
      invoices, and ``agrees`` says whether the two match (they always
      should: a mismatch is a bug for ``mutualist ledger check`` to find).
    - ``overdue``: unpaid on invoices whose due date has passed.
    """

    client: Client
    currency: str
    issued: int
    paid: int
    paid_late: int
    average_days_to_pay: Decimal | None
    unpaid: Money
    unpaid_by_invoices: Money
    overdue: Money
    overdue_invoices: int

    @property
    def agrees(self) -> bool:
        return self.unpaid == self.unpaid_by_invoices

    @property
    def paid_late_percent(self) -> Decimal | None:
        """The share of paid invoices settled late, as a percentage (one decimal)."""
        if not self.paid:
            return None
        return (Decimal(100 * self.paid_late) / self.paid).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_EVEN
        )


def _days(value: dt.timedelta | int | None) -> int:
    # PostgreSQL subtracts dates to an interval, SQLite to microseconds; Django
    # hands both back as a timedelta (whole days here: they are dates).
    if value is None:
        return 0
    if isinstance(value, dt.timedelta):
        return value.days
    return int(value)


def _receivables(collective: Collective, client: Client | None) -> dict[tuple[int, str], int]:
    """Each client's receivable balance per currency, re-derived from the
    postings (one grouped query); opens no account."""
    accounts = Account.objects.filter(
        collective=collective,
        owner_kind=Account.OwnerKind.CLIENT,
        owner_type=ContentType.objects.get_for_model(Client),
        name__startswith=account_name_for(collective, Account.Type.ASSETS, "Receivable") + ":",
    )
    if client is not None:
        accounts = accounts.filter(owner_id=client.pk)
    owners = dict(accounts.values_list("pk", "owner_id"))
    totals: dict[tuple[int, str], int] = defaultdict(int)
    rows = (
        Posting.objects.filter(account_id__in=list(owners))
        .values("account_id", "currency")
        .annotate(total=Sum("amount_minor"))
        .values_list("account_id", "currency", "total")
    )
    for account_id, currency, total in rows:
        owner = owners[account_id]
        if owner is not None:  # always: the filter asked for owned accounts
            totals[(int(owner), currency)] += int(total or 0)
    return totals


def client_scorecard(
    *, collective: Collective, client: Client | None = None, today: dt.date | None = None
) -> list[ScorecardRow]:
    """How each client of ``collective`` (the clients it has invoiced; one
    client when ``client`` is given) pays, per currency, as of ``today``;
    sorted by client name and currency. See ``ScorecardRow``."""
    today = today or timezone.localdate()
    # The day the client had paid everything: the latest of its payments'
    # ledger dates (a payment recorded late for an earlier day counts on that day).
    settled_on = Subquery(
        Payment.objects.filter(invoice=OuterRef("pk"))
        .order_by()
        .values("invoice")
        .annotate(last=Max("transaction__occurred_at"))
        .values("last")
    )
    invoices = Invoice.objects.filter(collective=collective, kind=Invoice.Kind.INVOICE).exclude(
        status=Invoice.Status.DRAFT
    )
    if client is not None:
        invoices = invoices.filter(client=client)
    outstanding = ExpressionWrapper(
        F("total_minor") - F("paid_minor") - F("credited_minor"), output_field=IntegerField()
    )
    paid = Q(status=Invoice.Status.PAID, settled_on__isnull=False)
    unpaid = Q(status=Invoice.Status.ISSUED)
    overdue = unpaid & Q(due_date__lt=today)
    rows = (
        invoices.annotate(settled_on=settled_on)
        .values("client_id", "currency")
        .annotate(
            issued=Count("pk"),
            paid=Count("pk", filter=paid),
            paid_late=Count("pk", filter=paid & Q(settled_on__gt=F("due_date"))),
            days_to_pay=Sum(
                ExpressionWrapper(F("settled_on") - F("issue_date"), output_field=DurationField()),
                filter=paid,
            ),
            unpaid=Sum(outstanding, filter=unpaid),
            overdue=Sum(outstanding, filter=overdue),
            overdue_invoices=Count("pk", filter=overdue),
        )
        .order_by()
    )
    receivable = _receivables(collective, client)
    clients = Client.objects.in_bulk({row["client_id"] for row in rows})
    found = []
    for row in rows:
        currency = row["currency"]
        paid_count = int(row["paid"])
        days = _days(row["days_to_pay"])
        found.append(
            ScorecardRow(
                client=clients[row["client_id"]],
                currency=currency,
                issued=int(row["issued"]),
                paid=paid_count,
                paid_late=int(row["paid_late"]),
                average_days_to_pay=(
                    (Decimal(days) / paid_count).quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN)
                    if paid_count
                    else None
                ),
                unpaid=Money.from_minor(receivable.get((row["client_id"], currency), 0), currency),
                unpaid_by_invoices=Money.from_minor(int(row["unpaid"] or 0), currency),
                overdue=Money.from_minor(int(row["overdue"] or 0), currency),
                overdue_invoices=int(row["overdue_invoices"]),
            )
        )
    return sorted(found, key=lambda r: (r.client.name.casefold(), r.client.pk, r.currency))


def overdue_totals(*, collective: Collective, today: dt.date | None = None) -> list[Money]:
    """What is overdue now in ``collective``, per currency (one query)."""
    today = today or timezone.localdate()
    rows = (
        Invoice.objects.filter(
            collective=collective,
            kind=Invoice.Kind.INVOICE,
            status=Invoice.Status.ISSUED,
            due_date__lt=today,
        )
        .values("currency")
        .annotate(total=Sum(F("total_minor") - F("paid_minor") - F("credited_minor")))
        .order_by("currency")
        .values_list("currency", "total")
    )
    return [Money.from_minor(int(total), currency) for currency, total in rows if total]


# --- Monthly reports -------------------------------------------------------------------

MAX_MONTHS = 120


def month_add(month: dt.date, count: int) -> dt.date:
    """The first of the month ``count`` months after ``month``'s."""
    index = month.year * 12 + month.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class MonthRange:
    """From the month of ``first`` to the month of ``last``, both included
    (each given as the first of its month)."""

    first: dt.date
    last: dt.date

    def __post_init__(self) -> None:
        if self.first.day != 1 or self.last.day != 1:
            raise ValueError("A month range is given by the first day of each month.")
        if self.last < self.first:
            raise ValueError("A month range ends on or after its first month.")

    @classmethod
    def last_months(cls, count: int = 12, *, today: dt.date | None = None) -> MonthRange:
        """The ``count`` months up to and including ``today``'s."""
        today = today or timezone.localdate()
        last = today.replace(day=1)
        return cls(first=month_add(last, 1 - count), last=last)

    @property
    def months(self) -> list[dt.date]:
        count = (self.last.year - self.first.year) * 12 + self.last.month - self.first.month + 1
        return [month_add(self.first, n) for n in range(count)]

    @property
    def end(self) -> dt.date:
        """The first day after the range."""
        return month_add(self.last, 1)


@dataclass(frozen=True)
class Series:
    """One column of a report: a client, a member, the treasury or a fund."""

    key: str
    label: str


@dataclass(frozen=True)
class ReportRecord:
    """One figure: what ``series`` got in ``month``, in ``amount.currency``."""

    month: dt.date
    series: Series
    amount: Money


@dataclass
class CurrencyTable:
    """A report's figures in one currency: a row per month of the range, a
    column per series, with totals."""

    currency: str
    months: list[dt.date]
    series: list[Series]
    cells: dict[tuple[dt.date, str], int] = field(default_factory=dict)

    def amount(self, month: dt.date, key: str) -> Money:
        return Money.from_minor(self.cells.get((month, key), 0), self.currency)

    @property
    def rows(self) -> list[tuple[dt.date, list[Money], Money]]:
        """``(month, [amount per series], month total)`` for every month."""
        return [
            (
                month,
                [self.amount(month, s.key) for s in self.series],
                Money.from_minor(
                    sum(self.cells.get((month, s.key), 0) for s in self.series), self.currency
                ),
            )
            for month in self.months
        ]

    @property
    def series_totals(self) -> list[Money]:
        return [
            Money.from_minor(
                sum(self.cells.get((month, s.key), 0) for month in self.months), self.currency
            )
            for s in self.series
        ]

    @property
    def total(self) -> Money:
        return Money.from_minor(sum(self.cells.values()), self.currency)


@dataclass(frozen=True)
class Report:
    """One report over a month range: its records, and the same figures as
    one table per currency (``tables``)."""

    name: str
    title: str
    series_heading: str
    period: MonthRange
    records: list[ReportRecord]

    @property
    def tables(self) -> list[CurrencyTable]:
        by_currency: dict[str, CurrencyTable] = {}
        seen: dict[str, dict[str, Series]] = defaultdict(dict)
        for record in self.records:
            currency = record.amount.currency
            table = by_currency.setdefault(
                currency, CurrencyTable(currency=currency, months=self.period.months, series=[])
            )
            seen[currency].setdefault(record.series.key, record.series)
            cell = (record.month, record.series.key)
            table.cells[cell] = table.cells.get(cell, 0) + record.amount.minor_units
        for currency, table in by_currency.items():
            table.series = sorted(
                seen[currency].values(), key=lambda s: (s.label.casefold(), s.key)
            )
        return [by_currency[currency] for currency in sorted(by_currency)]


def _month(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _records(
    rows: Iterable[tuple[dt.date | dt.datetime, str, str, int]], labels: dict[str, str]
) -> list[ReportRecord]:
    return [
        ReportRecord(
            month=_month(month),
            series=Series(key=key, label=labels.get(key, key)),
            amount=Money.from_minor(int(total), currency),
        )
        for month, key, currency, total in rows
        if total
    ]


def income_by_client(*, collective: Collective, period: MonthRange) -> Report:
    """What payments settled of the collective's invoices, per client and
    month (of the day the money arrived), in the invoices' currencies. Money a
    client paid beyond what it owed counts when it pays an invoice (from the
    client's credit), not when it arrives."""
    rows = (
        Payment.objects.filter(
            collective=collective,
            received_on__gte=period.first,
            received_on__lt=period.end,
            applied_minor__gt=0,
        )
        .annotate(month=TruncMonth("received_on"))
        .values("month", "invoice__client_id", "invoice__currency")
        .annotate(total=Sum("applied_minor"))
        .order_by("month")
        .values_list("month", "invoice__client_id", "invoice__currency", "total")
    )
    found = [
        (month, f"client:{client}", currency, total) for month, client, currency, total in rows
    ]
    ids = {int(key.removeprefix("client:")) for _, key, _, _ in found}
    labels = {
        f"client:{pk}": name
        for pk, name in Client.objects.filter(pk__in=ids).values_list("pk", "name")
    }
    return Report(
        name="income",
        title="Income by client",
        series_heading="Client",
        period=period,
        records=_records(found, labels),
    )


def member_earnings(*, collective: Collective, period: MonthRange) -> Report:
    """Each member's shares of the payments that arrived in each month, per
    currency (of the invoices paid)."""
    rows = (
        PaymentShare.objects.filter(
            payment__collective=collective,
            recipient=PaymentShare.Recipient.MEMBER,
            payment__received_on__gte=period.first,
            payment__received_on__lt=period.end,
        )
        .annotate(month=TruncMonth("payment__received_on"))
        .values("month", "member_id", "currency")
        .annotate(total=Sum("amount_minor"))
        .order_by("month")
        .values_list("month", "member_id", "currency", "total")
    )
    found = [
        (month, f"member:{member}", currency, total) for month, member, currency, total in rows
    ]
    ids = {int(key.removeprefix("member:")) for _, key, _, _ in found}
    labels = {
        f"member:{user.pk}": user.display_name
        for user in User.objects.filter(pk__in=ids).select_related("profile")
    }
    return Report(
        name="earnings",
        title="Member earnings",
        series_heading="Member",
        period=period,
        records=_records(found, labels),
    )


def treasury_and_fund_inflows(*, collective: Collective, period: MonthRange) -> Report:
    """What the treasury and each fund received out of the payments that
    arrived in each month, per currency. Tax is not an inflow: it is held
    for the tax office."""
    rows = (
        PaymentShare.objects.filter(
            payment__collective=collective,
            recipient__in=[PaymentShare.Recipient.TREASURY, PaymentShare.Recipient.FUND],
            payment__received_on__gte=period.first,
            payment__received_on__lt=period.end,
        )
        .annotate(month=TruncMonth("payment__received_on"))
        .values("month", "key", "currency")
        .annotate(total=Sum("amount_minor"))
        .order_by("month")
        .values_list("month", "key", "currency", "total")
    )
    found = list(rows)
    labels = {
        key: "Treasury" if key == PaymentShare.Recipient.TREASURY else fund_label(key)
        for _, key, _, _ in found
    }
    return Report(
        name="inflows",
        title="Treasury and fund inflows",
        series_heading="Recipient",
        period=period,
        records=_records(found, labels),
    )


REPORTS = {
    "income": income_by_client,
    "earnings": member_earnings,
    "inflows": treasury_and_fund_inflows,
}

__all__ = [
    "MAX_MONTHS",
    "REPORTS",
    "CurrencyTable",
    "MonthRange",
    "Report",
    "ReportRecord",
    "ScorecardRow",
    "Series",
    "client_scorecard",
    "income_by_client",
    "member_earnings",
    "month_add",
    "overdue_totals",
    "treasury_and_fund_inflows",
]
