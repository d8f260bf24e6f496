"""Permission-scoped reads: outsiders see nothing; hidden results stay hidden."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from mutualist.collectives.services import membership_apply
from mutualist.governance.selectors import (
    ID_MAX,
    delegation_get_for_user,
    delegation_list_for_user,
    live_tally,
    proposal_get_for_user,
    proposal_list_for_collective,
    proposal_list_waiting_for,
    results_shown,
    vote_list,
    vote_of,
)
from mutualist.governance.services import (
    delegation_create,
    proposal_close,
    proposal_withdraw,
    vote_cast,
)
from mutualist.governance.tests.helpers import NOW, general


@pytest.fixture(autouse=True)
def _frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


def test_members_get_a_proposal_and_everyone_else_a_404(cast):
    proposal = general(cast)
    assert proposal_get_for_user(user=cast.ben, proposal_id=proposal.pk) == proposal
    membership_apply(collective=cast.collective_a, user=cast.olga)  # an applicant, not a member
    for outsider in (cast.carla, cast.olga, AnonymousUser()):
        with pytest.raises(Http404):
            proposal_get_for_user(user=outsider, proposal_id=proposal.pk)
    for bad_id in (0, -1, ID_MAX + 1, proposal.pk + 1):
        with pytest.raises(Http404):
            proposal_get_for_user(user=cast.ben, proposal_id=bad_id)


def test_a_deactivated_account_sees_no_proposal_nor_list(cast):
    proposal = general(cast)
    delegation = delegation_create(
        collective=cast.collective_a, delegator=cast.ben, delegate=cast.ana
    )
    cast.ben.is_active = False
    cast.ben.save(update_fields=["is_active"])
    with pytest.raises(Http404):
        proposal_get_for_user(user=cast.ben, proposal_id=proposal.pk)
    with pytest.raises(Http404):
        proposal_list_for_collective(user=cast.ben, slug="manila-va")
    with pytest.raises(Http404):
        delegation_list_for_user(user=cast.ben, slug="manila-va")
    assert list(proposal_list_waiting_for(user=cast.ben)) == []
    assert delegation_get_for_user(user=cast.ben, delegation_id=delegation.pk) == delegation


def test_the_decisions_list_splits_open_from_closed(cast):
    open_one = general(cast, title="Open")
    closed = general(cast, title="Closed")
    proposal_close(proposal_id=closed.pk, early=True)
    withdrawn = proposal_withdraw(proposal=general(cast, title="Withdrawn"), actor=cast.ana)
    general(cast, collective=cast.collective_b, author=cast.carla, title="Theirs")

    _, everything = proposal_list_for_collective(user=cast.ben, slug="manila-va")
    _, opened = proposal_list_for_collective(user=cast.ben, slug="manila-va", state="open")
    _, ended = proposal_list_for_collective(user=cast.ben, slug="manila-va", state="closed")

    assert {p.title for p in everything} == {"Open", "Closed", "Withdrawn"}
    assert list(opened) == [open_one]
    assert set(ended) == {closed, withdrawn}
    for outsider in (cast.carla, cast.olga, AnonymousUser()):
        with pytest.raises(Http404):
            proposal_list_for_collective(user=outsider, slug="manila-va")


def test_waiting_for_my_vote_lists_open_proposals_i_have_not_voted_on(cast, time_machine):
    later = general(cast, title="Later", closes_at=NOW + dt.timedelta(days=5))
    sooner = general(cast, title="Sooner", closes_at=NOW + dt.timedelta(days=2))
    voted = general(cast, title="Voted")
    vote_cast(proposal=voted, voter=cast.ben, choice="yes")
    general(cast, collective=cast.collective_b, author=cast.carla, title="Theirs")

    assert list(proposal_list_waiting_for(user=cast.ben)) == [sooner, later]
    time_machine.move_to(NOW + dt.timedelta(days=3), tick=False)  # past Sooner's deadline
    assert list(proposal_list_waiting_for(user=cast.ben)) == [later]
    assert list(proposal_list_waiting_for(user=cast.olga)) == []


def test_results_shown_always(cast):
    proposal = general(cast)
    vote_cast(proposal=proposal, voter=cast.ana, choice="yes", reason="Needed")
    assert results_shown(proposal=proposal, user=cast.ben)
    assert [v.member for v in vote_list(proposal=proposal, user=cast.ben)] == [cast.ana]


def test_results_after_vote_are_hidden_from_each_member_until_they_voted(cast):
    proposal = general(cast, results_visibility="after_vote")
    delegation_create(collective=cast.collective_a, delegator=cast.ben, delegate=cast.ana)
    vote_cast(proposal=proposal, voter=cast.ana, choice="yes", reason="Needed")

    # Ben has not voted (his proxy's vote does not count as his having seen it)
    assert not results_shown(proposal=proposal, user=cast.ben)
    assert list(vote_list(proposal=proposal, user=cast.ben)) == []
    assert results_shown(proposal=proposal, user=cast.ana)
    assert len(vote_list(proposal=proposal, user=cast.ana)) == 1
    assert not results_shown(proposal=proposal, user=AnonymousUser())

    vote_cast(proposal=proposal, voter=cast.ben, choice="no")
    assert results_shown(proposal=proposal, user=cast.ben)
    assert len(vote_list(proposal=proposal, user=cast.ben)) == 2


def test_results_after_close_are_hidden_from_everyone_until_it_closes(cast):
    proposal = general(cast, results_visibility="after_close")
    vote_cast(proposal=proposal, voter=cast.ana, choice="yes")
    vote_cast(proposal=proposal, voter=cast.ben, choice="no")
    for member in (cast.ana, cast.ben):
        assert not results_shown(proposal=proposal, user=member)
        assert list(vote_list(proposal=proposal, user=member)) == []

    proposal_close(proposal_id=proposal.pk, early=True)
    proposal.refresh_from_db()

    assert results_shown(proposal=proposal, user=cast.ben)
    assert len(vote_list(proposal=proposal, user=cast.ben)) == 2


def test_the_live_tally_says_how_many_voted_and_the_closed_one_is_the_record(cast):
    proposal = general(cast, results_visibility="after_close")
    vote_cast(proposal=proposal, voter=cast.ana, choice="yes")

    live = live_tally(proposal=proposal)
    assert (live.voted, live.eligible) == (1, 2)

    proposal_close(proposal_id=proposal.pk, early=True)
    proposal.refresh_from_db()
    # a member who joins later changes nothing in the recorded tally
    from mutualist.governance.tests.helpers import add_member

    add_member(cast.collective_a, "dee@example.org", "Dee Santos")
    recorded = live_tally(proposal=proposal)
    assert (recorded.eligible, recorded.voted, recorded.outcome) == (2, 1, "passed")
    assert recorded.counts == {"yes": 1}


def test_vote_of_is_the_viewers_own_vote(cast):
    proposal = general(cast)
    vote = vote_cast(proposal=proposal, voter=cast.ana, choice="yes")
    assert vote_of(proposal=proposal, user=cast.ana) == vote
    assert vote_of(proposal=proposal, user=cast.ben) is None
    assert vote_of(proposal=proposal, user=AnonymousUser()) is None


def test_delegations_are_read_by_those_who_gave_or_hold_them_only(cast):
    given = delegation_create(collective=cast.collective_a, delegator=cast.ana, delegate=cast.ben)
    _, anas = delegation_list_for_user(user=cast.ana, slug="manila-va")
    _, bens = delegation_list_for_user(user=cast.ben, slug="manila-va")
    assert list(anas) == list(bens) == [given]
    assert delegation_get_for_user(user=cast.ana, delegation_id=given.pk) == given
    for other in (cast.ben, cast.carla, cast.olga, AnonymousUser()):
        with pytest.raises(Http404):
            delegation_get_for_user(user=other, delegation_id=given.pk)
    with pytest.raises(Http404):
        delegation_list_for_user(user=cast.carla, slug="manila-va")


def test_the_dashboard_panel_lists_what_waits_for_my_vote(cast, rf):
    from mutualist.governance.panels import WAITING_SHOWN, dashboard_waiting

    request = rf.get("/")
    request.user = cast.ben
    assert dashboard_waiting(request) is None
    proposals = [general(cast, title=f"P{i}") for i in range(WAITING_SHOWN + 1)]

    panel = dashboard_waiting(request)

    assert panel is not None
    assert len(panel.context["proposals"]) == WAITING_SHOWN
    assert panel.context["more"] is True
    vote_cast(proposal=proposals[0], voter=cast.ben, choice="yes")
    after_voting = dashboard_waiting(request)
    assert after_voting is not None
    assert after_voting.context["more"] is False
    request.user = AnonymousUser()
    assert dashboard_waiting(request) is None


def test_standing_proxies_are_listed_before_revoked_ones_on_every_database(cast, time_machine):
    first = delegation_create(collective=cast.collective_a, delegator=cast.ana, delegate=cast.ben)
    time_machine.move_to(NOW + dt.timedelta(hours=1), tick=False)
    second = delegation_create(collective=cast.collective_a, delegator=cast.ana, delegate=cast.ben)
    time_machine.move_to(NOW - dt.timedelta(days=1), tick=False)
    # an older standing one for a proposal, created before both
    proposal = general(cast)
    older = delegation_create(
        collective=cast.collective_a, delegator=cast.ana, delegate=cast.ben, proposal=proposal
    )

    _, listed = delegation_list_for_user(user=cast.ana, slug="manila-va")

    assert list(listed) == [second, older, first]
