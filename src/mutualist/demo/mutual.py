"""Make the demo's mutual funds (``mutualist.demo.mutual_world``) through the
funds' services.

As in ``mutualist.demo.billing`` and ``mutualist.demo.governance``, the
history is made the way it would have happened: the loader travels back in
time (``time_machine``) to each moment, in the order the moments came, and
calls the services a member's clicks call. Funds are set up and their rules
voted in; a proposal past its deadline is closed as ``mutualist tick`` would
close it (``proposal_close``, a few minutes after the deadline), so its
handler writes the rules (or the bylaws with the levies) then. The funds'
own tick jobs (deposits, the monthly sick-pay run, claims waiting for
money) run at the moments listed in ``TICKS``, and once more at the end, as
the scheduler that runs every few minutes would have. Billing's services
issue and record the invoice and payments the story needs, so the levies
and the guarantee's refill come from real payments.

One thing is done by hand, for want of a service: the treasury's seed
money for the two pooled funds is one balanced ``transaction_post`` each
(as ``mutualist.demo.books`` posts the books). The members have been in
Manila since its founding, months before (``mutualist.demo.data``), as an
income-gap claim's three months of membership ask.

Loading is all or nothing (the demo's one transaction) and runs once: the
funds are there when Manila has any fund (``mutual_is_loaded``). They are
left out of a demo whose billing is not the demo's (its coordinator invoices
by hand), or whose Lone Star onboarding invoice was paid or credited since.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from django.utils import timezone

from mutualist.billing.accounts import default_deposit_account, find_member_account
from mutualist.billing.models import Invoice, Payment
from mutualist.billing.services import (
    FixedItem,
    invoice_draft_create,
    invoice_issue,
    payment_record,
    payout_record,
)
from mutualist.collectives.models import Collective
from mutualist.core import tick
from mutualist.core.money import Money
from mutualist.demo.billing import demo_key
from mutualist.demo.billing_world import INVOICES, SENTINEL_PAYMENT
from mutualist.demo.governance import bylaws_anchor
from mutualist.demo.mutual_world import (
    AGREEMENT,
    COORDINATOR,
    DEPOSIT_VOTE,
    FUND_SETUPS,
    GUARANTEE_CLAIM,
    LEVIED_INVOICE,
    LEVIES,
    MANILA,
    RULE_VOTE,
    SEEDS,
    SICK_CLAIM,
    SICK_PAY_MEMBERS,
    SICK_PAY_TIERS,
    TICKS,
    TOP_UP,
    At,
    DemoApproval,
    DemoFundSetup,
    DemoJoin,
    DemoRuleVote,
    DemoSeed,
)
from mutualist.demo.work_world import CLIENTS, LEAD_CLIENTS
from mutualist.governance.models import Proposal
from mutualist.governance.services import proposal_close, proposal_create, vote_cast
from mutualist.ledger.models import Account
from mutualist.ledger.services import Line, account_name_for, account_open, transaction_post
from mutualist.members.models import User
from mutualist.mutual.accounts import pool_account
from mutualist.mutual.models import Claim, Fund
from mutualist.mutual.services.claims import claim_approve
from mutualist.mutual.services.funds import fund_rules_propose, fund_setup
from mutualist.mutual.services.guarantee import client_agreement_record, guarantee_claim_submit
from mutualist.mutual.services.income_gap import claim_period, income_gap_claim_submit
from mutualist.mutual.services.sick_pay import sick_claim_submit, sick_pay_join
from mutualist.work.models import Client

__all__ = [
    "MutualLoaded",
    "mutual_is_loaded",
    "mutual_load",
    "onboarding_invoice",
]

MANILA_ZONE = ZoneInfo("Asia/Manila")
# ``mutualist tick`` runs every few minutes: a proposal closes a little after its deadline.
TICK_DELAY = dt.timedelta(minutes=3)
# The funds' jobs among ``mutualist tick``'s.
TICK_PREFIX = "mutual."


@dataclass
class MutualLoaded:
    """What one load did."""

    funds: int = 0
    proposals: int = 0
    closed: int = 0
    votes: int = 0
    participants: int = 0  # joined the sick-pay fund
    claims: int = 0
    approvals: int = 0
    seeds: int = 0
    invoices: int = 0
    payments: int = 0
    payouts: int = 0
    ticks: int = 0


def onboarding_invoice() -> Invoice | None:
    """The billing demo's invoice the guarantee claim is about (Lone Star's
    onboarding), if the demo's billing made it."""
    spec = next(spec for spec in INVOICES if spec.key == GUARANTEE_CLAIM.invoice)
    return (
        Invoice.objects.filter(collective__slug=MANILA, kind=Invoice.Kind.INVOICE, notes=spec.notes)
        .order_by("pk")
        .first()
    )


