"""Admission by vote, end to end: an application under the "members vote" rule
opens a proposal, coordinators can no longer decide it alone, and a passed vote
admits the applicant at the next tick."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from mutualist.collectives.models import Bylaws, Membership
from mutualist.collectives.services import (
    bylaws_adopt,
    membership_apply,
    membership_approve,
    membership_reject,
)
from mutualist.core.errors import Conflict
from mutualist.governance.models import Proposal, Vote
from mutualist.governance.services import vote_cast

NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def by_vote(cast, time_machine):
    time_machine.move_to(NOW, tick=False)
    bylaws_adopt(
        collective=cast.collective_a,
        actor=cast.ana,
        effective_from=NOW.date(),
        treasury_percent="10",
        admission_rule=Bylaws.AdmissionRule.VOTE,
    )
    return cast


def rows() -> dict[str, Any]:
    return {
        "memberships": list(Membership.objects.order_by("pk").values()),
        "proposals": list(Proposal.objects.order_by("pk").values()),
        "votes": list(Vote.objects.order_by("pk").values()),
    }


def test_an_application_opens_a_vote_and_the_members_are_told(
    by_vote, mailoutbox, django_capture_on_commit_callbacks
):
    cast = by_vote
    with django_capture_on_commit_callbacks(execute=True):
        application = membership_apply(
            collective=cast.collective_a, user=cast.olga, note="Ten years of support work."
        )

    assert application.state == Membership.State.APPLIED
    proposal = Proposal.objects.get()
    assert (proposal.kind, proposal.author, proposal.state) == ("admission", cast.olga, "open")
    assert proposal.payload["membership_id"] == application.pk
    assert proposal.closes_at == NOW + dt.timedelta(days=7)
    assert sorted(m.to[0] for m in mailoutbox) == ["ana@example.org", "ben@example.org"]
    assert all("Admit Olga Petrova" in m.subject for m in mailoutbox)


def test_under_the_coordinator_rule_an_application_opens_no_vote(cast, time_machine):
    time_machine.move_to(NOW, tick=False)
    membership_apply(collective=cast.collective_a, user=cast.olga)
    assert not Proposal.objects.exists()


def test_a_coordinator_can_neither_approve_nor_reject_under_the_vote_rule(by_vote):
    cast = by_vote
    application = membership_apply(collective=cast.collective_a, user=cast.olga)
    before = rows()

    for decide in (membership_approve, membership_reject):
        with pytest.raises(Conflict) as refused:
            decide(membership=application, actor=cast.ana)
        assert refused.value.code == "admission_by_vote"

    assert rows() == before


def test_a_passed_vote_makes_the_applicant_a_member_at_the_tick(
    by_vote, time_machine, mailoutbox, django_capture_on_commit_callbacks
):
    cast = by_vote
    application = membership_apply(collective=cast.collective_a, user=cast.olga)
    proposal = Proposal.objects.get()
    vote_cast(proposal=proposal, voter=cast.ana, choice="yes")
    vote_cast(proposal=proposal, voter=cast.ben, choice="yes")
    time_machine.move_to(NOW + dt.timedelta(minutes=5), tick=False)

    # everyone voted: the next tick closes it early
    with django_capture_on_commit_callbacks(execute=True):
        call_command("tick", "--job", "governance.close_proposals", stdout=StringIO())

    application.refresh_from_db()
    proposal.refresh_from_db()
    assert (proposal.outcome, application.state) == ("passed", Membership.State.ACTIVE)
    assert application.joined_at == NOW + dt.timedelta(minutes=5)
    # the outcome reaches the applicant, now a member, once
    assert sorted(m.to[0] for m in mailoutbox) == [
        "ana@example.org",
        "ben@example.org",
        "olga@example.org",
    ]


def test_a_failed_vote_turns_the_application_down_and_tells_the_applicant(
    by_vote, time_machine, mailoutbox, django_capture_on_commit_callbacks
):
    cast = by_vote
    membership_apply(collective=cast.collective_a, user=cast.olga)
    proposal = Proposal.objects.get()
    vote_cast(proposal=proposal, voter=cast.ana, choice="no")
    time_machine.move_to(proposal.closes_at, tick=False)

    with django_capture_on_commit_callbacks(execute=True):
        call_command("tick", "--job", "governance.close_proposals", stdout=StringIO())

    proposal.refresh_from_db()
    assert proposal.outcome == "failed"
    assert not Membership.objects.filter(collective=cast.collective_a, user=cast.olga).exists()
    assert "olga@example.org" in [m.to[0] for m in mailoutbox]


def test_a_rolled_back_application_opens_no_vote_and_mails_no_one(
    by_vote, mailoutbox, django_capture_on_commit_callbacks
):
    from django.db import transaction

    cast = by_vote
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        membership_apply(collective=cast.collective_a, user=cast.olga)
        raise RuntimeError("the request failed afterwards")

    assert not Proposal.objects.exists()
    assert not Membership.objects.filter(user=cast.olga).exists()
    assert mailoutbox == []
