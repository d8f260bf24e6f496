"""`mutualist ledger ...`: audit, read and export the books from the command line.

- ``check``: re-derive every balance from the postings (``ledger_check``);
  exit 0 with a one-line summary, or exit 1 listing each violation.
- ``balances``: each account's balance from its postings, signed as
  Beancount signs it, as a table, CSV or JSON.
- ``export``: the books as a Beancount file or a CSV of postings.
- ``rates-import``: the European Central Bank's reference rates from a CSV.

A refusal (an unknown collective, a bad date, an unreadable or malformed
file) is one line on stderr and a non-zero exit, as in every other command.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import sys
import tempfile
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, OutputWrapper
from django.db import transaction

from mutualist.collectives.models import Collective
from mutualist.core.errors import DomainError
from mutualist.ledger.check import consistent_snapshot, ledger_check
from mutualist.ledger.export import amount_text, beancount_write, csv_write
from mutualist.ledger.models import Account, Posting, Transaction
from mutualist.ledger.selectors import balances
from mutualist.ledger.services import exchange_rates_import_ecb


def _collective(slug: str | None) -> Collective | None:
    if slug is None:
        return None
    collective = Collective.objects.filter(slug=slug).first()
    if collective is None:
        raise CommandError(f"No collective with the slug {slug!r}.")
    return collective


def _date(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise CommandError(f"{text!r} is not a date; use YYYY-MM-DD.") from None


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


class _Raw:
    """A command's stdout as a plain stream: ``OutputWrapper.write`` would
    add a newline to every chunk a writer hands it."""

    def __init__(self, out: OutputWrapper) -> None:
        self._out = out

    def write(self, text: str, /) -> int:
        self._out.write(text, ending="")
        return len(text)


class Command(BaseCommand):
    help = "Check, read and export the double-entry ledger; import exchange rates."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)

        check = sub.add_parser(
            "check",
            help="Re-derive every balance from the postings; exit 1 listing any violation.",
        )
        check.add_argument("--collective", metavar="SLUG", help="Only this collective's books.")

        listing = sub.add_parser(
            "balances",
            help="Each account's balance from its postings (debits positive, credits negative).",
        )
        listing.add_argument("--collective", metavar="SLUG", help="Only this collective's books.")
        listing.add_argument(
            "--as-of", metavar="DATE", help="Postings up to this day (YYYY-MM-DD), inclusive."
        )
        listing.add_argument("--format", choices=["table", "csv", "json"], default="table")

        export = sub.add_parser("export", help="The books as a Beancount file or a CSV.")
        export.add_argument("--format", choices=["beancount", "csv"], required=True)
        export.add_argument("--collective", metavar="SLUG", help="Only this collective's books.")
        export.add_argument(
            "-o", "--output", metavar="FILE", help="Write here instead of to standard output."
        )

        rates = sub.add_parser(
            "rates-import", help="Import the ECB's euro reference rates from a CSV file."
        )
        rates.add_argument(
            "file", metavar="FILE", help="eurofxref.csv or eurofxref-hist.csv; - for stdin."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"].replace("-", "_")
        try:
            getattr(self, f"_{action}")(options)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        except BrokenPipeError:
            # Piped into `head` or a pager that quit: stop quietly, as a shell
            # tool does, rather than with a traceback (and again at exit,
            # when Python flushes the closed stdout).
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(141)

    # ----- check -----------------------------------------------------------

    def _check(self, options: dict[str, Any]) -> None:
        collective = _collective(options["collective"])
        with consistent_snapshot():
            violations = ledger_check(collective=collective)
            transactions = Transaction.objects.all()
            postings = Posting.objects.all()
            accounts = Account.objects.all()
            if collective is not None:
                transactions = transactions.filter(collective=collective)
                postings = postings.filter(transaction__collective=collective)
                accounts = accounts.filter(collective=collective)
            counts = (transactions.count(), postings.count(), accounts.count())
        if violations:
            for violation in violations:
                self.stderr.write(str(violation))
            raise CommandError(f"ledger check failed: {_plural(len(violations), 'violation')}")
        scope = "" if collective is None else f" ({collective.slug})"
        self.stdout.write(
            f"ledger ok{scope}: {_plural(counts[0], 'transaction')}, "
            f"{_plural(counts[1], 'posting')}, {_plural(counts[2], 'account')}, "
            "currencies balanced"
        )

    # ----- balances ---------------------------------------------------------

    def _balances(self, options: dict[str, Any]) -> None:
        collective = _collective(options["collective"])
        as_of = _date(options["as_of"])
        accounts = Account.objects.order_by("name")
        if collective is not None:
            accounts = accounts.filter(collective=collective)
        with consistent_snapshot():
            rows = [
                (
                    row.account.name,
                    row.account.currency,
                    amount_text(row.balance.minor_units, row.account.currency),
                )
                for row in balances(accounts=accounts, as_of=as_of)
            ]
        fmt = options["format"]
        if fmt == "csv":
            self._balances_csv(rows)
        elif fmt == "json":
            document = {
                "as_of": as_of.isoformat() if as_of else None,
                "collective": collective.slug if collective else None,
                "balances": [
                    {"account": name, "currency": currency, "balance": balance}
                    for name, currency, balance in rows
                ],
            }
            self.stdout.write(json.dumps(document, indent=2, ensure_ascii=False))
        else:
            self._balances_table(rows)

    def _balances_csv(self, rows: list[tuple[str, str, str]]) -> None:
        writer = csv.writer(_Raw(self.stdout), lineterminator="\n")
        writer.writerow(("account", "currency", "balance"))
        writer.writerows(rows)

    def _balances_table(self, rows: list[tuple[str, str, str]]) -> None:
        if not rows:
            self.stdout.write("No accounts.")
            return
        header = ("Account", "Balance", "Currency")
        width = [
            max(len(header[0]), *(len(r[0]) for r in rows)),
            max(len(header[1]), *(len(r[2]) for r in rows)),
        ]
        self.stdout.write(f"{header[0]:<{width[0]}}  {header[1]:>{width[1]}}  {header[2]}")
        for name, currency, balance in rows:
            self.stdout.write(f"{name:<{width[0]}}  {balance:>{width[1]}}  {currency}")

    # ----- export -----------------------------------------------------------

    def _export(self, options: dict[str, Any]) -> None:
        collective = _collective(options["collective"])
        writer = beancount_write if options["format"] == "beancount" else csv_write
        target = options["output"]
        if target is None:
            with consistent_snapshot():
                writer(_Raw(self.stdout), collective=collective)
            return
        # Written beside the target and renamed into place, so a failed export
        # never leaves half a file where a whole one is expected.
        path = Path(target)
        try:
            fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        except OSError as exc:
            raise CommandError(f"Cannot write {target}: {exc.strerror}.") from None
        try:
            with (
                os.fdopen(fd, "w", encoding="utf-8", newline="") as handle,
                consistent_snapshot(),
            ):
                writer(handle, collective=collective)
            os.chmod(temporary, 0o644)
            os.replace(temporary, path)
        except OSError as exc:
            raise CommandError(f"Cannot write {target}: {exc.strerror}.") from None
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
        self.stdout.write(f"Wrote {target}.")

    # ----- rates-import -------------------------------------------------------

    def _rates_import(self, options: dict[str, Any]) -> None:
        name = options["file"]
        try:
            text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise CommandError(f"Cannot read {name}: {exc.strerror or exc}.") from None
        except UnicodeDecodeError:
            raise CommandError(f"Cannot read {name}: it is not UTF-8 text.") from None
        with transaction.atomic(durable=True):
            result = exchange_rates_import_ecb(text=text)
        span = (
            f"{result.first}" if result.first == result.last else f"{result.first} to {result.last}"
        )
        self.stdout.write(
            f"Imported {_plural(result.rates, 'rate')} for {_plural(result.days, 'day')} ({span})."
        )
