"""Payments: settling an invoice and sharing the money out, in one transaction.

The invoice is the ``billed`` one: 350.00 AUD net (Ana 250.00, Ben 100.00)
+ 10 % tax = 385.00 AUD, issued on 8 December 2026 under a 10 % treasury;
its targets are tax 35.00, treasury 35.00, Ana 225.00, Ben 90.00.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from mutualist.billing.accounts import (
    client_credit_account,
    default_deposit_account,
    find_member_account,
    invoiced_account,
    receivable_account,
    treasury_account,
)
from mutualist.billing.models import Invoice, Payment, PaymentShare
from mutualist.billing.services import (
    FixedItem,
    credit_note_issue,
    invoice_draft_create,
    invoice_issue,
    invoice_targets,
    payment_record,
    shares_so_far,
)
from mutualist.collectives.models import Bylaws
from mutualist.collectives.services.bylaws import _bylaws_insert, bylaws_adopt
from mutualist.core.errors import Conflict, DomainError, PermissionDenied, ValidationFailed
from mutualist.core.money import Money
from mutualist.ledger.models import Account, Transaction
from mutualist.ledger.services import account_name_for, account_open, exchange_rate_set
from mutualist.testing import (
    Billed,
    approved_time,
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


def refused(error: type[DomainError], code: str, call: Any) -> DomainError:
    before = billing_state()
    with pytest.raises(error) as raised:
        call()
    assert raised.value.code == code, raised.value.message
    assert billing_state() == before
    return raised.value


def pay(invoice: Invoice, amount: Money, key: str = "k", **kwargs: Any) -> Payment:
    kwargs.setdefault("actor", invoice.created_by)
    kwargs.setdefault("received_on", TODAY)
    kwargs.setdefault("method", "bank_transfer")
    return payment_record(invoice=invoice, amount=amount, idempotency_key=key, **kwargs)


def aud(amount: str) -> Money:
    return Money(amount, "AUD")


def balance(account: Account | None) -> int:
    assert account is not None
    account.refresh_from_db()
    return int(account.balance_minor)


def split_of(payment: Payment) -> dict[str, int]:
    return dict(payment.shares.values_list("key", "amount_minor"))


@pytest.fixture
def invoice(billed: Billed) -> Invoice:
    issued: Invoice = billing_issued(billed)
    return issued


@pytest.fixture
def keys(billed: Billed) -> dict[str, str]:
    cast = billed.work.cast
    return {"ana": f"member:{cast.ana.pk}", "ben": f"member:{cast.ben.pk}"}


# --- Recording payments ---------------------------------------------------------------------


def test_a_full_payment_settles_the_invoice_and_shares_it_by_the_rule(
    billed: Billed, invoice: Invoice, keys: dict[str, str]
) -> None:
    cast = billed.work.cast
    a = cast.collective_a

    payment = pay(invoice, aud("385"), reference="HBL-0042")

    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_minor, invoice.outstanding_minor) == ("paid", 38500, 0)
    assert invoice.paid_at is not None
    assert (payment.amount_minor, payment.currency, payment.applied_minor) == (38500, "AUD", 38500)
    assert (payment.credit_minor, payment.fx_rate, payment.reference) == (0, None, "HBL-0042")
    assert split_of(payment) == {
        "tax": 3500,
        "treasury": 3500,
        keys["ana"]: 22500,
        keys["ben"]: 9000,
    }
    # each share names its account, the tax none (it stays in Tax from the issue)
    accounts = dict(payment.shares.values_list("key", "account__name"))
    assert accounts["tax"] is None
    assert accounts["treasury"] == "Income:Collectives:ManilaVa:Treasury:AUD"
    # the books: the bank has it, the client owes nothing, Invoiced is shared out
    assert balance(default_deposit_account(a, "AUD")) == 38500
    assert balance(receivable_account(a, billed.work.harbour, "AUD")) == 0
    assert balance(invoiced_account(a, "AUD")) == 0
    assert balance(treasury_account(a, "AUD")) == -3500
    assert balance(find_member_account(a, cast.ana, "AUD")) == -22500
    assert balance(find_member_account(a, cast.ben, "AUD")) == -9000
    assert payment.transaction.memo == (
        "Payment from Harbour Bridge Logistics for MANILA-2026-0001 (ref. HBL-0042)"
    )
    assert "ledger ok" in ledger_checked()


def test_partial_payments_share_each_part_and_end_exactly_on_target(
    invoice: Invoice, keys: dict[str, str]
) -> None:
    first = pay(invoice, aud("100"), "1")
    second = pay(invoice, aud("0.01"), "2")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.outstanding_minor) == ("issued", 28499)
    third = pay(invoice, aud("284.99"), "3")

    assert split_of(first) == {"tax": 909, "treasury": 909, keys["ana"]: 5844, keys["ben"]: 2338}
    assert sum(split_of(second).values()) == 1
    assert shares_so_far(invoice) == {
        "tax": 3500,
        "treasury": 3500,
        keys["ana"]: 22500,
        keys["ben"]: 9000,
    }
    assert all(sum(split_of(p).values()) == p.applied_minor for p in (first, second, third))
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert "ledger ok" in ledger_checked()


def test_a_payment_in_another_currency_posts_the_conversion_at_the_given_rate(
    billed: Billed, invoice: Invoice, keys: dict[str, str]
) -> None:
    # given 100.00 AUD paid
    cast = billed.work.cast
    a = cast.collective_a
    pay(invoice, aud("100"), "aud")

    # when the client sends 300.00 USD at 1.5 (450.00 AUD) and the coordinator
    # keeps the 165.00 AUD beyond the 285.00 owed as the client's credit
    payment = pay(
        invoice,
        Money("300", "USD"),
        "usd",
        fx_rate="1.5",
        fx_rate_source="Wise statement",
        excess="credit",
    )

    # then 285.00 settles the invoice, 165.00 is held, and the rate is on record
    assert (payment.applied_minor, payment.credit_minor) == (28500, 16500)
    assert (payment.fx_rate, payment.fx_rate_source) == (Decimal("1.5"), "Wise statement")
    assert (payment.transaction.fx_rate, payment.transaction.fx_rate_source) == (
        Decimal("1.5"),
        "Wise statement",
    )
    postings = {
        p.account.name: p.amount_minor
        for p in payment.transaction.postings.select_related("account")
        if "Trading" in p.account.name or "Bank" in p.account.name
    }
    assert postings == {
        "Assets:Collectives:ManilaVa:Bank:USD": 30000,
        "Equity:Collectives:ManilaVa:Trading:USD": -30000,
        "Equity:Collectives:ManilaVa:Trading:AUD": 45000,
    }
    assert balance(client_credit_account(a, billed.work.harbour, "AUD")) == -16500
    # and Ana ends with exactly 90 % of her 250.00
    assert balance(find_member_account(a, cast.ana, "AUD")) == -22500
    assert shares_so_far(invoice)[keys["ana"]] == 22500
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert "ledger ok" in ledger_checked()


def test_the_rate_on_record_is_used_when_none_is_given(billed: Billed, invoice: Invoice) -> None:
    cast = billed.work.cast
    exchange_rate_set(
        collective=cast.collective_a,
        actor=cast.ana,
        base="USD",
        quote="AUD",
        rate="1.52",
        on=TODAY - dt.timedelta(days=2),
    )

    payment = pay(invoice, Money("100", "USD"))

    assert (payment.applied_minor, payment.fx_rate) == (15200, Decimal("1.52"))
    assert payment.fx_rate_source == "2026-12-06 rate entered by Ana Reyes"
    assert "ledger ok" in ledger_checked()


def test_an_overpayment_at_the_rate_on_record_names_the_rate_as_people_write_it(
    billed: Billed, invoice: Invoice
) -> None:
    # given a rate on record, stored with twelve decimal places
    cast = billed.work.cast
    exchange_rate_set(
        collective=cast.collective_a,
        actor=cast.ana,
        base="USD",
        quote="AUD",
        rate="1.533",
        on=TODAY - dt.timedelta(days=1),
    )
    # when more than is owed arrives in USD, then the refusal says "at 1.533"
    error = refused(ValidationFailed, "overpayment", lambda: pay(invoice, Money("300", "USD")))
    assert error.message.startswith("300.00 USD (459.90 AUD at 1.533) is more than")


def test_a_foreign_payment_with_no_rate_on_record_is_refused(invoice: Invoice) -> None:
    error = refused(ValidationFailed, "no_rate", lambda: pay(invoice, Money("100", "USD")))
    assert "import the ECB rates or enter one" in error.message


def test_an_overpayment_is_refused_unless_kept_as_the_clients_credit(invoice: Invoice) -> None:
    error = refused(ValidationFailed, "overpayment", lambda: pay(invoice, aud("400")))
    assert error.message == (
        "400.00 AUD is more than the 385.00 AUD unpaid on MANILA-2026-0001. Record 385.00 AUD, "
        "or keep the rest as the client's credit."
    )
    error = refused(
        ValidationFailed,
        "overpayment",
        lambda: pay(invoice, Money("300", "USD"), fx_rate="1.5"),
    )
    assert error.message.startswith("300.00 USD (450.00 AUD at 1.5) is more than the 385.00 AUD")


def test_the_clients_credit_pays_a_later_invoice(billed: Billed, invoice: Invoice) -> None:
    # given 15.00 AUD held as Harbour's credit after an overpayment
    work = billed.work
    a = work.cast.collective_a
    pay(invoice, aud("400"), "over", excess="credit")
    credit_account = client_credit_account(a, work.harbour, "AUD")
    assert balance(credit_account) == -1500
    later = invoice_issue(
        invoice=invoice_draft_create(
            collective=a,
            actor=work.cast.ana,
            client=work.harbour,
            items=[FixedItem("Extra", 1, aud("50"))],
        ),
        actor=work.cast.ana,
    )

    # when 10.00 of it pays the later invoice
    payment = pay(later, aud("10"), "from-credit", method="client_credit")

    # then the credit holds 5.00 and the invoice owes 40.00; no bank saw money
    assert (payment.deposit_account, payment.applied_minor) == (None, 1000)
    assert balance(credit_account) == -500
    later.refresh_from_db()
    assert later.outstanding_minor == 4000
    # and more than the credit holds is refused
    error = refused(
        Conflict,
        "beyond_client_credit",
        lambda: pay(later, aud("5.01"), "too-much", method="client_credit"),
    )
    assert error.message == (
        "Harbour Bridge Logistics does not hold 5.01 AUD of credit with the collective."
    )
    # as is an excess kept as credit when paying from that credit
    refused(
        ValidationFailed,
        "overpayment",
        lambda: pay(later, aud("41"), "loop", method="client_credit", excess="credit"),
    )
    assert "ledger ok" in ledger_checked()


def test_money_lands_in_the_collectives_own_account_in_its_currency(
    billed: Billed, invoice: Invoice
) -> None:
    cast = billed.work.cast
    a, b = cast.collective_a, cast.collective_b
    wise = account_open(
        collective=a,
        name=account_name_for(a, "assets", "Wise", "AUD"),
        type="assets",
        currency="AUD",
    )
    payment = pay(invoice, aud("10"), "wise", deposit_account=wise)
    assert payment.deposit_account == wise and balance(wise) == 1000

    others = account_open(
        collective=b,
        name=account_name_for(b, "assets", "Bank", "AUD"),
        type="assets",
        currency="AUD",
    )
    usd = default_deposit_account(a, "USD")
    liability = client_credit_account(a, billed.work.harbour, "AUD")
    refused(
        ValidationFailed,
        "unknown_account",
        lambda: pay(invoice, aud("1"), "b", deposit_account=others),
    )
    refused(
        ValidationFailed,
        "unknown_account",
        lambda: pay(invoice, aud("1"), "l", deposit_account=liability),
    )
    refused(
        ValidationFailed,
        "currency_mismatch",
        lambda: pay(invoice, aud("1"), "u", deposit_account=usd),
    )
    refused(
        ValidationFailed,
        "invalid_credit_payment",
        lambda: pay(invoice, aud("1"), "c", deposit_account=wise, method="client_credit"),
    )


# --- What cannot be paid --------------------------------------------------------------------


def test_a_draft_a_void_or_a_paid_invoice_or_a_credit_note_is_not_paid(billed: Billed) -> None:
    work = billed.work
    cast = work.cast
    draft = billing_draft(billed, until=dt.date(2026, 11, 30))
    error = refused(Conflict, "invoice_draft", lambda: pay(draft, aud("1")))
    assert error.message == "This invoice is a draft: issue it before recording payments."

    paid = invoice_issue(invoice=draft, actor=cast.ana)
    pay(paid, aud("247.50"), "all")  # 225.00 + 10 % tax
    error = refused(Conflict, "invoice_paid", lambda: pay(paid, aud("1"), "more"))
    assert error.message == "MANILA-2026-0001 is paid in full already."
    # even when the money would be kept as credit: a settled invoice takes nothing
    refused(Conflict, "invoice_paid", lambda: pay(paid, aud("1"), "more", excess="credit"))

    void = billing_issued(billed)
    note = credit_note_issue(invoice=void, actor=cast.ana, reason="Cancelled", idempotency_key="cn")
    error = refused(Conflict, "invoice_void", lambda: pay(void, aud("1"), "void"))
    assert error.message == "MANILA-2026-0002 was credited in full: nothing is owed on it."
    refused(ValidationFailed, "not_an_invoice", lambda: pay(note, aud("1"), "note"))


@pytest.mark.parametrize(
    ("kwargs", "error", "code", "field"),
    [
        ({"amount": Money("0", "AUD")}, ValidationFailed, "invalid_amount", "amount"),
        ({"amount": Money("-5", "AUD")}, ValidationFailed, "invalid_amount", "amount"),
        # known to Money (old amounts stay readable), but no one pays in them now
        ({"amount": Money("5", "DEM"), "fx_rate": "1"}, ValidationFailed, "invalid_currency", "amount"),
        ({"amount": Money("5", "XXX"), "fx_rate": "1"}, ValidationFailed, "invalid_currency", "amount"),
        ({"amount": Money("5", "XAU"), "fx_rate": "1"}, ValidationFailed, "invalid_currency", "amount"),
        ({"received_on": TODAY + dt.timedelta(days=1)}, ValidationFailed, "date_in_future", "received_on"),
        # within the books' year ahead, but still not arrived: said as such
        ({"received_on": TODAY + dt.timedelta(days=300)}, ValidationFailed, "date_in_future", "received_on"),
        ({"received_on": dt.date(2099, 1, 1)}, ValidationFailed, "date_in_future", "received_on"),
        ({"received_on": dt.date(1, 1, 1)}, ValidationFailed, "invalid_date", "received_on"),
        ({"received_on": TODAY - dt.timedelta(days=1)}, ValidationFailed, "date_before_issue", "received_on"),
        ({"method": "barter"}, ValidationFailed, "invalid_method", "method"),
        ({"excess": "keep"}, ValidationFailed, "invalid_excess", "excess"),
        ({"reference": "x" * 121}, ValidationFailed, "too_long", "reference"),
        ({"reference": "a\x00b"}, ValidationFailed, "invalid_characters", "reference"),
        ({"fx_rate": "1.5"}, ValidationFailed, "rate_not_needed", "fx_rate"),
        ({"amount": Money("5", "USD"), "fx_rate": "0"}, ValidationFailed, "invalid_rate", "fx_rate"),
        ({"amount": Money("5", "USD"), "fx_rate": "-1.5"}, ValidationFailed, "invalid_rate", "fx_rate"),
        ({"amount": Money("5", "USD"), "fx_rate": "abc"}, ValidationFailed, "invalid_rate", "fx_rate"),
        ({"amount": Money("5", "USD"), "fx_rate": "1e30"}, ValidationFailed, "invalid_rate", "fx_rate"),
        ({"amount": Money("5", "USD"), "fx_rate": Decimal("NaN")}, ValidationFailed, "invalid_rate", "fx_rate"),
        ({"amount": Money("0.01", "USD"), "fx_rate": "0.1"}, ValidationFailed, "invalid_amount", "amount"),
        ({"amount": Money("1000000000000", "USD"), "fx_rate": "9999"}, ValidationFailed, "amount_too_large", "amount"),
        ({"amount": Money("10000000000000", "AUD")}, ValidationFailed, "overpayment", "amount"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_with_its_code_and_changes_nothing(
    invoice: Invoice, kwargs: dict[str, Any], error: type[DomainError], code: str, field: str
) -> None:
    kwargs.setdefault("amount", aud("5"))
    refusal = refused(error, code, lambda: pay(invoice, **kwargs))
    assert refusal.field == field


def test_a_currency_code_no_one_has_never_becomes_a_payment() -> None:
    # refused where the amount is read (the API and the forms build Money first)
    with pytest.raises(ValidationFailed) as raised:
        Money("5", "ABC")
    assert raised.value.code == "invalid_currency"


@pytest.mark.parametrize("key", ["", "   ", "x" * 151, "a\x00b"])
def test_a_payment_needs_a_usable_idempotency_key(invoice: Invoice, key: str) -> None:
    refusal = refused(ValidationFailed, refusal_code(key), lambda: pay(invoice, aud("5"), key))
    assert refusal.field == "idempotency_key"


def refusal_code(key: str) -> str:
    if not key.strip():
        return "required"
    return "invalid_characters" if "\x00" in key else "too_long"


def test_a_float_is_never_a_rate(invoice: Invoice) -> None:
    with pytest.raises(TypeError):
        pay(invoice, Money("5", "USD"), fx_rate=1.5)
    with pytest.raises(TypeError):
        pay(invoice, 5)  # type: ignore[arg-type]


# --- Idempotency ----------------------------------------------------------------------------


def test_a_retry_returns_the_first_payment_and_posts_nothing_new(invoice: Invoice) -> None:
    first = pay(invoice, Money("100", "USD"), "once", fx_rate="1.5", reference="R1")
    before = billing_state()

    again = pay(invoice, Money("100", "USD"), "once", fx_rate="1.5", reference="R1")

    assert again.pk == first.pk
    assert billing_state() == before
    assert Transaction.objects.filter(kind="payment").count() == 1


@pytest.mark.parametrize(
    "changes",
    [
        {"amount": Money("101", "USD")},
        {"amount": Money("100", "AUD"), "fx_rate": None},
        {"reference": "R2"},
        {"fx_rate": "1.6"},
        {"method": "card"},
    ],
)
def test_a_reused_key_with_another_request_is_refused(
    invoice: Invoice, changes: dict[str, Any]
) -> None:
    pay(invoice, Money("100", "USD"), "once", fx_rate="1.5", reference="R1")
    request: dict[str, Any] = {"amount": Money("100", "USD"), "fx_rate": "1.5", "reference": "R1"}
    request.update(changes)

    error = refused(Conflict, "idempotency_key_reused", lambda: pay(invoice, key="once", **request))
    assert error.field == "idempotency_key"


def test_a_key_used_for_one_invoice_is_refused_for_another(
    billed: Billed, invoice: Invoice
) -> None:
    pay(invoice, aud("10"), "shared")
    work = billed.work
    other = invoice_issue(
        invoice=invoice_draft_create(
            collective=work.cast.collective_a,
            actor=work.cast.ana,
            client=work.harbour,
            items=[FixedItem("Other", 1, aud("10"))],
        ),
        actor=work.cast.ana,
    )
    refused(Conflict, "idempotency_key_reused", lambda: pay(other, aud("10"), "shared"))


# --- The share basis ------------------------------------------------------------------------


def test_the_members_part_follows_pay_rates_when_the_bylaws_say_so(
    billed: Billed, keys: dict[str, str]
) -> None:
    # given Ben is paid 12.00 an hour for bookkeeping billed at 30.00 (Ana 20.00 of 25.00)
    work = billed.work
    work.ben_seat.pay_rate_minor = 1200
    work.ben_seat.save(update_fields=["pay_rate_minor"])
    bill = billing_issued(billed)
    # and bylaws in force from today share the members' part by pay
    bylaws_adopt(
        collective=work.cast.collective_a,
        actor=work.cast.ana,
        effective_from=TODAY,
        treasury_percent="10",
        admission_rule=Bylaws.AdmissionRule.COORDINATOR,
        member_share_basis="pay",
    )
    for member in (work.cast.ana, work.cast.ben):
        approved_time(work.engagement, member, minutes=600 if member == work.cast.ana else 200,
                      day=TODAY, approver=work.dana)  # fmt: skip
    by_pay = billing_issued(billed)
    assert (bill.member_share_basis, by_pay.member_share_basis) == ("bill", "pay")

    # when both are paid in full
    pay(bill, aud("385"), "bill")
    pay(by_pay, aud("385"), "pay")

    # then by bill Ana and Ben share the members' 315.00 as 250 : 100; by pay as
    # 600 min x 20.00 : 200 min x 12.00 = 200.00 : 40.00
    assert {t.key: t.amount.minor_units for t in invoice_targets(bill)} == {
        "tax": 3500, "treasury": 3500, keys["ana"]: 22500, keys["ben"]: 9000,
    }  # fmt: skip
    assert {t.key: t.amount.minor_units for t in invoice_targets(by_pay)} == {
        "tax": 3500, "treasury": 3500, keys["ana"]: 26250, keys["ben"]: 5250,
    }  # fmt: skip
    assert shares_so_far(by_pay)[keys["ben"]] == 5250
    assert "ledger ok" in ledger_checked()


def test_a_split_rule_with_a_fund_credits_the_funds_account(billed: Billed) -> None:
    # given bylaws that give a sick-pay fund 3 %, adopted before the funds app
    # registers its account (written directly: the service knows only the treasury)
    work = billed.work
    cast = work.cast
    _bylaws_insert(
        collective=cast.collective_a,
        version=2,
        effective_from=TODAY,
        admission_rule="coordinator",
        shares={"treasury": Decimal("10"), "sick_pay": Decimal("3")},
        notes="",
        created_by=cast.ana,
    )
    approved_time(work.engagement, cast.ana, minutes=60, day=TODAY, approver=work.dana)
    levied = billing_issued(billed, tax_rate=None)
    assert levied.split_rule == {"sick_pay": "3.00", "treasury": "10.00"}

    payment = pay(levied, aud("25"), "levy")

    # then 3 % of 25.00 (0.75) goes to a plain fund account, never lost
    share = payment.shares.get(key="sick_pay")
    assert (share.recipient, share.amount_minor) == ("fund", 75)
    assert share.account is not None
    assert share.account.name == "Liabilities:Collectives:ManilaVa:Funds:SickPay:AUD"
    assert PaymentShare.objects.filter(recipient="fund").count() == 1
    assert "ledger ok" in ledger_checked()


# --- Permissions ----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["ben", "carla", "olga"])
def test_only_a_coordinator_records_payments(billed: Billed, invoice: Invoice, who: str) -> None:
    actor = getattr(billed.work.cast, who)
    error = refused(
        PermissionDenied, "not_coordinator", lambda: pay(invoice, aud("10"), actor=actor)
    )
    assert error.message == "Only a coordinator of this collective can do that."


def test_the_contact_of_the_client_cannot_record_a_payment(
    billed: Billed, invoice: Invoice
) -> None:
    refused(
        PermissionDenied, "not_coordinator", lambda: pay(invoice, aud("10"), actor=billed.work.dana)
    )


def test_the_helper_pays_as_the_coordinator(invoice: Invoice) -> None:
    payment = billing_pay(invoice, "10 AUD", "helper")
    assert payment.recorded_by == invoice.created_by
