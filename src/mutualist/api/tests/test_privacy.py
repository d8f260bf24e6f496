"""No member output carries an email address, except GET /me for its owner."""

from __future__ import annotations

from django.test import Client

from mutualist.api.tests.support import post_json
from mutualist.collectives.services import bylaws_adopt, invitation_create
from mutualist.members.models import Profile, User
from mutualist.members.services.profiles import profile_set_skills

A = "/api/v1/collectives/manila-va"
B = "/api/v1/collectives/remote-crew"

VIEWERS = ("anonymous", "ana", "ben", "carla", "olga")
EVERYONE = dict.fromkeys(VIEWERS, 200)

# Every endpoint that shows members, with the exact status each viewer gets in
# _a_busy_world: a status outside the rules would hide a leak or a lockout.
MEMBER_ENDPOINTS: dict[str, dict[str, int]] = {
    "/api/v1/members": EVERYONE,
    "/api/v1/members?skill=bookkeeping": EVERYONE,
    "/api/v1/members?overlap_timezone=UTC": EVERYONE,
    "/api/v1/members/ana-reyes": EVERYONE,
    # Ben's profile is unpublished: he and Ana (who shares collective A with him)
    # see it; to anyone else it does not exist. Olga has only applied to A.
    "/api/v1/members/ben-okafor": {
        "anonymous": 404,
        "ana": 200,
        "ben": 200,
        "carla": 404,
        "olga": 404,
    },
    "/api/v1/members/carla-mwangi": EVERYONE,
    "/api/v1/members/olga-petrova": EVERYONE,
    "/api/v1/collectives": EVERYONE,
    A: EVERYONE,
    B: EVERYONE,
    f"{A}/members": EVERYONE,
    f"{B}/members": EVERYONE,
    f"{A}/bylaws": EVERYONE,
    # Coordinators only: Ana; Ben is a member without the role; outsiders get 404.
    f"{A}/applications": {"anonymous": 401, "ana": 200, "ben": 403, "carla": 404, "olga": 404},
    "/api/v1/skills": EVERYONE,
}


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
        "ana": client_for(cast.ana),
        "ben": client_for(cast.ben),
        "carla": client_for(cast.carla),
        "olga": client_for(cast.olga),
    }

    for viewer, client in viewers.items():
        for path, statuses in MEMBER_ENDPOINTS.items():
            response = client.get(path)
            assert response.status_code == statuses[viewer], (viewer, path)
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

    applied = post_json(client_for(cast.olga), f"{A}/applications", {"note": "Hi"})
    left = post_json(client_for(cast.ben), f"{A}/leave")

    assert (applied.status_code, left.status_code) == (201, 200)
    for response in (applied, left):
        for email in emails:
            assert email not in response.content.decode()
