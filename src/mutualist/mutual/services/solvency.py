"""Will the fund hold? The solvency simulator (``mutualist.engines.solvency``)
run on a fund's own figures: its rules, who takes part, what it holds, and
its history, with priors while the history is short.

What this module does, in order:

1. **The model** (``solvency_model``): database rows become the engine's
   model, in float major units of the fund's currency.

   - Sick pay: members per tier from the active participations; each tier's
     deposit and gift, the waiting period, the longest period, the account
     cap and the month its excess is refunded, and the most members, from
     the rules; the money at the start is what the members' own accounts
     hold (``fund_accounts``). How often members fall sick, for how long and
     how often at 50 % is calibrated from the fund's sick claims of the last
     36 months (``sick_pay_history``, ``calibrate_sick_pay``); how many join
     and leave a month from the participations of the same window.
   - Payment guarantee: invoices that fell due in the 24 months before
     ``overdue_days`` ago (so each one's lateness is known; no earlier than
     the month the collective's first invoice fell due), their net amounts
     in the fund's currency; of those the guarantee would cover (clients
     with a signed agreement, when any has signed), which were late and how
     late, which were never paid, which are still outstanding
     (``guarantee_history``, ``calibrate_guarantee``); the levy is the
     guarantee's share in the bylaws in force; what the fund pays on a late
     invoice is the members' share of it (what the split leaves them) times
     the rules' ``cap_percent``.
   - Income gap and savings are not modelled (``reason`` says why), nor a
     sick-pay fund nobody takes part in yet.

2. **The run**: ``simulate_fund`` for 60 months from the 1st of next month,
   ``MUTUAL_SOLVENCY_PATHS`` paths, and ``recommend_contribution`` for the
   deposit (as a share of the gift) or levy that keeps the five-year risk
   under ``TARGET``. The seed is derived from the fund and the day
   (``seed_of``): the same inputs give the same figures, and every report
   of the fund that day meets the same simulated futures, so a comparison
   of two sets of rules is not blurred by sampling noise.

3. **The cache**: each run is stored as a ``SolvencyRun`` (fund, digest of
   the inputs, day); a page that asks again the same day with the same
   inputs reads the stored figures. A draft (rules no proposal carries, and
   not those in force) is never stored; its figures are kept in the
   process for the day (at most ``DRAFT_CACHE_SIZE`` drafts), so previewing
   the same rules again does not simulate them again.

4. **Refusals**: should the engine refuse what the rows made of it (a
   ``ValueError``), the report is not modelled and its ``reason`` says, in
   one line, that it could not be worked out and why: never an error page.

Money goes in as floats (``float(Decimal)``) and comes out rounded to the
currency's minor unit as ``Decimal``/``Money``, stored as decimal strings:
the simulator estimates probabilities, it moves no money.

Callers have fetched the fund (or the proposal) through a
permission-scoped selector (``fund_get_for_user``, governance's
``proposal_get_for_user``); nothing here checks who is asking.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Min
from django.utils import timezone

from mutualist.billing.models import Invoice, Payment
from mutualist.collectives.selectors import bylaws_in_force
from mutualist.core.errors import ValidationFailed
from mutualist.core.money import Money
from mutualist.core.reference import currency_exponent
from mutualist.engines.solvency.calibrate import (
    Estimate,
    GuaranteeHistory,
    SickPayHistory,
    calibrate_guarantee,
    calibrate_sick_pay,
)
from mutualist.engines.solvency.fund import (
    FundModel,
    FundResult,
    GuaranteeModel,
    SickPayModel,
    simulate_fund,
)
from mutualist.engines.solvency.recommend import Recommendation, recommend_contribution
from mutualist.governance.models import Proposal
from mutualist.ledger.services import exchange_rate_find
from mutualist.mutual.accounts import balance_minor
from mutualist.mutual.models import (
    Claim,
    ClientAgreement,
    Fund,
    FundRules,
    Participation,
    SolvencyRun,
)
from mutualist.mutual.rules import GuaranteeRules, SickPayRules, rules_for
from mutualist.mutual.selectors import fund_accounts
from mutualist.mutual.services.funds import newest_rules, rules_in_force
from mutualist.mutual.services.guarantee import months_before
from mutualist.mutual.services.sick_pay.dates import add_months, month_start, paid_period

logger = logging.getLogger(__name__)

HORIZONS = (12, 36, 60)  # months: one, three and five years
TARGET = Decimal("0.01")  # the risk the recommendation keeps under
MONTHS = 60
# A month as the engine counts it: durations and delays in days are divided by this.
DAYS_PER_MONTH = 365.25 / 12
SICK_HISTORY_MONTHS = 36
GUARANTEE_HISTORY_MONTHS = 24
# Part of every digest: bump it when the adapter changes what the same rows
# mean to the engine, so no stored run of the old meaning is reused.
# 2: the seed is the fund's and the day's (``seed_of``), member-months are
# months at risk, the guarantee's window starts with the first invoice and
# counts as claims only invoices the agreements cover.
ADAPTER_VERSION = 2
# Sick claims that stand for a sick period that happened (refused, expired
# and withdrawn ones do not).
SICK_STATES = (
    Claim.State.APPROVED,
    Claim.State.ONGOING,
    Claim.State.ENDED,
    Claim.State.PAID,
)
LEVERS = {
    "deposit_rate": "Deposit, as a share of the gift",
    "levy_percent": "Levy on paid invoices",
}
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
UNWORKABLE = "The projection could not be worked out from the fund's figures: {message}."
NO_RULES = (
    "The fund has no rules yet, in force or under vote: the simulation needs them "
    "(the tiers, the waiting period, the levy's cover)."
)


# --- The report -----------------------------------------------------------------------------


@dataclass(frozen=True)
class HorizonRisk:
    months: int  # 12, 36 or 60
    probability: float  # chance of at least one month not paid in full by then
    standard_error: float
    # When no simulated future ran short (probability 0): the chance is only
    # known to be under this (3 / paths, the rule of three); None otherwise.
    upper_bound: float | None = None


@dataclass(frozen=True)
class Assumption:
    label: str  # "Chance a member falls sick in a month"
    value: str  # "1.2 %"
    source: str  # "your history (412 member-months)", "a prior (no history yet)", "the rules"...


@dataclass(frozen=True)
class RecommendationView:
    lever: str  # "deposit_rate" | "levy_percent"
    label: str  # "Deposit, as a share of the gift" | "Levy on paid invoices"
    current: Decimal  # percent, e.g. Decimal("4.50")
    needed: Decimal | None  # percent keeping the 5-year risk under TARGET; None if unreachable
    achievable: bool
    probability: float  # 5-year risk at `needed` (at the upper bound when not achievable)
    standard_error: float
    # Sick pay: (deposit at `needed`, gift) per tier; () otherwise.
    tiers: tuple[tuple[Money, Money], ...]


@dataclass(frozen=True)
class SolvencyReport:
    fund: Fund
    modelled: bool  # False: savings, income gap, or nothing to simulate yet
    reason: str  # why not modelled ("" when modelled)
    currency: str
    first_month: dt.date  # the first simulated month (1st of next month)
    months: int
    paths: int
    computed_at: dt.datetime
    start_balance: Money
    risks: tuple[HorizonRisk, ...]  # one per HORIZONS
    percentiles: tuple[int, ...]  # (5, 25, 50, 75, 95)
    balance_bands: tuple[tuple[Decimal, ...], ...]  # a row per percentile, a value per month
    expected_shortfall: Money  # mean total promised but not paid over the months
    paid_share: float  # share of promised payouts paid
    recommendation: RecommendationView | None
    assumptions: tuple[Assumption, ...]
    run_id: int | None  # the stored SolvencyRun; None when not stored
    # What the simulated futures were drawn from (the seed, the paths, and
    # the model's fields that shape the draws, not those applied to them):
    # two reports with the same ``futures`` met the very same futures, so
    # any difference between them is their rules' doing. "" when not modelled.
    futures: str = ""


# --- Small helpers --------------------------------------------------------------------------


def _step(currency: str) -> Decimal:
    return Decimal(1).scaleb(-currency_exponent(currency))


def _decimal(value: float, currency: str) -> Decimal:
    """A float amount from the engine, rounded once to the currency's minor unit."""
    return Decimal(repr(float(value))).quantize(_step(currency), rounding=ROUND_HALF_EVEN)


