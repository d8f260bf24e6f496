"""The reads behind the money pages: members' payables found as payouts find
them (and without opening any account), where each part of a payment went,
and the next number previewed without taking it.

Fixtures as in test_views_money.py (``money_helpers.build_paid``): ``paid`` leaves collective A owing Ana
225.00 AUD and Ben 90.00 AUD; the clock stands at 8 December 2026.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from mutualist.billing.accounts import find_member_account, member_account
from mutualist.billing.models import Invoice, InvoiceCounter
from mutualist.billing.selectors.money import (
    number_preview,
    payable_currencies,
    payable_members,
    payables_of_collective,
    payables_of_member,
    payment_split,
    percent_text,
)
from mutualist.billing.services import FixedItem, invoice_draft_create, invoice_issue
from mutualist.billing.tests.money_helpers import (
    NOW,
    TODAY,
    Paid,
    build_paid,
    pay,
)
from mutualist.core.money import Money
from mutualist.ledger.models import Account
from mutualist.ledger.services import Line, account_name_for, account_open, transaction_post
from mutualist.testing import Billed, Cast


@pytest.fixture
def frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def paid(billed: Billed, frozen: None) -> Paid:
    return build_paid(billed)


def test_a_members_payables_are_the_accounts_payouts_draw_on(paid: Paid) -> None:
    cast = paid.cast

    rows = payables_of_member(user=cast.ana)

    assert [(row.collective, row.owed) for row in rows] == [
        (cast.collective_a, Money("225", "AUD"))
    ]
    assert rows[0].account == find_member_account(cast.collective_a, cast.ana, "AUD")


def test_finding_payables_opens_no_account(cast: Cast) -> None:
    before = Account.objects.count()

    assert payables_of_member(user=cast.ben) == []
    assert payables_of_collective(collective=cast.collective_a) == []
    assert payable_currencies(collective=cast.collective_a) == []
    assert list(payable_members(collective=cast.collective_a)) == []
    assert Account.objects.count() == before


def test_a_payable_that_holds_nothing_is_left_out_unless_asked_for(cast: Cast) -> None:
    member_account(cast.collective_a, cast.ben, "EUR")

    assert payables_of_member(user=cast.ben) == []
    everything = payables_of_member(user=cast.ben, owing_only=False)
    assert [(row.owed, row.account.name) for row in everything] == [
        (Money("0", "EUR"), f"Liabilities:Collectives:ManilaVa:Members:BenOkafor-{cast.ben.pk}:EUR")
    ]
    assert payable_currencies(collective=cast.collective_a) == ["EUR"]
    assert list(payable_members(collective=cast.collective_a)) == [cast.ben]


def test_the_first_payable_in_a_currency_is_the_one_shown_as_find_member_account_finds_it(
    cast: Cast,
) -> None:
    # given an older payable opened by hand in the Members group, and billing's own after it
    a = cast.collective_a
    by_hand = account_open(
        collective=a, name=account_name_for(a, "liabilities", "Members", "Ben", "PHP"),
        type="liabilities", currency="PHP", owner_kind="member", owner=cast.ben,
        must_not_go_negative=True,
    )  # fmt: skip
    opening = account_open(
        collective=a, name=account_name_for(a, "equity", "Opening", "PHP"), type="equity",
        currency="PHP",
    )  # fmt: skip
    transaction_post(
        lines=[Line(opening, Money("12", "PHP")), Line(by_hand, Money("-12", "PHP"))],
        memo="Owed to Ben from before",
        occurred_at=dt.date(2026, 1, 1),
        idempotency_key="test:ben:php",
        kind="opening",
    )

    rows = payables_of_member(user=cast.ben)

    assert find_member_account(a, cast.ben, "PHP") == by_hand
    assert [(row.account, row.owed) for row in rows] == [(by_hand, Money("12", "PHP"))]


def test_a_coordinator_reads_every_members_payables_and_a_member_their_own(paid: Paid) -> None:
    cast = paid.cast

    everyone = payables_of_collective(collective=cast.collective_a)
    bens = payables_of_collective(collective=cast.collective_a, member=cast.ben)

    assert [(row.member, row.owed) for row in everyone] == [
        (cast.ana, Money("225", "AUD")),
        (cast.ben, Money("90", "AUD")),
    ]
    assert [(row.member, row.owed) for row in bens] == [(cast.ben, Money("90", "AUD"))]
    assert payables_of_collective(collective=cast.collective_b) == []


def test_the_split_of_each_payment_adds_up_to_what_it_settled(paid: Paid) -> None:
    for payment in (paid.first, paid.second):
        split = payment_split(payment=payment, viewer=paid.cast.ben)

        assert split.total == split.applied
        assert [row.kind for row in split.rows] == ["member", "member", "treasury", "tax"]
        assert split.rows[0].is_viewer and split.rows[0].member == paid.cast.ben
        assert [row.percent for row in split.rows] == [None, None, Decimal("10.00"), None]


def test_a_viewer_without_a_part_in_the_invoice_has_no_share_of_it(paid: Paid) -> None:
    split = payment_split(payment=paid.first, viewer=paid.work.dana)

    assert split.viewer_share is None
    assert not any(row.is_viewer for row in split.rows)


def test_with_no_members_work_on_the_invoice_the_treasury_takes_the_members_part(
    billed: Billed, frozen: None
) -> None:
    # given an invoice of one fixed item for the whole team
    cast = billed.work.cast
    draft = invoice_draft_create(
        collective=cast.collective_a, actor=cast.ana, client=billed.work.harbour,
        include_time=False, items=[FixedItem("Set-up", 1, Money("200", "AUD"))],
    )  # fmt: skip
    invoice = invoice_issue(invoice=draft, actor=cast.ana)

    split = payment_split(payment=pay(invoice, Money("200", "AUD"), key="setup"), viewer=cast.ana)

    assert split.members_part_to_treasury
    assert [(row.label, row.amount, row.rule) for row in split.rows] == [
        (
            "The treasury",
            Money("200", "AUD"),
            "10% of the net, and the members' part (no member's work is on the invoice)",
        )
    ]


def test_the_preview_reads_the_counter_without_taking_a_number(paid: Paid) -> None:
    a = paid.cast.collective_a
    before = list(InvoiceCounter.objects.values_list("series", "last_seq"))

    yearly = number_preview(
        collective=a, prefix="MANILA", pattern="{prefix}-{year}-{seq:04}", on=TODAY
    )
    next_year = number_preview(
        collective=a, prefix="MANILA", pattern="{prefix}-{year}-{seq:04}", on=dt.date(2027, 1, 4)
    )
    credit = number_preview(
        collective=a, prefix="MANILA", pattern="{prefix}-CN-{seq}",
        kind=Invoice.Kind.CREDIT_NOTE, on=TODAY,
    )  # fmt: skip

    assert (yearly.number, yearly.taken) == ("MANILA-2026-0002", False)
    assert (next_year.number, next_year.taken) == ("MANILA-2027-0001", False)
    assert (credit.number, credit.taken) == ("MANILA-CN-1", False)
    assert list(InvoiceCounter.objects.values_list("series", "last_seq")) == before


def test_percentages_read_as_people_write_them() -> None:
    cases: list[tuple[Any, str]] = [
        (Decimal("10.00"), "10%"),
        (Decimal("2.50"), "2.5%"),
        (Decimal("12.375"), "12.375%"),
        (Decimal("0"), "0%"),
        (Decimal("100"), "100%"),
    ]
    assert [percent_text(value) for value, _ in cases] == [text for _, text in cases]
