"""Replayable answers for requests that move money (the ``Idempotency-Key`` header).

A client that sent a payment and lost the answer (a timeout, a dropped
connection) does not know whether the money was recorded. It sends the same
request again with the same key, and must not record the money twice. So an
operation that moves money:

1. requires an ``Idempotency-Key`` header (``key_header``; a missing or
   malformed one is ``422 validation_failed`` from the schema, before
   anything runs);
2. inside its ``transaction.atomic(durable=True)``, after the permission
   checks, calls ``idempotent(...)`` with the service call to make. If the
   caller used the key before for the same request (method, path and body:
   the fingerprint), the first answer is given again, with
   ``Idempotent-Replayed: true``, and nothing runs. If the key was used for
   another request, it is ``409 idempotency_key_reused``. Otherwise the key
   is claimed, the service runs, and its answer is stored with the claim, in
   the same database transaction.

Keys are each sender's own (unique per user): another member's identical
key is another request. Only a success is stored: a refusal rolls the claim
back with everything else, and its retry runs again (the state that refused
it may have changed).

Two identical requests at the same moment: the second one's claim (an
INSERT on the unique key) waits on PostgreSQL until the first commits, then
fails; it reads the first one's answer and replays it. SQLite serialises
write transactions (``BEGIN IMMEDIATE``), so there the second finds the
answer at once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import IntegrityError, connection, transaction
from django.http import HttpRequest, HttpResponse
from ninja import P, Schema, Status
from ninja.responses import NinjaJSONEncoder

from mutualist.api.models import IdempotentRequest
from mutualist.core.errors import Conflict
from mutualist.members.models import User

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# As the ledger's operations take it: printable ASCII without spaces (a UUID,
# a random token), at most 100 characters.
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]+$"
MAX_KEY_LENGTH = 100

S = TypeVar("S", bound=Schema)


def key_header(what: str) -> Any:
    """The ``Idempotency-Key`` header parameter (``HeaderEx[str, key_header(...)]``)."""
    return P(
        alias=IDEMPOTENCY_HEADER,
        description=f"The same on every retry of {what} (a UUID, say): 1 to "
        f"{MAX_KEY_LENGTH} printable ASCII characters, no spaces. A retry with the same "
        "key and body answers as the first request did, with `Idempotent-Replayed: true`",
        pattern=IDEMPOTENCY_KEY_PATTERN,
        max_length=MAX_KEY_LENGTH,
    )


def request_fingerprint(request: HttpRequest) -> str:
    """SHA-256 of the request as a canonical document: its method, its path
    and its parsed JSON body with sorted keys. Whitespace and the order of
    keys do not make two bodies different; any value does. An empty body
    counts as ``{}`` (the body of an operation that takes an optional one)."""
    body: Any = json.loads(request.body) if request.body else {}
    canonical = json.dumps(
        [request.method, request.path, body],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _as_sent(value: Schema) -> Any:
    """The answer as its JSON document: what the client reads, stored as such
    (ninja's encoder, so dates and times read as in every other answer)."""
    return json.loads(json.dumps(value.model_dump(by_alias=True), cls=NinjaJSONEncoder))


def _first(user: User, key: str) -> IdempotentRequest | None:
    return IdempotentRequest.objects.filter(user=user, key=key).first()


def _replay(first: IdempotentRequest, *, fingerprint: str, response: HttpResponse) -> Status[Any]:
    if first.fingerprint != fingerprint:
        raise Conflict(
            f"This {IDEMPOTENCY_HEADER} was already used for another request "
            f"({first.operation.replace('_', ' ')}); use a new key for a new request.",
            code="idempotency_key_reused",
            field=IDEMPOTENCY_HEADER,
        )
    response[REPLAYED_HEADER] = "true"
    return Status(first.status_code, first.response)


def idempotent(
    request: HttpRequest,
    response: HttpResponse,
    *,
    user: User,
    key: str,
    operation: str,
    run: Callable[[], Status[S]],
) -> Status[Any]:
    """The first answer to this request under ``key``, or ``run()``'s, stored.

    Call inside the operation's ``transaction.atomic(durable=True)``, after
    its permission checks (a caller who may no longer act gets their refusal,
    not a replay), with the service call as ``run``. ``response`` is the
    operation's temporal response (ninja's ``response: HttpResponse``
    parameter): a replay adds ``Idempotent-Replayed: true`` to it. The answer
    is a ``Status`` whose value is the JSON document, the same for the first
    request and every replay.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("idempotent() runs inside the operation's database transaction.")
    fingerprint = request_fingerprint(request)
    first = _first(user, key)
    if first is not None:
        return _replay(first, fingerprint=fingerprint, response=response)
    try:
        with transaction.atomic():
            claim = IdempotentRequest.objects.create(
                user=user, key=key, operation=operation, fingerprint=fingerprint
            )
    except IntegrityError:
        # A twin with the same key committed while this request waited on
        # the claim (PostgreSQL): it is the first request, and this a retry.
        twin = _first(user, key)
        if twin is None:  # pragma: no cover -- the key's row is what collided
            raise
        return _replay(twin, fingerprint=fingerprint, response=response)
    answer = run()
    claim.status_code = answer.status_code
    claim.response = _as_sent(answer.value)
    claim.save(update_fields=["status_code", "response"])
    return Status(claim.status_code, claim.response)