def _money(value: float, currency: str) -> Money:
    return Money(_decimal(value, currency), currency)


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


def _months_between(first: dt.date, last: dt.date) -> float:
    """Days from ``first`` to ``last`` inclusive, in engine months (4 decimals)."""
    return round(((last - first).days + 1) / DAYS_PER_MONTH, 4)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _model_dict(model: FundModel) -> dict[str, Any]:
    """The model's parameters, JSON-ready (tuples as lists)."""
    return json.loads(_canonical(dataclasses.asdict(model)))  # type: ignore[no-any-return]


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


def _rate(fund: Fund, currency: str, today: dt.date) -> Decimal | None:
    if currency == fund.currency:
        return Decimal(1)
    try:
        return exchange_rate_find(
            base=currency, quote=fund.currency, on=today, collective=fund.collective
        ).rate
    except ValidationFailed:
        return None


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


@dataclass(frozen=True)
class MembershipFlows:
    """Joins and leaves in the sick-pay history window."""

    joins: int  # participations that joined after the fund's founding month
    leaves: int  # participations that left
    months: int  # months of the window after the founding month (joins per month = joins / months)


def _sick_window(today: dt.date) -> tuple[dt.date, dt.date]:
    """The 36 whole calendar months before ``today``'s: [first day, end)."""
    end = month_start(today)
    return add_months(end, -SICK_HISTORY_MONTHS), end


def _sick_span(claim: Claim, today: dt.date) -> dt.date | None:
    """The last sick day of a claim's period: its end when told; an ended
    claim's last paid day (it reached its longest duration); None when it
    is still going on."""
    if claim.ends_on is not None:
        return claim.ends_on
    if claim.state == Claim.State.ENDED and claim.starts_on is not None:
        rules = rules_for(Fund.Kind.SICK_PAY, claim.rules.rules)
        assert isinstance(rules, SickPayRules)  # noqa: S101 -- a sick claim's rules
        period = paid_period(
            starts_on=claim.starts_on,
            ends_on=None,
            waiting_days=rules.waiting_days,
            max_months=rules.max_months,
        )
        return max(claim.starts_on, period.last)
    return None


