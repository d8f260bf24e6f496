"""Who may see which invoices, payments and payouts, and the reads behind them.

- A collective's active members see its invoices (drafts included), credit
  notes, payments and where each payment went: the split is shared inside
  the collective (DESIGN.md). Only coordinators change anything.
- A client's contacts see that client's issued invoices and credit notes,
  and the payments recorded on them; never drafts, never the split, never
  another client's.
- A member sees their own payouts and payout settings; coordinators see
  everyone's in their collective.

Anyone else gets 404 (``Http404``): they may not learn that a thing exists.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import F, Q, QuerySet
from django.http import Http404

from mutualist.billing.models import Invoice, Payment, PaymentShare, Payout, PayoutSetting
from mutualist.collectives.models import Collective, Membership
from mutualist.members.models import User
from mutualist.work.models import ClientContact

Viewer = User | AnonymousUser
# A database id fits a signed 64-bit integer; a larger one matches no row.
ID_MAX = 2**63 - 1


def _active_collective_ids(user: Viewer) -> list[int]:
    if not isinstance(user, User):
        return []
    return list(
        Membership.objects.filter(user=user, state=Membership.State.ACTIVE).values_list(
            "collective_id", flat=True
        )
    )


def _contact_client_ids(user: Viewer) -> list[int]:
    if not isinstance(user, User):
        return []
    return list(ClientContact.objects.filter(user=user).values_list("client_id", flat=True))


def is_coordinator_of(user: Viewer, collective_id: int) -> bool:
    return isinstance(user, User) and (
        Membership.objects.filter(
            user=user,
            collective_id=collective_id,
            state=Membership.State.ACTIVE,
            role=Membership.Role.COORDINATOR,
        ).exists()
    )


def invoice_visibility(user: Viewer) -> Q:
    """The invoices ``user`` may read, as a filter."""
    return Q(collective_id__in=_active_collective_ids(user)) | (
        Q(client_id__in=_contact_client_ids(user)) & ~Q(status=Invoice.Status.DRAFT)
    )


def invoice_queryset() -> QuerySet[Invoice]:
    return Invoice.objects.select_related("collective", "client", "engagement", "credits")


def invoice_get_for_user(*, user: Viewer, pk: int) -> Invoice:
    """One invoice the user may read, or 404 (also for an id no row can
    have, answered without a query)."""
    if not 0 < pk <= ID_MAX:
        raise Http404("No such invoice.")
    invoice = invoice_queryset().filter(invoice_visibility(user), pk=pk).first()
    if invoice is None:
        raise Http404("No such invoice.")
    return invoice


def invoice_get_for_coordinator(*, user: Viewer, pk: int) -> Invoice:
    """One invoice of a collective the user coordinates: 404 to anyone who
    may not read it; a member who may read it but not act gets
    ``PermissionDenied`` from the service they call."""
    return invoice_get_for_user(user=user, pk=pk)


def invoice_is_member_view(*, user: Viewer, invoice: Invoice) -> bool:
    """Whether ``user`` reads the invoice as a member of its collective (and
    so sees the split), rather than as the client's contact."""
    return invoice.collective_id in _active_collective_ids(user)


def invoice_list_for_collective(
    *, collective: Collective, status: str | None = None, client_id: int | None = None
) -> QuerySet[Invoice]:
    """A collective's invoices and credit notes, newest first. The caller has
    already checked membership (``collective_get_for_member``)."""
    rows = invoice_queryset().filter(collective=collective)
    if status:
        rows = rows.filter(status=status)
    if client_id:
        rows = rows.filter(client_id=client_id)
    # Drafts (no issue date yet) first on every database: SQLite and
    # PostgreSQL put NULLs at opposite ends unless told.
    return rows.order_by(F("issue_date").desc(nulls_first=True), "-created_at", "-pk")


def invoice_list_for_contact(*, user: Viewer) -> QuerySet[Invoice]:
    """Issued invoices and credit notes of the clients ``user`` acts for."""
    return (
        invoice_queryset()
        .filter(client_id__in=_contact_client_ids(user))
        .exclude(status=Invoice.Status.DRAFT)
        .order_by("-issue_date", "-pk")
    )


def payment_list_for_invoice(*, invoice: Invoice) -> QuerySet[Payment]:
    return invoice.payments.select_related("recorded_by__profile", "deposit_account").order_by(
        "received_on", "pk"
    )


def payment_shares(*, payment: Payment) -> QuerySet[PaymentShare]:
    return payment.shares.select_related("member__profile", "account").order_by("pk")


def member_shares(*, user: User, collective: Collective | None = None) -> QuerySet[PaymentShare]:
    """A member's own shares of payments, newest first, with the payment and invoice."""
    rows = PaymentShare.objects.filter(member=user).select_related(
        "payment__invoice__client", "payment__collective"
    )
    if collective is not None:
        rows = rows.filter(payment__collective=collective)
    return rows.order_by("-payment__received_on", "-payment_id")


def payout_list(*, collective: Collective, viewer: User) -> QuerySet[Payout]:
    """A collective's payouts: all of them for a coordinator, one's own otherwise."""
    rows = Payout.objects.filter(collective=collective).select_related(
        "member__profile", "source_account", "recorded_by__profile"
    )
    if not is_coordinator_of(viewer, collective.pk):
        rows = rows.filter(member=viewer)
    return rows.order_by("-paid_on", "-pk")


def payout_setting_of(*, collective: Collective, member: User) -> PayoutSetting | None:
    return PayoutSetting.objects.filter(collective=collective, member=member).first()


def invoice_credit_notes(*, invoice: Invoice) -> QuerySet[Invoice]:
    return invoice.credit_notes.filter(status=Invoice.Status.ISSUED).order_by("issue_date", "pk")


__all__ = [
    "invoice_credit_notes",
    "invoice_get_for_coordinator",
    "invoice_get_for_user",
    "invoice_is_member_view",
    "invoice_list_for_collective",
    "invoice_list_for_contact",
    "invoice_queryset",
    "invoice_visibility",
    "is_coordinator_of",
    "member_shares",
    "payment_list_for_invoice",
    "payment_shares",
    "payout_list",
    "payout_setting_of",
]
