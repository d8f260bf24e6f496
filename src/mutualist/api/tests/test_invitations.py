"""Invitations: coordinators invite by email, list and revoke; the invited
person lists theirs and accepts or declines with the token from the email."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.test import Client

from mutualist.api.tests.support import assert_leaks_nothing, assert_problem, post_json
from mutualist.collectives.models import Invitation, Membership
from mutualist.collectives.services import invitation_create, invitation_resolve, invitation_token
from mutualist.testing import invitation_token_payload

A = "/api/v1/collectives/manila-va"


def _state() -> dict[str, object]:
    return {
        "invitations": sorted(Invitation.objects.values_list("email", "state")),
        "memberships": sorted(
            Membership.objects.values_list("collective__slug", "user__email", "role", "state")
        ),
    }


def _invite_carla(cast, **kwargs) -> Invitation:
    return invitation_create(
        collective=cast.collective_a, inviter=cast.ana, email="carla@example.org", **kwargs
    )


def _invite_olga(cast, **kwargs) -> Invitation:
    return invitation_create(
        collective=cast.collective_a, inviter=cast.ana, email="olga@example.org", **kwargs
    )


# --- Anonymous callers --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", f"{A}/invitations"),
        ("get", f"{A}/invitations"),
        ("delete", f"{A}/invitations/1"),
        ("get", "/api/v1/invitations"),
        ("post", "/api/v1/invitations/accept"),
        ("post", "/api/v1/invitations/decline"),
    ],
)
def test_invitation_endpoints_refuse_anonymous_callers(cast, method, path):
    _invite_olga(cast)
    before = _state()

    response = getattr(Client(), method)(path, data={"token": "x"}, content_type="application/json")

    assert_problem(response, 401, "not_authenticated")
    assert_leaks_nothing(response, "olga@example.org")
    assert _state() == before


# --- POST /collectives/{slug}/invitations ---------------------------------------------------


def test_a_coordinator_invites_by_email_and_the_token_goes_only_by_email(
    cast, client_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_json(
            client_for(cast.ana),
            f"{A}/invitations",
            {"email": "Olga@Example.org", "role": "member", "message": "Join us!"},
        )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["email"] == "olga@example.org"
    assert body["state"] == "pending"
    assert body["invited_by"] == {"handle": "ana-reyes", "display_name": "Ana Reyes"}
    assert "token" not in body
    invitation = Invitation.objects.get()
    assert invitation_token_payload(invitation) not in response.content.decode()
    assert [message.to for message in mail.outbox] == [["olga@example.org"]]
    mailed = re.search(r"/invitations/([^/\s]+)/", str(mail.outbox[0].body))
    assert mailed is not None
    assert invitation_resolve(token=mailed.group(1)) == invitation
    # Olga has an account: her membership shows as invited until she answers.
    assert Membership.objects.get(user=cast.olga).state == Membership.State.INVITED


def test_inviting_an_active_member_is_refused_and_creates_nothing(cast, client_for):
    before = _state()

    response = post_json(client_for(cast.ana), f"{A}/invitations", {"email": "ben@example.org"})

    assert_problem(response, 409, "already_member")
    assert _state() == before


def test_inviting_the_same_address_twice_is_refused(cast, client_for):
    _invite_olga(cast)
    before = _state()

    response = post_json(client_for(cast.ana), f"{A}/invitations", {"email": "olga@example.org"})

    assert_problem(response, 409, "already_invited")
    assert _state() == before


@pytest.mark.parametrize(
    ("data", "code", "field"),
    [
        ({"email": "not-an-address"}, "invalid_email", "email"),
        ({"email": "new@example.org", "role": "king"}, "invalid_role", "role"),
    ],
)
def test_refused_invitations_create_nothing(cast, client_for, data, code, field):
    response = post_json(client_for(cast.ana), f"{A}/invitations", data)

    body = assert_problem(response, 422, code)
    assert body["errors"][0]["field"] == field
    assert Invitation.objects.count() == 0


def test_an_outsider_cannot_invite(cast, client_for):
    response = post_json(client_for(cast.olga), f"{A}/invitations", {"email": "x@example.org"})

    assert_problem(response, 404, "not_found")
    assert_leaks_nothing(response, "Ben Okafor", "ana@example.org")
    assert Invitation.objects.count() == 0


def test_a_member_who_is_not_a_coordinator_cannot_invite(cast, client_for):
    response = post_json(client_for(cast.ben), f"{A}/invitations", {"email": "x@example.org"})

    assert_problem(response, 403, "not_coordinator")
    assert Invitation.objects.count() == 0


# --- GET /collectives/{slug}/invitations ----------------------------------------------------


def test_a_coordinator_lists_open_invitations_without_tokens(cast, client_for):
    invitation = _invite_olga(cast, message="Welcome")

    response = client_for(cast.ana).get(f"{A}/invitations")

    assert response.status_code == 200
    assert [item["id"] for item in response.json()["items"]] == [invitation.pk]
    assert response.json()["items"][0]["message"] == "Welcome"
    assert invitation_token_payload(invitation) not in response.content.decode()
    assert "token" not in response.json()["items"][0]


def test_an_outsider_cannot_list_invitations(cast, client_for):
    _invite_carla(cast, message="Welcome")

    response = client_for(cast.olga).get(f"{A}/invitations")

    assert_problem(response, 404, "not_found")
    assert_leaks_nothing(response, "carla@example.org", "Welcome")


def test_the_invited_person_cannot_list_the_collectives_invitations(cast, client_for):
    _invite_olga(cast, message="Welcome")

    response = client_for(cast.olga).get(f"{A}/invitations")

    assert_problem(response, 404, "not_found")
    assert_leaks_nothing(response, "Welcome")


def test_a_member_who_is_not_a_coordinator_cannot_list_invitations(cast, client_for):
    _invite_olga(cast)

    response = client_for(cast.ben).get(f"{A}/invitations")

    assert_problem(response, 403, "not_coordinator")
    assert_leaks_nothing(response, "olga@example.org")


def test_invitations_listing_refuses_a_bad_limit(cast, client_for):
    assert_problem(client_for(cast.ana).get(f"{A}/invitations?limit=0"), 422, "validation_failed")


# --- DELETE /collectives/{slug}/invitations/{id} ----------------------------------------------


def test_a_coordinator_revokes_an_invitation(cast, client_for):
    invitation = _invite_olga(cast)

    response = client_for(cast.ana).delete(f"{A}/invitations/{invitation.pk}")

    assert response.status_code == 204
    invitation.refresh_from_db()
    assert invitation.state == Invitation.State.REVOKED
    assert not Membership.objects.filter(user=cast.olga).exists()


def test_revoking_an_answered_invitation_is_refused(cast, client_for):
    invitation = _invite_olga(cast)
    client = client_for(cast.ana)
    client.delete(f"{A}/invitations/{invitation.pk}")
    before = _state()

    response = client.delete(f"{A}/invitations/{invitation.pk}")

    assert_problem(response, 409, "invitation_used")
    assert _state() == before


def test_an_outsider_cannot_revoke_an_invitation(cast, client_for):
    invitation = _invite_carla(cast)
    before = _state()

    response = client_for(cast.olga).delete(f"{A}/invitations/{invitation.pk}")

    assert_problem(response, 404, "not_found")
    assert_leaks_nothing(response, "carla@example.org")
    assert _state() == before


def test_the_invited_person_cannot_revoke_their_own_invitation(cast, client_for):
    invitation = _invite_olga(cast)
    before = _state()

    response = client_for(cast.olga).delete(f"{A}/invitations/{invitation.pk}")

    assert_problem(response, 404, "not_found")
    assert _state() == before


def test_a_member_who_is_not_a_coordinator_cannot_revoke(cast, client_for):
    invitation = _invite_olga(cast)
    before = _state()

    response = client_for(cast.ben).delete(f"{A}/invitations/{invitation.pk}")

    assert_problem(response, 403, "not_coordinator")
    assert _state() == before


def test_an_invitation_of_another_collective_is_a_404(cast, client_for):
    elsewhere = invitation_create(
        collective=cast.collective_b, inviter=cast.carla, email="someone@example.org"
    )

    response = client_for(cast.ana).delete(f"{A}/invitations/{elsewhere.pk}")

    assert_problem(response, 404, "not_found")
    elsewhere.refresh_from_db()
    assert elsewhere.state == Invitation.State.PENDING


# --- GET /invitations ------------------------------------------------------------------------


def test_the_invited_person_lists_their_invitations_with_tokens(cast, client_for):
    invitation = _invite_olga(cast, message="Welcome")

    response = client_for(cast.olga).get("/api/v1/invitations")

    assert response.status_code == 200
    (item,) = response.json()["items"]
    assert item["collective"] == {"slug": "manila-va", "name": "Manila Virtual Assistants"}
    assert item["invited_by"] == "Ana Reyes"
    assert item["token"] == invitation_token(invitation)
    assert "email" not in item


def test_nobody_else_sees_an_invitation_to_someone_else(cast, client_for):
    invitation = _invite_carla(cast)

    response = client_for(cast.olga).get("/api/v1/invitations")

    assert response.json()["items"] == []
    assert invitation_token_payload(invitation) not in response.content.decode()


def test_my_invitations_refuses_a_bad_limit(cast, client_for):
    assert_problem(
        client_for(cast.olga).get("/api/v1/invitations?limit=abc"), 422, "validation_failed"
    )


# --- POST /invitations/accept and /decline -------------------------------------------------------


def test_accepting_an_invitation_makes_the_caller_a_member(cast, client_for):
    invitation = _invite_olga(cast, role="coordinator")

    response = post_json(
        client_for(cast.olga), "/api/v1/invitations/accept", {"token": invitation_token(invitation)}
    )

    assert response.status_code == 200, response.content
    assert response.json()["state"] == "active"
    assert response.json()["role"] == "coordinator"
    membership = Membership.objects.get(user=cast.olga, collective=cast.collective_a)
    assert membership.state == Membership.State.ACTIVE
    invitation.refresh_from_db()
    assert invitation.state == Invitation.State.ACCEPTED


def test_accepting_twice_is_refused(cast, client_for):
    invitation = _invite_olga(cast)
    client = client_for(cast.olga)
    post_json(client, "/api/v1/invitations/accept", {"token": invitation_token(invitation)})
    before = _state()

    response = post_json(
        client, "/api/v1/invitations/accept", {"token": invitation_token(invitation)}
    )

    assert_problem(response, 409, "invitation_used")
    assert _state() == before


def test_an_expired_invitation_is_refused(cast, client_for):
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        invitation = _invite_olga(cast)
        token = invitation_token(invitation)
    before = _state()

    with time_machine.travel(start + dt.timedelta(days=15), tick=False):
        response = post_json(client_for(cast.olga), "/api/v1/invitations/accept", {"token": token})

    body = assert_problem(response, 422, "invitation_expired")
    assert body["errors"][0]["field"] == "token"
    assert _state() == before


@pytest.mark.parametrize("path", ["/api/v1/invitations/accept", "/api/v1/invitations/decline"])
def test_a_forged_token_is_refused(cast, client_for, path):
    invitation = _invite_olga(cast)
    genuine = invitation_token(invitation)
    forged = genuine[:-4] + ("AAAA" if not genuine.endswith("AAAA") else "BBBB")
    before = _state()

    response = post_json(client_for(cast.olga), path, {"token": forged})

    assert_problem(response, 422, "invalid_invitation_token")
    assert _state() == before


@pytest.mark.parametrize("path", ["/api/v1/invitations/accept", "/api/v1/invitations/decline"])
def test_someone_elses_invitation_cannot_be_answered(cast, client_for, path):
    # Olga got hold of Carla's link: it is for Carla's address, not hers.
    invitation = _invite_carla(cast)
    before = _state()

    response = post_json(client_for(cast.olga), path, {"token": invitation_token(invitation)})

    assert_problem(response, 403, "invitation_for_other_email")
    assert_leaks_nothing(response, "carla@example.org", "Ben Okafor")
    assert _state() == before


def test_declining_an_invitation(cast, client_for):
    invitation = _invite_olga(cast)

    response = post_json(
        client_for(cast.olga),
        "/api/v1/invitations/decline",
        {"token": invitation_token(invitation)},
    )

    assert response.status_code == 200
    assert response.json() == {
        "id": invitation.pk,
        "collective": {"slug": "manila-va", "name": "Manila Virtual Assistants"},
        "state": "declined",
    }
    assert not Membership.objects.filter(user=cast.olga).exists()


def test_a_token_field_is_required(cast, client_for):
    response = post_json(client_for(cast.olga), "/api/v1/invitations/accept", {})

    body = assert_problem(response, 422, "validation_failed")
    assert body["errors"][0]["field"] == "token"
