"""The payment guarantee: a claim on an overdue invoice pays the members'
unpaid shares (up to the cap and the client's credit limit), the client's
later payment refills the fund, and a vote writes off what never comes.

The world (``world``): collective A's guarantee fund (rules in force since
1 January 2026; one peer approval). Harbour (AUD) paid a 3,300.00 AUD
invoice on 8 December 2026, so its credit limit is 3,300 / 12 x 2 = 550.00
AUD. The claimed invoice is the ``billed`` one, issued that day: 385.00 AUD
(tax 35.00, treasury 35.00, Ana 225.00, Ben 90.00), due 7 January 2027,
claimable from 7 February 2027 (more than 30 days overdue). The members'
unpaid shares are 315.00; the cap (80 %) covers 252.00: Ana 180.00, Ben
72.00. Claims are made on 10 February 2027.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Any

import pytest

from mutualist.billing.accounts import find_member_account
from mutualist.billing.models import Invoice, PaymentDiversion
from mutualist.billing.services import (
    FixedItem,
    credit_note_issue,
    invoice_draft_create,
    invoice_issue,
)
from mutualist.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from mutualist.core.money import Money
from mutualist.governance.kinds import KindHandler, handler_for, register, unregister
from mutualist.governance.models import Proposal
from mutualist.governance.services import proposal_close, proposal_create, vote_cast
from mutualist.ledger.services import Line, account_name_for, account_open, transaction_post
from mutualist.members.models import User
from mutualist.mutual.accounts import balance_minor, pool_account
from mutualist.mutual.models import Claim, ClientAgreement, Fund, GuaranteeAdvance
from mutualist.mutual.rules import GuaranteeRules, rules_for
from mutualist.mutual.services import guarantee
from mutualist.mutual.services.claims import claim_approve, claim_pay, claims_pay_waiting
from mutualist.mutual.services.guarantee import (
    client_agreement_record,
    client_agreement_remove,
    client_credit_limit,
    client_credit_limits,
    guarantee_claim_submit,
    guarantee_eligibility,
    months_before,
    unpaid_member_shares,
    write_off_validate,
)
from mutualist.mutual.tests.helpers import add_member, fund_active, snapshot
from mutualist.testing import (
    Billed,
    Cast,
    billing_issued,
    billing_pay,
    billing_state,
    ledger_checked,
)

pytestmark = pytest.mark.django_db

ISSUED_AT = dt.datetime(2026, 12, 8, 12, 0, tzinfo=dt.UTC)
CLAIMED_AT = dt.datetime(2027, 2, 10, 12, 0, tzinfo=dt.UTC)
CLAIM_DAY = CLAIMED_AT.date()
DUE = dt.date(2027, 1, 7)


def aud(amount: str) -> Money:
    return Money(amount, "AUD")


@dataclass
class World:
    cast: Cast
    billed: Billed
    fund: Fund
    history: Invoice
    invoice: Invoice
    time_machine: Any

    @property
    def a(self) -> Any:
        return self.cast.collective_a

    @property
    def client(self) -> Any:
        return self.invoice.client

    def at(self, moment: dt.datetime) -> None:
        self.time_machine.move_to(moment, tick=False)

    def pool(self) -> int:
        return balance_minor(pool_account(self.a, "guarantee", "AUD"))

    def owed(self, user: User) -> int:
        return balance_minor(find_member_account(self.a, user, "AUD"))

    def fill(self, amount: str, key: str) -> None:
        """Put ``amount`` AUD into the guarantee pool from the collective's opening equity."""
        opening = account_open(
            collective=self.a,
            name=account_name_for(self.a, "equity", "Opening", "AUD"),
            type="equity",
            currency="AUD",
        )
        money = aud(amount)
        transaction_post(
            lines=[Line(opening, money), Line(pool_account(self.a, "guarantee", "AUD"), -money)],
            memo="Levies",
            occurred_at=dt.date(2026, 12, 8),
            idempotency_key=f"test:guarantee:fill:{key}",
            kind="opening",
        )

    def claim(self, claimant: User | None = None, **kwargs: Any) -> Claim:
        return guarantee_claim_submit(
            fund=self.fund, claimant=claimant or self.cast.ana, invoice=self.invoice, **kwargs
        )


