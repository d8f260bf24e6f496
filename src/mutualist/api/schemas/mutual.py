"""The mutual funds: their figures and rules, members' statements, claims,
sick-pay participation, guarantee agreements and eligibility.

Money is ``{"amount": "12.50", "currency": "PHP"}`` with a decimal string; a
fund may hold several currencies, so its balances are lists, one per
currency. Sick-pay tiers are numbered from 1 (the lowest), in the order the
rules list them. A claim shows the claimant's name and reason only as far as
the claimant chose to tell the group (``disclosure``): the claimant and the
coordinators see everything; anyone else, the peers who decide it included,
sees ``claimant: null`` and ``who: "A member"`` for an anonymous
claim, and ``reason: null`` unless the claimant chose ``everything``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import StrictInt

from mutualist.api.schemas.billing_invoices import DocumentRefOut
from mutualist.api.schemas.common import InputSchema, MoneyIn, MoneyOut, PersonOut
from mutualist.api.schemas.work_clients import ClientRefOut
from mutualist.core.money import Money
from mutualist.governance.models import Proposal
from mutualist.mutual.models import (
    Claim,
    ClaimPayment,
    ClientAgreement,
    Deposit,
    Fund,
    FundRules,
    Participation,
    ParticipationChange,
)
from mutualist.mutual.selectors import ClaimView, FundOverview, MemberStatement

ID_MAX = 2**63 - 1
# ``YYYY-MM``: the month an income-gap claim or eligibility is about.
# Years 1900 to 9998, as billing's reports bound them: month arithmetic on
# 0000 or 9999 would leave the calendar.
MONTH_PATTERN = r"^(19[0-9]{2}|[2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-(0[1-9]|1[0-2])$"

# --- Output -----------------------------------------------------------------------


def money_out(money: Money) -> MoneyOut:
    return MoneyOut.from_minor(money.minor_units, money.currency)


def monies_out(amounts: Sequence[Money]) -> list[MoneyOut]:
    return [money_out(money) for money in amounts]


def month_text(day: dt.date | None) -> str | None:
    return f"{day:%Y-%m}" if day is not None else None


class FundRulesOut(Schema):
    """One version of a fund's rules, as a passed ``fund_rule_change`` proposal wrote it."""

    version: int
    effective_from: dt.date = Field(description="In force from this day on (until a newer one)")
    rules: dict[str, Any] = Field(
        description="The whole rules of the version: amounts as decimal strings in the "
        "fund's currency (see docs/mutual/api.md for each kind's fields)"
    )
    proposal_id: int = Field(description="The proposal that voted it in")
    created_at: dt.datetime

    @classmethod
    def from_model(cls, version: FundRules) -> FundRulesOut:
        return cls(
            version=version.version,
            effective_from=version.effective_from,
            rules=version.rules,
            proposal_id=version.proposal_id,
            created_at=version.created_at,
        )


class RulesVoteRefOut(Schema):
    id: int = Field(description="The proposal (vote on it at PUT /proposals/{id}/vote)")
    title: str
    closes_at: dt.datetime


