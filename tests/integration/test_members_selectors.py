"""Who sees which profile, and the people directory."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from mutualist.collectives.models import Membership
from mutualist.collectives.services import membership_apply, membership_leave
from mutualist.core.errors import ValidationFailed
from mutualist.members.models import Profile, User
from mutualist.members.selectors import profile_get_for_user, profile_list_directory
from mutualist.members.services.profiles import (
    profile_set_availability,
    profile_set_skills,
)
from mutualist.testing import make_member

pytestmark = pytest.mark.django_db

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def unpublish(user: User) -> None:
    Profile.objects.filter(user=user).update(is_public=False)


def handles(entries) -> list[str]:
    return [entry.profile.handle for entry in entries]


# --- profile_get_for_user ---------------------------------------------------------


@pytest.fixture
def private_ben(cast):
    # given Ben (active in collective A) has unpublished his profile
    unpublish(cast.ben)
    return Profile.objects.get(user=cast.ben)


def test_a_private_profile_is_visible_to_its_owner(cast, private_ben):
    assert profile_get_for_user(viewer=cast.ben, handle=private_ben.handle) == private_ben


def test_a_private_profile_is_visible_to_a_fellow_active_member(cast, private_ben):
    # Ana coordinates collective A, where Ben is active
    assert profile_get_for_user(viewer=cast.ana, handle=private_ben.handle) == private_ben


@pytest.mark.parametrize("who", ["carla", "olga", "anonymous"])
def test_a_private_profile_is_hidden_from_everyone_else(cast, private_ben, who):
    # Carla is in collective B only, Olga in no collective
    viewer = AnonymousUser() if who == "anonymous" else getattr(cast, who)

    with pytest.raises(Http404):
        profile_get_for_user(viewer=viewer, handle=private_ben.handle)


def test_a_private_profile_is_hidden_from_someone_who_only_applied(cast, private_ben):
    # given Olga applied to collective A but is not admitted yet
    membership_apply(collective=cast.collective_a, user=cast.olga)

    with pytest.raises(Http404):
        profile_get_for_user(viewer=cast.olga, handle=private_ben.handle)


def test_a_private_profile_is_hidden_from_a_former_fellow_member(cast, private_ben):
    # given Dan, who was active in collective A and has since left it
    dan = make_member("dan@example.org", "Dan Cruz")
    Membership.objects.create(
        collective=cast.collective_a,
        user=dan,
        state=Membership.State.ACTIVE,
        joined_at=cast.collective_a.created_at,
    )
    membership_leave(membership=Membership.objects.get(user=dan), actor=dan)

    with pytest.raises(Http404):
        profile_get_for_user(viewer=dan, handle=private_ben.handle)


def test_a_member_does_not_see_private_profiles_of_another_collective(cast, private_ben):
    # given Carla, in collective B only, unpublished her profile; Ben is in A only
    unpublish(cast.carla)
    carla = Profile.objects.get(user=cast.carla)

    with pytest.raises(Http404):
        profile_get_for_user(viewer=cast.ben, handle=carla.handle)


def test_staff_see_private_profiles(cast, private_ben):
    staff = make_member("staff@example.org", "Sam Staff")
    User.objects.filter(pk=staff.pk).update(is_staff=True)
    staff.refresh_from_db()

    assert profile_get_for_user(viewer=staff, handle=private_ben.handle) == private_ben


def test_a_published_profile_is_visible_to_anyone(cast):
    ben = Profile.objects.get(user=cast.ben)

    assert profile_get_for_user(viewer=AnonymousUser(), handle=ben.handle) == ben


def test_an_unknown_handle_is_not_found(cast):
    with pytest.raises(Http404):
        profile_get_for_user(viewer=cast.ana, handle="nobody-here")


def test_a_deactivated_persons_profile_is_not_found(cast):
    ben = Profile.objects.get(user=cast.ben)
    User.objects.filter(pk=cast.ben.pk).update(is_active=False)

    with pytest.raises(Http404):
        profile_get_for_user(viewer=cast.ana, handle=ben.handle)


# --- profile_list_directory -------------------------------------------------------


@pytest.fixture
def directory(cast):
    """Given four published profiles with skills, languages and availability."""
    profile_set_skills(user=cast.ana, skills={"bookkeeping": 3, "data_entry": 1})
    profile_set_skills(user=cast.ben, skills={"bookkeeping": 2})
    profile_set_skills(user=cast.carla, skills={"social_media": 3})
    for user, codes in [(cast.ana, ["en", "fil"]), (cast.ben, ["en"]), (cast.carla, ["sw", "en"])]:
        for code in codes:
            user.profile.languages.create(code=code)
    # Ana: Manila mornings; Ben: Lagos office hours; Carla and Olga: none
    profile_set_availability(
        user=cast.ana,
        windows=[{"weekday": day, "start": "06:00", "end": "14:00"} for day in WEEKDAYS],
    )
    profile_set_availability(
        user=cast.ben,
        windows=[{"weekday": day, "start": "09:00", "end": "17:00"} for day in WEEKDAYS],
    )
    return cast


def test_the_directory_lists_published_profiles_by_name(directory):
    entries = profile_list_directory(viewer=AnonymousUser())

    assert handles(entries) == ["ana-reyes", "ben-okafor", "carla-mwangi", "olga-petrova"]
    assert all(entry.overlap_hours is None for entry in entries)


def test_the_directory_filters_by_skill_once_per_person(directory):
    assert handles(profile_list_directory(viewer=AnonymousUser(), skill="bookkeeping")) == [
        "ana-reyes",
        "ben-okafor",
    ]
    assert handles(profile_list_directory(viewer=AnonymousUser(), skill="payroll")) == []


def test_the_directory_filters_by_country_and_city_ignoring_case(directory):
    assert handles(profile_list_directory(viewer=AnonymousUser(), country="ke")) == ["carla-mwangi"]
    assert handles(profile_list_directory(viewer=AnonymousUser(), city=" lagos ")) == ["ben-okafor"]
    assert handles(profile_list_directory(viewer=AnonymousUser(), country="PH", city="Lagos")) == []


def test_the_directory_filters_by_language(directory):
    assert handles(profile_list_directory(viewer=AnonymousUser(), language="EN")) == [
        "ana-reyes",
        "ben-okafor",
        "carla-mwangi",
    ]
    assert handles(profile_list_directory(viewer=AnonymousUser(), language="fil")) == ["ana-reyes"]


def test_the_directory_reports_overlap_with_an_office_week_in_the_chosen_zone(directory):
    # Sydney on AEST in June: Ana's Manila 06:00-14:00 meets 7 h of each
    # 09:00-17:00 day (see test_availability); Lagos (UTC+1) 09:00-17:00 is
    # Sydney 18:00-02:00, outside Sydney's office hours entirely.
    entries = profile_list_directory(
        viewer=AnonymousUser(), overlap_timezone="Australia/Sydney", today=dt.date(2025, 6, 4)
    )

    assert [(entry.profile.handle, entry.overlap_hours) for entry in entries] == [
        ("ana-reyes", Decimal("35.00")),
        ("ben-okafor", Decimal("0.00")),
        ("carla-mwangi", Decimal("0.00")),
        ("olga-petrova", Decimal("0.00")),
    ]


def test_the_directory_keeps_those_with_at_least_the_minimum_overlap(directory):
    # Europe/Berlin in June is UTC+2: Lagos 09:00-17:00 is Berlin 10:00-18:00,
    # 7 h of Berlin's office day; Manila 06:00-14:00 is Berlin 00:00-08:00, none.
    entries = profile_list_directory(
        viewer=AnonymousUser(),
        overlap_timezone="Europe/Berlin",
        min_overlap_hours=Decimal("20"),
        today=dt.date(2025, 6, 4),
    )

    assert [(entry.profile.handle, entry.overlap_hours) for entry in entries] == [
        ("ben-okafor", Decimal("35.00"))
    ]


def test_the_directory_refuses_an_unknown_overlap_zone(directory):
    with pytest.raises(ValidationFailed) as refused:
        profile_list_directory(viewer=AnonymousUser(), overlap_timezone="Mars/Olympus")

    assert (refused.value.code, refused.value.field) == ("invalid_timezone", "overlap_timezone")


def test_the_directory_shows_a_private_profile_only_to_those_who_may_see_it(directory):
    # given Ben unpublished his profile
    unpublish(directory.ben)

    assert "ben-okafor" not in handles(profile_list_directory(viewer=AnonymousUser()))
    assert "ben-okafor" not in handles(profile_list_directory(viewer=directory.olga))
    assert "ben-okafor" not in handles(profile_list_directory(viewer=directory.carla))
    assert "ben-okafor" in handles(profile_list_directory(viewer=directory.ana))
    assert "ben-okafor" in handles(profile_list_directory(viewer=directory.ben))


def add_members(count: int, offset: int = 0) -> None:
    for n in range(offset, offset + count):
        user = make_member(f"member{n}@example.org", f"Member {n:03d}", timezone="Asia/Manila")
        profile_set_skills(user=user, skills={"bookkeeping": 2, "payroll": 1})
        user.profile.languages.create(code="en")
        profile_set_availability(
            user=user,
            windows=[{"weekday": day, "start": "09:00", "end": "17:00"} for day in WEEKDAYS],
        )


def directory_queries(viewer) -> int:
    with CaptureQueriesContext(connection) as queries:
        entries = profile_list_directory(
            viewer=viewer, overlap_timezone="Europe/Berlin", today=dt.date(2025, 6, 4)
        )
        # what a template reads of each entry
        for entry in entries:
            _ = [str(skill.skill) for skill in entry.profile.skills.all()]
            _ = [language.code for language in entry.profile.languages.all()]
            _ = entry.profile.user.display_name
    return len(queries)


@pytest.mark.parametrize("who", ["anonymous", "ana"])
def test_the_directory_costs_the_same_queries_for_5_or_20_members(cast, who):
    viewer = AnonymousUser() if who == "anonymous" else cast.ana
    add_members(5)
    with_five = directory_queries(viewer)

    add_members(15, offset=5)
    with_twenty = directory_queries(viewer)

    assert with_twenty == with_five
    assert with_five <= 4