def build_world(cast: Cast, billed: Billed, time_machine: Any, **rules: Any) -> World:
    time_machine.move_to(ISSUED_AT, tick=False)
    guarantee.register()
    fund = fund_active(
        cast.collective_a,
        "guarantee",
        {"approvals_needed": 1, **rules},
        created_by=cast.ana,
    )
    work = billed.work
    draft = invoice_draft_create(
        collective=cast.collective_a,
        actor=cast.ana,
        engagement=work.engagement,
        include_time=False,
        items=[FixedItem("Set-up", 1, aud("3000"), member=cast.ana)],
        tax_rate="10",
    )
    history = invoice_issue(invoice=draft, actor=cast.ana)
    billing_pay(history, "3300 AUD", "history")
    invoice = billing_issued(billed)
    assert invoice.due_date == DUE
    client_agreement_record(
        collective=cast.collective_a,
        actor=cast.ana,
        client=invoice.client,
        signed_on=dt.date(2026, 6, 1),
        reference="PGA-7",
    )
    time_machine.move_to(CLAIMED_AT, tick=False)
    return World(cast, billed, fund, history, invoice, time_machine)


@pytest.fixture
def world(cast: Cast, billed: Billed, time_machine: Any) -> World:
    return build_world(cast, billed, time_machine)


def refused(error: type[Exception], code: str, call: Any) -> Any:
    """``call`` is refused with ``code`` and changes nothing."""
    before = (snapshot(), billing_state())
    with pytest.raises(error) as raised:
        call()
    assert getattr(raised.value, "code", None) == code, raised.value
    assert (snapshot(), billing_state()) == before
    return raised.value


def advances(claim: Claim) -> dict[int, tuple[int, int]]:
    return {
        member: (advanced, recovered)
        for member, advanced, recovered in GuaranteeAdvance.objects.filter(claim=claim).values_list(
            "member_id", "advanced_minor", "recovered_minor"
        )
    }


# --- Agreements and the credit limit -----------------------------------------------------


def test_a_coordinator_records_a_clients_agreement_once(world: World) -> None:
    agreement = ClientAgreement.objects.get()
    assert (agreement.client_id, agreement.signed_on, agreement.reference) == (
        world.client.pk,
        dt.date(2026, 6, 1),
        "PGA-7",
    )
    refused(
        Conflict,
        "agreement_exists",
        lambda: client_agreement_record(
            collective=world.a, actor=world.cast.ana, client=world.client, signed_on=CLAIM_DAY
        ),
    )


def test_only_a_coordinator_records_or_removes_an_agreement(world: World) -> None:
    thames = world.billed.work.thames
    refused(
        PermissionDenied,
        "not_coordinator",
        lambda: client_agreement_remove(
            collective=world.a, actor=world.cast.ben, client=world.client
        ),
    )
    refused(
        PermissionDenied,
        "not_a_member",
        lambda: client_agreement_record(
            collective=world.a, actor=world.cast.olga, client=world.client, signed_on=CLAIM_DAY
        ),
    )
    # A client collective A never dealt with, and a date ahead of today.
    refused(
        ValidationFailed,
        "unknown_client",
        lambda: client_agreement_record(
            collective=world.a, actor=world.cast.ana, client=thames, signed_on=CLAIM_DAY
        ),
    )
    client_agreement_remove(collective=world.a, actor=world.cast.ana, client=world.client)
    assert not ClientAgreement.objects.exists()
    refused(
        NotFound,
        "agreement_not_found",
        lambda: client_agreement_remove(
            collective=world.a, actor=world.cast.ana, client=world.client
        ),
    )
    refused(
        ValidationFailed,
        "date_in_future",
        lambda: client_agreement_record(
            collective=world.a,
            actor=world.cast.ana,
            client=world.client,
            signed_on=CLAIM_DAY + dt.timedelta(days=1),
        ),
    )


