"""Money: an exact amount in one currency, and the split that never loses a cent.

``Money`` is built on ``Decimal`` and always holds an amount its currency can
express (no more decimals than the currency's minor units, from CLDR through
``core.reference``). Arithmetic refuses to mix currencies. ``allocate`` splits
a total by weights with the largest-remainder method, so the parts add up to
the total exactly.

No floats: a float cannot hold 0.10 exactly, so every constructor refuses one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Context, Decimal
from fractions import Fraction
from typing import Self

from babel.numbers import NumberFormatError, format_currency, parse_decimal

from mutualist.core.errors import ValidationFailed
from mutualist.core.reference import currency_exponent, from_minor_units, to_minor_units

_PLAIN_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
# Wide enough for any product of a storable amount and a storable rate, so a
# conversion is computed exactly before it is rounded once.
_WIDE = Context(prec=80, Emax=999999, Emin=-999999)


class CurrencyMismatch(ValidationFailed):
    """Two amounts in different currencies met in one sum or comparison."""

    default_code = "currency_mismatch"


def _as_decimal(value: object, *, field: str) -> Decimal:
    if isinstance(value, bool | float):
        # bool is an int; a float is never exact. Both are programming errors.
        raise TypeError(f"Money needs a Decimal, an int or a string, not {type(value).__name__}.")
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, str):
        # Plain ASCII decimals only: Decimal() alone also reads "1_000",
        # Arabic-Indic digits and "1e3", none of which a person means as money.
        if not _PLAIN_DECIMAL.fullmatch(value.strip()):
            raise ValidationFailed(
                f"{value!r} is not an amount; write it like 1250.50.",
                code="invalid_amount",
                field=field,
            )
        amount = Decimal(value.strip())
    else:
        raise TypeError(f"Money needs a Decimal, an int or a string, not {type(value).__name__}.")
    if not amount.is_finite():
        raise ValidationFailed(f"{value!r} is not an amount.", code="invalid_amount", field=field)
    return amount


class Money:
    """An exact amount of one currency.

    >>> Money("12.5", "eur")
    Money('12.50', 'EUR')
    >>> Money("1.005", "EUR")
    Traceback (most recent call last):
    ...
    mutualist.core.errors.ValidationFailed: EUR amounts have at most 2 decimal places; got 1.005.
    """

    __slots__ = ("amount", "currency")

    amount: Decimal
    currency: str

    def __init__(self, amount: Decimal | int | str, currency: str) -> None:
        """An amount given from outside: refused when it has more decimals
        than the currency or is beyond ``MAX_MINOR_UNITS``."""
        code = (currency or "").strip().upper()
        currency_exponent(code)  # refuses an unknown code
        value = _as_decimal(amount, field="amount")
        self._hold(to_minor_units(value, code), code)

    def _hold(self, minor: int, code: str) -> None:
        # At the currency's scale, so "5" and "5.00" print alike.
        object.__setattr__(self, "currency", code)
        object.__setattr__(self, "amount", from_minor_units(minor, code))

    @classmethod
    def _of(cls, minor: int, currency: str) -> Self:
        """An amount already held (stored, or computed from held amounts):
        any size, so a sum of large balances never fails to add up."""
        money = object.__new__(cls)
        money._hold(minor, currency)
        return money

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Money is immutable.")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("Money is immutable.")

    # ----- construction -------------------------------------------------

    @classmethod
    def zero(cls, currency: str) -> Self:
        return cls(0, currency)

    @classmethod
    def from_minor(cls, minor: int, currency: str) -> Self:
        """From integer minor units, as stored: ``Money.from_minor(1050, "EUR")`` is 10.50."""
        if isinstance(minor, bool) or not isinstance(minor, int):
            raise TypeError(f"Minor units are an int, not {type(minor).__name__}.")
        code = (currency or "").strip().upper()
        currency_exponent(code)  # refuses an unknown code
        return cls._of(minor, code)

    @classmethod
    def parse(cls, text: str, currency: str, *, locale: str = "en", field: str = "amount") -> Self:
        """What a person typed, read in their locale: "1,234.50" in ``en``,
        "1.234,50" in ``de``. Refuses anything that is not plainly a number,
        with a message naming what was wrong."""
        raw = (text or "").strip()
        if not raw:
            raise ValidationFailed("Enter an amount.", code="amount_required", field=field)
        if "e" in raw.lower():  # Babel reads 1e3 as 1000; no one writes money so
            raise ValidationFailed(f"{raw!r} is not an amount.", code="invalid_amount", field=field)
        try:
            value = parse_decimal(raw, locale=locale, strict=True)
        except NumberFormatError as error:
            suggestions = getattr(error, "suggestions", None)
            hint = f" Did you mean {suggestions[0]}?" if suggestions else ""
            raise ValidationFailed(
                f"{raw!r} is not an amount.{hint}", code="invalid_amount", field=field
            ) from None
        if not value.is_finite():
            raise ValidationFailed(f"{raw!r} is not an amount.", code="invalid_amount", field=field)
        code = (currency or "").strip().upper()
        # Re-raise the decimal and size checks against the caller's field name.
        to_minor_units(value, code, field=field)
        return cls(value, code)

    # ----- views ---------------------------------------------------------

    @property
    def minor_units(self) -> int:
        """The amount in integer minor units, as the database stores it."""
        return to_minor_units(self.amount, self.currency, limit=None)

    @property
    def exponent(self) -> int:
        return currency_exponent(self.currency)

    def format(self, locale: str = "en") -> str:
        """Locale-aware, with the currency's own number of decimals:
        ``Money("1234.5", "EUR").format("de")`` is ``"1.234,50\xa0€"``."""
        return format_currency(self.amount, self.currency, locale=locale)

    def is_zero(self) -> bool:
        return self.amount == 0

    def __repr__(self) -> str:
        return f"Money({str(self.amount)!r}, {self.currency!r})"

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"

    # ----- arithmetic ----------------------------------------------------

    def _same(self, other: object, operation: str) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"Cannot {operation} Money and {type(other).__name__}.")
        if other.currency != self.currency:
            raise CurrencyMismatch(
                f"Cannot {operation} {self.currency} and {other.currency}; convert one first."
            )
        return other

    def __add__(self, other: Money) -> Money:
        return Money._of(self.minor_units + self._same(other, "add").minor_units, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money._of(
            self.minor_units - self._same(other, "subtract").minor_units, self.currency
        )

    def __neg__(self) -> Money:
        return Money._of(-self.minor_units, self.currency)

    def __pos__(self) -> Money:
        return self

    def __abs__(self) -> Money:
        return Money._of(abs(self.minor_units), self.currency)

    def __mul__(self, factor: int) -> Money:
        # Only whole multiples are exact; a fractional factor needs a rounding
        # decision, which ``convert`` or ``allocate`` makes explicitly.
        if isinstance(factor, bool) or not isinstance(factor, int):
            raise TypeError("Money multiplies by an int only; use allocate() to split it.")
        return Money._of(self.minor_units * factor, self.currency)

    __rmul__ = __mul__

    def convert(self, rate: Decimal, currency: str) -> Money:
        """This amount in ``currency`` at ``rate`` (units of ``currency`` per
        unit of this one), rounded half to even to the target's minor unit."""
        if isinstance(rate, float) or not isinstance(rate, Decimal):
            raise TypeError("A rate is a Decimal.")
        if not rate.is_finite() or rate <= 0:
            raise ValidationFailed(
                f"{rate} is not a usable rate.", code="invalid_rate", field="rate"
            )
        if rate.adjusted() > 30 or rate.adjusted() < -30:
            raise ValidationFailed(
                f"{rate} is not a usable rate.", code="invalid_rate", field="rate"
            )
        code = (currency or "").strip().upper()
        step = Decimal(1).scaleb(-currency_exponent(code))
        exact = _WIDE.multiply(self.amount, rate)
        # Money() refuses a result too large to hold (amount_too_large).
        return Money(exact.quantize(step, rounding=ROUND_HALF_EVEN, context=_WIDE), code)

    # ----- comparison ----------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        return self.currency == other.currency and self.amount == other.amount

    def __hash__(self) -> int:
        return hash((self.amount, self.currency))

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._same(other, "compare").amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._same(other, "compare").amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._same(other, "compare").amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._same(other, "compare").amount

    def __bool__(self) -> bool:
        return not self.is_zero()


