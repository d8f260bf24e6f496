"""A fund's solvency report: the engine's model built from the fund's rows
(tiers and members, what the accounts hold, the history of sick periods and
of late invoices, the levy and the payout's share), the run stored once a
day per set of inputs and read back, and the kinds not simulated.

Paths are kept low (``MUTUAL_SOLVENCY_PATHS = 300``): the figures are the
engine's, tested in ``engines/solvency/tests``; here they are checked to be
the engine's own answer for the model and the digest's seed."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from decimal import ROUND_CEILING, Decimal
from typing import Any

import pytest
from django.db import connection

from mutualist.billing.models import Invoice
from mutualist.collectives.models import SplitShare
from mutualist.collectives.selectors import bylaws_in_force
from mutualist.core.money import Money
from mutualist.core.tick import autodiscover, job_get
from mutualist.engines.solvency.calibrate import (
    Estimate,
    GuaranteeHistory,
    SickPayHistory,
    calibrate_sick_pay,
)
from mutualist.engines.solvency.fund import GuaranteeModel, SickPayModel, simulate_fund
from mutualist.engines.solvency.recommend import recommend_contribution
from mutualist.governance.services import proposal_withdraw
from mutualist.ledger.models import ExchangeRate
from mutualist.members.models import User
from mutualist.mutual.models import (
    Claim,
    ClientAgreement,
    Fund,
    FundRules,
    Participation,
    SolvencyRun,
)
from mutualist.mutual.rules import GuaranteeRules, rules_clean, rules_for
from mutualist.mutual.services import solvency as service
from mutualist.mutual.services.funds import fund_rules_propose
from mutualist.mutual.services.solvency import (
    HORIZONS,
    KEEP_DAYS,
    NOBODY_YET,
    NOT_MODELLED,
    UNWORKABLE,
    MembershipFlows,
    guarantee_history,
    rules_now,
    seed_of,
    sick_pay_history,
    solvency_drafts_forget,
    solvency_for_fund,
    solvency_for_proposal,
    solvency_for_rules,
    solvency_model,
    solvency_report_json,
    solvency_runs_prune,
)
from mutualist.mutual.tests.helpers import NOW, add_member, fund_active
from mutualist.mutual.tests.sick_pay_helpers import RULES, join, seed, sick_fund
from mutualist.testing import Cast, Work, billing_issued, billing_pay, race

pytestmark = pytest.mark.django_db

TODAY = NOW.date()
DAYS_PER_MONTH = 365.25 / 12


@pytest.fixture(autouse=True)
def _now(time_machine: Any, settings: Any) -> Iterator[None]:
    time_machine.move_to(NOW, tick=False)
    settings.MUTUAL_SOLVENCY_PATHS = 300
    solvency_drafts_forget()
    yield
    solvency_drafts_forget()


@pytest.fixture
def fund(cast: Cast) -> Fund:
    return sick_fund(cast.collective_a, cast.ana)


def sick_claim(
    fund: Fund,
    member: User,
    starts_on: dt.date,
    *,
    ends_on: dt.date | None = None,
    state: str = "ended",
    percent: int = 100,
) -> Claim:
    """A sick claim as the claims services leave it, written straight to
    the table (those services are tested on their own)."""
    return Claim.objects.create(
        fund=fund,
        collective=fund.collective,
        claimant=member,
        rules=FundRules.objects.get(fund=fund),
        state=state,
        approval="peers",
        approvals_needed=1,
        claim_date=starts_on,
        currency=fund.currency,
        starts_on=starts_on,
        ends_on=ends_on,
        percent=percent,
    )


def months(first: dt.date, last: dt.date) -> float:
    return round(((last - first).days + 1) / DAYS_PER_MONTH, 4)


# --- Sick pay: the model ------------------------------------------------------------------


def test_it_counts_the_members_per_tier_and_takes_the_rest_from_the_rules(cast, fund):
    # Given Ana and Cleo in tier 1, Ben in tier 3, and Dan who left
    cleo = add_member(cast.collective_a, "cleo@example.org", "Cleo")
    dan = add_member(cast.collective_a, "dan@example.org", "Dan")
    join(fund, cast.ana, 0)
    join(fund, cleo, 0)
    join(fund, cast.ben, 2)
    Participation.objects.create(
        fund=fund,
        member=dan,
        tier=1,
        joined_on=dt.date(2026, 1, 1),
        state="left",
        left_on=dt.date(2026, 7, 1),
    )

    # When the model is built
    built = solvency_model(fund=fund, rules=rules_now(fund=fund, today=TODAY), today=TODAY)

    # Then it has the active members per tier and the rules' figures
    model = built.model
    assert isinstance(model, SickPayModel)
    assert model.tier_members == (2, 0, 1)
    assert model.tier_deposits == (30.0, 60.0, 90.0)
    assert model.tier_payouts == (1000.0, 2000.0, 3000.0)
    assert (model.waiting_days, model.max_months, model.buffer_multiple) == (30, 24, 36)
    assert (model.refund_month, model.max_members, model.start_month) == (1, 50, 12)
    assert model.partial_payouts is True
    assert built.first_month == dt.date(2026, 12, 1)
    assert built.reason == ""


def test_it_starts_from_what_the_members_accounts_hold(cast, fund):
    # Given two members' accounts holding 100.00 and 250.50
    seed(join(fund, cast.ana, 0), "100.00", "ana")
    seed(join(fund, cast.ben, 1), "250.50", "ben")

    built = solvency_model(fund=fund, rules=rules_now(fund=fund, today=TODAY), today=TODAY)

    assert isinstance(built.model, SickPayModel)
    assert built.model.initial_balance == 350.5
    assert built.start_balance == Money("350.50", "PHP")
    assert ("Money in the fund at the start", "₱350.50", "the ledger") in [
        (a.label, a.value, a.source) for a in built.assumptions
    ]


def test_it_reads_the_exact_sick_pay_history_of_the_last_36_months(cast, fund):
    # Given Ana, Ben and Dan in since January (Dan left on 1 July), Cleo since 15 March
    cleo = add_member(cast.collective_a, "cleo@example.org", "Cleo")
    dan = add_member(cast.collective_a, "dan@example.org", "Dan")
    join(fund, cast.ana)
    join(fund, cast.ben)
    join(fund, cleo, joined_on=dt.date(2026, 3, 15))
    Participation.objects.create(
        fund=fund,
        member=dan,
        tier=0,
        joined_on=dt.date(2026, 1, 1),
        state="left",
        left_on=dt.date(2026, 7, 1),
    )
    # Ben sick from 10 March to 20 May; Ana half sick since 20 September;
    # Cleo's claim was rejected: no sick period
    sick_claim(fund, cast.ben, dt.date(2026, 3, 10), ends_on=dt.date(2026, 5, 20))
    sick_claim(fund, cast.ana, dt.date(2026, 9, 20), state="ongoing", percent=50)
    sick_claim(fund, cleo, dt.date(2026, 6, 2), state="rejected")

    # When the history is read on 27 November
    history, flows = sick_pay_history(fund=fund, today=TODAY)

    # Then January to October count: Ana 10, Ben 10, Cleo 8 (from March),
    # Dan 6 (to June), less the months they were sick from the first day to
    # the last: Ben's April and Ana's October (Ben was well again from 21 May,
    # so May counts)
    assert history == SickPayHistory(
        member_months=10 + 10 + 8 + 6 - 2,
        sick_periods=2,
        durations=(months(dt.date(2026, 3, 10), dt.date(2026, 5, 20)),),
        ongoing=(months(dt.date(2026, 9, 20), TODAY),),
        half_periods=1,
    )
    assert history.durations == (2.3655,)
    # Cleo joined after the founders' month; Dan left; February to October observed
    assert flows == MembershipFlows(joins=1, leaves=1, months=9)


def test_a_period_that_reached_its_longest_duration_ends_on_its_last_paid_day(cast, fund):
    # Given Ben's claim ended by the run after 24 months of gifts (no end told)
    join(fund, cast.ben, joined_on=dt.date(2024, 1, 1))
    sick_claim(fund, cast.ben, dt.date(2024, 2, 1))

    history, _ = sick_pay_history(fund=fund, today=TODAY)

    # Then the period lasted from 1 February 2024 to its last paid day: paid
    # from 2 March 2024 (after 30 waiting days) for 24 months
    assert history.durations == (months(dt.date(2024, 2, 1), dt.date(2026, 3, 1)),)
    assert history.ongoing == ()


def test_the_history_leaves_out_periods_before_the_window(cast, fund):
    join(fund, cast.ben, joined_on=dt.date(2022, 1, 1))
    sick_claim(fund, cast.ben, dt.date(2023, 6, 1), ends_on=dt.date(2023, 8, 1))

    history, flows = sick_pay_history(fund=fund, today=TODAY)

    # Then November 2023 to October 2026: 36 months, nobody sick in them
    assert (history.member_months, history.sick_periods, history.durations) == (36, 0, ())
    assert flows == MembershipFlows(joins=0, leaves=0, months=36)


def test_two_periods_in_one_month_are_one_onset_and_the_month_is_at_risk(cast, fund):
    # Given Ana and Ben in since 1 October: Ana sick 2-5 October and again
    # 20-24 October, Ben sick since 10 October
    join(fund, cast.ana, joined_on=dt.date(2026, 10, 1))
    join(fund, cast.ben, joined_on=dt.date(2026, 10, 1))
    sick_claim(fund, cast.ana, dt.date(2026, 10, 2), ends_on=dt.date(2026, 10, 5))
    sick_claim(fund, cast.ana, dt.date(2026, 10, 20), ends_on=dt.date(2026, 10, 24))
    sick_claim(fund, cast.ben, dt.date(2026, 10, 10), state="ongoing")

    # When the history is read
    history, _ = sick_pay_history(fund=fund, today=TODAY)

    # Then October is a member-month at risk for each (both were well on some
    # day of it), Ana's two periods are one onset for the rate, and every
    # period's length is kept
    assert history == SickPayHistory(
        member_months=2,
        sick_periods=2,
        durations=(
            months(dt.date(2026, 10, 2), dt.date(2026, 10, 5)),
            months(dt.date(2026, 10, 20), dt.date(2026, 10, 24)),
        ),
        ongoing=(months(dt.date(2026, 10, 10), TODAY),),
        half_periods=0,
    )
    # and the engine takes it: the report is worked out
    report = solvency_for_fund(fund=fund)
    assert (report.modelled, report.reason) == (True, "")


def test_a_relapse_in_a_month_that_began_sick_counts_that_month(cast, fund):
    # Given Ben, in since January: sick 10 September to 5 October, and again
    # from 20 October (at 50 %) to 10 November
    join(fund, cast.ben)
    sick_claim(fund, cast.ben, dt.date(2026, 9, 10), ends_on=dt.date(2026, 10, 5))
    sick_claim(fund, cast.ben, dt.date(2026, 10, 20), ends_on=dt.date(2026, 11, 10), percent=50)

    history, _ = sick_pay_history(fund=fund, today=TODAY)

    # Then January to October are all at risk (October began sick, but he was
    # well from 6 to 19 October) and both periods are onsets, one at 50 %
    assert (history.member_months, history.sick_periods, history.half_periods) == (10, 2, 1)
    assert history.durations == (
        months(dt.date(2026, 9, 10), dt.date(2026, 10, 5)),
        months(dt.date(2026, 10, 20), dt.date(2026, 11, 10)),
    )


def test_a_month_sick_from_first_day_to_last_is_not_at_risk_and_a_period_in_it_adds_no_onset(
    cast, fund
):
    # Given Ben, in since January, sick all of July and August (a period from
    # 30 June), and a second claim begun on 5 August while still sick
    join(fund, cast.ben)
    sick_claim(fund, cast.ben, dt.date(2026, 6, 30), ends_on=dt.date(2026, 8, 31))
    sick_claim(fund, cast.ben, dt.date(2026, 8, 5), ends_on=dt.date(2026, 8, 20))

    history, _ = sick_pay_history(fund=fund, today=TODAY)

    # Then July and August are not at risk, and only June's onset counts
    assert (history.member_months, history.sick_periods) == (8, 1)
    assert len(history.durations) == 2


def test_joins_and_leaves_become_monthly_rates(cast, fund):
    cleo = add_member(cast.collective_a, "cleo@example.org", "Cleo")
    dan = add_member(cast.collective_a, "dan@example.org", "Dan")
    join(fund, cast.ana)
    join(fund, cleo, joined_on=dt.date(2026, 3, 15))
    Participation.objects.create(
        fund=fund,
        member=dan,
        tier=0,
        joined_on=dt.date(2026, 1, 1),
        state="left",
        left_on=dt.date(2026, 7, 1),
    )

    built = solvency_model(fund=fund, rules=rules_now(fund=fund, today=TODAY), today=TODAY)

    assert isinstance(built.model, SickPayModel)
    # 10 + 8 + 6 member-months, one leaver; one join in 9 months after the founders'
    assert built.model.leave_rate == 1 / 24
    assert built.model.joins_per_month == 1 / 9


# --- Payment guarantee: the model ---------------------------------------------------------


def invoice(
    work: Work,
    number: int,
    due: dt.date,
    net: str,
    *,
    status: str = "issued",
    paid_on: dt.date | None = None,
    currency: str = "PHP",
    collective: Any = None,
    client: Any = None,
) -> Invoice:
    """An issued invoice written straight to the table (billing's services
    are tested on their own); ``paid_on`` marks it paid that day. Harbour's
    unless ``client``."""
    minor = Money(net, currency).minor_units
    return Invoice.objects.create(
        collective=collective or work.cast.collective_a,
        client=client or work.harbour,
        status=status,
        currency=currency,
        number=f"A-{number}",
        series="A",
        seq=number,
        issue_date=due - dt.timedelta(days=30),
        due_date=due,
        subtotal_minor=minor,
        total_minor=minor,
        paid_minor=minor if paid_on else 0,
        paid_at=dt.datetime.combine(paid_on, dt.time(12), tzinfo=dt.UTC) if paid_on else None,
        created_by=work.cast.ana,
    )


@pytest.fixture
def guarantee(cast: Cast) -> Fund:
    return fund_active(cast.collective_a, "guarantee", {"write_off_days": 180}, created_by=cast.ana)


def typed(fund: Fund) -> GuaranteeRules:
    rules = rules_for(fund.kind, FundRules.objects.get(fund=fund).rules)
    assert isinstance(rules, GuaranteeRules)
    return rules


def test_it_reads_which_invoices_were_late_and_never_paid(cast, work, guarantee):
    # Given invoices that fell due in the 24 months before 28 October
    invoice(work, 1, dt.date(2026, 1, 10), "1000.00", status="paid", paid_on=dt.date(2026, 1, 20))
    invoice(work, 2, dt.date(2026, 3, 1), "2000.00", status="paid", paid_on=dt.date(2026, 5, 15))
    invoice(work, 3, dt.date(2026, 2, 1), "500.00")  # unpaid for 299 days: never
    invoice(work, 4, dt.date(2026, 9, 1), "800.00")  # unpaid for 87 days: late
    # and some that do not count: due too recently, credited in full, a draft,
    # and one in a currency with no rate on record
    invoice(work, 5, dt.date(2026, 11, 1), "900.00")
    invoice(work, 6, dt.date(2026, 4, 1), "700.00", status="void")
    Invoice.objects.create(
        collective=cast.collective_a,
        client=work.harbour,
        currency="PHP",
        due_date=dt.date(2026, 4, 1),
        subtotal_minor=100,
        total_minor=100,
        created_by=cast.ana,
    )
    invoice(
        work,
        7,
        dt.date(2026, 6, 1),
        "300.00",
        status="paid",
        paid_on=dt.date(2026, 6, 2),
        currency="USD",
    )

    figures = guarantee_history(fund=guarantee, rules=typed(guarantee), today=TODAY)

    # Then the window runs from January, when the first invoice fell due, to
    # 28 October: 300 days, 10 months; invoice 4 is late and still open,
    # overdue for 87 days so far (censored), invoice 3 was never paid
    assert figures.history == GuaranteeHistory(
        months=10,
        invoice_amounts=(1000.0, 500.0, 2000.0, 800.0),
        late=3,
        delays=(round(75 / DAYS_PER_MONTH, 4),),
        never=1,
        outstanding=(round(87 / DAYS_PER_MONTH, 4),),
    )
    assert figures.left_out == ("USD",)
    # No client has signed the agreement: every invoice counts as covered
    assert (figures.signed_clients, figures.covered_invoices) == (0, 4)


def test_a_late_payment_in_another_currency_counts_at_the_rate_on_record(
    cast, billed, guarantee, time_machine
):
    # Given Harbour's invoice of 350.00 AUD net issued on 8 December, due 7 January
    time_machine.move_to(dt.datetime(2026, 12, 8, 12, tzinfo=dt.UTC), tick=False)
    issued = billing_issued(billed)
    assert (issued.subtotal_minor, issued.due_date) == (35_000, dt.date(2027, 1, 7))
    # paid on 20 March (recorded on 1 April), and a rate of 38.50 PHP an AUD on record
    time_machine.move_to(dt.datetime(2027, 4, 1, 9, tzinfo=dt.UTC), tick=False)
    billing_pay(issued, "385.00 AUD", "late", received_on=dt.date(2027, 3, 20))
    ExchangeRate.objects.create(
        base="AUD",
        quote="PHP",
        rate=Decimal("38.5"),
        on=dt.date(2027, 3, 30),
        source="manual",
        collective=cast.collective_a,
        entered_by=cast.ana,
    )

    figures = guarantee_history(fund=guarantee, rules=typed(guarantee), today=dt.date(2027, 4, 1))

    # Then it counts at 13,475.00 PHP, late by 72 days from falling due, in
    # a window from January (the first invoice fell due on 7 January) to
    # 2 March: 60 days, 2 months
    assert figures.history == GuaranteeHistory(
        months=2,
        invoice_amounts=(13475.0,),
        late=1,
        delays=(round(72 / DAYS_PER_MONTH, 4),),
        never=0,
    )
    assert figures.left_out == ()


def test_a_written_off_invoice_was_never_paid(cast, work, guarantee):
    written = invoice(work, 1, dt.date(2026, 2, 1), "500.00", status="void")
    Claim.objects.create(
        fund=guarantee,
        collective=cast.collective_a,
        claimant=cast.ben,
        rules=FundRules.objects.get(fund=guarantee),
        state="written_off",
        approval="peers",
        claim_date=dt.date(2026, 3, 10),
        currency="PHP",
        amount_minor=40_000,
        paid_minor=40_000,
        invoice=written,
    )

    figures = guarantee_history(fund=guarantee, rules=typed(guarantee), today=TODAY)

    assert (figures.history.invoice_amounts, figures.history.late) == ((500.0,), 1)
    assert figures.history.never == 1


def test_a_young_collectives_rate_is_over_the_months_since_it_began_invoicing(
    cast, work, guarantee
):
    # Given a collective invoicing since August: 10 invoices due each of
    # August, September and October (1st to 10th), all paid on time
    number = 0
    for month in (8, 9, 10):
        for day in range(1, 11):
            number += 1
            due = dt.date(2026, month, day)
            invoice(work, number, due, "1000.00", status="paid", paid_on=due)

    figures = guarantee_history(fund=guarantee, rules=typed(guarantee), today=TODAY)
    report = solvency_for_fund(fund=guarantee)

    # Then the window is 1 August to 28 October (88 days, 3 months), not 24
    # months: 30 invoices in 3 months, shrunk toward the prior of 4 a month
    # worth 3 months, (4 x 3 + 30) / (3 + 3) = 7.0
    assert (figures.history.months, len(figures.history.invoice_amounts)) == (3, 30)
    rows = {a.label: (a.value, a.source) for a in report.assumptions}
    assert rows["Invoices falling due, a month"] == (
        "7.0",
        "your history (30 invoices in 3 months) and a prior",
    )


def test_an_older_collective_looks_back_24_months(cast, work, guarantee):
    invoice(work, 1, dt.date(2023, 5, 1), "1000.00", status="paid", paid_on=dt.date(2023, 5, 1))
    invoice(work, 2, dt.date(2026, 5, 1), "1000.00", status="paid", paid_on=dt.date(2026, 5, 1))

    figures = guarantee_history(fund=guarantee, rules=typed(guarantee), today=TODAY)

    assert (figures.history.months, figures.history.invoice_amounts) == (24, (1000.0,))


def test_only_invoices_of_clients_with_a_signed_agreement_count_as_claims(cast, work, guarantee):
    # Given Harbour, who signed the payment agreement, and Thames, who did not:
    # each with an invoice paid on time and one paid 45 days late
    ClientAgreement.objects.create(
        collective=cast.collective_a,
        client=work.harbour,
        signed_on=dt.date(2026, 1, 5),
        recorded_by=cast.ana,
    )
    on_time, late = dt.date(2026, 6, 1), dt.date(2026, 6, 15)
    paid_late = late + dt.timedelta(days=45)
    invoice(work, 1, on_time, "1000.00", status="paid", paid_on=on_time)
    invoice(work, 2, late, "2000.00", status="paid", paid_on=paid_late)
    invoice(work, 3, on_time, "3000.00", status="paid", paid_on=on_time, client=work.thames)
    invoice(work, 4, late, "4000.00", status="paid", paid_on=paid_late, client=work.thames)

    figures = guarantee_history(fund=guarantee, rules=typed(guarantee), today=TODAY)
    report = solvency_for_fund(fund=guarantee)

    # Then every invoice's levy counts (all four amounts), but only Harbour's
    # late one is a claim the guarantee would pay
    assert figures.history == GuaranteeHistory(
        months=5,
        invoice_amounts=(1000.0, 3000.0, 2000.0, 4000.0),
        late=1,
        delays=(round(45 / DAYS_PER_MONTH, 4),),
        never=0,
    )
    assert (figures.signed_clients, figures.covered_invoices) == (1, 2)
    rows = {a.label: (a.value, a.source) for a in report.assumptions}
    assert rows["Invoices the guarantee covers"] == (
        "2 of 4 invoices: those of the clients with a signed payment agreement (1 client); "
        "the others count for the levy only",
        "the client agreements",
    )
    assert "Chance an invoice is covered and paid more than 30 days late" in rows


def test_with_no_agreement_signed_every_invoice_counts_and_the_assumptions_say_so(
    cast, work, guarantee
):
    invoice(work, 1, dt.date(2026, 6, 1), "1000.00", status="paid", paid_on=dt.date(2026, 9, 1))

    figures = guarantee_history(fund=guarantee, rules=typed(guarantee), today=TODAY)
    report = solvency_for_fund(fund=guarantee)

    assert (figures.history.late, figures.signed_clients, figures.covered_invoices) == (1, 0, 1)
    rows = {a.label: a.value for a in report.assumptions}
    assert rows["Invoices the guarantee covers"] == (
        "all 1 invoice: no client has signed the payment agreement yet, so none would be "
        "covered today; the projection assumes every client signs"
    )


def test_an_invoice_worth_nothing_once_converted_is_left_out(cast, work, guarantee):
    # Given a paid invoice of 1 IDR, which is 0.0035 PHP: 0.00 once converted
    invoice(work, 1, dt.date(2026, 6, 1), "1", status="paid", paid_on=dt.date(2026, 6, 2),
            currency="IDR")  # fmt: skip
    ExchangeRate.objects.create(
        base="IDR",
        quote="PHP",
        rate=Decimal("0.0035"),
        on=dt.date(2026, 11, 26),
        source="manual",
        collective=cast.collective_a,
        entered_by=cast.ana,
    )

    figures = guarantee_history(fund=guarantee, rules=typed(guarantee), today=TODAY)
    report = solvency_for_fund(fund=guarantee)

    # Then it is not an invoice of 0.00 the engine would refuse: it is left out
    assert figures.history.invoice_amounts == ()
    assert figures.left_out == ()
    assert (report.modelled, report.reason) == (True, "")


def test_the_levy_and_the_payout_come_from_the_bylaws_and_the_rules(cast, work, guarantee):
    # Given bylaws giving the treasury 10 % and the guarantee 3 %, and a
    # guarantee covering 80 % of the members' shares
    bylaws = bylaws_in_force(collective=cast.collective_a, on=TODAY)
    SplitShare.objects.create(bylaws=bylaws, recipient="guarantee", percent=Decimal("3.00"))

    built = solvency_model(
        fund=guarantee, rules=rules_now(fund=guarantee, today=TODAY), today=TODAY
    )

    # Then the levy is 3 % and the fund pays 87 % x 80 % of a late invoice
    model = built.model
    assert isinstance(model, GuaranteeModel)
    assert model.levy_percent == 3.0
    assert model.payout_fraction == pytest.approx(0.87 * 0.80, abs=1e-12)
    assert (model.overdue_days, model.partial_payouts, model.recovery) == (30, True, 1.0)
    rows = {a.label: (a.value, a.source) for a in built.assumptions}
    assert rows["Levy on paid invoices"] == ("3.00 %", "the bylaws")
    assert rows["Paid to the members on a late invoice"][0].startswith("69.6 %")


def test_a_guarantee_with_no_invoices_yet_leans_on_the_priors(cast, guarantee):
    report = solvency_for_fund(fund=guarantee)

    assert report.modelled
    rows = {a.label: a.source for a in report.assumptions}
    assert rows["A typical invoice (net, the median)"] == "a prior (no history yet)"
    assert rows["Chance a client pays more than 30 days late"] == "a prior (no history yet)"
    # The collective has never invoiced: no month of its history says how
    # many invoices fall due a month (not 24 empty months pulling it down)
    assert rows["Invoices falling due, a month"] == "a prior (no history yet)"
    figures = guarantee_history(fund=guarantee, rules=typed(guarantee), today=TODAY)
    assert figures.history == GuaranteeHistory(months=0, invoice_amounts=(), late=0, delays=())
    assert report.recommendation is not None
    assert report.recommendation.lever == "levy_percent"
    assert report.recommendation.tiers == ()


# --- The report, stored once a day ----------------------------------------------------------


def test_the_report_is_the_engines_answer_for_the_model_and_the_days_seed(cast, fund):
    seed(join(fund, cast.ana, 0), "500.00", "ana")
    join(fund, cast.ben, 1)

    report = solvency_for_fund(fund=fund)

    run = SolvencyRun.objects.get()
    assert report.run_id == run.pk
    assert (run.paths, run.months, run.computed_on) == (300, 60, TODAY)
    assert run.seed == seed_of(fund_id=fund.pk, day=TODAY)
    built = solvency_model(fund=fund, rules=rules_now(fund=fund, today=TODAY), today=TODAY)
    assert built.model is not None
    expected = simulate_fund(built.model, months=60, paths=300, rng=run.seed)
    assert [(r.months, r.probability, r.standard_error) for r in report.risks] == [
        (months_, *expected.probability_within(months_)) for months_ in HORIZONS
    ]
    assert report.percentiles == (5, 25, 50, 75, 95)
    assert len(report.balance_bands) == 5
    assert all(len(row) == 60 for row in report.balance_bands)
    assert report.balance_bands[2][0] == Decimal(
        repr(float(expected.balance_percentiles[2][0]))
    ).quantize(Decimal("0.01"))
    assert report.start_balance == Money("500.00", "PHP")
    assert (report.first_month, report.months, report.paths) == (dt.date(2026, 12, 1), 60, 300)


# Gifts whose share is never a whole number of centavos, so rounding up shows.
ODD_TIERS = {
    "tiers": [
        {"deposit": "37.04", "payout": "1234.56"},
        {"deposit": "74.07", "payout": "2469.12"},
    ]
}


def odd_fund(cast: Cast) -> Fund:
    """Ana in tier 1 and Ben in tier 2 of ``ODD_TIERS``, 5,000.00 in their
    accounts: a fund some deposit keeps under 1 % (a deposit equal to the
    gift always does)."""
    fund = sick_fund(cast.collective_a, cast.ana, ODD_TIERS)
    seed(join(fund, cast.ana, 0), "2500.00", "ana")
    seed(join(fund, cast.ben, 1), "2500.00", "ben")
    return fund


def test_the_recommendation_is_reachable_and_each_tiers_deposit_is_rounded_up(cast):
    fund = odd_fund(cast)

    advice = solvency_for_fund(fund=fund).recommendation

    assert advice is not None
    assert (advice.lever, advice.label) == ("deposit_rate", "Deposit, as a share of the gift")
    # (37.04 + 74.07) / (1,234.56 + 2,469.12) of the gifts: 3.00 %
    assert advice.current == Decimal("3.00")
    assert advice.achievable is True
    assert advice.needed is not None
    assert advice.needed == advice.needed.quantize(Decimal("0.01"))
    assert advice.tiers == tuple(
        (
            Money(
                (Decimal(payout) * advice.needed / 100).quantize(
                    Decimal("0.01"), rounding=ROUND_CEILING
                ),
                "PHP",
            ),
            Money(payout, "PHP"),
        )
        for payout in ("1234.56", "2469.12")
    )


def test_the_needed_deposit_is_rounded_up_to_the_centavo_and_the_percent_to_a_hundredth(
    cast, monkeypatch
):
    # Given the engine's answer: a deposit of 7.531 % of the gift
    fund = odd_fund(cast)
    engine = recommend_contribution

    def answer(model: Any, **options: Any) -> Any:
        found = engine(model, **options)
        return dataclasses.replace(found, value=0.07531, achievable=True)

    monkeypatch.setattr(service.run, "recommend_contribution", answer)

    advice = solvency_for_fund(fund=fund).recommendation

    # Then 7.54 % (never less than the engine's), and each tier's deposit at
    # 7.54 % rounded up: 1,234.56 x 7.54 % = 93.085824 -> 93.09, and
    # 2,469.12 x 7.54 % = 186.171648 -> 186.18
    assert advice is not None
    assert advice.needed == Decimal("7.54")
    assert advice.tiers == (
        (Money("93.09", "PHP"), Money("1234.56", "PHP")),
        (Money("186.18", "PHP"), Money("2469.12", "PHP")),
    )


# --- What the engine refuses ----------------------------------------------------------------


def test_a_model_the_engine_refuses_is_a_report_that_says_so_never_an_error(
    cast, fund, monkeypatch
):
    # Given a calibration the engine cannot take: a monthly chance of 150 %
    join(fund, cast.ana)
    calibrate = calibrate_sick_pay

    def impossible(history: SickPayHistory) -> Any:
        return dataclasses.replace(
            calibrate(history), sick_probability=Estimate(1.5, "history", 1.0, 12)
        )

    monkeypatch.setattr(service.model, "calibrate_sick_pay", impossible)

    report = solvency_for_fund(fund=fund)

    # Then the report is not modelled and says why, in one line; nothing stored
    assert (report.modelled, report.reason) == (
        False,
        "The projection could not be worked out from the fund's figures: "
        "sick_probability must be at most 1; got 1.5.",
    )
    assert report.reason == UNWORKABLE.format(message="sick_probability must be at most 1; got 1.5")
    assert (report.risks, report.recommendation, report.run_id) == ((), None, None)
    assert SolvencyRun.objects.count() == 0


def test_a_simulation_the_engine_refuses_is_a_report_that_says_so(cast, fund, monkeypatch):
    join(fund, cast.ana)

    def refuse(*args: object, **kwargs: object) -> None:
        raise ValueError("months must be\n at least 1; got 0.")

    monkeypatch.setattr(service.run, "simulate_fund", refuse)

    report = solvency_for_fund(fund=fund)
    draft = solvency_for_rules(
        fund=fund,
        rules=rules_clean("sick_pay", {"waiting_days": 14}, base=rules_now(fund=fund, today=TODAY)),
    )

    assert (
        report.reason
        == draft.reason
        == UNWORKABLE.format(message="months must be at least 1; got 0")
    )
    assert (report.modelled, draft.modelled) == (False, False)
    assert SolvencyRun.objects.count() == 0


# --- The chance when no future ran short ----------------------------------------------------


def test_a_chance_no_simulated_future_reached_is_bounded_by_the_rule_of_three(cast):
    # Given a fund whose deposits equal its gifts and which holds 30,000.00:
    # in 300 simulated futures it never runs short
    fund = sick_fund(
        cast.collective_a, cast.ana, {"tiers": [{"deposit": "1000.00", "payout": "1000.00"}]}
    )
    seed(join(fund, cast.ana, 0), "30000.00", "ana")

    report = solvency_for_fund(fund=fund)

    # Then each chance is 0 with an upper bound of 3 / 300, not a plain 0
    assert [(r.probability, r.standard_error, r.upper_bound) for r in report.risks] == [
        (0.0, 0.0, 0.01)
    ] * 3
    assert solvency_report_json(report)["risks"][0] == {
        "months": 12,
        "probability": 0.0,
        "standard_error": 0.0,
        "upper_bound": 0.01,
    }


def test_a_chance_some_future_reached_has_no_upper_bound(cast, fund):
    seed(join(fund, cast.ana, 0), "100.00", "ana")
    join(fund, cast.ben, 1)

    report = solvency_for_fund(fund=fund)

    assert report.risks[-1].probability > 0
    assert report.risks[-1].upper_bound is None


def test_the_same_inputs_the_same_day_are_read_back_not_recomputed(cast, fund):
    seed(join(fund, cast.ana), "300.00", "ana")
    first = solvency_for_fund(fund=fund)

    again = solvency_for_fund(fund=fund)

    assert SolvencyRun.objects.count() == 1
    assert again == first


def test_a_new_deposit_is_a_new_digest(cast, fund):
    ana = join(fund, cast.ana)
    seed(ana, "300.00", "ana")
    first = solvency_for_fund(fund=fund)

    seed(ana, "30.00", "ana-december")
    second = solvency_for_fund(fund=fund)

    runs = list(SolvencyRun.objects.order_by("pk"))
    assert len(runs) == 2
    assert runs[0].digest != runs[1].digest
    assert (first.run_id, second.run_id) == (runs[0].pk, runs[1].pk)
    assert second.start_balance == Money("330.00", "PHP")


def test_the_next_day_computes_again(cast, fund, time_machine):
    join(fund, cast.ana)
    solvency_for_fund(fund=fund)

    time_machine.move_to(NOW + dt.timedelta(days=1), tick=False)
    solvency_for_fund(fund=fund)

    assert list(SolvencyRun.objects.values_list("computed_on", flat=True).order_by("pk")) == [
        TODAY,
        TODAY + dt.timedelta(days=1),
    ]


def test_tick_forgets_runs_computed_more_than_keep_days_ago_and_keeps_the_rest(
    cast, fund, time_machine
):
    # Given runs computed KEEP_DAYS + 1 days ago, KEEP_DAYS days ago and today
    join(fund, cast.ana)
    for days_ago in (KEEP_DAYS + 1, KEEP_DAYS, 0):
        time_machine.move_to(NOW - dt.timedelta(days=days_ago), tick=False)
        solvency_for_fund(fund=fund)
    time_machine.move_to(NOW, tick=False)
    assert SolvencyRun.objects.count() == 3

    # When tick's job runs, twice (as two schedulers might)
    autodiscover()
    job = job_get("mutual.prune_solvency_runs")
    assert job is not None
    pruned = job.func()
    again = solvency_runs_prune(today=TODAY)

    # Then only the oldest went
    assert (pruned, again) == (1, 0)
    assert sorted(SolvencyRun.objects.values_list("computed_on", flat=True)) == [
        TODAY - dt.timedelta(days=KEEP_DAYS),
        TODAY,
    ]


def test_a_drafts_rules_are_computed_and_never_stored(cast, fund):
    join(fund, cast.ana)
    rules = rules_clean("sick_pay", {"waiting_days": 14}, base=rules_now(fund=fund, today=TODAY))

    report = solvency_for_rules(fund=fund, rules=rules)

    assert report.modelled
    assert report.run_id is None
    assert SolvencyRun.objects.count() == 0


def counting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the simulations the service runs (``simulate_fund`` calls)."""
    calls: list[int] = []
    engine = simulate_fund

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return engine(*args, **kwargs)

    monkeypatch.setattr(service.run, "simulate_fund", counted)
    return calls