def test_the_credit_limit_is_the_average_months_payments_times_the_rule(world: World) -> None:
    rules = rules_for("guarantee", world.fund.rule_versions.get().rules)
    assert isinstance(rules, GuaranteeRules)
    # 3,300.00 paid in the last 12 months: 275.00 a month, two months of it.
    limit = client_credit_limit(
        fund=world.fund, client=world.client, rules=rules, on=CLAIM_DAY, currency="AUD"
    )
    assert limit == aud("550")
    assert client_credit_limits(
        fund=world.fund, client=world.client, rules=rules, on=CLAIM_DAY
    ) == {"AUD": aud("550")}
    # In a currency it never paid in, and once the payment is older than the history looked at.
    assert client_credit_limit(
        fund=world.fund, client=world.client, rules=rules, on=CLAIM_DAY, currency="USD"
    ) == Money("0", "USD")
    assert client_credit_limit(
        fund=world.fund,
        client=world.client,
        rules=rules,
        on=dt.date(2027, 12, 8),
        currency="AUD",
    ) == aud("0")
    assert client_credit_limit(
        fund=world.fund,
        client=world.client,
        rules=rules,
        on=dt.date(2027, 12, 7),
        currency="AUD",
    ) == aud("550")


def test_months_before_keeps_the_day_or_takes_the_months_last() -> None:
    assert months_before(dt.date(2027, 2, 10), 12) == dt.date(2026, 2, 10)
    assert months_before(dt.date(2027, 5, 31), 3) == dt.date(2027, 2, 28)
    assert months_before(dt.date(2028, 5, 31), 3) == dt.date(2028, 2, 29)
    assert months_before(dt.date(2027, 1, 15), 1) == dt.date(2026, 12, 15)


# --- Eligibility ---------------------------------------------------------------------------


def test_an_overdue_invoice_of_a_client_with_an_agreement_is_covered_up_to_the_cap(
    world: World,
) -> None:
    found = guarantee_eligibility(fund=world.fund, invoice=world.invoice, on=CLAIM_DAY)

    assert found.eligible and found.reasons == [] and found.codes == []
    cast = world.cast
    assert found.unpaid_member_shares == {cast.ana.pk: 22500, cast.ben.pk: 9000}
    assert found.covered == aud("252")  # 80 % of 315.00
    assert (found.credit_limit, found.credit_used) == (aud("550"), aud("0"))


def test_the_client_credit_limit_caps_what_is_covered(
    cast: Cast, billed: Billed, time_machine: Any
) -> None:
    world = build_world(cast, billed, time_machine, credit_limit_months="0.5")
    found = guarantee_eligibility(fund=world.fund, invoice=world.invoice, on=CLAIM_DAY)
    assert found.eligible
    assert found.covered == aud("137.50")  # 3,300 / 12 x 0.5


@pytest.mark.parametrize(
    ("on", "eligible"),
    [
        (dt.date(2027, 1, 6), False),  # not even due
        (dt.date(2027, 2, 6), False),  # overdue by exactly 30 days
        (dt.date(2027, 2, 7), True),  # by 31
    ],
)
def test_an_invoice_is_covered_once_overdue_by_more_than_the_rules_days(
    world: World, on: dt.date, eligible: bool
) -> None:
    found = guarantee_eligibility(fund=world.fund, invoice=world.invoice, on=on)
    assert found.eligible is eligible
    assert found.codes == ([] if eligible else ["not_overdue"])
    if not eligible:
        assert "2027-02-07" in found.reasons[0]
        assert found.covered == aud("0")


def test_no_agreement_no_cover(world: World) -> None:
    client_agreement_remove(collective=world.a, actor=world.cast.ana, client=world.client)
    found = guarantee_eligibility(fund=world.fund, invoice=world.invoice, on=CLAIM_DAY)
    assert (found.eligible, found.codes) == (False, ["no_agreement"])
    assert "agreement" in found.reasons[0]


def test_a_client_with_no_payment_history_has_no_credit_limit(world: World) -> None:
    # Fourteen months on, the one payment is older than the twelve months looked at.
    found = guarantee_eligibility(fund=world.fund, invoice=world.invoice, on=dt.date(2028, 2, 10))
    assert (found.eligible, found.codes) == (False, ["no_credit_history"])


