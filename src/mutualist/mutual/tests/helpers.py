"""Small builders shared by the funds tests (imported, not collected).

``rules_passed`` writes a fund's rules the only way rules are written: a
``fund_rule_change`` proposal that closed as passed, handed to
``fund_rules_enact``. It books the proposal as decided directly (the vote
itself is governance's and tested there; ``test_funds_setup`` runs the whole
path through votes and ``mutualist tick``), so a test can date rules in the
past.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Model
from django.utils import timezone

from mutualist.collectives.models import Collective, Membership
from mutualist.governance.models import Proposal
from mutualist.ledger.models import Account, Posting, Transaction
from mutualist.members.models import User
from mutualist.mutual import models as mutual_models
from mutualist.mutual.models import Fund, FundRules
from mutualist.mutual.rules import rules_clean
from mutualist.mutual.services.funds import fund_rules_enact, newest_rules
from mutualist.testing import make_member

# A Friday morning in late November 2026 (the session's "today").
NOW = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)
LONG_AGO = dt.date(2026, 1, 1)


def add_member(
    collective: Collective, email: str, name: str, *, joined: dt.datetime | None = None
) -> User:
    """An active member of ``collective`` (joined long ago unless ``joined``)."""
    user = make_member(email, name)
    Membership.objects.create(
        collective=collective,
        user=user,
        role=Membership.Role.MEMBER,
        state=Membership.State.ACTIVE,
        joined_at=joined or dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
    )
    return user


def rules_passed(
    fund: Fund,
    rules: dict[str, Any] | None = None,
    *,
    effective_from: dt.date = LONG_AGO,
    author: User | None = None,
) -> FundRules:
    """The fund's next rules version (``rules`` over the newest version or
    the defaults), as a passed proposal would enact them."""
    base = newest_rules(fund=fund)
    cleaned = rules_clean(fund.kind, rules or {}, base=base.rules if base else None)
    now = timezone.now()
    proposal = Proposal.objects.create(
        collective=fund.collective,
        author=author or fund.created_by,
        kind=Proposal.Kind.FUND_RULE_CHANGE,
        title=f"Rules for the {fund.get_kind_display().lower()} fund",
        payload={
            "fund": fund.kind,
            "effective_from": effective_from.isoformat(),
            "rules": cleaned,
        },
        opened_at=now - dt.timedelta(days=8),
        closes_at=now - dt.timedelta(days=1),
        state=Proposal.State.CLOSED,
        closed_at=now - dt.timedelta(days=1),
        outcome=Proposal.Outcome.PASSED,
    )
    return fund_rules_enact(proposal=proposal)


def fund_active(
    collective: Collective,
    kind: str,
    rules: dict[str, Any] | None = None,
    *,
    created_by: User,
    effective_from: dt.date = LONG_AGO,
) -> Fund:
    """An active fund of ``kind`` whose first rules are in force since ``effective_from``."""
    fund = Fund.objects.create(
        collective=collective,
        kind=kind,
        currency=collective.base_currency,
        created_by=created_by,
    )
    rules_passed(fund, rules, effective_from=effective_from)
    fund.refresh_from_db()
    return fund


def counts() -> dict[str, int]:
    """Row counts of every funds table and of the ledger's."""
    tables: list[type[Model]] = [
        model
        for model in vars(mutual_models).values()
        if isinstance(model, type)
        and issubclass(model, Model)
        and model.__module__ == mutual_models.__name__
    ]
    tables += [Account, Transaction, Posting, Proposal]
    return {model.__name__: model._default_manager.count() for model in tables}


def snapshot() -> dict[str, Any]:
    """Everything a refused call must leave as it was: row counts, every
    account's balance, every claim's figures."""
    return {
        "counts": counts(),
        "balances": dict(Account.objects.values_list("name", "balance_minor")),
        "claims": list(
            mutual_models.Claim.objects.order_by("pk").values_list(
                "pk", "state", "reserved_minor", "paid_minor", "amount_minor"
            )
        ),
        "participations": list(
            mutual_models.Participation.objects.order_by("pk").values_list("pk", "tier", "state")
        ),
    }
