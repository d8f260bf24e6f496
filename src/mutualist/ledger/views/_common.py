"""What the books' pages share."""

from __future__ import annotations

from dataclasses import dataclass

from mutualist.core.money import Money
from mutualist.ledger.models import Account, Transaction
from mutualist.ledger.services import REVERSIBLE_BY_HAND

_TEMPLATES = "ledger"

# The order a reader of the books expects, with a heading for each type.
TYPE_ORDER = [
    Account.Type.ASSETS,
    Account.Type.LIABILITIES,
    Account.Type.EQUITY,
    Account.Type.INCOME,
    Account.Type.EXPENSES,
]


@dataclass(frozen=True, slots=True)
class JournalRow:
    transaction: Transaction
    moved: list[Money]  # the debits per currency: how much the transaction moved


def moved(transaction: Transaction) -> list[Money]:
    """The sum of a transaction's debits in each currency (its postings must
    be prefetched); equal to its credits, since it balances."""
    totals: dict[str, int] = {}
    for posting in transaction.postings.all():
        if posting.amount_minor > 0:
            totals[posting.currency] = totals.get(posting.currency, 0) + posting.amount_minor
    return [Money.from_minor(minor, currency) for currency, minor in sorted(totals.items())]


def reversible_by_hand(found: Transaction, reversed_by: Transaction | None) -> bool:
    """Whether a coordinator may reverse ``found`` from its page: a kind of
    entry coordinators make by hand, not a reversal itself, not reversed yet."""
    return found.kind in REVERSIBLE_BY_HAND and found.reverses_id is None and reversed_by is None
