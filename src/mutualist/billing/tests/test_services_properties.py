"""The whole loop under Hypothesis: random invoices in JPY, EUR and BHD,
issued, paid in random parts and credited at random, through the services
and the ledger. Whatever the sequence, when the invoice is settled every
recipient holds exactly its target, Invoiced is empty, the tax account owes
exactly the tax invoiced less the tax credited, and the books check out.

Each example runs in a transaction rolled back at its end, so examples do
not see each other's invoices (the cast is built once per test).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mutualist.billing.accounts import invoiced_account, tax_account
from mutualist.billing.models import Invoice
from mutualist.billing.services import (
    FixedItem,
    credit_note_issue,
    invoice_draft_create,
    invoice_issue,
    invoice_targets,
    payment_record,
    shares_so_far,
)
from mutualist.billing.split import TAX
from mutualist.core.money import Money
from mutualist.testing import Cast, ledger_checked
from mutualist.work.models import Client

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("billing_time")]

TODAY = dt.date(2026, 12, 8)


class RolledBack(Exception):
    """Ends an example's transaction once it is checked."""


items = st.lists(
    st.tuples(
        st.sampled_from(["ana", "ben", None]),
        # minor units (0.5 x 2 is still 1); small ones make rounding ties likely
        st.integers(min_value=2, max_value=30) | st.integers(min_value=2, max_value=10**8),
        st.sampled_from(["1", "2", "0.5", "1.2345"]),
    ),
    min_size=1,
    max_size=4,
)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    currency=st.sampled_from(["JPY", "EUR", "BHD"]),
    lines=items,
    tax_rate=st.sampled_from(["0", "10", "12.375", "100"]),
    data=st.data(),
)
def test_any_mix_of_payments_and_credit_notes_ends_exactly_on_every_target(
    cast: Cast,
    currency: str,
    lines: list[tuple[str | None, int, str]],
    tax_rate: str,
    data: st.DataObject,
) -> None:
    try:
        with transaction.atomic():
            settle_at_random(cast, currency, lines, tax_rate, data)
            raise RolledBack
    except RolledBack:
        pass


def settle_at_random(
    cast: Cast,
    currency: str,
    lines: list[tuple[str | None, int, str]],
    tax_rate: str,
    data: st.DataObject,
) -> None:
    a = cast.collective_a
    client = Client.objects.create(
        name=f"Client in {currency}", country="BH", currency=currency, created_by=cast.ana,
        collective=a,
    )  # fmt: skip
    invoice = invoice_issue(
        invoice=invoice_draft_create(
            collective=a,
            actor=cast.ana,
            client=client,
            tax_rate=tax_rate,
            items=[
                FixedItem(
                    f"Item {n}",
                    quantity,
                    Money.from_minor(price, currency),
                    member=getattr(cast, who) if who else None,
                )
                for n, (who, price, quantity) in enumerate(lines)
            ],
        ),
        actor=cast.ana,
    )
    credited_tax = 0
    for step in range(data.draw(st.integers(1, 6), label="steps")):
        invoice.refresh_from_db()
        unpaid = invoice.outstanding_minor
        if unpaid == 0:
            break
        amount = data.draw(st.integers(1, unpaid), label="amount")
        if data.draw(st.booleans(), label="credit note?"):
            note = credit_note_issue(
                invoice=invoice,
                actor=cast.ana,
                reason="Correction",
                idempotency_key=f"cn-{step}",
                amount=Money.from_minor(amount, currency),
            )
            credited_tax += note.tax_minor
        else:
            payment_record(
                invoice=invoice,
                actor=cast.ana,
                amount=Money.from_minor(amount, currency),
                received_on=TODAY,
                method="bank_transfer",
                idempotency_key=f"pay-{step}",
            )
    invoice.refresh_from_db()
    if invoice.outstanding_minor:
        payment_record(
            invoice=invoice,
            actor=cast.ana,
            amount=Money.from_minor(invoice.outstanding_minor, currency),
            received_on=TODAY,
            method="bank_transfer",
            idempotency_key="rest",
        )
    invoice = Invoice.objects.get(pk=invoice.pk)

    assert invoice.status in ("paid", "void")
    given_out = shares_so_far(invoice)
    targets = {t.key: t.amount.minor_units for t in invoice_targets(invoice)}
    assert given_out == targets
    assert sum(given_out.values()) == invoice.paid_minor
    invoiced = invoiced_account(a, currency)
    invoiced.refresh_from_db()
    assert invoiced.balance_minor == 0
    tax = tax_account(a, currency)
    tax.refresh_from_db()
    assert -tax.balance_minor == invoice.tax_minor - credited_tax == given_out.get(TAX, 0)
    assert Decimal(invoice.tax_rate) == Decimal(tax_rate)
    assert "ledger ok" in ledger_checked()
