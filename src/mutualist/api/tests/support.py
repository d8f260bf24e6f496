"""Helpers for API tests: problem assertions and Bearer-token clients."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from django.test import Client

from mutualist.api.services import api_token_create
from mutualist.members.models import User

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_KEYS = {"type", "title", "status", "detail", "code", "instance", "errors"}


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    """The response is an RFC 9457 problem document with this status and code."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    body: dict[str, Any] = json.loads(response.content)
    assert body["status"] == status
    assert body["code"] == code
    # No problem type URI of our own (see mutualist.api.errors): ``code`` carries it.
    assert body["type"] == "about:blank"
    assert body["title"] == HTTPStatus(status).phrase
    assert body["detail"]
    assert set(body) <= PROBLEM_KEYS
    return body


def assert_leaks_nothing(response: Any, *secrets: str) -> None:
    """A refusal's body is a bare problem document: none of ``secrets`` appear in it."""
    text = response.content.decode()
    assert set(json.loads(text)) <= PROBLEM_KEYS
    for secret in secrets:
        assert secret.lower() not in text.lower(), f"{secret!r} leaked in {text}"


def bearer_client(user: User, *, name: str = "test script") -> Client:
    issued = api_token_create(user=user, name=name)
    return Client(headers={"Authorization": f"Bearer {issued.secret}"})


def put_json(client: Client, path: str, data: Any) -> Any:
    return client.put(path, data=data, content_type="application/json")


def post_json(client: Client, path: str, data: Any = None) -> Any:
    return client.post(path, data={} if data is None else data, content_type="application/json")


def patch_json(client: Client, path: str, data: Any) -> Any:
    return client.patch(path, data=data, content_type="application/json")