def _well_some_day(
    spans: Sequence[tuple[dt.date, dt.date | None]], first_day: dt.date, last_day: dt.date
) -> bool:
    """Whether a member was well on at least one day from ``first_day`` to
    ``last_day``. A sick period's days after its first, up to its last, are
    sick; its first day is not: that is the day the member fell sick, so a
    member falling sick that month was at risk of it."""
    day = first_day
    while day <= last_day:
        covering = [last for first, last in spans if first < day and (last is None or day <= last)]
        if not covering:
            return True
        if None in covering:
            return False
        day = max(last for last in covering if last is not None) + dt.timedelta(days=1)
    return False


def sick_pay_history(*, fund: Fund, today: dt.date) -> tuple[SickPayHistory, MembershipFlows]:
    """The sick-pay fund's history over the 36 whole calendar months before
    ``today``'s month, for ``calibrate_sick_pay``.

    The engine's model is a monthly chance that a member who is not sick
    falls sick, so the history is counted the same way:

    - a **member-month** (at risk) is a calendar month of the window in
      which the member took part (from the day they joined; a member who
      left on the 1st of a month, as exits take effect, is not in that
      month) and was well on at least one of those days. The days of a sick
      period after its first, up to its last, are sick days; its first day
      is not (the member fell sick that day, so was at risk of it). A month
      spent sick from its first day to its last is not at risk; a month that
      began sick and in which the member got well is.
    - ``sick_periods`` counts the member-months in which at least one sick
      period began (a sick claim approved, ongoing, ended or paid): at most
      one per member-month. Two periods begun in one month (a relapse days
      after getting well) are one onset for the rate, as the engine draws at
      most one a month; so ``sick_periods`` never exceeds ``member_months``.
      ``half_periods`` counts those member-months whose first period begun
      was at 50 %.
    - ``durations`` are the lengths (first to last day, in months of
      365.25/12 days) of every period begun in the window with a known end,
      merged ones included (each is an observation of how long a period
      lasts); ``ongoing`` how long those still going on have lasted by
      ``today`` (censored).

    Joins and leaves (``MembershipFlows``): the members who joined in the
    window after the month the fund's first member joined (the founders
    joining at once are not a monthly flow), and those who left in it."""
    start, end = _sick_window(today)
    participations = list(Participation.objects.filter(fund=fund, tier__isnull=False))
    claims = list(
        Claim.objects.filter(fund=fund, state__in=SICK_STATES, starts_on__isnull=False)
        .select_related("rules")
        .order_by("starts_on", "pk")
    )
    sick_spans: dict[int, list[tuple[dt.date, dt.date | None]]] = {}
    for claim in claims:
        assert claim.starts_on is not None  # noqa: S101 -- filtered above
        sick_spans.setdefault(claim.claimant_id, []).append(
            (claim.starts_on, _sick_span(claim, today))
        )

    # (member, 1st of the month): a member with two participations in one
    # month is still one member-month.
    at_risk: set[tuple[int, dt.date]] = set()
    for participation in participations:
        month = max(month_start(participation.joined_on), start)
        while month < end:
            left_on = participation.left_on
            if left_on is not None and month >= left_on:
                break
            following = add_months(month, 1)
            first_day = max(month, participation.joined_on)
            last_day = min(following, left_on or following) - dt.timedelta(days=1)
            spans = sick_spans.get(participation.member_id, [])
            if _well_some_day(spans, first_day, last_day):
                at_risk.add((participation.member_id, month))
            month = following

    durations: list[float] = []
    ongoing: list[float] = []
    onsets: dict[tuple[int, dt.date], Claim] = {}  # the first period begun in a member-month
    for claim in claims:
        assert claim.starts_on is not None  # noqa: S101 -- filtered above
        if not start <= claim.starts_on < end:
            continue
        key = (claim.claimant_id, month_start(claim.starts_on))
        if key in at_risk and key not in onsets:
            onsets[key] = claim
        last = _sick_span(claim, today)
        if last is None or last >= today:
            ongoing.append(_months_between(claim.starts_on, today))
        else:
            durations.append(_months_between(claim.starts_on, last))
    member_months = len(at_risk)
    periods = len(onsets)
    half = sum(1 for claim in onsets.values() if claim.percent == 50)

    founded = min((month_start(p.joined_on) for p in participations), default=None)
    joins = leaves = observed = 0
    if founded is not None:
        joins = sum(
            1
            for p in participations
            if start <= p.joined_on < end and month_start(p.joined_on) > founded
        )
        leaves = sum(
            1 for p in participations if p.left_on is not None and start <= p.left_on < end
        )
        month = max(add_months(founded, 1), start)
        while month < end:
            observed += 1
            month = add_months(month, 1)
    history = SickPayHistory(
        member_months=member_months,
        sick_periods=periods,
        durations=tuple(durations),
        ongoing=tuple(ongoing),
        half_periods=half,
    )
    return history, MembershipFlows(joins=joins, leaves=leaves, months=observed)


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


@dataclass(frozen=True)
class GuaranteeFigures:
    """The guarantee's history and what the bylaws and rules make of an invoice."""

    history: GuaranteeHistory
    levy_percent: Decimal  # the guarantee's share of each payment, in the bylaws in force
    members_percent: Decimal  # what the split leaves the members, percent of the net
    left_out: tuple[str, ...]  # invoice currencies with no rate on record
    # Clients with a signed payment agreement today; 0: none has signed, so
    # every client's invoices were counted as the guarantee would cover them.
    signed_clients: int = 0
    covered_invoices: int = 0  # of the history's invoices, those counted as covered


