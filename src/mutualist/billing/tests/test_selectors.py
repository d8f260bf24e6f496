"""Who reads which invoice: members of its collective all of them, the
client's contacts only what was issued to their client, anyone else 404."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from mutualist.billing.accounts import default_deposit_account
from mutualist.billing.models import Invoice
from mutualist.billing.selectors import (
    invoice_get_for_user,
    invoice_is_member_view,
    invoice_list_for_contact,
    payout_list,
)
from mutualist.billing.services import payout_record
from mutualist.core.money import Money
from mutualist.testing import Billed, approved_time, billing_draft, billing_issued, billing_pay

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("billing_time")]


def test_members_read_drafts_and_issued_invoices_contacts_only_issued_ones(
    billed: Billed,
) -> None:
    work = billed.work
    cast = work.cast
    issued = billing_issued(billed, until=None)
    approved_time(work.engagement, cast.ana, minutes=60, day=issued.issue_date, approver=work.dana)
    draft = billing_draft(billed)

    for member in (cast.ana, cast.ben):
        assert invoice_get_for_user(user=member, pk=draft.pk) == draft
        assert invoice_is_member_view(user=member, invoice=issued)
    assert invoice_get_for_user(user=work.dana, pk=issued.pk) == issued
    assert not invoice_is_member_view(user=work.dana, invoice=issued)
    assert list(invoice_list_for_contact(user=work.dana)) == [issued]
    with pytest.raises(Http404):
        invoice_get_for_user(user=work.dana, pk=draft.pk)


@pytest.mark.parametrize("who", ["carla", "olga", "evan", "anonymous"])
def test_anyone_else_finds_no_invoice(billed: Billed, who: str) -> None:
    work = billed.work
    issued: Invoice = billing_issued(billed)
    user = AnonymousUser() if who == "anonymous" else (
        work.evan if who == "evan" else getattr(work.cast, who)
    )  # fmt: skip

    with pytest.raises(Http404):
        invoice_get_for_user(user=user, pk=issued.pk)
    assert not list(invoice_list_for_contact(user=user))


@pytest.mark.parametrize("pk", [0, -1, 2**63, 10**30])
def test_an_id_no_row_can_have_is_a_404_not_a_crash(billed: Billed, pk: int) -> None:
    with pytest.raises(Http404):
        invoice_get_for_user(user=billed.work.cast.ana, pk=pk)


def test_a_member_sees_their_own_payouts_a_coordinator_everyones(billed: Billed) -> None:
    cast = billed.work.cast
    a = cast.collective_a
    invoice = billing_issued(billed)
    billing_pay(invoice, "385 AUD", "all")
    bank = default_deposit_account(a, "AUD")
    made = {
        member.pk: payout_record(
            collective=a, member=member, actor=cast.ana, amount=Money("10", "AUD"),
            source_account=bank, paid_on=invoice.issue_date, idempotency_key=f"po-{member.pk}",
        )
        for member in (cast.ana, cast.ben)
    }  # fmt: skip

    assert list(payout_list(collective=a, viewer=cast.ben)) == [made[cast.ben.pk]]
    assert set(payout_list(collective=a, viewer=cast.ana)) == set(made.values())
    assert not payout_list(collective=a, viewer=cast.olga).exists()
