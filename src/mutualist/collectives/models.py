"""Collectives, who belongs to them, how they admit people, and their bylaws."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Collective(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    description = models.TextField(blank=True)
    is_remote = models.BooleanField(default=False)
    city = models.CharField(max_length=80, blank=True)
    country = models.CharField(max_length=2, blank=True)
    base_currency = models.CharField(max_length=3)
    # Where the collective can be written to: written agreements and invoices
    # name both parties' addresses.
    postal_address = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            # A collective is either remote or has a home city and country.
            models.CheckConstraint(
                condition=models.Q(is_remote=True) | (~models.Q(city="") & ~models.Q(country="")),
                name="collectives_collective_home_or_remote",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CoworkingSpace(models.Model):
    collective = models.OneToOneField(
        Collective, on_delete=models.CASCADE, related_name="coworking_space"
    )
    name = models.CharField(max_length=120)
    address = models.TextField()
    opening_hours = models.TextField(blank=True, help_text="For example: Mon-Fri 08:00-20:00")

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        COORDINATOR = "coordinator", "Coordinator"
        MEMBER = "member", "Member"

    class State(models.TextChoices):
        INVITED = "invited", "Invited"
        APPLIED = "applied", "Applied"
        ACTIVE = "active", "Active"
        LEFT = "left", "Left"

    collective = models.ForeignKey(Collective, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    state = models.CharField(max_length=16, choices=State.choices)
    created_at = models.DateTimeField(default=timezone.now)
    joined_at = models.DateTimeField(null=True, blank=True)
    left_at = models.DateTimeField(null=True, blank=True)
    application_note = models.TextField(blank=True)

    class Meta:
        ordering = ["collective", "-role", "joined_at"]
        constraints = [
            # One row per person and collective; re-joining reuses it.
            models.UniqueConstraint(
                fields=["collective", "user"], name="collectives_membership_once"
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=["coordinator", "member"]),
                name="collectives_membership_role_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=["invited", "applied", "active", "left"]),
                name="collectives_membership_state_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="active") | models.Q(joined_at__isnull=False),
                name="collectives_membership_active_has_joined_at",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="left") | models.Q(left_at__isnull=False),
                name="collectives_membership_left_has_left_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.collective} ({self.state})"

    @property
    def is_coordinator(self) -> bool:
        return self.state == self.State.ACTIVE and self.role == self.Role.COORDINATOR


class Invitation(models.Model):
    """An invitation by email. The link carries a signed token naming this row.

    The signature stops forgery; ``expires_at`` and the state stop reuse.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        REVOKED = "revoked", "Revoked"
        EXPIRED = "expired", "Expired"

    collective = models.ForeignKey(Collective, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(max_length=254)
    role = models.CharField(
        max_length=16, choices=Membership.Role.choices, default=Membership.Role.MEMBER
    )
    message = models.TextField(blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The verified account holder shown this invitation as an "invited"
    # membership, if any. Their row is found through this, not through
    # ``email``: they may change their login email before the invitation is
    # answered, revoked or expired.
    invitee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # At most one open invitation per address and collective.
            models.UniqueConstraint(
                fields=["collective", "email"],
                condition=models.Q(state="pending"),
                name="collectives_invitation_one_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation to {self.collective} ({self.state})"

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at


class Bylaws(models.Model):
    """One immutable version of a collective's bylaws.

    A change never edits a row; it adds the next version with its effective
    date. The version in force on a day is the newest one effective by then.
    """

    class AdmissionRule(models.TextChoices):
        COORDINATOR = "coordinator", "A coordinator approves each application"
        OPEN = "open", "Open: anyone may join"
        VOTE = "vote", "The members vote on each application"

    class ShareBasis(models.TextChoices):
        BILL = "bill", "In proportion to what each member's hours bill the client"
        PAY = "pay", "In proportion to each member's pay rate times their hours"

    collective = models.ForeignKey(Collective, on_delete=models.CASCADE, related_name="bylaws")
    version = models.PositiveIntegerField()
    effective_from = models.DateField()
    admission_rule = models.CharField(
        max_length=16, choices=AdmissionRule.choices, default=AdmissionRule.COORDINATOR
    )
    # What is left of a payment after the treasury's and the funds' shares
    # goes to the members on the invoice in proportion to their part of it:
    # valued at the client's bill rates, or at the members' own pay rates.
    member_share_basis = models.CharField(
        max_length=4, choices=ShareBasis.choices, default=ShareBasis.BILL
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["collective", "-version"]
        verbose_name_plural = "bylaws"
        constraints = [
            models.UniqueConstraint(
                fields=["collective", "version"], name="collectives_bylaws_version_once"
            ),
            models.CheckConstraint(
                condition=models.Q(version__gte=1), name="collectives_bylaws_version_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(member_share_basis__in=["bill", "pay"]),
                name="collectives_bylaws_share_basis_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.collective} bylaws v{self.version}"


class SplitShare(models.Model):
    """One line of a bylaws version's revenue split rule.

    The split names who gets which percentage of every payment; what is left
    after all shares goes to the members who did the work. Funds add their own
    recipients later (``sick_pay``, ``guarantee``...).
    """

    class Recipient(models.TextChoices):
        TREASURY = "treasury", "Treasury"

    bylaws = models.ForeignKey(Bylaws, on_delete=models.CASCADE, related_name="split_shares")
    recipient = models.CharField(max_length=32)
    percent = models.DecimalField(max_digits=5, decimal_places=2)

    class Meta:
        ordering = ["recipient"]
        constraints = [
            models.UniqueConstraint(
                fields=["bylaws", "recipient"], name="collectives_splitshare_once"
            ),
            models.CheckConstraint(
                condition=models.Q(percent__gte=0, percent__lte=100),
                name="collectives_splitshare_percent_0_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.percent}%"