def mutual_is_loaded() -> bool:
    """Manila's funds are there (the demo's, or funds its coordinator set up
    by hand, which the demo's would collide with), or what they build on is
    not: the demo's billing (a coordinator who invoices by hand) with its
    onboarding invoice still unpaid and uncredited. Then they are left out,
    as an edited profile is left as it is."""
    if Fund.objects.filter(collective__slug=MANILA).exists():
        return True
    if not Payment.objects.filter(idempotency_key=demo_key(SENTINEL_PAYMENT)).exists():
        return True
    invoice = onboarding_invoice()
    return (
        invoice is None
        or invoice.status != Invoice.Status.ISSUED
        or invoice.paid_minor > 0
        or invoice.credited_minor > 0
    )


@contextmanager
def _at(moment: dt.datetime) -> Iterator[None]:
    """Services see ``moment`` as now (never later than the real now)."""
    if moment >= timezone.now():
        yield
        return
    with time_machine.travel(moment, tick=False):
        yield


def mutual_load(
    *, users: Mapping[str, User], collectives: Mapping[str, Collective]
) -> MutualLoaded:
    """Make Manila's funds and their history; call inside the demo's
    transaction, after its decisions (``mutualist.demo.governance``), whose
    12 % bylaws the levies amend, and only when ``mutual_is_loaded()`` is
    False. ``users`` maps demo logins to accounts."""
    return _History(users=users, collective=collectives[MANILA]).run()


def _add_months(first: dt.date, months: int) -> dt.date:
    years, index = divmod(first.month - 1 + months, 12)
    return dt.date(first.year + years, index + 1, 1)


def _client_named(key: str) -> Client:
    names = {c.key: c.name for c in CLIENTS} | {
        lead.client.key: lead.client.name for lead in LEAD_CLIENTS
    }
    return Client.objects.get(name=names[key])