def _last_payments(invoice_ids: Iterable[int]) -> dict[int, dt.date]:
    rows = (
        Payment.objects.filter(invoice_id__in=list(invoice_ids))
        .values("invoice_id")
        .annotate(last=Max("received_on"))
        .values_list("invoice_id", "last")
    )
    return {int(invoice_id): last for invoice_id, last in rows}


def _guarantee_window(fund: Fund, end: dt.date) -> tuple[dt.date, int]:
    """The window of due dates ``[start, end)`` and its length in whole
    months: the 24 months before ``end``, but no earlier than the 1st of the
    month in which the collective's first issued invoice fell due (its
    first due date, since the window counts due dates; not the fund's or the
    collective's creation: a collective invoices before it sets up its
    guarantee, and that history is the guarantee's best evidence). Before
    that the collective invoiced nothing through Mutualist: months of no
    invoices would pull the rate of invoices a month down. No invoice ever
    issued: no months (the rate is the prior's)."""
    start = months_before(end, GUARANTEE_HISTORY_MONTHS)
    first = (
        Invoice.objects.filter(
            collective_id=fund.collective_id,
            kind=Invoice.Kind.INVOICE,
            due_date__isnull=False,
        )
        .exclude(status=Invoice.Status.DRAFT)
        .aggregate(first=Min("due_date"))["first"]
    )
    if first is None:
        return end, 0
    began = month_start(first)
    if began <= start:
        return start, GUARANTEE_HISTORY_MONTHS
    days = (end - began).days
    if days <= 0:
        return end, 0
    # Months of 365.25/12 days, rounded, at least one.
    return began, min(GUARANTEE_HISTORY_MONTHS, max(1, round(days / DAYS_PER_MONTH)))


def guarantee_history(*, fund: Fund, rules: GuaranteeRules, today: dt.date) -> GuaranteeFigures:
    """The collective's invoices as the guarantee fund would have met them.

    The window: invoices that fell due in the 24 months before
    ``overdue_days`` ago, so whether each was late is known, but no earlier
    than the month the collective's first issued invoice fell due
    (``_guarantee_window``; ``months`` is the window's real length). Drafts,
    credit notes and invoices credited in full (void, unless a write-off
    vote did it) are left out. Each amount is the invoice's net (the levy
    and the members' shares are parts of the net), in the fund's currency:
    another currency at the rate on record for ``today``, or, with none,
    left out and named (``left_out``); one that comes to nothing once
    converted (a few units of a small currency) is left out.

    Every invoice counts for the rate and the amounts: the levy is a share
    of every payment. As claims (late, delays, never, outstanding) count
    only invoices the guarantee would cover: those of clients with a signed
    payment agreement (``ClientAgreement``), when any client has signed;
    when none has, every client's, as if all signed (the assumptions say
    so). So the engine's chance that an invoice is late is the chance that
    it is late and covered.

    Late: paid (its last payment received) more than ``overdue_days`` after
    falling due, or still unpaid. Delays: for the late ones paid since,
    months from due to paid. Never paid: written off by the members' vote
    (a ``written_off`` guarantee claim), or still unpaid more than
    ``write_off_days`` after falling due. Outstanding: late, still unpaid,
    not yet ``write_off_days`` overdue: how long each has been overdue so
    far (from falling due to ``today``, in months), a delay known only to
    be at least that (censored)."""
    end = today - dt.timedelta(days=rules.overdue_days)
    start, months = _guarantee_window(fund, end)
    written_off = set(
        Claim.objects.filter(
            fund=fund, state=Claim.State.WRITTEN_OFF, invoice__isnull=False
        ).values_list("invoice_id", flat=True)
    )
    signed = set(
        ClientAgreement.objects.filter(
            collective_id=fund.collective_id, signed_on__lte=today
        ).values_list("client_id", flat=True)
    )
    invoices = list(
        Invoice.objects.filter(
            collective_id=fund.collective_id,
            kind=Invoice.Kind.INVOICE,
            due_date__gte=start,
            due_date__lt=end,
        )
        .exclude(status=Invoice.Status.DRAFT)
        .order_by("due_date", "pk")
    )
    invoices = [
        invoice
        for invoice in invoices
        if invoice.status != Invoice.Status.VOID or invoice.pk in written_off
    ]
    paid_on = _last_payments(i.pk for i in invoices if i.status == Invoice.Status.PAID)
    rates: dict[str, Decimal | None] = {}
    amounts: list[float] = []
    delays: list[float] = []
    outstanding: list[float] = []
    late = never = covered = 0
    for invoice in invoices:
        assert invoice.due_date is not None  # noqa: S101 -- issued invoices have one
        if invoice.currency not in rates:
            rates[invoice.currency] = _rate(fund, invoice.currency, today)
        rate = rates[invoice.currency]
        if rate is None or invoice.subtotal_minor <= 0:
            continue
        net = Money.from_minor(invoice.subtotal_minor, invoice.currency)
        if invoice.currency != fund.currency:
            net = net.convert(rate, fund.currency)
            if net.amount <= 0:
                continue  # nothing once converted: no levy, nothing to cover
        amounts.append(float(net.amount))
        if signed and invoice.client_id not in signed:
            continue  # its levy counts; its lateness would be nobody's claim
        covered += 1
        limit = invoice.due_date + dt.timedelta(days=rules.overdue_days)
        if invoice.pk in written_off:
            late += 1
            never += 1
        elif invoice.status == Invoice.Status.PAID:
            paid = paid_on.get(invoice.pk) or (
                timezone.localdate(invoice.paid_at) if invoice.paid_at else limit
            )
            if paid > limit:
                late += 1
                delays.append(round((paid - invoice.due_date).days / DAYS_PER_MONTH, 4))
        else:
            late += 1  # still unpaid, and past ``overdue_days`` by the window's choice
            if today > invoice.due_date + dt.timedelta(days=rules.write_off_days):
                never += 1
            else:
                outstanding.append(round((today - invoice.due_date).days / DAYS_PER_MONTH, 4))
    bylaws = bylaws_in_force(collective=fund.collective, on=today)
    shares = {share.recipient: share.percent for share in bylaws.split_shares.all()}
    levy = shares.get(fund.code, Decimal(0))
    members = max(Decimal(0), Decimal(100) - sum(shares.values(), Decimal(0)))
    return GuaranteeFigures(
        history=GuaranteeHistory(
            months=months,
            invoice_amounts=tuple(amounts),
            late=late,
            delays=tuple(delays),
            never=never,
            outstanding=tuple(outstanding),
        ),
        levy_percent=levy,
        members_percent=members,
        left_out=tuple(sorted(c for c, rate in rates.items() if rate is None)),
        signed_clients=len(signed),
        covered_invoices=covered,
    )


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


