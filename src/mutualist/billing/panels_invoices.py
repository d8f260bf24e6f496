"""Dashboard and portal panels of the invoices area (see members/panels.py, work/portal.py).

- On a member's dashboard: per collective they are active in, how many
  issued invoices are unpaid and overdue and for how much (per currency),
  with the way to the list (and, for coordinators, to invoicing time).
- In the client portal: the issued invoices and credit notes of the clients
  the contact acts for, with what is unpaid and when it is due.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import Count, F, Q, Sum
from django.http import HttpRequest
from django.utils import timezone

from mutualist.billing.models import Invoice
from mutualist.billing.selectors import invoice_list_for_contact
from mutualist.collectives.models import Collective, Membership
from mutualist.core.money import Money
from mutualist.members.models import User
from mutualist.members.panels import Panel
from mutualist.work.models import Client

PORTAL_LIMIT = 20


def register() -> None:
    """Called from ``BillingConfig.ready``."""
    from mutualist.members.panels import register_dashboard_panel
    from mutualist.work.portal import register_portal_section

    register_dashboard_panel("billing.invoices", dashboard_invoices)
    register_portal_section("billing.invoices", portal_invoices)


@dataclass
class CollectiveInvoices:
    collective: Collective
    is_coordinator: bool
    unpaid_count: int = 0
    overdue_count: int = 0
    unpaid: list[Money] = field(default_factory=list)
    overdue: list[Money] = field(default_factory=list)


def _unpaid_expression() -> F:
    return F("total_minor") - F("paid_minor") - F("credited_minor")  # type: ignore[return-value]


def dashboard_invoices(request: HttpRequest) -> Panel | None:
    """Unpaid and overdue invoices per collective the viewer is active in;
    one query for all of them."""
    user = request.user
    if not isinstance(user, User):
        return None
    memberships = list(
        Membership.objects.filter(user=user, state=Membership.State.ACTIVE)
        .select_related("collective")
        .order_by("collective__name")
    )
    if not memberships:
        return None
    rows = {
        m.collective_id: CollectiveInvoices(m.collective, m.is_coordinator) for m in memberships
    }
    today = timezone.localdate()
    overdue = Q(due_date__lt=today)
    sums = (
        Invoice.objects.filter(
            collective_id__in=rows,
            kind=Invoice.Kind.INVOICE,
            status=Invoice.Status.ISSUED,
        )
        .values("collective_id", "currency")
        .annotate(
            count=Count("pk"),
            unpaid=Sum(_unpaid_expression()),
            overdue_count=Count("pk", filter=overdue),
            overdue_unpaid=Sum(_unpaid_expression(), filter=overdue),
        )
        .order_by("collective_id", "currency")
    )
    for found in sums:
        row = rows[found["collective_id"]]
        currency = found["currency"]
        row.unpaid_count += found["count"]
        row.unpaid.append(Money.from_minor(int(found["unpaid"] or 0), currency))
        if found["overdue_count"]:
            row.overdue_count += found["overdue_count"]
            row.overdue.append(Money.from_minor(int(found["overdue_unpaid"] or 0), currency))
    return Panel("billing/panels/invoices_dashboard.html", {"rows": list(rows.values())}, order=57)


@dataclass(frozen=True)
class PortalInvoice:
    invoice: Invoice
    total: Money
    unpaid: Money
    overdue: bool


def portal_invoices(request: HttpRequest, clients: Sequence[Client]) -> Panel | None:
    """The contact's issued invoices and credit notes, newest first; nothing
    when there are none yet."""
    user = request.user
    if not isinstance(user, User):
        return None
    today = timezone.localdate()
    invoices = [
        PortalInvoice(
            invoice=invoice,
            total=Money.from_minor(invoice.total_minor, invoice.currency),
            unpaid=Money.from_minor(invoice.outstanding_minor, invoice.currency),
            overdue=invoice.kind == Invoice.Kind.INVOICE
            and invoice.status == Invoice.Status.ISSUED
            and invoice.due_date is not None
            and invoice.due_date < today,
        )
        for invoice in invoice_list_for_contact(user=user)[:PORTAL_LIMIT]
    ]
    if not invoices:
        return None
    return Panel("billing/panels/invoices_portal.html", {"invoices": invoices}, order=35)
