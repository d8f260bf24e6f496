"""The monthly sick-pay run: the gifts owed for a month that is over,
drawn from the givers' accounts (``sick_pay_run``, and the tick
``sick_pay_runs_due``), and the email when they were reduced. The gift
arithmetic is the package's (``sick_pay.__init__``), computed in
``dates``."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import partial

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from mutualist.billing.accounts import member_account
from mutualist.core.errors import ValidationFailed
from mutualist.core.money import Money, allocate
from mutualist.ledger.services import Line, transaction_post
from mutualist.members.models import User
from mutualist.mutual.accounts import balance_minor, member_fund_account
from mutualist.mutual.models import Claim, ClaimPayment, Fund, FundRules, Participation, SickPayRun
from mutualist.mutual.services.sick_pay.claims import _claim_period, _months_owed
from mutualist.mutual.services.sick_pay.dates import (
    _day_name,
    _month_name,
    add_months,
    deposit_minor,
    gift_minor,
    month_end,
    month_start,
    payout_minor,
    water_fill,
)
from mutualist.mutual.services.sick_pay.membership import _lock_accounts
from mutualist.mutual.services.sick_pay.rules import (
    _require_active,
    _require_sick_pay,
    _rules_on_or_refuse,
    _typed,
)

# The package's name, as before it was split into modules: its log lines
# keep the one logger name that log filters and alerts match.
logger = logging.getLogger(__package__)


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
        Fund.objects.select_for_update(no_key=True).get(pk=fund.pk)
        claims = list(
            Claim.objects.select_for_update(no_key=True, of=("self",))
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
                # Reduced to nothing like every gift this month: the month is
                # settled at zero, not paid in full by a later run.
                ClaimPayment.objects.create(
                    claim=gift.claim,
                    month=gift.month,
                    amount_minor=0,
                    requested_minor=gift.requested,
                    currency=currency,
                    transaction=None,
                    paid_on=today,
                )
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
