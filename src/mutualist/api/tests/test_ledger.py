"""The books through the API: accounts, statements, the journal, the trial
balance, exchange rates, conversions, and a coordinator's entries by hand (new
accounts, opening balances, reversals).

The cast (see ``mutualist.testing``): Ana coordinates collective A
(manila-va), Ben is a member of A, Carla coordinates B (remote-crew), Olga is
in no collective. The ``books`` fixture opens A's books: Bank:PHP holds
100,000.00, the sick-pay fund's cash 1,000.00 (never below zero), Ana's and
Ben's payables are empty, Bank:USD is empty; B's Bank:USD holds 500.00.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from mutualist.api.tests.support import (
    assert_leaks_nothing,
    assert_problem,
    bearer_client,
    post_json,
)
from mutualist.collectives.models import Membership
from mutualist.collectives.services import membership_leave
from mutualist.core.money import Money
from mutualist.ledger.models import Account, ExchangeRate, Posting, Transaction
from mutualist.ledger.services import (
    Line,
    currency_convert,
    exchange_rate_set,
    exchange_rates_import_ecb,
    transaction_post,
    transaction_reverse,
)
from mutualist.testing import Books

A = "/api/v1/collectives/manila-va"
B = "/api/v1/collectives/remote-crew"
DAY = dt.date(2026, 3, 2)
# What no one outside collective A may see of its books.
A_PRIVATE = ("ManilaVa", "Opening balance", "100000")


def state() -> dict[str, Any]:
    """Everything a refused request must leave as it was."""
    return {
        "transactions": Transaction.objects.count(),
        "postings": Posting.objects.count(),
        "accounts": list(Account.objects.order_by("pk").values_list("name", "balance_minor")),
        "rates": list(ExchangeRate.objects.order_by("pk").values()),
    }


def owe_ben(books: Books, amount: str, *, day: dt.date = DAY) -> Transaction:
    """Money came into the bank and Ben's share of it is owed to him."""
    return transaction_post(
        lines=[
            Line(books.bank, Money(amount, "PHP")),
            Line(books.ben_payable, -Money(amount, "PHP")),
        ],
        memo=f"Ben's share, {amount}",
        occurred_at=day,
        idempotency_key=f"test:owe-ben:{amount}:{day}",
        kind="share",
    )


def spend(books: Books, amount: str, *, day: dt.date = DAY, memo: str = "Office rent") -> None:
    transaction_post(
        lines=[Line(books.bank, -Money(amount, "PHP")), Line(books.opening, Money(amount, "PHP"))],
        memo=memo,
        occurred_at=day,
        idempotency_key=f"test:spend:{memo}:{amount}:{day}",
        kind="payout",
    )


def conversion(books: Books, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "source_account": books.bank.pk,
        "target_account": books.usd_bank.pk,
        "amount": {"amount": "5000.00", "currency": "PHP"},
        "occurred_at": "2026-03-02",
        "rate": "0.01785",
        "rate_source": "BPI receipt 4471",
    }
    body.update(overrides)
    return body


def convert(client: Client, body: dict[str, Any], key: str | None = "key-1") -> Any:
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post(
        f"{A}/conversions", data=body, content_type="application/json", headers=headers
    )


def money(amount: str, currency: str = "PHP") -> dict[str, str]:
    return {"amount": amount, "currency": currency}


# --- Who may read and write ------------------------------------------------------------


@pytest.fixture
def operations(books: Books) -> list[tuple[str, str]]:
    opening = Transaction.objects.get(idempotency_key="test:opening:a")
    return [
        ("get", f"{A}/accounts"),
        ("get", f"{A}/accounts/{books.bank.pk}"),
        ("get", f"{A}/accounts/{books.bank.pk}/statement"),
        ("get", f"{A}/transactions"),
        ("get", f"{A}/transactions/{opening.pk}"),
        ("get", f"{A}/trial-balance"),
        ("get", f"{A}/exchange-rates"),
        ("post", f"{A}/exchange-rates"),
        ("post", f"{A}/conversions"),
        ("post", f"{A}/accounts"),
        ("post", f"{A}/accounts/{books.usd_bank.pk}/opening-balance"),
        ("post", f"{A}/transactions/{opening.pk}/reversal"),
    ]


