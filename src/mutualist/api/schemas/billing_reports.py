"""The client scorecard and the monthly reports, as JSON (the web pages
also offer them as CSV and charts).

Money in different currencies is never added together: a scorecard row and
a report table are each in one currency. Months are ``"2026-03"``.
"""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from mutualist.api.schemas.common import MoneyOut
from mutualist.api.schemas.work_clients import ClientRefOut
from mutualist.billing.selectors.reports import CurrencyTable, Report, ScorecardRow
from mutualist.core.money import Money

# Years 1900 to 9998: a range is widened by up to eleven months, and year
# 9999 plus a month would be past what a date holds (a 500).
MONTH_PATTERN = r"^(19[0-9]{2}|[2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-(0[1-9]|1[0-2])$"


def _money(value: Money) -> MoneyOut:
    return MoneyOut(amount=str(value.amount), currency=value.currency)


def month_text(month: dt.date) -> str:
    return f"{month:%Y-%m}"


class ScorecardRowOut(Schema):
    client: ClientRefOut
    currency: str
    issued: int = Field(description="Invoices issued (credit notes and drafts are not)")
    paid: int = Field(description="Invoices paid in full")
    paid_late: int = Field(description="Of those, how many were settled after their due date")
    paid_late_percent: str | None = Field(
        description="paid_late as a share of paid, a percentage; null before any is paid",
        examples=["25.0"],
    )
    average_days_to_pay: str | None = Field(
        description="From issue to the last payment, over the invoices paid in full",
        examples=["12.5"],
    )
    unpaid: MoneyOut = Field(description="What the client owes now, from its receivable")
    overdue: MoneyOut = Field(description="Unpaid on invoices past their due date")
    overdue_invoices: int

    @classmethod
    def from_row(cls, row: ScorecardRow) -> ScorecardRowOut:
        late = row.paid_late_percent
        average = row.average_days_to_pay
        return cls(
            client=ClientRefOut(id=row.client.pk, name=row.client.name),
            currency=row.currency,
            issued=row.issued,
            paid=row.paid,
            paid_late=row.paid_late,
            paid_late_percent=f"{late:f}" if late is not None else None,
            average_days_to_pay=f"{average:f}" if average is not None else None,
            unpaid=_money(row.unpaid),
            overdue=_money(row.overdue),
            overdue_invoices=row.overdue_invoices,
        )


class ScorecardOut(Schema):
    as_of: dt.date
    rows: list[ScorecardRowOut]


class SeriesOut(Schema):
    key: str = Field(examples=["client:12", "member:7", "treasury", "sick_pay"])
    label: str


class ReportRowOut(Schema):
    month: str = Field(examples=["2026-03"])
    amounts: list[MoneyOut] = Field(description="One per series, in the table's order")
    total: MoneyOut


class ReportTableOut(Schema):
    currency: str
    series: list[SeriesOut]
    rows: list[ReportRowOut] = Field(description="Every month of the period, oldest first")
    series_totals: list[MoneyOut]
    total: MoneyOut

    @classmethod
    def from_table(cls, table: CurrencyTable) -> ReportTableOut:
        return cls(
            currency=table.currency,
            series=[SeriesOut(key=s.key, label=s.label) for s in table.series],
            rows=[
                ReportRowOut(
                    month=month_text(month),
                    amounts=[_money(amount) for amount in amounts],
                    total=_money(total),
                )
                for month, amounts, total in table.rows
            ],
            series_totals=[_money(amount) for amount in table.series_totals],
            total=_money(table.total),
        )


class ReportOut(Schema):
    name: str = Field(description="income, earnings or inflows")
    title: str
    series_heading: str
    since: str = Field(serialization_alias="from", examples=["2026-01"])
    until: str = Field(serialization_alias="to", examples=["2026-12"])
    tables: list[ReportTableOut] = Field(description="One per currency")

    @classmethod
    def from_report(cls, report: Report) -> ReportOut:
        return cls(
            name=report.name,
            title=report.title,
            series_heading=report.series_heading,
            since=month_text(report.period.first),
            until=month_text(report.period.last),
            tables=[ReportTableOut.from_table(table) for table in report.tables],
        )


class PeriodIn(Schema):
    """Query parameters: months as ``2026-03``, both included; the last 12
    months up to this one when absent."""

    since: str | None = Field(None, alias="from", pattern=MONTH_PATTERN, examples=["2026-01"])
    until: str | None = Field(None, alias="to", pattern=MONTH_PATTERN, examples=["2026-12"])
