"""One router module per domain; ``mutualist.api.urls`` mounts them.

Routers are thin: a permission-scoped selector for every read, one service
call per write inside ``transaction.atomic(durable=True)``, and an output
schema. Refusals are ``DomainError``s or ``Http404`` from the selectors and
services, which ``mutualist.api.errors`` turns into problem documents.
"""

from __future__ import annotations

from typing import Any

from mutualist.api.schemas.common import PROBLEM_STATUSES, ProblemOut


def anonymous_allowed() -> dict[str, Any]:
    """``openapi_extra`` for public reads (``auth=OPTIONAL``): OpenAPI's empty
    security requirement says "or no credentials at all", next to the Bearer and
    session schemes. A fresh dict each time: ninja merges lists into it in place."""
    return {"security": [{}]}


def responses(ok: dict[int, Any]) -> dict[Any, Any]:
    """The success responses plus the problem document for every error status."""
    return {**ok, PROBLEM_STATUSES: ProblemOut}
