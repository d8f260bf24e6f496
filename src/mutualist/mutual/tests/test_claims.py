"""Claims on a pooled fund, through the generic claim services: peers
approve or reject, approval reserves and pays, never beyond what the fund
holds; the rest waits; undecided claims expire."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction

from mutualist.core.errors import Conflict, PermissionDenied, ValidationFailed
from mutualist.core.money import Money
from mutualist.ledger.services import Line, account_name_for, account_open, transaction_post
from mutualist.mutual.accounts import balance_minor, pool_account
from mutualist.mutual.models import Claim, ClaimApproval, Fund
from mutualist.mutual.services.claims import (
    claim_approve,
    claim_create,
    claim_pay,
    claim_reject,
    claim_withdraw,
    claims_expire_due,
    claims_pay_waiting,
)
from mutualist.mutual.tests.helpers import NOW, add_member, fund_active, rules_passed, snapshot
from mutualist.testing import Cast, ledger_checked

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


def fill(fund: Fund, amount: str, key: str) -> None:
    """Put ``amount`` PHP into the fund's pool, from the collective's opening equity."""
    collective = fund.collective
    opening = account_open(
        collective=collective,
        name=account_name_for(collective, "equity", "Opening", "PHP"),
        type="equity",
        currency="PHP",
    )
    money = Money(amount, "PHP")
    transaction_post(
        lines=[Line(opening, money), Line(pool_account(collective, fund.code, "PHP"), -money)],
        memo="Levies",
        occurred_at=NOW.date(),
        idempotency_key=f"test:fill:{key}",
        kind="opening",
    )


def gap_claim(fund: Fund, claimant: Any, amount: str, **kwargs: Any) -> Claim:
    with transaction.atomic():
        return claim_create(
            fund=fund,
            claimant=claimant,
            claim_date=NOW.date(),
            reason=kwargs.pop("reason", "A quiet month"),
            disclosure=kwargs.pop("disclosure", "everything"),
            currency="PHP",
            amount_minor=int(Decimal(amount) * 100),
            **kwargs,
        )


@pytest.fixture
def gap(cast: Cast) -> Fund:
    return fund_active(
        cast.collective_a, "income_gap", {"approvals_needed": 2}, created_by=cast.ana
    )


@pytest.fixture
def cleo(cast: Cast) -> Any:
    return add_member(cast.collective_a, "cleo@example.com", "Cleo")


def payable(cast: Cast, user: Any) -> int:
    from mutualist.billing.accounts import find_member_account

    return balance_minor(find_member_account(cast.collective_a, user, "PHP"))


def test_it_pays_a_claim_once_enough_peers_approve(cast: Cast, gap: Fund, cleo: Any) -> None:
    fill(gap, "1000", "a")
    claim = gap_claim(gap, cast.ben, "300")
    assert claim.state == "submitted"
    claim = claim_approve(claim=claim, approver=cast.ana)
    assert claim.state == "submitted"
    claim = claim_approve(claim=claim, approver=cleo, note="Get well")
    assert claim.state == "paid"
    assert claim.paid_minor == 30000 and claim.reserved_minor == 0
    assert payable(cast, cast.ben) == 30000
    assert balance_minor(pool_account(cast.collective_a, "income_gap", "PHP")) == 70000
    ledger_checked()


def test_it_refuses_approving_ones_own_claim_and_changes_nothing(cast: Cast, gap: Fund) -> None:
    fill(gap, "1000", "a")
    claim = gap_claim(gap, cast.ben, "300")
    before = snapshot()
    with pytest.raises(PermissionDenied) as refused:
        claim_approve(claim=claim, approver=cast.ben)
    assert refused.value.code == "own_claim"
    assert snapshot() == before


def test_it_refuses_a_second_decision_by_the_same_peer(cast: Cast, gap: Fund) -> None:
    claim = gap_claim(gap, cast.ben, "300")
    claim_approve(claim=claim, approver=cast.ana)
    before = snapshot()
    with pytest.raises(Conflict) as refused:
        claim_reject(claim=claim, approver=cast.ana, note="changed my mind")
    assert refused.value.code == "already_decided"
    assert snapshot() == before


def test_it_refuses_an_outsider_of_the_fund(cast: Cast, gap: Fund) -> None:
    before = snapshot()
    with pytest.raises(PermissionDenied) as refused:
        gap_claim(gap, cast.carla, "300")
    assert refused.value.code == "not_a_member"
    claim = gap_claim(gap, cast.ben, "300")
    before = snapshot()
    with pytest.raises(PermissionDenied) as refused:
        claim_approve(claim=claim, approver=cast.olga)
    assert refused.value.code == "not_a_member"
    assert snapshot() == before


def test_a_rejection_needs_a_reason_and_enough_peers(cast: Cast, gap: Fund, cleo: Any) -> None:
    claim = gap_claim(gap, cast.ben, "300")
    with pytest.raises(ValidationFailed) as refused:
        claim_reject(claim=claim, approver=cast.ana, note=" ")
    assert refused.value.code == "note_required"
    claim = claim_reject(claim=claim, approver=cast.ana, note="Ben had a good month")
    assert claim.state == "submitted"
    claim = claim_reject(claim=claim, approver=cleo, note="Same")
    assert claim.state == "rejected"
    assert ClaimApproval.objects.filter(claim=claim).count() == 2


def test_a_claim_beyond_the_fund_waits_and_is_paid_when_money_comes(
    cast: Cast, gap: Fund, cleo: Any
) -> None:
    # Income-gap top-ups are not paid in part by default: it waits whole.
    fill(gap, "100", "a")
    claim = gap_claim(gap, cast.ben, "300")
    claim_approve(claim=claim, approver=cast.ana)
    claim = claim_approve(claim=claim, approver=cleo)
    # Its whole amount stays reserved while it waits.
    assert (claim.state, claim.paid_minor, claim.reserved_minor) == ("approved", 0, 30000)
    assert claims_pay_waiting() == 0
    fill(gap, "250", "b")
    assert claims_pay_waiting() == 1
    claim.refresh_from_db()
    assert (claim.state, claim.paid_minor) == ("paid", 30000)
    assert balance_minor(pool_account(cast.collective_a, "income_gap", "PHP")) == 5000
    ledger_checked()


def test_partial_payouts_pay_what_is_there_where_the_rules_say_so(
    cast: Cast, gap: Fund, cleo: Any
) -> None:
    rules_passed(gap, {"partial_payouts": True}, effective_from=NOW.date())
    fill(gap, "100", "a")
    claim = gap_claim(gap, cast.ben, "300")
    claim_approve(claim=claim, approver=cast.ana)
    claim = claim_approve(claim=claim, approver=cleo)
    assert (claim.state, claim.paid_minor) == ("approved", 10000)
    assert balance_minor(pool_account(cast.collective_a, "income_gap", "PHP")) == 0
    fill(gap, "500", "b")
    claim = claim_pay(claim=claim)
    assert (claim.state, claim.paid_minor) == ("paid", 30000)
    assert claim.payments.count() == 2
    ledger_checked()


def test_the_rules_in_force_on_the_claim_date_judge_it(cast: Cast, gap: Fund, cleo: Any) -> None:
    # A rule change passed after the claim (one approval is enough from
    # tomorrow) does not change how this claim is decided.
    claim = gap_claim(gap, cast.ben, "300")
    rules_passed(gap, {"approvals_needed": 1}, effective_from=NOW.date() + dt.timedelta(days=1))
    fill(gap, "1000", "a")
    claim = claim_approve(claim=claim, approver=cast.ana)
    assert claim.state == "submitted"
    assert claim.rules.version == 1


def test_withdrawing_releases_the_claim(cast: Cast, gap: Fund, cleo: Any) -> None:
    claim = gap_claim(gap, cast.ben, "300")
    with pytest.raises(PermissionDenied) as refused:
        claim_withdraw(claim=claim, actor=cast.ana)
    assert refused.value.code == "not_claimant"
    claim = claim_withdraw(claim=claim, actor=cast.ben)
    assert claim.state == "withdrawn"
    with pytest.raises(Conflict) as closed:
        claim_approve(claim=claim, approver=cast.ana)
    assert closed.value.code == "claim_not_open"


def test_undecided_claims_expire_once(cast: Cast, gap: Fund, time_machine: Any) -> None:
    claim = gap_claim(gap, cast.ben, "300")
    assert claims_expire_due() == 0
    time_machine.move_to(NOW + dt.timedelta(days=31), tick=False)
    assert claims_expire_due() == 1
    assert claims_expire_due() == 0
    claim.refresh_from_db()
    assert claim.state == "expired"


def test_a_fund_whose_rules_are_not_voted_in_takes_no_claims(cast: Cast) -> None:
    fund = Fund.objects.create(
        collective=cast.collective_a, kind="income_gap", currency="PHP", created_by=cast.ana
    )
    before = snapshot()
    with pytest.raises(Conflict) as refused:
        gap_claim(fund, cast.ben, "300")
    assert refused.value.code == "fund_not_active"
    assert snapshot() == before


def test_a_later_claim_never_overtakes_one_waiting_for_money(
    cast: Cast, gap: Fund, cleo: Any
) -> None:
    # Given 250.00 and an approved claim of 300.00 waiting for it
    fill(gap, "250", "a")
    first = gap_claim(gap, cast.ben, "300")
    claim_approve(claim=first, approver=cast.ana)
    first = claim_approve(claim=first, approver=cleo)
    assert (first.state, first.reserved_minor) == ("approved", 30000)
    # When a later claim of 200.00 is approved
    later = gap_claim(gap, cleo, "200")
    claim_approve(claim=later, approver=cast.ana)
    later = claim_approve(claim=later, approver=cast.ben)
    # Then it waits behind the first, however much the fund holds for it alone
    assert (later.state, later.paid_minor) == ("approved", 0)
    # And once money comes, the first is paid first
    fill(gap, "100", "b")
    assert claims_pay_waiting() == 1
    first.refresh_from_db()
    later.refresh_from_db()
    assert (first.state, later.state) == ("paid", "approved")
    assert balance_minor(pool_account(cast.collective_a, "income_gap", "PHP")) == 5000
    ledger_checked()


def test_rejecting_or_withdrawing_releases_the_reservation(
    cast: Cast, gap: Fund, cleo: Any
) -> None:
    fill(gap, "100", "a")
    waiting = gap_claim(gap, cast.ben, "300")
    claim_approve(claim=waiting, approver=cast.ana)
    waiting = claim_approve(claim=waiting, approver=cleo)
    assert waiting.reserved_minor == 30000
    waiting = claim_withdraw(claim=waiting, actor=cast.ben)
    assert (waiting.state, waiting.reserved_minor) == ("withdrawn", 0)
    later = gap_claim(gap, cleo, "80")
    claim_approve(claim=later, approver=cast.ana)
    later = claim_approve(claim=later, approver=cast.ben)
    assert (later.state, later.paid_minor) == ("paid", 8000)
