"""Every write to proposals, votes and proxies.

Services check permissions and preconditions first and raise a
``DomainError`` before touching anything. A vote and a closing both take the
proposal's row lock, so no vote lands after the count; the closing claims its
proposal with a conditional update, so the outcome is applied exactly once.
"""

from __future__ import annotations

from mutualist.governance.services.closing import (
    proposal_close,
    proposals_close_due,
    proposals_everyone_voted,
    reminders_due,
)
from mutualist.governance.services.delegations import (
    delegation_create,
    delegation_revoke,
    delegations_end_for_leaver,
)
from mutualist.governance.services.proposals import (
    admission_vote_open,
    admission_votes_end,
    proposal_create,
    proposal_withdraw,
)
from mutualist.governance.services.votes import vote_cast, vote_retract

__all__ = [
    "admission_vote_open",
    "admission_votes_end",
    "delegation_create",
    "delegation_revoke",
    "delegations_end_for_leaver",
    "proposal_close",
    "proposal_create",
    "proposal_withdraw",
    "proposals_close_due",
    "proposals_everyone_voted",
    "reminders_due",
    "vote_cast",
    "vote_retract",
]
