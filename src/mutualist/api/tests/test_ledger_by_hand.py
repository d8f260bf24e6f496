"""A coordinator's entries by hand through the API: opening an asset account
(with what it already holds), recording an opening balance, reversing a
mistaken opening or conversion.

The cast and the ``books`` fixture are test_ledger.py's: Ana coordinates A
(manila-va), Ben is a member, Carla coordinates B, Olga is in no collective.
A's Bank:PHP holds 100,000.00, the sick-pay fund's cash 1,000.00 (never below
zero), Bank:USD is empty; B's Bank:USD holds 500.00. Anonymous callers and
outsiders are refused in test_ledger.py and tests/outsiders.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from mutualist.api.tests.support import assert_leaks_nothing, assert_problem, bearer_client
from mutualist.collectives.models import Membership
from mutualist.core.money import Money
from mutualist.ledger.models import Account, ExchangeRate, Posting, Transaction
from mutualist.ledger.services import Line, currency_convert, transaction_post
from mutualist.ledger.services import books as books_service
from mutualist.testing import Books, race

A = "/api/v1/collectives/manila-va"
B = "/api/v1/collectives/remote-crew"
DAY = dt.date(2026, 3, 2)
WISE = "Assets:Collectives:ManilaVa:Wise:USD"


def state() -> dict[str, Any]:
    """Everything a refused request must leave as it was."""
    return {
        "transactions": Transaction.objects.count(),
        "postings": Posting.objects.count(),
        "accounts": list(Account.objects.order_by("pk").values_list("name", "balance_minor")),
        "rates": list(ExchangeRate.objects.order_by("pk").values()),
    }


def money(amount: str, currency: str = "PHP") -> dict[str, str]:
    return {"amount": amount, "currency": currency}


def post(client: Client, path: str, body: dict[str, Any] | None, key: str | None = None) -> Any:
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post(path, data=body or {}, content_type="application/json", headers=headers)


def balance_of(account: Account) -> int:
    account.refresh_from_db()
    return account.balance_minor


def convert(books: Books, amount: str = "580") -> Transaction:
    return currency_convert(
        source=books.bank, target=books.usd_bank, amount=Money(amount, "PHP"), occurred_at=DAY,
        idempotency_key=f"test:fx:{amount}", rate=Decimal("0.0172"), posted_by=books.cast.ana,
    )  # fmt: skip


def payout_from_the_fund(books: Books, amount: str) -> Transaction:
    return transaction_post(
        lines=[Line(books.fund, -Money(amount, "PHP")), Line(books.bank, Money(amount, "PHP"))],
        memo="Sick pay for Ben",
        occurred_at=DAY,
        idempotency_key=f"test:payout:{amount}",
        kind="payout",
    )


def opening_of_the_fund() -> Transaction:
    return Transaction.objects.get(idempotency_key="test:opening:fund")


# --- Members may not ---------------------------------------------------------------------


def test_a_member_may_not_open_record_or_reverse(books: Books) -> None:
    ben = bearer_client(books.cast.ben)
    before = state()

    opened = post(ben, f"{A}/accounts", {"label": "Wise", "currency": "USD"})
    recorded = post(
        ben, f"{A}/accounts/{books.usd_bank.pk}/opening-balance", {"amount": money("1", "USD")}, "k"
    )
    reversed_ = post(ben, f"{A}/transactions/{opening_of_the_fund().pk}/reversal", {}, "k")

    for response in (opened, recorded, reversed_):
        assert_problem(response, 403, "not_coordinator")
    assert state() == before


def test_another_collectives_coordinator_finds_nothing(books: Books) -> None:
    carla = bearer_client(books.cast.carla)
    before = state()

    responses = [
        post(carla, f"{A}/accounts", {"label": "Wise", "currency": "USD"}),
        post(carla, f"{A}/accounts/{books.usd_bank.pk}/opening-balance",
             {"amount": money("1", "USD")}, "k"),
        post(carla, f"{A}/transactions/{opening_of_the_fund().pk}/reversal", {}, "k"),
        # A's account and transaction under B's address: not in B's books.
        post(carla, f"{B}/accounts/{books.usd_bank.pk}/opening-balance",
             {"amount": money("1", "USD")}, "k"),
        post(carla, f"{B}/transactions/{opening_of_the_fund().pk}/reversal", {}, "k"),
    ]  # fmt: skip

    for response in responses:
        assert_problem(response, 404, "not_found")
        assert_leaks_nothing(response, "ManilaVa", "Opening balance")
    assert state() == before


# --- Opening an account ---------------------------------------------------------------------


def test_a_coordinator_opens_an_asset_account(books: Books) -> None:
    before = Transaction.objects.count()

    response = post(
        bearer_client(books.cast.ana),
        f"{A}/accounts",
        {"label": "wise", "currency": "usd", "description": "Client receipts",
         "must_not_go_negative": True},
    )  # fmt: skip

    assert response.status_code == 201, response.content
    body = response.json()
    account = Account.objects.get(name=WISE)
    assert body == {
        "id": account.pk,
        "name": WISE,
        "collective": {"slug": "manila-va", "name": "Manila Virtual Assistants"},
        "type": "assets",
        "currency": "USD",
        "owner_kind": "collective",
        "owner": None,
        "must_not_go_negative": True,
        "description": "Client receipts",
        "opened_at": body["opened_at"],
        "balance": money("0.00", "USD"),
    }
    assert Transaction.objects.count() == before
    assert "Idempotent-Replayed" not in response


def test_it_opens_an_account_with_its_opening_balance_in_one_step(books: Books) -> None:
    response = post(
        bearer_client(books.cast.ana),
        f"{A}/accounts",
        {"label": "Wise", "currency": "USD", "opening_balance": money("1250.00", "USD"),
         "occurred_at": "2026-03-02"},
        key="open-wise",
    )  # fmt: skip

    assert response.status_code == 201, response.content
    assert response.json()["balance"] == money("1250.00", "USD")
    opening = Transaction.objects.get(kind="opening", postings__account__name=WISE)
    assert (opening.occurred_at, opening.posted_by, opening.memo) == (
        DAY,
        books.cast.ana,
        f"Opening balance of {WISE}",
    )
    assert sorted(opening.postings.values_list("account__name", "amount_minor")) == [
        (WISE, 125_000),
        ("Equity:Collectives:ManilaVa:Opening:USD", -125_000),
    ]


def test_without_a_date_the_opening_balance_is_todays(books: Books) -> None:
    response = post(
        bearer_client(books.cast.ana),
        f"{A}/accounts",
        {"label": "Cash box", "currency": "PHP", "opening_balance": money("300")},
        key="open-cash",
    )

    assert response.status_code == 201
    assert response.json()["name"] == "Assets:Collectives:ManilaVa:CashBox:PHP"
    opening = Transaction.objects.get(postings__account__pk=response.json()["id"])
    assert opening.occurred_at == timezone.localdate()


def test_a_retried_opening_answers_with_the_same_account_and_posts_once(books: Books) -> None:
    ana = bearer_client(books.cast.ana)
    body = {"label": "Wise", "currency": "USD", "opening_balance": money("1250.00", "USD")}
    first = post(ana, f"{A}/accounts", body, key="7c1e-open")
    after_first = state()

    retry = post(ana, f"{A}/accounts", body, key="7c1e-open")

    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert state() == after_first


@pytest.mark.parametrize(
    "changes",
    [
        {"label": "Revolut"},
        {"description": "Another one"},
        {"must_not_go_negative": True},
        {"opening_balance": money("1250.01", "USD")},
        {"occurred_at": "2026-03-01"},
    ],
)
def test_the_same_key_for_another_account_or_balance_is_a_conflict(
    books: Books, changes: dict[str, Any]
) -> None:
    ana = bearer_client(books.cast.ana)
    body = {
        "label": "Wise",
        "currency": "USD",
        "opening_balance": money("1250.00", "USD"),
        "occurred_at": "2026-03-02",
    }
    post(ana, f"{A}/accounts", body, key="k")
    before = state()

    response = post(ana, f"{A}/accounts", {**body, **changes}, key="k")

    assert_problem(response, 409, "idempotency_key_reused")
    assert state() == before


def test_a_retry_that_raced_its_first_request_still_finds_the_account(
    books: Books, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The retry looked for the key's account before the first request
    committed, and tried to open the name after: it answers as a retry."""
    ana = bearer_client(books.cast.ana)
    body = {"label": "Wise", "currency": "USD", "opening_balance": money("1250.00", "USD")}
    first = post(ana, f"{A}/accounts", body, key="k")
    after_first = state()
    looks: list[object] = []
    opened_under_key = books_service._opened_under_key

    def looks_too_early_once(**kwargs: Any) -> Account | None:
        looks.append(kwargs)  # the retry's first look comes before the first commits
        return None if len(looks) == 1 else opened_under_key(**kwargs)

    monkeypatch.setattr(books_service, "_opened_under_key", looks_too_early_once)

    retry = post(ana, f"{A}/accounts", body, key="k")

    assert retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert state() == after_first


