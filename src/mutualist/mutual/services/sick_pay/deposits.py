"""The monthly deposits: each participant's deposit for the month, from
their payable into their own sick-pay account (tick), and the retry of
deposits in arrears."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_CEILING, Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone

from mutualist.billing.accounts import member_account
from mutualist.core.errors import ValidationFailed
from mutualist.core.money import Money
from mutualist.core.reference import currency_exponent
from mutualist.ledger.models import Account
from mutualist.ledger.services import (
    Line,
    WouldGoNegative,
    account_name_for,
    exchange_rate_find,
    trading_account,
    transaction_post,
)
from mutualist.members.models import User
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
    holding the deposit's row (just inserted, or locked).

    A member paid in other currencies (a Manila freelancer with clients in
    Sydney earns AUD; the fund deposits pesos) is not left in arrears while
    their balance in another currency covers it: when the payable in the
    fund's currency falls short, the deposit is taken from their payable in
    another currency (in currency order, the first that covers it) at the
    rate on record for ``today``, as one transaction through the trading
    accounts, rounded up to that currency's minor unit so the fund is never
    short. A currency with no rate on record is not used."""
    amount = Money.from_minor(deposit.amount_minor, deposit.currency)
    member = deposit.participation.member
    memo = f"Sick-pay deposit for {_month_name(deposit.month)} by {member.display_name}"
    plans: list[tuple[list[Line], Decimal | None, str]] = [
        ([Line(payable, amount), Line(account, -amount)], None, "")
    ]
    plans += _converted_plans(deposit, payable, account, amount, today)
    for lines, rate, source in plans:
        try:
            with transaction.atomic():
                posted = transaction_post(
                    lines=lines,
                    memo=memo if rate is None else f"{memo} (converted at {rate})",
                    occurred_at=today,
                    idempotency_key=f"mutual:deposit:{deposit.pk}",
                    kind="fund_deposit",
                    cause=deposit,
                    fx_rate=rate,
                    fx_rate_source=source,
                )
                return bool(
                    Deposit.objects.filter(pk=deposit.pk, state=Deposit.State.ARREARS).update(
                        state=Deposit.State.PAID, transaction=posted, paid_at=timezone.now()
                    )
                )
        except WouldGoNegative:
            continue
    return False  # stays in arrears; the next tick tries again


def _converted_plans(
    deposit: Deposit, payable: Account, account: Account, amount: Money, today: dt.date
) -> list[tuple[list[Line], Decimal | None, str]]:
    """The deposit taken from each of the member's other payables that holds
    enough at the rate on record (see ``_deposit_post``)."""
    participation = deposit.participation
    collective = participation.fund.collective
    others = (
        Account.objects.filter(
            collective=collective,
            owner_type=ContentType.objects.get_for_model(User),
            owner_id=participation.member_id,
            owner_kind=Account.OwnerKind.MEMBER,
            name__startswith=account_name_for(collective, Account.Type.LIABILITIES, "Members")
            + ":",
            balance_minor__lt=0,
        )
        .exclude(currency=amount.currency)
        .order_by("currency")
    )
    plans: list[tuple[list[Line], Decimal | None, str]] = []
    for other in others:
        try:
            quote = exchange_rate_find(
                base=other.currency, quote=amount.currency, on=today, collective=collective
            )
        except ValidationFailed:
            continue
        step = Decimal(1).scaleb(-currency_exponent(other.currency))
        taken = Money(
            (amount.amount / quote.rate).quantize(step, rounding=ROUND_CEILING), other.currency
        )
        if taken.is_zero() or taken.minor_units > -other.balance_minor:
            continue
        plans.append(
            (
                [
                    Line(other, taken),
                    Line(trading_account(collective, other.currency), -taken),
                    Line(trading_account(collective, amount.currency), amount),
                    Line(account, -amount),
                ],
                quote.rate,
                quote.source[:200],
            )
        )
    return plans


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
                Deposit.objects.select_for_update(no_key=True, of=("self",))
                .filter(pk=deposit.pk, state=Deposit.State.ARREARS)
                .select_related("participation__member")
                .first()
            )
            if locked is not None and _deposit_post(locked, payable, account, today):
                done += 1
    return done
