"""Reads of collectives, scoped by who is asking."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from mutualist.collectives.models import Membership
from mutualist.collectives.selectors import (
    collective_get_for_coordinator,
    collective_get_for_member,
    collective_get_public,
    collective_list_directory,
    invitation_get_for_coordinator,
    invitation_list_for_user,
    invitation_list_pending,
    membership_get_for_coordinator,
    membership_list_active,
    membership_list_applications,
    membership_list_for_user,
)
from mutualist.collectives.services import (
    collective_create,
    invitation_accept,
    invitation_create,
    invitation_token,
    membership_apply,
    membership_leave,
)
from mutualist.core.errors import PermissionDenied
from mutualist.members.models import Profile, User
from mutualist.members.services.profiles import profile_set_skills
from mutualist.testing import make_member

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 6, 2, 9, 30, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen_time(time_machine):
    time_machine.move_to(NOW, tick=False)


def viewer(cast, who: str) -> User | AnonymousUser:
    return AnonymousUser() if who == "anonymous" else getattr(cast, who)


# --- getters ------------------------------------------------------------------------


def test_an_active_member_gets_the_collective_and_their_membership(cast):
    collective, membership = collective_get_for_member(user=cast.ben, slug="manila-va")

    assert collective == cast.collective_a
    assert (membership.user, membership.state) == (cast.ben, "active")


@pytest.mark.parametrize("who", ["carla", "olga", "anonymous"])
def test_anyone_not_an_active_member_gets_404_from_the_member_getter(cast, who):
    with pytest.raises(Http404):
        collective_get_for_member(user=viewer(cast, who), slug="manila-va")


def test_an_applicant_or_former_member_gets_404_from_the_member_getter(cast):
    membership_apply(collective=cast.collective_a, user=cast.olga)
    membership_leave(
        membership=Membership.objects.get(user=cast.ben, collective=cast.collective_a),
        actor=cast.ben,
    )

    for user in (cast.olga, cast.ben):
        with pytest.raises(Http404):
            collective_get_for_member(user=user, slug="manila-va")


def test_an_unknown_slug_is_404(cast):
    with pytest.raises(Http404):
        collective_get_public(slug="nowhere")
    with pytest.raises(Http404):
        collective_get_for_member(user=cast.ana, slug="nowhere")


def test_a_coordinator_gets_the_collective_from_the_coordinator_getter(cast):
    collective, membership = collective_get_for_coordinator(user=cast.ana, slug="manila-va")

    assert (collective, membership.role) == (cast.collective_a, "coordinator")


def test_a_plain_member_is_refused_by_the_coordinator_getter(cast):
    with pytest.raises(PermissionDenied) as refused:
        collective_get_for_coordinator(user=cast.ben, slug="manila-va")

    assert refused.value.code == "not_coordinator"


@pytest.mark.parametrize("who", ["carla", "olga", "anonymous"])
def test_an_outsider_gets_404_from_the_coordinator_getter(cast, who):
    # a 404, not a 403: outsiders do not learn who coordinates what
    with pytest.raises(Http404):
        collective_get_for_coordinator(user=viewer(cast, who), slug="manila-va")


# --- coordinator lists ------------------------------------------------------------


@pytest.fixture
def pending(cast, time_machine):
    """Given an application by Olga and invitations in every state."""
    membership_apply(collective=cast.collective_a, user=cast.olga)
    invitation_create(collective=cast.collective_a, inviter=cast.ana, email="old@example.org")
    time_machine.move_to(NOW + dt.timedelta(days=settings.INVITATION_MAX_AGE_DAYS), tick=False)
    accepted = invitation_create(
        collective=cast.collective_a, inviter=cast.ana, email="carla@example.org"
    )
    invitation_accept(token=invitation_token(accepted), user=cast.carla)
    open_one = invitation_create(
        collective=cast.collective_a, inviter=cast.ana, email="new@example.org"
    )
    elsewhere = invitation_create(
        collective=cast.collective_b, inviter=cast.carla, email="new@example.org"
    )
    return open_one, elsewhere


def test_a_coordinator_sees_open_invitations_and_applications(cast, pending):
    open_one, _ = pending

    assert list(invitation_list_pending(collective=cast.collective_a, viewer=cast.ana)) == [
        open_one
    ]
    assert [
        m.user for m in membership_list_applications(collective=cast.collective_a, viewer=cast.ana)
    ] == [cast.olga]


def test_a_plain_member_may_not_list_invitations_or_applications(cast, pending):
    for listing in (invitation_list_pending, membership_list_applications):
        with pytest.raises(PermissionDenied):
            listing(collective=cast.collective_a, viewer=cast.ben)


@pytest.mark.parametrize("who", ["olga", "anonymous"])
def test_an_outsider_may_not_list_invitations_or_applications(cast, pending, who):
    for listing in (invitation_list_pending, membership_list_applications):
        with pytest.raises(Http404):
            listing(collective=cast.collective_a, viewer=viewer(cast, who))


def test_a_coordinator_cannot_reach_another_collectives_rows_by_id(cast, pending):
    open_one, elsewhere = pending
    carla_in_b = Membership.objects.get(collective=cast.collective_b, user=cast.carla)

    assert (
        invitation_get_for_coordinator(
            collective=cast.collective_a, viewer=cast.ana, invitation_id=open_one.pk
        )
        == open_one
    )
    with pytest.raises(Http404):
        invitation_get_for_coordinator(
            collective=cast.collective_a, viewer=cast.ana, invitation_id=elsewhere.pk
        )
    with pytest.raises(Http404):
        membership_get_for_coordinator(
            collective=cast.collective_a, viewer=cast.ana, membership_id=carla_in_b.pk
        )
    with pytest.raises(PermissionDenied):
        membership_get_for_coordinator(
            collective=cast.collective_a, viewer=cast.ben, membership_id=carla_in_b.pk
        )


def test_a_person_sees_the_open_invitations_to_their_address(cast, pending):
    newcomer = make_member("NEW@example.org", "Nia Newcomer")

    assert {i.collective for i in invitation_list_for_user(user=newcomer)} == {
        cast.collective_a,
        cast.collective_b,
    }
    assert list(invitation_list_for_user(user=cast.carla)) == []


def test_a_persons_memberships_leave_out_collectives_they_left(cast):
    membership_apply(collective=cast.collective_b, user=cast.ben)
    membership_leave(
        membership=Membership.objects.get(user=cast.ben, collective=cast.collective_a),
        actor=cast.ben,
    )

    assert [(m.collective, m.state) for m in membership_list_for_user(user=cast.ben)] == [
        (cast.collective_b, "applied")
    ]


# --- membership_list_active -------------------------------------------------------


@pytest.fixture
def private_ben(cast):
    Profile.objects.filter(user=cast.ben).update(is_public=False)
    return cast.ben


@pytest.mark.parametrize("who", ["carla", "olga", "anonymous"])
def test_the_public_sees_only_members_with_a_published_profile(cast, private_ben, who):
    members = membership_list_active(collective=cast.collective_a, viewer=viewer(cast, who))

    assert [m.user for m in members] == [cast.ana]


@pytest.mark.parametrize("who", ["ana", "ben"])
def test_fellow_members_see_every_active_member(cast, private_ben, who):
    members = membership_list_active(collective=cast.collective_a, viewer=viewer(cast, who))

    # coordinators first
    assert [m.user for m in members] == [cast.ana, cast.ben]


def test_applicants_and_former_members_are_not_listed_as_active(cast):
    membership_apply(collective=cast.collective_a, user=cast.olga)
    membership_leave(
        membership=Membership.objects.get(user=cast.ben, collective=cast.collective_a),
        actor=cast.ben,
    )

    assert [
        m.user for m in membership_list_active(collective=cast.collective_a, viewer=cast.ana)
    ] == [cast.ana]


# --- collective_list_directory ----------------------------------------------------


@pytest.fixture
def third(cast):
    """Given a third collective, in Nairobi, whose only member offers bookkeeping."""
    dan = make_member("dan@example.org", "Dan Kamau")
    profile_set_skills(user=dan, skills={"bookkeeping": 3})
    # an applicant's skills do not count for the collective
    profile_set_skills(user=cast.olga, skills={"payroll": 3})
    collective = collective_create(
        creator=dan,
        name="Nairobi Books",
        slug="nairobi-books",
        base_currency="KES",
        city="Nairobi",
        country="KE",
        description="Bookkeeping collective.",
    )
    membership_apply(collective=collective, user=cast.olga)
    return collective


def slugs(collectives) -> list[str]:
    return [c.slug for c in collectives]


def test_the_directory_lists_every_collective_by_name_with_its_active_members(cast, third):
    collectives = collective_list_directory()

    # active_members is the directory's annotation
    assert [(c.slug, c.active_members) for c in collectives] == [  # type: ignore[attr-defined]
        ("manila-va", 2),
        ("nairobi-books", 1),
        ("remote-crew", 1),
    ]


def test_the_directory_filters_by_country_city_remote_and_text(cast, third):
    assert slugs(collective_list_directory(country="ke")) == ["nairobi-books"]
    assert slugs(collective_list_directory(city=" MANILA ")) == ["manila-va"]
    assert slugs(collective_list_directory(remote=True)) == ["remote-crew"]
    assert slugs(collective_list_directory(remote=False)) == ["manila-va", "nairobi-books"]
    assert slugs(collective_list_directory(query="bookkeeping")) == ["nairobi-books"]
    assert slugs(collective_list_directory(query="crew")) == ["remote-crew"]


def test_the_directory_filters_by_a_skill_an_active_member_offers(cast, third):
    assert slugs(collective_list_directory(skill="bookkeeping")) == ["nairobi-books"]
    assert slugs(collective_list_directory(skill="payroll")) == []


def test_the_skill_filter_ignores_skills_on_unpublished_profiles(cast):
    # given: Ben, the only bookkeeper in collective A, unpublishes his profile
    from mutualist.collectives.selectors import collective_list_directory
    from mutualist.members.services.profiles import profile_set_skills

    profile_set_skills(user=cast.ben, skills={"bookkeeping": 3})
    assert [c.slug for c in collective_list_directory(skill="bookkeeping")] == ["manila-va"]
    Profile.objects.filter(user=cast.ben).update(is_public=False)
    # when / then: the public directory no longer finds A by that skill
    assert list(collective_list_directory(skill="bookkeeping")) == []


def test_a_deactivated_account_is_not_listed_among_active_members(cast):
    from django.contrib.auth.models import AnonymousUser

    from mutualist.collectives.selectors import membership_list_active

    User.objects.filter(pk=cast.ben.pk).update(is_active=False)
    names = [
        m.user.profile.display_name
        for m in membership_list_active(collective=cast.collective_a, viewer=AnonymousUser())
    ]
    assert names == ["Ana Reyes"]
