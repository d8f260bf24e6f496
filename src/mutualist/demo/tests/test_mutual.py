"""The demo's mutual funds: a sick member paid, a guarantee claim paid and
refilled, a top-up, levies from real income, a rule change under vote; made
through the services, dated before the day the demo is loaded, in books that
``ledger check`` passes, and loaded once.

The demo is loaded once for the class (``setUpTestData``): it takes seconds,
and each test only reads it or changes it inside its own rolled-back
transaction.
"""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal
from fractions import Fraction
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.test import TestCase, override_settings
from django.utils import timezone

from mutualist.billing.accounts import find_member_account
from mutualist.billing.models import Invoice, Payment, PaymentDiversion, PaymentShare, Payout
from mutualist.billing.services import payment_record
from mutualist.collectives.models import Bylaws, Collective, Membership
from mutualist.collectives.selectors import bylaws_in_force
from mutualist.core.money import Money
from mutualist.demo import data as demo
from mutualist.demo.billing import demo_key
from mutualist.demo.mutual import mutual_is_loaded, onboarding_invoice
from mutualist.demo.mutual_world import DEPOSIT_VOTE, LEVIES, RULE_VOTE
from mutualist.governance.models import Proposal, Vote
from mutualist.ledger.check import ledger_check
from mutualist.ledger.models import Account, Posting, Transaction
from mutualist.members.models import User
from mutualist.mutual.accounts import balance_minor, find_pool_account
from mutualist.mutual.models import (
    Claim,
    ClaimApproval,
    ClaimPayment,
    ClientAgreement,
    Deposit,
    Fund,
    FundRules,
    GuaranteeAdvance,
    Participation,
    SickPayRun,
)
from mutualist.mutual.selectors import fund_overview
from mutualist.mutual.services.income_gap import platform_income

EMAIL = "{}@demo.mutualist.coop"
FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ROWS = (
    Fund,
    FundRules,
    Participation,
    Deposit,
    Claim,
    ClaimApproval,
    ClaimPayment,
    SickPayRun,
    GuaranteeAdvance,
    ClientAgreement,
    Proposal,
    Vote,
    Invoice,
    Payment,
    Payout,
    Transaction,
    Bylaws,
)


def user(login: str) -> User:
    return User.objects.get(email=EMAIL.format(login))


def fund(kind: str) -> Fund:
    return Fund.objects.get(collective__slug="manila-va", kind=kind)


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in ROWS}


def months_from(first: dt.date, months: int) -> dt.date:
    years, index = divmod(first.month - 1 + months, 12)
    return dt.date(first.year + years, index + 1, 1)


def pool(kind: str, currency: str) -> int:
    account = find_pool_account(Collective.objects.get(slug="manila-va"), kind, currency)
    return balance_minor(account)