def test_other_claims_on_the_clients_invoices_take_from_its_credit_limit(
    cast: Cast, billed: Billed, time_machine: Any
) -> None:
    world = build_world(cast, billed, time_machine, credit_limit_months="1.5")
    # 412.50 of limit. A claim on another invoice of Harbour's asks for 252.00
    # of it (made by hand here: only the sum matters).
    other = Invoice.objects.get(pk=world.history.pk)
    Claim.objects.create(
        fund=world.fund,
        collective=world.a,
        claimant=cast.ben,
        rules=world.fund.rule_versions.get(),
        approval="peers",
        approvals_needed=1,
        claim_date=CLAIM_DAY,
        amount_minor=30000,
        paid_minor=10000,
        currency="AUD",
        invoice=other,
        state="approved",
    )
    found = guarantee_eligibility(fund=world.fund, invoice=world.invoice, on=CLAIM_DAY)
    # 300.00 asked, 100.00 of it paid: 200.00 still to pay + 0 advanced (no advance rows here).
    assert found.credit_used == aud("200")
    assert found.covered == aud("212.50")
    Claim.objects.filter(invoice=other).update(amount_minor=60000)
    found = guarantee_eligibility(fund=world.fund, invoice=world.invoice, on=CLAIM_DAY)
    assert (found.eligible, found.codes) == (False, ["beyond_credit_limit"])


def test_a_paid_invoice_a_draft_and_a_credit_note_are_not_covered(world: World) -> None:
    cast = world.cast
    note = credit_note_issue(
        invoice=world.invoice,
        actor=cast.ana,
        reason="Discount",
        idempotency_key="cn",
        amount=aud("10"),
    )
    found = guarantee_eligibility(fund=world.fund, invoice=note, on=CLAIM_DAY)
    assert (found.eligible, found.codes) == (False, ["not_an_invoice"])
    draft = invoice_draft_create(
        collective=world.a,
        actor=cast.ana,
        engagement=world.billed.work.engagement,
        include_time=False,
        items=[FixedItem("Extra", 1, aud("100"), member=cast.ben)],
    )
    found = guarantee_eligibility(fund=world.fund, invoice=draft, on=CLAIM_DAY)
    assert (found.eligible, found.codes) == (False, ["not_issued"])
    billing_pay(world.invoice, "375 AUD", "all")
    world.invoice.refresh_from_db()
    found = guarantee_eligibility(fund=world.fund, invoice=world.invoice, on=CLAIM_DAY)
    assert (found.eligible, found.codes) == (False, ["not_unpaid"])


def test_an_invoice_with_no_members_share_unpaid_is_not_covered(world: World) -> None:
    # Billed for the team as a whole: the members' part went to the treasury.
    world.at(ISSUED_AT)
    draft = invoice_draft_create(
        collective=world.a,
        actor=world.cast.ana,
        engagement=world.billed.work.engagement,
        include_time=False,
        items=[FixedItem("Retainer", 1, aud("200"))],
    )
    team = invoice_issue(invoice=draft, actor=world.cast.ana)
    world.at(CLAIMED_AT)
    found = guarantee_eligibility(fund=world.fund, invoice=team, on=CLAIM_DAY)
    assert (found.eligible, found.codes) == (False, ["no_member_shares"])


def test_a_fund_without_rules_covers_nothing(world: World) -> None:
    bare = Fund.objects.create(
        collective=world.cast.collective_b,
        kind="guarantee",
        currency="USD",
        created_by=world.cast.carla,
    )
    found = guarantee_eligibility(fund=bare, invoice=world.invoice, on=CLAIM_DAY)
    assert (found.eligible, found.codes) == (False, ["no_rules"])


# --- Claiming ------------------------------------------------------------------------------


def test_a_member_with_a_share_claims_what_the_guarantee_covers(world: World) -> None:
    claim = world.claim(reason="Harbour has not paid", disclosure="name_only")

    assert (claim.state, claim.amount_minor, claim.currency) == ("submitted", 25200, "AUD")
    assert (claim.invoice_id, claim.claimant_id, claim.claim_date) == (
        world.invoice.pk,
        world.cast.ana.pk,
        CLAIM_DAY,
    )
    assert (claim.approval, claim.approvals_needed, claim.disclosure) == ("peers", 1, "name_only")
    assert claim.reason == "Harbour has not paid"