def test_every_ledger_operation_refuses_anonymous_callers(
    books: Books, operations: list[tuple[str, str]]
) -> None:
    before = state()
    for method, path in [*operations, ("get", "/api/v1/me/accounts")]:
        response = getattr(Client(), method)(path, data={}, content_type="application/json")

        assert_problem(response, 401, "not_authenticated")
    assert state() == before


@pytest.mark.parametrize("who", ["olga", "carla"])
def test_people_outside_the_collective_get_404_and_see_nothing(
    books: Books, operations: list[tuple[str, str]], who: str
) -> None:
    client = bearer_client(getattr(books.cast, who))
    bodies = {
        f"{A}/exchange-rates": {"base": "USD", "quote": "PHP", "rate": "1", "on": "2026-03-01"},
        f"{A}/conversions": conversion(books),
        f"{A}/accounts": {"label": "Wise", "currency": "USD", "opening_balance": money("1", "USD")},
        f"{A}/accounts/{books.usd_bank.pk}/opening-balance": {"amount": money("1", "USD")},
    }
    before = state()

    for method, path in operations:
        response = getattr(client, method)(
            path,
            data=bodies.get(path, {}),
            content_type="application/json",
            headers={"Idempotency-Key": "outsider"},
        )

        assert_problem(response, 404, "not_found")
        assert_leaks_nothing(response, *A_PRIVATE)
    assert state() == before


def test_a_member_who_left_reads_only_their_own_account(books: Books) -> None:
    owe_ben(books, "1000")
    membership = Membership.objects.get(collective=books.cast.collective_a, user=books.cast.ben)
    membership_leave(membership=membership, actor=books.cast.ben)
    ben = bearer_client(books.cast.ben)

    own = ben.get(f"{A}/accounts/{books.ben_payable.pk}")
    statement = ben.get(f"{A}/accounts/{books.ben_payable.pk}/statement")

    assert own.status_code == 200
    assert own.json()["balance"] == money("-1000.00")
    assert [line["memo"] for line in statement.json()["items"]] == ["Ben's share, 1000"]
    assert_problem(ben.get(f"{A}/accounts/{books.bank.pk}"), 404, "not_found")
    assert_problem(ben.get(f"{A}/accounts"), 404, "not_found")
    assert_problem(ben.get(f"{A}/transactions"), 404, "not_found")


# --- Accounts --------------------------------------------------------------------------------


def test_a_member_lists_the_accounts_with_their_balances(books: Books) -> None:
    owe_ben(books, "1000")

    response = bearer_client(books.cast.ben).get(f"{A}/accounts")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 6
    assert [(a["name"], a["balance"]) for a in body["items"]] == [
        ("Assets:Collectives:ManilaVa:Bank:PHP", money("101000.00")),
        ("Assets:Collectives:ManilaVa:Bank:USD", money("0.00", "USD")),
        ("Assets:Collectives:ManilaVa:Funds:SickPay:Cash", money("1000.00")),
        ("Equity:Collectives:ManilaVa:Opening:PHP", money("-101000.00")),
        ("Liabilities:Collectives:ManilaVa:Members:Ana:Payable", money("0.00")),
        ("Liabilities:Collectives:ManilaVa:Members:Ben:Payable", money("-1000.00")),
    ]
    ben_payable = body["items"][5]
    assert ben_payable == {
        "id": books.ben_payable.pk,
        "name": "Liabilities:Collectives:ManilaVa:Members:Ben:Payable",
        "collective": {"slug": "manila-va", "name": "Manila Virtual Assistants"},
        "type": "liabilities",
        "currency": "PHP",
        "owner_kind": "member",
        "owner": {"handle": books.cast.ben.profile.handle, "display_name": "Ben Okafor"},
        "must_not_go_negative": True,
        "description": "",
        "opened_at": ben_payable["opened_at"],
        "balance": {"amount": "-1000.00", "currency": "PHP"},
    }
    assert body["items"][0]["owner"] is None


def test_the_accounts_list_is_paginated(books: Books) -> None:
    response = bearer_client(books.cast.ben).get(f"{A}/accounts", {"limit": 2, "offset": 4})

    body = response.json()
    assert (body["count"], body["limit"], body["offset"]) == (6, 2, 4)
    assert [a["name"].rsplit(":", 2)[-2] for a in body["items"]] == ["Ana", "Ben"]


