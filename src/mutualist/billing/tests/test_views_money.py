"""A member's earnings, where each unit of a payment went, and the "Owed to
you" panel on the dashboard.

The cast (``mutualist.testing``): Ana coordinates collective A (manila-va),
Ben is a member of A, Carla is in B (remote-crew) only, Olga in no
collective, Dana the contact of A's client Harbour (AUD). The ``paid``
fixture issues A's invoice for the ``billed`` time (Ana 250.00, Ben 100.00,
tax 10%: 385.00 AUD, MANILA-2026-0001) and records two payments on it:
100.00 AUD, then 300.00 USD at 1.5, which settles it and keeps 165.00 AUD as
Harbour's credit. The split rule in force gives the treasury 10% of the net
and the members the rest in proportion to what their hours billed: Ana is
owed 225.00 AUD in all, Ben 90.00.

The clock stands at 8 December 2026, after the billed week.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.urls import reverse

from mutualist.billing.models import Invoice, PaymentShare
from mutualist.billing.tests.money_helpers import (
    NOW,
    TODAY,
    A,
    B,
    Paid,
    assert_login_redirect,
    build_paid,
    invoice_url,
    issue,
    owed,
    pay,
    plain,
    state,
    text_of,
    url,
)
from mutualist.collectives.models import Membership
from mutualist.collectives.services import membership_leave
from mutualist.core.money import Money
from mutualist.testing import Billed


@pytest.fixture
def frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def paid(billed: Billed, frozen: None) -> Paid:
    return build_paid(billed)


# --- The fixture's story, as the books tell it -------------------------------------------------


def test_the_fixture_settles_the_invoice_and_owes_ana_and_ben_their_exact_shares(
    paid: Paid,
) -> None:
    cast = paid.cast

    assert paid.invoice.number == "MANILA-2026-0001"
    assert paid.invoice.status == Invoice.Status.PAID
    assert (paid.second.applied_minor, paid.second.credit_minor) == (28_500, 16_500)
    assert owed(cast.collective_a, cast.ana) == Money("225", "AUD")
    assert owed(cast.collective_a, cast.ben) == Money("90", "AUD")


# --- My earnings -------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in_for_earnings(paid: Paid, client: Any) -> None:
    assert_login_redirect(client.get(url("my_earnings")))


def test_a_member_sees_what_each_collective_owes_them_and_their_shares_newest_first(
    paid: Paid, client_for: Any
) -> None:
    # given Ben's two shares: 23.38 of the first payment, 66.62 of the second
    # when he opens his earnings
    response = client_for(paid.cast.ben).get(url("my_earnings"))

    # then the collective owes him 90.00 AUD, and both shares link to where the payment went
    assert response.status_code == 200
    page = plain(response)
    assert "Owed to you now Collective Owed Payouts Manila Virtual Assistants A$90.00" in page
    shares = list(response.context["shares"])
    assert [(share.payment_id, amount) for share, amount in shares] == [
        (paid.second.pk, Money("66.62", "AUD")),
        (paid.first.pk, Money("23.38", "AUD")),
    ]
    for payment in (paid.first, paid.second):
        assert url("payment", slug=A, pk=payment.pk) in text_of(response)
    assert "MANILA-2026-0001" in page
    assert "Harbour Bridge Logistics" in page
    assert url("payouts", slug=A) in text_of(response)


def test_someone_with_no_shares_is_told_nothing_is_owed(paid: Paid, client_for: Any) -> None:
    response = client_for(paid.cast.olga).get(url("my_earnings"))

    assert response.status_code == 200
    assert "Nothing is owed to you right now." in plain(response)
    assert "No shares yet." in plain(response)
    assert response.context["shares"] == []


def test_earnings_show_only_the_viewers_own_shares(paid: Paid, client_for: Any) -> None:
    response = client_for(paid.cast.ana).get(url("my_earnings"))

    amounts = [amount for _, amount in response.context["shares"]]
    assert amounts == [Money("166.56", "AUD"), Money("58.44", "AUD")]
    assert "A$225.00" in plain(response)
    assert "A$90.00" not in plain(response)


def test_earnings_are_paginated_twenty_five_shares_a_page(
    billed: Billed, frozen: None, client_for: Any
) -> None:
    # given 26 small payments on one invoice, each giving Ben a share
    invoice = issue(billed.work)
    payments = [pay(invoice, Money("5", "AUD"), key=f"small-{n}") for n in range(26)]
    ben = client_for(billed.work.cast.ben)

    # when Ben reads both pages
    first = ben.get(url("my_earnings"))
    second = ben.get(url("my_earnings"), {"page": "2"})
    beyond = ben.get(url("my_earnings"), {"page": "99999999999999999999"})

    # then the newest 25 are on the first, the oldest on the second; past the end is the last
    assert [share.payment_id for share, _ in first.context["shares"]] == [
        payment.pk for payment in reversed(payments[1:])
    ]
    assert [share.payment_id for share, _ in second.context["shares"]] == [payments[0].pk]
    assert "Page 1 of 2" in plain(first)
    assert [share.payment_id for share, _ in beyond.context["shares"]] == [payments[0].pk]


def test_a_former_member_keeps_their_earnings_but_not_the_collectives_payment_pages(
    paid: Paid, client_for: Any
) -> None:
    cast = paid.cast
    membership_leave(
        membership=Membership.objects.get(collective=cast.collective_a, user=cast.ben),
        actor=cast.ben,
    )

    response = client_for(cast.ben).get(url("my_earnings"))

    assert "A$90.00" in plain(response)
    assert "You have left this collective" in plain(response)
    assert len(response.context["shares"]) == 2
    assert url("payment", slug=A, pk=paid.first.pk) not in text_of(response)
    assert client_for(cast.ben).get(url("payment", slug=A, pk=paid.first.pk)).status_code == 404


# --- Where a payment went ----------------------------------------------------------------------


def split_rows(response: Any) -> list[tuple[str, str, str]]:
    """The split table's rows as (who, rule, amount), as a reader sees them."""
    table = text_of(response).split('<table class="split-table">', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table, flags=re.S)
    cells = [
        [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", c)).split()) for c in re.findall(
            r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S
        )]
        for row in rows
    ]  # fmt: skip
    return [tuple(row) for row in cells if len(row) == 3]  # type: ignore[misc]