class DemoMutualTests(TestCase):
    loaded: demo.DemoResult
    today: dt.date
    month: dt.date  # the first day of the month the demo was loaded in

    @classmethod
    def setUpTestData(cls) -> None:
        with override_settings(PASSWORD_HASHERS=FAST_HASHER):
            cls.loaded = demo.demo_load()
        cls.today = timezone.localdate()
        cls.month = cls.today.replace(day=1)

    # --- 1. The funds, voted in ---------------------------------------------------------

    def test_three_funds_were_set_up_by_ana_and_voted_in_before_they_were_used(self):
        # when
        funds = {f.kind: f for f in Fund.objects.filter(collective__slug="manila-va")}
        # then: active, each with one version of rules from a passed vote
        assert set(funds) == {"sick_pay", "guarantee", "income_gap"}
        assert (self.loaded.funds, self.loaded.fund_claims) == (3, 3)
        for kind, each in funds.items():
            assert each.state == Fund.State.ACTIVE, kind
            assert each.created_by == user("ana")
            (version,) = FundRules.objects.filter(fund=each)
            proposal = version.proposal
            assert (proposal.state, proposal.outcome) == ("closed", "passed"), kind
            assert proposal.author == user("ana")
            assert proposal.closed_at is not None and proposal.closed_at > proposal.closes_at
            assert proposal.closed_at - proposal.closes_at < dt.timedelta(minutes=10)
            assert timezone.localdate(proposal.closed_at) <= version.effective_from
            first_claim = Claim.objects.filter(fund=each).order_by("claim_date").first()
            assert first_claim is not None and version.effective_from <= first_claim.claim_date
        # and the sick-pay fund has run for two months before this one
        sick = FundRules.objects.get(fund=funds["sick_pay"])
        assert sick.effective_from == months_from(self.month, -2)

    def test_the_sick_pay_tiers_pay_15000_to_50000_pesos_for_deposits_of_4_5_percent(self):
        # when
        rules = FundRules.objects.get(fund=fund("sick_pay")).rules
        # then
        tiers = [(Decimal(t["deposit"]), Decimal(t["payout"])) for t in rules["tiers"]]
        assert [payout for _, payout in tiers] == [Decimal(p) for p in range(15_000, 50_001, 5_000)]
        assert all(deposit == payout * Decimal("0.045") for deposit, payout in tiers)
        assert (rules["waiting_days"], rules["min_members"], rules["approvals_needed"]) == (
            30,
            5,
            2,
        )
        assert fund("sick_pay").currency == "PHP"

    # --- 2. The levies, from real income --------------------------------------------------

    def test_a_passed_bylaws_change_added_the_levies_after_the_12_percent_one(self):
        # given
        manila = Collective.objects.get(slug="manila-va")
        twelve = Bylaws.objects.get(collective=manila, version=2)
        # when
        levies = Bylaws.objects.get(collective=manila, version=3)
        proposal = Proposal.objects.get(title=LEVIES.title)
        # then
        assert (proposal.kind, proposal.state, proposal.outcome) == (
            "bylaws_change",
            "closed",
            "passed",
        )
        assert proposal.tally["counts"] == {"yes": 5, "no": 1}
        assert {s.recipient: s.percent for s in levies.split_shares.all()} == {
            "treasury": Decimal("12.00"),
            "guarantee": Decimal("3.00"),
            "income_gap": Decimal("2.00"),
        }
        assert levies.effective_from == twelve.effective_from + dt.timedelta(days=1)
        assert bylaws_in_force(collective=manila).pk == levies.pk
        # and every invoice was split by the bylaws in force on its issue date
        for invoice in Invoice.objects.filter(collective=manila, issue_date__isnull=False):
            assert invoice.issue_date is not None
            in_force = bylaws_in_force(collective=manila, on=invoice.issue_date)
            rule = {s.recipient: str(s.percent) for s in in_force.split_shares.all()}
            assert invoice.split_rule == rule, invoice.number

    def test_casa_verdes_payment_paid_the_levies_into_the_two_pooled_funds(self):
        # given
        invoice = Invoice.objects.get(client__name="Casa Verde Restaurant")
        # when
        (payment,) = invoice.payments.all()
        shares = dict(payment.shares.values_list("key", "amount_minor"))
        # then: ₱18,000 split 12 / 3 / 2 and the rest to Marisol, who did the work
        assert (invoice.status, invoice.total_minor, invoice.currency) == ("paid", 1_800_000, "PHP")
        assert invoice.split_rule == {
            "treasury": "12.00",
            "guarantee": "3.00",
            "income_gap": "2.00",
        }
        assert shares == {
            "treasury": 216_000,
            "guarantee": 54_000,
            "income_gap": 36_000,
            f"member:{user('marisol').pk}": 1_494_000,
        }
        credited = dict(
            Posting.objects.filter(transaction=payment.transaction, amount_minor__lt=0)
            .filter(account__name__contains=":Funds:")
            .values_list("account__name", "amount_minor")
        )
        assert credited == {
            "Liabilities:Collectives:ManilaVa:Funds:Guarantee:PHP": -54_000,
            "Liabilities:Collectives:ManilaVa:Funds:IncomeGap:PHP": -36_000,
        }

    def test_the_treasury_seeded_the_pooled_funds_once(self):
        # when
        seeds = Transaction.objects.filter(kind="fund_seed").order_by("pk")
        # then
        assert [(t.idempotency_key, t.postings.count()) for t in seeds] == [
            ("demo:manila-va:seed-guarantee", 2),
            ("demo:manila-va:seed-income_gap", 2),
        ]
        assert pool("guarantee", "USD") == 50_000  # the seed; the advance came back
        assert pool("guarantee", "PHP") == 54_000  # Casa Verde's levy
        # the seed, less Paolo's top-up, plus Casa Verde's levy
        assert pool("income_gap", "PHP") == 2_000_000 - 500_000 + 36_000

    # --- 3. Deposits, and arrears -----------------------------------------------------------

    def test_seven_members_take_part_and_deposit_monthly_from_their_payables(self):
        # given
        months = [months_from(self.month, -2), months_from(self.month, -1), self.month]
        # when
        states = {
            p.member.email.split("@")[0]: (
                p.tier,
                [
                    (d.month, d.state, d.amount_minor)
                    for d in Deposit.objects.filter(participation=p).order_by("month")
                ],
            )
            for p in Participation.objects.filter(fund=fund("sick_pay")).select_related("member")
        }
        # then: Carlo, fully sick on the 1st of this month, deposits nothing this
        # month; Liza, whose Australian dollars were paid out to her in pesos, is
        # in arrears; Bea's pesos ran short this month, and her pounds paid
        paid, arrears = Deposit.State.PAID, Deposit.State.ARREARS

        def row(tier: int, *fates: str) -> tuple[int, list[tuple[dt.date, str, int]]]:
            deposit = (675 + 225 * tier) * 100
            return tier, [(m, fate, deposit) for m, fate in zip(months, fates, strict=False)]

        assert states == {
            "ana": row(7, paid, paid, paid),
            "rico": row(0, paid, paid, paid),
            "paolo": row(0, paid, paid, paid),
            "bea": row(0, paid, paid, paid),
            "carlo": row(0, paid, paid),
            "marisol": row(1, paid, paid, paid),
            "liza": row(0, arrears, arrears, arrears),
        }
        for deposit in Deposit.objects.filter(state=paid).select_related("transaction"):
            assert deposit.transaction is not None
            assert deposit.transaction.kind == "fund_deposit"
        # Bea's this month: ₱675 from her pounds at the rate on record for the day
        # the last tick ran (the demo's), rounded up to the penny
        manila = Collective.objects.get(slug="manila-va")
        bea = Deposit.objects.get(participation__member=user("bea"), month=self.month)
        assert bea.transaction is not None and bea.transaction.fx_rate == Decimal("74.66")
        pounds = bea.transaction.postings.get(
            account=find_member_account(manila, user("bea"), "GBP")
        )
        assert pounds.amount_minor == 905
        # and no payable or fund account went below zero
        guarded = Account.objects.filter(must_not_go_negative=True)
        assert not [a.name for a in guarded if a.would_go_negative(a.balance_minor)]

    def test_members_were_in_the_collective_months_before_the_funds(self):
        # given: Manila was founded on 1 June 2026, 09:00 in Manila
        manila = Collective.objects.get(slug="manila-va")
        founded = dt.datetime(2026, 6, 1, 1, 0, tzinfo=dt.UTC)
        # when
        joined = {
            membership.user.email: membership.joined_at
            for membership in Membership.objects.filter(
                collective=manila, state=Membership.State.ACTIVE
            ).select_related("user")
            if membership.joined_at is not None  # an active membership always has one
        }
        # then: Ana created it, her six colleagues joined a minute apart, and each
        # had signed up by then
        founders = ("ana", "paolo", "bea", "carlo", "liza", "rico", "marisol")
        assert joined == {
            EMAIL.format(login): founded + dt.timedelta(minutes=minutes)
            for minutes, login in enumerate(founders)
        }
        assert manila.created_at == founded
        for login in founders:
            assert user(login).date_joined <= joined[EMAIL.format(login)]
        # and before the first fund was set up; Paolo, more than the three months
        # before his top-up claim that the income-gap fund asks
        first = Fund.objects.filter(collective=manila).order_by("created_at").first()
        assert first is not None and max(joined.values()) < first.created_at
        top_up = Claim.objects.get(fund=fund("income_gap"))
        assert top_up.claim_date - joined[EMAIL.format("paolo")].date() > dt.timedelta(days=92)

    # --- 4. A member on sick leave, paid ----------------------------------------------------

    def test_carlo_is_on_sick_leave_and_last_month_was_paid_from_the_others_accounts(self):
        # given
        carlo = user("carlo")
        claim = Claim.objects.get(fund=fund("sick_pay"))
        starts = months_from(self.month, -2) + dt.timedelta(days=20)
        first_paid = starts + dt.timedelta(days=30)
        last_month = months_from(self.month, -1)
        days = calendar.monthrange(last_month.year, last_month.month)[1]
        covered = (self.month - max(first_paid, last_month)).days
        expected = round(Fraction(1_500_000 * covered, days))
        # when
        (payment,) = ClaimPayment.objects.filter(claim=claim)
        # then: 100 % sick since the 21st, approved by two peers, still ongoing
        assert (claim.claimant, claim.state, claim.percent, claim.starts_on) == (
            carlo,
            Claim.State.ONGOING,
            100,
            starts,
        )
        assert claim.disclosure == Claim.Disclosure.NAME_ONLY
        assert sorted(a.approver.email for a in claim.approvals.all()) == [
            EMAIL.format("ana"),
            EMAIL.format("bea"),
        ]
        assert (payment.month, payment.paid_on) == (last_month, self.month)
        assert payment.amount_minor == payment.requested_minor == expected > 0
        run = SickPayRun.objects.get(fund=claim.fund, month=last_month)
        assert run.paid_minor == run.required_minor == expected
        # and the gift came out of the other members' own accounts, into his payable
        assert payment.transaction is not None
        lines = list(payment.transaction.postings.select_related("account"))
        drawn = [p for p in lines if p.amount_minor > 0]
        assert drawn and all(":Funds:SickPay:" in p.account.name for p in drawn)
        assert not [p for p in drawn if "Carlo" in p.account.name]
        (received,) = [p for p in lines if p.amount_minor < 0]
        assert received.account == find_member_account(claim.collective, carlo, "PHP")
        assert received.amount_minor == -expected

    # --- 5. The payment guarantee -----------------------------------------------------------

    def test_ricos_guarantee_claim_advanced_the_members_shares_of_the_overdue_invoice(self):
        # given
        invoice = onboarding_invoice()
        assert invoice is not None and invoice.due_date is not None
        # when
        claim = Claim.objects.get(fund=fund("guarantee"))
        advances = {
            a.member.email.split("@")[0]: (a.advanced_minor, a.recovered_minor)
            for a in GuaranteeAdvance.objects.filter(claim=claim)
        }
        # then: more than a day overdue when claimed; two peers approved; 80 %
        # of the members' $216 paid at once, and all of it recovered since
        assert (claim.claimant, claim.invoice, claim.state) == (user("rico"), invoice, "paid")
        assert claim.claim_date > invoice.due_date + dt.timedelta(days=1)
        assert (claim.amount_minor, claim.paid_minor, claim.currency) == (17_280, 17_280, "USD")
        assert sorted(a.approver.email for a in claim.approvals.all()) == [
            EMAIL.format("bea"),
            EMAIL.format("marisol"),
        ]
        assert advances == {"rico": (10_368, 10_368), "ana": (6_912, 6_912)}
        agreement = ClientAgreement.objects.get(client=invoice.client)
        assert agreement.signed_on < claim.claim_date
        # and Rico was paid his advance in dollars, as he asked
        payout = Payout.objects.get(idempotency_key=demo_key("rico-guarantee-advance-usd"))
        assert (payout.member, payout.amount_minor, payout.currency) == (
            user("rico"),
            10_368,
            "USD",
        )
        assert payout.paid_on == claim.claim_date

    def test_lone_stars_payment_on_account_refilled_the_fund_before_the_members(self):
        # given
        invoice = onboarding_invoice()
        assert invoice is not None
        claim = Claim.objects.get(fund=fund("guarantee"))
        # when
        payment = Payment.objects.get(idempotency_key=demo_key("lonestar-onboarding-on-account"))
        diverted = PaymentDiversion.objects.filter(share__payment=payment)
        # then: $192 of $240, after the claim was paid; the members' parts went to the fund
        assert (payment.amount_minor, payment.currency) == (19_200, "USD")
        assert payment.received_on > claim.claim_date or payment.received_on == self.today
        assert (invoice.status, invoice.outstanding_minor) == ("issued", 4_800)
        assert sorted(diverted.values_list("reason", "amount_minor")) == [
            ("guarantee_refill", 6_912),
            ("guarantee_refill", 10_368),
        ]
        assert {d.account.name for d in diverted} == {
            "Liabilities:Collectives:ManilaVa:Funds:Guarantee:USD"
        }
        # and every member has exactly their share: Rico is owed nothing in dollars
        manila = invoice.collective
        rico = find_member_account(manila, user("rico"), "USD")
        assert rico is not None and rico.balance_minor == 0
        shares = PaymentShare.objects.filter(payment=payment, member=user("ana"))
        assert shares.aggregate(total=Sum("amount_minor"))["total"] == 6_912

    # --- 6. A member between contracts, topped up -------------------------------------------

    def test_paolo_between_contracts_was_topped_up_for_last_month(self):
        # given
        paolo = user("paolo")
        claim = Claim.objects.get(fund=fund("income_gap"))
        assert claim.period is not None
        # when
        income = platform_income(
            collective=claim.collective, member=paolo, month=claim.period, currency="PHP"
        )
        (payment,) = claim.payments.all()
        # then
        assert claim.period == months_from(claim.claim_date.replace(day=1), -1)
        assert income.total == Money.zero("PHP") and income.complete
        assert (claim.claimant, claim.state, claim.amount_minor, claim.paid_minor) == (
            paolo,
            Claim.State.PAID,
            500_000,
            500_000,
        )
        assert [a.approver for a in claim.approvals.all()] == [user("bea")]
        assert (payment.amount_minor, payment.currency, payment.paid_on) == (
            500_000,
            "PHP",
            claim.claim_date,
        )
        assert payment.transaction is not None
        credited = payment.transaction.postings.get(amount_minor__lt=0)
        assert credited.account == find_member_account(claim.collective, paolo, "PHP")

    # --- 7. A rule change under vote --------------------------------------------------------

    def test_higher_sick_pay_deposits_are_under_vote_so_the_demo_shows_their_effect(self):
        # when
        proposal = Proposal.objects.get(title=DEPOSIT_VOTE.title)
        # then: an open rule change of the sick-pay fund, every tier at 6 % of its gift
        assert (proposal.kind, proposal.state, proposal.author) == (
            "fund_rule_change",
            "open",
            user("carlo"),
        )
        assert proposal.payload["fund"] == "sick_pay"
        assert [tier["deposit"] for tier in proposal.payload["rules"]["tiers"]] == [
            f"{payout * 6 // 100}.00" for payout in range(15_000, 50_001, 5_000)
        ]
        assert fund_overview(fund=fund("sick_pay")).rules_vote == proposal
        assert Vote.objects.filter(proposal=proposal).count() == 3

    def test_a_higher_income_gap_floor_is_under_vote_with_ana_having_voted(self):
        # when
        proposal = Proposal.objects.get(title=RULE_VOTE.title)
        votes = sorted(
            Vote.objects.filter(proposal=proposal).values_list("member__email", "choice")
        )
        weekend = Proposal.objects.get(title="Take on weekend chat for Bondi Surf Supply")
        # then
        assert (proposal.kind, proposal.state, proposal.author) == (
            "fund_rule_change",
            "open",
            user("marisol"),
        )
        assert proposal.payload["fund"] == "income_gap"
        assert proposal.payload["rules"]["floor"] == "15000.00"
        assert proposal.payload["rules"]["cap"] == "5000.00"
        effective = dt.date.fromisoformat(proposal.payload["effective_from"])
        assert effective.day == 1 and effective > timezone.localdate(proposal.closes_at)
        # it closes after the weekend-chat vote, which tick closes alone
        assert proposal.closes_at > weekend.closes_at > timezone.now()
        assert votes == [
            (EMAIL.format("ana"), "yes"),
            (EMAIL.format("marisol"), "yes"),
            (EMAIL.format("paolo"), "yes"),
            (EMAIL.format("rico"), "no"),
        ]
        assert fund_overview(fund=fund("income_gap")).rules_vote == proposal

    # --- The books, the dates, loading once --------------------------------------------------

    def test_the_fund_pages_figures_add_up(self):
        # when
        guarantee = fund_overview(fund=fund("guarantee"))
        income_gap = fund_overview(fund=fund("income_gap"))
        sick = fund_overview(fund=fund("sick_pay"))
        # then
        assert guarantee.balances == [Money("540.00", "PHP"), Money("500.00", "USD")]
        assert income_gap.balances == [Money("15360.00", "PHP")]
        assert (sick.participants, sick.claims_ongoing, sick.warnings) == (7, 1, [])
        held = Money.from_minor(
            sum(
                d.amount_minor
                for d in Deposit.objects.filter(state="paid", participation__fund=sick.fund)
            )
            - sum(p.amount_minor for p in ClaimPayment.objects.filter(claim__fund=sick.fund)),
            "PHP",
        )
        assert sick.balances == [held]

    def test_ledger_check_passes_and_nothing_is_dated_after_today(self):
        out = StringIO()
        call_command("ledger", "check", stdout=out)
        assert ledger_check() == []
        assert out.getvalue().startswith("ledger ok: ")
        now = timezone.now()
        assert not Transaction.objects.filter(occurred_at__gt=self.today).exists()
        assert not Claim.objects.filter(claim_date__gt=self.today).exists()
        assert not Claim.objects.filter(created_at__gt=now).exists()
        assert not ClaimPayment.objects.filter(paid_on__gt=self.today).exists()
        assert not Deposit.objects.filter(paid_at__gt=now).exists()
        assert not Proposal.objects.filter(opened_at__gt=now).exists()

    def test_loading_again_adds_nothing(self):
        # given
        before = row_counts()
        # when
        with override_settings(PASSWORD_HASHERS=FAST_HASHER):
            again = demo.demo_load()
        # then
        assert demo.demo_is_loaded() and mutual_is_loaded()
        assert not again.anything
        assert (again.funds, again.fund_claims) == (0, 0)
        assert row_counts() == before


