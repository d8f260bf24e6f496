"""What members see of a fund: its money, its runway, their own figures,
and others' claims only as far as the claimant chose."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.http import Http404

from mutualist.core.money import Money
from mutualist.mutual.models import Claim, Fund
from mutualist.mutual.selectors import (
    claim_get_for_user,
    claim_view,
    claims_for_fund,
    claims_waiting_for,
    fund_get_for_user,
    fund_list_for_user,
    fund_overview,
    member_statement,
)
from mutualist.mutual.services.claims import claim_approve
from mutualist.mutual.tests.helpers import NOW, add_member, fund_active
from mutualist.mutual.tests.test_claims import fill, gap_claim
from mutualist.testing import Cast

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def gap(cast: Cast) -> Fund:
    return fund_active(
        cast.collective_a,
        "income_gap",
        {"approvals_needed": 1},
        created_by=cast.ana,
        effective_from=dt.date(2026, 9, 1),
    )


def test_outsiders_see_no_fund_and_no_claim(cast: Cast, gap: Fund) -> None:
    claim = gap_claim(gap, cast.ben, "100")
    for outsider in (cast.carla, cast.olga):
        with pytest.raises(Http404):
            fund_get_for_user(user=outsider, slug="manila-va", kind="income_gap")
        with pytest.raises(Http404):
            claim_get_for_user(user=outsider, slug="manila-va", claim_id=claim.pk)
        with pytest.raises(Http404):
            fund_list_for_user(user=outsider, slug="manila-va")
    with pytest.raises(Http404):
        fund_get_for_user(user=cast.ben, slug="manila-va", kind="savings")
    with pytest.raises(Http404):
        claim_get_for_user(user=cast.ben, slug="manila-va", claim_id=2**63)
    assert fund_get_for_user(user=cast.ben, slug="manila-va", kind="income_gap") == gap


def test_the_overview_adds_up_money_reserved_free_and_runway(cast: Cast, gap: Fund) -> None:
    # Given 1,000.00 in, one claim of 300.00 paid and one of 900.00 waiting for money
    fill(gap, "1000", "a")
    paid = gap_claim(gap, cast.ben, "300")
    claim_approve(claim=paid, approver=cast.ana)
    cleo = add_member(cast.collective_a, "cleo@example.com", "Cleo")
    waiting = gap_claim(gap, cleo, "900")
    claim_approve(claim=waiting, approver=cast.ana)
    overview = fund_overview(fund=gap, today=NOW.date())
    # The waiting claim reserves its 900.00: none of the 700.00 held is free.
    assert overview.balances == [Money("700", "PHP")]
    assert overview.reserved == [Money("900", "PHP")]
    assert overview.available == [Money("0", "PHP")]
    assert overview.obligations == Money("900", "PHP")
    assert overview.money_in == [Money("1000", "PHP")]
    assert overview.paid_out == [Money("300", "PHP")]
    # Rules since September: three months (September to November), 100.00 a month.
    assert overview.monthly_claim_rate == Money("100", "PHP")
    assert overview.runway_months == Decimal("0.0")
    assert overview.claims_waiting == 1
    assert overview.rules is not None and overview.rules.version == 1


def test_no_claims_paid_means_no_runway_figure(cast: Cast, gap: Fund) -> None:
    fill(gap, "1000", "a")
    assert fund_overview(fund=gap, today=NOW.date()).runway_months is None


def test_an_anonymous_claim_hides_name_and_reason_once_decided(cast: Cast, gap: Fund) -> None:
    fill(gap, "1000", "a")
    cleo = add_member(cast.collective_a, "cleo@example.com", "Cleo")
    claim = gap_claim(gap, cast.ben, "100", disclosure="anonymous", reason="Hospital bills")
    # The claimant sees everything; a peer deciding it sees what he chose to tell.
    seen = claim_view(claim=claim, viewer=cast.ben)
    assert (seen.who, seen.reason) == (cast.ben.display_name, "Hospital bills")
    seen = claim_view(claim=claim, viewer=cleo)
    assert (seen.who, seen.reason, seen.amount) == ("A member", None, Money("100", "PHP"))
    assert claim_view(claim=claim, viewer=cleo).can_decide
    assert not claim_view(claim=claim, viewer=cast.ben).can_decide
    claim_approve(claim=claim, approver=cast.ana)
    claim.refresh_from_db()
    seen = claim_view(claim=claim, viewer=cleo)
    assert (seen.who, seen.reason) == ("A member", None)
    coordinator = claim_view(claim=claim, viewer=cast.ana)
    assert coordinator.who == cast.ben.display_name
    listed = claims_for_fund(fund=gap, viewer=cleo)
    assert [(c.who, c.reason) for c in listed] == [("A member", None)]


def test_a_named_claim_without_its_reason(cast: Cast, gap: Fund) -> None:
    cleo = add_member(cast.collective_a, "cleo@example.com", "Cleo")
    claim = gap_claim(gap, cast.ben, "100", disclosure="name_only", reason="Private")
    Claim.objects.filter(pk=claim.pk).update(state="rejected")
    claim.refresh_from_db()
    seen = claim_view(claim=claim, viewer=cleo)
    assert (seen.who, seen.reason) == (cast.ben.display_name, None)


def test_claims_waiting_for_a_peer(cast: Cast, gap: Fund) -> None:
    claim = gap_claim(gap, cast.ben, "100")
    assert claims_waiting_for(user=cast.ana) == [claim]
    assert claims_waiting_for(user=cast.ben) == []
    assert claims_waiting_for(user=cast.carla) == []


def test_a_member_sees_what_they_received(cast: Cast, gap: Fund) -> None:
    fill(gap, "1000", "a")
    claim = gap_claim(gap, cast.ben, "300")
    claim_approve(claim=claim, approver=cast.ana)
    statement = member_statement(fund=gap, member=cast.ben)
    assert statement.received == [Money("300", "PHP")]
    assert statement.claims == [Claim.objects.get(pk=claim.pk)]
    assert member_statement(fund=gap, member=cast.ana).received == []


def test_a_members_part_of_the_levies_follows_their_share_of_each_payment(
    cast: Cast, billed: Any, time_machine: Any
) -> None:
    from mutualist.collectives.services import bylaws_enact
    from mutualist.mutual.accounts import balance_minor, pool_account
    from mutualist.testing import BILLING_NOW, billing_issued, billing_pay, ledger_checked

    guarantee = fund_active(cast.collective_a, "guarantee", created_by=cast.ana)
    bylaws_enact(
        collective=cast.collective_a,
        created_by=cast.ana,
        effective_from=dt.date(2026, 11, 28),
        shares={"treasury": "10", "guarantee": "5"},
        admission_rule="coordinator",
        member_share_basis="bill",
    )
    time_machine.move_to(dt.datetime.fromisoformat(BILLING_NOW), tick=False)
    # 350.00 AUD net: 35.00 treasury, 17.50 levy, 297.50 to Ana (250) and Ben (100) by weight.
    invoice = billing_issued(billed)
    billing_pay(invoice, "385 AUD", "levy")
    assert balance_minor(pool_account(cast.collective_a, "guarantee", "AUD")) == 1750
    assert member_statement(fund=guarantee, member=cast.ana).paid_in == [Money("12.50", "AUD")]
    assert member_statement(fund=guarantee, member=cast.ben).paid_in == [Money("5.00", "AUD")]
    overview = fund_overview(fund=guarantee)
    assert overview.balances == [Money("17.50", "AUD")]
    assert overview.money_in == [Money("17.50", "AUD")]
    ledger_checked()


def test_a_members_fund_account_stays_theirs_when_their_handle_changes(cast: Cast) -> None:
    from mutualist.mutual.accounts import member_fund_account
    from mutualist.mutual.models import Participation

    fund = fund_active(cast.collective_a, "savings", created_by=cast.ana)
    participation = Participation.objects.create(fund=fund, member=cast.ben, joined_on=NOW.date())
    first = member_fund_account(participation, "PHP")
    cast.ben.profile.handle = "benjamin-new"
    cast.ben.profile.save()
    participation.refresh_from_db()
    assert member_fund_account(participation, "PHP") == first
    assert member_fund_account(participation, "USD") != first


def test_savings_withdrawals_are_seen_by_their_member_and_coordinators_only(cast: Cast) -> None:
    from mutualist.mutual.models import Participation
    from mutualist.mutual.services.savings import savings_withdraw
    from mutualist.mutual.tests.sick_pay_helpers import seed

    fund = fund_active(cast.collective_a, "savings", created_by=cast.ana)
    cleo = add_member(cast.collective_a, "cleo@example.com", "Cleo")
    seed(Participation.objects.create(fund=fund, member=cast.ben, joined_on=NOW.date()), "50", "s")
    claim = savings_withdraw(fund=fund, member=cast.ben, amount=Money("20", "PHP"))
    assert claim.state == "paid"
    assert [v.claim for v in claims_for_fund(fund=fund, viewer=cast.ben)] == [claim]
    assert [v.claim for v in claims_for_fund(fund=fund, viewer=cast.ana)] == [claim]
    assert claims_for_fund(fund=fund, viewer=cleo) == []
    assert claim_get_for_user(user=cast.ben, slug="manila-va", claim_id=claim.pk) == claim
    with pytest.raises(Http404):
        claim_get_for_user(user=cleo, slug="manila-va", claim_id=claim.pk)


def test_an_anonymous_claims_vote_is_not_opened_in_the_claimants_name(cast: Cast) -> None:
    fund = fund_active(cast.collective_a, "income_gap", {"approval": "vote"}, created_by=cast.ana)
    named = gap_claim(fund, cast.ben, "100", period=dt.date(2026, 9, 1))
    hidden = gap_claim(fund, cast.ben, "100", disclosure="anonymous", period=dt.date(2026, 10, 1))
    assert named.proposal is not None and named.proposal.author == cast.ben
    assert hidden.proposal is not None and hidden.proposal.author == cast.ana
    from mutualist.mutual.services.claims import claim_withdraw

    claim_withdraw(claim=hidden, actor=cast.ben)
    hidden.proposal.refresh_from_db()
    assert hidden.proposal.state == "withdrawn"


def test_the_runway_counts_other_currencies_at_the_rate_on_record(cast: Cast, gap: Fund) -> None:
    from django.db import transaction

    from mutualist.ledger.services import (
        Line,
        account_name_for,
        account_open,
        exchange_rate_set,
        transaction_post,
    )
    from mutualist.mutual.accounts import pool_account
    from mutualist.mutual.services.claims import claim_create

    collective = cast.collective_a
    opening = account_open(
        collective=collective,
        name=account_name_for(collective, "equity", "Opening", "AUD"),
        type="equity",
        currency="AUD",
    )
    levy = Money("1000", "AUD")
    transaction_post(
        lines=[Line(opening, levy), Line(pool_account(collective, "income_gap", "AUD"), -levy)],
        memo="Levies in AUD",
        occurred_at=NOW.date(),
        idempotency_key="test:aud",
        kind="opening",
    )
    with transaction.atomic():
        claim = claim_create(
            fund=gap,
            claimant=cast.ben,
            claim_date=NOW.date(),
            reason="",
            disclosure="everything",
            currency="AUD",
            amount_minor=30000,
        )
    claim_approve(claim=claim, approver=cast.ana)
    # No AUD/PHP rate yet: the runway leaves AUD out and says so.
    overview = fund_overview(fund=gap, today=NOW.date())
    assert (overview.runway_months, overview.runway_left_out) == (None, ["AUD"])
    exchange_rate_set(
        collective=collective, actor=cast.ana, base="AUD", quote="PHP", rate="38.50", on=NOW.date()
    )
    # 300.00 AUD paid since September (3 months): 3,850.00 PHP a month; 700.00 AUD
    # free is 26,950.00 PHP: 7 months.
    overview = fund_overview(fund=gap, today=NOW.date())
    assert overview.monthly_claim_rate == Money("3850", "PHP")
    assert (overview.runway_months, overview.runway_left_out) == (Decimal("7.0"), [])


def test_coordinators_see_the_deposits_in_arrears(cast: Cast) -> None:
    from mutualist.mutual.selectors import deposits_in_arrears
    from mutualist.mutual.services.sick_pay import sick_pay_deposits_post
    from mutualist.mutual.tests.sick_pay_helpers import join, sick_fund

    fund = sick_fund(cast.collective_a, cast.ana)
    ben = join(fund, cast.ben)
    sick_pay_deposits_post(NOW.date())
    seen = deposits_in_arrears(fund=fund, viewer=cast.ana)
    assert [(d.participation, d.month, d.amount_minor) for d in seen] == [
        (ben, dt.date(2026, 11, 1), 3000)
    ]
    assert deposits_in_arrears(fund=fund, viewer=cast.ben) == []


def test_a_claim_whose_vote_is_withdrawn_is_withdrawn_by_the_next_tick(cast: Cast) -> None:
    from mutualist.governance.services import proposal_withdraw
    from mutualist.mutual.services.claims import claims_expire_due

    fund = fund_active(cast.collective_a, "income_gap", {"approval": "vote"}, created_by=cast.ana)
    claim = gap_claim(fund, cast.ben, "100")
    assert claim.proposal is not None
    proposal_withdraw(proposal=claim.proposal, actor=cast.ana)
    assert claims_expire_due() == 1
    claim.refresh_from_db()
    assert (claim.state, claim.decision_note) == ("withdrawn", "Its vote was withdrawn.")
    assert claims_expire_due() == 0
