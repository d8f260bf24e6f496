"""The arithmetic question on the comment form: issued, then redeemed once.

A question is a row (``CommentChallenge``); the page gets only
``signing.dumps(token)``, so the expected answer is never in the page and a
reference cannot be invented. Redeeming deletes the row under a row lock in a
transaction of its own, so a wrong answer spends the question too: a script
cannot try answer after answer against one question, and a right answer cannot
be replayed.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone

from mutualist.community.models import CommentChallenge
from mutualist.core.errors import ValidationFailed

_SALT = "mutualist.community.challenge"

WRONG_ANSWER = "That is not the answer to the sum. Please try the new one."
EXPIRED = "The sum was asked too long ago. Please answer the new one."
SPENT = "That sum was already answered. Please answer the new one."
MISSING = "Please answer the sum, so we know you are not a script."


@dataclass(frozen=True)
class IssuedChallenge:
    question: str  # "4 + 3 ="
    signed: str  # what the form carries back, opaque


def challenge_issue(*, now: dt.datetime | None = None) -> IssuedChallenge:
    """A new question, stored; its signed reference for the form."""
    token = secrets.token_urlsafe(18)
    left, right = 1 + secrets.randbelow(9), 1 + secrets.randbelow(9)
    CommentChallenge.objects.create(
        token=token, left=left, right=right, created_at=now or timezone.now()
    )
    return IssuedChallenge(question=f"{left} + {right} =", signed=signing.dumps(token, salt=_SALT))


def _token(signed: str) -> str:
    try:
        token = signing.loads(
            signed, salt=_SALT, max_age=settings.COMMUNITY_CHALLENGE_MAX_AGE_SECONDS
        )
    except signing.SignatureExpired:
        raise ValidationFailed(EXPIRED, code="challenge_expired", field="answer") from None
    except signing.BadSignature:
        raise ValidationFailed(MISSING, code="challenge_invalid", field="answer") from None
    if not isinstance(token, str):
        raise ValidationFailed(MISSING, code="challenge_invalid", field="answer")
    return token


def challenge_redeem(*, signed: str, answer: str, now: dt.datetime | None = None) -> None:
    """Spend the question ``signed`` names; refuse unless ``answer`` is its sum.

    Call it outside any transaction (it commits its own): the question must
    stay spent even when the caller then refuses the comment for something
    else, or a wrong answer could be retried.
    """
    if not signed:
        raise ValidationFailed(MISSING, code="challenge_missing", field="answer")
    token = _token(signed)
    answer = (answer or "").strip()
    with transaction.atomic(durable=True):
        challenge = CommentChallenge.objects.select_for_update().filter(pk=token).first()
        if challenge is not None:
            challenge.delete()
    if challenge is None:
        raise ValidationFailed(SPENT, code="challenge_used", field="answer")
    now = now or timezone.now()
    max_age = dt.timedelta(seconds=settings.COMMUNITY_CHALLENGE_MAX_AGE_SECONDS)
    if challenge.created_at + max_age < now:
        raise ValidationFailed(EXPIRED, code="challenge_expired", field="answer")
    if not answer:
        raise ValidationFailed(MISSING, code="challenge_missing", field="answer")
    if not answer.isascii() or not answer.isdigit() or int(answer) != challenge.answer:
        raise ValidationFailed(WRONG_ANSWER, code="wrong_answer", field="answer")


def challenges_prune(*, now: dt.datetime | None = None) -> int:
    """Delete the questions no one can answer any more; how many."""
    cutoff = (now or timezone.now()) - dt.timedelta(
        seconds=settings.COMMUNITY_CHALLENGE_MAX_AGE_SECONDS
    )
    deleted, _ = CommentChallenge.objects.filter(created_at__lt=cutoff).delete()
    return deleted
