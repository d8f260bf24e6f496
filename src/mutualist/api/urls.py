"""The REST API at /api/v1/: one NinjaAPI, one router per domain.

OpenAPI document: /api/v1/openapi.json; interactive docs: /api/v1/docs.
"""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, URLResolver
from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema
from ninja.operation import Operation

from mutualist.api.auth import AUTHENTICATED
from mutualist.api.boundary import api_url_patterns
from mutualist.api.errors import PROBLEM_CONTENT_TYPE, install_problem_handlers
from mutualist.api.routers.billing_invoices import router as billing_invoices_router
from mutualist.api.routers.billing_payments import router as billing_payments_router
from mutualist.api.routers.billing_payouts import router as billing_payouts_router
from mutualist.api.routers.billing_reports import router as billing_reports_router
from mutualist.api.routers.billing_settings import router as billing_settings_router
from mutualist.api.routers.collectives import router as collectives_router
from mutualist.api.routers.community import router as community_router
from mutualist.api.routers.governance import router as governance_router
from mutualist.api.routers.invitations import router as invitations_router
from mutualist.api.routers.ledger import router as ledger_router
from mutualist.api.routers.members import router as members_router
from mutualist.api.routers.mutual import router as mutual_router
from mutualist.api.routers.mutual_solvency import router as mutual_solvency_router
from mutualist.api.routers.tokens import router as tokens_router
from mutualist.api.routers.work_calendar import router as work_calendar_router
from mutualist.api.routers.work_clients import router as work_clients_router
from mutualist.api.routers.work_pitches import router as work_pitches_router
from mutualist.api.routers.work_proposals import router as work_proposals_router
from mutualist.api.routers.work_time import router as work_time_router

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
        """ninja's URLs behind the API's edge (``mutualist.api.boundary``): text
        no database can store is refused, and what falls outside the operations
        (a wrong method, an unknown path, an exception) is a problem document."""
        patterns, app_name, namespace = super().urls
        return api_url_patterns(patterns), app_name, namespace

    def get_openapi_operation_id(self, operation: Operation) -> str:
        """``me_profile_update`` rather than ``mutualist_api_routers_members_me_profile_update``:
        view names are unique across the routers (a test checks)."""
        return str(operation.view_func.__name__)

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        """Document error responses with the media type they are served as."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for operations in schema["paths"].values():
            for operation in operations.values():
                for response in operation.get("responses", {}).values():
                    content = response.get("content", {})
                    body = content.get("application/json")
                    if body and body.get("schema", {}).get("$ref", "").endswith("/ProblemOut"):
                        content[PROBLEM_CONTENT_TYPE] = content.pop("application/json")
        return schema


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
api.add_router("", invitations_router)
api.add_router("", tokens_router)
api.add_router("", ledger_router)
api.add_router("", work_clients_router)
api.add_router("", work_pitches_router)
api.add_router("", work_proposals_router)
api.add_router("", work_time_router)
api.add_router("", work_calendar_router)
api.add_router("", billing_invoices_router)
api.add_router("", billing_payments_router)
api.add_router("", billing_payouts_router)
api.add_router("", billing_settings_router)
api.add_router("", billing_reports_router)
api.add_router("", governance_router)
api.add_router("", mutual_router)
api.add_router("", mutual_solvency_router)
api.add_router("", community_router)
