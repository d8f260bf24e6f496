"""Team proposals through the API: the engine's team in pitch terms, applying
it to the draft, and refusals as problem documents that change nothing."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from mutualist.api.tests.support import assert_problem, bearer_client, post_json
from mutualist.engines.matching import InstanceError
from mutualist.work.models import Pitch, PitchMember, PitchShift
from mutualist.work.services.pitches import pitch_send
from mutualist.work.tests.test_matching_world import MatchWorld, build_match_world, set_member
from mutualist.work.tests.test_pitches_world import TODAY

P = "/api/v1/pitches"


@pytest.fixture
def world(work, time_machine) -> MatchWorld:
    time_machine.move_to(TODAY, tick=False)
    return build_match_world(work)


def body(response: Any) -> Any:
    return json.loads(response.content)


def snapshot(world: MatchWorld) -> tuple[Any, ...]:
    pitch = Pitch.objects.get(pk=world.pitch.pk)
    return (
        pitch.state,
        pitch.message,
        sorted(
            PitchMember.objects.filter(pitch=pitch).values_list(
                "user_id", "job_role_id", "pay_rate_minor", "flexible_hours"
            )
        ),
        sorted(
            PitchShift.objects.filter(member__pitch=pitch).values_list(
                "member__user_id", "weekday", "start_hour", "end_hour"
            )
        ),
    )


def test_a_coordinator_gets_the_cheapest_team_in_pitch_terms_and_nothing_is_written(world):
    ana = bearer_client(world.ana)
    before = snapshot(world)

    response = post_json(ana, f"{P}/{world.pitch.pk}/proposal", {})

    assert response.status_code == 200, response.content
    found = body(response)
    assert (found["status"], found["week"], found["timezone"], found["currency"]) == (
        "optimal",
        "2026-12-07",
        "Australia/Sydney",
        "AUD",
    )
    assert (found["complete"], found["left_open"], found["team_size"]) == (True, False, 3)
    support, books = world.pitch_world.support.pk, world.pitch_world.books.pk
    lines = {line["member"]["handle"]: line for line in found["team"]}
    assert {h: (line["job_role"], line["hours"]) for h, line in lines.items()} == {
        "dev-patel": (support, 20),
        "cora-lim": (support, 20),
        "ben-okafor": (books, 6),
    }
    # Shifts twice: weekly windows in Sydney time, and the real hours (UTC)
    dev = lines["dev-patel"]
    assert (
        sum((int(s["end"][:2]) - int(s["start"][:2])) * len(s["days"]) for s in dev["shifts"]) == 20
    )
    spans = [
        (dt.datetime.fromisoformat(i["start"]), dt.datetime.fromisoformat(i["end"]))
        for i in dev["intervals"]
    ]
    assert sum((end - start) // dt.timedelta(hours=1) for start, end in spans) == 20
    assert all(i["start"].endswith("Z") for i in dev["intervals"])
    assert (lines["ben-okafor"]["shifts"], lines["ben-okafor"]["intervals"]) == ([], [])
    assert lines["ben-okafor"]["pay_rate"] == {"amount": "24.00", "currency": "AUD"}
    assert [(r["job_role"], r["required_hours"], r["covered_hours"]) for r in found["roles"]] == [
        (support, 40, 40),
        (books, 6, 6),
    ]
    assert (found["price"]["amount"], found["pay_cost"]["amount"], found["margin"]["amount"]) == (
        "1180.00",
        "804.00",
        "376.00",
    )
    statuses = {m["member"]["handle"]: m["status"] for m in found["members"]}
    assert statuses == {
        "ana-reyes": "considered",
        "ben-okafor": "considered",
        "cora-lim": "considered",
        "dev-patel": "considered",
    }
    assert len(found["digest"]) == 64
    assert snapshot(world) == before


def test_the_coordinators_choices_reach_the_engine(world):
    ana = bearer_client(world.ana)
    set_member(world.cora, rate="900.00", currency="PHP")

    response = post_json(
        ana,
        f"{P}/{world.pitch.pk}/proposal",
        {"excluded": ["dev-patel"], "rates": {"cora-lim": "19.00"}, "week": "2026-12-16"},
    )

    found = body(response)
    assert response.status_code == 200, response.content
    assert found["week"] == "2026-12-14"
    assert {line["member"]["handle"]: line["hours"] for line in found["team"]} == {
        "cora-lim": 40,
        "ben-okafor": 6,
    }
    cora = next(m for m in found["members"] if m["member"]["handle"] == "cora-lim")
    assert (cora["rate"]["amount"], cora["rate_given"]) == ("19.00", True)
    assert "Dev Patel is left out, as you asked." in found["notes"]


def test_applying_writes_the_team_and_the_check_has_every_hour_staffed(world):
    ana = bearer_client(world.ana)
    seen = body(post_json(ana, f"{P}/{world.pitch.pk}/proposal", {}))

    applied = post_json(ana, f"{P}/{world.pitch.pk}/proposal/apply", {"digest": seen["digest"]})

    assert applied.status_code == 200, applied.content
    result = body(applied)
    assert result["proposal"]["digest"] == seen["digest"]
    assert sorted(line["member"]["handle"] for line in result["pitch"]["team"]) == [
        "ben-okafor",
        "cora-lim",
        "dev-patel",
    ]
    assert result["pitch"]["message"] == "Ana covers your hours; Ben keeps the books."
    check = body(ana.get(f"{P}/{world.pitch.pk}/check"))
    assert [(r["staffed_hours"], r["unstaffed"]) for r in check["roles"]] == [(40, []), (6, [])]
    assert [m["overloaded"] for m in check["members"]] == [False, False, False]


# --- Refusals ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["proposal", "proposal/apply"])
def test_ben_is_refused_olga_and_dana_do_not_know_the_draft_and_strangers_must_log_in(world, path):
    before = snapshot(world)
    url = f"{P}/{world.pitch.pk}/{path}"

    assert_problem(post_json(bearer_client(world.ben), url), 403, "not_coordinator")
    assert_problem(post_json(bearer_client(world.work.cast.olga), url), 404, "not_found")
    assert_problem(post_json(bearer_client(world.work.dana), url), 404, "not_found")
    assert_problem(post_json(bearer_client(world.work.cast.carla), url), 404, "not_found")
    assert_problem(post_json(Client(), url), 401, "not_authenticated")
    assert snapshot(world) == before


@pytest.mark.parametrize("path", ["proposal", "proposal/apply"])
@pytest.mark.parametrize(
    ("data", "status", "code", "field"),
    [
        ({"pinned": ["nobody"]}, 422, "team_member_unknown", "pinned[0]"),
        ({"pinned": ["cora-lim"], "excluded": [0, "cora-lim"]}, 422, "team_member_unknown",
         "excluded[0]"),
        ({"pinned": ["cora-lim"], "excluded": ["cora-lim"]}, 422, "pinned_and_excluded",
         "excluded[0]"),
        ({"rates": {"cora-lim": "1,5"}}, 422, "invalid_amount", "rates.cora-lim"),
        ({"max_team_size": 0}, 422, "invalid_team_size", "max_team_size"),
        ({"max_team_size": 1, "pinned": ["cora-lim", "dev-patel"]}, 422, "too_many_pinned",
         "max_team_size"),
        ({"week": "1999-06-01"}, 422, "invalid_date", "week"),
        ({"max_team_size": "3"}, 422, "validation_failed", "max_team_size"),
        ({"team": []}, 422, "validation_failed", "team"),
    ],
)  # fmt: skip
def test_bad_choices_are_problems_naming_the_field(world, path, data, status, code, field):
    before = snapshot(world)

    problem = assert_problem(
        post_json(bearer_client(world.ana), f"{P}/{world.pitch.pk}/{path}", data), status, code
    )

    assert [error["field"] for error in problem["errors"]] == [field]
    assert snapshot(world) == before


def test_only_a_draft_gets_a_proposal(world):
    pitch_send(pitch=world.pitch, by=world.ana)
    ana = bearer_client(world.ana)
    before = snapshot(world)

    for path in ("proposal", "proposal/apply"):
        assert_problem(post_json(ana, f"{P}/{world.pitch.pk}/{path}"), 409, "pitch_not_draft")
    assert snapshot(world) == before


def test_applying_a_team_other_than_the_one_seen_or_none_is_a_conflict(world):
    ana = bearer_client(world.ana)
    url = f"{P}/{world.pitch.pk}/proposal/apply"
    before = snapshot(world)

    assert_problem(post_json(ana, url, {"digest": "0" * 64}), 409, "proposal_changed")
    everyone = ["ana-reyes", "ben-okafor", "cora-lim", "dev-patel"]
    assert_problem(post_json(ana, url, {"excluded": everyone}), 409, "no_team_found")
    assert snapshot(world) == before


def test_an_instance_the_engine_refuses_is_a_422_not_a_500(world, monkeypatch):
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise InstanceError("roles", "name at least one role.")

    monkeypatch.setattr("mutualist.work.services.proposals.solve", refuse)

    assert_problem(
        post_json(bearer_client(world.ana), f"{P}/{world.pitch.pk}/proposal"),
        422,
        "match_input_invalid",
    )
