"""The monthly reports (income by client, member earnings, treasury and fund
inflows): their figures, summed by the database, and their page, chart and CSV.

The cast (``mutualist.testing``): Ana coordinates collective A (manila-va),
Ben is a member of A, Carla coordinates B (remote-crew), Olga is in no
collective; Dana is the contact of Harbour (AUD). Collective A's split rule
gives 10% of the net to the treasury and, here, 5% to the sick-pay fund;
the rest goes to the members in proportion to what their work billed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from mutualist.billing.selectors.reports import (
    MonthRange,
    income_by_client,
    member_earnings,
    month_add,
    treasury_and_fund_inflows,
)
from mutualist.billing.services import invoice_draft_create, invoice_issue
from mutualist.billing.tests.reports_helpers import issue, on, pay, private_client
from mutualist.collectives.models import SplitShare
from mutualist.collectives.selectors import bylaws_in_force
from mutualist.core.money import Money
from mutualist.testing import Billed

D = dt.date
PERIOD = MonthRange(first=D(2026, 12, 1), last=D(2027, 2, 1))


@pytest.fixture
def paid(billed: Billed) -> dict[str, Any]:
    """Collective A's payments, December 2026 to February 2027:

    - Harbour's invoice for the approved hours (Ana 250.00, Ben 100.00 AUD):
      140.00 on 20 Dec and 210.00 on 15 Jan (40% and 60%, so every share is exact);
    - Harbour's 200.00 AUD for Ben's work, paid on 3 Feb;
    - Harbour's 150.00 AUD for Ana's work, paid as 100.00 USD at 1.5 on 10 Feb;
    - Pacific Parcels' (a lead, USD) 80.00 for Ana's work, paid on 20 Jan.

    And collective B: Thames paid Carla's hours (110.00 GBP) on 10 Jan.
    """
    work = billed.work
    cast = work.cast
    a, ana = cast.collective_a, cast.ana
    # The sick-pay fund's levy joins the split rule (the funds issue brings it for real).
    SplitShare.objects.create(
        bylaws=bylaws_in_force(collective=a), recipient="sick_pay", percent=Decimal("5")
    )
    with on(D(2026, 12, 8)):
        hours = invoice_issue(
            invoice=invoice_draft_create(collective=a, actor=ana, engagement=work.engagement),
            actor=ana,
        )
        thames = invoice_issue(
            invoice=invoice_draft_create(
                collective=cast.collective_b, actor=cast.carla, engagement=work.b_engagement
            ),
            actor=cast.carla,
        )
    assert (hours.total_minor, thames.total_minor) == (35000, 11000)
    pay(hours, actor=ana, amount="140", day=D(2026, 12, 20))
    pay(hours, actor=ana, amount="210", day=D(2027, 1, 15))
    pay(thames, actor=cast.carla, amount="110", day=D(2027, 1, 10))
    for_ben = issue(
        collective=a, actor=ana, client=work.harbour, amount="200", day=D(2027, 1, 5),
        member=cast.ben,
    )  # fmt: skip
    pay(for_ben, actor=ana, amount="200", day=D(2027, 2, 3))
    for_ana = issue(
        collective=a, actor=ana, client=work.harbour, amount="150", day=D(2027, 1, 5),
        member=ana,
    )  # fmt: skip
    pay(for_ana, actor=ana, amount="100", currency="USD", fx_rate="1.5", day=D(2027, 2, 10))
    parcels = private_client(a, name="Pacific Parcels", currency="USD", by=ana)
    parcel = issue(
        collective=a, actor=ana, client=parcels, amount="80", day=D(2027, 1, 5), member=ana
    )
    pay(parcel, actor=ana, amount="80", day=D(2027, 1, 20))
    return {"work": work, "cast": cast, "parcels": parcels}


def table_of(report: Any) -> dict[str, dict[str, list[str]]]:
    """Each currency's table as {currency: {series label: [amount per month]}}."""
    return {
        table.currency: {
            series.label: [str(table.amount(month, series.key).amount) for month in table.months]
            for series in table.series
        }
        for table in report.tables
    }


