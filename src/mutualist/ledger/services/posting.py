"""The one writer of money: ``transaction_post``, and reversals through it.

Rules (DESIGN.md, "Ledger rules"): a request is validated whole before
anything is written; the touched accounts are locked in primary-key order;
an account that must not go negative is checked under that lock; a retry
with the same idempotency key returns the first transaction; postings are
never changed, only reversed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models import Model
from django.utils import timezone

from mutualist.core.errors import Conflict, ValidationFailed
from mutualist.core.money import CurrencyMismatch, Money
from mutualist.core.reference import MAX_MINOR_UNITS, from_minor_units
from mutualist.ledger.models import Account, Posting, Transaction
from mutualist.members.models import User

_KIND = re.compile(r"[a-z][a-z0-9_]{0,39}")
MAX_KEY_LENGTH = 200
MAX_MEMO_LENGTH = 500
# No balance may pass 10^17 minor units either way (a hundred times the
# largest single amount): the 64-bit columns, and the sums the check and the
# reports take over them, stay far from overflowing. (SQLite would otherwise
# turn an overflowing balance into an inexact float.)
MAX_BALANCE_MINOR = 10**17
# Money is booked on days people can mean: from 1900 to a year ahead.
FIRST_DAY = dt.date(1900, 1, 1)
DAYS_AHEAD = 366


def _shown(minor: int, currency: str) -> str:
    """An amount in a message, as ``Money`` prints it, for any size of balance."""
    return f"{from_minor_units(minor, currency)} {currency}"


def ledger_date_validate(day: dt.date, *, field: str = "occurred_at") -> dt.date:
    """Refuses a date no one books money on (0001-01-01, 9999-12-31): beyond
    being a typo, such dates break date arithmetic in reports and exports."""
    if isinstance(day, dt.datetime) or not isinstance(day, dt.date):
        raise TypeError("A ledger date is a date.")
    last = timezone.localdate() + dt.timedelta(days=DAYS_AHEAD)
    if not FIRST_DAY <= day <= last:
        raise ValidationFailed(
            f"{day.isoformat()} is outside the books: use a date from {FIRST_DAY.isoformat()} "
            f"to {last.isoformat()}.",
            code="invalid_date",
            field=field,
        )
    return day


@dataclass(frozen=True, slots=True)
class Line:
    """One side of a transaction: ``amount`` is a debit when positive and a
    credit when negative, in the account's currency."""

    account: Account
    amount: Money


class WouldGoNegative(Conflict):
    """The transaction would take an account that must not go negative past zero."""

    default_code = "would_go_negative"


