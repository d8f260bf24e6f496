"""Reads of people's data, scoped by who is asking.

The public sees published profiles; a member also sees the unpublished
profiles of people they share an active collective with; everyone sees their
own. Email addresses are never part of what these return for display.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import overload

from django.contrib.auth.models import AnonymousUser
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from mutualist.core.reference import validate_timezone
from mutualist.members.availability import Window, business_hours, monday_of, overlap_hours
from mutualist.members.models import AvailabilityWindow, MemberSkill, Profile, Skill, User
from mutualist.members.visibility import profiles_shared_with

Viewer = User | AnonymousUser


def _visible_profiles(viewer: Viewer) -> QuerySet[Profile]:
    profiles = Profile.objects.filter(user__is_active=True)
    if not viewer.is_authenticated:
        return profiles.filter(is_public=True)
    if viewer.is_staff:
        return profiles
    return profiles.filter(Q(is_public=True) | Q(user=viewer) | profiles_shared_with(viewer))


def _with_details(profiles: QuerySet[Profile]) -> QuerySet[Profile]:
    return profiles.select_related("user").prefetch_related(
        Prefetch("skills", queryset=MemberSkill.objects.select_related("skill")),
        "languages",
        "availability",
    )


def profile_get_for_user(*, viewer: Viewer, handle: str) -> Profile:
    """The profile behind ``handle`` if ``viewer`` may see it, else 404."""
    try:
        return _with_details(_visible_profiles(viewer)).get(handle=handle)
    except Profile.DoesNotExist:
        raise Http404("No such profile.") from None


def profile_get_own(*, user: User) -> Profile:
    return _with_details(Profile.objects.filter(user=user)).get()


def profile_windows(profile: Profile) -> list[Window]:
    return [Window(w.weekday, w.start, w.end) for w in profile.availability.all()]


@dataclass(frozen=True)
class DirectoryEntry:
    profile: Profile
    overlap_hours: Decimal | None


class _LazyDirectory(Sequence[DirectoryEntry]):
    """The unfiltered-by-overlap directory, paged in SQL.

    Paginators (Django's and the API's) ask for ``len()`` and one slice; only
    that slice's profiles are loaded, not the whole directory.
    """

    def __init__(self, profiles: QuerySet[Profile]) -> None:
        self._profiles = profiles
        self._count: int | None = None

    def __len__(self) -> int:
        if self._count is None:
            self._count = self._profiles.count()
        return self._count

    @overload
    def __getitem__(self, index: int) -> DirectoryEntry: ...
    @overload
    def __getitem__(self, index: slice) -> list[DirectoryEntry]: ...
    def __getitem__(self, index: int | slice) -> DirectoryEntry | list[DirectoryEntry]:
        if isinstance(index, slice):
            return [DirectoryEntry(profile, None) for profile in self._profiles[index]]
        return DirectoryEntry(self._profiles[index], None)

    def __iter__(self) -> Iterator[DirectoryEntry]:
        return (DirectoryEntry(profile, None) for profile in self._profiles)


def profile_list_directory(
    *,
    viewer: Viewer,
    skill: str | None = None,
    country: str | None = None,
    city: str | None = None,
    language: str | None = None,
    overlap_timezone: str | None = None,
    min_overlap_hours: Decimal | None = None,
    today: dt.date | None = None,
) -> Sequence[DirectoryEntry]:
    """Profiles ``viewer`` may see, filtered.

    With ``overlap_timezone``, each entry carries how many hours of the
    member's availability fall inside Monday-Friday 09:00-17:00 in that zone
    (this week, daylight saving included), and ``min_overlap_hours`` keeps only
    those with at least that many. Without it, the result is paged in SQL:
    take ``len()`` and a slice rather than iterating over all of it.
    """
    profiles = _visible_profiles(viewer)
    if skill:
        profiles = profiles.filter(skills__skill__slug=skill)
    if country:
        profiles = profiles.filter(country=country.upper())
    if city:
        profiles = profiles.filter(city__iexact=city.strip())
    if language:
        profiles = profiles.filter(languages__code=language.lower())
    profiles = _with_details(profiles.distinct()).order_by("display_name", "pk")

    if not overlap_timezone:
        return _LazyDirectory(profiles)

    tz = validate_timezone(overlap_timezone, field="overlap_timezone")
    week_start = monday_of(today or timezone.localdate())
    target = business_hours()
    entries = []
    for profile in profiles:
        hours = overlap_hours(
            profile_windows(profile), profile.timezone, target, tz, week_start=week_start
        )
        if min_overlap_hours is None or hours >= min_overlap_hours:
            entries.append(DirectoryEntry(profile, hours))
    return entries


def skill_list() -> QuerySet[Skill]:
    return Skill.objects.all()


def availability_for(profile: Profile) -> QuerySet[AvailabilityWindow]:
    return profile.availability.all()
