"""Payouts, payout settings and members' payables through the API.

The world (``billing_support``): MANILA-2026-0001 (385.00 AUD) is paid in
full into collective A's AUD bank account, so A owes Ana 225.00 AUD and Ben
90.00 AUD. Refusals assert the exact code and that nothing changed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from mutualist.api.tests.billing_support import (
    NOON,
    A,
    B,
    issued_invoice,
    money,
    paid,
    post,
    state,
)
from mutualist.api.tests.support import (
    assert_leaks_nothing,
    assert_problem,
    bearer_client,
    put_json,
)
from mutualist.billing.models import Payout
from mutualist.billing.services import payout_record
from mutualist.core.money import Money
from mutualist.ledger.models import Account
from mutualist.ledger.services import exchange_rate_set
from mutualist.testing import Billed, build_books

AUD_BANK = "Assets:Collectives:ManilaVa:Bank:AUD"


@pytest.fixture(autouse=True)
def december(time_machine: Any) -> None:
    time_machine.move_to(NOON, tick=False)


@pytest.fixture
def owed(billed: Billed) -> Billed:
    """A owes Ana 225.00 AUD and Ben 90.00 AUD; its AUD bank holds 385.00."""
    paid(billed, issued_invoice(billed), "385.00")
    return billed


def bank() -> Account:
    return Account.objects.get(name=AUD_BANK)


def ana_payable() -> Account:
    return Account.objects.get(name__startswith="Liabilities:Collectives:ManilaVa:Members:AnaReyes")


def payout_body(**changes: Any) -> dict[str, Any]:
    body = {"member": "ana-reyes", "amount": money("100.00"), "source_account": bank().pk,
            "reference": "GCash 5521"}  # fmt: skip
    return {**body, **changes}


# --- Payout settings -----------------------------------------------------------------------


def test_a_member_chooses_the_currency_they_are_paid_in(owed: Billed) -> None:
    ben = bearer_client(owed.work.cast.ben)

    before = ben.get(f"{A}/payout-setting").json()
    chosen = put_json(
        ben, f"{A}/payout-setting", {"currency": "php", "details": "BPI 1234-5678-90"}
    )
    after = ben.get(f"{A}/payout-setting").json()

    assert before == {"currency": None, "details": "", "updated_at": None}
    assert chosen.status_code == 200, chosen.content
    assert (after["currency"], after["details"]) == ("PHP", "BPI 1234-5678-90")
    # the coordinators read it beside what Ben is owed
    payables = bearer_client(owed.work.cast.ana).get(f"{A}/payables").json()["items"]
    assert [(row["member"]["handle"], row["payout_currency"]) for row in payables] == [
        ("ana-reyes", None),
        ("ben-okafor", "PHP"),
    ]


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"currency": "XYZ"}, "invalid_currency", None),
        ({"currency": "PHP", "details": "x" * 2001}, "validation_failed", "details"),
        ({"details": "BPI"}, "validation_failed", "currency"),
    ],
)
def test_it_refuses_a_bad_payout_setting(
    owed: Billed, body: dict[str, Any], code: str, field: str | None
) -> None:
    before = state()

    response = put_json(bearer_client(owed.work.cast.ben), f"{A}/payout-setting", body)

    problem = assert_problem(response, 422, code)
    if field is not None:
        assert [error["field"] for error in problem["errors"]] == [field]
    assert state() == before


@pytest.mark.parametrize("who", ["olga", "carla", "dana"])
def test_outsiders_have_no_payout_setting_here(owed: Billed, who: str) -> None:
    person = owed.work.dana if who == "dana" else getattr(owed.work.cast, who)
    before = state()

    read = bearer_client(person).get(f"{A}/payout-setting")
    written = put_json(bearer_client(person), f"{A}/payout-setting", {"currency": "PHP"})

    assert_problem(read, 404, "not_found")
    assert_problem(written, 404, "not_found")
    assert state() == before


# --- Payouts -------------------------------------------------------------------------------


def test_a_coordinator_records_a_payout_and_the_payable_goes_down(owed: Billed) -> None:
    response = post(bearer_client(owed.work.cast.ana), f"{A}/payouts", payout_body(), key="po-1")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["member"]["handle"] == "ana-reyes"
    assert (body["amount"], body["sent"]) == (money("100.00"), money("100.00"))
    assert (body["paid_on"], body["reference"], body["fx_rate"]) == ("2026-12-08", "GCash 5521",
                                                                    None)  # fmt: skip
    assert body["source_account"]["name"] == AUD_BANK
    assert ana_payable().balance_minor == -125_00
    assert bank().balance_minor == 285_00


def test_a_payout_from_an_account_in_another_currency_records_what_was_sent(
    owed: Billed,
) -> None:
    # given A's PHP bank (100,000.00 PHP) and Ana's 225.00 AUD owed
    books = build_books(owed.work.cast)

    response = post(
        bearer_client(owed.work.cast.ana),
        f"{A}/payouts",
        payout_body(amount=money("225.00"), source_account=books.bank.pk,
                    sent_amount=money("8437.50", "PHP")),
        key="po-php",
    )  # fmt: skip

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["amount"], body["sent"], body["fx_rate"]) == (
        money("225.00"),
        money("8437.50", "PHP"),
        "37.5",
    )
    assert ana_payable().balance_minor == 0


def test_a_payout_in_another_currency_uses_the_rate_on_record(owed: Billed) -> None:
    cast = owed.work.cast
    books = build_books(cast)
    exchange_rate_set(
        collective=cast.collective_a, actor=cast.ana, base="AUD", quote="PHP",
        rate=Decimal("37.5"), on=NOON.date(),
    )  # fmt: skip

    response = post(
        bearer_client(cast.ana), f"{A}/payouts", payout_body(source_account=books.bank.pk),
        key="po",
    )  # fmt: skip

    assert response.status_code == 201, response.content
    assert response.json()["sent"] == money("3750.00", "PHP")


@pytest.mark.parametrize(
    ("changes", "status", "code", "field"),
    [
        ({"amount": money("225.01")}, 409, "payout_beyond_payable", "amount"),
        ({"amount": money("10.00", "USD")}, 409, "payout_beyond_payable", "amount"),
        ({"amount": money("-5.00")}, 422, "invalid_amount", "amount"),
        ({"amount": money("0")}, 422, "invalid_amount", "amount"),
        ({"amount": money("5", "XYZ")}, 422, "invalid_currency", "amount.currency"),
        ({"member": "carla-mwangi"}, 422, "not_a_member", "member"),
        ({"member": 999_999}, 422, "not_a_member", "member"),
        ({"source_account": 999_999}, 422, "unknown_account", "source_account"),
        ({"source_account": "payable"}, 422, "unknown_account", "source_account"),
        ({"paid_on": "2026-12-09"}, 422, "date_in_future", "paid_on"),
        ({"sent_amount": money("99.00")}, 422, "invalid_amount", "sent_amount"),
        ({"fx_rate": "2"}, 422, "rate_not_needed", "fx_rate"),
        ({"source_account": "b_bank"}, 422, "unknown_account", "source_account"),
    ],
)
def test_it_refuses_a_bad_payout_and_changes_nothing(
    owed: Billed, changes: dict[str, Any], status: int, code: str, field: str
) -> None:
    if changes.get("source_account") == "payable":
        changes = {**changes, "source_account": ana_payable().pk}
    if changes.get("source_account") == "b_bank":
        changes = {**changes, "source_account": build_books(owed.work.cast).b_bank.pk}
    before = state()

    response = post(
        bearer_client(owed.work.cast.ana), f"{A}/payouts", payout_body(**changes), key="k"
    )

    problem = assert_problem(response, status, code)
    assert [error["field"] for error in problem["errors"]] == [field]
    assert state() == before


def test_a_payout_beyond_the_payable_after_earlier_payouts_is_refused(owed: Billed) -> None:
    ana = bearer_client(owed.work.cast.ana)
    post(ana, f"{A}/payouts", payout_body(amount=money("200.00")), key="first")
    before = state()

    response = post(ana, f"{A}/payouts", payout_body(amount=money("25.01")), key="second")

    problem = assert_problem(response, 409, "payout_beyond_payable")
    assert "25.00 AUD" in problem["detail"]
    assert state() == before


@pytest.mark.parametrize(("who", "status"), [("ben", 403), ("olga", 404), ("dana", 404)])
def test_only_coordinators_record_payouts(owed: Billed, who: str, status: int) -> None:
    person = owed.work.dana if who == "dana" else getattr(owed.work.cast, who)
    before = state()

    response = post(bearer_client(person), f"{A}/payouts", payout_body(member="ben-okafor"),
                    key="k")  # fmt: skip

    assert_problem(response, status, "not_coordinator" if status == 403 else "not_found")
    assert state() == before


def test_a_member_lists_their_own_payouts_and_a_coordinator_everyones(owed: Billed) -> None:
    cast = owed.work.cast
    for member, amount in ((cast.ana, "100.00"), (cast.ben, "90.00")):
        payout_record(
            collective=cast.collective_a, member=member, actor=cast.ana,
            amount=Money(amount, "AUD"), source_account=bank(), paid_on=NOON.date(),
            idempotency_key=f"seed-{member.pk}",
        )  # fmt: skip

    def listed(person: Any, **query: Any) -> list[tuple[str, str]]:
        response = bearer_client(person).get(f"{A}/payouts", query)
        assert response.status_code == 200, response.content
        return [(r["member"]["handle"], r["amount"]["amount"]) for r in response.json()["items"]]

    assert sorted(listed(cast.ana)) == [("ana-reyes", "100.00"), ("ben-okafor", "90.00")]
    assert listed(cast.ana, member=cast.ben.pk) == [("ben-okafor", "90.00")]
    assert listed(cast.ben) == [("ben-okafor", "90.00")]
    assert listed(cast.ben, member=cast.ana.pk) == []
    assert Payout.objects.count() == 2


@pytest.mark.parametrize("who", ["olga", "carla", "dana"])
def test_outsiders_see_no_payouts_or_payables(owed: Billed, who: str) -> None:
    person = owed.work.dana if who == "dana" else getattr(owed.work.cast, who)

    for path in (f"{A}/payouts", f"{A}/payables"):
        response = bearer_client(person).get(path)
        assert_problem(response, 404, "not_found")
        assert_leaks_nothing(response, "225.00", "Ana Reyes")


# --- Payables ----------------------------------------------------------------------------


def test_coordinators_see_what_the_collective_owes_each_member(owed: Billed) -> None:
    response = bearer_client(owed.work.cast.ana).get(f"{A}/payables")

    assert response.status_code == 200
    assert [
        (row["member"]["handle"], row["owed"]["amount"], row["owed"]["currency"])
        for row in response.json()["items"]
    ] == [("ana-reyes", "225.00", "AUD"), ("ben-okafor", "90.00", "AUD")]


def test_a_member_paid_out_in_full_owes_nothing_and_drops_off_the_list(owed: Billed) -> None:
    post(
        bearer_client(owed.work.cast.ana),
        f"{A}/payouts",
        payout_body(member="ben-okafor", amount=money("90.00")),
        key="ben",
    )

    response = bearer_client(owed.work.cast.ana).get(f"{A}/payables")

    assert [row["member"]["handle"] for row in response.json()["items"]] == ["ana-reyes"]


def test_members_see_what_each_collective_owes_them(owed: Billed) -> None:
    ana = bearer_client(owed.work.cast.ana).get("/api/v1/me/payables").json()
    olga = bearer_client(owed.work.cast.olga).get("/api/v1/me/payables").json()

    assert [(row["collective"]["slug"], row["owed"]) for row in ana["items"]] == [
        ("manila-va", money("225.00"))
    ]
    assert olga["items"] == []


def test_members_do_not_read_the_payables(owed: Billed) -> None:
    assert_problem(bearer_client(owed.work.cast.ben).get(f"{A}/payables"), 403, "not_coordinator")
    # Carla coordinates B, which owes no one yet
    assert bearer_client(owed.work.cast.carla).get(f"{B}/payables").json()["items"] == []
