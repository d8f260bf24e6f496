"""The monthly deposits: each participant's deposit for the month, from
their payable into their own sick-pay account (tick), and the retry of
deposits in arrears."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from mutualist.billing.accounts import member_account
from mutualist.core.money import Money
from mutualist.ledger.models import Account
from mutualist.ledger.services import Line, WouldGoNegative, transaction_post
from mutualist.mutual.accounts import member_fund_account
from mutualist.mutual.models import Claim, Deposit, Fund, Participation
from mutualist.mutual.services.sick_pay.claims import _claim_period
from mutualist.mutual.services.sick_pay.dates import (
    _month_name,
    deposit_minor,
    month_end,
    month_start,
)
from mutualist.mutual.services.sick_pay.membership import sick_pay_changes_apply
from mutualist.mutual.services.sick_pay.rules import _rules_on

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
