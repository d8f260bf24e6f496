"""Credit notes: the only correction of an issued invoice.

The invoice is the ``billed`` one: 350.00 AUD net (Ana 250.00, Ben 100.00)
+ 10 % tax = 385.00 AUD, issued on 8 December 2026 under a 10 % treasury.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from mutualist.billing.accounts import invoiced_account, tax_account
from mutualist.billing.models import Invoice, PaymentShare
from mutualist.billing.services import (
    FixedItem,
    credit_note_issue,
    invoice_draft_create,
    invoice_issue,
    invoice_targets,
    shares_so_far,
)
from mutualist.core.errors import Conflict, DomainError, PermissionDenied, ValidationFailed
from mutualist.core.money import Money
from mutualist.testing import (
    Billed,
    Work,
    billing_draft,
    billing_issued,
    billing_pay,
    billing_state,
    ledger_checked,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("billing_time", "ledger_checked_after"),
]

TODAY = dt.date(2026, 12, 8)


def aud(amount: str) -> Money:
    return Money(amount, "AUD")


def refused(error: type[DomainError], code: str, call: Any) -> DomainError:
    before = billing_state()
    with pytest.raises(error) as raised:
        call()
    assert raised.value.code == code, raised.value.message
    assert billing_state() == before
    return raised.value


def credit(invoice: Invoice, amount: str | None, key: str = "cn", **kwargs: Any) -> Invoice:
    return credit_note_issue(
        invoice=invoice,
        actor=invoice.created_by,
        reason=kwargs.pop("reason", "Two hours billed twice"),
        idempotency_key=key,
        amount=aud(amount) if amount is not None else None,
        **kwargs,
    )


def balance(account: Any) -> int:
    account.refresh_from_db()
    return int(account.balance_minor)


def test_a_partial_credit_takes_net_and_tax_off_in_the_invoices_proportion(
    billed: Billed,
) -> None:
    # given the 385.00 AUD invoice, unpaid
    invoice = billing_issued(billed)
    a = billed.work.cast.collective_a

    # when 100.00 AUD of it is credited
    note = credit(invoice, "100")

    # then the credit note is numbered in its own series and takes 90.91 + 9.09 off
    assert (note.kind, note.status, note.number, note.credits) == (
        "credit_note",
        "issued",
        "MANILA-CN-2026-0001",
        invoice,
    )
    assert (note.subtotal_minor, note.tax_minor, note.total_minor) == (9091, 909, 10000)
    assert (note.issue_date, note.notes, note.buyer_name) == (
        TODAY,
        "Two hours billed twice",
        "Harbour Bridge Logistics",
    )
    assert [(line.description, line.amount_minor) for line in note.lines.all()] == [
        ("Credit on invoice MANILA-2026-0001 of 08 Dec 2026", 9091)
    ]
    invoice.refresh_from_db()
    assert (invoice.status, invoice.credited_minor, invoice.outstanding_minor) == (
        "issued",
        10000,
        28500,
    )
    # and the books undo that part of the issue
    assert balance(invoiced_account(a, "AUD")) == -35000 + 9091
    assert balance(tax_account(a, "AUD")) == -3500 + 909
    assert "ledger ok" in ledger_checked()


def test_crediting_everything_unpaid_voids_the_invoice(billed: Billed) -> None:
    invoice = billing_issued(billed)

    note = credit(invoice, None)

    invoice.refresh_from_db()
    assert (note.subtotal_minor, note.tax_minor, note.total_minor) == (35000, 3500, 38500)
    assert (invoice.status, invoice.credited_minor, invoice.outstanding_minor) == ("void", 38500, 0)
    a = billed.work.cast.collective_a
    assert balance(invoiced_account(a, "AUD")) == 0
    assert balance(tax_account(a, "AUD")) == 0
    refused(Conflict, "invoice_void", lambda: billing_pay(invoice, "1 AUD", "late"))
    refused(Conflict, "nothing_to_credit", lambda: credit(invoice, "1", key="again"))
    assert "ledger ok" in ledger_checked()


def test_crediting_the_rest_after_a_partial_payment_settles_the_invoice_as_paid(
    billed: Billed,
) -> None:
    # given 100.00 AUD paid of 385.00
    invoice = billing_issued(billed)
    billing_pay(invoice, "100 AUD", "first")

    # when a credit of more than the 285.00 left is asked, then the 285.00
    refused(ValidationFailed, "credit_beyond_unpaid", lambda: credit(invoice, "285.01"))
    note = credit(invoice, "285")

    # then the invoice is settled as paid; what each recipient got stays theirs
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_minor, invoice.credited_minor) == ("paid", 10000, 28500)
    assert invoice.paid_at is not None
    given = shares_so_far(invoice)
    assert {t.key: t.amount.minor_units for t in invoice_targets(invoice)} == given
    # and the credit took exactly what was still owed: the tax still owed, the rest net
    assert (note.tax_minor, note.subtotal_minor) == (
        3500 - given["tax"],
        28500 - 3500 + given["tax"],
    )
    a = billed.work.cast.collective_a
    assert balance(invoiced_account(a, "AUD")) == 0
    assert balance(tax_account(a, "AUD")) == -given["tax"]
    refused(Conflict, "invoice_paid", lambda: billing_pay(invoice, "1 AUD", "more"))
    assert "ledger ok" in ledger_checked()


def test_after_a_credit_note_the_payments_still_end_exactly_on_each_target(
    billed: Billed,
) -> None:
    # given 100.00 AUD paid, then 50.00 AUD credited
    invoice = billing_issued(billed)
    cast = billed.work.cast
    billing_pay(invoice, "100 AUD", "first")
    credit(invoice, "50")

    # when the remaining 235.00 AUD is paid in two parts
    billing_pay(invoice, "35 AUD", "second")
    billing_pay(invoice, "200 AUD", "third")

    # then everyone has their target of the 335.00 the invoice now asks for,
    # and Invoiced is empty: every unit of the net went somewhere
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    targets = {t.key: t.amount.minor_units for t in invoice_targets(invoice)}
    assert shares_so_far(invoice) == targets
    assert sum(targets.values()) == 33500
    assert targets[f"member:{cast.ana.pk}"] + targets[f"member:{cast.ben.pk}"] == 33500 - sum(
        targets[k] for k in ("tax", "treasury")
    )
    a = cast.collective_a
    assert balance(invoiced_account(a, "AUD")) == 0
    assert balance(tax_account(a, "AUD")) == -targets["tax"]
    assert "ledger ok" in ledger_checked()


def test_a_credit_after_uneven_payments_leaves_no_member_a_cent_over_or_under(
    work: Work,
) -> None:
    # given an invoice of three cents for Ana and Ben alike (no tax; the 10 %
    # treasury rounds to nothing): targets Ana 2, Ben 1
    cast = work.cast
    invoice = invoice_issue(
        invoice=invoice_draft_create(
            collective=cast.collective_a,
            actor=cast.ana,
            client=work.harbour,
            items=[
                FixedItem("Ana's", 1, aud("0.01"), member=cast.ana),
                FixedItem("Ben's", 1, aud("0.01"), member=cast.ben),
                FixedItem("Team's", 1, aud("0.01")),
            ],
        ),
        actor=cast.ana,
    )
    ana, ben = f"member:{cast.ana.pk}", f"member:{cast.ben.pk}"
    assert {t.key: t.amount.minor_units for t in invoice_targets(invoice)} == {ana: 2, ben: 1}
    # and two payments of one cent, which both went to Ana (largest remainder, then a tie)
    billing_pay(invoice, "0.01 AUD", "one")
    billing_pay(invoice, "0.01 AUD", "two")
    assert shares_so_far(invoice) == {ana: 2}

    # when the last cent is credited
    credit(invoice, None)

    # then the targets are what each was given: Ben's unpaid cent was credited.
    # (Credited by the invoice's proportions again, the targets were 1 and 1,
    # and Ana stayed a cent above hers and Ben a cent below, for ever.)
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert {t.key: t.amount.minor_units for t in invoice_targets(invoice)} == {ana: 2}
    assert PaymentShare.objects.filter(member=cast.ben).count() == 0


@pytest.mark.parametrize(
    ("amount", "code", "error"),
    [
        ("0", "invalid_amount", ValidationFailed),
        ("-1", "invalid_amount", ValidationFailed),
        ("385.01", "credit_beyond_unpaid", ValidationFailed),
    ],
)
def test_a_credit_of_nothing_or_beyond_the_unpaid_is_refused(
    billed: Billed, amount: str, code: str, error: type[DomainError]
) -> None:
    invoice = billing_issued(billed)
    refused(error, code, lambda: credit(invoice, amount))


def test_what_cannot_be_credited_is_refused_and_nothing_changes(billed: Billed) -> None:
    work = billed.work
    cast = work.cast
    draft = billing_draft(billed, until=dt.date(2026, 11, 30))
    error = refused(Conflict, "invoice_draft", lambda: credit(draft, "1"))
    assert "delete it" in error.message

    invoice = invoice_issue(invoice=draft, actor=cast.ana)
    note = credit(invoice, "1")
    refused(ValidationFailed, "not_an_invoice", lambda: credit(note, "1", key="cn-of-cn"))
    refused(
        ValidationFailed,
        "currency_mismatch",
        lambda: credit_note_issue(
            invoice=invoice,
            actor=cast.ana,
            reason="x",
            idempotency_key="usd",
            amount=Money("1", "USD"),
        ),
    )
    refused(ValidationFailed, "required", lambda: credit(invoice, "1", key="r", reason="  "))
    refused(
        ValidationFailed,
        "issue_date_in_future",
        lambda: credit(invoice, "1", key="f", issue_date=TODAY + dt.timedelta(days=1)),
    )
    refused(
        ValidationFailed,
        "invalid_date",
        lambda: credit(invoice, "1", key="y", issue_date=dt.date(1, 1, 1)),
    )
    error = refused(
        ValidationFailed,
        "date_before_issue",
        lambda: credit(invoice, "1", key="b", issue_date=TODAY - dt.timedelta(days=1)),
    )
    assert error.message == (
        "MANILA-2026-0001 was issued on 2026-12-08; its credit note cannot be dated before that."
    )


def test_a_retried_credit_note_is_the_same_one_and_a_reused_key_is_refused(
    billed: Billed,
) -> None:
    invoice = billing_issued(billed)
    first = credit(invoice, "10", key="same")

    again = credit(invoice, "10", key="same")

    assert again.pk == first.pk
    assert Invoice.objects.filter(kind="credit_note").count() == 1
    refused(Conflict, "idempotency_key_reused", lambda: credit(invoice, "11", key="same"))
    refused(
        Conflict,
        "idempotency_key_reused",
        lambda: credit(invoice, "10", key="same", reason="Another reason"),
    )
    other = invoice_issue(
        invoice=invoice_draft_create(
            collective=invoice.collective,
            actor=invoice.created_by,
            client=invoice.client,
            items=[FixedItem("Other", 1, aud("20"))],
        ),
        actor=invoice.created_by,
    )
    refused(Conflict, "idempotency_key_reused", lambda: credit(other, "10", key="same"))


@pytest.mark.parametrize("who", ["ben", "carla", "olga"])
def test_only_a_coordinator_issues_credit_notes(billed: Billed, who: str) -> None:
    invoice = billing_issued(billed)
    actor = getattr(billed.work.cast, who)

    refused(
        PermissionDenied,
        "not_coordinator",
        lambda: credit_note_issue(
            invoice=invoice, actor=actor, reason="x", idempotency_key="k", amount=aud("1")
        ),
    )
