"""RFC 9457 problem documents for every error the API answers with.

Each error becomes ``application/problem+json``::

    {"type": "https://mutualist.coop/problems/invalid_timezone",
     "title": "Invalid timezone", "status": 422,
     "detail": "Unknown time zone 'Mars/Olympus'; use an IANA name such as Asia/Manila.",
     "code": "invalid_timezone", "instance": "/api/v1/me/profile",
     "errors": [{"field": "timezone", "message": "...", "code": "invalid_timezone"}]}

``code`` is the stable, machine-readable part: clients branch on it, never on
``detail``. A problem that is nothing more than its HTTP status (a plain 404,
405 or 401) has ``type`` ``about:blank`` and the status phrase as ``title``,
as RFC 9457 section 4.2.1 asks.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, TypedDict

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import URLPattern, URLResolver
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

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://mutualist.coop/problems/"

# The code a bare HTTP status maps to. A problem with exactly this code is
# "about:blank"; anything more specific gets its own type URL.
STATUS_CODES: dict[int, str] = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    422: "validation_failed",
    429: "throttled",
}

# ninja raises HttpError(403, "CSRF check Failed") from its session auth.
_NINJA_CSRF_MESSAGE = "CSRF check Failed"


class FieldError(TypedDict):
    field: str
    message: str
    code: str


def problem_type(code: str, status: int) -> str:
    if STATUS_CODES.get(status) == code:
        return "about:blank"
    return f"{PROBLEM_TYPE_BASE}{code}"


def problem_title(code: str, status: int) -> str:
    if STATUS_CODES.get(status) == code:
        return HTTPStatus(status).phrase
    return code.replace("_", " ").capitalize()


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
        "type": problem_type(code, status),
        "title": problem_title(code, status),
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


# --- Outside the operations: unknown paths and wrong methods ---------------------


def unknown_route(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Every path under the API prefix that no operation matches."""
    return problem_response(
        request,
        status=404,
        code="not_found",
        detail=f"There is no API endpoint at {request.path}; see the OpenAPI document.",
    )


def _with_problem_fallbacks(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Turn what ninja answers outside its operations into problem documents:
    the 405 of a known path with an unknown method, and the 404 its root view raises.
    (``functools.wraps`` also carries over ninja's ``csrf_exempt`` flag.)"""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return unknown_route(request)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            return problem_response(
                request,
                status=405,
                code="method_not_allowed",
                detail=f"{request.method} is not allowed here; use {allowed}.",
                headers={"Allow": allowed},
            )
        return response

    return wrapped


def with_problem_fallbacks(
    patterns: Sequence[URLPattern | URLResolver],
) -> list[URLPattern | URLResolver]:
    result: list[URLPattern | URLResolver] = []
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pattern.callback = _with_problem_fallbacks(pattern.callback)
        result.append(pattern)
    return result
