"""The reports and the client scorecard, for a collective's active members.

Coordinators and members read the same pages: who earned what and how the
money was shared is known to every member (DESIGN.md). Anyone else gets 404.

- ``reports``: one of three monthly reports (``?report=income|earnings|inflows``)
  over a month range (``?from=2026-01&to=2026-12``, by default the last
  twelve months), per currency: a chart, the table it draws, and the same
  figures as CSV (``?format=csv``). A bad month (``2026-13``) is an error on
  its field, never a 500.
- ``scorecard``: how each client pays, from ``client_scorecard``.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from mutualist.billing.charts import ChartSeries, bar_chart
from mutualist.billing.selectors.reports import (
    MAX_MONTHS,
    REPORTS,
    CurrencyTable,
    MonthRange,
    Report,
    client_scorecard,
    month_add,
)
from mutualist.collectives.models import Collective
from mutualist.collectives.selectors import collective_get_for_member
from mutualist.core.money import Money
from mutualist.members.web import request_member

_TEMPLATES = "billing/reports"
_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
# The tabs, in the order shown.
REPORT_CHOICES = [
    ("income", "Income by client"),
    ("earnings", "Member earnings"),
    ("inflows", "Treasury and fund inflows"),
]
# What may begin a spreadsheet formula: a name starting with one is shown as text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def month_parse(text: str) -> dt.date:
    """``"2026-03"`` as 1 March 2026; a clear ``ValidationError`` otherwise."""
    found = _MONTH.fullmatch(text.strip())
    if found is None:
        raise forms.ValidationError(
            "Give a month as year and month, like 2026-03.", code="invalid_month"
        )
    year, month = int(found.group(1)), int(found.group(2))
    if not 1 <= month <= 12:
        raise forms.ValidationError(
            f"{month} is not a month: months run from 01 to 12.", code="invalid_month"
        )
    if not 1900 <= year <= 9998:
        raise forms.ValidationError("Give a year from 1900 to 9998.", code="invalid_month")
    return dt.date(year, month, 1)


class MonthField(forms.CharField):
    """A month typed as ``YYYY-MM`` (what ``<input type="month">`` sends),
    cleaned to the first day of that month."""

    widget = forms.TextInput(
        attrs={"type": "month", "placeholder": "YYYY-MM", "pattern": r"\d{4}-\d{2}"}
    )

    def to_python(self, value: Any) -> dt.date | None:  # type: ignore[override]
        text = super().to_python(value)
        return month_parse(text) if text else None


class ReportFilterForm(forms.Form):
    """Which report, over which months (a GET form; every field optional)."""

    report = forms.ChoiceField(
        choices=REPORT_CHOICES,
        required=False,
        widget=forms.HiddenInput,
        label="Report",
        error_messages={
            "invalid_choice": "There is no report called %(value)s; choose one of the tabs."
        },
    )

    def __init__(self, *args: Any, today: dt.date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()
        # "from" is a Python keyword, so both fields are added here.
        self.fields["from"] = MonthField(
            label="From month", required=False, help_text="Like 2026-01."
        )
        self.fields["to"] = MonthField(label="To month", required=False, help_text="Included.")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "from" in self.errors or "to" in self.errors:
            return data
        first, last = _range_ends(data.get("from"), data.get("to"), today=self.today)
        if last < first:
            self.add_error("to", "The last month comes before the first.")
            return data
        span = (last.year - first.year) * 12 + last.month - first.month + 1
        if span > MAX_MONTHS:
            self.add_error(
                "to", f"Show at most {MAX_MONTHS} months ({MAX_MONTHS // 12} years) at a time."
            )
            return data
        data["period"] = MonthRange(first=first, last=last)
        data["report"] = data.get("report") or "income"
        return data


def _range_ends(
    first: dt.date | None, last: dt.date | None, *, today: dt.date
) -> tuple[dt.date, dt.date]:
    """Both ends of the range: a missing one is twelve months from the other;
    with neither, the last twelve months."""
    if first is not None and last is not None:
        return first, last
    if first is not None:
        return first, month_add(first, 11)
    if last is not None:
        return month_add(last, -11), last
    default = MonthRange.last_months(12, today=today)
    return default.first, default.last


def _month_label(month: dt.date, *, first: bool) -> str:
    """``Jan\\n2027`` for a January or the first month shown; ``Feb`` otherwise."""
    return f"{month:%b}\n{month:%Y}" if first or month.month == 1 else f"{month:%b}"


def _chart(report: Report, table: CurrencyTable) -> str:
    months = table.months
    series = [
        ChartSeries(
            label=s.label,
            values=[table.amount(month, s.key).amount for month in months],
        )
        for s in table.series
    ]
    best_month, best = max(
        ((month, total) for month, _, total in table.rows), key=lambda pair: pair[1].amount
    )
    description = (
        f"Stacked bars, one per month from {months[0]:%B %Y} to {months[-1]:%B %Y}, "
        f"one colour per {report.series_heading.lower()}. The highest month is "
        f"{best_month:%B %Y} with {best.format('en')}; in all {table.total.format('en')}. "
        "The table below gives every figure."
    )
    return bar_chart(
        chart_id=f"chart-{report.name}-{table.currency.lower()}",
        title=f"{report.title} in {table.currency}, by month",
        description=description,
        categories=[_month_label(month, first=n == 0) for n, month in enumerate(months)],
        series=series,
        format_value=lambda value: Money(value, table.currency).format("en"),
    )


def _csv_text(text: str) -> str:
    # A client named "=HYPERLINK(...)" must stay a name in a spreadsheet.
    return "'" + text if text.startswith(_FORMULA_START) else text


def report_csv(collective: Collective, report: Report) -> HttpResponse:
    """The report's records, one row per month, series and currency: plain
    decimals in the currency's own places, UTF-8, a header row."""
    period = report.period
    filename = f"{collective.slug}-{report.name}-{period.first:%Y-%m}-to-{period.last:%Y-%m}.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(["month", report.series_heading.lower(), "currency", "amount"])
    for record in sorted(
        report.records,
        key=lambda r: (r.month, r.amount.currency, r.series.label.casefold(), r.series.key),
    ):
        writer.writerow(
            [
                f"{record.month:%Y-%m}",
                _csv_text(record.series.label),
                record.amount.currency,
                str(record.amount.amount),
            ]
        )
    return response


