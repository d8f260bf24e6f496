"""Showing money in the books' pages: ``{% load books %}``.

Amounts are ``Money`` values, formatted with Babel (``Money.format``) so each
currency shows its own symbol and number of decimals. Balances are stored as
Beancount signs them (debits positive); a person reading an account expects
its balance on the account's normal side (a payable of 500 is "500 owed", not
"-500"), so ``normal`` turns a balance that way round.
"""

from __future__ import annotations

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from mutualist.core.money import Money
from mutualist.ledger.models import Account, Posting

register = template.Library()


@register.filter
def money(value: Money | None) -> str:
    """``Money("1234.5", "PHP")`` as ``₱1,234.50``; nothing as an em dash."""
    if value is None:
        return "—"
    return value.format("en")


@register.filter
def normal(balance: Money, account: Account) -> Money:
    """``balance`` seen from the account's normal side: positive when a
    credit-normal account (liabilities, income, equity) holds a credit."""
    return balance if account.is_debit_normal else -balance


@register.filter
def debit(amount: Money) -> str:
    """A signed posting amount in the debit column: its size if it is a debit."""
    return amount.format("en") if amount.amount > 0 else ""


@register.filter
def credit(amount: Money) -> str:
    """A signed posting amount in the credit column: its size if it is a credit."""
    return (-amount).format("en") if amount.amount < 0 else ""


@register.filter
def posted(posting: Posting) -> Money:
    """A posting's signed amount as ``Money``."""
    return Money.from_minor(posting.amount_minor, posting.currency)


@register.filter
def breakable(name: str) -> SafeString:
    """An account's name with a line-break opportunity after each colon, so a
    long name wraps between its parts rather than inside a word."""
    parts = [str(conditional_escape(part)) for part in name.split(":")]
    return mark_safe(":<wbr>".join(parts))  # noqa: S308 -- every part is escaped
