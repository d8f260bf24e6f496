"""A timesheet's page for its member, coordinators and the client; approving
and returning on the web; the team's week; the portal's section."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.test import Client, RequestFactory

from mutualist.members.models import User
from mutualist.testing import Work
from mutualist.work.models import TimeEntry, Timesheet
from mutualist.work.services.time import time_entry_record
from mutualist.work.services.timesheets import timesheet_approve, week_submit
from mutualist.work.views.timesheets import portal_timesheets

UTC = dt.UTC
NOW = dt.datetime(2026, 12, 5, 4, 0, tzinfo=UTC)
WEEK = dt.date(2026, 11, 30)
Login = Callable[[User], Client]


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def sheet(work: Work) -> Timesheet:
    """Ben's week: Tuesday 1 Dec 22:00-24:00 UTC (09:00-11:00 in Sydney), submitted."""
    with transaction.atomic():
        time_entry_record(
            engagement=work.engagement, member=work.cast.ben,
            started_at=dt.datetime(2026, 12, 1, 22, 0, tzinfo=UTC),
            ended_at=dt.datetime(2026, 12, 2, 0, 0, tzinfo=UTC),
            note="Month-end close", billable=False, recorded_by=work.cast.ben,
        )  # fmt: skip
        [found] = week_submit(member=work.cast.ben, week_start=WEEK)
    return found


def person(work: Work, who: str) -> User:
    found: User = getattr(work.cast, who, None) or getattr(work, who)
    return found