# --- Running and storing --------------------------------------------------------------------


def _digest(fund: Fund, model: FundModel, first_month: dt.date, paths: int) -> str:
    """SHA-256 of everything that determines the figures."""
    return hashlib.sha256(
        _canonical(
            {
                "adapter": ADAPTER_VERSION,
                "kind": fund.kind,
                "currency": fund.currency,
                "model": _model_dict(model),
                "months": MONTHS,
                "paths": paths,
                "first_month": first_month.isoformat(),
                "target": str(TARGET),
                "horizons": list(HORIZONS),
            }
        ).encode()
    ).hexdigest()


def seed_of(*, fund_id: int, day: dt.date) -> int:
    """The seed of every report of a fund on ``day``: the rules in force, a
    proposal's and a draft's alike. They all meet the same simulated futures
    (common random numbers), so "now" beside "as proposed" shows what the
    rules change, not sampling noise (with different seeds, the needed
    deposit moved by several points between two drafts that changed only
    the deposits, which the lever overrides). The same inputs on the same
    day give the same figures."""
    text = f"mutualist-solvency:{fund_id}:{day.isoformat()}"
    return int(hashlib.sha256(text.encode()).hexdigest()[:15], 16)


# The model's fields the engine applies to the futures it has drawn, not
# used to draw them (``engines.solvency.fund``: a chunk's events are drawn
# apart from the deposits, gifts, levy and cap). Two models that differ only
# in these, with the same seed and paths, meet the very same futures.
APPLIED_FIELDS: dict[type, frozenset[str]] = {
    SickPayModel: frozenset(
        {
            "tier_deposits",
            "tier_payouts",
            "waiting_days",
            "max_months",
            "buffer_multiple",
            "refund_month",
            "partial_payouts",
            "initial_balance",
        }
    ),
    GuaranteeModel: frozenset(
        {
            "levy_percent",
            "payout_fraction",
            "overdue_days",
            "recovery",
            "initial_balance",
            "partial_payouts",
        }
    ),
}


def _futures(model: FundModel, *, seed: int, paths: int) -> str:
    """What a run's simulated futures were drawn from: the seed, the paths,
    the months, and the model's fields that shape the draws (members per
    tier, rates, durations, invoices...). Equal for two reports whose rules
    change only what is applied to the same futures (deposits, gifts, the
    waiting period, the levy...): their difference is then exact for those
    futures, not sampling noise."""
    applied = APPLIED_FIELDS[type(model)]
    drawn = {name: value for name, value in _model_dict(model).items() if name not in applied}
    text = _canonical(
        {
            "model": type(model).__name__,
            "seed": seed,
            "paths": paths,
            "months": MONTHS,
            "drawn": drawn,
        }
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _lever_percent(value: float) -> Decimal:
    return Decimal(repr(float(value)))


def _recommendation_results(
    model: FundModel, recommendation: Recommendation, currency: str
) -> dict[str, Any]:
    """The recommendation, JSON-ready: percents as decimal strings, the
    needed one rounded up to 0.01 (a level at or above the engine's)."""
    scale = Decimal(100) if recommendation.lever == "deposit_rate" else Decimal(1)
    current = (_lever_percent(recommendation.current) * scale).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_EVEN
    )
    needed = (
        (_lever_percent(recommendation.value) * scale).quantize(
            Decimal("0.01"), rounding=ROUND_CEILING
        )
        if recommendation.value is not None and recommendation.achievable
        else None
    )
    tiers: list[list[str]] = []
    if isinstance(model, SickPayModel) and needed is not None:
        step = _step(currency)
        for payout in model.tier_payouts:
            gift = _decimal(payout, currency)
            deposit = (gift * needed / 100).quantize(step, rounding=ROUND_CEILING)
            tiers.append([str(deposit), str(gift)])
    return {
        "lever": recommendation.lever,
        "current": str(current),
        "needed": None if needed is None else str(needed),
        "achievable": bool(recommendation.achievable and needed is not None),
        "probability": float(recommendation.shortfall_probability),
        "standard_error": float(recommendation.standard_error),
        "tiers": tiers,
    }


