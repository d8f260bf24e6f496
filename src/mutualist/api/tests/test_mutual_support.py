"""What the funds API tests share (no tests here): the moment they run at,
requests with an ``Idempotency-Key``, money put into a fund, and the state a
refusal must leave unchanged.

The world is ``mutualist.testing``'s cast: collective A (manila-va, base
currency PHP) with Ana (coordinator) and Ben; Carla's collective B
(remote-crew); Olga, in none. Cleo and Dan join A where a test needs more
peers. The tests run on Friday 27 November 2026, 09:00 UTC.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.test import Client

from mutualist.api.models import IdempotentRequest
from mutualist.core.money import Money
from mutualist.ledger.services import Line, account_name_for, account_open, transaction_post
from mutualist.members.models import User
from mutualist.mutual.accounts import pool_account
from mutualist.mutual.models import Claim, Fund
from mutualist.mutual.services.claims import claim_create
from mutualist.mutual.tests.helpers import NOW as NOW
from mutualist.mutual.tests.helpers import snapshot

A = "/api/v1/collectives/manila-va"
B = "/api/v1/collectives/remote-crew"
TODAY = NOW.date()
BIG = 2**70  # a valid JSON integer, beyond any database id

__test__ = False  # pytest: builders only


def php(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "PHP"}


def send(
    client: Client, method: str, path: str, body: Any = None, *, key: str | None = None
) -> Any:
    """A JSON request, with an ``Idempotency-Key`` header when ``key`` is given."""
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.generic(
        method,
        path,
        data="" if body is None else json.dumps(body),
        content_type="application/json",
        headers=headers,
    )


def post(client: Client, path: str, body: Any = None, *, key: str | None = None) -> Any:
    return send(client, "POST", path, {} if body is None else body, key=key)


def fill(fund: Fund, amount: str, key: str) -> None:
    """Put ``amount`` PHP into the fund's pool, from the collective's opening equity."""
    collective = fund.collective
    opening = account_open(
        collective=collective,
        name=account_name_for(collective, "equity", "Opening", "PHP"),
        type="equity",
        currency="PHP",
    )
    money = Money(amount, "PHP")
    transaction_post(
        lines=[Line(opening, money), Line(pool_account(collective, fund.code, "PHP"), -money)],
        memo="Levies",
        occurred_at=TODAY,
        idempotency_key=f"test:fill:{key}",
        kind="opening",
    )


def gap_claim(fund: Fund, claimant: User, amount: str, **fields: Any) -> Claim:
    """An income-gap claim made straight through the claims service (the
    kind's eligibility is the income-gap module's, tested there)."""
    with transaction.atomic():
        return claim_create(
            fund=fund,
            claimant=claimant,
            claim_date=TODAY,
            reason=fields.pop("reason", "A quiet month"),
            disclosure=fields.pop("disclosure", "everything"),
            currency="PHP",
            amount_minor=int(Decimal(amount) * 100),
            **fields,
        )


def state() -> dict[str, Any]:
    """Everything a refused request must leave as it was: the funds' rows
    and balances (``mutual.tests.helpers.snapshot``) and the stored answers."""
    return {**snapshot(), "answers": IdempotentRequest.objects.count()}
