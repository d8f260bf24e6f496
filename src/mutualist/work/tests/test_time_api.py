"""Time through the API: the week, entries, the timer, submitting, approving,
returning, adjusting, the team week; every refusal a problem document that
changes nothing, and outsiders get 404."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.test import Client

from mutualist.api.tests.support import assert_problem, bearer_client, patch_json, post_json
from mutualist.members.models import User
from mutualist.testing import Work
from mutualist.work.models import TimeEntry, Timesheet

UTC = dt.UTC
NOW = dt.datetime(2026, 12, 5, 4, 0, tzinfo=UTC)  # Sat 5 Dec, 12:00 in Manila
API = "/api/v1"


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def body(response: Any) -> Any:
    return json.loads(response.content)


def person(work: Work, who: str) -> User:
    found: User = getattr(work.cast, who, None) or getattr(work, who)
    return found


def new_entry(client: Client, work: Work, start: str, end: str, **extra: Any) -> Any:
    return post_json(
        client,
        f"{API}/me/time-entries",
        {"engagement_id": work.engagement.pk, "started_at": start, "ended_at": end, **extra},
    )


@pytest.fixture
def ben(work: Work) -> Client:
    return bearer_client(work.cast.ben)


@pytest.fixture
def submitted(work: Work, ben: Client) -> dict[str, Any]:
    """Ben's 2 h on Tuesday (09:00-11:00 Lagos), submitted: the timesheet."""
    response = new_entry(ben, work, "2026-12-01T09:00:00+01:00", "2026-12-01T11:00:00+01:00")
    assert response.status_code == 201, response.content
    [sheet] = body(post_json(ben, f"{API}/me/weeks/2026-11-30/submit"))
    return sheet  # type: ignore[no-any-return]


def test_a_manual_entry_goes_in_with_an_offset_and_comes_out_in_utc(
    work: Work, ben: Client
) -> None:
    response = new_entry(
        ben, work, "2026-12-01T09:00:00+01:00", "2026-12-01T10:30:00+01:00", note="Invoices"
    )
    assert response.status_code == 201
    entry = body(response)
    assert entry["started_at"] == "2026-12-01T08:00:00Z"
    assert entry["ended_at"] == "2026-12-01T09:30:00Z"
    assert entry["local_start"] == "2026-12-01T09:00:00+01:00"
    assert (entry["minutes"], entry["hours"], entry["kind"]) == (90, "1.50", "manual")
    assert entry["week_start"] == "2026-11-30"
    assert entry["engagement"]["client"]["name"] == "Harbour Bridge Logistics"
    assert entry["member"] == {"handle": work.cast.ben.profile.handle, "display_name": "Ben Okafor"}


@pytest.mark.parametrize(
    ("start", "end", "status", "code"),
    [
        ("2026-12-01T10:00:00+01:00", "2026-12-01T09:00:00+01:00", 422, "ends_before_start"),
        ("2026-12-01T10:00:00", "2026-12-01T11:00:00", 422, "naive_datetime"),
        ("2026-12-01T00:00:00+01:00", "2026-12-01T11:00:00+01:00", 422, "over_weekly_cap"),
        ("2026-12-05T04:00:00Z", "2026-12-05T05:00:00Z", 422, "entry_in_future"),
        ("not a time", "2026-12-01T11:00:00Z", 422, "validation_failed"),
    ],
)
def test_bad_entries_are_refused_and_change_nothing(
    work: Work, ben: Client, start: str, end: str, status: int, code: str
) -> None:
    assert_problem(new_entry(ben, work, start, end), status, code)
    assert TimeEntry.objects.count() == 0


def test_an_overlap_is_refused_naming_the_other_entry(work: Work, ben: Client) -> None:
    first = body(new_entry(ben, work, "2026-12-01T09:00:00+01:00", "2026-12-01T10:00:00+01:00"))
    problem = assert_problem(
        new_entry(ben, work, "2026-12-01T09:30:00+01:00", "2026-12-01T10:30:00+01:00"),
        409,
        "overlapping_entry",
    )
    assert problem["detail"] == (
        "This overlaps your entry for Harbour Bridge Logistics, "
        f"Tue 01 Dec 2026 09:00–10:00 (Africa/Lagos), entry #{first['id']}."
    )
    assert TimeEntry.objects.count() == 1


def test_carla_cannot_log_time_on_as_engagement(work: Work) -> None:
    carla = bearer_client(work.cast.carla)
    response = new_entry(carla, work, "2026-12-01T09:00:00Z", "2026-12-01T10:00:00Z")
    assert_problem(response, 404, "not_found")
    response = post_json(carla, f"{API}/me/timer", {"engagement_id": work.engagement.pk})
    assert_problem(response, 404, "not_found")
    assert TimeEntry.objects.count() == 0


