"""Invoices and payments made through the real services, on the days a
test names, for the tick, scorecard and reports tests.

Issue and payment dates cannot be in the future, so each call travels to
its day (noon UTC, the clock frozen) before calling the service.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import time_machine

from mutualist.billing.models import Invoice, Payment
from mutualist.billing.services import (
    FixedItem,
    credit_note_issue,
    invoice_draft_create,
    invoice_issue,
    payment_record,
)
from mutualist.collectives.models import Collective
from mutualist.core.money import Money
from mutualist.members.models import User
from mutualist.work.models import Client


def on(day: dt.date) -> time_machine.travel:
    """Travel to noon (UTC) of ``day``, the clock standing still."""
    return time_machine.travel(dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC), tick=False)


def issue(
    *,
    collective: Collective,
    actor: User,
    client: Client,
    amount: str,
    day: dt.date,
    description: str = "Monthly retainer",
    tax_rate: str | None = None,
    member: User | None = None,
) -> Invoice:
    """An invoice of one fixed item of ``amount`` (in the client's currency,
    ``member``'s work when given) issued on ``day``; due 30 days later (a
    client-only invoice's terms)."""
    with on(day):
        draft = invoice_draft_create(
            collective=collective,
            actor=actor,
            client=client,
            items=[FixedItem(description, 1, Money(amount, client.currency), member=member)],
            tax_rate=tax_rate,
        )
        return invoice_issue(invoice=draft, actor=actor)


def pay(
    invoice: Invoice,
    *,
    actor: User,
    amount: str,
    day: dt.date,
    currency: str | None = None,
    fx_rate: str | None = None,
) -> Payment:
    """Record ``amount`` received on ``day`` for ``invoice`` (in its currency
    unless ``currency`` is given, at ``fx_rate``)."""
    invoice.refresh_from_db()
    with on(day):
        return payment_record(
            invoice=invoice,
            actor=actor,
            amount=Money(amount, currency or invoice.currency),
            received_on=day,
            method=Payment.Method.BANK_TRANSFER,
            idempotency_key=f"test:{invoice.pk}:{amount}:{day}:{currency}",
            fx_rate=Decimal(fx_rate) if fx_rate else None,
        )


def credit(invoice: Invoice, *, actor: User, day: dt.date, amount: str | None = None) -> Invoice:
    """A credit note for ``amount`` of ``invoice`` (all that is unpaid when ``None``)."""
    invoice.refresh_from_db()
    with on(day):
        return credit_note_issue(
            invoice=invoice,
            actor=actor,
            reason="Agreed discount",
            idempotency_key=f"test:credit:{invoice.pk}:{amount}:{day}",
            amount=Money(amount, invoice.currency) if amount else None,
        )


def private_client(collective: Collective, *, name: str, currency: str, by: User) -> Client:
    """A client the collective's coordinator recorded (a lead), which it may
    invoice for fixed items without an engagement."""
    return Client.objects.create(
        name=name,
        country="AU",
        timezone="Australia/Sydney",
        currency=currency,
        billing_address=f"{name}\nSomewhere 1\nAustralia",
        collective=collective,
        created_by=by,
    )
