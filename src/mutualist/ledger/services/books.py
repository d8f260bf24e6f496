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
from django.utils import timezone

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
    try:
        component = account_component(label)
    except ValidationFailed as error:
        raise ValidationFailed(error.message, code=error.code, field="label") from None
    currency = validate_currency(currency)
    name = account_name_for(collective, Account.Type.ASSETS, component, currency)
    try:
        return account_open(
            collective=collective,
            name=name,
            type=Account.Type.ASSETS,
            currency=currency,
            description=description.strip()[:200],
            must_not_go_negative=must_not_go_negative,
            only_new=True,  # a second "open" of the same name, even at once, is refused
        )
    except Conflict as error:
        raise Conflict(error.message, code=error.code, field="label") from None


def _opened_under_key(*, collective: Collective, idempotency_key: str) -> Account | None:
    """The asset account whose opening balance was posted under the key."""
    return Account.objects.filter(
        collective=collective,
        type=Account.Type.ASSETS,
        postings__transaction__idempotency_key=idempotency_key,
        postings__transaction__kind="opening",
    ).first()


def asset_account_open_with_balance(
    *,
    collective: Collective,
    actor: User,
    label: str,
    currency: str,
    description: str = "",
    must_not_go_negative: bool = False,
    opening_balance: Money | None = None,
    occurred_at: dt.date | None = None,
    idempotency_key: str | None = None,
) -> tuple[Account, bool]:
    """Open an asset account and, with ``opening_balance``, record what it
    held on ``occurred_at`` (default: today), all or nothing: a refused
    balance opens no account. Returns the account and whether this call was
    a replay.

    Recording a balance moves money, so it needs ``idempotency_key``. A retry
    under the same key finds the account its first attempt opened (by the
    opening posted under the key) and records nothing new; it must ask for
    the same account (``idempotency_key_reused`` otherwise), and without a
    date it means the first attempt's day, not today. Opening without a
    balance records no key: opening the same name again is ``account_exists``.
    """
    if opening_balance is not None and not idempotency_key:
        raise ValidationFailed(
            "An opening balance moves money: it needs an idempotency key.",
            code="invalid_idempotency_key",
            field="idempotency_key",
        )
    with transaction.atomic():
        opened = None
        if opening_balance is not None and idempotency_key:
            opened = _opened_under_key(collective=collective, idempotency_key=idempotency_key)
        if opened is None:
            try:
                account = asset_account_open(
                    collective=collective,
                    actor=actor,
                    label=label,
                    currency=currency,
                    description=description,
                    must_not_go_negative=must_not_go_negative,
                )
            except Conflict as error:
                # A retry that raced its first attempt, committed meanwhile.
                if opening_balance is not None and idempotency_key:
                    opened = _opened_under_key(
                        collective=collective, idempotency_key=idempotency_key
                    )
                if opened is None:
                    raise error from None
        if opened is not None:
            _require_coordinator(collective=collective, actor=actor)
            try:
                name = account_name_for(
                    collective, Account.Type.ASSETS, label, currency.strip().upper()
                )
            except ValidationFailed:
                name = ""  # a label that names nothing cannot be the account opened
            asked_for = (name, description.strip()[:200], must_not_go_negative)
            if (opened.name, opened.description, opened.must_not_go_negative) != asked_for:
                raise Conflict(
                    f"The idempotency key was already used to open {opened.name}.",
                    code="idempotency_key_reused",
                    field="idempotency_key",
                )
            account = opened
        if opening_balance is not None and idempotency_key:
            first = Transaction.objects.filter(idempotency_key=idempotency_key).first()
            day = occurred_at or (first.occurred_at if first else timezone.localdate())
            opening_balance_record(
                account=account,
                actor=actor,
                amount=opening_balance,
                occurred_at=day,
                idempotency_key=idempotency_key,
            )
    return account, opened is not None


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
