"""Races on governance: two schedulers, a vote against the count, two proxies at once.

Each test runs threads that meet at a barrier and then call a service at once,
each on its own database connection. SQLite serialises every write
transaction, so these races cannot happen there; they run on PostgreSQL (set
DATABASE_URL) and are skipped otherwise.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from mutualist.collectives.models import Bylaws
from mutualist.core.errors import Conflict
from mutualist.governance.models import Delegation, Proposal, Vote
from mutualist.governance.services import (
    delegation_create,
    proposal_close,
    proposal_create,
    proposals_close_due,
    vote_cast,
    vote_retract,
)
from mutualist.governance.tests.helpers import add_member
from mutualist.testing import race

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row-lock races need PostgreSQL (set DATABASE_URL); SQLite serialises writers",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_two_schedulers_closing_one_bylaws_change_apply_it_once(cast, mailoutbox):
    closes_at = timezone.now() + dt.timedelta(hours=1)
    proposal = proposal_create(
        collective=cast.collective_a,
        author=cast.ana,
        kind="bylaws_change",
        title="Treasury 12 %",
        payload={
            "effective_from": timezone.localdate(closes_at).isoformat(),
            "shares": {"treasury": "12"},
        },
        closes_at=closes_at,
    )
    vote_cast(proposal=proposal, voter=cast.ana, choice="yes")
    vote_cast(proposal=proposal, voter=cast.ben, choice="yes")
    mailoutbox.clear()  # the opening email

    outcome = race(
        lambda: proposal_close(proposal_id=proposal.pk, now=closes_at),
        lambda: proposal_close(proposal_id=proposal.pk, now=closes_at),
    )

    assert sorted(outcome.results) == [False, True]
    proposal.refresh_from_db()
    assert (proposal.state, proposal.outcome) == ("closed", "passed")
    assert proposal.applied_note.startswith("Bylaws version 2 is in force")
    versions = Bylaws.objects.filter(collective=cast.collective_a)
    assert sorted(versions.values_list("version", flat=True)) == [1, 2]
    # one outcome email to each member, not two
    assert sorted(m.to[0] for m in mailoutbox) == ["ana@example.org", "ben@example.org"]


def test_two_ticks_at_once_close_a_proposal_with_proxies_once(cast):
    closes_at = timezone.now() + dt.timedelta(seconds=2)
    dee = add_member(cast.collective_a, "dee@example.org", "Dee Santos")
    proposal = proposal_create(
        collective=cast.collective_a,
        author=cast.ana,
        kind="general",
        title="Buy a laptop",
        closes_at=closes_at,
    )
    delegation_create(collective=cast.collective_a, delegator=dee, delegate=cast.ben)
    vote_cast(proposal=proposal, voter=cast.ben, choice="yes")
    later = closes_at + dt.timedelta(seconds=1)

    outcome = race(lambda: proposals_close_due(later), lambda: proposals_close_due(later))

    assert sorted(outcome.results) == [0, 1]
    assert Vote.objects.filter(proposal=proposal, proxy=cast.ben).count() == 1
    proposal.refresh_from_db()
    assert (proposal.tally["voted"], proposal.tally["by_proxy"]) == (2, 1)


@pytest.mark.parametrize("attempt", range(4))
def test_a_vote_racing_the_close_is_either_counted_or_refused(cast, attempt):
    # given a proposal the tick sees as due while a member still sees it open
    closes_at = timezone.now() + dt.timedelta(minutes=10)
    proposal = proposal_create(
        collective=cast.collective_a,
        author=cast.ana,
        kind="general",
        title="Buy a laptop",
        closes_at=closes_at,
        quorum_percent="0",
    )
    vote_cast(proposal=proposal, voter=cast.ana, choice="yes")

    outcome = race(
        lambda: proposal_close(proposal_id=proposal.pk, now=closes_at),
        lambda: vote_cast(proposal=proposal, voter=cast.ben, choice="no"),
    )

    proposal.refresh_from_db()
    assert proposal.state == "closed"
    ben_voted = Vote.objects.filter(proposal=proposal, member=cast.ben).exists()
    if ben_voted:
        # the vote went first and is in the count
        assert proposal.tally["counts"] == {"no": 1, "yes": 1}
        assert proposal.outcome == "failed"
    else:
        # the close went first and the vote was refused
        assert [r.code for r in outcome.refusals] == ["voting_closed"]
        assert proposal.tally["counts"] == {"yes": 1}
        assert proposal.outcome == "passed"


@pytest.mark.parametrize("attempt", range(3))
def test_a_retraction_racing_an_early_close_leaves_it_open_or_counts_both(cast, attempt):
    proposal = proposal_create(
        collective=cast.collective_a,
        author=cast.ana,
        kind="general",
        title="Buy a laptop",
        closes_at=timezone.now() + dt.timedelta(days=2),
    )
    vote_cast(proposal=proposal, voter=cast.ana, choice="yes")
    vote_cast(proposal=proposal, voter=cast.ben, choice="yes")

    race(proposals_close_due, lambda: vote_retract(proposal=proposal, voter=cast.ben))

    proposal.refresh_from_db()
    ben_voted = Vote.objects.filter(proposal=proposal, member=cast.ben).exists()
    if ben_voted:
        assert (proposal.state, proposal.tally["direct"]) == ("closed", 2)
    else:
        # Ben took his vote back: he keeps his time to vote
        assert proposal.state == "open"


def test_two_proxies_named_at_once_leave_one_standing(cast):
    dee = add_member(cast.collective_a, "dee@example.org", "Dee Santos")

    outcome = race(
        lambda: delegation_create(
            collective=cast.collective_a, delegator=cast.ana, delegate=cast.ben
        ),
        lambda: delegation_create(collective=cast.collective_a, delegator=cast.ana, delegate=dee),
    )

    assert len(outcome.results) + len(outcome.refusals) == 2
    assert all(isinstance(r, Conflict) and r.code == "delegation_changed" for r in outcome.refusals)
    standing = Delegation.objects.filter(delegator=cast.ana, revoked_at__isnull=True)
    assert standing.count() == 1
    assert standing.get().pk == max(d.pk for d in outcome.results)


def test_two_proxies_for_one_proposal_named_at_once_leave_one_standing(cast):
    dee = add_member(cast.collective_a, "dee@example.org", "Dee Santos")
    proposal = proposal_create(
        collective=cast.collective_a,
        author=cast.ana,
        kind="general",
        title="Buy a laptop",
        closes_at=timezone.now() + dt.timedelta(days=2),
    )

    outcome = race(
        *(
            (
                lambda delegate=delegate: delegation_create(
                    collective=cast.collective_a,
                    delegator=cast.ana,
                    delegate=delegate,
                    proposal=proposal,
                )
            )
            for delegate in (cast.ben, dee)
        )
    )

    assert len(outcome.results) >= 1
    assert (
        Delegation.objects.filter(
            delegator=cast.ana, proposal=proposal, revoked_at__isnull=True
        ).count()
        == 1
    )
    assert Proposal.objects.get(pk=proposal.pk).state == "open"
