"""The monthly sick-pay run: each gift's arithmetic (waiting period, part
of a month, half sick, longest duration), drawn from the other members'
accounts in proportion to their tiers and never beyond what an account
holds, every gift reduced by the same share when the fund is short, and
each claim judged by the rules in force on its first day."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from mutualist.core.errors import ValidationFailed
from mutualist.core.money import Money
from mutualist.ledger.models import Transaction
from mutualist.mutual.models import ClaimPayment, Fund, Participation, SickPayRun
from mutualist.mutual.services.sick_pay import (
    add_months,
    gift_minor,
    paid_period,
    sick_claim_end,
    sick_pay_run,
    sick_pay_runs_due,
    water_fill,
)
from mutualist.mutual.tests.helpers import NOW, add_member, fund_active, rules_passed
from mutualist.mutual.tests.sick_pay_helpers import (
    RULES,
    held,
    join,
    ongoing,
    owed,
    seed,
    sick_fund,
)
from mutualist.testing import Cast, ledger_checked

pytestmark = pytest.mark.django_db

OCT = dt.date(2026, 10, 1)
NOV = dt.date(2026, 11, 1)
DEC_1 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


# --- The arithmetic alone ----------------------------------------------------------------------


def test_the_paid_period_starts_after_the_waiting_period():
    period = paid_period(
        starts_on=dt.date(2026, 10, 1), ends_on=None, waiting_days=30, max_months=24
    )

    assert (period.first, period.last) == (dt.date(2026, 10, 31), dt.date(2028, 10, 30))
    assert [period.days_in(OCT), period.days_in(NOV)] == [1, 30]
    assert period.days_in(dt.date(2028, 10, 1)) == 30
    assert period.days_in(dt.date(2028, 11, 1)) == 0


def test_the_paid_period_stops_on_the_last_sick_day():
    period = paid_period(
        starts_on=dt.date(2026, 10, 1),
        ends_on=dt.date(2026, 11, 12),
        waiting_days=30,
        max_months=24,
    )

    assert period.months() == [OCT, NOV]
    assert period.days_in(NOV) == 12


def test_better_within_the_waiting_period_is_an_empty_period():
    period = paid_period(
        starts_on=dt.date(2026, 10, 1),
        ends_on=dt.date(2026, 10, 20),
        waiting_days=30,
        max_months=24,
    )

    assert period.empty
    assert period.months() == []


def test_months_are_added_clamped_to_the_months_end():
    assert add_months(dt.date(2027, 1, 31), 1) == dt.date(2027, 2, 28)
    assert add_months(dt.date(2026, 11, 15), -11) == dt.date(2025, 12, 15)


@pytest.mark.parametrize(
    ("payout", "percent", "days", "expected"),
    [
        (100000, 100, 30, 100000),  # a whole November
        (100000, 100, 1, 3333),  # 1/30 of it
        (100000, 50, 22, 36667),  # 36,666.67 rounded once
        (3, 50, 30, 2),  # 1.5: half to even
        (5, 50, 30, 2),  # 2.5: half to even
        (1, 50, 30, 0),
    ],
)
def test_a_gift_is_rounded_once_half_to_even(payout, percent, days, expected):
    assert (
        gift_minor(payout_minor=payout, percent=percent, covered_days=days, month=NOV) == expected
    )


def php(*minor: int) -> list[Money]:
    return [Money.from_minor(m, "PHP") for m in minor]


def test_water_fill_splits_in_proportion_when_every_account_can_give():
    assert water_fill(Money("100", "PHP"), [1, 1, 1], [10**9] * 3) == php(3334, 3333, 3333)
    assert water_fill(Money("100", "PHP"), [3000, 3000, 6000], [10**9] * 3) == php(2500, 2500, 5000)


def test_water_fill_spreads_over_the_others_what_an_empty_account_cannot_give():
    # the first account's share (25.00) is beyond its 10.00; the rest goes 1:2
    assert water_fill(Money("100", "PHP"), [1, 1, 2], [1000, 10**6, 10**6]) == php(1000, 3000, 6000)
    # until each runs out in turn
    assert water_fill(Money("100", "PHP"), [1, 1, 2], [1000, 2000, 10**6]) == php(1000, 2000, 7000)
    # all there is
    assert water_fill(Money("60", "PHP"), [1, 5, 2], [1000, 2000, 3000]) == php(1000, 2000, 3000)


def test_water_fill_refuses_more_than_the_caps_hold():
    with pytest.raises(ValueError, match="does not fit"):
        water_fill(Money("60.01", "PHP"), [1, 1], [3000, 3000])


# --- The run --------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _now(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def fund(cast: Cast) -> Fund:
    return sick_fund(cast.collective_a, cast.ana)


@pytest.fixture
def dee(cast: Cast) -> Any:
    return add_member(cast.collective_a, "dee@example.org", "Dee Santos")


@pytest.fixture
def eli(cast: Cast) -> Any:
    return add_member(cast.collective_a, "eli@example.org", "Eli Cruz")


def test_the_first_gift_counts_only_the_days_after_the_waiting_period(
    cast, fund, dee, eli, time_machine
):
    # given Ana, fully sick from 1 October (paid from 31 October), and three givers
    join(fund, cast.ana)
    givers = [join(fund, member) for member in (cast.ben, dee, eli)]
    for giver in givers:
        seed(giver, "1000.00", giver.member.email)
    claim = ongoing(fund, cast.ana, cast.ben, dt.date(2026, 10, 1))

    # when October is run
    run = sick_pay_run(fund=fund, month=OCT)

    # then one day of 31: 1,000.00 / 31 = 32.258... -> 32.26, from the three alike
    assert (run.required_minor, run.available_minor, run.paid_minor) == (3226, 300000, 3226)
    assert not run.reduced
    assert owed(fund, cast.ana) == 3226
    assert [held(giver) for giver in givers] == [100000 - 1076, 100000 - 1075, 100000 - 1075]
    payment = ClaimPayment.objects.get()
    assert (payment.claim, payment.month, payment.amount_minor, payment.requested_minor) == (
        claim,
        OCT,
        3226,
        3226,
    )
    assert payment.paid_on == NOW.date()
    posted = Transaction.objects.get(idempotency_key=f"mutual:gift:{claim.pk}:2026-10")
    assert (posted.kind, posted.cause) == ("fund_payout", claim)
    assert payment.transaction == posted
    claim.refresh_from_db()
    assert (claim.state, claim.paid_minor) == ("ongoing", 3226)

    # when November is over and the tick runs: the whole month
    time_machine.move_to(DEC_1, tick=False)
    assert sick_pay_runs_due() == 1
    assert owed(fund, cast.ana) == 3226 + 100000
    assert [held(giver) for giver in givers] == [
        100000 - 1076 - 33334,
        100000 - 1075 - 33333,
        100000 - 1075 - 33333,
    ]
    assert list(ClaimPayment.objects.order_by("month").values_list("month", "amount_minor")) == [
        (OCT, 3226),
        (NOV, 100000),
    ]
    assert sick_pay_runs_due() == 0
    ledger_checked()


def test_a_month_is_run_once_it_is_over_and_once_only(cast, fund, dee):
    join(fund, cast.ana)
    seed(join(fund, dee), "5000.00", "dee")
    ongoing(fund, cast.ana, dee, dt.date(2026, 9, 1))

    with pytest.raises(ValidationFailed) as not_over:
        sick_pay_run(fund=fund, month=NOV)
    with pytest.raises(ValidationFailed) as not_a_month:
        sick_pay_run(fund=fund, month=dt.date(2026, 10, 15))
    first = sick_pay_run(fund=fund, month=OCT)
    second = sick_pay_run(fund=fund, month=OCT)

    assert (not_over.value.code, not_over.value.field) == ("month_not_over", "month")
    assert str(not_over.value) == (
        "Sick pay for November 2026 is paid once the month is over, from 1 December 2026."
    )
    assert not_a_month.value.code == "invalid_month"
    assert first == second
    assert SickPayRun.objects.count() == 1
    assert ClaimPayment.objects.count() == 1
    assert owed(fund, cast.ana) == 100000


def test_a_half_sick_member_gets_half_the_gift_for_the_days_covered(cast, fund, dee, time_machine):
    # given Ben, half sick from 10 October: paid from 9 November
    join(fund, cast.ben)
    seed(join(fund, dee), "5000.00", "dee")
    claim = ongoing(fund, cast.ben, dee, dt.date(2026, 10, 10), percent=50)

    # October: still within the waiting period
    october = sick_pay_run(fund=fund, month=OCT)
    time_machine.move_to(DEC_1, tick=False)
    november = sick_pay_run(fund=fund, month=NOV)

    # then 1,000.00 x 50 % x 22/30 = 366.666... -> 366.67
    assert (october.required_minor, october.paid_minor) == (0, 0)
    assert (november.required_minor, november.paid_minor) == (36667, 36667)
    assert owed(fund, cast.ben) == 36667
    assert ClaimPayment.objects.get().claim == claim
    ledger_checked()


def test_the_claimants_tier_sets_the_gift(cast, fund, dee):
    join(fund, cast.ben, tier=2)  # 3,000.00 a month
    seed(join(fund, dee), "5000.00", "dee")
    ongoing(fund, cast.ben, dee, dt.date(2026, 9, 1))

    run = sick_pay_run(fund=fund, month=OCT)

    assert run.paid_minor == 300000
    assert owed(fund, cast.ben) == 300000


def test_the_gifts_stop_at_the_longest_duration_and_the_claim_ends(cast, dee, time_machine):
    # given rules paying at most one month, and Ana sick since 1 September
    fund = sick_fund(cast.collective_a, cast.ana, {"max_months": 1})
    join(fund, cast.ana)
    seed(join(fund, dee), "5000.00", "dee")
    claim = ongoing(fund, cast.ana, dee, dt.date(2026, 9, 1))

    # when October (the one month, from 1 October) and then November are run
    sick_pay_run(fund=fund, month=OCT)
    claim.refresh_from_db()
    time_machine.move_to(DEC_1, tick=False)
    november = sick_pay_run(fund=fund, month=NOV)

    # then
    assert (claim.state, claim.paid_minor) == ("ended", 100000)
    assert november.required_minor == 0
    assert owed(fund, cast.ana) == 100000


def test_a_claim_whose_last_day_is_paid_ends(cast, fund, dee, time_machine):
    join(fund, cast.ana)
    seed(join(fund, dee), "5000.00", "dee")
    claim = ongoing(fund, cast.ana, dee, dt.date(2026, 9, 1))

    sick_claim_end(claim=claim, actor=cast.ana, ends_on=dt.date(2026, 11, 9))
    sick_pay_run(fund=fund, month=OCT)
    time_machine.move_to(DEC_1, tick=False)
    sick_pay_run(fund=fund, month=NOV)

    claim.refresh_from_db()
    # October whole, 9 of November's 30 days: 300.00
    assert (claim.state, claim.paid_minor) == ("ended", 100000 + 30000)


def test_months_a_late_claim_missed_are_paid_with_the_next_run(cast, fund, dee):
    # given Ana reports, in late November, a sickness that began on 1 August
    join(fund, cast.ana)
    seed(join(fund, dee), "5000.00", "dee")
    claim = ongoing(fund, cast.ana, dee, dt.date(2026, 8, 1))

    # when October is run
    run = sick_pay_run(fund=fund, month=OCT)

    # then 31 August (1/31), September and October are paid
    assert list(ClaimPayment.objects.order_by("month").values_list("month", "amount_minor")) == [
        (dt.date(2026, 8, 1), 3226),
        (dt.date(2026, 9, 1), 100000),
        (OCT, 100000),
    ]
    assert run.paid_minor == 203226
    claim.refresh_from_db()
    assert claim.paid_minor == 203226


def test_gifts_are_drawn_from_the_others_in_proportion_to_their_tiers(cast, fund, dee, eli):
    # given givers at tiers 1, 1 and 2 (deposits 30, 30, 60) with 1,000.00 each
    join(fund, cast.ana)
    ben = join(fund, cast.ben, tier=0)
    dee_p = join(fund, dee, tier=0)
    eli_p = join(fund, eli, tier=1)
    for giver in (ben, dee_p, eli_p):
        seed(giver, "1000.00", giver.member.email)
    ongoing(fund, cast.ana, cast.ben, dt.date(2026, 9, 1))

    sick_pay_run(fund=fund, month=OCT)

    # then 1,000.00 drawn 1:1:2
    assert [held(p) for p in (ben, dee_p, eli_p)] == [75000, 75000, 50000]
    ledger_checked()


def test_an_account_that_runs_dry_gives_all_it_has_and_the_others_the_rest(cast, fund, dee, eli):
    # given Ben holds only 100.00; Dee (tier 1) and Eli (tier 2) hold 1,000.00 each
    join(fund, cast.ana)
    ben = join(fund, cast.ben, tier=0)
    dee_p = join(fund, dee, tier=0)
    eli_p = join(fund, eli, tier=1)
    seed(ben, "100.00", "ben")
    seed(dee_p, "1000.00", "dee")
    seed(eli_p, "1000.00", "eli")
    ongoing(fund, cast.ana, cast.ben, dt.date(2026, 9, 1))

    run = sick_pay_run(fund=fund, month=OCT)

    # then Ben's share (250.00) is beyond his 100.00; the other 900.00 go 1:2
    assert not run.reduced
    assert [held(p) for p in (ben, dee_p, eli_p)] == [0, 70000, 40000]
    assert owed(fund, cast.ana) == 100000
    ledger_checked()


def test_when_the_fund_is_short_every_gift_is_reduced_by_the_same_share_and_members_are_told(
    cast, fund, dee, eli, mailoutbox, django_capture_on_commit_callbacks
):
    # given Ana (fully sick, 1,000.00) and Ben (half sick, 500.00) for October,
    # and the givers Dee and Eli holding 400.00 and 500.00: 900.00 for 1,500.00
    ana = join(fund, cast.ana)
    ben = join(fund, cast.ben)
    dee_p = join(fund, dee)
    eli_p = join(fund, eli)
    seed(ana, "1000.00", "ana")  # the sick give nothing
    seed(ben, "1000.00", "ben")
    seed(dee_p, "400.00", "dee")
    seed(eli_p, "500.00", "eli")
    ana_claim = ongoing(fund, cast.ana, dee, dt.date(2026, 9, 1), percent=100)
    ben_claim = ongoing(fund, cast.ben, dee, dt.date(2026, 9, 1), percent=50)
    mailoutbox.clear()

    # when
    with django_capture_on_commit_callbacks(execute=True):
        run = sick_pay_run(fund=fund, month=OCT)

    # then each gift is 60 % of what the rules promise, and all the givers held is paid
    assert (run.required_minor, run.available_minor, run.paid_minor) == (150000, 90000, 90000)
    assert run.reduced
    payments = ClaimPayment.objects.order_by("claim_id")
    assert [(p.claim, p.amount_minor, p.requested_minor) for p in payments] == [
        (ana_claim, 60000, 100000),
        (ben_claim, 30000, 50000),
    ]
    assert (owed(fund, cast.ana), owed(fund, cast.ben)) == (60000, 30000)
    assert [held(p) for p in (ana, ben, dee_p, eli_p)] == [100000, 100000, 0, 0]
    # every participant is told, one message each
    assert sorted(m.to[0] for m in mailoutbox) == [
        "ana@example.org",
        "ben@example.org",
        "dee@example.org",
        "eli@example.org",
    ]
    message = mailoutbox[0]
    assert message.subject == (
        "[Manila Virtual Assistants] Sick pay for October 2026 reduced to 60.0 %"
    )
    assert "every gift this month is reduced by the same share" in message.body
    assert "each member on sick leave receives 60.0 % of their gift" in message.body
    ledger_checked()


def test_a_run_paid_in_full_tells_no_one(
    cast, fund, dee, mailoutbox, django_capture_on_commit_callbacks
):
    join(fund, cast.ana)
    seed(join(fund, dee), "5000.00", "dee")
    ongoing(fund, cast.ana, dee, dt.date(2026, 9, 1))
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        sick_pay_run(fund=fund, month=OCT)

    assert mailoutbox == []


def test_a_claim_is_judged_by_the_rules_in_force_on_its_first_day(cast, fund, dee, eli):
    # given Ana's claim from 1 September under the first rules (30 days' wait, 1,000.00)
    join(fund, cast.ana)
    join(fund, cast.ben)
    seed(join(fund, dee), "5000.00", "dee")
    seed(join(fund, eli), "5000.00", "eli")
    ana_claim = ongoing(fund, cast.ana, dee, dt.date(2026, 9, 1))

    # when new rules pass, from 1 October: no wait, and 1,500.00 for tier 1
    tiers = [
        {"deposit": "30.00", "payout": "1500.00"},
        {"deposit": "60.00", "payout": "2500.00"},
        {"deposit": "90.00", "payout": "3500.00"},
    ]
    rules_passed(fund, {"waiting_days": 0, "tiers": tiers}, effective_from=OCT)
    # and Ben falls ill on 5 October, under the new rules
    ben_claim = ongoing(fund, cast.ben, dee, dt.date(2026, 10, 5))
    sick_pay_run(fund=fund, month=OCT)

    # then Ana's claim keeps the old rules: October only, 1,000.00
    ana_claim.refresh_from_db()
    ben_claim.refresh_from_db()
    assert ana_claim.rules.version == 1
    assert ben_claim.rules.version == 2
    assert list(ana_claim.payments.values_list("month", "amount_minor")) == [(OCT, 100000)]
    # and Ben's the new: 27 of 31 days of 1,500.00 = 1,306.4516... -> 1,306.45
    assert list(ben_claim.payments.values_list("month", "amount_minor")) == [(OCT, 130645)]
    ledger_checked()


def test_no_run_for_a_month_before_the_rules_took_effect(cast):
    fund = fund_active(
        cast.collective_a,
        "sick_pay",
        RULES,
        created_by=cast.ana,
        effective_from=dt.date(2026, 11, 3),
    )

    assert sick_pay_runs_due() == 0
    assert SickPayRun.objects.filter(fund=fund).count() == 0


def test_a_month_reduced_to_nothing_is_settled_at_nothing_not_paid_later(
    cast, fund, dee, time_machine
):
    # given Ana sick since September and Dee, her only giver, with nothing in her account
    join(fund, cast.ana)
    join(fund, dee)
    claim = ongoing(fund, cast.ana, dee, dt.date(2026, 9, 1))

    # when October is run: 1,000.00 required, nothing held
    run = sick_pay_run(fund=fund, month=OCT)

    # then October is settled at zero, like every gift that month
    assert (run.required_minor, run.available_minor, run.paid_minor) == (100000, 0, 0)
    assert list(ClaimPayment.objects.values_list("month", "amount_minor", "requested_minor")) == [
        (OCT, 0, 100000)
    ]
    assert ClaimPayment.objects.get().transaction is None

    # and when Dee's account fills and November is run, only November is paid
    seed(Participation.objects.get(member=dee), "5000.00", "dee")
    time_machine.move_to(DEC_1, tick=False)
    assert sick_pay_runs_due() == 1
    assert owed(fund, cast.ana) == 100000
    claim.refresh_from_db()
    assert claim.paid_minor == 100000
    ledger_checked()