def money_sum(amounts: Sequence[Money], currency: str) -> Money:
    """The sum of ``amounts`` (all in ``currency``); zero for none."""
    total = Money.zero(currency)
    for amount in amounts:
        total = total + amount
    return total


def allocate(total: Money, weights: Sequence[int | Decimal]) -> list[Money]:
    """Split ``total`` in proportion to ``weights``, exactly, in minor units.

    Largest remainder: every part first gets the floor of its exact share (in
    minor units); the units left over go one each to the parts with the
    largest fractional remainders, earlier weights first on a tie. So the
    parts always sum to ``total`` and each is within one minor unit of its
    exact share. A negative total is split as its magnitude, then negated.

    >>> allocate(Money("100", "EUR"), [1, 1, 1])
    [Money('33.34', 'EUR'), Money('33.33', 'EUR'), Money('33.33', 'EUR')]
    """
    if not isinstance(total, Money):
        raise TypeError("allocate() splits a Money total.")
    if len(weights) == 0:
        raise ValidationFailed(
            "Give at least one weight to split by.", code="no_weights", field="weights"
        )
    exact: list[Fraction] = []
    for weight in weights:
        if isinstance(weight, bool) or not isinstance(weight, int | Decimal):
            raise TypeError(f"Weights are ints or Decimals, not {type(weight).__name__}.")
        if isinstance(weight, Decimal) and not weight.is_finite():
            raise ValidationFailed(
                f"{weight} is not a weight.", code="invalid_weight", field="weights"
            )
        if weight < 0:
            raise ValidationFailed(
                f"Weights cannot be negative; got {weight}.",
                code="negative_weight",
                field="weights",
            )
        exact.append(Fraction(weight))
    weight_total = sum(exact, Fraction(0))
    if weight_total == 0:
        raise ValidationFailed(
            "At least one weight must be above zero.", code="zero_weights", field="weights"
        )

    minor = total.minor_units
    sign = -1 if minor < 0 else 1
    magnitude = abs(minor)
    shares = [magnitude * weight / weight_total for weight in exact]
    parts = [share.numerator // share.denominator for share in shares]
    left_over = magnitude - sum(parts)
    # Largest fractional remainder first; the index breaks ties (earlier wins).
    by_remainder = sorted(
        range(len(shares)), key=lambda index: (-(shares[index] - parts[index]), index)
    )
    for index in by_remainder[:left_over]:
        parts[index] += 1
    return [Money.from_minor(sign * part, total.currency) for part in parts]
