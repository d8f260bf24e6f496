"""The member's API tokens page: list, make (the secret is shown once), revoke.

Thin views over ``mutualist.api.services`` and ``selectors``, the same calls as
the /api/v1/tokens endpoints.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods, require_POST

from mutualist.api.forms import TokenCreateForm
from mutualist.api.selectors import api_token_get_for_user, api_token_list_for_user
from mutualist.api.services import IssuedToken, api_token_create, api_token_revoke
from mutualist.core.errors import DomainError
from mutualist.members.models import User


def _member(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # noqa: S101 -- guaranteed by @login_required
    return request.user


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    user = _member(request)
    form = TokenCreateForm(request.POST if request.method == "POST" else None)
    issued: IssuedToken | None = None
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic(durable=True):
                issued = api_token_create(user=user, name=form.cleaned_data["name"])
        except DomainError as exc:
            form.add_error("name" if exc.field == "name" else None, exc.message)
        else:
            form = TokenCreateForm()
    # The new secret is rendered straight into this response, never redirected
    # through the session or a message, so it exists nowhere but this page.
    response = render(
        request,
        "api/tokens.html",
        {"form": form, "tokens": api_token_list_for_user(user=user), "issued": issued},
    )
    if issued is not None:
        add_never_cache_headers(response)  # no copy of the secret in any cache
    return response


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    user = _member(request)
    with transaction.atomic(durable=True):
        token = api_token_get_for_user(user=user, token_id=token_id)
        api_token_revoke(token=token, actor=user)
    messages.success(request, f"Revoked “{token.name}”. Requests with it now fail.")
    return redirect("api_tokens:list")
