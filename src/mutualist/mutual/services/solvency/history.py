"""What the fund's rows say: the sick-pay history (months at risk, sick
periods, their lengths, joins and leaves) over the 36 whole months before
today's (``sick_pay_history``), the guarantee's history (the invoices that
fell due in its window, which were late, never paid, still outstanding)
with the bylaws' shares (``guarantee_history``), and the exchange rate on
record for a currency held or invoiced (``_rate``). For ``model``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Max, Min
from django.utils import timezone

from mutualist.billing.models import Invoice, Payment
from mutualist.collectives.selectors import bylaws_in_force
from mutualist.core.errors import ValidationFailed
from mutualist.core.money import Money
from mutualist.engines.solvency.calibrate import GuaranteeHistory, SickPayHistory
from mutualist.ledger.services import exchange_rate_find
from mutualist.mutual.models import Claim, ClientAgreement, Fund, Participation
from mutualist.mutual.rules import GuaranteeRules, SickPayRules, rules_for
from mutualist.mutual.services.guarantee import months_before
from mutualist.mutual.services.sick_pay.dates import add_months, month_start, paid_period

# A month as the engine counts it: durations and delays in days are divided by this.
DAYS_PER_MONTH = 365.25 / 12
SICK_HISTORY_MONTHS = 36
GUARANTEE_HISTORY_MONTHS = 24
# Sick claims that stand for a sick period that happened (refused, expired
# and withdrawn ones do not).
SICK_STATES = (
    Claim.State.APPROVED,
    Claim.State.ONGOING,
    Claim.State.ENDED,
    Claim.State.PAID,
)


def _months_between(first: dt.date, last: dt.date) -> float:
    """Days from ``first`` to ``last`` inclusive, in engine months (4 decimals)."""
    return round(((last - first).days + 1) / DAYS_PER_MONTH, 4)


def _rate(fund: Fund, currency: str, today: dt.date) -> Decimal | None:
    if currency == fund.currency:
        return Decimal(1)
    try:
        return exchange_rate_find(
            base=currency, quote=fund.currency, on=today, collective=fund.collective
        ).rate
    except ValidationFailed:
        return None


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
