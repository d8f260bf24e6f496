"""Reference data: currencies and their minor units, countries, languages, zones."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mutualist.core.errors import ValidationFailed
from mutualist.core.reference import (
    MAX_MINOR_UNITS,
    currency_choices,
    currency_codes,
    currency_exponent,
    from_minor_units,
    to_minor_units,
    validate_country,
    validate_currency,
    validate_language,
    validate_timezone,
)

# --- currencies -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "digits"), [("EUR", 2), ("USD", 2), ("PHP", 2), ("JPY", 0), ("BHD", 3), ("KWD", 3)]
)
def test_currency_exponent_comes_from_cldr(code, digits):
    assert currency_exponent(code) == digits


def test_currency_exponent_accepts_any_case_and_spacing():
    assert currency_exponent(" jpy ") == 0


def test_currency_exponent_still_knows_retired_currencies_for_stored_amounts():
    # Deutsche Mark amounts recorded long ago must still be readable
    assert currency_exponent("DEM") == 2


def test_currency_exponent_refuses_an_unknown_code():
    with pytest.raises(ValidationFailed) as refused:
        currency_exponent("ABC")

    assert (refused.value.code, refused.value.field) == ("invalid_currency", "currency")


def test_validate_currency_normalises_a_current_code():
    assert validate_currency(" php ") == "PHP"


@pytest.mark.parametrize("code", ["ABC", "", "EURO", "DEM", "FRF", "XAU", "XXX", "XTS"])
def test_validate_currency_refuses_unknown_retired_and_non_money_codes(code):
    with pytest.raises(ValidationFailed) as refused:
        validate_currency(code, field="base_currency")

    assert (refused.value.code, refused.value.field) == ("invalid_currency", "base_currency")


def test_currency_choices_are_the_current_currencies_with_names():
    choices = dict(currency_choices())

    assert choices["EUR"] == "EUR — Euro"
    assert set(choices) == currency_codes()
    assert {"USD", "PHP", "KES", "NGN", "JPY", "BHD"} <= currency_codes()
    assert "DEM" not in currency_codes()


# --- minor units --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("12.34", "EUR", 1234),
        ("12.340", "EUR", 1234),
        ("12", "EUR", 1200),
        ("-1.50", "EUR", -150),
        ("0", "EUR", 0),
        ("1500", "JPY", 1500),
        ("1500.0", "JPY", 1500),
        ("1.234", "BHD", 1234),
        ("0.001", "BHD", 1),
        ("1E+2", "EUR", 10000),
    ],
)
def test_to_minor_units_converts_exactly(amount, currency, minor):
    assert to_minor_units(Decimal(amount), currency) == minor


@pytest.mark.parametrize(
    ("amount", "currency"),
    [
        ("10.5", "JPY"),
        ("12.345", "EUR"),
        ("1.2345", "BHD"),
        ("0.001", "USD"),
        # 31 digits: scaling in the default 28-digit context would round the
        # last decimal away and accept it
        ("1234567890123456789012345678.901", "EUR"),
    ],
)
def test_to_minor_units_refuses_more_decimals_than_the_currency_has(amount, currency):
    with pytest.raises(ValidationFailed) as refused:
        to_minor_units(Decimal(amount), currency, field="rate")

    assert (refused.value.code, refused.value.field) == ("too_many_decimals", "rate")


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "-Infinity", "sNaN"])
def test_to_minor_units_refuses_what_is_not_an_amount(amount):
    with pytest.raises(ValidationFailed) as refused:
        to_minor_units(Decimal(amount), "EUR")

    assert (refused.value.code, refused.value.field) == ("invalid_amount", "amount")


def test_to_minor_units_refuses_an_amount_too_large_to_store():
    largest = Decimal(MAX_MINOR_UNITS).scaleb(-2)

    assert to_minor_units(largest, "EUR") == MAX_MINOR_UNITS
    assert to_minor_units(-largest, "EUR") == -MAX_MINOR_UNITS
    with pytest.raises(ValidationFailed) as refused:
        to_minor_units(largest + Decimal("0.01"), "EUR")
    assert refused.value.code == "amount_too_large"
    with pytest.raises(ValidationFailed):
        to_minor_units(Decimal("1E+30"), "JPY")


def test_to_minor_units_refuses_an_unknown_currency():
    with pytest.raises(ValidationFailed) as refused:
        to_minor_units(Decimal("1"), "ABC")

    assert refused.value.code == "invalid_currency"


@pytest.mark.parametrize(
    ("minor", "currency", "amount"),
    [
        (1234, "EUR", "12.34"),
        (5, "EUR", "0.05"),
        (-150, "EUR", "-1.50"),
        (1500, "JPY", "1500"),
        (1, "BHD", "0.001"),
        (MAX_MINOR_UNITS, "EUR", "10000000000000.00"),
    ],
)
def test_from_minor_units_gives_the_decimal_amount(minor, currency, amount):
    result = from_minor_units(minor, currency)

    assert result == Decimal(amount)
    assert str(result) == amount


@given(
    minor=st.integers(-MAX_MINOR_UNITS, MAX_MINOR_UNITS),
    currency=st.sampled_from(["EUR", "JPY", "BHD", "PHP", "KWD", "CLP"]),
)
def test_property_minor_units_round_trip(minor, currency):
    assert to_minor_units(from_minor_units(minor, currency), currency) == minor


# --- countries, languages, time zones ---------------------------------------------


def test_validate_country_normalises_a_two_letter_code():
    assert validate_country(" ph ") == "PH"


@pytest.mark.parametrize("code", ["XX", "ZZ", "EU", "PHL", "", "001"])
def test_validate_country_refuses_what_is_not_a_country(code):
    with pytest.raises(ValidationFailed) as refused:
        validate_country(code)

    assert (refused.value.code, refused.value.field) == ("invalid_country", "country")


def test_validate_language_normalises_an_iso_639_code():
    assert validate_language("FIL") == "fil"
    assert validate_language(" sw ") == "sw"


@pytest.mark.parametrize("code", ["xx", "en_US", "english", ""])
def test_validate_language_refuses_what_is_not_a_language_code(code):
    with pytest.raises(ValidationFailed) as refused:
        validate_language(code)

    assert (refused.value.code, refused.value.field) == ("invalid_language", "languages")


@pytest.mark.parametrize("name", ["Asia/Manila", "America/New_York", "UTC", " Africa/Lagos "])
def test_validate_timezone_accepts_iana_names(name):
    assert validate_timezone(name) == name.strip()


@pytest.mark.parametrize(
    "name", ["Mars/Olympus", "asia/manila", "+08:00", "", "localtime", "Factory"]
)
def test_validate_timezone_refuses_what_is_not_a_place_in_the_iana_database(name):
    with pytest.raises(ValidationFailed) as refused:
        validate_timezone(name)

    assert (refused.value.code, refused.value.field) == ("invalid_timezone", "timezone")
