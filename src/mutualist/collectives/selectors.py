"""Reads of collectives, scoped by who is asking.

Public: the directory, a collective's page, its active members with published
profiles, its co-working space and bylaws. Members: fellow members' unpublished
profiles. Coordinators: applications and pending invitations (with the invited
address, which they typed themselves).
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Lower
from django.http import Http404
from django.utils import timezone

from mutualist.collectives.models import Bylaws, Collective, Invitation, Membership
from mutualist.core.errors import PermissionDenied
from mutualist.members.models import Profile, User

Viewer = User | AnonymousUser


def profiles_of_fellow_members(viewer: User) -> Q:
    """Profiles of people who share an active collective with ``viewer``
    (registered with members' visibility rules; see members/visibility.py)."""
    shares_collective = Membership.objects.filter(
        user=OuterRef("user"),
        state=Membership.State.ACTIVE,
        collective__memberships__user=viewer,
        collective__memberships__state=Membership.State.ACTIVE,
    )
    return Q(Exists(shares_collective))


def collective_get_public(*, slug: str) -> Collective:
    """A collective's public face; 404 when there is none with that slug."""
    try:
        return Collective.objects.select_related("coworking_space").get(slug=slug)
    except Collective.DoesNotExist:
        raise Http404("No such collective.") from None


def invitation_list_open_to(
    *, collective_id: int, email: str, now: dt.datetime | None = None
) -> QuerySet[Invitation]:
    """The collective's invitations that ``email`` can still accept: pending and
    not past their expiry (``mutualist tick`` closes lapsed ones only later)."""
    return Invitation.objects.filter(
        collective_id=collective_id,
        state=Invitation.State.PENDING,
        expires_at__gt=now or timezone.now(),
        email__iexact=email,
    )


def _invitation_open_to_member() -> Exists:
    """For a membership row: an invitation its person can still accept exists.

    Matched by the person's login email now, as the invitation link and the
    dashboard match it: an invitation to an address they no longer log in
    with is nothing they can accept.
    """
    return Exists(
        Invitation.objects.filter(
            collective_id=OuterRef("collective_id"),
            state=Invitation.State.PENDING,
            expires_at__gt=timezone.now(),
        )
        .alias(address=Lower("email"))
        .filter(address=Lower(OuterRef("user__email")))
    )


def membership_stands(membership: Membership) -> bool:
    """Whether ``membership`` stands: an "invited" row stands only while an
    invitation its person can accept exists (an invitation that lapsed before
    ``mutualist tick`` closed it, or one to a former address, offers nothing
    to accept). Every other row stands as it is."""
    if membership.state != Membership.State.INVITED:
        return True
    return invitation_list_open_to(
        collective_id=membership.collective_id, email=membership.user.email
    ).exists()


def membership_of(*, user: Viewer, collective: Collective) -> Membership | None:
    """The viewer's membership of ``collective``; none for a stale "invited"
    row (see ``membership_stands``), which offers nothing to answer."""
    if not user.is_authenticated:
        return None
    membership = (
        Membership.objects.filter(user=user, collective=collective).select_related("user").first()
    )
    if membership is None or not membership_stands(membership):
        return None
    return membership


def collective_get_for_member(*, user: Viewer, slug: str) -> tuple[Collective, Membership]:
    """The collective and the viewer's active membership; 404 for anyone else."""
    collective = collective_get_public(slug=slug)
    membership = membership_of(user=user, collective=collective)
    if membership is None or membership.state != Membership.State.ACTIVE:
        raise Http404("No such collective.")
    return collective, membership


def collective_get_for_coordinator(*, user: Viewer, slug: str) -> tuple[Collective, Membership]:
    """As ``collective_get_for_member``, and refuses (403) a member who is not a coordinator."""
    collective, membership = collective_get_for_member(user=user, slug=slug)
    if membership.role != Membership.Role.COORDINATOR:
        raise PermissionDenied(
            "Only a coordinator of this collective can do that.", code="not_coordinator"
        )
    return collective, membership


def collective_list_directory(
    *,
    country: str | None = None,
    city: str | None = None,
    skill: str | None = None,
    remote: bool | None = None,
    query: str | None = None,
) -> QuerySet[Collective]:
    collectives = Collective.objects.annotate(
        active_members=Count("memberships", filter=Q(memberships__state=Membership.State.ACTIVE))
    )
    if country:
        collectives = collectives.filter(country=country.upper())
    if city:
        collectives = collectives.filter(city__iexact=city.strip())
    if remote is not None:
        collectives = collectives.filter(is_remote=remote)
    if query:
        collectives = collectives.filter(Q(name__icontains=query) | Q(description__icontains=query))
    if skill:
        # Only published profiles count: the directory is public, and an
        # unpublished profile's skills are not the public's to search.
        offering = Membership.objects.filter(
            state=Membership.State.ACTIVE,
            user__is_active=True,
            user__profile__is_public=True,
            user__profile__skills__skill__slug=skill,
        ).values("collective_id")
        collectives = collectives.filter(pk__in=offering)
    return collectives.order_by("name", "pk")


def membership_list_active(*, collective: Collective, viewer: Viewer) -> QuerySet[Membership]:
    """Active members the viewer may see: fellow members see everyone active,
    others see only those with a published profile."""
    memberships = Membership.objects.filter(
        collective=collective, state=Membership.State.ACTIVE, user__is_active=True
    ).select_related("user__profile")
    mine = membership_of(user=viewer, collective=collective)
    is_member = mine is not None and mine.state == Membership.State.ACTIVE
    if not is_member and not (viewer.is_authenticated and viewer.is_staff):
        memberships = memberships.filter(user__profile__is_public=True)
    return memberships.order_by("role", "user__profile__display_name", "pk")


def membership_list_applications(*, collective: Collective, viewer: Viewer) -> QuerySet[Membership]:
    _require_coordinator(collective=collective, viewer=viewer)
    return (
        Membership.objects.filter(collective=collective, state=Membership.State.APPLIED)
        .select_related("user__profile")
        .order_by("created_at", "pk")
    )


def membership_get_for_coordinator(
    *, collective: Collective, viewer: Viewer, membership_id: int
) -> Membership:
    _require_coordinator(collective=collective, viewer=viewer)
    try:
        return Membership.objects.select_related("user__profile").get(
            collective=collective, pk=membership_id
        )
    except Membership.DoesNotExist:
        raise Http404("No such membership.") from None


def invitation_list_pending(*, collective: Collective, viewer: Viewer) -> QuerySet[Invitation]:
    _require_coordinator(collective=collective, viewer=viewer)
    return (
        Invitation.objects.filter(
            collective=collective, state=Invitation.State.PENDING, expires_at__gt=timezone.now()
        )
        .select_related("invited_by__profile")
        .order_by("-created_at", "-pk")
    )


def invitation_get_for_coordinator(
    *, collective: Collective, viewer: Viewer, invitation_id: int
) -> Invitation:
    _require_coordinator(collective=collective, viewer=viewer)
    try:
        return Invitation.objects.get(collective=collective, pk=invitation_id)
    except Invitation.DoesNotExist:
        raise Http404("No such invitation.") from None


def invitation_list_for_user(*, user: User) -> QuerySet[Invitation]:
    """Open invitations addressed to the user's own email, once they have
    confirmed it: anyone can sign up with someone else's address, and must
    not see (or take) the invitations sent to it."""
    if user.email_verified_at is None:
        return Invitation.objects.none()
    return (
        Invitation.objects.filter(
            email__iexact=user.email, state=Invitation.State.PENDING, expires_at__gt=timezone.now()
        )
        .select_related("collective", "invited_by__profile")
        .order_by("-created_at", "-pk")
    )


def membership_list_active_for_profile(*, profile: Profile, viewer: Viewer) -> list[Membership]:
    """The collectives a profile's owner is active in, as ``viewer`` may see them.

    A published profile's collectives are public (their member lists show the
    person too). An unpublished profile is visible only to fellow members (the
    profile selector has already checked that), who see only the collectives
    they share with the person.
    """
    active = Membership.objects.filter(
        user_id=profile.user_id, state=Membership.State.ACTIVE
    ).select_related("collective")
    if profile.is_public or (
        viewer.is_authenticated and (viewer.pk == profile.user_id or viewer.is_staff)
    ):
        return list(active.order_by("collective__name", "pk"))
    if not viewer.is_authenticated:
        return []
    shared = Membership.objects.filter(user=viewer, state=Membership.State.ACTIVE).values(
        "collective_id"
    )
    return list(active.filter(collective_id__in=shared).order_by("collective__name", "pk"))


def membership_list_for_user(*, user: User) -> QuerySet[Membership]:
    """The user's memberships that stand: not left, and not an "invited" row
    whose invitation lapsed or went to an address they no longer use."""
    return (
        Membership.objects.filter(user=user)
        .exclude(state=Membership.State.LEFT)
        .filter(~Q(state=Membership.State.INVITED) | _invitation_open_to_member())
        .select_related("collective")
        .order_by("collective__name")
    )


def bylaws_in_force(*, collective: Collective, on: dt.date | None = None) -> Bylaws:
    """The newest version (highest number) effective on ``on`` (default today, UTC).

    Newest by version, not by date: when v3 (effective June) is adopted after v2
    (effective July), v3 is the later decision and stays in force in July; v2
    never takes effect.
    """
    day = on or timezone.localdate()
    bylaws = (
        Bylaws.objects.filter(collective=collective, effective_from__lte=day)
        .prefetch_related("split_shares")
        .order_by("-version")
        .first()
    )
    if bylaws is None:
        # A collective always has version 1 from its creation day; a date before
        # that falls back to it rather than to nothing.
        bylaws = (
            Bylaws.objects.filter(collective=collective)
            .prefetch_related("split_shares")
            .order_by("version")
            .first()
        )
    if bylaws is None:
        raise Http404("This collective has no bylaws.")
    return bylaws


def bylaws_history(*, collective: Collective) -> QuerySet[Bylaws]:
    return (
        Bylaws.objects.filter(collective=collective)
        .prefetch_related("split_shares")
        .select_related("created_by__profile")
        .order_by("-version")
    )


def _require_coordinator(*, collective: Collective, viewer: Viewer) -> Membership:
    membership = membership_of(user=viewer, collective=collective)
    if membership is None or membership.state != Membership.State.ACTIVE:
        raise Http404("No such collective.")
    if membership.role != Membership.Role.COORDINATOR:
        raise PermissionDenied(
            "Only a coordinator of this collective can do that.", code="not_coordinator"
        )
    return membership
