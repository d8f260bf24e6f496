"""What the billing routers share: amounts and people named in a body, and
the keys handed to the billing services.

Not a router: ``mutualist.api.urls`` mounts ``billing_invoices``,
``billing_payments``, ``billing_payouts`` and ``billing_reports``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from django.db.models import Q

from mutualist.api.schemas.common import MoneyIn
from mutualist.billing.selectors import ID_MAX
from mutualist.collectives.models import Collective, Membership
from mutualist.core.errors import DomainError, ValidationFailed
from mutualist.core.money import Money
from mutualist.members.models import User

_INDEX = re.compile(r"\[(\d+)\]")


def money_in(given: MoneyIn, *, field: str) -> Money:
    """``given`` as Money; a refusal names ``<field>.amount`` or ``<field>.currency``."""
    try:
        return Money(given.amount, given.currency)
    except ValidationFailed as exc:
        part = "currency" if exc.code == "invalid_currency" else "amount"
        raise type(exc)(exc.message, code=exc.code, field=f"{field}.{part}") from None


@contextmanager
def dotted_fields() -> Iterator[None]:
    """A service names list items as ``items[0].quantity``; the API's
    problem documents name every input by dotted path (``items.0.quantity``),
    as its schema errors do."""
    try:
        yield
    except DomainError as exc:
        if exc.field and "[" in exc.field:
            exc.field = _INDEX.sub(r".\1", exc.field)
        raise


def person_in(ref: int | str, *, collective: Collective, field: str, active: bool) -> User:
    """The user a body names by id or handle, among the collective's members
    (``active``) or everyone who ever was one (a member who left may still
    be owed money). Anyone else, or no one, is ``422 not_a_member``, so a
    coordinator cannot learn of people outside the collective this way."""
    states = (
        [Membership.State.ACTIVE] if active else [Membership.State.ACTIVE, Membership.State.LEFT]
    )
    people = Membership.objects.filter(collective=collective, state__in=states)
    by = Q(user__profile__handle=ref) if isinstance(ref, str) else Q(user_id=ref)
    # An id no database holds is no one (SQLite cannot even bind it: a 500).
    in_range = isinstance(ref, str) or 0 < ref <= ID_MAX
    found = people.filter(by).select_related("user__profile").first() if in_range else None
    if found is None:
        raise ValidationFailed(
            f"{ref!r} is not a member of {collective.name}.", code="not_a_member", field=field
        )
    return found.user


def service_key(user: User, key: str) -> str:
    """The key a billing service keeps with what it records, scoped to the
    sender (the API's own replay, ``mutualist.api.idempotency``, answers a
    retry first; the service's key is its guard in the books)."""
    return f"api:{user.pk}:{key}"
