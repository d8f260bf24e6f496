"""Dates at the edges of the calendar: time is kept from 1 January 2000 to
31 December 2100 (``TIME_DAYS``). A date or time outside them, through the
API, a web form, ``?week=`` or a service, is refused with ``invalid_date``
and changes nothing; near year 1 or 9999 a week's end, the next day or a
zone's offset would otherwise overflow (a 500)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from django.test import Client

from mutualist.api.tests.support import assert_problem, bearer_client, patch_json, post_json
from mutualist.core.errors import DomainError
from mutualist.members.models import Profile, User
from mutualist.testing import Work
from mutualist.work.forms.time import parse_week
from mutualist.work.models import TimeEntry, Timesheet
from mutualist.work.selectors.time import entries_of_member, member_week, team_week, week_bounds
from mutualist.work.services.time import (
    TIME_DAYS,
    local_datetime,
    time_entry_record,
    time_entry_update,
    timer_start,
)
from mutualist.work.services.timesheets import week_submit

UTC = dt.UTC
NOW = dt.datetime(2026, 12, 5, 4, 0, tzinfo=UTC)  # Sat 5 Dec, 12:00 in Manila
API = "/api/v1"
BERLIN = ZoneInfo("Europe/Berlin")
Login = Callable[[User], Client]

# Beyond Python's calendar's ends, and just beyond the years time is kept for.
FAR_DAYS = ["9999-12-31", "0001-01-01", "1999-12-31", "2101-01-01"]


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def body(response: Any) -> Any:
    return json.loads(response.content)


def counts() -> tuple[int, int]:
    return TimeEntry.objects.count(), Timesheet.objects.count()


def refusal(call: Callable[[], object]) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value


def bens_hour(work: Work) -> TimeEntry:
    """Ben's hour on Tuesday 1 December, 09:00-10:00 in Lagos."""
    with transaction.atomic():
        return time_entry_record(
            engagement=work.engagement, member=work.cast.ben,
            started_at=dt.datetime(2026, 12, 1, 8, tzinfo=UTC),
            ended_at=dt.datetime(2026, 12, 1, 9, tzinfo=UTC), recorded_by=work.cast.ben,
        )  # fmt: skip


def test_the_years_time_is_kept_for() -> None:
    first, last = TIME_DAYS
    assert (first, last) == (dt.date(2000, 1, 1), dt.date(2100, 12, 31))


# --- the API -----------------------------------------------------------------------------


@pytest.mark.parametrize("day", FAR_DAYS)
def test_a_week_out_of_range_is_refused(work: Work, day: str) -> None:
    problem = assert_problem(
        bearer_client(work.cast.ben).get(f"{API}/me/week?week={day}"), 422, "invalid_date"
    )
    assert [error["field"] for error in problem["errors"]] == ["week"]
    assert "1 Jan 2000 to 31 Dec 2100" in problem["detail"]


def test_the_first_and_last_days_are_in_range(work: Work) -> None:
    ben = bearer_client(work.cast.ben)
    first = ben.get(f"{API}/me/week?week=2000-01-01")
    last = ben.get(f"{API}/me/week?week=2100-12-31")
    assert (first.status_code, body(first)["week_start"]) == (200, "1999-12-27")
    assert (last.status_code, body(last)["week_end"]) == (200, "2101-01-02")


@pytest.mark.parametrize(
    "query", ["to=9999-12-31", "from=0001-01-01", "from=2026-12-01&to=2101-01-01"]
)
def test_an_entry_list_out_of_range_is_refused(work: Work, query: str) -> None:
    bens_hour(work)
    response = bearer_client(work.cast.ben).get(f"{API}/me/time-entries?{query}")
    problem = assert_problem(response, 422, "invalid_date")
    assert problem["errors"][0]["field"] in ("from", "to")


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("0001-01-01T00:00:00+14:00", "0001-01-01T01:00:00+14:00"),  # year 0 in UTC
        ("9999-12-31T22:00:00-14:00", "9999-12-31T23:00:00-14:00"),  # year 10000 in UTC
        ("1999-12-31T09:00:00+01:00", "1999-12-31T10:00:00+01:00"),
        ("2026-12-01T09:00:00+01:00", "2101-01-01T10:00:00+01:00"),
    ],
)
def test_an_entry_out_of_range_is_refused_and_changes_nothing(
    work: Work, start: str, end: str
) -> None:
    response = post_json(
        bearer_client(work.cast.ben),
        f"{API}/me/time-entries",
        {"engagement_id": work.engagement.pk, "started_at": start, "ended_at": end},
    )
    assert_problem(response, 422, "invalid_date")
    assert counts() == (0, 0)


def test_an_entry_moved_out_of_range_is_refused_and_stays(work: Work) -> None:
    entry = bens_hour(work)
    response = patch_json(
        bearer_client(work.cast.ben),
        f"{API}/me/time-entries/{entry.pk}",
        {"started_at": "0001-01-01T00:00:00+14:00"},
    )
    assert_problem(response, 422, "invalid_date")
    fresh = TimeEntry.objects.get()
    assert (fresh.started_at, fresh.ended_at) == (entry.started_at, entry.ended_at)