def test_an_opening_balance_needs_an_idempotency_key(books: Books) -> None:
    before = state()

    response = post(
        bearer_client(books.cast.ana),
        f"{A}/accounts",
        {"label": "Wise", "currency": "USD", "opening_balance": money("1", "USD")},
    )

    body = assert_problem(response, 422, "validation_failed")
    assert [error["field"] for error in body["errors"]] == ["Idempotency-Key"]
    assert state() == before


def test_an_overdrawn_opening_on_an_account_that_must_not_go_negative_opens_nothing(
    books: Books,
) -> None:
    before = state()

    response = post(
        bearer_client(books.cast.ana),
        f"{A}/accounts",
        {"label": "Cash box", "currency": "PHP", "must_not_go_negative": True,
         "opening_balance": money("-10.00")},
        key="k",
    )  # fmt: skip

    body = assert_problem(response, 409, "would_go_negative")
    assert "CashBox" in body["detail"]
    assert state() == before  # the account was not opened either


@pytest.mark.parametrize(
    ("changes", "status", "code", "field"),
    [
        ({"label": ""}, 422, "invalid_account_name", "label"),
        ({"label": "--"}, 422, "invalid_account_name", "label"),
        ({"label": "x" * 41}, 422, "invalid_account_name", "label"),
        ({"currency": "XYZ"}, 422, "invalid_currency", "currency"),
        ({"currency": "XYZ", "opening_balance": money("1", "XYZ")}, 422, "invalid_currency",
         "currency"),
        ({"label": "Bank", "currency": "PHP"}, 409, "account_exists", "label"),
        ({"opening_balance": money("10", "PHP")}, 422, "currency_mismatch",
         "opening_balance.currency"),
        ({"opening_balance": money("ten", "USD")}, 422, "invalid_amount", "opening_balance.amount"),
        ({"opening_balance": money("1.005", "USD")}, 422, "too_many_decimals",
         "opening_balance.amount"),
        ({"opening_balance": money("0", "USD")}, 422, "invalid_amount", "opening_balance.amount"),
        ({"opening_balance": money("1", "XYZ")}, 422, "invalid_currency",
         "opening_balance.currency"),
        ({"opening_balance": {"amount": 10.5, "currency": "USD"}}, 422, "validation_failed",
         "opening_balance.amount"),
        ({"occurred_at": "2026-03-02"}, 422, "validation_failed", "occurred_at"),
        ({"description": "x" * 201}, 422, "validation_failed", "description"),
        ({"colour": "blue"}, 422, "validation_failed", "colour"),
    ],
)  # fmt: skip
def test_it_refuses_a_bad_account_and_opens_nothing(
    books: Books, changes: dict[str, Any], status: int, code: str, field: str
) -> None:
    body = {"label": "Wise", "currency": "USD", **changes}
    before = state()

    response = post(bearer_client(books.cast.ana), f"{A}/accounts", body, key="k")

    problem = assert_problem(response, status, code)
    assert [error["field"] for error in problem["errors"]] == [field]
    assert state() == before