def test_one_account_with_its_balance(books: Books) -> None:
    response = bearer_client(books.cast.ana).get(f"{A}/accounts/{books.fund.pk}")

    assert response.status_code == 200
    assert response.json()["balance"] == money("1000.00")
    assert response.json()["must_not_go_negative"] is True


def test_an_account_of_other_books_is_not_found(books: Books) -> None:
    carla = bearer_client(books.cast.carla)

    assert_problem(carla.get(f"{A}/accounts/{books.b_bank.pk}"), 404, "not_found")
    assert carla.get(f"{B}/accounts/{books.b_bank.pk}").status_code == 200


def test_my_accounts_lists_the_callers_own_in_every_collective(books: Books) -> None:
    owe_ben(books, "1000")

    bens = bearer_client(books.cast.ben).get("/api/v1/me/accounts").json()
    olgas = bearer_client(books.cast.olga).get("/api/v1/me/accounts").json()

    assert [(a["name"], a["balance"]) for a in bens["items"]] == [
        ("Liabilities:Collectives:ManilaVa:Members:Ben:Payable", money("-1000.00"))
    ]
    assert bens["count"] == 1
    assert olgas == {"items": [], "count": 0, "limit": 20, "offset": 0}


# --- Statements ----------------------------------------------------------------------------


def test_a_statement_has_the_running_balance(books: Books) -> None:
    spend(books, "250", day=dt.date(2026, 2, 1), memo="February rent")
    owe_ben(books, "1000", day=dt.date(2026, 3, 1))

    response = bearer_client(books.cast.ben).get(f"{A}/accounts/{books.bank.pk}/statement")

    assert response.status_code == 200
    body = response.json()
    assert body["account"] == {"id": books.bank.pk, "name": books.bank.name}
    assert (body["from"], body["to"]) == (None, None)
    assert (body["opening"], body["closing"]) == (money("0.00"), money("100750.00"))
    assert [
        (line["occurred_at"], line["memo"], line["amount"], line["balance"])
        for line in body["items"]
    ] == [
        ("2026-01-01", "Opening balance", money("100000.00"), money("100000.00")),
        ("2026-02-01", "February rent", money("-250.00"), money("99750.00")),
        ("2026-03-01", "Ben's share, 1000", money("1000.00"), money("100750.00")),
    ]
    assert (body["count"], body["limit"], body["offset"]) == (3, 20, 0)


def test_a_statement_for_a_period_and_a_page(books: Books) -> None:
    for day in range(1, 6):
        spend(books, "10", day=dt.date(2026, 2, day), memo=f"Rent {day}")
    spend(books, "10", day=dt.date(2026, 3, 1), memo="March rent")

    body = (
        bearer_client(books.cast.ben)
        .get(
            f"{A}/accounts/{books.bank.pk}/statement",
            {"from": "2026-02-01", "to": "2026-02-28", "limit": "2", "offset": "2"},
        )
        .json()
    )

    assert (body["from"], body["to"]) == ("2026-02-01", "2026-02-28")
    assert body["opening"] == money("100000.00")
    assert body["closing"] == money("99950.00")
    assert body["count"] == 5
    assert [(line["memo"], line["balance"]["amount"]) for line in body["items"]] == [
        ("Rent 3", "99970.00"),
        ("Rent 4", "99960.00"),
    ]


@pytest.mark.parametrize(
    ("query", "code", "field"),
    [
        ({"from": "yesterday"}, "validation_failed", "from"),
        ({"from": "2026-03-02", "to": "2026-03-01"}, "invalid_period", "to"),
        ({"limit": 500}, "validation_failed", "limit"),
    ],
)
def test_a_statement_refuses_a_bad_period(
    books: Books, query: dict[str, Any], code: str, field: str
) -> None:
    response = bearer_client(books.cast.ben).get(f"{A}/accounts/{books.bank.pk}/statement", query)

    body = assert_problem(response, 422, code)
    assert [error["field"] for error in body["errors"]] == [field]


# --- The journal ----------------------------------------------------------------------------


