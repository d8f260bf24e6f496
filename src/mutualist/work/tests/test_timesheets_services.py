"""Submitting a week, approving and returning timesheets, locked entries and
adjustments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import IntegrityError, connection, transaction

from mutualist.core.errors import DomainError
from mutualist.members.models import User
from mutualist.testing import Work, race
from mutualist.work.models import TimeEntry, Timesheet
from mutualist.work.services.time import (
    time_entry_adjust,
    time_entry_delete,
    time_entry_record,
    time_entry_update,
    timer_start,
)
from mutualist.work.services.timesheets import timesheet_approve, timesheet_return, week_submit

UTC = dt.UTC
MANILA = ZoneInfo("Asia/Manila")
NOW = dt.datetime(2026, 12, 5, 4, 0, tzinfo=UTC)  # Saturday 5 Dec, 12:00 in Manila
WEEK = dt.date(2026, 11, 30)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def manila(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=MANILA)


def log(work: Work, member: User, day: int, start: int, end: int, note: str = "") -> TimeEntry:
    with transaction.atomic():
        return time_entry_record(
            engagement=work.engagement, member=member, started_at=manila(day, start),
            ended_at=manila(day, end), note=note, recorded_by=member,
        )  # fmt: skip


def submit(member: User, week: dt.date = WEEK) -> list[Timesheet]:
    with transaction.atomic():
        return week_submit(member=member, week_start=week)


def approve(sheet: Timesheet, by: User) -> Timesheet:
    with transaction.atomic():
        return timesheet_approve(timesheet=sheet, by=by)


def refusal(call: object) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()  # type: ignore[operator]
    return caught.value


def state_of(sheet: Timesheet) -> str:
    return Timesheet.objects.values_list("state", flat=True).get(pk=sheet.pk)


@pytest.fixture
def bens_week(work: Work) -> Timesheet:
    """Ben's 4 h on Harbour this week, submitted."""
    log(work, work.cast.ben, 1, 9, 11, "Reconciliation")
    entry = log(work, work.cast.ben, 2, 9, 11, "Payroll")
    [sheet] = submit(work.cast.ben)
    assert sheet.pk == entry.timesheet_id
    return sheet


# --- submitting -------------------------------------------------------------------------


def test_a_member_submits_every_open_timesheet_of_the_week(work: Work) -> None:
    from mutualist.work.models import EngagementMember

    EngagementMember.objects.create(
        engagement=work.b_engagement, user=work.cast.ben, role_title="Inbox",
        bill_rate_minor=1, pay_rate_minor=1, weekly_cap_hours=5,
    )  # fmt: skip
    log(work, work.cast.ben, 1, 9, 10)
    with transaction.atomic():
        time_entry_record(
            engagement=work.b_engagement, member=work.cast.ben, started_at=manila(1, 18),
            ended_at=manila(1, 19), recorded_by=work.cast.ben,
        )  # fmt: skip
    submitted = submit(work.cast.ben)
    assert sorted(s.engagement_id for s in submitted) == sorted(
        [work.engagement.pk, work.b_engagement.pk]
    )
    assert set(Timesheet.objects.values_list("state", flat=True)) == {"submitted"}
    assert all(s.submitted_at == NOW for s in Timesheet.objects.all())


def test_it_refuses_a_week_with_nothing_to_submit(work: Work) -> None:
    error = refusal(lambda: submit(work.cast.ben))
    assert (error.code, error.status) == ("nothing_to_submit", 409)


def test_it_refuses_to_submit_twice(work: Work, bens_week: Timesheet) -> None:
    assert refusal(lambda: submit(work.cast.ben)).code == "nothing_to_submit"


def test_it_refuses_a_week_that_does_not_start_on_monday(work: Work) -> None:
    log(work, work.cast.ben, 1, 9, 10)
    error = refusal(lambda: submit(work.cast.ben, dt.date(2026, 12, 1)))
    assert (error.code, error.field) == ("invalid_week", "week")
    assert set(Timesheet.objects.values_list("state", flat=True)) == {"open"}