def test_an_account_name_already_taken_is_named(books: Books) -> None:
    response = post(
        bearer_client(books.cast.ana), f"{A}/accounts", {"label": "bank", "currency": "usd"}
    )

    problem = assert_problem(response, 409, "account_exists")
    assert problem["detail"] == (
        "The collective already has an account named Assets:Collectives:ManilaVa:Bank:USD."
    )


# --- Recording an opening balance ------------------------------------------------------------


def test_a_coordinator_records_an_opening_balance(books: Books) -> None:
    response = post(
        bearer_client(books.cast.ana),
        f"{A}/accounts/{books.usd_bank.pk}/opening-balance",
        {"amount": money("89.25", "USD"), "occurred_at": "2026-03-02", "memo": "From Wise"},
        key="0d5b-usd",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["memo"], body["occurred_at"]) == (
        "opening",
        "From Wise",
        "2026-03-02",
    )
    assert body["posted_by"]["display_name"] == "Ana Reyes"
    assert [(p["account"]["name"], p["amount"]) for p in body["postings"]] == [
        (books.usd_bank.name, money("89.25", "USD")),
        ("Equity:Collectives:ManilaVa:Opening:USD", money("-89.25", "USD")),
    ]
    assert balance_of(books.usd_bank) == 89_25


def test_an_opening_balance_memo_says_which_account_by_default(books: Books) -> None:
    response = post(
        bearer_client(books.cast.ana),
        f"{A}/accounts/{books.usd_bank.pk}/opening-balance",
        {"amount": money("-5", "USD")},
        key="k",
    )

    assert response.status_code == 201
    assert response.json()["memo"] == f"Opening balance of {books.usd_bank.name}"
    assert response.json()["occurred_at"] == timezone.localdate().isoformat()
    assert balance_of(books.usd_bank) == -5_00  # an overdraft


