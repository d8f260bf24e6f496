"""Joining the sick-pay fund, changing tier and leaving it (on set
dates), cancelling a pending change, and the tick that applies due
changes (an exit pays the member's balance back). Also the account locks
the other modules share (``_lock_accounts``)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone

from mutualist.billing.accounts import member_account
from mutualist.collectives.models import Membership
from mutualist.core.errors import Conflict, PermissionDenied, ValidationFailed
from mutualist.core.money import Money
from mutualist.ledger.models import Account
from mutualist.ledger.services import Line, transaction_post
from mutualist.members.models import User
from mutualist.mutual.accounts import balance_minor, member_fund_accounts
from mutualist.mutual.models import Claim, Fund, Participation, ParticipationChange
from mutualist.mutual.rules import SickPayRules
from mutualist.mutual.services.funds import require_member
from mutualist.mutual.services.sick_pay.dates import _day_name, next_change_date
from mutualist.mutual.services.sick_pay.rules import (
    _require_active,
    _require_sick_pay,
    _rules_on,
    _rules_on_or_refuse,
    _validate_tier,
)

# The package's name, as before it was split into modules: its log lines
# keep the one logger name that log filters and alerts match.
logger = logging.getLogger(__package__)


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
        Fund.objects.select_for_update(no_key=True).get(pk=fund.pk)
        existing = Participation.objects.select_for_update(no_key=True).filter(
            fund=fund, member=member
        )
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
        locked = Participation.objects.select_for_update(no_key=True).get(pk=participation.pk)
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
            Fund.objects.select_for_update(no_key=True).get(pk=fund_id)
            participation = (
                Participation.objects.select_for_update(no_key=True, of=("self",))
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
