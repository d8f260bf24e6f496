"""The arithmetic question: opaque in the page, single use, expiring, pruned."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import signing
from django.db import connection
from django.utils import timezone

from mutualist.community.models import SpentChallenge
from mutualist.community.services.challenges import (
    challenge_issue,
    challenge_redeem,
    challenges_prune,
)
from mutualist.community.tests.helpers import answer_of
from mutualist.core import tick
from mutualist.core.errors import ValidationFailed
from mutualist.testing import race

pytestmark = pytest.mark.django_db


def test_issuing_a_question_stores_nothing_and_the_reference_has_no_answer() -> None:
    issued = challenge_issue()

    left, right = (int(n) for n in issued.question.removesuffix(" =").split(" + "))
    assert 1 <= left <= 9 and 1 <= right <= 9
    assert SpentChallenge.objects.count() == 0
    # The reference holds a random nonce and a keyed hash, not the numbers
    # or their sum: the answer is checkable only by the server.
    payload = signing.loads(issued.signed, salt="mutualist.community.challenge")
    assert set(payload) == {"n", "m"}
    assert str(left + right) not in payload.values()
    assert len(payload["m"]) == 64


def test_the_right_answer_is_accepted_once() -> None:
    issued = challenge_issue()
    answer = str(answer_of(issued))

    challenge_redeem(signed=issued.signed, answer=f" {answer} ")

    with pytest.raises(ValidationFailed) as caught:
        challenge_redeem(signed=issued.signed, answer=answer)
    assert caught.value.code == "challenge_used"
    assert SpentChallenge.objects.count() == 1


@pytest.mark.parametrize("answer", ["0", "-1", "seven", "٧", "1e1", "99", "0" * 5000])
def test_a_wrong_answer_is_refused_and_spends_the_question(answer: str) -> None:
    issued = challenge_issue()
    assert str(answer_of(issued)) != answer

    with pytest.raises(ValidationFailed) as caught:
        challenge_redeem(signed=issued.signed, answer=answer)
    assert (caught.value.code, caught.value.field) == ("wrong_answer", "answer")

    with pytest.raises(ValidationFailed) as again:  # the right one, too late
        challenge_redeem(signed=issued.signed, answer=str(answer_of(issued)))
    assert again.value.code == "challenge_used"


def test_another_questions_answer_does_not_fit() -> None:
    first, second = challenge_issue(), challenge_issue()
    while answer_of(second) == answer_of(first):
        second = challenge_issue()

    with pytest.raises(ValidationFailed) as caught:
        challenge_redeem(signed=second.signed, answer=str(answer_of(first)))
    assert caught.value.code == "wrong_answer"


def test_a_tampered_reference_is_refused_and_spends_nothing() -> None:
    issued = challenge_issue()
    payload = signing.loads(issued.signed, salt="mutualist.community.challenge")
    forged = [
        signing.dumps(payload, salt="another.salt"),
        issued.signed[:-2] + ("xx" if not issued.signed.endswith("xx") else "yy"),
        "garbage",
        signing.dumps({"n": 5, "m": "x"}, salt="mutualist.community.challenge"),
        signing.dumps(["n", "m"], salt="mutualist.community.challenge"),
    ]

    for signed in forged:
        with pytest.raises(ValidationFailed) as caught:
            challenge_redeem(signed=signed, answer="5")
        assert caught.value.code == "challenge_invalid"
    assert SpentChallenge.objects.count() == 0


def test_a_question_expires_after_an_hour() -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        issued = challenge_issue()

    with (
        time_machine.travel(start + dt.timedelta(minutes=61), tick=False),
        pytest.raises(ValidationFailed) as caught,
    ):
        challenge_redeem(signed=issued.signed, answer=str(answer_of(issued)))
    assert caught.value.code == "challenge_expired"


def test_the_tick_forgets_only_answers_older_than_any_valid_question() -> None:
    start = timezone.now()
    with time_machine.travel(start - dt.timedelta(minutes=61), tick=False):
        for _ in range(2):
            issued = challenge_issue()
            challenge_redeem(signed=issued.signed, answer=str(answer_of(issued)))
    with time_machine.travel(start - dt.timedelta(minutes=59), tick=False):
        recent = challenge_issue()
        challenge_redeem(signed=recent.signed, answer=str(answer_of(recent)))

    assert challenges_prune() == 2
    assert SpentChallenge.objects.count() == 1
    tick.autodiscover()
    job = tick.job_get("community.prune_challenges")
    assert job is not None
    assert job.func() == 0
    # Still refused while it could be presented: its record was kept.
    with pytest.raises(ValidationFailed) as caught:
        challenge_redeem(signed=recent.signed, answer=str(answer_of(recent)))
    assert caught.value.code == "challenge_used"


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row-lock races need PostgreSQL (set DATABASE_URL); SQLite serialises writers",
)
# serialized_rollback, like every race test: a plain transactional test's
# flush re-creates the content types, and the next serialized test's restore
# then collides with them.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_requests_with_one_right_answer_at_once_pass_once() -> None:
    issued = challenge_issue()
    answer = str(answer_of(issued))

    outcome = race(
        *[lambda: challenge_redeem(signed=issued.signed, answer=answer) for _ in range(4)]
    )

    assert len(outcome.results) == 1
    assert [r.code for r in outcome.refusals] == ["challenge_used"] * 3
