"""The income-gap fund: a member whose income through the platform last
month fell below the floor may claim a top-up, with no paperwork.

Eligibility is read from the ledger alone (``platform_income``): what the
member was credited in that collective during the month for client work
(their shares of client payments) and from the funds that stand in for it
(sick pay, the guarantee's advances). Each currency's total is converted
into the fund's currency at the rate of the month's last day; a currency
with no rate leaves the income unknown, and the claim waits for a
coordinator to record one rather than guessing.

A claim is always for last month (``income_gap_claim_submit``): the member
must have been in the collective ``min_months_member`` months by that
month's first day, may have at most ``max_months_per_year`` top-ups in any
twelve months, and is topped up to the floor, at most ``cap``. Claiming twice
for one month is refused (and the database refuses it too,
``mutual_claim_period_once``). Peers (or a vote) approve it; the fund pays it
from its pool into the member's payable (``claims``, registered by the app).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from mutualist.collectives.models import Collective, Membership
from mutualist.core.errors import Conflict, ValidationFailed
from mutualist.core.money import Money
from mutualist.core.reference import currency_exponent
from mutualist.ledger.models import Account, Posting
from mutualist.ledger.services import account_name_for, exchange_rate_find
from mutualist.members.models import User
from mutualist.mutual.accounts import member_fund_accounts
from mutualist.mutual.models import Claim, Fund, Participation
from mutualist.mutual.rules import IncomeGapRules, rules_for
from mutualist.mutual.services.claims import claim_create
from mutualist.mutual.services.funds import require_member, rules_in_force

# Transaction kinds that bring a member income through the platform.
PAYMENT = "payment"
FUND_PAYOUT = "fund_payout"
# Payouts that are not income: a top-up itself (it would lift the month it
# tops up), and savings taken back (the member's own money, counted when earned).
NOT_INCOME_FUNDS = (Fund.Kind.INCOME_GAP, Fund.Kind.SAVINGS)
# Claims that count against ``max_months_per_year``: any not refused or taken back.
COUNTED_STATES = ("submitted", "approved", "paid")


# --- Months -------------------------------------------------------------------------------


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def months_after(first: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` after (or before, when negative) ``first``'s."""
    years, index = divmod(first.month - 1 + months, 12)
    return dt.date(first.year + years, index + 1, 1)


def month_end(day: dt.date) -> dt.date:
    return months_after(month_start(day), 1) - dt.timedelta(days=1)


# --- Income ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class IncomeFigure:
    """A member's income through the platform in one month.

    ``by_currency``: what came in, per currency it came in (each a ``Money``
    in that currency). ``total``: all of it in ``currency``, each currency
    converted once at the rate of the month's last day (rounded half to
    even to the minor unit), leaving out ``missing_rates``: the currencies
    with no rate recorded, which make ``total`` incomplete (``complete``).
    ``rates``: the rate and its source used for each converted currency."""

    month: dt.date
    currency: str
    total: Money
    by_currency: dict[str, Money]
    missing_rates: list[str]
    rates: dict[str, tuple[Decimal, str]] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return not self.missing_rates


def _payable_accounts(collective: Collective, member: User) -> list[int]:
    """Every currency's payable of ``member`` in ``collective`` (billing's
    ``Liabilities:...:Members:...`` accounts, found by owner)."""
    prefix = account_name_for(collective, Account.Type.LIABILITIES, "Members") + ":"
    return list(
        Account.objects.filter(
            collective=collective,
            owner_type=ContentType.objects.get_for_model(User),
            owner_id=member.pk,
            owner_kind=Account.OwnerKind.MEMBER,
            name__startswith=prefix,
        ).values_list("pk", flat=True)
    )


def _savings_accounts(collective: Collective, member: User) -> list[int]:
    """The member's own savings accounts: a share saved is income earned."""
    participation = Participation.objects.filter(
        fund__collective=collective, fund__kind=Fund.Kind.SAVINGS, member=member
    ).first()
    if participation is None:
        return []
    return [account.pk for account in member_fund_accounts(participation)]


def _credits_by_currency(
    *, collective: Collective, member: User, first: dt.date, last: dt.date
) -> dict[str, int]:
    """Minor units credited per currency, from ``first`` to ``last``: client
    payments and fund payouts into the payables, client payments into the
    savings accounts (the part of a share the member's savings took)."""
    claim_type = ContentType.objects.get_for_model(Claim)
    not_income = Claim.objects.filter(
        collective=collective, fund__kind__in=NOT_INCOME_FUNDS
    ).values("pk")
    payables = _payable_accounts(collective, member)
    savings = _savings_accounts(collective, member)
    rows = (
        Posting.objects.filter(
            occurred_at__gte=first,
            occurred_at__lte=last,
            amount_minor__lt=0,  # credits: money in for a liability
        )
        .filter(
            Q(account_id__in=payables, transaction__kind__in=[PAYMENT, FUND_PAYOUT])
            | Q(account_id__in=savings, transaction__kind=PAYMENT)
        )
        .exclude(
            transaction__kind=FUND_PAYOUT,
            transaction__cause_type=claim_type,
            transaction__cause_id__in=not_income,
        )
        .values("currency")
        .annotate(total=Sum("amount_minor"))
        .values_list("currency", "total")
    )
    return {currency: -int(total) for currency, total in rows if total}


