"""The REST API at /api/v1/: one NinjaAPI, one router per domain.

OpenAPI document: /api/v1/openapi.json; interactive docs: /api/v1/docs.
"""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, re_path
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI

from mutualist.api.auth import AUTHENTICATED
from mutualist.api.errors import install_problem_handlers, unknown_route, with_problem_fallbacks
from mutualist.api.routers.collectives import router as collectives_router
from mutualist.api.routers.members import router as members_router
from mutualist.api.routers.tokens import router as tokens_router

DESCRIPTION = """\
The Mutualist REST API: everything the web pages do.

**Authentication**: a personal API token (make one at `/me/tokens/`) as
`Authorization: Bearer <token>`, or the browser session (with the CSRF token in
`X-CSRFToken` for unsafe methods).

**Errors** are RFC 9457 problem documents (`application/problem+json`) with a
stable `code`. **Lists** take `limit` (1-100, default 20) and `offset` and answer
`{"items", "count", "limit", "offset"}`. Decimal values are strings.
"""


class MutualistAPI(NinjaAPI):
    @property
    def urls(self) -> tuple[list[URLPattern | URLResolver], str, str]:
        """ninja's URLs, with problem documents for what falls outside its
        operations: a wrong method (405) and any unknown path under the prefix (404)."""
        patterns, app_name, namespace = super().urls
        return (
            [
                *with_problem_fallbacks(patterns),
                re_path(r"^.*$", csrf_exempt(unknown_route), name="not-found"),
            ],
            app_name,
            namespace,
        )


api = MutualistAPI(
    title="Mutualist API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=AUTHENTICATED,
)
install_problem_handlers(api)
api.add_router("", members_router)
api.add_router("", collectives_router)
api.add_router("", tokens_router)
