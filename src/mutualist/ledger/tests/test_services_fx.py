"""Exchange rates (ECB import, a coordinator's own) and conversions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from mutualist.core.errors import DomainError, PermissionDenied, ValidationFailed
from mutualist.core.money import Money
from mutualist.ledger.models import Account, ExchangeRate, Posting, Transaction
from mutualist.ledger.services import (
    currency_convert,
    exchange_rate_find,
    exchange_rate_set,
    exchange_rates_import_ecb,
)
from mutualist.testing import Books, Cast

pytestmark = pytest.mark.django_db

# The shapes the ECB publishes: the daily file (a long date, spaces, a
# trailing comma) and the history file (ISO dates, N/A for missing days).
DAILY = """Date, USD, JPY, BGN, PHP, AUD, \n26 November 2026, 1.0550, 160.12, 1.9558, 61.234, 1.6200, \n"""
HISTORY = """Date,USD,JPY,PHP,AUD,\n2026-11-25,1.0540,N/A,61.100,1.6180,\n2026-11-24,1.0530,159.80,61.000,1.6150,\n"""
DAY = dt.date(2026, 11, 26)


def test_it_imports_the_ecbs_daily_file() -> None:
    result = exchange_rates_import_ecb(text=DAILY)
    assert (result.rates, result.days, result.first, result.last) == (5, 1, DAY, DAY)
    rate = ExchangeRate.objects.get(base="EUR", quote="PHP", on=DAY)
    assert rate.rate == Decimal("61.234")
    assert rate.source == "ecb"
    assert rate.collective is None


def test_it_imports_the_history_file_skipping_missing_days() -> None:
    result = exchange_rates_import_ecb(text=HISTORY)
    assert (result.rates, result.days) == (7, 2)
    assert not ExchangeRate.objects.filter(quote="JPY", on=dt.date(2026, 11, 25)).exists()


def test_a_day_listed_twice_counts_once() -> None:
    result = exchange_rates_import_ecb(text=HISTORY + "2026-11-25,1.0545,,,,\n")
    assert result.rates == 7
    assert ExchangeRate.objects.get(quote="USD", on=dt.date(2026, 11, 25)).rate == Decimal("1.0545")


def test_importing_again_replaces_rather_than_duplicates() -> None:
    exchange_rates_import_ecb(text=DAILY)
    exchange_rates_import_ecb(text=DAILY.replace("61.234", "61.300"))
    assert ExchangeRate.objects.count() == 5
    assert ExchangeRate.objects.get(quote="PHP").rate == Decimal("61.3")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Not an ECB reference-rate file: the first column must be headed Date."),
        ("Day,USD\n2026-11-26,1.05\n", "Not an ECB reference-rate file"),
        ("Date,USD\nyesterday,1.05\n", "Line 2: 'yesterday' is not a date"),
        ("Date,USD\n2026-11-26,-1\n", "'-1' is not a usable rate"),
        ("Date,USD\n2026-11-26,abc\n", "'abc' is not a rate."),
        ("Date,QQQ\n2026-11-26,1\n", "Unknown currency 'QQQ' in the file's header."),
        ("Date,USD\n", "The file has no rates in it."),
    ],
)
def test_a_bad_rates_file_is_refused_whole(text: str, message: str) -> None:
    exchange_rates_import_ecb(text=DAILY)
    with pytest.raises(ValidationFailed) as refused:
        exchange_rates_import_ecb(text=text)
    assert refused.value.message.startswith(message)
    assert ExchangeRate.objects.count() == 5


def test_a_coordinator_enters_a_rate_for_the_collective(cast: Cast) -> None:
    rate = exchange_rate_set(
        collective=cast.collective_a, actor=cast.ana, base="aud", quote="php", rate="37.5", on=DAY
    )
    assert (rate.base, rate.quote, rate.rate, rate.source) == (
        "AUD",
        "PHP",
        Decimal("37.5"),
        "manual",
    )
    again = exchange_rate_set(
        collective=cast.collective_a, actor=cast.ana, base="AUD", quote="PHP", rate="37.6", on=DAY
    )
    assert again.pk == rate.pk and again.rate == Decimal("37.6")


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"rate": "0"}, "invalid_rate"),
        ({"rate": "-2"}, "invalid_rate"),
        ({"rate": "1.0000000000001"}, "invalid_rate"),
        ({"rate": "lots"}, "invalid_rate"),
        ({"quote": "AUD"}, "same_currency"),
        ({"quote": "XYZ"}, "invalid_currency"),
    ],
)
def test_it_refuses_a_bad_rate_and_stores_nothing(
    cast: Cast, kwargs: dict[str, str], code: str
) -> None:
    arguments = {"base": "AUD", "quote": "PHP", "rate": "37.5", **kwargs}
    with pytest.raises(ValidationFailed) as refused:
        exchange_rate_set(collective=cast.collective_a, actor=cast.ana, on=DAY, **arguments)
    assert refused.value.code == code
    assert ExchangeRate.objects.count() == 0


@pytest.mark.parametrize("who", ["ben", "carla", "olga"])
def test_only_a_coordinator_enters_rates(cast: Cast, who: str) -> None:
    with pytest.raises(PermissionDenied) as refused:
        exchange_rate_set(
            collective=cast.collective_a,
            actor=getattr(cast, who),
            base="AUD",
            quote="PHP",
            rate="37.5",
            on=DAY,
        )
    assert refused.value.code == "not_coordinator"
    assert ExchangeRate.objects.count() == 0


def test_it_finds_direct_inverted_and_crossed_reference_rates() -> None:
    exchange_rates_import_ecb(text=DAILY)
    assert exchange_rate_find(base="EUR", quote="PHP", on=DAY).rate == Decimal("61.234")
    inverse = exchange_rate_find(base="PHP", quote="EUR", on=DAY)
    assert inverse.rate == Decimal("0.016330796616")  # 1 / 61.234, 12 places
    cross = exchange_rate_find(base="USD", quote="PHP", on=DAY)
    assert cross.rate == Decimal("58.041706161137")  # 61.234 / 1.0550
    assert cross.source == "ECB reference rates of 2026-11-26, crossed through EUR"


def test_it_uses_the_latest_rate_of_the_past_week_and_no_older() -> None:
    exchange_rates_import_ecb(text=HISTORY)
    # a weekend: the Friday rate serves
    assert exchange_rate_find(base="EUR", quote="USD", on=dt.date(2026, 11, 28)).rate == Decimal(
        "1.054"
    )
    with pytest.raises(ValidationFailed) as refused:
        exchange_rate_find(base="EUR", quote="USD", on=dt.date(2026, 12, 9))
    assert refused.value.code == "no_rate"


def test_a_collectives_own_rate_comes_first_there_only(cast: Cast) -> None:
    exchange_rates_import_ecb(text=DAILY)
    exchange_rate_set(
        collective=cast.collective_a, actor=cast.ana, base="PHP", quote="USD", rate="0.0175", on=DAY
    )
    own = exchange_rate_find(base="USD", quote="PHP", on=DAY, collective=cast.collective_a)
    assert own.rate == Decimal("57.142857142857")  # the inverse of its own PHP/USD
    assert own.source == "2026-11-26 rate entered by Ana Reyes"  # never an address
    other = exchange_rate_find(base="USD", quote="PHP", on=DAY, collective=cast.collective_b)
    assert other.rate == Decimal("58.041706161137")


def test_a_conversion_is_one_transaction_through_the_trading_accounts(books: Books) -> None:
    exchange_rates_import_ecb(text=DAILY)
    converted = currency_convert(
        source=books.bank,
        target=books.usd_bank,
        amount=Money("5804.17", "PHP"),
        occurred_at=DAY,
        idempotency_key="fx-1",
        posted_by=books.cast.ana,
    )
    assert converted.kind == "conversion"
    assert converted.fx_rate == Decimal("0.017228990430")  # 1.0550 / 61.234, 12 places
    assert converted.fx_rate_source == "ECB reference rates of 2026-11-26, crossed through EUR"
    assert sorted(converted.postings.values_list("account__name", "amount_minor")) == [
        ("Assets:Collectives:ManilaVa:Bank:PHP", -580417),
        ("Assets:Collectives:ManilaVa:Bank:USD", 10000),
        ("Equity:Collectives:ManilaVa:Trading:PHP", 580417),
        ("Equity:Collectives:ManilaVa:Trading:USD", -10000),
    ]
    trading = Account.objects.get(name="Equity:Collectives:ManilaVa:Trading:USD")
    assert (trading.type, trading.currency, trading.owner_kind) == ("equity", "USD", "collective")
    # a retry posts nothing new
    again = currency_convert(
        source=books.bank,
        target=books.usd_bank,
        amount=Money("5804.17", "PHP"),
        occurred_at=DAY,
        idempotency_key="fx-1",
        posted_by=books.cast.ana,
    )
    assert again == converted
    assert Transaction.objects.filter(kind="conversion").count() == 1


def test_a_conversion_at_a_given_rate_records_it(books: Books) -> None:
    converted = currency_convert(
        source=books.bank,
        target=books.usd_bank,
        amount=Money("1000", "PHP"),
        occurred_at=DAY,
        idempotency_key="fx-2",
        rate=Decimal("0.0172"),
        rate_source="Wise quote 12345",
    )
    assert converted.fx_rate == Decimal("0.0172")
    assert converted.fx_rate_source == "Wise quote 12345"
    assert converted.memo == "Convert 1000.00 PHP to 17.20 USD at 0.0172"


@pytest.mark.parametrize(
    ("change", "error", "code"),
    [
        ({"target": "b_bank"}, ValidationFailed, "mixed_books"),
        ({"target": "fund"}, ValidationFailed, "same_currency"),
        ({"amount": Money("10", "USD")}, ValidationFailed, "currency_mismatch"),
        ({"amount": Money("-10", "PHP")}, ValidationFailed, "invalid_amount"),
        ({"amount": Money("0.01", "PHP")}, ValidationFailed, "invalid_amount"),
        ({"rate": None}, ValidationFailed, "no_rate"),
        ({"rate": Decimal("0")}, ValidationFailed, "invalid_rate"),
    ],
)
def test_it_refuses_a_bad_conversion_and_writes_nothing(
    books: Books, change: dict[str, object], error: type[DomainError], code: str
) -> None:
    arguments: dict[str, object] = {
        "source": books.bank,
        "target": books.usd_bank,
        "amount": Money("100", "PHP"),
        "occurred_at": DAY,
        "idempotency_key": "fx-bad",
        "rate": Decimal("0.0172"),
    }
    for key, value in change.items():
        arguments[key] = getattr(books, value) if isinstance(value, str) else value
    counts = (Account.objects.count(), Transaction.objects.count(), Posting.objects.count())
    with pytest.raises(error) as refused:
        currency_convert(**arguments)  # type: ignore[arg-type]
    assert refused.value.code == code
    assert (Account.objects.count(), Transaction.objects.count(), Posting.objects.count()) == counts


def test_a_conversion_retried_after_a_newer_rate_replays_at_the_first_rate(books: Books) -> None:
    exchange_rates_import_ecb(text=DAILY)
    arguments: dict[str, Any] = {
        "source": books.bank,
        "target": books.usd_bank,
        "amount": Money("5804.17", "PHP"),
        "occurred_at": DAY,
        "idempotency_key": "fx-retry",
    }
    first = currency_convert(**arguments)
    exchange_rate_set(
        collective=books.cast.collective_a, actor=books.cast.ana, base="PHP", quote="USD",
        rate="0.02", on=DAY,
    )  # fmt: skip
    again = currency_convert(**arguments)
    assert again.pk == first.pk
    assert Transaction.objects.filter(kind="conversion").count() == 1


def test_a_worked_out_rate_keeps_fifteen_digits_so_a_retry_replays(books: Books) -> None:
    # 1 / 0.00081 = 1234.5679012345679...: stored, used and shown as 1234.56790123457,
    # which SQLite's double-precision column gives back exactly
    exchange_rate_set(
        collective=books.cast.collective_a, actor=books.cast.ana, base="PHP", quote="USD",
        rate="0.00081", on=DAY,
    )  # fmt: skip
    arguments: dict[str, Any] = {
        "source": books.usd_bank,
        "target": books.bank,
        "amount": Money("10", "USD"),
        "occurred_at": DAY,
        "idempotency_key": "fx-long-rate",
    }
    first = currency_convert(**arguments)
    first.refresh_from_db()
    assert first.fx_rate == Decimal("1234.56790123457")
    assert first.memo == "Convert 10.00 USD to 12345.68 PHP at 1234.56790123457"
    assert currency_convert(**arguments).pk == first.pk


@pytest.mark.parametrize(
    "rate", ["1e2", "1234.5678901234567", "100000000000000000", "0.0000000000001", "1e40", "٣"]
)
def test_a_rate_that_cannot_be_stored_exactly_is_refused(cast: Cast, rate: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        exchange_rate_set(
            collective=cast.collective_a, actor=cast.ana, base="AUD", quote="PHP", rate=rate, on=DAY
        )
    assert refused.value.code == "invalid_rate"
    assert ExchangeRate.objects.count() == 0


def test_a_given_rate_of_any_size_is_refused_cleanly(books: Books) -> None:
    with pytest.raises(ValidationFailed) as refused:
        currency_convert(
            source=books.bank, target=books.usd_bank, amount=Money("1", "PHP"), occurred_at=DAY,
            idempotency_key="fx-huge", rate=Decimal("1e40"),
        )  # fmt: skip
    assert refused.value.code == "invalid_rate"


def test_a_round_rate_reads_as_a_number_in_the_memo(books: Books) -> None:
    converted = currency_convert(
        source=books.usd_bank, target=books.bank, amount=Money("1", "USD"), occurred_at=DAY,
        idempotency_key="fx-100", rate=Decimal("100"),
    )  # fmt: skip
    assert converted.memo == "Convert 1.00 USD to 100.00 PHP at 100"


@pytest.mark.parametrize("day", [dt.date(1, 1, 1), dt.date(9999, 12, 31)])
def test_rates_and_conversions_refuse_dates_outside_the_books(books: Books, day: dt.date) -> None:
    with pytest.raises(ValidationFailed) as refused:
        exchange_rate_set(
            collective=books.cast.collective_a, actor=books.cast.ana, base="AUD", quote="PHP",
            rate="37", on=day,
        )  # fmt: skip
    assert (refused.value.code, refused.value.field) == ("invalid_date", "on")
    with pytest.raises(ValidationFailed) as refused:
        currency_convert(
            source=books.bank, target=books.usd_bank, amount=Money("1", "PHP"), occurred_at=day,
            idempotency_key="fx-day",
        )  # fmt: skip
    assert (refused.value.code, refused.value.field) == ("invalid_date", "occurred_at")
    with pytest.raises(ValidationFailed) as refused:
        exchange_rates_import_ecb(text=f"Date,USD\n{day.isoformat()},1.05\n")
    assert refused.value.code == "invalid_rates_file"
    assert ExchangeRate.objects.count() == 0
