"""Applying, admitting, leaving, re-joining and roles."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from mutualist.collectives.models import Bylaws, Collective, Membership
from mutualist.collectives.services import (
    bylaws_adopt,
    invitation_create,
    membership_apply,
    membership_approve,
    membership_leave,
    membership_reject,
    membership_set_role,
)
from mutualist.core.errors import Conflict, PermissionDenied, ValidationFailed
from mutualist.members.models import User
from mutualist.testing import make_member

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 6, 2, 9, 30, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(days=3)


@pytest.fixture(autouse=True)
def _frozen_time(time_machine):
    time_machine.move_to(NOW, tick=False)


def rows(collective: Collective) -> list[Any]:
    """Every membership of the collective, read fresh."""
    return list(Membership.objects.filter(collective=collective).order_by("pk").values())


def membership(cast, who: str, collective: Collective | None = None) -> Membership:
    return Membership.objects.get(
        user=getattr(cast, who), collective=collective or cast.collective_a
    )


def make_open(cast, collective: Collective | None = None, actor=None) -> None:
    bylaws_adopt(
        collective=collective or cast.collective_a,
        actor=actor or cast.ana,
        effective_from=NOW.date(),
        treasury_percent="10",
        admission_rule=Bylaws.AdmissionRule.OPEN,
    )


# --- membership_apply -------------------------------------------------------------


def test_under_the_coordinator_rule_an_applicant_waits_for_a_decision(cast):
    # when Olga applies to collective A, whose coordinator admits people
    applied = membership_apply(collective=cast.collective_a, user=cast.olga, note=" Hi! ")

    # then her membership is an application, not yet joined
    applied.refresh_from_db()
    assert (applied.state, applied.role) == (Membership.State.APPLIED, Membership.Role.MEMBER)
    assert applied.application_note == "Hi!"
    assert applied.joined_at is None


def test_under_the_open_rule_an_applicant_is_admitted_at_once(cast):
    make_open(cast)

    joined = membership_apply(collective=cast.collective_a, user=cast.olga)

    joined.refresh_from_db()
    assert (joined.state, joined.role) == (Membership.State.ACTIVE, Membership.Role.MEMBER)
    assert joined.joined_at == NOW


def test_an_open_rule_adopted_for_next_month_does_not_admit_anyone_yet(cast):
    bylaws_adopt(
        collective=cast.collective_a,
        actor=cast.ana,
        effective_from=dt.date(2025, 7, 1),
        treasury_percent="10",
        admission_rule=Bylaws.AdmissionRule.OPEN,
    )

    applied = membership_apply(collective=cast.collective_a, user=cast.olga)

    assert applied.state == Membership.State.APPLIED


@pytest.mark.parametrize(
    ("given", "error_code", "message"),
    [
        ("applied", "already_applied", "You have already applied to join."),
        ("active", "already_member", "You are already a member of this collective."),
        (
            "invited",
            "already_invited",
            "You have already been invited to this collective: "
            "accept the invitation from your dashboard.",
        ),
    ],
)
def test_it_refuses_an_application_from_someone_already_there(cast, given, error_code, message):
    # given Olga has applied, is a member, or is invited
    if given == "applied":
        membership_apply(collective=cast.collective_a, user=cast.olga)
    elif given == "invited":
        invitation_create(collective=cast.collective_a, inviter=cast.ana, email=cast.olga.email)
    else:
        Membership.objects.create(
            collective=cast.collective_a, user=cast.olga, state="active", joined_at=NOW
        )
    before = rows(cast.collective_a)

    # when she applies (again)
    with pytest.raises(Conflict) as refused:
        membership_apply(collective=cast.collective_a, user=cast.olga, note="again")

    # then it is refused, speaking to her and naming no input field, and nothing changed
    assert (refused.value.code, refused.value.message, refused.value.field) == (
        error_code,
        message,
        None,
    )
    assert rows(cast.collective_a) == before


# --- approve / reject -------------------------------------------------------------


def test_a_coordinator_approves_an_application(cast, time_machine):
    applied = membership_apply(collective=cast.collective_a, user=cast.olga)
    time_machine.move_to(LATER, tick=False)

    approved = membership_approve(membership=applied, actor=cast.ana)

    assert (approved.state, approved.joined_at) == (Membership.State.ACTIVE, LATER)


@pytest.mark.parametrize("who", ["ben", "carla", "olga"])
def test_only_a_coordinator_of_the_collective_decides_applications(cast, who):
    applied = membership_apply(collective=cast.collective_a, user=cast.olga)
    before = rows(cast.collective_a)

    for decide in (membership_approve, membership_reject):
        with pytest.raises(PermissionDenied) as refused:
            decide(membership=applied, actor=getattr(cast, who))
        assert refused.value.code == "not_coordinator"

    assert rows(cast.collective_a) == before


def test_an_application_is_decided_only_once(cast):
    applied = membership_apply(collective=cast.collective_a, user=cast.olga)
    membership_approve(membership=applied, actor=cast.ana)
    before = rows(cast.collective_a)

    for decide in (membership_approve, membership_reject):
        with pytest.raises(Conflict) as refused:
            decide(membership=applied, actor=cast.ana)
        assert refused.value.code == "not_applied"

    assert rows(cast.collective_a) == before


def test_rejecting_a_first_time_applicant_removes_the_application(cast):
    applied = membership_apply(collective=cast.collective_a, user=cast.olga)

    membership_reject(membership=applied, actor=cast.ana)

    assert not Membership.objects.filter(pk=applied.pk).exists()
    # and she may apply again later
    assert membership_apply(collective=cast.collective_a, user=cast.olga).state == "applied"


def test_rejecting_a_returning_member_puts_them_back_to_having_left(cast, time_machine):
    # given Ben left collective A and applies to come back
    ben = membership_leave(membership=membership(cast, "ben"), actor=cast.ben)
    time_machine.move_to(LATER, tick=False)
    again = membership_apply(collective=cast.collective_a, user=cast.ben)
    assert again.state == Membership.State.APPLIED

    # when Ana rejects him
    membership_reject(membership=again, actor=cast.ana)

    # then his row is back to "left", with his history kept
    again.refresh_from_db()
    assert again.state == Membership.State.LEFT
    assert (again.joined_at, again.left_at) == (ben.joined_at, ben.left_at)


# --- membership_leave -------------------------------------------------------------


def test_a_member_leaves(cast):
    left = membership_leave(membership=membership(cast, "ben"), actor=cast.ben)

    assert (left.state, left.left_at, left.role) == (Membership.State.LEFT, NOW, "member")


def test_the_last_coordinator_cannot_leave_while_others_remain(cast):
    before = rows(cast.collective_a)

    with pytest.raises(Conflict) as refused:
        membership_leave(membership=membership(cast, "ana"), actor=cast.ana)

    assert refused.value.code == "last_coordinator"
    assert rows(cast.collective_a) == before


def test_the_sole_member_may_leave(cast):
    # Carla is collective B's only member
    left = membership_leave(
        membership=membership(cast, "carla", cast.collective_b), actor=cast.carla
    )

    assert left.state == Membership.State.LEFT
    assert not Membership.objects.filter(collective=cast.collective_b, state="active").exists()


def test_a_coordinator_may_leave_once_another_coordinates(cast):
    membership_set_role(membership=membership(cast, "ben"), actor=cast.ana, role="coordinator")

    left = membership_leave(membership=membership(cast, "ana"), actor=cast.ana)

    assert (left.state, left.role) == (Membership.State.LEFT, Membership.Role.MEMBER)
    assert membership(cast, "ben").is_coordinator


def test_no_one_leaves_on_someone_elses_behalf(cast):
    before = rows(cast.collective_a)

    with pytest.raises(PermissionDenied) as refused:
        membership_leave(membership=membership(cast, "ben"), actor=cast.ana)

    assert refused.value.code == "not_your_membership"
    assert rows(cast.collective_a) == before


def test_leaving_twice_is_refused(cast):
    stale = membership(cast, "ben")
    membership_leave(membership=stale, actor=cast.ben)
    before = rows(cast.collective_a)

    # the object still says "active": the service reads the row itself
    stale.state = Membership.State.ACTIVE
    with pytest.raises(Conflict) as refused:
        membership_leave(membership=stale, actor=cast.ben)

    assert refused.value.code == "not_active"
    assert rows(cast.collective_a) == before


def test_a_member_who_left_rejoins_through_a_new_application(cast, time_machine):
    # given Ben left
    membership_leave(membership=membership(cast, "ben"), actor=cast.ben)

    # when he applies again and Ana approves
    time_machine.move_to(LATER, tick=False)
    again = membership_apply(collective=cast.collective_a, user=cast.ben, note="back")
    membership_approve(membership=again, actor=cast.ana)

    # then the same row is active again from now
    again.refresh_from_db()
    assert again.pk == membership(cast, "ben").pk
    assert (again.state, again.joined_at, again.left_at) == ("active", LATER, None)
    assert Membership.objects.filter(collective=cast.collective_a, user=cast.ben).count() == 1


def test_under_the_open_rule_a_former_member_rejoins_at_once_as_a_member(cast, time_machine):
    # given Ben had become a coordinator, then left; the collective is now open
    membership_set_role(membership=membership(cast, "ben"), actor=cast.ana, role="coordinator")
    membership_leave(membership=membership(cast, "ben"), actor=cast.ben)
    make_open(cast)
    time_machine.move_to(LATER, tick=False)

    again = membership_apply(collective=cast.collective_a, user=cast.ben)

    assert (again.state, again.role, again.joined_at, again.left_at) == (
        "active",
        "member",
        LATER,
        None,
    )


# --- membership_set_role ----------------------------------------------------------


def test_a_coordinator_promotes_and_demotes_a_member(cast):
    promoted = membership_set_role(
        membership=membership(cast, "ben"), actor=cast.ana, role="coordinator"
    )
    assert promoted.is_coordinator

    demoted = membership_set_role(membership=promoted, actor=cast.ana, role="member")
    assert demoted.role == Membership.Role.MEMBER


def test_the_last_coordinator_cannot_be_demoted(cast):
    before = rows(cast.collective_a)

    with pytest.raises(Conflict) as refused:
        membership_set_role(membership=membership(cast, "ana"), actor=cast.ana, role="member")

    assert (refused.value.code, refused.value.field) == ("last_coordinator", "role")
    assert rows(cast.collective_a) == before


def test_a_coordinator_may_step_down_when_another_remains(cast):
    membership_set_role(membership=membership(cast, "ben"), actor=cast.ana, role="coordinator")

    membership_set_role(membership=membership(cast, "ana"), actor=cast.ana, role="member")

    assert not membership(cast, "ana").is_coordinator
    assert membership(cast, "ben").is_coordinator


@pytest.mark.parametrize("who", ["ben", "carla", "olga"])
def test_only_a_coordinator_of_the_collective_sets_roles(cast, who):
    before = rows(cast.collective_a)

    with pytest.raises(PermissionDenied) as refused:
        membership_set_role(
            membership=membership(cast, "ben"), actor=getattr(cast, who), role="coordinator"
        )

    assert refused.value.code == "not_coordinator"
    assert rows(cast.collective_a) == before


def test_a_demoted_coordinator_can_no_longer_set_roles(cast):
    # given Ben was made coordinator and then demoted again
    ben = membership_set_role(
        membership=membership(cast, "ben"), actor=cast.ana, role="coordinator"
    )
    membership_set_role(membership=ben, actor=cast.ana, role="member")
    before = rows(cast.collective_a)

    with pytest.raises(PermissionDenied):
        membership_set_role(membership=membership(cast, "ana"), actor=cast.ben, role="member")

    assert rows(cast.collective_a) == before


def test_it_refuses_an_unknown_role(cast):
    before = rows(cast.collective_a)

    with pytest.raises(ValidationFailed) as refused:
        membership_set_role(membership=membership(cast, "ben"), actor=cast.ana, role="boss")

    assert (refused.value.code, refused.value.field) == ("invalid_role", "role")
    assert rows(cast.collective_a) == before


def test_only_an_active_member_has_a_role(cast):
    applied = membership_apply(collective=cast.collective_a, user=cast.olga)
    before = rows(cast.collective_a)

    with pytest.raises(Conflict) as refused:
        membership_set_role(membership=applied, actor=cast.ana, role="coordinator")

    assert refused.value.code == "not_active"
    assert rows(cast.collective_a) == before


def test_a_stale_membership_object_does_not_give_a_role_to_someone_who_left(cast):
    # given Ana loaded Ben's membership, then Ben left
    stale = membership(cast, "ben")
    membership_leave(membership=membership(cast, "ben"), actor=cast.ben)
    before = rows(cast.collective_a)

    with pytest.raises(Conflict) as refused:
        membership_set_role(membership=stale, actor=cast.ana, role="coordinator")

    assert refused.value.code == "not_active"
    assert rows(cast.collective_a) == before


def test_a_new_member_can_be_given_a_role_too(cast):
    dan = make_member("dan@example.org", "Dan Cruz")
    make_open(cast)
    joined = membership_apply(collective=cast.collective_a, user=dan)

    assert membership_set_role(membership=joined, actor=cast.ana, role="coordinator").is_coordinator


def test_it_refuses_to_admit_an_applicant_whose_account_was_deactivated(cast):
    # given Olga applied, then an operator deactivated her account
    applied = membership_apply(collective=cast.collective_a, user=cast.olga)
    User.objects.filter(pk=cast.olga.pk).update(is_active=False)
    before = rows(cast.collective_a)

    # when Ana approves the application
    with pytest.raises(Conflict) as refused:
        membership_approve(membership=applied, actor=cast.ana)

    # then it is refused and the application still waits (rejecting it is allowed)
    assert (refused.value.code, refused.value.field) == ("account_inactive", None)
    assert rows(cast.collective_a) == before
    membership_reject(membership=applied, actor=cast.ana)
    assert not Membership.objects.filter(pk=applied.pk).exists()