def test_a_retried_opening_balance_posts_once(books: Books) -> None:
    ana = bearer_client(books.cast.ana)
    path = f"{A}/accounts/{books.usd_bank.pk}/opening-balance"
    first = post(ana, path, {"amount": money("10", "USD")}, key="k")

    retry = post(ana, path, {"amount": money("10", "USD")}, key="k")
    other = post(ana, path, {"amount": money("11", "USD")}, key="k")

    assert retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert_problem(other, 409, "idempotency_key_reused")
    assert balance_of(books.usd_bank) == 10_00


@pytest.mark.parametrize("key", [None, "", "has space", "k" * 101])
def test_an_opening_balance_needs_a_usable_idempotency_key(books: Books, key: str | None) -> None:
    before = state()

    response = post(
        bearer_client(books.cast.ana),
        f"{A}/accounts/{books.usd_bank.pk}/opening-balance",
        {"amount": money("10", "USD")},
        key=key,
    )

    body = assert_problem(response, 422, "validation_failed")
    assert [error["field"] for error in body["errors"]] == ["Idempotency-Key"]
    assert state() == before


@pytest.mark.parametrize(
    ("account", "amount", "status", "code", "field"),
    [
        ("ben_payable", money("10"), 422, "unknown_account", "account"),
        ("opening", money("10"), 422, "unknown_account", "account"),
        ("usd_bank", money("10", "PHP"), 422, "currency_mismatch", "amount.currency"),
        ("usd_bank", money("0", "USD"), 422, "invalid_amount", "amount.amount"),
        ("usd_bank", money("1.001", "USD"), 422, "too_many_decimals", "amount.amount"),
        ("fund", money("-1000.01"), 409, "would_go_negative", "postings"),
    ],
)
def test_it_refuses_a_bad_opening_balance_and_posts_nothing(
    books: Books, account: str, amount: dict[str, str], status: int, code: str, field: str
) -> None:
    before = state()

    response = post(
        bearer_client(books.cast.ana),
        f"{A}/accounts/{getattr(books, account).pk}/opening-balance",
        {"amount": amount},
        key="k",
    )

    body = assert_problem(response, status, code)
    assert [error["field"] for error in body["errors"]] == [field]
    assert state() == before


@pytest.mark.parametrize("account_id", ["b_bank", 999_999])
def test_an_account_outside_these_books_is_not_found(books: Books, account_id: Any) -> None:
    pk = getattr(books, account_id).pk if isinstance(account_id, str) else account_id
    before = state()

    response = post(
        bearer_client(books.cast.ana),
        f"{A}/accounts/{pk}/opening-balance",
        {"amount": money("10", "USD")},
        key="k",
    )

    assert_problem(response, 404, "not_found")
    assert state() == before


# --- Reversing a mistaken entry ------------------------------------------------------------------


