"""Helpers shared by the collectives services."""

from __future__ import annotations

from mutualist.collectives.models import (
    Collective,
    Membership,
)
from mutualist.core.errors import PermissionDenied
from mutualist.members.models import User


def require_coordinator(*, collective: Collective, actor: User) -> Membership:
    membership = Membership.objects.filter(collective=collective, user=actor).first()
    if membership is None or not membership.is_coordinator:
        raise PermissionDenied(
            "Only a coordinator of this collective can do that.", code="not_coordinator"
        )
    return membership
