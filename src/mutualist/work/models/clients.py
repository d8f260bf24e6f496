"""Clients (the organisations that buy work), their contacts, and their jobs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.timezone import now


class Client(models.Model):
    """An organisation that buys work from collectives.

    Either it registered itself through the client portal (``collective`` is
    null; its contacts manage it), or a collective's coordinator recorded it
    as a lead (``collective`` is that collective; only its members see it
    until it has contacts of its own).
    """

    name = models.CharField(max_length=120)
    country = models.CharField(max_length=2)
    timezone = models.CharField(max_length=64)
    currency = models.CharField(max_length=3)
    billing_address = models.TextField()
    tax_id = models.CharField(max_length=64, blank=True)
    collective = models.ForeignKey(
        "collectives.Collective",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="recorded_clients",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class ClientContact(models.Model):
    """A person who acts for a client in the portal."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="contacts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="client_contacts"
    )
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["client", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["client", "user"], name="work_clientcontact_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} for {self.client}"


class Job(models.Model):
    """Work a client wants done: posted on the board by a client contact, or
    recorded privately by a coordinator as a lead (``collective`` set)."""

    class BudgetKind(models.TextChoices):
        HOURLY = "hourly", "Maximum hourly rate"
        TOTAL = "total", "Total budget"

    class Visibility(models.TextChoices):
        PUBLIC = "public", "Public: on the job board"
        PRIVATE = "private", "Private"

    class State(models.TextChoices):
        OPEN = "open", "Open"
        FILLED = "filled", "Filled"
        CLOSED = "closed", "Closed"

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="jobs")
    collective = models.ForeignKey(
        "collectives.Collective",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="leads",
    )
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(max_length=120)
    description = models.TextField()
    start_date = models.DateField()
    duration_weeks = models.PositiveSmallIntegerField(null=True, blank=True)  # null: ongoing
    # The coverage windows' time zone: the client's, unless the job says otherwise.
    timezone = models.CharField(max_length=64)
    budget_kind = models.CharField(max_length=8, choices=BudgetKind.choices)
    budget_minor = models.BigIntegerField(null=True, blank=True)  # null: open budget
    currency = models.CharField(max_length=3)
    visibility = models.CharField(
        max_length=8, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    state = models.CharField(max_length=8, choices=State.choices, default=State.OPEN)
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(budget_kind__in=["hourly", "total"]), name="work_job_budget_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(budget_minor__isnull=True) | Q(budget_minor__gte=0),
                name="work_job_budget_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(visibility__in=["public", "private"]), name="work_job_visibility_valid"
            ),
            models.CheckConstraint(
                condition=Q(state__in=["open", "filled", "closed"]), name="work_job_state_valid"
            ),
            # A coordinator's lead is the collective's private note, never on the board.
            models.CheckConstraint(
                condition=Q(collective__isnull=True) | Q(visibility="private"),
                name="work_job_lead_is_private",
            ),
            models.CheckConstraint(
                condition=Q(duration_weeks__isnull=True) | Q(duration_weeks__gte=1),
                name="work_job_duration_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class JobRole(models.Model):
    """One role of a job: a skill plus coverage windows, or flexible hours."""

    class Kind(models.TextChoices):
        COVERAGE = "coverage", "Coverage windows"
        FLEXIBLE = "flexible", "Flexible hours per week"

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="roles")
    position = models.PositiveSmallIntegerField(default=0)
    skill = models.ForeignKey("members.Skill", on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=80, blank=True)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    flexible_hours = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["job", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="coverage", flexible_hours__isnull=True)
                    | Q(kind="flexible", flexible_hours__gte=1, flexible_hours__lte=168)
                ),
                name="work_jobrole_kind_matches_hours",
            ),
        ]

    def __str__(self) -> str:
        return self.title or str(self.skill)


class HourWindowFields(models.Model):
    """A weekly window in whole hours of a named time zone's wall clock.

    ``end_hour`` 1-24 (24 is midnight at the day's end); an end at or before
    the start runs past midnight into the next day. See ``work.coverage``.
    """

    weekday = models.PositiveSmallIntegerField()  # 0 = Monday
    start_hour = models.PositiveSmallIntegerField()  # 0-23
    end_hour = models.PositiveSmallIntegerField()  # 1-24

    class Meta:
        abstract = True
        ordering = ["weekday", "start_hour"]

    def __str__(self) -> str:
        days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
        return f"{days[self.weekday]} {self.start_hour:02d}:00-{self.end_hour:02d}:00"


def hour_window_constraints(prefix: str) -> list[models.BaseConstraint]:
    return [
        models.CheckConstraint(condition=Q(weekday__lte=6), name=f"{prefix}_weekday_0_6"),
        models.CheckConstraint(condition=Q(start_hour__lte=23), name=f"{prefix}_start_0_23"),
        models.CheckConstraint(
            condition=Q(end_hour__gte=1, end_hour__lte=24), name=f"{prefix}_end_1_24"
        ),
        models.CheckConstraint(
            condition=~Q(start_hour=models.F("end_hour")), name=f"{prefix}_not_empty"
        ),
    ]


class CoverageWindow(HourWindowFields):
    """Hours a coverage role must be staffed, in the job's time zone."""

    role = models.ForeignKey(JobRole, on_delete=models.CASCADE, related_name="coverage")

    class Meta(HourWindowFields.Meta):
        constraints = hour_window_constraints("work_coverage")
