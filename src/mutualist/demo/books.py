"""Posting the demo collectives' books (``mutualist.demo.books_world``).

Like the rest of the demo, the books are loaded through the real services:
accounts through ``account_open``, every movement through
``transaction_post`` (directly, or through ``currency_convert`` and
``transaction_reverse``), rates through ``exchange_rates_import_ecb`` and
``exchange_rate_set``. So the demo's books obey the ledger's rules (they
balance per currency, no fund or member payable goes negative) and
``mutualist ledger check`` passes on them.

Every movement carries the idempotency key ``demo:<collective>:<entry>`` and a
fixed date, so loading again posts nothing new: the ledger returns the first
transaction for a key it has seen. (A date such as "today" would differ on the
next day's run, and the ledger would rightly refuse the same key with other
content.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from mutualist.collectives.models import Collective
from mutualist.core.money import Money, allocate
from mutualist.demo.books_world import (
    BOOKS,
    ECB_RATES,
    Convert,
    DemoBooks,
    Entry,
    Payouts,
    Post,
    Reverse,
    Shares,
)
from mutualist.ledger.models import Account, Transaction
from mutualist.ledger.services import (
    Line,
    account_name_for,
    account_open,
    currency_convert,
    exchange_rate_set,
    exchange_rates_import_ecb,
    transaction_post,
    transaction_reverse,
)
from mutualist.members.models import User

__all__ = ["BOOKS", "DemoBooks", "books_ensure", "books_keys", "rates_ensure"]

_KINDS: dict[type, str] = {Shares: "split", Payouts: "payout"}


def _key(slug: str, entry: str) -> str:
    return f"demo:{slug}:{entry}"


def books_keys(books: Sequence[DemoBooks] = BOOKS) -> list[str]:
    """The idempotency key of every demo movement."""
    return [_key(b.slug, entry.key) for b in books for entry in b.entries]


def rates_ensure() -> None:
    """The demo's ECB reference rates; importing again replaces them with the same values."""
    exchange_rates_import_ecb(text=ECB_RATES)


def _accounts_open(
    books: DemoBooks, collective: Collective, members: Mapping[str, User]
) -> dict[str, Account]:
    accounts: dict[str, Account] = {}
    for spec in books.accounts:
        accounts[spec.key] = account_open(
            collective=collective,
            name=account_name_for(collective, spec.type, *spec.parts),
            type=spec.type,
            currency=spec.currency or collective.base_currency,
            must_not_go_negative=spec.must_not_go_negative,
            description=spec.description,
        )
    # Named after the login, which is stable and plain ASCII ("Sofía" would
    # lose its accent in a Beancount name).
    for login, user in members.items():
        accounts[f"member:{login}"] = account_open(
            collective=collective,
            name=account_name_for(
                collective, Account.Type.LIABILITIES, "Members", login, "Payable"
            ),
            type=Account.Type.LIABILITIES,
            currency=collective.base_currency,
            owner_kind=Account.OwnerKind.MEMBER,
            owner=user,
            must_not_go_negative=True,
            description=f"What the collective owes {user.display_name}",
        )
    return accounts


def _lines(entry: Entry, accounts: Mapping[str, Account]) -> list[Line]:
    def line(key: str, amount: str) -> Line:
        account = accounts[key]
        return Line(account, Money(amount, account.currency))

    if isinstance(entry, Post):
        return [line(key, amount) for key, amount in entry.lines]
    if isinstance(entry, Shares):
        total = Money(entry.total, accounts["shares"].currency)
        parts = allocate(total, [hours for _, hours in entry.hours])
        return [Line(accounts["shares"], total)] + [
            Line(accounts[f"member:{login}"], -part)
            for (login, _), part in zip(entry.hours, parts, strict=True)
        ]
    if isinstance(entry, Payouts):
        paid = [line(f"member:{login}", amount) for login, amount in entry.amounts]
        source = accounts[entry.source]
        paid_minor = sum(each.amount.minor_units for each in paid)
        return [*paid, Line(source, -Money.from_minor(paid_minor, source.currency))]
    raise TypeError(f"{type(entry).__name__} is not posted from lines.")


def books_ensure(
    *, books: DemoBooks, collective: Collective, members: Mapping[str, User], coordinator: User
) -> int:
    """Open ``collective``'s demo accounts and post its demo movements, in
    order; return how many transactions were new. ``members`` maps each
    member's login to their user; each gets a payable. Call inside
    ``transaction.atomic()``, after ``rates_ensure``."""
    accounts = _accounts_open(books, collective, members)
    for rate in books.rates:
        exchange_rate_set(
            collective=collective,
            actor=coordinator,
            base=rate.base,
            quote=rate.quote,
            rate=rate.rate,
            on=rate.on,
        )
    posted: dict[str, Transaction] = {}
    new = 0
    for entry in books.entries:
        key = _key(books.slug, entry.key)
        # Only counted here; posting again is safe either way (idempotency key).
        new += not Transaction.objects.filter(idempotency_key=key).exists()
        if isinstance(entry, Convert):
            source = accounts[entry.source]
            posted[entry.key] = currency_convert(
                source=source,
                target=accounts[entry.target],
                amount=Money(entry.amount, source.currency),
                occurred_at=entry.on,
                idempotency_key=key,
                memo=entry.memo,
                posted_by=coordinator,
            )
        elif isinstance(entry, Reverse):
            posted[entry.key] = transaction_reverse(
                original=posted[entry.original],
                idempotency_key=key,
                occurred_at=entry.on,
                memo=entry.memo,
                posted_by=coordinator,
            )
        else:
            posted[entry.key] = transaction_post(
                lines=_lines(entry, accounts),
                memo=entry.memo,
                occurred_at=entry.on,
                idempotency_key=key,
                kind=entry.kind if isinstance(entry, Post) else _KINDS[type(entry)],
                posted_by=coordinator,
            )
    return new
