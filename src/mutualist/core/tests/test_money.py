"""Money and allocate(): exact amounts, refused mixtures, splits that add up."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mutualist.core.errors import ValidationFailed
from mutualist.core.money import CurrencyMismatch, Money, allocate, money_sum
from mutualist.core.reference import MAX_MINOR_UNITS

# --- construction -----------------------------------------------------------------


def test_it_holds_the_amount_at_the_currencys_scale() -> None:
    assert Money("12.5", "eur").amount == Decimal("12.50")
    assert str(Money("12.5", "eur").amount) == "12.50"
    assert Money("12.5", "eur").currency == "EUR"
    assert str(Money(7, "JPY").amount) == "7"
    assert str(Money("1.2", "BHD").amount) == "1.200"


@pytest.mark.parametrize(
    ("amount", "currency", "message"),
    [
        ("1.005", "EUR", "EUR amounts have at most 2 decimal places; got 1.005."),
        ("1.5", "JPY", "JPY amounts have at most 0 decimal places; got 1.5."),
        ("0.0001", "BHD", "BHD amounts have at most 3 decimal places; got 0.0001."),
    ],
)
def test_it_refuses_more_decimals_than_the_currency_has(
    amount: str, currency: str, message: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        Money(amount, currency)
    assert refused.value.code == "too_many_decimals"
    assert refused.value.message == message


def test_it_refuses_a_float() -> None:
    with pytest.raises(TypeError, match="not float"):
        Money(0.1, "EUR")  # type: ignore[arg-type]


@pytest.mark.parametrize("amount", ["abc", "NaN", "Infinity", ""])
def test_it_refuses_what_is_not_an_amount(amount: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        Money(amount, "EUR")
    assert refused.value.code == "invalid_amount"


def test_it_refuses_an_unknown_currency() -> None:
    with pytest.raises(ValidationFailed) as refused:
        Money("1", "XYZ")
    assert refused.value.code == "invalid_currency"


def test_it_refuses_an_amount_too_large_to_store() -> None:
    with pytest.raises(ValidationFailed) as refused:
        Money(MAX_MINOR_UNITS + 1, "JPY")
    assert refused.value.code == "amount_too_large"


def test_it_converts_to_and_from_minor_units_by_cldrs_table() -> None:
    assert Money("10.50", "EUR").minor_units == 1050
    assert Money("1050", "JPY").minor_units == 1050
    assert Money("1.050", "BHD").minor_units == 1050
    assert Money.from_minor(1050, "EUR") == Money("10.50", "EUR")
    assert Money.from_minor(1050, "JPY") == Money("1050", "JPY")
    assert Money.from_minor(-1050, "BHD") == Money("-1.05", "BHD")


def test_it_is_immutable_and_hashable() -> None:
    money = Money("1", "EUR")
    with pytest.raises(AttributeError):
        money.amount = Decimal(2)
    assert {Money("1", "EUR"), Money("1.00", "EUR")} == {money}


# --- arithmetic -------------------------------------------------------------------


def test_it_adds_subtracts_and_multiplies_exactly() -> None:
    assert Money("0.10", "EUR") + Money("0.20", "EUR") == Money("0.30", "EUR")
    assert Money("0.10", "EUR") - Money("0.30", "EUR") == Money("-0.20", "EUR")
    assert Money("0.10", "EUR") * 3 == Money("0.30", "EUR")
    assert 3 * Money("0.10", "EUR") == Money("0.30", "EUR")
    assert -Money("1", "EUR") == Money("-1", "EUR")
    assert abs(Money("-1", "EUR")) == Money("1", "EUR")
    assert money_sum([Money("1", "EUR")] * 3, "EUR") == Money("3", "EUR")
    assert money_sum([], "JPY") == Money.zero("JPY")


@pytest.mark.parametrize(
    "operation",
    [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a < b,
        lambda a, b: a >= b,
    ],
)
def test_it_refuses_to_mix_currencies(operation: object) -> None:
    with pytest.raises(CurrencyMismatch) as refused:
        operation(Money("1", "EUR"), Money("1", "USD"))  # type: ignore[operator]
    assert refused.value.code == "currency_mismatch"


def test_different_currencies_are_never_equal() -> None:
    assert Money("1", "EUR") != Money("1", "USD")


def test_it_multiplies_by_whole_numbers_only() -> None:
    with pytest.raises(TypeError):
        Money("1", "EUR") * Decimal("1.5")  # type: ignore[operator]


def test_conversion_rounds_half_to_even_at_the_targets_minor_unit() -> None:
    assert Money("10", "AUD").convert(Decimal("37.1234"), "PHP") == Money("371.23", "PHP")
    assert Money("0.05", "EUR").convert(Decimal("0.5"), "USD") == Money("0.02", "USD")
    assert Money("0.07", "EUR").convert(Decimal("0.5"), "USD") == Money("0.04", "USD")
    assert Money("1.00", "EUR").convert(Decimal("160.5"), "JPY") == Money("160", "JPY")
    with pytest.raises(ValidationFailed):
        Money("1", "EUR").convert(Decimal("0"), "USD")


# --- formatting and parsing -------------------------------------------------------


def test_it_formats_for_the_readers_locale() -> None:
    assert Money("1234.5", "EUR").format("en") == "€1,234.50"
    assert Money("1234.5", "EUR").format("de") == "1.234,50\xa0€"
    assert Money("1234", "JPY").format("en") == "¥1,234"
    assert Money("1.5", "BHD").format("en").endswith("1.500")  # three decimals, as CLDR says


@pytest.mark.parametrize(
    ("text", "locale", "expected"),
    [
        ("1,234.50", "en", Money("1234.50", "EUR")),
        ("1.234,50", "de", Money("1234.50", "EUR")),
        (" 12 ", "en", Money("12", "EUR")),
        ("-3.10", "en", Money("-3.10", "EUR")),
    ],
)
def test_it_parses_what_people_type(text: str, locale: str, expected: Money) -> None:
    assert Money.parse(text, "EUR", locale=locale) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "amount_required"),
        ("   ", "amount_required"),
        ("twelve", "invalid_amount"),
        ("1.2.3", "invalid_amount"),
        ("12.345", "too_many_decimals"),
        ("NaN", "invalid_amount"),
    ],
)
def test_it_refuses_what_is_not_plainly_an_amount(text: str, code: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        Money.parse(text, "EUR", field="price")
    assert refused.value.code == code
    assert refused.value.field == "price"


# --- allocate ---------------------------------------------------------------------


def test_allocate_splits_evenly_with_the_odd_cent_to_the_first() -> None:
    assert allocate(Money("100", "EUR"), [1, 1, 1]) == [
        Money("33.34", "EUR"),
        Money("33.33", "EUR"),
        Money("33.33", "EUR"),
    ]


def test_allocate_gives_left_over_units_to_the_largest_remainders() -> None:
    # Exact shares 0.05 * [0.3, 0.7] = 1.5 and 3.5 cents: remainders tie, earlier first.
    assert allocate(Money("0.05", "EUR"), [3, 7]) == [Money("0.02", "EUR"), Money("0.03", "EUR")]
    # 10 JPY by 1:2:3 = 1.67, 3.33, 5: the largest remainder (.67) gets the unit.
    assert allocate(Money("10", "JPY"), [1, 2, 3]) == [
        Money("2", "JPY"),
        Money("3", "JPY"),
        Money("5", "JPY"),
    ]


def test_allocate_takes_decimal_weights_and_gives_zero_weights_nothing() -> None:
    assert allocate(Money("1", "EUR"), [Decimal("0.5"), Decimal("0"), Decimal("0.25")]) == [
        Money("0.67", "EUR"),
        Money("0", "EUR"),
        Money("0.33", "EUR"),
    ]


def test_allocate_splits_a_negative_total_as_its_mirror() -> None:
    assert allocate(Money("-100", "EUR"), [1, 1, 1]) == [
        Money("-33.34", "EUR"),
        Money("-33.33", "EUR"),
        Money("-33.33", "EUR"),
    ]


@pytest.mark.parametrize(
    ("weights", "code", "message"),
    [
        ([], "no_weights", "Give at least one weight to split by."),
        ([0, 0], "zero_weights", "At least one weight must be above zero."),
        ([1, -1], "negative_weight", "Weights cannot be negative; got -1."),
        ([Decimal("NaN")], "invalid_weight", "NaN is not a weight."),
    ],
)
def test_allocate_refuses_weights_it_cannot_split_by(
    weights: list[int | Decimal], code: str, message: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        allocate(Money("1", "EUR"), weights)
    assert (refused.value.code, refused.value.message) == (code, message)


def test_allocate_refuses_float_weights() -> None:
    with pytest.raises(TypeError):
        allocate(Money("1", "EUR"), [0.5, 0.5])  # type: ignore[list-item]


currencies = st.sampled_from(["EUR", "JPY", "BHD", "PHP"])
weights_strategy = st.lists(
    st.one_of(
        st.integers(min_value=0, max_value=10_000),
        st.decimals(min_value=0, max_value=1000, places=3, allow_nan=False, allow_infinity=False),
    ),
    min_size=1,
    max_size=30,
).filter(lambda ws: sum(ws) > 0)


@given(
    minor=st.integers(min_value=-(10**15), max_value=10**15),
    currency=currencies,
    weights=weights_strategy,
)
def test_allocate_parts_sum_to_the_total_and_stay_within_one_unit(
    minor: int, currency: str, weights: list[int | Decimal]
) -> None:
    total = Money.from_minor(minor, currency)
    parts = allocate(total, weights)

    assert len(parts) == len(weights)
    assert all(part.currency == currency for part in parts)
    assert sum(part.minor_units for part in parts) == minor
    weight_total = sum(Fraction(w) for w in weights)
    for part, weight in zip(parts, weights, strict=True):
        exact = Fraction(minor) * Fraction(weight) / weight_total
        assert abs(part.minor_units - exact) < 1
        if weight == 0:
            assert part.is_zero()


@given(minor=st.integers(min_value=0, max_value=10**9), weights=weights_strategy)
def test_allocate_is_deterministic(minor: int, weights: list[int | Decimal]) -> None:
    total = Money.from_minor(minor, "EUR")
    assert allocate(total, weights) == allocate(total, list(weights))


@given(minor=st.integers(min_value=0, max_value=10**6), n=st.integers(min_value=1, max_value=20))
def test_allocate_by_equal_weights_gives_earlier_parts_the_extra_units(minor: int, n: int) -> None:
    parts = [part.minor_units for part in allocate(Money.from_minor(minor, "JPY"), [1] * n)]
    assert parts == sorted(parts, reverse=True)
    assert max(parts) - min(parts) <= 1


@given(
    minor=st.integers(min_value=-(10**12), max_value=10**12),
    currency=currencies,
)
def test_minor_units_round_trip(minor: int, currency: str) -> None:
    assert Money.from_minor(minor, currency).minor_units == minor


@pytest.mark.parametrize("text", ["1e3", "1_000", "١٢", "12.5.", "0x10", "+-1", "1,000"])
def test_a_string_amount_is_a_plain_ascii_decimal(text: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        Money(text, "EUR")
    assert refused.value.code == "invalid_amount"


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        (Decimal("1e999999"), "amount_too_large"),
        (Decimal("-1e999999"), "amount_too_large"),
        (Decimal("1e-1000000000"), "too_many_decimals"),
        (Decimal("1.0000000000000000000000000001"), "too_many_decimals"),
        (Decimal("10000000000000.01"), "amount_too_large"),
    ],
)
def test_extreme_decimals_are_refused_never_rounded(amount: Decimal, code: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        Money(amount, "EUR")
    assert refused.value.code == code


def test_the_largest_amount_is_ten_to_the_fifteen_minor_units() -> None:
    assert Money("10000000000000.00", "EUR").minor_units == 10**15
    assert Money(Decimal("1E+2"), "EUR") == Money("100", "EUR")


def test_a_conversion_too_large_to_hold_is_refused() -> None:
    with pytest.raises(ValidationFailed) as refused:
        Money("1000000000000", "USD").convert(Decimal("99999999999999999"), "PHP")
    assert refused.value.code == "amount_too_large"
    with pytest.raises(ValidationFailed) as refused:
        Money("1", "USD").convert(Decimal("1e40"), "PHP")
    assert refused.value.code == "invalid_rate"
