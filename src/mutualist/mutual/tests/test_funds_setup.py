"""Setting a fund up and changing its rules: the members vote the rules in,
and nothing else writes them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import call_command

from mutualist.core.errors import Conflict, PermissionDenied, ValidationFailed
from mutualist.governance.models import Proposal
from mutualist.governance.services import vote_cast
from mutualist.mutual.models import Fund, FundRules
from mutualist.mutual.rules import DEFAULTS
from mutualist.mutual.services.funds import (
    fund_rules_enact,
    fund_rules_propose,
    fund_setup,
    rules_in_force,
)
from mutualist.mutual.tests.helpers import NOW, add_member, fund_active, rules_passed, snapshot
from mutualist.testing import Cast

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


def tick() -> None:
    call_command("tick", stdout=__import__("io").StringIO())


def test_members_vote_a_funds_first_rules_in(cast: Cast, time_machine: Any) -> None:
    # Given Ana sets up a sick-pay fund with six-month changes and 2 % deposits
    proposal = fund_setup(
        collective=cast.collective_a,
        actor=cast.ana,
        kind="sick_pay",
        rules={"waiting_days": 14, "min_members": 2},
        closes_at=NOW + dt.timedelta(days=3),
    )
    fund = Fund.objects.get(collective=cast.collective_a, kind="sick_pay")
    assert fund.state == "setting_up" and fund.currency == "PHP"
    assert proposal.kind == "fund_rule_change"
    assert proposal.payload["rules"]["waiting_days"] == 14
    assert proposal.payload["rules"]["tiers"] == DEFAULTS["sick_pay"]["tiers"]
    assert proposal.payload["effective_from"] == "2026-12-01"
    assert rules_in_force(fund=fund, on=dt.date(2026, 12, 1)) is None
    # When both members vote yes and the vote closes
    vote_cast(proposal=proposal, voter=cast.ana, choice="yes")
    vote_cast(proposal=proposal, voter=cast.ben, choice="yes")
    time_machine.move_to(NOW + dt.timedelta(days=3, minutes=5), tick=False)
    tick()
    # Then version 1 is in force from the effective date and the fund is active
    proposal.refresh_from_db()
    assert proposal.outcome == "passed"
    assert "Version 1 of the sick-pay fund's rules is in force from 1 December 2026" in (
        proposal.applied_note
    )
    fund.refresh_from_db()
    assert fund.state == "active"
    version = rules_in_force(fund=fund, on=dt.date(2026, 12, 1))
    assert version is not None and version.version == 1 and version.proposal == proposal
    assert version.rules["waiting_days"] == 14
    assert rules_in_force(fund=fund, on=dt.date(2026, 11, 30)) is None


def test_a_rejected_vote_leaves_the_fund_without_rules(cast: Cast, time_machine: Any) -> None:
    proposal = fund_setup(
        collective=cast.collective_a,
        actor=cast.ana,
        kind="income_gap",
        closes_at=NOW + dt.timedelta(days=1),
    )
    vote_cast(proposal=proposal, voter=cast.ana, choice="no")
    vote_cast(proposal=proposal, voter=cast.ben, choice="no")
    time_machine.move_to(NOW + dt.timedelta(days=2), tick=False)
    tick()
    fund = Fund.objects.get(kind="income_gap")
    assert fund.state == "setting_up"
    assert not FundRules.objects.filter(fund=fund).exists()
    # A new vote may be opened for it.
    again = fund_setup(
        collective=cast.collective_a,
        actor=cast.ana,
        kind="income_gap",
        rules={"floor": "500.00", "cap": "200.00"},
        closes_at=NOW + dt.timedelta(days=5),
    )
    assert again.payload["rules"]["floor"] == "500.00"


def test_rules_never_change_without_a_passed_proposal(cast: Cast) -> None:
    fund = fund_active(cast.collective_a, "guarantee", created_by=cast.ana)
    open_vote = fund_rules_propose(
        fund=fund,
        author=cast.ben,
        rules={"overdue_days": 45},
        effective_from=NOW.date() + dt.timedelta(days=10),
        closes_at=NOW + dt.timedelta(days=7),
    )
    before = snapshot()
    with pytest.raises(Conflict) as refused:
        fund_rules_enact(proposal=open_vote)
    assert refused.value.code == "proposal_not_passed"
    assert snapshot() == before
    Proposal.objects.filter(pk=open_vote.pk).update(state="closed", outcome="failed", closed_at=NOW)
    open_vote.refresh_from_db()
    with pytest.raises(Conflict) as refused:
        fund_rules_enact(proposal=open_vote)
    assert refused.value.code == "proposal_not_passed"
    assert snapshot() == before


def test_only_a_coordinator_sets_a_fund_up_and_only_once(cast: Cast) -> None:
    before = snapshot()
    with pytest.raises(PermissionDenied) as refused:
        fund_setup(collective=cast.collective_a, actor=cast.ben, kind="savings")
    assert refused.value.code == "not_coordinator"
    with pytest.raises(PermissionDenied) as outsider:
        fund_setup(collective=cast.collective_a, actor=cast.carla, kind="savings")
    assert outsider.value.code == "not_a_member"
    assert snapshot() == before
    fund_active(cast.collective_a, "savings", created_by=cast.ana)
    before = snapshot()
    with pytest.raises(Conflict) as twice:
        fund_setup(collective=cast.collective_a, actor=cast.ana, kind="savings")
    assert twice.value.code == "fund_exists"
    assert snapshot() == before


@pytest.mark.parametrize(
    ("rules", "field"),
    [
        ({"waiting_days": -1}, "rules.waiting_days"),
        ({"waiting_days": "a month"}, "rules.waiting_days"),
        ({"tiers": []}, "rules.tiers"),
        (
            {"tiers": [{"deposit": "10.00", "payout": "100"}, {"deposit": "5", "payout": "200"}]},
            "rules.tiers",
        ),
        ({"tiers": [{"deposit": 10.5, "payout": "100"}]}, "rules.tiers.0.deposit"),
        ({"change_months": [13]}, "rules.change_months"),
        ({"approval": "automatic"}, "rules.approval"),
        ({"min_members": 60}, "rules.min_members"),
        ({"colour": "blue"}, "rules.colour"),
    ],
)
def test_it_refuses_bad_rules_naming_the_field_and_changes_nothing(
    cast: Cast, rules: dict[str, Any], field: str
) -> None:
    before = snapshot()
    with pytest.raises(ValidationFailed) as refused:
        fund_setup(collective=cast.collective_a, actor=cast.ana, kind="sick_pay", rules=rules)
    assert refused.value.field == field
    assert snapshot() == before


def test_a_rule_change_must_change_something_and_not_take_effect_before_the_vote(
    cast: Cast,
) -> None:
    fund = fund_active(cast.collective_a, "income_gap", created_by=cast.ana)
    before = snapshot()
    with pytest.raises(ValidationFailed) as same:
        fund_rules_propose(
            fund=fund,
            author=cast.ben,
            rules={"floor": DEFAULTS["income_gap"]["floor"]},
            effective_from=NOW.date() + dt.timedelta(days=10),
        )
    assert same.value.code == "no_change"
    with pytest.raises(ValidationFailed) as early:
        fund_rules_propose(
            fund=fund,
            author=cast.ben,
            rules={"floor": "700.00"},
            effective_from=NOW.date(),
            closes_at=NOW + dt.timedelta(days=3),
        )
    assert early.value.code == "effective_before_close"
    assert snapshot() == before


def test_a_passed_change_makes_a_new_version_and_keeps_the_old(
    cast: Cast, time_machine: Any
) -> None:
    fund = fund_active(cast.collective_a, "income_gap", created_by=cast.ana)
    proposal = fund_rules_propose(
        fund=fund,
        author=cast.ben,
        rules={"cap": "250.00"},
        effective_from=dt.date(2027, 1, 1),
        closes_at=NOW + dt.timedelta(days=2),
    )
    assert proposal.payload["rules"]["floor"] == DEFAULTS["income_gap"]["floor"]
    vote_cast(proposal=proposal, voter=cast.ana, choice="yes")
    vote_cast(proposal=proposal, voter=cast.ben, choice="yes")
    time_machine.move_to(NOW + dt.timedelta(days=3), tick=False)
    tick()
    old = rules_in_force(fund=fund, on=dt.date(2026, 12, 31))
    new = rules_in_force(fund=fund, on=dt.date(2027, 1, 1))
    assert old is not None and new is not None
    assert (old.version, old.rules["cap"]) == (1, "300.00")
    assert (new.version, new.rules["cap"]) == (2, "250.00")


def test_a_claim_decided_by_vote_is_paid_when_the_vote_passes_and_its_claimant_cannot_vote(
    cast: Cast, time_machine: Any
) -> None:
    from mutualist.mutual.tests.test_claims import fill, gap_claim

    cleo = add_member(cast.collective_a, "cleo@example.com", "Cleo")
    fund = fund_active(cast.collective_a, "income_gap", {"approval": "vote"}, created_by=cast.ana)
    fill(fund, "1000", "a")
    claim = gap_claim(fund, cast.ben, "300", disclosure="anonymous")
    assert claim.proposal is not None and claim.proposal.kind == "claim_approval"
    with pytest.raises(PermissionDenied) as own:
        vote_cast(proposal=claim.proposal, voter=cast.ben, choice="yes")
    assert own.value.code == "own_claim"
    vote_cast(proposal=claim.proposal, voter=cast.ana, choice="yes")
    vote_cast(proposal=claim.proposal, voter=cleo, choice="yes")
    time_machine.move_to(NOW + dt.timedelta(days=8), tick=False)
    tick()
    claim.refresh_from_db()
    assert claim.state == "paid" and claim.paid_minor == 30000
    claim.proposal.refresh_from_db()
    assert claim.proposal.applied_note == f"Claim #{claim.pk} is approved and paid."


def test_rules_passed_later_apply_to_later_claims_only(cast: Cast) -> None:
    fund = fund_active(cast.collective_a, "income_gap", created_by=cast.ana)
    rules_passed(fund, {"approvals_needed": 3}, effective_from=dt.date(2026, 12, 1))
    assert rules_in_force(fund=fund, on=dt.date(2026, 11, 30)).version == 1  # type: ignore[union-attr]
    assert rules_in_force(fund=fund, on=dt.date(2026, 12, 1)).version == 2  # type: ignore[union-attr]


def test_one_rules_vote_at_a_time_per_fund(cast: Cast) -> None:
    fund = fund_active(cast.collective_a, "income_gap", created_by=cast.ana)
    fund_rules_propose(
        fund=fund,
        author=cast.ben,
        rules={"cap": "250.00"},
        effective_from=dt.date(2027, 1, 1),
        closes_at=NOW + dt.timedelta(days=2),
    )
    before = snapshot()
    with pytest.raises(Conflict) as refused:
        fund_rules_propose(
            fund=fund,
            author=cast.ana,
            rules={"cap": "200.00"},
            effective_from=dt.date(2027, 1, 1),
            closes_at=NOW + dt.timedelta(days=2),
        )
    assert refused.value.code == "rules_vote_open"
    assert snapshot() == before


def test_a_later_decision_overrides_an_earlier_one_dated_later(cast: Cast) -> None:
    # Version 1 was voted in for 5 December; version 2, decided after it,
    # takes effect on 1 December: from then on version 2 is in force, and
    # version 1 never is.
    fund = fund_active(
        cast.collective_a, "income_gap", created_by=cast.ana, effective_from=dt.date(2026, 12, 5)
    )
    rules_passed(fund, {"cap": "250.00"}, effective_from=dt.date(2026, 12, 1))
    assert rules_in_force(fund=fund, on=dt.date(2026, 11, 30)) is None
    for day in (dt.date(2026, 12, 1), dt.date(2026, 12, 5), dt.date(2027, 1, 1)):
        version = rules_in_force(fund=fund, on=day)
        assert version is not None and version.version == 2, day


def test_a_closing_time_without_a_time_zone_is_refused(cast: Cast) -> None:
    before = snapshot()
    with pytest.raises(ValidationFailed) as refused:
        fund_setup(
            collective=cast.collective_a,
            actor=cast.ana,
            kind="savings",
            closes_at=dt.datetime(2026, 12, 5, 12, 0),  # noqa: DTZ001 -- the point of the test
        )
    assert refused.value.code == "closes_at_naive"
    assert snapshot() == before


def test_new_rules_cannot_take_effect_before_the_version_they_amend(cast: Cast) -> None:
    fund = fund_active(cast.collective_a, "income_gap", created_by=cast.ana)
    rules_passed(fund, {"cap": "250.00"}, effective_from=dt.date(2027, 7, 1))
    before = snapshot()
    with pytest.raises(ValidationFailed) as refused:
        fund_rules_propose(
            fund=fund,
            author=cast.ben,
            rules={"floor": "700.00"},
            effective_from=dt.date(2027, 5, 1),
            closes_at=NOW + dt.timedelta(days=3),
        )
    assert (refused.value.code, refused.value.field) == (
        "effective_before_newest",
        "effective_from",
    )
    assert snapshot() == before