def _validate(
    *,
    lines: Sequence[Line],
    memo: str,
    occurred_at: dt.date,
    idempotency_key: str,
    kind: str,
) -> None:
    if not idempotency_key or len(idempotency_key) > MAX_KEY_LENGTH:
        raise ValidationFailed(
            f"An idempotency key of 1 to {MAX_KEY_LENGTH} characters is required.",
            code="invalid_idempotency_key",
            field="idempotency_key",
        )
    if not memo.strip() or len(memo) > MAX_MEMO_LENGTH:
        raise ValidationFailed(
            f"A memo of 1 to {MAX_MEMO_LENGTH} characters is required.",
            code="invalid_memo",
            field="memo",
        )
    if not _KIND.fullmatch(kind):
        raise ValidationFailed(
            f"{kind!r} is not a transaction kind (lower-case letters, digits, underscores).",
            code="invalid_kind",
            field="kind",
        )
    ledger_date_validate(occurred_at)
    if not lines:
        raise ValidationFailed(
            "A transaction needs postings.", code="no_postings", field="postings"
        )
    if len(lines) < 2:
        raise ValidationFailed(
            "A transaction needs at least two postings: money comes from somewhere.",
            code="one_sided",
            field="postings",
        )
    collectives = set()
    # Integer minor units: a running Money total could pass the largest
    # single amount part-way and refuse a balanced transaction by line order.
    totals: dict[str, int] = {}
    for line in lines:
        if not isinstance(line, Line) or not isinstance(line.amount, Money):
            raise TypeError("Postings are Line(account, Money) values.")
        if line.account.pk is None:
            raise TypeError("Post only to saved accounts.")
        if line.amount.is_zero():
            raise ValidationFailed(
                f"A posting to {line.account.name} is zero; leave it out.",
                code="zero_posting",
                field="postings",
            )
        if line.amount.currency != line.account.currency:
            raise CurrencyMismatch(
                f"{line.account.name} holds {line.account.currency}, not {line.amount.currency}.",
                field="postings",
            )
        minor = line.amount.minor_units
        if abs(minor) > MAX_MINOR_UNITS:
            raise ValidationFailed(
                f"{line.amount} is too large an amount.", code="amount_too_large", field="postings"
            )
        collectives.add(line.account.collective_id)
        totals[line.amount.currency] = totals.get(line.amount.currency, 0) + minor
    if len(collectives) > 1:
        raise ValidationFailed(
            "A transaction stays within one collective's books.",
            code="mixed_books",
            field="postings",
        )
    unbalanced = sorted(_shown(total, currency) for currency, total in totals.items() if total)
    if unbalanced:
        raise ValidationFailed(
            f"The postings do not balance: they leave {', '.join(unbalanced)}.",
            code="unbalanced",
            field="postings",
        )