# --- The figures -------------------------------------------------------------------------


def test_income_is_what_payments_settled_per_client_month_and_invoice_currency(paid):
    report = income_by_client(collective=paid["cast"].collective_a, period=PERIOD)

    assert table_of(report) == {
        "AUD": {"Harbour Bridge Logistics": ["140.00", "210.00", "350.00"]},
        "USD": {"Pacific Parcels": ["0.00", "80.00", "0.00"]},
    }
    aud, usd = report.tables
    assert aud.total == Money("700", "AUD")
    assert [total.amount for _, _, total in aud.rows] == [
        Decimal("140.00"),
        Decimal("210.00"),
        Decimal("350.00"),
    ]
    assert usd.total == Money("80", "USD")


def test_member_earnings_are_each_members_shares_by_month_and_currency(paid):
    report = member_earnings(collective=paid["cast"].collective_a, period=PERIOD)

    assert table_of(report) == {
        "AUD": {
            "Ana Reyes": ["85.00", "127.50", "127.50"],
            "Ben Okafor": ["34.00", "51.00", "170.00"],
        },
        "USD": {"Ana Reyes": ["0.00", "68.00", "0.00"]},
    }


def test_treasury_and_fund_inflows_are_their_shares_by_month_without_tax(paid):
    report = treasury_and_fund_inflows(collective=paid["cast"].collective_a, period=PERIOD)

    assert table_of(report) == {
        "AUD": {
            "Sick pay fund": ["7.00", "10.50", "17.50"],
            "Treasury": ["14.00", "21.00", "35.00"],
        },
        "USD": {"Sick pay fund": ["0.00", "4.00", "0.00"], "Treasury": ["0.00", "8.00", "0.00"]},
    }


def test_every_unit_of_income_went_to_a_member_the_treasury_or_a_fund(paid):
    a = paid["cast"].collective_a
    income = income_by_client(collective=a, period=PERIOD).tables
    shared = [
        {t.currency: t for t in report.tables}
        for report in (
            member_earnings(collective=a, period=PERIOD),
            treasury_and_fund_inflows(collective=a, period=PERIOD),
        )
    ]
    for table in income:
        for month, _, total in table.rows:
            parts = sum(
                (
                    row_total
                    for tables in shared
                    for m, _, row_total in tables[table.currency].rows
                    if m == month
                ),
                Money.zero(table.currency),
            )
            assert parts == total  # no tax on these invoices


def test_a_report_keeps_to_its_months(paid):
    january = MonthRange(first=D(2027, 1, 1), last=D(2027, 1, 1))

    report = income_by_client(collective=paid["cast"].collective_a, period=january)

    assert table_of(report) == {
        "AUD": {"Harbour Bridge Logistics": ["210.00"]},
        "USD": {"Pacific Parcels": ["80.00"]},
    }


def test_another_collectives_money_never_shows(paid):
    a, b = paid["cast"].collective_a, paid["cast"].collective_b
    for report in (income_by_client, member_earnings, treasury_and_fund_inflows):
        assert "GBP" not in [t.currency for t in report(collective=a, period=PERIOD).tables]
    assert table_of(income_by_client(collective=b, period=PERIOD)) == {
        "GBP": {"Thames Tea Ltd": ["0.00", "110.00", "0.00"]}
    }


def test_each_report_is_a_constant_number_of_grouped_queries(paid, django_assert_num_queries):
    a = paid["cast"].collective_a
    # One GROUP BY query for the figures, one for the names.
    with django_assert_num_queries(2):
        assert income_by_client(collective=a, period=PERIOD).tables
    with django_assert_num_queries(2):
        assert member_earnings(collective=a, period=PERIOD).tables
    with django_assert_num_queries(1):
        assert treasury_and_fund_inflows(collective=a, period=PERIOD).tables


