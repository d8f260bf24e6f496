"""Writes to a member's profile, skills and availability.

Each service validates everything first and raises a ``DomainError`` naming the
field at fault, then writes inside one transaction, so refused input changes
nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation

from django.db import transaction

from mutualist.core.errors import ValidationFailed
from mutualist.core.reference import (
    to_minor_units,
    validate_country,
    validate_currency,
    validate_language,
    validate_timezone,
)
from mutualist.members.availability import (
    Window,
    parse_time,
    parse_weekday,
    windows_validate,
)
from mutualist.members.models import (
    AvailabilityWindow,
    MemberSkill,
    Profile,
    ProfileLanguage,
    Skill,
    User,
)

MAX_WEEKLY_CAPACITY = 168


def _check_length(value: str, *, field: str, max_length: int) -> str:
    # The column's max_length: SQLite would store a longer value, PostgreSQL
    # would fail the write with a DataError (a 500) instead of this message.
    if len(value) > max_length:
        raise ValidationFailed(
            f"Use at most {max_length} characters.", code="too_long", field=field
        )
    return value


def _parse_rate(rate: Decimal | str | None, currency: str) -> int | None:
    if rate is None or (isinstance(rate, str) and not rate.strip()):
        return None
    try:
        amount = rate if isinstance(rate, Decimal) else Decimal(str(rate).strip())
    except InvalidOperation:
        raise ValidationFailed(
            f"{rate!r} is not an amount; write it like 12.50.", code="invalid_amount", field="rate"
        ) from None
    if not amount.is_finite():
        raise ValidationFailed(
            "The rate must be a finite amount.", code="invalid_amount", field="rate"
        )
    if amount < 0:
        raise ValidationFailed(
            "The hourly rate cannot be negative.", code="negative_rate", field="rate"
        )
    return to_minor_units(amount, currency, field="rate")


def profile_update(
    *,
    user: User,
    display_name: str,
    headline: str = "",
    bio: str = "",
    country: str = "",
    city: str = "",
    timezone: str,
    languages: Sequence[str] = (),
    rate: Decimal | str | None = None,
    rate_currency: str,
    weekly_capacity_hours: int,
    is_public: bool = True,
) -> Profile:
    """Replace the editable fields of ``user``'s profile."""
    display_name = (display_name or "").strip()
    if not display_name:
        raise ValidationFailed("A display name is required.", code="required", field="display_name")
    _check_length(display_name, field="display_name", max_length=80)
    headline = _check_length((headline or "").strip(), field="headline", max_length=140)
    city = _check_length((city or "").strip(), field="city", max_length=80)
    tz = validate_timezone(timezone)
    country_code = validate_country(country) if country else ""
    currency = validate_currency(rate_currency, field="rate_currency")
    rate_minor = _parse_rate(rate, currency)
    if isinstance(weekly_capacity_hours, bool) or not isinstance(weekly_capacity_hours, int):
        raise ValidationFailed(
            "Weekly capacity must be a whole number of hours.",
            code="invalid_capacity",
            field="weekly_capacity_hours",
        )
    if not 0 <= weekly_capacity_hours <= MAX_WEEKLY_CAPACITY:
        raise ValidationFailed(
            f"Weekly capacity must be between 0 and {MAX_WEEKLY_CAPACITY} hours.",
            code="invalid_capacity",
            field="weekly_capacity_hours",
        )
    codes = sorted({validate_language(code) for code in languages})

    with transaction.atomic():
        profile = Profile.objects.select_for_update().get(user=user)
        profile.display_name = display_name
        profile.headline = headline
        profile.bio = (bio or "").strip()
        profile.country = country_code
        profile.city = city
        profile.timezone = tz
        profile.rate_minor = rate_minor
        profile.rate_currency = currency
        profile.weekly_capacity_hours = weekly_capacity_hours
        profile.is_public = is_public
        profile.save()
        ProfileLanguage.objects.filter(profile=profile).exclude(code__in=codes).delete()
        existing = set(
            ProfileLanguage.objects.filter(profile=profile).values_list("code", flat=True)
        )
        ProfileLanguage.objects.bulk_create(
            [ProfileLanguage(profile=profile, code=code) for code in codes if code not in existing]
        )
    return profile


def profile_set_skills(*, user: User, skills: Mapping[str, int]) -> list[MemberSkill]:
    """Replace the member's skills: a mapping of skill slug to level 1-3."""
    known = {skill.slug: skill for skill in Skill.objects.filter(slug__in=list(skills))}
    for slug, level in skills.items():
        if slug not in known:
            raise ValidationFailed(f"Unknown skill {slug!r}.", code="unknown_skill", field="skills")
        if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 3:
            raise ValidationFailed(
                f"Skill level for {known[slug].name} must be 1, 2 or 3; got {level!r}.",
                code="invalid_skill_level",
                field="skills",
            )
    with transaction.atomic():
        profile = Profile.objects.select_for_update().get(user=user)
        MemberSkill.objects.filter(profile=profile).delete()
        return MemberSkill.objects.bulk_create(
            [
                MemberSkill(profile=profile, skill=known[slug], level=level)
                for slug, level in sorted(skills.items())
            ]
        )


def windows_from_input(items: Sequence[Mapping[str, object] | Window]) -> list[Window]:
    """Turn ``{"weekday": "mon", "start": "09:00", "end": "17:00"}`` items into windows."""
    windows = []
    for item in items:
        if isinstance(item, Window):
            windows.append(item)
            continue
        if not isinstance(item, Mapping):
            raise ValidationFailed(
                "Each availability window needs weekday, start and end.",
                code="invalid_availability",
                field="availability",
            )
        weekday = item.get("weekday")
        start = item.get("start")
        end = item.get("end")
        # Times may come as text (the API) or as datetime.time (a form's TimeField).
        if (
            not isinstance(weekday, str | int)
            or not isinstance(start, str | dt.time)
            or not isinstance(end, str | dt.time)
        ):
            raise ValidationFailed(
                "Each availability window needs weekday, start and end.",
                code="invalid_availability",
                field="availability",
            )
        windows.append(Window(parse_weekday(weekday), parse_time(start), parse_time(end)))
    return windows


def profile_set_availability(
    *, user: User, windows: Sequence[Mapping[str, object] | Window]
) -> list[AvailabilityWindow]:
    """Replace the member's weekly availability (times in the profile's time zone)."""
    checked = windows_validate(windows_from_input(windows))
    with transaction.atomic():
        profile = Profile.objects.select_for_update().get(user=user)
        AvailabilityWindow.objects.filter(profile=profile).delete()
        return AvailabilityWindow.objects.bulk_create(
            [
                AvailabilityWindow(profile=profile, weekday=w.weekday, start=w.start, end=w.end)
                for w in checked
            ]
        )