def _results(
    model: FundModel,
    result: FundResult,
    recommendation: Recommendation,
    currency: str,
    start: Money,
) -> dict[str, Any]:
    risks = []
    for months in HORIZONS:
        probability, error = result.probability_within(months)
        risks.append(
            {"months": months, "probability": float(probability), "standard_error": float(error)}
        )
    return {
        "start_balance": str(start.amount),
        "risks": risks,
        "percentiles": [int(p) for p in result.percentiles],
        "balance_bands": [
            [str(_decimal(value, currency)) for value in row]
            for row in result.balance_percentiles.tolist()
        ],
        "expected_shortfall": str(_decimal(result.expected_shortfall, currency)),
        "paid_share": float(result.paid_share),
        "recommendation": _recommendation_results(model, recommendation, currency),
    }


def _compute(
    model: FundModel, *, paths: int, seed: int, currency: str, start: Money
) -> tuple[dict[str, Any], int]:
    began = time.perf_counter()
    result = simulate_fund(model, months=MONTHS, paths=paths, rng=seed)
    recommendation = recommend_contribution(
        model, target=float(TARGET), months=MONTHS, paths=paths, rng=seed
    )
    milliseconds = int((time.perf_counter() - began) * 1000)
    return _results(model, result, recommendation, currency, start), milliseconds


def _assumption_rows(assumptions: Iterable[Assumption]) -> list[list[str]]:
    return [[row.label, row.value, row.source] for row in assumptions]


def _upper_bound(probability: float, paths: int) -> float | None:
    """The rule of three: when none of ``paths`` simulated futures ran
    short, the chance is still only known to be under about ``3 / paths``
    (a 95 % upper bound); None when some did."""
    return 3 / paths if probability <= 0 and paths > 0 else None


def _report_from(
    fund: Fund,
    *,
    first_month: dt.date,
    paths: int,
    computed_at: dt.datetime,
    results: Mapping[str, Any],
    assumptions: Sequence[Sequence[str]],
    run_id: int | None,
    futures: str,
) -> SolvencyReport:
    currency = fund.currency
    advice = results["recommendation"]
    recommendation = None
    if advice is not None:
        recommendation = RecommendationView(
            lever=advice["lever"],
            label=LEVERS[advice["lever"]],
            current=Decimal(advice["current"]),
            needed=None if advice["needed"] is None else Decimal(advice["needed"]),
            achievable=bool(advice["achievable"]),
            probability=float(advice["probability"]),
            standard_error=float(advice["standard_error"]),
            tiers=tuple(
                (Money(deposit, currency), Money(gift, currency))
                for deposit, gift in advice["tiers"]
            ),
        )
    return SolvencyReport(
        fund=fund,
        modelled=True,
        reason="",
        currency=currency,
        first_month=first_month,
        months=MONTHS,
        paths=paths,
        computed_at=computed_at,
        start_balance=Money(results["start_balance"], currency),
        risks=tuple(
            HorizonRisk(
                months=int(risk["months"]),
                probability=float(risk["probability"]),
                standard_error=float(risk["standard_error"]),
                upper_bound=_upper_bound(float(risk["probability"]), paths),
            )
            for risk in results["risks"]
        ),
        percentiles=tuple(int(p) for p in results["percentiles"]),
        balance_bands=tuple(
            tuple(Decimal(value) for value in row) for row in results["balance_bands"]
        ),
        expected_shortfall=Money(results["expected_shortfall"], currency),
        paid_share=float(results["paid_share"]),
        recommendation=recommendation,
        assumptions=tuple(Assumption(*row) for row in assumptions),
        run_id=run_id,
        futures=futures,
    )


def _unmodelled(
    fund: Fund,
    *,
    reason: str,
    first_month: dt.date,
    start_balance: Money,
    assumptions: tuple[Assumption, ...] = (),
) -> SolvencyReport:
    return SolvencyReport(
        fund=fund,
        modelled=False,
        reason=reason,
        currency=fund.currency,
        first_month=first_month,
        months=MONTHS,
        paths=0,
        computed_at=timezone.now(),
        start_balance=start_balance,
        risks=(),
        percentiles=(),
        balance_bands=(),
        expected_shortfall=Money.zero(fund.currency),
        paid_share=0.0,
        recommendation=None,
        assumptions=assumptions,
        run_id=None,
    )


def _refused(fund: Fund, today: dt.date, error: ValueError) -> SolvencyReport:
    """The report when the engine refused what the fund's rows made of it
    (a ``ValueError``: a history or a model it cannot simulate). Never an
    error page: the report says, in one line, that it could not be worked
    out and why; the operator's log has the details."""
    message = " ".join(str(error).split()) or type(error).__name__
    logger.warning(
        "solvency: the %s of collective %s could not be simulated: %s",
        fund.kind,
        fund.collective_id,
        message,
        exc_info=True,
    )
    return _unmodelled(
        fund,
        reason=UNWORKABLE.format(message=message.rstrip(".")),
        first_month=first_month_after(today),
        start_balance=_held(fund, today)[0],
    )


# Drafts' reports, computed and never stored, kept in this process for the
# day so that clicking "Preview the effect" again on the same rules does not
# run the simulation again: (fund id, digest, day) -> (results, computed at).
# The seed is the fund's and the day's (``seed_of``), so the key determines
# the figures. Bounded: the least recently used goes first.
DRAFT_CACHE_SIZE = 64
_drafts: OrderedDict[tuple[int, str, dt.date], tuple[dict[str, Any], dt.datetime]] = OrderedDict()
_drafts_lock = threading.Lock()