def test_a_month_range_counts_its_months_across_the_new_year():
    assert MonthRange.last_months(12, today=D(2027, 3, 15)) == MonthRange(
        first=D(2026, 4, 1), last=D(2027, 3, 1)
    )
    assert PERIOD.months == [D(2026, 12, 1), D(2027, 1, 1), D(2027, 2, 1)]
    assert PERIOD.end == D(2027, 3, 1)
    assert month_add(D(2026, 1, 1), -1) == D(2025, 12, 1)
    with pytest.raises(ValueError, match="ends on or after"):
        MonthRange(first=D(2027, 2, 1), last=D(2027, 1, 1))
    with pytest.raises(ValueError, match="first day"):
        MonthRange(first=D(2027, 2, 2), last=D(2027, 3, 1))


# --- The page ----------------------------------------------------------------------------


def reports_url(slug: str = "manila-va", **query: str) -> str:
    url = reverse("billing:reports", kwargs={"slug": slug})
    params = {key.rstrip("_"): value for key, value in query.items()}
    if params:
        url += "?" + "&".join(f"{key}={value}" for key, value in params.items())
    return url


def test_a_member_reads_income_as_a_chart_a_table_and_a_csv_link(paid, client_for):
    # when Ben (a member, not a coordinator) opens the income report
    response = client_for(paid["cast"].ben).get(
        reports_url(report="income", from_="2026-12", to="2027-02")
    )
    # then
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Income by client</h1>" in page
    assert "In AUD: A$700.00" in page
    assert "In USD: $80.00" in page
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="bar-chart" role="img"' in page
    assert '<title id="chart-income-aud-title">Income by client in AUD, by month</title>' in page
    assert "The highest month is February 2027 with A$350.00; in all A$700.00." in page
    assert "<title>Harbour Bridge Logistics, Dec 2026: A$140.00</title>" in page
    assert '<th scope="row">Jan 2027</th>' in page
    assert "A$210.00" in page
    assert (
        reports_url(report="income", from_="2026-12", to="2027-02").replace("&", "&amp;")
        + "&amp;format=csv"
    ) in page
    assert "Thames" not in page


