"""The API's edge: input no database can store, oversized bodies, and any
exception, all answered with problem documents (mutualist.api.boundary)."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client

from mutualist.api.models import ApiToken
from mutualist.api.tests.support import assert_problem, bearer_client, post_json, put_json
from mutualist.collectives.models import Collective
from mutualist.members.models import Profile

CHARACTERS_MESSAGE = "Text may not contain NUL (U+0000) or unpaired surrogates (U+D800-U+DFFF)."

NEW_COLLECTIVE = {
    "name": "Berlin Bookkeepers",
    "slug": "berlin-books",
    "base_currency": "EUR",
    "city": "Berlin",
    "country": "DE",
}
PROFILE = {
    "display_name": "Ana R.",
    "timezone": "Asia/Manila",
    "weekly_capacity_hours": 30,
}


def _invalid_characters(response, *fields: str) -> None:
    body = assert_problem(response, 422, "invalid_characters")
    assert body["errors"] == [
        {"field": field, "message": CHARACTERS_MESSAGE, "code": "invalid_characters"}
        for field in fields
    ]


def _raw_json(client: Client, method: str, path: str, raw: str):
    """Send ``raw`` as it is: the test client would re-encode a dict's strings."""
    return getattr(client, method)(path, data=raw, content_type="application/json")


def _world() -> dict[str, object]:
    return {
        "collectives": sorted(Collective.objects.values_list("slug", flat=True)),
        "tokens": ApiToken.objects.count(),
        "profiles": sorted(Profile.objects.values_list("handle", "display_name", "city")),
    }


# --- NUL and lone surrogates -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/members?country=%00", "country"),
        ("/api/v1/members?city=%00", "city"),
        ("/api/v1/members?skill=book%00keeping", "skill"),
        ("/api/v1/collectives?q=a%00", "q"),
        ("/api/v1/collectives?city=%00", "city"),
        ("/api/v1/members/a%00b", "path"),
        ("/api/v1/collectives/a%00b", "path"),
        ("/api/v1/collectives/a%00b/members", "path"),
        ("/api/v1/skills?x%00=1", "x\x00"),  # even a parameter no operation reads
    ],
)
def test_a_nul_in_the_path_or_query_is_a_422_problem(cast, path, field):
    response = Client().get(path)

    _invalid_characters(response, field)


def test_a_nul_in_a_json_field_changes_nothing(cast, client_for):
    before = _world()

    response = _raw_json(
        client_for(cast.ana),
        "post",
        "/api/v1/collectives",
        json.dumps({**NEW_COLLECTIVE, "name": "a\u0000"}),
    )

    _invalid_characters(response, "name")
    assert _world() == before


def test_a_lone_surrogate_in_a_json_field_changes_nothing(cast, client_for):
    before = _world()
    # json.dumps writes "\ud800" as that escape; json.loads reads it back unpaired.
    raw = json.dumps({**NEW_COLLECTIVE, "name": "\ud800"})
    assert "\\ud800" in raw

    response = _raw_json(client_for(cast.ana), "post", "/api/v1/collectives", raw)

    _invalid_characters(response, "name")
    assert _world() == before


def test_a_surrogate_pair_is_an_ordinary_character(cast, client_for):
    raw = json.dumps({**NEW_COLLECTIVE, "name": "Berlin Books \U0001f4da"})
    assert "\\ud83d\\udcda" in raw  # sent as a pair of escapes

    response = _raw_json(client_for(cast.ana), "post", "/api/v1/collectives", raw)

    assert response.status_code == 201
    assert Collective.objects.get(slug="berlin-books").name == "Berlin Books \U0001f4da"


def test_a_nul_in_the_profile_changes_nothing(cast):
    client = bearer_client(cast.ana)
    before = _world()

    response = put_json(client, "/api/v1/me/profile", {**PROFILE, "display_name": "Ana\x00"})

    _invalid_characters(response, "display_name")
    assert _world() == before


def test_a_nul_in_a_token_name_makes_no_token(cast, client_for):
    response = post_json(client_for(cast.ana), "/api/v1/tokens", {"name": "\x00"})

    _invalid_characters(response, "name")
    assert ApiToken.objects.count() == 0


