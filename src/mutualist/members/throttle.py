"""Password checks outside the login form count towards the login lockout.

Changing the login email or the password asks for the current password. Without a limit, a
stolen session or API token could guess that password there as fast as it
likes, where the login form (django-axes) would have stopped it after five
tries. So a wrong password here is recorded as a failed login for that
account and address, and a locked-out account is refused here too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest

from mutualist.core.errors import TooManyAttempts, ValidationFailed
from mutualist.members.models import User


def _credentials(user: User) -> dict[str, str]:
    return {settings.AXES_USERNAME_FORM_FIELD: user.email}


LOCKED_OUT = "Too many wrong passwords: try again in a while."


def is_locked_out(*, request: HttpRequest, user: User) -> bool:
    return bool(AxesProxyHandler.is_locked(request, credentials=_credentials(user)))


def record_wrong_password(*, request: HttpRequest, user: User) -> None:
    """Count a wrong current password as a failed login for ``user``.

    Call it outside any transaction that is about to roll back.
    """
    user_login_failed.send(sender=__name__, credentials=_credentials(user), request=request)
    # Answer the lockout ourselves, as a form error or a problem document;
    # axes' middleware would swap in its HTML page.
    request.axes_locked_out = False  # type: ignore[attr-defined]


@contextmanager
def password_attempt(*, request: HttpRequest, user: User) -> Iterator[None]:
    """Wrap a service call that checks ``user``'s current password.

    Refuses with ``TooManyAttempts`` while the account is locked out; records a
    ``wrong_password`` refusal as a failed login. Use it outside the
    transaction, so the record survives the rollback of the refused change.
    """
    if is_locked_out(request=request, user=user):
        raise TooManyAttempts(LOCKED_OUT, field="current_password")
    try:
        yield
    except ValidationFailed as exc:
        if exc.code == "wrong_password":
            record_wrong_password(request=request, user=user)
        raise
