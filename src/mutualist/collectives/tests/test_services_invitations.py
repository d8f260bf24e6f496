"""Invitations by email with signed, expiring links."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.conf import settings
from django.core import signing

from mutualist.collectives.models import Invitation, Membership
from mutualist.collectives.services import (
    invitation_accept,
    invitation_create,
    invitation_decline,
    invitation_expire_overdue,
    invitation_resolve,
    invitation_revoke,
    invitation_token,
    membership_apply,
    membership_leave,
)
from mutualist.collectives.services.invitations import INVITATION_SALT
from mutualist.core.errors import Conflict, PermissionDenied, ValidationFailed
from mutualist.testing import make_member

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 6, 2, 9, 30, tzinfo=dt.UTC)
TOKEN_IN_LINK = re.compile(r"https?://\S+/invitations/(?P<token>[^/\s]+)/")


@pytest.fixture(autouse=True)
def _frozen_time(time_machine):
    time_machine.move_to(NOW, tick=False)


def state(collective) -> dict[str, Any]:
    """Invitations and memberships of a collective, read fresh."""
    return {
        "invitations": list(
            Invitation.objects.filter(collective=collective).order_by("pk").values()
        ),
        "memberships": list(
            Membership.objects.filter(collective=collective).order_by("pk").values()
        ),
    }


def invite(cast, email: str = "newcomer@example.org", **kwargs: Any) -> Invitation:
    return invitation_create(collective=cast.collective_a, inviter=cast.ana, email=email, **kwargs)


# --- invitation_create ------------------------------------------------------------


def test_an_invitation_sends_one_email_after_commit_with_a_link_that_resolves(
    cast, mailoutbox, django_capture_on_commit_callbacks
):
    # when Ana invites a newcomer, and the transaction commits
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        invitation = invite(cast, email="  NewComer@Example.ORG ", message=" Join us ")

    # then exactly one email went to the (normalised) address
    assert len(callbacks) == 1
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["newcomer@example.org"]
    assert email.subject == "You are invited to join Manila Virtual Assistants on Mutualist"
    assert "Ana Reyes invites you to join Manila Virtual Assistants" in email.body
    assert "Join us" in email.body
    # and its link carries a token that names this invitation
    match = TOKEN_IN_LINK.search(email.body)
    assert match is not None
    assert match.group(0).startswith(settings.SITE_URL)
    assert invitation_resolve(token=match.group("token")) == invitation
    # the row itself
    invitation.refresh_from_db()
    assert (invitation.email, invitation.role, invitation.message, invitation.state) == (
        "newcomer@example.org",
        "member",
        "Join us",
        "pending",
    )
    assert invitation.expires_at == NOW + dt.timedelta(days=settings.INVITATION_MAX_AGE_DAYS)


def test_no_email_leaves_before_the_transaction_commits(
    cast, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invite(cast)

    assert len(callbacks) == 1
    assert mailoutbox == []


def test_inviting_someone_with_an_account_shows_them_as_invited(cast):
    invitation = invite(cast, email="OLGA@example.org", role="coordinator")

    invited = Membership.objects.get(collective=cast.collective_a, user=cast.olga)
    assert (invited.state, invited.role, invited.joined_at) == ("invited", "coordinator", None)
    assert invitation.email == "olga@example.org"


def test_inviting_someone_without_an_account_creates_no_membership(cast):
    before = Membership.objects.count()

    invite(cast)

    assert Membership.objects.count() == before


@pytest.mark.parametrize(
    ("given", "email", "error_code"),
    [
        ("nothing", "ben@example.org", "already_member"),
        ("nothing", "ANA@example.org", "already_member"),
        ("invited", "newcomer@example.org", "already_invited"),
        ("invited", "olga@example.org", "already_invited"),
        ("applied", "olga@example.org", "already_applied"),
    ],
)
def test_it_refuses_to_invite_someone_already_there(
    cast, mailoutbox, django_capture_on_commit_callbacks, given, email, error_code
):
    # given Olga / a newcomer were already invited, or Olga applied
    if given == "invited":
        invite(cast, email=email)
    elif given == "applied":
        membership_apply(collective=cast.collective_a, user=cast.olga)
    before = state(cast.collective_a)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Conflict) as refused:
        invite(cast, email=email)

    assert (refused.value.code, refused.value.field) == (error_code, "email")
    assert state(cast.collective_a) == before
    assert mailoutbox == []


@pytest.mark.parametrize(
    ("kwargs", "error_code", "field"),
    [
        ({"email": "not-an-address"}, "invalid_email", "email"),
        ({"email": ""}, "invalid_email", "email"),
        ({"role": "boss"}, "invalid_role", "role"),
    ],
)
def test_it_refuses_bad_invitation_input(cast, kwargs, error_code, field):
    before = state(cast.collective_a)

    with pytest.raises(ValidationFailed) as refused:
        invite(cast, **kwargs)

    assert (refused.value.code, refused.value.field) == (error_code, field)
    assert state(cast.collective_a) == before


@pytest.mark.parametrize("who", ["ben", "carla", "olga"])
def test_only_a_coordinator_of_the_collective_invites(cast, who):
    before = state(cast.collective_a)

    with pytest.raises(PermissionDenied) as refused:
        invitation_create(
            collective=cast.collective_a, inviter=getattr(cast, who), email="x@example.org"
        )

    assert refused.value.code == "not_coordinator"
    assert state(cast.collective_a) == before


def test_an_expired_unanswered_invitation_makes_room_for_a_new_one(cast, time_machine):
    old = invite(cast, email="olga@example.org")
    time_machine.move_to(NOW + dt.timedelta(days=settings.INVITATION_MAX_AGE_DAYS), tick=False)

    new = invite(cast, email="olga@example.org", role="coordinator")

    old.refresh_from_db()
    assert old.state == Invitation.State.EXPIRED
    assert new.state == Invitation.State.PENDING
    invited = Membership.objects.get(collective=cast.collective_a, user=cast.olga)
    assert (invited.state, invited.role) == ("invited", "coordinator")


def test_a_former_member_is_invited_back_and_declining_leaves_them_as_having_left(cast):
    # given Ben left collective A
    left = membership_leave(
        membership=Membership.objects.get(collective=cast.collective_a, user=cast.ben),
        actor=cast.ben,
    )

    # when he is invited and declines
    invitation = invite(cast, email="ben@example.org")
    assert Membership.objects.get(pk=left.pk).state == "invited"
    invitation_decline(token=invitation_token(invitation), user=cast.ben)

    # then his row is as it was after leaving
    back = Membership.objects.get(pk=left.pk)
    assert (back.state, back.joined_at, back.left_at) == ("left", left.joined_at, left.left_at)


# --- invitation_resolve -----------------------------------------------------------


def test_a_token_past_the_maximum_age_is_expired(cast, time_machine):
    token = invitation_token(invite(cast))
    time_machine.move_to(NOW + dt.timedelta(days=settings.INVITATION_MAX_AGE_DAYS, seconds=1))

    with pytest.raises(ValidationFailed) as refused:
        invitation_resolve(token=token)

    assert (refused.value.code, refused.value.field) == ("invitation_expired", "token")


def test_a_fresh_token_for_an_invitation_past_its_expiry_is_expired(cast):
    # the link is signed now, but the invitation itself ran out yesterday
    invitation = invite(cast, now=NOW - dt.timedelta(days=settings.INVITATION_MAX_AGE_DAYS + 1))

    with pytest.raises(ValidationFailed) as refused:
        invitation_resolve(token=invitation_token(invitation))

    assert refused.value.code == "invitation_expired"


def test_an_invitation_closed_by_the_expiry_job_is_expired_not_used(cast, time_machine):
    invitation = invite(cast, email="olga@example.org")
    token = invitation_token(invitation)
    time_machine.move_to(NOW + dt.timedelta(days=settings.INVITATION_MAX_AGE_DAYS), tick=False)
    invitation_expire_overdue()

    with pytest.raises(ValidationFailed) as refused:
        invitation_resolve(token=token)

    assert refused.value.code == "invitation_expired"


def forged_tokens(invitation: Invitation) -> dict[str, str]:
    token = invitation_token(invitation)
    return {
        "garbled": token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"),
        "truncated": token[: len(token) // 2],
        "other salt": signing.dumps({"i": invitation.pk}, salt="members.email_change"),
        "unsigned": "hello",
        "empty": "",
        "unknown row": signing.dumps({"i": invitation.pk + 1000}, salt=INVITATION_SALT),
        "text id": signing.dumps({"i": str(invitation.pk)}, salt=INVITATION_SALT),
        "not a dict": signing.dumps([invitation.pk], salt=INVITATION_SALT),
    }


@pytest.mark.parametrize(
    "kind",
    [
        "garbled",
        "truncated",
        "other salt",
        "unsigned",
        "empty",
        "unknown row",
        "text id",
        "not a dict",
    ],
)
def test_a_forged_or_garbled_token_is_refused(cast, kind):
    token = forged_tokens(invite(cast))[kind]

    with pytest.raises(ValidationFailed) as refused:
        invitation_resolve(token=token)

    assert (refused.value.code, refused.value.field) == ("invalid_invitation_token", "token")


# --- invitation_accept ------------------------------------------------------------


def test_the_invitee_accepts_and_becomes_an_active_member_with_the_invited_role(cast):
    invitation = invite(cast, email="olga@example.org", role="coordinator")

    joined = invitation_accept(token=invitation_token(invitation), user=cast.olga)

    assert (joined.state, joined.role, joined.joined_at) == ("active", "coordinator", NOW)
    assert Membership.objects.filter(collective=cast.collective_a, user=cast.olga).count() == 1
    invitation.refresh_from_db()
    assert (invitation.state, invitation.accepted_by, invitation.responded_at) == (
        "accepted",
        cast.olga,
        NOW,
    )


def test_someone_who_signs_up_after_being_invited_accepts(cast):
    invitation = invite(cast, email="newcomer@example.org")
    newcomer = make_member("Newcomer@example.org", "Nia Newcomer")

    joined = invitation_accept(token=invitation_token(invitation), user=newcomer)

    assert (joined.user, joined.state, joined.role) == (newcomer, "active", "member")


def test_an_accepted_token_cannot_be_used_again(cast):
    invitation = invite(cast, email="olga@example.org")
    token = invitation_token(invitation)
    invitation_accept(token=token, user=cast.olga)
    before = state(cast.collective_a)

    with pytest.raises(Conflict) as refused:
        invitation_accept(token=token, user=cast.olga)

    assert (refused.value.code, refused.value.field) == ("invitation_used", "token")
    assert state(cast.collective_a) == before


@pytest.mark.parametrize("answer", [invitation_accept, invitation_decline])
def test_only_the_person_at_the_invited_address_answers(cast, answer):
    invitation = invite(cast, email="olga@example.org")
    before = state(cast.collective_a)

    with pytest.raises(PermissionDenied) as refused:
        answer(token=invitation_token(invitation), user=cast.carla)

    assert refused.value.code == "invitation_for_other_email"
    assert state(cast.collective_a) == before


def test_an_expired_invitation_cannot_be_accepted(cast, time_machine):
    invitation = invite(cast, email="olga@example.org")
    time_machine.move_to(NOW + dt.timedelta(days=settings.INVITATION_MAX_AGE_DAYS), tick=False)
    before = state(cast.collective_a)

    with pytest.raises(ValidationFailed) as refused:
        invitation_accept(token=invitation_token(invitation), user=cast.olga)

    assert refused.value.code == "invitation_expired"
    assert state(cast.collective_a) == before


# --- decline, revoke, expire ------------------------------------------------------


def test_declining_removes_the_invited_membership(cast):
    invitation = invite(cast, email="olga@example.org")

    declined = invitation_decline(token=invitation_token(invitation), user=cast.olga)

    assert (declined.state, declined.responded_at) == ("declined", NOW)
    assert not Membership.objects.filter(collective=cast.collective_a, user=cast.olga).exists()
    with pytest.raises(Conflict) as refused:
        invitation_accept(token=invitation_token(invitation), user=cast.olga)
    assert refused.value.code == "invitation_used"


def test_a_coordinator_revokes_an_invitation_and_its_link_stops_working(cast):
    invitation = invite(cast, email="olga@example.org")

    revoked = invitation_revoke(invitation=invitation, actor=cast.ana)

    assert (revoked.state, revoked.responded_at) == ("revoked", NOW)
    assert not Membership.objects.filter(collective=cast.collective_a, user=cast.olga).exists()
    with pytest.raises(Conflict) as refused:
        invitation_accept(token=invitation_token(invitation), user=cast.olga)
    assert refused.value.code == "invitation_used"


def test_an_answered_invitation_cannot_be_revoked(cast):
    invitation = invite(cast, email="olga@example.org")
    invitation_accept(token=invitation_token(invitation), user=cast.olga)
    before = state(cast.collective_a)

    with pytest.raises(Conflict) as refused:
        invitation_revoke(invitation=invitation, actor=cast.ana)

    assert refused.value.code == "invitation_used"
    assert state(cast.collective_a) == before


@pytest.mark.parametrize("who", ["ben", "carla", "olga"])
def test_only_a_coordinator_of_the_collective_revokes(cast, who):
    invitation = invite(cast, email="olga@example.org")
    before = state(cast.collective_a)

    with pytest.raises(PermissionDenied) as refused:
        invitation_revoke(invitation=invitation, actor=getattr(cast, who))

    assert refused.value.code == "not_coordinator"
    assert state(cast.collective_a) == before


def test_the_expiry_job_closes_overdue_invitations_once(cast, time_machine):
    # given an invitation to Olga (an account) and one to a newcomer, both
    # overdue, and a fresh one to Carla
    invite(cast, email="olga@example.org")
    invite(cast, email="newcomer@example.org")
    later = NOW + dt.timedelta(days=settings.INVITATION_MAX_AGE_DAYS)
    time_machine.move_to(later, tick=False)
    fresh = invite(cast, email="carla@example.org")

    # when the job runs, twice
    first = invitation_expire_overdue()
    second = invitation_expire_overdue()

    # then both overdue ones are expired, once; Olga's invited row is withdrawn
    assert (first, second) == (2, 0)
    assert sorted(
        Invitation.objects.filter(state="expired").values_list("email", "responded_at")
    ) == [("newcomer@example.org", later), ("olga@example.org", later)]
    assert not Membership.objects.filter(collective=cast.collective_a, user=cast.olga).exists()
    fresh.refresh_from_db()
    assert fresh.state == "pending"
    assert Membership.objects.get(collective=cast.collective_a, user=cast.carla).state == "invited"


def test_it_refuses_an_address_longer_than_254_characters(cast):
    # given: an address validate_email accepts but no column (or mail server) holds
    address = "a" * 64 + "@" + ".".join(["b" * 60] * 4) + ".org"
    assert len(address) > 254
    # when / then
    with pytest.raises(ValidationFailed) as refused:
        invitation_create(collective=cast.collective_a, inviter=cast.ana, email=address)
    assert (refused.value.code, refused.value.field) == ("too_long", "email")
    assert not Invitation.objects.exists()


# --- who the invitation was shown to, and races with an application ---------------


def test_an_invitation_records_the_verified_account_it_shows_as_invited(cast):
    to_olga = invite(cast, email="Olga@example.org")
    to_newcomer = invite(cast)

    assert (to_olga.invitee, to_newcomer.invitee) == (cast.olga, None)


def test_inviting_someone_whose_application_lands_meanwhile_writes_nothing(
    cast, monkeypatch, mailoutbox, django_capture_on_commit_callbacks
):
    # given Olga's application was committed after the invitation read her
    # membership: simulated by a read that sees no row, as a request that read
    # before the application committed would
    from mutualist.collectives.services import invitations

    membership_apply(collective=cast.collective_a, user=cast.olga)
    monkeypatch.setattr(invitations, "_membership_of", lambda *, collective, user: None)
    before = state(cast.collective_a)

    # when Ana invites her
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Conflict) as refused:
        invite(cast, email="olga@example.org")

    # then the unique membership index decides: a conflict, not a server error,
    # and neither the invitation nor its email exists
    assert (refused.value.code, refused.value.field) == ("state_changed", None)
    assert state(cast.collective_a) == before
    assert mailoutbox == []
