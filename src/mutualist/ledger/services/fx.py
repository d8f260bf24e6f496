"""Exchange rates and conversions between currencies.

Rates come from the European Central Bank's reference-rate CSV (everyone's)
or from a coordinator (their collective's, preferred there). A conversion is
one transaction through the collective's per-currency trading accounts
(``Equity:Collectives:<Books>:Trading:<CUR>``) that records the rate it used
and where that rate came from, so each currency still balances on its own.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from decimal import Context, Decimal

from django.db import transaction
from django.db.models import QuerySet

from mutualist.collectives.models import Collective
from mutualist.collectives.selectors import membership_of
from mutualist.core.errors import PermissionDenied, ValidationFailed
from mutualist.core.money import Money
from mutualist.core.reference import currency_exponent, validate_currency
from mutualist.ledger.models import Account, ExchangeRate, Transaction
from mutualist.ledger.services.accounts import account_name_for, account_open
from mutualist.ledger.services.posting import Line, ledger_date_validate, transaction_post
from mutualist.members.models import User

# A rate older than this is not used without being entered again.
RATE_MAX_AGE = dt.timedelta(days=7)
RATE_PLACES = 12  # ExchangeRate.rate and Transaction.fx_rate decimal places
_RATE_CONTEXT = Context(prec=34)
_PLAIN_RATE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


@dataclass(frozen=True, slots=True)
class RateQuote:
    rate: Decimal  # units of quote per unit of base
    source: str  # what a reader of the books needs to trace it


@dataclass(frozen=True, slots=True)
class ImportResult:
    rates: int
    days: int
    first: dt.date | None
    last: dt.date | None


# A rate keeps at most 15 significant digits: SQLite stores a DecimalField
# as a double, which holds 15 exactly, so the rate read back is the rate
# used, and a retry's fingerprint matches its first attempt's.
RATE_DIGITS = 15
_SIGNIFICANT = Context(prec=RATE_DIGITS)
# Between 10^-12 (the columns' decimal places) and 10^17 (their whole digits).
RATE_MIN = Decimal(1).scaleb(-RATE_PLACES)
RATE_MAX = Decimal(10) ** 17


def _quantize_rate(rate: Decimal) -> Decimal | None:
    """``rate`` as stored: 15 significant digits, 12 decimal places at most;
    ``None`` when that leaves no usable rate (out of the storable range)."""
    if not rate.is_finite() or not RATE_MIN <= rate < RATE_MAX:
        return None
    rounded = _SIGNIFICANT.plus(rate).quantize(RATE_MIN, context=_RATE_CONTEXT)
    return rounded if rounded > 0 else None


def _parse_rate(raw: str | Decimal, *, field: str = "rate") -> Decimal:
    """A rate someone typed, a file holds or a caller passes: a plain positive
    decimal, used exactly as given, or refused (never rounded)."""
    if isinstance(raw, Decimal):
        rate = raw
        if not rate.is_finite():
            raise ValidationFailed(f"{raw} is not a rate.", code="invalid_rate", field=field)
    else:
        text = raw.strip()
        if not _PLAIN_RATE.fullmatch(text):
            raise ValidationFailed(f"{raw!r} is not a rate.", code="invalid_rate", field=field)
        rate = Decimal(text)
    if rate <= 0:
        raise ValidationFailed(
            f"{str(raw).strip()!r} is not a usable rate: it must be above zero.",
            code="invalid_rate",
            field=field,
        )
    if _quantize_rate(rate) != rate:
        raise ValidationFailed(
            f"A rate has at most {RATE_PLACES} decimal places, {RATE_DIGITS} significant "
            "digits and 17 digits before the point.",
            code="invalid_rate",
            field=field,
        )
    return rate


def rate_parse(raw: str, *, field: str = "rate") -> Decimal:
    """A rate as a person or a client typed it, by the same rule everywhere:
    a plain decimal above zero that can be stored exactly."""
    return _parse_rate(raw, field=field)


def _derived_rate(rate: Decimal, base: str, quote: str) -> Decimal:
    """An inverted or crossed rate, rounded as stored; refused when it falls
    outside what can be stored (two extreme rates crossed)."""
    stored = _quantize_rate(rate)
    if stored is None:
        raise ValidationFailed(
            f"The {base}/{quote} rate worked out from the known rates ({rate:.6E}) "
            "cannot be used; enter one.",
            code="invalid_rate",
            field="rate",
        )
    return stored


def _rate_text(rate: Decimal) -> str:
    """A rate for people: 58.0417, never 5.80417E+1 or 1E+2."""
    return format(rate.normalize(), "f")


def exchange_rate_set(
    *,
    collective: Collective,
    actor: User,
    base: str,
    quote: str,
    rate: Decimal | str,
    on: dt.date,
) -> ExchangeRate:
    """A coordinator's rate for their collective: 1 ``base`` = ``rate`` ``quote``
    on ``on``. Entering a rate for a pair and day again replaces it (it only
    serves future conversions; each conversion keeps the rate it used)."""
    membership = membership_of(user=actor, collective=collective)
    if membership is None or not membership.is_coordinator:
        raise PermissionDenied(
            "Only a coordinator of this collective can enter exchange rates.",
            code="not_coordinator",
        )
    base = validate_currency(base, field="base")
    quote = validate_currency(quote, field="quote")
    ledger_date_validate(on, field="on")
    if base == quote:
        raise ValidationFailed(
            "A rate is between two different currencies.", code="same_currency", field="quote"
        )
    value = _parse_rate(rate)
    with transaction.atomic():
        row, _ = ExchangeRate.objects.update_or_create(
            collective=collective,
            base=base,
            quote=quote,
            on=on,
            defaults={
                "rate": value,
                "source": ExchangeRate.Source.MANUAL,
                "entered_by": actor,
            },
        )
    return row


def _ecb_date(raw: str, line: int) -> dt.date:
    text = raw.strip()
    for fmt in ("%Y-%m-%d", "%d %B %Y"):
        try:
            day = dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 (a calendar date)
        except ValueError:
            continue
        try:
            return ledger_date_validate(day, field="file")
        except ValidationFailed as error:
            raise ValidationFailed(
                f"Line {line}: {error.message}", code="invalid_rates_file", field="file"
            ) from None
    raise ValidationFailed(
        f"Line {line}: {text!r} is not a date (2026-11-26 or 26 November 2026).",
        code="invalid_rates_file",
        field="file",
    )


def _header_currency(cell: str) -> str:
    """A column's currency: any code CLDR knows, retired ones included, since
    the history file keeps columns for currencies the euro replaced (BGN,
    HRK, CYP)."""
    code = cell.strip().upper()
    try:
        currency_exponent(code)
    except ValidationFailed:
        raise ValidationFailed(
            f"Unknown currency {cell!r} in the file's header.",
            code="invalid_rates_file",
            field="file",
        ) from None
    return code


def exchange_rates_import_ecb(*, text: str) -> ImportResult:
    """Import the ECB's euro reference rates, daily (``eurofxref.csv``) or
    historical (``eurofxref-hist.csv``): a header ``Date, USD, JPY, ...`` and
    one row per day of units per euro. "N/A" and empty cells are skipped,
    currencies CLDR does not know are refused. Re-importing is harmless: a
    day's rate is replaced by the file's. All or nothing."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    rows = [row for row in reader if any(cell.strip() for cell in row)]
    if not rows or rows[0][0].strip().lower() != "date":
        raise ValidationFailed(
            "Not an ECB reference-rate file: the first column must be headed Date.",
            code="invalid_rates_file",
            field="file",
        )
    header = [cell.strip() for cell in rows[0]]
    currencies: list[str | None] = [None]
    for cell in header[1:]:
        currencies.append(_header_currency(cell) if cell else None)
    parsed: list[tuple[dt.date, str, Decimal]] = []
    for number, row in enumerate(rows[1:], start=2):
        day = _ecb_date(row[0], number)
        for index, cell in enumerate(row[1:], start=1):
            value = cell.strip()
            if index >= len(currencies) or currencies[index] is None:
                if value:
                    raise ValidationFailed(
                        f"Line {number}: a value without a currency in the header.",
                        code="invalid_rates_file",
                        field="file",
                    )
                continue
            if not value or value.upper() == "N/A":
                continue
            code = currencies[index]
            if code is None or code == "EUR":
                continue
            parsed.append((day, code, _parse_rate(value, field="file")))
    if not parsed:
        raise ValidationFailed(
            "The file has no rates in it.", code="invalid_rates_file", field="file"
        )
    # A day listed twice counts once, the later row winning, as a re-import would.
    rates = {(day, code): rate for day, code, rate in parsed}
    days = sorted({day for day, _ in rates})
    with transaction.atomic():
        # Replace the file's days whole: one DELETE and batched INSERTs, so
        # the ECB's full history (over 100,000 rates) loads in seconds, not
        # one upsert per rate.
        ExchangeRate.objects.filter(
            collective__isnull=True, base="EUR", on__in=days, quote__in={c for _, c in rates}
        ).delete()
        ExchangeRate.objects.bulk_create(
            (
                ExchangeRate(
                    base="EUR", quote=code, rate=rate, on=day, source=ExchangeRate.Source.ECB
                )
                for (day, code), rate in rates.items()
            ),
            batch_size=2000,
        )
    return ImportResult(rates=len(rates), days=len(days), first=days[0], last=days[-1])


