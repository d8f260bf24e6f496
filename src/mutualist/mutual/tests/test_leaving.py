"""A member who leaves the collective takes their own money out of its funds."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from mutualist.collectives.models import Membership
from mutualist.collectives.services import membership_leave
from mutualist.mutual.models import Claim, Participation, ParticipationChange
from mutualist.mutual.services.sick_pay import sick_pay_exit
from mutualist.mutual.tests.helpers import NOW, add_member
from mutualist.mutual.tests.sick_pay_helpers import held, join, ongoing, owed, seed, sick_fund
from mutualist.testing import Cast, ledger_checked

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


def leave(cast: Cast, user: Any) -> None:
    membership = Membership.objects.get(collective=cast.collective_a, user=user)
    membership_leave(membership=membership, actor=user)


def test_a_leaver_takes_their_sick_pay_balance_at_once(cast: Cast) -> None:
    fund = sick_fund(cast.collective_a, cast.ana)
    ben = join(fund, cast.ben, tier=1)
    seed(ben, "420.00", "ben")
    change = sick_pay_exit(participation=ben, effective_on=dt.date(2027, 1, 1))
    payable_before = owed(fund, cast.ben)

    leave(cast, cast.ben)

    ben.refresh_from_db()
    assert (ben.state, ben.left_on) == ("left", NOW.date())
    assert held(ben) == 0
    assert owed(fund, cast.ben) - payable_before == 42000
    change.refresh_from_db()
    assert change.state == ParticipationChange.State.CANCELLED
    ledger_checked()


def test_a_leaver_on_sick_leave_is_paid_up_to_the_day_they_left(cast: Cast) -> None:
    fund = sick_fund(cast.collective_a, cast.ana)
    cleo = add_member(cast.collective_a, "cleo@example.com", "Cleo")
    join(fund, cast.ana)
    join(fund, cleo)
    ben = join(fund, cast.ben)
    claim = ongoing(fund, cast.ben, cast.ana, starts_on=dt.date(2026, 9, 1))
    later = ongoing(fund, cleo, cast.ana, starts_on=NOW.date() + dt.timedelta(days=3))

    leave(cast, cast.ben)
    leave(cast, cleo)

    claim.refresh_from_db()
    assert (claim.state, claim.ends_on) == ("ongoing", NOW.date())
    later.refresh_from_db()
    assert later.state == Claim.State.WITHDRAWN
    assert Participation.objects.get(pk=ben.pk).state == "left"


def test_leaving_another_collective_touches_nothing_here(cast: Cast) -> None:
    fund = sick_fund(cast.collective_a, cast.ana)
    ben = join(fund, cast.ben)
    seed(ben, "100.00", "ben")
    Membership.objects.create(
        collective=cast.collective_b,
        user=cast.ben,
        role=Membership.Role.MEMBER,
        state=Membership.State.ACTIVE,
        joined_at=NOW,
    )
    leave_b = Membership.objects.get(collective=cast.collective_b, user=cast.ben)
    membership_leave(membership=leave_b, actor=cast.ben)
    ben.refresh_from_db()
    assert ben.state == "active"
    assert held(ben) == 10000


def test_a_leaver_takes_their_savings(cast: Cast) -> None:
    from mutualist.mutual.tests.helpers import fund_active

    fund = fund_active(cast.collective_a, "savings", created_by=cast.ana)
    ben = Participation.objects.create(fund=fund, member=cast.ben, joined_on=NOW.date())
    seed(ben, "75.50", "savings")
    before = owed(fund, cast.ben)
    leave(cast, cast.ben)
    assert held(ben) == 0
    assert owed(fund, cast.ben) - before == 7550
    ledger_checked()


def test_ending_a_sick_period_later_never_reaches_into_the_next_one(cast: Cast) -> None:
    from mutualist.core.errors import Conflict
    from mutualist.mutual.services.sick_pay import sick_claim_end
    from mutualist.mutual.tests.helpers import snapshot

    fund = sick_fund(cast.collective_a, cast.ana, {"waiting_days": 0})
    join(fund, cast.ana)
    join(fund, cast.ben)
    first = ongoing(fund, cast.ben, cast.ana, starts_on=dt.date(2026, 11, 1))
    sick_claim_end(claim=first, actor=cast.ben, ends_on=dt.date(2026, 11, 10))
    ongoing(fund, cast.ben, cast.ana, starts_on=dt.date(2026, 11, 11))
    before = snapshot()
    with pytest.raises(Conflict) as refused:
        sick_claim_end(claim=first, actor=cast.ben, ends_on=dt.date(2026, 11, 19))
    assert (refused.value.code, refused.value.field) == ("claim_overlaps", "ends_on")
    assert snapshot() == before


def test_a_member_readmitted_saves_again_and_can_leave_again(
    cast: Cast, billed: Any, time_machine: Any
) -> None:
    from mutualist.collectives.models import Membership
    from mutualist.mutual.tests.helpers import fund_active
    from mutualist.testing import BILLING_NOW, billing_issued, billing_pay

    fund = fund_active(cast.collective_a, "savings", created_by=cast.ana)
    ben = Participation.objects.create(fund=fund, member=cast.ben, joined_on=NOW.date())
    seed(ben, "10.00", "first")
    leave(cast, cast.ben)
    ben.refresh_from_db()
    assert ben.state == "left"
    # Readmitted, Ben's next share saves again.
    Membership.objects.filter(collective=cast.collective_a, user=cast.ben).update(
        state=Membership.State.ACTIVE, left_at=None
    )
    time_machine.move_to(dt.datetime.fromisoformat(BILLING_NOW), tick=False)
    billing_pay(billing_issued(billed), "385 AUD", "after")
    ben.refresh_from_db()
    assert ben.state == "active"
    # 5 % of his 90.00 AUD part: 4.50 AUD.
    from mutualist.mutual.accounts import member_fund_account

    account = member_fund_account(ben, "AUD")
    account.refresh_from_db()
    assert -account.balance_minor == 450
    leave(cast, cast.ben)
    account.refresh_from_db()
    assert account.balance_minor == 0
    ledger_checked()
