"""The week's pages: my week, the timer (htmx and plain), manual entries,
edits, deletes, submitting, corrections, the dashboard panel; and who may
reach them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pytest
import time_machine
from django.db import transaction
from django.test import Client

from mutualist.members.models import User
from mutualist.testing import Work
from mutualist.work.models import TimeEntry, Timesheet
from mutualist.work.services.time import time_entry_record
from mutualist.work.services.timesheets import timesheet_approve, week_submit

UTC = dt.UTC
NOW = dt.datetime(2026, 12, 2, 4, 0, tzinfo=UTC)  # Wed 2 Dec, 12:00 in Manila, 06:00 in Lagos
WEEK = dt.date(2026, 11, 30)
Login = Callable[[User], Client]


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def log(work: Work, member: User, hours_ago: int, length: int = 1, note: str = "") -> TimeEntry:
    end = NOW - dt.timedelta(hours=hours_ago)
    with transaction.atomic():
        return time_entry_record(
            engagement=work.engagement, member=member, started_at=end - dt.timedelta(hours=length),
            ended_at=end, note=note, recorded_by=member,
        )  # fmt: skip


def test_the_week_page_shows_the_members_week_in_their_time(work: Work, client_for: Login) -> None:
    # given Ana (Manila) worked 09:00-10:30 Manila time on Tuesday
    with transaction.atomic():
        time_entry_record(
            engagement=work.engagement, member=work.cast.ana,
            started_at=dt.datetime(2026, 12, 1, 1, 0, tzinfo=UTC),
            ended_at=dt.datetime(2026, 12, 1, 2, 30, tzinfo=UTC),
            note="Inbox zero", recorded_by=work.cast.ana,
        )  # fmt: skip
    response = client_for(work.cast.ana).get("/me/week/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "in your time zone (Asia/Manila)" in page
    assert "09:00–10:30" in page
    assert "Inbox zero" in page
    assert '<td class="num" id="week-total">1:30</td>' in page
    # her shifts (09-17 Sydney) in Manila time
    assert "Thu 3 Dec 06:00–14:00" in page


def test_the_week_page_moves_by_week(work: Work, client_for: Login) -> None:
    page = client_for(work.cast.ana).get("/me/week/?week=2026-12-10").content.decode()
    assert "Monday 7 December to Sunday 13 December 2026" in page
    assert "?week=2026-11-30" in page and "?week=2026-12-14" in page


def test_the_week_page_needs_a_login(client: Client) -> None:
    response = client.get("/me/week/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_someone_on_no_engagement_sees_an_empty_week(work: Work, client_for: Login) -> None:
    page = client_for(work.cast.olga).get("/me/week/").content.decode()
    assert "You are on no active engagement" in page
    assert "Start timer" not in page


def test_the_timer_starts_and_stops_with_htmx_returning_the_week(
    work: Work, client_for: Login
) -> None:
    ben = client_for(work.cast.ben)
    # when Ben starts his timer with htmx
    response = ben.post(
        "/me/week/timer/start/",
        {"timer-seat": work.ben_seat.pk, "timer-note": "Payroll", "timer-billable": "on"},
        headers={"HX-Request": "true"},
    )
    # then he gets the week fragment back, with the timer running
    assert response.status_code == 200
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<div id="week">')
    assert "Running on <strong>Harbour Bridge Logistics</strong>" in fragment
    running = TimeEntry.objects.get()
    assert (running.note, running.billable, running.is_running) == ("Payroll", True, True)
    # when he stops it 25 minutes later
    with time_machine.travel(NOW + dt.timedelta(minutes=25), tick=False):
        response = ben.post(
            "/me/week/timer/stop/", {"week": "2026-11-30"}, headers={"HX-Request": "true"}
        )
    fragment = response.content.decode()
    assert "The timer is not running." in fragment
    assert 'id="week-total">0:25</td>' in fragment
    assert TimeEntry.objects.get().minutes == 25


def test_a_refused_timer_start_shows_why_in_place(work: Work, client_for: Login) -> None:
    ben = client_for(work.cast.ben)
    ben.post("/me/week/timer/start/", {"timer-seat": work.ben_seat.pk})
    response = ben.post(
        "/me/week/timer/start/", {"timer-seat": work.ben_seat.pk}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "Your timer is already running" in response.content.decode()
    assert TimeEntry.objects.count() == 1


def test_without_javascript_the_timer_redirects_to_the_week(work: Work, client_for: Login) -> None:
    ben = client_for(work.cast.ben)
    response = ben.post(
        "/me/week/timer/start/", {"timer-seat": work.ben_seat.pk, "week": "2026-11-30"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/me/week/?week=2026-11-30"
    with time_machine.travel(NOW + dt.timedelta(seconds=40), tick=False):
        ben.post("/me/week/timer/stop/", {"week": "2026-11-30"})
    assert TimeEntry.objects.get().minutes == 1
    response = ben.post("/me/week/timer/stop/", {"week": "2026-11-30"}, follow=True)
    assert "Your timer is not running." in response.content.decode()


def test_a_timer_cannot_start_on_someone_elses_seat(work: Work, client_for: Login) -> None:
    # Carla (collective B) posts Ana's seat: not among her choices
    response = client_for(work.cast.carla).post(
        "/me/week/timer/start/", {"timer-seat": work.ana_seat.pk}, headers={"HX-Request": "true"}
    )
    assert "Choose an engagement" in response.content.decode()
    assert not TimeEntry.objects.exists()


def test_a_manual_entry_in_local_time(work: Work, client_for: Login) -> None:
    # Ben lives in Lagos (UTC+1): 08:00-09:30 on Tuesday
    response = client_for(work.cast.ben).post(
        "/me/week/entries/new/",
        {"seat": work.ben_seat.pk, "day": "2026-12-01", "start": "08:00", "end": "09:30",
         "note": "Invoices", "billable": "on", "week": "2026-11-30"},
    )  # fmt: skip
    assert response.status_code == 302
    entry = TimeEntry.objects.get()
    assert entry.started_at == dt.datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
    assert (entry.minutes, entry.kind, entry.note) == (90, "manual", "Invoices")


def test_a_manual_entry_past_midnight(work: Work, client_for: Login) -> None:
    client_for(work.cast.ben).post(
        "/me/week/entries/new/",
        {"seat": work.ben_seat.pk, "day": "2026-11-30", "start": "23:00", "end": "01:00"},
    )
    entry = TimeEntry.objects.get()
    assert entry.ended_at == dt.datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    assert entry.minutes == 120


def test_a_refused_manual_entry_shows_the_reason_on_its_field(
    work: Work, client_for: Login
) -> None:
    first = log(work, work.cast.ben, 20, 2)  # Tue 1 Dec 07:00-09:00 Lagos
    response = client_for(work.cast.ben).post(
        "/me/week/entries/new/",
        {"seat": work.ben_seat.pk, "day": "2026-12-01", "start": "08:00", "end": "10:00"},
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert f"entry #{first.pk}" in page
    assert TimeEntry.objects.count() == 1


def test_a_manual_entry_at_a_skipped_local_time_is_refused(work: Work, client_for: Login) -> None:
    from mutualist.members.models import Profile

    Profile.objects.filter(user=work.cast.ben).update(timezone="Australia/Sydney")
    with time_machine.travel(dt.datetime(2026, 10, 5, tzinfo=UTC), tick=False):
        response = client_for(work.cast.ben).post(
            "/me/week/entries/new/",
            {"seat": work.ben_seat.pk, "day": "2026-10-04", "start": "02:30", "end": "04:00"},
        )
    assert response.status_code == 422
    assert "does not exist on 04 Oct 2026 in Australia/Sydney" in response.content.decode()
    assert not TimeEntry.objects.exists()


def test_editing_and_deleting_an_entry(work: Work, client_for: Login) -> None:
    entry = log(work, work.cast.ben, 20, 2, "first")
    ben = client_for(work.cast.ben)
    page = ben.get(f"/me/time-entries/{entry.pk}/edit/").content.decode()
    assert 'value="07:00"' in page and 'value="09:00"' in page  # Lagos time
    response = ben.post(
        f"/me/time-entries/{entry.pk}/edit/",
        {"day": "2026-12-01", "start": "07:00", "end": "08:00", "note": "second"},
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.minutes, entry.note, entry.billable) == (60, "second", False)
    assert ben.get(f"/me/time-entries/{entry.pk}/delete/").status_code == 200
    assert ben.post(f"/me/time-entries/{entry.pk}/delete/").status_code == 302
    assert not TimeEntry.objects.exists()


def test_editing_only_the_note_of_a_timer_entry_keeps_its_seconds(
    work: Work, client_for: Login
) -> None:
    ben = client_for(work.cast.ben)
    ben.post("/me/week/timer/start/", {"timer-seat": work.ben_seat.pk})
    with time_machine.travel(NOW + dt.timedelta(seconds=20), tick=False):
        ben.post("/me/week/timer/stop/")
    entry = TimeEntry.objects.get()
    form = {"day": "2026-12-02", "start": "05:00", "end": "05:00", "end_day": "2026-12-02"}
    response = ben.post(
        f"/me/time-entries/{entry.pk}/edit/", {**form, "note": "Quick call", "billable": "on"}
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.note, entry.minutes, entry.ended_at) == (
        "Quick call", 1, NOW + dt.timedelta(seconds=20),
    )  # fmt: skip


@pytest.mark.parametrize("who", ["ana", "carla", "olga"])
def test_nobody_else_reaches_a_members_entry(work: Work, client_for: Login, who: str) -> None:
    entry = log(work, work.cast.ben, 20, 2, "first")
    other = client_for(getattr(work.cast, who))
    assert other.get(f"/me/time-entries/{entry.pk}/edit/").status_code == 404
    assert other.post(f"/me/time-entries/{entry.pk}/delete/").status_code == 404
    assert TimeEntry.objects.filter(pk=entry.pk, note="first").exists()


def test_submitting_the_week(work: Work, client_for: Login) -> None:
    log(work, work.cast.ben, 20, 2)
    ben = client_for(work.cast.ben)
    assert "Submit the week for approval" in ben.get("/me/week/").content.decode()
    response = ben.post("/me/week/submit/", {"week": "2026-11-30"}, follow=True)
    page = response.content.decode()
    assert "Week submitted for approval" in page
    assert Timesheet.objects.get().state == "submitted"
    # and again: nothing to submit, said plainly
    page = ben.post("/me/week/submit/", {"week": "2026-11-30"}, follow=True).content.decode()
    assert "There is nothing to submit" in page


def test_correcting_an_approved_entry(work: Work, client_for: Login) -> None:
    entry = log(work, work.cast.ben, 20, 2)
    with transaction.atomic():
        [sheet] = week_submit(member=work.cast.ben, week_start=WEEK)
        timesheet_approve(timesheet=sheet, by=work.dana)
    ben = client_for(work.cast.ben)
    assert f"/time-entries/{entry.pk}/adjust/" in ben.get("/me/week/").content.decode()
    response = ben.post(f"/time-entries/{entry.pk}/adjust/", {"minutes": "-30", "note": "Lunch"})
    assert response.status_code == 302
    assert response["Location"] == f"/timesheets/{sheet.pk}/"
    adjustment = TimeEntry.objects.get(kind="adjustment")
    assert (adjustment.minutes, adjustment.adjusts_id) == (-30, entry.pk)
    page = ben.get("/me/week/").content.decode()
    assert "<strong>Adjustment</strong>" in page
    assert 'id="week-total">1:30</td>' in page
    # a refused correction is shown on the form
    response = ben.post(f"/time-entries/{entry.pk}/adjust/", {"minutes": "-200", "note": "x"})
    assert response.status_code == 422
    assert TimeEntry.objects.count() == 2


@pytest.mark.parametrize("who", ["carla", "olga", "dana"])
def test_outsiders_cannot_correct_an_entry(work: Work, client_for: Login, who: str) -> None:
    entry = log(work, work.cast.ben, 20, 2)
    with transaction.atomic():
        [sheet] = week_submit(member=work.cast.ben, week_start=WEEK)
        timesheet_approve(timesheet=sheet, by=work.cast.ana)
    person = getattr(work.cast, who, None) or getattr(work, who)
    response = client_for(person).post(
        f"/time-entries/{entry.pk}/adjust/", {"minutes": "5", "note": "x"}
    )
    assert response.status_code == 404
    assert TimeEntry.objects.count() == 1


def test_the_dashboard_shows_this_week_to_members_with_a_seat(
    work: Work, client_for: Login
) -> None:
    log(work, work.cast.ben, 20, 2)
    page = client_for(work.cast.ben).get("/me/").content.decode()
    assert "This week" in page
    assert 'Harbour Bridge Logistics</th><td class="num">2:00</td>' in page
    assert "This week" not in client_for(work.cast.olga).get("/me/").content.decode()