def test_a_drafts_report_is_kept_for_the_day_so_the_same_preview_is_not_simulated_again(
    cast, fund, monkeypatch, time_machine
):
    # Given a draft previewed once
    join(fund, cast.ana)
    base = rules_now(fund=fund, today=TODAY)
    draft = rules_clean("sick_pay", {"waiting_days": 14}, base=base)
    first = solvency_for_rules(fund=fund, rules=draft)
    calls = counting(monkeypatch)

    # When the same rules are previewed again the same day
    again = solvency_for_rules(fund=fund, rules=dict(draft))

    # Then the figures are the same and nothing was simulated or stored
    assert again == first
    assert (calls, SolvencyRun.objects.count()) == ([], 0)
    # but other rules, or the next day, are worked out
    solvency_for_rules(fund=fund, rules=rules_clean("sick_pay", {"waiting_days": 21}, base=base))
    assert len(calls) == 1
    time_machine.move_to(NOW + dt.timedelta(days=1), tick=False)
    solvency_for_rules(fund=fund, rules=draft)
    assert len(calls) == 2


def test_the_drafts_kept_are_bounded_and_the_least_recently_used_goes(cast, fund, monkeypatch):
    # Given room for two drafts, and three previewed in turn
    monkeypatch.setattr(service.run, "DRAFT_CACHE_SIZE", 2)
    join(fund, cast.ana)
    base = rules_now(fund=fund, today=TODAY)
    drafts = [rules_clean("sick_pay", {"waiting_days": days}, base=base) for days in (7, 14, 21)]
    for draft in drafts:
        solvency_for_rules(fund=fund, rules=draft)
    calls = counting(monkeypatch)

    # When the last two and then the first are previewed again
    solvency_for_rules(fund=fund, rules=drafts[1])
    solvency_for_rules(fund=fund, rules=drafts[2])
    assert calls == []
    solvency_for_rules(fund=fund, rules=drafts[0])

    # Then only the first, pushed out by the third, was worked out again
    assert calls == [1]


