"""The engagement and agreement endpoints: who sees which rates, status and
team changes, versions, acceptance and the PDF."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from mutualist.api.tests.support import assert_problem, patch_json, post_json
from mutualist.collectives.models import Collective
from mutualist.work.models import Agreement, AgreementAcceptance, Engagement, EngagementMember
from mutualist.work.services.agreements import agreement_create
from mutualist.work.tests.test_pitches_world import A_ADDRESS, TODAY

E = "/api/v1/engagements"


@pytest.fixture
def world(work, time_machine):
    """The work fixture's engagement, pending, with agreement v1 not yet accepted."""
    time_machine.move_to(TODAY, tick=False)
    Collective.objects.filter(slug="manila-va").update(postal_address=A_ADDRESS)
    Engagement.objects.filter(pk=work.engagement.pk).update(status="pending")
    agreement_create(engagement=work.engagement, by=work.cast.ana, notify=False)
    return work


def body(response: Any) -> Any:
    return json.loads(response.content)


def person(world: Any, who: str) -> Any:
    return getattr(world.cast, who, None) or getattr(world, who)


def rows() -> dict[str, Any]:
    return {
        "engagements": sorted(Engagement.objects.values_list("pk", "status", "ended_on")),
        "seats": sorted(
            EngagementMember.objects.values_list(
                "pk", "bill_rate_minor", "pay_rate_minor", "weekly_cap_hours", "left_at"
            )
        ),
        "agreements": Agreement.objects.count(),
        "acceptances": AgreementAcceptance.objects.count(),
    }


def aud(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "AUD"}


# --- Reading ------------------------------------------------------------------------


def test_each_side_lists_its_own_engagements(world, client_for):
    def titles(who: str) -> list[str]:
        return [e["title"] for e in body(client_for(person(world, who)).get(E))["items"]]

    assert titles("dana") == ["Customer support, Sydney business hours"]
    assert titles("evan") == ["Tea shop inbox"]
    assert titles("ben") == ["Customer support, Sydney business hours"]
    assert titles("olga") == []
    assert (
        body(client_for(world.cast.ana).get("/api/v1/collectives/manila-va/engagements"))["count"]
        == 1
    )
    assert_problem(
        client_for(world.cast.carla).get("/api/v1/collectives/manila-va/engagements"),
        404,
        "not_found",
    )