class FundSummaryOut(Schema):
    """A fund and its main figures, as its page shows them."""

    kind: str = Field(description="sick_pay, guarantee, income_gap or savings")
    name: str = Field(examples=["Sick pay"])
    state: str = Field(description="setting_up (its first rules under vote) or active")
    currency: str = Field(description="The currency of its rules and its own payouts")
    balance: list[MoneyOut] = Field(
        description="What it holds, per currency (a pooled fund may hold levies in several)"
    )
    reserved: list[MoneyOut] = Field(description="Set aside for approved claims not yet paid")
    available: list[MoneyOut] = Field(description="Balance less what is reserved")
    obligations: MoneyOut = Field(
        description="Promised and not paid: the rest of approved claims, and a month of every "
        "ongoing sick claim"
    )
    runway_months: str | None = Field(
        description="Months the available money lasts at the current claim rate (one "
        "decimal); null while nothing is being claimed",
        examples=["14.5"],
    )
    participants: int = Field(description="Members with an account in it (sick pay, savings)")
    claims_waiting: int = Field(description="Claims waiting for a decision or for money")
    claims_ongoing: int = Field(description="Sick claims being paid month by month")
    rules_version: int | None = Field(description="The version in force today; null before any")
    warnings: list[str]

    @classmethod
    def fields_of(cls, overview: FundOverview) -> dict[str, Any]:
        fund = overview.fund
        return {
            "kind": fund.kind,
            "name": fund.get_kind_display(),
            "state": fund.state,
            "currency": fund.currency,
            "balance": monies_out(overview.balances),
            "reserved": monies_out(overview.reserved),
            "available": monies_out(overview.available),
            "obligations": money_out(overview.obligations),
            "runway_months": (
                str(overview.runway_months) if overview.runway_months is not None else None
            ),
            "participants": overview.participants,
            "claims_waiting": overview.claims_waiting,
            "claims_ongoing": overview.claims_ongoing,
            "rules_version": overview.rules.version if overview.rules is not None else None,
            "warnings": list(overview.warnings),
        }

    @classmethod
    def build(cls, overview: FundOverview) -> FundSummaryOut:
        return cls.model_validate(cls.fields_of(overview))


class FundOut(FundSummaryOut):
    """Everything on the fund's page."""

    money_in: list[MoneyOut] = Field(
        description="Levies and deposits received over the last twelve months"
    )
    paid_out: list[MoneyOut] = Field(description="Claims paid over the last twelve months")
    monthly_claim_rate: MoneyOut = Field(
        description="What claims take a month: the last twelve months' payouts averaged, or "
        "this month's ongoing sick pay if that is more"
    )
    rules: FundRulesOut | None = Field(description="The rules in force today")
    upcoming_rules: FundRulesOut | None = Field(
        description="A newer version voted in that takes effect later"
    )
    rules_vote: RulesVoteRefOut | None = Field(
        description="An open proposal to change the rules (the soonest closing)"
    )

    @classmethod
    def build(cls, overview: FundOverview) -> FundOut:
        vote: Proposal | None = overview.rules_vote
        return cls.model_validate(
            {
                **cls.fields_of(overview),
                "money_in": monies_out(overview.money_in),
                "paid_out": monies_out(overview.paid_out),
                "monthly_claim_rate": money_out(overview.monthly_claim_rate),
                "rules": (
                    FundRulesOut.from_model(overview.rules) if overview.rules is not None else None
                ),
                "upcoming_rules": (
                    FundRulesOut.from_model(overview.upcoming_rules)
                    if overview.upcoming_rules is not None
                    else None
                ),
                "rules_vote": (
                    RulesVoteRefOut(id=vote.pk, title=vote.title, closes_at=vote.closes_at)
                    if vote is not None
                    else None
                ),
            }
        )


class RulesProposalOut(Schema):
    """A rule change put to the members' vote."""

    id: int = Field(description="The proposal (GET /proposals/{id}; vote with PUT .../vote)")
    title: str
    state: str = Field(description="open")
    closes_at: dt.datetime
    fund: str = Field(description="The fund's kind")
    effective_from: dt.date = Field(description="When the rules take effect if the vote passes")
    rules: dict[str, Any] = Field(
        description="The whole rules the vote would put in force (the changes laid over the "
        "newest version, or over the defaults for a first version)"
    )

    @classmethod
    def from_model(cls, proposal: Proposal) -> RulesProposalOut:
        payload = proposal.payload
        return cls(
            id=proposal.pk,
            title=proposal.title,
            state=proposal.state,
            # As every time goes out: in UTC (the service hands back the time as sent).
            closes_at=proposal.closes_at.astimezone(dt.UTC),
            fund=payload["fund"],
            effective_from=dt.date.fromisoformat(payload["effective_from"]),
            rules=payload["rules"],
        )


