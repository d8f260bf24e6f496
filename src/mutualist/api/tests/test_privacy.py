"""No member output carries an email address, except GET /me for its owner."""

from __future__ import annotations

from django.test import Client

from mutualist.api.tests.support import post_json
from mutualist.collectives.services import bylaws_adopt, invitation_create
from mutualist.members.models import Profile, User
from mutualist.members.services.profiles import profile_set_skills

A = "/api/v1/collectives/manila-va"
B = "/api/v1/collectives/remote-crew"

MEMBER_ENDPOINTS = [
    "/api/v1/members",
    "/api/v1/members?skill=bookkeeping",
    "/api/v1/members?overlap_timezone=UTC",
    "/api/v1/members/ana-reyes",
    "/api/v1/members/ben-okafor",
    "/api/v1/members/carla-mwangi",
    "/api/v1/members/olga-petrova",
    "/api/v1/collectives",
    A,
    B,
    f"{A}/members",
    f"{B}/members",
    f"{A}/bylaws",
    f"{A}/applications",
    "/api/v1/skills",
]


def _a_busy_world(cast, client_for) -> None:
    """Applications, an unpublished profile, several bylaws: everything a leak could hide in."""
    profile_set_skills(user=cast.ben, skills={"bookkeeping": 3})
    Profile.objects.filter(user=cast.ben).update(is_public=False)
    post_json(client_for(cast.olga), f"{A}/applications", {"note": "Hi"})
    post_json(client_for(cast.carla), f"{A}/applications", {"note": "Hello"})
    bylaws_adopt(
        collective=cast.collective_a,
        actor=cast.ana,
        effective_from=cast.collective_a.created_at.date(),
        treasury_percent="11",
        admission_rule="coordinator",
    )
    invitation_create(collective=cast.collective_b, inviter=cast.carla, email="ben@example.org")


def test_no_member_endpoint_shows_anyones_email_to_anyone(cast, client_for):
    _a_busy_world(cast, client_for)
    emails = list(User.objects.values_list("email", flat=True))
    viewers = {
        "anonymous": Client(),
        **{user.email: client_for(user) for user in (cast.ana, cast.ben, cast.carla, cast.olga)},
    }

    for viewer, client in viewers.items():
        for path in MEMBER_ENDPOINTS:
            response = client.get(path)
            assert response.status_code in {200, 401, 403, 404}, (viewer, path)
            text = response.content.decode().lower()
            for email in emails:
                assert email not in text, f"{email} leaked to {viewer} by {path}"
            assert "@" not in text, f"an address leaked to {viewer} by {path}: {text}"


def test_me_shows_its_owner_their_own_email_and_no_one_elses(cast, client_for):
    _a_busy_world(cast, client_for)
    emails = set(User.objects.values_list("email", flat=True))

    for user in (cast.ana, cast.ben, cast.carla, cast.olga):
        text = client_for(user).get("/api/v1/me").content.decode()
        assert user.email in text
        for other in emails - {user.email}:
            assert other not in text


def test_membership_changes_answer_without_email_addresses(cast, client_for):
    emails = list(User.objects.values_list("email", flat=True))

    responses = [
        post_json(client_for(cast.olga), f"{A}/applications", {"note": "Hi"}),
        post_json(client_for(cast.ben), f"{A}/leave"),
    ]

    for response in responses:
        assert response.status_code in {200, 201}
        for email in emails:
            assert email not in response.content.decode()