def test_rules_that_change_only_the_deposits_meet_the_same_futures_as_the_rules_now(cast, fund):
    # Given a fund of two, and a draft raising every tier's deposit by half
    seed(join(fund, cast.ana, 0), "100.00", "ana")
    join(fund, cast.ben, 1)
    now_rules = rules_now(fund=fund, today=TODAY)
    assert now_rules is not None
    richer = [
        {"deposit": str(Decimal(tier["deposit"]) * 3 / 2), "payout": tier["payout"]}
        for tier in now_rules["tiers"]
    ]
    draft = rules_clean("sick_pay", {"tiers": richer}, base=now_rules)

    # When both are simulated on the same day
    now = solvency_for_fund(fund=fund)
    proposed = solvency_for_rules(fund=fund, rules=draft)

    # Then they met the same sick periods (the same seed): the deposit the
    # lever sets from the gifts needs the same rate under both, and more
    # deposits never raise the risk, at any horizon
    assert now.recommendation is not None and proposed.recommendation is not None
    assert proposed.recommendation.needed == now.recommendation.needed
    assert proposed.recommendation.probability == now.recommendation.probability
    assert proposed.recommendation.current > now.recommendation.current
    for before, after in zip(now.risks, proposed.risks, strict=True):
        assert after.probability <= before.probability
    assert now.risks[-1].probability > 0
    # and the reports say so: the same futures
    assert proposed.futures == now.futures != ""