class ClaimPaymentOut(Schema):
    amount: MoneyOut
    requested: MoneyOut = Field(
        description="What the rules promised; more than amount when the fund was short"
    )
    month: str | None = Field(description="YYYY-MM: the month a sick-pay gift is for")
    paid_on: dt.date

    @classmethod
    def from_model(cls, payment: ClaimPayment) -> ClaimPaymentOut:
        return cls(
            amount=MoneyOut.from_minor(payment.amount_minor, payment.currency),
            requested=MoneyOut.from_minor(payment.requested_minor, payment.currency),
            month=month_text(payment.month),
            paid_on=payment.paid_on,
        )


class DecisionOut(Schema):
    approver: PersonOut
    decision: str = Field(description="approve or reject")
    note: str | None = Field(
        description="Why; null where the claim's reason is hidden from you (a note may tell it)"
    )
    created_at: dt.datetime


class ClaimOut(Schema):
    """A claim, as the caller may see it."""

    id: int
    fund: str = Field(description="The fund's kind")
    state: str = Field(
        description="submitted, approved (waiting for money), ongoing (sick pay, paid "
        "monthly), paid, rejected, expired, withdrawn, ended or written_off"
    )
    claimant: PersonOut | None = Field(
        description="Null when the claimant chose not to be named (anonymous) and you are "
        "not one who sees everything"
    )
    who: str = Field(description="The claimant's name, or 'A member'", examples=["A member"])
    is_own: bool = Field(description="You made it")
    disclosure: str = Field(description="everything, name_only or anonymous")
    reason: str | None = Field(description="Null where it is hidden from you")
    approval: str = Field(description="peers, vote or automatic")
    approvals_needed: int
    approvals: int = Field(description="Peers who approved so far")
    rejections: int = Field(description="Peers who rejected so far")
    can_decide: bool = Field(description="You may approve or reject it now")
    my_decision: str | None = Field(description="approve or reject, if you decided")
    proposal_id: int | None = Field(description="The vote deciding it (approval by vote)")
    claim_date: dt.date = Field(description="Its rules are the ones in force on this day")
    rules_version: int
    amount: MoneyOut | None = Field(description="What is asked; null for sick pay (monthly)")
    reserved: MoneyOut = Field(description="Set aside for it and not yet paid")
    paid: MoneyOut
    starts_on: dt.date | None = Field(description="Sick pay: the first day of sickness")
    ends_on: dt.date | None = Field(description="Sick pay: the last day, once ended")
    percent: int | None = Field(description="Sick pay: 50 or 100")
    invoice: DocumentRefOut | None = Field(
        description="Guarantee: the overdue invoice (null where the claimant is not named to "
        "you: the invoice would tell who)"
    )
    period: str | None = Field(description="Income gap: the month (YYYY-MM) that fell short")
    decided_at: dt.datetime | None
    decision_note: str
    created_at: dt.datetime

    @classmethod
    def fields_of(cls, view: ClaimView) -> dict[str, Any]:
        claim = view.claim
        # An anonymous claim names its claimant only to those who see everything
        # (and they see its reason too).
        named = claim.disclosure != Claim.Disclosure.ANONYMOUS or view.reason is not None
        approvals = sum(1 for d in view.decisions if d.decision == "approve")
        return {
            "id": claim.pk,
            "fund": claim.fund.kind,
            "state": claim.state,
            "claimant": PersonOut.from_user(claim.claimant) if named else None,
            "who": view.who,
            "is_own": view.is_own,
            "disclosure": claim.disclosure,
            "reason": view.reason,
            "approval": claim.approval,
            "approvals_needed": claim.approvals_needed,
            "approvals": approvals,
            "rejections": len(view.decisions) - approvals,
            "can_decide": view.can_decide,
            "my_decision": view.decided.decision if view.decided is not None else None,
            "proposal_id": claim.proposal_id,
            "claim_date": claim.claim_date,
            "rules_version": claim.rules.version,
            "amount": money_out(view.amount) if view.amount is not None else None,
            "reserved": money_out(view.reserved),
            "paid": money_out(view.paid),
            "starts_on": claim.starts_on,
            "ends_on": claim.ends_on,
            "percent": claim.percent,
            "invoice": (
                DocumentRefOut(id=claim.invoice.pk, number=claim.invoice.number or None)
                if claim.invoice is not None and named
                else None
            ),
            "period": month_text(claim.period),
            "decided_at": claim.decided_at,
            "decision_note": claim.decision_note,
            "created_at": claim.created_at,
        }

    @classmethod
    def build(cls, view: ClaimView) -> ClaimOut:
        return cls.model_validate(cls.fields_of(view))


