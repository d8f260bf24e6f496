"""The governance domain's corner of the outsider suites' world.

In collective A: an open proposal with a private title and body, Ben's vote
with a private reason, Ana's proxy to Ben for a period, and a closed general
proposal. Olga (a member of no collective A has) and anonymous callers must
see none of it and change none of it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from mutualist.governance.models import Delegation, Proposal, Vote
from mutualist.governance.services import (
    delegation_create,
    proposal_close,
    proposal_create,
    vote_cast,
)
from mutualist.testing import Cast

GOVERNANCE_PRIVATE = (
    "Secret proposal title",
    "Secret proposal body",
    "Secret vote reason",
    "Secret closed proposal",
)


def governance_world(cast: Cast) -> dict[str, Any]:
    collective = cast.collective_a
    proposal = proposal_create(
        collective=collective,
        author=cast.ana,
        kind=Proposal.Kind.GENERAL,
        title="Secret proposal title",
        body="Secret proposal body",
        closes_at=timezone.now() + dt.timedelta(days=5),
    )
    vote_cast(proposal=proposal, voter=cast.ben, choice="yes", reason="Secret vote reason")
    delegation = delegation_create(collective=collective, delegator=cast.ana, delegate=cast.ben)
    closed = proposal_create(
        collective=collective,
        author=cast.ben,
        kind=Proposal.Kind.GENERAL,
        title="Secret closed proposal",
        closes_at=timezone.now() + dt.timedelta(days=1),
    )
    vote_cast(proposal=closed, voter=cast.ana, choice="no")
    proposal_close(proposal_id=closed.pk, early=True)
    return {
        "proposal_id": proposal.pk,
        "closed_proposal_id": closed.pk,
        "delegation_id": delegation.pk,
    }


def governance_snapshot() -> dict[str, Any]:
    return {
        "proposals": list(Proposal.objects.order_by("pk").values()),
        "votes": list(Vote.objects.order_by("pk").values()),
        "delegations": list(Delegation.objects.order_by("pk").values()),
    }
