"""Importing time from the CSV exports of other time trackers.

Two layouts, told apart by their header:

- **Toggl Track** detailed report: ``User, Email, Client, Project, Task,
  Description, Billable, Start date, Start time, End date, End time,
  Duration, Tags, Amount (USD)``; dates ``YYYY-MM-DD``, times ``HH:MM:SS``.
- **Clockify** detailed report: ``Project, Client, Description, Task, User,
  Group, Email, Tags, Billable, Start Date, Start Time, End Date, End Time,
  Duration (h), Duration (decimal), Billable Rate (USD), Billable Amount
  (USD)``; dates in the exporting user's format (``MM/DD/YYYY`` unless told
  ``DD/MM/YYYY``; ``YYYY-MM-DD`` is always understood), times ``05:30 PM``
  or ``17:30`` or ``17:30:00``.

Each row becomes one call of ``work.services.time.time_entry_record`` (kind
``import``): the same rules as time recorded by hand (team, active
engagement, overlaps, open week, weekly cap). The row's local times are read
in the member's own time zone unless the caller names one; a time the clocks
skip is refused, a time that happens twice is the first.

All or nothing: ``timesheet_import`` writes nothing when any row is refused,
unless told to skip bad rows (then each row stands alone); a dry run checks
every row the same way and writes nothing. A row identical to an entry
already recorded (same member, engagement, start and end) is reported as
already imported and skipped, so importing a file twice is harmless.

The import's own refusals of a row (before the time service sees it) have
the codes of ``RowCode``; they never reach the API.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models.functions import Lower

from mutualist.core.errors import DomainError, ValidationFailed
from mutualist.members.models import User
from mutualist.work.models import Engagement, TimeEntry
from mutualist.work.services.time import local_datetime, require_day, time_entry_record

# Longer files show a progress bar (the command's choice; here for its docs).
PROGRESS_THRESHOLD = 200
SOURCE_MAX_LENGTH = 120  # TimeEntry.source


class ImportFileError(Exception):
    """The file as a whole cannot be imported (unreadable, unknown layout):
    one readable line, nothing read further."""


class RowCode(StrEnum):
    """Why the import refused a row before handing it to the time service."""

    MISSING_VALUE = "missing_value"
    INVALID_DATE = "invalid_date"
    INVALID_TIME = "invalid_time"
    NONEXISTENT_TIME = "nonexistent_time"
    INVALID_BILLABLE = "invalid_billable"
    UNKNOWN_MEMBER = "unknown_member"
    INVALID_CHARACTERS = "invalid_characters"


class DateOrder(StrEnum):
    """How to read a date written with slashes (``05/11/2026``)."""

    MDY = "MM/DD/YYYY"
    DMY = "DD/MM/YYYY"


# --- Layouts ------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    key: str  # "toggl" or "clockify": the entries' ``source`` starts with it
    label: str
    header: tuple[str, ...]  # the export's columns, as documented
    email: str
    description: str
    task: str
    billable: str
    start_date: str
    start_time: str
    end_date: str
    end_time: str
    markers: tuple[str, ...]  # columns only this layout has (lower case; "(" = prefix)

    def required(self, *, need_email: bool) -> list[str]:
        columns = [
            self.description,
            self.billable,
            self.start_date,
            self.start_time,
            self.end_date,
            self.end_time,
        ]
        return [self.email, *columns] if need_email else columns


TOGGL = Layout(
    key="toggl",
    label="Toggl Track",
    header=(
        "User",
        "Email",
        "Client",
        "Project",
        "Task",
        "Description",
        "Billable",
        "Start date",
        "Start time",
        "End date",
        "End time",
        "Duration",
        "Tags",
        "Amount (USD)",
    ),  # fmt: skip
    email="Email",
    description="Description",
    task="Task",
    billable="Billable",
    start_date="Start date",
    start_time="Start time",
    end_date="End date",
    end_time="End time",
    markers=("duration", "amount ("),
)
CLOCKIFY = Layout(
    key="clockify",
    label="Clockify",
    header=(
        "Project",
        "Client",
        "Description",
        "Task",
        "User",
        "Group",
        "Email",
        "Tags",
        "Billable",
        "Start Date",
        "Start Time",
        "End Date",
        "End Time",
        "Duration (h)",
        "Duration (decimal)",
        "Billable Rate (USD)",
        "Billable Amount (USD)",
    ),  # fmt: skip
    email="Email",
    description="Description",
    task="Task",
    billable="Billable",
    start_date="Start Date",
    start_time="Start Time",
    end_date="End Date",
    end_time="End Time",
    markers=("group", "duration (h)", "duration (decimal)", "billable rate (", "billable amount ("),
)
LAYOUTS = (TOGGL, CLOCKIFY)


def _norm(name: str) -> str:
    return " ".join(name.strip().split()).casefold()


def _has_marker(columns: set[str], layout: Layout) -> bool:
    return any(
        any(column.startswith(marker) for column in columns)
        if marker.endswith("(")
        else marker in columns
        for marker in layout.markers
    )


def layout_detect(header: Sequence[str], *, need_email: bool = True) -> Layout:
    """The layout whose header this is. Raises ``ImportFileError`` naming the
    missing columns when it is neither export (or one with columns missing)."""
    columns = {_norm(cell) for cell in header}
    candidates = [layout for layout in LAYOUTS if _has_marker(columns, layout)]
    if len(candidates) != 1:
        # No (or both) markers: judge by the columns each needs.
        candidates = sorted(
            LAYOUTS,
            key=lambda layout: (
                -sum(_norm(c) in columns for c in layout.required(need_email=need_email))
            ),
        )
    layout = candidates[0]
    missing = [c for c in layout.required(need_email=need_email) if _norm(c) not in columns]
    if missing:
        raise ImportFileError(
            "Not a Toggl Track or Clockify detailed export: the header lacks "
            f"{', '.join(missing)} (the columns of a {layout.label} export)."
        )
    return layout


# --- Reading the file -----------------------------------------------------------------


@dataclass(frozen=True)
class ImportRow:
    """One data row as written in the file. ``number`` is the row as a
    spreadsheet shows it: the header is row 1."""

    number: int
    values: dict[str, str]  # by the layout's column names

    def get(self, column: str) -> str:
        return self.values.get(column, "").strip()


@dataclass(frozen=True)
class ImportFile:
    layout: Layout
    rows: list[ImportRow]


def csv_read(text: str, *, need_email: bool = True) -> ImportFile:
    """Parse an export's text (a UTF-8 byte order mark is dropped): its layout
    and its non-blank rows. Raises ``ImportFileError``."""
    text = text.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            raise ImportFileError(
                "The file is empty: expected a header row, then one row per entry."
            )
        layout = layout_detect(header, need_email=need_email)
        index = {_norm(cell): i for i, cell in reversed(list(enumerate(header)))}
        wanted = {
            column: index.get(_norm(column))
            for column in (
                layout.email,
                layout.description,
                layout.task,
                layout.billable,
                layout.start_date,
                layout.start_time,
                layout.end_date,
                layout.end_time,
            )
        }
        rows = []
        for number, record in enumerate(reader, start=2):
            if not any(cell.strip() for cell in record):
                continue
            values = {
                column: record[i] if i is not None and i < len(record) else ""
                for column, i in wanted.items()
            }
            rows.append(ImportRow(number=number, values=values))
    except csv.Error as exc:
        raise ImportFileError(
            f"The file is not valid CSV near line {reader.line_num}: {exc}."
        ) from None
    return ImportFile(layout=layout, rows=rows)


# --- Reading a row ----------------------------------------------------------------------


class RowRefused(Exception):  # noqa: N818 -- a refusal, as DomainError is
    def __init__(self, column: str, code: RowCode, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.code = code
        self.message = message


# NUL, and the surrogate code points: valid in a Python str, storable in no
# text column (PostgreSQL refuses a NUL with a DataError, which would end the
# whole import with a traceback instead of refusing the one row).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_DATE = re.compile(r"^(\d{1,4})[/.-](\d{1,2})[/.-](\d{1,4})$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(?:([AaPp])\.?[Mm]\.?)?$")


def parse_date(text: str, *, column: str, order: DateOrder = DateOrder.MDY) -> dt.date:
    """``2026-11-30`` always; ``11/30/2026`` (or ``30/11/2026`` with
    ``DateOrder.DMY``) otherwise. A date outside ``TIME_DAYS`` is refused
    too (``invalid_date``): near year 1 or 9999 its instant overflows."""
    match = _DATE.match(text.strip())
    try:
        if match is None:
            raise ValueError
        a, b, c = match.groups()
        if len(a) == 4:
            day = dt.date(int(a), int(b), int(c))
        else:
            if len(c) != 4:
                raise ValueError
            month, day_of_month = (a, b) if order == DateOrder.MDY else (b, a)
            day = dt.date(int(c), int(month), int(day_of_month))
    except ValueError:
        raise RowRefused(
            column,
            RowCode.INVALID_DATE,
            f"{text!r} is not a date; expected YYYY-MM-DD or {order.value}.",
        ) from None
    try:
        return require_day(day, field=column)
    except ValidationFailed as exc:
        raise RowRefused(column, RowCode.INVALID_DATE, exc.message) from None


def parse_time(text: str, *, column: str) -> dt.time:
    """``09:00``, ``09:00:15``, ``9:00 AM``, ``05:30 PM``."""
    match = _TIME.match(text.strip())
    try:
        if match is None:
            raise ValueError
        hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
        if match[4]:
            if not 1 <= hour <= 12:
                raise ValueError
            hour = hour % 12 + (12 if match[4] in "Pp" else 0)
        return dt.time(hour, minute, second)
    except ValueError:
        raise RowRefused(
            column,
            RowCode.INVALID_TIME,
            f"{text!r} is not a time of day; expected 17:30, 17:30:00 or 05:30 PM.",
        ) from None


def local_instant(day: dt.date, time: dt.time, zone: ZoneInfo, *, column: str) -> dt.datetime:
    """The instant (in UTC) of a wall-clock time, by the time service's rule:
    refused when the clocks skip it that day, the first of the two when it
    happens twice.

    UTC, not ``zone``: Python subtracts two datetimes of one tzinfo on the
    wall clock, so 01:30 BST to 02:30 GMT would be one hour, not two."""
    try:
        return local_datetime(day, time, zone, field=column).astimezone(dt.UTC)
    except ValidationFailed as exc:
        code = RowCode.INVALID_DATE if exc.code == "invalid_date" else RowCode.NONEXISTENT_TIME
        raise RowRefused(column, code, exc.message) from None
    except OverflowError:
        # A far-off day and a zone's offset can leave the years Python counts.
        raise RowRefused(
            column, RowCode.INVALID_DATE, f"{day:%Y-%m-%d} {time:%H:%M} is out of range."
        ) from None


def parse_billable(text: str, *, column: str) -> bool:
    value = text.strip().casefold()
    if value in ("", "yes", "true", "1"):
        return True  # an empty cell: billable, as time on an engagement is by default
    if value in ("no", "false", "0"):
        return False
    raise RowRefused(column, RowCode.INVALID_BILLABLE, f"{text!r}: expected Yes or No.")


def _require_storable(row: ImportRow) -> None:
    """Refuse a row with a cell the database cannot store (``invalid_characters``),
    naming the first such column: before any query sees its text."""
    for column, value in row.values.items():
        if _UNSTORABLE.search(value):
            what = "a NUL character (U+0000)" if "\x00" in value else "an unpaired surrogate"
            raise RowRefused(
                column,
                RowCode.INVALID_CHARACTERS,
                f"{column} contains {what}, which cannot be stored: remove it.",
            )


def _required(row: ImportRow, column: str) -> str:
    value = row.get(column)
    if not value:
        raise RowRefused(column, RowCode.MISSING_VALUE, f"{column} is empty.")
    return value


def _note(row: ImportRow, layout: Layout) -> str:
    description, task = row.get(layout.description), row.get(layout.task)
    if task and description and task != description:
        return f"{description} ({task})"
    return description or task


# --- The import ---------------------------------------------------------------------------


class Outcome(StrEnum):
    IMPORTED = "imported"
    ALREADY_IMPORTED = "already imported"
    REFUSED = "refused"


@dataclass(frozen=True)
class RowResult:
    number: int
    outcome: Outcome
    column: str = ""  # the column at fault, when the file says which
    code: str = ""  # a RowCode, or the time service's code
    message: str = ""


@dataclass
class ImportReport:
    layout: Layout
    dry_run: bool
    skip_bad_rows: bool
    results: list[RowResult] = field(default_factory=list)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for result in self.results if result.outcome == outcome)

    @property
    def refused(self) -> list[RowResult]:
        return [result for result in self.results if result.outcome == Outcome.REFUSED]

    @property
    def written(self) -> bool:
        """Whether the import's entries were kept (none are on a dry run, or
        when a row was refused without ``skip_bad_rows``)."""
        return not self.dry_run and (self.skip_bad_rows or not self.refused)

    def summary(self) -> str:
        """``12 rows: 10 imported, 2 refused``, and what happened to them."""
        total = len(self.results)
        imported = self.count(Outcome.IMPORTED)
        already = self.count(Outcome.ALREADY_IMPORTED)
        refused = len(self.refused)
        if self.dry_run:
            parts = [f"{imported} would be imported"]
        elif self.written:
            parts = [f"{imported} imported"]
        else:
            parts = [f"{imported} good"]
        if already:
            parts.append(f"{already} already imported")
        parts.append(f"{refused} refused")
        text = f"{total} row{'' if total == 1 else 's'}: {', '.join(parts)}"
        if self.dry_run:
            return f"{text} (dry run: nothing was written)"
        if not self.written:
            return f"{text}; nothing was imported"
        if refused:
            return f"{text} (skipped)"
        return text


# What the time service's ``field`` is, in the file's terms.
def _column_of(layout: Layout, service_field: str | None) -> str:
    return {
        "started_at": f"{layout.start_date} / {layout.start_time}",
        "ended_at": f"{layout.end_date} / {layout.end_time}",
    }.get(service_field or "", "")


def _members(rows: Sequence[ImportRow], layout: Layout) -> dict[str, User]:
    # An address with a NUL is no one's (its row is refused): the database
    # must not see it, PostgreSQL would end the import with a DataError.
    emails = {
        email
        for email in (row.get(layout.email).casefold() for row in rows)
        if email and not _UNSTORABLE.search(email)
    }
    users = (
        User.objects.select_related("profile")
        .annotate(email_lower=Lower("email"))
        .filter(email_lower__in=emails)
    )
    return {user.email.casefold(): user for user in users}


def source_for(layout: Layout, file_name: str, number: int) -> str:
    """``toggl:<file name>:row 12``; a long file name is shortened, never the row."""
    tail = f":row {number}"
    room = SOURCE_MAX_LENGTH - len(layout.key) - 1 - len(tail)
    return f"{layout.key}:{file_name[:room]}{tail}"


def timesheet_import(
    *,
    engagement: Engagement,
    data: ImportFile,
    file_name: str,
    member: User | None = None,
    timezone: str | None = None,
    date_order: DateOrder = DateOrder.MDY,
    dry_run: bool = False,
    skip_bad_rows: bool = False,
    on_row: Callable[[RowResult], None] | None = None,
) -> ImportReport:
    """Record each row of ``data`` on ``engagement`` through
    ``time_entry_record`` (kind ``import``, recorded by the member), and say
    what became of each.

    ``member``: every row is theirs (the file's Email column is ignored);
    otherwise each row's Email names an account (``unknown_member``).
    ``timezone`` (an IANA name, already validated) overrides each member's
    own for reading the rows' local times.

    Writes nothing when a row is refused unless ``skip_bad_rows`` (then the
    good rows are kept); writes nothing on a ``dry_run``. Runs in its own
    ``transaction.atomic()`` block with a savepoint per row; call it inside
    the caller's transaction (a command's ``atomic(durable=True)``).
    """
    layout = data.layout
    report = ImportReport(layout=layout, dry_run=dry_run, skip_bad_rows=skip_bad_rows)
    members = {} if member is not None else _members(data.rows, layout)
    zones: dict[str, ZoneInfo] = {}
    with transaction.atomic():
        for row in data.rows:
            result = _import_row(
                row,
                layout=layout,
                engagement=engagement,
                member=member,
                members=members,
                timezone=timezone,
                zones=zones,
                date_order=date_order,
                file_name=file_name,
            )
            report.results.append(result)
            if on_row is not None:
                on_row(result)
        if not report.written:
            transaction.set_rollback(True)
    return report


def _import_row(
    row: ImportRow,
    *,
    layout: Layout,
    engagement: Engagement,
    member: User | None,
    members: dict[str, User],
    timezone: str | None,
    zones: dict[str, ZoneInfo],
    date_order: DateOrder,
    file_name: str,
) -> RowResult:
    try:
        _require_storable(row)
        who = member
        if who is None:
            email = _required(row, layout.email)
            who = members.get(email.casefold())
            if who is None:
                raise RowRefused(
                    layout.email, RowCode.UNKNOWN_MEMBER, f"No member has the address {email}."
                )
        tz = timezone or who.profile.timezone
        zone = zones.setdefault(tz, ZoneInfo(tz))
        start_day = parse_date(
            _required(row, layout.start_date), column=layout.start_date, order=date_order
        )
        start_time = parse_time(_required(row, layout.start_time), column=layout.start_time)
        end_day = parse_date(
            _required(row, layout.end_date), column=layout.end_date, order=date_order
        )
        end_time = parse_time(_required(row, layout.end_time), column=layout.end_time)
        billable = parse_billable(row.get(layout.billable), column=layout.billable)
        started_at = local_instant(start_day, start_time, zone, column=layout.start_time)
        ended_at = local_instant(end_day, end_time, zone, column=layout.end_time)
    except RowRefused as refusal:
        return RowResult(
            row.number, Outcome.REFUSED, refusal.column, refusal.code.value, refusal.message
        )
    already = (
        TimeEntry.objects.filter(
            member=who, engagement=engagement, started_at=started_at, ended_at=ended_at
        )
        .exclude(kind=TimeEntry.Kind.ADJUSTMENT)
        .exists()
    )
    if already:
        return RowResult(row.number, Outcome.ALREADY_IMPORTED)
    try:
        with transaction.atomic():
            time_entry_record(
                engagement=engagement,
                member=who,
                started_at=started_at,
                ended_at=ended_at,
                note=_note(row, layout),
                billable=billable,
                kind=TimeEntry.Kind.IMPORT,
                source=source_for(layout, file_name, row.number),
                recorded_by=who,
            )
    except DomainError as refusal:
        return RowResult(
            row.number,
            Outcome.REFUSED,
            _column_of(layout, refusal.field),
            refusal.code,
            refusal.message,
        )
    return RowResult(row.number, Outcome.IMPORTED)
