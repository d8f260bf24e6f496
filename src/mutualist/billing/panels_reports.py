"""The reports area's dashboard panel: the way to each collective's reports
and client scorecard (see members/panels.py).

Shown for the collectives the member is active in that have issued an
invoice (before that, every report is empty). What is overdue is the
invoices panel's to say (``panels_invoices``), so this one only leads on.
"""

from __future__ import annotations

from django.http import HttpRequest

from mutualist.billing.models import Invoice
from mutualist.collectives.models import Collective, Membership
from mutualist.members.models import User
from mutualist.members.panels import Panel


def register() -> None:
    """Called from ``BillingConfig.ready``."""
    from mutualist.members.panels import register_dashboard_panel

    register_dashboard_panel("billing.reports", dashboard_reports)


def dashboard_reports(request: HttpRequest) -> Panel | None:
    user = request.user
    if not isinstance(user, User):
        return None
    collectives = list(
        Collective.objects.filter(
            memberships__user=user,
            memberships__state=Membership.State.ACTIVE,
            pk__in=Invoice.objects.exclude(status=Invoice.Status.DRAFT).values("collective_id"),
        )
        .distinct()
        .order_by("name")
    )
    if not collectives:
        return None
    # After the invoices (57) and "Owed to you" (58), before the ledger's accounts (60).
    return Panel("billing/reports/panel.html", {"collectives": collectives}, order=59)
