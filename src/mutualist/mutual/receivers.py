"""The funds' answers to what collectives signal (see collectives/signals.py)."""

from __future__ import annotations

from typing import Any

from mutualist.collectives.models import Membership
from mutualist.collectives.signals import membership_left


def settle_leaver(sender: Any, membership: Membership, **kwargs: Any) -> None:
    from mutualist.mutual.services.leaving import participations_settle_for_leaver

    participations_settle_for_leaver(membership=membership)


def connect() -> None:
    membership_left.connect(settle_leaver, dispatch_uid="mutual.settle_leaver")