def test_a_member_sees_where_every_unit_of_a_payment_went_in_plain_words(
    paid: Paid, client_for: Any
) -> None:
    # given the first payment, 100.00 AUD
    # when Ben opens it
    response = client_for(paid.cast.ben).get(url("payment", slug=A, pk=paid.first.pk))

    # then each part is named, with the rule that gave it, his own first among the members
    assert response.status_code == 200
    assert split_rows(response) == [
        ("Went to", "By the rule", "Amount"),
        ("Ben Okafor (your share)", "Members' 90% of the net, by hours billed", "A$23.38"),
        ("Ana Reyes", "Members' 90% of the net, by hours billed", "A$58.44"),
        ("The treasury", "10% of the net", "A$9.09"),
        ("Tax", "The invoice's 10% tax, owed to the tax office", "A$9.09"),
        ("Total", "What this payment settled", "A$100.00"),
    ]
    assert '<tr class="yours">' in text_of(response)
    page = plain(response)
    assert "Received A$100.00 by bank transfer, reference HBL-4411" in page
    assert "Settled on the invoice A$100.00" in page
    assert "Kept as the client's credit" not in page
    assert "Rate" not in page.split("Where every unit went")[0]
    assert (
        "Of the A$100.00 this payment settled, part is the 10% tax the invoice charged, which is "
        "held for the tax office; the rest is shared by the split rule of the bylaws in force "
        "when the invoice was issued: 10% to the treasury, and the remaining 90% to the members "
        "who worked on the invoice, in proportion to what each member's hours billed."
    ) in page
    assert (
        "Your share of the whole invoice is A$90.00. Its payments have given you all of it." in page
    )


def test_the_parts_of_every_payment_add_up_to_what_it_settled(paid: Paid, client_for: Any) -> None:
    ana = client_for(paid.cast.ana)
    for payment in (paid.first, paid.second):
        split = ana.get(url("payment", slug=A, pk=payment.pk)).context["split"]

        assert split.total == split.applied == Money.from_minor(payment.applied_minor, "AUD")
        assert sum(row.amount.minor_units for row in split.rows) == payment.applied_minor
        assert {row.key for row in split.rows} == set(
            PaymentShare.objects.filter(payment=payment).values_list("key", flat=True)
        )


def test_a_payment_in_another_currency_shows_the_rate_and_the_credit_kept(
    paid: Paid, client_for: Any
) -> None:
    response = client_for(paid.cast.ana).get(url("payment", slug=A, pk=paid.second.pk))

    page = plain(response)
    assert "Received $300.00 (USD) by bank transfer" in page
    assert "Rate 1 USD = 1.5 AUD (given with the payment)" in page
    assert "Settled on the invoice A$285.00" in page
    assert "Kept as the client's credit A$165.00" in page
    assert split_rows(response)[1] == (
        "Ana Reyes (your share)",
        "Members' 90% of the net, by hours billed",
        "A$166.56",
    )
    assert split_rows(response)[-1] == ("Total", "What this payment settled", "A$285.00")


def test_the_payment_names_its_invoice_and_links_to_it(paid: Paid, client_for: Any) -> None:
    response = client_for(paid.cast.ben).get(url("payment", slug=A, pk=paid.first.pk))

    link = invoice_url(paid.invoice)
    if link is not None:
        assert f'<a href="{link}">MANILA-2026-0001</a>' in text_of(response)
    else:  # pragma: no cover -- until the invoices pages land
        assert "MANILA-2026-0001" in plain(response)


