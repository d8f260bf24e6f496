"""What a coordinator does to the books by hand.

Most money reaches the books from other services (payments, splits,
contributions, payouts), each with its own rules. By hand, a coordinator
only: opens an asset account where the collective keeps money (a bank, a
wallet, a cash box), records the balance it already held there before it
used Mutualist (against the collective's opening-balance equity), converts
between currencies (``fx.currency_convert``), and reverses one of those
hand-made entries when it was wrong. Entries posted by other services are
corrected through those services (a credit note, a cancelled claim), never
reversed from here: their own records would no longer match the books.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from mutualist.collectives.models import Collective
from mutualist.collectives.selectors import membership_of
from mutualist.core.errors import Conflict, PermissionDenied, ValidationFailed
from mutualist.core.money import Money
from mutualist.core.reference import validate_currency
from mutualist.ledger.models import Account, Transaction
from mutualist.ledger.services.accounts import account_component, account_name_for, account_open
from mutualist.ledger.services.posting import Line, transaction_post, transaction_reverse
from mutualist.members.models import User

# Kinds of transaction a coordinator posts by hand, and so may reverse by hand.
REVERSIBLE_BY_HAND = frozenset({"opening", "conversion"})
MAX_LABEL_LENGTH = 40


def _require_coordinator(*, collective: Collective, actor: User) -> None:
    membership = membership_of(user=actor, collective=collective)
    if membership is None or not membership.is_coordinator:
        raise PermissionDenied(
            "Only a coordinator of this collective can do that.", code="not_coordinator"
        )


def opening_account(collective: Collective, currency: str) -> Account:
    """The collective's opening-balance equity for ``currency``, opened on first use."""
    return account_open(
        collective=collective,
        name=account_name_for(collective, Account.Type.EQUITY, "Opening", currency),
        type=Account.Type.EQUITY,
        currency=currency,
        description=f"Opening balances in {currency}",
    )


def asset_account_open(
    *,
    collective: Collective,
    actor: User,
    label: str,
    currency: str,
    description: str = "",
    must_not_go_negative: bool = False,
) -> Account:
    """Open an asset account where the collective keeps money:
    ``label="Wise"``, ``currency="USD"`` opens
    ``Assets:Collectives:ManilaVa:Wise:USD``. Refuses a label that gives no
    name, and a name already taken (``account_exists``)."""
    _require_coordinator(collective=collective, actor=actor)
    label = (label or "").strip()
    if not label or len(label) > MAX_LABEL_LENGTH:
        raise ValidationFailed(
            f"Give the account a name of 1 to {MAX_LABEL_LENGTH} characters, such as Bank or Wise.",
            code="invalid_account_name",
            field="label",
        )
    component = account_component(label)
    currency = validate_currency(currency)
    name = account_name_for(collective, Account.Type.ASSETS, component, currency)
    if Account.objects.filter(name=name).exists():
        raise Conflict(
            f"The collective already has an account named {name}.",
            code="account_exists",
            field="label",
        )
    return account_open(
        collective=collective,
        name=name,
        type=Account.Type.ASSETS,
        currency=currency,
        description=description.strip()[:200],
        must_not_go_negative=must_not_go_negative,
    )


def opening_balance_record(
    *,
    account: Account,
    actor: User,
    amount: Money,
    occurred_at: dt.date,
    idempotency_key: str,
    memo: str = "",
) -> Transaction:
    """Record what an asset account of the collective already held on
    ``occurred_at``, against the collective's opening-balance equity (one
    transaction, kind ``opening``). A negative amount records an overdraft,
    refused on an account that must not go negative."""
    collective = account.collective
    _require_coordinator(collective=collective, actor=actor)
    if account.type != Account.Type.ASSETS or account.owner_kind != Account.OwnerKind.COLLECTIVE:
        raise ValidationFailed(
            "Opening balances are recorded on the collective's own asset accounts.",
            code="unknown_account",
            field="account",
        )
    with transaction.atomic():
        return transaction_post(
            lines=[
                Line(account, amount),
                Line(opening_account(collective, account.currency), -amount),
            ],
            memo=memo.strip() or f"Opening balance of {account.name}",
            occurred_at=occurred_at,
            idempotency_key=idempotency_key,
            kind="opening",
            posted_by=actor,
        )


def transaction_reverse_by_hand(
    *, original: Transaction, actor: User, idempotency_key: str, memo: str = ""
) -> Transaction:
    """A coordinator reverses an opening balance or a conversion entered by
    mistake (dated today). Entries other services posted are refused
    (``not_reversible_by_hand``): correct those where they came from."""
    _require_coordinator(collective=original.collective, actor=actor)
    if original.kind not in REVERSIBLE_BY_HAND or original.reverses_id is not None:
        raise Conflict(
            f"A {original.kind} entry is corrected where it came from, not reversed by hand; "
            f"coordinators reverse only {' and '.join(sorted(REVERSIBLE_BY_HAND))} entries.",
            code="not_reversible_by_hand",
        )
    return transaction_reverse(
        original=original, idempotency_key=idempotency_key, memo=memo.strip(), posted_by=actor
    )
