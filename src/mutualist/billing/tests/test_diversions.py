"""Share diverters: part of a member's share of a payment sent elsewhere
(a fund taking back an advance, savings) before it reaches their payable.

The invoice is the ``billed`` one: 385.00 AUD (targets: tax 35.00, treasury
35.00, Ana 225.00, Ben 90.00). Each test registers its own diverters and
forgets them afterwards; billing knows nothing of what they are for.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from mutualist.billing.accounts import find_member_account
from mutualist.billing.models import Invoice, Payment, PaymentDiversion, PaymentShare
from mutualist.billing.recipients import (
    Diversion,
    share_diverter_register,
    share_diverter_unregister,
    share_diverters,
)
from mutualist.billing.services import payment_record
from mutualist.core.money import Money
from mutualist.ledger.models import Account, Posting
from mutualist.ledger.services import account_name_for, account_open
from mutualist.members.models import User
from mutualist.testing import Billed, billing_issued, billing_state, ledger_checked

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("billing_time", "ledger_checked_after"),
]

TODAY = dt.date(2026, 12, 8)


def aud(amount: str) -> Money:
    return Money(amount, "AUD")


def pay(invoice: Invoice, amount: Money, key: str = "k") -> Payment:
    return payment_record(
        invoice=invoice,
        actor=invoice.created_by,
        amount=amount,
        received_on=TODAY,
        method="bank_transfer",
        idempotency_key=key,
    )


def owed(collective: Any, member: User) -> int:
    """What the member's AUD payable holds, as a positive number."""
    account = find_member_account(collective, member, "AUD")
    return 0 if account is None else -account.balance_minor


def held(account: Account) -> int:
    account.refresh_from_db()
    return -account.balance_minor


def postings(payment: Payment) -> dict[str, int]:
    rows: dict[str, int] = {}
    for name, minor in Posting.objects.filter(transaction=payment.transaction).values_list(
        "account__name", "amount_minor"
    ):
        rows[name] = rows.get(name, 0) + minor
    return rows


@pytest.fixture
def invoice(billed: Billed) -> Invoice:
    issued: Invoice = billing_issued(billed)
    return issued


@pytest.fixture
def pot(billed: Billed) -> Account:
    """A liability account of collective A in AUD that diverters send money to."""
    a = billed.work.cast.collective_a
    return account_open(
        collective=a,
        name=account_name_for(a, Account.Type.LIABILITIES, "Funds", "Pot", "AUD"),
        type=Account.Type.LIABILITIES,
        currency="AUD",
        must_not_go_negative=True,
    )


@pytest.fixture
def other_pot(billed: Billed) -> Account:
    a = billed.work.cast.collective_a
    return account_open(
        collective=a,
        name=account_name_for(a, Account.Type.LIABILITIES, "Funds", "Jar", "AUD"),
        type=Account.Type.LIABILITIES,
        currency="AUD",
        must_not_go_negative=True,
    )


@pytest.fixture
def register() -> Iterator[Callable[..., None]]:
    """Registers diverters for one test, leaving the registry as it was."""
    before = {d.name for d in share_diverters()}
    added: list[str] = []

    def add(name: str, fn: Any, *, order: int) -> None:
        share_diverter_register(name, fn, order=order)
        added.append(name)

    yield add
    for name in added:
        if name not in before:
            share_diverter_unregister(name)


def taking(
    pot: Account, member: User, amount: Money | None, seen: list[Money] | None = None
) -> Any:
    """A diverter that takes ``amount`` (all that is left when None) of
    ``member``'s parts into ``pot``, noting what it was offered."""

    def divert(*, invoice: Invoice, member: User, amount: Money, on: dt.date) -> list[Diversion]:
        if seen is not None:
            seen.append(amount)
        if member.pk != wanted.pk:
            return []
        take = amount if limit is None else min(limit, amount)
        return [Diversion(pot, take, "test_take")]

    wanted, limit = member, amount
    return divert


# --- Diverting ------------------------------------------------------------------------------


