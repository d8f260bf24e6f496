"""Small builders shared by the governance tests (imported, not collected)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.utils import timezone

from mutualist.collectives.models import Collective, Membership
from mutualist.governance import kinds
from mutualist.governance.kinds import KindHandler
from mutualist.governance.models import Delegation, Proposal, Vote
from mutualist.governance.services import proposal_create
from mutualist.members.models import User
from mutualist.testing import Cast, make_member

# A Monday morning, well inside a year, so that deadlines and days are exact.
NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)


def general(cast: Cast, *, author: User | None = None, **kwargs: Any) -> Proposal:
    """A general proposal in collective A by Ana, closing in three days."""
    fields: dict[str, Any] = {
        "collective": cast.collective_a,
        "author": author or cast.ana,
        "kind": Proposal.Kind.GENERAL,
        "title": "Buy a shared laptop",
        "body": "For the **new** member.",
        "closes_at": timezone.now() + dt.timedelta(days=3),
    }
    fields.update(kwargs)
    return proposal_create(**fields)


def add_member(collective: Collective, email: str, name: str) -> User:
    user = make_member(email, name)
    Membership.objects.create(
        collective=collective,
        user=user,
        role=Membership.Role.MEMBER,
        state=Membership.State.ACTIVE,
        joined_at=timezone.now(),
    )
    return user


def snapshot() -> dict[str, Any]:
    """Every governance row, to assert that a refusal changed nothing."""
    return {
        "proposals": list(Proposal.objects.order_by("pk").values()),
        "votes": list(Vote.objects.order_by("pk").values()),
        "delegations": list(Delegation.objects.order_by("pk").values()),
    }


@contextmanager
def kind_handled_by(kind: str, handler: KindHandler | None) -> Iterator[None]:
    """Within the block, ``kind`` is handled by ``handler`` (or by nothing,
    with None) instead of the handler the project registers for it (the
    funds register ``fund_rule_change``, ``claim_approval`` and
    ``write_off``); the project's handler is back afterwards."""
    registered = kinds.handler_for(kind)
    kinds.unregister(kind)
    try:
        if handler is not None:
            kinds.register(handler)
        yield
    finally:
        kinds.unregister(kind)
        if registered is not None:
            kinds.register(registered)
