"""What the governance API tests share: the moment they run at, bodies that
make a proposal, and the state a refusal must leave unchanged.

The world is ``mutualist.testing``'s cast: collective A (manila-va) with Ana
(coordinator) and Ben; Carla's collective B (remote-crew); Olga, in none.
The tests run on Tuesday 8 December 2026 at noon UTC.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.test import Client

from mutualist.collectives.models import Bylaws, Membership, SplitShare
from mutualist.governance.models import Delegation, Proposal, Vote
from mutualist.members.models import User
from mutualist.testing import Cast, make_member

A = "/api/v1/collectives/manila-va"
B = "/api/v1/collectives/remote-crew"
NOON = dt.datetime(2026, 12, 8, 12, tzinfo=dt.UTC)
TODAY = NOON.date()
BIG = 2**70  # a valid JSON integer, beyond any database id


def later(**delta: float) -> str:
    """An ISO 8601 time with an offset, ``delta`` after NOON."""
    return (NOON + dt.timedelta(**delta)).isoformat()


def general(**changes: Any) -> dict[str, Any]:
    """A general proposal's body, closing in three days."""
    return {
        "kind": "general",
        "title": "Buy a shared design licence",
        "body": "We **need** it for client decks.",
        "closes_at": later(days=3),
        **changes,
    }


def bylaws_change(payload: dict[str, Any] | None = None, **changes: Any) -> dict[str, Any]:
    """A proposal to raise the treasury's share to 12 %, from 20 December."""
    return {
        "kind": "bylaws_change",
        "title": "Treasury 12 %",
        "closes_at": later(days=3),
        "payload": (
            {"effective_from": "2026-12-20", "shares": {"treasury": "12"}}
            if payload is None
            else payload
        ),
        **changes,
    }


def send(client: Client, method: str, path: str, body: Any = None) -> Any:
    return client.generic(
        method,
        path,
        data="" if body is None else json.dumps(body),
        content_type="application/json",
    )


def post(client: Client, path: str, body: Any = None) -> Any:
    return send(client, "POST", path, {} if body is None else body)


def put(client: Client, path: str, body: Any) -> Any:
    return send(client, "PUT", path, body)


def state() -> dict[str, Any]:
    """Every row a governance operation could change, and the bylaws."""
    return {
        "proposals": list(Proposal.objects.order_by("pk").values()),
        "votes": list(Vote.objects.order_by("pk").values()),
        "delegations": list(Delegation.objects.order_by("pk").values()),
        "bylaws": list(Bylaws.objects.order_by("pk").values()),
        "shares": list(SplitShare.objects.order_by("pk").values()),
    }


def add_member(cast: Cast, email: str, name: str) -> User:
    """A third member of collective A."""
    user = make_member(email, name)
    Membership.objects.create(
        collective=cast.collective_a,
        user=user,
        role=Membership.Role.MEMBER,
        state=Membership.State.ACTIVE,
        joined_at=NOON,
    )
    return user
