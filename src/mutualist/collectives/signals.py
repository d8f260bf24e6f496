"""What collectives tell the apps that depend on them, without importing them.

DESIGN.md's arrows point from governance (and later mutual) to collectives,
never back; yet an application under the "members vote" admission rule needs
a proposal, and a member who leaves loses the proxies given to them. So
collectives sends these signals (inside the same database transaction as the
change, so a receiver's writes commit or roll back with it) and governance
connects its receivers in ``AppConfig.ready()``.

- ``membership_applied(sender=Membership, membership=...)``: an application
  now waits for a decision (state "applied").
- ``membership_left(sender=Membership, membership=...)``: an active member left.
- ``membership_decided(sender=Membership, membership=..., admitted=...)``: an
  application was admitted or turned down (by a coordinator, or by a vote).
"""

from __future__ import annotations

from django.dispatch import Signal

membership_applied = Signal()
membership_left = Signal()
membership_decided = Signal()
