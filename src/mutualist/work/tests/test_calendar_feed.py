"""The private calendar feed: its secret URL (anonymous access with the
token, 404 for anything else), the /me/calendar/ page that makes, replaces
and revokes it, and GET/POST/DELETE /api/v1/me/calendar."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from mutualist.api.tests.support import assert_problem, bearer_client, post_json
from mutualist.members.models import User
from mutualist.testing import Cast, Work, race
from mutualist.work.models import CalendarFeed
from mutualist.work.services.calendar import (
    calendar_feed_issue,
    calendar_feed_record_use,
    calendar_feed_revoke,
)

UTC = dt.UTC
PAGE = "/me/calendar/"
API = "/api/v1/me/calendar"
NOW = dt.datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
FEED_RE = re.compile(r"http://testserver/calendar/([A-Za-z0-9_-]{43})\.ics")


@pytest.fixture(autouse=True)
def frozen() -> object:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def feed_path(token: str) -> str:
    return f"/calendar/{token}.ics"


def shift_summaries(response: object) -> set[str]:
    calendar = Calendar.from_ical(response.content)  # type: ignore[attr-defined]
    return {str(e["SUMMARY"]) for e in calendar.walk("VEVENT") if str(e["UID"]).startswith("shift")}


# --- The feed ------------------------------------------------------------------------


def test_the_url_names_are_the_agreed_ones() -> None:
    assert reverse("work:calendar") == PAGE
    assert reverse("work:calendar_feed", args=["abc"]) == "/calendar/abc.ics"


def test_anyone_with_the_token_reads_the_feed_without_logging_in(work: Work) -> None:
    # given Ana made her feed
    issued = calendar_feed_issue(user=work.cast.ana)

    # when a calendar app with no session asks for it
    response = Client().get(feed_path(issued.token))

    # then it gets Ana's shifts as iCalendar, privately cached, with no cookie
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "private" in response["Cache-Control"]
    assert not response.cookies
    assert shift_summaries(response) == {"Harbour Bridge Logistics: Support shift"}


def test_the_feed_answers_head_and_refuses_post(work: Work) -> None:
    issued = calendar_feed_issue(user=work.cast.ana)

    assert Client().head(feed_path(issued.token)).status_code == 200
    assert Client().post(feed_path(issued.token)).status_code in (403, 405)


@pytest.mark.parametrize(
    "token",
    ["x" * 43, "", "a" * 500, "../../etc/passwd", "%00"],
    ids=["unknown", "empty", "too-long", "path", "nul"],
)
def test_a_wrong_token_is_a_bare_404(work: Work, token: str) -> None:
    calendar_feed_issue(user=work.cast.ana)

    response = Client().get(f"/calendar/{token}.ics")

    assert response.status_code == 404
    if token == "x" * 43 or token == "a" * 500:  # reached the view
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        assert response.content == b"Not found.\n"


def test_a_revoked_feed_is_a_404(work: Work) -> None:
    issued = calendar_feed_issue(user=work.cast.ana)
    calendar_feed_revoke(user=work.cast.ana)

    response = Client().get(feed_path(issued.token))

    assert response.status_code == 404
    assert response.content == b"Not found.\n"
    assert CalendarFeed.objects.count() == 0


def test_an_inactive_account_has_no_feed(work: Work) -> None:
    issued = calendar_feed_issue(user=work.cast.ana)
    User.objects.filter(pk=work.cast.ana.pk).update(is_active=False)

    assert Client().get(feed_path(issued.token)).status_code == 404


def test_rotating_replaces_the_url_and_the_old_one_stops_working(work: Work) -> None:
    first = calendar_feed_issue(user=work.cast.ana)

    second = calendar_feed_issue(user=work.cast.ana)

    assert second.rotated is True and first.rotated is False
    assert second.token != first.token
    assert CalendarFeed.objects.filter(user=work.cast.ana).count() == 1
    assert Client().get(feed_path(first.token)).status_code == 404
    assert Client().get(feed_path(second.token)).status_code == 200


def test_only_a_digest_of_the_token_is_stored(work: Work) -> None:
    issued = calendar_feed_issue(user=work.cast.ana)

    feed = CalendarFeed.objects.get(user=work.cast.ana)
    assert feed.token_hash == hashlib.sha256(issued.token.encode()).hexdigest()
    assert len(issued.token) == 43
    assert not CalendarFeed.objects.filter(token_hash__contains=issued.token[:12]).exists()


def test_only_the_owners_shifts_are_in_a_feed(work: Work) -> None:
    # given Ben also has a shift, and both have feeds
    from mutualist.work.models import EngagementShift

    EngagementShift.objects.create(member=work.ben_seat, weekday=5, start_hour=10, end_hour=12)
    ana = calendar_feed_issue(user=work.cast.ana)
    ben = calendar_feed_issue(user=work.cast.ben)

    assert shift_summaries(Client().get(feed_path(ana.token))) == {
        "Harbour Bridge Logistics: Support shift"
    }
    assert shift_summaries(Client().get(feed_path(ben.token))) == {
        "Harbour Bridge Logistics: Books shift"
    }


def test_the_last_use_is_noted_at_most_once_an_hour(work: Work, frozen: object) -> None:
    issued = calendar_feed_issue(user=work.cast.ana)
    client = Client()

    client.get(feed_path(issued.token))
    assert CalendarFeed.objects.get().last_used_at == NOW

    frozen.shift(dt.timedelta(minutes=59))  # type: ignore[attr-defined]
    client.get(feed_path(issued.token))
    assert CalendarFeed.objects.get().last_used_at == NOW

    frozen.shift(dt.timedelta(minutes=2))  # type: ignore[attr-defined]
    client.get(feed_path(issued.token))
    assert CalendarFeed.objects.get().last_used_at == NOW + dt.timedelta(minutes=61)


def test_recording_use_writes_only_when_the_last_use_is_an_hour_old(work: Work) -> None:
    issued = calendar_feed_issue(user=work.cast.ana)
    feed = issued.feed

    assert calendar_feed_record_use(feed=feed, now=NOW) is True
    stale = CalendarFeed.objects.get(pk=feed.pk)
    stale.last_used_at = None  # another process's old copy of the row
    assert calendar_feed_record_use(feed=stale, now=NOW + dt.timedelta(minutes=5)) is False
    assert CalendarFeed.objects.get().last_used_at == NOW


# --- The page --------------------------------------------------------------------------


def test_the_page_sends_anonymous_visitors_to_log_in(db: None) -> None:
    for response in (Client().get(PAGE), Client().post(PAGE, {"action": "issue"})):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("members:login"))
    assert CalendarFeed.objects.count() == 0


def test_making_a_feed_on_the_page_shows_its_url_once(
    work: Work, client_for: Callable[[User], Client]
) -> None:
    client = client_for(work.cast.ana)
    assert "You have no calendar feed." in client.get(PAGE).content.decode()

    response = client.post(PAGE, {"action": "issue"})

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    tokens = set(FEED_RE.findall(response.content.decode()))
    assert len(tokens) == 1
    token = tokens.pop()
    assert f'href="webcal://testserver/calendar/{token}.ics"' in response.content.decode()
    assert Client().get(feed_path(token)).status_code == 200
    later = client.get(PAGE).content.decode()
    assert token not in later
    assert "You have a feed address" in later


def test_making_a_new_address_on_the_page_retires_the_old_one(
    work: Work, client_for: Callable[[User], Client]
) -> None:
    first = calendar_feed_issue(user=work.cast.ana)

    response = client_for(work.cast.ana).post(PAGE, {"action": "issue"})

    text = response.content.decode()
    assert "The previous address no longer works." in text
    (token,) = set(FEED_RE.findall(text))
    assert Client().get(feed_path(first.token)).status_code == 404
    assert Client().get(feed_path(token)).status_code == 200


def test_revoking_on_the_page_deletes_the_feed(
    work: Work, client_for: Callable[[User], Client]
) -> None:
    issued = calendar_feed_issue(user=work.cast.ana)

    response = client_for(work.cast.ana).post(PAGE, {"action": "revoke"}, follow=True)

    assert response.redirect_chain == [(PAGE, 302)]
    assert "Your calendar feed is revoked" in response.content.decode()
    assert "You have no calendar feed." in response.content.decode()
    assert CalendarFeed.objects.count() == 0
    assert Client().get(feed_path(issued.token)).status_code == 404


def test_the_page_refuses_an_unknown_action_and_changes_nothing(
    work: Work, client_for: Callable[[User], Client]
) -> None:
    calendar_feed_issue(user=work.cast.ana)
    before = CalendarFeed.objects.get()

    response = client_for(work.cast.ana).post(PAGE, {"action": "explode"}, follow=True)

    assert "Choose to make or to revoke the feed." in response.content.decode()
    assert CalendarFeed.objects.get().token_hash == before.token_hash


def test_olga_sees_only_her_own_empty_feed_state_and_cannot_touch_anas(
    work: Work, client_for: Callable[[User], Client]
) -> None:
    issued = calendar_feed_issue(user=work.cast.ana)
    client = client_for(work.cast.olga)

    page = client.get(PAGE).content.decode()
    client.post(PAGE, {"action": "revoke"})

    assert "You have no calendar feed." in page
    assert CalendarFeed.objects.filter(user=work.cast.ana).get().token_hash == (
        hashlib.sha256(issued.token.encode()).hexdigest()
    )


def test_the_page_shows_times_in_the_viewers_zone(
    work: Work, client_for: Callable[[User], Client]
) -> None:
    calendar_feed_issue(user=work.cast.ana)  # 01:00 UTC is 09:00 in Manila

    page = client_for(work.cast.ana).get(PAGE).content.decode()

    assert "27 Nov 2026 09:00</time> (Asia/Manila)" in page


# --- The API ----------------------------------------------------------------------------


def test_the_api_refuses_anonymous_callers(db: None) -> None:
    client = Client()
    for response in (client.get(API), post_json(client, API), client.delete(API)):
        assert_problem(response, 401, "not_authenticated")
    assert CalendarFeed.objects.count() == 0


def test_get_says_whether_the_caller_has_a_feed_and_never_its_url(cast: Cast) -> None:
    client = bearer_client(cast.ana)
    assert client.get(API).json() == {"exists": False, "created_at": None, "last_used_at": None}

    issued = calendar_feed_issue(user=cast.ana)
    response = client.get(API)

    assert response.status_code == 200
    assert response.json() == {
        "exists": True,
        "created_at": "2026-11-27T01:00:00Z",
        "last_used_at": None,
    }
    assert issued.token not in response.content.decode()


def test_post_makes_the_feed_and_answers_its_url_once(cast: Cast) -> None:
    client = bearer_client(cast.ana)

    response = post_json(client, API)

    assert response.status_code == 201
    body = response.json()
    match = FEED_RE.fullmatch(body["url"])
    assert match is not None
    assert body["webcal_url"] == "webcal" + body["url"].removeprefix("http")
    assert body["exists"] is True and body["rotated"] is False
    assert Client().get(feed_path(match.group(1))).status_code == 200

    again = post_json(client, API).json()
    assert again["rotated"] is True
    assert Client().get(feed_path(match.group(1))).status_code == 404
    assert CalendarFeed.objects.count() == 1


def test_delete_revokes_the_feed_and_is_harmless_twice(cast: Cast) -> None:
    client = bearer_client(cast.ana)
    token = FEED_RE.fullmatch(post_json(client, API).json()["url"]).group(1)  # type: ignore[union-attr]

    first, second = client.delete(API), client.delete(API)

    assert (first.status_code, second.status_code) == (204, 204)
    assert CalendarFeed.objects.count() == 0
    assert Client().get(feed_path(token)).status_code == 404


def test_olga_through_the_api_sees_and_revokes_only_her_own_feed(
    cast: Cast, client_for: Callable[[User], Client]
) -> None:
    calendar_feed_issue(user=cast.ana)
    olga = bearer_client(cast.olga)

    assert olga.get(API).json()["exists"] is False
    assert olga.delete(API).status_code == 204
    assert CalendarFeed.objects.filter(user=cast.ana).exists()


def test_a_session_caller_needs_the_csrf_token_to_make_a_feed(
    cast: Cast, client_for: Callable[[User], Client]
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.ana, backend="django.contrib.auth.backends.ModelBackend")

    assert_problem(post_json(client, API), 403, "csrf_failed")
    assert CalendarFeed.objects.count() == 0


# --- Races (PostgreSQL) -------------------------------------------------------------------


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent inserts need PostgreSQL (set DATABASE_URL); SQLite serialises writers",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_first_issues_at_once_make_one_feed(frozen: object) -> None:
    from mutualist.testing import make_member

    ana = make_member("ana@example.org", "Ana Reyes", timezone="Asia/Manila")

    outcome = race(*(lambda: calendar_feed_issue(user=ana) for _ in range(4)))

    assert len(outcome.results) == 4
    feed = CalendarFeed.objects.get(user=ana)
    working = [
        issued
        for issued in outcome.results
        if hashlib.sha256(issued.token.encode()).hexdigest() == feed.token_hash
    ]
    assert len(working) == 1