def test_it_refuses_a_week_while_its_timer_runs(work: Work) -> None:
    log(work, work.cast.ben, 1, 9, 10)
    with transaction.atomic():
        timer_start(engagement=work.engagement, member=work.cast.ben)
    error = refusal(lambda: submit(work.cast.ben))
    assert error.code == "timer_running"
    assert set(Timesheet.objects.values_list("state", flat=True)) == {"open"}


def test_it_refuses_a_week_over_its_cap(work: Work) -> None:
    # given Ben's week at 11 h (a stopped timer may leave it there)
    entry = log(work, work.cast.ben, 1, 0, 10)
    TimeEntry.objects.filter(pk=entry.pk).update(
        ended_at=manila(1, 11), minutes=11 * 60
    )  # as timer_stop would have recorded it
    error = refusal(lambda: submit(work.cast.ben))
    assert (error.code, error.status) == ("over_weekly_cap", 422)
    assert state_of(entry.timesheet) == "open"


# --- approving and returning --------------------------------------------------------------


def test_the_client_approves_and_the_entries_lock(
    work: Work, bens_week: Timesheet, django_capture_on_commit_callbacks: Any
) -> None:
    # when Dana (Harbour's contact) approves Ben's week
    with django_capture_on_commit_callbacks(execute=True):
        approved = approve(bens_week, work.dana)
    # then it is approved by her, every entry stamped, and Ben is told
    assert (approved.state, approved.decided_by, approved.decided_at) == (
        "approved",
        work.dana,
        NOW,
    )
    assert set(TimeEntry.objects.values_list("approved_at", "approved_by")) == {(NOW, work.dana.pk)}
    [message] = mail.outbox
    assert message.to == ["ben@example.org"]
    assert message.subject == (
        "Your week of 30 Nov 2026 on Customer support, Sydney business hours was approved"
    )
    assert "Dana Whitlock approved your week of 30 November 2026" in message.body


def test_approved_entries_are_refused_by_the_service_and_by_the_database(
    work: Work, bens_week: Timesheet
) -> None:
    approve(bens_week, work.dana)
    entry = TimeEntry.objects.filter(timesheet=bens_week).first()
    assert entry is not None
    # the service says no to an edit and a delete
    error = refusal(lambda: time_entry_update(entry=entry, by=work.cast.ben, note="changed"))
    assert (error.code, error.status) == ("entry_locked", 409)
    assert refusal(lambda: time_entry_delete(entry=entry, by=work.cast.ben)).code == (
        "entry_locked"
    )
    # and so does the database, to any writer
    with pytest.raises(IntegrityError), transaction.atomic():
        TimeEntry.objects.filter(pk=entry.pk).update(note="changed")
    with pytest.raises(IntegrityError), transaction.atomic():
        TimeEntry.objects.filter(pk=entry.pk).delete()
    entry.refresh_from_db()
    assert entry.note == "Reconciliation"


def test_a_coordinator_approves_a_members_week(work: Work, bens_week: Timesheet) -> None:
    assert approve(bens_week, work.cast.ana).state == "approved"


def test_nobody_approves_their_own_timesheet(work: Work) -> None:
    # given Ana, a coordinator, submits her own week
    log(work, work.cast.ana, 1, 9, 10)
    [sheet] = submit(work.cast.ana)
    # when she approves it, or returns it
    error = refusal(lambda: approve(sheet, work.cast.ana))
    assert (error.code, error.status) == ("own_timesheet", 403)
    error = refusal(lambda: timesheet_return(timesheet=sheet, by=work.cast.ana, comment="x"))
    assert error.code == "own_timesheet"
    # then nothing changed
    assert state_of(sheet) == "submitted"
    assert not TimeEntry.objects.filter(approved_at__isnull=False).exists()


