"""Reads of proposals, votes and proxies, scoped by who is asking.

Only a collective's active members see its proposals, votes and proxies;
anyone else gets a 404 (``Http404``), as if there were nothing. How the
members voted stays hidden where the proposal says so (``results_shown``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from mutualist.collectives.models import Collective, Membership
from mutualist.collectives.selectors import collective_get_for_member
from mutualist.governance import tally
from mutualist.governance.models import Delegation, Proposal, Vote
from mutualist.members.models import User

Viewer = User | AnonymousUser

# Identifiers beyond a signed 64-bit integer find nothing (SQLite would
# overflow), as for any other missing row.
ID_MAX = 2**63 - 1


def eligible_members(collective_id: int) -> QuerySet[Membership]:
    """Who may vote in the collective now: active memberships of accounts
    that can still log in."""
    return Membership.objects.filter(
        collective_id=collective_id, state=Membership.State.ACTIVE, user__is_active=True
    )


def is_eligible(*, collective_id: int, user: Viewer) -> bool:
    if not isinstance(user, User) or not user.is_active:
        return False
    return eligible_members(collective_id).filter(user=user).exists()


def _collective_for_eligible(*, user: Viewer, slug: str) -> tuple[Collective, Membership]:
    """``collective_get_for_member``, and 404 for a deactivated account too."""
    if isinstance(user, User) and not user.is_active:
        raise Http404("No such collective.")
    return collective_get_for_member(user=user, slug=slug)


def proposal_list_for_collective(
    *, user: Viewer, slug: str, state: str | None = None
) -> tuple[Collective, QuerySet[Proposal]]:
    """The collective's proposals for one of its active members (404 for
    anyone else), newest first; ``state`` "open" or "closed" (closed includes
    withdrawn) filters."""
    collective, _ = _collective_for_eligible(user=user, slug=slug)
    proposals = Proposal.objects.filter(collective=collective).select_related(
        "author__profile", "collective"
    )
    if state == "open":
        proposals = proposals.filter(state=Proposal.State.OPEN).order_by("closes_at", "pk")
    elif state == "closed":
        proposals = proposals.exclude(state=Proposal.State.OPEN).order_by("-closed_at", "-pk")
    return collective, proposals


def proposal_get_for_user(*, user: Viewer, proposal_id: int) -> Proposal:
    """A proposal of a collective the viewer is an active member of; 404 otherwise."""
    # A deactivated account is no longer a member who may read the record
    # (its memberships still say "active" until someone ends them).
    if not isinstance(user, User) or not user.is_active or not 0 < proposal_id <= ID_MAX:
        raise Http404("No such proposal.")
    proposal = (
        Proposal.objects.filter(
            pk=proposal_id,
            collective__memberships__user=user,
            collective__memberships__state=Membership.State.ACTIVE,
        )
        .select_related("collective", "author__profile")
        .first()
    )
    if proposal is None:
        raise Http404("No such proposal.")
    return proposal


def proposal_list_waiting_for(*, user: User) -> QuerySet[Proposal]:
    """Open proposals, in the collectives the member is active in, that they
    have not voted on yet (soonest closing first): the dashboard's list."""
    if not user.is_active:
        return Proposal.objects.none()
    my_vote = Vote.objects.filter(proposal=OuterRef("pk"), member=user)
    return (
        Proposal.objects.filter(
            state=Proposal.State.OPEN,
            closes_at__gt=timezone.now(),
            collective__memberships__user=user,
            collective__memberships__state=Membership.State.ACTIVE,
        )
        .exclude(Exists(my_vote))
        .select_related("collective")
        .order_by("closes_at", "pk")
    )


def vote_of(*, proposal: Proposal, user: Viewer) -> Vote | None:
    """The viewer's own direct vote (or, once closed, their ballot)."""
    if not isinstance(user, User):
        return None
    return Vote.objects.filter(proposal=proposal, member=user).select_related("proxy").first()


def results_shown(*, proposal: Proposal, user: Viewer) -> bool:
    """Whether the viewer may see how the members voted (counts and choices)."""
    if proposal.state == Proposal.State.CLOSED:
        return True
    # Open, or withdrawn before the count: the proposal's rule still holds (a
    # withdrawal must not expose ballots that were to stay hidden until the close).
    if proposal.results_visibility == Proposal.Results.ALWAYS:
        return True
    if proposal.results_visibility == Proposal.Results.AFTER_VOTE:
        return (
            isinstance(user, User) and Vote.objects.filter(proposal=proposal, member=user).exists()
        )
    return False


def vote_list(*, proposal: Proposal, user: Viewer) -> QuerySet[Vote]:
    """The ballots on record, for a viewer who may see results; none otherwise
    (call ``proposal_get_for_user`` first)."""
    if not results_shown(proposal=proposal, user=user):
        return Vote.objects.none()
    return (
        Vote.objects.filter(proposal=proposal)
        .select_related("member__profile", "proxy__profile")
        .order_by("cast_at", "pk")
    )


@dataclass(frozen=True)
class Ballot:
    member_id: int
    choice: str
    proxy_id: int | None
    reason: str = ""


def _period_covers(day: dt.date) -> Q:
    return Q(proposal__isnull=True, starts_on__lte=day) & (
        Q(ends_on__isnull=True) | Q(ends_on__gte=day)
    )