@pytest.mark.parametrize(
    ("report", "heading", "shown"),
    [
        ("earnings", "Member earnings", ["Ana Reyes", "Ben Okafor", "A$170.00"]),
        ("inflows", "Treasury and fund inflows", ["Treasury", "Sick pay fund", "A$35.00"]),
    ],
)
def test_the_other_tabs_show_earnings_and_inflows(paid, client_for, report, heading, shown):
    response = client_for(paid["cast"].ana).get(
        reports_url(report=report, from_="2026-12", to="2027-02")
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert f"<h1>{heading}</h1>" in page
    for text in shown:
        assert text in page


def test_by_default_it_shows_the_last_twelve_months(paid, client_for):
    with on(D(2027, 3, 15)):
        response = client_for(paid["cast"].ana).get(reports_url())
    assert response.status_code == 200
    assert response.context["report"].period == MonthRange(first=D(2026, 4, 1), last=D(2027, 3, 1))
    page = response.content.decode()
    assert "From April 2026 to March 2027." in page
    assert 'value="2026-04"' in page and 'value="2027-03"' in page
    assert "<h1>Income by client</h1>" in page


@pytest.mark.parametrize(
    ("query", "field", "error"),
    [
        ({"from_": "2026-13"}, "from", "13 is not a month: months run from 01 to 12."),
        ({"to": "2026-00"}, "to", "0 is not a month: months run from 01 to 12."),
        ({"from_": "March"}, "from", "Give a month as year and month, like 2026-03."),
        ({"from_": "0001-01"}, "from", "Give a year from 1900 to 9998."),
        (
            {"from_": "2027-02", "to": "2026-12"},
            "to",
            "The last month comes before the first.",
        ),
        (
            {"from_": "2000-01", "to": "2026-12"},
            "to",
            "Show at most 120 months (10 years) at a time.",
        ),
        ({"report": "nope"}, "report", "There is no report called nope; choose one of the tabs."),
    ],
)
def test_bad_months_are_an_error_on_their_field_never_a_500(paid, client_for, query, field, error):
    response = client_for(paid["cast"].ana).get(reports_url(**query))

    assert response.status_code == 400
    assert response.context["form"].errors[field] == [error]
    page = response.content.decode()
    assert error in page
    # the hint about months only where the months were wrong
    assert ("Correct the months above to see the report." in page) == (field != "report")
    assert "<svg" not in page


def test_bad_months_give_no_csv(paid, client_for):
    response = client_for(paid["cast"].ana).get(reports_url(from_="2026-13", format="csv"))
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


def test_months_without_payments_say_so(paid, client_for):
    response = client_for(paid["cast"].ana).get(reports_url(from_="2025-01", to="2025-06"))
    assert response.status_code == 200
    assert "Nothing to show from January 2025 to June 2025" in response.content.decode()


def test_the_csv_has_a_header_and_a_row_per_month_series_and_currency(paid, client_for):
    response = client_for(paid["cast"].ben).get(
        reports_url(report="earnings", from_="2026-12", to="2027-02", format="csv")
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="manila-va-earnings-2026-12-to-2027-02.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
    assert rows == [
        ["month", "member", "currency", "amount"],
        ["2026-12", "Ana Reyes", "AUD", "85.00"],
        ["2026-12", "Ben Okafor", "AUD", "34.00"],
        ["2027-01", "Ana Reyes", "AUD", "127.50"],
        ["2027-01", "Ben Okafor", "AUD", "51.00"],
        ["2027-01", "Ana Reyes", "USD", "68.00"],
        ["2027-02", "Ana Reyes", "AUD", "127.50"],
        ["2027-02", "Ben Okafor", "AUD", "170.00"],
    ]


def test_names_in_the_csv_stay_text_in_a_spreadsheet_and_keep_their_accents(paid, client_for):
    # given two clients with awkward names, each paid in January
    cast = paid["cast"]
    a, ana = cast.collective_a, cast.ana
    for name in ('=HYPERLINK("http://evil.example")', "Café Ñandú"):
        client = private_client(a, name=name, currency="AUD", by=ana)
        invoice = issue(collective=a, actor=ana, client=client, amount="10", day=D(2027, 1, 5))
        pay(invoice, actor=ana, amount="10", day=D(2027, 1, 6))
    # when
    response = client_for(ana).get(reports_url(from_="2027-01", to="2027-01", format="csv"))
    # then
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
    assert ["2027-01", '\'=HYPERLINK("http://evil.example")', "AUD", "10.00"] in rows
    assert ["2027-01", "Café Ñandú", "AUD", "10.00"] in rows


@pytest.mark.parametrize("who", ["carla", "olga", "dana"])
@pytest.mark.parametrize("fmt", ["", "csv"])
def test_anyone_outside_the_collective_finds_no_reports(paid, client_for, who, fmt):
    user = paid["work"].dana if who == "dana" else getattr(paid["cast"], who)
    response = client_for(user).get(reports_url(format=fmt) if fmt else reports_url())
    assert response.status_code == 404


def test_reports_ask_a_visitor_to_log_in(paid, client):
    response = client.get(reports_url(format="csv"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("members:login"))


def test_reports_are_only_read(paid, client_for):
    assert client_for(paid["cast"].ana).post(reports_url()).status_code == 405


# --- The dashboard panel -----------------------------------------------------------------


def test_the_dashboard_leads_members_to_the_reports_of_collectives_that_invoiced(paid, client_for):
    # given A and B have issued invoices; Ben is in A only
    page = client_for(paid["cast"].ben).get(reverse("members:dashboard")).content.decode()
    # then
    assert reverse("billing:reports", kwargs={"slug": "manila-va"}) in page
    assert reverse("billing:scorecard", kwargs={"slug": "manila-va"}) in page
    assert reverse("billing:reports", kwargs={"slug": "remote-crew"}) not in page


def test_no_reports_panel_before_anything_is_invoiced(cast, client_for):
    for user in (cast.ana, cast.olga):
        page = client_for(user).get(reverse("members:dashboard")).content.decode()
        assert 'id="reports-panel-heading"' not in page
