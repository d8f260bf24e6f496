"""Dashboard and portal panels of the money area (see members/panels.py, work/portal.py).

- "Owed to you": what each collective owes the member now, per currency,
  with the way to their earnings; nothing when nothing is owed.
- "Payouts and billing": per collective the member is active in, the way to
  its payouts, to how they are paid, and to its billing settings (which no
  collective page links to: collectives know nothing of billing).
"""

from __future__ import annotations

from django.http import HttpRequest

from mutualist.billing.selectors.money import payables_of_member
from mutualist.collectives.models import Membership
from mutualist.members.models import User
from mutualist.members.panels import Panel


def register() -> None:
    """Called from ``BillingConfig.ready``."""
    from mutualist.members.panels import register_dashboard_panel

    register_dashboard_panel("billing.owed_to_you", dashboard_owed)
    register_dashboard_panel("billing.payouts", dashboard_payouts)


def dashboard_owed(request: HttpRequest) -> Panel | None:
    user = request.user
    if not isinstance(user, User):
        return None
    rows = payables_of_member(user=user)
    if not rows:
        return None
    # Just before the ledger's "Your accounts" (60), which shows the same
    # payables as accounts among the rest.
    return Panel("billing/panels/money_owed.html", {"rows": rows}, order=58)


def dashboard_payouts(request: HttpRequest) -> Panel | None:
    user = request.user
    if not isinstance(user, User):
        return None
    memberships = list(
        Membership.objects.filter(user=user, state=Membership.State.ACTIVE)
        .select_related("collective")
        .order_by("collective__name", "pk")
    )
    if not memberships:
        return None
    return Panel("billing/panels/money_links.html", {"memberships": memberships}, order=58)
