"""Savings: a share of each member's part of every client payment goes into
the member's own savings account; they take it back with a withdrawal.

The money is never pooled: each member has their own account in each
currency they were paid in (``Liabilities:...:Funds:Savings:<Member>:<CUR>``,
owned by their ``Participation``, opened on the first saving). Billing asks
the savings diverter (``savings_divert``, registered with order 20, after the
guarantee's refills) how much of a member's part to send there: ``percent``
of what is left of it, by the rules in force on the payment's day, rounded
DOWN to the currency's minor unit, so a member is never saved more than the
rules say and the rest of the part (the unit dropped included) reaches their
payable.

A withdrawal (``savings_withdraw``) is a claim approved automatically by the
rules and paid at once, from the member's savings account into their
payable: never more than the account holds, at most ``withdrawals_per_year``
in any twelve months.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone

from mutualist.billing.accounts import member_account
from mutualist.billing.recipients import Diversion, share_diverter_register
from mutualist.collectives.models import Membership
from mutualist.core.errors import Conflict, ValidationFailed
from mutualist.core.money import Money
from mutualist.ledger.models import Account
from mutualist.ledger.services import Line
from mutualist.members.models import User
from mutualist.mutual.accounts import balance_minor, member_fund_account, member_fund_accounts
from mutualist.mutual.models import Claim, Fund, Participation
from mutualist.mutual.rules import SavingsRules, rules_for
from mutualist.mutual.services.claims import (
    PayoutPlan,
    claim_create,
    payout_kind_register,
)
from mutualist.mutual.services.funds import require_member, rules_in_force

if TYPE_CHECKING:
    from mutualist.billing.models import Invoice

HUNDRED = Decimal(100)
REASON = "savings"
DIVERTER_ORDER = 20
# Withdrawals that count against ``withdrawals_per_year``: any not taken back.
COUNTED_STATES = ("submitted", "approved", "paid")


def _months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` earlier (the month's last day when it has none)."""
    years, index = divmod(day.month - 1 - months, 12)
    year, month = day.year + years, index + 1
    for candidate in range(day.day, 27, -1):
        try:
            return dt.date(year, month, candidate)
        except ValueError:
            continue
    return dt.date(year, month, min(day.day, 28))


# --- Saving ----------------------------------------------------------------------------------


def savings_fund(collective_id: int) -> Fund | None:
    """The collective's savings fund when it is active."""
    return Fund.objects.filter(
        collective_id=collective_id, kind=Fund.Kind.SAVINGS, state=Fund.State.ACTIVE
    ).first()


def participation_for(*, fund: Fund, member: User, on: dt.date) -> Participation:
    """The member's place in the savings fund, opened on their first saving.

    Race-safe: two payments for one member at once both end up with the
    same row (the second insert waits for the first and, refused by
    ``mutual_participation_once``, reads it)."""
    found = Participation.objects.filter(fund=fund, member=member).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return Participation.objects.create(fund=fund, member=member, joined_on=on)
    except IntegrityError:
        return Participation.objects.get(fund=fund, member=member)


def saving_of(amount: Money, percent: Decimal) -> Money:
    """``percent`` % of ``amount``, rounded down to the currency's minor unit."""
    minor = (Decimal(amount.minor_units) * percent / HUNDRED).to_integral_value(rounding=ROUND_DOWN)
    return Money.from_minor(int(minor), amount.currency)


def savings_divert(
    *, invoice: Invoice, member: User, amount: Money, on: dt.date
) -> list[Diversion]:
    """Billing's share diverter: the part of ``member``'s ``amount`` (what is
    left of their part of a payment on ``invoice``) that goes into their
    savings, when the collective's savings fund is active and its rules in
    force on the payment's day (``on``)
    save more than nothing. Called inside ``payment_record``'s transaction,
    under the invoice's row lock."""
    fund = savings_fund(invoice.collective_id)
    if fund is None or amount.amount <= 0:
        return []
    day = on
    version = rules_in_force(fund=fund, on=day)
    if version is None:
        return []
    rules = rules_for(fund.kind, version.rules)
    assert isinstance(rules, SavingsRules)  # noqa: S101 -- the fund's kind
    saved = saving_of(amount, rules.percent)
    if saved.is_zero():
        return []
    participation = participation_for(fund=fund, member=member, on=day)
    if participation.state != Participation.State.ACTIVE:
        # They left (and took their savings). Readmitted since, they save
        # again from this payment; a payment for work done before they
        # left saves nothing.
        if not Membership.objects.filter(
            collective_id=fund.collective_id, user=member, state=Membership.State.ACTIVE
        ).exists():
            return []
        Participation.objects.filter(pk=participation.pk).update(
            state=Participation.State.ACTIVE, left_on=None, joined_on=day
        )
        participation.refresh_from_db()
    account = member_fund_account(participation, amount.currency)
    return [Diversion(account=account, amount=saved, reason=REASON)]


# --- Withdrawing -----------------------------------------------------------------------------


def _participation_of(claim: Claim) -> Participation:
    return Participation.objects.select_related("fund__collective", "member__profile").get(
        fund_id=claim.fund_id, member_id=claim.claimant_id
    )


def _source(claim: Claim) -> Account:
    """Where a withdrawal is paid from: the claimant's own savings account."""
    return member_fund_account(_participation_of(claim), claim.currency)


