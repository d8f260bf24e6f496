"""Weekly timesheets: a member submits a week, an approver approves it or
returns it with a comment.

Who decides: a coordinator of the engagement's collective, or a contact of
the engagement's client; never the member whose week it is (a coordinator
who logs their own time has another coordinator or the client approve it),
and never someone who made one of the entries waiting for approval (a
coordinator's correction of a member's time is approved by another
coordinator or the client).
Decisions are conditional updates (``UPDATE ... WHERE state='submitted'``
with the row count checked), so two approvers acting at once cannot both
act: the second is told the week is no longer waiting.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, QuerySet, Sum
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from mutualist.core.errors import Conflict, PermissionDenied, ValidationFailed
from mutualist.members.models import User
from mutualist.work.models import EngagementMember, TimeEntry, Timesheet
from mutualist.work.selectors.access import is_client_contact, is_coordinator
from mutualist.work.services.time import OPEN_STATES, lock_member, require_week


def _require_monday(week_start: dt.date) -> None:
    if week_start.weekday() != 0:
        raise ValidationFailed(
            f"A week starts on a Monday; {week_start:%A %d %B %Y} is not one.",
            code="invalid_week",
            field="week",
        )


def week_submit(*, member: User, week_start: dt.date) -> list[Timesheet]:
    """Submit the member's week: every timesheet of theirs for the week
    starting ``week_start`` (a Monday in their time zone) that is open or
    returned and has entries becomes ``submitted``. Call inside
    ``transaction.atomic()``; takes the member's row lock.

    Refuses ``invalid_week`` (not a Monday), ``invalid_date`` (a week
    outside ``TIME_DAYS``), ``timer_running`` (a timer runs
    in that week: stop it first), ``over_weekly_cap`` (a timesheet of the
    week is over its seat's cap, as a stopped timer may leave it: correct
    an entry first) and ``nothing_to_submit``.
    """
    _require_monday(week_start)
    require_week(week_start)
    lock_member(member)
    candidates = list(
        Timesheet.objects.filter(member=member, week_start=week_start, state__in=OPEN_STATES)
        .filter(entries__isnull=False)
        .distinct()
        .select_related("engagement")
        .order_by("engagement__title", "pk")
    )
    if TimeEntry.objects.filter(
        member=member,
        timesheet__week_start=week_start,
        kind=TimeEntry.Kind.TIMER,
        ended_at__isnull=True,
    ).exists():
        raise Conflict(
            "Your timer is running in this week: stop it before you submit.",
            code="timer_running",
        )
    if not candidates:
        raise Conflict(
            f"There is nothing to submit for the week of {week_start:%d %b %Y}: "
            "no open or returned week with time in it.",
            code="nothing_to_submit",
        )
    caps = dict(
        EngagementMember.objects.filter(
            user=member, engagement__in=[t.engagement_id for t in candidates]
        ).values_list("engagement_id", "weekly_cap_hours")
    )
    totals = dict(
        TimeEntry.objects.filter(timesheet__in=candidates, minutes__isnull=False)
        .values_list("timesheet_id")
        .annotate(total=Sum("minutes"))
        .values_list("timesheet_id", "total")
    )
    for timesheet in candidates:
        cap = caps.get(timesheet.engagement_id)
        total = int(totals.get(timesheet.pk) or 0)
        if cap is not None and total > cap * 60:
            raise ValidationFailed(
                f"The week on {timesheet.engagement.title} has {total // 60}:{total % 60:02d} h, "
                f"over your cap of {cap} h: correct an entry before you submit.",
                code="over_weekly_cap",
            )
    now = timezone.now()
    submitted = []
    for timesheet in candidates:
        # The member's lock keeps their own writers out; approvers only act
        # on submitted weeks, so these rows cannot change under us.
        updated = Timesheet.objects.filter(pk=timesheet.pk, state__in=OPEN_STATES).update(
            state=Timesheet.State.SUBMITTED, submitted_at=now
        )
        if updated == 1:
            timesheet.state = Timesheet.State.SUBMITTED
            timesheet.submitted_at = now
            submitted.append(timesheet)
    return submitted


def timesheet_can_decide(*, timesheet: Timesheet, user: User) -> bool:
    """Whether ``user`` may approve or return the timesheet (whatever its state)."""
    if user.pk == timesheet.member_id:
        return False
    engagement = timesheet.engagement
    return is_coordinator(user, engagement.collective_id) or is_client_contact(
        user, engagement.client_id
    )


def _require_decider(timesheet: Timesheet, by: User) -> None:
    if by.pk == timesheet.member_id:
        raise PermissionDenied(
            "You cannot approve or return your own timesheet: another coordinator "
            "or the client does.",
            code="own_timesheet",
        )
    if not timesheet_can_decide(timesheet=timesheet, user=by):
        raise PermissionDenied(
            "Only a coordinator of the collective or a contact of the client can "
            "approve or return a timesheet.",
            code="not_approver",
        )


def _not_submitted(timesheet: Timesheet) -> Conflict:
    current = Timesheet.objects.filter(pk=timesheet.pk).values_list("state", flat=True).first()
    return Conflict(
        f"This timesheet is {current or 'gone'}, not waiting for a decision.",
        code="timesheet_not_submitted",
    )


def _own_unapproved(timesheet_pk: int, by: User) -> QuerySet[TimeEntry]:
    """The timesheet's entries waiting for approval that ``by`` made: a
    coordinator's correction of a member's time, or time they recorded for
    the member."""
    return TimeEntry.objects.filter(
        timesheet_id=timesheet_pk, approved_at__isnull=True, created_by=by
    )


def _own_correction() -> PermissionDenied:
    return PermissionDenied(
        "You made a change waiting for approval in this timesheet (a correction, or time "
        "recorded for the member): another coordinator or the client approves it.",
        code="own_entries",
    )


def timesheet_approve(*, timesheet: Timesheet, by: User) -> Timesheet:
    """Approve a submitted timesheet: its unapproved entries (adjustments
    included) are stamped ``approved_at``/``approved_by`` and so locked.
    Call inside ``transaction.atomic()``; mails the member after commit.

    Refuses ``own_timesheet`` (403), ``not_approver`` (403),
    ``own_entries`` (403: ``by`` made one of the unapproved entries, such
    as a coordinator's correction; nobody approves their own change) and
    ``timesheet_not_submitted`` (409, also when another approver acted
    first).
    """
    _require_decider(timesheet, by)
    if _own_unapproved(timesheet.pk, by).exists():
        raise _own_correction()
    now = timezone.now()
    # The same rule in the update's WHERE, so the check and the approval are
    # one statement: no entry of ``by`` can slip in between them.
    updated = (
        Timesheet.objects.filter(pk=timesheet.pk, state=Timesheet.State.SUBMITTED)
        .exclude(Exists(_own_unapproved(timesheet.pk, by)))
        .update(state=Timesheet.State.APPROVED, decided_at=now, decided_by=by, comment="")
    )
    if updated != 1:
        if _own_unapproved(timesheet.pk, by).exists():
            raise _own_correction()
        raise _not_submitted(timesheet)
    TimeEntry.objects.filter(timesheet_id=timesheet.pk, approved_at__isnull=True).update(
        approved_at=now, approved_by=by
    )
    timesheet.refresh_from_db()
    transaction.on_commit(lambda: _send_decision_email(timesheet.pk))
    return timesheet


def timesheet_return(*, timesheet: Timesheet, by: User, comment: str) -> Timesheet:
    """Return a submitted timesheet to the member with a ``comment`` saying
    what to change; it takes changes again until resubmitted. Call inside
    ``transaction.atomic()``; mails the member after commit.

    Refuses ``required`` (no comment), ``own_timesheet``, ``not_approver``
    and ``timesheet_not_submitted``.
    """
    _require_decider(timesheet, by)
    comment = comment.strip()
    if not comment:
        raise ValidationFailed(
            "Say what the member should change.", code="required", field="comment"
        )
    updated = Timesheet.objects.filter(pk=timesheet.pk, state=Timesheet.State.SUBMITTED).update(
        state=Timesheet.State.RETURNED, decided_at=timezone.now(), decided_by=by, comment=comment
    )
    if updated != 1:
        raise _not_submitted(timesheet)
    timesheet.refresh_from_db()
    transaction.on_commit(lambda: _send_decision_email(timesheet.pk))
    return timesheet


def _send_decision_email(timesheet_id: int) -> None:
    timesheet = Timesheet.objects.select_related(
        "member__profile", "decided_by__profile", "engagement__client"
    ).get(pk=timesheet_id)
    if timesheet.state not in (Timesheet.State.APPROVED, Timesheet.State.RETURNED):
        return  # changed again since (an adjustment): the newer event speaks for itself
    path = reverse("work:timesheet", kwargs={"pk": timesheet.pk})
    context = {
        "timesheet": timesheet,
        "url": f"{settings.SITE_URL}{path}",
        "site_url": settings.SITE_URL,
    }
    verb = "approved" if timesheet.state == Timesheet.State.APPROVED else "returned"
    send_mail(
        subject=f"Your week of {timesheet.week_start:%d %b %Y} on "
        f"{timesheet.engagement.title} was {verb}",
        message=render_to_string(f"work/email/timesheet_{verb}.txt", context),
        from_email=None,
        recipient_list=[timesheet.member.email],
    )
