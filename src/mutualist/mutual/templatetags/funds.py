"""Showing the funds' figures: ``{% load funds %}``.

Money is formatted as the books format it (``Money.format``: the currency's
own symbol and decimals); a fund may hold several currencies, shown side by
side."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django import template

from mutualist.core.money import Money

register = template.Library()


@register.filter
def amounts(values: Iterable[Money] | None) -> str:
    """``[₱1,000.00, A$20.00]`` as "₱1,000.00 · A$20.00"; nothing as an em dash."""
    shown = [value.format("en") for value in values or []]
    return " · ".join(shown) if shown else "—"


@register.filter
def months(value: Decimal | None) -> str:
    """A runway in months: "14.5 months", "1 month"."""
    if value is None:
        return "—"
    number = f"{value.normalize():f}"
    return f"{number} month{'' if value == 1 else 's'}"


@register.filter
def day(value: dt.date | None) -> str:
    """ "1 January 2027": no leading zero on the day."""
    if value is None:
        return "—"
    return f"{value.day} {value:%B %Y}"
