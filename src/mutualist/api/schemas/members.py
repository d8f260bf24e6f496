"""Members: profiles, skills, availability, the directory, and the member's own account.

No output here carries an email address except ``MeOut``, which only ever
describes the caller themself.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from ninja import Field, Schema

from mutualist.api.schemas.common import CollectiveRefOut, InputSchema, MoneyIn, MoneyOut
from mutualist.collectives.models import Membership
from mutualist.members.availability import DAY_NAMES, Window, weekly_hours
from mutualist.members.models import AvailabilityWindow, EmailChange, MemberSkill, Profile, Skill
from mutualist.members.selectors import DirectoryEntry, profile_windows

# --- Output -----------------------------------------------------------------------


class SkillOut(Schema):
    slug: str
    name: str
    category: str

    @classmethod
    def from_model(cls, skill: Skill) -> SkillOut:
        return cls(slug=skill.slug, name=skill.name, category=skill.category)


class MemberSkillOut(Schema):
    skill: str = Field(description="Skill slug from GET /skills")
    name: str
    level: int = Field(description="1 learning, 2 capable, 3 expert")
    level_label: str

    @classmethod
    def from_model(cls, member_skill: MemberSkill) -> MemberSkillOut:
        return cls(
            skill=member_skill.skill.slug,
            name=member_skill.skill.name,
            level=member_skill.level,
            level_label=member_skill.get_level_display(),
        )


class WindowOut(Schema):
    weekday: str = Field(examples=["mon"])
    start: str = Field(examples=["09:00"])
    end: str = Field(
        examples=["17:00"], description="At or before start: the window runs past midnight"
    )

    @classmethod
    def from_window(cls, window: Window | AvailabilityWindow) -> WindowOut:
        return cls(
            weekday=DAY_NAMES[window.weekday],
            start=f"{window.start:%H:%M}",
            end=f"{window.end:%H:%M}",
        )


def _rate(profile: Profile) -> MoneyOut | None:
    if profile.rate_minor is None:
        return None
    return MoneyOut.from_minor(profile.rate_minor, profile.rate_currency)


class ProfileOut(Schema):
    """A member's profile as others see it."""

    handle: str
    display_name: str
    headline: str
    bio: str
    country: str
    city: str
    timezone: str
    languages: list[str]
    rate: MoneyOut | None = Field(description="Hourly rate")
    weekly_capacity_hours: int
    weekly_available_hours: str = Field(description="Sum of the availability windows")
    skills: list[MemberSkillOut]
    availability: list[WindowOut] = Field(description="In the member's own time zone")

    @classmethod
    def profile_fields(cls, profile: Profile) -> dict[str, object]:
        windows = profile_windows(profile)
        return {
            "handle": profile.handle,
            "display_name": profile.display_name,
            "headline": profile.headline,
            "bio": profile.bio,
            "country": profile.country,
            "city": profile.city,
            "timezone": profile.timezone,
            "languages": [language.code for language in profile.languages.all()],
            "rate": _rate(profile),
            "weekly_capacity_hours": profile.weekly_capacity_hours,
            "weekly_available_hours": str(weekly_hours(windows)),
            "skills": [MemberSkillOut.from_model(s) for s in profile.skills.all()],
            "availability": [WindowOut.from_window(w) for w in windows],
        }

    @classmethod
    def from_model(cls, profile: Profile) -> ProfileOut:
        return cls.model_validate(cls.profile_fields(profile))


class DirectoryEntryOut(Schema):
    handle: str
    display_name: str
    headline: str
    country: str
    city: str
    timezone: str
    languages: list[str]
    rate: MoneyOut | None
    skills: list[MemberSkillOut]
    overlap_hours: str | None = Field(
        description=(
            "With overlap_timezone: weekly hours of availability inside Mon-Fri "
            "09:00-17:00 in that zone"
        )
    )

    @classmethod
    def from_entry(cls, entry: DirectoryEntry) -> DirectoryEntryOut:
        profile = entry.profile
        return cls(
            handle=profile.handle,
            display_name=profile.display_name,
            headline=profile.headline,
            country=profile.country,
            city=profile.city,
            timezone=profile.timezone,
            languages=[language.code for language in profile.languages.all()],
            rate=_rate(profile),
            skills=[MemberSkillOut.from_model(s) for s in profile.skills.all()],
            overlap_hours=None if entry.overlap_hours is None else str(entry.overlap_hours),
        )