def test_a_collective_member_without_a_seat_is_not_on_the_team(work: Work) -> None:
    from mutualist.work.models import EngagementMember

    EngagementMember.objects.filter(pk=work.ben_seat.pk).update(left_at=NOW)
    response = new_entry(
        bearer_client(work.cast.ben), work, "2026-12-01T09:00:00Z", "2026-12-01T10:00:00Z"
    )
    assert_problem(response, 403, "not_on_team")


def test_the_timer_through_the_api(work: Work, ben: Client) -> None:
    assert body(ben.get(f"{API}/me/timer")) == {"running": False, "entry": None}
    response = post_json(
        ben, f"{API}/me/timer", {"engagement_id": work.engagement.pk, "note": "Payroll"}
    )
    assert response.status_code == 201
    started = body(response)
    assert (started["running"], started["ended_at"], started["minutes"]) == (True, None, 0)
    # a second start is refused
    again = post_json(ben, f"{API}/me/timer", {"engagement_id": work.engagement.pk})
    assert_problem(again, 409, "timer_running")
    with time_machine.travel(NOW + dt.timedelta(minutes=50), tick=False):
        current = body(ben.get(f"{API}/me/timer"))
        assert (current["running"], current["entry"]["minutes"]) == (True, 50)
        stopped = body(post_json(ben, f"{API}/me/timer/stop"))
    assert (stopped["id"], stopped["running"], stopped["minutes"]) == (started["id"], False, 50)
    assert_problem(post_json(ben, f"{API}/me/timer/stop"), 409, "no_timer_running")


def test_the_week_across_clients(work: Work, ben: Client) -> None:
    new_entry(ben, work, "2026-12-01T09:00:00+01:00", "2026-12-01T11:00:00+01:00")
    week = body(ben.get(f"{API}/me/week?week=2026-12-03"))
    assert (week["week_start"], week["week_end"], week["timezone"]) == (
        "2026-11-30", "2026-12-06", "Africa/Lagos",
    )  # fmt: skip
    assert (week["minutes"], week["hours"], week["submittable"]) == (120, "2.00", True)
    assert [(c["client"]["name"], c["minutes"], c["cap_hours"]) for c in week["clients"]] == [
        ("Harbour Bridge Logistics", 120, 10)
    ]
    assert [len(d["entries"]) for d in week["days"]] == [0, 1, 0, 0, 0, 0, 0]
    assert week["engagements"][0]["timesheet"]["state"] == "open"


def test_listing_changing_and_deleting_entries(work: Work, ben: Client) -> None:
    first = body(new_entry(ben, work, "2026-12-01T09:00:00+01:00", "2026-12-01T10:00:00+01:00"))
    body(new_entry(ben, work, "2026-12-03T09:00:00+01:00", "2026-12-03T10:00:00+01:00"))
    page = body(ben.get(f"{API}/me/time-entries?from=2026-12-02&to=2026-12-06"))
    assert [e["local_start"] for e in page["items"]] == ["2026-12-03T09:00:00+01:00"]
    assert page["count"] == 1
    assert_problem(
        ben.get(f"{API}/me/time-entries?from=2026-12-06&to=2026-12-02"), 422, "invalid_period"
    )
    changed = patch_json(
        ben, f"{API}/me/time-entries/{first['id']}", {"note": "Calls", "billable": False}
    )
    assert (body(changed)["note"], body(changed)["billable"], body(changed)["minutes"]) == (
        "Calls",
        False,
        60,
    )
    assert ben.delete(f"{API}/me/time-entries/{first['id']}").status_code == 204
    assert TimeEntry.objects.count() == 1


@pytest.mark.parametrize("who", ["ana", "carla", "dana"])
def test_nobody_else_changes_a_members_entry(work: Work, ben: Client, who: str) -> None:
    entry = body(new_entry(ben, work, "2026-12-01T09:00:00+01:00", "2026-12-01T10:00:00+01:00"))
    other = bearer_client(person(work, who))
    assert_problem(
        patch_json(other, f"{API}/me/time-entries/{entry['id']}", {"note": "x"}), 404, "not_found"
    )
    assert_problem(other.delete(f"{API}/me/time-entries/{entry['id']}"), 404, "not_found")
    assert TimeEntry.objects.get().note == ""


