"""A coordinator converts a pooled fund's levies into the fund's currency."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from mutualist.core.errors import Conflict, PermissionDenied, ValidationFailed
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
from mutualist.mutual.services.conversion import fund_convert
from mutualist.mutual.tests.helpers import NOW, fund_active, snapshot
from mutualist.testing import Cast, ledger_checked

pytestmark = pytest.mark.django_db


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


def test_a_coordinator_converts_levies_into_the_funds_currency_at_the_rate_on_record(
    cast: Cast, gap: Fund
) -> None:
    posted = fund_convert(
        fund=gap, actor=cast.ana, amount=Money("40", "AUD"), to_currency="php", idempotency_key="k1"
    )
    assert posted.fx_rate == 38.5
    assert balance_minor(pool_account(cast.collective_a, "income_gap", "AUD")) == 6000
    assert balance_minor(pool_account(cast.collective_a, "income_gap", "PHP")) == 154000
    again = fund_convert(
        fund=gap, actor=cast.ana, amount=Money("40", "AUD"), to_currency="PHP", idempotency_key="k1"
    )
    assert again == posted
    assert balance_minor(pool_account(cast.collective_a, "income_gap", "PHP")) == 154000
    ledger_checked()


@pytest.mark.parametrize(
    ("who", "amount", "to", "code"),
    [
        ("ben", "40", "PHP", "not_coordinator"),
        ("carla", "40", "PHP", "not_a_member"),
        ("ana", "100.01", "PHP", "beyond_available"),
        ("ana", "0", "PHP", "invalid_amount"),
        ("ana", "10", "AUD", "same_currency"),
        ("ana", "10", "XYZ", "invalid_currency"),
        ("ana", "10", "USD", "no_rate"),
    ],
)
def test_it_refuses_a_conversion_and_changes_nothing(
    cast: Cast, gap: Fund, who: str, amount: str, to: str, code: str
) -> None:
    before = snapshot()
    with pytest.raises((Conflict, PermissionDenied, ValidationFailed)) as refused:
        fund_convert(
            fund=gap,
            actor=getattr(cast, who),
            amount=Money(amount, "AUD"),
            to_currency=to,
            idempotency_key="k",
        )
    assert refused.value.code == code
    assert snapshot() == before


def test_a_key_used_for_another_conversion_is_refused(cast: Cast, gap: Fund) -> None:
    fund_convert(
        fund=gap, actor=cast.ana, amount=Money("10", "AUD"), to_currency="PHP", idempotency_key="k"
    )
    before = snapshot()
    with pytest.raises(Conflict) as refused:
        fund_convert(
            fund=gap,
            actor=cast.ana,
            amount=Money("20", "AUD"),
            to_currency="PHP",
            idempotency_key="k",
        )
    assert refused.value.code == "idempotency_key_reused"
    assert snapshot() == before


def test_sick_pay_is_not_converted(cast: Cast) -> None:
    fund = fund_active(cast.collective_a, "sick_pay", created_by=cast.ana)
    with pytest.raises(ValidationFailed) as refused:
        fund_convert(
            fund=fund,
            actor=cast.ana,
            amount=Money("10", "PHP"),
            to_currency="AUD",
            idempotency_key="k",
        )
    assert refused.value.code == "not_pooled"
