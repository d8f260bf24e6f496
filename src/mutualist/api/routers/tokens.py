"""Personal API tokens: list, issue (the secret is shown once), revoke.

A token may list and revoke its owner's tokens (a script can retire itself),
but only a browser session may issue one.
"""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from ninja import Query, Router, Status

from mutualist.api.auth import request_session_user, request_user
from mutualist.api.pagination import Page, PageParams, paginate
from mutualist.api.routers import responses
from mutualist.api.schemas.tokens import TokenCreatedOut, TokenIn, TokenOut
from mutualist.api.selectors import api_token_get_for_user, api_token_list_for_user
from mutualist.api.services import api_token_create, api_token_revoke

router = Router(tags=["tokens"])


@router.get("/tokens", response=responses({200: Page[TokenOut]}), summary="Your API tokens")
def tokens(request: HttpRequest, page: Query[PageParams]) -> Page[TokenOut]:
    """Tokens that still work, newest first. The secret is never shown again."""
    rows = api_token_list_for_user(user=request_user(request))
    return paginate(rows, page, TokenOut.from_model)


@router.post("/tokens", response=responses({201: TokenCreatedOut}), summary="Make an API token")
def token_new(request: HttpRequest, payload: TokenIn) -> Status[TokenCreatedOut]:
    """Needs a logged-in browser session: a request with a token is refused
    (``403 session_required``), so a leaked token cannot mint its replacement.
    The response carries the token itself, this once: store it now."""
    user = request_session_user(request)
    with transaction.atomic(durable=True):
        issued = api_token_create(user=user, name=payload.name)
    return Status(201, TokenCreatedOut.build(issued.token, secret=issued.secret))


@router.delete(
    "/tokens/{int:token_id}", response=responses({204: None}), summary="Revoke an API token"
)
def token_delete(request: HttpRequest, token_id: int) -> Status[None]:
    """Requests with the token fail from now on. Another member's token id is a 404."""
    user = request_user(request)
    with transaction.atomic(durable=True):
        token = api_token_get_for_user(user=user, token_id=token_id)
        api_token_revoke(token=token, actor=user)
    return Status(204, None)
