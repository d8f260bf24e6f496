"""The funds' periodic jobs for ``mutualist tick``; each is idempotent and
safe with several schedulers at once (see each service's docstring)."""

from __future__ import annotations

from mutualist.core.tick import register
from mutualist.mutual.services.claims import claims_expire_due, claims_pay_waiting


def expire_claims() -> int:
    """Expire claims no one decided within their rules' time."""
    return claims_expire_due()


def pay_waiting_claims() -> int:
    """Pay approved claims that waited for money, oldest first."""
    return claims_pay_waiting()


register("mutual.expire_claims", expire_claims)
register("mutual.pay_waiting_claims", pay_waiting_claims)
