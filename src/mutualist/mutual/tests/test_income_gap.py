"""The income-gap fund: income read from the ledger, eligibility, the top-up
claim and its payout.

Today is 5 December 2026, so a claim is for November. Ben earns through
collective A (base currency PHP) by invoices of fixed work paid in full;
his part of each is 90 % (the treasury takes 10 %). The fund's rules are
the defaults unless a test says otherwise: floor 600.00, cap 300.00, three
top-ups a year, three months of membership, one peer's approval.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from mutualist.billing.accounts import member_account
from mutualist.core.errors import Conflict, PermissionDenied, ValidationFailed
from mutualist.core.money import Money
from mutualist.ledger.models import Transaction
from mutualist.ledger.services import Line, exchange_rate_set, transaction_post
from mutualist.mutual.accounts import pool_account
from mutualist.mutual.models import Claim, ClaimPayment, Fund
from mutualist.mutual.services.claims import claim_approve, claim_reject
from mutualist.mutual.services.income_gap import (
    claim_period,
    income_gap_claim_submit,
    income_gap_eligibility,
    platform_income,
)
from mutualist.mutual.services.savings import savings_withdraw
from mutualist.mutual.tests.helpers import fund_active, snapshot
from mutualist.mutual.tests.test_income_gap_helpers import (
    client_paying_in,
    fill,
    joined_on,
    minor,
    paid_work,
)
from mutualist.testing import Cast, ledger_checked

pytestmark = pytest.mark.django_db

TODAY = dt.datetime(2026, 12, 5, 9, 0, tzinfo=dt.UTC)
NOVEMBER = dt.date(2026, 11, 1)
LONG_AGO = dt.date(2025, 1, 1)


def php(amount: str) -> Money:
    return Money(amount, "PHP")


@pytest.fixture(autouse=True)
def _today(time_machine: Any) -> None:
    time_machine.move_to(TODAY, tick=False)


@pytest.fixture
def gap(cast: Cast) -> Fund:
    """The income-gap fund, default rules; Ben a member since January 2025."""
    joined_on(cast.collective_a, cast.ben, LONG_AGO)
    return fund_active(cast.collective_a, "income_gap", created_by=cast.ana)


@pytest.fixture
def peso(cast: Cast) -> Any:
    return client_paying_in(cast.collective_a, "PHP", created_by=cast.ana)


@pytest.fixture
def aussie(cast: Cast) -> Any:
    return client_paying_in(cast.collective_a, "AUD", created_by=cast.ana)


def submit(fund: Fund, member: Any, period: dt.date = NOVEMBER) -> Claim:
    return income_gap_claim_submit(fund=fund, claimant=member, period=period, reason="Quiet month")


# --- Income from the ledger --------------------------------------------------------------------


def test_income_is_the_members_parts_of_client_payments_received_in_the_month(
    cast: Cast, gap: Fund, peso: Any
) -> None:
    # given payments on the last day of October, the first and last of
    # November, the first of December, and one for Ana's work in November
    paid_work(peso, cast.ben, "300.00", on=dt.date(2026, 10, 31), key="oct")
    paid_work(peso, cast.ben, "200.00", on=dt.date(2026, 11, 1), key="nov-1")
    paid_work(peso, cast.ben, "100.00", on=dt.date(2026, 11, 30), key="nov-30")
    paid_work(peso, cast.ana, "1000.00", on=dt.date(2026, 11, 15), key="ana")
    paid_work(peso, cast.ben, "50.00", on=dt.date(2026, 12, 1), key="dec")

    # when Ben's November income is read (any day of the month names it)
    income = platform_income(
        collective=cast.collective_a, member=cast.ben, month=dt.date(2026, 11, 17), currency="PHP"
    )

    # then it is his parts of the two November payments: 180.00 + 90.00
    assert income.month == NOVEMBER
    assert income.total == php("270.00")
    assert income.by_currency == {"PHP": php("270.00")}
    assert income.missing_rates == []
    assert income.complete


def test_income_in_two_currencies_is_converted_at_the_rate_of_the_months_last_day(
    cast: Cast, gap: Fund, peso: Any, aussie: Any
) -> None:
    # given 180.00 PHP and 4.50 AUD earned in November, and two AUD/PHP rates
    paid_work(peso, cast.ben, "200.00", on=dt.date(2026, 11, 3), key="php")
    paid_work(aussie, cast.ben, "5.00", on=dt.date(2026, 11, 20), key="aud")
    for day, rate in ((dt.date(2026, 11, 20), "40.00"), (dt.date(2026, 11, 30), "38.50")):
        exchange_rate_set(
            collective=cast.collective_a, actor=cast.ana, base="AUD", quote="PHP", rate=rate, on=day
        )

    # when the income is read in the fund's currency
    income = platform_income(
        collective=cast.collective_a, member=cast.ben, month=NOVEMBER, currency="PHP"
    )

    # then the AUD is converted once at the 30 November rate: 4.50 x 38.50 = 173.25
    assert income.by_currency == {"AUD": Money("4.50", "AUD"), "PHP": php("180.00")}
    assert income.total == php("353.25")
    assert income.missing_rates == []
    assert income.rates["AUD"][0] == Decimal("38.5")

    # and the top-up brings him to the floor: 600.00 - 353.25
    eligibility = income_gap_eligibility(
        fund=gap, member=cast.ben, period=NOVEMBER, on=TODAY.date()
    )
    assert (eligibility.eligible, eligibility.reasons) == (True, [])
    assert eligibility.top_up == php("246.75")
    claim = submit(gap, cast.ben)
    assert (claim.amount_minor, claim.currency, claim.period) == (24675, "PHP", NOVEMBER)
    assert (claim.state, claim.approval, claim.claim_date) == ("submitted", "peers", TODAY.date())


def test_income_in_a_currency_without_a_rate_refuses_the_claim_and_asks_for_one(
    cast: Cast, gap: Fund, peso: Any, aussie: Any
) -> None:
    # given AUD earned in November and only a rate from more than a week before its end
    paid_work(peso, cast.ben, "200.00", on=dt.date(2026, 11, 3), key="php")
    paid_work(aussie, cast.ben, "5.00", on=dt.date(2026, 11, 20), key="aud")
    exchange_rate_set(
        collective=cast.collective_a,
        actor=cast.ana,
        base="AUD",
        quote="PHP",
        rate="38.50",
        on=dt.date(2026, 11, 20),
    )

    income = platform_income(
        collective=cast.collective_a, member=cast.ben, month=NOVEMBER, currency="PHP"
    )
    assert income.missing_rates == ["AUD"]
    assert not income.complete
    assert income.total == php("180.00")  # what is known, never a guess

    eligibility = income_gap_eligibility(
        fund=gap, member=cast.ben, period=NOVEMBER, on=TODAY.date()
    )
    assert eligibility.codes == ["missing_rate"]
    assert eligibility.top_up == php("0")
    assert "ask a coordinator to record one" in eligibility.reasons[0].message

    # when Ben claims, then he is refused and nothing changes
    before = snapshot()
    with pytest.raises(Conflict) as refused:
        submit(gap, cast.ben)
    assert (refused.value.code, refused.value.field) == ("not_eligible", "period")
    assert "AUD/PHP rate for 2026-11-30" in refused.value.message
    assert snapshot() == before

    # and once a coordinator records the month-end rate, the claim goes through
    exchange_rate_set(
        collective=cast.collective_a,
        actor=cast.ana,
        base="AUD",
        quote="PHP",
        rate="38.50",
        on=dt.date(2026, 11, 30),
    )
    assert submit(gap, cast.ben).amount_minor == 24675


def test_fund_payouts_count_as_income_but_top_ups_and_savings_taken_back_do_not(
    cast: Cast, gap: Fund, peso: Any, time_machine: Any
) -> None:
    collective = cast.collective_a
    ben_payable = member_account(collective, cast.ben, "PHP")
    fill(gap, "1000.00", on=dt.date(2026, 10, 1), key="gap")
    savings = fund_active(collective, "savings", created_by=cast.ana)
    # given a sick-pay gift of 100.00 to Ben on 15 November ...
    sick = fund_active(collective, "sick_pay", created_by=cast.ana)
    sick_claim = Claim.objects.create(
        fund=sick,
        collective=collective,
        claimant=cast.ben,
        rules=sick.rule_versions.get(),
        approval="peers",
        state="ongoing",
        claim_date=dt.date(2026, 10, 1),
        currency="PHP",
        starts_on=dt.date(2026, 10, 1),
        percent=100,
    )
    sick_pool = fill(sick, "500.00", on=dt.date(2026, 10, 1), key="sick")
    transaction_post(
        lines=[Line(sick_pool, php("100.00")), Line(ben_payable, php("-100.00"))],
        memo="Sick-pay gift",
        occurred_at=dt.date(2026, 11, 15),
        idempotency_key="test:gift",
        kind="fund_payout",
        cause=sick_claim,
    )
    # ... a top-up for October paid on 5 November ...
    time_machine.move_to(dt.datetime(2026, 11, 5, 9, tzinfo=dt.UTC), tick=False)
    october = submit(gap, cast.ben, dt.date(2026, 10, 1))
    assert claim_approve(claim=october, approver=cast.ana).state == "paid"
    # ... 100.00 of work paid on 10 November, of which 4.50 saved ...
    time_machine.move_to(dt.datetime(2026, 11, 10, 9, tzinfo=dt.UTC), tick=False)
    paid_work(peso, cast.ben, "100.00", on=dt.date(2026, 11, 10), key="work")
    # ... and those savings taken back on 12 November
    time_machine.move_to(dt.datetime(2026, 11, 12, 9, tzinfo=dt.UTC), tick=False)
    assert savings_withdraw(fund=savings, member=cast.ben, amount=php("4.50")).state == "paid"
    time_machine.move_to(TODAY, tick=False)
    assert Transaction.objects.filter(kind="fund_payout").count() == 3

    # when his November income is read
    income = platform_income(collective=collective, member=cast.ben, month=NOVEMBER, currency="PHP")

    # then it is the gift and his whole part of the payment (the saved
    # share included): 100.00 + 85.50 + 4.50; not the top-up, not the savings
    assert income.total == php("190.00")
    assert income.by_currency == {"PHP": php("190.00")}
    ledger_checked()


# --- Eligibility -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "period",
    [dt.date(2026, 10, 1), dt.date(2026, 12, 1), dt.date(2026, 11, 15), dt.date(2025, 11, 1)],
)
def test_a_top_up_is_claimed_for_last_month_only(cast: Cast, gap: Fund, period: dt.date) -> None:
    eligibility = income_gap_eligibility(fund=gap, member=cast.ben, period=period, on=TODAY.date())
    assert eligibility.codes == ["invalid_period"]
    assert not eligibility.eligible
    assert "November 2026" in eligibility.reasons[0].message

    before = snapshot()
    with pytest.raises(ValidationFailed) as refused:
        submit(gap, cast.ben, period)
    assert (refused.value.code, refused.value.field) == ("invalid_period", "period")
    assert snapshot() == before


def test_last_month_is_the_month_before_the_claim_date() -> None:
    assert claim_period(dt.date(2026, 12, 5)) == dt.date(2026, 11, 1)
    assert claim_period(dt.date(2027, 1, 1)) == dt.date(2026, 12, 1)
    assert claim_period(dt.date(2026, 3, 31)) == dt.date(2026, 2, 1)


@pytest.mark.parametrize(
    ("joined", "codes"),
    [
        (dt.date(2026, 8, 1), []),  # three months by 1 November: just enough
        (dt.date(2026, 8, 2), ["too_new"]),
        (dt.date(2026, 11, 20), ["too_new"]),
    ],
)
def test_a_member_claims_only_after_the_months_the_rules_ask(
    cast: Cast, gap: Fund, joined: dt.date, codes: list[str]
) -> None:
    joined_on(cast.collective_a, cast.ben, joined)
    eligibility = income_gap_eligibility(
        fund=gap, member=cast.ben, period=NOVEMBER, on=TODAY.date()
    )
    assert eligibility.codes == codes
    if codes:
        assert "at least 3 months" in eligibility.reasons[0].message
        before = snapshot()
        with pytest.raises(Conflict) as refused:
            submit(gap, cast.ben)
        assert refused.value.code == "not_eligible"
        assert "joined on" in refused.value.message
        assert snapshot() == before


def test_income_at_the_floor_is_no_gap(cast: Cast, gap: Fund, peso: Any) -> None:
    # given Ben's part of November's payment is exactly the floor (666.67 less 66.67)
    paid_work(peso, cast.ben, "666.67", on=dt.date(2026, 11, 9), key="floor")

    eligibility = income_gap_eligibility(
        fund=gap, member=cast.ben, period=NOVEMBER, on=TODAY.date()
    )

    assert eligibility.income is not None and eligibility.income.total == php("600.00")
    assert eligibility.codes == ["income_above_floor"]
    assert eligibility.top_up == php("0")
    before = snapshot()
    with pytest.raises(Conflict) as refused:
        submit(gap, cast.ben)
    assert refused.value.code == "not_eligible"
    assert "600.00 PHP, not below the floor of 600.00 PHP" in refused.value.message
    assert snapshot() == before


def test_every_reason_is_named_at_once(cast: Cast, gap: Fund, peso: Any) -> None:
    joined_on(cast.collective_a, cast.ben, dt.date(2026, 10, 1))
    paid_work(peso, cast.ben, "1000.00", on=dt.date(2026, 10, 9), key="oct")

    eligibility = income_gap_eligibility(
        fund=gap, member=cast.ben, period=dt.date(2026, 10, 1), on=TODAY.date()
    )

    assert eligibility.codes == ["invalid_period", "too_new", "income_above_floor"]


def test_an_outsider_cannot_claim(cast: Cast, gap: Fund) -> None:
    eligibility = income_gap_eligibility(
        fund=gap, member=cast.olga, period=NOVEMBER, on=TODAY.date()
    )
    assert eligibility.codes == ["not_a_member"]

    for outsider in (cast.olga, cast.carla):
        before = snapshot()
        with pytest.raises(PermissionDenied) as refused:
            submit(gap, outsider)
        assert refused.value.code == "not_a_member"
        assert snapshot() == before


def test_a_fund_without_rules_in_force_judges_nothing(cast: Cast) -> None:
    fund = Fund.objects.create(
        collective=cast.collective_a, kind="income_gap", currency="PHP", created_by=cast.ana
    )
    eligibility = income_gap_eligibility(
        fund=fund, member=cast.ben, period=NOVEMBER, on=TODAY.date()
    )
    assert (eligibility.eligible, eligibility.codes, eligibility.income) == (
        False,
        ["no_rules"],
        None,
    )

    before = snapshot()
    with pytest.raises(Conflict) as refused:
        submit(fund, cast.ben)
    assert refused.value.code == "fund_not_active"
    assert snapshot() == before


def test_top_ups_are_claimed_from_the_income_gap_fund_only(cast: Cast, gap: Fund) -> None:
    savings = fund_active(cast.collective_a, "savings", created_by=cast.ana)
    before = snapshot()
    with pytest.raises(ValidationFailed) as refused:
        submit(savings, cast.ben)
    assert (refused.value.code, refused.value.field) == ("wrong_fund", "fund")
    assert snapshot() == before


# --- The top-up ----------------------------------------------------------------------------------


def test_a_month_without_income_is_topped_up_by_the_cap(cast: Cast, gap: Fund) -> None:
    eligibility = income_gap_eligibility(
        fund=gap, member=cast.ben, period=NOVEMBER, on=TODAY.date()
    )
    assert eligibility.income is not None and eligibility.income.total == php("0")
    assert eligibility.top_up == php("300.00")  # not 600.00: the cap
    assert submit(gap, cast.ben).amount_minor == 30000


def test_the_cap_of_the_rules_in_force_on_the_claim_date_applies(
    cast: Cast, gap: Fund, peso: Any
) -> None:
    from mutualist.mutual.tests.helpers import rules_passed

    # given 180.00 earned, and a cap lowered to 100.00 from 1 December
    paid_work(peso, cast.ben, "200.00", on=dt.date(2026, 11, 3), key="php")
    rules_passed(gap, {"cap": "100.00"}, effective_from=dt.date(2026, 12, 1))

    claim = submit(gap, cast.ben)

    # then 420.00 short of the floor, topped up by 100.00, judged by version 2
    assert claim.amount_minor == 10000
    assert claim.rules.version == 2


def test_the_payout_reaches_the_members_payable(cast: Cast, gap: Fund, peso: Any) -> None:
    # given 180.00 earned in November: 420.00 short, so a top-up of 300.00 (the cap)
    paid_work(peso, cast.ben, "200.00", on=dt.date(2026, 11, 3), key="php")
    pool = fill(gap, "1000.00", on=dt.date(2026, 11, 1), key="pool")
    payable = member_account(cast.collective_a, cast.ben, "PHP")
    assert minor(payable) == 18000
    claim = submit(gap, cast.ben)
    assert claim.amount_minor == 30000
    assert minor(pool) == 100000  # nothing moves before approval

    # when a peer approves it
    approved = claim_approve(claim=claim, approver=cast.ana)

    # then it is paid at once, from the pool into Ben's payable
    assert (approved.state, approved.paid_minor, approved.reserved_minor) == ("paid", 30000, 0)
    assert minor(pool) == 70000
    assert minor(payable) == 48000
    payment = ClaimPayment.objects.get(claim=claim)
    assert (payment.amount_minor, payment.currency) == (30000, "PHP")
    assert payment.transaction is not None
    assert payment.transaction.kind == "fund_payout"
    assert payment.transaction.cause == claim
    assert pool_account(cast.collective_a, "income_gap", "PHP") == pool
    ledger_checked()


def test_claiming_twice_for_the_same_month_is_refused(cast: Cast, gap: Fund) -> None:
    submit(gap, cast.ben)

    before = snapshot()
    with pytest.raises(Conflict) as refused:
        submit(gap, cast.ben)

    assert (refused.value.code, refused.value.field) == ("claim_exists", "period")
    assert "claiming twice for the same period" in refused.value.message
    assert snapshot() == before


def test_a_paid_top_up_cannot_be_claimed_again(cast: Cast, gap: Fund) -> None:
    fill(gap, "1000.00", on=dt.date(2026, 11, 1), key="pool")
    claim_approve(claim=submit(gap, cast.ben), approver=cast.ana)

    before = snapshot()
    with pytest.raises(Conflict) as refused:
        submit(gap, cast.ben)
    assert refused.value.code == "claim_exists"
    assert snapshot() == before


def test_a_rejected_claim_may_be_made_again(cast: Cast, gap: Fund) -> None:
    first = submit(gap, cast.ben)
    claim_reject(claim=first, approver=cast.ana, note="Please add what happened")

    again = submit(gap, cast.ben)

    assert again.pk != first.pk
    assert (again.state, again.amount_minor) == ("submitted", 30000)


def test_the_database_refuses_a_second_live_claim_for_one_month(cast: Cast, gap: Fund) -> None:
    from django.db import IntegrityError, transaction

    claim = submit(gap, cast.ben)
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.create(
            fund=gap,
            collective=gap.collective,
            claimant=cast.ben,
            rules=claim.rules,
            approval="peers",
            claim_date=TODAY.date(),
            amount_minor=100,
            currency="PHP",
            period=NOVEMBER,
        )


def test_a_third_top_up_in_twelve_months_is_refused(
    cast: Cast, peso: Any, time_machine: Any
) -> None:
    # given a fund allowing two top-ups a year, and Ben topped up for
    # September (claimed in October) and October (claimed in November)
    joined_on(cast.collective_a, cast.ben, LONG_AGO)
    fund = fund_active(
        cast.collective_a, "income_gap", {"max_months_per_year": 2}, created_by=cast.ana
    )
    fill(fund, "1000.00", on=dt.date(2026, 9, 1), key="pool")
    for month in (10, 11):
        time_machine.move_to(dt.datetime(2026, month, 5, 9, tzinfo=dt.UTC), tick=False)
        claim = submit(fund, cast.ben, dt.date(2026, month - 1, 1))
        assert claim_approve(claim=claim, approver=cast.ana).state == "paid"
    time_machine.move_to(TODAY, tick=False)

    # when he claims for November
    eligibility = income_gap_eligibility(
        fund=fund, member=cast.ben, period=NOVEMBER, on=TODAY.date()
    )
    assert eligibility.codes == ["too_many_top_ups"]
    before = snapshot()
    with pytest.raises(Conflict) as refused:
        submit(fund, cast.ben)

    # then he is refused, and nothing changes
    assert refused.value.code == "not_eligible"
    assert "At most 2 top-ups in twelve months; you have claimed 2" in refused.value.message
    assert snapshot() == before


def test_top_ups_older_than_twelve_months_no_longer_count(cast: Cast, gap: Fund) -> None:
    # given top-ups for November 2025 to January 2026 (three: the most a year)
    first_rules = gap.rule_versions.get()
    for year, month in ((2025, 11), (2025, 12), (2026, 1)):
        Claim.objects.create(
            fund=gap,
            collective=gap.collective,
            claimant=cast.ben,
            rules=first_rules,
            approval="peers",
            state="paid",
            claim_date=dt.date(year, month, 5),
            amount_minor=100,
            paid_minor=100,
            currency="PHP",
            period=dt.date(year, month, 1),
        )
    # then claiming for October 2026, all three are in the twelve months it ends
    assert income_gap_eligibility(
        fund=gap, member=cast.ben, period=dt.date(2026, 10, 1), on=dt.date(2026, 11, 5)
    ).codes == ["too_many_top_ups"]
    # and claiming for November 2026, November 2025 has left them
    assert income_gap_eligibility(
        fund=gap, member=cast.ben, period=NOVEMBER, on=TODAY.date()
    ).eligible
