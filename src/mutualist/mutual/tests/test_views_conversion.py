"""A pooled fund's currencies through the web UI: the fund page names the
currencies its runway leaves out for want of a rate, and a coordinator
converts levies into the fund's currency on the fund's convert page.

Collective A's income-gap fund (PHP) holds 1,000.00 PHP and 100.00 AUD of
levies (a client in Sydney paid in AUD). The clock is frozen at ``NOW``
(Friday 27 November 2026).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from mutualist.ledger.models import Transaction
from mutualist.ledger.services import exchange_rate_set
from mutualist.mutual.accounts import balance_minor, pool_account
from mutualist.mutual.models import Fund
from mutualist.mutual.tests.helpers import NOW, fund_active, snapshot
from mutualist.mutual.tests.test_views_support import fill, page_of, shows
from mutualist.testing import Cast, ledger_checked

pytestmark = pytest.mark.django_db

A = "manila-va"
KEY = "0123456789abcdef0123456789abcdef"


@pytest.fixture(autouse=True)
def _now(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


def url(name: str, kind: str = "income_gap") -> str:
    return reverse(f"mutual:{name}", kwargs={"slug": A, "kind": kind})


@pytest.fixture
def gap(cast: Cast) -> Fund:
    fund = fund_active(cast.collective_a, "income_gap", created_by=cast.ana)
    fill(fund, "1000", "php")
    fill(fund, "100", "aud", currency="AUD")
    return fund


def with_rate(cast: Cast) -> None:
    exchange_rate_set(
        collective=cast.collective_a,
        actor=cast.ana,
        base="AUD",
        quote="PHP",
        rate="38.50",
        on=NOW.date() - dt.timedelta(days=1),
    )


def held(cast: Cast, currency: str) -> int:
    return balance_minor(pool_account(cast.collective_a, "income_gap", currency))


def conversion(**changes: str) -> dict[str, str]:
    return {
        "amount": "40",
        "from_currency": "AUD",
        "to_currency": "PHP",
        "rate": "",
        "rate_source": "",
        "idempotency_key": KEY,
        **changes,
    }


# --- The fund page ------------------------------------------------------------------------------


def test_the_fund_page_names_the_currencies_left_out_of_the_runway(
    cast: Cast, gap: Fund, client_for: Any
) -> None:
    # Given no AUD/PHP rate on record
    ana = client_for(cast.ana).get(url("fund"))
    ben = client_for(cast.ben).get(url("fund"))
    # Then both read why the AUD is not counted; only Ana is offered to fix it
    for page in (ana, ben):
        assert shows(page, "AUD is left out: no AUD/PHP rate on record")
    rates = reverse("ledger:rates", kwargs={"slug": A})
    assert rates in page_of(ana) and rates not in page_of(ben)
    # and only Ana is offered to convert
    assert url("fund_convert") in page_of(ana)
    assert url("fund_convert") not in page_of(ben)
    # Once a rate is on record, nothing is left out
    with_rate(cast)
    assert not shows(client_for(cast.ben).get(url("fund")), "left out")


def test_a_fund_held_per_member_offers_no_conversion(cast: Cast, client_for: Any) -> None:
    fund_active(cast.collective_a, "savings", created_by=cast.ana)
    ana = client_for(cast.ana)
    assert url("fund_convert", "savings") not in page_of(ana.get(url("fund", "savings")))
    assert ana.get(url("fund_convert", "savings")).status_code == 404


# --- Converting ---------------------------------------------------------------------------------


def test_a_coordinator_converts_levies_at_the_rate_on_record_once(
    cast: Cast, gap: Fund, client_for: Any
) -> None:
    with_rate(cast)
    ana = client_for(cast.ana)
    # Given the convert page says why, what the fund holds and at what rate
    page = ana.get(url("fund_convert"))
    assert page.status_code == 200
    assert shows(page, "Levies arrive in the clients' currencies; top-ups are paid in the fund's")
    assert shows(page, "1 AUD = 38.5 PHP")
    assert "A$100.00" in page_of(page)
    assert 'type="hidden" name="idempotency_key"' in page_of(page)
    # When Ana converts 40.00 AUD into PHP
    response = ana.post(url("fund_convert"), conversion(), follow=True)
    # Then 1,540.00 PHP is in the pool, and she is told so on the fund page
    assert response.redirect_chain == [(url("fund"), 302)]
    assert shows(response, "Converted A$40.00 into ₱1,540.00 at 38.5")
    assert (held(cast, "AUD"), held(cast, "PHP")) == (6000, 254000)
    # A second press of the same form converts nothing more
    count = Transaction.objects.count()
    again = ana.post(url("fund_convert"), conversion())
    assert again.status_code == 302
    assert Transaction.objects.count() == count
    assert (held(cast, "AUD"), held(cast, "PHP")) == (6000, 254000)
    ledger_checked()


def test_a_fund_holding_only_its_own_currency_is_asked_which_to_buy(
    cast: Cast, client_for: Any
) -> None:
    fund = fund_active(cast.collective_a, "guarantee", created_by=cast.ana)
    fill(fund, "500", "guarantee-php")
    page = client_for(cast.ana).get(url("fund_convert", "guarantee"))
    form = page.context["form"]
    assert (form["from_currency"].value(), form["to_currency"].value()) == ("PHP", "")
    assert shows(page, "Choose a currency")
    assert shows(page, "a claim is paid in its invoice's")
    # Nothing free to convert: no form at all
    empty = fund_active(cast.collective_b, "income_gap", created_by=cast.carla)
    page = client_for(cast.carla).get(
        reverse("mutual:fund_convert", kwargs={"slug": empty.collective.slug, "kind": "income_gap"})
    )
    assert page.context["form"] is None
    assert shows(page, "The fund holds nothing free to convert.")


def test_a_rate_given_by_hand_is_used_and_its_source_recorded(
    cast: Cast, gap: Fund, client_for: Any
) -> None:
    response = client_for(cast.ana).post(
        url("fund_convert"), conversion(amount="10", rate="39", rate_source="BPI receipt 77")
    )
    assert response.status_code == 302
    posted = Transaction.objects.get(kind="conversion")
    assert (posted.fx_rate, posted.fx_rate_source) == (Decimal("39"), "BPI receipt 77")
    assert held(cast, "PHP") == 100000 + 39000


@pytest.mark.parametrize(
    ("changes", "field", "status", "words"),
    [
        ({"amount": "100.01"}, "amount", 409, "is more"),
        ({"amount": "0"}, "amount", 422, "above zero"),
        ({"amount": "forty"}, "amount", 422, ""),
        ({"amount": "1.005"}, "amount", 422, "decimal"),
        ({"to_currency": "AUD"}, "to_currency", 422, "another currency"),
        ({"to_currency": "USD"}, "rate", 422, "No AUD/USD rate"),
        ({"to_currency": "XYZ"}, "to_currency", 422, ""),
        ({"rate": "-2"}, "rate", 422, ""),
        # Only currencies the fund has money free in are offered.
        ({"from_currency": "USD"}, "from_currency", 422, ""),
        ({"idempotency_key": "x"}, "idempotency_key", 422, "load the page again"),
    ],
)
def test_bad_input_is_refused_on_its_field_and_nothing_changes(
    cast: Cast,
    gap: Fund,
    client_for: Any,
    changes: dict[str, str],
    field: str,
    status: int,
    words: str,
) -> None:
    with_rate(cast)
    before = snapshot()
    ana = client_for(cast.ana)
    response = ana.post(url("fund_convert"), conversion(**changes))
    assert response.status_code == status
    errors = response.context["form"].errors
    assert field in errors, errors
    assert words in " ".join(errors[field])
    assert snapshot() == before


def test_a_form_used_for_another_conversion_asks_again_with_a_fresh_key(
    cast: Cast, gap: Fund, client_for: Any
) -> None:
    with_rate(cast)
    ana = client_for(cast.ana)
    ana.post(url("fund_convert"), conversion(amount="10"))
    before = snapshot()
    response = ana.post(url("fund_convert"), conversion(amount="20"))
    assert response.status_code == 409
    form = response.context["form"]
    assert "already used for another conversion" in " ".join(form.non_field_errors())
    assert form.data["idempotency_key"] != KEY
    assert snapshot() == before


def test_only_coordinators_convert_and_outsiders_see_nothing(
    cast: Cast, gap: Fund, client_for: Any
) -> None:
    with_rate(cast)
    before = snapshot()
    ben = client_for(cast.ben)
    assert ben.get(url("fund_convert")).status_code == 403
    assert ben.post(url("fund_convert"), conversion()).status_code == 403
    for outsider in (cast.carla, cast.olga):
        assert client_for(outsider).get(url("fund_convert")).status_code == 404
        assert client_for(outsider).post(url("fund_convert"), conversion()).status_code == 404
    assert snapshot() == before
