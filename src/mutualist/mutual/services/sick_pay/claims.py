"""Sick claims: reporting a sick period (``sick_claim_submit``) and
saying when it ended (``sick_claim_end``), and the days and months a
claim's gifts cover."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from mutualist.core.errors import Conflict, PermissionDenied, ValidationFailed
from mutualist.members.models import User
from mutualist.mutual.models import Claim, ClaimPayment, Fund, Participation
from mutualist.mutual.services.claims import claim_create
from mutualist.mutual.services.funds import require_member
from mutualist.mutual.services.sick_pay.dates import (
    PaidPeriod,
    _day_name,
    _month_name,
    month_end,
    paid_period,
)
from mutualist.mutual.services.sick_pay.membership import _is_coordinator
from mutualist.mutual.services.sick_pay.rules import _require_active, _require_sick_pay, _typed

# A sick period can be reported up to a week before it starts (a planned
# operation), not further ahead: a later report is a guess.
DAYS_AHEAD = 7
PERCENTS = (50, 100)


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
        Fund.objects.select_for_update(no_key=True).get(pk=fund.pk)
        participation = (
            Participation.objects.select_for_update(no_key=True)
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
        Fund.objects.select_for_update(no_key=True).get(pk=fund.pk)
        locked = (
            Claim.objects.select_for_update(no_key=True, of=("self",))
            .select_related("rules")
            .get(pk=claim.pk)
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
        # Moving the end later must not reach into another sick period of the
        # member's (reported after this one was ended): the days would be
        # paid twice.
        later = (
            Claim.objects.filter(
                fund=fund,
                claimant_id=locked.claimant_id,
                state__in=[*Claim.LIVE_STATES, Claim.State.ENDED],
                starts_on__gt=locked.starts_on,
                starts_on__lte=ends_on,
            )
            .exclude(pk=locked.pk)
            .order_by("starts_on")
            .first()
        )
        if later is not None and later.starts_on is not None:
            raise Conflict(
                f"Your claim #{later.pk} covers a sick period from {_day_name(later.starts_on)}; "
                "this one ends before it, or the same days would be paid twice.",
                code="claim_overlaps",
                field="ends_on",
            )
        locked.ends_on = ends_on
        fields: dict[str, object] = {"ends_on": ends_on}
        if locked.state == Claim.State.ONGOING and not _months_owed(locked, through=dt.date.max):
            fields["state"] = Claim.State.ENDED
        Claim.objects.filter(pk=locked.pk).update(**fields)
    locked.refresh_from_db()
    return locked
