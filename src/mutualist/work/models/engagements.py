"""Engagements (agreed work for a client), their team and shifts, and the
written agreement both sides accept."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.timezone import now

from mutualist.work.models.clients import Client, HourWindowFields, Job, hour_window_constraints
from mutualist.work.models.pitches import Pitch


class Engagement(models.Model):
    """Work a collective does for a client under an accepted agreement.

    ``pending`` until both sides have accepted the agreement's latest
    version; time can be tracked only while ``active``.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Awaiting the agreement"
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        ENDED = "ended", "Ended"

    collective = models.ForeignKey(
        "collectives.Collective", on_delete=models.PROTECT, related_name="engagements"
    )
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="engagements")
    job = models.ForeignKey(
        Job, on_delete=models.PROTECT, null=True, blank=True, related_name="engagements"
    )
    pitch = models.OneToOneField(
        Pitch, on_delete=models.PROTECT, null=True, blank=True, related_name="engagement"
    )
    title = models.CharField(max_length=120)
    currency = models.CharField(max_length=3)
    timezone = models.CharField(max_length=64)  # the shifts' time zone (the client's)
    payment_terms_days = models.PositiveSmallIntegerField(default=30)
    payment_method = models.CharField(max_length=120, default="Bank transfer")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    starts_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "active", "paused", "ended"]),
                name="work_engagement_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="ended") | Q(ended_on__isnull=False),
                name="work_engagement_ended_has_date",
            ),
            models.CheckConstraint(
                condition=Q(payment_terms_days__lte=365),
                name="work_engagement_terms_at_most_a_year",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class EngagementMember(models.Model):
    """A member on an engagement's team: what the client pays per hour of
    their work (``bill_rate_minor``), what they earn (``pay_rate_minor``),
    both in the engagement's currency, and their weekly hour cap."""

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="team")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="engagement_seats"
    )
    role_title = models.CharField(max_length=80)
    skill = models.ForeignKey(
        "members.Skill", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    bill_rate_minor = models.BigIntegerField()
    pay_rate_minor = models.BigIntegerField()
    weekly_cap_hours = models.PositiveSmallIntegerField()
    joined_at = models.DateTimeField(default=now)
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["engagement", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["engagement", "user"], name="work_engagementmember_once"
            ),
            models.CheckConstraint(
                condition=Q(bill_rate_minor__gte=0, pay_rate_minor__gte=0),
                name="work_engagementmember_rates_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(weekly_cap_hours__gte=1, weekly_cap_hours__lte=168),
                name="work_engagementmember_cap_1_168",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.engagement}"


class EngagementShift(HourWindowFields):
    """A member's weekly shift on an engagement, in the engagement's time zone."""

    member = models.ForeignKey(EngagementMember, on_delete=models.CASCADE, related_name="shifts")

    class Meta(HourWindowFields.Meta):
        constraints = hour_window_constraints("work_engagementshift")


class Agreement(models.Model):
    """One immutable version of an engagement's written agreement.

    ``terms`` is the snapshot the document is rendered from (parties and
    addresses, itemised services with rates and weekly value, method of pay,
    payment terms); ``html`` is the document as rendered at creation and
    ``sha256`` its digest. A change is a new version that both sides accept
    again; database triggers refuse UPDATE and DELETE.
    """

    engagement = models.ForeignKey(Engagement, on_delete=models.PROTECT, related_name="agreements")
    version = models.PositiveIntegerField()
    terms = models.JSONField()
    html = models.TextField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["engagement", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["engagement", "version"], name="work_agreement_version_once"
            ),
            models.CheckConstraint(
                condition=Q(version__gte=1), name="work_agreement_version_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"Agreement v{self.version} for {self.engagement}"


class AgreementAcceptance(models.Model):
    """One side's acceptance of one agreement version (immutable)."""

    class Party(models.TextChoices):
        CLIENT = "client", "Client"
        COLLECTIVE = "collective", "Collective"

    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="acceptances")
    party = models.CharField(max_length=10, choices=Party.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=120)  # the accepting person's name, as it was
    accepted_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["agreement", "accepted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "party"], name="work_agreementacceptance_once_per_party"
            ),
            models.CheckConstraint(
                condition=Q(party__in=["client", "collective"]),
                name="work_agreementacceptance_party_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} for the {self.party}, {self.accepted_at:%Y-%m-%d}"