def test_a_diverter_takes_part_of_a_members_share_and_the_payable_gets_the_rest(
    billed: Billed, invoice: Invoice, pot: Account, register: Callable[..., None]
) -> None:
    cast = billed.work.cast
    register("take_ana", taking(pot, cast.ana, aud("50")), order=10)

    payment = pay(invoice, aud("385"))

    shares = dict(payment.shares.values_list("key", "amount_minor"))
    # The share is still Ana's whole share of the invoice.
    assert shares[f"member:{cast.ana.pk}"] == 22500
    assert owed(cast.collective_a, cast.ana) == 17500
    assert owed(cast.collective_a, cast.ben) == 9000
    assert held(pot) == 5000
    diversion = PaymentDiversion.objects.get()
    assert diversion.share.key == f"member:{cast.ana.pk}"
    assert (diversion.account_id, diversion.amount_minor, diversion.currency) == (
        pot.pk,
        5000,
        "AUD",
    )
    assert diversion.reason == "test_take"
    lines = postings(payment)
    assert lines[pot.name] == -5000
    payable = find_member_account(cast.collective_a, cast.ana, "AUD")
    assert payable is not None
    assert lines[payable.name] == -17500
    assert sum(lines.values()) == 0
    ledger_checked()


def test_a_diverter_may_take_all_of_a_share_and_the_payable_gets_no_posting(
    billed: Billed, invoice: Invoice, pot: Account, register: Callable[..., None]
) -> None:
    cast = billed.work.cast
    # Billing opens Ben's payable for his share, but this payment credits it nothing.
    register("take_ben", taking(pot, cast.ben, None), order=10)

    payment = pay(invoice, aud("385"))

    assert held(pot) == 9000
    assert owed(cast.collective_a, cast.ben) == 0
    assert owed(cast.collective_a, cast.ana) == 22500
    ben_share = payment.shares.get(key=f"member:{cast.ben.pk}")
    assert ben_share.amount_minor == 9000
    assert list(ben_share.diversions.values_list("amount_minor", flat=True)) == [9000]
    ben_payable = ben_share.account
    assert ben_payable is not None
    # No zero posting to the payable: it is simply not in the transaction.
    assert not Posting.objects.filter(transaction=payment.transaction, account=ben_payable).exists()
    ledger_checked()


def test_a_diverter_that_takes_nothing_changes_nothing(
    billed: Billed, invoice: Invoice, pot: Account, register: Callable[..., None]
) -> None:
    cast = billed.work.cast
    seen: list[Money] = []

    def nothing(*, invoice: Invoice, member: User, amount: Money, on: dt.date) -> list[Diversion]:
        seen.append(amount)
        # A zero diversion is dropped, as is an empty answer.
        return [Diversion(pot, aud("0"), "test_zero")] if member.pk == cast.ana.pk else []

    register("nothing", nothing, order=10)

    pay(invoice, aud("385"))

    # Asked once per member part, never for the treasury or the tax.
    assert sorted(seen) == [aud("90"), aud("225")]
    assert not PaymentDiversion.objects.exists()
    assert owed(cast.collective_a, cast.ana) == 22500
    assert owed(cast.collective_a, cast.ben) == 9000
    assert held(pot) == 0