def test_a_partly_paid_invoice_tells_the_member_what_is_still_to_come(
    billed: Billed, frozen: None, client_for: Any
) -> None:
    invoice = issue(billed.work)
    first = pay(invoice, Money("100", "AUD"), key="part")

    response = client_for(billed.work.cast.ana).get(url("payment", slug=A, pk=first.pk))

    assert (
        "Your share of the whole invoice is A$225.00. Its payments so far have given you "
        "A$58.44; A$166.56 is still to come as the client pays."
    ) in plain(response)


def test_shares_follow_pay_and_each_fund_shows_its_levy_when_the_bylaws_say_so(
    billed: Billed, frozen: None, client_for: Any
) -> None:
    # given bylaws in force today: treasury 10%, a sick-pay fund 2.5%, members by pay
    from mutualist.collectives.models import SplitShare
    from mutualist.collectives.services.bylaws import bylaws_adopt

    cast = billed.work.cast
    bylaws = bylaws_adopt(
        collective=cast.collective_a, actor=cast.ana, effective_from=TODAY,
        treasury_percent="10", admission_rule="coordinator", member_share_basis="pay",
    )  # fmt: skip
    SplitShare.objects.create(bylaws=bylaws, recipient="sick_pay", percent="2.50")
    invoice = issue(billed.work, tax_rate="0")
    payment = pay(invoice, Money("350", "AUD"), key="all")

    # when Ben opens the payment
    response = client_for(cast.ben).get(url("payment", slug=A, pk=payment.pk))

    # then the fund is named with its levy; the members share 87.5% by pay (Ana 218.75, Ben 87.50)
    assert split_rows(response)[1:] == [
        ("Ben Okafor (your share)", "Members' 87.5% of the net, by pay for the hours", "A$87.50"),
        ("Ana Reyes", "Members' 87.5% of the net, by pay for the hours", "A$218.75"),
        ("The treasury", "10% of the net", "A$35.00"),
        ("Sick pay fund", "2.5% of the net", "A$8.75"),
        ("Total", "What this payment settled", "A$350.00"),
    ]
    page = plain(response)
    assert "all of it is shared by the split rule" in page
    assert "10% to the treasury, 2.5% to the sick pay fund, and the remaining 87.5%" in page
    assert "in proportion to what each member's hours pay them." in page


@pytest.mark.parametrize("who", ["carla", "olga", "dana"])
def test_outsiders_and_the_clients_contact_find_no_payment(
    paid: Paid, client_for: Any, who: str
) -> None:
    user = paid.work.dana if who == "dana" else getattr(paid.cast, who)

    response = client_for(user).get(url("payment", slug=A, pk=paid.first.pk))

    assert response.status_code == 404


def test_a_payment_is_found_only_under_its_own_collective(paid: Paid, client_for: Any) -> None:
    carla = client_for(paid.cast.carla)
    ana = client_for(paid.cast.ana)

    assert carla.get(url("payment", slug=B, pk=paid.first.pk)).status_code == 404
    assert ana.get(url("payment", slug=A, pk=paid.second.pk + 1000)).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in_for_a_payment(paid: Paid, client: Any) -> None:
    assert_login_redirect(client.get(url("payment", slug=A, pk=paid.first.pk)))


def test_the_payment_page_only_reads(paid: Paid, client_for: Any) -> None:
    before = state()

    client_for(paid.cast.ana).post(url("payment", slug=A, pk=paid.first.pk))
    client_for(paid.cast.ben).get(url("payment", slug=A, pk=paid.first.pk))

    assert state() == before


# --- The dashboard panel -----------------------------------------------------------------------


def test_the_dashboard_shows_what_is_owed_with_a_link_to_earnings(
    paid: Paid, client_for: Any
) -> None:
    response = client_for(paid.cast.ben).get(reverse("members:dashboard"))

    page = plain(response)
    assert "Owed to you" in page
    assert "Manila Virtual Assistants : A$90.00" in page
    assert url("my_earnings") in text_of(response)


def test_the_dashboard_shows_no_panel_when_nothing_is_owed(paid: Paid, client_for: Any) -> None:
    response = client_for(paid.cast.carla).get(reverse("members:dashboard"))

    assert response.status_code == 200
    assert 'id="owed-to-you-heading"' not in text_of(response)


def test_the_dashboard_leads_each_member_to_payouts_and_billing_settings(
    paid: Paid, client_for: Any
) -> None:
    bens = client_for(paid.cast.ben).get(reverse("members:dashboard"))
    anas = client_for(paid.cast.ana).get(reverse("members:dashboard"))
    olgas = client_for(paid.cast.olga).get(reverse("members:dashboard"))

    assert "Manila Virtual Assistants : Your payouts · How you are paid · Billing settings" in (
        plain(bens)
    )
    assert "Manila Virtual Assistants : Payouts · How you are paid · Billing settings" in plain(
        anas
    )
    for link in (url("payouts", slug=A), url("payout_settings", slug=A), url("settings", slug=A)):
        assert link in text_of(bens)
    assert 'id="payouts-panel-heading"' not in text_of(olgas)
