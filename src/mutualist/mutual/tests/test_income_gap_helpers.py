"""Builders shared by the income-gap and savings tests (imported; no tests here).

Income is earned the real way: an invoice of fixed work for one member,
issued and paid in full through billing's services on a given day. With
collective A's split rule (10 % to the treasury, no tax), the member's part
of an invoice is 90 % of it.
"""

from __future__ import annotations

import datetime as dt

from mutualist.billing.models import Invoice, Payment
from mutualist.billing.services import invoice_draft_create, invoice_issue, payment_record
from mutualist.billing.services.invoices import FixedItem
from mutualist.collectives.models import Collective, Membership
from mutualist.core.money import Money
from mutualist.ledger.models import Account
from mutualist.ledger.services import Line, account_name_for, account_open, transaction_post
from mutualist.members.models import User
from mutualist.mutual.accounts import pool_account
from mutualist.mutual.models import Fund
from mutualist.work.models import Client

__test__ = False  # pytest: builders only


def client_paying_in(collective: Collective, currency: str, *, created_by: User) -> Client:
    """A client of ``collective`` billed in ``currency``."""
    return Client.objects.create(
        name=f"Client paying {currency}",
        country="AU",
        timezone="Australia/Sydney",
        currency=currency,
        billing_address="1 Quay St\nSydney",
        collective=collective,
        created_by=created_by,
    )


def coordinator_of(collective: Collective) -> User:
    membership = Membership.objects.filter(
        collective=collective, role=Membership.Role.COORDINATOR, state=Membership.State.ACTIVE
    ).first()
    assert membership is not None
    return membership.user


def paid_work(client: Client, member: User, amount: str, *, on: dt.date, key: str) -> Payment:
    """An invoice of ``amount`` (in the client's currency) of ``member``'s
    work, issued and paid in full on ``on`` (no tax)."""
    collective = client.collective
    assert collective is not None
    coordinator = coordinator_of(collective)
    draft = invoice_draft_create(
        collective=collective,
        actor=coordinator,
        client=client,
        items=[FixedItem("Work", 1, Money(amount, client.currency), member)],
    )
    invoice: Invoice = invoice_issue(invoice=draft, actor=coordinator, issue_date=on)
    return payment_record(
        invoice=invoice,
        actor=coordinator,
        amount=Money.from_minor(invoice.total_minor, invoice.currency),
        received_on=on,
        method="bank_transfer",
        idempotency_key=key,
    )


def fill(fund: Fund, amount: str, *, on: dt.date, key: str) -> Account:
    """Put ``amount`` of the fund's currency into its pool from the
    collective's opening equity (as levies would); returns the pool."""
    collective = fund.collective
    currency = fund.currency
    opening = account_open(
        collective=collective,
        name=account_name_for(collective, "equity", "Opening", currency),
        type="equity",
        currency=currency,
    )
    pool = pool_account(collective, fund.code, currency)
    money = Money(amount, currency)
    transaction_post(
        lines=[Line(opening, money), Line(pool, -money)],
        memo="Levies",
        occurred_at=on,
        idempotency_key=f"test:fill:{key}",
        kind="opening",
    )
    pool.refresh_from_db()
    return pool


def joined_on(collective: Collective, member: User, day: dt.date) -> None:
    """Date ``member``'s membership of ``collective`` back to ``day``."""
    Membership.objects.filter(collective=collective, user=member).update(
        joined_at=dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC)
    )


def minor(account: Account) -> int:
    """What a liability account holds now, as positive minor units."""
    account.refresh_from_db()
    return -account.balance_minor