def _latest(
    rates: QuerySet[ExchangeRate], base: str, quote: str, on: dt.date
) -> ExchangeRate | None:
    return (
        rates.filter(base=base, quote=quote, on__lte=on, on__gt=on - RATE_MAX_AGE)
        .order_by("-on")
        .first()
    )


def exchange_rate_find(
    *, base: str, quote: str, on: dt.date, collective: Collective | None = None
) -> RateQuote:
    """The rate for 1 ``base`` in ``quote`` on ``on``: the collective's own
    (either direction) if it entered one in the last week, else the ECB's
    (direct, inverted or crossed through the euro on one day). Refused
    (``no_rate``) when there is none recent enough."""
    base, quote = base.upper(), quote.upper()
    if base == quote:
        return RateQuote(Decimal(1), "same currency")
    if collective is not None:
        own = ExchangeRate.objects.filter(collective=collective)
        direct = _latest(own, base, quote, on)
        inverse = _latest(own, quote, base, on)
        best = max(
            (r for r in (direct, inverse) if r is not None), key=lambda r: r.on, default=None
        )
        if best is not None:
            # The name members see, never the address: the source is shown in
            # the books and written into exports.
            who = best.entered_by.display_name if best.entered_by else "a coordinator"
            rate = (
                best.rate
                if best is direct
                else _derived_rate(_RATE_CONTEXT.divide(1, best.rate), base, quote)
            )
            return RateQuote(rate, f"{best.on} rate entered by {who}")
    reference = ExchangeRate.objects.filter(collective__isnull=True)
    if base == "EUR" or quote == "EUR":
        other = quote if base == "EUR" else base
        row = _latest(reference, "EUR", other, on)
        if row is not None:
            rate = (
                row.rate
                if base == "EUR"
                else _derived_rate(_RATE_CONTEXT.divide(1, row.rate), base, quote)
            )
            return RateQuote(rate, f"ECB reference rate of {row.on}")
    else:
        for day in (on - dt.timedelta(days=n) for n in range(RATE_MAX_AGE.days)):
            pair = {
                r.quote: r.rate
                for r in reference.filter(base="EUR", quote__in=[base, quote], on=day)
            }
            if base in pair and quote in pair:
                rate = _derived_rate(_RATE_CONTEXT.divide(pair[quote], pair[base]), base, quote)
                return RateQuote(rate, f"ECB reference rates of {day}, crossed through EUR")
    # 422, not 404: the pair exists; what is missing is a recent rate for it.
    raise ValidationFailed(
        f"No {base}/{quote} rate from the {RATE_MAX_AGE.days} days up to {on}; "
        "import the ECB rates or enter one.",
        code="no_rate",
        field="rate",
    )