@pytest.mark.django_db
def test_once_adds_the_funds_to_a_demo_loaded_before_it_had_them(capsys):
    # given: the whole demo but its funds
    with override_settings(PASSWORD_HASHERS=FAST_HASHER):
        demo.demo_load(with_mutual=False)
    assert not demo.demo_is_loaded()
    assert not Fund.objects.exists()
    # when
    call_command("demo", "--once")
    # then
    out = capsys.readouterr().out
    assert out.startswith("Demo data loaded: 0 people, 0 collectives, 0 memberships")
    assert "3 mutual funds set up, with 3 claims on them." in out
    assert demo.demo_is_loaded()
    assert Fund.objects.filter(state=Fund.State.ACTIVE).count() == 3
    assert ledger_check() == []


@pytest.mark.django_db
def test_the_funds_are_left_out_when_the_onboarding_invoice_was_paid_by_hand(capsys):
    # given: a demo without its funds, whose coordinator since recorded Lone
    # Star's payment of the invoice the guarantee story is about
    with override_settings(PASSWORD_HASHERS=FAST_HASHER):
        demo.demo_load(with_mutual=False)
    invoice = onboarding_invoice()
    assert invoice is not None
    payment_record(
        invoice=invoice,
        actor=user("ana"),
        amount=Money.from_minor(invoice.outstanding_minor, invoice.currency),
        received_on=timezone.localdate(),
        method="bank_transfer",
        idempotency_key="by-hand",
    )
    # when
    call_command("demo", "--once")
    # then: the demo counts as loaded, and no fund was made
    assert mutual_is_loaded() and demo.demo_is_loaded()
    assert "Demo data already loaded; nothing to do." in capsys.readouterr().out
    assert not Fund.objects.exists()
