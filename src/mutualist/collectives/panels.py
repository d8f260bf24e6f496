"""The collectives' panels on a member's dashboard and profile page."""

from __future__ import annotations

from django.http import HttpRequest

from mutualist.collectives.models import Membership
from mutualist.collectives.selectors import (
    invitation_list_for_user,
    membership_list_active_for_profile,
    membership_list_for_user,
)
from mutualist.collectives.services import invitation_token
from mutualist.members.models import Profile, User
from mutualist.members.panels import Panel


def dashboard_invitations(request: HttpRequest) -> Panel | None:
    user = request.user
    if not isinstance(user, User):
        return None
    invitations = [(inv, invitation_token(inv)) for inv in invitation_list_for_user(user=user)]
    if not invitations and user.email_verified_at is not None:
        return None
    return Panel(
        "collectives/panels/dashboard_invitations.html",
        {"invitations": invitations, "email_verified": user.email_verified_at is not None},
        order=10,
    )


def dashboard_collectives(request: HttpRequest) -> Panel | None:
    user = request.user
    if not isinstance(user, User):
        return None
    return Panel(
        "collectives/panels/dashboard_collectives.html",
        {"memberships": membership_list_for_user(user=user), "Membership": Membership},
        order=50,
    )


def profile_collectives(request: HttpRequest, profile: Profile) -> Panel | None:
    memberships = membership_list_active_for_profile(profile=profile, viewer=request.user)
    return Panel(
        "collectives/panels/profile_collectives.html", {"memberships": memberships}, order=50
    )