def test_claiming_twice_for_the_same_invoice_is_refused(world: World) -> None:
    world.claim()
    refused(Conflict, "claim_exists", lambda: world.claim(world.cast.ben))


def test_a_paid_claim_also_blocks_a_second_one(world: World) -> None:
    world.fill("1000", "a")
    claim = world.claim()
    claim_approve(claim=claim, approver=world.cast.ben)
    refused(Conflict, "claim_exists", lambda: world.claim(world.cast.ben))


def test_someone_outside_the_funds_collective_cannot_claim(world: World) -> None:
    refused(PermissionDenied, "not_a_member", lambda: world.claim(world.cast.carla))
    refused(PermissionDenied, "not_a_member", lambda: world.claim(world.cast.olga))


def test_a_member_with_no_share_in_the_invoice_cannot_claim(world: World) -> None:
    cleo = add_member(world.a, "cleo@example.com", "Cleo")
    refused(PermissionDenied, "no_share", lambda: world.claim(cleo))


def test_an_invoice_of_another_collective_cannot_be_claimed(world: World) -> None:
    cast = world.cast
    b_invoice = invoice_issue(
        invoice=invoice_draft_create(
            collective=cast.collective_b,
            actor=cast.carla,
            engagement=world.billed.work.b_engagement,
        ),
        actor=cast.carla,
    )
    refused(
        ValidationFailed,
        "unknown_invoice",
        lambda: guarantee_claim_submit(fund=world.fund, claimant=cast.ana, invoice=b_invoice),
    )


def test_a_claim_on_an_invoice_not_yet_overdue_enough_is_refused(world: World) -> None:
    world.at(dt.datetime(2027, 2, 6, 12, 0, tzinfo=dt.UTC))
    error = refused(Conflict, "not_eligible", world.claim)
    assert "2027-02-07" in error.message


def test_a_claim_for_a_client_without_agreement_is_refused(world: World) -> None:
    client_agreement_remove(collective=world.a, actor=world.cast.ana, client=world.client)
    error = refused(Conflict, "not_eligible", world.claim)
    assert "agreement" in error.message


def test_a_claim_on_the_wrong_fund_is_refused(world: World) -> None:
    gap = fund_active(world.a, "income_gap", created_by=world.cast.ana)
    refused(
        ValidationFailed,
        "not_a_guarantee_fund",
        lambda: guarantee_claim_submit(fund=gap, claimant=world.cast.ana, invoice=world.invoice),
    )


def test_a_rejected_claim_can_be_made_again(world: World) -> None:
    from mutualist.mutual.services.claims import claim_reject

    claim = world.claim()
    claim_reject(claim=claim, approver=world.cast.ben, note="Harbour promised to pay Friday")
    again = world.claim(world.cast.ben)
    assert again.state == "submitted" and again.pk != claim.pk


# --- Paying out ----------------------------------------------------------------------------


def test_the_payout_gives_each_member_their_part_exactly_and_records_advances(
    world: World,
) -> None:
    cast = world.cast
    world.fill("1000", "a")
    ana_before, ben_before = world.owed(cast.ana), world.owed(cast.ben)
    claim = world.claim()

    claim = claim_approve(claim=claim, approver=cast.ben)

    assert (claim.state, claim.paid_minor, claim.reserved_minor) == ("paid", 25200, 0)
    # 252.00 spread over the unpaid shares 225 : 90.
    assert world.owed(cast.ana) - ana_before == 18000
    assert world.owed(cast.ben) - ben_before == 7200
    assert world.pool() == 100000 - 25200
    assert advances(claim) == {cast.ana.pk: (18000, 0), cast.ben.pk: (7200, 0)}
    payment = claim.payments.get()
    assert (payment.amount_minor, payment.currency) == (25200, "AUD")
    # The invoice itself is untouched: the client still owes all of it.
    world.invoice.refresh_from_db()
    assert (world.invoice.status, world.invoice.outstanding_minor) == ("issued", 38500)
    ledger_checked()