def test_two_diverters_run_in_order_each_seeing_what_is_left(
    billed: Billed,
    invoice: Invoice,
    pot: Account,
    other_pot: Account,
    register: Callable[..., None],
) -> None:
    cast = billed.work.cast
    first_seen: list[Money] = []
    second_seen: list[Money] = []

    def half(*, invoice: Invoice, member: User, amount: Money, on: dt.date) -> list[Diversion]:
        second_seen.append(amount)
        if member.pk != cast.ana.pk:
            return []
        return [Diversion(other_pot, Money.from_minor(amount.minor_units // 2, "AUD"), "half")]

    # Registered out of order: order decides, not registration.
    register("second", half, order=20)
    register("first", taking(pot, cast.ana, aud("100"), first_seen), order=10)

    payment = pay(invoice, aud("385"))

    ana_key = f"member:{cast.ana.pk}"
    assert aud("225") in first_seen
    # The second diverter was offered what the first left of Ana's part.
    assert aud("125") in second_seen
    assert held(pot) == 10000
    assert held(other_pot) == 6250
    assert owed(cast.collective_a, cast.ana) == 6250
    share = payment.shares.get(key=ana_key)
    assert share.amount_minor == 22500
    assert list(share.diversions.values_list("reason", "amount_minor")) == [
        ("test_take", 10000),
        ("half", 6250),
    ]
    lines = postings(payment)
    assert sum(lines.values()) == 0
    ledger_checked()


def test_partial_payments_ask_the_diverters_about_each_part(
    billed: Billed, invoice: Invoice, pot: Account, register: Callable[..., None]
) -> None:
    cast = billed.work.cast
    seen: list[Money] = []
    # Takes at most 30.00 of Ana's parts in all: what it took before is its own business.
    taken_so_far: list[int] = []

    def up_to_thirty(
        *, invoice: Invoice, member: User, amount: Money, on: dt.date
    ) -> list[Diversion]:
        seen.append(amount)
        if member.pk != cast.ana.pk:
            return []
        take = min(3000 - sum(taken_so_far), amount.minor_units)
        taken_so_far.append(take)
        return [Diversion(pot, Money.from_minor(take, "AUD"), "test_take")]

    register("thirty", up_to_thirty, order=10)

    pay(invoice, aud("77"), key="first")
    pay(invoice, aud("308"), key="second")

    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    ana_shares = PaymentShare.objects.filter(member=cast.ana).values_list("amount_minor", flat=True)
    assert sum(ana_shares) == 22500
    assert held(pot) == 3000
    assert owed(cast.collective_a, cast.ana) == 19500
    assert owed(cast.collective_a, cast.ben) == 9000
    assert PaymentDiversion.objects.count() == 1  # the second payment's zero is left out
    ledger_checked()


def test_a_retried_payment_does_not_divert_again(
    billed: Billed, invoice: Invoice, pot: Account, register: Callable[..., None]
) -> None:
    cast = billed.work.cast
    register("take_ana", taking(pot, cast.ana, aud("50")), order=10)

    first = pay(invoice, aud("100"), key="same")
    again = pay(invoice, aud("100"), key="same")

    assert again.pk == first.pk
    assert PaymentDiversion.objects.count() == 1
    assert held(pot) == 5000


@pytest.mark.parametrize(
    ("why", "build"),
    [
        ("beyond the part", lambda pot, amount: [Diversion(pot, amount + aud("0.01"), "greedy")]),
        ("negative", lambda pot, amount: [Diversion(pot, aud("-1"), "negative")]),
        ("no reason", lambda pot, amount: [Diversion(pot, aud("1"), "")]),
    ],
)
def test_a_diverter_that_breaks_the_rules_refuses_the_payment_and_changes_nothing(
    billed: Billed,
    invoice: Invoice,
    pot: Account,
    register: Callable[..., None],
    why: str,
    build: Callable[[Account, Money], list[Diversion]],
) -> None:
    def broken(*, invoice: Invoice, member: User, amount: Money, on: dt.date) -> list[Diversion]:
        return build(pot, amount)

    register("broken", broken, order=10)
    before = billing_state()
    diversions = PaymentDiversion.objects.count()

    with pytest.raises(ValueError, match="broken"):
        pay(invoice, aud("385"))

    assert billing_state() == before, why
    assert PaymentDiversion.objects.count() == diversions


def test_a_diverter_may_not_send_money_to_an_account_in_another_currency_or_collective(
    billed: Billed, invoice: Invoice, register: Callable[..., None]
) -> None:
    cast = billed.work.cast
    b = cast.collective_b
    elsewhere = account_open(
        collective=b,
        name=account_name_for(b, Account.Type.LIABILITIES, "Funds", "Pot", "AUD"),
        type=Account.Type.LIABILITIES,
        currency="AUD",
    )

    def outside(*, invoice: Invoice, member: User, amount: Money, on: dt.date) -> list[Diversion]:
        return [Diversion(elsewhere, aud("1"), "outside")]

    register("outside", outside, order=10)
    before = billing_state()

    with pytest.raises(ValueError, match="out of the collective"):
        pay(invoice, aud("385"))

    assert billing_state() == before


def test_registering_is_idempotent_and_a_taken_name_is_refused(
    pot: Account, register: Callable[..., None], billed: Billed
) -> None:
    from django.core.exceptions import ImproperlyConfigured

    fn = taking(pot, billed.work.cast.ana, None)
    register("twice", fn, order=10)
    register("twice", fn, order=10)
    assert [d.name for d in share_diverters()].count("twice") == 1
    with pytest.raises(ImproperlyConfigured):
        share_diverter_register("twice", taking(pot, billed.work.cast.ben, None), order=10)
