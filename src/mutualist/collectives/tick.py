"""The collectives' periodic jobs, found by ``mutualist.core.tick.autodiscover()``."""

from __future__ import annotations

from mutualist.collectives.services import invitation_expire_overdue
from mutualist.core import tick

tick.register(
    "collectives.expire_invitations",
    invitation_expire_overdue,
    description="Close invitations that passed their expiry date unanswered.",
)