@pytest.mark.parametrize("who", ["ben", "carla", "olga", "evan"])
def test_only_coordinators_and_the_client_decide(
    work: Work, who: str, bens_week: Timesheet
) -> None:
    # Ana's own week, for Ben (a member) to try
    log(work, work.cast.ana, 1, 9, 10)
    [anas] = submit(work.cast.ana)
    person = getattr(work.cast, who, None) or getattr(work, who)
    sheet = anas if who == "ben" else bens_week
    error = refusal(lambda: approve(sheet, person))
    assert (error.code, error.status) == ("not_approver", 403)
    assert state_of(sheet) == "submitted"


def test_only_a_submitted_timesheet_is_decided(work: Work, bens_week: Timesheet) -> None:
    approve(bens_week, work.dana)
    error = refusal(lambda: approve(bens_week, work.cast.ana))
    assert (error.code, error.status) == ("timesheet_not_submitted", 409)
    assert "approved" in error.message
    error = refusal(lambda: timesheet_return(timesheet=bens_week, by=work.cast.ana, comment="Why?"))
    assert error.code == "timesheet_not_submitted"
    assert Timesheet.objects.get(pk=bens_week.pk).decided_by == work.dana


def test_a_returned_week_takes_changes_and_is_submitted_again(
    work: Work, bens_week: Timesheet, django_capture_on_commit_callbacks: Any
) -> None:
    # when Dana returns it with a comment
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        returned = timesheet_return(
            timesheet=bens_week, by=work.dana, comment="  Tuesday was a holiday.  "
        )
    assert (returned.state, returned.comment) == ("returned", "Tuesday was a holiday.")
    assert "Tuesday was a holiday." in mail.outbox[0].body
    # then Ben deletes Tuesday's entry and submits again
    tuesday = TimeEntry.objects.get(note="Reconciliation")
    with transaction.atomic():
        time_entry_delete(entry=tuesday, by=work.cast.ben)
    [again] = submit(work.cast.ben)
    assert again.state == "submitted"
    assert TimeEntry.objects.filter(timesheet=bens_week).count() == 1


def test_a_return_needs_a_comment(work: Work, bens_week: Timesheet) -> None:
    error = refusal(lambda: timesheet_return(timesheet=bens_week, by=work.dana, comment="  "))
    assert (error.code, error.field) == ("required", "comment")
    assert state_of(bens_week) == "submitted"


# --- adjustments ---------------------------------------------------------------------------


def adjust(entry: TimeEntry, by: User, minutes: int, note: str = "Forgot the call") -> TimeEntry:
    with transaction.atomic():
        return time_entry_adjust(entry=entry, by=by, minutes=minutes, note=note)


def test_an_adjustment_corrects_an_approved_entry_and_resubmits_the_week(
    work: Work, bens_week: Timesheet
) -> None:
    approve(bens_week, work.dana)
    entry = TimeEntry.objects.get(note="Payroll")
    # when Ben adds 30 minutes to it
    adjustment = adjust(entry, work.cast.ben, 30)
    # then an adjustment entry points at it, in the same week, unapproved
    assert (adjustment.kind, adjustment.minutes, adjustment.adjusts_id) == (
        "adjustment",
        30,
        entry.pk,
    )
    assert adjustment.timesheet_id == bens_week.pk
    assert adjustment.ended_at is None and adjustment.approved_at is None
    # and the week waits for approval again; the original stays locked
    assert state_of(bens_week) == "submitted"
    entry.refresh_from_db()
    assert entry.approved_at == NOW and entry.minutes == 120
    # when Dana approves again, the adjustment is locked too
    approve(Timesheet.objects.get(pk=bens_week.pk), work.dana)
    adjustment.refresh_from_db()
    assert adjustment.approved_by == work.dana


def test_a_coordinator_may_adjust_a_members_entry(work: Work, bens_week: Timesheet) -> None:
    approve(bens_week, work.dana)
    entry = TimeEntry.objects.get(note="Payroll")
    assert adjust(entry, work.cast.ana, -15).created_by == work.cast.ana


