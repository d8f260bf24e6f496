"""Reporting a sick period and saying it is over: who may, when, and that
one period is never claimed twice."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from mutualist.core.errors import Conflict, PermissionDenied, ValidationFailed
from mutualist.mutual.models import Claim, Fund
from mutualist.mutual.services.sick_pay import sick_claim_end, sick_claim_submit, sick_pay_run
from mutualist.mutual.tests.helpers import NOW, add_member, snapshot
from mutualist.mutual.tests.sick_pay_helpers import join, ongoing, seed, sick_fund
from mutualist.testing import Cast

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def fund(cast: Cast) -> Fund:
    fund = sick_fund(cast.collective_a, cast.ana)
    join(fund, cast.ana)
    join(fund, cast.ben)
    return fund


def test_a_participant_reports_a_sick_period_and_peers_decide_it(cast, fund):
    # when
    claim = sick_claim_submit(
        fund=fund,
        claimant=cast.ben,
        starts_on=dt.date(2026, 11, 20),
        percent=50,
        reason="Back surgery",
        disclosure="name_only",
    )

    # then it waits for a peer, judged by the rules in force on its first day
    claim.refresh_from_db()
    assert (claim.state, claim.approval, claim.approvals_needed) == ("submitted", "peers", 1)
    assert (claim.starts_on, claim.ends_on, claim.percent) == (dt.date(2026, 11, 20), None, 50)
    assert (claim.amount_minor, claim.currency, claim.claim_date) == (
        None,
        "PHP",
        dt.date(2026, 11, 20),
    )
    assert claim.rules == fund.rule_versions.get()
    assert (claim.reason, claim.disclosure) == ("Back surgery", "name_only")


def test_an_approved_sick_claim_is_ongoing(cast, fund):
    claim = ongoing(fund, cast.ben, cast.ana, dt.date(2026, 11, 20))

    assert claim.state == "ongoing"
    assert claim.reserved_minor == 0


@pytest.mark.parametrize("percent", [0, 25, 75, 101])
def test_only_fully_or_half_sick_is_reported(cast, fund, percent):
    before = snapshot()

    with pytest.raises(ValidationFailed) as refused:
        sick_claim_submit(
            fund=fund, claimant=cast.ben, starts_on=dt.date(2026, 11, 20), percent=percent
        )

    assert (refused.value.code, refused.value.field) == ("invalid_percent", "percent")
    assert snapshot() == before


def test_a_period_more_than_a_week_ahead_is_refused(cast, fund):
    before = snapshot()

    with pytest.raises(ValidationFailed) as refused:
        sick_claim_submit(fund=fund, claimant=cast.ben, starts_on=dt.date(2026, 12, 5), percent=100)

    assert (refused.value.code, refused.value.field) == ("starts_in_future", "starts_on")
    assert str(refused.value) == (
        "A sick period can be reported at most 7 days before it starts; "
        "5 December 2026 is 8 days away."
    )
    assert snapshot() == before
    # a week ahead is fine (a planned operation)
    sick_claim_submit(fund=fund, claimant=cast.ben, starts_on=dt.date(2026, 12, 4), percent=100)


def test_a_member_who_does_not_take_part_cannot_claim(cast, fund):
    dee = add_member(cast.collective_a, "dee@example.org", "Dee Santos")
    before = snapshot()

    with pytest.raises(PermissionDenied) as refused:
        sick_claim_submit(fund=fund, claimant=dee, starts_on=dt.date(2026, 11, 20), percent=100)

    assert refused.value.code == "not_a_participant"
    assert snapshot() == before


def test_someone_outside_the_collective_cannot_claim(cast, fund):
    before = snapshot()

    with pytest.raises(PermissionDenied) as refused:
        sick_claim_submit(
            fund=fund, claimant=cast.carla, starts_on=dt.date(2026, 11, 20), percent=100
        )

    assert refused.value.code == "not_a_member"
    assert snapshot() == before


def test_a_period_before_joining_is_not_covered(cast, fund):
    before = snapshot()

    with pytest.raises(ValidationFailed) as refused:
        sick_claim_submit(fund=fund, claimant=cast.ben, starts_on=dt.date(2025, 12, 1), percent=100)

    assert refused.value.code == "starts_before_joining"
    assert snapshot() == before


def test_claiming_twice_for_the_same_period_is_refused(cast, fund):
    # given Ben's claim from 1 October, not ended
    first = ongoing(fund, cast.ben, cast.ana, dt.date(2026, 10, 1))
    before = snapshot()

    # when he reports again from 10 November
    with pytest.raises(Conflict) as refused:
        sick_claim_submit(fund=fund, claimant=cast.ben, starts_on=dt.date(2026, 11, 10), percent=50)

    # then
    assert (refused.value.code, refused.value.field) == ("claim_overlaps", "starts_on")
    assert str(refused.value) == (
        f"Your claim #{first.pk} already covers a sick period from 1 October 2026; "
        "claiming twice for the same period is not possible. End that one first."
    )
    assert snapshot() == before


def test_a_claim_still_waiting_for_peers_also_counts_as_the_same_period(cast, fund):
    sick_claim_submit(fund=fund, claimant=cast.ben, starts_on=dt.date(2026, 11, 20), percent=100)

    with pytest.raises(Conflict) as refused:
        sick_claim_submit(fund=fund, claimant=cast.ben, starts_on=dt.date(2026, 11, 1), percent=100)

    assert refused.value.code == "claim_overlaps"


def test_a_new_period_after_the_last_one_ended_is_a_new_claim(cast, fund):
    first = ongoing(fund, cast.ben, cast.ana, dt.date(2026, 10, 1))
    sick_claim_end(claim=first, actor=cast.ben, ends_on=dt.date(2026, 10, 20))

    second = sick_claim_submit(
        fund=fund, claimant=cast.ben, starts_on=dt.date(2026, 11, 10), percent=100
    )

    assert second.state == "submitted"
    with pytest.raises(Conflict) as refused:
        sick_claim_submit(fund=fund, claimant=cast.ben, starts_on=dt.date(2026, 10, 15), percent=50)
    assert refused.value.code == "claim_overlaps"


# --- Ending a sick period ----------------------------------------------------------------------


def test_the_member_says_they_are_better(cast, fund):
    claim = ongoing(fund, cast.ben, cast.ana, dt.date(2026, 10, 1))

    ended = sick_claim_end(claim=claim, actor=cast.ben, ends_on=dt.date(2026, 11, 25))

    # the last days are still owed: the run pays them, then ends the claim
    assert (ended.state, ended.ends_on) == ("ongoing", dt.date(2026, 11, 25))


def test_better_within_the_waiting_period_ends_the_claim_at_once(cast, fund):
    claim = ongoing(fund, cast.ben, cast.ana, dt.date(2026, 11, 2))

    ended = sick_claim_end(claim=claim, actor=cast.ana, ends_on=dt.date(2026, 11, 20))

    assert (ended.state, ended.ends_on) == ("ended", dt.date(2026, 11, 20))


def test_only_the_member_or_a_coordinator_ends_a_period(cast, fund):
    dee = add_member(cast.collective_a, "dee@example.org", "Dee Santos")
    claim = ongoing(fund, cast.ben, cast.ana, dt.date(2026, 10, 1))
    before = snapshot()

    with pytest.raises(PermissionDenied) as refused:
        sick_claim_end(claim=claim, actor=dee, ends_on=dt.date(2026, 11, 20))

    assert refused.value.code == "not_allowed"
    assert snapshot() == before


@pytest.mark.parametrize(
    ("ends_on", "code"),
    [(dt.date(2026, 9, 30), "ends_before_start"), (dt.date(2026, 12, 5), "ends_in_future")],
)
def test_an_end_outside_the_period_is_refused(cast, fund, ends_on, code):
    claim = ongoing(fund, cast.ben, cast.ana, dt.date(2026, 10, 1))
    before = snapshot()

    with pytest.raises(ValidationFailed) as refused:
        sick_claim_end(claim=claim, actor=cast.ben, ends_on=ends_on)

    assert (refused.value.code, refused.value.field) == (code, "ends_on")
    assert snapshot() == before


def test_an_end_inside_a_month_already_paid_is_refused(cast, fund):
    # given October's gift is paid
    dee = add_member(cast.collective_a, "dee@example.org", "Dee Santos")
    seed(join(fund, dee), "5000.00", "dee")
    claim = ongoing(fund, cast.ben, cast.ana, dt.date(2026, 9, 1))
    sick_pay_run(fund=fund, month=dt.date(2026, 10, 1))
    before = snapshot()

    with pytest.raises(Conflict) as refused:
        sick_claim_end(claim=claim, actor=cast.ben, ends_on=dt.date(2026, 10, 15))

    assert (refused.value.code, refused.value.field) == ("already_paid", "ends_on")
    assert str(refused.value) == (
        "Sick pay for October 2026 is paid already; the period ends on 31 October 2026 "
        "at the earliest."
    )
    assert snapshot() == before
    # the month's last day is fine, and nothing more is owed: the claim ends
    ended = sick_claim_end(claim=claim, actor=cast.ben, ends_on=dt.date(2026, 10, 31))
    assert ended.state == "ended"


def test_a_claim_no_longer_open_cannot_be_ended(cast, fund):
    claim = ongoing(fund, cast.ben, cast.ana, dt.date(2026, 11, 2))
    sick_claim_end(claim=claim, actor=cast.ben, ends_on=dt.date(2026, 11, 10))

    with pytest.raises(Conflict) as refused:
        sick_claim_end(claim=claim, actor=cast.ben, ends_on=dt.date(2026, 11, 12))

    assert refused.value.code == "claim_not_open"
    assert Claim.objects.get().ends_on == dt.date(2026, 11, 10)
