"""What the money pages' tests share: the ``paid`` story (see
test_views_money.py), reading pages, and the state a refusal must leave.

Fixtures stay in each test module (``frozen``, ``paid``), built from
``build_paid`` here, so no module imports another's fixtures.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass
from typing import Any

from django.contrib.messages import get_messages
from django.urls import NoReverseMatch, reverse

from mutualist.billing.accounts import find_member_account
from mutualist.billing.models import Invoice, Payment, Payout, PayoutSetting
from mutualist.billing.services import invoice_draft_create, invoice_issue, payment_record
from mutualist.collectives.models import Membership
from mutualist.core.money import Money
from mutualist.ledger.models import Account, Posting, Transaction
from mutualist.members.models import User
from mutualist.testing import Billed, Cast, Work

A = "manila-va"
B = "remote-crew"
TODAY = dt.date(2026, 12, 8)
NOW = dt.datetime(2026, 12, 8, 12, tzinfo=dt.UTC)


def text_of(response: Any) -> str:
    """The page, without the line-break hints inside account names."""
    return str(response.content.decode()).replace("<wbr>", "")


def plain(response: Any) -> str:
    """The page's text with tags dropped and whitespace squeezed, to read sentences."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text_of(response))).split())


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def url(name: str, **kwargs: object) -> str:
    return reverse(f"billing:{name}", kwargs=kwargs)


def assert_login_redirect(response: Any) -> None:
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("members:login"))


def state() -> dict[str, Any]:
    """Everything a refused request must leave as it was."""
    return {
        "transactions": Transaction.objects.count(),
        "postings": Posting.objects.count(),
        "accounts": list(Account.objects.order_by("pk").values_list("name", "balance_minor")),
        "payouts": Payout.objects.count(),
        "payout_settings": list(PayoutSetting.objects.order_by("pk").values()),
        "payments": Payment.objects.count(),
    }


def owed(collective: Any, member: User, currency: str = "AUD") -> Money:
    account = find_member_account(collective, member, currency)
    assert account is not None
    account.refresh_from_db()
    return Money.from_minor(-account.balance_minor, currency)


@dataclass(frozen=True)
class Paid:
    billed: Billed
    invoice: Invoice
    first: Payment  # 100.00 AUD
    second: Payment  # 300.00 USD at 1.5

    @property
    def work(self) -> Work:
        return self.billed.work

    @property
    def cast(self) -> Cast:
        return self.billed.work.cast


def issue(work: Work, *, tax_rate: str = "10") -> Invoice:
    cast = work.cast
    draft = invoice_draft_create(
        collective=cast.collective_a, actor=cast.ana, engagement=work.engagement, tax_rate=tax_rate
    )
    return invoice_issue(invoice=draft, actor=cast.ana)


def pay(
    invoice: Invoice, amount: Money, *, key: str, rate: str | None = None, **kwargs: Any
) -> Payment:
    return payment_record(
        invoice=invoice,
        actor=invoice.collective.memberships.get(role=Membership.Role.COORDINATOR).user,
        amount=amount,
        received_on=TODAY,
        method="bank_transfer",
        idempotency_key=key,
        fx_rate=rate,
        **kwargs,
    )


def build_paid(billed: Billed) -> Paid:
    invoice = issue(billed.work)
    first = pay(invoice, Money("100", "AUD"), key="first", reference="HBL-4411")
    second = pay(invoice, Money("300", "USD"), key="second", rate="1.5", excess="credit")
    invoice.refresh_from_db()
    return Paid(billed, invoice, first, second)


def invoice_url(invoice: Invoice) -> str | None:
    """The invoice's page, once the invoices area has one."""
    try:
        return reverse("billing:invoice", args=[invoice.pk])
    except NoReverseMatch:  # pragma: no cover -- until the invoices pages land
        return None
