"""Personal API tokens.

A token is shown to its owner once, when it is made; the database keeps only
its SHA-256 hash and a short prefix that lets the owner tell tokens apart.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=80)
    # The first characters of the token, shown in the UI ("mut_Ab12Cd34"); not a secret.
    prefix = models.CharField(max_length=16)
    # SHA-256 hex digest of the whole token. A fast hash is right here, unlike for
    # passwords: the token is 32 random bytes from `secrets`, so there is no
    # dictionary to try and 2**256 guesses to make; a slow hash would only slow
    # down every API request.
    hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["hash"], name="api_apitoken_hash_unique"),
            models.CheckConstraint(
                condition=~models.Q(name=""), name="api_apitoken_name_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class IdempotentRequest(models.Model):
    """The first answer to a request that moves money, kept under the
    ``Idempotency-Key`` its sender gave it (``mutualist.api.idempotency``).

    A retry with the same key and the same request (method, path, body) is
    answered from here and runs nothing; the same key with another request
    is refused. Only answers that succeeded are kept: a refused request
    changed nothing, so its retry simply runs again.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # As the sender gave it: 1 to 100 printable ASCII characters (the header's schema).
    key = models.CharField(max_length=100)
    # Which operation used the key ("payment_record"), for the refusal's words.
    operation = models.CharField(max_length=60)
    # SHA-256 hex of the canonical request: method, path and the parsed body.
    fingerprint = models.CharField(max_length=64)
    # 0 while the first request runs: that row is claimed and answered in one
    # database transaction, so no other request ever reads a 0.
    status_code = models.PositiveSmallIntegerField(default=0)
    response = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="api_idempotentrequest_once"),
            models.CheckConstraint(
                condition=~models.Q(key=""), name="api_idempotentrequest_key_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.operation} under {self.key!r}"
