"""Payments through the API: recording them, where every unit went, and who
may see what.

The world (``billing_support``): MANILA-2026-0001, issued on 8 December 2026
to Harbour for 385.00 AUD (350.00 and 35.00 tax). Its split: tax 35.00, the
treasury 10 % of the net (35.00), Ana 225.00 and Ben 90.00 (by what their
lines bill). Refusals assert the exact code and that nothing changed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from mutualist.api.tests.billing_support import (
    NOON,
    draft_of,
    issued_invoice,
    money,
    paid,
    post,
    state,
)
from mutualist.api.tests.support import assert_leaks_nothing, assert_problem, bearer_client
from mutualist.billing.models import Invoice, Payment
from mutualist.billing.services import credit_note_issue
from mutualist.ledger.models import Account, Transaction
from mutualist.ledger.services import account_name_for, account_open, exchange_rate_set
from mutualist.testing import Billed


@pytest.fixture(autouse=True)
def december(time_machine: Any) -> None:
    time_machine.move_to(NOON, tick=False)


@pytest.fixture
def invoice(billed: Billed) -> Invoice:
    return issued_invoice(billed)


def payments(invoice: Invoice) -> str:
    return f"/api/v1/invoices/{invoice.pk}/payments"


def payment_body(**changes: Any) -> dict[str, Any]:
    return {"amount": money("100.00"), "method": "bank_transfer", "reference": "Wire 77", **changes}


def shares(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(share["key"], share["amount"]["amount"]) for share in body["shares"]]


# --- Recording -------------------------------------------------------------------------------


def test_a_coordinator_records_a_payment_and_sees_where_every_unit_went(
    billed: Billed, invoice: Invoice
) -> None:
    cast = billed.work.cast

    response = post(bearer_client(cast.ana), payments(invoice), payment_body(), key="pay-1")

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["amount"], body["applied"], body["credit"]) == (
        money("100.00"),
        money("100.00"),
        money("0.00"),
    )
    assert (body["received_on"], body["method"], body["reference"]) == (
        "2026-12-08",
        "bank_transfer",
        "Wire 77",
    )
    assert body["deposit_account"]["name"] == "Assets:Collectives:ManilaVa:Bank:AUD"
    # 100.00 of 385.00, shared in proportion to what each is owed
    assert shares(body) == [
        ("tax", "9.09"),
        ("treasury", "9.09"),
        (f"member:{cast.ana.pk}", "58.44"),
        (f"member:{cast.ben.pk}", "23.38"),
    ]
    assert sum(Decimal(amount) for _, amount in shares(body)) == Decimal("100.00")
    assert [share["words"] for share in body["shares"]][2] == (
        "58.44 AUD to Ana Reyes, for their share of the work"
    )
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_minor) == ("issued", 100_00)
    assert Transaction.objects.get(pk=body["transaction_id"]).kind == "payment"


def test_partial_payments_add_up_to_each_recipients_exact_share(
    billed: Billed, invoice: Invoice
) -> None:
    cast = billed.work.cast
    ana = bearer_client(cast.ana)

    for n, amount in enumerate(["100.00", "0.01", "84.99", "200.00"]):
        response = post(ana, payments(invoice), payment_body(amount=money(amount)), key=f"p{n}")
        assert response.status_code == 201, response.content

    split = ana.get(f"/api/v1/invoices/{invoice.pk}").json()["split"]["recipients"]
    assert [(r["label"], r["owed"]["amount"], r["received"]["amount"]) for r in split] == [
        ("Tax", "35.00", "35.00"),
        ("Treasury", "35.00", "35.00"),
        ("Ana Reyes", "225.00", "225.00"),
        ("Ben Okafor", "90.00", "90.00"),
    ]
    invoice.refresh_from_db()
    assert invoice.status == "paid"


def test_a_payment_in_another_currency_records_the_rate_and_keeps_the_excess_as_credit(
    billed: Billed, invoice: Invoice
) -> None:
    # given 100 AUD paid, and a USD account for the rest
    cast = billed.work.cast
    paid(billed, invoice, "100.00")
    usd = account_open(
        collective=cast.collective_a,
        name=account_name_for(cast.collective_a, "assets", "Wise", "USD"),
        type="assets",
        currency="USD",
    )

    # when 300 USD arrive at 1.5 AUD per USD, the excess kept as credit
    response = post(
        bearer_client(cast.ana),
        payments(invoice),
        payment_body(amount=money("300.00", "USD"), fx_rate="1.5", fx_rate_source="Wise",
                     deposit_account=usd.pk, excess="credit"),
        key="usd",
    )  # fmt: skip

    # then it settles the 285.00 AUD left and keeps 165.00 AUD for Harbour
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["amount"], body["applied"], body["credit"]) == (
        money("300.00", "USD"),
        money("285.00"),
        money("165.00"),
    )
    assert (body["fx_rate"], body["fx_rate_source"]) == ("1.5", "Wise")
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    ana_payable = Account.objects.get(
        name__startswith="Liabilities:Collectives:ManilaVa:Members:Ana"
    )
    assert ana_payable.balance_minor == -225_00


def test_without_a_rate_the_collectives_rate_on_record_is_used(
    billed: Billed, invoice: Invoice
) -> None:
    cast = billed.work.cast
    exchange_rate_set(
        collective=cast.collective_a, actor=cast.ana, base="USD", quote="AUD",
        rate=Decimal("1.5"), on=NOON.date(),
    )  # fmt: skip

    response = post(
        bearer_client(cast.ana), payments(invoice), payment_body(amount=money("10.00", "USD")),
        key="usd",
    )  # fmt: skip

    assert response.status_code == 201, response.content
    assert (response.json()["applied"], response.json()["fx_rate"]) == (money("15.00"), "1.5")


@pytest.mark.parametrize(
    ("changes", "status", "code", "field"),
    [
        ({"amount": money("-10.00")}, 422, "invalid_amount", "amount"),
        ({"amount": money("0")}, 422, "invalid_amount", "amount"),
        ({"amount": money("ten")}, 422, "invalid_amount", "amount.amount"),
        ({"amount": money("1.001")}, 422, "too_many_decimals", "amount.amount"),
        ({"amount": money("10", "XYZ")}, 422, "invalid_currency", "amount.currency"),
        ({"amount": {"amount": 10.5, "currency": "AUD"}}, 422, "validation_failed", None),
        ({"amount": money("385.01")}, 422, "overpayment", "amount"),
        ({"amount": money("400"), "excess": "keep"}, 422, "invalid_excess", "excess"),
        ({"method": "barter"}, 422, "invalid_method", "method"),
        ({"received_on": "2026-12-09"}, 422, "date_in_future", "received_on"),
        ({"received_on": "2026-12-07"}, 422, "date_before_issue", "received_on"),
        ({"fx_rate": "1.5"}, 422, "rate_not_needed", "fx_rate"),
        ({"amount": money("10", "USD")}, 422, "no_rate", None),
        ({"amount": money("10", "USD"), "fx_rate": "-1"}, 422, "invalid_rate", "fx_rate"),
        ({"deposit_account": "php_bank"}, 422, "currency_mismatch", "deposit_account"),
        ({"deposit_account": "ana_payable"}, 422, "unknown_account", "deposit_account"),
        ({"deposit_account": 999_999}, 422, "unknown_account", "deposit_account"),
        ({"method": "client_credit"}, 409, "beyond_client_credit", "amount"),
        ({"reference": "x" * 121}, 422, "validation_failed", "reference"),
        ({"tip": "1.00"}, 422, "validation_failed", "tip"),
    ],
)
def test_it_refuses_a_bad_payment_and_changes_nothing(
    billed: Billed, invoice: Invoice, changes: dict[str, Any], status: int, code: str,
    field: str | None,
) -> None:  # fmt: skip
    cast = billed.work.cast
    accounts = {
        "php_bank": lambda: Account.objects.get(name="Assets:Collectives:ManilaVa:Bank:PHP"),
        "ana_payable": lambda: Account.objects.get(
            name__startswith="Liabilities:Collectives:ManilaVa:Members:Ana"
        ),
    }
    if changes.get("deposit_account") in accounts:
        paid(billed, invoice, "1.00")  # opens the members' payables and a PHP bank is needed:
        account_open(
            collective=cast.collective_a,
            name=account_name_for(cast.collective_a, "assets", "Bank", "PHP"),
            type="assets",
            currency="PHP",
        )
        changes = {**changes, "deposit_account": accounts[changes["deposit_account"]]().pk}
    before = state()

    response = post(bearer_client(cast.ana), payments(invoice), payment_body(**changes), key="k")

    body = assert_problem(response, status, code)
    if field is not None:
        assert [error["field"] for error in body["errors"]] == [field]
    assert state() == before


def test_paying_a_void_invoice_is_refused(billed: Billed, invoice: Invoice) -> None:
    # given an invoice credited in full
    credit_note_issue(
        invoice=invoice, actor=billed.work.cast.ana, reason="Wrong client", idempotency_key="cn"
    )
    before = state()

    response = post(bearer_client(billed.work.cast.ana), payments(invoice), payment_body(), key="k")

    assert_problem(response, 409, "invoice_void")
    assert state() == before


def test_a_draft_a_paid_invoice_and_a_credit_note_take_no_payment(billed: Billed) -> None:
    ana = bearer_client(billed.work.cast.ana)
    draft = draft_of(billed)
    before = state()

    on_draft = post(ana, payments(draft), payment_body(), key="k1")

    assert_problem(on_draft, 409, "invoice_draft")
    assert state() == before
    from mutualist.billing.services import invoice_issue

    invoice = invoice_issue(invoice=draft, actor=billed.work.cast.ana)
    paid(billed, invoice, "385.00")
    note = credit_note_issue(
        invoice=issued_invoice_with_a_fixed_item(billed), actor=billed.work.cast.ana,
        reason="Dropped", idempotency_key="cn",
    )  # fmt: skip
    before = state()
    on_paid = post(ana, payments(invoice), payment_body(), key="k2")
    on_note = post(ana, payments(note), payment_body(), key="k3")
    assert_problem(on_paid, 409, "invoice_paid")
    assert_problem(on_note, 422, "not_an_invoice")
    assert state() == before


def issued_invoice_with_a_fixed_item(billed: Billed) -> Invoice:
    from mutualist.billing.services import FixedItem, invoice_draft_create, invoice_issue
    from mutualist.core.money import Money

    cast = billed.work.cast
    draft = invoice_draft_create(
        collective=cast.collective_a,
        actor=cast.ana,
        client=billed.work.harbour,
        items=[FixedItem(description="Set-up", quantity="1", unit_price=Money("50", "AUD"))],
    )
    return invoice_issue(invoice=draft, actor=cast.ana)


@pytest.mark.parametrize(("who", "status"), [("ben", 403), ("dana", 403), ("olga", 404),
                                             ("carla", 404), ("evan", 404)])  # fmt: skip
def test_only_coordinators_record_payments(
    billed: Billed, invoice: Invoice, who: str, status: int
) -> None:
    person = getattr(billed.work, who, None) or getattr(billed.work.cast, who)
    before = state()

    response = post(bearer_client(person), payments(invoice), payment_body(), key="k")

    assert_problem(response, status, "not_coordinator" if status == 403 else "not_found")
    assert state() == before


def test_anonymous_callers_record_nothing(invoice: Invoice) -> None:
    before = state()

    response = Client().post(
        payments(invoice), data=payment_body(), content_type="application/json"
    )

    assert_problem(response, 401, "not_authenticated")
    assert state() == before


# --- Reading -----------------------------------------------------------------------------------


def test_members_and_the_clients_contact_list_an_invoices_payments(
    billed: Billed, invoice: Invoice
) -> None:
    paid(billed, invoice, "100.00", key="a")
    paid(billed, invoice, "50.00", key="b")

    ben = bearer_client(billed.work.cast.ben).get(payments(invoice))
    dana = bearer_client(billed.work.dana).get(payments(invoice))

    assert [row["amount"]["amount"] for row in ben.json()["items"]] == ["100.00", "50.00"]
    assert ben.json()["items"][0]["deposit_account"]["name"].endswith("Bank:AUD")
    assert [row["amount"]["amount"] for row in dana.json()["items"]] == ["100.00", "50.00"]
    for row in dana.json()["items"]:
        assert (row["deposit_account"], row["transaction_id"], row["recorded_by"]) == (
            None,
            None,
            None,
        )
    assert "ManilaVa" not in dana.content.decode()


def test_a_member_sees_one_payment_and_where_it_went(billed: Billed, invoice: Invoice) -> None:
    payment = paid(billed, invoice, "385.00")

    response = bearer_client(billed.work.cast.ben).get(f"/api/v1/payments/{payment.pk}")

    assert response.status_code == 200
    body = response.json()
    assert [(share["recipient"], share["amount"]["amount"]) for share in body["shares"]] == [
        ("tax", "35.00"),
        ("treasury", "35.00"),
        ("member", "225.00"),
        ("member", "90.00"),
    ]
    assert [share["words"] for share in body["shares"]] == [
        "35.00 AUD is tax, kept for the tax office",
        "35.00 AUD to the collective's treasury",
        "225.00 AUD to Ana Reyes, for their share of the work",
        "90.00 AUD to Ben Okafor, for their share of the work",
    ]


@pytest.mark.parametrize("who", ["dana", "evan", "olga", "carla"])
def test_where_a_payment_went_is_the_collectives_alone(
    billed: Billed, invoice: Invoice, who: str
) -> None:
    payment = paid(billed, invoice, "385.00")
    person = getattr(billed.work, who, None) or getattr(billed.work.cast, who)

    seen = bearer_client(person).get(f"/api/v1/payments/{payment.pk}")
    unknown = bearer_client(person).get("/api/v1/payments/999999")

    assert_problem(seen, 404, "not_found")
    assert_leaks_nothing(seen, "225.00", "Ana Reyes")
    assert seen.json()["detail"] == unknown.json()["detail"]


@pytest.mark.parametrize("who", ["evan", "olga", "carla"])
def test_outsiders_list_no_payments(billed: Billed, invoice: Invoice, who: str) -> None:
    paid(billed, invoice, "100.00")
    person = getattr(billed.work, who, None) or getattr(billed.work.cast, who)

    response = bearer_client(person).get(payments(invoice))

    assert_problem(response, 404, "not_found")


def test_members_list_their_own_shares_in_every_collective(
    billed: Billed, invoice: Invoice
) -> None:
    paid(billed, invoice, "385.00")

    ana = bearer_client(billed.work.cast.ana).get("/api/v1/me/payment-shares").json()
    olga = bearer_client(billed.work.cast.olga).get("/api/v1/me/payment-shares").json()

    assert [
        (row["collective"]["slug"], row["invoice"]["number"], row["amount"]["amount"])
        for row in ana["items"]
    ] == [("manila-va", "MANILA-2026-0001", "225.00")]
    assert olga == {"items": [], "count": 0, "limit": 20, "offset": 0}
    assert Payment.objects.count() == 1
