"""`mutualist timesheet ...`: members' time from the command line.

- ``import FILE --engagement ID``: record the rows of a Toggl Track or
  Clockify detailed CSV export as time entries on the engagement
  (``work.services.imports``). Each refused row is listed (its row number as
  a spreadsheet shows it, the column or the time service's code, why), then
  a summary line. Nothing is written when a row is refused, unless
  ``--skip-bad-rows``; ``--dry-run`` checks everything and writes nothing.

Exit status: 0 when every row was imported (or already was, or was skipped
with ``--skip-bad-rows``); 1 when rows were refused; 2 for a bad call or
file (an unknown engagement or member, an unreadable file, a header that is
neither export), which is one line on stderr, as in every other command.
"""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import IO, Any, cast

from django.core.management.base import BaseCommand, CommandError, OutputWrapper
from django.db import transaction
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from mutualist.core.errors import DomainError
from mutualist.core.reference import validate_timezone
from mutualist.members.models import User
from mutualist.work.models import Engagement
from mutualist.work.services.imports import (
    PROGRESS_THRESHOLD,
    DateOrder,
    ImportFile,
    ImportFileError,
    ImportReport,
    Outcome,
    csv_read,
    timesheet_import,
)

USAGE_ERROR = 2
ROWS_REFUSED = 1


class _Raw:
    """A command's stream as a plain file for rich: ``OutputWrapper.write``
    would add a newline to every chunk."""

    def __init__(self, out: OutputWrapper) -> None:
        self._out = out

    def write(self, text: str, /) -> int:
        self._out.write(text, ending="")
        return len(text)

    def flush(self) -> None:
        self._out.flush()

    def isatty(self) -> bool:
        return self._out.isatty()

    @property
    def encoding(self) -> str:
        # rich draws ASCII tables on a stream that cannot take box characters.
        return getattr(self._out, "encoding", None) or "utf-8"


def _usage(message: str) -> CommandError:
    return CommandError(message, returncode=USAGE_ERROR)


def _ranges(numbers: list[int]) -> str:
    """``[2, 3, 4, 7]`` -> ``2-4, 7``."""
    spans: list[list[int]] = []
    for n in sorted(numbers):
        if spans and spans[-1][1] == n - 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


class Command(BaseCommand):
    help = "Members' time: import a Toggl Track or Clockify CSV export."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser(
            "import",
            help="Record a Toggl Track or Clockify detailed CSV export as time entries.",
            description=(
                "Record each row of a Toggl Track or Clockify detailed CSV export as a time "
                "entry on the engagement, with the same rules as time recorded by hand. "
                "Nothing is written when any row is refused, unless --skip-bad-rows."
            ),
        )
        imp.add_argument("file", metavar="FILE", help="The CSV export; - for standard input.")
        imp.add_argument(
            "--engagement", metavar="ID", type=int, required=True, help="The engagement's id."
        )
        imp.add_argument(
            "--dry-run",
            action="store_true",
            help="Check every row as an import would, then write nothing.",
        )
        imp.add_argument(
            "--skip-bad-rows",
            action="store_true",
            help="Import the good rows even when others are refused.",
        )
        imp.add_argument(
            "--member",
            metavar="EMAIL",
            help="Every row is this member's time (the file's Email column is ignored).",
        )
        imp.add_argument(
            "--timezone",
            metavar="TZ",
            help="Read the rows' times in this zone (default: each member's own).",
        )
        imp.add_argument(
            "--date-format",
            choices=[order.value for order in DateOrder],
            default=DateOrder.MDY.value,
            help=(
                "How Clockify wrote dates with slashes: as the exporting user's settings "
                "say (default MM/DD/YYYY). YYYY-MM-DD is always understood."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except DomainError as exc:
            raise _usage(exc.message) from None

    # ----- import -------------------------------------------------------------

    def _read(self, name: str, *, need_email: bool) -> ImportFile:
        try:
            raw = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
        except OSError as exc:
            raise _usage(f"Cannot read {name}: {exc.strerror or exc}.") from None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise _usage(f"Cannot read {name}: it is not UTF-8 text.") from None
        try:
            return csv_read(text, need_email=need_email)
        except ImportFileError as exc:
            raise _usage(f"{name}: {exc}") from None

    def _import(self, options: dict[str, Any]) -> None:
        engagement = (
            Engagement.objects.select_related("client", "collective")
            .filter(pk=options["engagement"])
            .first()
        )
        if engagement is None:
            raise _usage(f"No engagement has the id {options['engagement']}.")
        member = None
        if options["member"]:
            member = (
                User.objects.select_related("profile")
                .filter(email__iexact=options["member"].strip())
                .first()
            )
            if member is None:
                raise _usage(f"No member has the address {options['member']}.")
        zone = None
        if options["timezone"]:
            zone = validate_timezone(options["timezone"], field="timezone")
        name = options["file"]
        data = self._read(name, need_email=member is None)
        file_name = "stdin" if name == "-" else Path(name).name

        stdout, stderr = _Raw(self.stdout), _Raw(self.stderr)
        # Piped into a file or a log, rows are not wrapped at 80 columns.
        # rich needs only write, flush, isatty and encoding of its file.
        out = Console(
            file=cast("IO[str]", stdout),
            highlight=False,
            width=None if stdout.isatty() else 160,
        )
        err = Console(file=cast("IO[str]", stderr), highlight=False)
        count = len(data.rows)
        out.print(
            Text(
                f"{'Checking' if options['dry_run'] else 'Importing'} {count} "
                f"row{'' if count == 1 else 's'} of a {data.layout.label} export into "
                f"{engagement.title} ({engagement.client.name}, engagement {engagement.pk})."
            )
        )
        show_progress = count > PROGRESS_THRESHOLD and err.is_terminal
        with (
            Progress(
                TextColumn("Rows"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=err,
                transient=True,
                disable=not show_progress,
            ) as progress,
            transaction.atomic(durable=True),
        ):
            task = progress.add_task("rows", total=count)
            report = timesheet_import(
                engagement=engagement,
                data=data,
                file_name=file_name,
                member=member,
                timezone=zone,
                date_order=DateOrder(options["date_format"]),
                dry_run=options["dry_run"],
                skip_bad_rows=options["skip_bad_rows"],
                on_row=lambda _result: progress.advance(task),
            )
        self._report(out, report)
        if report.refused and not options["skip_bad_rows"]:
            refused = len(report.refused)
            rows = f"{refused} row{'' if refused == 1 else 's'}"
            if options["dry_run"]:
                raise CommandError(f"{rows} would be refused.", returncode=ROWS_REFUSED)
            raise CommandError(
                f"{rows} refused, so nothing was imported: fix them, or pass "
                "--skip-bad-rows to import the others.",
                returncode=ROWS_REFUSED,
            )

    def _report(self, out: Console, report: ImportReport) -> None:
        refused = report.refused
        if refused:
            table = Table(title="Refused rows", title_justify="left", show_lines=False)
            table.add_column("Row", justify="right")
            table.add_column("Column")
            table.add_column("Code")
            table.add_column("Problem", overflow="fold")
            for result in refused:
                table.add_row(
                    str(result.number),
                    Text(result.column or "-"),
                    Text(result.code),
                    Text(result.message),
                )
            out.print(table)
        already = [r.number for r in report.results if r.outcome == Outcome.ALREADY_IMPORTED]
        if already:
            rows = f"row{'' if len(already) == 1 else 's'} {_ranges(already)}"
            out.print(Text(f"Already imported, skipped: {rows}."))
        out.print(Text(report.summary()))
