"""The billing admin: everything shown, nothing changed, drafts deleted only
through the service (so only by a coordinator, and never an issued invoice)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from mutualist.billing.accounts import default_deposit_account
from mutualist.billing.models import Invoice, Payment, Payout
from mutualist.billing.services import payout_record
from mutualist.core.money import Money
from mutualist.members.models import User
from mutualist.testing import (
    Billed,
    approved_time,
    billing_draft,
    billing_issued,
    billing_pay,
    billing_state,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("billing_time", "ledger_checked_after"),
]


def staff(user: User, client_for: Any, *, superuser: bool = True) -> Client:
    user.is_staff = True
    user.is_superuser = superuser
    user.save(update_fields=["is_staff", "is_superuser"])
    client: Client = client_for(User.objects.get(pk=user.pk))
    return client


@pytest.fixture
def books(billed: Billed) -> dict[str, Any]:
    """An invoice paid in full, a payout to Ana from it, and a draft."""
    cast = billed.work.cast
    invoice = billing_issued(billed, until=None)
    payment = billing_pay(invoice, "385 AUD", "paid", reference="HBL-0042")
    payout = payout_record(
        collective=cast.collective_a,
        member=cast.ana,
        actor=cast.ana,
        amount=Money("100", "AUD"),
        source_account=default_deposit_account(cast.collective_a, "AUD"),
        paid_on=invoice.issue_date,
        idempotency_key="po",
        reference="TRF-9",
    )
    return {"invoice": invoice, "payment": payment, "payout": payout}


def text(response: Any) -> str:
    return str(response.content.decode())


def test_the_admin_lists_and_shows_invoices_payments_and_payouts(
    billed: Billed, books: dict[str, Any], client_for: Any
) -> None:
    admin = staff(billed.work.cast.olga, client_for)

    for model in ("invoice", "payment", "payout", "billingsettings", "payoutsetting"):
        assert admin.get(reverse(f"admin:billing_{model}_changelist")).status_code == 200, model
    invoice_page = text(
        admin.get(reverse("admin:billing_invoice_change", args=[books["invoice"].pk]))
    )
    payment_page = text(
        admin.get(reverse("admin:billing_payment_change", args=[books["payment"].pk]))
    )
    payout_page = text(admin.get(reverse("admin:billing_payout_change", args=[books["payout"].pk])))

    assert "MANILA-2026-0001" in invoice_page and "385.00 AUD" in invoice_page
    assert "Support: Ana Reyes" in invoice_page and "250.00 AUD" in invoice_page
    assert "HBL-0042" in payment_page and "225.00 AUD" in payment_page
    assert "TRF-9" in payout_page and "100.00 AUD" in payout_page


@pytest.mark.parametrize("model", ["invoice", "payment", "payout"])
def test_nothing_is_added_changed_or_deleted_through_the_admin(
    billed: Billed, books: dict[str, Any], client_for: Any, model: str
) -> None:
    admin = staff(billed.work.cast.olga, client_for)
    row = books[model]
    before = billing_state()

    edited = admin.post(
        reverse(f"admin:billing_{model}_change", args=[row.pk]), {"reference": "edited"}
    )
    deleted = admin.post(reverse(f"admin:billing_{model}_delete", args=[row.pk]), {"post": "yes"})
    added = admin.get(reverse(f"admin:billing_{model}_add"))

    assert (edited.status_code, deleted.status_code, added.status_code) == (403, 403, 403)
    assert billing_state() == before


def delete_drafts(admin: Client, *invoices: Invoice) -> Any:
    return admin.post(
        reverse("admin:billing_invoice_changelist"),
        {"action": "delete_drafts", "_selected_action": [i.pk for i in invoices]},
        follow=True,
    )


def test_a_coordinator_deletes_drafts_from_the_admin_but_never_an_issued_invoice(
    billed: Billed, books: dict[str, Any], client_for: Any
) -> None:
    # given Ana, a coordinator of A with admin access, a new draft and the issued invoice
    work = billed.work
    approved_time(
        work.engagement, work.cast.ana, minutes=60, day=books["invoice"].issue_date,
        approver=work.dana,
    )  # fmt: skip
    draft = billing_draft(billed)
    admin = staff(work.cast.ana, client_for)

    # when she asks the admin to delete both
    response = delete_drafts(admin, draft, books["invoice"])

    # then the draft is gone (through the service) and the issued invoice stays
    notes = [str(m) for m in get_messages(response.wsgi_request)]
    assert not Invoice.objects.filter(pk=draft.pk).exists()
    assert Invoice.objects.filter(pk=books["invoice"].pk, status="paid").exists()
    assert "Deleted 1 draft(s)." in notes
    assert (
        "MANILA-2026-0001 is issued and cannot be changed; issue a credit note to correct it."
        in notes
    )


def test_an_admin_who_is_not_a_coordinator_deletes_no_draft(
    billed: Billed, books: dict[str, Any], client_for: Any
) -> None:
    work = billed.work
    approved_time(
        work.engagement, work.cast.ana, minutes=60, day=books["invoice"].issue_date,
        approver=work.dana,
    )  # fmt: skip
    draft = billing_draft(billed)
    admin = staff(work.cast.olga, client_for)
    before = billing_state()

    response = delete_drafts(admin, draft)

    notes = [str(m) for m in get_messages(response.wsgi_request)]
    assert notes == [f"{draft}: Only a coordinator of this collective can do that."]
    assert billing_state() == before
    assert Payment.objects.count() == 1 and Payout.objects.count() == 1