def test_rules_that_change_what_is_drawn_meet_other_futures(cast, fund):
    # Given a fund of two in tiers 1 and 2, and a draft with a single tier:
    # the members per tier the engine draws from change
    join(fund, cast.ana, 0)
    join(fund, cast.ben, 1)
    now_rules = rules_now(fund=fund, today=TODAY)
    one_tier = rules_clean(
        "sick_pay", {"tiers": [{"deposit": "30.00", "payout": "1000.00"}]}, base=now_rules
    )
    longer = rules_clean("sick_pay", {"waiting_days": 60, "max_months": 12}, base=now_rules)

    now = solvency_for_fund(fund=fund)

    assert solvency_for_rules(fund=fund, rules=one_tier).futures != now.futures
    # while a waiting period and a longest period are applied to the same futures
    assert solvency_for_rules(fund=fund, rules=longer).futures == now.futures


def test_another_fund_or_another_day_draws_other_futures():
    day = TODAY
    assert seed_of(fund_id=1, day=day) == seed_of(fund_id=1, day=day)
    assert seed_of(fund_id=1, day=day) != seed_of(fund_id=2, day=day)
    assert seed_of(fund_id=1, day=day) != seed_of(fund_id=1, day=day + dt.timedelta(days=1))


def test_the_rules_in_force_given_as_rules_are_the_funds_report(cast, fund):
    join(fund, cast.ana)
    stored = solvency_for_fund(fund=fund)

    same = solvency_for_rules(fund=fund, rules=rules_now(fund=fund, today=TODAY) or {})

    assert same.run_id == stored.run_id
    assert SolvencyRun.objects.count() == 1