def test_the_payout_is_capped_below_the_members_whole_unpaid_shares(
    cast: Cast, billed: Billed, time_machine: Any
) -> None:
    world = build_world(cast, billed, time_machine, cap_percent="50")
    world.fill("1000", "a")
    claim = claim_approve(claim=world.claim(), approver=cast.ben)
    assert claim.paid_minor == 15750  # half of 315.00
    assert advances(claim) == {cast.ana.pk: (11250, 0), cast.ben.pk: (4500, 0)}
    ledger_checked()


def test_a_short_fund_pays_part_and_the_rest_waits_for_money(world: World) -> None:
    cast = world.cast
    world.fill("100", "a")
    claim = claim_approve(claim=world.claim(), approver=cast.ben)

    assert (claim.state, claim.paid_minor) == ("approved", 10000)
    assert world.pool() == 0
    # 100.00 spread 225 : 90, to the cent.
    assert advances(claim) == {cast.ana.pk: (7143, 0), cast.ben.pk: (2857, 0)}

    assert claims_pay_waiting() == 0  # nothing came in yet
    world.fill("200", "b")
    assert claims_pay_waiting() == 1
    claim.refresh_from_db()
    assert (claim.state, claim.paid_minor) == ("paid", 25200)
    assert world.pool() == 20000 - 15200
    # The second part went by what each was still owed: together the same as at once.
    assert advances(claim) == {cast.ana.pk: (18000, 0), cast.ben.pk: (7200, 0)}
    assert claim.payments.count() == 2
    ledger_checked()


def test_a_payout_never_pays_members_what_the_client_paid_them_meanwhile(world: World) -> None:
    cast = world.cast
    claim = claim_approve(claim=world.claim(), approver=cast.ben)
    assert (claim.state, claim.paid_minor) == ("approved", 0)  # the fund is empty
    # The client pays 200.00 before the fund has money: the members' unpaid
    # shares are now below what the claim asks.
    billing_pay(world.invoice, "200 AUD", "part")
    unpaid = unpaid_member_shares(world.invoice)
    cap = Decimal(claim.rules.rules["cap_percent"])
    covered = int((Decimal(sum(unpaid.values())) * cap / 100).to_integral_value(ROUND_DOWN))
    assert claim.amount_minor is not None and covered < claim.amount_minor
    ana_before, ben_before = world.owed(cast.ana), world.owed(cast.ben)
    world.fill("1000", "a")

    claim = claim_pay(claim=claim)

    # The claim pays what the cap still covers of what is unpaid now, and is settled at that.
    assert (claim.state, claim.paid_minor, claim.amount_minor) == ("paid", covered, covered)
    assert claim.reserved_minor == 0
    got = {
        cast.ana.pk: world.owed(cast.ana) - ana_before,
        cast.ben.pk: world.owed(cast.ben) - ben_before,
    }
    assert sum(got.values()) == covered
    assert all(0 < got[member] <= unpaid[member] for member in got)
    assert world.pool() == 100000 - covered
    assert {a.member_id: a.advanced_minor for a in GuaranteeAdvance.objects.all()} == got
    ledger_checked()


def test_a_claim_the_client_paid_in_full_meanwhile_ends_with_nothing_paid(world: World) -> None:
    cast = world.cast
    claim = claim_approve(claim=world.claim(), approver=cast.ben)
    billing_pay(world.invoice, "385 AUD", "all")
    world.fill("1000", "a")
    claim = claim_pay(claim=claim)
    assert (claim.state, claim.paid_minor) == ("ended", 0)
    assert world.pool() == 100000
    assert not GuaranteeAdvance.objects.exists()
    ledger_checked()


# --- The refill ----------------------------------------------------------------------------