def test_the_client_reads_the_timesheet_in_sydney_time_without_pay_rates(
    work: Work, client_for: Login, sheet: Timesheet
) -> None:
    response = client_for(work.dana).get(f"/timesheets/{sheet.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Times are in your time zone, Australia/Sydney" in page
    assert "Wed 2 Dec 09:00–11:00" in page
    assert "Month-end close" in page
    assert "<td>No</td>" in page  # not billable
    assert "24.00" not in page and "2400" not in page  # Ben's pay rate
    assert "Approve the week" in page


def test_the_member_reads_it_in_lagos_time_and_cannot_decide(
    work: Work, client_for: Login, sheet: Timesheet
) -> None:
    page = client_for(work.cast.ben).get(f"/timesheets/{sheet.pk}/").content.decode()
    assert "Tue 1 Dec 23:00–01:00 (Wed)" in page
    assert "Approve the week" not in page
    assert "waiting for a coordinator or the client" in page


@pytest.mark.parametrize("who", ["evan", "carla", "olga"])
def test_outsiders_get_404(work: Work, client_for: Login, sheet: Timesheet, who: str) -> None:
    other = client_for(person(work, who))
    assert other.get(f"/timesheets/{sheet.pk}/").status_code == 404
    assert other.post(f"/timesheets/{sheet.pk}/approve/").status_code == 404
    assert other.post(f"/timesheets/{sheet.pk}/return/", {"comment": "no"}).status_code == 404
    assert Timesheet.objects.get(pk=sheet.pk).state == "submitted"


def test_a_member_does_not_see_another_members_timesheet(work: Work, client_for: Login) -> None:
    with transaction.atomic():
        time_entry_record(
            engagement=work.engagement, member=work.cast.ana,
            started_at=dt.datetime(2026, 12, 1, 1, 0, tzinfo=UTC),
            ended_at=dt.datetime(2026, 12, 1, 2, 0, tzinfo=UTC), recorded_by=work.cast.ana,
        )  # fmt: skip
    anas = Timesheet.objects.get(member=work.cast.ana)
    assert client_for(work.cast.ben).get(f"/timesheets/{anas.pk}/").status_code == 404


def test_the_client_approves_on_the_web(
    work: Work, client_for: Login, sheet: Timesheet, django_capture_on_commit_callbacks: Any
) -> None:
    dana = client_for(work.dana)
    with django_capture_on_commit_callbacks(execute=True):
        response = dana.post(f"/timesheets/{sheet.pk}/approve/", follow=True)
    page = response.content.decode()
    assert "Approved Ben Okafor&#x27;s week" in page
    assert '<dd id="timesheet-state">Approved</dd>' in page
    assert TimeEntry.objects.get().approved_by == work.dana
    assert len(mail.outbox) == 1
    # a second press says it is no longer waiting
    page = dana.post(f"/timesheets/{sheet.pk}/approve/", follow=True).content.decode()
    assert "This timesheet is approved, not waiting for a decision." in page


def test_a_coordinator_returns_it_with_a_comment(
    work: Work, client_for: Login, sheet: Timesheet
) -> None:
    ana = client_for(work.cast.ana)
    response = ana.post(f"/timesheets/{sheet.pk}/return/", {"comment": ""})
    assert response.status_code == 422
    assert Timesheet.objects.get(pk=sheet.pk).state == "submitted"
    response = ana.post(f"/timesheets/{sheet.pk}/return/", {"comment": "Not billable?"})
    assert response.status_code == 302
    found = Timesheet.objects.get(pk=sheet.pk)
    assert (found.state, found.comment, found.decided_by) == (
        "returned",
        "Not billable?",
        work.cast.ana,
    )
    page = client_for(work.cast.ben).get("/me/week/").content.decode()
    assert "Not billable?" in page


def test_approving_ones_own_timesheet_is_forbidden(work: Work, client_for: Login) -> None:
    with transaction.atomic():
        time_entry_record(
            engagement=work.engagement, member=work.cast.ana,
            started_at=dt.datetime(2026, 12, 1, 1, 0, tzinfo=UTC),
            ended_at=dt.datetime(2026, 12, 1, 2, 0, tzinfo=UTC), recorded_by=work.cast.ana,
        )  # fmt: skip
        [anas] = week_submit(member=work.cast.ana, week_start=WEEK)
    ana = client_for(work.cast.ana)
    assert "Approve the week" not in ana.get(f"/timesheets/{anas.pk}/").content.decode()
    assert ana.post(f"/timesheets/{anas.pk}/approve/").status_code == 403
    assert Timesheet.objects.get(pk=anas.pk).state == "submitted"


def test_a_coordinator_is_told_why_she_cannot_approve_her_own_entries(
    work: Work, client_for: Login
) -> None:
    # given an hour Ana recorded for Ben, in his submitted week
    with transaction.atomic():
        time_entry_record(
            engagement=work.engagement, member=work.cast.ben,
            started_at=dt.datetime(2026, 12, 1, 1, 0, tzinfo=UTC),
            ended_at=dt.datetime(2026, 12, 1, 2, 0, tzinfo=UTC), recorded_by=work.cast.ana,
        )  # fmt: skip
        [bens] = week_submit(member=work.cast.ben, week_start=WEEK)
    # when she presses Approve
    response = client_for(work.cast.ana).post(f"/timesheets/{bens.pk}/approve/", follow=True)
    # then the page says why, and nothing changed
    assert response.status_code == 200
    assert "another coordinator or the client approves it" in response.content.decode()
    assert Timesheet.objects.get(pk=bens.pk).state == "submitted"
    assert TimeEntry.objects.get().approved_at is None


def test_corrections_are_offered_only_once_the_week_is_decided(
    work: Work, client_for: Login, sheet: Timesheet
) -> None:
    ben = client_for(work.cast.ben)
    with transaction.atomic():
        timesheet_approve(timesheet=sheet, by=work.dana)
    assert ">Correct</a>" in ben.get(f"/timesheets/{sheet.pk}/").content.decode()
    # a correction sends the week back for approval: no second one meanwhile
    entry = TimeEntry.objects.get()
    response = ben.post(f"/time-entries/{entry.pk}/adjust/", {"minutes": 30, "note": "Call"})
    assert response.status_code == 302
    assert ">Correct</a>" not in ben.get(f"/timesheets/{sheet.pk}/").content.decode()
    response = ben.post(f"/time-entries/{entry.pk}/adjust/", {"minutes": 240, "note": "More"})
    assert response.status_code == 422
    assert "is waiting for approval" in response.content.decode()
    assert TimeEntry.objects.count() == 2


@pytest.mark.parametrize("week", ["9999-12-31", "0001-01-01", "1999-12-26", "2101-01-01", "x"])
def test_a_team_week_out_of_range_shows_this_week_and_says_why(
    work: Work, client_for: Login, sheet: Timesheet, week: str
) -> None:
    response = client_for(work.cast.ana).get(f"/collectives/manila-va/week/?week={week}")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Showing this week instead." in page
    assert "Week of Monday 30 November 2026" in page  # Saturday 5 December in Manila


def test_the_team_week_is_for_coordinators(work: Work, client_for: Login, sheet: Timesheet) -> None:
    url = "/collectives/manila-va/week/?week=2026-11-30"
    page = client_for(work.cast.ana).get(url).content.decode()
    assert "Ben Okafor, week of 30 Nov 2026" in page  # waiting for a decision
    assert '<td class="num">2:00</td>' in page
    assert client_for(work.cast.ben).get(url).status_code == 403
    for who in ("carla", "olga", "dana"):
        assert client_for(person(work, who)).get(url).status_code == 404


def test_the_portal_lists_the_clients_timesheets_to_approve(work: Work, sheet: Timesheet) -> None:
    request = RequestFactory().get("/portal/")
    request.user = work.dana
    panel = portal_timesheets(request, [work.harbour])
    assert panel is not None
    assert list(panel.context["timesheets"]) == [sheet]
    # Evan acts for Thames: even handed Harbour, he sees nothing of it
    request.user = work.evan
    panel = portal_timesheets(request, [work.harbour, work.thames])
    assert panel is not None and list(panel.context["timesheets"]) == []