# --- Proposals ----------------------------------------------------------------------------


def test_an_open_rule_change_shows_the_fund_now_and_as_proposed(cast, fund):
    join(fund, cast.ana)
    join(fund, cast.ben)
    proposal = fund_rules_propose(
        fund=fund,
        author=cast.ben,
        rules={"tiers": [{"deposit": "45.00", "payout": "1000.00"}]},
        effective_from=dt.date(2027, 1, 1),
    )

    compared = solvency_for_proposal(proposal=proposal)

    assert compared is not None
    now, proposed = compared
    assert now.recommendation is not None and proposed.recommendation is not None
    assert (now.recommendation.current, proposed.recommendation.current) == (
        Decimal("3.00"),
        Decimal("4.50"),
    )
    runs = dict(SolvencyRun.objects.values_list("pk", "proposal_id"))
    assert runs == {now.run_id: None, proposed.run_id: proposal.pk}


def test_a_closed_proposal_or_an_unmodelled_fund_has_no_comparison(cast, fund):
    join(fund, cast.ana)
    proposal = fund_rules_propose(
        fund=fund, author=cast.ben, rules={"waiting_days": 14}, effective_from=dt.date(2027, 1, 1)
    )
    proposal = proposal_withdraw(proposal=proposal, actor=cast.ben)
    savings = fund_active(cast.collective_a, "savings", created_by=cast.ana)
    on_savings = fund_rules_propose(
        fund=savings, author=cast.ben, rules={"percent": "8"}, effective_from=dt.date(2027, 1, 1)
    )

    assert solvency_for_proposal(proposal=proposal) is None
    assert solvency_for_proposal(proposal=on_savings) is None
    assert SolvencyRun.objects.count() == 0


