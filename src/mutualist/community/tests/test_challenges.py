"""The arithmetic question: opaque in the page, single use, expiring, pruned."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import signing
from django.utils import timezone

from mutualist.community.models import CommentChallenge
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


def test_the_page_gets_a_question_and_a_reference_without_the_answer() -> None:
    issued = challenge_issue()
    row = CommentChallenge.objects.get()

    assert issued.question == f"{row.left} + {row.right} ="
    assert 1 <= row.left <= 9 and 1 <= row.right <= 9
    # The reference carries the row's random token and nothing else: not the
    # answer, not the operands.
    assert signing.loads(issued.signed, salt="mutualist.community.challenge") == row.token


def test_the_right_answer_is_accepted_once() -> None:
    issued = challenge_issue()
    answer = str(answer_of(issued))

    challenge_redeem(signed=issued.signed, answer=f" {answer} ")

    with pytest.raises(ValidationFailed) as caught:
        challenge_redeem(signed=issued.signed, answer=answer)
    assert caught.value.code == "challenge_used"


@pytest.mark.parametrize("answer", ["0", "-1", "seven", "٧", "1e1", "99"])
def test_a_wrong_answer_is_refused_and_spends_the_question(answer: str) -> None:
    issued = challenge_issue()
    assert str(answer_of(issued)) != answer

    with pytest.raises(ValidationFailed) as caught:
        challenge_redeem(signed=issued.signed, answer=answer)

    assert (caught.value.code, caught.value.field) == ("wrong_answer", "answer")
    assert CommentChallenge.objects.count() == 0


def test_a_tampered_reference_is_refused_and_spends_nothing() -> None:
    issued = challenge_issue()
    forged = signing.dumps("made-up-token", salt="another.salt")

    for signed in [forged, issued.signed[:-2] + "xx", "garbage"]:
        with pytest.raises(ValidationFailed) as caught:
            challenge_redeem(signed=signed, answer="5")
        assert caught.value.code == "challenge_invalid"
    assert CommentChallenge.objects.count() == 1


def test_a_question_expires_after_an_hour() -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        issued = challenge_issue()
    answer = str(answer_of(issued))

    with (
        time_machine.travel(start + dt.timedelta(minutes=61), tick=False),
        pytest.raises(ValidationFailed) as caught,
    ):
        challenge_redeem(signed=issued.signed, answer=answer)
    assert caught.value.code == "challenge_expired"


def test_the_tick_prunes_only_expired_questions() -> None:
    start = timezone.now()
    with time_machine.travel(start - dt.timedelta(hours=2), tick=False):
        challenge_issue()
        challenge_issue()
    challenge_issue()

    assert challenges_prune() == 2
    assert CommentChallenge.objects.count() == 1
    tick.autodiscover()
    job = tick.job_get("community.prune_challenges")
    assert job is not None
    assert job.func() == 0


@pytest.mark.django_db(transaction=True)
def test_two_requests_with_one_right_answer_at_once_pass_once() -> None:
    issued = challenge_issue()
    answer = str(answer_of(issued))

    outcome = race(
        *[lambda: challenge_redeem(signed=issued.signed, answer=answer) for _ in range(4)]
    )

    assert len(outcome.results) == 1
    assert {r.code for r in outcome.refusals} == {"challenge_used"}
