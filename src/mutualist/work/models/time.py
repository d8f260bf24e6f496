"""Time entries, running timers, weekly timesheets, and calendar feeds."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.timezone import now

from mutualist.work.models.engagements import Engagement


class Timesheet(models.Model):
    """One member's week on one engagement, as submitted and approved.

    ``week_start`` is the Monday of the week in the member's time zone. The
    row exists from the week's first entry. ``open`` and ``returned`` weeks
    take new entries; a ``submitted`` week waits for a decision; in an
    ``approved`` week every entry is locked and a correction is an
    adjustment entry, which puts the week back to ``submitted``.
    """

    class State(models.TextChoices):
        OPEN = "open", "Open"
        SUBMITTED = "submitted", "Submitted"
        APPROVED = "approved", "Approved"
        RETURNED = "returned", "Returned"

    engagement = models.ForeignKey(Engagement, on_delete=models.PROTECT, related_name="timesheets")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="timesheets"
    )
    week_start = models.DateField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-week_start", "engagement", "member"]
        constraints = [
            models.UniqueConstraint(
                fields=["engagement", "member", "week_start"], name="work_timesheet_once_per_week"
            ),
            models.CheckConstraint(
                condition=Q(state__in=["open", "submitted", "approved", "returned"]),
                name="work_timesheet_state_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} on {self.engagement}, week of {self.week_start}"


class TimeEntry(models.Model):
    """Time one member worked on one engagement, stored in UTC.

    A running timer has no ``ended_at`` and no ``minutes``. An adjustment
    corrects an approved week: it carries a signed number of ``minutes`` and
    points at the entry it corrects (if one), and its ``started_at`` only
    places it in its week.
    """

    class Kind(models.TextChoices):
        TIMER = "timer", "Timer"
        MANUAL = "manual", "Manual"
        IMPORT = "import", "Imported"
        ADJUSTMENT = "adjustment", "Adjustment"

    engagement = models.ForeignKey(Engagement, on_delete=models.PROTECT, related_name="entries")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="time_entries"
    )
    timesheet = models.ForeignKey(Timesheet, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    minutes = models.IntegerField(null=True, blank=True)
    note = models.TextField(blank=True)
    billable = models.BooleanField(default=True)
    adjusts = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="adjustments"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source = models.CharField(max_length=120, blank=True)  # e.g. "toggl:row 12"
    created_at = models.DateTimeField(default=now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["started_at", "pk"]
        indexes = [
            models.Index(fields=["member", "started_at"], name="work_timeentry_member_start"),
            models.Index(fields=["engagement", "started_at"], name="work_timeentry_eng_start"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["timer", "manual", "import", "adjustment"]),
                name="work_timeentry_kind_valid",
            ),
            # At most one running timer per member, whatever the engagement.
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(ended_at__isnull=True, kind="timer"),
                name="work_timeentry_one_running_timer",
            ),
            # Only a timer may be running; a finished interval runs forwards
            # and its minutes are positive.
            models.CheckConstraint(
                condition=(
                    Q(kind="adjustment", ended_at__isnull=True, minutes__isnull=False)
                    & ~Q(minutes=0)
                )
                | Q(kind="timer", ended_at__isnull=True, minutes__isnull=True)
                | (~Q(kind="adjustment") & Q(ended_at__gt=models.F("started_at"), minutes__gte=1)),
                name="work_timeentry_shape",
            ),
            models.CheckConstraint(
                condition=Q(adjusts__isnull=True) | Q(kind="adjustment"),
                name="work_timeentry_only_adjustments_adjust",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} on {self.engagement} at {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def is_running(self) -> bool:
        return self.ended_at is None and self.kind == self.Kind.TIMER


class CalendarFeed(models.Model):
    """A member's private iCalendar feed. The URL carries a random token of
    which only the SHA-256 digest is stored; revoking deletes the row."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Calendar feed of {self.user}"