def test_nested_fields_and_keys_are_named_by_their_path(cast, client_for):
    before = _world()
    data = {
        "windows": [
            {"weekday": "mon", "start": "09:00", "end": "17:00"},
            {"weekday": "tue", "start": "09:00\x00", "end": "17:00", "no\x00te": "x"},
        ]
    }

    response = put_json(client_for(cast.ana), "/api/v1/me/availability", data)

    _invalid_characters(response, "windows.1.no\x00te", "windows.1.start")
    assert _world() == before


def test_every_offending_input_is_listed(cast, client_for):
    response = _raw_json(
        client_for(cast.ana),
        "post",
        "/api/v1/collectives/a%00?q=%00",
        json.dumps({"note": "\ud800"}),
    )

    _invalid_characters(response, "path", "q", "note")


def test_the_screen_comes_before_authentication(db):
    # Refused alike for anyone, as an unreadable request: nothing is looked up.
    response = post_json(Client(), "/api/v1/tokens", {"name": "\x00"})

    _invalid_characters(response, "name")


def test_a_body_that_is_not_json_is_left_to_the_operation(cast, client_for):
    response = _raw_json(client_for(cast.ana), "post", "/api/v1/tokens", '{"name": "x\x00')

    assert_problem(response, 400, "malformed_body")
    assert ApiToken.objects.count() == 0


def test_a_body_nested_too_deeply_to_parse_is_malformed_not_a_crash(cast, client_for):
    response = _raw_json(client_for(cast.ana), "post", "/api/v1/tokens", "[" * 100_000)

    assert_problem(response, 400, "malformed_body")


# --- Requests too large to read --------------------------------------------------------------


def test_a_body_over_the_upload_limit_is_a_413_problem(cast, client_for, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000

    response = post_json(client_for(cast.ana), "/api/v1/tokens", {"name": "x" * 1_000})

    body = assert_problem(response, 413, "payload_too_large")
    assert body["detail"] == "The request body is larger than 1000 bytes, the most the API accepts."
    assert ApiToken.objects.count() == 0


def test_too_many_query_parameters_is_a_400_problem(db, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    query = "&".join(f"p{n}=1" for n in range(11))

    response = Client().get(f"/api/v1/skills?{query}")

    assert_problem(response, 400, "bad_request")


# --- Anything else: a 500 problem, logged -----------------------------------------------------


def _break_skill_list(monkeypatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("internal detail: table skills is on fire")

    monkeypatch.setattr("mutualist.api.routers.members.skill_list", broken)


@pytest.mark.parametrize("debug", [False, True])
def test_an_unexpected_error_is_a_500_problem_that_reveals_nothing(
    db, monkeypatch, caplog, settings, debug
):
    settings.DEBUG = debug  # with DEBUG on, ninja would answer with the traceback
    _break_skill_list(monkeypatch)

    with caplog.at_level(logging.ERROR, logger="mutualist.api.errors"):
        response = Client(raise_request_exception=False).get("/api/v1/skills")

    body = assert_problem(response, 500, "server_error")
    text = response.content.decode()
    assert "fire" not in text and "RuntimeError" not in text and "Traceback" not in text
    assert body["instance"] == "/api/v1/skills"
    [record] = [r for r in caplog.records if r.name == "mutualist.api.errors"]
    assert record.getMessage() == "Unhandled error answering GET /api/v1/skills"
    assert record.exc_info is not None
    assert str(record.exc_info[1]) == "internal detail: table skills is on fire"


def test_an_error_outside_any_operation_is_a_500_problem_too(db, monkeypatch, caplog):
    # The OpenAPI document is served by ninja outside its operations.
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("schema generation failed")

    monkeypatch.setattr("mutualist.api.urls.MutualistAPI.get_openapi_schema", broken)

    with caplog.at_level(logging.ERROR, logger="mutualist.api.errors"):
        response = Client(raise_request_exception=False).get("/api/v1/openapi.json")

    assert_problem(response, 500, "server_error")
    assert "schema generation" not in response.content.decode()
    assert [r.getMessage() for r in caplog.records if r.name == "mutualist.api.errors"] == [
        "Unhandled error answering GET /api/v1/openapi.json"
    ]
