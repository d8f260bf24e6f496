"""Changing and deleting one's own entries; local times typed by hand."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction

from mutualist.core.errors import DomainError
from mutualist.members.models import User
from mutualist.testing import Work
from mutualist.work.models import TimeEntry, Timesheet
from mutualist.work.services.time import (
    local_datetime,
    time_entry_delete,
    time_entry_record,
    time_entry_update,
    timer_start,
)

UTC = dt.UTC
MANILA = ZoneInfo("Asia/Manila")
NOW = dt.datetime(2026, 12, 9, 4, 0, tzinfo=UTC)  # Wednesday 9 Dec, 12:00 in Manila


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def manila(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=MANILA)


def log(work: Work, member: User, day: int, start: int, end: int) -> TimeEntry:
    with transaction.atomic():
        return time_entry_record(
            engagement=work.engagement, member=member, started_at=manila(day, start),
            ended_at=manila(day, end), note="first", recorded_by=member,
        )  # fmt: skip


def update(entry: TimeEntry, by: User, **changes: object) -> TimeEntry:
    with transaction.atomic():
        return time_entry_update(entry=entry, by=by, **changes)  # type: ignore[arg-type]


def refused(entry: TimeEntry, by: User, **changes: object) -> DomainError:
    before = list(TimeEntry.objects.values().order_by("pk"))
    with pytest.raises(DomainError) as caught:
        update(entry, by, **changes)
    assert list(TimeEntry.objects.values().order_by("pk")) == before
    return caught.value


def test_a_member_changes_the_times_note_and_flag_of_an_entry(work: Work) -> None:
    entry = log(work, work.cast.ben, 8, 9, 10)
    changed = update(
        entry, work.cast.ben, started_at=manila(8, 8, 30), note=" second ", billable=False
    )
    changed.refresh_from_db()
    assert (changed.started_at, changed.ended_at, changed.minutes) == (
        manila(8, 8, 30),
        manila(8, 10),
        90,
    )
    assert (changed.note, changed.billable) == ("second", False)


def test_moving_an_entry_into_another_week_moves_its_timesheet(work: Work) -> None:
    entry = log(work, work.cast.ben, 8, 9, 10)
    moved = update(entry, work.cast.ben, started_at=manila(4, 9), ended_at=manila(4, 10))
    assert moved.timesheet.week_start == dt.date(2026, 11, 30)
    assert Timesheet.objects.filter(member=work.cast.ben).count() == 2


def test_it_refuses_an_edit_that_overlaps_naming_the_other_entry(work: Work) -> None:
    first = log(work, work.cast.ben, 8, 9, 10)
    second = log(work, work.cast.ben, 8, 11, 12)
    error = refused(second, work.cast.ben, started_at=manila(8, 9, 30))
    assert error.code == "overlapping_entry"
    assert f"entry #{first.pk}" in error.message


def test_it_refuses_an_edit_ending_before_it_starts(work: Work) -> None:
    entry = log(work, work.cast.ben, 8, 9, 10)
    assert refused(entry, work.cast.ben, ended_at=manila(8, 8)).code == "ends_before_start"


def test_it_refuses_an_edit_past_the_cap(work: Work) -> None:
    entry = log(work, work.cast.ben, 8, 0, 9)
    log(work, work.cast.ben, 8, 10, 11)
    assert refused(entry, work.cast.ben, started_at=manila(7, 23, 59)).code == ("over_weekly_cap")


def test_it_refuses_someone_elses_entry(work: Work) -> None:
    entry = log(work, work.cast.ben, 8, 9, 10)
    # even a coordinator: a member's entries are theirs to change
    error = refused(entry, work.cast.ana, note="mine now")
    assert (error.code, error.status) == ("not_allowed", 403)
    with pytest.raises(DomainError) as caught:
        time_entry_delete(entry=entry, by=work.cast.ana)
    assert caught.value.code == "not_allowed"
    assert TimeEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.parametrize(("state", "code"), [("submitted", "week_submitted")])
def test_it_refuses_changes_in_a_submitted_week(work: Work, state: str, code: str) -> None:
    entry = log(work, work.cast.ben, 8, 9, 10)
    Timesheet.objects.filter(pk=entry.timesheet_id).update(state=state)
    entry.refresh_from_db()
    assert refused(entry, work.cast.ben, note="late").code == code
    with pytest.raises(DomainError) as caught:
        time_entry_delete(entry=entry, by=work.cast.ben)
    assert caught.value.code == code
    assert TimeEntry.objects.filter(pk=entry.pk).exists()


def test_it_refuses_moving_an_entry_into_a_submitted_week(work: Work) -> None:
    earlier = log(work, work.cast.ben, 1, 9, 10)
    Timesheet.objects.filter(pk=earlier.timesheet_id).update(state="submitted")
    entry = log(work, work.cast.ben, 8, 9, 10)
    error = refused(entry, work.cast.ben, started_at=manila(2, 9), ended_at=manila(2, 10))
    assert error.code == "week_submitted"


def test_a_running_timer_takes_a_new_note_but_not_new_times(work: Work) -> None:
    with transaction.atomic():
        running = timer_start(engagement=work.engagement, member=work.cast.ben)
    assert update(running, work.cast.ben, note="Payroll").note == "Payroll"
    error = refused(running, work.cast.ben, started_at=manila(9, 11))
    assert (error.code, error.status) == ("timer_running", 409)


def test_a_member_deletes_an_entry_and_a_running_timer(work: Work) -> None:
    entry = log(work, work.cast.ben, 8, 9, 10)
    with transaction.atomic():
        time_entry_delete(entry=entry, by=work.cast.ben)
        running = timer_start(engagement=work.engagement, member=work.cast.ben)
        time_entry_delete(entry=running, by=work.cast.ben)
    assert not TimeEntry.objects.exists()


# --- local times typed by hand ------------------------------------------------------------


def test_a_local_time_skipped_by_the_clocks_is_refused() -> None:
    # Sydney skips 02:00-03:00 on Sunday 4 October 2026
    with pytest.raises(DomainError) as caught:
        local_datetime(
            dt.date(2026, 10, 4), dt.time(2, 30), ZoneInfo("Australia/Sydney"), field="start"
        )
    assert (caught.value.code, caught.value.field) == ("nonexistent_time", "start")


def test_a_repeated_local_time_is_its_first_occurrence() -> None:
    # Sydney repeats 02:00-03:00 on Sunday 5 April 2026: 02:30 is first AEDT
    found = local_datetime(
        dt.date(2026, 4, 5), dt.time(2, 30), ZoneInfo("Australia/Sydney"), field="start"
    )
    assert found.astimezone(UTC) == dt.datetime(2026, 4, 4, 15, 30, tzinfo=UTC)
