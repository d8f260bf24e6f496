"""POST /collectives/{slug}/funds/{kind}/conversions: a coordinator converts
a pooled fund's levies into another currency."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from mutualist.api.tests.support import assert_problem, bearer_client
from mutualist.api.tests.test_mutual_support import NOW, A, post, state
from mutualist.core.money import Money
from mutualist.ledger.services import (
    Line,
    account_name_for,
    account_open,
    exchange_rate_set,
    transaction_post,
)
from mutualist.mutual.accounts import balance_minor, pool_account
from mutualist.mutual.models import Fund
from mutualist.mutual.tests.helpers import fund_active
from mutualist.testing import Cast, ledger_checked

pytestmark = pytest.mark.django_db
PATH = f"{A}/funds/income_gap/conversions"
BODY = {"amount": {"amount": "40.00", "currency": "AUD"}, "to_currency": "PHP"}


@pytest.fixture(autouse=True)
def _now(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def gap(cast: Cast) -> Fund:
    fund = fund_active(cast.collective_a, "income_gap", created_by=cast.ana)
    collective = cast.collective_a
    opening = account_open(
        collective=collective,
        name=account_name_for(collective, "equity", "Opening", "AUD"),
        type="equity",
        currency="AUD",
    )
    levy = Money("100", "AUD")
    transaction_post(
        lines=[Line(opening, levy), Line(pool_account(collective, "income_gap", "AUD"), -levy)],
        memo="Levies in AUD",
        occurred_at=NOW.date(),
        idempotency_key="test:aud-levies",
        kind="opening",
    )
    exchange_rate_set(
        collective=collective,
        actor=cast.ana,
        base="AUD",
        quote="PHP",
        rate="38.50",
        on=NOW.date() - dt.timedelta(days=1),
    )
    return fund


def test_a_coordinator_converts_once_per_key(cast: Cast, gap: Fund) -> None:
    ana = bearer_client(cast.ana)
    first = post(ana, PATH, BODY, key="c1")
    assert first.status_code == 201, first.content
    body = first.json()
    assert (body["kind"], body["fx_rate"]) == ("conversion", "38.5")
    again = post(ana, PATH, BODY, key="c1")
    assert again.status_code == 201 and again.json()["id"] == body["id"]
    assert balance_minor(pool_account(cast.collective_a, "income_gap", "PHP")) == 154000
    assert balance_minor(pool_account(cast.collective_a, "income_gap", "AUD")) == 6000
    ledger_checked()


@pytest.mark.parametrize(
    ("who", "body", "status", "code"),
    [
        ("ben", BODY, 403, "not_coordinator"),
        ("carla", BODY, 404, "not_found"),
        (
            "ana",
            {**BODY, "amount": {"amount": "100.01", "currency": "AUD"}},
            409,
            "beyond_available",
        ),
        ("ana", {**BODY, "to_currency": "USD"}, 422, "no_rate"),
        ("ana", {**BODY, "to_currency": "AUD"}, 422, "same_currency"),
    ],
)
def test_refused_conversions_change_nothing(
    cast: Cast, gap: Fund, who: str, body: dict[str, Any], status: int, code: str
) -> None:
    before = state()
    assert_problem(post(bearer_client(getattr(cast, who)), PATH, body, key="k"), status, code)
    assert state() == before


def test_sick_pay_money_is_not_converted(cast: Cast) -> None:
    fund_active(cast.collective_a, "sick_pay", created_by=cast.ana)
    assert_problem(
        post(bearer_client(cast.ana), f"{A}/funds/sick_pay/conversions", BODY, key="k"),
        422,
        "not_pooled",
    )
