"""Defects a review found in the governance core, each pinned by a test.

Every test here failed before its fix.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from mutualist.collectives.models import Bylaws, Membership, SplitShare
from mutualist.collectives.selectors import bylaws_in_force
from mutualist.collectives.services import bylaws_adopt, membership_apply, membership_approve
from mutualist.core.errors import Conflict, ValidationFailed
from mutualist.governance.models import Proposal
from mutualist.governance.selectors import live_tally, results_shown, vote_list
from mutualist.governance.services import (
    admission_vote_open,
    delegation_create,
    delegation_revoke,
    proposal_close,
    proposal_create,
    proposal_withdraw,
    vote_cast,
)
from mutualist.governance.tests.helpers import NOW, add_member, general, snapshot


@pytest.fixture(autouse=True)
def _frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


def _bylaws(cast, *, days: int = 2, **payload) -> Proposal:
    return proposal_create(
        collective=cast.collective_a,
        author=cast.ana,
        kind="bylaws_change",
        title="A change",
        payload=payload,
        closes_at=timezone.now() + dt.timedelta(days=days),
    )


def _pass(proposal: Proposal, cast, time_machine) -> Proposal:
    for voter in (cast.ana, cast.ben):
        vote_cast(proposal=proposal, voter=voter, choice="yes")
    time_machine.move_to(proposal.closes_at, tick=False)
    assert proposal_close(proposal_id=proposal.pk)
    proposal.refresh_from_db()
    return proposal


def test_a_change_proposed_while_a_passed_one_waits_for_its_date_amends_that_one(
    cast, time_machine
):
    first = _pass(
        _bylaws(cast, effective_from="2027-01-10", shares={"treasury": "12"}), cast, time_machine
    )
    assert first.applied_note.startswith("Bylaws version 2 is in force from 10 January 2027")
    # Version 2 is adopted but not in force yet; the next change amends it.
    second = _bylaws(cast, effective_from="2027-02-01", admission_rule="open")
    assert second.payload["replaces_version"] == 2
    assert second.payload["shares"] == {"treasury": "12.00"}  # from version 2, not version 1

    second = _pass(second, cast, time_machine)

    assert second.applied_note.startswith("Bylaws version 3 is in force from 1 February 2027")
    v3 = bylaws_in_force(collective=cast.collective_a, on=dt.date(2027, 2, 1))
    assert (v3.version, v3.admission_rule) == (3, "open")
    assert {s.recipient: s.percent for s in v3.split_shares.all()} == {"treasury": Decimal("12")}


@pytest.mark.parametrize("recipient", ["tax", "members", "member"])
def test_a_name_billing_gives_to_the_tax_or_the_members_is_not_a_split_recipient(cast, recipient):
    before = snapshot()
    with pytest.raises(ValidationFailed) as refused:
        _bylaws(cast, effective_from="2026-12-20", shares={"treasury": "10", recipient: "5"})
    assert (refused.value.code, refused.value.field) == ("invalid_recipient", "split")
    assert snapshot() == before


@pytest.mark.parametrize("title", ["Laptop\nBuy now", "Tab\there", "Bell\x07"])
def test_a_title_is_one_line(cast, title, mailoutbox, django_capture_on_commit_callbacks):
    before = snapshot()
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(ValidationFailed) as refused,
    ):
        general(cast, title=title)
    assert (refused.value.code, refused.value.field) == ("invalid_title", "title")
    assert snapshot() == before
    assert mailoutbox == []


def test_bylaws_notes_have_a_limit(cast):
    with pytest.raises(ValidationFailed) as refused:
        _bylaws(cast, effective_from="2026-12-20", shares={"treasury": "12"}, notes="n" * 2_001)
    assert refused.value.code == "notes_too_long"
    assert Proposal.objects.count() == 0


def test_withdrawing_keeps_hidden_ballots_hidden_and_freezes_the_count(cast):
    proposal = general(cast, results_visibility="after_close")
    vote_cast(proposal=proposal, voter=cast.ben, choice="no", reason="Secret reason")

    proposal = proposal_withdraw(proposal=proposal, actor=cast.ana)

    for viewer in (cast.ana, cast.ben):
        assert not results_shown(proposal=proposal, user=viewer)
        assert list(vote_list(proposal=proposal, user=viewer)) == []
    assert proposal.tally["voted"] == 1 and proposal.tally["eligible"] == 2
    assert proposal.applied_note == "Withdrawn by Ana Reyes before the count."
    # A member who joins later changes nothing in what is on record.
    add_member(cast.collective_a, "new@example.org", "New Member")
    assert live_tally(proposal=proposal).eligible == 2


def test_a_proxy_named_after_the_deadline_is_not_counted(cast, time_machine):
    carla = add_member(cast.collective_a, "carla2@example.org", "Carla Two")
    proposal = general(cast)
    vote_cast(proposal=proposal, voter=cast.ana, choice="yes")
    vote_cast(proposal=proposal, voter=cast.ben, choice="no")
    # After the deadline, before the tick: Carla names Ana for a period.
    time_machine.move_to(proposal.closes_at + dt.timedelta(minutes=1), tick=False)
    delegation_create(collective=cast.collective_a, delegator=carla, delegate=cast.ana)
    time_machine.move_to(proposal.closes_at + dt.timedelta(minutes=5), tick=False)

    assert proposal_close(proposal_id=proposal.pk)

    proposal.refresh_from_db()
    assert proposal.tally["by_proxy"] == 0
    assert proposal.outcome == "failed"  # 1 for, 1 against: a tie


def test_a_proxy_revoked_after_the_deadline_still_counts(cast, time_machine):
    carla = add_member(cast.collective_a, "carla2@example.org", "Carla Two")
    delegation = delegation_create(collective=cast.collective_a, delegator=carla, delegate=cast.ana)
    proposal = general(cast)
    vote_cast(proposal=proposal, voter=cast.ana, choice="yes")
    vote_cast(proposal=proposal, voter=cast.ben, choice="no")
    time_machine.move_to(proposal.closes_at + dt.timedelta(minutes=1), tick=False)
    delegation_revoke(delegation=delegation, actor=carla)

    assert proposal_close(proposal_id=proposal.pk)

    proposal.refresh_from_db()
    assert (proposal.tally["by_proxy"], proposal.outcome) == (1, "passed")


def test_a_proxy_cannot_start_in_the_past(cast):
    before = snapshot()
    with pytest.raises(ValidationFailed) as refused:
        delegation_create(
            collective=cast.collective_a,
            delegator=cast.ben,
            delegate=cast.ana,
            starts_on=NOW.date() - dt.timedelta(days=1),
        )
    assert (refused.value.code, refused.value.field) == ("starts_in_past", "starts_on")
    assert snapshot() == before


def test_a_proxy_for_a_proposal_that_closed_cannot_be_revoked(cast, time_machine):
    proposal = general(cast)
    delegation = delegation_create(
        collective=cast.collective_a, delegator=cast.ben, delegate=cast.ana, proposal=proposal
    )
    vote_cast(proposal=proposal, voter=cast.ana, choice="yes")
    time_machine.move_to(proposal.closes_at, tick=False)
    assert proposal_close(proposal_id=proposal.pk)
    before = snapshot()

    with pytest.raises(Conflict) as refused:
        delegation_revoke(delegation=delegation, actor=cast.ben)

    assert refused.value.code == "proposal_closed"
    assert snapshot() == before


def test_a_coordinator_deciding_an_application_withdraws_the_vote_on_it(cast):
    # Coordinator rule: a member opened a vote on Olga's application, then
    # Ana (coordinator) approved it directly.
    application = membership_apply(collective=cast.collective_a, user=cast.olga)
    proposal = admission_vote_open(membership=application)

    membership_approve(membership=application, actor=cast.ana)

    proposal.refresh_from_db()
    assert (proposal.state, proposal.outcome) == ("withdrawn", "")
    assert proposal.applied_note == (
        "Withdrawn: a coordinator admitted the application before the vote closed."
    )
    application.refresh_from_db()
    assert application.state == Membership.State.ACTIVE


def test_bylaws_adopt_changes_the_treasury_and_keeps_the_other_shares(cast):
    newest = Bylaws.objects.filter(collective=cast.collective_a).order_by("-version").first()
    assert newest is not None
    SplitShare.objects.create(bylaws=newest, recipient="sick_pay", percent=Decimal("3"))

    adopted = bylaws_adopt(
        collective=cast.collective_a,
        actor=cast.ana,
        effective_from=NOW.date(),
        treasury_percent="12",
        admission_rule="coordinator",
    )

    assert {s.recipient: s.percent for s in adopted.split_shares.all()} == {
        "sick_pay": Decimal("3"),
        "treasury": Decimal("12"),
    }
