"""`mutualist timesheet import FILE --engagement ID`: Toggl Track and
Clockify exports recorded through the time service, all or nothing, with a
per-row report and exit codes 0 (imported), 1 (rows refused), 2 (bad call
or file)."""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from mutualist.members.models import User
from mutualist.testing import Cast, Work
from mutualist.work.models import Client, Engagement, EngagementMember, TimeEntry, Timesheet
from mutualist.work.services.imports import TOGGL as TOGGL_LAYOUT
from mutualist.work.services.imports import ImportFile, ImportRow, RowCode, timesheet_import

UTC = dt.UTC
DATA = Path(__file__).parent / "data"
TOGGL = DATA / "toggl_detailed.csv"
CLOCKIFY = DATA / "clockify_detailed.csv"
BAD = DATA / "toggl_bad_rows.csv"
TOGGL_HEADER = (
    "User,Email,Client,Project,Task,Description,Billable,Start date,Start time,"
    "End date,End time,Duration,Tags,Amount (USD)"
)
# Saturday 12 December 2026: the week of 7 December is over.
NOW = dt.datetime(2026, 12, 12, 0, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen() -> object:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


class Run:
    def __init__(self, out: str, err: str, code: int) -> None:
        self.out, self.err, self.code = out, err, code


class TerminalIO(io.StringIO):
    def isatty(self) -> bool:
        return True


def run(*args: Any, stderr: io.StringIO | None = None) -> Run:
    out, err = io.StringIO(), stderr or io.StringIO()
    try:
        call_command("timesheet", "import", *map(str, args), stdout=out, stderr=err)
    except CommandError as exc:
        return Run(out.getvalue(), str(exc), exc.returncode)
    return Run(out.getvalue(), err.getvalue(), 0)


def csv_file(tmp_path: Path, *rows: str, header: str = TOGGL_HEADER, name: str = "t.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def toggl_row(email: str, start: str, end: str, note: str = "Work") -> str:
    """A Toggl row from ``2026-12-07 09:00:00``-style start and end."""
    (sd, st), (ed, et) = start.split(), end.split()
    return f"X,{email},C,P,,{note},Yes,{sd},{st},{ed},{et},01:00:00,,25.00"


def counts() -> tuple[int, int]:
    return TimeEntry.objects.count(), Timesheet.objects.count()


def entries() -> list[tuple[Any, ...]]:
    return [
        (e.member.email, e.started_at, e.ended_at, e.minutes, e.note, e.billable, e.source)
        for e in TimeEntry.objects.select_related("member").order_by("started_at")
    ]


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# --- Both layouts --------------------------------------------------------------------


def test_it_imports_a_toggl_export_in_each_members_own_time_zone(work: Work) -> None:
    result = run(TOGGL, "--engagement", work.engagement.pk)

    assert result.code == 0, result.err
    # Ana's times are Manila's (+08:00), Ben's Lagos's (+01:00); his email
    # was written in capitals
    assert entries() == [
        ("ana@example.org", utc(2026, 12, 6, 23), utc(2026, 12, 7, 3, 30), 270,
         "Inbox triage, refunds and exchanges", True, "toggl:toggl_detailed.csv:row 2"),
        ("ana@example.org", utc(2026, 12, 7, 4, 30), utc(2026, 12, 7, 7), 150,
         'Calls from the "urgent" list (Callbacks)', True, "toggl:toggl_detailed.csv:row 3"),
        ("ben@example.org", utc(2026, 12, 8, 8), utc(2026, 12, 8, 9, 15), 75,
         "Bank feed, November (Reconciliation)", False, "toggl:toggl_detailed.csv:row 4"),
        ("ana@example.org", utc(2026, 12, 8, 14), utc(2026, 12, 8, 17), 180,
         "Late chat cover", True, "toggl:toggl_detailed.csv:row 5"),
    ]  # fmt: skip
    entry = TimeEntry.objects.filter(member=work.cast.ben).get()
    assert (entry.kind, entry.created_by, entry.engagement) == (
        TimeEntry.Kind.IMPORT,
        work.cast.ben,
        work.engagement,
    )
    assert result.out.splitlines() == [
        "Importing 4 rows of a Toggl Track export into Customer support, Sydney business "
        f"hours (Harbour Bridge Logistics, engagement {work.engagement.pk}).",
        "4 rows: 4 imported, 0 refused",
    ]
    assert result.err == ""


def test_it_imports_a_clockify_export_with_12_hour_times(work: Work) -> None:
    result = run(CLOCKIFY, "--engagement", work.engagement.pk)

    assert result.code == 0, result.err
    assert entries() == [
        ("ana@example.org", utc(2026, 12, 6, 23), utc(2026, 12, 7, 3, 30), 270,
         "Inbox triage, refunds and exchanges", True, "clockify:clockify_detailed.csv:row 2"),
        ("ana@example.org", utc(2026, 12, 7, 4, 30), utc(2026, 12, 7, 7), 150,
         "Calls, second round (Callbacks)", True, "clockify:clockify_detailed.csv:row 3"),
        ("ben@example.org", utc(2026, 12, 8, 16), utc(2026, 12, 8, 17, 15, 30), 76,
         "Bank feed, November (Reconciliation)", False, "clockify:clockify_detailed.csv:row 4"),
    ]  # fmt: skip
    assert result.out.splitlines()[-1] == "3 rows: 3 imported, 0 refused"


def test_clockify_dates_written_day_first_need_the_date_format(work: Work, tmp_path: Path) -> None:
    header = (DATA / "clockify_detailed.csv").read_text().splitlines()[0]
    row = (
        "Support,H,Cover,,Ana,,ana@example.org,,Yes,08/12/2026,09:00,08/12/2026,10:00,"
        "01:00:00,1.00,25.00,25.00"
    )
    path = csv_file(tmp_path, row, header=header)

    # read as MM/DD/YYYY, 08/12 is 12 August: before the engagement started
    refused = run(path, "--engagement", work.engagement.pk)
    accepted = run(path, "--engagement", work.engagement.pk, "--date-format", "DD/MM/YYYY")

    assert refused.code == 1
    assert "outside_engagement" in refused.out
    assert accepted.code == 0, accepted.out
    assert entries()[0][1] == utc(2026, 12, 8, 1)


# --- All or nothing --------------------------------------------------------------------


def test_a_bad_row_means_nothing_is_written_and_the_report_names_it(work: Work) -> None:
    result = run(BAD, "--engagement", work.engagement.pk)

    assert result.code == 1
    assert counts() == (0, 0)
    lines = result.out.splitlines()
    assert any(
        line.split() == ["3", "Start", "date", "invalid_date", "'2026-12-32'", "is", "not", "a",
                         "date;", "expected", "YYYY-MM-DD", "or", "MM/DD/YYYY."]
        for line in (ln.replace("│", " ").replace("┃", " ") for ln in lines)
    ), result.out  # fmt: skip
    row_4 = next(
        ln for ln in lines if ln.replace("│", " ").split()[:3] == ["4", "-", "not_on_team"]
    )
    assert "Olga Petrova is not on the team of Customer support" in row_4
    assert lines[-1] == "4 rows: 2 good, 2 refused; nothing was imported"
    assert result.err == (
        "2 rows refused, so nothing was imported: fix them, or pass --skip-bad-rows to "
        "import the others."
    )


def test_skip_bad_rows_writes_the_good_ones(work: Work) -> None:
    result = run(BAD, "--engagement", work.engagement.pk, "--skip-bad-rows")

    assert result.code == 0
    assert [(e[0], e[6]) for e in entries()] == [
        ("ana@example.org", "toggl:toggl_bad_rows.csv:row 2"),
        ("ben@example.org", "toggl:toggl_bad_rows.csv:row 5"),
    ]
    assert result.out.splitlines()[-1] == "4 rows: 2 imported, 2 refused (skipped)"
    assert "invalid_date" in result.out and "not_on_team" in result.out


def test_a_dry_run_checks_every_row_and_writes_nothing(work: Work) -> None:
    good = run(TOGGL, "--engagement", work.engagement.pk, "--dry-run")
    bad = run(BAD, "--engagement", work.engagement.pk, "--dry-run")

    assert counts() == (0, 0)
    assert good.code == 0
    assert good.out.splitlines()[0].startswith("Checking 4 rows of a Toggl Track export")
    assert good.out.splitlines()[-1] == (
        "4 rows: 4 would be imported, 0 refused (dry run: nothing was written)"
    )
    assert bad.code == 1
    assert bad.err == "2 rows would be refused."
    assert "not_on_team" in bad.out


def test_a_dry_run_with_skip_bad_rows_still_writes_nothing(work: Work) -> None:
    result = run(BAD, "--engagement", work.engagement.pk, "--dry-run", "--skip-bad-rows")

    assert result.code == 0
    assert counts() == (0, 0)
    assert result.out.splitlines()[-1] == (
        "4 rows: 2 would be imported, 2 refused (dry run: nothing was written)"
    )


def test_importing_the_same_file_again_skips_what_is_already_there(work: Work) -> None:
    run(TOGGL, "--engagement", work.engagement.pk)
    before = entries()

    again = run(TOGGL, "--engagement", work.engagement.pk)

    assert again.code == 0
    assert entries() == before
    assert again.out.splitlines()[-2:] == [
        "Already imported, skipped: rows 2-5.",
        "4 rows: 0 imported, 4 already imported, 0 refused",
    ]


def test_rows_that_overlap_each_other_refuse_the_later_one(work: Work, tmp_path: Path) -> None:
    path = csv_file(
        tmp_path,
        toggl_row("ana@example.org", "2026-12-07 09:00:00", "2026-12-07 11:00:00"),
        toggl_row("ana@example.org", "2026-12-07 10:30:00", "2026-12-07 12:00:00"),
    )

    result = run(path, "--engagement", work.engagement.pk)

    assert result.code == 1
    assert counts() == (0, 0)
    assert "overlapping_entry" in result.out
    assert "Start date / Start time" in result.out


def test_an_unknown_address_is_a_row_error(work: Work, tmp_path: Path) -> None:
    path = csv_file(
        tmp_path, toggl_row("nobody@example.org", "2026-12-07 09:00:00", "2026-12-07 10:00:00")
    )

    result = run(path, "--engagement", work.engagement.pk)

    assert result.code == 1
    assert "unknown_member" in result.out
    assert "No member has the address nobody@example.org." in result.out


def test_a_member_not_on_the_team_is_refused_by_the_time_service(
    work: Work, tmp_path: Path
) -> None:
    # Carla is a member of collective B, not on Harbour's team
    path = csv_file(
        tmp_path, toggl_row("carla@example.org", "2026-12-07 09:00:00", "2026-12-07 10:00:00")
    )

    result = run(path, "--engagement", work.engagement.pk)

    assert result.code == 1
    assert counts() == (0, 0)
    assert "not_on_team" in result.out


def test_member_names_whose_time_every_row_is(work: Work, tmp_path: Path) -> None:
    path = csv_file(
        tmp_path,
        toggl_row("someone@old-tracker.example", "2026-12-07 09:00:00", "2026-12-07 10:00:00"),
        header=TOGGL_HEADER,
    )

    result = run(path, "--engagement", work.engagement.pk, "--member", "BEN@example.org")

    assert result.code == 0, result.out
    assert [(e[0], e[1]) for e in entries()] == [("ben@example.org", utc(2026, 12, 7, 8))]


def test_timezone_overrides_the_members_own(work: Work) -> None:
    result = run(TOGGL, "--engagement", work.engagement.pk, "--timezone", "Australia/Sydney")

    assert result.code == 0, result.out
    # 07:00 in Sydney (+11:00 in December) is 20:00 UTC the day before
    assert entries()[0][1] == utc(2026, 12, 6, 20)


# --- Text and dates no database takes ---------------------------------------------------


def _refused(result: Run) -> dict[int, list[str]]:
    """The report's refused rows: row number -> the rest of its line's words."""
    rows = {}
    for line in result.out.splitlines():
        words = line.replace("│", " ").split()
        if "│" in line and words and words[0].isdigit():
            rows[int(words[0])] = words[1:]
    return rows


def test_a_cell_with_a_nul_refuses_its_row_not_the_import(work: Work, tmp_path: Path) -> None:
    # given a good row, a Description with a NUL, and an Email with one
    # (PostgreSQL stores neither: a DataError ended the whole import)
    path = csv_file(
        tmp_path,
        toggl_row("ana@example.org", "2026-12-07 09:00:00", "2026-12-07 10:00:00"),
        toggl_row("ana@example.org", "2026-12-07 11:00:00", "2026-12-07 12:00:00", "In\x00box"),
        toggl_row("b\x00en@example.org", "2026-12-07 09:00:00", "2026-12-07 10:00:00"),
    )

    result = run(path, "--engagement", work.engagement.pk, "--skip-bad-rows")

    # then each is refused by the import's own check, named, and the good row is kept
    assert result.code == 0, result.err
    refused = _refused(result)
    assert refused[3][:2] == ["Description", "invalid_characters"]
    assert refused[4][:2] == ["Email", "invalid_characters"]
    assert "Description contains a NUL character (U+0000)" in result.out
    assert result.out.splitlines()[-1] == "3 rows: 1 imported, 2 refused (skipped)"
    assert [(e[0], e[1], e[4]) for e in entries()] == [
        ("ana@example.org", utc(2026, 12, 7, 1), "Work")
    ]


def test_a_nul_is_refused_before_the_time_service_sees_the_row(work: Work) -> None:
    values = {
        "Email": "ana@example.org", "Description": "Inbox", "Task": "Calls\x00",
        "Billable": "Yes", "Start date": "2026-12-07", "Start time": "09:00:00",
        "End date": "2026-12-07", "End time": "10:00:00",
    }  # fmt: skip
    data = ImportFile(layout=TOGGL_LAYOUT, rows=[ImportRow(number=2, values=values)])

    with transaction.atomic():
        report = timesheet_import(
            engagement=work.engagement, data=data, file_name="t.csv", skip_bad_rows=True
        )

    [result] = report.results
    assert (result.outcome, result.column, result.code) == (
        "refused",
        "Task",
        RowCode.INVALID_CHARACTERS,
    )
    assert counts() == (0, 0)


@pytest.mark.parametrize(
    ("zone", "start", "end"),
    [
        ("Pacific/Kiritimati", "9999-12-31 09:00:00", "9999-12-31 10:00:00"),
        ("Pacific/Honolulu", "9999-12-31 22:00:00", "9999-12-31 23:00:00"),  # year 10000 in UTC
        ("Asia/Tokyo", "0001-01-01 00:00:00", "0001-01-01 01:00:00"),  # year 0 in UTC
        ("Europe/London", "1999-12-31 09:00:00", "1999-12-31 10:00:00"),
    ],
)
def test_a_date_out_of_range_refuses_its_row(
    year_round: Engagement, tmp_path: Path, zone: str, start: str, end: str
) -> None:
    path = csv_file(
        tmp_path,
        toggl_row("carla@example.org", "2026-12-07 09:00:00", "2026-12-07 10:00:00"),
        toggl_row("carla@example.org", start, end),
    )

    result = run(path, "--engagement", year_round.pk, "--timezone", zone, "--skip-bad-rows")

    assert result.code == 0, result.err
    assert _refused(result)[3][:3] == ["Start", "date", "invalid_date"]
    assert "outside the dates time is kept for" in result.out
    assert counts() == (1, 1)


# --- Daylight saving -------------------------------------------------------------------


@pytest.fixture
def year_round(cast: Cast) -> Engagement:
    """An engagement running all 2026 with Carla on its team."""
    client = Client.objects.create(
        name="Year Round Ltd", country="GB", timezone="Europe/London", currency="GBP",
        billing_address="3 Lane", created_by=cast.carla,
    )  # fmt: skip
    engagement = Engagement.objects.create(
        collective=cast.collective_b, client=client, title="All year", currency="GBP",
        timezone="Europe/London", status=Engagement.Status.ACTIVE,
        starts_on=dt.date(2026, 1, 1),
    )  # fmt: skip
    EngagementMember.objects.create(
        engagement=engagement, user=cast.carla, role_title="Desk", bill_rate_minor=2000,
        pay_rate_minor=1600, weekly_cap_hours=40,
    )  # fmt: skip
    return engagement


def test_a_time_skipped_in_new_york_is_a_row_error(year_round: Engagement, tmp_path: Path) -> None:
    path = csv_file(
        tmp_path,
        toggl_row("carla@example.org", "2026-03-08 01:00:00", "2026-03-08 01:30:00"),
        toggl_row("carla@example.org", "2026-03-08 02:30:00", "2026-03-08 04:00:00"),
    )

    result = run(path, "--engagement", year_round.pk, "--timezone", "America/New_York")

    assert result.code == 1
    assert counts() == (0, 0)
    row_3 = next(ln for ln in result.out.splitlines() if ln.replace("│", " ").split()[:1] == ["3"])
    assert row_3.replace("│", " ").split()[:4] == ["3", "Start", "time", "nonexistent_time"]
    assert "02:30 does not exist on 08 Mar 2026 in America/New_York" in row_3


def test_a_london_time_that_happens_twice_takes_the_first(
    year_round: Engagement, tmp_path: Path
) -> None:
    path = csv_file(
        tmp_path, toggl_row("carla@example.org", "2026-10-25 01:30:00", "2026-10-25 02:30:00")
    )

    result = run(path, "--engagement", year_round.pk, "--timezone", "Europe/London")

    assert result.code == 0, result.out
    # 01:30 BST (the first) to 02:30 GMT: two real hours
    assert [(e[1], e[2], e[3]) for e in entries()] == [
        (utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 2, 30), 120)
    ]


# --- Bad calls and files (exit 2) ----------------------------------------------------------


def test_an_unknown_engagement_is_one_line_and_exit_2(work: Work) -> None:
    result = run(TOGGL, "--engagement", 999_999)

    assert (result.code, result.err) == (2, "No engagement has the id 999999.")
    assert counts() == (0, 0)


def test_an_unknown_member_an_unknown_zone_and_an_unreadable_file_are_exit_2(
    work: Work, tmp_path: Path
) -> None:
    latin = tmp_path / "latin1.csv"
    latin.write_bytes(TOGGL_HEADER.encode() + "\nJosé,é\n".encode("latin-1"))
    pk = work.engagement.pk

    assert (run(TOGGL, "--engagement", pk, "--member", "x@y.z").code,
            run(TOGGL, "--engagement", pk, "--member", "x@y.z").err) == (
        2, "No member has the address x@y.z.")  # fmt: skip
    zone = run(TOGGL, "--engagement", pk, "--timezone", "Mars/Olympus")
    assert (zone.code, zone.err) == (
        2,
        "Unknown time zone 'Mars/Olympus'; use an IANA name such as Asia/Manila.",
    )
    missing = run(tmp_path / "nope.csv", "--engagement", pk)
    assert (missing.code, missing.err) == (
        2,
        f"Cannot read {tmp_path / 'nope.csv'}: No such file or directory.",
    )
    assert run(latin, "--engagement", pk).err == f"Cannot read {latin}: it is not UTF-8 text."
    assert counts() == (0, 0)


def test_an_unknown_header_is_exit_2_naming_the_missing_columns(work: Work, tmp_path: Path) -> None:
    path = csv_file(tmp_path, "2026-12-07,3,Inbox", header="Date,Hours,Notes")

    result = run(path, "--engagement", work.engagement.pk)

    assert result.code == 2
    assert result.err == (
        f"{path}: Not a Toggl Track or Clockify detailed export: the header lacks Email, "
        "Description, Billable, Start date, Start time, End date, End time (the columns of "
        "a Toggl Track export)."
    )


def test_the_real_command_exits_with_the_documented_codes(tmp_path: Path) -> None:
    # given a migrated throwaway database for a separate process
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        "MUTUALIST_VAR_DIR": str(tmp_path),
    }

    def mutualist(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 (our own interpreter, fixed arguments)
            [sys.executable, "-m", "mutualist", *args],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    assert mutualist("migrate", "--noinput").returncode == 0
    # when
    unknown = mutualist("timesheet", "import", str(TOGGL), "--engagement", "7")
    usage = mutualist("timesheet", "import", str(TOGGL))
    # then
    assert (unknown.returncode, unknown.stderr) == (
        2,
        "CommandError: No engagement has the id 7.\n",
    )
    assert usage.returncode == 2
    assert "--engagement" in usage.stderr


# --- Large files ------------------------------------------------------------------------------


def big_file(tmp_path: Path, rows: int) -> Path:
    """``rows`` ten-minute entries for Ana, Monday 7 December on (Manila time)."""
    start = dt.datetime(2026, 12, 7, 6, 0, tzinfo=UTC)  # only its wall clock is written
    lines = []
    for n in range(rows):
        a = start + dt.timedelta(minutes=10 * n)
        b = a + dt.timedelta(minutes=10)
        lines.append(
            toggl_row("ana@example.org", f"{a:%Y-%m-%d %H:%M:%S}", f"{b:%Y-%m-%d %H:%M:%S}")
        )
    return csv_file(tmp_path, *lines)


def test_a_large_file_imports_quietly_when_not_on_a_terminal(work: Work, tmp_path: Path) -> None:
    result = run(big_file(tmp_path, 201), "--engagement", work.engagement.pk)

    assert result.code == 0, result.out
    assert TimeEntry.objects.count() == 201
    assert result.err == ""


def test_a_large_file_shows_a_progress_bar_on_a_terminals_stderr(
    work: Work, tmp_path: Path
) -> None:
    terminal = TerminalIO()

    result = run(big_file(tmp_path, 201), "--engagement", work.engagement.pk, stderr=terminal)

    assert result.code == 0
    assert "201/201" in terminal.getvalue()
    assert "201/201" not in result.out


def test_a_small_file_shows_no_progress_bar_even_on_a_terminal(work: Work) -> None:
    terminal = TerminalIO()

    run(TOGGL, "--engagement", work.engagement.pk, stderr=terminal)

    assert terminal.getvalue() == ""


def test_only_the_members_own_rows_change(work: Work, cast: Cast) -> None:
    # given Carla's time on her own engagement
    other = User.objects.get(email="carla@example.org")
    assert TimeEntry.objects.filter(member=other).count() == 0

    run(TOGGL, "--engagement", work.engagement.pk)

    assert set(TimeEntry.objects.values_list("member__email", flat=True)) == {
        "ana@example.org",
        "ben@example.org",
    }
    assert set(TimeEntry.objects.values_list("engagement_id", flat=True)) == {work.engagement.pk}
