"""The collectives endpoints: directory, pages, edits, bylaws, members,
applications, leaving and roles. (Invitations: test_invitations.py.)"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from mutualist.api.tests.support import (
    assert_leaks_nothing,
    assert_problem,
    patch_json,
    post_json,
    put_json,
)
from mutualist.collectives.models import Bylaws, Collective, CoworkingSpace, Membership
from mutualist.collectives.services import bylaws_adopt
from mutualist.members.models import Profile

A = "/api/v1/collectives/manila-va"
NEW_COLLECTIVE = {
    "name": "Berlin Bookkeepers",
    "slug": "berlin-books",
    "base_currency": "EUR",
    "city": "Berlin",
    "country": "DE",
    "description": "Bookkeeping in Berlin.",
    "treasury_percent": "12.5",
    "admission_rule": "open",
    "coworking": {"name": "Betahaus", "address": "Rudi-Dutschke-Str. 23"},
}
EDIT = {
    "name": "Manila VAs",
    "description": "Virtual assistants, Manila and beyond.",
    "is_remote": False,
    "city": "Manila",
    "country": "PH",
    "coworking": {"name": "Hub", "address": "1 Ayala Ave", "opening_hours": "Mon-Fri"},
}
# What an outsider must never see of collective A's members-only data.
A_PRIVATE = ("Ben Okafor", "ben@example.org", "ana@example.org")


def _a() -> dict[str, object]:
    collective = Collective.objects.get(slug="manila-va")
    return {
        "name": collective.name,
        "description": collective.description,
        "city": collective.city,
        "coworking": CoworkingSpace.objects.filter(collective=collective).count(),
        "bylaws": Bylaws.objects.filter(collective=collective).count(),
        "memberships": sorted(
            Membership.objects.filter(collective=collective).values_list(
                "user__email", "role", "state"
            )
        ),
    }


def _membership(collective, user) -> Membership:
    return Membership.objects.get(collective=collective, user=user)


# --- Anonymous callers where a login is needed -------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/collectives"),
        ("put", A),
        ("patch", A),
        ("post", f"{A}/applications"),
        ("get", f"{A}/applications"),
        ("post", f"{A}/applications/1/approve"),
        ("post", f"{A}/applications/1/reject"),
        ("post", f"{A}/leave"),
        ("put", f"{A}/members/1/role"),
    ],
)
def test_collective_writes_and_coordinator_reads_refuse_anonymous_callers(cast, method, path):
    before = _a()

    response = getattr(Client(), method)(path, data={}, content_type="application/json")

    assert_problem(response, 401, "not_authenticated")
    assert_leaks_nothing(response, *A_PRIVATE)
    assert _a() == before
    assert Collective.objects.count() == 2


# --- GET /collectives -------------------------------------------------------------------------


def test_the_directory_lists_collectives_with_their_active_member_counts(cast):
    response = Client().get("/api/v1/collectives")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [(c["slug"], c["active_members"]) for c in body["items"]] == [
        ("manila-va", 2),
        ("remote-crew", 1),
    ]


@pytest.mark.parametrize(
    ("query", "slugs"),
    [
        ("remote=true", ["remote-crew"]),
        ("remote=false", ["manila-va"]),
        ("country=ph", ["manila-va"]),
        ("city=MANILA", ["manila-va"]),
        ("q=crew", ["remote-crew"]),
        ("q=nothing-like-this", []),
    ],
)
def test_the_directory_filters(cast, query, slugs):
    response = Client().get(f"/api/v1/collectives?{query}")

    assert [c["slug"] for c in response.json()["items"]] == slugs


def test_the_directory_filters_by_a_skill_a_member_offers(cast):
    from mutualist.members.services.profiles import profile_set_skills

    profile_set_skills(user=cast.carla, skills={"seo": 2})

    response = Client().get("/api/v1/collectives?skill=seo")

    assert [c["slug"] for c in response.json()["items"]] == ["remote-crew"]


def test_the_directory_refuses_a_bad_limit(cast):
    body = assert_problem(Client().get("/api/v1/collectives?limit=0"), 422, "validation_failed")
    assert body["errors"][0]["field"] == "limit"


# --- POST /collectives ------------------------------------------------------------------------


def test_founding_a_collective_makes_the_caller_its_coordinator(cast, client_for):
    response = post_json(client_for(cast.olga), "/api/v1/collectives", NEW_COLLECTIVE)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["slug"] == "berlin-books"
    assert body["coworking_space"] == {
        "name": "Betahaus",
        "address": "Rudi-Dutschke-Str. 23",
        "opening_hours": "",
    }
    assert body["bylaws"]["version"] == 1
    assert body["bylaws"]["admission_rule"] == "open"
    assert body["bylaws"]["split"] == [{"recipient": "treasury", "percent": "12.50"}]
    assert body["viewer_membership"]["role"] == "coordinator"
    assert [m["member"]["handle"] for m in body["members"]] == ["olga-petrova"]
    collective = Collective.objects.get(slug="berlin-books")
    assert _membership(collective, cast.olga).role == Membership.Role.COORDINATOR


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        ({"base_currency": "XYZ"}, 422, "invalid_currency", "base_currency"),
        ({"treasury_percent": "101"}, 422, "percentage_out_of_range", "treasury_percent"),
        ({"treasury_percent": "-1"}, 422, "percentage_out_of_range", "treasury_percent"),
        ({"treasury_percent": "10.001"}, 422, "invalid_percentage", "treasury_percent"),
        ({"slug": "Not A Slug"}, 422, "invalid_slug", "slug"),
        ({"slug": "manila-va"}, 409, "slug_taken", "slug"),
        ({"city": "", "is_remote": False}, 422, "home_required", "city"),
        ({"admission_rule": "lottery"}, 422, "invalid_admission_rule", "admission_rule"),
        ({"coworking": {"name": "Hub", "address": " "}}, 422, "required", "coworking_address"),
    ],
)
def test_refused_collectives_are_not_created(cast, client_for, change, status, code, field):
    response = post_json(client_for(cast.olga), "/api/v1/collectives", {**NEW_COLLECTIVE, **change})

    body = assert_problem(response, status, code)
    assert body["errors"][0]["field"] == field
    assert Collective.objects.count() == 2
    assert not Membership.objects.filter(user=cast.olga).exists()


# --- GET /collectives/{slug} -------------------------------------------------------------------


def test_a_collectives_page_is_public(cast):
    response = Client().get(A)

    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Manila Virtual Assistants"
    assert body["base_currency"] == "PHP"
    assert body["coworking_space"] is None
    assert body["bylaws"]["version"] == 1
    assert body["bylaws"]["split"] == [{"recipient": "treasury", "percent": "10.00"}]
    assert [(m["member"]["handle"], m["role"]) for m in body["members"]] == [
        ("ana-reyes", "coordinator"),
        ("ben-okafor", "member"),
    ]
    assert body["viewer_membership"] is None


def test_a_collectives_page_hides_unpublished_members_from_outsiders(cast, client_for):
    Profile.objects.filter(user=cast.ben).update(is_public=False)

    as_olga = client_for(cast.olga).get(A)
    as_ana = client_for(cast.ana).get(A)

    assert as_olga.status_code == 200
    assert [m["member"]["handle"] for m in as_olga.json()["members"]] == ["ana-reyes"]
    assert "Ben Okafor" not in as_olga.content.decode()
    assert as_ana.status_code == 200
    assert [m["member"]["handle"] for m in as_ana.json()["members"]] == ["ana-reyes", "ben-okafor"]


def test_a_collectives_page_shows_the_viewer_their_own_membership(cast, client_for):
    response = client_for(cast.ben).get(A)

    membership = _membership(cast.collective_a, cast.ben)
    assert response.json()["viewer_membership"] == {
        "id": membership.pk,
        "role": "member",
        "state": "active",
    }


def test_the_page_shows_the_bylaws_in_force_today_not_a_future_version(cast):
    bylaws_adopt(
        collective=cast.collective_a,
        actor=cast.ana,
        effective_from=timezone.localdate() + dt.timedelta(days=30),
        treasury_percent="20",
        admission_rule="open",
    )

    response = Client().get(A)

    assert response.json()["bylaws"]["version"] == 1


def test_an_unknown_collective_is_a_404(db):
    assert_problem(Client().get("/api/v1/collectives/nowhere"), 404, "not_found")


# --- PUT and PATCH /collectives/{slug} ---------------------------------------------------------


def test_a_coordinator_replaces_the_collectives_details(cast, client_for):
    response = put_json(client_for(cast.ana), A, EDIT)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == "Manila VAs"
    assert body["coworking_space"]["name"] == "Hub"
    assert _a()["coworking"] == 1


def test_put_without_a_coworking_space_removes_it(cast, client_for):
    client = client_for(cast.ana)
    put_json(client, A, EDIT)

    response = put_json(client, A, {**EDIT, "coworking": None})

    assert response.json()["coworking_space"] is None
    assert _a()["coworking"] == 0


def test_patch_changes_only_the_fields_sent(cast, client_for):
    client = client_for(cast.ana)
    put_json(client, A, EDIT)

    response = patch_json(client, A, {"description": "Now also in Cebu."})

    assert response.status_code == 200
    body = response.json()
    assert body["description"] == "Now also in Cebu."
    assert body["name"] == "Manila VAs"
    assert body["coworking_space"]["name"] == "Hub"


def test_patch_with_a_null_coworking_space_removes_it(cast, client_for):
    client = client_for(cast.ana)
    put_json(client, A, EDIT)

    response = patch_json(client, A, {"coworking": None})

    assert response.json()["coworking_space"] is None
    assert response.json()["name"] == "Manila VAs"


@pytest.mark.parametrize("method", [put_json, patch_json])
def test_an_outsider_cannot_edit_a_collective_and_learns_nothing(cast, client_for, method):
    before = _a()

    response = method(client_for(cast.olga), A, EDIT)

    assert_problem(response, 404, "not_found")
    assert_leaks_nothing(response, "Manila Virtual Assistants", *A_PRIVATE)
    assert _a() == before


@pytest.mark.parametrize("method", [put_json, patch_json])
def test_a_member_who_is_not_a_coordinator_cannot_edit(cast, client_for, method):
    before = _a()

    response = method(client_for(cast.ben), A, EDIT)

    assert_problem(response, 403, "not_coordinator")
    assert _a() == before


def test_a_refused_edit_changes_nothing(cast, client_for):
    before = _a()

    response = put_json(client_for(cast.ana), A, {**EDIT, "country": "ZZ"})

    assert_problem(response, 422, "invalid_country")
    assert _a() == before


# --- Bylaws -------------------------------------------------------------------------------


def test_the_bylaws_history_is_public_newest_first(cast):
    bylaws_adopt(
        collective=cast.collective_a,
        actor=cast.ana,
        effective_from=timezone.localdate(),
        treasury_percent="15",
        admission_rule="open",
    )

    response = Client().get(f"{A}/bylaws")

    assert response.status_code == 200
    assert [b["version"] for b in response.json()["items"]] == [2, 1]
    assert response.json()["items"][0]["split"] == [{"recipient": "treasury", "percent": "15.00"}]


@pytest.mark.parametrize("who", ["ana", "ben", "olga"])
def test_bylaws_are_not_adopted_directly_any_more(cast, client_for, who):
    """They change by a bylaws_change proposal (test_governance_done_when.py)."""
    data = {
        "effective_from": timezone.localdate().isoformat(),
        "treasury_percent": "12",
        "admission_rule": "open",
    }
    before = _a()

    response = post_json(client_for(getattr(cast, who)), f"{A}/bylaws", data)

    assert_problem(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET"
    assert _a() == before


def test_bylaws_of_an_unknown_collective_is_a_404(db):
    assert_problem(Client().get("/api/v1/collectives/nowhere/bylaws"), 404, "not_found")


# --- GET /collectives/{slug}/members --------------------------------------------------------


def test_members_are_listed_as_the_viewer_may_see_them(cast, client_for):
    Profile.objects.filter(user=cast.ben).update(is_public=False)

    anonymous = Client().get(f"{A}/members").json()
    outsider = client_for(cast.olga).get(f"{A}/members").json()
    fellow = client_for(cast.ana).get(f"{A}/members").json()

    assert [m["member"]["handle"] for m in anonymous["items"]] == ["ana-reyes"]
    assert [m["member"]["handle"] for m in outsider["items"]] == ["ana-reyes"]
    assert outsider["count"] == 1
    assert [m["member"]["handle"] for m in fellow["items"]] == ["ana-reyes", "ben-okafor"]
    assert fellow["count"] == 2


def test_members_listing_is_paginated(cast):
    response = Client().get(f"{A}/members?limit=1&offset=1")

    assert response.json()["count"] == 2
    assert [m["member"]["handle"] for m in response.json()["items"]] == ["ben-okafor"]


def test_members_listing_refuses_a_bad_limit(cast):
    assert_problem(Client().get(f"{A}/members?limit=1000"), 422, "validation_failed")


# --- Applications ---------------------------------------------------------------------------


def test_an_outsider_applies_and_waits_for_a_coordinator(cast, client_for):
    response = post_json(client_for(cast.olga), f"{A}/applications", {"note": "I do payroll."})

    assert response.status_code == 201
    body = response.json()
    assert body["state"] == "applied"
    assert body["member"]["handle"] == "olga-petrova"
    assert body["collective"]["slug"] == "manila-va"
    assert _membership(cast.collective_a, cast.olga).application_note == "I do payroll."


def test_under_an_open_rule_an_applicant_is_admitted_at_once(cast, client_for):
    bylaws_adopt(
        collective=cast.collective_a,
        actor=cast.ana,
        effective_from=timezone.localdate(),
        treasury_percent="10",
        admission_rule="open",
    )

    response = post_json(client_for(cast.olga), f"{A}/applications", {})

    assert response.json()["state"] == "active"


def test_applying_twice_is_refused_and_changes_nothing(cast, client_for):
    client = client_for(cast.olga)
    post_json(client, f"{A}/applications", {"note": "first"})
    before = _a()

    response = post_json(client, f"{A}/applications", {"note": "second"})

    assert_problem(response, 409, "already_applied")
    assert _a() == before
    assert _membership(cast.collective_a, cast.olga).application_note == "first"


def test_an_active_member_applying_is_refused(cast, client_for):
    before = _a()

    response = post_json(client_for(cast.ben), f"{A}/applications", {})

    assert_problem(response, 409, "already_member")
    assert _a() == before


def test_applying_to_an_unknown_collective_is_a_404(cast, client_for):
    assert_problem(
        post_json(client_for(cast.olga), "/api/v1/collectives/nowhere/applications", {}),
        404,
        "not_found",
    )


def _olga_applies(cast, client_for) -> Membership:
    post_json(client_for(cast.olga), f"{A}/applications", {"note": "Hello"})
    return _membership(cast.collective_a, cast.olga)


def test_a_coordinator_sees_the_waiting_applications(cast, client_for):
    application = _olga_applies(cast, client_for)

    response = client_for(cast.ana).get(f"{A}/applications")

    assert response.status_code == 200
    assert response.json()["items"] == [
        {
            "id": application.pk,
            "applicant": {"handle": "olga-petrova", "display_name": "Olga Petrova"},
            "note": "Hello",
            "applied_at": response.json()["items"][0]["applied_at"],
        }
    ]
    assert "olga@example.org" not in response.content.decode()


def _carla_applies(cast, client_for) -> Membership:
    post_json(client_for(cast.carla), f"{A}/applications", {"note": "Carla's note"})
    return _membership(cast.collective_a, cast.carla)


def test_an_outsider_cannot_see_applications(cast, client_for):
    _carla_applies(cast, client_for)

    response = client_for(cast.olga).get(f"{A}/applications")

    assert_problem(response, 404, "not_found")
    assert_leaks_nothing(response, "Carla", "note", *A_PRIVATE)


def test_an_applicant_cannot_see_applications(cast, client_for):
    _olga_applies(cast, client_for)

    response = client_for(cast.olga).get(f"{A}/applications")

    assert_problem(response, 404, "not_found")
    assert_leaks_nothing(response, "Hello", *A_PRIVATE)


def test_a_member_who_is_not_a_coordinator_cannot_see_applications(cast, client_for):
    _olga_applies(cast, client_for)

    response = client_for(cast.ben).get(f"{A}/applications")

    assert_problem(response, 403, "not_coordinator")
    assert_leaks_nothing(response, "Olga", "Hello")


def test_applications_listing_refuses_a_bad_limit(cast, client_for):
    assert_problem(client_for(cast.ana).get(f"{A}/applications?limit=-3"), 422, "validation_failed")


def test_a_coordinator_approves_an_application(cast, client_for):
    application = _olga_applies(cast, client_for)

    response = post_json(client_for(cast.ana), f"{A}/applications/{application.pk}/approve")

    assert response.status_code == 200
    assert response.json()["state"] == "active"
    application.refresh_from_db()
    assert application.state == Membership.State.ACTIVE
    assert application.joined_at is not None


def test_approving_twice_is_refused(cast, client_for):
    application = _olga_applies(cast, client_for)
    client = client_for(cast.ana)
    post_json(client, f"{A}/applications/{application.pk}/approve")
    before = _a()

    response = post_json(client, f"{A}/applications/{application.pk}/approve")

    assert_problem(response, 409, "not_applied")
    assert _a() == before


def test_an_applicant_cannot_approve_themself(cast, client_for):
    application = _olga_applies(cast, client_for)

    response = post_json(client_for(cast.olga), f"{A}/applications/{application.pk}/approve")

    assert_problem(response, 404, "not_found")
    assert_leaks_nothing(response, *A_PRIVATE)
    application.refresh_from_db()
    assert application.state == Membership.State.APPLIED


def test_a_member_who_is_not_a_coordinator_cannot_approve(cast, client_for):
    application = _olga_applies(cast, client_for)

    response = post_json(client_for(cast.ben), f"{A}/applications/{application.pk}/approve")

    assert_problem(response, 403, "not_coordinator")
    application.refresh_from_db()
    assert application.state == Membership.State.APPLIED


def test_a_coordinator_of_another_collective_cannot_approve(cast, client_for):
    application = _olga_applies(cast, client_for)

    response = post_json(client_for(cast.carla), f"{A}/applications/{application.pk}/approve")

    assert_problem(response, 404, "not_found")
    application.refresh_from_db()
    assert application.state == Membership.State.APPLIED


def test_an_application_id_from_another_collective_is_a_404(cast, client_for):
    post_json(client_for(cast.olga), "/api/v1/collectives/remote-crew/applications", {})
    elsewhere = _membership(cast.collective_b, cast.olga)

    response = post_json(client_for(cast.ana), f"{A}/applications/{elsewhere.pk}/approve")

    assert_problem(response, 404, "not_found")
    elsewhere.refresh_from_db()
    assert elsewhere.state == Membership.State.APPLIED


def test_a_coordinator_rejects_an_application(cast, client_for):
    application = _olga_applies(cast, client_for)

    response = post_json(client_for(cast.ana), f"{A}/applications/{application.pk}/reject")

    assert response.status_code == 204
    assert response.content == b""
    assert not Membership.objects.filter(pk=application.pk).exists()


def test_an_outsider_cannot_reject(cast, client_for):
    application = _carla_applies(cast, client_for)

    response = post_json(client_for(cast.olga), f"{A}/applications/{application.pk}/reject")

    assert_problem(response, 404, "not_found")
    assert_leaks_nothing(response, "Carla", *A_PRIVATE)
    assert Membership.objects.filter(pk=application.pk).exists()


def test_an_applicant_cannot_reject_themself(cast, client_for):
    application = _olga_applies(cast, client_for)

    response = post_json(client_for(cast.olga), f"{A}/applications/{application.pk}/reject")

    assert_problem(response, 404, "not_found")
    assert Membership.objects.filter(pk=application.pk).exists()


def test_a_member_who_is_not_a_coordinator_cannot_reject(cast, client_for):
    application = _olga_applies(cast, client_for)

    response = post_json(client_for(cast.ben), f"{A}/applications/{application.pk}/reject")

    assert_problem(response, 403, "not_coordinator")
    assert Membership.objects.filter(pk=application.pk).exists()


def test_rejecting_an_active_member_is_refused(cast, client_for):
    ben = _membership(cast.collective_a, cast.ben)
    before = _a()

    response = post_json(client_for(cast.ana), f"{A}/applications/{ben.pk}/reject")

    assert_problem(response, 409, "not_applied")
    assert _a() == before


# --- Leaving --------------------------------------------------------------------------------


def test_a_member_leaves(cast, client_for):
    response = post_json(client_for(cast.ben), f"{A}/leave")

    assert response.status_code == 200
    assert response.json()["state"] == "left"
    assert _membership(cast.collective_a, cast.ben).state == Membership.State.LEFT


def test_the_last_coordinator_cannot_leave_while_others_remain(cast, client_for):
    before = _a()

    response = post_json(client_for(cast.ana), f"{A}/leave")

    assert_problem(response, 409, "last_coordinator")
    assert _a() == before


def test_an_outsider_cannot_leave_a_collective_they_are_not_in(cast, client_for):
    before = _a()

    response = post_json(client_for(cast.olga), f"{A}/leave")

    assert_problem(response, 404, "not_found")
    assert_leaks_nothing(response, *A_PRIVATE)
    assert _a() == before


# --- Roles ---------------------------------------------------------------------------------


def test_a_coordinator_makes_a_member_coordinator(cast, client_for):
    ben = _membership(cast.collective_a, cast.ben)

    response = put_json(client_for(cast.ana), f"{A}/members/{ben.pk}/role", {"role": "coordinator"})

    assert response.status_code == 200
    assert response.json()["role"] == "coordinator"
    ben.refresh_from_db()
    assert ben.role == Membership.Role.COORDINATOR


def test_the_last_coordinator_cannot_step_down(cast, client_for):
    ana = _membership(cast.collective_a, cast.ana)
    before = _a()

    response = put_json(client_for(cast.ana), f"{A}/members/{ana.pk}/role", {"role": "member"})

    assert_problem(response, 409, "last_coordinator")
    assert _a() == before


def test_an_unknown_role_is_refused(cast, client_for):
    ben = _membership(cast.collective_a, cast.ben)
    before = _a()

    response = put_json(client_for(cast.ana), f"{A}/members/{ben.pk}/role", {"role": "boss"})

    body = assert_problem(response, 422, "invalid_role")
    assert body["errors"][0]["field"] == "role"
    assert _a() == before


def test_a_member_who_is_not_a_coordinator_cannot_change_roles(cast, client_for):
    ben = _membership(cast.collective_a, cast.ben)
    before = _a()

    response = put_json(client_for(cast.ben), f"{A}/members/{ben.pk}/role", {"role": "coordinator"})

    assert_problem(response, 403, "not_coordinator")
    assert _a() == before


def test_an_outsider_cannot_change_roles(cast, client_for):
    ben = _membership(cast.collective_a, cast.ben)
    before = _a()

    response = put_json(
        client_for(cast.olga), f"{A}/members/{ben.pk}/role", {"role": "coordinator"}
    )

    assert_problem(response, 404, "not_found")
    assert_leaks_nothing(response, *A_PRIVATE)
    assert _a() == before


def test_a_non_numeric_membership_id_is_a_404_problem(cast, client_for):
    response = put_json(client_for(cast.ana), f"{A}/members/ben/role", {"role": "member"})

    assert_problem(response, 404, "not_found")