def _draft_get(key: tuple[int, str, dt.date]) -> tuple[dict[str, Any], dt.datetime] | None:
    with _drafts_lock:
        found = _drafts.get(key)
        if found is not None:
            _drafts.move_to_end(key)
        return found


def _draft_put(key: tuple[int, str, dt.date], value: tuple[dict[str, Any], dt.datetime]) -> None:
    with _drafts_lock:
        _drafts[key] = value
        _drafts.move_to_end(key)
        while len(_drafts) > DRAFT_CACHE_SIZE:
            _drafts.popitem(last=False)


def solvency_drafts_forget() -> None:
    """Empty this process's cache of drafts' reports (tests)."""
    with _drafts_lock:
        _drafts.clear()


def _report(
    *,
    fund: Fund,
    rules: Mapping[str, Any] | None,
    today: dt.date,
    proposal: Proposal | None,
    store: bool,
    paths: int | None = None,
    seed: int | None = None,
) -> SolvencyReport:
    try:
        built = solvency_model(fund=fund, rules=rules, today=today)
    except ValueError as error:
        return _refused(fund, today, error)
    if built.model is None:
        return _unmodelled(
            fund,
            reason=built.reason,
            first_month=built.first_month,
            start_balance=built.start_balance,
            assumptions=built.assumptions,
        )
    model = built.model
    paths = paths or int(settings.MUTUAL_SOLVENCY_PATHS)
    digest = _digest(fund, model, built.first_month, paths)
    # A seed given from outside (the operator's command) gives figures the
    # fund and the day do not determine: they are shown, never stored.
    store = store and seed is None
    run_seed = seed_of(fund_id=fund.pk, day=today) if seed is None else seed
    assumptions = _assumption_rows(built.assumptions)

    def report(
        results: Mapping[str, Any],
        *,
        paths: int,
        run_seed: int,
        computed_at: dt.datetime,
        run_id: int | None,
    ) -> SolvencyReport:
        return _report_from(
            fund,
            first_month=built.first_month,
            paths=paths,
            computed_at=computed_at,
            results=results,
            # Read fresh, not from the run: a row that does not change the
            # figures (a sick period begun this month) still shows today's.
            assumptions=assumptions,
            run_id=run_id,
            futures=_futures(model, seed=run_seed, paths=paths),
        )

    def shown(run: SolvencyRun) -> SolvencyReport:
        return report(
            run.results,
            paths=run.paths,
            run_seed=run.seed,
            computed_at=run.computed_at,
            run_id=run.pk,
        )

    if store:
        stored = SolvencyRun.objects.filter(fund=fund, digest=digest, computed_on=today).first()
        if stored is not None:
            return shown(stored)
    draft_key = (fund.pk, digest, today)
    if not store and seed is None:
        cached = _draft_get(draft_key)
        if cached is not None:
            results, computed_at = cached
            return report(
                results, paths=paths, run_seed=run_seed, computed_at=computed_at, run_id=None
            )
    try:
        results, milliseconds = _compute(
            model, paths=paths, seed=run_seed, currency=fund.currency, start=built.start_balance
        )
    except ValueError as error:
        return _refused(fund, today, error)
    if not store:
        computed_at = timezone.now()
        if seed is None:
            _draft_put(draft_key, (results, computed_at))
        return report(results, paths=paths, run_seed=run_seed, computed_at=computed_at, run_id=None)
    inputs = {
        "adapter": ADAPTER_VERSION,
        "kind": fund.kind,
        "currency": fund.currency,
        "first_month": built.first_month.isoformat(),
        "model": _model_dict(model),
        "assumptions": assumptions,
    }
    try:
        with transaction.atomic():
            run = SolvencyRun.objects.create(
                fund=fund,
                proposal=proposal,
                digest=digest,
                computed_on=today,
                inputs=inputs,
                results=results,
                paths=paths,
                months=MONTHS,
                seed=run_seed,
                milliseconds=milliseconds,
            )
    except IntegrityError:
        # Another viewer computed the same inputs a moment ago: theirs is
        # the day's figures (the same, from the same seed).
        run = SolvencyRun.objects.get(fund=fund, digest=digest, computed_on=today)
    return shown(run)


# --- The interface --------------------------------------------------------------------------


def solvency_for_fund(
    *,
    fund: Fund,
    today: dt.date | None = None,
    paths: int | None = None,
    seed: int | None = None,
) -> SolvencyReport:
    """The fund's report under the rules it runs by (``rules_now``: in force,
    or for a fund still setting up its first rules under vote), what it
    holds, and its history. Stored and reused: a run with the same inputs
    computed today is read back, so the figures do not jump between page
    loads. ``paths`` (default ``MUTUAL_SOLVENCY_PATHS``) and ``seed``
    (default: the fund's and the day's, ``seed_of``; a report with a seed
    given is never stored) are the operator's command's."""
    today = today or timezone.localdate()
    return _report(
        fund=fund,
        rules=rules_now(fund=fund, today=today),
        today=today,
        proposal=None,
        store=True,
        paths=paths,
        seed=seed,
    )