class ClaimDetailOut(ClaimOut):
    decisions: list[DecisionOut] = Field(description="The peers' decisions, oldest first")
    payments: list[ClaimPaymentOut] = Field(description="What it was paid, oldest first")

    @classmethod
    def build_detail(cls, view: ClaimView, payments: Sequence[ClaimPayment]) -> ClaimDetailOut:
        return cls.model_validate(
            {
                **cls.fields_of(view),
                "decisions": [
                    DecisionOut(
                        approver=PersonOut.from_user(d.approver),
                        decision=d.decision,
                        note=d.note if view.reason is not None else None,
                        created_at=d.created_at,
                    )
                    for d in view.decisions
                ],
                "payments": [ClaimPaymentOut.from_model(p) for p in payments],
            }
        )


class ParticipationOut(Schema):
    """Your place in a fund that keeps an account per member."""

    state: str = Field(description="active or left")
    tier: int | None = Field(description="Sick pay: your tier, from 1 (the lowest)")
    monthly_deposit: MoneyOut | None = Field(description="Sick pay: your tier's deposit")
    monthly_gift: MoneyOut | None = Field(
        description="Sick pay: your tier's gift for a month fully sick"
    )
    joined_on: dt.date
    left_on: dt.date | None


class ChangeOut(Schema):
    """A tier change or an exit, taking effect on a set date."""

    id: int
    kind: str = Field(description="tier or exit")
    tier: int | None = Field(description="The new tier, from 1 (tier changes)")
    effective_on: dt.date
    state: str = Field(description="pending, applied or cancelled")
    requested_at: dt.datetime

    @classmethod
    def from_model(cls, change: ParticipationChange) -> ChangeOut:
        return cls(
            id=change.pk,
            kind=change.kind,
            tier=change.tier + 1 if change.tier is not None else None,
            effective_on=change.effective_on,
            state=change.state,
            requested_at=change.requested_at,
        )


class DepositOut(Schema):
    month: str = Field(description="YYYY-MM")
    amount: MoneyOut
    state: str = Field(description="paid, or arrears (retried by the scheduler)")
    paid_at: dt.datetime | None

    @classmethod
    def from_model(cls, deposit: Deposit) -> DepositOut:
        return cls(
            month=f"{deposit.month:%Y-%m}",
            amount=MoneyOut.from_minor(deposit.amount_minor, deposit.currency),
            state=deposit.state,
            paid_at=deposit.paid_at,
        )


class StatementOut(Schema):
    """What you put into a fund and got out of it."""

    fund: str = Field(description="The fund's kind")
    participation: ParticipationOut | None = Field(
        description="Sick pay and savings: your account in the fund; null if you have none"
    )
    own_balance: list[MoneyOut] = Field(
        description="What your own account in the fund holds (sick pay, savings)"
    )
    paid_in: list[MoneyOut] = Field(
        description="Sick pay: your deposits; savings: what you saved; guarantee and income "
        "gap: your part of the levies on payments you had a share in"
    )
    received: list[MoneyOut] = Field(description="What your claims were paid")
    arrears: list[MoneyOut] = Field(description="Sick pay: deposits not yet covered")
    deposits: list[DepositOut] = Field(description="Sick pay: your deposits, newest first")
    pending_change: ChangeOut | None
    claims: list[ClaimOut] = Field(description="Your claims on the fund, newest first")

    @classmethod
    def build(
        cls,
        statement: MemberStatement,
        *,
        participation: ParticipationOut | None,
        claims: list[ClaimOut],
    ) -> StatementOut:
        arrears: dict[str, int] = {}
        for deposit in statement.arrears:
            arrears[deposit.currency] = arrears.get(deposit.currency, 0) + deposit.amount_minor
        return cls(
            fund=statement.fund.kind,
            participation=participation,
            own_balance=monies_out(statement.own_balance),
            paid_in=monies_out(statement.paid_in),
            received=monies_out(statement.received),
            arrears=[MoneyOut.from_minor(arrears[c], c) for c in sorted(arrears)],
            deposits=[DepositOut.from_model(d) for d in statement.deposits],
            pending_change=(
                ChangeOut.from_model(statement.pending_change)
                if statement.pending_change is not None
                else None
            ),
            claims=claims,
        )


