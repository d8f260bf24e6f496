"""The demo's decisions: a failed, a passed and a blocked proposal in Manila,
one open with votes, reasons and a proxy, and an admission vote in Remote Crew;
and the decisions Manila's funds were made by (``mutualist.demo.mutual``),
which build on them.

The demo is loaded once for the class (``setUpTestData``): it takes seconds,
and each test only reads it or changes it inside its own rolled-back
transaction.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from mutualist.billing.models import Invoice
from mutualist.collectives.models import Bylaws, Collective, Membership
from mutualist.collectives.selectors import bylaws_in_force
from mutualist.demo import data as demo
from mutualist.demo.governance import bylaws_anchor, governance_is_loaded
from mutualist.demo.governance_world import PROPOSALS, SENTINEL_TITLE
from mutualist.governance.models import Delegation, Proposal, Vote
from mutualist.governance.selectors import (
    proposal_list_waiting_for,
    results_shown,
    vote_of,
)
from mutualist.governance.services import proposals_close_due
from mutualist.ledger.check import ledger_check
from mutualist.members.models import User

EMAIL = "{}@demo.mutualist.coop"
FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def user(login: str) -> User:
    return User.objects.get(email=EMAIL.format(login))


def proposal(title: str) -> Proposal:
    return Proposal.objects.get(title=title)


def title_of(key: str) -> str:
    return next(spec.title for spec in PROPOSALS if spec.key == key)


def governance_counts() -> dict[str, int]:
    return {
        "Proposal": Proposal.objects.count(),
        "Vote": Vote.objects.count(),
        "Delegation": Delegation.objects.count(),
        "Bylaws": Bylaws.objects.count(),
        "Membership": Membership.objects.count(),
    }


class DemoGovernanceTests(TestCase):
    loaded: demo.DemoResult
    today: dt.date

    @classmethod
    def setUpTestData(cls) -> None:
        with override_settings(PASSWORD_HASHERS=FAST_HASHER):
            cls.loaded = demo.demo_load()
        cls.today = timezone.localdate()

    def test_every_outcome_is_there_with_the_tally_it_was_closed_with(self):
        # when
        decided = {
            (p.collective.slug, p.title): (p.state, p.outcome, p.tally.get("counts"))
            for p in Proposal.objects.select_related("collective")
        }
        # then
        assert decided == {
            ("manila-va", "Raise the treasury share to 15 %"): (
                "closed",
                "failed",
                {"yes": 3, "no": 2},
            ),
            ("manila-va", "Treasury share to 12 %"): ("closed", "passed", {"yes": 5, "no": 1}),
            ("manila-va", "Move the Monday team call to 09:00 Manila time"): (
                "closed",
                "blocked",
                {"agree": 3, "abstain": 1, "disagree": 1, "block": 1},
            ),
            ("manila-va", "Take on weekend chat for Bondi Surf Supply"): ("open", "", None),
            ("remote-crew", "Let the members vote on who joins"): (
                "closed",
                "passed",
                {"yes": 6, "no": 1},
            ),
            ("remote-crew", "Admit Lucas Ferreira"): ("open", "", None),
            # and the funds' decisions, after the 12 % one: their rules and levies
            # voted in, a higher floor and higher deposits under vote
            ("manila-va", "Rules for the sick-pay fund"): ("closed", "passed", {"yes": 7}),
            ("manila-va", "Rules for the payment guarantee fund"): (
                "closed",
                "passed",
                {"yes": 5},
            ),
            ("manila-va", "Rules for the income-gap fund"): (
                "closed",
                "passed",
                {"yes": 4, "no": 1},
            ),
            ("manila-va", "Levies for the guarantee (3 %) and income-gap (2 %) funds"): (
                "closed",
                "passed",
                {"yes": 5, "no": 1},
            ),
            ("manila-va", "Raise the income-gap floor to ₱15,000"): ("open", "", None),
            ("manila-va", "Deposit 6 % of the gift while we are few"): ("open", "", None),
        }
        # (the funds' proposals are counted with the funds)
        assert (self.loaded.proposals, self.loaded.votes, self.loaded.proxies) == (6, 30, 2)

    def test_the_failed_change_fell_short_of_the_two_thirds_it_asked(self):
        # when
        failed = proposal(title_of("manila-treasury-15"))
        # then: 3 of 5 for is 60 %, under 66.67 %, with the quorum met (5 of 7, 4 needed)
        assert failed.threshold_percent == Decimal("66.67")
        assert (failed.tally["eligible"], failed.tally["voted"], failed.tally["quorum_needed"]) == (
            7,
            5,
            4,
        )
        assert failed.applied_note == ""
        assert failed.payload["shares"] == {"treasury": "15.00"}

    def test_the_passed_change_made_the_next_bylaws_version_from_its_effective_date(self):
        # given
        manila = Collective.objects.get(slug="manila-va")
        passed = proposal(SENTINEL_TITLE)
        anchor = bylaws_anchor(manila)
        # when
        new = Bylaws.objects.get(collective=manila, version=2)
        # then
        assert new.effective_from == anchor <= self.today
        assert dt.date.fromisoformat(passed.payload["effective_from"]) == anchor
        assert passed.closed_at is not None
        assert timezone.localdate(passed.closed_at) < anchor
        assert {s.recipient: s.percent for s in new.split_shares.all()} == {
            "treasury": Decimal("12.00")
        }
        assert passed.applied_note == (
            f"Bylaws version 2 is in force from {anchor.day} {anchor:%B %Y}."
        )
        assert bylaws_in_force(collective=manila, on=anchor).pk == new.pk
        assert passed.payload["replaces_version"] == 1
        # and the funds' levies, voted alongside, replaced it the next day
        levies = bylaws_in_force(collective=manila)
        assert (levies.version, levies.effective_from) == (3, anchor + dt.timedelta(days=1))

    def test_every_issued_invoice_was_split_by_the_bylaws_in_force_on_its_issue_date(self):
        # The change takes effect the day after Manila's last invoice: the
        # demo's billing story (10 % to the treasury) stays true.
        manila = Collective.objects.get(slug="manila-va")
        anchor = bylaws_anchor(manila)
        issued = Invoice.objects.filter(collective=manila, issue_date__isnull=False)
        assert issued.count() == 7
        for invoice in issued:
            assert invoice.issue_date is not None
            in_force = bylaws_in_force(collective=manila, on=invoice.issue_date)
            assert {s.recipient: str(s.percent) for s in in_force.split_shares.all()} == (
                invoice.split_rule
            ), invoice.number
        # the billing demo's five invoices and its credit note, before the change, at 10 %
        billed = issued.exclude(client__name="Casa Verde Restaurant")
        assert billed.count() == 6
        assert all(invoice.split_rule == {"treasury": "10.00"} for invoice in billed)
        assert all(i.issue_date is not None and i.issue_date < anchor for i in billed)
        # and the funds' invoice, issued the day the levies took effect, under them
        levied = issued.get(client__name="Casa Verde Restaurant")
        assert levied.issue_date == anchor + dt.timedelta(days=1)
        assert levied.split_rule == {"treasury": "12.00", "guarantee": "3.00", "income_gap": "2.00"}
        assert ledger_check() == []

    def test_rico_voted_through_his_proxy_on_the_passed_change(self):
        # when
        passed = proposal(SENTINEL_TITLE)
        ballot = Vote.objects.get(proposal=passed, member=user("rico"))
        # then: Bea's own vote, counted for Rico at closing, once
        assert (ballot.choice, ballot.proxy) == ("yes", user("bea"))
        assert Vote.objects.filter(proposal=passed, proxy__isnull=False).count() == 1
        assert (passed.tally["direct"], passed.tally["by_proxy"]) == (5, 1)
        # and Liza, who neither voted nor named a proxy then, has no ballot
        assert not Vote.objects.filter(proposal=passed, member=user("liza")).exists()

    def test_the_block_is_on_the_record_with_its_reason(self):
        # when
        blocked = proposal(title_of("manila-monday-call"))
        block = Vote.objects.get(proposal=blocked, choice="block")
        # then
        assert blocked.method == Proposal.Method.CONSENT
        assert block.member == user("paolo")
        assert block.reason.startswith("09:00 is the middle of my sleep")

    def test_the_open_proposal_closes_in_a_few_days_and_waits_for_ana(self):
        # given
        open_one = proposal(title_of("manila-weekend-chat"))
        ana = user("ana")
        # then
        assert open_one.is_open
        assert dt.timedelta(days=2) < open_one.closes_at - timezone.now() < dt.timedelta(days=4)
        votes = Vote.objects.filter(proposal=open_one)
        assert sorted(votes.values_list("member__email", "choice")) == [
            (EMAIL.format("bea"), "yes"),
            (EMAIL.format("carlo"), "no"),
            (EMAIL.format("marisol"), "yes"),
            (EMAIL.format("paolo"), "yes"),
        ]
        assert all(vote.reason for vote in votes)
        assert open_one.reasons_required
        # Ana has not voted: the proposal waits for her, with its results hidden from her
        assert vote_of(proposal=open_one, user=ana) is None
        assert list(proposal_list_waiting_for(user=ana)) == [open_one]
        assert not results_shown(proposal=open_one, user=ana)
        assert results_shown(proposal=open_one, user=user("bea"))

    def test_anas_dashboard_shows_it_waiting_for_her_vote(self):
        # given
        self.client.force_login(user("ana"), backend="django.contrib.auth.backends.ModelBackend")
        # when
        response = self.client.get(reverse("members:dashboard"))
        # then
        assert response.status_code == 200
        page = response.content.decode()
        assert "Waiting for your vote" in page
        assert "Take on weekend chat for Bondi Surf Supply" in page

    def test_liza_is_on_leave_with_a_period_proxy_to_bea(self):
        # when
        proxy = Delegation.objects.get(delegator=user("liza"), revoked_at__isnull=True)
        # then
        assert proxy.delegate == user("bea")
        assert proxy.proposal is None
        assert proxy.starts_on is not None and proxy.ends_on is not None
        assert proxy.starts_on < self.today
        open_one = proposal(title_of("manila-weekend-chat"))
        assert proxy.ends_on >= timezone.localdate(open_one.closes_at)

    def test_the_proxy_is_counted_when_tick_closes_the_open_proposal(self):
        # given
        open_one = proposal(title_of("manila-weekend-chat"))
        after = open_one.closes_at + dt.timedelta(minutes=5)
        # when: tick runs after the deadline
        with time_machine.travel(after, tick=False):
            closed = proposals_close_due()
        # then: Liza's ballot is Bea's yes, counted once; Ana and Rico did not vote
        open_one.refresh_from_db()
        assert closed == 1  # the admission vote closes later
        assert (open_one.state, open_one.outcome) == ("closed", "passed")
        assert open_one.tally == {
            "eligible": 7,
            "voted": 5,
            "direct": 4,
            "by_proxy": 1,
            "quorum_needed": 4,
            "counts": {"no": 1, "yes": 4},
        }
        ballot = Vote.objects.get(proposal=open_one, member=user("liza"))
        assert (ballot.choice, ballot.proxy) == ("yes", user("bea"))
        assert not Vote.objects.filter(proposal=open_one, member=user("ana")).exists()

    def test_remote_crew_votes_on_lucas_under_its_new_admission_rule(self):
        # given
        crew = Collective.objects.get(slug="remote-crew")
        # then
        assert bylaws_in_force(collective=crew).admission_rule == Bylaws.AdmissionRule.VOTE
        membership = Membership.objects.get(collective=crew, user=user("lucas"))
        assert membership.state == Membership.State.APPLIED
        admission = Proposal.objects.get(collective=crew, kind=Proposal.Kind.ADMISSION)
        assert admission.is_open
        assert admission.payload["membership_id"] == membership.pk
        assert admission.author == user("lucas")
        assert Vote.objects.filter(proposal=admission, choice="yes").count() == 3
        assert admission.closes_at > timezone.now()

    def test_loading_again_adds_nothing(self):
        # given
        before = governance_counts()
        # when
        with override_settings(PASSWORD_HASHERS=FAST_HASHER):
            again = demo.demo_load()
        # then
        assert governance_is_loaded() and demo.demo_is_loaded()
        assert not again.anything
        assert (again.proposals, again.votes, again.proxies) == (0, 0, 0)
        assert governance_counts() == before


@pytest.mark.django_db
def test_once_adds_the_decisions_to_a_demo_loaded_before_it_had_any(capsys):
    # given: the whole demo but its decisions
    with override_settings(PASSWORD_HASHERS=FAST_HASHER):
        demo.demo_load(with_governance=False)
    assert not demo.demo_is_loaded()
    assert Proposal.objects.count() == 0
    # when
    call_command("demo", "--once")
    # then
    out = capsys.readouterr().out
    assert out.startswith("Demo data loaded: 0 people, 0 collectives, 0 memberships")
    assert "6 proposals made, with 30 votes and 2 proxies." in out
    # and the funds, which build on the decisions, with their own six
    assert "3 mutual funds set up, with 3 claims on them." in out
    assert demo.demo_is_loaded()
    # and once more: nothing to do
    call_command("demo", "--once")
    assert capsys.readouterr().out.startswith("Demo data already loaded; nothing to do.")
    assert Proposal.objects.count() == 6 + 6