class _History:
    def __init__(self, *, users: Mapping[str, User], collective: Collective) -> None:
        self.users = users
        self.collective = collective
        self.ana = users[COORDINATOR]
        invoice = onboarding_invoice()
        assert invoice is not None and invoice.due_date is not None  # noqa: S101 - mutual_is_loaded
        self.onboarding = invoice
        today = timezone.localdate()
        self.anchors = {
            "months": today.replace(day=1),
            "bylaws": bylaws_anchor(collective),
            "due": invoice.due_date,
            "today": today,
        }
        self.funds: dict[str, Fund] = {}
        self.proposals: dict[str, Proposal] = {}
        self.claims: dict[str, Claim] = {}
        self.invoices: dict[str, Invoice] = {}
        self.loaded = MutualLoaded()

    # --- Moments ------------------------------------------------------------------------

    def day(self, at: At) -> dt.date:
        base = self.anchors[at.anchor]
        if at.anchor == "months":
            base = _add_months(base, at.month)
        return base + dt.timedelta(days=at.day)

    def moment(self, at: At) -> dt.datetime:
        return dt.datetime.combine(self.day(at), dt.time.fromisoformat(at.time), MANILA_ZONE)

    def run(self) -> MutualLoaded:
        tick.autodiscover()
        steps: list[tuple[dt.datetime, int, Callable[[], None]]] = []

        def add(moment: dt.datetime, step: Callable[[], Any]) -> None:
            # In the order they happened; at the same moment, as listed.
            steps.append((moment, len(steps), step))

        def votes_and_close(key: str, opened: dt.datetime, votes: Any, days_open: int) -> None:
            for vote in votes:
                add(opened + dt.timedelta(hours=vote.hours), partial(self.vote, key, vote))
            closes = opened + dt.timedelta(days=days_open)
            add(closes + TICK_DELAY, partial(self.close, key, closes + TICK_DELAY))

        for setup in FUND_SETUPS:
            opened = self.moment(setup.opens)
            add(opened, partial(self.setup, setup, opened))
            votes_and_close(setup.kind, opened, setup.votes, setup.days_open)
        opened = self.moment(LEVIES.opens)
        add(opened, partial(self.levies, opened))
        votes_and_close("levies", opened, LEVIES.votes, LEVIES.days_open)
        for seed in SEEDS:
            add(self.moment(seed.at), partial(self.seed, seed))
        for join in SICK_PAY_MEMBERS:
            add(self.moment(join.at), partial(self.join, join))
        reported = self.moment(SICK_CLAIM.starts)
        add(reported, self.sick_claim)
        self.approvals("sick", reported, SICK_CLAIM.approvals, add)
        for at in TICKS:
            add(self.moment(at), self.tick)
        add(self.moment(AGREEMENT.recorded), self.agreement)
        add(self.moment(LEVIED_INVOICE.issued), self.levied_invoice)
        add(self.moment(LEVIED_INVOICE.paid), self.levied_payment)
        claimed = self.moment(TOP_UP.at)
        add(claimed, self.top_up)
        self.approvals("top_up", claimed, TOP_UP.approvals, add)
        claimed = self.moment(GUARANTEE_CLAIM.at)
        add(claimed, self.guarantee_claim)
        self.approvals("guarantee", claimed, GUARANTEE_CLAIM.approvals, add)
        add(self.moment(GUARANTEE_CLAIM.payout_at), self.advance_paid_out)
        add(self.moment(GUARANTEE_CLAIM.payment_at), self.client_pays)
        for key, spec in (("rule_vote", RULE_VOTE), ("deposit_vote", DEPOSIT_VOTE)):
            opened = self.moment(spec.opens)
            add(opened, partial(self.rule_vote, key, spec, opened))
            for vote in spec.votes:
                add(opened + dt.timedelta(hours=vote.hours), partial(self.vote, key, vote))
        for moment, _, step in sorted(steps, key=lambda item: (item[0], item[1])):
            with _at(moment):
                step()
        # And the tick that ran a moment ago: arrears the last payments can cover are settled.
        self.tick()
        return self.loaded

    def approvals(
        self,
        key: str,
        claimed: dt.datetime,
        approvals: tuple[DemoApproval, ...],
        add: Callable[[dt.datetime, Callable[[], Any]], None],
    ) -> None:
        for approval in approvals:
            add(claimed + dt.timedelta(hours=approval.hours), partial(self.approve, key, approval))

    # --- Votes ------------------------------------------------------------------------------

    def setup(self, spec: DemoFundSetup, opened: dt.datetime) -> None:
        self.proposals[spec.kind] = fund_setup(
            collective=self.collective,
            actor=self.ana,
            kind=spec.kind,
            rules=spec.rules,
            effective_from=self.day(spec.effective),
            closes_at=opened + dt.timedelta(days=spec.days_open),
            body=spec.body,
        )
        self.funds[spec.kind] = Fund.objects.get(collective=self.collective, kind=spec.kind)
        self.loaded.funds += 1
        self.loaded.proposals += 1

    def levies(self, opened: dt.datetime) -> None:
        self.proposals["levies"] = proposal_create(
            collective=self.collective,
            author=self.users[LEVIES.author],
            kind=Proposal.Kind.BYLAWS_CHANGE,
            title=LEVIES.title,
            body=LEVIES.body,
            payload={
                "effective_from": self.day(LEVIES.effective).isoformat(),
                "shares": dict(LEVIES.shares),
                "notes": LEVIES.notes,
            },
            threshold_percent=LEVIES.threshold,
            closes_at=opened + dt.timedelta(days=LEVIES.days_open),
        )
        self.loaded.proposals += 1

    def rule_vote(self, key: str, spec: DemoRuleVote, opened: dt.datetime) -> None:
        closes = opened + dt.timedelta(days=spec.days_open)
        self.proposals[key] = fund_rules_propose(
            fund=self.funds[spec.kind],
            author=self.users[spec.author],
            rules=spec.rules,
            effective_from=_add_months(timezone.localdate(closes).replace(day=1), 1),
            closes_at=closes,
            title=spec.title,
            body=spec.body,
        )
        self.loaded.proposals += 1

    def vote(self, key: str, vote: Any) -> None:
        vote_cast(
            proposal=self.proposals[key],
            voter=self.users[vote.login],
            choice=vote.choice,
            reason=vote.reason,
        )
        self.loaded.votes += 1

    def close(self, key: str, moment: dt.datetime) -> None:
        # What ``mutualist tick`` does at that moment, for this proposal only.
        if proposal_close(proposal_id=self.proposals[key].pk, now=moment):
            self.loaded.closed += 1
        for kind, fund in self.funds.items():
            fund.refresh_from_db()
            self.funds[kind] = fund

    # --- Money in ---------------------------------------------------------------------------

    def seed(self, spec: DemoSeed) -> None:
        """The treasury starts a pooled fund: its expense, the fund's money.
        No service does this yet; one balanced posting, as the books are posted."""
        fund = self.funds[spec.kind]
        amount = Money(spec.amount, spec.currency)
        seeds = account_open(
            collective=self.collective,
            name=account_name_for(
                self.collective, Account.Type.EXPENSES, "FundSeeds", spec.currency
            ),
            type=Account.Type.EXPENSES,
            currency=spec.currency,
            description=f"The treasury's money given to start the funds, {spec.currency}",
        )
        transaction_post(
            lines=[
                Line(seeds, amount),
                Line(pool_account(self.collective, fund.code, spec.currency), -amount),
            ],
            memo=spec.memo,
            occurred_at=timezone.localdate(),
            idempotency_key=demo_key(f"{MANILA}:seed-{spec.kind}"),
            kind="fund_seed",
            cause=fund,
            posted_by=self.ana,
        )
        self.loaded.seeds += 1

    def join(self, spec: DemoJoin) -> None:
        setup = next(s for s in FUND_SETUPS if s.kind == Fund.Kind.SICK_PAY)
        tier = next(i for i, t in enumerate(SICK_PAY_TIERS) if t["payout"] == spec.payout)
        sick_pay_join(
            fund=self.funds[Fund.Kind.SICK_PAY],
            member=self.users[spec.login],
            tier=tier,
            joined_on=self.day(setup.effective),
        )
        self.loaded.participants += 1

    def tick(self) -> None:
        """The funds' jobs of ``mutualist tick``, in its order."""
        for job in tick.jobs():
            if job.name.startswith(TICK_PREFIX):
                job.func()
        self.loaded.ticks += 1

    def levied_invoice(self) -> None:
        spec = LEVIED_INVOICE
        client = _client_named(spec.client)
        draft = invoice_draft_create(
            collective=self.collective,
            actor=self.ana,
            client=client,
            items=[
                FixedItem(
                    description=item.description,
                    quantity=item.quantity,
                    unit_price=Money(item.unit_price, client.currency),
                    member=self.users[item.login] if item.login else None,
                )
                for item in spec.items
            ],
            notes=spec.notes,
        )
        self.invoices[spec.key] = invoice_issue(invoice=draft, actor=self.ana)
        self.loaded.invoices += 1

    def levied_payment(self) -> None:
        invoice = Invoice.objects.get(pk=self.invoices[LEVIED_INVOICE.key].pk)
        payment_record(
            invoice=invoice,
            actor=self.ana,
            amount=Money.from_minor(invoice.outstanding_minor, invoice.currency),
            received_on=timezone.localdate(),
            method=LEVIED_INVOICE.method,
            reference=LEVIED_INVOICE.reference,
            idempotency_key=demo_key(LEVIED_INVOICE.key),
        )
        self.loaded.payments += 1

    # --- Claims -----------------------------------------------------------------------------

    def sick_claim(self) -> None:
        spec = SICK_CLAIM
        self.claims["sick"] = sick_claim_submit(
            fund=self.funds[Fund.Kind.SICK_PAY],
            claimant=self.users[spec.login],
            starts_on=timezone.localdate(),
            percent=spec.percent,
            reason=spec.reason,
            disclosure=spec.disclosure,
        )
        self.loaded.claims += 1

    def top_up(self) -> None:
        self.claims["top_up"] = income_gap_claim_submit(
            fund=self.funds[Fund.Kind.INCOME_GAP],
            claimant=self.users[TOP_UP.login],
            period=claim_period(timezone.localdate()),
            reason=TOP_UP.reason,
            disclosure=TOP_UP.disclosure,
        )
        self.loaded.claims += 1

    def guarantee_claim(self) -> None:
        self.claims["guarantee"] = guarantee_claim_submit(
            fund=self.funds[Fund.Kind.GUARANTEE],
            claimant=self.users[GUARANTEE_CLAIM.login],
            invoice=self.onboarding,
            reason=GUARANTEE_CLAIM.reason,
        )
        self.loaded.claims += 1

    def approve(self, key: str, approval: DemoApproval) -> None:
        claim_approve(
            claim=self.claims[key], approver=self.users[approval.login], note=approval.note
        )
        self.loaded.approvals += 1

    def agreement(self) -> None:
        client_agreement_record(
            collective=self.collective,
            actor=self.ana,
            client=_client_named(AGREEMENT.client),
            signed_on=self.day(AGREEMENT.signed),
            reference=AGREEMENT.reference,
        )

    def advance_paid_out(self) -> None:
        """Ana sends the claimant what the fund advanced them, in the
        invoice's currency, as they asked to be paid."""
        member = self.users[GUARANTEE_CLAIM.login]
        currency = self.onboarding.currency
        payable = find_member_account(self.collective, member, currency)
        assert payable is not None and payable.balance_minor < 0  # noqa: S101 - the advance
        payout_record(
            collective=self.collective,
            member=member,
            actor=self.ana,
            amount=Money.from_minor(-payable.balance_minor, currency),
            source_account=default_deposit_account(self.collective, currency),
            paid_on=timezone.localdate(),
            idempotency_key=demo_key(GUARANTEE_CLAIM.payout_key),
            reference=GUARANTEE_CLAIM.payout_reference,
        )
        self.loaded.payouts += 1

    def client_pays(self) -> None:
        """The client pays part of the invoice on account (a round amount):
        the members' parts of it go back to the fund first."""
        invoice = Invoice.objects.get(pk=self.onboarding.pk)
        unpaid = Money.from_minor(invoice.outstanding_minor, invoice.currency)
        whole = (unpaid.amount * Decimal(GUARANTEE_CLAIM.payment_part)).quantize(
            Decimal(1), rounding=ROUND_DOWN
        )
        payment_record(
            invoice=invoice,
            actor=self.ana,
            amount=Money(whole, invoice.currency),
            received_on=timezone.localdate(),
            method=GUARANTEE_CLAIM.payment_method,
            reference=GUARANTEE_CLAIM.payment_reference,
            idempotency_key=demo_key(GUARANTEE_CLAIM.payment_key),
        )
        self.loaded.payments += 1
