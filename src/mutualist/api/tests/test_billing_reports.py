"""The client scorecard and the monthly reports through the API, read-only,
for the collective's members.

The world (``billing_support``): MANILA-2026-0001, issued to Harbour on 8
December 2026 for 385.00 AUD, due 7 January 2027.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from mutualist.api.tests.billing_support import NOON, A, issued_invoice, paid
from mutualist.api.tests.support import assert_leaks_nothing, assert_problem, bearer_client
from mutualist.billing.services import payment_record
from mutualist.core.money import Money
from mutualist.testing import Billed


@pytest.fixture(autouse=True)
def december(time_machine: Any) -> None:
    time_machine.move_to(NOON, tick=False)


def test_the_scorecard_shows_what_a_client_owes_and_how_it_pays(
    billed: Billed, time_machine: Any
) -> None:
    # given the invoice, unpaid at first
    invoice = issued_invoice(billed)
    ben = bearer_client(billed.work.cast.ben)
    [unpaid] = ben.get(f"{A}/scorecard").json()["rows"]

    # when Harbour pays it ten days after its due date
    late = dt.date(2027, 1, 17)
    time_machine.move_to(dt.datetime(2027, 1, 17, 12, tzinfo=dt.UTC), tick=False)
    payment_record(
        invoice=invoice, actor=billed.work.cast.ana, amount=Money("385", "AUD"),
        received_on=late, method="bank_transfer", idempotency_key="late",
    )  # fmt: skip
    scorecard = ben.get(f"{A}/scorecard").json()

    # then it was owed, and is now paid, late, after 40 days
    assert (unpaid["client"]["name"], unpaid["issued"], unpaid["paid"]) == (
        "Harbour Bridge Logistics",
        1,
        0,
    )
    assert (unpaid["unpaid"]["amount"], unpaid["average_days_to_pay"]) == ("385.00", None)
    [row] = scorecard["rows"]
    assert scorecard["as_of"] == "2027-01-17"
    assert (row["paid"], row["paid_late"], row["paid_late_percent"]) == (1, 1, "100.0")
    assert (row["average_days_to_pay"], row["unpaid"]["amount"]) == ("40.0", "0.00")


def test_the_monthly_reports_split_income_earnings_and_inflows(billed: Billed) -> None:
    paid(billed, issued_invoice(billed), "385.00")
    ben = bearer_client(billed.work.cast.ben)

    def table(name: str) -> dict[str, Any]:
        response = ben.get(f"{A}/reports/{name}", {"from": "2026-11", "to": "2026-12"})
        assert response.status_code == 200, response.content
        body = response.json()
        assert (body["from"], body["to"]) == ("2026-11", "2026-12")
        [aud] = body["tables"]
        return dict(aud)

    income, earnings, inflows = table("income"), table("earnings"), table("inflows")

    assert [s["label"] for s in income["series"]] == ["Harbour Bridge Logistics"]
    assert [(r["month"], [a["amount"] for a in r["amounts"]]) for r in income["rows"]] == [
        ("2026-11", ["0.00"]),
        ("2026-12", ["385.00"]),
    ]
    assert [s["label"] for s in earnings["series"]] == ["Ana Reyes", "Ben Okafor"]
    assert [a["amount"] for a in earnings["series_totals"]] == ["225.00", "90.00"]
    assert [s["label"] for s in inflows["series"]] == ["Treasury"]
    assert inflows["total"] == {"amount": "35.00", "currency": "AUD"}


def test_a_report_covers_the_last_twelve_months_unless_asked(billed: Billed) -> None:
    ben = bearer_client(billed.work.cast.ben)

    default = ben.get(f"{A}/reports/income").json()
    from_only = ben.get(f"{A}/reports/income", {"from": "2026-03"}).json()
    to_only = ben.get(f"{A}/reports/income", {"to": "2026-03"}).json()

    assert (default["from"], default["to"], default["tables"]) == ("2026-01", "2026-12", [])
    assert (from_only["from"], from_only["to"]) == ("2026-03", "2027-02")
    assert (to_only["from"], to_only["to"]) == ("2025-04", "2026-03")


@pytest.mark.parametrize(
    ("query", "code", "field"),
    [
        ({"from": "2026-12", "to": "2026-11"}, "invalid_period", "to"),
        ({"from": "2000-01", "to": "2026-12"}, "invalid_period", "to"),
        ({"from": "2026-13"}, "validation_failed", "from"),
        ({"to": "March"}, "validation_failed", "to"),
        # widened by eleven months, 9999 would run past the last date (was a 500)
        ({"from": "9999-06"}, "validation_failed", "from"),
        ({"to": "9999-01"}, "validation_failed", "to"),
    ],
)
def test_it_refuses_a_bad_period(
    billed: Billed, query: dict[str, str], code: str, field: str
) -> None:
    response = bearer_client(billed.work.cast.ben).get(f"{A}/reports/income", query)

    problem = assert_problem(response, 422, code)
    assert [error["field"] for error in problem["errors"]] == [field]


def test_an_unknown_report_is_refused(billed: Billed) -> None:
    response = bearer_client(billed.work.cast.ben).get(f"{A}/reports/salaries")

    assert_problem(response, 422, "validation_failed")


@pytest.mark.parametrize("who", ["olga", "carla", "dana"])
@pytest.mark.parametrize("path", ["scorecard", "reports/income", "reports/earnings"])
def test_outsiders_and_the_clients_contact_read_no_report(
    billed: Billed, who: str, path: str
) -> None:
    paid(billed, issued_invoice(billed), "385.00")
    person = billed.work.dana if who == "dana" else getattr(billed.work.cast, who)

    response = bearer_client(person).get(f"{A}/{path}")

    assert_problem(response, 404, "not_found")
    assert_leaks_nothing(response, "Harbour", "385.00", "Ana Reyes")
