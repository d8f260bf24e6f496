"""Taking part in the sick-pay fund: joining at a tier, changing tier and
leaving only on the fund's set dates, and what an exit pays back."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from mutualist.core.errors import Conflict, PermissionDenied, ValidationFailed
from mutualist.ledger.models import Transaction
from mutualist.mutual.models import Fund, Participation, ParticipationChange
from mutualist.mutual.services.sick_pay import (
    group_size_warning,
    sick_pay_change_cancel,
    sick_pay_changes_apply,
    sick_pay_exit,
    sick_pay_join,
    sick_pay_tier_change,
)
from mutualist.mutual.tests.helpers import NOW, add_member, snapshot
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

JAN_1 = dt.date(2027, 1, 1)


@pytest.fixture(autouse=True)
def _now(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def fund(cast: Cast) -> Fund:
    return sick_fund(cast.collective_a, cast.ana)


# --- Joining ------------------------------------------------------------------------------


def test_a_member_joins_at_a_tier_from_today(cast, fund):
    # when
    participation = sick_pay_join(fund=fund, member=cast.ben, tier=1)

    # then
    participation.refresh_from_db()
    assert (participation.member, participation.tier, participation.state) == (
        cast.ben,
        1,
        "active",
    )
    assert participation.joined_on == NOW.date()
    assert participation.left_on is None


def test_the_group_size_is_a_warning_not_a_refusal(cast, fund):
    # given two members, the default rules asking for 20 to 50
    join(fund, cast.ana)
    join(fund, cast.ben)

    # then
    assert group_size_warning(fund) == "The fund has 2 members; the rules ask for 20 to 50."


def test_no_warning_inside_the_group_size(cast):
    fund = sick_fund(cast.collective_a, cast.ana, {"min_members": 2, "max_members": 3})
    join(fund, cast.ana)
    join(fund, cast.ben)

    assert group_size_warning(fund) is None


def test_a_member_already_in_the_fund_cannot_join_again(cast, fund):
    join(fund, cast.ben)
    before = snapshot()

    with pytest.raises(Conflict) as refused:
        sick_pay_join(fund=fund, member=cast.ben, tier=2)

    assert refused.value.code == "already_joined"
    assert snapshot() == before


def test_someone_outside_the_collective_cannot_join(cast, fund):
    before = snapshot()

    with pytest.raises(PermissionDenied) as refused:
        sick_pay_join(fund=fund, member=cast.carla, tier=0)

    assert refused.value.code == "not_a_member"
    assert snapshot() == before


def test_a_tier_the_rules_do_not_have_is_refused(cast, fund):
    before = snapshot()

    with pytest.raises(ValidationFailed) as refused:
        sick_pay_join(fund=fund, member=cast.ben, tier=3)

    assert (refused.value.code, refused.value.field) == ("invalid_tier", "tier")
    assert str(refused.value) == "Choose a tier from 1 to 3."
    assert snapshot() == before


def test_a_fund_whose_rules_are_under_vote_takes_no_members(cast):
    fund = Fund.objects.create(
        collective=cast.collective_a, kind="sick_pay", currency="PHP", created_by=cast.ana
    )
    before = snapshot()

    with pytest.raises(Conflict) as refused:
        sick_pay_join(fund=fund, member=cast.ben, tier=0)

    assert refused.value.code == "fund_not_active"
    assert snapshot() == before


def test_a_member_who_left_joins_again_on_the_same_row(cast, fund):
    # given Ben left on 1 January
    participation = join(fund, cast.ben, tier=0)
    sick_pay_exit(participation=participation, effective_on=JAN_1)
    sick_pay_changes_apply(JAN_1)

    # when he joins again later at another tier
    again = sick_pay_join(fund=fund, member=cast.ben, tier=2, joined_on=dt.date(2027, 2, 3))

    # then
    assert again.pk == participation.pk
    again.refresh_from_db()
    assert (again.state, again.tier, again.joined_on, again.left_on) == (
        "active",
        2,
        dt.date(2027, 2, 3),
        None,
    )
    assert Participation.objects.count() == 1


# --- Tier changes and exits on set dates ------------------------------------------------------


@pytest.mark.parametrize(
    "effective_on",
    [
        dt.date(2026, 12, 1),  # a 1st, but not of January or July
        dt.date(2027, 1, 15),  # January, not the 1st
        dt.date(2026, 7, 1),  # a set date in the past
        dt.date(2026, 11, 27),  # today
    ],
)
def test_a_tier_change_outside_the_set_dates_is_refused_naming_the_next_one(
    cast, fund, effective_on
):
    # given
    participation = join(fund, cast.ben, tier=0)
    before = snapshot()

    # when
    with pytest.raises(ValidationFailed) as refused:
        sick_pay_tier_change(participation=participation, tier=1, effective_on=effective_on)

    # then nothing changed, and the member learns when they can change
    assert (refused.value.code, refused.value.field) == ("not_a_change_date", "effective_on")
    assert str(refused.value) == (
        "Tier changes and exits take effect only on the 1st of January or July; "
        "the next such date is 1 January 2027."
    )
    assert snapshot() == before
    assert ParticipationChange.objects.count() == 0


def test_an_exit_outside_the_set_dates_is_refused(cast, fund):
    participation = join(fund, cast.ben)
    before = snapshot()

    with pytest.raises(ValidationFailed) as refused:
        sick_pay_exit(participation=participation, effective_on=dt.date(2027, 3, 1))

    assert refused.value.code == "not_a_change_date"
    assert snapshot() == before


def test_the_set_dates_follow_the_rules(cast):
    fund = sick_fund(cast.collective_a, cast.ana, {"change_months": [4]})
    participation = join(fund, cast.ben)

    with pytest.raises(ValidationFailed) as refused:
        sick_pay_exit(participation=participation, effective_on=JAN_1)

    assert str(refused.value) == (
        "Tier changes and exits take effect only on the 1st of April; "
        "the next such date is 1 April 2027."
    )
    change = sick_pay_exit(participation=participation, effective_on=dt.date(2027, 4, 1))
    assert change.state == "pending"


def test_a_tier_change_on_a_set_date_waits_and_applies_that_day_once(cast, fund):
    # given
    participation = join(fund, cast.ben, tier=0)
    change = sick_pay_tier_change(participation=participation, tier=2, effective_on=JAN_1)

    # when the tick runs before the date, then on it, then again
    before_date = sick_pay_changes_apply(dt.date(2026, 12, 31))
    on_date = sick_pay_changes_apply(JAN_1)
    again = sick_pay_changes_apply(JAN_1)

    # then
    assert (before_date, on_date, again) == (0, 1, 0)
    participation.refresh_from_db()
    change.refresh_from_db()
    assert participation.tier == 2
    assert (change.state, change.kind, change.tier) == ("applied", "tier", 2)
    assert change.applied_at is not None


def test_one_change_waits_at_a_time(cast, fund):
    participation = join(fund, cast.ben, tier=0)
    sick_pay_tier_change(participation=participation, tier=1, effective_on=JAN_1)
    before = snapshot()

    with pytest.raises(Conflict) as refused:
        sick_pay_exit(participation=participation, effective_on=dt.date(2027, 7, 1))

    assert refused.value.code == "change_pending"
    assert snapshot() == before


def test_the_same_tier_is_no_change(cast, fund):
    participation = join(fund, cast.ben, tier=1)

    with pytest.raises(ValidationFailed) as refused:
        sick_pay_tier_change(participation=participation, tier=1, effective_on=JAN_1)

    assert refused.value.code == "same_tier"
    assert ParticipationChange.objects.count() == 0


def test_the_member_or_a_coordinator_cancels_a_change_and_no_one_else(cast, fund):
    # given
    dee = add_member(cast.collective_a, "dee@example.org", "Dee Santos")
    participation = join(fund, cast.ben, tier=0)
    change = sick_pay_tier_change(participation=participation, tier=1, effective_on=JAN_1)

    # when another member tries
    with pytest.raises(PermissionDenied) as refused:
        sick_pay_change_cancel(change=change, actor=dee)
    assert refused.value.code == "not_allowed"
    change.refresh_from_db()
    assert change.state == "pending"

    # when the coordinator cancels it
    sick_pay_change_cancel(change=change, actor=cast.ana)
    change.refresh_from_db()
    assert change.state == "cancelled"

    # then a cancelled change cannot be cancelled again, nor applied
    with pytest.raises(Conflict) as again:
        sick_pay_change_cancel(change=change, actor=cast.ben)
    assert again.value.code == "change_not_pending"
    assert sick_pay_changes_apply(JAN_1) == 0
    participation.refresh_from_db()
    assert participation.tier == 0
    # and a new change may be asked for
    sick_pay_exit(participation=participation, effective_on=JAN_1)


def test_an_exit_pays_the_balance_back_and_marks_the_member_left(cast, fund):
    # given Ben holds 90.00 in his sick-pay account
    participation = join(fund, cast.ben)
    seed(participation, "90.00", "ben")
    change = sick_pay_exit(participation=participation, effective_on=JAN_1)

    # when
    applied = sick_pay_changes_apply(JAN_1)

    # then
    assert applied == 1
    participation.refresh_from_db()
    assert (participation.state, participation.left_on) == ("left", JAN_1)
    assert held(participation) == 0
    assert owed(fund, cast.ben) == 9000
    exit_tx = Transaction.objects.get(idempotency_key=f"mutual:exit:{change.pk}")
    assert exit_tx.kind == "fund_exit"
    assert exit_tx.occurred_at == JAN_1
    assert sick_pay_changes_apply(JAN_1) == 0
    assert owed(fund, cast.ben) == 9000
    ledger_checked()


def test_an_exit_with_nothing_left_moves_no_money(cast, fund):
    participation = join(fund, cast.ben)
    sick_pay_exit(participation=participation, effective_on=JAN_1)

    assert sick_pay_changes_apply(JAN_1) == 1

    participation.refresh_from_db()
    assert participation.state == "left"
    assert not Transaction.objects.filter(kind="fund_exit").exists()


def test_an_exit_waits_while_the_member_is_on_sick_leave(cast, fund):
    # given Ben is sick, his claim ongoing, and asked to leave on 1 January
    participation = join(fund, cast.ben)
    join(fund, cast.ana)
    seed(participation, "90.00", "ben")
    claim = ongoing(fund, cast.ben, cast.ana, dt.date(2026, 11, 2))
    change = sick_pay_exit(participation=participation, effective_on=JAN_1)

    # when the date comes
    applied = sick_pay_changes_apply(JAN_1)

    # then the exit waits, nothing paid out
    assert applied == 0
    change.refresh_from_db()
    participation.refresh_from_db()
    assert change.state == "pending"
    assert participation.state == "active"
    assert held(participation) == 9000

    # when the claim is over, the next tick applies it
    claim.state = "ended"
    claim.save(update_fields=["state"])
    assert sick_pay_changes_apply(dt.date(2027, 2, 3)) == 1
    participation.refresh_from_db()
    assert (participation.state, participation.left_on) == ("left", JAN_1)
    assert owed(fund, cast.ben) == 9000
    ledger_checked()


def test_a_member_who_left_cannot_ask_for_a_change(cast, fund):
    participation = join(fund, cast.ben)
    sick_pay_exit(participation=participation, effective_on=JAN_1)
    sick_pay_changes_apply(JAN_1)
    participation.refresh_from_db()

    with pytest.raises(Conflict) as refused:
        sick_pay_tier_change(participation=participation, tier=1, effective_on=dt.date(2027, 7, 1))

    assert refused.value.code == "not_a_participant"


def test_a_payable_is_not_touched_by_joining(cast, fund):
    pay_member(fund, cast.ben, "100.00", "ben")

    join(fund, cast.ben, tier=2)

    assert owed(fund, cast.ben) == 10000
