"""Reference data from maintained tables: currencies, countries, languages, time zones.

Nothing here is hand-written: currency codes and their minor units come from
Babel's CLDR data, time zones from the IANA database through ``zoneinfo``.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Context, Decimal
from functools import cache

from babel import Locale
from babel.numbers import get_currency_precision, get_territory_currencies, list_currencies

from mutualist.core.errors import ValidationFailed

# The largest amount accepted, in minor units: 10^15 (ten trillion euros, a
# quadrillion yen), far beyond any collective's money, and far inside the
# 64-bit BigIntegerField columns, so sums of many amounts (balances, a
# ledger's totals) cannot overflow them either. A larger amount is a typo or
# an attack; it is refused clearly instead of failing in the database.
MAX_MINOR_UNITS = 10**15

# Files under /usr/share/zoneinfo that zoneinfo lists but that are not places:
# "localtime" is whatever zone the server runs in (it differs between hosts),
# "Factory" is tzdata's placeholder.
_NOT_TIMEZONES = frozenset({"localtime", "Factory", "posixrules"})


@cache
def _cldr_currency_codes() -> frozenset[str]:
    """Every code CLDR knows, including retired ones (DEM, VEF): amounts already
    stored in them must still convert."""
    return frozenset(list_currencies())


@cache
def currency_codes() -> frozenset[str]:
    """Currencies that are legal tender somewhere today.

    CLDR's full list also has retired currencies (DEM, FRF, ITL) and units no
    one is paid in (XAU gold, XDR, XTS, XXX); none of them may be chosen for a
    new rate, collective or invoice.
    """
    today = dt.datetime.now(dt.UTC).date()
    codes: set[str] = set()
    for territory in country_names():
        codes.update(get_territory_currencies(territory, start_date=today, tender=True))
    return frozenset(codes & _cldr_currency_codes())


@cache
def currency_choices() -> list[tuple[str, str]]:
    names = Locale("en").currencies
    return sorted((code, f"{code} — {names.get(code, code)}") for code in currency_codes())


@cache
def country_names() -> dict[str, str]:
    territories = Locale("en").territories
    # Two-letter, non-numeric codes are countries; "ZZ" is CLDR's "unknown region".
    return {
        code: name
        for code, name in territories.items()
        if len(code) == 2 and code.isalpha() and code not in {"ZZ", "EU", "EZ", "UN", "QO"}
    }


@cache
def country_choices() -> list[tuple[str, str]]:
    return sorted(country_names().items(), key=lambda item: item[1])


@cache
def language_names() -> dict[str, str]:
    languages = Locale("en").languages
    # Plain ISO 639 codes only ("en", "fil", "sw"), not regional variants.
    return {code: name for code, name in languages.items() if "_" not in code and code.isalpha()}


@cache
def language_choices() -> list[tuple[str, str]]:
    return sorted(language_names().items(), key=lambda item: item[1])


@cache
def timezone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones() - _NOT_TIMEZONES)


@cache
def timezone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(timezone_names())]


def validate_currency(code: str, *, field: str = "currency") -> str:
    value = (code or "").strip().upper()
    if value not in currency_codes():
        raise ValidationFailed(
            f"Unknown currency {code!r}; use an ISO 4217 code such as EUR, USD or PHP.",
            code="invalid_currency",
            field=field,
        )
    return value


def validate_country(code: str, *, field: str = "country") -> str:
    value = (code or "").strip().upper()
    if value not in country_names():
        raise ValidationFailed(
            f"Unknown country {code!r}; use an ISO 3166 two-letter code such as PH or KE.",
            code="invalid_country",
            field=field,
        )
    return value


def validate_language(code: str, *, field: str = "languages") -> str:
    value = (code or "").strip().lower()
    if value not in language_names():
        raise ValidationFailed(
            f"Unknown language {code!r}; use an ISO 639 code such as en, fil or sw.",
            code="invalid_language",
            field=field,
        )
    return value


def validate_timezone(name: str, *, field: str = "timezone") -> str:
    value = (name or "").strip()
    if value not in timezone_names():
        raise ValidationFailed(
            f"Unknown time zone {name!r}; use an IANA name such as Asia/Manila.",
            code="invalid_timezone",
            field=field,
        )
    return value


def currency_exponent(code: str) -> int:
    """Minor-unit digits of a currency from CLDR: EUR 2, JPY 0, BHD 3.

    Retired currencies still convert (stored amounts must stay readable); an
    unknown code is refused like ``validate_currency`` refuses it.
    """
    value = (code or "").strip().upper()
    if value not in _cldr_currency_codes():
        validate_currency(code)
    return int(get_currency_precision(value))


def to_minor_units(
    amount: Decimal, currency: str, *, field: str = "amount", limit: int | None = MAX_MINOR_UNITS
) -> int:
    """Exact conversion of a decimal amount to integer minor units.

    Refuses an amount with more decimals than the currency has, rather than
    rounding it silently, and one beyond ``limit`` (``None``: any size, for
    amounts already held, such as a sum of balances). Works on the
    decimal's own digits, with no arithmetic context, so neither a very long
    amount nor an extreme exponent (``1e999999``, ``1e-999999999``) can be
    rounded, overflow or underflow on the way.
    """
    exponent = currency_exponent(currency)
    if not amount.is_finite():
        raise ValidationFailed(f"{amount} is not an amount.", code="invalid_amount", field=field)
    sign, digits, power = amount.as_tuple()
    if not isinstance(power, int):  # "n", "N", "F": not finite, refused above
        raise ValidationFailed(f"{amount} is not an amount.", code="invalid_amount", field=field)
    significant = list(digits)
    while len(significant) > 1 and significant[-1] == 0:  # 1.500 has two decimals' worth
        significant.pop()
        power += 1
    if significant == [0]:
        return 0
    if power + exponent < 0:
        raise ValidationFailed(
            f"{currency} amounts have at most {exponent} decimal places; got {amount}.",
            code="too_many_decimals",
            field=field,
        )
    # Digits of the amount in minor units, checked before building the int
    # (1e999999 would otherwise be a million-digit number).
    if limit is not None and len(significant) + power + exponent > len(str(limit)):
        raise ValidationFailed(
            f"{amount} {currency} is too large an amount.", code="amount_too_large", field=field
        )
    minor = int("".join(map(str, significant)) + "0" * (power + exponent))
    if limit is not None and minor > limit:
        raise ValidationFailed(
            f"{amount} {currency} is too large an amount.", code="amount_too_large", field=field
        )
    return -minor if sign else minor


def from_minor_units(minor: int, currency: str) -> Decimal:
    exponent = currency_exponent(currency)
    return Decimal(minor).scaleb(-exponent, context=Context(prec=max(28, len(str(minor)) + 1)))
