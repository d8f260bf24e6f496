"""Every write to collectives, memberships, invitations and bylaws.

Services check permissions and preconditions first and raise a ``DomainError``
before touching anything; writes to shared rows use row locks or conditional
updates whose row count is checked, never read-modify-write.
"""

from __future__ import annotations

from mutualist.collectives.services.bylaws import (
    bylaws_adopt,
    bylaws_enact,
    bylaws_validate,
    split_shares_validate,
)
from mutualist.collectives.services.collectives import (
    CoworkingInput,
    collective_create,
    collective_update,
)
from mutualist.collectives.services.invitations import (
    invitation_accept,
    invitation_create,
    invitation_decline,
    invitation_expire_overdue,
    invitation_resolve,
    invitation_revoke,
    invitation_token,
    invitation_url,
)
from mutualist.collectives.services.memberships import (
    membership_admit,
    membership_apply,
    membership_approve,
    membership_leave,
    membership_reject,
    membership_set_role,
    membership_turn_down,
)

__all__ = [
    "CoworkingInput",
    "bylaws_adopt",
    "bylaws_enact",
    "bylaws_validate",
    "collective_create",
    "collective_update",
    "invitation_accept",
    "invitation_create",
    "invitation_decline",
    "invitation_expire_overdue",
    "invitation_resolve",
    "invitation_revoke",
    "invitation_token",
    "invitation_url",
    "membership_admit",
    "membership_apply",
    "membership_approve",
    "membership_leave",
    "membership_reject",
    "membership_set_role",
    "membership_turn_down",
    "split_shares_validate",
]