def test_the_journal_lists_transactions_with_their_postings_newest_first(books: Books) -> None:
    owe_ben(books, "1000")

    response = bearer_client(books.cast.ben).get(f"{A}/transactions")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [t["memo"] for t in body["items"]] == [
        "Ben's share, 1000",
        "Opening balance of the sick-pay fund",
        "Opening balance",
    ]
    latest = body["items"][0]
    assert latest["kind"] == "share"
    assert latest["occurred_at"] == "2026-03-02"
    assert [(p["account"]["name"], p["amount"]) for p in latest["postings"]] == [
        (books.bank.name, money("1000.00")),
        (books.ben_payable.name, money("-1000.00")),
    ]
    assert (latest["reverses"], latest["reversed_by"], latest["fx_rate"]) == (None, None, None)


@pytest.mark.parametrize(
    ("query", "memos"),
    [
        ({"kind": "payout"}, ["Office rent"]),
        ({"q": "SICK-PAY"}, ["Opening balance of the sick-pay fund"]),
        ({"from": "2026-03-01"}, ["Office rent", "Ben's share, 1000"]),
        ({"to": "2026-01-01"}, ["Opening balance of the sick-pay fund", "Opening balance"]),
        ({"account": "ben_payable"}, ["Ben's share, 1000"]),
        ({"account": "bank", "limit": 1, "offset": 1}, ["Ben's share, 1000"]),
    ],
)
def test_the_journal_filters(books: Books, query: dict[str, Any], memos: list[str]) -> None:
    owe_ben(books, "1000", day=dt.date(2026, 3, 1))
    spend(books, "100", day=dt.date(2026, 3, 2))
    if "account" in query:
        query = {**query, "account": getattr(books, query["account"]).pk}

    response = bearer_client(books.cast.ben).get(f"{A}/transactions", query)

    assert response.status_code == 200, response.content
    assert [t["memo"] for t in response.json()["items"]] == memos


def test_the_journal_refuses_an_account_of_other_books(books: Books) -> None:
    response = bearer_client(books.cast.ben).get(f"{A}/transactions", {"account": books.b_bank.pk})

    body = assert_problem(response, 422, "unknown_account")
    assert body["errors"][0]["field"] == "account"
    assert_leaks_nothing(response, "RemoteCrew")


def test_the_journal_refuses_a_bad_date_and_an_inverted_period(books: Books) -> None:
    ben = bearer_client(books.cast.ben)

    assert_problem(ben.get(f"{A}/transactions", {"from": "2026-02-30"}), 422, "validation_failed")
    assert_problem(
        ben.get(f"{A}/transactions", {"from": "2026-03-02", "to": "2026-03-01"}),
        422,
        "invalid_period",
    )


def test_a_transaction_shows_a_conversions_rate_and_what_reversed_it(books: Books) -> None:
    converted = currency_convert(
        source=books.bank,
        target=books.usd_bank,
        amount=Money("5000", "PHP"),
        occurred_at=DAY,
        idempotency_key="test:convert",
        rate=Decimal("0.01785"),
        rate_source="BPI receipt 4471",
        posted_by=books.cast.ana,
    )
    reversal = transaction_reverse(
        original=converted, idempotency_key="test:reverse", posted_by=books.cast.ana
    )
    ben = bearer_client(books.cast.ben)

    original = ben.get(f"{A}/transactions/{converted.pk}").json()
    mirror = ben.get(f"{A}/transactions/{reversal.pk}").json()

    assert original["fx_rate"] == "0.01785"
    assert original["fx_rate_source"] == "BPI receipt 4471"
    assert original["posted_by"] == {
        "handle": books.cast.ana.profile.handle,
        "display_name": "Ana Reyes",
    }
    assert [p["amount"] for p in original["postings"]] == [
        money("-5000.00"),
        money("5000.00"),
        money("-89.25", "USD"),
        money("89.25", "USD"),
    ]
    assert original["reversed_by"] == reversal.pk
    assert (mirror["reverses"], mirror["kind"]) == (converted.pk, "reversal")


def test_a_transaction_of_other_books_is_not_found(books: Books) -> None:
    b_opening = Transaction.objects.get(idempotency_key="test:opening:b")

    response = bearer_client(books.cast.ana).get(f"{A}/transactions/{b_opening.pk}")

    assert_problem(response, 404, "not_found")


