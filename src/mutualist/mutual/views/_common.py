"""What the funds pages share: the fund page's and the claim page's
context (both are rendered again, with the refused form, when a POST on
them is refused), money shown per currency, and claims in words."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from mutualist.billing.models import Invoice
from mutualist.collectives.models import Membership
from mutualist.collectives.selectors import collective_get_for_member
from mutualist.core.money import Money
from mutualist.governance.models import Proposal
from mutualist.members.models import User
from mutualist.mutual.forms import ChangeForm, DecideForm, JoinForm, SickEndForm, tier_choices
from mutualist.mutual.models import (
    Claim,
    ClaimApproval,
    Fund,
    FundRules,
    Participation,
)
from mutualist.mutual.rules import LABELS, GuaranteeRules, SickPayRules, rules_for
from mutualist.mutual.selectors import (
    PER_MEMBER,
    ClaimView,
    claim_view,
    claims_for_fund,
    deposits_in_arrears,
    fund_overview,
    guarantee_advances,
    member_statement,
    rules_history,
    write_off_vote_open,
)
from mutualist.mutual.services.conversion import POOLED
from mutualist.mutual.services.funds import rule_changes_described

TEMPLATES = "mutual"
# How many set dates a tier change or an exit is offered on.
SET_DATES_OFFERED = 3

ABOUT = {
    Fund.Kind.SICK_PAY: "A monthly gift while you are sick, drawn from the other members' "
    "deposits, as in a Dutch bread fund. Each member deposits monthly into their own account "
    "and takes what is left when they leave.",
    Fund.Kind.GUARANTEE: "When a client pays an invoice late or never, the fund pays the "
    "members their shares and takes over the debt; when the client pays, the money refills "
    "the fund.",
    Fund.Kind.INCOME_GAP: "A top-up for a month in which your income through the collective "
    "fell below a floor, worked out from the books: no paperwork.",
    Fund.Kind.SAVINGS: "A share of each of your payments saved in your own account, yours to "
    "take out as the rules allow.",
}


def day(value: dt.date) -> str:
    """ "1 January 2027": no leading zero on the day."""
    return f"{value.day} {value:%B %Y}"


def with_zero(amounts: list[Money], currency: str) -> list[Money]:
    """``amounts`` with a zero in ``currency`` when it has none, so a page
    says "₱0.00" rather than nothing."""
    if any(money.currency == currency for money in amounts):
        return amounts
    return [Money.from_minor(0, currency), *amounts]


def words_and(items: list[str], joiner: str = "and") -> str:
    """ "AUD", "AUD and USD", "AUD, JPY and USD"."""
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} {joiner} {items[-1]}"


def left_out_words(currencies: list[str], fund_currency: str) -> str:
    """Why the runway leaves money out: "AUD is left out: no AUD/PHP rate on record"."""
    if not currencies:
        return ""
    verb = "is" if len(currencies) == 1 else "are"
    pairs = words_and([f"{c}/{fund_currency}" for c in currencies], "or")
    return f"{words_and(currencies)} {verb} left out: no {pairs} rate on record"


@dataclass(frozen=True)
class Arrear:
    """A deposit the fund is still waiting for, as a coordinator reads it."""

    member: str
    month: dt.date
    amount: Money


def membership_in(user: User, fund: Fund) -> Membership:
    _, membership = collective_get_for_member(user=user, slug=fund.collective.slug)
    return membership


def claim_what(claim: Claim) -> str:
    """What a claim is for, in a few words (nothing that names the claimant)."""
    if claim.fund.kind == Fund.Kind.SICK_PAY and claim.starts_on is not None:
        words = f"Sick from {day(claim.starts_on)}, {claim.percent}\u00a0%"
        if claim.ends_on is not None:
            words += f", until {day(claim.ends_on)}"
        return words
    if claim.fund.kind == Fund.Kind.GUARANTEE and claim.invoice is not None:
        return f"Invoice {claim.invoice.number or '#' + str(claim.invoice_id)}"
    if claim.fund.kind == Fund.Kind.INCOME_GAP and claim.period is not None:
        return f"Top-up for {claim.period:%B %Y}"
    if claim.fund.kind == Fund.Kind.SAVINGS:
        return "Withdrawal"
    return "Claim"


@dataclass(frozen=True)
class RulesVersion:
    version: FundRules
    rows: list[tuple[str, str]]


def _described(
    fund: Fund, version: FundRules, base: FundRules | None, *, tiers_apart: bool = False
) -> RulesVersion:
    """Label/value rows of a version (marking what changed from ``base``);
    without the tiers when the page shows them as a table (``tiers_apart``)."""
    rows = []
    for label, value in rule_changes_described(
        kind=fund.kind, rules=version.rules, base=base.rules if base else None
    ):
        if tiers_apart and label == LABELS["tiers"]:
            continue
        rows.append((label, value))
    return RulesVersion(version, rows)


def set_dates(rules: SickPayRules, today: dt.date, count: int = SET_DATES_OFFERED) -> list[dt.date]:
    """The next ``count`` set dates for tier changes and exits."""
    from mutualist.mutual.services.sick_pay import next_change_date

    dates: list[dt.date] = []
    after = today
    for _ in range(count):
        after = next_change_date(rules, after=after)
        dates.append(after)
    return dates


def fund_context(
    *,
    user: User,
    fund: Fund,
    join_form: JoinForm | None = None,
    change_form: ChangeForm | None = None,
) -> dict[str, Any]:
    """Everything the fund page shows to ``user`` (an active member)."""
    membership = membership_in(user, fund)
    today = timezone.localdate()
    overview = fund_overview(fund=fund, today=today)
    statement = member_statement(fund=fund, member=user)
    in_force = overview.rules
    upcoming = overview.upcoming_rules
    participation = statement.participation
    taking_part = participation is not None and participation.state == Participation.State.ACTIVE
    active = fund.state == Fund.State.ACTIVE and in_force is not None
    context: dict[str, Any] = {
        "collective": fund.collective,
        "fund": fund,
        "about": ABOUT[Fund.Kind(fund.kind)],
        "is_coordinator": membership.is_coordinator,
        "overview": overview,
        "balances": with_zero(overview.balances, fund.currency),
        "available": with_zero(overview.available, fund.currency),
        "reserved": overview.reserved,
        "money_in": with_zero(overview.money_in, fund.currency),
        "paid_out": with_zero(overview.paid_out, fund.currency),
        "per_member": fund.kind in PER_MEMBER,
        "statement": statement,
        "taking_part": taking_part,
        "own_balance": with_zero(statement.own_balance, fund.currency),
        "paid_in": with_zero(statement.paid_in, fund.currency),
        "received": with_zero(statement.received, fund.currency),
        "recent_deposits": statement.deposits[:6],
        "in_force": (
            _described(fund, in_force, None, tiers_apart=fund.kind == Fund.Kind.SICK_PAY)
            if in_force
            else None
        ),
        "upcoming": _described(fund, upcoming, in_force) if upcoming else None,
        "history": rules_history(fund=fund),
        "claims": [
            (view, claim_what(view.claim)) for view in claims_for_fund(fund=fund, viewer=user)
        ],
        "active": active,
        "can_claim": active and _may_claim(fund, taking_part, statement.own_balance),
    }
    context["left_out"] = left_out_words(overview.runway_left_out, fund.currency)
    # Levies arrive in the clients' currencies; a pooled fund pays in its own
    # (or, for the guarantee, the invoice's): coordinators convert between them.
    context["can_convert"] = (
        membership.is_coordinator
        and fund.kind in POOLED
        and any(money.amount > 0 for money in overview.available)
    )
    # For the coordinators, who follow them up (a member sees their own below).
    context["arrears"] = None
    if fund.kind == Fund.Kind.SICK_PAY and membership.is_coordinator:
        context["arrears"] = [
            Arrear(
                deposit.participation.member.display_name,
                deposit.month,
                Money.from_minor(deposit.amount_minor, deposit.currency),
            )
            for deposit in deposits_in_arrears(fund=fund, viewer=user)
        ]
    typed = overview.typed_rules
    if fund.kind == Fund.Kind.SICK_PAY and isinstance(typed, SickPayRules):
        tiers = tier_choices(typed.tiers, fund.currency)
        context["tiers_label"] = LABELS["tiers"]
        context["tiers"] = [
            (index + 1, Money(tier.deposit, fund.currency), Money(tier.payout, fund.currency))
            for index, tier in enumerate(typed.tiers)
        ]
        context["my_tier"] = (
            tiers[participation.tier][1]
            if taking_part
            and participation is not None
            and participation.tier is not None
            and participation.tier < len(tiers)
            else ""
        )
        context["pending_tier"] = (
            tiers[statement.pending_change.tier][1]
            if statement.pending_change is not None
            and statement.pending_change.tier is not None
            and statement.pending_change.tier < len(tiers)
            else ""
        )
        dates = [f"1 {dt.date(2000, m, 1):%B}" for m in typed.change_months]
        context["change_dates"] = (
            " and ".join([", ".join(dates[:-1]), dates[-1]]) if len(dates) > 1 else dates[0]
        )
        # A refused form is shown again, whatever the member's place now.
        if join_form is not None or (active and not taking_part):
            context["join_form"] = join_form or JoinForm(tiers=tiers)
        if change_form is not None or (active and taking_part and statement.pending_change is None):
            context["change_form"] = change_form or ChangeForm(
                tiers=tiers, dates=set_dates(typed, today)
            )
    return context


def _may_claim(fund: Fund, taking_part: bool, own_balance: list[Money]) -> bool:
    if fund.kind == Fund.Kind.SICK_PAY:
        return taking_part
    if fund.kind == Fund.Kind.SAVINGS:
        return any(money.amount > 0 for money in own_balance)
    return True


# --- The claim page ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Payment:
    paid_on: dt.date
    month: dt.date | None
    amount: Money
    requested: Money

    @property
    def reduced(self) -> bool:
        return self.amount.amount < self.requested.amount


@dataclass(frozen=True)
class AdvanceRow:
    """What the guarantee advanced one member for their share of the
    invoice, and how much of it came back to the fund as the client paid."""

    member: str
    is_you: bool
    advanced: Money
    recovered: Money


@dataclass(frozen=True)
class WriteOff:
    """Where a paid guarantee claim stands on writing its invoice off."""

    # "possible" (a member may propose it now), "open" (a vote is open),
    # "later" (from ``possible_on``), or "" (nothing to write off).
    state: str
    possible_on: dt.date | None = None
    # The rules' days overdue after which a write-off may be voted on.
    days: int = 0
    vote: Proposal | None = None
    error: str = ""


def _advances(claim: Claim, user: User, named: bool) -> list[AdvanceRow]:
    """The advances, named when the viewer is told who claimed (else only
    the viewer's own row is named: the shares would point at the claimant)."""
    rows = []
    for advance in guarantee_advances(claim=claim):
        is_you = advance.member_id == user.pk
        rows.append(
            AdvanceRow(
                advance.member.display_name if named or is_you else "A member",
                is_you,
                Money.from_minor(advance.advanced_minor, advance.currency),
                Money.from_minor(advance.recovered_minor, advance.currency),
            )
        )
    return rows


def invoice_standing(invoice: Invoice) -> tuple[str, Money]:
    """The claimed invoice now: ("unpaid", what is still owed), ("paid", 0)
    or ("credited", 0) once credited in full (a write-off does that)."""
    owed = Money.from_minor(max(invoice.outstanding_minor, 0), invoice.currency)
    if invoice.status == Invoice.Status.VOID:
        return "credited", owed
    if invoice.status == Invoice.Status.ISSUED and invoice.outstanding_minor > 0:
        return "unpaid", owed
    return "paid", owed


def write_off_standing(claim: Claim, today: dt.date, error: str = "") -> WriteOff:
    """Whether the members may be asked to write the claim's invoice off:
    the claim is paid, the invoice still unpaid and overdue by more than the
    rules' ``write_off_days`` (``write_off_validate`` has the last word)."""
    invoice = claim.invoice
    if (
        claim.fund.kind != Fund.Kind.GUARANTEE
        or invoice is None
        or invoice.due_date is None
        or claim.state != Claim.State.PAID
        or invoice_standing(invoice)[0] != "unpaid"
    ):
        return WriteOff("", error=error)
    vote = write_off_vote_open(claim=claim)
    if vote is not None:
        return WriteOff("open", vote=vote, error=error)
    rules = rules_for(claim.fund.kind, claim.rules.rules)
    if not isinstance(rules, GuaranteeRules):
        return WriteOff("", error=error)
    possible_on = invoice.due_date + dt.timedelta(days=rules.write_off_days + 1)
    state = "possible" if today >= possible_on else "later"
    return WriteOff(state, possible_on=possible_on, days=rules.write_off_days, error=error)


def claim_context(
    *,
    user: User,
    claim: Claim,
    decide_form: DecideForm | None = None,
    end_form: SickEndForm | None = None,
    notice: str = "",
    error: str = "",
    write_off_error: str = "",
) -> dict[str, Any]:
    """Everything the claim page (and its decision panel) shows to ``user``."""
    fund = claim.fund
    membership = membership_in(user, fund)
    view: ClaimView = claim_view(claim=claim, viewer=user, coordinator=membership.is_coordinator)
    # Told the name and the reason: the peers' notes may speak of either.
    told_all = view.reason is not None and view.who != "A member"
    approvals = [d for d in view.decisions if d.decision == ClaimApproval.Decision.APPROVE]
    rejections = [d for d in view.decisions if d.decision == ClaimApproval.Decision.REJECT]
    payments = [
        Payment(
            p.paid_on,
            p.month,
            Money.from_minor(p.amount_minor, p.currency),
            Money.from_minor(p.requested_minor, p.currency),
        )
        for p in claim.payments.order_by("paid_on", "pk")
    ]
    live = claim.state in Claim.LIVE_STATES
    context: dict[str, Any] = {
        "collective": fund.collective,
        "fund": fund,
        "claim": claim,
        "view": view,
        "what": claim_what(claim),
        "told_all": told_all,
        "is_coordinator": membership.is_coordinator,
        "approvals": approvals,
        "rejections": rejections,
        "payments": payments,
        "decide_form": decide_form or DecideForm(),
        "notice": notice,
        "error": error,
        "can_withdraw": view.is_own
        and claim.state in (Claim.State.SUBMITTED, Claim.State.APPROVED)
        and claim.paid_minor == 0,
        "can_end": fund.kind == Fund.Kind.SICK_PAY
        and live
        and (view.is_own or membership.is_coordinator),
    }
    if context["can_end"]:
        context["end_form"] = end_form or SickEndForm(initial={"ends_on": timezone.localdate()})
    if fund.kind == Fund.Kind.GUARANTEE and claim.invoice is not None:
        standing, owed = invoice_standing(claim.invoice)
        context["invoice_standing"] = standing
        context["invoice_owed"] = owed
        context["advances"] = _advances(claim, user, named=view.who != "A member")
    context["write_off"] = write_off_standing(claim, timezone.localdate(), write_off_error)
    if fund.kind == Fund.Kind.SICK_PAY and claim.starts_on is not None:
        rules = rules_for(fund.kind, claim.rules.rules)
        if isinstance(rules, SickPayRules):
            context["waiting_days"] = rules.waiting_days
            context["paid_from"] = claim.starts_on + dt.timedelta(days=rules.waiting_days)
            context["max_months"] = rules.max_months
    return context
