"""An issued invoice on the web: its payments (the "Record a payment" form,
in the invoice's currency or another, retried or refused), its credit notes,
and where each payment went, as members read it; what a client's contact
reads of the same page.

The cast and fixtures are test_views_invoices.py's: the issued invoice is
MANILA-2026-0001 to Harbour, 350.00 AUD of work (Ana 250.00, Ben 100.00)
plus 10 % GST, 385.00 AUD, under the default bylaws (10 % to the treasury,
members by what their work bills); time is frozen on 8 December 2026.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from mutualist.billing.models import Invoice, Payment
from mutualist.billing.services import payment_record
from mutualist.billing.tests.test_views_invoices import (
    KEY,
    NOW,
    A,
    key_in,
    make_issued,
    messages_of,
    state,
    text_of,
    url,
)
from mutualist.core.money import Money
from mutualist.ledger.models import Account
from mutualist.ledger.services import account_name_for, account_open
from mutualist.testing import Billed


@pytest.fixture
def frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def issued(billed: Billed, frozen: None) -> Invoice:
    return make_issued(billed)


def pay_data(key: str, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "amount": "100.00",
        "currency": "AUD",
        "received_on": "2026-12-08",
        "method": "bank_transfer",
        "reference": "HBL-77",
        "deposit_account": "",
        "fx_rate": "",
        "idempotency_key": key,
    }
    data.update(overrides)
    return data


def payment_form_key(client: Any, invoice: Invoice) -> str:
    return key_in(client.get(url("invoice", pk=invoice.pk)))


def pay(invoice: Invoice, amount: Money, key: str = "test") -> Payment:
    return payment_record(
        invoice=invoice,
        actor=invoice.created_by,
        amount=amount,
        received_on=dt.date(2026, 12, 8),
        method="bank_transfer",
        idempotency_key=key,
    )


# --- Who gets which forms ----------------------------------------------------------------------


def test_a_coordinator_gets_the_payment_and_credit_note_forms_with_a_fresh_key(
    issued: Invoice, client_for: Any
) -> None:
    ana = client_for(issued.created_by)

    first = ana.get(url("invoice", pk=issued.pk))
    second = ana.get(url("invoice", pk=issued.pk))

    page = text_of(first)
    assert url("invoice_payment_record", pk=issued.pk) in page
    assert url("invoice_credit_note", pk=issued.pk) in page
    assert first.context["payment_form"]["currency"].value() == "AUD"
    assert first.context["payment_form"]["received_on"].value() == dt.date(2026, 12, 8)
    # a key minted for each rendering: two tabs are two payments
    assert key_in(first) != key_in(second)


def test_ben_reads_the_invoice_without_the_forms_and_may_not_post_them(
    billed: Billed, issued: Invoice, client_for: Any
) -> None:
    ben = client_for(billed.work.cast.ben)
    before = state()

    page = text_of(ben.get(url("invoice", pk=issued.pk)))
    paid = ben.post(url("invoice_payment_record", pk=issued.pk), pay_data("a" * 32))
    garbled = ben.post(url("invoice_payment_record", pk=issued.pk), pay_data("a", amount="x"))
    credited = ben.post(
        url("invoice_credit_note", pk=issued.pk),
        {"amount": "", "reason": "Mistake", "idempotency_key": "b" * 32},
    )

    assert "Invoice MANILA-2026-0001" in page
    assert url("invoice_payment_record", pk=issued.pk) not in page
    assert url("invoice_credit_note", pk=issued.pk) not in page
    assert paid.status_code == garbled.status_code == credited.status_code == 403
    assert state() == before


def test_the_clients_contact_reads_the_invoice_without_the_split_or_the_forms(
    billed: Billed, issued: Invoice, client_for: Any
) -> None:
    # given: a payment shared out, and the collective's payment instructions
    pay(issued, Money("100", "AUD"))
    dana = client_for(billed.work.dana)
    before = state()

    response = dana.get(url("invoice", pk=issued.pk))
    posted = dana.post(url("invoice_payment_record", pk=issued.pk), pay_data("c" * 32))
    garbled = dana.post(url("invoice_credit_note", pk=issued.pk), {"amount": "x"})

    page = text_of(response)
    assert response.status_code == 200
    assert "Invoice MANILA-2026-0001" in page and "A$385.00" in page
    assert url("invoice_pdf", pk=issued.pk) in page
    assert "Client portal" in page and url("invoices", slug=A) not in page
    # the payment, but not where it went
    assert "A$100.00" in page and "Amount due" in page and "A$285.00" in page
    assert "Where the money went" not in page and "share of the work" not in page
    assert url("invoice_payment_record", pk=issued.pk) not in page
    assert posted.status_code == garbled.status_code == 403
    assert state() == before


# --- Recording a payment -----------------------------------------------------------------------


def test_a_coordinator_records_a_payment_in_the_invoices_currency(
    issued: Invoice, client_for: Any
) -> None:
    ana = client_for(issued.created_by)

    response = ana.post(
        url("invoice_payment_record", pk=issued.pk), pay_data(payment_form_key(ana, issued))
    )

    payment = Payment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("invoice", pk=issued.pk) + "#payments"
    assert messages_of(response) == ["Recorded A$100.00 received on 08 December 2026."]
    assert (payment.amount_minor, payment.currency, payment.applied_minor) == (10000, "AUD", 10000)
    assert payment.reference == "HBL-77" and payment.fx_rate is None
    issued.refresh_from_db()
    assert issued.paid_minor == 10000 and issued.outstanding_minor == 28500


def test_a_payment_in_usd_for_an_aud_invoice_at_a_given_rate(
    issued: Invoice, client_for: Any
) -> None:
    ana = client_for(issued.created_by)

    response = ana.post(
        url("invoice_payment_record", pk=issued.pk),
        pay_data(payment_form_key(ana, issued), amount="100", currency="USD", fx_rate="1.5"),
    )

    payment = Payment.objects.get()
    assert response.status_code == 302
    assert messages_of(response) == [
        "Recorded $100.00 received on 08 December 2026 (worth A$150.00)."
    ]
    assert (payment.amount_minor, payment.currency, payment.applied_minor) == (10000, "USD", 15000)
    assert payment.fx_rate == Decimal("1.5")
    assert payment.deposit_account is not None
    assert payment.deposit_account.name == "Assets:Collectives:ManilaVa:Bank:USD"
    page = text_of(ana.get(url("invoice", pk=issued.pk)))
    assert "$100.00" in page and ">1 USD = 1.5 AUD<" in page and "A$150.00" in page


def test_a_rate_on_the_invoice_page_says_its_direction_in_six_digits(
    issued: Invoice, client_for: Any
) -> None:
    # given a peso payment at a rate stored with twelve decimal places
    ana = client_for(issued.created_by)
    ana.post(
        url("invoice_payment_record", pk=issued.pk),
        pay_data(
            payment_form_key(ana, issued), amount="100", currency="PHP", fx_rate="0.025943409014"
        ),
    )
    # when the invoice is read, then the rate is said the way people say it
    page = text_of(ana.get(url("invoice", pk=issued.pk)))
    assert "1 PHP = 0.0259434 AUD" in page
    assert "0.025943409014" not in page


def test_the_two_forms_side_by_side_have_ids_of_their_own(issued: Invoice, client_for: Any) -> None:
    # given the payment and credit-note forms, both with an amount field
    page = text_of(client_for(issued.created_by).get(url("invoice", pk=issued.pk)))
    # then each label points at its own form's box
    assert page.count('id="id_amount"') == 1
    assert page.count('id="id_credit_amount"') == 1
    assert 'for="id_credit_amount"' in page and 'for="id_credit_reason"' in page


def test_a_double_submit_with_the_same_key_records_one_payment(
    issued: Invoice, client_for: Any
) -> None:
    ana = client_for(issued.created_by)
    data = pay_data(payment_form_key(ana, issued), amount="50", currency="USD", fx_rate="1.5")

    first = ana.post(url("invoice_payment_record", pk=issued.pk), data)
    after_first = state()
    second = ana.post(url("invoice_payment_record", pk=issued.pk), data)

    assert first.status_code == second.status_code == 302
    assert Payment.objects.count() == 1
    assert state() == after_first
    issued.refresh_from_db()
    assert issued.paid_minor == 7500


def test_the_same_form_used_for_another_payment_is_refused_with_a_fresh_key(
    issued: Invoice, client_for: Any
) -> None:
    ana = client_for(issued.created_by)
    key = payment_form_key(ana, issued)
    ana.post(url("invoice_payment_record", pk=issued.pk), pay_data(key))
    before = state()

    response = ana.post(url("invoice_payment_record", pk=issued.pk), pay_data(key, amount="20"))

    assert response.status_code == 422
    assert "This form was already used for a different payment." in text_of(response)
    assert key_in(response) != key
    assert state() == before


def test_an_overpayment_is_refused_unless_the_excess_is_kept_as_credit(
    issued: Invoice, client_for: Any
) -> None:
    ana = client_for(issued.created_by)
    before = state()

    refused = ana.post(
        url("invoice_payment_record", pk=issued.pk),
        pay_data(payment_form_key(ana, issued), amount="400"),
    )
    after_refusal = state()
    kept = ana.post(
        url("invoice_payment_record", pk=issued.pk),
        pay_data(payment_form_key(ana, issued), amount="400", keep_excess="on"),
    )

    assert refused.status_code == 422
    assert (
        "is more than the 385.00 AUD unpaid on MANILA-2026-0001"
        in (refused.context["payment_form"].errors["amount"][0])
    )
    assert after_refusal == before
    assert kept.status_code == 302
    assert messages_of(kept) == [
        "Recorded A$400.00 received on 08 December 2026; A$15.00 kept as credit."
    ]
    issued.refresh_from_db()
    assert issued.status == Invoice.Status.PAID
    page = text_of(ana.get(url("invoice", pk=issued.pk)))
    assert "+ A$15.00 kept as credit" in page
    # paid in full: no payment form any more
    assert url("invoice_payment_record", pk=issued.pk) not in page


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"amount": "0"}, "amount", "A payment is above zero."),
        ({"amount": "-5"}, "amount", "A payment is above zero."),
        ({"amount": "1.234"}, "amount", "AUD amounts have at most 2 decimal places"),
        ({"amount": ""}, "amount", "This field is required."),
        ({"currency": "XYZ"}, "currency", "Select a valid choice"),
        ({"received_on": "2026-12-09"}, "received_on", "not ahead of time"),
        ({"method": "barter"}, "method", "Select a valid choice"),
        ({"currency": "USD", "fx_rate": "-1"}, "fx_rate", ""),
        ({"currency": "USD", "fx_rate": "abc"}, "fx_rate", ""),
        ({"reference": "x" * 121}, "reference", "at most 120 characters"),
        ({"idempotency_key": "short"}, None, "The form was damaged; load the page again."),
    ],
)
def test_a_refused_payment_shows_the_error_on_its_field_and_changes_nothing(
    issued: Invoice,
    client_for: Any,
    overrides: dict[str, str],
    field: str | None,
    message: str,
) -> None:
    ana = client_for(issued.created_by)
    data = pay_data(payment_form_key(ana, issued), **overrides)
    before = state()

    response = ana.post(url("invoice_payment_record", pk=issued.pk), data)

    assert response.status_code == 422
    form = response.context["payment_form"]
    errors = form.errors.get(field or "idempotency_key", [])
    assert errors and message in errors[0], form.errors
    assert state() == before


def test_a_deposit_account_in_another_currency_is_refused(
    billed: Billed, issued: Invoice, client_for: Any
) -> None:
    collective = billed.work.cast.collective_a
    wise = account_open(
        collective=collective,
        name=account_name_for(collective, Account.Type.ASSETS, "Wise", "USD"),
        type=Account.Type.ASSETS,
        currency="USD",
    )
    ana = client_for(issued.created_by)
    before = state()

    response = ana.post(
        url("invoice_payment_record", pk=issued.pk),
        pay_data(payment_form_key(ana, issued), deposit_account=wise.pk),
    )

    assert response.status_code == 422
    assert response.context["payment_form"].errors["deposit_account"] == [
        f"{wise.name} holds USD; this payment is in AUD."
    ]
    assert state() == before


def test_a_payment_lands_in_the_account_chosen(
    billed: Billed, issued: Invoice, client_for: Any
) -> None:
    collective = billed.work.cast.collective_a
    wise = account_open(
        collective=collective,
        name=account_name_for(collective, Account.Type.ASSETS, "Wise", "USD"),
        type=Account.Type.ASSETS,
        currency="USD",
    )
    ana = client_for(issued.created_by)
    page = text_of(ana.get(url("invoice", pk=issued.pk)))

    response = ana.post(
        url("invoice_payment_record", pk=issued.pk),
        pay_data(
            payment_form_key(ana, issued),
            deposit_account=wise.pk,
            currency="USD",
            amount="10",
            fx_rate="1.5",
        ),
    )

    assert "Wise:USD" in page
    assert response.status_code == 302
    assert Payment.objects.get().deposit_account == wise


def test_a_foreign_payment_without_a_rate_on_record_asks_for_one(
    issued: Invoice, client_for: Any
) -> None:
    ana = client_for(issued.created_by)
    before = state()

    response = ana.post(
        url("invoice_payment_record", pk=issued.pk),
        pay_data(payment_form_key(ana, issued), currency="EUR", amount="10"),
    )

    assert response.status_code == 422
    assert response.context["payment_form"].errors == {
        "fx_rate": [
            "No EUR/AUD rate from the 7 days up to 2026-12-08; import the ECB rates or enter one."
        ]
    }
    assert state() == before


def test_a_paid_invoice_takes_no_more_payments(issued: Invoice, client_for: Any) -> None:
    pay(issued, Money("385", "AUD"), key="all")
    ana = client_for(issued.created_by)
    before = state()

    response = ana.post(url("invoice_payment_record", pk=issued.pk), pay_data("d" * 32))

    assert response.status_code == 302
    assert messages_of(response) == ["MANILA-2026-0001 is paid in full already."]
    assert state() == before


# --- Credit notes ------------------------------------------------------------------------------


def test_a_coordinator_credits_part_of_an_invoice(issued: Invoice, client_for: Any) -> None:
    ana = client_for(issued.created_by)
    # the page's second key is the credit-note form's
    key = KEY.findall(text_of(ana.get(url("invoice", pk=issued.pk))))[1]
    data = {"amount": "55", "reason": "Two hours billed twice", "idempotency_key": key}

    response = ana.post(url("invoice_credit_note", pk=issued.pk), data)
    again = ana.post(url("invoice_credit_note", pk=issued.pk), data)

    note = Invoice.objects.get(kind=Invoice.Kind.CREDIT_NOTE)
    assert response.status_code == again.status_code == 302
    assert messages_of(response) == ["Issued credit note MANILA-CN-2026-0001 for A$55.00."]
    assert Invoice.objects.filter(kind=Invoice.Kind.CREDIT_NOTE).count() == 1
    assert note.credits == issued and note.total_minor == 5500
    page = text_of(ana.get(url("invoice", pk=issued.pk)))
    assert "MANILA-CN-2026-0001" in page and "-A$55.00" in page
    assert "Credited" in page and "A$330.00" in page
    note_page = text_of(ana.get(url("invoice", pk=note.pk)))
    assert "Credit note MANILA-CN-2026-0001" in note_page and "MANILA-2026-0001" in note_page


def test_a_credit_note_for_everything_unpaid_voids_the_invoice(
    issued: Invoice, client_for: Any
) -> None:
    ana = client_for(issued.created_by)

    response = ana.post(
        url("invoice_credit_note", pk=issued.pk),
        {"amount": "", "reason": "Cancelled", "idempotency_key": "e" * 32},
    )

    issued.refresh_from_db()
    assert response.status_code == 302
    assert issued.status == Invoice.Status.VOID and issued.credited_minor == 38500


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"amount": "400", "reason": "Too much"}, "amount", "Only 385.00 AUD is unpaid"),
        ({"amount": "0", "reason": "Nothing"}, "amount", "Credit an amount above zero."),
        ({"amount": "1.001", "reason": "Fraction"}, "amount", "at most 2 decimal places"),
        ({"amount": "5", "reason": ""}, "reason", "This field is required."),
    ],
)
def test_a_refused_credit_note_shows_the_error_on_its_field_and_changes_nothing(
    issued: Invoice, client_for: Any, data: dict[str, str], field: str, message: str
) -> None:
    ana = client_for(issued.created_by)
    before = state()

    response = ana.post(
        url("invoice_credit_note", pk=issued.pk), {**data, "idempotency_key": "f" * 32}
    )

    assert response.status_code == 422
    errors = response.context["credit_form"].errors[field]
    assert message in errors[0], errors
    assert state() == before


# --- Where the money went ----------------------------------------------------------------------


def test_members_see_where_each_payment_went_in_plain_words(
    billed: Billed, issued: Invoice, client_for: Any
) -> None:
    # given: a first payment of 100.00 AUD (the worked example of the docs)
    pay(issued, Money("100", "AUD"))

    # when: Ben, then Ana, read the invoice
    bens = text_of(client_for(billed.work.cast.ben).get(url("invoice", pk=issued.pk)))
    anas = text_of(client_for(billed.work.cast.ana).get(url("invoice", pk=issued.pk)))

    # then: each share, in plain words
    assert "Where the money went" in bens
    assert 'Ana Reyes: <span class="amount">A$58.44</span>' in bens
    assert "(their share of the work)" in bens
    assert 'Ben Okafor (you): <span class="amount">A$23.38</span>' in bens
    assert "(your share of the work)" in bens
    assert 'Treasury: <span class="amount">A$9.09</span>' in bens
    assert "(10% of the net)" in bens
    assert 'GST: <span class="amount">A$9.09</span>' in bens
    assert "(held for the tax office)" in bens
    assert 'Ana Reyes (you): <span class="amount">A$58.44</span>' in anas


def test_a_funds_levy_is_named_by_its_label(billed: Billed, frozen: None, client_for: Any) -> None:
    # given: bylaws in force with a sick-pay fund's 2.5 % levy
    from mutualist.billing.tests.test_views_invoices import make_issued
    from mutualist.collectives.models import SplitShare
    from mutualist.collectives.services.bylaws import bylaws_adopt

    cast = billed.work.cast
    bylaws = bylaws_adopt(
        collective=cast.collective_a, actor=cast.ana, effective_from=dt.date(2026, 12, 8),
        treasury_percent="10", admission_rule="coordinator", member_share_basis="bill",
    )  # fmt: skip
    SplitShare.objects.create(bylaws=bylaws, recipient="sick_pay", percent="2.50")
    invoice = make_issued(billed, tax_rate="0")
    pay(invoice, Money("350", "AUD"), key="all")

    page = text_of(client_for(cast.ben).get(url("invoice", pk=invoice.pk)))

    assert 'Sick pay fund: <span class="amount">A$8.75</span>' in page
    assert "(2.5% of the net)" in page
