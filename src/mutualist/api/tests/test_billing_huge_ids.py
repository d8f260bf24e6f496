"""Ids no database can hold (beyond 64 bits) are refused or find nothing,
never a 500: SQLite cannot even bind them to a query."""

from __future__ import annotations

from typing import Any

import pytest

from mutualist.api.tests.billing_support import NOON, A, issued_invoice, money, paid, post, state
from mutualist.api.tests.support import bearer_client
from mutualist.testing import Billed

BIG = 2**70  # valid JSON int; beyond any database id


@pytest.fixture(autouse=True)
def december(time_machine: Any) -> None:
    time_machine.move_to(NOON, tick=False)


def test_a_fixed_item_for_a_member_id_beyond_64_bits_is_422_not_a_member(billed: Billed) -> None:
    before = state()
    r = post(
        bearer_client(billed.work.cast.ana),
        f"{A}/invoices",
        {
            "engagement": billed.work.engagement.pk,
            "items": [
                {"description": "x", "quantity": 1, "unit_price": money("1.00"), "member": BIG}
            ],
        },
    )
    assert r.status_code == 422, r.content
    assert r.json()["code"] == "not_a_member" and state() == before


def test_a_payout_to_a_member_id_beyond_64_bits_is_422_not_a_member(billed: Billed) -> None:
    paid(billed, issued_invoice(billed), "100.00")
    before = state()
    r = post(
        bearer_client(billed.work.cast.ana),
        f"{A}/payouts",
        {"member": BIG, "amount": money("1.00"), "source_account": 1},
        key="k",
    )
    assert r.status_code == 422, r.content
    assert r.json()["code"] == "not_a_member" and state() == before


@pytest.mark.parametrize(
    "who,path",
    [
        ("ana", f"{A}/invoices?client={BIG}"),
        ("dana", f"/api/v1/me/invoices?client={BIG}"),
        ("ana", f"{A}/payouts?member={BIG}"),
    ],
)
def test_a_list_filter_by_an_id_beyond_64_bits_is_empty_or_422(
    billed: Billed, who: str, path: str
) -> None:
    user = billed.work.dana if who == "dana" else billed.work.cast.ana
    r = bearer_client(user).get(path)
    assert r.status_code in (200, 422), r.content
