"""Rows to the engine's model: the fund's history calibrated
(``calibrate_sick_pay``, ``calibrate_guarantee``), its rules, its members
and what it holds, as a ``SickPayModel`` or a ``GuaranteeModel`` with the
assumptions shown beside it (``solvency_model``), or the reason it is not
modelled; and the rules a fund's report is about (``rules_now``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mutualist.core.money import Money
from mutualist.engines.solvency.calibrate import Estimate, calibrate_guarantee, calibrate_sick_pay
from mutualist.engines.solvency.fund import FundModel, GuaranteeModel, SickPayModel
from mutualist.governance.models import Proposal
from mutualist.mutual.accounts import balance_minor
from mutualist.mutual.models import Claim, Fund, FundRules, Participation
from mutualist.mutual.rules import GuaranteeRules, SickPayRules, rules_for
from mutualist.mutual.selectors import fund_accounts
from mutualist.mutual.services.funds import newest_rules, rules_in_force
from mutualist.mutual.services.sick_pay.dates import add_months, month_start
from mutualist.mutual.services.solvency.history import _rate, guarantee_history, sick_pay_history
from mutualist.mutual.services.solvency.report import Assumption, _money

NOT_MODELLED = {
    Fund.Kind.SAVINGS: (
        "Savings are each member's own money: nothing is pooled, so this fund cannot run short."
    ),
    Fund.Kind.INCOME_GAP: (
        "The income-gap fund is not simulated yet: its top-ups depend on each member's "
        "monthly income, which the simulator does not model."
    ),
}
NOBODY_YET = (
    "Nobody takes part yet: the simulation needs the members and their tiers, so it runs "
    "once members have joined."
)
NO_RULES = (
    "The fund has no rules yet, in force or under vote: the simulation needs them "
    "(the tiers, the waiting period, the levy's cover)."
)


# --- Small helpers --------------------------------------------------------------------------


def _percent(share: float, places: int = 1) -> str:
    return f"{share * 100:.{places}f} %"


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _source(estimate: Estimate, unit: str, seen: str | None = None) -> str:
    """Where a calibrated figure came from, in words (``seen``: what the
    history held, when more than a count of ``unit``)."""
    seen = seen or _plural(estimate.observations, unit)
    if estimate.source == "history":
        return f"your history ({seen})"
    if estimate.source == "prior":
        return "a prior (no history yet)"
    return f"your history ({seen}) and a prior"


def first_month_after(today: dt.date) -> dt.date:
    """The first simulated month: the 1st of the month after ``today``."""
    return add_months(month_start(today), 1)


# --- Money held -----------------------------------------------------------------------------


def _held(fund: Fund, today: dt.date) -> tuple[Money, list[str]]:
    """What the fund holds in its currency: every account of the fund (the
    members' own for sick pay, the pool's for the guarantee), other
    currencies at the rate on record for ``today``; currencies with none
    are left out and named."""
    totals: dict[str, int] = {}
    for account in fund_accounts(fund):
        totals[account.currency] = totals.get(account.currency, 0) + balance_minor(account)
    total = Money.zero(fund.currency)
    missing = []
    for currency in sorted(totals):
        held = Money.from_minor(totals[currency], currency)
        if held.is_zero():
            continue
        rate = _rate(fund, currency, today)
        if rate is None:
            missing.append(currency)
            continue
        total = total + (held if currency == fund.currency else held.convert(rate, fund.currency))
    return total, missing


def _start_rows(start: Money, missing: Sequence[str]) -> list[Assumption]:
    rows = [Assumption("Money in the fund at the start", start.format(), "the ledger")]
    for currency in missing:
        rows.append(
            Assumption(
                f"Money held in {currency}",
                "left out: no exchange rate on record",
                "the ledger",
            )
        )
    return rows


# --- Sick pay -------------------------------------------------------------------------------


def _sick_pay_model(
    fund: Fund, rules: SickPayRules, today: dt.date
) -> tuple[SickPayModel | None, str, list[Assumption], Money]:
    active = list(
        Participation.objects.filter(
            fund=fund, state=Participation.State.ACTIVE, tier__isnull=False
        )
    )
    start, missing = _held(fund, today)
    if not active:
        return None, NOBODY_YET, [], start
    top = len(rules.tiers) - 1
    members = [0] * len(rules.tiers)
    for participation in active:
        # A member above the tiers a rule change kept counts as the highest
        # tier left, as the deposits and gifts do (``sick_pay.dates``).
        members[min(participation.tier or 0, top)] += 1
    history, flows = sick_pay_history(fund=fund, today=today)
    calibration = calibrate_sick_pay(history)
    leave_rate = min(1.0, flows.leaves / history.member_months) if history.member_months else 0.0
    joins = flows.joins / flows.months if flows.months else 0.0
    model = SickPayModel(
        tier_members=tuple(members),
        tier_deposits=tuple(float(tier.deposit) for tier in rules.tiers),
        tier_payouts=tuple(float(tier.payout) for tier in rules.tiers),
        sick_probability=calibration.sick_probability.value,
        durations=calibration.durations,
        waiting_days=rules.waiting_days,
        max_months=rules.max_months,
        half_share=calibration.half_share.value,
        initial_balance=float(start.amount),
        joins_per_month=joins,
        leave_rate=leave_rate,
        max_members=rules.max_members,
        buffer_multiple=rules.buffer_multiple,
        refund_month=rules.refund_month,
        start_month=first_month_after(today).month,
        partial_payouts=True,
    )
    tiers = ", ".join(f"tier {i + 1}: {count}" for i, count in enumerate(members) if count)
    flow_source = (
        f"your history ({_plural(history.member_months, 'member-month')})"
        if history.member_months
        else "no history yet: none assumed"
    )
    ongoing_now = Claim.objects.filter(fund=fund, state=Claim.State.ONGOING).count()
    rows = [
        Assumption("Members taking part", f"{len(active)} ({tiers})", "the fund's members today"),
        Assumption(
            "Chance a member falls sick in a month",
            _percent(calibration.sick_probability.value, 2),
            _source(calibration.sick_probability, "member-month"),
        ),
        Assumption(
            "Average sick period",
            f"{calibration.mean_duration.value:.1f} months",
            _source(calibration.mean_duration, "sick period"),
        ),
        Assumption(
            "Sick reports at 50 %",
            _percent(calibration.half_share.value, 0),
            _source(calibration.half_share, "sick period"),
        ),
        Assumption("Members leaving, a month", _percent(leave_rate, 2), flow_source),
        Assumption(
            "New members, a month",
            f"{joins:.2f} (at most {rules.max_members} members)",
            f"your history ({_plural(flows.months, 'month')} after the founders joined)"
            if flows.months
            else "no history yet: none assumed",
        ),
        Assumption(
            "Tiers (monthly deposit → monthly gift)",
            # The rules' amounts as written (two decimals in any currency).
            "; ".join(f"{tier.deposit:,} → {tier.payout:,}" for tier in rules.tiers)
            + f" {fund.currency}",
            "the rules",
        ),
        Assumption("Waiting period", f"{rules.waiting_days} days", "the rules"),
        Assumption("Longest sick-pay period", f"{rules.max_months} months", "the rules"),
        Assumption(
            "Account cap",
            f"{rules.buffer_multiple} monthly deposits, the excess refunded each "
            f"{dt.date(2000, rules.refund_month, 1):%B}",
            "the rules",
        ),
        *_start_rows(start, missing),
        Assumption(
            "Sick periods going on today",
            f"{ongoing_now}, not carried into the simulation: it starts with everyone well",
            "the claims",
        ),
    ]
    return model, "", rows, start


# --- Payment guarantee ----------------------------------------------------------------------


def _guarantee_model(
    fund: Fund, rules: GuaranteeRules, today: dt.date
) -> tuple[GuaranteeModel, list[Assumption], Money]:
    figures = guarantee_history(fund=fund, rules=rules, today=today)
    history = figures.history
    calibration = calibrate_guarantee(history)
    start, missing = _held(fund, today)
    payout_fraction = float(figures.members_percent / 100 * rules.cap_percent / 100)
    model = GuaranteeModel(
        invoices_per_month=calibration.invoices_per_month.value,
        invoice_amounts=tuple(calibration.invoice_amounts),
        levy_percent=float(figures.levy_percent),
        payout_fraction=payout_fraction,
        late_probability=calibration.late_probability.value,
        overdue_days=rules.overdue_days,
        delays=calibration.delays,
        never_probability=calibration.never_probability.value,
        recovery=1.0,
        initial_balance=float(start.amount),
        partial_payouts=rules.partial_payouts,
    )
    amounts = sorted(calibration.invoice_amounts)
    median = amounts[len(amounts) // 2] if amounts else 0.0
    invoices = len(history.invoice_amounts)
    seen = f"your invoices ({_plural(invoices, 'invoice')})" if invoices else None
    # The months matter as much as the invoices: a young collective's window is short.
    rate_source = _source(
        calibration.invoices_per_month,
        "invoice",
        f"{_plural(invoices, 'invoice')} in {_plural(history.months, 'month')}",
    )
    if figures.signed_clients:
        covered = (
            f"{figures.covered_invoices:,} of {_plural(invoices, 'invoice')}: those of the "
            f"clients with a signed payment agreement ({_plural(figures.signed_clients, 'client')}"
            "); the others count for the levy only"
        )
        late_label = (
            f"Chance an invoice is covered and paid more than "
            f"{_plural(rules.overdue_days, 'day')} late"
        )
    else:
        covered = (
            f"all {_plural(invoices, 'invoice')}: no client has signed the payment agreement "
            "yet, so none would be covered today; the projection assumes every client signs"
            if invoices
            else "no invoices yet, and no client has signed the payment agreement yet: the "
            "projection assumes every client signs"
        )
        late_label = f"Chance a client pays more than {_plural(rules.overdue_days, 'day')} late"
    rows = [
        Assumption(
            "Invoices falling due, a month",
            f"{calibration.invoices_per_month.value:.1f}",
            rate_source,
        ),
        Assumption(
            "A typical invoice (net, the median)",
            _money(median, fund.currency).format(),
            seen or "a prior (no history yet)",
        ),
        Assumption("Invoices the guarantee covers", covered, "the client agreements"),
        Assumption(
            late_label,
            _percent(calibration.late_probability.value),
            _source(calibration.late_probability, "invoice"),
        ),
        Assumption(
            "Of late invoices, never paid",
            _percent(calibration.never_probability.value),
            _source(calibration.never_probability, "late invoice"),
        ),
        Assumption(
            "Average delay of a late payment",
            f"{calibration.mean_delay.value:.1f} months after falling due",
            _source(calibration.mean_delay, "late payment"),
        ),
        Assumption("Levy on paid invoices", f"{figures.levy_percent:.2f} %", "the bylaws"),
        Assumption(
            "Paid to the members on a late invoice",
            f"{_percent(payout_fraction)} of its net amount (their "
            f"{figures.members_percent.normalize():f} % share, covered up to "
            f"{rules.cap_percent.normalize():f} %)",
            "the bylaws and the rules",
        ),
        Assumption(
            "Pays part when the fund is short",
            "yes" if rules.partial_payouts else "no",
            "the rules",
        ),
        Assumption(
            "Advance recovered when the client pays late",
            "100 %",
            "the rules: the fund takes the invoice's place",
        ),
        *_start_rows(start, missing),
    ]
    for currency in figures.left_out:
        rows.append(
            Assumption(
                f"Invoices in {currency}",
                "left out: no exchange rate on record",
                "the ledger",
            )
        )
    return model, rows, start


# --- The model ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SolvencyModel:
    """What a report is computed from: the engine's model (None when the
    fund is not modelled, with ``reason``), the assumptions shown beside
    it, and the money at the start."""

    model: FundModel | None
    reason: str
    assumptions: tuple[Assumption, ...]
    start_balance: Money
    first_month: dt.date


def solvency_model(*, fund: Fund, rules: Mapping[str, Any] | None, today: dt.date) -> SolvencyModel:
    """The engine's model of ``fund`` under ``rules`` (stored, cleaned
    rules; None when the fund has none) on ``today``."""
    first = first_month_after(today)
    if fund.kind in NOT_MODELLED:
        return SolvencyModel(
            None, NOT_MODELLED[Fund.Kind(fund.kind)], (), _held(fund, today)[0], first
        )
    if rules is None:
        return SolvencyModel(None, NO_RULES, (), _held(fund, today)[0], first)
    typed = rules_for(fund.kind, rules)
    if isinstance(typed, SickPayRules):
        model, reason, rows, start = _sick_pay_model(fund, typed, today)
        return SolvencyModel(model, reason, tuple(rows), start, first)
    assert isinstance(typed, GuaranteeRules)  # noqa: S101 -- the modelled kinds
    guarantee, rows, start = _guarantee_model(fund, typed, today)
    return SolvencyModel(guarantee, "", tuple(rows), start, first)


def rules_now(*, fund: Fund, today: dt.date) -> dict[str, Any] | None:
    """The rules a fund's report is about: those in force; else the newest
    voted in (in force from a later day); else, for a fund still setting
    up, its open first-rules proposal's."""
    version: FundRules | None = rules_in_force(fund=fund, on=today) or newest_rules(fund=fund)
    if version is not None:
        return dict(version.rules)
    vote = _open_vote(fund)
    if vote is not None and isinstance(vote.payload.get("rules"), dict):
        return dict(vote.payload["rules"])
    return None


def _open_vote(fund: Fund) -> Proposal | None:
    return (
        Proposal.objects.filter(
            collective_id=fund.collective_id,
            kind=Proposal.Kind.FUND_RULE_CHANGE,
            state=Proposal.State.OPEN,
            payload__fund=fund.kind,
        )
        .order_by("closes_at", "pk")
        .first()
    )