@pytest.mark.parametrize(
    ("minutes", "note", "code"),
    [
        (0, "x", "invalid_minutes"),
        (30, "  ", "required"),
        (-121, "x", "adjustment_below_zero"),
        (9 * 60, "x", "over_weekly_cap"),  # 4 h + 9 h > 10 h
    ],
)
def test_it_refuses_a_bad_adjustment(
    work: Work, bens_week: Timesheet, minutes: int, note: str, code: str
) -> None:
    approve(bens_week, work.dana)
    entry = TimeEntry.objects.get(note="Payroll")
    before = TimeEntry.objects.count()
    assert refusal(lambda: adjust(entry, work.cast.ben, minutes, note)).code == code
    assert TimeEntry.objects.count() == before
    assert state_of(bens_week) == "approved"


def test_adjustments_add_up_and_never_below_zero(work: Work, bens_week: Timesheet) -> None:
    approve(bens_week, work.dana)
    entry = TimeEntry.objects.get(note="Payroll")
    adjust(entry, work.cast.ben, -100)
    approve(Timesheet.objects.get(pk=bens_week.pk), work.dana)
    assert refusal(lambda: adjust(entry, work.cast.ben, -21)).code == "adjustment_below_zero"
    adjust(entry, work.cast.ben, -20)  # exactly to zero


def test_it_refuses_an_adjustment_while_the_week_waits_for_approval(
    work: Work, bens_week: Timesheet
) -> None:
    # given Ben's approved week, which his +30 correction sent back for approval
    approve(bens_week, work.dana)
    entry = TimeEntry.objects.get(note="Payroll")
    first = adjust(entry, work.cast.ben, 30, "Forgot the call")
    assert state_of(bens_week) == "submitted"
    # (Dana opens it: the week as she sees it now)
    seen = set(TimeEntry.objects.filter(timesheet=bens_week).values_list("pk", flat=True))
    before = TimeEntry.objects.count()
    # when Ben adds another 4 hours while it waits, as would Ana, his coordinator
    for by in (work.cast.ben, work.cast.ana):
        error = refusal(lambda by=by: adjust(entry, by, 240, "And the whole afternoon"))
        # then both are refused, and nothing changed
        assert (error.code, error.status) == ("week_submitted", 409)
    assert TimeEntry.objects.count() == before
    assert state_of(bens_week) == "submitted"
    # and Dana's approval approves only what she saw
    approve(Timesheet.objects.get(pk=bens_week.pk), work.dana)
    approved = set(
        TimeEntry.objects.filter(timesheet=bens_week, approved_by=work.dana).values_list(
            "pk", flat=True
        )
    )
    assert approved == seen
    first.refresh_from_db()
    assert first.approved_by == work.dana


def test_a_returned_week_still_takes_a_correction(work: Work, bens_week: Timesheet) -> None:
    approve(bens_week, work.dana)
    entry = TimeEntry.objects.get(note="Payroll")
    adjust(entry, work.cast.ben, 30)
    with transaction.atomic():
        timesheet_return(
            timesheet=Timesheet.objects.get(pk=bens_week.pk), by=work.dana, comment="Which call?"
        )
    # a returned week is the member's to change again: the correction goes in
    assert adjust(entry, work.cast.ben, -10).minutes == -10
    assert state_of(bens_week) == "returned"


def test_a_coordinator_does_not_approve_their_own_correction(
    work: Work, bens_week: Timesheet
) -> None:
    # given Ben's approved week, corrected by Ana, a coordinator: back for approval
    approve(bens_week, work.dana)
    entry = TimeEntry.objects.get(note="Payroll")
    correction = adjust(entry, work.cast.ana, 90, "The call ran long")
    sheet = Timesheet.objects.get(pk=bens_week.pk)
    # when Ana approves it herself
    error = refusal(lambda: approve(sheet, work.cast.ana))
    # then she is refused, and nothing changed
    assert (error.code, error.status) == ("own_entries", 403)
    assert state_of(bens_week) == "submitted"
    correction.refresh_from_db()
    assert correction.approved_at is None
    fresh = Timesheet.objects.get(pk=bens_week.pk)
    assert fresh.decided_by_id is None and fresh.decided_at is None
    # and the client (or another coordinator) approves it instead
    approve(sheet, work.dana)
    correction.refresh_from_db()
    assert correction.approved_by == work.dana


