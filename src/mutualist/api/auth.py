"""Who is calling: a personal API token, a browser session, or nobody.

Order matters. The Bearer token is tried first, so a script with a token never
meets the session's CSRF check; a browser without a token falls through to the
session, where ninja enforces CSRF on unsafe methods. A token that is sent but
is unknown, revoked or belongs to an inactive account is refused outright with
a 401: a bad credential is never quietly treated as "anonymous".
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer, SessionAuth

from mutualist.api.models import ApiToken
from mutualist.api.selectors import api_token_find_active
from mutualist.api.services import api_token_record_use
from mutualist.core.errors import PermissionDenied
from mutualist.members.models import User

# Where PersonalTokenAuth leaves the token a request authenticated with.
_API_TOKEN_ATTRIBUTE = "mutualist_api_token"  # noqa: S105 -- an attribute name

REFUSED_BEARER_DETAIL = (
    "This API token is not valid: it is unknown, it has been revoked, or its account "
    "is inactive. Make a new one at /me/tokens/."
)


class PersonalTokenAuth(HttpBearer):
    """``Authorization: Bearer mut_...``, a token made at /me/tokens/ or POST /tokens."""

    def authenticate(self, request: HttpRequest, token: str) -> User:
        api_token = api_token_find_active(secret=token.strip())
        if api_token is None:
            raise AuthenticationError(message=REFUSED_BEARER_DETAIL)
        api_token_record_use(token=api_token)
        setattr(request, _API_TOKEN_ATTRIBUTE, api_token)
        user = api_token.user
        # Code that reads request.user (templates, logging) sees the token's owner.
        request.user = user
        return user


def anonymous(request: HttpRequest) -> AnonymousUser:
    """Last resort for public reads: anyone may look, as nobody in particular."""
    return AnonymousUser()


token_auth = PersonalTokenAuth()
session_auth = SessionAuth(csrf=True)

# Operations that need a logged-in member (the API's default).
AUTHENTICATED: list[Any] = [token_auth, session_auth]
# Public reads: a member sees more (their unpublished fellow members), the public less.
OPTIONAL: list[Any] = [token_auth, session_auth, anonymous]


def request_user(request: HttpRequest) -> User:
    """The authenticated member; only for operations that require authentication."""
    user = getattr(request, "auth", None)
    if not isinstance(user, User):
        raise AuthenticationError()
    return user


def request_viewer(request: HttpRequest) -> User | AnonymousUser:
    """Whoever is looking, possibly nobody (public reads)."""
    user = getattr(request, "auth", None)
    return user if isinstance(user, User) else AnonymousUser()


def request_api_token(request: HttpRequest) -> ApiToken | None:
    """The API token the request authenticated with; ``None`` for a session or nobody."""
    token = getattr(request, _API_TOKEN_ATTRIBUTE, None)
    return token if isinstance(token, ApiToken) else None


def request_session_user(request: HttpRequest) -> User:
    """The member, for operations that a logged-in browser session may do but a
    token may not (making tokens: a leaked token must not mint its own replacement).

    Raises ``PermissionDenied`` (``session_required``) for a token request.
    """
    user = request_user(request)
    if request_api_token(request) is not None:
        raise PermissionDenied(
            "An API token cannot do this; log in and use the API tokens page (/me/tokens/).",
            code="session_required",
        )
    return user