def _fingerprint(
    *,
    lines: Sequence[Line],
    memo: str,
    occurred_at: dt.date,
    kind: str,
    cause: tuple[int, int] | None,
    reverses_id: int | None,
    fx_rate: Decimal | None,
    fx_rate_source: str,
) -> str:
    """sha256 of everything a retry must repeat; the order of lines does not matter."""
    content = {
        "lines": sorted([line.account.pk, line.amount.minor_units] for line in lines),
        "memo": memo,
        "occurred_at": occurred_at.isoformat(),
        "kind": kind,
        "cause": list(cause) if cause else None,
        "reverses": reverses_id,
        "fx_rate": str(fx_rate.normalize()) if fx_rate is not None else None,
        "fx_rate_source": fx_rate_source,
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def _replay(existing: Transaction, fingerprint: str) -> Transaction:
    if existing.fingerprint != fingerprint:
        raise Conflict(
            f"The idempotency key {existing.idempotency_key!r} was already used for a "
            "different transaction.",
            code="idempotency_key_reused",
            field="idempotency_key",
        )
    return existing


def transaction_post(
    *,
    lines: Sequence[Line],
    memo: str,
    occurred_at: dt.date,
    idempotency_key: str,
    kind: str = "transfer",
    cause: Model | None = None,
    posted_by: User | None = None,
    fx_rate: Decimal | None = None,
    fx_rate_source: str = "",
    reverses: Transaction | None = None,
) -> Transaction:
    """Post one balanced transaction and return it.

    Refuses, writing nothing: no or one posting, a zero posting, a currency
    other than the account's, postings in more than one collective's books,
    postings that do not sum to zero in each currency, and a posting that
    would take a ``must_not_go_negative`` account past zero
    (``WouldGoNegative``, checked under the accounts' row locks). The same
    ``idempotency_key`` with the same content returns the first transaction;
    with other content it is a ``Conflict``.

    Callers check who may move the money; the ledger checks that the books
    stay right. Safe to call inside an outer ``transaction.atomic()``.
    """
    memo = memo.strip() if isinstance(memo, str) else memo
    _validate(
        lines=lines, memo=memo, occurred_at=occurred_at, idempotency_key=idempotency_key, kind=kind
    )
    cause_key = None
    if cause is not None:
        cause_key = (ContentType.objects.get_for_model(cause).pk, int(cause.pk))
    fingerprint = _fingerprint(
        lines=lines,
        memo=memo,
        occurred_at=occurred_at,
        kind=kind,
        cause=cause_key,
        reverses_id=reverses.pk if reverses else None,
        fx_rate=fx_rate,
        fx_rate_source=fx_rate_source,
    )
    deltas: dict[int, int] = defaultdict(int)
    for line in lines:
        deltas[line.account.pk] += line.amount.minor_units

    collective_id = lines[0].account.collective_id
    names = {line.account.pk: line.account.name for line in lines}
    posted_at = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        inserted = _write(
            cursor,
            deltas=deltas,
            names=names,
            row=[
                collective_id,
                connection.ops.adapt_datefield_value(occurred_at),
                connection.ops.adapt_datetimefield_value(posted_at),
                memo,
                kind,
                idempotency_key,
                fingerprint,
                cause_key[0] if cause_key else None,
                cause_key[1] if cause_key else None,
                reverses.pk if reverses else None,
                None
                if fx_rate is None
                else connection.ops.adapt_decimalfield_value(fx_rate, 30, 12),
                fx_rate_source,
                posted_by.pk if posted_by else None,
            ],
            postings=[
                (line.account.pk, line.amount.minor_units, line.amount.currency) for line in lines
            ],
            occurred_at=occurred_at,
        )
    if inserted is None:
        # The key was taken: a retry, or a concurrent twin that committed
        # first (the insert waited for it). Return that one if it matches.
        return _replay(Transaction.objects.get(idempotency_key=idempotency_key), fingerprint)
    posted = Transaction(
        pk=inserted,
        collective_id=collective_id,
        occurred_at=occurred_at,
        posted_at=posted_at,
        memo=memo,
        kind=kind,
        idempotency_key=idempotency_key,
        fingerprint=fingerprint,
        cause_type_id=cause_key[0] if cause_key else None,
        cause_id=cause_key[1] if cause_key else None,
        reverses=reverses,
        fx_rate=fx_rate,
        fx_rate_source=fx_rate_source,
        posted_by=posted_by,
    )
    posted._state.adding = False
    posted._state.db = connection.alias
    return posted


# The hot path of every money movement, written as SQL by hand: the ORM's
# version (a SELECT by key, a savepoint around the insert, a CASE built
# from expressions) spent more time compiling queries and in round trips
# than the database spent posting, and held PostgreSQL below 300
# transactions a second (bench/README.md). Four statements, the same on
# PostgreSQL and SQLite (3.35+ for RETURNING); every database rule
# (triggers, constraints) still applies to them.
_ACCOUNTS = Account._meta.db_table
_TRANSACTIONS = Transaction._meta.db_table
_POSTINGS = Posting._meta.db_table
_TRANSACTION_COLUMNS = (
    "collective_id, occurred_at, posted_at, memo, kind, idempotency_key, fingerprint, "
    "cause_type_id, cause_id, reverses_id, fx_rate, fx_rate_source, posted_by_id"
)


def _write(
    cursor: CursorWrapper,
    *,
    deltas: dict[int, int],
    names: dict[int, str],
    row: list[Any],
    postings: list[tuple[int, int, str]],
    occurred_at: dt.date,
) -> int | None:
    """Insert, lock, check, post; the id of the new transaction, or None when
    its idempotency key is already taken. ``row`` is the transaction's
    columns, adapted for the database. Call inside ``transaction.atomic()``:
    a refusal raised here rolls the insert back.

    The statements are built from constant table names and ``%s``
    placeholders only (hence the S608 waivers); every value is a parameter."""
    ops = connection.ops
    ids = sorted(deltas)
    in_ids = ", ".join(["%s"] * len(ids))
    # The key first: a concurrent twin with the same key makes this insert
    # wait for it, then do nothing (a replay). Waiting here, before taking
    # any account lock, means a twin over other accounts cannot deadlock us.
    cursor.execute(
        f"INSERT INTO {_TRANSACTIONS} ({_TRANSACTION_COLUMNS})"  # noqa: S608
        f" VALUES ({', '.join(['%s'] * len(row))})"
        " ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
        row,
    )
    inserted = cursor.fetchone()
    if inserted is None:
        return None
    # Then lock every touched account, always in primary-key order, so two
    # transactions over the same accounts never wait on each other in a
    # cycle. SQLite has no row locks; its IMMEDIATE transaction already
    # serialises writers.
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    cursor.execute(
        f"SELECT id, type, must_not_go_negative, balance_minor, currency FROM {_ACCOUNTS}"  # noqa: S608
        f" WHERE id IN ({in_ids}) ORDER BY id{lock}",
        ids,
    )
    locked = cursor.fetchall()
    for account_id, type_, guarded, balance, currency in locked:
        after = balance + deltas[account_id]
        if abs(after) > MAX_BALANCE_MINOR:
            raise ValidationFailed(
                f"{names[account_id]} cannot hold that much: this would take it to "
                f"{_shown(after, currency)}.",
                code="amount_too_large",
                field="postings",
            )
        debit_normal = type_ in Account.DEBIT_NORMAL
        if guarded and (after < 0 if debit_normal else after > 0):
            available = _shown(abs(balance), currency)
            raise WouldGoNegative(
                f"{names[account_id]} cannot go below zero: it holds {available}, and this "
                f"would take it to {_shown(after, currency)}.",
                field="postings",
            )
    transaction_id = int(inserted[0])
    day = ops.adapt_datefield_value(occurred_at)
    cursor.execute(
        f"INSERT INTO {_POSTINGS} (transaction_id, account_id, amount_minor, currency, occurred_at)"  # noqa: S608
        f" VALUES {', '.join(['(%s, %s, %s, %s, %s)'] * len(postings))}",
        [
            v
            for account_id, minor, currency in postings
            for v in (transaction_id, account_id, minor, currency, day)
        ],
    )
    # Each touched balance moves by its own delta, relative to the stored
    # value in the same statement, never to a value read earlier.
    moved = [(account_id, delta) for account_id, delta in sorted(deltas.items()) if delta]
    if moved:
        cursor.execute(
            f"UPDATE {_ACCOUNTS} SET balance_minor = balance_minor + CASE id"  # noqa: S608
            f" {' '.join(['WHEN %s THEN %s'] * len(moved))} END"
            f" WHERE id IN ({', '.join(['%s'] * len(moved))})",
            [v for pair in moved for v in pair] + [account_id for account_id, _ in moved],
        )
    return transaction_id


def transaction_reverse(
    *,
    original: Transaction,
    idempotency_key: str,
    occurred_at: dt.date | None = None,
    memo: str = "",
    posted_by: User | None = None,
) -> Transaction:
    """Post the mirror image of ``original``, linked to it: the correction for
    any mistake, since postings are never edited. A transaction is reversed
    at most once; the reversal is refused like any posting when it would take
    an account past zero (the money has already been paid out)."""
    with transaction.atomic():
        # Transactions are never updated, so this row lock only orders two
        # reversals of the same transaction.
        original = Transaction.objects.select_for_update().get(pk=original.pk)
        already = Transaction.objects.filter(reverses=original).first()
        if already is not None:
            if already.idempotency_key != idempotency_key:
                raise Conflict(
                    f"Transaction #{original.pk} was already reversed by #{already.pk}.",
                    code="already_reversed",
                )
            # A retry, perhaps days later: "today" meant the first attempt's day.
            occurred_at = occurred_at or already.occurred_at
        lines = [
            Line(
                account=posting.account,
                amount=-Money.from_minor(posting.amount_minor, posting.currency),
            )
            for posting in original.postings.select_related("account").order_by("id")
        ]
        return transaction_post(
            lines=lines,
            memo=memo or f"Reversal of #{original.pk}: {original.memo}"[:MAX_MEMO_LENGTH],
            occurred_at=occurred_at or timezone.localdate(),
            idempotency_key=idempotency_key,
            kind="reversal",
            posted_by=posted_by,
            reverses=original,
        )
