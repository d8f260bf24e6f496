"""Billing under concurrency, on PostgreSQL: numbers, claims, payments, payouts.

The threads meet at a barrier (``mutualist.testing.race``) and call the
services at the same moment, each on its own database connection. SQLite
serialises writers, so these run where CI runs them (DATABASE_URL set to
PostgreSQL) and are skipped otherwise.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection

from mutualist.billing.accounts import default_deposit_account, find_member_account
from mutualist.billing.models import (
    Invoice,
    InvoiceCounter,
    InvoicedTime,
    InvoiceLine,
    Payment,
    PaymentShare,
    Payout,
)
from mutualist.billing.services import (
    FixedItem,
    credit_note_issue,
    invoice_draft_create,
    invoice_issue,
    invoice_targets,
    payout_record,
    shares_so_far,
)
from mutualist.core.money import Money
from mutualist.ledger.models import Transaction
from mutualist.testing import (
    Billed,
    Work,
    billing_draft,
    billing_issued,
    billing_pay,
    ledger_checked,
    race,
)

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row-lock races need PostgreSQL (set DATABASE_URL); SQLite serialises writers",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("billing_time"),
]

TODAY = dt.date(2026, 12, 8)


def aud(amount: str) -> Money:
    return Money(amount, "AUD")


def fixed_draft(work: Work, n: int) -> Invoice:
    return invoice_draft_create(
        collective=work.cast.collective_a,
        actor=work.cast.ana,
        client=work.harbour,
        items=[FixedItem(f"Item {n}", 1, aud("10"))],
    )


def test_invoices_issued_at_the_same_moment_get_distinct_consecutive_numbers(
    work: Work,
) -> None:
    # given six drafts
    drafts = [fixed_draft(work, n) for n in range(6)]

    # when all six are issued at once
    outcome = race(*(lambda d=d: invoice_issue(invoice=d, actor=work.cast.ana) for d in drafts))

    # then each has its own number, and together they leave no gap
    assert not outcome.refusals
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == [f"MANILA-2026-{n:04}" for n in range(1, 7)]
    assert InvoiceCounter.objects.get(series="invoice:2026").last_seq == 6
    assert "ledger ok" in ledger_checked()


def test_two_drafts_claiming_the_same_time_at_once_one_wins_whole(billed: Billed) -> None:
    # when two coordinators' drafts of the same engagement's time run at once
    outcome = race(lambda: billing_draft(billed), lambda: billing_draft(billed))

    # then one has all of it and the other is refused, having written nothing
    assert len(outcome.results) == 1
    # The loser is refused whichever way the two met: it found the time
    # claimed under its lock (time_already_invoiced), or, when the winner had
    # committed before it read, none left to draft (nothing_to_invoice).
    assert len(outcome.refusals) == 1
    assert outcome.refusals[0].code in {"time_already_invoiced", "nothing_to_invoice"}
    winner = outcome.results[0]
    assert list(Invoice.objects.values_list("pk", flat=True)) == [winner.pk]
    assert InvoicedTime.objects.filter(invoice=winner).count() == 3
    assert InvoiceLine.objects.filter(invoice=winner).count() == 2
    assert Invoice.objects.get(pk=winner.pk).total_minor == 38500


def test_two_payments_to_one_invoice_at_once_both_land_and_split_exactly(
    billed: Billed,
) -> None:
    invoice = billing_issued(billed)

    outcome = race(
        lambda: billing_pay(invoice, "100 AUD", "one"),
        lambda: billing_pay(invoice, "200 AUD", "two"),
    )

    assert len(outcome.results) == 2 and not outcome.refusals
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_minor) == ("issued", 30000)
    for payment in Payment.objects.all():
        assert sum(payment.shares.values_list("amount_minor", flat=True)) == payment.applied_minor
    targets = {t.key: t.amount.minor_units for t in invoice_targets(invoice)}
    assert all(given <= targets[key] for key, given in shares_so_far(invoice).items())
    # and the rest brings everyone exactly to their share
    billing_pay(invoice, "85 AUD", "three")
    assert shares_so_far(invoice) == targets
    assert "ledger ok" in ledger_checked()


def test_two_payments_that_together_overpay_one_is_refused(billed: Billed) -> None:
    invoice = billing_issued(billed)

    outcome = race(
        lambda: billing_pay(invoice, "300 AUD", "one"),
        lambda: billing_pay(invoice, "300 AUD", "two"),
    )

    assert len(outcome.results) == 1
    assert [r.code for r in outcome.refusals] == ["overpayment"]
    assert Payment.objects.count() == 1
    invoice.refresh_from_db()
    assert invoice.paid_minor == 30000
    assert "ledger ok" in ledger_checked()


def test_a_payment_and_a_credit_note_at_once_never_settle_more_than_is_owed(
    billed: Billed,
) -> None:
    invoice = billing_issued(billed)

    outcome = race(
        lambda: billing_pay(invoice, "300 AUD", "pay"),
        lambda: credit_note_issue(
            invoice=invoice,
            actor=billed.work.cast.ana,
            reason="Discount",
            idempotency_key="cn",
            amount=aud("100"),
        ),
    )

    assert len(outcome.results) == 1
    assert [r.code for r in outcome.refusals] in (["overpayment"], ["credit_beyond_unpaid"])
    invoice.refresh_from_db()
    assert invoice.paid_minor + invoice.credited_minor in (30000, 10000)
    assert "ledger ok" in ledger_checked()


def test_the_same_payment_sent_twice_at_once_is_recorded_once(billed: Billed) -> None:
    invoice = billing_issued(billed)

    outcome = race(
        lambda: billing_pay(invoice, "100 AUD", "same"),
        lambda: billing_pay(invoice, "100 AUD", "same"),
    )

    assert not outcome.refusals
    assert {p.pk for p in outcome.results} == set(Payment.objects.values_list("pk", flat=True))
    assert Payment.objects.count() == 1
    assert Transaction.objects.filter(kind="payment").count() == 1
    invoice.refresh_from_db()
    assert invoice.paid_minor == 10000


def paid(billed: Billed) -> Any:
    billing_pay(billing_issued(billed), "385 AUD", "all")
    return default_deposit_account(billed.work.cast.collective_a, "AUD")


def payout_of(billed: Billed, amount: str, key: str, source: Any) -> Any:
    cast = billed.work.cast
    return lambda: payout_record(
        collective=cast.collective_a,
        member=cast.ana,
        actor=cast.ana,
        amount=aud(amount),
        source_account=source,
        paid_on=TODAY,
        idempotency_key=key,
    )


def test_two_payouts_taking_the_last_of_a_payable_one_is_refused(billed: Billed) -> None:
    # given the collective owes Ana 225.00 AUD
    bank = paid(billed)

    outcome = race(payout_of(billed, "150", "one", bank), payout_of(billed, "150", "two", bank))

    assert len(outcome.results) == 1
    assert [r.code for r in outcome.refusals] == ["payout_beyond_payable"]
    cast = billed.work.cast
    payable = find_member_account(cast.collective_a, cast.ana, "AUD")
    assert payable is not None and payable.balance_minor == -7500
    assert Payout.objects.count() == 1
    assert "ledger ok" in ledger_checked()


def test_the_same_payout_sent_twice_at_once_is_recorded_once(billed: Billed) -> None:
    bank = paid(billed)

    outcome = race(payout_of(billed, "50", "same", bank), payout_of(billed, "50", "same", bank))

    assert not outcome.refusals
    assert len({p.pk for p in outcome.results}) == 1
    assert Payout.objects.count() == 1
    assert Transaction.objects.filter(kind="payout").count() == 1


def test_many_payments_at_once_end_exactly_on_every_target(billed: Billed) -> None:
    invoice = billing_issued(billed)
    amounts = ["0.01", "33.33", "50", "1.99", "99.67", "100", "100"]  # 385.00 in all

    outcome = race(*(lambda a=a, n=n: billing_pay(invoice, f"{a} AUD", f"p{n}") for n, a in
                     enumerate(amounts)))  # fmt: skip

    assert len(outcome.results) == len(amounts) and not outcome.refusals
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    targets = {t.key: t.amount.minor_units for t in invoice_targets(invoice)}
    assert shares_so_far(invoice) == targets
    assert PaymentShare.objects.filter(amount_minor__lte=0).count() == 0
    assert "ledger ok" in ledger_checked()