# --- The trial balance -------------------------------------------------------------------------


def test_the_trial_balance_totals_each_currency(books: Books) -> None:
    currency_convert(
        source=books.bank,
        target=books.usd_bank,
        amount=Money("1000", "PHP"),
        occurred_at=DAY,
        idempotency_key="test:convert",
        rate=Decimal("0.0178"),
    )

    body = bearer_client(books.cast.ben).get(f"{A}/trial-balance").json()

    assert body["as_of"] is None
    assert body["balanced"] is True
    assert body["currencies"] == [
        {
            "currency": "PHP",
            "debits": money("101000.00"),
            "credits": money("101000.00"),
            "balanced": True,
        },
        {
            "currency": "USD",
            "debits": money("17.80", "USD"),
            "credits": money("17.80", "USD"),
            "balanced": True,
        },
    ]
    assert {row["account"]["name"]: row["balance"] for row in body["accounts"]}[
        "Equity:Collectives:ManilaVa:Trading:USD"
    ] == money("-17.80", "USD")


def test_the_trial_balance_as_of_a_date(books: Books) -> None:
    owe_ben(books, "1000", day=dt.date(2026, 3, 1))

    body = bearer_client(books.cast.ben).get(f"{A}/trial-balance", {"as_of": "2026-02-28"}).json()

    assert body["as_of"] == "2026-02-28"
    assert body["currencies"][0]["debits"] == money("101000.00")
    assert_problem(
        bearer_client(books.cast.ben).get(f"{A}/trial-balance", {"as_of": "soon"}),
        422,
        "validation_failed",
    )


# --- Exchange rates -----------------------------------------------------------------------------


RATE = {"base": "USD", "quote": "PHP", "rate": "56.125", "on": "2026-03-01"}


def test_a_coordinator_enters_a_rate(books: Books) -> None:
    response = post_json(bearer_client(books.cast.ana), f"{A}/exchange-rates", RATE)

    assert response.status_code == 201
    body = response.json()
    assert {key: body[key] for key in ("base", "quote", "rate", "on", "source")} == {
        **RATE,
        "source": "manual",
    }
    assert body["entered_by"]["display_name"] == "Ana Reyes"
    rate = ExchangeRate.objects.get()
    assert (rate.collective, rate.rate) == (books.cast.collective_a, Decimal("56.125"))


def test_entering_a_pair_and_day_again_replaces_the_rate(books: Books) -> None:
    ana = bearer_client(books.cast.ana)
    post_json(ana, f"{A}/exchange-rates", RATE)

    response = post_json(ana, f"{A}/exchange-rates", {**RATE, "rate": "56.5"})

    assert response.status_code == 201
    assert ExchangeRate.objects.get().rate == Decimal("56.5")


def test_a_member_may_not_enter_a_rate(books: Books) -> None:
    before = state()

    response = post_json(bearer_client(books.cast.ben), f"{A}/exchange-rates", RATE)

    assert_problem(response, 403, "not_coordinator")
    assert state() == before


@pytest.mark.parametrize(
    ("changes", "status", "code", "field"),
    [
        ({"rate": "fifty"}, 422, "invalid_rate", "rate"),
        ({"rate": "0"}, 422, "invalid_rate", "rate"),
        ({"rate": "1.0000000000001"}, 422, "invalid_rate", "rate"),
        ({"rate": 56.125}, 422, "validation_failed", "rate"),
        ({"quote": "USD"}, 422, "same_currency", "quote"),
        ({"base": "XYZ"}, 422, "invalid_currency", "base"),
        ({"on": "2026-02-30"}, 422, "validation_failed", "on"),
        ({"source": "ecb"}, 422, "validation_failed", "source"),
    ],
)
def test_it_refuses_a_bad_rate_and_saves_nothing(
    books: Books, changes: dict[str, Any], status: int, code: str, field: str
) -> None:
    before = state()

    response = post_json(bearer_client(books.cast.ana), f"{A}/exchange-rates", {**RATE, **changes})

    body = assert_problem(response, status, code)
    assert [error["field"] for error in body["errors"]] == [field]
    assert state() == before


