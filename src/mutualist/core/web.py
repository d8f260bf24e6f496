"""Helpers every app's views share: how a refusal reaches a form or a page.

Nothing here knows an app; views in members, collectives and later apps use
the same few rules, so a refused service call looks the same everywhere.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Concatenate, ParamSpec

from django import forms
from django.core.exceptions import PermissionDenied as HttpPermissionDenied
from django.http import HttpRequest, HttpResponse
from django_htmx.middleware import HtmxDetails

from mutualist.core.errors import DomainError
from mutualist.core.errors import PermissionDenied as DomainPermissionDenied

P = ParamSpec("P")
View = Callable[Concatenate[HttpRequest, P], HttpResponse]


def add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Show a service's refusal on the field it names, else above the form."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


def forbidden_as_403(view: View[P]) -> View[P]:
    """Turn the domain's ``PermissionDenied`` into Django's, which answers 403.

    Selectors and services raise it for a member who lacks the role; outsiders
    get a 404 from the selectors before this matters.
    """

    @functools.wraps(view)
    def wrapper(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except DomainPermissionDenied as exc:
            raise HttpPermissionDenied(exc.message) from exc

    return wrapper


def is_htmx_partial(request: HttpRequest) -> bool:
    """An htmx request for a fragment (not a history restore, which needs a page)."""
    htmx = getattr(request, "htmx", None)
    return isinstance(htmx, HtmxDetails) and bool(htmx) and not htmx.history_restore_request
