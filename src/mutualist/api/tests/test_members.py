"""The members endpoints: /me, /me/profile, /me/skills, /me/availability,
/me/email-change, /skills, /members and /members/{handle}."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.test import Client

from mutualist.api.tests.support import (
    assert_leaks_nothing,
    assert_problem,
    bearer_client,
    post_json,
    put_json,
)
from mutualist.members.models import AvailabilityWindow, EmailChange, MemberSkill, Profile, User
from mutualist.members.services.accounts import user_signup
from mutualist.members.services.profiles import profile_set_availability, profile_set_skills
from mutualist.testing import PASSWORD

PROFILE = {
    "display_name": "Ana R.",
    "headline": "Bookkeeper for small agencies",
    "bio": "Ten years of ledgers.",
    "country": "PH",
    "city": "Cebu",
    "timezone": "Asia/Manila",
    "languages": ["en", "fil"],
    "rate": {"amount": "12.50", "currency": "USD"},
    "weekly_capacity_hours": 30,
    "is_public": True,
}


def _snapshot(profile: Profile) -> dict[str, object]:
    profile.refresh_from_db()
    return {
        "display_name": profile.display_name,
        "timezone": profile.timezone,
        "rate_minor": profile.rate_minor,
        "rate_currency": profile.rate_currency,
        "weekly_capacity_hours": profile.weekly_capacity_hours,
        "languages": sorted(profile.languages.values_list("code", flat=True)),
    }


# --- Authentication everywhere it is required ---------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/me"),
        ("put", "/api/v1/me/profile"),
        ("put", "/api/v1/me/skills"),
        ("put", "/api/v1/me/availability"),
        ("post", "/api/v1/me/email-change"),
    ],
)
def test_the_me_endpoints_refuse_anonymous_callers_with_401(cast, method, path):
    before = _snapshot(cast.ana.profile)

    response = getattr(Client(), method)(path, data=PROFILE, content_type="application/json")

    assert_problem(response, 401, "not_authenticated")
    assert _snapshot(cast.ana.profile) == before
    assert EmailChange.objects.count() == 0


# --- GET /me ----------------------------------------------------------------------------------


def test_me_shows_the_callers_own_profile_email_and_memberships(cast, client_for):
    response = client_for(cast.ana).get("/api/v1/me")

    assert response.status_code == 200
    body = response.json()
    assert body["email"] == "ana@example.org"
    assert body["handle"] == "ana-reyes"
    assert body["timezone"] == "Asia/Manila"
    assert body["is_public"] is True
    assert body["memberships"] == [
        {
            "collective": {"slug": "manila-va", "name": "Manila Virtual Assistants"},
            "role": "coordinator",
            "state": "active",
            "joined_at": body["memberships"][0]["joined_at"],
        }
    ]


def test_me_says_whether_the_callers_email_is_verified(cast, client_for):
    # given: Ana confirmed her address (the cast all have); Nia just signed up
    nia = user_signup(email="nia@example.org", password=PASSWORD, display_name="Nia Newcomer")

    # when / then
    assert client_for(cast.ana).get("/api/v1/me").json()["email_verified"] is True
    assert client_for(nia).get("/api/v1/me").json()["email_verified"] is False


def test_me_is_always_the_caller_never_anyone_else(cast, client_for):
    # Olga, an outsider, asks for /me: she gets herself and nothing of Ana's.
    response = client_for(cast.olga).get("/api/v1/me")

    text = response.content.decode()
    assert response.json()["email"] == "olga@example.org"
    assert response.json()["memberships"] == []
    for other in ("ana@example.org", "ben@example.org", "carla@example.org", "ana-reyes"):
        assert other not in text


def test_me_works_with_a_bearer_token(cast):
    response = bearer_client(cast.carla).get("/api/v1/me")

    assert response.json()["email"] == "carla@example.org"


# --- PUT /me/profile ----------------------------------------------------------------------


def test_updating_the_profile_replaces_every_editable_field(cast, client_for):
    response = put_json(client_for(cast.ana), "/api/v1/me/profile", PROFILE)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["display_name"] == "Ana R."
    assert body["city"] == "Cebu"
    assert body["languages"] == ["en", "fil"]
    assert body["rate"] == {"amount": "12.50", "currency": "USD"}
    assert body["weekly_capacity_hours"] == 30
    profile = Profile.objects.get(user=cast.ana)
    assert profile.rate_minor == 1250
    assert profile.rate_currency == "USD"


def test_a_rate_in_a_currency_without_minor_units_comes_back_whole(cast, client_for):
    data = {**PROFILE, "rate": {"amount": "1500", "currency": "JPY"}}

    response = put_json(client_for(cast.ana), "/api/v1/me/profile", data)

    assert response.json()["rate"] == {"amount": "1500", "currency": "JPY"}
    assert Profile.objects.get(user=cast.ana).rate_minor == 1500


def test_no_rate_clears_it_and_keeps_the_chosen_currency(cast, client_for):
    client = client_for(cast.ana)
    put_json(client, "/api/v1/me/profile", {**PROFILE, "rate": {"amount": "9", "currency": "EUR"}})

    response = put_json(client, "/api/v1/me/profile", {**PROFILE, "rate": None})

    assert response.json()["rate"] is None
    profile = Profile.objects.get(user=cast.ana)
    assert (profile.rate_minor, profile.rate_currency) == (None, "EUR")


def test_updating_the_profile_changes_only_the_callers_own(cast, client_for):
    before = _snapshot(cast.ana.profile)

    put_json(client_for(cast.olga), "/api/v1/me/profile", PROFILE)

    assert _snapshot(cast.ana.profile) == before
    assert Profile.objects.get(user=cast.olga).display_name == "Ana R."


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, 422, "invalid_timezone", "timezone"),
        ({"rate": {"amount": "-5.00", "currency": "USD"}}, 422, "negative_rate", "rate"),
        ({"rate": {"amount": "12.505", "currency": "USD"}}, 422, "too_many_decimals", "rate"),
        ({"rate": {"amount": "lots", "currency": "USD"}}, 422, "invalid_amount", "rate"),
        ({"rate": {"amount": "10", "currency": "XYZ"}}, 422, "invalid_currency", "rate_currency"),
        ({"weekly_capacity_hours": 169}, 422, "invalid_capacity", "weekly_capacity_hours"),
        ({"weekly_capacity_hours": -1}, 422, "invalid_capacity", "weekly_capacity_hours"),
        ({"country": "XX"}, 422, "invalid_country", "country"),
        ({"languages": ["klingon"]}, 422, "invalid_language", "languages"),
        ({"display_name": "  "}, 422, "required", "display_name"),
    ],
)
def test_refused_profile_changes_name_the_field_and_change_nothing(
    cast, client_for, change, status, code, field
):
    before = _snapshot(cast.ana.profile)

    response = put_json(client_for(cast.ana), "/api/v1/me/profile", {**PROFILE, **change})

    body = assert_problem(response, status, code)
    assert (body["type"], body["title"]) == ("about:blank", "Unprocessable Entity")
    assert body["errors"] == [{"field": field, "message": body["detail"], "code": code}]
    assert _snapshot(cast.ana.profile) == before


def test_a_rate_amount_sent_as_a_json_number_is_refused(cast, client_for):
    # Amounts are decimal strings; a float would already have lost precision.
    before = _snapshot(cast.ana.profile)
    data = {**PROFILE, "rate": {"amount": 12.5, "currency": "USD"}}

    response = put_json(client_for(cast.ana), "/api/v1/me/profile", data)

    body = assert_problem(response, 422, "validation_failed")
    assert body["errors"][0]["field"] == "rate.amount"
    assert _snapshot(cast.ana.profile) == before


def test_an_unknown_profile_field_is_refused_not_ignored(cast, client_for):
    response = put_json(client_for(cast.ana), "/api/v1/me/profile", {**PROFILE, "emial": "x"})

    body = assert_problem(response, 422, "validation_failed")
    assert body["errors"][0]["field"] == "emial"


def test_a_profile_without_required_fields_is_refused(cast, client_for):
    response = put_json(client_for(cast.ana), "/api/v1/me/profile", {"display_name": "Ana"})

    body = assert_problem(response, 422, "validation_failed")
    assert {error["field"] for error in body["errors"]} == {"timezone", "weekly_capacity_hours"}


def test_a_body_that_is_not_json_is_a_400_problem(cast, client_for):
    response = client_for(cast.ana).put(
        "/api/v1/me/profile", data="{not json", content_type="application/json"
    )

    assert_problem(response, 400, "malformed_body")


# --- PUT /me/skills -----------------------------------------------------------------------


def test_setting_skills_replaces_them(cast, client_for):
    profile_set_skills(user=cast.ana, skills={"seo": 1})
    data = {"skills": [{"skill": "bookkeeping", "level": 3}, {"skill": "payroll", "level": 2}]}

    response = put_json(client_for(cast.ana), "/api/v1/me/skills", data)

    assert response.status_code == 200
    assert [(s["skill"], s["level"]) for s in response.json()["skills"]] == [
        ("bookkeeping", 3),
        ("payroll", 2),
    ]
    assert sorted(
        MemberSkill.objects.filter(profile__user=cast.ana).values_list("skill__slug", flat=True)
    ) == [
        "bookkeeping",
        "payroll",
    ]


@pytest.mark.parametrize(
    ("skills", "code"),
    [
        ([{"skill": "juggling", "level": 2}], "unknown_skill"),
        ([{"skill": "seo", "level": 4}], "invalid_skill_level"),
        ([{"skill": "seo", "level": 0}], "invalid_skill_level"),
        ([{"skill": "seo", "level": 1}, {"skill": "seo", "level": 3}], "duplicate_skill"),
    ],
)
def test_refused_skills_change_nothing(cast, client_for, skills, code):
    profile_set_skills(user=cast.ana, skills={"bookkeeping": 2})

    response = put_json(client_for(cast.ana), "/api/v1/me/skills", {"skills": skills})

    body = assert_problem(response, 422, code)
    assert body["errors"][0]["field"] == "skills"
    assert list(
        MemberSkill.objects.filter(profile__user=cast.ana).values_list("skill__slug", "level")
    ) == [("bookkeeping", 2)]


# --- PUT /me/availability -------------------------------------------------------------------


def test_setting_availability_replaces_the_week_including_a_night_shift(cast, client_for):
    windows = [
        {"weekday": "mon", "start": "09:00", "end": "17:00"},
        {"weekday": "fri", "start": "22:00", "end": "06:00"},
    ]

    response = put_json(client_for(cast.ana), "/api/v1/me/availability", {"windows": windows})

    assert response.status_code == 200
    assert response.json()["availability"] == windows
    assert response.json()["weekly_available_hours"] == "16.00"
    assert AvailabilityWindow.objects.filter(profile__user=cast.ana).count() == 2


@pytest.mark.parametrize(
    ("windows", "code"),
    [
        (
            [
                {"weekday": "mon", "start": "09:00", "end": "17:00"},
                {"weekday": "mon", "start": "16:00", "end": "18:00"},
            ],
            "overlapping_availability",
        ),
        (
            [
                {"weekday": "sun", "start": "22:00", "end": "04:00"},
                {"weekday": "mon", "start": "03:00", "end": "05:00"},
            ],
            "overlapping_availability",
        ),
        ([{"weekday": "mon", "start": "9am", "end": "17:00"}], "invalid_time"),
        ([{"weekday": "someday", "start": "09:00", "end": "17:00"}], "invalid_weekday"),
        ([{"weekday": "tue", "start": "09:00", "end": "09:00"}], "empty_availability_window"),
    ],
)
def test_refused_availability_changes_nothing(cast, client_for, windows, code):
    profile_set_availability(
        user=cast.ana, windows=[{"weekday": "wed", "start": "10:00", "end": "12:00"}]
    )

    response = put_json(client_for(cast.ana), "/api/v1/me/availability", {"windows": windows})

    assert_problem(response, 422, code)
    assert list(
        AvailabilityWindow.objects.filter(profile__user=cast.ana).values_list(
            "weekday", "start", "end"
        )
    ) == [(2, dt.time(10), dt.time(12))]


def test_an_availability_window_missing_its_end_names_the_path(cast, client_for):
    data = {"windows": [{"weekday": "mon", "start": "09:00"}]}

    response = put_json(client_for(cast.ana), "/api/v1/me/availability", data)

    body = assert_problem(response, 422, "validation_failed")
    assert body["errors"][0]["field"] == "windows.0.end"


# --- POST /me/email-change --------------------------------------------------------------------


def test_asking_to_change_email_sends_a_link_and_changes_nothing_yet(
    cast, client_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_json(
            client_for(cast.ana),
            "/api/v1/me/email-change",
            {"new_email": "ana@new.example", "current_password": PASSWORD},
        )

    assert response.status_code == 202
    assert response.json()["new_email"] == "ana@new.example"
    assert EmailChange.objects.get(user=cast.ana).new_email == "ana@new.example"
    cast.ana.refresh_from_db()
    assert cast.ana.email == "ana@example.org"
    assert sorted(message.to[0] for message in mail.outbox) == [
        "ana@example.org",
        "ana@new.example",
    ]


@pytest.mark.parametrize(
    ("new_email", "status", "code"),
    [
        ("ben@example.org", 409, "email_taken"),
        ("ANA@example.org", 422, "same_email"),
        ("not an address", 422, "invalid_email"),
    ],
)
def test_refused_email_changes_write_nothing(cast, client_for, new_email, status, code):
    response = post_json(
        client_for(cast.ana),
        "/api/v1/me/email-change",
        {"new_email": new_email, "current_password": PASSWORD},
    )

    body = assert_problem(response, status, code)
    assert body["errors"][0]["field"] == "new_email"
    assert EmailChange.objects.count() == 0
    assert mail.outbox == []


def test_an_email_change_without_the_password_is_refused(
    cast, client_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_json(
            bearer_client(cast.ana), "/api/v1/me/email-change", {"new_email": "ana@new.example"}
        )

    body = assert_problem(response, 422, "validation_failed")
    assert body["errors"] == [
        {"field": "current_password", "message": "Field required", "code": "missing"}
    ]
    assert EmailChange.objects.count() == 0
    assert mail.outbox == []
    cast.ana.refresh_from_db()
    assert cast.ana.email == "ana@example.org"


@pytest.mark.parametrize("client_kind", ["token", "session"])
def test_an_email_change_with_a_wrong_password_is_refused(
    cast, client_for, django_capture_on_commit_callbacks, client_kind
):
    # given: someone holding Ana's token or her open session, but not her password
    client = bearer_client(cast.ana) if client_kind == "token" else client_for(cast.ana)

    with django_capture_on_commit_callbacks(execute=True):
        response = post_json(
            client,
            "/api/v1/me/email-change",
            {"new_email": "thief@example.net", "current_password": "a-guess"},
        )

    body = assert_problem(response, 422, "wrong_password")
    assert body["errors"] == [
        {
            "field": "current_password",
            "message": "Your password is not correct.",
            "code": "wrong_password",
        }
    ]
    assert EmailChange.objects.count() == 0
    assert mail.outbox == []
    cast.ana.refresh_from_db()
    assert cast.ana.email == "ana@example.org"


# --- GET /skills ----------------------------------------------------------------------------


def test_the_skill_taxonomy_is_public_and_paginated(db):
    first = Client().get("/api/v1/skills?limit=5")
    second = Client().get("/api/v1/skills?limit=5&offset=5")

    assert first.status_code == 200
    assert first.json()["count"] == 33
    assert first.json()["limit"] == 5 and first.json()["offset"] == 0
    assert len(first.json()["items"]) == 5
    assert set(first.json()["items"][0]) == {"slug", "name", "category"}
    slugs = {item["slug"] for item in first.json()["items"] + second.json()["items"]}
    assert len(slugs) == 10


def test_the_default_page_has_twenty_items(db):
    response = Client().get("/api/v1/skills")

    assert response.json()["limit"] == 20
    assert len(response.json()["items"]) == 20


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=ten", "offset=-1"])
def test_a_bad_page_is_refused_with_422(db, query):
    response = Client().get(f"/api/v1/skills?{query}")

    body = assert_problem(response, 422, "validation_failed")
    assert body["errors"][0]["field"] == query.split("=")[0]


def test_the_largest_page_is_allowed(db):
    response = Client().get("/api/v1/skills?limit=100")

    assert response.status_code == 200
    assert len(response.json()["items"]) == 33


# --- GET /members ------------------------------------------------------------------------


def _unpublish(user: User) -> None:
    Profile.objects.filter(user=user).update(is_public=False)


def test_the_directory_shows_published_profiles_to_anyone(cast):
    response = Client().get("/api/v1/members")

    assert response.status_code == 200
    assert [item["handle"] for item in response.json()["items"]] == [
        "ana-reyes",
        "ben-okafor",
        "carla-mwangi",
        "olga-petrova",
    ]
    assert response.json()["count"] == 4


def test_the_directory_hides_an_unpublished_profile_from_outsiders(cast, client_for):
    _unpublish(cast.ben)

    as_olga = client_for(cast.olga).get("/api/v1/members").json()
    as_ana = client_for(cast.ana).get("/api/v1/members").json()

    assert "ben-okafor" not in [item["handle"] for item in as_olga["items"]]
    assert "ben-okafor" in [item["handle"] for item in as_ana["items"]]


def test_the_directory_filters_by_skill_country_and_city(cast):
    profile_set_skills(user=cast.ben, skills={"bookkeeping": 3})

    by_skill = Client().get("/api/v1/members?skill=bookkeeping").json()
    by_country = Client().get("/api/v1/members?country=ke").json()
    by_city = Client().get("/api/v1/members?city=berlin").json()

    assert [item["handle"] for item in by_skill["items"]] == ["ben-okafor"]
    assert by_skill["items"][0]["skills"][0]["skill"] == "bookkeeping"
    assert [item["handle"] for item in by_country["items"]] == ["carla-mwangi"]
    assert [item["handle"] for item in by_city["items"]] == ["olga-petrova"]


def test_the_directory_reports_overlap_with_a_clients_working_day(cast):
    # Carla (Nairobi, UTC+3) works 12:00-20:00, i.e. 09:00-17:00 UTC, Monday to
    # Friday. Berlin's office day in January (UTC+1) is 08:00-16:00 UTC: they
    # share 7 hours a day, 35 a week.
    profile_set_availability(
        user=cast.carla,
        windows=[{"weekday": day, "start": "12:00", "end": "20:00"} for day in range(5)],
    )

    with time_machine.travel(dt.datetime(2026, 1, 14, 12, tzinfo=dt.UTC), tick=False):
        response = Client().get(
            "/api/v1/members?overlap_timezone=Europe/Berlin&min_overlap_hours=1"
        )

    assert response.status_code == 200
    items = response.json()["items"]
    assert [item["handle"] for item in items] == ["carla-mwangi"]
    assert items[0]["overlap_hours"] == "35.00"


def test_the_directory_without_an_overlap_zone_reports_no_overlap(cast):
    items = Client().get("/api/v1/members").json()["items"]

    assert {item["overlap_hours"] for item in items} == {None}


def test_an_unknown_overlap_timezone_is_refused(cast):
    response = Client().get("/api/v1/members?overlap_timezone=Nowhere/Land")

    body = assert_problem(response, 422, "invalid_timezone")
    assert body["errors"][0]["field"] == "overlap_timezone"


def test_the_directory_refuses_a_bad_limit(cast):
    assert_problem(Client().get("/api/v1/members?limit=500"), 422, "validation_failed")


# --- GET /members/{handle} -------------------------------------------------------------------


def test_a_published_profile_is_public_with_its_rate_as_a_decimal_string(cast):
    Profile.objects.filter(user=cast.ben).update(rate_minor=2000, rate_currency="NGN")

    response = Client().get("/api/v1/members/ben-okafor")

    assert response.status_code == 200
    body = response.json()
    assert body["display_name"] == "Ben Okafor"
    assert body["rate"] == {"amount": "20.00", "currency": "NGN"}
    assert "email" not in body
    assert "is_public" not in body


def test_an_unpublished_profile_is_a_404_for_an_outsider_and_leaks_nothing(cast, client_for):
    _unpublish(cast.ben)

    response = client_for(cast.olga).get("/api/v1/members/ben-okafor")

    assert_problem(response, 404, "not_found")
    assert_leaks_nothing(response, "Ben Okafor", "Lagos", "ben@example.org")


def test_an_unpublished_profile_is_visible_to_a_fellow_member(cast, client_for):
    _unpublish(cast.ben)

    response = client_for(cast.ana).get("/api/v1/members/ben-okafor")

    assert response.status_code == 200
    assert response.json()["city"] == "Lagos"


def test_an_unknown_handle_is_a_404(db):
    assert_problem(Client().get("/api/v1/members/nobody"), 404, "not_found")
