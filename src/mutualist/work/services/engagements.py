"""Engagements: the work a collective does for a client, its team and status.

An engagement is born ``pending`` from an accepted pitch and becomes
``active`` only when both parties have accepted its agreement's latest
version (``agreements.agreement_accept``). Coordinators then pause and
resume it, or end it (ending is final and dates it); a pending engagement
may be ended too, for an agreement that will never be accepted, but never
made active by hand.

What the client pays per hour of a member's work (the bill rate) and their
weekly hours are in the written agreement, so changing either, adding a
member or removing one creates the agreement's next version, which both
sides accept again; the seats change only then (``agreement_accept``), and
until then the version accepted before stays in force. A proposal made
while another is pending builds on it and supersedes it. A pay rate is between the collective and the member and
is not in the agreement: changing it alone makes no new version.

Every change takes the engagement's row lock first (as the agreement
services do), then changes seats with conditional updates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from mutualist.core.errors import Conflict, ValidationFailed
from mutualist.core.money import Money
from mutualist.members.models import Skill, User
from mutualist.work.coverage import HourWindow, hour_windows_parse
from mutualist.work.models import (
    Agreement,
    Engagement,
    EngagementMember,
    EngagementShift,
    JobRole,
    Pitch,
)
from mutualist.work.selectors.pitches import (
    engagement_start,
    engagement_team_proposed,
    pitch_team,
)
from mutualist.work.services.agreements import agreement_create
from mutualist.work.services.pitches import (
    active_members_of,
    coordinator_only,
    member_resolve,
    rate_parse,
    shifts_outside,
    team_members_active,
    text_clean,
)

Status = Engagement.Status
# Where a coordinator may take an engagement from each status.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.PENDING: (Status.ENDED,),
    Status.ACTIVE: (Status.PAUSED, Status.ENDED),
    Status.PAUSED: (Status.ACTIVE, Status.ENDED),
    Status.ENDED: (),
}


def engagement_create_from_pitch(*, pitch: Pitch, now: dt.datetime) -> Engagement:
    """The engagement an accepted pitch becomes (call from ``pitch_accept``,
    inside its transaction): ``pending``, starting on the job's start date
    (or today if that has passed), in the job's currency and time zone, on
    the pitch's payment terms; one seat per team line, billed at the role's
    bill rate, paid the line's pay rate, capped at the line's hours a week
    (the shifts' wall-clock hours, or the flexible hours), with the line's
    shifts. Refuses a team naming someone who has left the collective
    (``team_member_left``): the caller's transaction then writes nothing."""
    job = pitch.job
    team = pitch_team(pitch=pitch)
    team_members_active(pitch.collective_id, [line.user for line in team.lines])
    users = [line.user.pk for line in team.lines]
    if len(users) != len(set(users)):
        raise Conflict(
            "A member is on two roles of this pitch; an engagement seat has one rate.",
            code="member_on_two_roles",
        )
    engagement = Engagement.objects.create(
        collective_id=pitch.collective_id,
        client_id=job.client_id,
        job=job,
        pitch=pitch,
        title=job.title,
        currency=pitch.currency,
        timezone=job.timezone,
        payment_terms_days=pitch.payment_terms_days,
        payment_method=pitch.payment_method,
        status=Status.PENDING,
        starts_on=engagement_start(job),
        created_at=now,
    )
    for line in team.lines:
        seat = EngagementMember.objects.create(
            engagement=engagement,
            user=line.user,
            role_title=str(line.job_role)[:80],
            skill_id=line.job_role.skill_id,
            bill_rate_minor=team.rates[line.job_role.pk].minor_units,
            pay_rate_minor=line.pay_rate.minor_units,
            weekly_cap_hours=line.weekly_hours,
            joined_at=now,
        )
        EngagementShift.objects.bulk_create(
            EngagementShift(
                member=seat, weekday=s.weekday, start_hour=s.start_hour, end_hour=s.end_hour
            )
            for s in line.shifts
        )
    return engagement


def _lock(engagement: Engagement) -> Engagement:
    return Engagement.objects.select_for_update().get(pk=engagement.pk)


def _not_ended(engagement: Engagement) -> None:
    if engagement.status == Status.ENDED:
        raise Conflict("This engagement has ended.", code="engagement_ended")


def engagement_set_status(*, engagement: Engagement, by: User, status: str) -> Engagement:
    """Pause, resume or end an engagement (coordinators).

    active <-> paused; active, paused or pending -> ended (dated today in the
    engagement's time zone; final). A pending engagement becomes active only
    through its agreement (``status_change_not_allowed``).
    """
    coordinator_only(by, engagement.collective_id, thing="engagement")
    if status not in Status.values:
        raise ValidationFailed(
            "The status is active, paused or ended.",
            code="invalid_engagement_status",
            field="status",
        )
    with transaction.atomic():
        current = _lock(engagement).status
        if status not in TRANSITIONS[current]:
            raise Conflict(
                _refusal(current, status), code="status_change_not_allowed", field="status"
            )
        changes: dict[str, object] = {"status": status}
        if status == Status.ENDED:
            changes["ended_on"] = timezone.now().astimezone(ZoneInfo(engagement.timezone)).date()
        if not Engagement.objects.filter(pk=engagement.pk, status=current).update(**changes):
            raise Conflict("The engagement changed meanwhile.", code="status_change_not_allowed")
    engagement.refresh_from_db()
    return engagement


def _refusal(current: str, wanted: str) -> str:
    if current == Status.ENDED:
        return "An ended engagement stays ended."
    if wanted == Status.ACTIVE and current == Status.PENDING:
        return "A pending engagement becomes active when both sides accept its agreement."
    if current == wanted:
        return f"The engagement is already {current}."
    return f"A {current} engagement cannot become {wanted}."


def _cap(value: object, *, field: str = "weekly_cap_hours") -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 168:
        return value
    raise ValidationFailed(
        "The weekly cap is a whole number of hours from 1 to 168.",
        code="invalid_weekly_cap",
        field=field,
    )


def _pay_not_above_bill(pay: Money, bill: Money) -> None:
    if pay > bill:
        raise ValidationFailed(
            f"The pay rate ({pay}) is above the bill rate ({bill}).",
            code="pay_above_bill",
            field="pay_rate",
        )


def _on_team(team: list[dict[str, Any]], seat: EngagementMember) -> dict[str, Any]:
    for proposed in team:
        if proposed["user_id"] == seat.user_id:
            return proposed
    raise Conflict(f"{seat.user.display_name} has left this engagement.", code="seat_left")


def _cap_covers_shifts(cap: int, shifts: Sequence[HourWindow], *, field: str) -> None:
    """The agreement states each seat's hours a week and prices them: a cap
    below the seat's own shifts would understate both."""
    hours = sum(window.hours for window in shifts)
    if cap < hours:
        raise ValidationFailed(
            f"The shifts come to {hours} h a week; the weekly cap ({cap} h) cannot be less.",
            code="cap_below_shifts",
            field=field,
        )


def _shifts_in_coverage(engagement: Engagement, shifts: Sequence[HourWindow]) -> None:
    """Shifts on an engagement from a job fall inside the job's coverage
    hours (any of its coverage roles), as a pitch's shifts must."""
    if engagement.job_id is None or not shifts:
        return
    coverage = [
        HourWindow(w.weekday, w.start_hour, w.end_hour)
        for role in JobRole.objects.filter(job_id=engagement.job_id).prefetch_related("coverage")
        for w in role.coverage.all()
    ]
    if not coverage:
        return
    outside = shifts_outside(shifts, coverage)
    if outside:
        hours = ", ".join(window.label() for window in sorted(coverage))
        raise ValidationFailed(
            f"{', '.join(outside)}: outside the job's coverage hours ({hours}).",
            code="shift_outside_coverage",
            field="shifts",
        )


def engagement_member_update(
    *,
    seat: EngagementMember,
    by: User,
    pay_rate: object = None,
    bill_rate: object = None,
    weekly_cap_hours: object = None,
) -> EngagementMember:
    """Change a seat's pay rate, bill rate or weekly cap (coordinators); what
    is ``None`` stays. A new bill rate or cap is proposed in the agreement's
    next version (the agreement states both) and reaches the seat only when
    both parties accept it; a pay rate is not in the agreement and changes
    at once. Returns the seat as it now is."""
    engagement = seat.engagement
    coordinator_only(by, engagement.collective_id, thing="engagement")
    currency = engagement.currency
    with transaction.atomic():
        locked = _lock(engagement)
        _not_ended(locked)
        current = EngagementMember.objects.get(pk=seat.pk)
        if current.left_at is not None:
            raise Conflict(f"{seat.user.display_name} has left this engagement.", code="seat_left")
        team = engagement_team_proposed(engagement=locked)
        proposed = _on_team(team, seat)
        pay = (
            rate_parse(pay_rate, currency, field="pay_rate")
            if pay_rate is not None
            else Money.from_minor(current.pay_rate_minor, currency)
        )
        bill = (
            rate_parse(bill_rate, currency, field="bill_rate")
            if bill_rate is not None
            else Money.from_minor(proposed["bill_rate_minor"], currency)
        )
        cap = (
            _cap(weekly_cap_hours)
            if weekly_cap_hours is not None
            else int(proposed["weekly_cap_hours"])
        )
        _pay_not_above_bill(pay, bill)
        _pay_not_above_bill(pay, Money.from_minor(current.bill_rate_minor, currency))
        shifts = [HourWindow(day, start, end) for day, start, end in proposed["shifts"]]
        _cap_covers_shifts(cap, shifts, field="weekly_cap_hours")
        if pay.minor_units != current.pay_rate_minor and not EngagementMember.objects.filter(
            pk=seat.pk, left_at__isnull=True
        ).update(pay_rate_minor=pay.minor_units):
            raise Conflict(f"{seat.user.display_name} has left this engagement.", code="seat_left")
        if bill.minor_units != proposed["bill_rate_minor"] or cap != proposed["weekly_cap_hours"]:
            proposed["bill_rate_minor"] = bill.minor_units
            proposed["weekly_cap_hours"] = cap
            if pay_rate is not None:
                proposed["pay_rate_minor"] = pay.minor_units
            agreement_create(engagement=locked, by=by, seats=team)
    seat.refresh_from_db()
    return seat


def engagement_member_add(
    *,
    engagement: Engagement,
    by: User,
    member: int | str,
    role_title: str,
    bill_rate: object,
    pay_rate: object,
    weekly_cap_hours: int,
    skill: str | None = None,
    shifts: Sequence[Mapping[str, object]] = (),
) -> Agreement:
    """Propose an active member of the collective for the team
    (coordinators), with shifts in the engagement's time zone if they have
    any (inside the job's coverage hours, ``shift_outside_coverage``; the
    cap at least their hours, ``cap_below_shifts``). Makes the agreement's
    next version, returned; the member is seated when both parties accept
    it. Someone who left comes back on their old seat, its history and
    first ``joined_at`` kept."""
    coordinator_only(by, engagement.collective_id, thing="engagement")
    currency = engagement.currency
    user = member_resolve(member, active_members_of(engagement.collective_id), field="member")
    title = text_clean(role_title, field="role_title", max_length=80, required=True)
    bill = rate_parse(bill_rate, currency, field="bill_rate")
    pay = rate_parse(pay_rate, currency, field="pay_rate")
    _pay_not_above_bill(pay, bill)
    cap = _cap(weekly_cap_hours)
    skill_row = None
    if skill:
        skill_row = Skill.objects.filter(slug=skill).first()
        if skill_row is None:
            raise ValidationFailed(f"Unknown skill {skill!r}.", code="unknown_skill", field="skill")
    windows = hour_windows_parse(shifts, field="shifts")
    _cap_covers_shifts(cap, windows, field="weekly_cap_hours")
    _shifts_in_coverage(engagement, windows)
    with transaction.atomic():
        locked = _lock(engagement)
        _not_ended(locked)
        team = engagement_team_proposed(engagement=locked)
        if any(proposed["user_id"] == user.pk for proposed in team):
            raise Conflict(
                f"{user.display_name} is already on this engagement.", code="seat_exists"
            )
        team.append(
            {
                "user_id": user.pk,
                "role_title": title,
                "skill": skill_row.slug if skill_row is not None else None,
                "bill_rate_minor": bill.minor_units,
                "pay_rate_minor": pay.minor_units,
                "weekly_cap_hours": cap,
                "shifts": [[w.weekday, w.start_hour, w.end_hour] for w in sorted(windows)],
                "joined_at": None,
                "left_at": None,
            }
        )
        return agreement_create(engagement=locked, by=by, seats=team)


def engagement_member_remove(*, seat: EngagementMember, by: User) -> Agreement:
    """Propose taking a member off the team (coordinators): the agreement's
    next version leaves them out, returned; when both parties accept it the
    seat is kept with its ``left_at``, as are its time entries. The last
    member stays (``last_team_member``): end the engagement instead."""
    engagement = seat.engagement
    coordinator_only(by, engagement.collective_id, thing="engagement")
    with transaction.atomic():
        locked = _lock(engagement)
        _not_ended(locked)
        team = engagement_team_proposed(engagement=locked)
        proposed = _on_team(team, seat)
        if len(team) == 1:
            raise Conflict(
                "The team cannot be empty; end the engagement instead.",
                code="last_team_member",
            )
        team.remove(proposed)
        return agreement_create(engagement=locked, by=by, seats=team)
