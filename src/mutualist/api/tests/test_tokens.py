"""Personal API tokens: the /me/tokens/ page, the /api/v1/tokens endpoints, Bearer auth."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from mutualist.api.models import ApiToken
from mutualist.api.services import api_token_create
from mutualist.api.tests.support import (
    assert_leaks_nothing,
    assert_problem,
    bearer_client,
    post_json,
)

TOKENS_PAGE = "/me/tokens/"
TOKEN_RE = re.compile(r"mut_[A-Za-z0-9_-]{43}")


# --- The tokens page ------------------------------------------------------------------


def test_the_tokens_page_is_named_list_in_the_api_tokens_namespace():
    assert reverse("api_tokens:list") == TOKENS_PAGE


def test_the_tokens_page_requires_login(db):
    response = Client().get(TOKENS_PAGE)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("members:login"))


def test_making_a_token_on_the_page_shows_it_once_and_then_never_again(cast, client_for):
    client = client_for(cast.ana)

    response = client.post(TOKENS_PAGE, {"name": "invoice script"})

    assert response.status_code == 200
    shown = TOKEN_RE.findall(response.content.decode())
    assert len(set(shown)) == 1
    secret = shown[0]
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get(user=cast.ana)
    assert token.name == "invoice script"
    assert secret.startswith(token.prefix)

    later = client.get(TOKENS_PAGE).content.decode()
    assert secret not in later
    assert "invoice script" in later
    assert token.prefix in later


def test_a_token_made_on_the_page_works_as_a_bearer_token(cast, client_for):
    page = client_for(cast.ana).post(TOKENS_PAGE, {"name": "laptop"})
    match = TOKEN_RE.search(page.content.decode())
    assert match is not None
    secret = match.group(0)

    response = Client(headers={"Authorization": f"Bearer {secret}"}).get("/api/v1/me")

    assert response.status_code == 200
    assert response.json()["email"] == "ana@example.org"


def test_the_page_refuses_a_token_without_a_name(cast, client_for):
    response = client_for(cast.ana).post(TOKENS_PAGE, {"name": "   "})

    assert response.status_code == 200
    assert not TOKEN_RE.search(response.content.decode())
    assert ApiToken.objects.count() == 0


def test_the_page_lists_only_the_callers_own_tokens(cast, client_for):
    api_token_create(user=cast.ana, name="ana's script")
    api_token_create(user=cast.olga, name="olga's script")

    page = client_for(cast.olga).get(TOKENS_PAGE).content.decode()

    assert "olga&#x27;s script" in page
    assert "ana&#x27;s script" not in page


def test_revoking_on_the_page_stops_the_token(cast, client_for):
    issued = api_token_create(user=cast.ana, name="old")
    client = client_for(cast.ana)

    response = client.post(reverse("api_tokens:revoke", args=[issued.token.pk]))

    assert response.status_code == 302
    issued.token.refresh_from_db()
    assert issued.token.revoked_at is not None
    refused = Client(headers={"Authorization": f"Bearer {issued.secret}"}).get("/api/v1/me")
    assert_problem(refused, 401, "not_authenticated")


def test_revoking_another_members_token_on_the_page_is_a_404(cast, client_for):
    issued = api_token_create(user=cast.ana, name="ana's")

    response = client_for(cast.olga).post(reverse("api_tokens:revoke", args=[issued.token.pk]))

    assert response.status_code == 404
    issued.token.refresh_from_db()
    assert issued.token.revoked_at is None


def test_revoking_on_the_page_needs_a_post(cast, client_for):
    issued = api_token_create(user=cast.ana, name="x")

    response = client_for(cast.ana).get(reverse("api_tokens:revoke", args=[issued.token.pk]))

    assert response.status_code == 405
    issued.token.refresh_from_db()
    assert issued.token.revoked_at is None


# --- Storage ----------------------------------------------------------------------------


def test_the_stored_hash_is_the_sha256_of_the_token_never_the_token(cast):
    issued = api_token_create(user=cast.ana, name="x")

    stored = ApiToken.objects.get(pk=issued.token.pk)

    assert stored.hash == hashlib.sha256(issued.secret.encode()).hexdigest()
    assert issued.secret not in {stored.hash, stored.prefix, stored.name}
    assert len(issued.secret) >= 4 + 43  # "mut_" and 32 random bytes, url-safe
    assert issued.secret.startswith(stored.prefix)


def test_two_tokens_never_share_a_secret(cast):
    first = api_token_create(user=cast.ana, name="a")
    second = api_token_create(user=cast.ana, name="b")

    assert first.secret != second.secret
    assert first.token.hash != second.token.hash


# --- Bearer authentication ----------------------------------------------------------------


def test_a_bearer_token_authenticates_as_its_owner(cast):
    response = bearer_client(cast.ben).get("/api/v1/me")

    assert response.status_code == 200
    assert response.json()["handle"] == "ben-okafor"


def test_a_bearer_request_needs_no_csrf_token(cast):
    issued = api_token_create(user=cast.ana, name="x")
    client = Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {issued.secret}"})

    response = post_json(client, "/api/v1/collectives/manila-va/applications/0/reject")

    # Past authentication and CSRF to the operation itself: no such application.
    assert_problem(response, 404, "not_found")


def test_an_unknown_bearer_token_is_refused_with_401(db):
    client = Client(headers={"Authorization": "Bearer mut_" + "x" * 43})

    response = client.get("/api/v1/me")

    body = assert_problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "revoked" in body["detail"]


def test_an_unknown_bearer_token_is_refused_even_on_public_reads(db):
    # A bad credential is an error, never quietly treated as anonymous.
    client = Client(headers={"Authorization": "Bearer nonsense"})

    assert_problem(client.get("/api/v1/skills"), 401, "not_authenticated")


def test_a_revoked_token_is_refused_with_401(cast):
    issued = api_token_create(user=cast.ana, name="x")
    client = Client(headers={"Authorization": f"Bearer {issued.secret}"})
    assert client.get("/api/v1/me").status_code == 200

    bearer_client(cast.ana).delete(f"/api/v1/tokens/{issued.token.pk}")

    assert_problem(client.get("/api/v1/me"), 401, "not_authenticated")


def test_a_token_of_an_inactive_user_is_refused_with_401(cast):
    issued = api_token_create(user=cast.ana, name="x")
    cast.ana.is_active = False
    cast.ana.save(update_fields=["is_active"])

    response = Client(headers={"Authorization": f"Bearer {issued.secret}"}).get("/api/v1/me")

    assert_problem(response, 401, "not_authenticated")


def test_using_a_token_sets_last_used_at_at_most_once_a_minute(cast):
    issued = api_token_create(user=cast.ana, name="x")
    client = Client(headers={"Authorization": f"Bearer {issued.secret}"})
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)

    with time_machine.travel(start, tick=False):
        client.get("/api/v1/me")
    issued.token.refresh_from_db()
    assert issued.token.last_used_at == start

    with time_machine.travel(start + dt.timedelta(seconds=59), tick=False):
        client.get("/api/v1/me")
    issued.token.refresh_from_db()
    assert issued.token.last_used_at == start

    with time_machine.travel(start + dt.timedelta(seconds=61), tick=False):
        client.get("/api/v1/me")
    issued.token.refresh_from_db()
    assert issued.token.last_used_at == start + dt.timedelta(seconds=61)


def test_a_session_request_that_changes_something_needs_the_csrf_token(cast):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.ana, backend="django.contrib.auth.backends.ModelBackend")

    response = post_json(client, "/api/v1/tokens", {"name": "x"})

    assert_problem(response, 403, "csrf_failed")
    assert ApiToken.objects.count() == 0


def test_a_session_request_with_the_csrf_token_goes_through(cast):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.ana, backend="django.contrib.auth.backends.ModelBackend")
    client.get(TOKENS_PAGE)  # sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value

    response = client.post(
        "/api/v1/tokens",
        data={"name": "x"},
        content_type="application/json",
        headers={"X-CSRFToken": csrf},
    )

    assert response.status_code == 201


# --- /api/v1/tokens -------------------------------------------------------------------------


def test_creating_a_token_through_the_api_returns_the_secret_once(cast, client_for):
    client = client_for(cast.ana)

    response = post_json(client, "/api/v1/tokens", {"name": "ci"})

    assert response.status_code == 201
    body = response.json()
    assert TOKEN_RE.fullmatch(body["token"])
    assert body["prefix"] == body["token"][:12]
    assert body["last_used_at"] is None and body["revoked_at"] is None
    listed = client.get("/api/v1/tokens")
    assert body["token"] not in listed.content.decode()
    assert [item["name"] for item in listed.json()["items"]] == ["ci"]
    assert "token" not in listed.json()["items"][0]
    assert "hash" not in listed.json()["items"][0]


def test_a_token_cannot_make_a_token(cast):
    # given: a script's token, perhaps leaked
    issued = api_token_create(user=cast.ana, name="invoice script")
    client = Client(headers={"Authorization": f"Bearer {issued.secret}"})

    response = post_json(client, "/api/v1/tokens", {"name": "replacement"})

    body = assert_problem(response, 403, "session_required")
    assert "/me/tokens/" in body["detail"]
    assert list(ApiToken.objects.values_list("name", flat=True)) == ["invoice script"]


def test_a_token_cannot_make_a_token_even_alongside_a_session(cast, client_for):
    # The token is what the request authenticated with (it is tried first).
    issued = api_token_create(user=cast.ana, name="invoice script")
    client = client_for(cast.ana)

    response = client.post(
        "/api/v1/tokens",
        data={"name": "replacement"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {issued.secret}"},
    )

    assert_problem(response, 403, "session_required")
    assert ApiToken.objects.count() == 1


def test_a_token_may_list_and_revoke_its_owners_tokens(cast):
    other = api_token_create(user=cast.ana, name="old laptop")
    issued = api_token_create(user=cast.ana, name="invoice script")
    client = Client(headers={"Authorization": f"Bearer {issued.secret}"})

    listed = client.get("/api/v1/tokens")
    revoked = client.delete(f"/api/v1/tokens/{other.token.pk}")

    assert listed.status_code == 200
    assert [item["name"] for item in listed.json()["items"]] == ["invoice script", "old laptop"]
    assert revoked.status_code == 204
    other.token.refresh_from_db()
    assert other.token.revoked_at is not None


def test_creating_a_token_without_a_name_is_refused(cast, client_for):
    response = post_json(client_for(cast.ana), "/api/v1/tokens", {"name": ""})

    body = assert_problem(response, 422, "required")
    assert body["errors"] == [{"field": "name", "message": body["detail"], "code": "required"}]
    assert ApiToken.objects.count() == 0


def test_creating_a_token_with_a_name_too_long_is_refused(cast, client_for):
    response = post_json(client_for(cast.ana), "/api/v1/tokens", {"name": "x" * 81})

    assert_problem(response, 422, "too_long")
    assert ApiToken.objects.count() == 0


def test_listing_tokens_shows_only_the_callers_working_tokens(cast, client_for):
    api_token_create(user=cast.ana, name="ana one")
    revoked = api_token_create(user=cast.olga, name="olga revoked")
    api_token_create(user=cast.olga, name="olga live")
    bearer_client(cast.olga).delete(f"/api/v1/tokens/{revoked.token.pk}")

    response = client_for(cast.olga).get("/api/v1/tokens")

    assert response.status_code == 200
    # "test script" is the token bearer_client made to revoke with.
    assert sorted(item["name"] for item in response.json()["items"]) == [
        "olga live",
        "test script",
    ]


def test_revoking_a_token_through_the_api(cast, client_for):
    issued = api_token_create(user=cast.ana, name="x")

    response = client_for(cast.ana).delete(f"/api/v1/tokens/{issued.token.pk}")

    assert response.status_code == 204
    issued.token.refresh_from_db()
    assert issued.token.revoked_at is not None


def test_revoking_a_revoked_token_again_changes_nothing(cast, client_for):
    issued = api_token_create(user=cast.ana, name="x")
    client = client_for(cast.ana)
    client.delete(f"/api/v1/tokens/{issued.token.pk}")
    issued.token.refresh_from_db()
    first = issued.token.revoked_at

    response = client.delete(f"/api/v1/tokens/{issued.token.pk}")

    assert response.status_code == 204
    issued.token.refresh_from_db()
    assert issued.token.revoked_at == first


def test_another_members_token_id_is_a_404_and_stays_working(cast, client_for):
    issued = api_token_create(user=cast.ana, name="ana's secret script")

    response = client_for(cast.olga).delete(f"/api/v1/tokens/{issued.token.pk}")

    assert_problem(response, 404, "not_found")
    assert_leaks_nothing(response, "ana", issued.token.prefix, "secret script")
    issued.token.refresh_from_db()
    assert issued.token.revoked_at is None


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/api/v1/tokens"), ("post", "/api/v1/tokens"), ("delete", "/api/v1/tokens/1")],
)
def test_the_token_endpoints_need_authentication(db, method, path):
    response = getattr(Client(), method)(path, content_type="application/json", data={})

    assert_problem(response, 401, "not_authenticated")
    assert ApiToken.objects.count() == 0


def test_token_list_rejects_a_limit_beyond_the_maximum(cast, client_for):
    response = client_for(cast.ana).get("/api/v1/tokens?limit=101")

    body = assert_problem(response, 422, "validation_failed")
    assert body["errors"][0]["field"] == "limit"