class MyMembershipOut(Schema):
    collective: CollectiveRefOut
    role: str
    state: str
    joined_at: datetime | None

    @classmethod
    def from_model(cls, membership: Membership) -> MyMembershipOut:
        return cls(
            collective=CollectiveRefOut(
                slug=membership.collective.slug, name=membership.collective.name
            ),
            role=membership.role,
            state=membership.state,
            joined_at=membership.joined_at,
        )


class MeOut(ProfileOut):
    """The caller's own profile, with what only they see."""

    email: str = Field(description="Your login email; no one else's output ever has one")
    email_verified: bool = Field(
        description=(
            "Whether you followed the confirmation link mailed to that address; "
            "invitations sent to it reach you only once it is verified"
        )
    )
    is_public: bool
    memberships: list[MyMembershipOut]

    @classmethod
    def build(cls, profile: Profile, memberships: Iterable[Membership]) -> MeOut:
        return cls.model_validate(
            {
                **cls.profile_fields(profile),
                "email": profile.user.email,
                "email_verified": profile.user.email_verified,
                "is_public": profile.is_public,
                "memberships": [MyMembershipOut.from_model(m) for m in memberships],
            }
        )


class EmailChangeOut(Schema):
    new_email: str
    requested_at: datetime
    detail: str

    @classmethod
    def from_model(cls, change: EmailChange) -> EmailChangeOut:
        return cls(
            new_email=change.new_email,
            requested_at=change.created_at,
            detail=(
                "We sent a confirmation link to the new address; your login email "
                "changes when you open it."
            ),
        )


# --- Input ------------------------------------------------------------------------


class ProfileIn(InputSchema):
    """Every editable field of your profile (PUT replaces them all)."""

    display_name: str
    headline: str = ""
    bio: str = ""
    country: str = Field("", description="ISO 3166 two-letter code, or empty")
    city: str = ""
    timezone: str = Field(description="IANA name", examples=["Asia/Manila"])
    languages: list[str] = Field(default_factory=list, description="ISO 639 codes")
    rate: MoneyIn | None = Field(None, description="Hourly rate; null for none")
    weekly_capacity_hours: int = Field(description="0 to 168")
    is_public: bool = True


class SkillLevelIn(InputSchema):
    skill: str = Field(description="Skill slug from GET /skills", examples=["bookkeeping"])
    level: int = Field(description="1 learning, 2 capable, 3 expert", examples=[2])


class SkillsIn(InputSchema):
    skills: list[SkillLevelIn]


class WindowIn(InputSchema):
    weekday: str | int = Field(description="mon..sun (or 0-6 from Monday)", examples=["mon"])
    start: str = Field(description="HH:MM in your profile's time zone", examples=["09:00"])
    end: str = Field(description="HH:MM; at or before start runs past midnight", examples=["17:00"])


class AvailabilityIn(InputSchema):
    windows: list[WindowIn]


class EmailChangeIn(InputSchema):
    new_email: str
    current_password: str = Field(
        description=(
            "Your password: a token or an open session alone cannot move your account "
            "to another mailbox"
        )
    )


class DirectoryFiltersIn(Schema):
    """Query parameters of GET /members."""

    skill: str | None = Field(None, description="Skill slug")
    country: str | None = Field(None, description="ISO 3166 two-letter code")
    city: str | None = None
    language: str | None = Field(None, description="ISO 639 code")
    overlap_timezone: str | None = Field(None, description="IANA name, e.g. America/New_York")
    min_overlap_hours: Decimal | None = Field(
        None, ge=0, description="With overlap_timezone: keep those with at least this many"
    )
