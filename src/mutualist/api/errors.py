"""RFC 9457 problem documents for every error the API answers with.

Each error becomes ``application/problem+json``::

    {"type": "about:blank", "title": "Unprocessable Entity", "status": 422,
     "detail": "Unknown time zone 'Mars/Olympus'; use an IANA name such as Asia/Manila.",
     "code": "invalid_timezone", "instance": "/api/v1/me/profile",
     "errors": [{"field": "timezone", "message": "...", "code": "invalid_timezone"}]}

``code`` is the stable, machine-readable part: clients branch on it, never on
``detail`` (docs/api.md lists every code). ``type`` is always ``about:blank``,
with the status phrase as ``title`` (RFC 9457 section 4.2.1): a problem type
URI should resolve to its documentation, and the project has no address of its
own to publish one at; an invented domain would be an identifier someone else
may own. Should the project get one, ``problem_response`` is the one place to
change.

Anything an operation raises that no handler here knows becomes a 500 problem
that says nothing of the internals; the traceback goes to the log.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, TypedDict

from django.conf import settings
from django.core.exceptions import (
    ObjectDoesNotExist,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from ninja.errors import (
    AuthenticationError,
    AuthorizationError,
    HttpError,
    Throttled,
    ValidationError,
)

from mutualist.core.errors import DomainError

if TYPE_CHECKING:
    from ninja import NinjaAPI

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE = "about:blank"

# The code for an error that carries nothing more specific than its HTTP status.
STATUS_CODES: dict[int, str] = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    422: "validation_failed",
    429: "throttled",
    500: "server_error",
}

# ninja raises HttpError(403, "CSRF check Failed") from its session auth.
_NINJA_CSRF_MESSAGE = "CSRF check Failed"


class FieldError(TypedDict):
    field: str
    message: str
    code: str


def problem_response(
    request: HttpRequest | None,
    *,
    status: int,
    code: str,
    detail: str,
    errors: Sequence[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if request is not None:
        body["instance"] = request.path
    if errors:
        body["errors"] = list(errors)
    response = HttpResponse(
        json.dumps(body, cls=DjangoJSONEncoder),
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _field_path(loc: Sequence[str | int]) -> str:
    """``("body", "payload", "windows", 0, "start")`` -> ``"windows.0.start"``.

    The first item names where the value came from (body, query, path); for a
    body the second is the view's parameter name, which the client never sees.
    """
    parts = list(loc)
    if parts and parts[0] == "body":
        parts = parts[2:] if len(parts) > 2 else parts[1:]
    elif parts and parts[0] in {"query", "path", "header", "cookie", "form"}:
        parts = parts[1:]
    return ".".join(str(part) for part in parts) or "body"


def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    errors: list[FieldError] | None = None
    if exc.field:
        errors = [{"field": exc.field, "message": exc.message, "code": exc.code}]
    return problem_response(
        request, status=exc.status, code=exc.code, detail=exc.message, errors=errors
    )


def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors: list[FieldError] = []
    for error in exc.errors:
        loc = error.get("loc", ())
        errors.append(
            {
                "field": _field_path(loc if isinstance(loc, list | tuple) else (str(loc),)),
                "message": str(error.get("msg", "Invalid value.")),
                "code": str(error.get("type", "invalid")),
            }
        )
    if len(errors) == 1:
        detail = f"{errors[0]['field']}: {errors[0]['message']}"
    else:
        detail = f"{len(errors)} fields are invalid; see errors."
    return problem_response(
        request, status=422, code="validation_failed", detail=detail, errors=errors
    )


def on_not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    # Selectors raise Http404 with a short, non-revealing message ("No such collective.").
    detail = str(exc) or "Nothing here has that address."
    return problem_response(request, status=404, code="not_found", detail=detail)


def on_object_does_not_exist(request: HttpRequest, exc: ObjectDoesNotExist) -> HttpResponse:
    # An unscoped .get() that found nothing, e.g. the profile of an account made
    # with `createsuperuser`. A 404, not a 500; the model name stays out of it.
    return problem_response(
        request, status=404, code="not_found", detail="Nothing here has that address."
    )


def on_permission_denied(request: HttpRequest, exc: Exception) -> HttpResponse:
    detail = str(exc) or "You may not do that."
    return problem_response(request, status=403, code="permission_denied", detail=detail)


def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    detail = exc.message
    if detail == "Unauthorized":  # ninja's default, when no credentials were sent at all
        detail = "Log in, or send a personal API token as 'Authorization: Bearer <token>'."
    return problem_response(
        request,
        status=401,
        code="not_authenticated",
        detail=detail,
        headers={"WWW-Authenticate": 'Bearer realm="Mutualist API"'},
    )


def on_authorization_error(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
    return problem_response(
        request, status=exc.status_code, code="permission_denied", detail=exc.message
    )


def on_throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    headers = {"Retry-After": str(int(exc.wait))} if exc.wait is not None else None
    return problem_response(
        request, status=429, code="throttled", detail=exc.message, headers=headers
    )


def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 403 and exc.message == _NINJA_CSRF_MESSAGE:
        return problem_response(
            request,
            status=403,
            code="csrf_failed",
            detail=(
                "CSRF check failed. Browser sessions must send the CSRF token in the "
                "X-CSRFToken header; API clients should use a Bearer token instead."
            ),
        )
    if exc.status_code == 400:
        # ninja's only 400 is an unparsable body ("Cannot parse request body ...").
        return problem_response(request, status=400, code="malformed_body", detail=exc.message)
    code = STATUS_CODES.get(exc.status_code, "error")
    return problem_response(request, status=exc.status_code, code=code, detail=exc.message)


def on_unexpected_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    """Whatever no other handler knows: never Django's HTML page, never a traceback.

    Two of Django's own refusals arrive here too, raised while the body or the
    query string is read: a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (413) and
    any other ``SuspiciousOperation``, such as too many query parameters (400).
    They are logged where Django logs them, on ``django.security.<name>``.
    """
    if isinstance(exc, SuspiciousOperation):
        logging.getLogger(f"django.security.{type(exc).__name__}").error(str(exc))
        if isinstance(exc, RequestDataTooBig):
            return problem_response(
                request,
                status=413,
                code="payload_too_large",
                detail=(
                    f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} "
                    "bytes, the most the API accepts."
                ),
            )
        return problem_response(
            request, status=400, code="bad_request", detail="The request could not be read."
        )
    logger.exception("Unhandled error answering %s %s", request.method, request.path)
    return problem_response(
        request,
        status=500,
        code="server_error",
        detail="Something went wrong on our side. It has been logged; please try again later.",
    )


def install_problem_handlers(api: NinjaAPI) -> None:
    """Replace ninja's default error bodies with problem documents.

    ninja looks handlers up along the exception's MRO, so the specific ninja
    errors (subclasses of ``HttpError``) win over ``on_http_error``.
    """
    api.exception_handler(DomainError)(on_domain_error)
    api.exception_handler(ValidationError)(on_validation_error)
    api.exception_handler(Http404)(on_not_found)
    api.exception_handler(ObjectDoesNotExist)(on_object_does_not_exist)
    api.exception_handler(DjangoPermissionDenied)(on_permission_denied)
    api.exception_handler(AuthenticationError)(on_authentication_error)
    api.exception_handler(AuthorizationError)(on_authorization_error)
    api.exception_handler(Throttled)(on_throttled)
    api.exception_handler(HttpError)(on_http_error)
    # Replaces ninja's own fallback, which re-raises (Django's HTML 500 page) or,
    # with DEBUG on, answers with the traceback as text.
    api.exception_handler(Exception)(on_unexpected_error)
