"""The ledger accounts billing posts to, and where each split recipient is paid."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from mutualist.billing import recipients
from mutualist.billing.accounts import (
    client_credit_account,
    default_deposit_account,
    find_member_account,
    invoiced_account,
    member_account,
    receivable_account,
    tax_account,
    treasury_account,
)
from mutualist.billing.recipients import fund_label, fund_recipient_register, recipient_account
from mutualist.ledger.models import Account
from mutualist.ledger.services import account_name_for, account_open
from mutualist.testing import Work
from mutualist.work.models import Client

pytestmark = pytest.mark.django_db


def test_the_collectives_own_billing_accounts_have_conventional_names(work: Work) -> None:
    a = work.cast.collective_a

    opened = {
        "invoiced": invoiced_account(a, "AUD"),
        "tax": tax_account(a, "AUD"),
        "treasury": treasury_account(a, "AUD"),
        "bank": default_deposit_account(a, "AUD"),
    }

    assert {key: (acc.name, acc.type) for key, acc in opened.items()} == {
        "invoiced": ("Liabilities:Collectives:ManilaVa:Invoiced:AUD", "liabilities"),
        "tax": ("Liabilities:Collectives:ManilaVa:Tax:AUD", "liabilities"),
        "treasury": ("Income:Collectives:ManilaVa:Treasury:AUD", "income"),
        "bank": ("Assets:Collectives:ManilaVa:Bank:AUD", "assets"),
    }
    # opening again is finding
    assert invoiced_account(a, "AUD").pk == opened["invoiced"].pk
    assert all(acc.currency == "AUD" for acc in opened.values())


def test_a_clients_receivable_is_found_by_the_client_even_after_a_rename(work: Work) -> None:
    a = work.cast.collective_a
    first = receivable_account(a, work.harbour, "AUD")

    work.harbour.name = "Harbour Holdings"
    work.harbour.save(update_fields=["name"])
    again = receivable_account(a, work.harbour, "AUD")

    assert again.pk == first.pk
    assert first.name == (
        f"Assets:Collectives:ManilaVa:Receivable:HarbourBridgeLogistics-{work.harbour.pk}:AUD"
    )
    assert (first.owner_kind, first.owner_id, first.must_not_go_negative) == (
        "client",
        work.harbour.pk,
        False,
    )
    # another currency is another account
    assert receivable_account(a, work.harbour, "USD").pk != first.pk


def test_two_clients_of_one_name_get_two_accounts(work: Work) -> None:
    a = work.cast.collective_a
    twin = Client.objects.create(
        name=work.harbour.name, country="AU", currency="AUD", created_by=work.dana
    )

    assert receivable_account(a, twin, "AUD").pk != receivable_account(a, work.harbour, "AUD").pk


def test_a_name_of_no_ascii_letters_or_the_longest_name_still_gets_an_account(
    work: Work,
) -> None:
    a = work.cast.collective_a
    kanji = Client.objects.create(
        name="株式会社", country="JP", currency="JPY", created_by=work.dana
    )
    longest = Client.objects.create(
        name=" ".join(["Wollongong"] * 11)[:120], country="AU", currency="AUD",
        created_by=work.dana,
    )  # fmt: skip

    assert receivable_account(a, kanji, "JPY").name == (
        f"Assets:Collectives:ManilaVa:Receivable:N-{kanji.pk}:JPY"
    )
    name = client_credit_account(a, longest, "AUD").name
    assert name.endswith(f"-{longest.pk}:AUD") and len(name) <= 255


def test_a_members_payable_and_a_clients_credit_must_not_go_negative(work: Work) -> None:
    a = work.cast.collective_a
    payable = member_account(a, work.cast.ana, "AUD")
    credit = client_credit_account(a, work.harbour, "AUD")

    assert (payable.type, payable.owner_kind, payable.must_not_go_negative) == (
        "liabilities",
        "member",
        True,
    )
    assert payable.name.startswith("Liabilities:Collectives:ManilaVa:Members:")
    assert (credit.type, credit.must_not_go_negative) == ("liabilities", True)


def test_finding_a_members_payable_opens_nothing(work: Work) -> None:
    a = work.cast.collective_a
    before = Account.objects.count()

    assert find_member_account(a, work.cast.ana, "AUD") is None
    assert Account.objects.count() == before

    opened = member_account(a, work.cast.ana, "AUD")
    assert find_member_account(a, work.cast.ana, "AUD") == opened
    assert find_member_account(a, work.cast.ben, "AUD") is None
    assert find_member_account(work.cast.collective_b, work.cast.ana, "AUD") is None


def test_each_recipient_of_the_split_has_its_account(
    work: Work, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(recipients, "_funds", {})
    a = work.cast.collective_a

    def guarantee_account(collective: Any, currency: str) -> Account:
        return account_open(
            collective=collective,
            name=account_name_for(collective, "liabilities", "Guarantee", currency),
            type="liabilities",
            currency=currency,
        )

    fund_recipient_register("guarantee", label="Guarantee fund", account_for=guarantee_account)
    members = {work.cast.ana.pk: work.cast.ana}

    assert recipient_account(a, "tax", "AUD", members=members) is None
    found = {
        key: recipient_account(a, key, "AUD", members=members).name  # type: ignore[union-attr]
        for key in ("treasury", f"member:{work.cast.ana.pk}", "guarantee", "sick_pay")
    }
    assert found == {
        "treasury": "Income:Collectives:ManilaVa:Treasury:AUD",
        f"member:{work.cast.ana.pk}": member_account(a, work.cast.ana, "AUD").name,
        "guarantee": "Liabilities:Collectives:ManilaVa:Guarantee:AUD",
        # a fund no app has registered yet still gets its levy, never lost
        "sick_pay": "Liabilities:Collectives:ManilaVa:Funds:SickPay:AUD",
    }
    assert (fund_label("guarantee"), fund_label("sick_pay")) == (
        "Guarantee fund",
        "Sick pay fund",
    )


def test_a_fund_code_is_registered_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(recipients, "_funds", {})

    def one(collective: Any, currency: str) -> Account:
        raise NotImplementedError

    def other(collective: Any, currency: str) -> Account:
        raise NotImplementedError

    first = fund_recipient_register("gap", label="Gap fund", account_for=one)
    assert fund_recipient_register("gap", label="Gap fund", account_for=one) is first
    with pytest.raises(ImproperlyConfigured, match="already registered"):
        fund_recipient_register("gap", label="Gap fund", account_for=other)
