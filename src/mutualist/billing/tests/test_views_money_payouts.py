"""Payout settings, the payouts page, and a coordinator recording a payout.

The ``paid`` fixture (``money_helpers.build_paid``): Harbour's invoice is settled;
collective A owes Ana 225.00 AUD and Ben 90.00 AUD. The payments landed in
A's default accounts: Bank:AUD holds 100.00 AUD, Bank:USD 300.00 USD. The
clock stands at 8 December 2026.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest

from mutualist.billing.models import Payout, PayoutSetting
from mutualist.billing.services import payout_setting_set
from mutualist.billing.tests.money_helpers import (
    NOW,
    TODAY,
    A,
    Paid,
    assert_login_redirect,
    build_paid,
    messages_of,
    owed,
    plain,
    state,
    text_of,
    url,
)
from mutualist.core.money import Money
from mutualist.ledger.models import Account
from mutualist.ledger.services import account_name_for, account_open, exchange_rate_set
from mutualist.testing import Billed

BANK_AUD = "Assets:Collectives:ManilaVa:Bank:AUD"
BANK_USD = "Assets:Collectives:ManilaVa:Bank:USD"
KEY = re.compile(r'name="idempotency_key" value="([0-9a-f]{32})"')


@pytest.fixture
def frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def paid(billed: Billed, frozen: None) -> Paid:
    return build_paid(billed)


def key_in(response: Any) -> str:
    found = KEY.search(text_of(response))
    assert found is not None
    return found.group(1)


def account(name: str) -> Account:
    return Account.objects.get(name=name)


def balance(name: str) -> int:
    return account(name).balance_minor


# --- Payout settings ---------------------------------------------------------------------------


def test_a_member_is_offered_the_collectives_currency_until_they_choose(
    paid: Paid, client_for: Any
) -> None:
    response = client_for(paid.cast.ben).get(url("payout_settings", slug=A))

    assert response.status_code == 200
    assert response.context["form"]["currency"].value() == "PHP"
    assert '<option value="NGN">NGN — Nigerian Naira</option>' in text_of(response)


def test_a_member_chooses_their_payout_currency_and_where_to_send_it(
    paid: Paid, client_for: Any
) -> None:
    ben = client_for(paid.cast.ben)

    response = ben.post(
        url("payout_settings", slug=A),
        {"currency": "NGN", "details": "GTBank, Ben Okafor, 0123456789"},
    )

    assert response.status_code == 302
    assert response["Location"] == url("payouts", slug=A)
    setting = PayoutSetting.objects.get(collective=paid.cast.collective_a, member=paid.cast.ben)
    assert (setting.currency, setting.details) == ("NGN", "GTBank, Ben Okafor, 0123456789")
    assert messages_of(response) == ["Saved: Manila Virtual Assistants pays you in NGN."]
    again = ben.get(url("payout_settings", slug=A))
    assert again.context["form"]["currency"].value() == "NGN"
    assert again.context["form"]["details"].value() == "GTBank, Ben Okafor, 0123456789"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"currency": "XYZ", "details": ""}, "currency", "Select a valid choice."),
        ({"currency": "", "details": ""}, "currency", "This field is required."),
        ({"currency": "NGN", "details": "x" * 2001}, "details", "at most 2000 characters"),
        ({"currency": "NGN", "details": "bank\x00"}, "details", "Null characters are not allowed."),
    ],
)
def test_a_bad_payout_setting_is_refused_on_its_field_and_changes_nothing(
    paid: Paid, client_for: Any, data: dict[str, str], field: str, message: str
) -> None:
    before = state()

    response = client_for(paid.cast.ben).post(url("payout_settings", slug=A), data)

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert state() == before


@pytest.mark.parametrize("who", ["carla", "olga"])
def test_outsiders_find_no_payout_settings(paid: Paid, client_for: Any, who: str) -> None:
    user = getattr(paid.cast, who)
    before = state()

    assert client_for(user).get(url("payout_settings", slug=A)).status_code == 404
    response = client_for(user).post(url("payout_settings", slug=A), {"currency": "EUR"})

    assert response.status_code == 404
    assert state() == before


def test_anonymous_visitors_are_sent_to_log_in_for_payout_settings(paid: Paid, client: Any) -> None:
    assert_login_redirect(client.get(url("payout_settings", slug=A)))
    assert_login_redirect(client.post(url("payout_settings", slug=A), {"currency": "EUR"}))
    assert not PayoutSetting.objects.exists()


# --- The payouts page --------------------------------------------------------------------------


def test_a_coordinator_sees_what_every_member_is_owed_and_how_they_want_it(
    paid: Paid, client_for: Any
) -> None:
    cast = paid.cast
    payout_setting_set(
        collective=cast.collective_a, member=cast.ben, actor=cast.ben, currency="NGN",
        details="GTBank 0123456789",
    )  # fmt: skip

    response = client_for(cast.ana).get(url("payouts", slug=A))

    assert response.status_code == 200
    page = plain(response)
    assert "Owed to members" in page
    assert "Ana Reyes A$225.00 Not chosen Not given Pay out" in page
    assert "Ben Okafor A$90.00 NGN GTBank 0123456789 Pay out" in page
    link = f"{url('payout_new', slug=A)}?member={cast.ben.pk}&amp;currency=AUD"
    assert link in text_of(response)
    assert "No payouts yet." in page


def test_a_member_sees_only_what_they_are_owed_and_their_own_payouts(
    paid: Paid, client_for: Any
) -> None:
    cast = paid.cast
    ana = client_for(cast.ana)
    for member, amount in ((cast.ana, "25"), (cast.ben, "10")):
        ana.post(
            url("payout_new", slug=A),
            payout_data(
                key_in(ana.get(url("payout_new", slug=A))), member=member.pk, amount=amount
            ),
        )

    response = client_for(cast.ben).get(url("payouts", slug=A))

    page = plain(response)
    assert "Owed to you" in page
    assert "A$80.00" in page
    assert "A$200.00" not in page and "A$25.00" not in page
    assert [payout.member for payout, *_ in response.context["payouts"]] == [cast.ben]
    assert url("payout_new", slug=A) not in text_of(response)
    assert "Choose how you are paid" in page


@pytest.mark.parametrize("who", ["carla", "olga"])
def test_outsiders_find_no_payouts_page(paid: Paid, client_for: Any, who: str) -> None:
    assert client_for(getattr(paid.cast, who)).get(url("payouts", slug=A)).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in_for_payouts(paid: Paid, client: Any) -> None:
    assert_login_redirect(client.get(url("payouts", slug=A)))


# --- Recording a payout ------------------------------------------------------------------------


def payout_data(key: str, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "member": "",
        "currency": "AUD",
        "amount": "50.00",
        "source_account": account(BANK_AUD).pk,
        "sent_amount": "",
        "fx_rate": "",
        "fx_rate_source": "",
        "paid_on": TODAY.isoformat(),
        "reference": "WISE-77",
        "idempotency_key": key,
    }
    data.update(overrides)
    return data


def test_the_pay_out_link_fills_in_the_member_and_all_they_are_owed(
    paid: Paid, client_for: Any
) -> None:
    cast = paid.cast

    response = client_for(cast.ana).get(
        url("payout_new", slug=A), {"member": cast.ben.pk, "currency": "AUD"}
    )

    form = response.context["form"]
    assert (form["member"].value(), form["currency"].value(), form["amount"].value()) == (
        cast.ben.pk,
        "AUD",
        "90.00",
    )
    assert [choice for choice, _ in form.fields["currency"].choices] == ["AUD"]
    assert list(form.fields["member"].queryset) == [cast.ana, cast.ben]
    assert list(form.fields["source_account"].queryset) == [account(BANK_AUD), account(BANK_USD)]


@pytest.mark.parametrize("member", ["x", "99999999999999999999999", "0"])
def test_a_pay_out_link_to_no_one_leaves_the_form_empty(
    paid: Paid, client_for: Any, member: str
) -> None:
    response = client_for(paid.cast.ana).get(
        url("payout_new", slug=A), {"member": member, "currency": "AUD"}
    )

    assert response.status_code == 200
    assert response.context["form"]["member"].value() is None


def test_a_coordinator_records_a_payout_from_an_account_in_the_same_currency(
    paid: Paid, client_for: Any
) -> None:
    # given Ben is owed 90.00 AUD and Bank:AUD holds 100.00
    cast = paid.cast
    ana = client_for(cast.ana)

    # when Ana records 50.00 AUD sent to him
    response = ana.post(
        url("payout_new", slug=A),
        payout_data(key_in(ana.get(url("payout_new", slug=A))), member=cast.ben.pk),
    )

    # then he is owed 40.00, the bank holds 50.00, and the payout is listed
    assert response.status_code == 302
    assert response["Location"] == url("payouts", slug=A)
    assert messages_of(response) == ["Recorded a payout of A$50.00 to Ben Okafor."]
    payout = Payout.objects.get()
    assert (payout.member, payout.amount_minor, payout.currency) == (cast.ben, 5000, "AUD")
    assert (payout.sent_minor, payout.sent_currency, payout.fx_rate) == (5000, "AUD", None)
    assert (payout.reference, payout.paid_on, payout.recorded_by) == ("WISE-77", TODAY, cast.ana)
    assert owed(cast.collective_a, cast.ben) == Money("40", "AUD")
    assert balance(BANK_AUD) == 5000
    listed = plain(ana.get(url("payouts", slug=A)))
    assert "2026-12-08 Ben Okafor A$50.00 the same" in listed
    assert "WISE-77 Ana Reyes" in listed


def test_pressing_record_twice_records_one_payout(paid: Paid, client_for: Any) -> None:
    cast = paid.cast
    ana = client_for(cast.ana)
    data = payout_data(key_in(ana.get(url("payout_new", slug=A))), member=cast.ben.pk)

    first = ana.post(url("payout_new", slug=A), data)
    second = ana.post(url("payout_new", slug=A), data)

    assert first.status_code == second.status_code == 302
    assert Payout.objects.count() == 1
    assert owed(cast.collective_a, cast.ben) == Money("40", "AUD")


def test_a_payout_beyond_what_is_owed_is_refused_on_the_amount_and_changes_nothing(
    paid: Paid, client_for: Any
) -> None:
    cast = paid.cast
    ana = client_for(cast.ana)
    before = state()

    response = ana.post(
        url("payout_new", slug=A),
        payout_data(key_in(ana.get(url("payout_new", slug=A))), member=cast.ben.pk, amount="90.01"),
    )

    assert response.status_code == 200
    assert response.context["form"].errors["amount"] == [
        "The collective owes Ben Okafor 90.00 AUD; a payout of 90.01 AUD is more than that."
    ]
    assert state() == before
    assert owed(cast.collective_a, cast.ben) == Money("90", "AUD")


def test_a_payout_of_all_that_is_owed_leaves_nothing_and_a_second_is_refused(
    paid: Paid, client_for: Any
) -> None:
    cast = paid.cast
    ana = client_for(cast.ana)
    ana.post(
        url("payout_new", slug=A),
        payout_data(key_in(ana.get(url("payout_new", slug=A))), member=cast.ben.pk, amount="90"),
    )
    before = state()

    response = ana.post(
        url("payout_new", slug=A),
        payout_data(key_in(ana.get(url("payout_new", slug=A))), member=cast.ben.pk, amount="0.01"),
    )

    assert owed(cast.collective_a, cast.ben) == Money("0", "AUD")
    assert "a payout of 0.01 AUD is more than that" in response.context["form"].errors["amount"][0]
    assert state() == before


def test_a_payout_sent_in_another_currency_records_what_was_sent_and_the_rate(
    paid: Paid, client_for: Any
) -> None:
    # given Ben is owed 90.00 AUD; Bank:USD holds 300.00
    cast = paid.cast
    ana = client_for(cast.ana)

    # when Ana records all of it, sent as 60.00 USD
    response = ana.post(
        url("payout_new", slug=A),
        payout_data(
            key_in(ana.get(url("payout_new", slug=A))), member=cast.ben.pk, amount="90",
            source_account=account(BANK_USD).pk, sent_amount="60.00",
        ),
    )  # fmt: skip

    # then the payable is settled in AUD and the USD account gives 60.00
    assert response.status_code == 302
    payout = Payout.objects.get()
    assert (payout.amount_minor, payout.currency, payout.sent_minor, payout.sent_currency) == (
        9000,
        "AUD",
        6000,
        "USD",
    )
    assert owed(cast.collective_a, cast.ben) == Money("0", "AUD")
    assert balance(BANK_USD) == 24_000
    assert "A$90.00 $60.00 1 AUD = 0.666666666667 USD" in plain(ana.get(url("payouts", slug=A)))


def test_a_payout_in_another_currency_uses_the_rate_on_record_when_none_is_given(
    paid: Paid, client_for: Any
) -> None:
    cast = paid.cast
    exchange_rate_set(
        collective=cast.collective_a, actor=cast.ana, base="AUD", quote="USD", rate="0.65",
        on=TODAY,
    )  # fmt: skip
    ana = client_for(cast.ana)

    ana.post(
        url("payout_new", slug=A),
        payout_data(
            key_in(ana.get(url("payout_new", slug=A))), member=cast.ana.pk, amount="100",
            source_account=account(BANK_USD).pk,
        ),
    )  # fmt: skip

    payout = Payout.objects.get()
    assert (payout.sent_minor, payout.sent_currency, payout.fx_rate) == (
        6500,
        "USD",
        Decimal("0.65"),
    )
    assert owed(cast.collective_a, cast.ana) == Money("125", "AUD")


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"amount": "lots"}, "amount", "'lots' is not an amount."),
        ({"amount": "0"}, "amount", "A payout is above zero."),
        ({"amount": "-5"}, "amount", "A payout is above zero."),
        ({"currency": "USD"}, "currency", "Select a valid choice."),
        ({"paid_on": "2026-12-09"}, "paid_on", "A payout is recorded once it is sent."),
        ({"fx_rate": "1.2", "sent_amount": "60"}, "fx_rate", "not both"),
        ({"fx_rate": "-1"}, "fx_rate", ""),
        ({"sent_amount": "60"}, "sent_amount", "amount sent is the amount paid out"),
        ({"source_account": "b"}, "source_account", "Select a valid choice."),
        ({"reference": "x" * 121}, "reference", "at most 120 characters"),
    ],
)
def test_bad_payouts_are_refused_on_their_field_and_change_nothing(
    paid: Paid, client_for: Any, overrides: dict[str, object], field: str, message: str
) -> None:
    cast = paid.cast
    if overrides.get("source_account") == "b":
        b = cast.collective_b
        overrides["source_account"] = account_open(
            collective=b, name=account_name_for(b, "assets", "Bank", "AUD"), type="assets",
            currency="AUD",
        ).pk  # fmt: skip
    ana = client_for(cast.ana)
    data = payout_data(key_in(ana.get(url("payout_new", slug=A))), member=cast.ben.pk)
    data.update(overrides)
    before = state()

    response = ana.post(url("payout_new", slug=A), data)

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors, errors
    assert message in " ".join(errors[field])
    assert state() == before


def test_a_form_used_for_one_payout_refuses_a_different_one_and_offers_a_fresh_key(
    paid: Paid, client_for: Any
) -> None:
    cast = paid.cast
    ana = client_for(cast.ana)
    key = key_in(ana.get(url("payout_new", slug=A)))
    ana.post(url("payout_new", slug=A), payout_data(key, member=cast.ben.pk))
    before = state()

    response = ana.post(url("payout_new", slug=A), payout_data(key, member=cast.ben.pk, amount="5"))

    assert response.status_code == 200
    assert "This form was already used for a different payout." in plain(response)
    assert key_in(response) != key
    assert state() == before


def test_a_damaged_form_key_is_refused(paid: Paid, client_for: Any) -> None:
    before = state()

    response = client_for(paid.cast.ana).post(
        url("payout_new", slug=A), payout_data("short", member=paid.cast.ben.pk)
    )

    assert "The form was damaged; load the page again." in plain(response)
    assert state() == before


def test_a_member_may_not_record_a_payout(paid: Paid, client_for: Any) -> None:
    cast = paid.cast
    ben = client_for(cast.ben)
    before = state()

    assert ben.get(url("payout_new", slug=A)).status_code == 403
    response = ben.post(
        url("payout_new", slug=A), payout_data("a" * 32, member=cast.ben.pk, amount="90")
    )

    assert response.status_code == 403
    assert state() == before


@pytest.mark.parametrize("who", ["carla", "olga"])
def test_outsiders_find_no_payout_form(paid: Paid, client_for: Any, who: str) -> None:
    user = getattr(paid.cast, who)
    before = state()

    assert client_for(user).get(url("payout_new", slug=A)).status_code == 404
    response = client_for(user).post(
        url("payout_new", slug=A), payout_data("a" * 32, member=paid.cast.ben.pk)
    )

    assert response.status_code == 404
    assert state() == before


def test_anonymous_visitors_are_sent_to_log_in_for_the_payout_form(paid: Paid, client: Any) -> None:
    before = state()

    assert_login_redirect(client.get(url("payout_new", slug=A)))
    assert_login_redirect(client.post(url("payout_new", slug=A), payout_data("a" * 32)))
    assert state() == before