@login_required
@require_GET
def reports(request: HttpRequest, slug: str) -> HttpResponse:
    collective, _ = collective_get_for_member(user=request_member(request), slug=slug)
    query = request.GET.copy()
    if not query.get("from") and not query.get("to"):
        # Show the default range in the fields, so the reader sees what they read.
        default = MonthRange.last_months(12)
        query["from"], query["to"] = f"{default.first:%Y-%m}", f"{default.last:%Y-%m}"
    form = ReportFilterForm(query)
    report: Report | None = None
    if form.is_valid():
        chosen_report: str = form.cleaned_data["report"]
        period: MonthRange = form.cleaned_data["period"]
        report = REPORTS[chosen_report](collective=collective, period=period)
        if request.GET.get("format") == "csv":
            return report_csv(collective, report)
    requested = request.GET.get("report") or "income"
    chosen = requested if requested in REPORTS else "income"
    tables = report.tables if report is not None else []
    context = {
        "collective": collective,
        "form": form,
        "report": report,
        "chosen": chosen,
        "tabs": REPORT_CHOICES,
        "sections": [(table, _chart(report, table)) for table in tables if report is not None],
    }
    return render(
        request, f"{_TEMPLATES}/reports.html", context, status=200 if form.is_valid() else 400
    )


@login_required
@require_GET
def scorecard(request: HttpRequest, slug: str) -> HttpResponse:
    collective, _ = collective_get_for_member(user=request_member(request), slug=slug)
    today = timezone.localdate()
    rows = client_scorecard(collective=collective, today=today)
    return render(
        request,
        f"{_TEMPLATES}/scorecard.html",
        {
            "collective": collective,
            "rows": rows,
            "today": today,
            "tabs": REPORT_CHOICES,
            "disagree": [row for row in rows if not row.agrees],
        },
    )
