"""What the collective pages share: the decorator that answers the domain's
``PermissionDenied`` with a 403, and small helpers for the viewer, form errors
and redirects."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Concatenate, ParamSpec

from django import forms
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied as HttpPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from mutualist.collectives.models import Collective
from mutualist.collectives.selectors import Viewer
from mutualist.core.errors import DomainError
from mutualist.core.errors import PermissionDenied as DomainPermissionDenied
from mutualist.core.reference import country_names
from mutualist.members.models import User

_TEMPLATES = "collectives"

P = ParamSpec("P")
View = Callable[Concatenate[HttpRequest, P], HttpResponse]


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


def _add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Show a service's refusal on the field it names, else above the form."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


def _viewer(request: HttpRequest) -> Viewer:
    user = request.user
    return user if isinstance(user, User) else AnonymousUser()


def _current_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 -- login_required guarantees it; narrows the type
    return user


def _home_label(collective: Collective) -> str:
    if collective.is_remote and not collective.city:
        return "Remote"
    country = country_names().get(collective.country, collective.country)
    place = ", ".join(part for part in (collective.city, country) if part)
    return f"{place} (and remote)" if collective.is_remote else place


def _back_to_detail(collective: Collective) -> HttpResponse:
    return redirect("collectives:detail", slug=collective.slug)