def test_submitting_a_week(work: Work, submitted: dict[str, Any], ben: Client) -> None:
    assert (submitted["state"], submitted["week_start"]) == ("submitted", "2026-11-30")
    assert_problem(post_json(ben, f"{API}/me/weeks/2026-11-30/submit"), 409, "nothing_to_submit")
    assert_problem(post_json(ben, f"{API}/me/weeks/2026-12-01/submit"), 422, "invalid_week")
    # the week takes no new time meanwhile
    response = new_entry(ben, work, "2026-12-02T09:00:00+01:00", "2026-12-02T10:00:00+01:00")
    assert_problem(response, 409, "week_submitted")


def test_the_client_reads_and_approves_a_timesheet(work: Work, submitted: dict[str, Any]) -> None:
    dana = bearer_client(work.dana)
    sheet = body(dana.get(f"{API}/timesheets/{submitted['id']}"))
    assert (sheet["timezone"], sheet["can_decide"], sheet["minutes"], sheet["cap_hours"]) == (
        "Australia/Sydney", True, 120, 10,
    )  # fmt: skip
    assert sheet["entries"][0]["local_start"] == "2026-12-01T19:00:00+11:00"
    assert "rate" not in json.dumps(sheet)
    listed = body(dana.get(f"{API}/engagements/{work.engagement.pk}/timesheets?state=submitted"))
    assert [t["id"] for t in listed["items"]] == [submitted["id"]]
    approved = body(post_json(dana, f"{API}/timesheets/{submitted['id']}/approve"))
    assert approved["state"] == "approved"
    assert approved["decided_by"]["display_name"] == "Dana Whitlock"
    assert approved["entries"][0]["approved_at"] == "2026-12-05T04:00:00Z"
    # locked: Ben can neither change nor delete the entry
    ben = bearer_client(work.cast.ben)
    entry_id = approved["entries"][0]["id"]
    assert_problem(
        patch_json(ben, f"{API}/me/time-entries/{entry_id}", {"note": "x"}), 409, "entry_locked"
    )
    assert_problem(ben.delete(f"{API}/me/time-entries/{entry_id}"), 409, "entry_locked")


def test_ana_cannot_approve_her_own_week(work: Work) -> None:
    ana = bearer_client(work.cast.ana)
    new_entry(ana, work, "2026-12-01T09:00:00+08:00", "2026-12-01T10:00:00+08:00")
    [sheet] = body(post_json(ana, f"{API}/me/weeks/2026-11-30/submit"))
    assert_problem(post_json(ana, f"{API}/timesheets/{sheet['id']}/approve"), 403, "own_timesheet")
    assert Timesheet.objects.get().state == "submitted"


@pytest.mark.parametrize("who", ["evan", "carla", "olga"])
def test_outsiders_cannot_see_or_decide_a_timesheet(
    work: Work, submitted: dict[str, Any], who: str
) -> None:
    other = bearer_client(person(work, who))
    sheet_id = submitted["id"]
    assert_problem(other.get(f"{API}/timesheets/{sheet_id}"), 404, "not_found")
    assert_problem(post_json(other, f"{API}/timesheets/{sheet_id}/approve"), 404, "not_found")
    assert_problem(
        post_json(other, f"{API}/timesheets/{sheet_id}/return", {"comment": "x"}), 404, "not_found"
    )
    assert_problem(
        other.get(f"{API}/engagements/{work.engagement.pk}/timesheets"), 404, "not_found"
    )
    assert Timesheet.objects.get().state == "submitted"


def test_a_member_lists_only_their_own_timesheets(work: Work, submitted: dict[str, Any]) -> None:
    ana = bearer_client(work.cast.ana)
    new_entry(ana, work, "2026-12-01T09:00:00+08:00", "2026-12-01T10:00:00+08:00")
    ben = bearer_client(work.cast.ben)
    listed = body(ben.get(f"{API}/engagements/{work.engagement.pk}/timesheets"))
    assert [t["id"] for t in listed["items"]] == [submitted["id"]]
    anas = Timesheet.objects.get(member=work.cast.ana)
    assert_problem(ben.get(f"{API}/timesheets/{anas.pk}"), 404, "not_found")
    assert body(ana.get(f"{API}/engagements/{work.engagement.pk}/timesheets"))["count"] == 2