def delegation_in_force(
    *, proposal: Proposal, delegator_id: int, eligible_ids: set[int], day: dt.date
) -> Delegation | None:
    """The delegation that speaks for ``delegator_id`` on ``proposal``: one
    for the proposal first, else one for a period covering ``day``; only to a
    delegate who is still eligible (a proxy who left loses it)."""
    candidates = (
        Delegation.objects.filter(
            collective_id=proposal.collective_id,
            delegator_id=delegator_id,
            revoked_at__isnull=True,
        )
        .filter(Q(proposal=proposal) | _period_covers(day))
        .order_by("proposal_id", "pk")
    )
    for delegation in sorted(candidates, key=lambda d: d.proposal_id is None):
        if delegation.delegate_id in eligible_ids:
            return delegation
    return None


def ballots(*, proposal: Proposal, now: dt.datetime | None = None) -> tuple[int, list[Ballot]]:
    """The eligible count and the ballots that would be counted at ``now``.

    Direct votes of eligible members, then, for each eligible member without
    one, their proxy's direct vote (never a proxy's proxy: no chains).
    """
    now = now or timezone.now()
    # What counts is what stood at the deadline, even when the tick gets to
    # it later: period proxies cover the proposals that close within the
    # period (the closing day), and a proxy named after the deadline (or one
    # revoked before it) does not count.
    cutoff = min(now, proposal.closes_at)
    day = timezone.localdate(cutoff)
    in_force = Q(created_at__lte=cutoff) & (Q(revoked_at__isnull=True) | Q(revoked_at__gt=cutoff))
    eligible_ids = set(eligible_members(proposal.collective_id).values_list("user_id", flat=True))
    direct = {
        vote.member_id: vote
        for vote in Vote.objects.filter(proposal=proposal, proxy__isnull=True)
        if vote.member_id in eligible_ids
    }
    result = [Ballot(v.member_id, v.choice, None, v.reason) for v in direct.values()]
    absent = eligible_ids - direct.keys()
    if absent:
        delegations = (
            Delegation.objects.filter(
                in_force,
                collective_id=proposal.collective_id,
                delegator_id__in=absent,
                delegate_id__in=direct.keys(),
            )
            .filter(Q(proposal=proposal) | _period_covers(day))
            .order_by("pk")
        )
        chosen: dict[int, Delegation] = {}
        for delegation in delegations:
            held = chosen.get(delegation.delegator_id)
            # One for this proposal beats one for a period.
            if held is None or (held.proposal_id is None and delegation.proposal_id is not None):
                chosen[delegation.delegator_id] = delegation
        # A delegation for this proposal to a member who has not voted still
        # beats a period one: the member chose that proxy for this vote. (One
        # to a proxy who left no longer counts; the period one then does.)
        specific = set(
            Delegation.objects.filter(
                in_force,
                proposal=proposal,
                delegator_id__in=absent,
                delegate_id__in=eligible_ids,
            ).values_list("delegator_id", flat=True)
        )
        for delegator_id, delegation in sorted(chosen.items()):
            if delegation.proposal_id is None and delegator_id in specific:
                continue
            vote = direct[delegation.delegate_id]
            result.append(Ballot(delegator_id, vote.choice, delegation.delegate_id))
    return len(eligible_ids), result


def live_tally(*, proposal: Proposal, now: dt.datetime | None = None) -> tally.Tally:
    """The count as it stands (open), as recorded at the close (closed), or as
    it stood when the proposal was withdrawn (no outcome)."""
    if proposal.state != Proposal.State.OPEN and proposal.tally:
        recorded = proposal.tally
        return tally.Tally(
            eligible=recorded["eligible"],
            direct=recorded["direct"],
            by_proxy=recorded["by_proxy"],
            counts=dict(recorded["counts"]),
            quorum_needed=recorded["quorum_needed"],
            outcome=proposal.outcome,
        )
    eligible, counted = ballots(proposal=proposal, now=now)
    return tally.count(
        choices=[(b.choice, b.proxy_id is not None) for b in counted],
        eligible=eligible,
        quorum_percent=proposal.quorum_percent,
        threshold_percent=proposal.threshold_percent,
    )


def delegation_list_for_user(*, user: User, slug: str) -> tuple[Collective, QuerySet[Delegation]]:
    """The viewer's own delegations in a collective they are active in (404
    otherwise), standing ones first, and those given to them."""
    collective, _ = _collective_for_eligible(user=user, slug=slug)
    delegations = (
        Delegation.objects.filter(collective=collective)
        .filter(Q(delegator=user) | Q(delegate=user))
        .select_related("delegator__profile", "delegate__profile", "proposal")
        # Standing ones (no revoked_at) first on every database: PostgreSQL
        # sorts NULL last in ascending order, SQLite first.
        .order_by(F("revoked_at").asc(nulls_first=True), "-created_at", "-pk")
    )
    return collective, delegations


def delegation_get_for_user(*, user: Viewer, delegation_id: int) -> Delegation:
    """A delegation the viewer gave (404 otherwise)."""
    if not isinstance(user, User) or not 0 < delegation_id <= ID_MAX:
        raise Http404("No such proxy.")
    delegation = (
        Delegation.objects.filter(pk=delegation_id, delegator=user)
        .select_related("collective", "delegate__profile", "proposal")
        .first()
    )
    if delegation is None:
        raise Http404("No such proxy.")
    return delegation