def platform_income(
    *, collective: Collective, member: User, month: dt.date, currency: str
) -> IncomeFigure:
    """What ``member`` earned through ``collective`` in ``month`` (any day
    of it), from the ledger, in ``currency`` (see ``IncomeFigure``)."""
    first, last = month_start(month), month_end(month)
    credited = _credits_by_currency(collective=collective, member=member, first=first, last=last)
    by_currency = {code: Money.from_minor(minor, code) for code, minor in sorted(credited.items())}
    total = Money.zero(currency)
    missing: list[str] = []
    rates: dict[str, tuple[Decimal, str]] = {}
    for code, amount in by_currency.items():
        if code == currency:
            total = total + amount
            continue
        try:
            quote = exchange_rate_find(base=code, quote=currency, on=last, collective=collective)
        except ValidationFailed as refusal:
            if refusal.code != "no_rate":
                raise
            missing.append(code)
            continue
        rates[code] = (quote.rate, quote.source)
        total = total + amount.convert(quote.rate, currency)
    return IncomeFigure(
        month=first,
        currency=currency,
        total=total,
        by_currency=by_currency,
        missing_rates=missing,
        rates=rates,
    )


# --- Eligibility ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    """Why a member cannot claim: a stable ``code`` and words for them."""

    code: str
    message: str


@dataclass(frozen=True)
class Eligibility:
    """Whether ``member`` may claim a top-up for ``period`` on ``on``, and
    how much (``top_up``: zero when not eligible). ``income`` is None only
    when there were no rules to judge by."""

    eligible: bool
    reasons: list[Reason]
    income: IncomeFigure | None
    top_up: Money
    period: dt.date
    on: dt.date

    @property
    def codes(self) -> list[str]:
        return [reason.code for reason in self.reasons]


def claim_period(on: dt.date) -> dt.date:
    """The month a claim made on ``on`` is for: last month (its first day)."""
    return months_after(month_start(on), -1)


def rule_money(value: Decimal, currency: str) -> Money:
    """A rule's amount (two decimals) in the fund's currency, cut to its
    minor unit (a floor of 600.50 in yen is 600)."""
    step = Decimal(1).scaleb(-currency_exponent(currency))
    return Money(value.quantize(step, rounding=ROUND_DOWN), currency)


def _shown(money: Money) -> str:
    return f"{money.amount:,} {money.currency}"


def _membership_reason(
    *, collective: Collective, member: User, period: dt.date, rules: IncomeGapRules
) -> Reason | None:
    membership = Membership.objects.filter(
        collective=collective, user=member, state=Membership.State.ACTIVE, user__is_active=True
    ).first()
    if membership is None:
        return Reason("not_a_member", f"Only active members of {collective.name} can claim.")
    joined = membership.joined_at or membership.created_at
    joined_on = timezone.localdate(joined)
    needed = rules.min_months_member
    latest = months_after(period, -needed)
    if joined_on > latest:
        if needed == 0:
            why = "A top-up is for a month you were a member for from its first day"
        else:
            months = "month" if needed == 1 else "months"
            why = f"A top-up is for members of at least {needed} {months} by the month claimed for"
        return Reason(
            "too_new",
            f"{why}: you joined on {joined_on.isoformat()}, after {latest.isoformat()}.",
        )
    return None


def _top_ups_before(*, fund: Fund, member: User, period: dt.date) -> int:
    """Top-ups claimed (and not refused) for the eleven months before
    ``period``: with this one, the twelve months it ends."""
    return Claim.objects.filter(
        fund=fund,
        claimant=member,
        state__in=COUNTED_STATES,
        period__gt=months_after(period, -12),
        period__lt=period,
    ).count()