def test_when_the_client_pays_later_the_fund_is_refilled_exactly_and_members_get_the_rest(
    world: World,
) -> None:
    cast = world.cast
    world.fill("1000", "a")
    ana_start, ben_start = world.owed(cast.ana), world.owed(cast.ben)
    claim = claim_approve(claim=world.claim(), approver=cast.ben)
    assert world.pool() == 100000 - 25200

    # In March the client pays in two parts.
    world.at(dt.datetime(2027, 3, 15, 12, 0, tzinfo=dt.UTC))
    first = billing_pay(world.invoice, "100 AUD", "late-1")
    second = billing_pay(world.invoice, "285 AUD", "late-2")

    world.invoice.refresh_from_db()
    assert world.invoice.status == "paid"
    # The fund has back exactly what it advanced.
    assert world.pool() == 100000
    assert advances(claim) == {cast.ana.pk: (18000, 18000), cast.ben.pk: (7200, 7200)}
    # Each member got exactly their share of the invoice, no more: the
    # advance, then the rest of the client's money.
    assert world.owed(cast.ana) - ana_start == 22500
    assert world.owed(cast.ben) - ben_start == 9000
    # The shares are still the members' whole shares; the diversions say where part went.
    ana_key = f"member:{cast.ana.pk}"
    shares = (
        first.shares.get(key=ana_key).amount_minor + second.shares.get(key=ana_key).amount_minor
    )
    assert shares == 22500
    diverted = PaymentDiversion.objects.filter(reason="guarantee_refill")
    assert sum(diverted.values_list("amount_minor", flat=True)) == 25200
    assert {d.account_id for d in diverted} == {pool_account(world.a, "guarantee", "AUD").pk}
    # Each member's statement shows what the fund paid them, claimant or not.
    from mutualist.mutual.selectors import member_statement

    fund = Fund.objects.get(collective=world.a, kind="guarantee")
    assert member_statement(fund=fund, member=cast.ana).received == [Money("180.00", "AUD")]
    assert member_statement(fund=fund, member=cast.ben).received == [Money("72.00", "AUD")]
    # The first payment's member parts (about 81.80) all went to the fund.
    assert first.shares.filter(recipient="member").count() == 2
    for share in first.shares.filter(recipient="member"):
        assert share.diversions.get().amount_minor == share.amount_minor
    # Claim stays paid: the fund's money is back, the claim is history.
    claim.refresh_from_db()
    assert claim.state == "paid"
    ledger_checked()


def test_a_payment_on_an_invoice_without_advances_is_not_diverted(world: World) -> None:
    world.fill("1000", "a")
    world.claim()  # submitted, not paid: nothing to recover
    billing_pay(world.invoice, "385 AUD", "all")
    assert not PaymentDiversion.objects.exists()
    assert world.pool() == 100000


# --- Writing off ---------------------------------------------------------------------------


@pytest.fixture
def write_off_kind() -> Any:
    """The ``write_off`` kind as the funds app registers it (registered here
    when the app has not, so this module's functions are what is tested)."""
    existing = handler_for("write_off")
    if existing is None:
        register(
            KindHandler(
                kind="write_off",
                validate=guarantee.write_off_validate,
                on_passed=guarantee.write_off_apply,
                describe=guarantee.write_off_describe,
            )
        )
    yield handler_for("write_off")
    if existing is None:
        unregister("write_off")


def paid_claim(world: World) -> Claim:
    world.fill("1000", "a")
    return claim_approve(claim=world.claim(), approver=world.cast.ben)


def test_a_passed_write_off_vote_credits_the_invoice_and_the_fund_bears_the_loss(
    world: World, write_off_kind: Any
) -> None:
    cast = world.cast
    claim = paid_claim(world)
    # Due 7 January; 180 days later is 6 July 2027: the vote can open on the 7th.
    world.at(dt.datetime(2027, 7, 7, 12, 0, tzinfo=dt.UTC))
    closes = dt.datetime(2027, 7, 14, 12, 0, tzinfo=dt.UTC)
    proposal = proposal_create(
        collective=world.a,
        author=cast.ben,  # a member: the credit note is issued in a coordinator's name
        kind="write_off",
        title="Write off Harbour's invoice",
        payload={"claim_id": claim.pk},
        closes_at=closes,
    )
    assert proposal.payload == {"claim_id": claim.pk}
    assert ("Still owed", str(aud("385"))) in write_off_kind.describe(proposal)
    vote_cast(proposal=proposal, voter=cast.ana, choice="yes")
    vote_cast(proposal=proposal, voter=cast.ben, choice="yes")
    pool_before = world.pool()

    assert proposal_close(proposal_id=proposal.pk, now=closes)

    proposal.refresh_from_db()
    assert proposal.outcome == "passed"
    claim.refresh_from_db()
    assert claim.state == "written_off"
    world.invoice.refresh_from_db()
    assert (world.invoice.status, world.invoice.outstanding_minor) == ("void", 0)
    note = Invoice.objects.get(credits=world.invoice)
    assert (note.total_minor, note.issued_by_id) == (38500, cast.ana.pk)
    assert note.number in proposal.applied_note
    # The fund keeps its loss; the members keep what it paid them.
    assert world.pool() == pool_before
    assert advances(claim) == {cast.ana.pk: (18000, 0), cast.ben.pk: (7200, 0)}
    ledger_checked()


