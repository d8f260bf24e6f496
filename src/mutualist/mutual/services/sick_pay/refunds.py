"""The yearly buffer refund: what a member's sick-pay account holds
above its cap goes back to them once a year (tick)."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from mutualist.billing.accounts import member_account
from mutualist.core.money import Money
from mutualist.ledger.services import Line, transaction_post
from mutualist.mutual.accounts import balance_minor, member_fund_accounts
from mutualist.mutual.models import BufferRefund, Fund, Participation
from mutualist.mutual.services.sick_pay.dates import deposit_minor
from mutualist.mutual.services.sick_pay.membership import _lock_accounts
from mutualist.mutual.services.sick_pay.rules import _rules_on

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
