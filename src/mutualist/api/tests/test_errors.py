"""Every error becomes an RFC 9457 problem document with a stable code."""

from __future__ import annotations

import json

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.test import RequestFactory
from ninja.errors import AuthorizationError, HttpError, Throttled, ValidationError

from mutualist.api.errors import (
    on_authorization_error,
    on_domain_error,
    on_http_error,
    on_not_found,
    on_permission_denied,
    on_throttled,
    on_validation_error,
)
from mutualist.api.tests.support import assert_problem
from mutualist.core.errors import Conflict, NotFound, ValidationFailed

REQUEST = RequestFactory().get("/api/v1/somewhere")


def test_a_domain_error_keeps_its_status_code_and_field():
    exc = ValidationFailed("Unknown time zone.", code="invalid_timezone", field="timezone")

    body = assert_problem(on_domain_error(REQUEST, exc), 422, "invalid_timezone")

    assert body == {
        "type": "about:blank",
        "title": "Unprocessable Entity",
        "status": 422,
        "detail": "Unknown time zone.",
        "code": "invalid_timezone",
        "instance": "/api/v1/somewhere",
        "errors": [
            {"field": "timezone", "message": "Unknown time zone.", "code": "invalid_timezone"}
        ],
    }


def test_a_domain_error_without_a_field_has_no_errors_list():
    body = assert_problem(
        on_domain_error(REQUEST, Conflict("Already.", code="already_member")), 409, "already_member"
    )

    assert "errors" not in body


def test_a_domain_error_with_its_default_code_is_about_blank():
    body = assert_problem(on_domain_error(REQUEST, NotFound("Gone.")), 404, "not_found")

    assert body["type"] == "about:blank"
    assert body["title"] == "Not Found"


def test_a_validation_error_lists_each_field_by_its_path():
    exc = ValidationError(
        [
            {
                "loc": ("body", "payload", "windows", 0, "start"),
                "msg": "Field required",
                "type": "missing",
            },
            {"loc": ("query", "limit"), "msg": "Too big", "type": "less_than_equal"},
        ]
    )

    body = assert_problem(on_validation_error(REQUEST, exc), 422, "validation_failed")

    assert body["errors"] == [
        {"field": "windows.0.start", "message": "Field required", "code": "missing"},
        {"field": "limit", "message": "Too big", "code": "less_than_equal"},
    ]


def test_http404_is_not_found():
    assert_problem(on_not_found(REQUEST, Http404("No such collective.")), 404, "not_found")


def test_djangos_permission_denied_is_a_403_problem():
    body = assert_problem(
        on_permission_denied(REQUEST, DjangoPermissionDenied()), 403, "permission_denied"
    )

    assert body["type"] == "about:blank"


def test_ninjas_authorization_error_is_a_403_problem():
    assert_problem(on_authorization_error(REQUEST, AuthorizationError()), 403, "permission_denied")


def test_throttling_is_a_429_problem_with_retry_after():
    response = on_throttled(REQUEST, Throttled(wait=30))

    assert_problem(response, 429, "throttled")
    assert response["Retry-After"] == "30"


def test_any_other_http_error_keeps_its_status():
    assert_problem(on_http_error(REQUEST, HttpError(409, "Clash")), 409, "conflict")


def test_problem_documents_are_json_with_the_problem_media_type():
    response = on_not_found(REQUEST, Http404())

    assert response["Content-Type"] == "application/problem+json"
    assert json.loads(response.content)["detail"]


def test_an_account_without_a_profile_gets_a_404_problem_not_a_500(client_for):
    # A login made in the shell with create_user has no profile.
    from mutualist.members.models import User

    admin = User.objects.create_user("root@example.org", "pw-for-root-123")

    response = client_for(admin).get("/api/v1/me")

    body = assert_problem(response, 404, "not_found")
    assert "Profile" not in body["detail"]