def test_a_write_off_vote_is_refused_too_early_or_for_a_claim_not_paid(
    world: World, write_off_kind: Any
) -> None:
    cast = world.cast
    claim = world.claim()

    def propose(claim_id: Any) -> Proposal:
        return proposal_create(
            collective=world.a,
            author=cast.ben,
            kind="write_off",
            title="Write off",
            payload={"claim_id": claim_id},
            closes_at=dt.datetime(2027, 12, 1, tzinfo=dt.UTC),
        )

    refused(Conflict, "claim_not_paid", lambda: propose(claim.pk))
    refused(ValidationFailed, "claim_not_found", lambda: propose(claim.pk + 100))
    refused(ValidationFailed, "claim_required", lambda: propose("1"))
    world.fill("1000", "a")
    claim_approve(claim=claim, approver=cast.ben)
    error = refused(Conflict, "write_off_too_early", lambda: propose(claim.pk))
    assert "2027-07-07" in error.message
    world.at(dt.datetime(2027, 7, 7, 12, 0, tzinfo=dt.UTC))
    propose(claim.pk)
    refused(Conflict, "write_off_open", lambda: propose(claim.pk))


def test_a_write_off_passed_after_the_client_paid_is_recorded_not_applied(
    world: World, write_off_kind: Any
) -> None:
    cast = world.cast
    claim = paid_claim(world)
    world.at(dt.datetime(2027, 7, 7, 12, 0, tzinfo=dt.UTC))
    closes = dt.datetime(2027, 7, 14, 12, 0, tzinfo=dt.UTC)
    proposal = proposal_create(
        collective=world.a,
        author=cast.ana,
        kind="write_off",
        title="Write off Harbour's invoice",
        payload={"claim_id": claim.pk},
        closes_at=closes,
    )
    vote_cast(proposal=proposal, voter=cast.ana, choice="yes")
    vote_cast(proposal=proposal, voter=cast.ben, choice="yes")
    billing_pay(world.invoice, "385 AUD", "at-last")

    assert proposal_close(proposal_id=proposal.pk, now=closes)

    proposal.refresh_from_db()
    assert proposal.applied_note.startswith("Not applied")
    claim.refresh_from_db()
    assert claim.state == "paid"
    assert not Invoice.objects.filter(credits=world.invoice).exists()
    assert world.pool() == 100000  # refilled by the payment
    ledger_checked()


def test_write_off_validate_reads_only_a_claim_id(world: World) -> None:
    from mutualist.governance.kinds import ProposalDraft

    draft = ProposalDraft(
        collective=world.a,
        author=world.cast.ana,
        closes_at=CLAIMED_AT + dt.timedelta(days=7),
        payload={"claim_id": 1, "amount": "5"},
    )
    with pytest.raises(ValidationFailed) as raised:
        write_off_validate(draft)
    assert raised.value.code == "invalid_payload"


def test_a_coordinator_cannot_credit_a_guaranteed_invoice_only_the_vote_can(world: World) -> None:
    cast = world.cast
    claim = paid_claim(world)
    assert claim.state == "paid"
    before = snapshot()
    with pytest.raises(Conflict) as refused:
        credit_note_issue(
            invoice=world.invoice, actor=cast.ana, reason="Bad debt", idempotency_key="credit"
        )
    assert (refused.value.code, refused.value.field) == ("guaranteed_invoice", "invoice")
    assert snapshot() == before
    world.invoice.refresh_from_db()
    assert world.invoice.credited_minor == 0
