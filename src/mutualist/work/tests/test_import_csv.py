"""Reading Toggl Track and Clockify CSV exports: the layout from the header,
dates, times and yes/no as each tracker writes them (no database)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from mutualist.work.services.imports import (
    CLOCKIFY,
    TOGGL,
    DateOrder,
    ImportFileError,
    RowCode,
    RowRefused,
    csv_read,
    layout_detect,
    local_instant,
    parse_billable,
    parse_date,
    parse_time,
    source_for,
)

DATA = Path(__file__).parent / "data"


def test_a_toggl_export_is_recognised_and_its_bom_dropped() -> None:
    text = (DATA / "toggl_detailed.csv").read_bytes().decode("utf-8")
    assert text.startswith("\ufeff")

    data = csv_read(text)

    assert data.layout is TOGGL
    assert [row.number for row in data.rows] == [2, 3, 4, 5]
    first, second = data.rows[0], data.rows[1]
    assert first.get("Email") == "ana@example.org"
    assert first.get("Description") == "Inbox triage, refunds and exchanges"
    assert second.get("Description") == 'Calls from the "urgent" list'
    assert second.get("Start time") == "12:30:00"


def test_a_clockify_export_is_recognised_with_its_crlf_line_ends() -> None:
    data = csv_read((DATA / "clockify_detailed.csv").read_text(encoding="utf-8"))

    assert data.layout is CLOCKIFY
    assert [row.number for row in data.rows] == [2, 3, 4]
    assert data.rows[1].get("Description") == "Calls, second round"
    assert data.rows[1].get("Start Time") == "12:30 PM"


def test_the_header_is_matched_whatever_the_case_order_and_spacing() -> None:
    header = [" email", "START DATE ", "Start  Time", "End Date", "End Time", "Description",
              "Billable", "Duration (decimal)"]  # fmt: skip

    assert layout_detect(header) is CLOCKIFY


def test_a_header_of_neither_export_names_the_missing_columns() -> None:
    with pytest.raises(ImportFileError) as caught:
        csv_read("Date,Hours,Notes\n2026-12-07,3,Inbox\n")

    assert str(caught.value) == (
        "Not a Toggl Track or Clockify detailed export: the header lacks Email, Description, "
        "Billable, Start date, Start time, End date, End time (the columns of a Toggl Track "
        "export)."
    )


def test_a_toggl_header_missing_a_column_names_it() -> None:
    header = "User,Email,Description,Billable,Start date,Start time,End time,Duration\n"

    with pytest.raises(ImportFileError, match=r"lacks End date \(the columns of a Toggl Track"):
        csv_read(header)


def test_the_email_column_is_not_needed_when_the_member_is_named() -> None:
    header = "Description,Billable,Start date,Start time,End date,End time,Duration\n"

    assert csv_read(header, need_email=False).layout is TOGGL
    with pytest.raises(ImportFileError, match="lacks Email"):
        csv_read(header)


@pytest.mark.parametrize("text", ["", "\ufeff", "\n\n", ",,,\n"])
def test_an_empty_file_is_refused(text: str) -> None:
    with pytest.raises(ImportFileError, match="The file is empty"):
        csv_read(text)


def test_blank_lines_are_skipped_but_keep_the_spreadsheet_row_numbers() -> None:
    text = (
        "Email,Description,Billable,Start date,Start time,End date,End time,Duration\n"
        "a@example.org,One,Yes,2026-12-07,09:00:00,2026-12-07,10:00:00,01:00:00\n"
        "\n"
        '"b@example.org","Two,\nlines",No,2026-12-07,09:00:00,2026-12-07,10:00:00,01:00:00\n'
        "c@example.org,Three,No,2026-12-07,09:00:00,2026-12-07,10:00:00,01:00:00\n"
    )

    rows = csv_read(text).rows

    assert [(row.number, row.get("Email")) for row in rows] == [
        (2, "a@example.org"),
        (4, "b@example.org"),
        (5, "c@example.org"),
    ]
    assert rows[1].get("Description") == "Two,\nlines"


def test_a_short_row_reads_its_missing_cells_as_empty() -> None:
    text = (
        "Email,Description,Billable,Start date,Start time,End date,End time,Duration\na@x.org,One\n"
    )

    row = csv_read(text).rows[0]

    assert row.get("End time") == ""


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        ("2026-11-30", DateOrder.MDY, dt.date(2026, 11, 30)),
        ("2026-11-30", DateOrder.DMY, dt.date(2026, 11, 30)),
        ("11/30/2026", DateOrder.MDY, dt.date(2026, 11, 30)),
        ("30/11/2026", DateOrder.DMY, dt.date(2026, 11, 30)),
        ("05/11/2026", DateOrder.MDY, dt.date(2026, 5, 11)),
        ("05/11/2026", DateOrder.DMY, dt.date(2026, 11, 5)),
        ("5/1/2026", DateOrder.MDY, dt.date(2026, 5, 1)),
    ],
)
def test_dates_in_each_trackers_formats(text: str, order: DateOrder, expected: dt.date) -> None:
    assert parse_date(text, column="Start Date", order=order) == expected


@pytest.mark.parametrize("text", ["30/11/2026", "2026-13-01", "2026-02-30", "11/30/26", "soon", ""])
def test_a_date_that_is_not_one_is_refused_naming_the_column(text: str) -> None:
    with pytest.raises(RowRefused) as caught:
        parse_date(text, column="Start Date", order=DateOrder.MDY)

    assert (caught.value.column, caught.value.code) == ("Start Date", RowCode.INVALID_DATE)
    assert caught.value.message == f"{text!r} is not a date; expected YYYY-MM-DD or MM/DD/YYYY."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("09:00:00", dt.time(9)),
        ("17:30", dt.time(17, 30)),
        ("17:30:15", dt.time(17, 30, 15)),
        ("9:05", dt.time(9, 5)),
        ("09:00 AM", dt.time(9)),
        ("05:30 PM", dt.time(17, 30)),
        ("12:00 AM", dt.time(0)),
        ("12:15 PM", dt.time(12, 15)),
        ("11:59:59 pm", dt.time(23, 59, 59)),
        ("07:00AM", dt.time(7)),
    ],
)
def test_times_in_24_and_12_hour_forms(text: str, expected: dt.time) -> None:
    assert parse_time(text, column="Start Time") == expected


@pytest.mark.parametrize("text", ["24:00", "13:00 PM", "00:30 AM", "9", "09:60", "9.30", "noon"])
def test_a_time_that_is_not_one_is_refused(text: str) -> None:
    with pytest.raises(RowRefused) as caught:
        parse_time(text, column="Start time")

    assert (caught.value.column, caught.value.code) == ("Start time", RowCode.INVALID_TIME)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Yes", True), ("yes", True), ("No", False), ("NO", False), ("", True), ("true", True)],
)
def test_billable_is_yes_or_no(text: str, expected: bool) -> None:
    assert parse_billable(text, column="Billable") is expected


def test_billable_refuses_anything_else() -> None:
    with pytest.raises(RowRefused) as caught:
        parse_billable("Maybe", column="Billable")

    assert caught.value.code == RowCode.INVALID_BILLABLE
    assert caught.value.message == "'Maybe': expected Yes or No."


def test_a_local_time_the_clocks_skip_is_refused() -> None:
    new_york = ZoneInfo("America/New_York")

    with pytest.raises(RowRefused) as caught:
        local_instant(dt.date(2026, 3, 8), dt.time(2, 30), new_york, column="Start time")

    assert caught.value.code == RowCode.NONEXISTENT_TIME
    assert caught.value.message == (
        "02:30 does not exist on 08 Mar 2026 in America/New_York: the clocks skip that hour."
    )


def test_a_local_time_that_happens_twice_is_the_first() -> None:
    london = ZoneInfo("Europe/London")

    instant = local_instant(dt.date(2026, 10, 25), dt.time(1, 30), london, column="Start time")

    assert instant.astimezone(dt.UTC) == dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC)


def test_the_source_names_the_tracker_the_file_and_the_row_and_fits_its_column() -> None:
    assert source_for(TOGGL, "week 49.csv", 12) == "toggl:week 49.csv:row 12"
    long = source_for(CLOCKIFY, "x" * 300 + ".csv", 1234)
    assert len(long) == 120
    assert long.startswith("clockify:xxx")
    assert long.endswith(":row 1234")


@pytest.mark.parametrize("text", ["9999-12-31", "0001-01-01", "12/31/1999", "2101-01-01"])
def test_a_date_outside_the_years_time_is_kept_for_is_refused(text: str) -> None:
    with pytest.raises(RowRefused) as caught:
        parse_date(text, column="Start date")

    assert (caught.value.column, caught.value.code) == ("Start date", RowCode.INVALID_DATE)
    assert "outside the dates time is kept for" in caught.value.message


def test_a_local_time_near_the_end_of_the_calendar_is_refused_not_an_overflow() -> None:
    # 23:00 on 31 December 9999 in Honolulu (UTC-10) would be in year 10000 in UTC
    with pytest.raises(RowRefused) as caught:
        local_instant(
            dt.date(9999, 12, 31), dt.time(23), ZoneInfo("Pacific/Honolulu"), column="End time"
        )

    assert (caught.value.column, caught.value.code) == ("End time", RowCode.INVALID_DATE)
