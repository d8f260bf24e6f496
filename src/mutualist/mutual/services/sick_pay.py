"""The sick-pay fund, in the Broodfonds tradition.

Each member who takes part (a ``Participation`` with a tier) deposits every
month into their OWN account inside the fund (``mutual.accounts.
member_fund_account``), taken from what the collective owes them (their
payable, ``billing.accounts.member_account``). When a member is sick, the
monthly gift they receive is drawn from the OTHER members' accounts in
proportion to their tiers' deposits; a member who leaves takes what is left
in their account. Each account is capped (``buffer_multiple`` monthly
deposits) and what is above the cap is refunded once a year.

Dates and timing:

- Joining is allowed any day; the first deposit is for the month joined.
- Tier changes and exits take effect only on a set date: the 1st of one of
  the rules' ``change_months``, after today (``not_a_change_date``).
- Deposits are for calendar months, posted by ``mutualist tick`` from the
  1st (``sick_pay_deposits_post``).
- Gifts are for calendar months, paid by the run for a month once it is
  over (``sick_pay_runs_due``: on or after the 1st, last month).

The gift arithmetic, for a claim and a calendar month: the claim's paid
period starts after the waiting period (``starts_on + waiting_days`` is the
first paid day) and lasts at most ``max_months`` months from there (ending
the day before the same date ``max_months`` later, clamped to the month's
end: 31 January plus one month is 28 February), or until ``ends_on``::

    gift = payout of the claimant's tier x percent / 100
           x days of the month in the paid period / days in the month

computed exactly (fractions of minor units) and rounded ONCE per gift to
the currency's minor unit, half to even. The payout is from the claim's
own rules (the version in force on its start date), whatever passed since.

Locks, always in this order, as ``services.claims`` takes them: the fund's
row, then claim or participation rows, then (in one statement, key order)
the ledger accounts. Any number of schedulers may run the tick jobs at once:
each unit of work is claimed by inserting a unique row (``Deposit``,
``SickPayRun``, ``BufferRefund``) or by a conditional ``UPDATE`` whose row
count is checked, so nothing is done twice.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import partial

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from mutualist.billing.accounts import member_account
from mutualist.collectives.models import Membership
from mutualist.core.errors import Conflict, PermissionDenied, ValidationFailed
from mutualist.core.money import Money, allocate
from mutualist.core.reference import currency_exponent
from mutualist.ledger.models import Account
from mutualist.ledger.services import Line, WouldGoNegative, transaction_post
from mutualist.members.models import User
from mutualist.mutual.accounts import balance_minor, member_fund_account, member_fund_accounts
from mutualist.mutual.models import (
    BufferRefund,
    Claim,
    ClaimPayment,
    Deposit,
    Fund,
    FundRules,
    Participation,
    ParticipationChange,
    SickPayRun,
)
from mutualist.mutual.rules import SickPayRules, rules_for
from mutualist.mutual.services.claims import claim_create
from mutualist.mutual.services.funds import newest_rules, require_member, rules_in_force

logger = logging.getLogger(__name__)

# A sick period can be reported up to a week before it starts (a planned
# operation), not further ahead: a later report is a guess.
DAYS_AHEAD = 7
PERCENTS = (50, 100)


# --- Dates ---------------------------------------------------------------------------------


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole months, clamped to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def next_change_date(rules: SickPayRules, *, after: dt.date) -> dt.date:
    """The first set date (the 1st of one of ``rules.change_months``) after ``after``."""
    day = add_months(month_start(after), 1)
    while day.month not in rules.change_months:
        day = add_months(day, 1)
    return day


def _month_name(month: dt.date) -> str:
    return f"{month:%B} {month.year}"


def _day_name(day: dt.date) -> str:
    return f"{day.day} {day:%B} {day.year}"


# --- Rules and amounts ---------------------------------------------------------------------


def _require_sick_pay(fund: Fund) -> None:
    if fund.kind != Fund.Kind.SICK_PAY:
        raise ValidationFailed(
            "That is not the sick-pay fund.", code="not_sick_pay_fund", field="fund"
        )


def _require_active(fund: Fund) -> None:
    if fund.state != Fund.State.ACTIVE:
        raise Conflict(
            "The sick-pay fund takes no members or claims until its members vote its rules in.",
            code="fund_not_active",
        )


def _typed(version: FundRules) -> SickPayRules:
    rules = rules_for(Fund.Kind.SICK_PAY, version.rules)
    if not isinstance(rules, SickPayRules):  # pragma: no cover - rules_for's contract
        raise TypeError("sick-pay rules expected")
    return rules


def _rules_on(fund: Fund, day: dt.date) -> SickPayRules | None:
    """The rules in force on ``day``; before the first version takes effect
    (the day a vote passed, effective the next), the newest version."""
    version = rules_in_force(fund=fund, on=day) or newest_rules(fund=fund)
    return None if version is None else _typed(version)


def _rules_on_or_refuse(fund: Fund, day: dt.date) -> SickPayRules:
    rules = _rules_on(fund, day)
    if rules is None:
        raise Conflict(
            "The sick-pay fund has no rules yet: its members have not voted them in.",
            code="no_rules",
        )
    return rules


def to_minor(amount: Decimal | Fraction, currency: str) -> int:
    """``amount`` (in currency units) in minor units, rounded half to even once."""
    scale: int = 10 ** currency_exponent(currency)
    return round(Fraction(amount) * scale)


def _tier_of(rules: SickPayRules, tier: int) -> int:
    # A rule change may have dropped the top tiers; a member above them
    # counts as the highest tier left until they change tier.
    return min(tier, len(rules.tiers) - 1)


def deposit_minor(rules: SickPayRules, tier: int, currency: str) -> int:
    return to_minor(rules.tiers[_tier_of(rules, tier)].deposit, currency)


def payout_minor(rules: SickPayRules, tier: int, currency: str) -> int:
    return to_minor(rules.tiers[_tier_of(rules, tier)].payout, currency)


def _validate_tier(rules: SickPayRules, tier: int) -> int:
    if isinstance(tier, bool) or not isinstance(tier, int) or not 0 <= tier < len(rules.tiers):
        raise ValidationFailed(
            f"Choose a tier from 1 to {len(rules.tiers)}.", code="invalid_tier", field="tier"
        )
    return tier


# --- Gift arithmetic (pure) -----------------------------------------------------------------


@dataclass(frozen=True)
class PaidPeriod:
    """The days a claim's gifts cover: ``first`` to ``last`` inclusive
    (empty when ``last < first``: better within the waiting period)."""

    first: dt.date
    last: dt.date

    @property
    def empty(self) -> bool:
        return self.last < self.first

    def days_in(self, month: dt.date) -> int:
        """How many days of ``month`` (any day of it) the period covers."""
        start = max(self.first, month_start(month))
        end = min(self.last, month_end(month))
        return max(0, (end - start).days + 1)

    def months(self) -> list[dt.date]:
        """The first days of the months the period touches."""
        if self.empty:
            return []
        found = []
        month = month_start(self.first)
        while month <= self.last:
            found.append(month)
            month = add_months(month, 1)
        return found


def paid_period(
    *, starts_on: dt.date, ends_on: dt.date | None, waiting_days: int, max_months: int
) -> PaidPeriod:
    """The days a sick period is paid for: from the day after the waiting
    period (``starts_on + waiting_days``) for at most ``max_months`` months,
    and not after ``ends_on`` (the last sick day) when it is known."""
    first = starts_on + dt.timedelta(days=waiting_days)
    last = add_months(first, max_months) - dt.timedelta(days=1)
    if ends_on is not None:
        last = min(last, ends_on)
    return PaidPeriod(first=first, last=last)


def gift_minor(*, payout_minor: int, percent: int, covered_days: int, month: dt.date) -> int:
    """One month's gift in minor units: ``payout x percent/100 x
    covered_days/days_in_month``, exact, rounded once half to even."""
    days = calendar.monthrange(month.year, month.month)[1]
    return round(Fraction(payout_minor * percent * covered_days, 100 * days))


def water_fill(total: Money, weights: Sequence[int], caps: Sequence[int]) -> list[Money]:
    """Split ``total`` in proportion to ``weights``, no part above its cap
    (minor units): a part whose proportional share would pass its cap gets
    the cap, and the rest is split again among the others, until what is
    left fits. Exact in minor units (``allocate``, largest remainder): the
    parts sum to ``total``. The caller makes sure ``total`` fits under the
    caps together (``ValueError`` otherwise)."""
    currency = total.currency
    left = total.minor_units
    if left < 0 or left > sum(caps):
        raise ValueError("the total does not fit under the caps")
    parts = [0] * len(weights)
    open_ = [i for i, cap in enumerate(caps) if cap > 0]
    while left > 0:
        weight_total = sum(weights[i] for i in open_)
        if weight_total == 0:  # only weightless accounts left: evenly
            share = {i: Fraction(left, len(open_)) for i in open_}
        else:
            share = {i: Fraction(left * weights[i], weight_total) for i in open_}
        full = [i for i in open_ if share[i] >= caps[i]]
        if not full:
            split = allocate(
                Money.from_minor(left, currency),
                [weights[i] for i in open_] if weight_total else [1] * len(open_),
            )
            for i, part in zip(open_, split, strict=True):
                # An exact share at most the (whole) cap rounds up to at most the cap.
                parts[i] = part.minor_units
            left = 0
            break
        for i in full:
            parts[i] = caps[i]
            left -= caps[i]
        open_ = [i for i in open_ if i not in full]
    return [Money.from_minor(part, currency) for part in parts]


# --- Joining, changing tier, leaving --------------------------------------------------------


def group_size_warning(fund: Fund) -> str | None:
    """A warning when the fund has fewer or more active members than its
    rules ask for (the bread funds work between 20 and 50); None otherwise.
    Never a refusal: a small group may start and grow."""
    rules = _rules_on(fund, timezone.localdate())
    if rules is None:
        return None
    count = Participation.objects.filter(fund=fund, state=Participation.State.ACTIVE).count()
    if rules.min_members <= count <= rules.max_members:
        return None
    noun = "member" if count == 1 else "members"
    return (
        f"The fund has {count} {noun}; the rules ask for "
        f"{rules.min_members} to {rules.max_members}."
    )


def sick_pay_join(
    *, fund: Fund, member: User, tier: int, joined_on: dt.date | None = None
) -> Participation:
    """``member`` joins the sick-pay fund at ``tier`` (an index into the
    rules' tiers, 0 the lowest) from ``joined_on`` (today by default); their
    first deposit is for that month.

    Refuses: not an active member of the collective (``not_a_member``), a
    fund not yet active (``fund_not_active``), a tier the rules do not have
    (``invalid_tier``), a member already in (``already_joined``). A member
    who left joins again on the same row. The group size is not checked
    here: ``group_size_warning`` says when it is outside the rules.
    """
    _require_sick_pay(fund)
    require_member(collective=fund.collective, user=member)
    _require_active(fund)
    joined_on = joined_on or timezone.localdate()
    rules = _rules_on_or_refuse(fund, joined_on)
    _validate_tier(rules, tier)
    already = Conflict("You are already in the sick-pay fund.", code="already_joined")
    with transaction.atomic():
        Fund.objects.select_for_update().get(pk=fund.pk)
        existing = Participation.objects.select_for_update().filter(fund=fund, member=member)
        participation = existing.first()
        if participation is None:
            try:
                with transaction.atomic():
                    return Participation.objects.create(
                        fund=fund, member=member, tier=tier, joined_on=joined_on
                    )
            except IntegrityError:  # joined a moment ago, from another request
                raise already from None
        if participation.state == Participation.State.ACTIVE:
            raise already
        if participation.left_on is not None and joined_on < participation.left_on:
            raise ValidationFailed(
                f"You left on {_day_name(participation.left_on)}; join again from then on.",
                code="invalid_date",
                field="joined_on",
            )
        participation.state = Participation.State.ACTIVE
        participation.tier = tier
        participation.joined_on = joined_on
        participation.left_on = None
        participation.save(update_fields=["state", "tier", "joined_on", "left_on"])
        return participation


def _require_set_date(rules: SickPayRules, effective_on: dt.date, today: dt.date) -> None:
    if effective_on.day == 1 and effective_on.month in rules.change_months and effective_on > today:
        return
    names = [f"{dt.date(2000, m, 1):%B}" for m in rules.change_months]
    months = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
    raise ValidationFailed(
        f"Tier changes and exits take effect only on the 1st of {months}; "
        f"the next such date is {_day_name(next_change_date(rules, after=today))}.",
        code="not_a_change_date",
        field="effective_on",
    )


def _change_request(
    *, participation: Participation, kind: str, tier: int | None, effective_on: dt.date
) -> ParticipationChange:
    fund = participation.fund
    today = timezone.localdate()
    rules = _rules_on_or_refuse(fund, today)
    _require_set_date(rules, effective_on, today)
    if tier is not None:
        _validate_tier(_rules_on(fund, effective_on) or rules, tier)
    pending = Conflict(
        "You already have a change waiting; cancel it first to ask for another.",
        code="change_pending",
    )
    with transaction.atomic():
        locked = Participation.objects.select_for_update().get(pk=participation.pk)
        if locked.state != Participation.State.ACTIVE:
            raise Conflict("You are no longer in the sick-pay fund.", code="not_a_participant")
        if tier is not None and tier == locked.tier:
            raise ValidationFailed("That is your tier already.", code="same_tier", field="tier")
        if ParticipationChange.objects.filter(
            participation=locked, state=ParticipationChange.State.PENDING
        ).exists():
            raise pending
        try:
            with transaction.atomic():
                return ParticipationChange.objects.create(
                    participation=locked, kind=kind, tier=tier, effective_on=effective_on
                )
        except IntegrityError:  # the one-pending constraint: asked twice at once
            raise pending from None


def sick_pay_tier_change(
    *, participation: Participation, tier: int, effective_on: dt.date
) -> ParticipationChange:
    """Ask to move to ``tier`` from ``effective_on``, a set date: the 1st of
    one of the rules' ``change_months``, after today (``not_a_change_date``,
    naming the next one). ``mutualist tick`` applies it that day (later, if
    the member is then on sick leave). One pending change at a time
    (``change_pending``). The caller has checked the actor is the member."""
    return _change_request(
        participation=participation,
        kind=ParticipationChange.Kind.TIER,
        tier=tier,
        effective_on=effective_on,
    )


def sick_pay_exit(*, participation: Participation, effective_on: dt.date) -> ParticipationChange:
    """Ask to leave the fund on ``effective_on``, a set date (as for tier
    changes). That day the member's remaining balance goes back to their
    payable; while they have a sick claim open the exit waits. The caller
    has checked the actor is the member."""
    return _change_request(
        participation=participation,
        kind=ParticipationChange.Kind.EXIT,
        tier=None,
        effective_on=effective_on,
    )


def _is_coordinator(user: User, fund: Fund) -> bool:
    return Membership.objects.filter(
        collective_id=fund.collective_id,
        user=user,
        state=Membership.State.ACTIVE,
        role=Membership.Role.COORDINATOR,
    ).exists()


def sick_pay_change_cancel(*, change: ParticipationChange, actor: User) -> ParticipationChange:
    """Cancel a pending tier change or exit: the member or a coordinator.
    Refuses anyone else (``not_allowed``) and a change already applied or
    cancelled (``change_not_pending``)."""
    participation = change.participation
    if actor.pk != participation.member_id and not _is_coordinator(actor, participation.fund):
        raise PermissionDenied(
            "Only the member or a coordinator can cancel this change.", code="not_allowed"
        )
    cancelled = ParticipationChange.objects.filter(
        pk=change.pk, state=ParticipationChange.State.PENDING
    ).update(state=ParticipationChange.State.CANCELLED)
    if not cancelled:
        raise Conflict(
            "This change is no longer waiting; it was applied or cancelled.",
            code="change_not_pending",
        )
    change.refresh_from_db()
    return change


def _live_claim(participation: Participation) -> Claim | None:
    return (
        Claim.objects.filter(
            fund_id=participation.fund_id,
            claimant_id=participation.member_id,
            state__in=Claim.LIVE_STATES,
        )
        .order_by("pk")
        .first()
    )


def _lock_accounts(accounts: Iterable[Account]) -> dict[int, Account]:
    """Row-lock ``accounts`` in key order (the ledger's order, so no two
    writers deadlock) and return them fresh, by key."""
    keys = sorted({account.pk for account in accounts})
    locked = Account.objects.select_for_update().filter(pk__in=keys).order_by("pk")
    return {account.pk: account for account in locked}


def _apply_exit(change: ParticipationChange, participation: Participation, today: dt.date) -> None:
    fund = participation.fund
    payables = {}
    accounts = member_fund_accounts(participation)
    for account in accounts:
        payables[account.pk] = member_account(
            fund.collective, participation.member, account.currency
        )
    locked = _lock_accounts([*accounts, *payables.values()])
    lines = []
    for account in accounts:
        held = balance_minor(locked[account.pk])
        if held > 0:
            amount = Money.from_minor(held, account.currency)
            lines += [
                Line(locked[account.pk], amount),
                Line(locked[payables[account.pk].pk], -amount),
            ]
    if lines:
        transaction_post(
            lines=lines,
            memo=f"{participation.member.display_name} leaves the sick-pay fund: "
            "their balance goes back to them",
            occurred_at=today,
            idempotency_key=f"mutual:exit:{change.pk}",
            kind="fund_exit",
            cause=change,
        )
    Participation.objects.filter(pk=participation.pk).update(
        state=Participation.State.LEFT, left_on=change.effective_on
    )


def sick_pay_changes_apply(today: dt.date | None = None) -> int:
    """Apply every pending tier change and exit due by ``today`` (tick),
    each once (a conditional update from ``pending``, under the fund's and
    the participation's locks). An exit pays the member's remaining balance
    back to their payable (kind ``fund_exit``) and marks them left. While the
    member has a live sick claim, neither is applied: it stays pending, and
    is applied by the first tick after the claim is over. Returns how many
    it applied."""
    today = today or timezone.localdate()
    due = ParticipationChange.objects.filter(
        state=ParticipationChange.State.PENDING,
        effective_on__lte=today,
        participation__fund__state=Fund.State.ACTIVE,
    ).order_by("effective_on", "pk")
    applied = 0
    for change in list(due.select_related("participation__fund__collective")):
        change_id, participation_id = change.pk, change.participation_id
        fund_id = change.participation.fund_id
        if change.kind == ParticipationChange.Kind.EXIT:
            # Opened (and committed) before any lock: see ``_deposit_accounts``.
            fund = change.participation.fund
            member_account(fund.collective, change.participation.member, fund.currency)
        with transaction.atomic():
            Fund.objects.select_for_update().get(pk=fund_id)
            participation = (
                Participation.objects.select_for_update(of=("self",))
                .select_related("fund__collective", "member__profile")
                .get(pk=participation_id)
            )
            change = ParticipationChange.objects.get(pk=change_id)
            if change.state != ParticipationChange.State.PENDING:
                continue  # another scheduler applied it
            live = _live_claim(participation)
            if live is not None:
                logger.info(
                    "sick-pay change %s waits: member %s has claim %s open",
                    change.pk,
                    participation.member_id,
                    live.pk,
                )
                continue
            if not ParticipationChange.objects.filter(
                pk=change.pk, state=ParticipationChange.State.PENDING
            ).update(state=ParticipationChange.State.APPLIED, applied_at=timezone.now()):
                continue
            if change.kind == ParticipationChange.Kind.EXIT:
                _apply_exit(change, participation, today)
            else:
                Participation.objects.filter(pk=participation.pk).update(tier=change.tier)
            applied += 1
    return applied


# --- Deposits -------------------------------------------------------------------------------


def _fully_sick_on(participation: Participation, day: dt.date) -> bool:
    """Whether ``day`` falls in a 100 % sick claim's paid period: such a
    member receives gifts and makes no deposit (the bread funds' rule)."""
    claims = Claim.objects.filter(
        fund_id=participation.fund_id,
        claimant_id=participation.member_id,
        state=Claim.State.ONGOING,
        percent=100,
    ).select_related("rules")
    for claim in claims:
        period = _claim_period(claim)
        if period is not None and period.first <= day <= period.last:
            return True
    return False


def _deposit_post(deposit: Deposit, payable: Account, account: Account, today: dt.date) -> bool:
    """Post ``deposit`` (held in ``arrears``) from the member's payable into
    their sick-pay account, if the payable covers it; True when it did. The
    row moves to ``paid`` only after its posting, by a conditional update,
    under one idempotency key per deposit. Call inside ``transaction.atomic()``
    holding the deposit's row (just inserted, or locked)."""
    amount = Money.from_minor(deposit.amount_minor, deposit.currency)
    member = deposit.participation.member
    try:
        with transaction.atomic():
            posted = transaction_post(
                lines=[Line(payable, amount), Line(account, -amount)],
                memo=f"Sick-pay deposit for {_month_name(deposit.month)} by {member.display_name}",
                occurred_at=today,
                idempotency_key=f"mutual:deposit:{deposit.pk}",
                kind="fund_deposit",
                cause=deposit,
            )
            return bool(
                Deposit.objects.filter(pk=deposit.pk, state=Deposit.State.ARREARS).update(
                    state=Deposit.State.PAID, transaction=posted, paid_at=timezone.now()
                )
            )
    except WouldGoNegative:
        return False  # stays in arrears; the next tick tries again


def _deposit_accounts(participation: Participation, currency: str) -> tuple[Account, Account]:
    """The member's payable and sick-pay account, opened (and committed) BEFORE
    any lock is taken: an account inserted inside a transaction that then
    waits for a lock could deadlock with another opening the same account."""
    fund = participation.fund
    return (
        member_account(fund.collective, participation.member, currency),
        member_fund_account(participation, currency),
    )


def sick_pay_deposits_post(today: dt.date | None = None) -> int:
    """Take this month's deposit from every active participant of every
    active sick-pay fund (tick), and retry deposits in arrears.

    Due changes are applied first (``sick_pay_changes_apply``), so the
    deposit is at the tier in force this month, under the rules in force
    today. A member who joined after this month gets none yet; a member
    whose 100 % sick claim covers the 1st of the month deposits nothing that
    month (50 % sick members still deposit). Each month's deposit is claimed
    by inserting its row (unique per participation and month) and posted in
    the same transaction, so two schedulers take it once. When the member's
    payable cannot cover it, the row is kept in ``arrears`` (nothing goes
    negative) and every later tick tries again, the row locked. Returns how
    many deposits it recorded (paid or in arrears) plus how many earlier
    arrears it settled.
    """
    today = today or timezone.localdate()
    sick_pay_changes_apply(today)
    month = month_start(today)
    done = 0
    tried: set[int] = set()
    funds = Fund.objects.filter(kind=Fund.Kind.SICK_PAY, state=Fund.State.ACTIVE).order_by("pk")
    for fund in funds.select_related("collective"):
        rules = _rules_on(fund, today)
        if rules is None:
            continue
        participations = (
            Participation.objects.filter(
                fund=fund, state=Participation.State.ACTIVE, joined_on__lte=month_end(month)
            )
            .exclude(deposits__month=month)
            .select_related("fund__collective", "member__profile")
            .order_by("pk")
        )
        for participation in participations:
            if participation.tier is None or _fully_sick_on(participation, month):
                continue
            payable, account = _deposit_accounts(participation, fund.currency)
            with transaction.atomic():
                try:
                    with transaction.atomic():
                        deposit = Deposit.objects.create(
                            participation=participation,
                            month=month,
                            amount_minor=deposit_minor(rules, participation.tier, fund.currency),
                            currency=fund.currency,
                            state=Deposit.State.ARREARS,
                        )
                except IntegrityError:
                    continue  # another scheduler took this month's deposit
                _deposit_post(deposit, payable, account, today)
            tried.add(deposit.pk)
            done += 1
    arrears = Deposit.objects.filter(
        state=Deposit.State.ARREARS,
        participation__state=Participation.State.ACTIVE,
        participation__fund__state=Fund.State.ACTIVE,
    ).exclude(pk__in=tried)  # just tried: a second try now would find the same payable
    for deposit in arrears.select_related(
        "participation__fund__collective", "participation__member__profile"
    ).order_by("month", "pk"):
        payable, account = _deposit_accounts(deposit.participation, deposit.currency)
        with transaction.atomic():
            locked = (
                Deposit.objects.select_for_update(of=("self",))
                .filter(pk=deposit.pk, state=Deposit.State.ARREARS)
                .select_related("participation__member")
                .first()
            )
            if locked is not None and _deposit_post(locked, payable, account, today):
                done += 1
    return done


# --- Sick claims ----------------------------------------------------------------------------


def _claim_period(claim: Claim) -> PaidPeriod | None:
    """The days ``claim``'s gifts cover, by the claim's own rules."""
    if claim.starts_on is None:
        return None
    rules = _typed(claim.rules)
    return paid_period(
        starts_on=claim.starts_on,
        ends_on=claim.ends_on,
        waiting_days=rules.waiting_days,
        max_months=rules.max_months,
    )


def _claim_span_end(claim: Claim) -> dt.date | None:
    """The last day a claim stands for, for the overlap check: its end when
    known; an ended claim's last paid day; None (open) otherwise."""
    if claim.ends_on is not None:
        return claim.ends_on
    if claim.state == Claim.State.ENDED:
        period = _claim_period(claim)
        return None if period is None else period.last
    return None


def sick_claim_submit(
    *,
    fund: Fund,
    claimant: User,
    starts_on: dt.date,
    percent: int,
    reason: str = "",
    disclosure: str = "everything",
) -> Claim:
    """Report a sick period starting on ``starts_on``, fully (``percent``
    100) or half (50) sick; its end is told later (``sick_claim_end``).

    The claim is judged by the rules in force on ``starts_on`` and decided
    as they say (peers or a vote); once approved it is ``ongoing`` and paid
    month by month by the run, after the waiting period. Refuses: a percent
    other than 50 or 100 (``invalid_percent``), a start more than a week
    ahead (``starts_in_future``), a claimant who is not an active member
    (``not_a_member``) or does not take part in the fund
    (``not_a_participant``), a start before they joined
    (``starts_before_joining``), and a period overlapping one of their
    claims still open or already paid (``claim_overlaps``).
    """
    _require_sick_pay(fund)
    if isinstance(percent, bool) or percent not in PERCENTS:
        raise ValidationFailed(
            "Report 100 (fully sick) or 50 (half sick).", code="invalid_percent", field="percent"
        )
    today = timezone.localdate()
    if starts_on > today + dt.timedelta(days=DAYS_AHEAD):
        raise ValidationFailed(
            f"A sick period can be reported at most {DAYS_AHEAD} days before it starts; "
            f"{_day_name(starts_on)} is {(starts_on - today).days} days away.",
            code="starts_in_future",
            field="starts_on",
        )
    require_member(collective=fund.collective, user=claimant)
    _require_active(fund)
    with transaction.atomic():
        Fund.objects.select_for_update().get(pk=fund.pk)
        participation = (
            Participation.objects.select_for_update()
            .filter(fund=fund, member=claimant, state=Participation.State.ACTIVE)
            .first()
        )
        if participation is None:
            raise PermissionDenied(
                "Only members who take part in the sick-pay fund can claim from it.",
                code="not_a_participant",
            )
        if starts_on < participation.joined_on:
            raise ValidationFailed(
                f"You joined the fund on {_day_name(participation.joined_on)}; "
                "a sick period before that is not covered.",
                code="starts_before_joining",
                field="starts_on",
            )
        others = Claim.objects.filter(
            fund=fund,
            claimant=claimant,
            state__in=[*Claim.LIVE_STATES, Claim.State.ENDED],
        ).select_related("rules")
        for other in others.order_by("starts_on", "pk"):
            end = _claim_span_end(other)
            if other.starts_on is not None and (end is None or end >= starts_on):
                raise Conflict(
                    f"Your claim #{other.pk} already covers a sick period from "
                    f"{_day_name(other.starts_on)}; claiming twice for the same period is "
                    "not possible. End that one first.",
                    code="claim_overlaps",
                    field="starts_on",
                )
        return claim_create(
            fund=fund,
            claimant=claimant,
            claim_date=starts_on,
            reason=reason,
            disclosure=disclosure,
            currency=fund.currency,
            amount_minor=None,
            starts_on=starts_on,
            percent=percent,
        )


def _months_owed(claim: Claim, *, through: dt.date) -> list[dt.date]:
    """The months up to ``through`` with days in ``claim``'s paid period and
    no gift paid yet."""
    period = _claim_period(claim)
    if period is None:
        return []
    paid = set(ClaimPayment.objects.filter(claim=claim).values_list("month", flat=True))
    return [
        month
        for month in period.months()
        if month <= through and month not in paid and period.days_in(month) > 0
    ]


def sick_claim_end(*, claim: Claim, actor: User, ends_on: dt.date) -> Claim:
    """The member is better: ``ends_on`` is the last sick day. The claimant
    or a coordinator says so (``not_allowed``). Gifts are owed up to that
    day; the claim stays ``ongoing`` until the run has paid the last month,
    then ``ended`` (at once when nothing more is owed). Refuses a claim no
    longer open (``claim_not_open``), an end before the start
    (``ends_before_start``) or more than a week ahead (``ends_in_future``),
    and an end inside a month already paid (``already_paid``: gifts are
    never taken back)."""
    fund = claim.fund
    _require_sick_pay(fund)
    if actor.pk != claim.claimant_id and not _is_coordinator(actor, fund):
        raise PermissionDenied(
            "Only the member or a coordinator can end a sick period.", code="not_allowed"
        )
    today = timezone.localdate()
    if ends_on > today + dt.timedelta(days=DAYS_AHEAD):
        raise ValidationFailed(
            f"Say when the sick period ends once it is near: at most {DAYS_AHEAD} days ahead.",
            code="ends_in_future",
            field="ends_on",
        )
    with transaction.atomic():
        Fund.objects.select_for_update().get(pk=fund.pk)
        locked = (
            Claim.objects.select_for_update(of=("self",)).select_related("rules").get(pk=claim.pk)
        )
        if locked.state not in Claim.LIVE_STATES:
            raise Conflict(
                f"This claim is no longer open ({locked.get_state_display().lower()}).",
                code="claim_not_open",
            )
        if locked.starts_on is not None and ends_on < locked.starts_on:
            raise ValidationFailed(
                f"The sick period started on {_day_name(locked.starts_on)}; it cannot end before.",
                code="ends_before_start",
                field="ends_on",
            )
        last_paid = (
            ClaimPayment.objects.filter(claim=locked, month__isnull=False)
            .order_by("-month")
            .values_list("month", flat=True)
            .first()
        )
        if last_paid is not None and ends_on < month_end(last_paid):
            raise Conflict(
                f"Sick pay for {_month_name(last_paid)} is paid already; the period ends on "
                f"{_day_name(month_end(last_paid))} at the earliest.",
                code="already_paid",
                field="ends_on",
            )
        locked.ends_on = ends_on
        fields: dict[str, object] = {"ends_on": ends_on}
        if locked.state == Claim.State.ONGOING and not _months_owed(locked, through=dt.date.max):
            fields["state"] = Claim.State.ENDED
        Claim.objects.filter(pk=locked.pk).update(**fields)
    locked.refresh_from_db()
    return locked


# --- The monthly run ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Gift:
    claim: Claim
    month: dt.date
    requested: int


def _gifts(
    claims: Sequence[Claim], tiers: dict[int, int], month: dt.date, currency: str
) -> list[_Gift]:
    gifts = []
    for claim in claims:
        period = _claim_period(claim)
        tier = tiers.get(claim.claimant_id)
        if period is None or tier is None or claim.percent is None:
            continue
        payout = payout_minor(_typed(claim.rules), tier, currency)
        for owed in _months_owed(claim, through=month):
            amount = gift_minor(
                payout_minor=payout,
                percent=claim.percent,
                covered_days=period.days_in(owed),
                month=owed,
            )
            if amount > 0:
                gifts.append(_Gift(claim=claim, month=owed, requested=amount))
    return gifts


def _run(fund: Fund, month: dt.date, today: dt.date) -> SickPayRun | None:
    """Pay ``month``'s gifts of ``fund`` once; None when already run."""
    currency = fund.currency
    # Every account the run may touch, opened (and committed) before any
    # lock is taken: see ``_deposit_accounts``.
    active = Participation.objects.filter(fund=fund, state=Participation.State.ACTIVE)
    for participation in active.select_related("fund__collective", "member__profile"):
        member_fund_account(participation, currency)
    for claim in Claim.objects.filter(fund=fund, state=Claim.State.ONGOING).select_related(
        "claimant__profile"
    ):
        member_account(fund.collective, claim.claimant, currency)
    with transaction.atomic():
        try:
            with transaction.atomic():
                run = SickPayRun.objects.create(fund=fund, month=month)
        except IntegrityError:
            return None  # another scheduler ran (or is running) this month
        Fund.objects.select_for_update().get(pk=fund.pk)
        claims = list(
            Claim.objects.select_for_update(of=("self",))
            .filter(fund=fund, state=Claim.State.ONGOING)
            .select_related("rules", "claimant__profile")
            .order_by("pk")
        )
        participations = list(
            Participation.objects.filter(fund=fund)
            .select_related("member__profile", "fund__collective")
            .order_by("pk")
        )
        tiers = {p.member_id: p.tier for p in participations if p.tier is not None}
        gifts = _gifts(claims, tiers, month, currency)
        receivers = {gift.claim.claimant_id for gift in gifts}
        givers = [
            p
            for p in participations
            if p.state == Participation.State.ACTIVE
            and p.member_id not in receivers
            and p.tier is not None
        ]
        giver_accounts = [member_fund_account(p, currency) for p in givers]
        payables = {
            claim.claimant_id: member_account(fund.collective, claim.claimant, currency)
            for claim in claims
            if claim.claimant_id in receivers
        }
        locked = _lock_accounts([*giver_accounts, *payables.values()])
        caps = [balance_minor(locked[account.pk]) for account in giver_accounts]
        rules = _rules_on_or_refuse(fund, month_end(month))
        weights = [deposit_minor(rules, p.tier or 0, currency) for p in givers]
        required = sum(gift.requested for gift in gifts)
        available = sum(caps)
        if required <= available:
            amounts = [gift.requested for gift in gifts]
        else:
            # Short: every gift this month gets the same share, available /
            # required, split exactly (largest remainder: each within one
            # minor unit of its exact share, together all that is held).
            amounts = [
                part.minor_units
                for part in allocate(
                    Money.from_minor(available, currency), [g.requested for g in gifts]
                )
            ]
        paid = 0
        for gift, amount in zip(gifts, amounts, strict=True):
            if amount == 0:
                continue
            money = Money.from_minor(amount, currency)
            shares = water_fill(money, weights, caps)
            lines = [
                Line(locked[account.pk], share)
                for account, share in zip(giver_accounts, shares, strict=True)
                if share.minor_units
            ]
            lines.append(Line(locked[payables[gift.claim.claimant_id].pk], -money))
            posted = transaction_post(
                lines=lines,
                memo=f"Sick pay for {_month_name(gift.month)} to "
                f"{gift.claim.claimant.display_name} (claim #{gift.claim.pk})",
                occurred_at=today,
                idempotency_key=f"mutual:gift:{gift.claim.pk}:{gift.month:%Y-%m}",
                kind="fund_payout",
                cause=gift.claim,
            )
            ClaimPayment.objects.create(
                claim=gift.claim,
                month=gift.month,
                amount_minor=amount,
                requested_minor=gift.requested,
                currency=currency,
                transaction=posted,
                paid_on=today,
            )
            Claim.objects.filter(pk=gift.claim.pk).update(paid_minor=F("paid_minor") + amount)
            caps = [cap - share.minor_units for cap, share in zip(caps, shares, strict=True)]
            paid += amount
        for claim in claims:
            period = _claim_period(claim)
            if period is not None and (period.empty or period.last <= month_end(month)):
                # The last day owed is paid (or there was none): the claim is over.
                Claim.objects.filter(pk=claim.pk, state=Claim.State.ONGOING).update(
                    state=Claim.State.ENDED
                )
        SickPayRun.objects.filter(pk=run.pk).update(
            required_minor=required, available_minor=available, paid_minor=paid
        )
        run.refresh_from_db()
        if paid < required:
            transaction.on_commit(partial(_tell_shortfall, run.pk))
    return run


def sick_pay_run(*, fund: Fund, month: dt.date) -> SickPayRun:
    """Pay the gifts for ``month`` (its first day), once it is over, and
    return the run's record; a month already run returns its record.

    For every ongoing claim, the gifts owed up to ``month`` (that month, and
    any earlier one never paid: a claim approved late, or reported late) are
    computed as the module says, from the claimant's tier and the claim's
    rules. They are drawn from the accounts of every other active member
    who receives no gift in this run, in proportion to their tier's deposit
    (under the rules in force at the month's end), never beyond an
    account's balance: an account that runs dry gives all it holds and the
    rest is spread over the others (``water_fill``). When the givers hold
    less than the gifts need, every gift is reduced by the same share and
    every participant is told by email. One ledger transaction per gift
    (kind ``fund_payout``), recorded as a ``ClaimPayment``. A claim whose
    last owed day is paid, or reached its longest duration, is ``ended``.

    Refuses a date that is not a month's 1st (``invalid_month``) and a month
    not over yet (``month_not_over``)."""
    _require_sick_pay(fund)
    _require_active(fund)
    if month.day != 1:
        raise ValidationFailed(
            "Name the month by its first day.", code="invalid_month", field="month"
        )
    today = timezone.localdate()
    if month_end(month) >= today:
        raise ValidationFailed(
            f"Sick pay for {_month_name(month)} is paid once the month is over, "
            f"from {_day_name(add_months(month, 1))}.",
            code="month_not_over",
            field="month",
        )
    return _run(fund, month, today) or SickPayRun.objects.get(fund=fund, month=month)


def sick_pay_runs_due(today: dt.date | None = None) -> int:
    """Run last month's sick pay for every active sick-pay fund not run yet
    (tick; on or after the 1st). Returns how many runs it made. A fund whose
    run fails is left for the next tick; the others still run, then the
    first failure is raised so that the tick reports it."""
    today = today or timezone.localdate()
    month = add_months(month_start(today), -1)
    done = 0
    crashes: list[Exception] = []
    funds = Fund.objects.filter(kind=Fund.Kind.SICK_PAY, state=Fund.State.ACTIVE).order_by("pk")
    for fund in funds.select_related("collective"):
        first_rules = (
            FundRules.objects.filter(fund=fund)
            .order_by("effective_from")
            .values_list("effective_from", flat=True)
            .first()
        )
        if first_rules is None or first_rules > month_end(month):
            continue  # no rules in force in that month: nothing can be owed for it
        if SickPayRun.objects.filter(fund=fund, month=month).exists():
            continue
        try:
            if _run(fund, month, today) is not None:
                done += 1
        except Exception as exc:  # one fund's failure must not stop the others' pay
            logger.exception("sick-pay run of fund %s for %s failed", fund.pk, month)
            crashes.append(exc)
    if crashes:
        raise crashes[0]
    return done


def _tell_shortfall(run_id: int) -> int:
    """Email every participant that this month's gifts were reduced (after
    commit; one message each, so no address is shown to another; a mail
    server down is logged, never raised into the tick)."""
    run = SickPayRun.objects.select_related("fund__collective").filter(pk=run_id).first()
    if run is None or not run.reduced:
        return 0
    fund = run.fund
    currency = fund.currency
    share = Fraction(run.paid_minor, run.required_minor) * 100 if run.required_minor else 0
    percent = f"{Decimal(share.numerator) / Decimal(share.denominator):.1f}" if share else "0"
    required = Money.from_minor(run.required_minor, currency)
    available = Money.from_minor(run.available_minor, currency)
    paid = Money.from_minor(run.paid_minor, currency)
    subject = (
        f"[{fund.collective.name}] Sick pay for {_month_name(run.month)} reduced to {percent} %"
    )
    body = (
        f"The sick-pay gifts for {_month_name(run.month)} needed {required.format()}, "
        f"but the members' accounts that give them held {available.format()}.\n\n"
        f"As the fund's rules say, every gift this month is reduced by the same share: "
        f"each member on sick leave receives {percent} % of their gift, "
        f"{paid.format()} in all.\n\n"
        "The fund's page shows the balances and the runway. More members, or higher "
        "tiers, make the fund stronger.\n"
    )
    sent = 0
    members = User.objects.filter(
        fund_participations__fund=fund,
        fund_participations__state=Participation.State.ACTIVE,
        is_active=True,
    ).order_by("pk")
    for user in members:
        try:
            send_mail(subject, body, None, [user.email])
        except Exception:  # a mail server down must not undo the payments
            logger.exception("could not tell %s about sick-pay run %s", user.pk, run.pk)
        else:
            sent += 1
    return sent


# --- The yearly buffer refund ---------------------------------------------------------------


def sick_pay_buffer_refunds(today: dt.date | None = None) -> int:
    """In the rules' ``refund_month``, give back to each active member what
    their account holds above ``buffer_multiple`` times their tier's
    deposit (tick; kind ``fund_refund``, to their payable). Once a year per
    member: the year's ``BufferRefund`` row is inserted before the money
    moves, and the amount is reckoned under the accounts' locks. Returns
    how many refunds it made."""
    today = today or timezone.localdate()
    done = 0
    funds = Fund.objects.filter(kind=Fund.Kind.SICK_PAY, state=Fund.State.ACTIVE).order_by("pk")
    for fund in funds.select_related("collective"):
        rules = _rules_on(fund, today)
        if rules is None or today.month != rules.refund_month:
            continue
        currency = fund.currency
        participations = (
            Participation.objects.filter(fund=fund, state=Participation.State.ACTIVE)
            .exclude(buffer_refunds__year=today.year)
            .select_related("member__profile", "fund__collective")
            .order_by("pk")
        )
        for participation in participations:
            if participation.tier is None:
                continue
            account = next(
                (a for a in member_fund_accounts(participation) if a.currency == currency), None
            )
            cap = rules.buffer_multiple * deposit_minor(rules, participation.tier, currency)
            if account is None or balance_minor(account) <= cap:
                continue
            payable = member_account(fund.collective, participation.member, currency)
            with transaction.atomic():
                try:
                    with transaction.atomic():
                        refund = BufferRefund.objects.create(
                            participation=participation,
                            year=today.year,
                            amount_minor=0,
                            currency=currency,
                        )
                except IntegrityError:
                    continue  # another scheduler refunds this one
                locked = _lock_accounts([account, payable])
                excess = balance_minor(locked[account.pk]) - cap
                if excess <= 0:
                    continue  # drawn down meanwhile; this year's check is done
                money = Money.from_minor(excess, currency)
                posted = transaction_post(
                    lines=[Line(locked[account.pk], money), Line(locked[payable.pk], -money)],
                    memo=f"Sick-pay account above its cap: {today.year} refund to "
                    f"{participation.member.display_name}",
                    occurred_at=today,
                    idempotency_key=f"mutual:refund:{refund.pk}",
                    kind="fund_refund",
                    cause=refund,
                )
                BufferRefund.objects.filter(pk=refund.pk).update(
                    amount_minor=excess, transaction=posted
                )
                done += 1
    return done