def trading_account(collective: Collective, currency: str) -> Account:
    """The collective's trading account for ``currency``, opened on first use."""
    return account_open(
        collective=collective,
        name=account_name_for(collective, Account.Type.EQUITY, "Trading", currency),
        type=Account.Type.EQUITY,
        currency=currency,
        description=f"Currency conversions, {currency} side",
    )


def currency_convert(
    *,
    source: Account,
    target: Account,
    amount: Money,
    occurred_at: dt.date,
    idempotency_key: str,
    memo: str = "",
    rate: Decimal | None = None,
    rate_source: str = "",
    posted_by: User | None = None,
) -> Transaction:
    """Move ``amount`` out of ``source`` and its value at the rate into
    ``target`` (another currency, same books), through the trading accounts.
    Without ``rate`` the best known one is used (``exchange_rate_find``).
    The rate and its source are recorded on the transaction."""
    ledger_date_validate(occurred_at)
    if source.collective_id != target.collective_id:
        raise ValidationFailed(
            "A conversion stays within one collective's books.", code="mixed_books", field="target"
        )
    if amount.currency != source.currency:
        raise ValidationFailed(
            f"{source.name} holds {source.currency}, not {amount.currency}.",
            code="currency_mismatch",
            field="amount",
        )
    if target.currency == source.currency:
        raise ValidationFailed(
            "Both accounts hold the same currency; post a transfer instead.",
            code="same_currency",
            field="target",
        )
    if amount.amount <= 0:
        raise ValidationFailed(
            "Convert an amount above zero.", code="invalid_amount", field="amount"
        )
    collective = source.collective
    if rate is None:
        # A retry replays the first conversion at the rate it used, even if a
        # newer rate has arrived since.
        first = Transaction.objects.filter(idempotency_key=idempotency_key).first()
        if first is not None and first.fx_rate is not None:
            rate, rate_source = first.fx_rate, first.fx_rate_source
    if rate is None:
        quote = exchange_rate_find(
            base=source.currency, quote=target.currency, on=occurred_at, collective=collective
        )
        rate, rate_source = quote.rate, quote.source
    else:
        rate = _parse_rate(rate)
        rate_source = rate_source.strip() or "given with the conversion"
    converted = amount.convert(rate, target.currency)
    if converted.is_zero():
        raise ValidationFailed(
            f"{amount} is worth nothing in {target.currency} at {rate}.",
            code="invalid_amount",
            field="amount",
        )
    with transaction.atomic():
        lines = [
            Line(source, -amount),
            Line(trading_account(collective, source.currency), amount),
            Line(trading_account(collective, target.currency), -converted),
            Line(target, converted),
        ]
        return transaction_post(
            lines=lines,
            memo=memo or f"Convert {amount} to {converted} at {_rate_text(rate)}",
            occurred_at=occurred_at,
            idempotency_key=idempotency_key,
            kind="conversion",
            posted_by=posted_by,
            fx_rate=rate,
            fx_rate_source=rate_source[:200],
        )