def _plan(claim: Claim, amount: Money) -> PayoutPlan:
    """Dr the member's savings account, Cr their payable."""
    participation = _participation_of(claim)
    return PayoutPlan(
        lines=[
            Line(member_fund_account(participation, amount.currency), amount),
            Line(member_account(claim.collective, participation.member, amount.currency), -amount),
        ],
        memo=f"Savings withdrawal for {participation.member.display_name} (claim #{claim.pk})",
    )


def savings_balance(*, fund: Fund, member: User) -> list[Money]:
    """What ``member`` holds in ``fund``, one ``Money`` per currency they
    were ever saved in (currency order); empty before their first saving."""
    participation = Participation.objects.filter(fund=fund, member=member).first()
    if participation is None:
        return []
    return [
        Money.from_minor(balance_minor(account), account.currency)
        for account in member_fund_accounts(participation)
    ]


def _require_kind(fund: Fund) -> None:
    if fund.kind != Fund.Kind.SAVINGS:
        raise ValidationFailed(
            "Savings are withdrawn from the savings fund.", code="wrong_fund", field="fund"
        )


def _reserved_minor(*, fund: Fund, member: User, currency: str) -> int:
    """What approved withdrawals not yet paid hold on the member's account."""
    return sum(
        Claim.objects.filter(
            fund=fund, claimant=member, currency=currency, state=Claim.State.APPROVED
        ).values_list("reserved_minor", flat=True)
    )


def savings_withdraw(*, fund: Fund, member: User, amount: Money, reason: str = "") -> Claim:
    """Take ``amount`` out of the member's savings into their payable: a
    claim approved by the rules and paid at once.

    Refuses, changing nothing: a fund of another kind (``wrong_fund``), a
    member who is not active (``not_a_member``), a fund not active
    (``fund_not_active``), an amount of zero or less (``invalid_amount``), a
    currency the member holds no savings in (``no_savings_in_currency``),
    more than the account holds (``beyond_balance``), and more than
    ``withdrawals_per_year`` withdrawals in the last twelve months
    (``too_many_withdrawals``). Two withdrawals at once are served one after
    the other under the fund's row lock, so together they never take more
    than the balance."""
    _require_kind(fund)
    require_member(collective=fund.collective, user=member)
    if fund.state != Fund.State.ACTIVE:
        raise Conflict(
            "The savings fund takes no withdrawals until its members vote its rules in.",
            code="fund_not_active",
        )
    if not isinstance(amount, Money):
        raise TypeError("A withdrawal is Money.")
    if amount.amount <= 0:
        raise ValidationFailed(
            "A withdrawal is for an amount above zero.", code="invalid_amount", field="amount"
        )
    on = timezone.localdate()
    with transaction.atomic():
        # The fund's row lock first, as every claims path takes it: this
        # member's balance, reservations and count are read after any
        # withdrawal running at the same moment has been booked.
        Fund.objects.select_for_update(no_key=True).get(pk=fund.pk)
        participation = Participation.objects.filter(fund=fund, member=member).first()
        # Read under the lock: the balance as the last withdrawal left it.
        held = {
            account.currency: account
            for account in (member_fund_accounts(participation) if participation else [])
        }
        account = held.get(amount.currency)
        if account is None:
            raise ValidationFailed(
                f"You hold no savings in {amount.currency}.",
                code="no_savings_in_currency",
                field="amount",
            )
        version = rules_in_force(fund=fund, on=on)
        if version is not None:
            rules = rules_for(fund.kind, version.rules)
            assert isinstance(rules, SavingsRules)  # noqa: S101 -- the fund's kind
            since = _months_before(on, 12)
            taken = Claim.objects.filter(
                fund=fund, claimant=member, state__in=COUNTED_STATES, claim_date__gt=since
            ).count()
            if taken >= rules.withdrawals_per_year:
                raise Conflict(
                    f"At most {rules.withdrawals_per_year} withdrawals in twelve months; you "
                    f"have made {taken} since {since.isoformat()}.",
                    code="too_many_withdrawals",
                    field="amount",
                )
        available = balance_minor(account) - _reserved_minor(
            fund=fund, member=member, currency=amount.currency
        )
        if amount.minor_units > available:
            most = Money.from_minor(max(available, 0), amount.currency)
            raise Conflict(
                f"Your savings hold {most}; you cannot withdraw {amount}.",
                code="beyond_balance",
                field="amount",
            )
        claim = claim_create(
            fund=fund,
            claimant=member,
            claim_date=on,
            reason=reason,
            disclosure=Claim.Disclosure.NAME_ONLY,
            currency=amount.currency,
            amount_minor=amount.minor_units,
        )
    claim.refresh_from_db()
    return claim


# --- Wiring ----------------------------------------------------------------------------------


def register() -> None:
    """Plug savings into billing (the share diverter) and into claims (how a
    withdrawal is paid). Called once at start-up; idempotent."""
    share_diverter_register("savings", savings_divert, order=DIVERTER_ORDER)
    payout_kind_register("savings", source=_source, plan=_plan, own_account=True)


__all__ = [
    "participation_for",
    "register",
    "saving_of",
    "savings_balance",
    "savings_divert",
    "savings_withdraw",
]