def test_a_coordinator_reverses_a_mistaken_conversion(books: Books) -> None:
    conversion = convert(books)

    response = post(
        bearer_client(books.cast.ana),
        f"{A}/transactions/{conversion.pk}/reversal",
        {"memo": "Wrong rate"},
        key="undo-fx",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["reverses"], body["memo"]) == (
        "reversal",
        conversion.pk,
        "Wrong rate",
    )
    assert body["occurred_at"] == timezone.localdate().isoformat()
    assert body["posted_by"]["display_name"] == "Ana Reyes"
    assert [p["amount"] for p in body["postings"]] == [
        money("580.00"),
        money("-580.00"),
        money("9.98", "USD"),
        money("-9.98", "USD"),
    ]
    assert (balance_of(books.bank), balance_of(books.usd_bank)) == (100_000_00, 0)
    original = bearer_client(books.cast.ben).get(f"{A}/transactions/{conversion.pk}").json()
    assert original["reversed_by"] == body["id"]


def test_a_reversal_without_a_body_gets_the_usual_memo(books: Books) -> None:
    opening = opening_of_the_fund()

    response = bearer_client(books.cast.ana).generic(
        "POST", f"{A}/transactions/{opening.pk}/reversal", headers={"Idempotency-Key": "k"}
    )

    assert response.status_code == 201, response.content
    assert (
        response.json()["memo"]
        == f"Reversal of #{opening.pk}: Opening balance of the sick-pay fund"
    )
    assert balance_of(books.fund) == 0


def test_a_retried_reversal_answers_with_the_same_and_posts_once(books: Books) -> None:
    ana = bearer_client(books.cast.ana)
    path = f"{A}/transactions/{convert(books).pk}/reversal"
    first = post(ana, path, {}, key="5b1f-undo")
    after_first = state()

    retry = post(ana, path, {}, key="5b1f-undo")

    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert state() == after_first


def test_a_second_reversal_is_refused(books: Books) -> None:
    ana = bearer_client(books.cast.ana)
    conversion = convert(books)
    first = post(ana, f"{A}/transactions/{conversion.pk}/reversal", {}, key="k1")
    before = state()

    again = post(ana, f"{A}/transactions/{conversion.pk}/reversal", {}, key="k2")
    of_the_reversal = post(ana, f"{A}/transactions/{first.json()['id']}/reversal", {}, key="k3")

    body = assert_problem(again, 409, "already_reversed")
    assert body["detail"] == (
        f"Transaction #{conversion.pk} was already reversed by #{first.json()['id']}."
    )
    assert_problem(of_the_reversal, 409, "not_reversible_by_hand")
    assert state() == before


def test_keys_are_each_coordinators_own(books: Books) -> None:
    Membership.objects.filter(user=books.cast.ben).update(role=Membership.Role.COORDINATOR)
    conversion = convert(books)

    first = post(
        bearer_client(books.cast.ana), f"{A}/transactions/{conversion.pk}/reversal", {}, "k"
    )
    second = post(
        bearer_client(books.cast.ben), f"{A}/transactions/{conversion.pk}/reversal", {}, "k"
    )

    assert first.status_code == 201
    # Ben's "k" is not Ana's: his request is a second reversal, not a retry of hers.
    assert_problem(second, 409, "already_reversed")


def test_entries_from_other_services_are_not_reversed_here(books: Books) -> None:
    payout = payout_from_the_fund(books, "10")
    before = state()

    response = post(
        bearer_client(books.cast.ana), f"{A}/transactions/{payout.pk}/reversal", {}, "k"
    )

    body = assert_problem(response, 409, "not_reversible_by_hand")
    assert body["detail"] == (
        "A payout entry is corrected where it came from, not reversed by hand; "
        "coordinators reverse only conversion and opening entries."
    )
    assert state() == before


def test_an_opening_whose_money_was_spent_cannot_be_reversed(books: Books) -> None:
    payout_from_the_fund(books, "400")
    before = state()

    response = post(
        bearer_client(books.cast.ana),
        f"{A}/transactions/{opening_of_the_fund().pk}/reversal",
        {},
        "k",
    )

    assert_problem(response, 409, "would_go_negative")
    assert state() == before
    assert balance_of(books.fund) == 600_00


