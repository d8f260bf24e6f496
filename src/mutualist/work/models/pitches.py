"""Pitches: a collective's offer of a team for a job."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.timezone import now

from mutualist.work.models.clients import HourWindowFields, Job, JobRole, hour_window_constraints


class Pitch(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        SENT = "sent", "Sent"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"

    job = models.ForeignKey(Job, on_delete=models.PROTECT, related_name="pitches")
    collective = models.ForeignKey(
        "collectives.Collective", on_delete=models.PROTECT, related_name="pitches"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    message = models.TextField(blank=True)
    currency = models.CharField(max_length=3)  # the job's (the client's) currency
    payment_terms_days = models.PositiveSmallIntegerField(default=30)
    payment_method = models.CharField(max_length=120, default="Bank transfer")
    created_at = models.DateTimeField(default=now)
    sent_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["draft", "sent", "accepted", "declined", "withdrawn"]),
                name="work_pitch_state_valid",
            ),
            # One live pitch per collective and job: a second would confuse the client.
            models.UniqueConstraint(
                fields=["job", "collective"],
                condition=Q(state__in=["draft", "sent", "accepted"]),
                name="work_pitch_one_live_per_job_and_collective",
            ),
            # At most one accepted pitch per job.
            models.UniqueConstraint(
                fields=["job"], condition=Q(state="accepted"), name="work_pitch_one_accepted"
            ),
            models.CheckConstraint(
                condition=Q(payment_terms_days__lte=365), name="work_pitch_terms_at_most_a_year"
            ),
        ]

    def __str__(self) -> str:
        return f"Pitch #{self.pk} for {self.job}"


class PitchRole(models.Model):
    """The bill rate (per hour, in the pitch's currency) offered for one job role."""

    pitch = models.ForeignKey(Pitch, on_delete=models.CASCADE, related_name="roles")
    job_role = models.ForeignKey(JobRole, on_delete=models.PROTECT, related_name="+")
    bill_rate_minor = models.BigIntegerField()

    class Meta:
        ordering = ["pitch", "job_role__position", "job_role_id"]
        constraints = [
            models.UniqueConstraint(fields=["pitch", "job_role"], name="work_pitchrole_once"),
            models.CheckConstraint(
                condition=Q(bill_rate_minor__gte=0), name="work_pitchrole_rate_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.job_role} at {self.bill_rate_minor} minor units"


class PitchMember(models.Model):
    """A member proposed for a role: shifts for a coverage role, hours for a
    flexible one, and the pay rate they would earn per hour."""

    pitch = models.ForeignKey(Pitch, on_delete=models.CASCADE, related_name="team")
    job_role = models.ForeignKey(JobRole, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    pay_rate_minor = models.BigIntegerField()
    flexible_hours = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["pitch", "job_role_id", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["pitch", "job_role", "user"], name="work_pitchmember_once"
            ),
            models.CheckConstraint(
                condition=Q(pay_rate_minor__gte=0), name="work_pitchmember_rate_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(flexible_hours__isnull=True) | Q(flexible_hours__lte=168),
                name="work_pitchmember_hours_at_most_a_week",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} as {self.job_role}"


class PitchShift(HourWindowFields):
    """A weekly shift of a proposed member, in the job's time zone."""

    member = models.ForeignKey(PitchMember, on_delete=models.CASCADE, related_name="shifts")

    class Meta(HourWindowFields.Meta):
        constraints = hour_window_constraints("work_pitchshift")
