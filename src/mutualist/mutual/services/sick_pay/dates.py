"""Sick pay's pure arithmetic: calendar months and set dates, amounts in
minor units by tier, a claim's paid period, one month's gift, and the
split of a gift over the givers' accounts (``water_fill``). No queries.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from mutualist.core.money import Money, allocate
from mutualist.core.reference import currency_exponent
from mutualist.mutual.rules import SickPayRules

# --- Dates ---------------------------------------------------------------------------------


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole months, clamped to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def next_change_date(rules: SickPayRules, *, after: dt.date) -> dt.date:
    """The first set date (the 1st of one of ``rules.change_months``) after ``after``."""
    day = add_months(month_start(after), 1)
    while day.month not in rules.change_months:
        day = add_months(day, 1)
    return day


def _month_name(month: dt.date) -> str:
    return f"{month:%B} {month.year}"


def _day_name(day: dt.date) -> str:
    return f"{day.day} {day:%B} {day.year}"


# --- Rules and amounts ---------------------------------------------------------------------


def to_minor(amount: Decimal | Fraction, currency: str) -> int:
    """``amount`` (in currency units) in minor units, rounded half to even once."""
    scale: int = 10 ** currency_exponent(currency)
    return round(Fraction(amount) * scale)


def _tier_of(rules: SickPayRules, tier: int) -> int:
    # A rule change may have dropped the top tiers; a member above them
    # counts as the highest tier left until they change tier.
    return min(tier, len(rules.tiers) - 1)


def deposit_minor(rules: SickPayRules, tier: int, currency: str) -> int:
    return to_minor(rules.tiers[_tier_of(rules, tier)].deposit, currency)


def payout_minor(rules: SickPayRules, tier: int, currency: str) -> int:
    return to_minor(rules.tiers[_tier_of(rules, tier)].payout, currency)


# --- Gift arithmetic (pure) -----------------------------------------------------------------


@dataclass(frozen=True)
class PaidPeriod:
    """The days a claim's gifts cover: ``first`` to ``last`` inclusive
    (empty when ``last < first``: better within the waiting period)."""

    first: dt.date
    last: dt.date

    @property
    def empty(self) -> bool:
        return self.last < self.first

    def days_in(self, month: dt.date) -> int:
        """How many days of ``month`` (any day of it) the period covers."""
        start = max(self.first, month_start(month))
        end = min(self.last, month_end(month))
        return max(0, (end - start).days + 1)

    def months(self) -> list[dt.date]:
        """The first days of the months the period touches."""
        if self.empty:
            return []
        found = []
        month = month_start(self.first)
        while month <= self.last:
            found.append(month)
            month = add_months(month, 1)
        return found


def paid_period(
    *, starts_on: dt.date, ends_on: dt.date | None, waiting_days: int, max_months: int
) -> PaidPeriod:
    """The days a sick period is paid for: from the day after the waiting
    period (``starts_on + waiting_days``) for at most ``max_months`` months,
    and not after ``ends_on`` (the last sick day) when it is known."""
    first = starts_on + dt.timedelta(days=waiting_days)
    last = add_months(first, max_months) - dt.timedelta(days=1)
    if ends_on is not None:
        last = min(last, ends_on)
    return PaidPeriod(first=first, last=last)


def gift_minor(*, payout_minor: int, percent: int, covered_days: int, month: dt.date) -> int:
    """One month's gift in minor units: ``payout x percent/100 x
    covered_days/days_in_month``, exact, rounded once half to even."""
    days = calendar.monthrange(month.year, month.month)[1]
    return round(Fraction(payout_minor * percent * covered_days, 100 * days))


def water_fill(total: Money, weights: Sequence[int], caps: Sequence[int]) -> list[Money]:
    """Split ``total`` in proportion to ``weights``, no part above its cap
    (minor units): a part whose proportional share would pass its cap gets
    the cap, and the rest is split again among the others, until what is
    left fits. Exact in minor units (``allocate``, largest remainder): the
    parts sum to ``total``. The caller makes sure ``total`` fits under the
    caps together (``ValueError`` otherwise)."""
    currency = total.currency
    left = total.minor_units
    if left < 0 or left > sum(caps):
        raise ValueError("the total does not fit under the caps")
    parts = [0] * len(weights)
    open_ = [i for i, cap in enumerate(caps) if cap > 0]
    while left > 0:
        weight_total = sum(weights[i] for i in open_)
        if weight_total == 0:  # only weightless accounts left: evenly
            share = {i: Fraction(left, len(open_)) for i in open_}
        else:
            share = {i: Fraction(left * weights[i], weight_total) for i in open_}
        full = [i for i in open_ if share[i] >= caps[i]]
        if not full:
            split = allocate(
                Money.from_minor(left, currency),
                [weights[i] for i in open_] if weight_total else [1] * len(open_),
            )
            for i, part in zip(open_, split, strict=True):
                # An exact share at most the (whole) cap rounds up to at most the cap.
                parts[i] = part.minor_units
            left = 0
            break
        for i in full:
            parts[i] = caps[i]
            left -= caps[i]
        open_ = [i for i in open_ if i not in full]
    return [Money.from_minor(part, currency) for part in parts]
