"""Who is asking, as the views of every app need to know it."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest

from mutualist.members.models import User

Viewer = User | AnonymousUser


def request_viewer(request: HttpRequest) -> Viewer:
    user = request.user
    return user if isinstance(user, User) else AnonymousUser()


def request_member(request: HttpRequest) -> User:
    """The logged-in user; for views behind ``login_required``."""
    user = request.user
    assert isinstance(user, User)  # noqa: S101 -- login_required guarantees it; narrows the type
    return user