def test_members_list_the_collectives_rates_and_the_ecbs(books: Books) -> None:
    exchange_rates_import_ecb(text="Date, USD, PHP,\n2026-02-27, 1.0412, 60.518,\n")
    exchange_rate_set(
        collective=books.cast.collective_a,
        actor=books.cast.ana,
        base="USD",
        quote="PHP",
        rate=Decimal("56.125"),
        on=DAY,
    )
    exchange_rate_set(
        collective=books.cast.collective_b,
        actor=books.cast.carla,
        base="USD",
        quote="PHP",
        rate=Decimal("57"),
        on=DAY,
    )
    ben = bearer_client(books.cast.ben)

    both = ben.get(f"{A}/exchange-rates").json()
    own = ben.get(f"{A}/exchange-rates", {"source": "manual"}).json()
    ecb = ben.get(f"{A}/exchange-rates", {"source": "ecb"}).json()

    assert [(r["base"], r["quote"], r["rate"], r["source"]) for r in both["items"]] == [
        ("USD", "PHP", "56.125", "manual"),
        ("EUR", "PHP", "60.518", "ecb"),
        ("EUR", "USD", "1.0412", "ecb"),
    ]
    assert [r["rate"] for r in own["items"]] == ["56.125"]  # not B's 57
    assert ecb["count"] == 2 and all(r["entered_by"] is None for r in ecb["items"])
    assert_problem(ben.get(f"{A}/exchange-rates", {"source": "bank"}), 422, "validation_failed")


# --- Conversions -----------------------------------------------------------------------------


def test_a_coordinator_converts_between_two_accounts(books: Books) -> None:
    response = convert(bearer_client(books.cast.ana), conversion(books))

    assert response.status_code == 201
    body = response.json()
    assert body["kind"] == "conversion"
    assert body["memo"] == "Convert 5000.00 PHP to 89.25 USD at 0.01785"
    assert (body["fx_rate"], body["fx_rate_source"]) == ("0.01785", "BPI receipt 4471")
    assert [(p["account"]["name"], p["amount"]) for p in body["postings"]] == [
        (books.bank.name, money("-5000.00")),
        ("Equity:Collectives:ManilaVa:Trading:PHP", money("5000.00")),
        ("Equity:Collectives:ManilaVa:Trading:USD", money("-89.25", "USD")),
        (books.usd_bank.name, money("89.25", "USD")),
    ]
    assert "Idempotent-Replayed" not in response
    books.bank.refresh_from_db()
    books.usd_bank.refresh_from_db()
    assert (books.bank.balance_minor, books.usd_bank.balance_minor) == (95_000_00, 89_25)
    assert Transaction.objects.get(pk=body["id"]).posted_by == books.cast.ana


def test_a_retry_with_the_same_key_returns_the_same_transaction(books: Books) -> None:
    ana = bearer_client(books.cast.ana)
    first = convert(ana, conversion(books), key="5b1f3c1e-retry")

    retry = convert(ana, conversion(books), key="5b1f3c1e-retry")

    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert Transaction.objects.filter(kind="conversion").count() == 1
    books.bank.refresh_from_db()
    assert books.bank.balance_minor == 95_000_00


def test_the_same_key_with_another_body_is_a_conflict(books: Books) -> None:
    ana = bearer_client(books.cast.ana)
    convert(ana, conversion(books), key="k")
    before = state()

    response = convert(ana, conversion(books, amount=money("10.00")), key="k")

    assert_problem(response, 409, "idempotency_key_reused")
    assert state() == before


def test_keys_are_each_senders_own(books: Books) -> None:
    Membership.objects.filter(user=books.cast.ben).update(role=Membership.Role.COORDINATOR)

    first = convert(bearer_client(books.cast.ana), conversion(books), key="k")
    second = convert(bearer_client(books.cast.ben), conversion(books), key="k")

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]


@pytest.mark.parametrize("key", [None, "", "has space", "k" * 101, "caf\u00e9"])
def test_a_conversion_needs_a_usable_idempotency_key(books: Books, key: str | None) -> None:
    before = state()

    response = convert(bearer_client(books.cast.ana), conversion(books), key=key)

    body = assert_problem(response, 422, "validation_failed")
    assert [error["field"] for error in body["errors"]] == ["Idempotency-Key"]
    assert state() == before


