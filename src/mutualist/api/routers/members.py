"""Members: the caller's own profile and account, the skill taxonomy, the people directory."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from ninja import Query, Router, Status

from mutualist.api.auth import OPTIONAL, request_user, request_viewer
from mutualist.api.pagination import Page, PageParams, paginate
from mutualist.api.routers import anonymous_allowed, responses
from mutualist.api.schemas.members import (
    AvailabilityIn,
    DirectoryEntryOut,
    DirectoryFiltersIn,
    EmailChangeIn,
    EmailChangeOut,
    MeOut,
    ProfileIn,
    ProfileOut,
    SkillOut,
    SkillsIn,
)
from mutualist.collectives.selectors import membership_list_for_user
from mutualist.core.errors import ValidationFailed
from mutualist.members.models import User
from mutualist.members.selectors import (
    profile_get_for_user,
    profile_get_own,
    profile_list_directory,
    skill_list,
)
from mutualist.members.services.accounts import email_change_request
from mutualist.members.services.profiles import (
    profile_set_availability,
    profile_set_skills,
    profile_update,
)
from mutualist.members.throttle import password_attempt

router = Router(tags=["members"])


def _me(user: User) -> MeOut:
    return MeOut.build(profile_get_own(user=user), membership_list_for_user(user=user))


@router.get("/me", response=responses({200: MeOut}), summary="Your own profile and email")
def me(request: HttpRequest) -> MeOut:
    """Your profile as others see it, plus what only you see: your login email,
    whether the profile is published, and your memberships."""
    return _me(request_user(request))


@router.put("/me/profile", response=responses({200: MeOut}), summary="Replace your profile")
def me_profile_update(request: HttpRequest, payload: ProfileIn) -> MeOut:
    user = request_user(request)
    with transaction.atomic(durable=True):
        profile_update(
            user=user,
            display_name=payload.display_name,
            headline=payload.headline,
            bio=payload.bio,
            country=payload.country,
            city=payload.city,
            timezone=payload.timezone,
            languages=payload.languages,
            rate=payload.rate.amount if payload.rate else None,
            # No rate: keep the currency the member last chose for one.
            rate_currency=payload.rate.currency if payload.rate else user.profile.rate_currency,
            weekly_capacity_hours=payload.weekly_capacity_hours,
            is_public=payload.is_public,
        )
    return _me(user)


@router.put("/me/skills", response=responses({200: MeOut}), summary="Replace your skills")
def me_skills_update(request: HttpRequest, payload: SkillsIn) -> MeOut:
    user = request_user(request)
    skills: dict[str, int] = {}
    for item in payload.skills:
        if item.skill in skills:
            # The service takes a mapping; a slug given twice would silently lose one level.
            raise ValidationFailed(
                f"Skill {item.skill!r} is listed twice.", code="duplicate_skill", field="skills"
            )
        skills[item.skill] = item.level
    with transaction.atomic(durable=True):
        profile_set_skills(user=user, skills=skills)
    return _me(user)


@router.put(
    "/me/availability", response=responses({200: MeOut}), summary="Replace your weekly availability"
)
def me_availability_update(request: HttpRequest, payload: AvailabilityIn) -> MeOut:
    """Windows are in your profile's time zone; one whose end is at or before its
    start runs past midnight. Overlapping windows are refused."""
    user = request_user(request)
    with transaction.atomic(durable=True):
        profile_set_availability(
            user=user, windows=[window.model_dump() for window in payload.windows]
        )
    return _me(user)


@router.post(
    "/me/email-change",
    response=responses({202: EmailChangeOut}),
    summary="Ask to change your login email",
)
def me_email_change(request: HttpRequest, payload: EmailChangeIn) -> Status[EmailChangeOut]:
    """Needs your current password. Nothing changes until you open the link sent
    to the new address; the current one is told of the request."""
    user = request_user(request)
    with password_attempt(request=request, user=user), transaction.atomic(durable=True):
        change = email_change_request(
            user=user,
            new_email=payload.new_email,
            current_password=payload.current_password,
            request_base_url=settings.SITE_URL,
        )
    return Status(202, EmailChangeOut.from_model(change))


@router.get(
    "/skills",
    response=responses({200: Page[SkillOut]}),
    auth=OPTIONAL,
    openapi_extra=anonymous_allowed(),
    summary="Skill taxonomy",
)
def skills(request: HttpRequest, page: Query[PageParams]) -> Page[SkillOut]:
    return paginate(skill_list(), page, SkillOut.from_model)


@router.get(
    "/members",
    response=responses({200: Page[DirectoryEntryOut]}),
    auth=OPTIONAL,
    openapi_extra=anonymous_allowed(),
    summary="People directory",
)
def members(
    request: HttpRequest, filters: Query[DirectoryFiltersIn], page: Query[PageParams]
) -> Page[DirectoryEntryOut]:
    """Published profiles (and, for a member, the unpublished ones of people who
    share a collective with them). With ``overlap_timezone``, each entry says how
    many of the member's weekly hours fall inside Mon-Fri 09:00-17:00 there."""
    entries = profile_list_directory(
        viewer=request_viewer(request),
        skill=filters.skill,
        country=filters.country,
        city=filters.city,
        language=filters.language,
        overlap_timezone=filters.overlap_timezone,
        min_overlap_hours=filters.min_overlap_hours,
    )
    return paginate(entries, page, DirectoryEntryOut.from_entry)


@router.get(
    "/members/{handle}",
    response=responses({200: ProfileOut}),
    auth=OPTIONAL,
    openapi_extra=anonymous_allowed(),
    summary="A profile",
)
def member_detail(request: HttpRequest, handle: str) -> ProfileOut:
    return ProfileOut.from_model(
        profile_get_for_user(viewer=request_viewer(request), handle=handle)
    )
