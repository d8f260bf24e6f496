"""Domain errors: what a service raises when it refuses to act.

A service validates before it mutates, so raising one of these always means
nothing was changed. Views turn them into form errors, the API into RFC 9457
problem documents (the ``code`` is stable and documented), the CLI into one
readable line and a non-zero exit.
"""

from __future__ import annotations


class DomainError(Exception):
    """A refused operation.

    ``code`` is a stable, machine-readable identifier (``invalid_timezone``);
    ``field`` names the input at fault, when there is one; ``status`` is the HTTP
    status the API answers with.
    """

    status: int = 400
    default_code: str = "invalid"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.field = field

    def __str__(self) -> str:
        return self.message


class ValidationFailed(DomainError):
    """Input that breaks a rule; nothing was written."""

    status = 422
    default_code = "validation_failed"


class PermissionDenied(DomainError):
    """The actor may see the object but not do this to it."""

    status = 403
    default_code = "permission_denied"


class Conflict(DomainError):
    """The request clashes with the current state (a duplicate, a used token)."""

    status = 409
    default_code = "conflict"


class NotFound(DomainError):
    """Nothing the actor may see has that identifier."""

    status = 404
    default_code = "not_found"


class TooManyAttempts(DomainError):
    """Refused for now: too many recent failures (wrong passwords)."""

    status = 429
    default_code = "too_many_attempts"