def income_gap_eligibility(
    *, fund: Fund, member: User, period: dt.date, on: dt.date
) -> Eligibility:
    """Whether ``member`` may claim a top-up from ``fund`` for ``period``
    (the first day of a month) on ``on``, by the rules in force on ``on``.

    Every reason that applies is listed (codes): ``no_rules``,
    ``invalid_period`` (a claim is for last month), ``not_a_member``,
    ``too_new`` (fewer than ``min_months_member`` months by the period's
    start), ``too_many_top_ups`` (``max_months_per_year`` in the twelve
    months ending with the period), ``missing_rate`` (income in a currency
    with no rate on the month's last day) and ``income_above_floor``.
    ``top_up`` is ``min(cap, floor - income)`` when eligible."""
    currency = fund.currency
    zero = Money.zero(currency)
    version = rules_in_force(fund=fund, on=on)
    if version is None:
        reason = Reason("no_rules", "The income-gap fund has no rules in force yet.")
        return Eligibility(False, [reason], None, zero, period, on)
    rules = rules_for(fund.kind, version.rules)
    assert isinstance(rules, IncomeGapRules)  # noqa: S101 -- the fund's kind
    reasons: list[Reason] = []
    expected = claim_period(on)
    if period != expected:
        reasons.append(
            Reason(
                "invalid_period",
                f"A top-up is claimed for last month: on {on.isoformat()} that is "
                f"{expected:%B %Y} ({expected.isoformat()}).",
            )
        )
    collective = fund.collective
    member_reason = _membership_reason(
        collective=collective, member=member, period=period, rules=rules
    )
    if member_reason is not None:
        reasons.append(member_reason)
    already = _top_ups_before(fund=fund, member=member, period=period)
    if already >= rules.max_months_per_year:
        reasons.append(
            Reason(
                "too_many_top_ups",
                f"At most {rules.max_months_per_year} top-ups in twelve months; you have "
                f"claimed {already} in the eleven months before {period:%B %Y}.",
            )
        )
    income = platform_income(collective=collective, member=member, month=period, currency=currency)
    floor = rule_money(rules.floor, currency)
    cap = rule_money(rules.cap, currency)
    top_up = zero
    if income.missing_rates:
        pairs = ", ".join(f"{code}/{currency}" for code in income.missing_rates)
        last = month_end(period)
        reasons.append(
            Reason(
                "missing_rate",
                f"Part of your income in {period:%B %Y} was paid in "
                f"{', '.join(income.missing_rates)}, and there is no {pairs} rate for "
                f"{last.isoformat()}: ask a coordinator to record one, then claim again.",
            )
        )
    elif income.total >= floor:
        reasons.append(
            Reason(
                "income_above_floor",
                f"Your income through the collective in {period:%B %Y} was "
                f"{_shown(income.total)}, not below the floor of {_shown(floor)}.",
            )
        )
    else:
        top_up = min(cap, floor - income.total)
    if reasons:
        top_up = zero
    return Eligibility(not reasons, reasons, income, top_up, period, on)


# --- Claiming -------------------------------------------------------------------------------


def _require_kind(fund: Fund) -> None:
    if fund.kind != Fund.Kind.INCOME_GAP:
        raise ValidationFailed(
            "Top-ups are claimed from the income-gap fund.", code="wrong_fund", field="fund"
        )


def _claim_exists(period: dt.date) -> Conflict:
    return Conflict(
        f"You have already claimed a top-up for {period:%B %Y}; claiming twice for the same "
        "period is not possible.",
        code="claim_exists",
        field="period",
    )


def income_gap_claim_submit(
    *,
    fund: Fund,
    claimant: User,
    period: dt.date,
    reason: str = "",
    disclosure: str = "everything",
) -> Claim:
    """Claim a top-up from the income-gap ``fund`` for ``period`` (the first
    day of last month), for ``min(cap, floor - income)``.

    Refuses, changing nothing: a fund of another kind (``wrong_fund``), a
    claimant who is not an active member (``not_a_member``), a fund not
    active (``fund_not_active``), a period other than last month
    (``invalid_period``), a second claim for the same period
    (``claim_exists``, also when two arrive at once) and a member who is not
    eligible (``not_eligible``, the message naming every reason)."""
    _require_kind(fund)
    require_member(collective=fund.collective, user=claimant)
    if fund.state != Fund.State.ACTIVE:
        raise Conflict(
            "The income-gap fund takes no claims until its members vote its rules in.",
            code="fund_not_active",
        )
    on = timezone.localdate()
    if not isinstance(period, dt.date) or isinstance(period, dt.datetime):
        raise ValidationFailed(
            "The period is a month's first day.", code="invalid_period", field="period"
        )
    try:
        with transaction.atomic():
            # The fund's row lock (the first lock of every claims path):
            # this member's claims and top-ups are counted without a twin
            # claim slipping in between.
            Fund.objects.select_for_update(no_key=True).get(pk=fund.pk)
            if Claim.objects.filter(
                fund=fund, claimant=claimant, period=period, state__in=COUNTED_STATES
            ).exists():
                raise _claim_exists(period)
            eligibility = income_gap_eligibility(fund=fund, member=claimant, period=period, on=on)
            if "invalid_period" in eligibility.codes:
                first = next(r for r in eligibility.reasons if r.code == "invalid_period")
                raise ValidationFailed(first.message, code="invalid_period", field="period")
            if not eligibility.eligible:
                raise Conflict(
                    "You cannot claim a top-up for "
                    f"{period:%B %Y}: "
                    + " ".join(reason.message for reason in eligibility.reasons),
                    code="not_eligible",
                    field="period",
                )
            return claim_create(
                fund=fund,
                claimant=claimant,
                claim_date=on,
                reason=reason,
                disclosure=disclosure,
                currency=fund.currency,
                amount_minor=eligibility.top_up.minor_units,
                period=period,
            )
    except IntegrityError as error:
        # Two claims for the same month at the same moment: the database's
        # rule (mutual_claim_period_once) refuses the second.
        text = str(error)
        if "mutual_claim_period_once" in text or "mutual_claim.period" in text:
            raise _claim_exists(period) from None
        raise


__all__ = [
    "Eligibility",
    "IncomeFigure",
    "Reason",
    "claim_period",
    "income_gap_claim_submit",
    "income_gap_eligibility",
    "platform_income",
]
