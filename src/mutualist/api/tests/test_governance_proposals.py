"""Proposals through the API: making, reading, listing, withdrawing, and the
list of those waiting for one's vote."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from mutualist.api.tests.governance_support import (
    BIG,
    NOON,
    A,
    bylaws_change,
    general,
    later,
    post,
    state,
)
from mutualist.api.tests.support import assert_leaks_nothing, assert_problem, bearer_client
from mutualist.collectives.models import Membership
from mutualist.governance.models import Proposal
from mutualist.governance.services import proposal_close, proposal_create, vote_cast
from mutualist.members.models import User
from mutualist.testing import Cast


@pytest.fixture(autouse=True)
def tuesday_noon(time_machine: Any) -> None:
    time_machine.move_to(NOON, tick=False)


def _proposal(cast: Cast, author: User | None = None, **changes: Any) -> Proposal:
    fields: dict[str, Any] = {
        "collective": cast.collective_a,
        "author": author or cast.ana,
        "kind": "general",
        "title": "Move stand-up to 08:00 UTC",
        "closes_at": NOON + dt.timedelta(days=2),
        **changes,
    }
    return proposal_create(**fields)


# --- POST /collectives/{slug}/proposals and GET /proposals/{id} ------------------------


def test_a_member_proposes_and_every_member_reads_the_proposal(cast: Cast) -> None:
    body = general(body="We **need** it.\n\n<script>alert(1)</script> [site](javascript:x)")

    response = post(bearer_client(cast.ben), f"{A}/proposals", body)

    assert response.status_code == 201, response.content
    made = response.json()
    proposal = Proposal.objects.get()
    assert made["id"] == proposal.pk
    assert made["collective"] == {"slug": "manila-va", "name": "Manila Virtual Assistants"}
    assert made["author"] == {"handle": "ben-okafor", "display_name": "Ben Okafor"}
    assert (made["kind"], made["method"], made["state"], made["outcome"]) == (
        "general",
        "yes_no",
        "open",
        None,
    )
    assert made["choices"] == [{"value": "yes", "label": "Yes"}, {"value": "no", "label": "No"}]
    assert (made["quorum_percent"], made["threshold_percent"]) == ("50.00", "50.00")
    assert made["closes_at"] == "2026-12-11T12:00:00Z"
    assert "<strong>need</strong>" in made["body_html"]
    assert "&lt;script&gt;" in made["body_html"]  # shown as text, never run
    assert "<script" not in made["body_html"] and "href" not in made["body_html"]
    assert made["body"].startswith("We **need** it.")
    assert (made["voted"], made["eligible"], made["results_hidden"]) == (0, 2, False)
    assert made["tally"]["counts"] == {} and made["tally"]["quorum_needed"] == 1
    assert (made["my_vote"], made["my_proxy"], made["voting_open"]) == (None, None, True)
    assert made["details"] == [] and made["payload"] == {}

    read = bearer_client(cast.ana).get(f"/api/v1/proposals/{proposal.pk}")

    assert read.status_code == 200
    assert read.json() == made


def test_a_bylaws_change_is_filled_in_from_the_version_in_force_and_described(cast: Cast) -> None:
    response = post(bearer_client(cast.ana), f"{A}/proposals", bylaws_change())

    assert response.status_code == 201, response.content
    made = response.json()
    assert made["payload"] == {
        "effective_from": "2026-12-20",
        "shares": {"treasury": "12.00"},
        "admission_rule": "coordinator",
        "member_share_basis": "bill",
        "notes": "",
        "replaces_version": 1,
    }
    assert {"label": "Treasury share", "value": "12.00 %"} in made["details"]
    assert {"label": "Takes effect on", "value": "20 December 2026"} in made["details"]
    assert {"label": "Replaces", "value": "version 1"} in made["details"]


def test_a_consent_proposal_offers_the_four_choices_and_keeps_its_rules(cast: Cast) -> None:
    body = general(
        method="consent",
        quorum_percent="66.67",
        threshold_percent="75",
        results_visibility="after_close",
        reasons_required=True,
    )

    response = post(bearer_client(cast.ana), f"{A}/proposals", body)

    assert response.status_code == 201, response.content
    made = response.json()
    assert [c["value"] for c in made["choices"]] == ["agree", "abstain", "disagree", "block"]
    assert (made["quorum_percent"], made["threshold_percent"]) == ("66.67", "75.00")
    assert (made["results_visibility"], made["reasons_required"]) == ("after_close", True)
    # after_close: hidden even from its author, who may see how many voted.
    assert (made["results_hidden"], made["tally"], made["voted"]) == (True, None, 0)


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        (general(closes_at=later(minutes=-1)), "closes_at_in_past", "closes_at"),
        (general(closes_at=later(seconds=0)), "closes_at_in_past", "closes_at"),
        (general(closes_at="2026-12-11T12:00:00"), "closes_at_naive", "closes_at"),
        (general(closes_at=later(days=367)), "closes_at_too_late", "closes_at"),
        (general(threshold_percent="49.99"), "threshold_out_of_range", "threshold_percent"),
        (general(threshold_percent="100.01"), "threshold_out_of_range", "threshold_percent"),
        (general(threshold_percent="NaN"), "threshold_out_of_range", "threshold_percent"),
        (general(threshold_percent="half"), "invalid_percentage", "threshold_percent"),
        (general(threshold_percent="60.005"), "invalid_percentage", "threshold_percent"),
        (general(quorum_percent="-1"), "quorum_out_of_range", "quorum_percent"),
        (general(quorum_percent="101"), "quorum_out_of_range", "quorum_percent"),
        (general(kind="lottery"), "invalid_kind", "kind"),
        (general(kind="claim_approval"), "kind_not_proposable", "kind"),
        (general(method="majority"), "invalid_method", "method"),
        (general(results_visibility="never"), "invalid_results_visibility", "results_visibility"),
        (general(title="   "), "title_required", "title"),
        (general(title="x" * 201), "title_too_long", "title"),
        (general(body="x" * 20_001), "body_too_long", "body"),
        (general(payload={"amount": 1}), "invalid_payload", "payload"),
        (
            bylaws_change({"shares": {"treasury": "12"}}),
            "effective_from_required",
            "payload.effective_from",
        ),
        (
            bylaws_change({"effective_from": "2026-12-10"}),
            "effective_before_close",
            "payload.effective_from",
        ),
        (
            bylaws_change({"effective_from": "20 December"}),
            "invalid_date",
            "payload.effective_from",
        ),
        (
            bylaws_change({"effective_from": "2026-12-20", "shares": {"treasury": "101"}}),
            "percentage_out_of_range",
            "payload.shares.treasury",
        ),
        (
            bylaws_change({"effective_from": "2026-12-20", "shares": {"treasury": "10"}}),
            "bylaws_unchanged",
            "payload.shares",
        ),
        (
            bylaws_change({"effective_from": "2026-12-20", "admission_rule": "lottery"}),
            "invalid_admission_rule",
            "payload.admission_rule",
        ),
        (
            bylaws_change({"effective_from": "2026-12-20", "quorum": "1"}),
            "invalid_payload",
            "payload.quorum",
        ),
        (
            {**general(kind="admission"), "payload": {"membership_id": BIG}},
            "membership_required",
            "payload.membership_id",
        ),
        (
            {**general(kind="admission"), "payload": {"membership_id": 999}},
            "membership_not_found",
            "payload.membership_id",
        ),
    ],
)
def test_a_refused_proposal_names_the_field_and_changes_nothing(
    cast: Cast, mailoutbox: list[Any], body: dict[str, Any], code: str, field: str
) -> None:
    before = state()

    response = post(bearer_client(cast.ana), f"{A}/proposals", body)

    problem = assert_problem(response, 422, code)
    assert problem["errors"][0]["field"] == field
    assert state() == before
    assert mailoutbox == []


def test_an_admission_vote_on_an_application_already_being_voted_on_is_refused(
    cast: Cast, mailoutbox: list[Any]
) -> None:
    applicant = Membership.objects.create(
        collective=cast.collective_a, user=cast.olga, state=Membership.State.APPLIED
    )
    body = {**general(kind="admission"), "payload": {"membership_id": applicant.pk}}
    first = post(bearer_client(cast.ana), f"{A}/proposals", body)
    assert first.status_code == 201, first.content
    assert first.json()["details"] == [
        {"label": "Applicant", "value": "Olga Petrova"},
        {"label": "Application", "value": "Applied"},
    ]
    before = state()

    again = post(bearer_client(cast.ben), f"{A}/proposals", body)

    assert assert_problem(again, 409, "admission_vote_open")["errors"][0]["field"] == (
        "payload.membership_id"
    )
    assert state() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (general(quorum_percent=60), "quorum_percent"),
        (general(closes_at="next Friday"), "closes_at"),
        (general(reasons_required="perhaps"), "reasons_required"),
        (general(payload=["treasury", 12]), "payload"),
        (general(colour="red"), "colour"),
        ({"kind": "general", "title": "No closing time"}, "closes_at"),
    ],
)
def test_a_body_of_the_wrong_shape_is_a_422_problem(
    cast: Cast, body: dict[str, Any], field: str
) -> None:
    before = state()

    response = post(bearer_client(cast.ana), f"{A}/proposals", body)

    problem = assert_problem(response, 422, "validation_failed")
    assert [error["field"] for error in problem["errors"]] == [field]
    assert state() == before


def test_a_body_that_is_not_json_is_a_400_problem(cast: Cast) -> None:
    before = state()

    response = bearer_client(cast.ana).post(
        f"{A}/proposals", data="{not json", content_type="application/json"
    )

    assert_problem(response, 400, "malformed_body")
    assert state() == before


# --- Outsiders ------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["olga", "carla"])
def test_outsiders_neither_see_nor_make_a_collectives_proposals(cast: Cast, who: str) -> None:
    proposal = _proposal(cast, title="Private plans", body="Private body")
    outsider = bearer_client(getattr(cast, who))
    before = state()

    answers = [
        outsider.get(f"{A}/proposals"),
        outsider.get(f"/api/v1/proposals/{proposal.pk}"),
        outsider.get(f"/api/v1/proposals/{proposal.pk}/votes"),
        post(outsider, f"{A}/proposals", general()),
        post(outsider, f"/api/v1/proposals/{proposal.pk}/withdraw"),
    ]

    for response in answers:
        assert_problem(response, 404, "not_found")
        assert_leaks_nothing(response, "Private plans", "Private body", "Ana Reyes")
    assert state() == before


def test_a_member_who_left_sees_the_proposals_no_more(cast: Cast) -> None:
    proposal = _proposal(cast)
    Membership.objects.filter(user=cast.ben).update(state=Membership.State.LEFT, left_at=NOON)

    assert_problem(bearer_client(cast.ben).get(f"{A}/proposals"), 404, "not_found")
    assert_problem(
        bearer_client(cast.ben).get(f"/api/v1/proposals/{proposal.pk}"), 404, "not_found"
    )


@pytest.mark.parametrize("path", ["/api/v1/collectives/manila-va/proposals", "/api/v1/proposals/1"])
def test_anonymous_callers_must_log_in(cast: Cast, path: str) -> None:
    _proposal(cast)

    assert_problem(Client().get(path), 401, "not_authenticated")


@pytest.mark.parametrize("proposal_id", [0, BIG, 2**63, 2**63 - 1])
def test_an_id_no_database_holds_finds_nothing(cast: Cast, proposal_id: int) -> None:
    client = bearer_client(cast.ana)

    for response in (
        client.get(f"/api/v1/proposals/{proposal_id}"),
        client.get(f"/api/v1/proposals/{proposal_id}/votes"),
        post(client, f"/api/v1/proposals/{proposal_id}/withdraw"),
    ):
        assert_problem(response, 404, "not_found")


def test_an_unknown_collective_is_a_404(cast: Cast) -> None:
    response = bearer_client(cast.ana).get("/api/v1/collectives/nowhere/proposals")

    assert_problem(response, 404, "not_found")


# --- GET /collectives/{slug}/proposals -------------------------------------------------


def test_the_list_filters_open_and_closed_proposals_and_orders_each(cast: Cast) -> None:
    later_one = _proposal(cast, title="Closes later", closes_at=NOON + dt.timedelta(days=5))
    sooner = _proposal(cast, title="Closes sooner", closes_at=NOON + dt.timedelta(days=1))
    closed = _proposal(cast, title="Decided")
    vote_cast(proposal=closed, voter=cast.ana, choice="yes")
    vote_cast(proposal=closed, voter=cast.ben, choice="no", reason="Too early")
    proposal_close(proposal_id=closed.pk, early=True)
    _proposal(cast, title="In B", collective=cast.collective_b, author=cast.carla)
    client = bearer_client(cast.ben)

    everything = client.get(f"{A}/proposals").json()
    open_ones = client.get(f"{A}/proposals?state=open").json()
    closed_ones = client.get(f"{A}/proposals?state=closed").json()

    assert everything["count"] == 3
    assert [p["id"] for p in open_ones["items"]] == [sooner.pk, later_one.pk]
    assert [p["tally"] for p in open_ones["items"]] == [None, None]
    [decided] = closed_ones["items"]
    assert (decided["id"], decided["state"], decided["outcome"]) == (closed.pk, "closed", "failed")
    assert decided["tally"]["counts"] == {"no": 1, "yes": 1}
    assert (decided["tally"]["voted"], decided["tally"]["eligible"]) == (2, 2)
    assert (decided["tally"]["for_votes"], decided["tally"]["against_votes"]) == (1, 1)


def test_the_list_pages_and_refuses_an_unknown_state(cast: Cast) -> None:
    for number in range(3):
        _proposal(cast, title=f"Proposal {number}")
    client = bearer_client(cast.ben)

    page = client.get(f"{A}/proposals?limit=2&offset=2").json()

    assert (len(page["items"]), page["count"], page["limit"], page["offset"]) == (1, 3, 2, 2)
    assert_problem(client.get(f"{A}/proposals?state=maybe"), 422, "validation_failed")


# --- POST /proposals/{id}/withdraw ------------------------------------------------------


def test_the_author_withdraws_their_open_proposal(cast: Cast) -> None:
    proposal = _proposal(cast, author=cast.ben)
    vote_cast(proposal=proposal, voter=cast.ana, choice="yes")

    response = post(bearer_client(cast.ben), f"/api/v1/proposals/{proposal.pk}/withdraw")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["state"], body["outcome"], body["voting_open"]) == ("withdrawn", None, False)
    assert body["closed_at"] == "2026-12-08T12:00:00Z"
    proposal.refresh_from_db()
    assert proposal.state == Proposal.State.WITHDRAWN and proposal.applied_at is None


def test_a_coordinator_withdraws_a_members_proposal(cast: Cast) -> None:
    proposal = _proposal(cast, author=cast.ben)

    response = post(bearer_client(cast.ana), f"/api/v1/proposals/{proposal.pk}/withdraw")

    assert response.status_code == 200, response.content
    assert response.json()["state"] == "withdrawn"


def test_a_member_cannot_withdraw_someone_elses_proposal(cast: Cast) -> None:
    proposal = _proposal(cast, author=cast.ana)
    before = state()

    response = post(bearer_client(cast.ben), f"/api/v1/proposals/{proposal.pk}/withdraw")

    assert_problem(response, 403, "not_author")
    assert state() == before


def test_a_closed_or_withdrawn_proposal_cannot_be_withdrawn(cast: Cast) -> None:
    proposal = _proposal(cast)
    client = bearer_client(cast.ana)
    post(client, f"/api/v1/proposals/{proposal.pk}/withdraw")
    before = state()

    response = post(client, f"/api/v1/proposals/{proposal.pk}/withdraw")

    assert_problem(response, 409, "proposal_closed")
    assert state() == before


def test_a_proposal_past_its_deadline_cannot_be_withdrawn_before_the_tick(
    cast: Cast, time_machine: Any
) -> None:
    proposal = _proposal(cast)
    time_machine.move_to(NOON + dt.timedelta(days=2, hours=1), tick=False)
    before = state()

    response = post(bearer_client(cast.ana), f"/api/v1/proposals/{proposal.pk}/withdraw")

    assert_problem(response, 409, "voting_closed")
    assert state() == before


# --- GET /me/proposals/waiting ----------------------------------------------------------


def test_a_member_sees_the_open_proposals_waiting_for_their_vote(cast: Cast) -> None:
    later_one = _proposal(cast, title="Later", closes_at=NOON + dt.timedelta(days=4))
    sooner = _proposal(cast, title="Sooner", closes_at=NOON + dt.timedelta(days=1))
    voted = _proposal(cast, title="Voted on")
    vote_cast(proposal=voted, voter=cast.ben, choice="yes")
    _proposal(cast, title="In B", collective=cast.collective_b, author=cast.carla)
    client = bearer_client(cast.ben)

    waiting = client.get("/api/v1/me/proposals/waiting").json()

    assert [p["id"] for p in waiting["items"]] == [sooner.pk, later_one.pk]
    assert waiting["items"][0]["collective"]["slug"] == "manila-va"
    assert waiting["items"][0]["author"]["handle"] == "ana-reyes"
    assert bearer_client(cast.olga).get("/api/v1/me/proposals/waiting").json()["count"] == 0
    assert bearer_client(cast.carla).get("/api/v1/me/proposals/waiting").json()["count"] == 1