def test_a_coordinator_does_not_approve_time_they_recorded_for_a_member(work: Work) -> None:
    # given an hour Ana, a coordinator, recorded for Ben, in his submitted week
    with transaction.atomic():
        recorded = time_entry_record(
            engagement=work.engagement, member=work.cast.ben, started_at=manila(1, 9),
            ended_at=manila(1, 10), recorded_by=work.cast.ana,
        )  # fmt: skip
    [sheet] = submit(work.cast.ben)
    # when Ana approves the week
    error = refusal(lambda: approve(sheet, work.cast.ana))
    # then she is refused, and nothing changed; Dana may
    assert (error.code, error.status) == ("own_entries", 403)
    assert state_of(sheet) == "submitted"
    recorded.refresh_from_db()
    assert recorded.approved_at is None
    approve(sheet, work.dana)
    assert state_of(sheet) == "approved"


def test_it_refuses_to_adjust_an_unapproved_entry_or_an_adjustment(
    work: Work, bens_week: Timesheet
) -> None:
    entry = TimeEntry.objects.get(note="Payroll")
    error = refusal(lambda: adjust(entry, work.cast.ben, 10))
    assert (error.code, error.status) == ("entry_not_approved", 409)
    approve(bens_week, work.dana)
    entry.refresh_from_db()
    adjustment = adjust(entry, work.cast.ben, 10)
    assert refusal(lambda: adjust(adjustment, work.cast.ben, 10)).code == "entry_is_adjustment"


@pytest.mark.parametrize("who", ["carla", "dana"])
def test_it_refuses_an_adjustment_by_someone_else(
    work: Work, bens_week: Timesheet, who: str
) -> None:
    approve(bens_week, work.cast.ana)
    entry = TimeEntry.objects.get(note="Payroll")
    person = getattr(work.cast, who, None) or getattr(work, who)
    error = refusal(lambda: adjust(entry, person, 10))
    assert (error.code, error.status) == ("not_allowed", 403)


# --- races (PostgreSQL) ------------------------------------------------------------------------


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row-lock races need PostgreSQL (set DATABASE_URL); SQLite serialises writers",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_approvers_at_once_cannot_both_act(work: Work) -> None:
    # given Ben's submitted week
    log(work, work.cast.ben, 1, 9, 11)
    [sheet] = submit(work.cast.ben)

    def decide(by: User, returning: bool) -> Timesheet:
        fresh = Timesheet.objects.select_related("engagement").get(pk=sheet.pk)
        with transaction.atomic(durable=True):
            if returning:
                return timesheet_return(timesheet=fresh, by=by, comment="Check Tuesday")
            return timesheet_approve(timesheet=fresh, by=by)

    # when Dana approves while Ana returns it
    outcome = race(lambda: decide(work.dana, False), lambda: decide(work.cast.ana, True))
    # then exactly one acts, the other is told it is no longer waiting
    assert len(outcome.results) == 1
    assert [r.code for r in outcome.refusals] == ["timesheet_not_submitted"]
    final = Timesheet.objects.get(pk=sheet.pk)
    assert final.decided_by == outcome.results[0].decided_by
    approved = TimeEntry.objects.filter(approved_at__isnull=False).count()
    assert approved == (1 if final.state == "approved" else 0)


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row-lock races need PostgreSQL (set DATABASE_URL); SQLite serialises writers",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_timer_starts_at_once_leave_one_running(work: Work) -> None:
    def go() -> TimeEntry:
        with transaction.atomic(durable=True):
            return timer_start(engagement=work.engagement, member=work.cast.ben)

    outcome = race(go, go, go)
    assert len(outcome.results) == 1
    assert [r.code for r in outcome.refusals] == ["timer_running", "timer_running"]
    assert TimeEntry.objects.filter(ended_at__isnull=True).count() == 1