@pytest.mark.parametrize(
    ("who", "pay_rates"),
    [
        ("ana", [aud("20.00"), aud("24.00")]),
        ("ben", [None, aud("24.00")]),
        ("dana", [None, None]),
    ],
)
def test_pay_rates_are_the_members_business(world, client_for, who, pay_rates):
    engagement = body(client_for(person(world, who)).get(f"{E}/{world.engagement.pk}"))

    assert [seat["bill_rate"] for seat in engagement["team"]] == [aud("25.00"), aud("30.00")]
    assert [seat["pay_rate"] for seat in engagement["team"]] == pay_rates
    assert engagement["team"][0]["shifts"] == [
        {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00"}
    ]
    assert engagement["agreement"]["version"] == 1


@pytest.mark.parametrize("who", ["evan", "carla", "olga"])
def test_outsiders_find_nothing_and_change_nothing(world, client_for, who):
    client = client_for(person(world, who))
    pk = world.engagement.pk
    before = rows()

    for path in (
        f"{E}/{pk}",
        f"{E}/{pk}/agreements",
        f"{E}/{pk}/agreements/1",
        f"{E}/{pk}/agreements/1/pdf",
    ):
        assert_problem(client.get(path), 404, "not_found")
    assert_problem(post_json(client, f"{E}/{pk}/status", {"status": "ended"}), 404, "not_found")
    assert_problem(post_json(client, f"{E}/{pk}/agreements"), 404, "not_found")
    assert_problem(post_json(client, f"{E}/{pk}/agreements/1/accept", {}), 404, "not_found")
    assert_problem(
        patch_json(client, f"{E}/{pk}/team/{world.cast.ben.pk}", {"pay_rate": "29"}),
        404,
        "not_found",
    )
    assert_problem(client.delete(f"{E}/{pk}/team/{world.cast.ben.pk}"), 404, "not_found")
    assert_problem(
        post_json(client, f"{E}/{pk}/team", {"member": world.cast.ben.pk, "role_title": "X",
                                              "bill_rate": "1", "pay_rate": "1", "weekly_cap_hours": 1}),
        404, "not_found",
    )  # fmt: skip
    assert rows() == before


# --- Agreements ---------------------------------------------------------------------


def test_an_agreement_version_with_its_terms_document_and_acceptances(world, client_for):
    agreement = body(client_for(world.dana).get(f"{E}/{world.engagement.pk}/agreements/1"))

    assert agreement["version"] == 1
    assert agreement["terms"]["total_weekly_value"] == "1300.00"
    assert agreement["terms"]["collective"]["address"] == A_ADDRESS
    assert "Harbour Bridge Logistics" in agreement["html"]
    assert agreement["acceptances"] == []
    assert len(agreement["sha256"]) == 64


def test_both_sides_accept_through_the_api_and_the_engagement_becomes_active(world, client_for):
    pk = world.engagement.pk

    client_side = post_json(client_for(world.dana), f"{E}/{pk}/agreements/1/accept", {})
    collective_side = post_json(
        client_for(world.cast.ana), f"{E}/{pk}/agreements/1/accept", {"party": "collective"}
    )

    assert [a["party"] for a in body(client_side)["acceptances"]] == ["client"]
    assert [a["party"] for a in body(collective_side)["acceptances"]] == ["client", "collective"]
    assert body(client_for(world.dana).get(f"{E}/{pk}"))["status"] == "active"


@pytest.mark.parametrize(
    ("who", "payload", "status", "code"),
    [
        ("ben", {}, 403, "not_a_party"),
        ("dana", {"party": "collective"}, 403, "not_a_party"),
        ("dana", {"party": "someone"}, 422, "invalid_party"),
    ],
)
def test_accepting_for_a_party_you_do_not_act_for_is_refused(
    world, client_for, who, payload, status, code
):
    before = rows()

    response = post_json(
        client_for(person(world, who)), f"{E}/{world.engagement.pk}/agreements/1/accept", payload
    )

    assert_problem(response, status, code)
    assert rows() == before


def test_a_revision_and_an_old_version_refused(world, client_for):
    pk = world.engagement.pk
    assert_problem(
        post_json(client_for(world.cast.ben), f"{E}/{pk}/agreements"), 403, "not_coordinator"
    )

    revised = post_json(client_for(world.cast.ana), f"{E}/{pk}/agreements")

    assert revised.status_code == 201
    assert body(revised)["version"] == 2
    assert [a["version"] for a in body(client_for(world.dana).get(f"{E}/{pk}/agreements"))] == [
        2,
        1,
    ]
    assert_problem(
        post_json(client_for(world.dana), f"{E}/{pk}/agreements/1/accept", {}),
        409,
        "agreement_superseded",
    )


def test_the_pdf_through_the_api(world, client_for):
    response = client_for(world.dana).get(f"{E}/{world.engagement.pk}/agreements/1/pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert response.content.startswith(b"%PDF")


# --- Status and team ----------------------------------------------------------------


def test_status_changes(world, client_for):
    pk = world.engagement.pk
    ana = client_for(world.cast.ana)

    assert_problem(
        post_json(ana, f"{E}/{pk}/status", {"status": "active"}), 409, "status_change_not_allowed"
    )
    assert_problem(
        post_json(ana, f"{E}/{pk}/status", {"status": "over"}), 422, "invalid_engagement_status"
    )
    assert_problem(
        post_json(client_for(world.cast.ben), f"{E}/{pk}/status", {"status": "ended"}),
        403,
        "not_coordinator",
    )
    ended = post_json(ana, f"{E}/{pk}/status", {"status": "ended"})

    assert (body(ended)["status"], body(ended)["ended_on"]) == ("ended", "2026-11-27")


def test_patching_a_seat(world, client_for):
    pk, ben = world.engagement.pk, world.cast.ben.pk

    response = patch_json(
        client_for(world.cast.ana), f"{E}/{pk}/team/{ben}", {"bill_rate": "31.50"}
    )

    # the new bill rate is proposed in the agreement; the seat keeps the one in force
    assert response.status_code == 200, response.content
    assert (body(response)["bill_rate"], body(response)["pay_rate"]) == (aud("30.00"), aud("24.00"))
    proposal = Agreement.objects.filter(engagement=world.engagement).latest("version")
    assert [s["bill_rate_minor"] for s in proposal.terms["seats"]] == [2500, 3150]


@pytest.mark.parametrize(
    ("who", "path_user", "payload", "status", "code"),
    [
        ("ben", "ben", {"pay_rate": "29"}, 403, "not_coordinator"),
        ("ana", "olga", {"pay_rate": "29"}, 404, "not_found"),
        ("ana", "ben", {"pay_rate": "31"}, 422, "pay_above_bill"),
        ("ana", "ben", {"weekly_cap_hours": 0}, 422, "invalid_weekly_cap"),
        ("ana", "ben", {"bill_rate": "abc"}, 422, "invalid_amount"),
    ],
)
def test_a_bad_seat_patch_is_refused(world, client_for, who, path_user, payload, status, code):
    before = rows()

    response = patch_json(
        client_for(person(world, who)),
        f"{E}/{world.engagement.pk}/team/{person(world, path_user).pk}",
        payload,
    )

    assert_problem(response, status, code)
    assert rows() == before


def test_adding_and_removing_members(world, client_for):
    pk = world.engagement.pk
    ana = client_for(world.cast.ana)

    removed = ana.delete(f"{E}/{pk}/team/{world.cast.ben.pk}")
    # proposed: Ben stays seated until both parties accept the new version
    assert removed.status_code == 200, removed.content
    assert body(removed)["left_at"] is None
    assert_problem(ana.delete(f"{E}/{pk}/team/{world.cast.ana.pk}"), 409, "last_team_member")

    added = post_json(
        ana, f"{E}/{pk}/team",
        {"member": world.cast.ben.profile.handle, "role_title": "Books", "skill": "bookkeeping",
         "bill_rate": "30.00", "pay_rate": "24.00", "weekly_cap_hours": 6,
         "shifts": [{"days": ["mon"], "start": "10:00", "end": "14:00"}]},
    )  # fmt: skip
    assert added.status_code == 201, added.content
    assert (body(added)["left_at"], body(added)["shifts"]) == (
        None,
        [{"days": ["mon"], "start": "10:00", "end": "14:00"}],
    )
    assert_problem(
        post_json(ana, f"{E}/{pk}/team", {"member": world.cast.carla.pk, "role_title": "X",
                                          "bill_rate": "1", "pay_rate": "1", "weekly_cap_hours": 1}),
        422, "team_member_unknown",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", E),
        ("get", f"{E}/1"),
        ("post", f"{E}/1/status"),
        ("post", f"{E}/1/team"),
        ("patch", f"{E}/1/team/1"),
        ("delete", f"{E}/1/team/1"),
        ("get", f"{E}/1/agreements"),
        ("post", f"{E}/1/agreements"),
        ("get", f"{E}/1/agreements/1"),
        ("get", f"{E}/1/agreements/1/pdf"),
        ("post", f"{E}/1/agreements/1/accept"),
        ("get", "/api/v1/collectives/manila-va/engagements"),
    ],
)
def test_anonymous_callers_must_authenticate(world, client: Client, method, path):
    if method in ("get", "delete"):
        response = getattr(client, method)(path)
    else:
        response = getattr(client, method)(path, data="{}", content_type="application/json")

    assert_problem(response, 401, "not_authenticated")


@pytest.mark.parametrize("user_id", ["99999999999999999999", "9223372036854775808"])
def test_a_seat_id_past_64_bits_is_not_found(world, client_for, user_id):
    ana, pk = client_for(world.cast.ana), world.engagement.pk
    before = Agreement.objects.count()

    assert patch_json(ana, f"{E}/{pk}/team/{user_id}", {"pay_rate": "1"}).status_code == 404
    assert ana.delete(f"{E}/{pk}/team/{user_id}").status_code == 404
    assert Agreement.objects.count() == before


@pytest.mark.parametrize(
    "payload",
    [{"weekly_cap_hours": True}, {"member": True}],
)
def test_adding_or_patching_refuses_booleans_as_numbers(world, client_for, payload):
    ana, pk = client_for(world.cast.ana), world.engagement.pk
    before = Agreement.objects.count()
    seat = {"member": world.cast.olga.pk, "role_title": "X", "bill_rate": "30",
            "pay_rate": "20", "weekly_cap_hours": 4, **payload}  # fmt: skip

    assert post_json(ana, f"{E}/{pk}/team", seat).status_code == 422
    if "weekly_cap_hours" in payload:
        patched = patch_json(ana, f"{E}/{pk}/team/{world.cast.ben.pk}", payload)
        assert patched.status_code == 422
    assert Agreement.objects.count() == before


def test_a_cap_below_the_seats_shifts_is_refused(world, client_for):
    ana, pk = client_for(world.cast.ana), world.engagement.pk
    before = Agreement.objects.count()

    refused = post_json(
        ana, f"{E}/{pk}/team",
        {"member": world.cast.ben.pk, "role_title": "X", "bill_rate": "30", "pay_rate": "20",
         "weekly_cap_hours": 1, "shifts": [{"days": ["mon"], "start": "09:00", "end": "17:00"}]},
    )  # fmt: skip
    outside = post_json(
        ana, f"{E}/{pk}/team",
        {"member": world.cast.ben.pk, "role_title": "X", "bill_rate": "30", "pay_rate": "20",
         "weekly_cap_hours": 161,
         "shifts": [{"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                     "start": "00:00", "end": "23:00"}]},
    )  # fmt: skip
    # Ana's seat has 40 h of shifts
    cap = patch_json(ana, f"{E}/{pk}/team/{world.cast.ana.pk}", {"weekly_cap_hours": 39})

    assert_problem(refused, 422, "cap_below_shifts")
    assert_problem(outside, 422, "shift_outside_coverage")
    assert_problem(cap, 422, "cap_below_shifts")
    assert Agreement.objects.count() == before
