"""Proxies: counted once, overridden by a direct vote, never chained, lost by a leaver."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from mutualist.collectives.models import Membership
from mutualist.collectives.services import membership_leave
from mutualist.core.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from mutualist.governance.models import Delegation, Proposal, Vote
from mutualist.governance.selectors import ballots
from mutualist.governance.services import (
    delegation_create,
    delegation_revoke,
    proposal_close,
    proposal_withdraw,
    vote_cast,
)
from mutualist.governance.tests.helpers import NOW, add_member, general, snapshot
from mutualist.testing import Cast

CLOSES = NOW + dt.timedelta(days=3)
AFTER = CLOSES + dt.timedelta(minutes=5)


@pytest.fixture(autouse=True)
def _frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def dee(cast):
    return add_member(cast.collective_a, "dee@example.org", "Dee Santos")


def counted(proposal) -> dict[str, tuple[str, str | None]]:
    """Who was counted, with what, through whom, on the closed proposal."""
    return {
        v.member.display_name.split()[0]: (
            v.choice,
            v.proxy.display_name.split()[0] if v.proxy else None,
        )
        for v in Vote.objects.filter(proposal=proposal).select_related("member", "proxy")
    }


def close(proposal: Proposal, time_machine: Any) -> Proposal:
    time_machine.move_to(AFTER, tick=False)
    assert proposal_close(proposal_id=proposal.pk, now=AFTER)
    proposal.refresh_from_db()
    return proposal


def test_a_proxy_vote_is_counted_once_for_the_absent_member(cast, dee, time_machine):
    # given Ana's proxies to Ben, both for the period and for this proposal
    proposal = general(cast, closes_at=CLOSES, quorum_percent="100")
    delegation_create(collective=cast.collective_a, delegator=cast.ana, delegate=cast.ben)
    delegation_create(
        collective=cast.collective_a, delegator=cast.ana, delegate=cast.ben, proposal=proposal
    )
    vote_cast(proposal=proposal, voter=cast.ben, choice="yes")
    vote_cast(proposal=proposal, voter=dee, choice="no")

    proposal = close(proposal, time_machine)

    # then Ana is counted once, through Ben
    assert counted(proposal) == {"Ana": ("yes", "Ben"), "Ben": ("yes", None), "Dee": ("no", None)}
    assert proposal.tally == {
        "eligible": 3,
        "voted": 3,
        "direct": 2,
        "by_proxy": 1,
        "quorum_needed": 3,
        "counts": {"no": 1, "yes": 2},
    }
    assert proposal.outcome == "passed"


def test_a_direct_vote_overrides_the_proxy(cast, dee, time_machine):
    proposal = general(cast, closes_at=CLOSES)
    delegation_create(collective=cast.collective_a, delegator=cast.ana, delegate=cast.ben)
    vote_cast(proposal=proposal, voter=cast.ben, choice="yes")
    vote_cast(proposal=proposal, voter=cast.ana, choice="no")

    proposal = close(proposal, time_machine)

    assert counted(proposal) == {"Ana": ("no", None), "Ben": ("yes", None)}
    assert proposal.tally["by_proxy"] == 0


def test_delegation_does_not_chain(cast, dee, time_machine):
    # given Dee delegates to Ana, Ana to Ben; only Ben votes
    proposal = general(cast, closes_at=CLOSES)
    delegation_create(collective=cast.collective_a, delegator=dee, delegate=cast.ana)
    delegation_create(collective=cast.collective_a, delegator=cast.ana, delegate=cast.ben)
    vote_cast(proposal=proposal, voter=cast.ben, choice="yes")

    proposal = close(proposal, time_machine)

    # then Ana is counted through Ben, Dee is not counted at all
    assert counted(proposal) == {"Ana": ("yes", "Ben"), "Ben": ("yes", None)}
    assert (proposal.tally["voted"], proposal.tally["by_proxy"]) == (2, 1)


def test_a_proxy_for_the_proposal_beats_one_for_the_period(cast, dee, time_machine):
    proposal = general(cast, closes_at=CLOSES)
    delegation_create(collective=cast.collective_a, delegator=cast.ana, delegate=cast.ben)
    delegation_create(
        collective=cast.collective_a, delegator=cast.ana, delegate=dee, proposal=proposal
    )
    vote_cast(proposal=proposal, voter=cast.ben, choice="yes")
    vote_cast(proposal=proposal, voter=dee, choice="no")

    proposal = close(proposal, time_machine)

    assert counted(proposal)["Ana"] == ("no", "Dee")


def test_a_proxy_for_the_proposal_who_did_not_vote_still_beats_the_period_one(
    cast, dee, time_machine
):
    proposal = general(cast, closes_at=CLOSES)
    delegation_create(collective=cast.collective_a, delegator=cast.ana, delegate=cast.ben)
    delegation_create(
        collective=cast.collective_a, delegator=cast.ana, delegate=dee, proposal=proposal
    )
    vote_cast(proposal=proposal, voter=cast.ben, choice="yes")

    proposal = close(proposal, time_machine)

    assert "Ana" not in counted(proposal)


@pytest.mark.parametrize(
    ("starts", "ends", "counts"),
    [
        (0, None, True),  # open-ended from today
        (3, 3, True),  # exactly the closing day
        (4, None, False),  # starts after the close
        (0, 2, False),  # ends the day before the close
    ],
)
def test_a_period_proxy_covers_the_proposals_closing_within_it(
    cast, time_machine, starts, ends, counts
):
    today = NOW.date()
    proposal = general(cast, closes_at=CLOSES)
    delegation_create(
        collective=cast.collective_a,
        delegator=cast.ana,
        delegate=cast.ben,
        starts_on=today + dt.timedelta(days=starts),
        ends_on=None if ends is None else today + dt.timedelta(days=ends),
    )
    vote_cast(proposal=proposal, voter=cast.ben, choice="yes")

    proposal = close(proposal, time_machine)

    assert ("Ana" in counted(proposal)) is counts


def test_a_period_proxy_ending_on_the_closing_day_counts_when_the_tick_is_a_day_late(
    cast, time_machine
):
    proposal = general(cast, closes_at=CLOSES)
    delegation_create(
        collective=cast.collective_a,
        delegator=cast.ana,
        delegate=cast.ben,
        ends_on=CLOSES.date(),
    )
    vote_cast(proposal=proposal, voter=cast.ben, choice="yes")
    late = CLOSES + dt.timedelta(days=1, hours=2)
    time_machine.move_to(late, tick=False)

    assert proposal_close(proposal_id=proposal.pk, now=late)

    assert counted(proposal)["Ana"] == ("yes", "Ben")


def test_a_proxy_who_leaves_loses_the_delegation(cast, dee, time_machine):
    proposal = general(cast, closes_at=CLOSES)
    given = delegation_create(collective=cast.collective_a, delegator=dee, delegate=cast.ben)
    vote_cast(proposal=proposal, voter=cast.ben, choice="yes")

    membership_leave(
        membership=Membership.objects.get(collective=cast.collective_a, user=cast.ben),
        actor=cast.ben,
    )

    given.refresh_from_db()
    assert given.revoked_at == NOW
    assert given.revoked_because == "Ben Okafor left the collective."
    proposal = close(proposal, time_machine)
    # Ben's vote stays on record but is not counted, nor passed on to Dee
    assert counted(proposal) == {"Ben": ("yes", None)}
    assert (proposal.tally["eligible"], proposal.tally["voted"]) == (2, 0)


def test_a_member_who_leaves_loses_the_proxies_they_gave(cast, dee):
    given = delegation_create(collective=cast.collective_a, delegator=dee, delegate=cast.ben)
    membership_leave(
        membership=Membership.objects.get(collective=cast.collective_a, user=dee), actor=dee
    )
    given.refresh_from_db()
    assert given.revoked_at == NOW


def test_a_delegate_whose_account_was_closed_is_not_counted_at_close(cast, dee, time_machine):
    # no signal for a deactivated account: the count itself must skip it
    proposal = general(cast, closes_at=CLOSES)
    delegation_create(collective=cast.collective_a, delegator=cast.ana, delegate=dee)
    vote_cast(proposal=proposal, voter=dee, choice="yes")
    dee.is_active = False
    dee.save(update_fields=["is_active"])

    proposal = close(proposal, time_machine)

    assert proposal.tally["voted"] == 0
    assert proposal.tally["eligible"] == 2
    assert "Ana" not in counted(proposal)


def test_a_revoked_proxy_is_not_counted(cast, time_machine):
    proposal = general(cast, closes_at=CLOSES)
    delegation = delegation_create(
        collective=cast.collective_a, delegator=cast.ana, delegate=cast.ben
    )
    vote_cast(proposal=proposal, voter=cast.ben, choice="yes")
    delegation_revoke(delegation=delegation, actor=cast.ana)

    proposal = close(proposal, time_machine)

    assert counted(proposal) == {"Ben": ("yes", None)}


def test_ballots_while_open_show_the_proxy_without_writing_it(cast):
    proposal = general(cast, closes_at=CLOSES)
    delegation_create(collective=cast.collective_a, delegator=cast.ana, delegate=cast.ben)
    vote_cast(proposal=proposal, voter=cast.ben, choice="yes")

    eligible, counted_now = ballots(proposal=proposal)

    assert eligible == 2
    assert sorted((b.member_id, b.choice, b.proxy_id) for b in counted_now) == sorted(
        [(cast.ben.pk, "yes", None), (cast.ana.pk, "yes", cast.ben.pk)]
    )
    assert Vote.objects.filter(proposal=proposal).count() == 1


def test_ballots_reads_a_fixed_number_of_queries(cast, django_assert_max_num_queries):
    proposal = general(cast, closes_at=CLOSES)
    others = [add_member(cast.collective_a, f"m{i}@example.org", f"Member {i}") for i in range(6)]
    for other in others[:3]:
        delegation_create(collective=cast.collective_a, delegator=other, delegate=cast.ben)
    for other in others[3:]:
        vote_cast(proposal=proposal, voter=other, choice="no")
    vote_cast(proposal=proposal, voter=cast.ben, choice="yes")

    with django_assert_max_num_queries(4):
        eligible, counted_now = ballots(proposal=proposal)

    assert (eligible, len(counted_now)) == (8, 7)


# --- Refusals --------------------------------------------------------------------------------


def test_a_new_proxy_replaces_the_standing_one_of_the_same_scope(cast, dee):
    first = delegation_create(collective=cast.collective_a, delegator=cast.ana, delegate=cast.ben)
    proposal = general(cast, closes_at=CLOSES)
    for_proposal = delegation_create(
        collective=cast.collective_a, delegator=cast.ana, delegate=cast.ben, proposal=proposal
    )
    second = delegation_create(collective=cast.collective_a, delegator=cast.ana, delegate=dee)

    first.refresh_from_db()
    for_proposal.refresh_from_db()
    assert (first.revoked_at, first.revoked_because) == (NOW, "Replaced by a new proxy.")
    assert for_proposal.revoked_at is None  # another scope
    assert second.revoked_at is None
    assert Delegation.objects.filter(delegator=cast.ana, revoked_at__isnull=True).count() == 2


def _refused(cast: Cast, error: type[DomainError], code: str, **kwargs: Any) -> None:
    before = snapshot()
    fields: dict[str, Any] = {
        "collective": cast.collective_a,
        "delegator": cast.ana,
        "delegate": cast.ben,
    }
    fields.update(kwargs)
    with pytest.raises(error) as refused:
        delegation_create(**fields)
    assert refused.value.code == code
    assert snapshot() == before


def test_delegating_to_oneself_is_refused(cast):
    _refused(cast, ValidationFailed, "delegate_self", delegate=cast.ana)


def test_delegating_to_nobody_is_refused(cast):
    _refused(cast, ValidationFailed, "delegate_required", delegate=None)


@pytest.mark.parametrize("who", ["carla", "olga"])
def test_delegating_to_a_non_member_is_refused(cast, who):
    _refused(cast, ValidationFailed, "delegate_not_member", delegate=getattr(cast, who))


def test_delegating_to_a_member_who_left_is_refused(cast, dee):
    membership_leave(
        membership=Membership.objects.get(collective=cast.collective_a, user=dee), actor=dee
    )
    _refused(cast, ValidationFailed, "delegate_not_member", delegate=dee)


def test_an_outsider_cannot_delegate(cast):
    _refused(cast, NotFound, "not_found", delegator=cast.olga)


def test_delegating_on_a_closed_or_withdrawn_proposal_is_refused(cast, time_machine):
    closed = general(cast)
    proposal_close(proposal_id=closed.pk, early=True)
    withdrawn = proposal_withdraw(proposal=general(cast), actor=cast.ana)
    past_deadline = general(cast, closes_at=NOW + dt.timedelta(hours=1))
    _refused(cast, Conflict, "voting_closed", proposal=closed)
    _refused(cast, Conflict, "voting_closed", proposal=withdrawn)
    time_machine.move_to(NOW + dt.timedelta(hours=2), tick=False)
    _refused(cast, Conflict, "voting_closed", proposal=past_deadline)


def test_delegating_on_another_collectives_proposal_is_refused(cast):
    theirs = general(cast, collective=cast.collective_b, author=cast.carla)
    _refused(cast, ValidationFailed, "proposal_other_collective", proposal=theirs)


def test_a_reversed_or_past_period_is_refused(cast):
    today = NOW.date()
    _refused(
        cast,
        ValidationFailed,
        "period_reversed",
        starts_on=today + dt.timedelta(days=5),
        ends_on=today + dt.timedelta(days=4),
    )
    _refused(
        cast,
        ValidationFailed,
        "starts_in_past",
        starts_on=today - dt.timedelta(days=5),
        ends_on=today - dt.timedelta(days=1),
    )


def test_a_proxy_for_a_proposal_and_a_period_at_once_is_refused(cast):
    proposal = general(cast)
    _refused(cast, ValidationFailed, "proposal_or_period", proposal=proposal, starts_on=NOW.date())


def test_only_the_member_who_named_a_proxy_revokes_it_and_only_once(cast):
    delegation = delegation_create(
        collective=cast.collective_a, delegator=cast.ana, delegate=cast.ben
    )
    before = snapshot()
    with pytest.raises(PermissionDenied) as refused:
        delegation_revoke(delegation=delegation, actor=cast.ben)
    assert refused.value.code == "not_yours"
    assert snapshot() == before

    revoked = delegation_revoke(delegation=delegation, actor=cast.ana)
    assert (revoked.revoked_at, revoked.revoked_because) == (NOW, "Revoked by the member.")
    before = snapshot()
    with pytest.raises(Conflict) as again:
        delegation_revoke(delegation=delegation, actor=cast.ana)
    assert again.value.code == "already_revoked"
    assert snapshot() == before