# --- What is not simulated ------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["savings", "income_gap"])
def test_savings_and_the_income_gap_say_why_they_are_not_simulated(cast, kind):
    fund = fund_active(cast.collective_a, kind, created_by=cast.ana)

    report = solvency_for_fund(fund=fund)

    assert (report.modelled, report.reason) == (False, NOT_MODELLED[Fund.Kind(kind)])
    assert (report.risks, report.balance_bands, report.recommendation) == ((), (), None)
    assert (report.run_id, report.paths) == (None, 0)
    assert SolvencyRun.objects.count() == 0


def test_a_sick_pay_fund_nobody_takes_part_in_is_not_simulated(cast, fund):
    report = solvency_for_fund(fund=fund)

    assert (report.modelled, report.reason) == (False, NOBODY_YET)
    assert report.reason.startswith("Nobody takes part yet: ")
    assert SolvencyRun.objects.count() == 0


def test_a_fund_setting_up_is_simulated_under_its_first_rules_under_vote(cast, work):
    # Given a guarantee fund whose first rules are under vote
    from mutualist.mutual.services.funds import fund_setup

    proposal = fund_setup(
        collective=cast.collective_a, actor=cast.ana, kind="guarantee", rules={"cap_percent": "50"}
    )
    fund = Fund.objects.get(kind="guarantee")

    report = solvency_for_fund(fund=fund)

    assert report.modelled
    assert rules_now(fund=fund, today=TODAY) == proposal.payload["rules"]
    assert (
        "covered up to 50 %"
        in {a.label: a.value for a in report.assumptions}["Paid to the members on a late invoice"]
    )


# --- Two viewers at once (PostgreSQL) -------------------------------------------------------


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="an insert race needs PostgreSQL (set DATABASE_URL); SQLite serialises writers",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_viewers_computing_at_once_store_one_run(cast):
    fund = sick_fund(cast.collective_a, cast.ana, RULES)
    join(fund, cast.ana)

    outcome = race(lambda: solvency_for_fund(fund=fund), lambda: solvency_for_fund(fund=fund))

    first, second = outcome.results
    assert SolvencyRun.objects.count() == 1
    assert first.run_id == second.run_id == SolvencyRun.objects.get().pk
    assert first.risks == second.risks
