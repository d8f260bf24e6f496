"""Builders shared by the funds pages' tests (no tests of its own).

``rules_data`` is what the rules form posts when a member leaves every rule
as it is pre-filled (the kind's defaults, or ``base`` over them) and changes
only the fields given.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from django.urls import reverse

from mutualist.core.money import Money
from mutualist.ledger.services import Line, account_name_for, account_open, transaction_post
from mutualist.mutual.accounts import pool_account
from mutualist.mutual.models import Fund
from mutualist.mutual.rules import DEFAULTS
from mutualist.mutual.tests.helpers import NOW

HTMX = {"HTTP_HX_REQUEST": "true"}


def page_of(response: Any) -> str:
    return str(response.content.decode())


def shows(response: Any, text: str) -> bool:
    return html.escape(text) in page_of(response)


def assert_login_redirect(response: Any) -> None:
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("members:login"))


def fill(fund: Fund, amount: str, key: str, currency: str = "PHP") -> None:
    """Put ``amount`` into the fund's pool, from the collective's opening equity."""
    collective = fund.collective
    opening = account_open(
        collective=collective,
        name=account_name_for(collective, "equity", "Opening", currency),
        type="equity",
        currency=currency,
    )
    money = Money(amount, currency)
    transaction_post(
        lines=[Line(opening, money), Line(pool_account(collective, fund.code, currency), -money)],
        memo="Levies",
        occurred_at=NOW.date(),
        idempotency_key=f"test:views:fill:{key}",
        kind="opening",
    )


def rules_data(
    kind: str, *, base: Mapping[str, Any] | None = None, **changes: str
) -> dict[str, Any]:
    """The rules form as posted: every rule as pre-filled, the vote closing
    a week after ``NOW`` (on the member's clock), and ``changes``."""
    rules = {**DEFAULTS[kind], **(base or {})}
    data: dict[str, Any] = {"closes_at": "2026-12-04T09:00", "effective_from": "", "body": ""}
    for name, value in rules.items():
        if name == "tiers":
            for index, tier in enumerate(value):
                data[f"tier_{index}_deposit"] = tier["deposit"]
                data[f"tier_{index}_payout"] = tier["payout"]
        elif name == "change_months":
            data[name] = [str(month) for month in value]
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = str(value)
    data.update(changes)
    return data
