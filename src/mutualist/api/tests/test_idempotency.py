"""The ``Idempotency-Key`` header on operations that move money
(``mutualist.api.idempotency``): the same key and body replay the first
answer and move nothing; the same key with another request is refused.

Shown on recording a payment (the operation retried most), and for every
money-moving operation where it matters: issuing, crediting, paying out.
The world: see ``billing_support``; MANILA-2026-0001 is issued to Harbour for
385.00 AUD (350.00 and 35.00 tax) on 8 December 2026.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test import Client, RequestFactory
from ninja import Status

from mutualist.api.idempotency import idempotent, request_fingerprint
from mutualist.api.models import IdempotentRequest
from mutualist.api.schemas.common import CollectiveRefOut
from mutualist.api.tests.billing_support import (
    NOON,
    TODAY,
    A,
    draft_of,
    issued_invoice,
    money,
    paid,
    post,
    state,
)
from mutualist.api.tests.support import assert_problem, bearer_client
from mutualist.billing.models import Invoice, Payment, Payout
from mutualist.billing.services import FixedItem, invoice_draft_create, invoice_issue
from mutualist.collectives.models import Membership
from mutualist.core.money import Money
from mutualist.ledger.models import Account, Transaction
from mutualist.testing import Billed, race


@pytest.fixture(autouse=True)
def december(time_machine: Any) -> None:
    # time-machine stops the clock for every thread, the race tests' too.
    time_machine.move_to(NOON, tick=False)


@pytest.fixture
def invoice(billed: Billed) -> Invoice:
    return issued_invoice(billed)


def pay(invoice: Invoice, **changes: Any) -> tuple[str, dict[str, Any]]:
    body = {"amount": money("100.00"), "method": "bank_transfer", "reference": "Wire 77"}
    return f"/api/v1/invoices/{invoice.pk}/payments", {**body, **changes}


# --- Replays ---------------------------------------------------------------------------------


def test_a_retry_with_the_same_key_and_body_replays_the_first_payment(
    billed: Billed, invoice: Invoice
) -> None:
    # given a payment recorded under a key
    ana = bearer_client(billed.work.cast.ana)
    first = post(ana, *pay(invoice), key="5b1f3c1e")
    after_first = state()

    # when the same request is sent again
    retry = post(ana, *pay(invoice), key="5b1f3c1e")

    # then it answers as the first did, says so, and records nothing new
    assert (first.status_code, retry.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in first
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.content == first.content
    assert state() == after_first
    assert Payment.objects.count() == 1


def test_whitespace_and_the_order_of_keys_do_not_make_another_body(
    billed: Billed, invoice: Invoice
) -> None:
    ana = bearer_client(billed.work.cast.ana)
    path, body = pay(invoice)
    first = post(ana, path, body, key="k")
    after_first = state()

    reordered = json.dumps(dict(reversed(list(body.items()))), indent=4)
    retry = ana.post(
        path, data=reordered, content_type="application/json", headers={"Idempotency-Key": "k"}
    )

    assert retry.status_code == 201
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
    assert state() == after_first


def test_a_retry_the_next_day_replays_the_day_the_money_was_recorded(
    billed: Billed, invoice: Invoice, time_machine: Any
) -> None:
    # given a payment without a date, recorded (as today) just before midnight
    ana = bearer_client(billed.work.cast.ana)
    first = post(ana, *pay(invoice), key="late")
    time_machine.move_to(NOON + dt.timedelta(days=1), tick=False)

    # when it is retried the next day
    retry = post(ana, *pay(invoice), key="late")

    # then it is the first day's payment, not a second one dated today
    assert retry.json() == first.json()
    assert retry.json()["received_on"] == TODAY.isoformat()
    assert Payment.objects.count() == 1


def test_the_same_key_with_another_body_is_refused_and_changes_nothing(
    billed: Billed, invoice: Invoice
) -> None:
    ana = bearer_client(billed.work.cast.ana)
    post(ana, *pay(invoice), key="k")
    before = state()

    response = post(ana, *pay(invoice, amount=money("10.00")), key="k")

    body = assert_problem(response, 409, "idempotency_key_reused")
    assert [error["field"] for error in body["errors"]] == ["Idempotency-Key"]
    assert "payment record" in body["detail"]
    assert state() == before


def test_the_same_key_on_another_invoice_or_operation_is_refused(billed: Billed) -> None:
    # given a key used to pay one invoice
    cast = billed.work.cast
    invoice = issued_invoice(billed)
    other = issued_invoice_for_a_fixed_item(billed)
    ana = bearer_client(cast.ana)
    post(ana, *pay(invoice), key="k")
    before = state()

    # when it is sent to pay another, or to credit the first
    elsewhere = post(ana, *pay(other), key="k")
    credit = post(ana, f"/api/v1/invoices/{invoice.pk}/credit-notes", {"reason": "Typo"}, key="k")

    # then both are refused: a key names one request
    assert_problem(elsewhere, 409, "idempotency_key_reused")
    assert_problem(credit, 409, "idempotency_key_reused")
    assert state() == before


def issued_invoice_for_a_fixed_item(billed: Billed) -> Invoice:
    cast = billed.work.cast
    draft = invoice_draft_create(
        collective=cast.collective_a,
        actor=cast.ana,
        client=billed.work.harbour,
        items=[FixedItem(description="Setup", quantity="1", unit_price=Money("50", "AUD"))],
    )
    return invoice_issue(invoice=draft, actor=cast.ana)


def test_keys_are_each_senders_own(billed: Billed, invoice: Invoice) -> None:
    # given Ben is a coordinator too, and both send the same key and body
    cast = billed.work.cast
    Membership.objects.filter(user=cast.ben).update(role=Membership.Role.COORDINATOR)

    first = post(bearer_client(cast.ana), *pay(invoice), key="k")
    second = post(bearer_client(cast.ben), *pay(invoice), key="k")

    # then they are two payments
    assert (first.status_code, second.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in second
    assert first.json()["id"] != second.json()["id"]
    assert Payment.objects.count() == 2


def test_a_refused_request_is_not_kept_so_its_key_stays_free(
    billed: Billed, invoice: Invoice
) -> None:
    # given a payment refused (more than is unpaid)
    ana = bearer_client(billed.work.cast.ana)
    refused = post(ana, *pay(invoice, amount=money("400.00")), key="k")
    assert_problem(refused, 422, "overpayment")
    assert IdempotentRequest.objects.count() == 0

    # when the coordinator corrects the amount and sends it under the same key
    corrected = post(ana, *pay(invoice, amount=money("385.00")), key="k")

    # then it is recorded: the refusal changed nothing, not even the key
    assert corrected.status_code == 201
    assert "Idempotent-Replayed" not in corrected
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID


def test_a_coordinator_no_longer_gets_the_replay_once_they_are_not_one(
    billed: Billed, invoice: Invoice
) -> None:
    cast = billed.work.cast
    ana = bearer_client(cast.ana)
    post(ana, *pay(invoice), key="k")
    Membership.objects.filter(user=cast.ben).update(role=Membership.Role.COORDINATOR)
    Membership.objects.filter(user=cast.ana).update(role=Membership.Role.MEMBER)

    retry = post(ana, *pay(invoice), key="k")

    assert_problem(retry, 403, "not_coordinator")


@pytest.mark.parametrize(
    "operation", ["issue", "credit note", "payment", "payout", "draft with a key"]
)
def test_every_money_moving_operation_replays(billed: Billed, operation: str) -> None:
    # given a request of each kind that succeeds
    ana = bearer_client(billed.work.cast.ana)
    path, body = _request_for(billed, operation)
    first = post(ana, path, body, key="once")
    after_first = state()

    # when it is sent again under its key
    retry = post(ana, path, body, key="once")

    # then the answer is the first one's and nothing more happened
    assert first.status_code in (200, 201), first.content
    assert retry.status_code == first.status_code
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.content == first.content
    assert state() == after_first


def _request_for(billed: Billed, operation: str) -> tuple[str, Any]:
    """A request of ``operation`` that succeeds in the ``billed`` world."""
    cast = billed.work.cast
    if operation == "draft with a key":
        item = {"description": "Setup", "quantity": "1", "unit_price": money("50.00")}
        return f"{A}/invoices", {"client": billed.work.harbour.pk, "items": [item]}
    if operation == "issue":
        return f"/api/v1/invoices/{draft_of(billed).pk}/issue", None
    invoice = issued_invoice(billed)
    if operation == "credit note":
        body = {"reason": "Agreed discount", "amount": money("35.00")}
        return f"/api/v1/invoices/{invoice.pk}/credit-notes", body
    if operation == "payment":
        return pay(invoice)
    paid(billed, invoice, "385.00")  # Ana is owed 225.00 AUD, in the AUD bank account
    bank = Account.objects.get(name="Assets:Collectives:ManilaVa:Bank:AUD")
    payout = {
        "member": cast.ana.profile.handle,
        "amount": money("10.00"),
        "source_account": bank.pk,
    }
    return f"{A}/payouts", payout


# --- The header ---------------------------------------------------------------------------------


@pytest.mark.parametrize("key", [None, "", "has space", "k" * 101, "caf\u00e9"])
@pytest.mark.parametrize("operation", ["issue", "credit-notes", "payments"])
def test_money_moving_operations_need_a_usable_key(
    billed: Billed, invoice: Invoice, key: str | None, operation: str
) -> None:
    before = state()
    body = {
        "issue": {},
        "credit-notes": {"reason": "Typo"},
        "payments": pay(invoice)[1],
    }[operation]

    response = post(
        bearer_client(billed.work.cast.ana),
        f"/api/v1/invoices/{invoice.pk}/{operation}",
        body,
        key=key,
    )

    body = assert_problem(response, 422, "validation_failed")
    assert [error["field"] for error in body["errors"]] == ["Idempotency-Key"]
    assert state() == before


def test_a_payout_needs_a_key_too(billed: Billed) -> None:
    before = state()

    response = post(
        bearer_client(billed.work.cast.ana),
        f"{A}/payouts",
        {"member": "ana-reyes", "amount": money("1.00"), "source_account": 1},
    )

    body = assert_problem(response, 422, "validation_failed")
    assert [error["field"] for error in body["errors"]] == ["Idempotency-Key"]
    assert state() == before


def test_the_openapi_document_says_which_operations_need_a_key(db: None) -> None:
    document = Client().get("/api/v1/openapi.json").json()

    def header(path: str) -> dict[str, Any]:
        [found] = [p for p in document["paths"][path]["post"]["parameters"] if p["in"] == "header"]
        return dict(found)

    for path in (
        "/api/v1/invoices/{invoice_id}/issue",
        "/api/v1/invoices/{invoice_id}/credit-notes",
        "/api/v1/invoices/{invoice_id}/payments",
        "/api/v1/collectives/{slug}/payouts",
    ):
        assert (header(path)["name"], header(path)["required"]) == ("Idempotency-Key", True)
    assert header("/api/v1/collectives/{slug}/invoices").get("required", False) is False


# --- The mechanism ----------------------------------------------------------------------------


def test_the_fingerprint_is_the_method_the_path_and_the_parsed_body() -> None:
    factory = RequestFactory()

    def fingerprint(method: str, path: str, body: str) -> str:
        request = factory.generic(method, path, data=body, content_type="application/json")
        return request_fingerprint(request)

    base = fingerprint("POST", "/api/v1/x", '{"a": 1, "b": [1, 2]}')
    assert fingerprint("POST", "/api/v1/x", '{"b":[1,2],"a":1}') == base
    assert fingerprint("POST", "/api/v1/x", '{"a": 1, "b": [2, 1]}') != base
    assert fingerprint("POST", "/api/v1/x", '{"a": "1", "b": [1, 2]}') != base
    assert fingerprint("POST", "/api/v1/y", '{"a": 1, "b": [1, 2]}') != base
    assert fingerprint("PUT", "/api/v1/x", '{"a": 1, "b": [1, 2]}') != base
    # an empty body is the empty object: an optional body may be sent either way
    assert fingerprint("POST", "/api/v1/x", "") == fingerprint("POST", "/api/v1/x", "{}")


def _answer() -> Status[CollectiveRefOut]:
    return Status(201, CollectiveRefOut(slug="a", name="A"))


def test_it_keeps_the_answer_as_the_json_document_sent(cast: Any) -> None:
    request = RequestFactory().post("/api/v1/x", data={}, content_type="application/json")

    answer = idempotent(request, HttpResponse(), user=cast.ana, key="k", operation="x", run=_answer)

    assert (answer.status_code, answer.value) == (201, {"slug": "a", "name": "A"})
    kept = IdempotentRequest.objects.get()
    assert (kept.status_code, kept.response, kept.operation) == (201, answer.value, "x")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_runs_only_inside_the_operations_transaction(cast: Any) -> None:
    # outside one, the claim and the service's writes would commit apart
    request = RequestFactory().post("/api/v1/x", data={}, content_type="application/json")

    with pytest.raises(RuntimeError):
        idempotent(request, HttpResponse(), user=cast.ana, key="k", operation="x", run=_answer)
    assert IdempotentRequest.objects.count() == 0


# --- At the same moment, on PostgreSQL ----------------------------------------------------------


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row-lock races need PostgreSQL (set DATABASE_URL); SQLite serialises writers",
)


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_one_payment_sent_six_times_at_once_is_recorded_once(billed: Billed) -> None:
    # given one payment, sent by six retrying connections at the same moment
    invoice = issued_invoice(billed)
    clients = [bearer_client(billed.work.cast.ana, name=f"retry {n}") for n in range(6)]

    def send(client: Client) -> Any:
        return lambda: post(client, *pay(invoice), key="one-payment")

    outcome = race(*(send(client) for client in clients))

    # then exactly one ran; the others answered with its payment
    responses = outcome.results
    assert [response.status_code for response in responses] == [201] * 6
    assert len({response.content for response in responses}) == 1
    assert sum(response.has_header("Idempotent-Replayed") for response in responses) == 5
    assert Payment.objects.count() == 1
    assert Transaction.objects.filter(kind="payment").count() == 1
    invoice.refresh_from_db()
    assert invoice.paid_minor == 100_00


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_bodies_under_one_key_at_once_run_one_and_refuse_the_other(billed: Billed) -> None:
    invoice = issued_invoice(billed)
    ana = [bearer_client(billed.work.cast.ana, name=f"script {n}") for n in range(2)]

    outcome = race(
        lambda: post(ana[0], *pay(invoice, amount=money("100.00")), key="k"),
        lambda: post(ana[1], *pay(invoice, amount=money("200.00")), key="k"),
    )

    assert sorted(response.status_code for response in outcome.results) == [201, 409]
    [refused] = [response for response in outcome.results if response.status_code == 409]
    assert_problem(refused, 409, "idempotency_key_reused")
    assert Payment.objects.count() == 1


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_payout_sent_twice_at_once_posts_once(billed: Billed) -> None:
    invoice = issued_invoice(billed)
    paid(billed, invoice, "385.00")  # Ana is owed 225.00 AUD
    bank = Account.objects.get(name="Assets:Collectives:ManilaVa:Bank:AUD")
    body = {"member": "ana-reyes", "amount": money("225.00"), "source_account": bank.pk}
    clients = [bearer_client(billed.work.cast.ana, name=f"retry {n}") for n in range(3)]

    outcome = race(*(lambda c=client: post(c, f"{A}/payouts", body, key="p") for client in clients))

    assert [response.status_code for response in outcome.results] == [201] * 3
    assert len({response.json()["id"] for response in outcome.results}) == 1
    assert Payout.objects.count() == 1
