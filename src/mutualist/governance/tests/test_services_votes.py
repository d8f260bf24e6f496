"""Voting: one ballot per member, changed in place, refused after the deadline."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from mutualist.collectives.models import Membership
from mutualist.collectives.services import membership_apply
from mutualist.core.errors import Conflict, NotFound, ValidationFailed
from mutualist.governance.models import Vote
from mutualist.governance.services import (
    admission_vote_open,
    proposal_close,
    proposal_withdraw,
    vote_cast,
    vote_retract,
)
from mutualist.governance.tests.helpers import NOW, general, snapshot


@pytest.fixture(autouse=True)
def _frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


def test_a_second_vote_changes_the_first_and_never_adds_one(cast, time_machine):
    proposal = general(cast)
    first = vote_cast(proposal=proposal, voter=cast.ben, choice="yes")
    time_machine.move_to(NOW + dt.timedelta(hours=1), tick=False)

    second = vote_cast(proposal=proposal, voter=cast.ben, choice="No ", reason="Too dear")

    assert second.pk == first.pk
    assert Vote.objects.filter(proposal=proposal).count() == 1
    assert (second.choice, second.reason, second.cast_at, second.changed_at) == (
        "no",
        "Too dear",
        NOW,
        NOW + dt.timedelta(hours=1),
    )


def test_the_database_holds_one_vote_per_member_per_proposal(cast):
    proposal = general(cast)
    vote_cast(proposal=proposal, voter=cast.ben, choice="yes")
    with pytest.raises(IntegrityError), transaction.atomic():
        Vote.objects.create(proposal=proposal, member=cast.ben, choice="no")


@pytest.mark.parametrize(
    ("method", "choice"),
    [("yes_no", "agree"), ("yes_no", "abstain"), ("consent", "yes"), ("consent", "maybe")],
)
def test_a_choice_the_method_does_not_offer_is_refused(cast, method, choice):
    proposal = general(cast, method=method)
    before = snapshot()
    with pytest.raises(ValidationFailed) as refused:
        vote_cast(proposal=proposal, voter=cast.ben, choice=choice)
    assert (refused.value.code, refused.value.field) == ("invalid_choice", "choice")
    assert snapshot() == before


def test_a_block_needs_a_reason(cast):
    proposal = general(cast, method="consent")
    with pytest.raises(ValidationFailed) as refused:
        vote_cast(proposal=proposal, voter=cast.ben, choice="block", reason="  ")
    assert (refused.value.code, refused.value.field) == ("reason_required", "reason")
    assert not Vote.objects.exists()
    vote = vote_cast(proposal=proposal, voter=cast.ben, choice="block", reason="We cannot pay")
    assert vote.choice == "block"


def test_a_proposal_that_asks_for_reasons_refuses_a_vote_without_one(cast):
    proposal = general(cast, reasons_required=True)
    with pytest.raises(ValidationFailed) as refused:
        vote_cast(proposal=proposal, voter=cast.ben, choice="yes")
    assert refused.value.code == "reason_required"
    assert not Vote.objects.exists()


def test_a_reason_too_long_is_refused(cast):
    proposal = general(cast)
    with pytest.raises(ValidationFailed) as refused:
        vote_cast(proposal=proposal, voter=cast.ben, choice="yes", reason="x" * 2001)
    assert refused.value.code == "reason_too_long"
    assert not Vote.objects.exists()


def test_a_vote_after_the_deadline_is_refused_before_the_tick_closes_it(cast, time_machine):
    proposal = general(cast, closes_at=NOW + dt.timedelta(hours=1))
    vote_cast(proposal=proposal, voter=cast.ana, choice="yes")
    time_machine.move_to(NOW + dt.timedelta(hours=1), tick=False)  # exactly at the deadline
    before = snapshot()
    for voter in (cast.ana, cast.ben):
        with pytest.raises(Conflict) as refused:
            vote_cast(proposal=proposal, voter=voter, choice="no")
        assert refused.value.code == "voting_closed"
    with pytest.raises(Conflict):
        vote_retract(proposal=proposal, voter=cast.ana)
    assert snapshot() == before


def test_a_vote_on_a_closed_or_withdrawn_proposal_is_refused(cast):
    closed = general(cast)
    proposal_close(proposal_id=closed.pk, early=True)
    withdrawn = proposal_withdraw(proposal=general(cast), actor=cast.ana)
    before = snapshot()
    for proposal in (closed, withdrawn):
        with pytest.raises(Conflict) as refused:
            vote_cast(proposal=proposal, voter=cast.ben, choice="yes")
        assert refused.value.code == "voting_closed"
    assert snapshot() == before


@pytest.mark.parametrize("who", ["carla", "olga"])
def test_someone_outside_the_collective_cannot_vote(cast, who):
    proposal = general(cast)
    before = snapshot()
    with pytest.raises(NotFound):
        vote_cast(proposal=proposal, voter=getattr(cast, who), choice="yes")
    with pytest.raises(NotFound):
        vote_retract(proposal=proposal, voter=getattr(cast, who))
    assert snapshot() == before


def test_a_deactivated_member_cannot_vote(cast):
    proposal = general(cast)
    cast.ben.is_active = False
    cast.ben.save(update_fields=["is_active"])
    with pytest.raises(NotFound):
        vote_cast(proposal=proposal, voter=cast.ben, choice="yes")
    assert not Vote.objects.exists()


def test_an_applicant_cannot_vote_on_their_own_admission(cast):
    application = membership_apply(collective=cast.collective_a, user=cast.olga)
    proposal = admission_vote_open(membership=application)
    before = snapshot()
    with pytest.raises(NotFound):
        vote_cast(proposal=proposal, voter=cast.olga, choice="yes")
    assert snapshot() == before


def test_a_vote_on_an_application_decided_meanwhile_is_refused(cast):
    application = membership_apply(collective=cast.collective_a, user=cast.olga)
    proposal = admission_vote_open(membership=application)
    Membership.objects.filter(pk=application.pk).delete()  # turned down elsewhere
    with pytest.raises(Conflict) as refused:
        vote_cast(proposal=proposal, voter=cast.ben, choice="yes")
    assert refused.value.code == "not_applied"
    assert not Vote.objects.exists()


def test_a_member_retracts_their_vote_while_open(cast):
    proposal = general(cast)
    vote_cast(proposal=proposal, voter=cast.ben, choice="yes")
    vote_retract(proposal=proposal, voter=cast.ben)
    assert not Vote.objects.exists()


def test_retracting_without_a_vote_is_refused(cast):
    proposal = general(cast)
    vote_cast(proposal=proposal, voter=cast.ana, choice="yes")
    before = snapshot()
    with pytest.raises(Conflict) as refused:
        vote_retract(proposal=proposal, voter=cast.ben)
    assert refused.value.code == "no_vote"
    assert snapshot() == before
