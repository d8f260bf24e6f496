"""Governance's answers to what collectives signal (see collectives/signals.py)."""

from __future__ import annotations

from typing import Any

from mutualist.collectives.models import Bylaws, Membership
from mutualist.collectives.signals import (
    membership_applied,
    membership_decided,
    membership_left,
)


def open_admission_vote(sender: Any, membership: Membership, **kwargs: Any) -> None:
    """Under the "members vote" admission rule, an application opens a vote."""
    from mutualist.collectives.selectors import bylaws_in_force
    from mutualist.governance.services import admission_vote_open

    if (
        bylaws_in_force(collective=membership.collective).admission_rule
        == Bylaws.AdmissionRule.VOTE
    ):
        admission_vote_open(membership=membership)


def end_proxies_of_leaver(sender: Any, membership: Membership, **kwargs: Any) -> None:
    from mutualist.governance.services import delegations_end_for_leaver

    delegations_end_for_leaver(membership=membership)


def withdraw_admission_vote(
    sender: Any, membership: Membership, admitted: bool, **kwargs: Any
) -> None:
    """An application decided another way (a coordinator, under the
    coordinator rule) leaves no vote open on it."""
    from mutualist.governance.services import admission_votes_end

    admission_votes_end(membership_id=membership.pk, admitted=admitted)


def connect() -> None:
    membership_applied.connect(open_admission_vote, dispatch_uid="governance.admission_vote")
    membership_left.connect(end_proxies_of_leaver, dispatch_uid="governance.end_proxies")
    membership_decided.connect(
        withdraw_admission_vote, dispatch_uid="governance.withdraw_admission_vote"
    )
