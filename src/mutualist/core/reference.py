"""Reference data from maintained tables: currencies, countries, languages, time zones.

Nothing here is hand-written: currency codes and their minor units come from
Babel's CLDR data, time zones from the IANA database through ``zoneinfo``.
"""

from __future__ import annotations

import zoneinfo
from decimal import Decimal
from functools import cache

from babel import Locale
from babel.numbers import get_currency_precision, list_currencies

from mutualist.core.errors import ValidationFailed

# Currencies that CLDR still lists but no one can be paid in.
_OBSOLETE_CURRENCIES = frozenset({"XXX", "XTS"})


@cache
def currency_codes() -> frozenset[str]:
    return frozenset(code for code in list_currencies() if code not in _OBSOLETE_CURRENCIES)


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
    return frozenset(zoneinfo.available_timezones())


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
    """Minor-unit digits of a currency from CLDR: EUR 2, JPY 0, BHD 3."""
    return int(get_currency_precision(validate_currency(code)))


def to_minor_units(amount: Decimal, currency: str, *, field: str = "amount") -> int:
    """Exact conversion of a decimal amount to integer minor units.

    Refuses an amount with more decimals than the currency has, rather than
    rounding it silently.
    """
    exponent = currency_exponent(currency)
    scaled = amount.scaleb(exponent)
    if scaled != scaled.to_integral_value():
        raise ValidationFailed(
            f"{currency} amounts have at most {exponent} decimal places; got {amount}.",
            code="too_many_decimals",
            field=field,
        )
    return int(scaled)


def from_minor_units(minor: int, currency: str) -> Decimal:
    exponent = currency_exponent(currency)
    return Decimal(minor).scaleb(-exponent)
