"""The books' pages: a collective's accounts and trial balance, its journal,
one transaction, an account's statement, a member's own accounts, and the
coordinators' exchange rates, conversions and entries by hand (a new
account, an opening balance, a reversal).

Thin views, as in collectives: a permission-scoped selector (404 for
outsiders), a form, at most one service call, then a render or a redirect.
Members of the collective read its books; an account's owner reads that
account's statement; only coordinators enter rates, convert, open accounts,
record opening balances and reverse their own mistaken entries.
"""

from __future__ import annotations

from mutualist.ledger.views.accounts import my_accounts, statement
from mutualist.ledger.views.books import books, journal, transaction_detail
from mutualist.ledger.views.by_hand import account_open, opening_balance, transaction_reverse
from mutualist.ledger.views.coordinators import convert, rates

__all__ = [
    "account_open",
    "books",
    "convert",
    "journal",
    "my_accounts",
    "opening_balance",
    "rates",
    "statement",
    "transaction_detail",
    "transaction_reverse",
]