@pytest.mark.parametrize(
    ("body", "key", "code", "field"),
    [
        ({}, None, "validation_failed", "Idempotency-Key"),
        ({"memo": "x" * 501}, "k", "validation_failed", "memo"),
        ({"reason": "typo"}, "k", "validation_failed", "reason"),
    ],
)
def test_it_refuses_a_bad_reversal_request(
    books: Books, body: dict[str, Any], key: str | None, code: str, field: str
) -> None:
    before = state()

    response = post(
        bearer_client(books.cast.ana),
        f"{A}/transactions/{opening_of_the_fund().pk}/reversal",
        body,
        key,
    )

    problem = assert_problem(response, 422, code)
    assert [error["field"] for error in problem["errors"]] == [field]
    assert state() == before


def test_the_openapi_document_says_which_entries_need_an_idempotency_key(db: None) -> None:
    paths: dict[str, Any] = Client().get("/api/v1/openapi.json").json()["paths"]

    def key_header(path: str) -> dict[str, Any]:
        headers: list[dict[str, Any]] = [
            p for p in paths[path]["post"]["parameters"] if p["in"] == "header"
        ]
        [header] = headers
        return header

    opened = key_header("/api/v1/collectives/{slug}/accounts")
    recorded = key_header("/api/v1/collectives/{slug}/accounts/{account_id}/opening-balance")
    reversed_ = key_header("/api/v1/collectives/{slug}/transactions/{transaction_id}/reversal")
    assert (opened["name"], opened["required"]) == ("Idempotency-Key", False)
    assert (recorded["name"], recorded["required"]) == ("Idempotency-Key", True)
    assert (reversed_["name"], reversed_["required"]) == ("Idempotency-Key", True)


# --- Retried the next day ------------------------------------------------------------------------


@pytest.mark.parametrize("operation", ["account", "opening balance", "reversal", "conversion"])
def test_a_retry_the_next_day_still_replays_a_request_without_a_date(
    books: Books, time_machine: Any, operation: str
) -> None:
    """Without a date, a request means "today"; a retry after midnight means
    the first attempt's day, so it answers with the first transaction."""
    ana = bearer_client(books.cast.ana)
    requests: dict[str, tuple[str, dict[str, Any]]] = {
        "account": (
            f"{A}/accounts",
            {"label": "Wise", "currency": "USD", "opening_balance": money("10", "USD")},
        ),
        "opening balance": (
            f"{A}/accounts/{books.usd_bank.pk}/opening-balance",
            {"amount": money("10", "USD")},
        ),
        "reversal": (f"{A}/transactions/{opening_of_the_fund().pk}/reversal", {}),
        "conversion": (
            f"{A}/conversions",
            {"source_account": books.bank.pk, "target_account": books.usd_bank.pk,
             "amount": money("580"), "rate": "0.0172"},
        ),
    }  # fmt: skip
    path, body = requests[operation]
    time_machine.move_to(dt.datetime(2026, 3, 2, 23, 59, tzinfo=dt.UTC), tick=False)
    first = post(ana, path, body, key="late-night")
    after_first = state()
    time_machine.move_to(dt.datetime(2026, 3, 3, 9, 0, tzinfo=dt.UTC), tick=False)

    retry = post(ana, path, body, key="late-night")

    assert (first.status_code, retry.status_code) == (201, 201), retry.content
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert state() == after_first


# --- At the same moment, on PostgreSQL ----------------------------------------------------------


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row-lock races need PostgreSQL (set DATABASE_URL); SQLite serialises writers",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_same_opening_sent_at_once_opens_one_account_and_posts_once(books: Books) -> None:
    # given one request to open Wise with 1,250.00 USD, sent six times at once
    clients = [bearer_client(books.cast.ana, name=f"retry {n}") for n in range(6)]
    body = {"label": "Wise", "currency": "USD", "opening_balance": money("1250.00", "USD")}

    def send(client: Client) -> Any:
        return lambda: post(client, f"{A}/accounts", body, key="one-wise")

    outcome = race(*(send(client) for client in clients))

    # then every answer is the one account, opened once, with its balance posted once
    assert outcome.refusals == []
    assert [response.status_code for response in outcome.results] == [201] * 6
    assert {response.json()["id"] for response in outcome.results} == {
        Account.objects.get(name=WISE).pk
    }
    assert Transaction.objects.filter(kind="opening", postings__account__name=WISE).count() == 1
    assert Account.objects.get(name=WISE).balance_minor == 125_000