class AgreementOut(Schema):
    """A client's signed payment agreement: the first condition of the guarantee."""

    id: int
    client: ClientRefOut
    signed_on: dt.date
    reference: str
    recorded_by: PersonOut
    created_at: dt.datetime

    @classmethod
    def from_model(cls, agreement: ClientAgreement) -> AgreementOut:
        return cls(
            id=agreement.pk,
            client=ClientRefOut(id=agreement.client.pk, name=agreement.client.name),
            signed_on=agreement.signed_on,
            reference=agreement.reference,
            recorded_by=PersonOut.from_user(agreement.recorded_by),
            created_at=agreement.created_at,
        )


class MemberShareOut(Schema):
    member: PersonOut
    unpaid: MoneyOut = Field(description="Their share of the invoice not yet paid")


class GuaranteeEligibilityOut(Schema):
    invoice: DocumentRefOut
    eligible: bool
    reasons: list[str] = Field(description="Why not, in words (empty when eligible)")
    codes: list[str] = Field(
        description="The same reasons as stable codes: not_an_invoice, not_issued, "
        "not_unpaid, not_overdue, no_agreement, no_member_shares, no_credit_history, "
        "beyond_credit_limit, nothing_covered, no_rules"
    )
    covered: MoneyOut = Field(
        description="What a claim would ask for: the members' unpaid shares up to the cap "
        "and the client's credit limit (zero when not eligible)"
    )
    credit_limit: MoneyOut = Field(
        description="The client's credit limit, from its payment history"
    )
    credit_used: MoneyOut = Field(
        description="What the fund has at stake for the client on its other invoices"
    )
    unpaid_member_shares: list[MemberShareOut]


class IncomeGapEligibilityOut(Schema):
    period: str = Field(description="YYYY-MM")
    eligible: bool
    reasons: list[str] = Field(description="Why not, in words (empty when eligible)")
    codes: list[str] = Field(
        description="The same reasons as stable codes: no_rules, invalid_period, "
        "not_a_member, too_new, too_many_top_ups, missing_rate, income_above_floor"
    )
    income: MoneyOut | None = Field(
        description="Your income through the platform that month, in the fund's currency "
        "(without the currencies in missing_rates); null when the fund has no rules"
    )
    income_by_currency: list[MoneyOut] = Field(description="What came in, in each currency")
    missing_rates: list[str] = Field(
        description="Currencies with no rate on the month's last day: a coordinator records one"
    )
    top_up: MoneyOut = Field(
        description="What a claim would ask: the floor less the income, up to the cap "
        "(zero when not eligible)"
    )


# --- Input ------------------------------------------------------------------------


class FundSetupIn(InputSchema):
    rules: dict[str, Any] = Field(
        default_factory=dict,
        description="Rules that differ from the kind's defaults (see docs/mutual/api.md); "
        "the rest are the defaults",
    )
    effective_from: dt.date | None = Field(
        None, description="When the rules take effect; the day after the vote closes if absent"
    )
    closes_at: dt.datetime | None = Field(
        None,
        description="When the vote closes: ISO 8601 with an offset, within a year; a week "
        "from now if absent",
        examples=["2026-12-04T18:00:00+08:00"],
    )
    body: str = Field("", description="Markdown: why these rules")


class FundRulesIn(InputSchema):
    rules: dict[str, Any] = Field(
        description="Only what changes; the rest stays as in the newest version",
        examples=[{"waiting_days": 14}],
    )
    effective_from: dt.date = Field(description="On or after the vote's closing day")
    closes_at: dt.datetime | None = Field(
        None, description="ISO 8601 with an offset; a week from now if absent"
    )
    title: str = Field("", description="A title for the vote; one is made up if absent")
    body: str = Field("", description="Markdown: why")


