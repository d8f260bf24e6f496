"""Races on the sick-pay fund: two schedulers running the tick jobs at once
take each month's deposits once, pay a month's sick pay once, refund once,
apply an exit once; and jobs that touch the same accounts at the same time
wait for each other without deadlocking.

Each test runs threads that meet at a barrier and then call at once, each on
its own database connection. SQLite serialises every write transaction, so
these races cannot happen there; they run on PostgreSQL (set DATABASE_URL)
and are skipped otherwise.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from mutualist.ledger.models import Transaction
from mutualist.mutual.models import BufferRefund, ClaimPayment, Deposit, Fund, SickPayRun
from mutualist.mutual.services.sick_pay import (
    sick_pay_buffer_refunds,
    sick_pay_changes_apply,
    sick_pay_deposits_post,
    sick_pay_exit,
    sick_pay_runs_due,
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
from mutualist.testing import Cast, ledger_checked, race

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row-lock races need PostgreSQL (set DATABASE_URL); SQLite serialises writers",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TODAY = NOW.date()
JAN_1 = dt.date(2027, 1, 1)


@pytest.fixture(autouse=True)
def _now(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def fund(cast: Cast) -> Fund:
    return sick_fund(cast.collective_a, cast.ana)


def members(cast: Cast, count: int) -> list[Any]:
    extra = [
        add_member(cast.collective_a, f"m{index}@example.org", f"Member {index}")
        for index in range(count - 2)
    ]
    return [cast.ana, cast.ben, *extra]


def test_two_schedulers_take_each_months_deposits_once(cast, fund):
    # given six participants, each owed 100.00
    people = members(cast, 6)
    participations = [join(fund, person, tier=index % 2) for index, person in enumerate(people)]
    for person in people:
        pay_member(fund, person, "100.00", person.email)

    # when two schedulers run the deposits at once
    outcome = race(lambda: sick_pay_deposits_post(TODAY), lambda: sick_pay_deposits_post(TODAY))

    # then six deposits, each posted once, shared between them
    assert sum(outcome.results) == 6
    assert Deposit.objects.filter(state="paid").count() == 6
    assert Transaction.objects.filter(kind="fund_deposit").count() == 6
    assert [held(p) for p in participations] == [3000, 6000] * 3
    ledger_checked()


def test_two_schedulers_settle_a_deposit_in_arrears_once(cast, fund):
    # given Ben's November deposit in arrears, then money owed to him
    ben = join(fund, cast.ben, tier=1)
    sick_pay_deposits_post(TODAY)
    pay_member(fund, cast.ben, "100.00", "ben")

    outcome = race(lambda: sick_pay_deposits_post(TODAY), lambda: sick_pay_deposits_post(TODAY))

    assert sorted(outcome.results) == [0, 1]
    assert Deposit.objects.get().state == "paid"
    assert (held(ben), owed(fund, cast.ben)) == (6000, 4000)
    ledger_checked()


def test_two_schedulers_pay_a_months_sick_pay_once(cast, fund):
    # given Ana sick since 1 September and three givers
    people = members(cast, 4)
    join(fund, cast.ana)
    givers = [join(fund, person) for person in people[1:]]
    for giver in givers:
        seed(giver, "1000.00", giver.member.email)
    ongoing(fund, cast.ana, cast.ben, dt.date(2026, 9, 1))

    # when two schedulers run October's sick pay at once
    outcome = race(sick_pay_runs_due, sick_pay_runs_due)

    # then one run paid it, once
    assert sorted(outcome.results) == [0, 1]
    assert SickPayRun.objects.count() == 1
    assert ClaimPayment.objects.count() == 1
    assert owed(fund, cast.ana) == 100000
    assert sum(held(giver) for giver in givers) == 300000 - 100000
    ledger_checked()


def test_deposits_and_the_sick_pay_run_at_once_wait_for_each_other(cast, fund):
    # given four givers holding 1,000.00 each and owed 100.00 for their
    # deposits, and Ana, sick since 1 September (so she deposits nothing)
    people = members(cast, 5)
    join(fund, cast.ana)
    givers = [join(fund, person) for person in people[1:]]
    for giver in givers:
        seed(giver, "1000.00", giver.member.email)
        pay_member(fund, giver.member, "100.00", giver.member.email)
    ongoing(fund, cast.ana, cast.ben, dt.date(2026, 9, 1))

    # when the run draws from the accounts the deposits credit, at the same moment
    outcome = race(sick_pay_runs_due, lambda: sick_pay_deposits_post(TODAY))

    # then both did all their work, whichever went first
    assert sorted(outcome.results) == [1, 4]
    run = SickPayRun.objects.get()
    assert (run.required_minor, run.paid_minor) == (100000, 100000)
    # the run saw the deposits that landed before it locked the accounts, none, some or all
    assert run.available_minor in {400000 + landed * 3000 for landed in range(5)}
    assert sum(held(giver) for giver in givers) == 400000 + 4 * 3000 - 100000
    assert owed(fund, cast.ana) == 100000
    ledger_checked()


def test_two_schedulers_refund_above_the_cap_once(cast):
    fund = sick_fund(cast.collective_a, cast.ana, {"buffer_multiple": 2, "refund_month": 11})
    ben = join(fund, cast.ben, tier=0)
    seed(ben, "100.00", "ben")

    outcome = race(lambda: sick_pay_buffer_refunds(TODAY), lambda: sick_pay_buffer_refunds(TODAY))

    assert sorted(outcome.results) == [0, 1]
    assert BufferRefund.objects.get().amount_minor == 4000
    assert (held(ben), owed(fund, cast.ben)) == (6000, 4000)
    ledger_checked()


def test_two_schedulers_apply_an_exit_once(cast, fund):
    ben = join(fund, cast.ben)
    seed(ben, "90.00", "ben")
    sick_pay_exit(participation=ben, effective_on=JAN_1)

    outcome = race(lambda: sick_pay_changes_apply(JAN_1), lambda: sick_pay_changes_apply(JAN_1))

    assert sorted(outcome.results) == [0, 1]
    assert Transaction.objects.filter(kind="fund_exit").count() == 1
    assert (held(ben), owed(fund, cast.ben)) == (0, 9000)
    ledger_checked()


def test_two_mutualist_ticks_at_once_take_the_deposits_and_pay_the_month_once(cast, fund):
    # given Ana sick since 1 September, and three givers holding 1,000.00 and owed 100.00
    people = members(cast, 4)
    join(fund, cast.ana)
    givers = [join(fund, person) for person in people[1:]]
    for giver in givers:
        seed(giver, "1000.00", giver.member.email)
        pay_member(fund, giver.member, "100.00", giver.member.email)
    ongoing(fund, cast.ana, cast.ben, dt.date(2026, 9, 1))

    # when two schedulers run `mutualist tick` at the same moment
    def tick() -> str:
        out = io.StringIO()
        call_command("tick", stdout=out, stderr=io.StringIO())
        return out.getvalue()

    outcome = race(tick, tick)

    # then November's deposits were taken once and October's sick pay paid once
    lines = sorted(
        line for output in outcome.results for line in output.splitlines() if "mutual." in line
    )
    # (the deposits may be shared between the two ticks: the total counts)
    assert sum(int(line.rsplit(" ", 1)[1]) for line in lines if "post_deposits" in line) == 3
    assert [line for line in lines if line.startswith("mutual.pay_sick_pay")] == [
        "mutual.pay_sick_pay: 0",
        "mutual.pay_sick_pay: 1",
    ]
    assert Deposit.objects.filter(state="paid").count() == 3
    assert Transaction.objects.filter(kind="fund_deposit").count() == 3
    assert SickPayRun.objects.count() == 1
    assert ClaimPayment.objects.count() == 1
    assert owed(fund, cast.ana) == 100000
    assert sum(held(giver) for giver in givers) == 300000 + 3 * 3000 - 100000
    ledger_checked()
