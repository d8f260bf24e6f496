"""The pitch endpoints: drafting, the check, sending, and the client's
decision through the API, refusals as problem documents that change nothing."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from django.test import Client

from mutualist.api.tests.support import assert_problem, bearer_client, post_json, put_json
from mutualist.work.models import Engagement, Pitch, PitchMember
from mutualist.work.selectors.pitches import agreement_document, agreement_terms_for_pitch
from mutualist.work.services.pitches import pitch_withdraw
from mutualist.work.tests.test_pitches_world import (
    TODAY,
    WEEKDAYS,
    PitchWorld,
    build_pitch_world,
    roles_input,
    team_input,
)


@pytest.fixture
def world(work, time_machine) -> PitchWorld:
    time_machine.move_to(TODAY, tick=False)
    return build_pitch_world(work)


def body(response: Any) -> Any:
    return json.loads(response.content)


def person(world: PitchWorld, who: str) -> Any:
    return getattr(world.work.cast, who, None) or getattr(world.work, who)


def snapshot(world: PitchWorld) -> tuple[Any, ...]:
    pitch = Pitch.objects.get(pk=world.pitch.pk)
    return (
        pitch.state,
        pitch.message,
        sorted(PitchMember.objects.filter(pitch=pitch).values_list("user_id", "pay_rate_minor")),
        Pitch.objects.count(),
        Engagement.objects.count(),
    )


def put_body(world: PitchWorld, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "message": "From the API.",
        "payment_terms_days": 14,
        "payment_method": "Wise",
        "roles": roles_input(world.support, world.books),
        "team": team_input(world.work, world.support, world.books),
    }
    data.update(overrides)
    return data


P = "/api/v1/pitches"


# --- Done when: a client contact receives a pitch and accepts it ------------------------


def test_a_pitch_goes_from_draft_to_an_accepted_engagement_through_the_api(world):
    ana, dana = bearer_client(world.work.cast.ana), bearer_client(world.work.dana)
    pitch_withdraw(pitch=world.pitch, by=world.work.cast.ana)

    created = post_json(ana, f"/api/v1/jobs/{world.job.pk}/pitches", {"collective": "manila-va"})
    assert created.status_code == 201, created.content
    pitch_id = body(created)["id"]
    assert (body(created)["state"], body(created)["currency"]) == ("draft", "AUD")

    replaced = put_json(ana, f"{P}/{pitch_id}", put_body(world))
    assert replaced.status_code == 200, replaced.content
    assert [line["role"] for line in body(replaced)["team"]] == ["Support", "Books"]

    sent = post_json(ana, f"{P}/{pitch_id}/send")
    assert body(sent)["state"] == "sent"

    seen = dana.get(f"{P}/{pitch_id}")
    assert seen.status_code == 200
    assert [line["pay_rate"] for line in body(seen)["team"]] == [None, None]

    accepted = post_json(dana, f"{P}/{pitch_id}/accept")
    assert accepted.status_code == 201, accepted.content
    engagement = body(accepted)
    assert (engagement["status"], engagement["client"]["name"]) == (
        "pending",
        "Harbour Bridge Logistics",
    )
    assert engagement["agreement"]["version"] == 1
    assert [a["party"] for a in engagement["agreement"]["acceptances"]] == ["client"]
    assert [seat["pay_rate"] for seat in engagement["team"]] == [None, None]
    assert body(dana.get(f"{P}/{pitch_id}"))["state"] == "accepted"


# --- Drafting -----------------------------------------------------------------------


def test_a_second_live_pitch_is_a_conflict(world, client_for):
    before = snapshot(world)

    response = post_json(
        client_for(world.work.cast.ana),
        f"/api/v1/jobs/{world.job.pk}/pitches",
        {"collective": "manila-va"},
    )

    assert_problem(response, 409, "pitch_exists")
    assert snapshot(world) == before


@pytest.mark.parametrize(
    ("who", "slug", "status", "code"),
    [
        ("ben", "manila-va", 403, "not_coordinator"),
        ("carla", "manila-va", 404, "not_found"),
        ("olga", "manila-va", 404, "not_found"),
        ("dana", "manila-va", 404, "not_found"),
    ],
)
def test_only_a_coordinator_starts_a_pitch_for_their_collective(
    world, client_for, who, slug, status, code
):
    before = snapshot(world)

    response = post_json(
        client_for(person(world, who)), f"/api/v1/jobs/{world.job.pk}/pitches", {"collective": slug}
    )

    assert_problem(response, status, code)
    assert snapshot(world) == before


def test_ana_sees_every_pay_rate_ben_his_own(world, client_for):
    for who, expected in (("ana", [{"amount": "20.00", "currency": "AUD"}, {"amount": "24.00", "currency": "AUD"}]),
                          ("ben", [None, {"amount": "24.00", "currency": "AUD"}])):  # fmt: skip
        response = client_for(person(world, who)).get(f"{P}/{world.pitch.pk}")
        assert [line["pay_rate"] for line in body(response)["team"]] == expected
    shape = body(client_for(world.work.cast.ana).get(f"{P}/{world.pitch.pk}"))
    assert shape["team"][0]["shifts"] == [{"days": WEEKDAYS, "start": "09:00", "end": "17:00"}]
    assert shape["roles"][0]["bill_rate"] == {"amount": "25.00", "currency": "AUD"}


@pytest.mark.parametrize("who", ["dana", "evan", "carla", "olga"])
def test_a_draft_is_not_found_for_the_client_and_outsiders(world, client_for, who):
    client = client_for(person(world, who))
    before = snapshot(world)

    assert_problem(client.get(f"{P}/{world.pitch.pk}"), 404, "not_found")
    assert_problem(client.get(f"{P}/{world.pitch.pk}/check"), 404, "not_found")
    assert_problem(put_json(client, f"{P}/{world.pitch.pk}", put_body(world)), 404, "not_found")
    for action in ("send", "withdraw", "accept", "decline"):
        assert_problem(post_json(client, f"{P}/{world.pitch.pk}/{action}"), 404, "not_found")
    assert snapshot(world) == before


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        (
            {"team": [{"member": 0, "job_role": 0, "pay_rate": "1"}]},
            422,
            "team_member_unknown",
            "team[0].member",
        ),
        ("outside", 422, "shift_outside_coverage", "team[0].shifts"),
        ("half_hour", 422, "not_whole_hour", "team[0].shifts[0].start"),
        ("pay_above", 422, "pay_above_bill", "team[1].pay_rate"),
        ({"payment_terms_days": 400}, 422, "invalid_payment_terms", "payment_terms_days"),
        (
            {"roles": [{"job_role": 1, "bill_rate": "-3"}]},
            422,
            "pitch_role_unknown",
            "roles[0].job_role",
        ),
    ],
)
def test_put_refuses_a_bad_draft_naming_the_input(world, client_for, change, status, code, field):
    if change == "outside":
        change = {"team": [{**team_input(world.work, world.support, world.books)[0],
                            "shifts": [{"days": ["sun"], "start": "09:00", "end": "17:00"}]}]}  # fmt: skip
    elif change == "half_hour":
        change = {"team": [{**team_input(world.work, world.support, world.books)[0],
                            "shifts": [{"days": ["mon"], "start": "09:30", "end": "17:00"}]}]}  # fmt: skip
    elif change == "pay_above":
        team = team_input(world.work, world.support, world.books)
        team[1]["pay_rate"] = "30.01"
        change = {"team": team}
    before = snapshot(world)

    response = put_json(
        client_for(world.work.cast.ana), f"{P}/{world.pitch.pk}", put_body(world, **change)
    )

    problem = assert_problem(response, status, code)
    assert problem["errors"][0]["field"] == field
    assert snapshot(world) == before


def test_ben_cannot_put_or_send(world, client_for):
    ben = client_for(world.work.cast.ben)
    before = snapshot(world)

    assert_problem(put_json(ben, f"{P}/{world.pitch.pk}", put_body(world)), 403, "not_coordinator")
    assert_problem(post_json(ben, f"{P}/{world.pitch.pk}/send"), 403, "not_coordinator")
    assert_problem(post_json(ben, f"{P}/{world.pitch.pk}/check", {}), 403, "not_coordinator")
    assert snapshot(world) == before


def test_an_unknown_field_is_refused_by_the_schema(world, client_for):
    response = put_json(
        client_for(world.work.cast.ana),
        f"{P}/{world.pitch.pk}",
        {**put_body(world), "state": "accepted"},
    )

    assert_problem(response, 422, "validation_failed")


# --- The check ------------------------------------------------------------------------


def test_the_check_of_the_saved_team(world, client_for):
    check = body(client_for(world.work.cast.ana).get(f"{P}/{world.pitch.pk}/check"))

    assert (check["week"], check["timezone"], check["total"]) == (
        "2026-12-07",
        "Australia/Sydney",
        {"amount": "1180.00", "currency": "AUD"},
    )
    support = check["roles"][0]
    assert (support["required_hours"], support["staffed_hours"], support["unstaffed"]) == (
        40,
        40,
        [],
    )
    assert support["staffed"][0] == {"start": "2026-12-06T22:00:00Z", "end": "2026-12-07T06:00:00Z"}
    ana = next(m for m in check["members"] if m["name"] == "Ana Reyes")
    assert (ana["pitch_hours"], ana["committed_hours"], ana["overloaded"]) == (40, 40, True)
    assert check["findings"]


def test_the_check_of_a_team_not_saved(world, client_for):
    response = post_json(
        client_for(world.work.cast.ana),
        f"{P}/{world.pitch.pk}/check",
        {"roles": roles_input(world.support, world.books), "week": "2027-01-13",
         "team": [{"member": world.work.cast.ben.profile.handle, "job_role": world.books.pk,
                   "pay_rate": "20", "hours": 3}]},
    )  # fmt: skip

    check = body(response)
    assert response.status_code == 200, response.content
    assert check["week"] == "2027-01-11"
    assert (check["roles"][0]["staffed_hours"], check["roles"][1]["hours"]) == (0, 3)
    assert check["total"] == {"amount": "90.00", "currency": "AUD"}
    assert PitchMember.objects.filter(pitch=world.pitch).count() == 2


def test_the_check_refuses_a_bad_typed_team(world, client_for):
    response = post_json(
        client_for(world.work.cast.ana),
        f"{P}/{world.pitch.pk}/check",
        {"roles": [], "team": team_input(world.work, world.support, world.books)},
    )

    assert_problem(response, 422, "bill_rate_required")


def test_the_client_sees_coverage_and_price_but_not_the_members(world, client_for):
    world.send()

    check = body(client_for(world.work.dana).get(f"{P}/{world.pitch.pk}/check"))

    assert check["total"]["amount"] == "1180.00"
    assert (check["members"], check["findings"]) == ([], [])


# --- Sending and deciding ---------------------------------------------------------------


def test_sending_twice_and_editing_a_sent_pitch_are_conflicts(world, client_for):
    ana = client_for(world.work.cast.ana)
    post_json(ana, f"{P}/{world.pitch.pk}/send")
    before = snapshot(world)

    assert_problem(post_json(ana, f"{P}/{world.pitch.pk}/send"), 409, "pitch_not_draft")
    assert_problem(put_json(ana, f"{P}/{world.pitch.pk}", put_body(world)), 409, "pitch_not_draft")
    assert snapshot(world) == before


@pytest.mark.parametrize(("who", "status", "code"), [("ana", 403, "not_the_client"), ("ben", 403, "not_the_client"),
                                                     ("evan", 404, "not_found"), ("carla", 404, "not_found")])  # fmt: skip
def test_only_the_clients_contacts_accept_or_decline(world, client_for, who, status, code):
    world.send()
    client = client_for(person(world, who))
    before = snapshot(world)

    assert_problem(post_json(client, f"{P}/{world.pitch.pk}/accept"), status, code)
    assert_problem(post_json(client, f"{P}/{world.pitch.pk}/decline", {"note": "no"}), status, code)
    assert snapshot(world) == before


def test_accepting_a_withdrawn_pitch_is_refused(world, client_for):
    world.send()
    post_json(client_for(world.work.cast.ana), f"{P}/{world.pitch.pk}/withdraw")
    before = snapshot(world)

    response = post_json(client_for(world.work.dana), f"{P}/{world.pitch.pk}/accept")

    assert_problem(response, 409, "pitch_not_sent")
    assert snapshot(world) == before


def test_dana_declines_with_a_note(world, client_for):
    world.send()

    response = post_json(
        client_for(world.work.dana), f"{P}/{world.pitch.pk}/decline", {"note": "Too early."}
    )

    assert (body(response)["state"], body(response)["decision_note"]) == ("declined", "Too early.")


def test_sending_without_a_postal_address_is_a_conflict(world, client_for):
    from mutualist.collectives.models import Collective

    Collective.objects.filter(slug="manila-va").update(postal_address="")

    response = post_json(client_for(world.work.cast.ana), f"{P}/{world.pitch.pk}/send")

    assert_problem(response, 409, "postal_address_required")
    assert Pitch.objects.get(pk=world.pitch.pk).state == "draft"


# --- Lists and anonymous callers --------------------------------------------------------


def test_a_collectives_pitches_are_listed_for_its_members(world, client_for):
    listed = body(client_for(world.work.cast.ben).get("/api/v1/collectives/manila-va/pitches"))

    assert listed["count"] == 2  # the fixture's accepted pitch and the draft
    assert {item["state"] for item in listed["items"]} == {"accepted", "draft"}
    assert_problem(
        client_for(world.work.cast.carla).get("/api/v1/collectives/manila-va/pitches"),
        404,
        "not_found",
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/collectives/manila-va/pitches"),
        ("post", "/api/v1/jobs/1/pitches"),
        ("get", f"{P}/1"),
        ("put", f"{P}/1"),
        ("get", f"{P}/1/check"),
        ("post", f"{P}/1/check"),
        ("post", f"{P}/1/send"),
        ("post", f"{P}/1/withdraw"),
        ("post", f"{P}/1/accept"),
        ("post", f"{P}/1/decline"),
    ],
)
def test_anonymous_callers_must_authenticate(world, client: Client, method, path):
    if method == "get":
        response = client.get(path)
    else:
        response = getattr(client, method)(path, data="{}", content_type="application/json")

    assert_problem(response, 401, "not_authenticated")


# --- Input the schema must refuse ---------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"payment_terms_days": True},
        "member",
        "hours",
        "job_role",
    ],
)
def test_put_refuses_booleans_where_numbers_are_read(world, client_for, change):
    team = team_input(world.work, world.support, world.books)
    if change == "member":
        team[1]["member"] = True
    elif change == "hours":
        team[1]["hours"] = True
    elif change == "job_role":
        team[1]["job_role"] = True
    body_ = put_body(world, team=team) if isinstance(change, str) else put_body(world, **change)
    before = snapshot(world)

    response = put_json(client_for(world.work.cast.ana), f"{P}/{world.pitch.pk}", body_)

    assert response.status_code == 422, response.content
    assert snapshot(world) == before


@pytest.mark.parametrize("week", ["0001-01-01", "9999-12-31", "1999-12-31", "2101-01-01"])
def test_the_check_refuses_a_week_out_of_range(world, client_for, week):
    ana = client_for(world.work.cast.ana)

    read = ana.get(f"{P}/{world.pitch.pk}/check", {"week": week})
    typed = post_json(
        ana, f"{P}/{world.pitch.pk}/check",
        {"roles": roles_input(world.support, world.books), "team": [], "week": week},
    )  # fmt: skip

    assert assert_problem(read, 422, "invalid_date")["errors"][0]["field"] == "week"
    assert assert_problem(typed, 422, "invalid_date")["errors"][0]["field"] == "week"


def test_accepting_refuses_an_agreement_other_than_the_one_read(world, client_for):
    world.send()
    dana = client_for(world.work.dana)
    before = snapshot(world)

    refused = post_json(dana, f"{P}/{world.pitch.pk}/accept", {"agreement_sha256": "0" * 64})

    assert_problem(refused, 409, "agreement_changed")
    assert snapshot(world) == before
    shown = agreement_document(agreement_terms_for_pitch(pitch=world.pitch))
    accepted = post_json(
        dana, f"{P}/{world.pitch.pk}/accept",
        {"agreement_sha256": hashlib.sha256(shown.encode()).hexdigest()},
    )  # fmt: skip
    assert accepted.status_code == 201, accepted.content
