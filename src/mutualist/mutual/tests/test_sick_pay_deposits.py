"""Monthly deposits from each member's payable into their own sick-pay
account, arrears when the payable cannot cover one (nothing goes
negative), and the yearly refund of what an account holds above its cap."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from mutualist.ledger.models import Transaction
from mutualist.mutual.models import BufferRefund, Deposit, Fund
from mutualist.mutual.services.sick_pay import (
    sick_pay_buffer_refunds,
    sick_pay_deposits_post,
    sick_pay_exit,
    sick_pay_tier_change,
)
from mutualist.mutual.tests.helpers import NOW, add_member
from mutualist.mutual.tests.sick_pay_helpers import (
    held,
    join,
    ongoing,
    owed,
    pay_member,
    seed,
    sick_fund,
)
from mutualist.testing import Cast, ledger_checked

pytestmark = pytest.mark.django_db

NOV = dt.date(2026, 11, 1)
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def _now(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def fund(cast: Cast) -> Fund:
    return sick_fund(cast.collective_a, cast.ana)


def test_each_member_deposits_their_tier_once_a_month(cast, fund):
    # given Ana at tier 1 (30.00) and Ben at tier 2 (60.00), both with money owed to them
    ana = join(fund, cast.ana, tier=0)
    ben = join(fund, cast.ben, tier=1)
    pay_member(fund, cast.ana, "100.00", "ana")
    pay_member(fund, cast.ben, "100.00", "ben")

    # when the tick runs twice in the month
    first = sick_pay_deposits_post(TODAY)
    second = sick_pay_deposits_post(TODAY)

    # then each deposit was taken once, from the payable into the member's own account
    assert (first, second) == (2, 0)
    assert (held(ana), owed(fund, cast.ana)) == (3000, 7000)
    assert (held(ben), owed(fund, cast.ben)) == (6000, 4000)
    rows = Deposit.objects.order_by("participation__member__email")
    assert [(d.participation.member, d.month, d.amount_minor, d.state) for d in rows] == [
        (cast.ana, NOV, 3000, "paid"),
        (cast.ben, NOV, 6000, "paid"),
    ]
    posted = Transaction.objects.get(idempotency_key=f"mutual:deposit:{rows[0].pk}")
    assert (posted.kind, posted.occurred_at) == ("fund_deposit", TODAY)
    assert rows[0].transaction == posted
    ledger_checked()


def test_the_next_month_takes_the_next_deposit(cast, fund):
    ana = join(fund, cast.ana, tier=0)
    pay_member(fund, cast.ana, "100.00", "ana")

    sick_pay_deposits_post(TODAY)
    taken = sick_pay_deposits_post(dt.date(2026, 12, 1))

    assert taken == 1
    assert held(ana) == 6000
    assert sorted(Deposit.objects.values_list("month", flat=True)) == [NOV, dt.date(2026, 12, 1)]


def test_a_member_who_cannot_pay_is_in_arrears_and_nothing_goes_negative(cast, fund):
    # given Ben is owed only 10.00 and his tier deposits 60.00
    ben = join(fund, cast.ben, tier=1)
    pay_member(fund, cast.ben, "10.00", "ben")

    # when
    taken = sick_pay_deposits_post(TODAY)

    # then the month is recorded as owed, and no money moved
    assert taken == 1
    deposit = Deposit.objects.get()
    assert (deposit.state, deposit.amount_minor, deposit.transaction) == ("arrears", 6000, None)
    assert (held(ben), owed(fund, cast.ben)) == (0, 1000)
    assert not Transaction.objects.filter(kind="fund_deposit").exists()
    ledger_checked()


def test_arrears_are_taken_once_the_member_is_owed_enough(cast, fund):
    # given Ben's November deposit is in arrears
    ben = join(fund, cast.ben, tier=1)
    pay_member(fund, cast.ben, "10.00", "ben-1")
    sick_pay_deposits_post(TODAY)
    assert sick_pay_deposits_post(TODAY) == 0  # still short: stays in arrears

    # when a client pays and the tick runs again
    pay_member(fund, cast.ben, "100.00", "ben-2")
    settled = sick_pay_deposits_post(TODAY)

    # then
    assert settled == 1
    deposit = Deposit.objects.get()
    assert deposit.state == "paid"
    assert deposit.paid_at is not None
    posted = Transaction.objects.get(idempotency_key=f"mutual:deposit:{deposit.pk}")
    assert deposit.transaction_id == posted.pk
    assert (held(ben), owed(fund, cast.ben)) == (6000, 5000)
    assert sick_pay_deposits_post(TODAY) == 0
    assert held(ben) == 6000
    ledger_checked()


def test_a_member_who_joins_later_deposits_from_the_month_they_join(cast, fund):
    ben = join(fund, cast.ben, tier=0, joined_on=dt.date(2026, 12, 5))
    pay_member(fund, cast.ben, "100.00", "ben")

    assert sick_pay_deposits_post(TODAY) == 0
    assert sick_pay_deposits_post(dt.date(2026, 12, 1)) == 1

    assert held(ben) == 3000
    assert Deposit.objects.get().month == dt.date(2026, 12, 1)


def test_a_member_fully_sick_deposits_nothing_and_a_half_sick_one_still_does(cast, fund):
    # given Ana is fully sick and Ben half sick, both paid since 1 October
    dee = add_member(cast.collective_a, "dee@example.org", "Dee Santos")
    ana = join(fund, cast.ana, tier=0)
    ben = join(fund, cast.ben, tier=0)
    join(fund, dee, tier=0)
    for member in (cast.ana, cast.ben, dee):
        pay_member(fund, member, "100.00", member.email)
    ongoing(fund, cast.ana, dee, dt.date(2026, 9, 1), percent=100)
    ongoing(fund, cast.ben, dee, dt.date(2026, 9, 1), percent=50)

    # when
    taken = sick_pay_deposits_post(TODAY)

    # then
    assert taken == 2
    assert held(ana) == 0
    assert owed(fund, cast.ana) == 10000
    assert held(ben) == 3000
    assert sorted(Deposit.objects.values_list("participation__member__email", flat=True)) == [
        "ben@example.org",
        "dee@example.org",
    ]


def test_a_member_sick_but_still_within_the_waiting_period_deposits(cast, fund):
    dee = add_member(cast.collective_a, "dee@example.org", "Dee Santos")
    ana = join(fund, cast.ana, tier=0)
    pay_member(fund, cast.ana, "100.00", "ana")
    ongoing(fund, cast.ana, dee, dt.date(2026, 10, 20), percent=100)  # paid from 19 November

    assert sick_pay_deposits_post(TODAY) == 1
    assert held(ana) == 3000


def test_a_tier_change_due_today_sets_this_months_deposit(cast, fund):
    # given Ben moves from tier 1 to tier 3 on 1 January
    ben = join(fund, cast.ben, tier=0)
    pay_member(fund, cast.ben, "500.00", "ben")
    sick_pay_tier_change(participation=ben, tier=2, effective_on=dt.date(2027, 1, 1))

    # when January's deposits are taken
    sick_pay_deposits_post(dt.date(2027, 1, 1))

    # then at the new tier
    assert Deposit.objects.get().amount_minor == 9000


def test_a_member_who_left_deposits_no_more(cast, fund):
    ben = join(fund, cast.ben, tier=0)
    pay_member(fund, cast.ben, "100.00", "ben")
    sick_pay_exit(participation=ben, effective_on=dt.date(2027, 1, 1))

    assert sick_pay_deposits_post(dt.date(2027, 1, 1)) == 0

    ben.refresh_from_db()
    assert ben.state == "left"
    assert Deposit.objects.count() == 0


# --- The yearly refund above the cap --------------------------------------------------------


@pytest.fixture
def capped(cast: Cast) -> Fund:
    # Accounts capped at two months' deposits; the excess refunded in November.
    return sick_fund(cast.collective_a, cast.ana, {"buffer_multiple": 2, "refund_month": 11})


def test_what_an_account_holds_above_its_cap_goes_back_once_a_year(cast, capped):
    # given Ben (tier 1: cap 2 x 30.00) holds 100.00; Ana (tier 2: cap 120.00) holds 100.00
    ben = join(capped, cast.ben, tier=0)
    ana = join(capped, cast.ana, tier=1)
    seed(ben, "100.00", "ben")
    seed(ana, "100.00", "ana")

    # when the refund tick runs twice
    first = sick_pay_buffer_refunds(TODAY)
    second = sick_pay_buffer_refunds(TODAY)

    # then Ben got back 40.00, once; Ana is under her cap
    assert (first, second) == (1, 0)
    assert (held(ben), owed(capped, cast.ben)) == (6000, 4000)
    assert (held(ana), owed(capped, cast.ana)) == (10000, 0)
    refund = BufferRefund.objects.get()
    assert (refund.participation, refund.year, refund.amount_minor) == (ben, 2026, 4000)
    posted = Transaction.objects.get(idempotency_key=f"mutual:refund:{refund.pk}")
    assert (refund.transaction_id, posted.kind) == (posted.pk, "fund_refund")
    ledger_checked()


def test_no_refund_outside_the_refund_month(cast, fund):
    # given the default rules: refunds in January
    ben = join(fund, cast.ben, tier=0)
    seed(ben, "2000.00", "ben")  # above 36 x 30.00

    assert sick_pay_buffer_refunds(TODAY) == 0
    assert held(ben) == 200000

    # then in January: 2,000.00 - 1,080.00
    assert sick_pay_buffer_refunds(dt.date(2027, 1, 4)) == 1
    assert held(ben) == 108000
    assert owed(fund, cast.ben) == 92000
    assert sick_pay_buffer_refunds(dt.date(2027, 1, 20)) == 0
    ledger_checked()
