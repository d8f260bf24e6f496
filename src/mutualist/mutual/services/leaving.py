"""A member who leaves the collective takes their own money out of its funds.

Bread-fund practice: what is in a member's own account (their sick-pay
deposits not yet given to others, their savings) is theirs, and goes with
them. Leaving the collective is not a tier change: it does not wait for the
sick-pay fund's set dates (those protect the group from members moving in
and out at will, which leaving the collective is not). So when a membership
ends (``collectives.signals.membership_left``, inside the same database
transaction), every active participation of the member in the collective's
funds is settled:

- each own account's balance is paid to what the collective owes the
  member (their payable), one transaction per participation, kind
  ``fund_exit``; the payout of their payable follows the usual way;
- the participation is marked left, and a pending tier change or exit is
  cancelled;
- an ongoing sick claim ends on the day they left; a sick claim not yet
  decided is withdrawn. Claims on pooled funds stand (a guarantee claim is
  about work already done), and are paid to the payable as usual.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from mutualist.billing.accounts import member_account
from mutualist.collectives.models import Membership
from mutualist.core.money import Money
from mutualist.ledger.models import Account, Transaction
from mutualist.ledger.services import Line, transaction_post
from mutualist.mutual.accounts import balance_minor, member_fund_accounts
from mutualist.mutual.models import Claim, Fund, Participation, ParticipationChange


def participations_settle_for_leaver(*, membership: Membership) -> int:
    """Settle ``membership``'s member's places in the collective's funds
    (see the module's docstring). Call inside the transaction that ends the
    membership. Returns how many participations it settled."""
    today = timezone.localdate(membership.left_at) if membership.left_at else timezone.localdate()
    member = membership.user
    settled = 0
    participations = (
        Participation.objects.select_for_update(no_key=True, of=("self",))
        .filter(
            fund__collective_id=membership.collective_id,
            member=member,
            state=Participation.State.ACTIVE,
        )
        .select_related("fund__collective", "member__profile")
        .order_by("pk")
    )
    for participation in participations:
        fund = participation.fund
        if fund.kind == Fund.Kind.SICK_PAY:
            _end_sick_claims(participation, today)
        ParticipationChange.objects.filter(
            participation=participation, state=ParticipationChange.State.PENDING
        ).update(state=ParticipationChange.State.CANCELLED)
        _pay_back(participation, today)
        Participation.objects.filter(pk=participation.pk).update(
            state=Participation.State.LEFT, left_on=today
        )
        settled += 1
    return settled


def _end_sick_claims(participation: Participation, today: dt.date) -> None:
    claims = Claim.objects.filter(fund=participation.fund, claimant=participation.member)
    note = "The member left the collective."
    claims.filter(state=Claim.State.SUBMITTED).update(
        state=Claim.State.WITHDRAWN, decided_at=timezone.now(), decision_note=note
    )
    # Gifts stop the day they left; a period that had not started yet ends unpaid.
    claims.filter(state=Claim.State.ONGOING).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gt=today)
    ).update(ends_on=today)
    claims.filter(state=Claim.State.ONGOING, starts_on__gt=today).update(
        ends_on=None, state=Claim.State.WITHDRAWN, decision_note=note
    )


def _pay_back(participation: Participation, today: dt.date) -> None:
    fund = participation.fund
    accounts = member_fund_accounts(participation)
    payables = {
        account.pk: member_account(fund.collective, participation.member, account.currency)
        for account in accounts
    }
    keys = sorted({a.pk for a in accounts} | {p.pk for p in payables.values()})
    locked = {
        a.pk: a for a in Account.objects.select_for_update().filter(pk__in=keys).order_by("pk")
    }
    lines: list[Line] = []
    for account in accounts:
        held = balance_minor(locked[account.pk])
        if held > 0:
            amount = Money.from_minor(held, account.currency)
            lines += [
                Line(locked[account.pk], amount),
                Line(locked[payables[account.pk].pk], -amount),
            ]
    if lines:
        # One settlement per time the member leaves: a member readmitted and
        # leaving again is settled again, under a key of its own.
        prefix = f"mutual:leaver:{participation.pk}:"
        settled_before = Transaction.objects.filter(idempotency_key__startswith=prefix).count()
        transaction_post(
            lines=lines,
            memo=(
                f"{participation.member.display_name} left the collective: their "
                f"{fund.get_kind_display().lower()} balance goes back to them"
            ),
            occurred_at=today,
            idempotency_key=f"{prefix}{settled_before}",
            kind="fund_exit",
            cause=participation,
        )
