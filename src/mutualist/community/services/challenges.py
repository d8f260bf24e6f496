"""The arithmetic question on the comment form: signed, expiring, single use.

Issuing writes nothing: the form carries ``signing.dumps`` of a random nonce
and a keyed hash (``salted_hmac``, the site's secret) of nonce and answer. The
question's two numbers are shown in the page as its label; the answer is not
in the page, and without the secret the hash cannot be checked offline, so a
script has to ask the server, once per question. Redeeming records the nonce
(``SpentChallenge``, primary key) in a transaction of its own before the
answer is compared, so a wrong answer spends the question too: a script
cannot try answer after answer against one question, and a right answer
cannot be replayed. The signature's timestamp makes it expire.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from mutualist.community.models import SpentChallenge
from mutualist.core.errors import ValidationFailed

_SALT = "mutualist.community.challenge"
_ANSWER_SALT = "mutualist.community.challenge.answer"

WRONG_ANSWER = "That is not the answer to the sum. Please try the new one."
EXPIRED = "The sum was asked too long ago. Please answer the new one."
SPENT = "That sum was already answered. Please answer the new one."
MISSING = "Please answer the sum, so we know you are not a script."


@dataclass(frozen=True)
class IssuedChallenge:
    question: str  # "4 + 3 =", the form's label
    signed: str  # what the form carries back: opaque, without the answer


def _answer_mac(nonce: str, answer: int) -> str:
    return salted_hmac(_ANSWER_SALT, f"{nonce}:{answer}", algorithm="sha256").hexdigest()


def challenge_issue() -> IssuedChallenge:
    """A new question and its signed reference for the form (nothing stored)."""
    nonce = secrets.token_urlsafe(18)
    left, right = 1 + secrets.randbelow(9), 1 + secrets.randbelow(9)
    signed = signing.dumps({"n": nonce, "m": _answer_mac(nonce, left + right)}, salt=_SALT)
    return IssuedChallenge(question=f"{left} + {right} =", signed=signed)


def _payload(signed: str) -> tuple[str, str]:
    try:
        payload = signing.loads(
            signed, salt=_SALT, max_age=settings.COMMUNITY_CHALLENGE_MAX_AGE_SECONDS
        )
    except signing.SignatureExpired:
        raise ValidationFailed(EXPIRED, code="challenge_expired", field="answer") from None
    except signing.BadSignature:
        raise ValidationFailed(MISSING, code="challenge_invalid", field="answer") from None
    nonce, mac = (payload.get("n"), payload.get("m")) if isinstance(payload, dict) else (None, None)
    if not isinstance(nonce, str) or not isinstance(mac, str) or not 0 < len(nonce) <= 32:
        raise ValidationFailed(MISSING, code="challenge_invalid", field="answer")
    return nonce, mac


def challenge_redeem(*, signed: str, answer: str, now: dt.datetime | None = None) -> None:
    """Spend the question ``signed`` carries; refuse unless ``answer`` is its sum.

    Call it outside any transaction (it commits its own): the question must
    stay spent even when the caller then refuses the comment for something
    else, or a wrong answer could be retried.
    """
    if not signed:
        raise ValidationFailed(MISSING, code="challenge_missing", field="answer")
    nonce, mac = _payload(signed)
    answer = (answer or "").strip()
    try:
        with transaction.atomic(durable=True):
            SpentChallenge.objects.create(nonce=nonce, spent_at=now or timezone.now())
    except IntegrityError:
        raise ValidationFailed(SPENT, code="challenge_used", field="answer") from None
    if not answer:
        raise ValidationFailed(MISSING, code="challenge_missing", field="answer")
    # isascii: "٧".isdigit() is True and int() reads it; only 0-9 are an answer.
    if not (answer.isascii() and answer.isdigit() and len(answer) <= 3) or not (
        constant_time_compare(_answer_mac(nonce, int(answer)), mac)
    ):
        raise ValidationFailed(WRONG_ANSWER, code="wrong_answer", field="answer")


def challenges_prune(*, now: dt.datetime | None = None) -> int:
    """Forget spent questions that have expired anyway (their signature would
    refuse them); how many."""
    cutoff = (now or timezone.now()) - dt.timedelta(
        seconds=settings.COMMUNITY_CHALLENGE_MAX_AGE_SECONDS
    )
    deleted, _ = SpentChallenge.objects.filter(spent_at__lt=cutoff).delete()
    return deleted
