"""The API's edge: what every request under /api/v1/ passes through.

``api_url_patterns`` wraps each of ninja's URL patterns, and adds a catch-all
for unknown paths, so that every request under the prefix, whichever
operation it reaches or none:

1. is refused with ``422 invalid_characters`` if it carries text that no
   database text field can hold: a NUL (PostgreSQL refuses it outright) or a
   lone UTF-16 surrogate (it cannot be encoded as UTF-8, on any database).
   The check reads the decoded path, every query parameter name and value,
   and every key and string value of a JSON body at any depth;
2. answers with a problem document where ninja would not: a known path with
   an unknown method (405), an unknown path (404), a body over
   ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (413), and any exception at all (500,
   logged; see ``errors.on_unexpected_error``).

Why here and not in the schemas: a validator on the input schemas would miss
what has no schema of its own (``slug: str`` and ``handle: str`` path
parameters) and every schema that forgets to inherit it (the query filters
derive from ninja's ``Schema``); the next parameter added would be unguarded.
One check on the raw request covers every string the API can read, present
and future. Why not Django middleware: that would reach the web pages too,
where forms already refuse NUL (``CharField``'s
``ProhibitNullCharactersValidator``) and a form post cannot carry a lone
surrogate (undecodable bytes become U+FFFD); the API's own URL patterns keep
it in the API's package.

The screen runs before authentication, like the check for an unreadable
body: a request carrying such characters is refused alike for anyone, and
nothing is read from the database or written (not even a token's last use).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import URLPattern, URLResolver, re_path
from django.views.decorators.csrf import csrf_exempt

from mutualist.api.errors import FieldError, on_unexpected_error, problem_response

# NUL, and the surrogate code points: valid in a Python str (json.loads turns
# "\ud800" into one), never in UTF-8.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_UNSTORABLE_MESSAGE = "Text may not contain NUL (U+0000) or unpaired surrogates (U+D800-U+DFFF)."


def _json_texts(document: Any) -> Iterator[tuple[str, str]]:
    """``(dotted path, text)`` for every object key and string value, depth first.

    Iterative: a deeply nested body must not exhaust the stack.
    """
    stack: list[tuple[str, Any]] = [("body", document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            yield path, value
            continue
        if isinstance(value, dict):
            children = [(str(key), child) for key, child in value.items()]
            for key, _ in children:
                yield _join(path, key), key
        elif isinstance(value, list):
            children = [(str(index), child) for index, child in enumerate(value)]
        else:
            continue
        # Reversed, so that the stack yields them in document order.
        stack.extend((_join(path, key), child) for key, child in reversed(children))


def _join(path: str, key: str) -> str:
    return key if path == "body" else f"{path}.{key}"


def _json_body(request: HttpRequest) -> Any:
    """The body as ninja will parse it (``json.loads`` of the raw bytes), or
    ``None`` if it is empty or not JSON: then ninja answers for it, with
    ``400 malformed_body`` if the operation takes a body and nothing otherwise."""
    if not request.body:
        return None
    try:
        return json.loads(request.body)
    except (ValueError, RecursionError):
        return None


def unstorable_text(request: HttpRequest) -> list[FieldError]:
    """Each input of ``request`` that holds text no database text field can store.

    Reading ``request.body`` raises ``RequestDataTooBig`` for a body over
    ``DATA_UPLOAD_MAX_MEMORY_SIZE``, and ``request.GET`` ``TooManyFieldsSent``.
    """
    fields: list[str] = []
    if _UNSTORABLE.search(request.path_info):
        fields.append("path")
    for name, values in request.GET.lists():
        if _UNSTORABLE.search(name) or any(_UNSTORABLE.search(value) for value in values):
            fields.append(name)
    fields.extend(
        path for path, text in _json_texts(_json_body(request)) if _UNSTORABLE.search(text)
    )
    unique = list(dict.fromkeys(fields))
    return [
        {"field": field, "message": _UNSTORABLE_MESSAGE, "code": "invalid_characters"}
        for field in unique
    ]


def unknown_route(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Every path under the API prefix that no operation matches."""
    return problem_response(
        request,
        status=404,
        code="not_found",
        detail=f"There is no API endpoint at {request.path}; see the OpenAPI document.",
    )


def _at_the_edge(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """``view`` behind the screen, with problem documents for what ninja leaves
    to Django. (``functools.wraps`` also carries over ninja's ``csrf_exempt`` flag.)"""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            if errors := unstorable_text(request):
                return problem_response(
                    request,
                    status=422,
                    code="invalid_characters",
                    detail=(
                        "The request contains characters no text can hold: NUL (U+0000) "
                        "or an unpaired surrogate (U+D800-U+DFFF). Nothing was changed."
                    ),
                    errors=errors,
                )
            response = view(request, *args, **kwargs)
        except Http404:  # ninja's root view, for a path it does not know
            return unknown_route(request)
        except Exception as exc:
            return on_unexpected_error(request, exc)
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


def api_url_patterns(
    patterns: Sequence[URLPattern | URLResolver],
) -> list[URLPattern | URLResolver]:
    """ninja's URL patterns, each behind the edge, then a catch-all 404 for the prefix."""
    result: list[URLPattern | URLResolver] = []
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pattern.callback = _at_the_edge(pattern.callback)
        result.append(pattern)
    result.append(re_path(r"^.*$", _at_the_edge(csrf_exempt(unknown_route)), name="not-found"))
    return result