def test_the_other_weeks_of_the_api_are_bounded_too(work: Work) -> None:
    bens_hour(work)
    ana, ben = bearer_client(work.cast.ana), bearer_client(work.cast.ben)
    assert_problem(ana.get(f"{API}/collectives/manila-va/weeks/9999-12-31"), 422, "invalid_date")
    assert_problem(ana.get(f"{API}/collectives/manila-va/weeks/0001-01-01"), 422, "invalid_date")
    url = f"{API}/engagements/{work.engagement.pk}/timesheets?week=9999-12-31"
    assert_problem(ana.get(url), 422, "invalid_date")
    assert_problem(post_json(ben, f"{API}/me/weeks/9999-12-27/submit"), 422, "invalid_date")
    assert Timesheet.objects.get().state == "open"


# --- the web -----------------------------------------------------------------------------


@pytest.mark.parametrize("day", [*FAR_DAYS, "not-a-date"])
def test_my_week_out_of_range_shows_this_week_and_says_why(
    work: Work, client_for: Login, day: str
) -> None:
    response = client_for(work.cast.ben).get(f"/me/week/?week={day}")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Showing this week instead." in page
    assert response.context["week"].week_start == dt.date(2026, 11, 30)


def test_a_timer_started_from_a_week_out_of_range_starts_and_shows_this_week(
    work: Work, client_for: Login
) -> None:
    response = client_for(work.cast.ben).post(
        "/me/week/timer/start/",
        {"timer-seat": work.ben_seat.pk, "timer-billable": "on", "week": "9999-12-31"},
    )
    assert (response.status_code, response["Location"]) == (302, "/me/week/?week=2026-11-30")
    assert TimeEntry.objects.get().is_running


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"day": "0001-01-01"}, "day"),
        ({"day": "9999-12-31"}, "day"),
        ({"day": "2026-12-01", "end_day": "9999-12-31"}, "end_day"),
    ],
)
def test_an_entry_form_out_of_range_is_refused_on_its_field(
    work: Work, client_for: Login, fields: dict[str, str], field: str
) -> None:
    # given Ben living in Berlin, whose offset in year 1 would reach year 0 in UTC
    Profile.objects.filter(user=work.cast.ben).update(timezone="Europe/Berlin")
    response = client_for(work.cast.ben).post(
        "/me/week/entries/new/",
        {"seat": work.ben_seat.pk, "start": "00:00", "end": "01:00", **fields},
    )
    assert response.status_code == 422
    errors = response.context["entry_form"].errors
    assert list(errors) == [field]
    assert "outside the dates time is kept for" in errors[field][0]
    assert counts() == (0, 0)


# --- services, selectors, forms -----------------------------------------------------------


@pytest.mark.parametrize("day", [dt.date(1, 1, 1), dt.date(9999, 12, 31), dt.date(1999, 12, 31)])
def test_a_local_time_on_a_day_out_of_range_is_refused(day: dt.date) -> None:
    error = refusal(lambda: local_datetime(day, dt.time(0), BERLIN, field="start"))
    assert (error.code, error.field) == ("invalid_date", "start")


def test_the_services_refuse_times_out_of_range(work: Work) -> None:
    entry = bens_hour(work)
    far = dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=14)))
    ben = work.cast.ben

    def record() -> object:
        return time_entry_record(
            engagement=work.engagement, member=ben, started_at=far,
            ended_at=far + dt.timedelta(hours=1), recorded_by=ben,
        )  # fmt: skip

    assert refusal(record).code == "invalid_date"
    assert refusal(lambda: timer_start(engagement=work.engagement, member=ben, at=far)).code == (
        "invalid_date"
    )
    assert refusal(lambda: time_entry_update(entry=entry, by=ben, started_at=far)).code == (
        "invalid_date"
    )
    assert refusal(lambda: week_submit(member=ben, week_start=dt.date(9999, 12, 27))).code == (
        "invalid_date"
    )
    assert counts() == (1, 1)
    assert TimeEntry.objects.get().started_at == entry.started_at


def test_the_selectors_refuse_weeks_and_days_out_of_range(work: Work) -> None:
    ben = work.cast.ben
    assert refusal(lambda: week_bounds(dt.date(9999, 12, 27), BERLIN)).code == "invalid_date"
    assert refusal(lambda: week_bounds(dt.date(1, 1, 1), BERLIN)).code == "invalid_date"
    assert refusal(lambda: member_week(member=ben, week_start=dt.date(9999, 12, 27))).code == (
        "invalid_date"
    )
    assert refusal(
        lambda: team_week(collective=work.cast.collective_a, week_start=dt.date(9999, 12, 27))
    ).code == ("invalid_date")
    error = refusal(lambda: entries_of_member(member=ben, until=dt.date(9999, 12, 31)))
    assert (error.code, error.field) == ("invalid_date", "to")


def test_parse_week_reads_any_day_as_its_monday_and_refuses_the_rest() -> None:
    assert parse_week(None) is None
    assert parse_week("2026-12-02") == dt.date(2026, 11, 30)
    for raw in ("9999-12-31", "0001-01-01", "2026-13-01"):
        error = refusal(lambda raw=raw: parse_week(raw))  # type: ignore[misc]
        assert (error.code, error.field) == ("invalid_date", "week")