@pytest.mark.parametrize("day", ["2026-11-30", "2026-12-02", "2026-12-06"])
def test_the_timesheet_filter_takes_any_day_of_the_week(
    work: Work, submitted: dict[str, Any], day: str
) -> None:
    # as /me/week and the team's week do: Monday, Wednesday or Sunday, the same week
    url = f"{API}/engagements/{work.engagement.pk}/timesheets?week={day}"
    listed = body(bearer_client(work.dana).get(url))
    assert [(t["id"], t["week_start"]) for t in listed["items"]] == [
        (submitted["id"], "2026-11-30")
    ]
    following = f"{API}/engagements/{work.engagement.pk}/timesheets?week=2026-12-07"
    assert body(bearer_client(work.dana).get(following))["items"] == []


def test_returning_needs_a_comment(work: Work, submitted: dict[str, Any]) -> None:
    ana = bearer_client(work.cast.ana)
    url = f"{API}/timesheets/{submitted['id']}/return"
    assert_problem(post_json(ana, url, {"comment": " "}), 422, "required")
    returned = body(post_json(ana, url, {"comment": "Which client was Tuesday for?"}))
    assert (returned["state"], returned["comment"]) == ("returned", "Which client was Tuesday for?")
    assert_problem(post_json(ana, url, {"comment": "again"}), 409, "timesheet_not_submitted")


def test_an_adjustment_through_the_api(work: Work, submitted: dict[str, Any]) -> None:
    dana = bearer_client(work.dana)
    post_json(dana, f"{API}/timesheets/{submitted['id']}/approve")
    entry = TimeEntry.objects.get()
    ben = bearer_client(work.cast.ben)
    url = f"{API}/time-entries/{entry.pk}/adjustments"
    assert_problem(post_json(ben, url, {"minutes": 0, "note": "x"}), 422, "invalid_minutes")
    assert_problem(
        post_json(ben, url, {"minutes": -121, "note": "x"}), 422, "adjustment_below_zero"
    )
    assert_problem(post_json(dana, url, {"minutes": 5, "note": "x"}), 404, "not_found")
    response = post_json(ben, url, {"minutes": -30, "note": "Lunch break"})
    assert response.status_code == 201
    adjustment = body(response)
    assert (adjustment["kind"], adjustment["minutes"], adjustment["hours"], adjustment["adjusts_id"]) == (
        "adjustment", -30, "-0.50", entry.pk,
    )  # fmt: skip
    sheet = body(dana.get(f"{API}/timesheets/{submitted['id']}"))
    assert (sheet["state"], sheet["minutes"]) == ("submitted", 90)
    assert [e["kind"] for e in sheet["entries"]] == ["manual", "adjustment"]


def test_an_adjustment_waits_for_the_weeks_decision(work: Work, submitted: dict[str, Any]) -> None:
    # given Ben's approved week, corrected once by Ben and so waiting again
    dana, ben = bearer_client(work.dana), bearer_client(work.cast.ben)
    post_json(dana, f"{API}/timesheets/{submitted['id']}/approve")
    entry = TimeEntry.objects.get()
    url = f"{API}/time-entries/{entry.pk}/adjustments"
    assert post_json(ben, url, {"minutes": 30, "note": "Call"}).status_code == 201
    # when he corrects it again before Dana decides, it is refused
    assert_problem(post_json(ben, url, {"minutes": 240, "note": "More"}), 409, "week_submitted")
    assert TimeEntry.objects.count() == 2
    # and when Ana, a coordinator, corrects it once approved, she cannot approve it
    post_json(dana, f"{API}/timesheets/{submitted['id']}/approve")
    ana = bearer_client(work.cast.ana)
    assert post_json(ana, url, {"minutes": -15, "note": "Lunch"}).status_code == 201
    response = post_json(ana, f"{API}/timesheets/{submitted['id']}/approve")
    assert_problem(response, 403, "own_entries")
    assert Timesheet.objects.get().state == "submitted"
    assert TimeEntry.objects.filter(approved_at__isnull=True).count() == 1


def test_the_team_week_is_for_coordinators(work: Work, submitted: dict[str, Any]) -> None:
    url = f"{API}/collectives/manila-va/weeks/2026-12-02"
    team = body(bearer_client(work.cast.ana).get(url))
    assert team["week_start"] == "2026-11-30"
    assert {m["member"]["display_name"]: m["minutes"] for m in team["members"]} == {
        "Ana Reyes": 0,
        "Ben Okafor": 120,
    }
    assert [t["id"] for t in team["to_approve"]] == [submitted["id"]]
    assert_problem(bearer_client(work.cast.ben).get(url), 403, "not_coordinator")
    for who in ("carla", "olga", "dana"):
        assert_problem(bearer_client(person(work, who)).get(url), 404, "not_found")


def test_anonymous_callers_are_refused(client: Client) -> None:
    assert_problem(client.get(f"{API}/me/week"), 401, "not_authenticated")
