"""The books out of Mutualist: a Beancount file and a CSV of postings.

The Beancount export is the auditor's copy: ``bean-check`` re-verifies it
without trusting us. Each account is opened with its currency, each
transaction carries its id, kind, exchange rate and reversal link as
metadata, and the file ends with a ``balance`` assertion per account of the
balance the ledger holds (the cache ``transaction_post`` keeps), so
``bean-check`` fails if that balance is not what the exported postings add
up to.

Amounts are written from integer minor units with the currency's own number
of decimals (JPY 0, EUR 2, BHD 3), never through a float.

Both writers stream: postings are read in chunks, whatever the ledger's size.
Call them inside ``consistent_snapshot()`` (``ledger.check``) so the file is
one moment of the books.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from typing import Any, Protocol

from django.db.models import Min, QuerySet
from django.utils import timezone

from mutualist.collectives.models import Collective
from mutualist.core.reference import from_minor_units
from mutualist.ledger.models import Account, Posting, Transaction

CHUNK = 2000

CSV_COLUMNS = ("transaction_id", "date", "kind", "memo", "account", "amount", "currency")

# A spreadsheet runs a cell that starts with one of these as a formula
# (CSV injection); a memo is anyone's text, so such a memo gets a leading
# apostrophe, which spreadsheets read as "this is text".
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class TextSink(Protocol):
    def write(self, text: str, /) -> Any: ...


def amount_text(minor: int, currency: str) -> str:
    """``minor`` units as a decimal string with the currency's own number of
    decimals: ``amount_text(-105000, "EUR")`` is ``"-1050.00"``, JPY ``"5"``,
    BHD ``"1.250"``. Exact (Decimal scaling of the integer, never a float);
    ``ledger balances`` prints the same."""
    return format(from_minor_units(int(minor), currency), "f")


def beancount_string(text: str) -> str:
    """``text`` as a Beancount string literal. Beancount reads ``\\n``,
    ``\\r`` and ``\\t`` in a string as those control characters and any other
    escaped character as itself, so escaping the backslash, the quote, line
    breaks and tabs keeps the file one directive per line and gives back
    exactly the text we had."""
    escaped = (
        text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    return f'"{escaped}"'


def _decimal_text(value: Decimal) -> str:
    # 58.000000000000 -> 58, without the exponent form normalize() alone gives (5.8E+1).
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _accounts(collective: Collective | None) -> QuerySet[Account]:
    accounts = Account.objects.all()
    if collective is not None:
        accounts = accounts.filter(collective=collective)
    return accounts.order_by("name")


def _transactions(collective: Collective | None) -> QuerySet[Transaction]:
    transactions = Transaction.objects.all()
    if collective is not None:
        transactions = transactions.filter(collective=collective)
    return transactions.order_by("occurred_at", "id")


def _postings(collective: Collective | None) -> QuerySet[Posting]:
    postings = Posting.objects.all()
    if collective is not None:
        postings = postings.filter(transaction__collective=collective)
    # The transactions' own order, so the two streams merge in one pass.
    return postings.order_by("transaction__occurred_at", "transaction_id", "id")


def _journal(
    collective: Collective | None,
) -> Iterator[tuple[Mapping[str, Any], list[tuple[int, int, str]]]]:
    """Each transaction (as a dict) with its postings ``(account_id,
    amount_minor, currency)``, in date order, from two streamed queries."""
    transactions = (
        _transactions(collective)
        .values(
            "id",
            "occurred_at",
            "memo",
            "kind",
            "fx_rate",
            "fx_rate_source",
            "reverses_id",
            "cause_id",
            "cause_type__app_label",
            "cause_type__model",
        )
        .iterator(chunk_size=CHUNK)
    )
    postings = (
        _postings(collective)
        .values_list("transaction_id", "account_id", "amount_minor", "currency")
        .iterator(chunk_size=CHUNK)
    )
    pending = next(postings, None)
    for row in transactions:
        lines: list[tuple[int, int, str]] = []
        while pending is not None and pending[0] == row["id"]:
            lines.append((pending[1], pending[2], pending[3]))
            pending = next(postings, None)
        yield row, lines


def _metadata(row: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    yield "mutualist-id", beancount_string(str(row["id"]))
    yield "kind", beancount_string(row["kind"])
    if row["fx_rate"] is not None:
        # A number, so a Beancount query can compute with it.
        yield "fx-rate", _decimal_text(row["fx_rate"])
    if row["fx_rate_source"]:
        yield "fx-rate-source", beancount_string(row["fx_rate_source"])
    if row["reverses_id"] is not None:
        yield "reverses", beancount_string(str(row["reverses_id"]))
    if row["cause_id"] is not None:
        cause = f"{row['cause_type__app_label']}.{row['cause_type__model']}:{row['cause_id']}"
        yield "cause", beancount_string(cause)


def beancount_write(out: TextSink, *, collective: Collective | None = None) -> None:
    """Write the books (all of them, or ``collective``'s) as a Beancount file
    that ``bean-check`` accepts, ending with a ``balance`` assertion per account."""
    accounts = list(
        _accounts(collective).only("id", "name", "currency", "opened_at", "balance_minor")
    )
    scoped = Posting.objects.all()
    if collective is not None:
        scoped = scoped.filter(account__collective=collective)
    first_posting = dict(
        scoped.values("account_id")
        .annotate(first=Min("occurred_at"))
        .order_by()
        .values_list("account_id", "first")
    )
    by_id = {account.pk: account for account in accounts}

    title = "Mutualist books" if collective is None else f"Mutualist books of {collective.name}"
    out.write(f"option {beancount_string('title')} {beancount_string(title)}\n")
    if collective is not None:
        out.write(
            f"option {beancount_string('operating_currency')} "
            f"{beancount_string(collective.base_currency)}\n"
        )
    out.write("\n")

    # Opened no later than the first posting: an account may be opened today
    # for an opening balance dated in the past.
    opened: dict[int, dt.date] = {}
    for account in accounts:
        day = timezone.localdate(account.opened_at)
        first = first_posting.get(account.pk)
        opened[account.pk] = min(day, first) if first is not None else day
    for account in sorted(accounts, key=lambda a: (opened[a.pk], a.name)):
        out.write(f"{opened[account.pk]:%Y-%m-%d} open {account.name} {account.currency}\n")
        out.write(f"  mutualist-id: {beancount_string(str(account.pk))}\n")

    last_day: dt.date | None = None
    for row, lines in _journal(collective):
        day = row["occurred_at"]
        last_day = day if last_day is None else max(last_day, day)
        out.write(f"\n{day:%Y-%m-%d} * {beancount_string(row['memo'])}\n")
        for key, value in _metadata(row):
            out.write(f"  {key}: {value}\n")
        for account_id, minor, currency in lines:
            name = by_id[account_id].name if account_id in by_id else f"Unknown:Id{account_id}"
            out.write(f"  {name}  {amount_text(minor, currency)} {currency}\n")

    if not accounts:
        return
    # A balance assertion holds at the start of its day: the day after the
    # last posting covers every posting, and no account may be asserted
    # before it is open. "~ 0" makes it exact: by default Beancount lets a
    # balance with two decimals be off by 0.01, which would hide a cache
    # that drifted by a cent.
    asserted = max(opened.values())
    if last_day is not None:
        asserted = max(asserted, last_day + dt.timedelta(days=1))
    out.write("\n")
    for account in accounts:
        out.write(
            f"{asserted:%Y-%m-%d} balance {account.name}  "
            f"{amount_text(account.balance_minor, account.currency)} ~ 0 {account.currency}\n"
        )


def _csv_text(memo: str) -> str:
    return f"'{memo}" if memo.startswith(_FORMULA_START) else memo


def csv_write(out: TextSink, *, collective: Collective | None = None) -> None:
    """Write one CSV row per posting (``CSV_COLUMNS``), in date order; the
    amount is a decimal string in major units, debits positive."""
    names = dict(_accounts(collective).values_list("id", "name"))
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row, lines in _journal(collective):
        day = row["occurred_at"].isoformat()
        memo = _csv_text(row["memo"])
        for account_id, minor, currency in lines:
            writer.writerow(
                (
                    row["id"],
                    day,
                    row["kind"],
                    memo,
                    names.get(account_id, f"#{account_id}"),
                    amount_text(minor, currency),
                    currency,
                )
            )