def solvency_for_rules(
    *,
    fund: Fund,
    rules: Mapping[str, Any],
    today: dt.date | None = None,
    proposal: Proposal | None = None,
) -> SolvencyReport:
    """The same fund under other ``rules`` (whole and cleaned by
    ``mutual.rules.rules_clean``): a proposal's, or a draft's. Stored like
    ``solvency_for_fund`` when ``proposal`` is given or the rules are those
    the fund runs by; a draft's report is computed and never stored."""
    today = today or timezone.localdate()
    store = proposal is not None or dict(rules) == rules_now(fund=fund, today=today)
    return _report(fund=fund, rules=rules, today=today, proposal=proposal, store=store)


def _proposal_fund(proposal: Proposal) -> Fund | None:
    kind = proposal.payload.get("fund") if isinstance(proposal.payload, dict) else None
    if not isinstance(kind, str):
        return None
    return (
        Fund.objects.filter(collective_id=proposal.collective_id, kind=kind)
        .select_related("collective")
        .first()
    )


def solvency_compared(
    *, proposal: Proposal, today: dt.date | None = None
) -> tuple[SolvencyReport, SolvencyReport] | None:
    """(as the fund runs now, as proposed) for a ``fund_rule_change``
    proposal, open or not, whatever the kind of fund (an unmodelled one's
    reports say why); None when the proposal is of another kind or its fund
    is gone."""
    if proposal.kind != Proposal.Kind.FUND_RULE_CHANGE:
        return None
    fund = _proposal_fund(proposal)
    rules = proposal.payload.get("rules")
    if fund is None or not isinstance(rules, dict):
        return None
    today = today or timezone.localdate()
    now = solvency_for_fund(fund=fund, today=today)
    proposed = solvency_for_rules(fund=fund, rules=rules, today=today, proposal=proposal)
    return now, proposed


def solvency_for_proposal(
    *, proposal: Proposal, today: dt.date | None = None
) -> tuple[SolvencyReport, SolvencyReport] | None:
    """(in force now, as proposed) for an OPEN ``fund_rule_change`` proposal
    whose fund is modelled; None otherwise."""
    if proposal.state != Proposal.State.OPEN:
        return None
    compared = solvency_compared(proposal=proposal, today=today)
    if compared is None or not compared[1].modelled:
        return None
    return compared


# --- As JSON --------------------------------------------------------------------------------


# How long a stored run is kept: a cache of estimates, read back the day it
# was computed (a page asks again and gets that day's figures).
KEEP_DAYS = 35


def solvency_runs_prune(*, today: dt.date | None = None) -> int:
    """Delete stored runs computed more than ``KEEP_DAYS`` days before
    ``today`` (``mutualist tick``); the number of rows deleted. Without it
    a fund whose page is read every day would keep a row a day for ever.
    Nothing reads an old run: every report is worked out again on its day.
    Idempotent and safe with several schedulers (a plain filtered delete)."""
    today = today or timezone.localdate()
    deleted, _ = SolvencyRun.objects.filter(
        computed_on__lt=today - dt.timedelta(days=KEEP_DAYS)
    ).delete()
    return deleted


def _money_json(money: Money) -> dict[str, str]:
    return {"amount": str(money.amount), "currency": money.currency}


def solvency_report_json(report: SolvencyReport) -> dict[str, Any]:
    """The report as JSON: money as ``{"amount": "12.34", "currency": ...}``,
    percents and balances as decimal strings, probabilities as floats; the
    figures null when the fund is not modelled (the API's and the
    ``mutualist simulate --fund --json`` shape)."""
    advice = report.recommendation
    return {
        "kind": report.fund.kind,
        "collective": report.fund.collective.slug,
        "modelled": report.modelled,
        "reason": report.reason,
        "currency": report.currency,
        "first_month": report.first_month.isoformat(),
        "months": report.months,
        "paths": report.paths,
        "computed_at": report.computed_at.isoformat(),
        "start_balance": _money_json(report.start_balance),
        "risks": [dataclasses.asdict(risk) for risk in report.risks],
        "percentiles": list(report.percentiles),
        "balance_bands": [
            {"percentile": percentile, "balances": [str(value) for value in row]}
            for percentile, row in zip(report.percentiles, report.balance_bands, strict=True)
        ],
        "expected_shortfall": (_money_json(report.expected_shortfall) if report.modelled else None),
        "paid_share": report.paid_share if report.modelled else None,
        "recommendation": (
            None
            if advice is None
            else {
                "lever": advice.lever,
                "label": advice.label,
                "current": str(advice.current),
                "needed": None if advice.needed is None else str(advice.needed),
                "achievable": advice.achievable,
                "probability": advice.probability,
                "standard_error": advice.standard_error,
                "tiers": [
                    {"deposit": _money_json(deposit), "payout": _money_json(payout)}
                    for deposit, payout in advice.tiers
                ],
            }
        ),
        "assumptions": [dataclasses.asdict(row) for row in report.assumptions],
        "run_id": report.run_id,
    }


__all__ = [
    "KEEP_DAYS",
    "solvency_runs_prune",
    "HORIZONS",
    "TARGET",
    "UNWORKABLE",
    "Assumption",
    "GuaranteeFigures",
    "HorizonRisk",
    "MembershipFlows",
    "RecommendationView",
    "SolvencyModel",
    "SolvencyReport",
    "first_month_after",
    "guarantee_history",
    "rules_now",
    "seed_of",
    "sick_pay_history",
    "solvency_compared",
    "solvency_drafts_forget",
    "solvency_for_fund",
    "solvency_for_proposal",
    "solvency_for_rules",
    "solvency_model",
    "solvency_report_json",
]