def test_the_openapi_document_says_a_conversion_needs_an_idempotency_key(db: None) -> None:
    document = Client().get("/api/v1/openapi.json").json()

    parameters = document["paths"]["/api/v1/collectives/{slug}/conversions"]["post"]["parameters"]
    [header] = [p for p in parameters if p["in"] == "header"]
    assert (header["name"], header["required"]) == ("Idempotency-Key", True)


@pytest.mark.parametrize(
    ("changes", "status", "code", "field"),
    [
        ({"amount": {"amount": 5000.0, "currency": "PHP"}}, 422, "validation_failed", None),
        ({"amount": money("five")}, 422, "invalid_amount", "amount"),
        ({"amount": money("1.005")}, 422, "too_many_decimals", "amount"),
        ({"amount": money("0")}, 422, "invalid_amount", "amount"),
        ({"amount": money("50", "USD")}, 422, "currency_mismatch", "amount"),
        ({"amount": money("50", "XYZ")}, 422, "invalid_currency", None),
        ({"rate": "about 0.018"}, 422, "invalid_rate", "rate"),
        ({"rate": "-0.0178"}, 422, "invalid_rate", "rate"),
        ({"rate": None}, 422, "no_rate", "rate"),
        ({"target_account": "bank"}, 422, "same_currency", "target"),
        ({"target_account": "ben_payable"}, 422, "unknown_account", "target_account"),
        ({"source_account": "b_bank"}, 422, "unknown_account", "source_account"),
        ({"source_account": 999_999}, 422, "unknown_account", "source_account"),
        ({"source_account": "fund", "amount": money("1000.01")}, 409, "would_go_negative", None),
        ({"memo": "x" * 501}, 422, "validation_failed", "memo"),
        ({"colour": "blue"}, 422, "validation_failed", "colour"),
    ],
)
def test_it_refuses_a_bad_conversion_and_posts_nothing(
    books: Books, changes: dict[str, Any], status: int, code: str, field: str | None
) -> None:
    for name in ("source_account", "target_account"):
        if isinstance(changes.get(name), str):
            changes = {**changes, name: getattr(books, changes[name]).pk}
    before = state()

    response = convert(bearer_client(books.cast.ana), conversion(books, **changes))

    body = assert_problem(response, status, code)
    if field is not None:
        assert [error["field"] for error in body["errors"]] == [field]
    assert state() == before


def test_without_a_rate_it_uses_the_best_known_one(books: Books) -> None:
    exchange_rates_import_ecb(text="Date, USD, PHP,\n2026-02-27, 1.0412, 60.518,\n")
    body = conversion(books, rate=None, rate_source="")
    del body["rate"]

    response = convert(bearer_client(books.cast.ana), body)

    assert response.status_code == 201
    assert response.json()["fx_rate_source"] == (
        "ECB reference rates of 2026-02-27, crossed through EUR"
    )


def test_a_member_may_not_convert(books: Books) -> None:
    before = state()

    response = convert(bearer_client(books.cast.ben), conversion(books))

    assert_problem(response, 403, "not_coordinator")
    assert state() == before


def test_a_session_conversion_needs_the_csrf_token(books: Books) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(books.cast.ana, backend="django.contrib.auth.backends.ModelBackend")
    before = state()

    response = convert(browser, conversion(books))

    assert_problem(response, 403, "csrf_failed")
    assert state() == before


def test_money_is_never_a_json_number(books: Books) -> None:
    owe_ben(books, "1000")
    ben = bearer_client(books.cast.ben)

    def amounts(value: Any) -> list[Any]:
        if isinstance(value, dict):
            found = [value["amount"]] if set(value) == {"amount", "currency"} else []
            return found + [item for child in value.values() for item in amounts(child)]
        if isinstance(value, list):
            return [item for child in value for item in amounts(child)]
        return []

    for path in (
        f"{A}/accounts",
        f"{A}/transactions",
        f"{A}/trial-balance",
        f"{A}/accounts/{books.bank.pk}/statement",
    ):
        found = amounts(ben.get(path).json())
        assert found and all(isinstance(amount, str) for amount in found), path
