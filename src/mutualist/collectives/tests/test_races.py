"""Races on collectives: two requests at the same moment, on PostgreSQL.

Each test runs two threads that meet at a barrier and then call a service at
once, each on its own database connection. SQLite serialises every write
transaction ("IMMEDIATE"), so these races cannot happen there; the tests run
where they can (CI sets DATABASE_URL to PostgreSQL) and are skipped otherwise.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.conf import settings
from django.db import connection

from mutualist.collectives.models import Bylaws, Invitation, Membership
from mutualist.collectives.services import (
    bylaws_adopt,
    invitation_accept,
    invitation_create,
    invitation_token,
    membership_apply,
    membership_leave,
    membership_set_role,
)
from mutualist.core.errors import Conflict, PermissionDenied
from mutualist.testing import make_member, race

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row-lock races need PostgreSQL (set DATABASE_URL); SQLite serialises writers",
    ),
    # Real commits, so each thread sees the others' work; serialized_rollback
    # puts the seeded skills back for the tests that run after these.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_two_bylaws_adopted_at_once_get_versions_2_and_3(cast):
    today = cast.collective_a.created_at.date()

    def adopt(percent: str) -> Callable[[], Bylaws]:
        return lambda: bylaws_adopt(
            collective=cast.collective_a,
            actor=cast.ana,
            effective_from=today,
            treasury_percent=percent,
            admission_rule="coordinator",
        )

    outcome = race(adopt("11"), adopt("12"))

    assert sorted(bylaws.version for bylaws in outcome.results) == [2, 3]
    assert sorted(
        Bylaws.objects.filter(collective=cast.collective_a).values_list("version", flat=True)
    ) == [1, 2, 3]


@pytest.mark.parametrize("has_account", [True, False])
def test_one_invitation_accepted_twice_at_once_admits_once(cast, has_account):
    # given an invitation to Olga (an account, so an "invited" row exists) or
    # to a newcomer who signs up after being invited (no row yet)
    email = "olga@example.org" if has_account else "newcomer@example.org"
    invitation = invitation_create(collective=cast.collective_a, inviter=cast.ana, email=email)
    invitee = cast.olga if has_account else make_member(email, "Nia Newcomer")
    token = invitation_token(invitation)

    # when the link is opened twice at once (a double click)
    outcome = race(
        lambda: invitation_accept(token=token, user=invitee),
        lambda: invitation_accept(token=token, user=invitee),
    )

    # then one acceptance wins and the other is refused
    assert len(outcome.results) == 1
    assert [type(refusal) for refusal in outcome.refusals] == [Conflict]
    assert outcome.refusals[0].code in {"invitation_used", "already_member"}
    memberships = Membership.objects.filter(collective=cast.collective_a, user=invitee)
    assert [(m.state, m.role) for m in memberships] == [("active", "member")]
    invitation.refresh_from_db()
    assert (invitation.state, invitation.accepted_by) == (Invitation.State.ACCEPTED, invitee)


def test_applying_twice_at_once_records_one_application(cast):
    outcome = race(
        lambda: membership_apply(collective=cast.collective_a, user=cast.olga),
        lambda: membership_apply(collective=cast.collective_a, user=cast.olga),
    )

    assert len(outcome.results) == 1
    assert [(type(r), r.code) for r in outcome.refusals] == [(Conflict, "already_applied")]
    assert Membership.objects.filter(collective=cast.collective_a, user=cast.olga).count() == 1


def coordinators(collective) -> list[str]:
    return sorted(
        Membership.objects.filter(
            collective=collective, state="active", role="coordinator"
        ).values_list("user__email", flat=True)
    )


def test_two_coordinators_demoting_each_other_at_once_leave_one_coordinator(cast):
    # given Ana and Ben both coordinate collective A
    ana = Membership.objects.get(collective=cast.collective_a, user=cast.ana)
    ben = membership_set_role(
        membership=Membership.objects.get(collective=cast.collective_a, user=cast.ben),
        actor=cast.ana,
        role="coordinator",
    )

    # when each demotes the other at the same moment
    outcome = race(
        lambda: membership_set_role(membership=ben, actor=cast.ana, role="member"),
        lambda: membership_set_role(membership=ana, actor=cast.ben, role="member"),
    )

    # then the first demotion stands; the second is refused, because its actor
    # is no longer a coordinator (or the target is the last one)
    assert len(outcome.results) == 1
    assert len(outcome.refusals) == 1
    assert isinstance(outcome.refusals[0], PermissionDenied | Conflict)
    assert len(coordinators(cast.collective_a)) == 1


def test_two_coordinators_leaving_at_once_leave_one_coordinator_behind(cast):
    # given Ana and Ben coordinate collective A, and Dan is a plain member
    dan = make_member("dan@example.org", "Dan Cruz")
    Membership.objects.create(
        collective=cast.collective_a,
        user=dan,
        state="active",
        joined_at=cast.collective_a.created_at,
    )
    ana = Membership.objects.get(collective=cast.collective_a, user=cast.ana)
    ben = membership_set_role(
        membership=Membership.objects.get(collective=cast.collective_a, user=cast.ben),
        actor=cast.ana,
        role="coordinator",
    )

    # when both coordinators leave at the same moment
    outcome = race(
        lambda: membership_leave(membership=ana, actor=cast.ana),
        lambda: membership_leave(membership=ben, actor=cast.ben),
    )

    # then one leaves and the other is refused as the last coordinator
    assert len(outcome.results) == 1
    assert [(type(r), r.code) for r in outcome.refusals] == [(Conflict, "last_coordinator")]
    assert len(coordinators(cast.collective_a)) == 1
    assert Membership.objects.filter(collective=cast.collective_a, state="active").count() == 2


def coordinated_if_anyone_is_active(collective) -> bool:
    """The invariant: a collective with active members has an active coordinator."""
    active = Membership.objects.filter(collective=collective, state="active", user__is_active=True)
    return not active.exists() or active.filter(role="coordinator").exists()


def test_inviting_and_applying_at_once_leave_one_consistent_membership(cast):
    # when Ana invites Olga at the moment Olga applies
    outcome = race(
        lambda: invitation_create(
            collective=cast.collective_a, inviter=cast.ana, email="olga@example.org"
        ),
        lambda: membership_apply(collective=cast.collective_a, user=cast.olga),
    )

    # then one of them wins and the other is refused as a duplicate, never a crash
    assert len(outcome.results) == 1
    assert [(type(r), r.code) for r in outcome.refusals] in (
        [(Conflict, "already_applied")],
        [(Conflict, "already_invited")],
    )
    olga = Membership.objects.get(collective=cast.collective_a, user=cast.olga)
    pending = Invitation.objects.filter(collective=cast.collective_a, state="pending")
    if olga.state == "invited":
        assert [i.invitee for i in pending] == [cast.olga]
    else:
        assert (olga.state, pending.count()) == ("applied", 0)


def test_the_last_coordinator_leaving_while_her_invitation_is_accepted_leaves_a_coordinator(
    cast,
):
    # given Carla, B's only member, invited Olga
    invitation = invitation_create(
        collective=cast.collective_b, inviter=cast.carla, email="olga@example.org"
    )
    carla = Membership.objects.get(collective=cast.collective_b, user=cast.carla)

    # when Carla leaves at the moment Olga accepts
    outcome = race(
        lambda: membership_leave(membership=carla, actor=cast.carla),
        lambda: invitation_accept(token=invitation_token(invitation), user=cast.olga),
    )

    # then either Olga joined first and Carla, now the last coordinator of a
    # member, stays; or Carla left first and took the invitation with her
    assert len(outcome.results) == 1
    assert [(type(r), r.code) for r in outcome.refusals] in (
        [(Conflict, "last_coordinator")],
        [(Conflict, "invitation_used")],
    )
    assert coordinated_if_anyone_is_active(cast.collective_b)


def test_the_last_coordinator_leaving_while_someone_joins_an_open_collective(cast):
    # given B admits anyone at once, and Carla is its only member
    bylaws_adopt(
        collective=cast.collective_b,
        actor=cast.carla,
        effective_from=cast.collective_b.created_at.date(),
        treasury_percent="10",
        admission_rule="open",
    )
    carla = Membership.objects.get(collective=cast.collective_b, user=cast.carla)

    # when Carla leaves at the moment Olga applies
    outcome = race(
        lambda: membership_leave(membership=carla, actor=cast.carla),
        lambda: membership_apply(collective=cast.collective_b, user=cast.olga),
    )

    # then Olga is in, and someone coordinates B: Carla (her leaving refused),
    # or Olga herself (she joined a collective nobody ran any more)
    olga = Membership.objects.get(collective=cast.collective_b, user=cast.olga)
    assert olga.state == "active"
    assert [(type(r), r.code) for r in outcome.refusals] in ([(Conflict, "last_coordinator")], [])
    assert coordinated_if_anyone_is_active(cast.collective_b)


def test_a_coordinator_demoted_while_inviting_leaves_no_invitation_of_theirs_open(cast):
    # given Ben coordinates A beside Ana
    ben = membership_set_role(
        membership=Membership.objects.get(collective=cast.collective_a, user=cast.ben),
        actor=cast.ana,
        role="coordinator",
    )

    # when Ana demotes Ben at the moment he invites Olga as a coordinator
    outcome = race(
        lambda: membership_set_role(membership=ben, actor=cast.ana, role="member"),
        lambda: invitation_create(
            collective=cast.collective_a,
            inviter=cast.ben,
            email="olga@example.org",
            role="coordinator",
        ),
    )

    # then Ben is a member, and no invitation of his is left open: it was
    # refused, or revoked along with his role
    assert Membership.objects.get(pk=ben.pk).role == "member"
    assert [(type(r), r.code) for r in outcome.refusals] in (
        [(PermissionDenied, "not_coordinator")],
        [],
    )
    assert not Invitation.objects.filter(invited_by=cast.ben, state="pending").exists()
    assert not Membership.objects.filter(collective=cast.collective_a, user=cast.olga).exists()


def test_the_database_under_test_is_the_one_the_threads_use():
    # guards the tests above against silently racing on another database
    assert connection.settings_dict["NAME"] == settings.DATABASES["default"]["NAME"]