class ClaimIn(InputSchema):
    """A claim; which fields it needs depends on the fund:

    - sick_pay: ``starts_on`` and ``percent``;
    - guarantee: ``invoice_id``;
    - income_gap: ``period``;
    - savings (a withdrawal): ``amount``.

    A field another kind of fund asks for is refused (``validation_failed``).
    """

    reason: str = Field("", description="At most 2,000 characters")
    disclosure: str | None = Field(
        None,
        description="What the group is told: everything (your name and reason; the "
        "default), name_only, or anonymous (neither); the peers who decide are told no "
        "more. The coordinators see all. Not for savings: a withdrawal always shows your "
        "name only",
    )
    starts_on: dt.date | None = Field(None, description="sick_pay: the first day of sickness")
    percent: StrictInt | None = Field(None, description="sick_pay: 50 or 100")
    invoice_id: StrictInt | None = Field(
        None, ge=1, le=ID_MAX, description="guarantee: the overdue invoice"
    )
    period: str | None = Field(
        None, pattern=MONTH_PATTERN, description="income_gap: last month, YYYY-MM"
    )
    amount: MoneyIn | None = Field(None, description="savings: what to take out")


# The fields each kind of claim asks for; everything else in ``ClaimIn`` is common.
CLAIM_FIELDS: dict[str, tuple[str, ...]] = {
    Fund.Kind.SICK_PAY: ("starts_on", "percent"),
    Fund.Kind.GUARANTEE: ("invoice_id",),
    Fund.Kind.INCOME_GAP: ("period",),
    Fund.Kind.SAVINGS: ("amount",),
}


class ClaimApproveIn(InputSchema):
    note: str = Field("", description="At most 300 characters")


class ClaimRejectIn(InputSchema):
    note: str = Field(description="Why (required; the member is told), at most 300 characters")


class ClaimEndIn(InputSchema):
    ends_on: dt.date = Field(description="The last day of sickness")


class JoinIn(InputSchema):
    tier: StrictInt = Field(description="From 1 (the lowest) to the number of tiers")


class ChangeIn(InputSchema):
    kind: Literal["tier", "exit"]
    tier: StrictInt | None = Field(None, description="The new tier, from 1 (tier changes only)")
    effective_on: dt.date = Field(
        description="A set date: the 1st of one of the rules' change_months, after today"
    )


class AgreementIn(InputSchema):
    client_id: StrictInt = Field(ge=1, le=ID_MAX, description="One of the collective's clients")
    signed_on: dt.date
    reference: str = Field("", max_length=200)


class ClaimFiltersIn(Schema):
    state: (
        Literal[
            "submitted",
            "approved",
            "ongoing",
            "paid",
            "rejected",
            "expired",
            "withdrawn",
            "ended",
            "written_off",
        ]
        | None
    ) = Field(None, description="Only claims in this state")


class PeriodIn(Schema):
    period: str | None = Field(
        None, pattern=MONTH_PATTERN, description="YYYY-MM; last month if absent"
    )


def participation_out(
    participation: Participation, *, deposit: Money | None, gift: Money | None
) -> ParticipationOut:
    return ParticipationOut(
        state=participation.state,
        tier=participation.tier + 1 if participation.tier is not None else None,
        monthly_deposit=money_out(deposit) if deposit is not None else None,
        monthly_gift=money_out(gift) if gift is not None else None,
        joined_on=participation.joined_on,
        left_on=participation.left_on,
    )


class ConversionIn(InputSchema):
    """Convert part of a pooled fund's money into another currency."""

    amount: MoneyIn = Field(description="What to convert, in a currency the fund holds")
    to_currency: str = Field(description="ISO 4217 code to convert into", examples=["PHP"])
    rate: str | None = Field(
        None,
        description="Units of to_currency per unit of the amount's currency; left out, the "
        "rate on record for today is used",
        examples=["38.50"],
    )
    rate_source: str = Field("", description="Where a given rate came from", max_length=200)
