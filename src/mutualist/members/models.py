"""People: the login (email), the public profile, skills, languages and availability."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import slugify


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def get_by_natural_key(self, username: str | None) -> User:
        # Emails are stored lower-cased and unique case-insensitively, so a
        # login typed as "Ana@Example.org" finds "ana@example.org".
        return self.get(email__iexact=username)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        """For ``mutualist createsuperuser``. Members sign up through
        ``members.services.accounts.user_signup``; an operator's account gets a
        minimal, unpublished profile here so every page that expects one works."""
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("email_verified_at", timezone.now())
        user = self.create_user(email, password, **extra)
        base = slugify(user.email.split("@")[0])[:50] or "admin"
        handle, n = base, 1
        while Profile.objects.filter(handle=handle).exists():
            n += 1
            handle = f"{base}-{n}"
        Profile.objects.create(
            user=user, handle=handle, display_name=user.email.split("@")[0], is_public=False
        )
        return user


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in with their email address.

    The email is private: only its owner and administrators ever see it.

    ``email_verified_at`` is when the owner last proved they read mail at
    ``email`` (a verification link, a confirmed email change, an accepted
    invitation). Sign-up alone proves nothing, so anything matched to a person
    by address (pending invitations) must wait for it.
    """

    email = models.EmailField("email address", max_length=254)
    email_verified_at = models.DateTimeField("email verified at", null=True, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="members_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def display_name(self) -> str:
        profile = getattr(self, "profile", None)
        if profile is not None and profile.display_name:
            return str(profile.display_name)
        return f"Member #{self.pk}"


class Skill(models.Model):
    """One entry of the seeded taxonomy of freelance and virtual-assistant work."""

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=80)
    category = models.CharField(max_length=60)

    class Meta:
        ordering = ["category", "name"]

    def __str__(self) -> str:
        return self.name


class Profile(models.Model):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    handle = models.SlugField(max_length=60, unique=True)
    display_name = models.CharField(max_length=80)
    headline = models.CharField(max_length=140, blank=True)
    bio = models.TextField(blank=True)
    country = models.CharField(max_length=2, blank=True)
    city = models.CharField(max_length=80, blank=True)
    timezone = models.CharField(max_length=64, default="UTC")
    # Hourly rate as integer minor units of rate_currency (Money rules: never a float).
    rate_minor = models.BigIntegerField(null=True, blank=True)
    rate_currency = models.CharField(max_length=3, default="USD")
    weekly_capacity_hours = models.PositiveSmallIntegerField(default=40)
    is_public = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["display_name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rate_minor__isnull=True) | models.Q(rate_minor__gte=0),
                name="members_profile_rate_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(weekly_capacity_hours__lte=168),
                name="members_profile_capacity_at_most_a_week",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name


class MemberSkill(models.Model):
    class Level(models.IntegerChoices):
        LEARNING = 1, "Learning"
        CAPABLE = 2, "Capable"
        EXPERT = 3, "Expert"

    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="skills")
    skill = models.ForeignKey(Skill, on_delete=models.PROTECT, related_name="member_skills")
    level = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.CAPABLE)

    class Meta:
        ordering = ["-level", "skill__name"]
        constraints = [
            models.UniqueConstraint(fields=["profile", "skill"], name="members_memberskill_once"),
            models.CheckConstraint(
                condition=models.Q(level__gte=1, level__lte=3), name="members_memberskill_level_1_3"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.skill} ({self.get_level_display()})"


class ProfileLanguage(models.Model):
    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="languages")
    code = models.CharField(max_length=8)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["profile", "code"], name="members_profilelanguage_once"
            ),
        ]

    def __str__(self) -> str:
        return self.code


class AvailabilityWindow(models.Model):
    """A weekly window in the member's own time zone.

    ``end`` at or before ``start`` means the window runs past midnight into the
    next day (a night shift 22:00-06:00 starts on ``weekday``).
    """

    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="availability")
    weekday = models.PositiveSmallIntegerField()  # 0 = Monday, as datetime.weekday()
    start = models.TimeField()
    end = models.TimeField()

    class Meta:
        ordering = ["weekday", "start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(weekday__lte=6), name="members_availability_weekday_0_6"
            ),
            models.CheckConstraint(
                condition=~models.Q(start=models.F("end")), name="members_availability_not_empty"
            ),
        ]

    def __str__(self) -> str:
        days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
        return f"{days[self.weekday]} {self.start:%H:%M}-{self.end:%H:%M}"


class EmailChange(models.Model):
    """A pending change of login email, confirmed by a link sent to the new address."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="email_changes")
    new_email = models.EmailField(max_length=254)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Email change #{self.pk}"
