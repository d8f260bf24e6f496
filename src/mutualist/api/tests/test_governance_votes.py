"""Votes through the API: casting, changing, retracting, the ballots, and
results that stay hidden where a proposal says so."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from mutualist.api.tests.governance_support import BIG, NOON, add_member, put, send, state
from mutualist.api.tests.support import assert_leaks_nothing, assert_problem, bearer_client
from mutualist.governance.models import Proposal, Vote
from mutualist.governance.services import (
    delegation_create,
    proposal_close,
    proposal_create,
    vote_cast,
)
from mutualist.testing import Cast


@pytest.fixture(autouse=True)
def tuesday_noon(time_machine: Any) -> None:
    time_machine.move_to(NOON, tick=False)


def _proposal(cast: Cast, **changes: Any) -> Proposal:
    fields: dict[str, Any] = {
        "collective": cast.collective_a,
        "author": cast.ana,
        "kind": "general",
        "title": "Move stand-up to 08:00 UTC",
        "closes_at": NOON + dt.timedelta(days=2),
        **changes,
    }
    return proposal_create(**fields)


def _vote_path(proposal: Proposal) -> str:
    return f"/api/v1/proposals/{proposal.pk}/vote"


def _read(client: Client, proposal: Proposal) -> dict[str, Any]:
    response = client.get(f"/api/v1/proposals/{proposal.pk}")
    assert response.status_code == 200, response.content
    result: dict[str, Any] = response.json()
    return result


# --- PUT /proposals/{id}/vote -------------------------------------------------------------


def test_a_member_votes_and_the_proposal_counts_it(cast: Cast) -> None:
    proposal = _proposal(cast)
    ben = bearer_client(cast.ben)

    response = put(ben, _vote_path(proposal), {"choice": "yes", "reason": "Mornings suit me."})

    assert response.status_code == 200, response.content
    assert response.json() == {
        "member": {"handle": "ben-okafor", "display_name": "Ben Okafor"},
        "choice": "yes",
        "reason": "Mornings suit me.",
        "proxy": None,
        "cast_at": "2026-12-08T12:00:00Z",
        "changed_at": None,
    }
    read = _read(ben, proposal)
    assert read["my_vote"]["choice"] == "yes"
    assert read["tally"]["counts"] == {"yes": 1}
    assert (read["voted"], read["eligible"]) == (1, 2)


def test_voting_twice_changes_the_first_vote_and_never_adds_one(
    cast: Cast, time_machine: Any
) -> None:
    proposal = _proposal(cast)
    ben = bearer_client(cast.ben)
    put(ben, _vote_path(proposal), {"choice": "yes"})
    time_machine.move_to(NOON + dt.timedelta(hours=1), tick=False)

    response = put(ben, _vote_path(proposal), {"choice": "no", "reason": "On second thought."})

    assert response.status_code == 200, response.content
    assert (response.json()["choice"], response.json()["changed_at"]) == (
        "no",
        "2026-12-08T13:00:00Z",
    )
    assert response.json()["cast_at"] == "2026-12-08T12:00:00Z"
    assert list(Vote.objects.values_list("member__email", "choice")) == [("ben@example.org", "no")]
    assert _read(ben, proposal)["tally"]["counts"] == {"no": 1}


def test_a_vote_after_the_deadline_is_refused_even_before_the_tick_closes_it(
    cast: Cast, time_machine: Any
) -> None:
    proposal = _proposal(cast)
    put(bearer_client(cast.ben), _vote_path(proposal), {"choice": "yes"})
    time_machine.move_to(proposal.closes_at, tick=False)
    before = state()

    changed = put(bearer_client(cast.ben), _vote_path(proposal), {"choice": "no"})
    late = put(bearer_client(cast.ana), _vote_path(proposal), {"choice": "yes"})
    retracted = send(bearer_client(cast.ben), "DELETE", _vote_path(proposal))

    for response in (changed, late, retracted):
        assert_problem(response, 409, "voting_closed")
    assert state() == before
    assert _read(bearer_client(cast.ben), proposal)["voting_open"] is False


def test_a_vote_on_a_closed_proposal_is_refused(cast: Cast) -> None:
    proposal = _proposal(cast)
    vote_cast(proposal=proposal, voter=cast.ana, choice="yes")
    proposal_close(proposal_id=proposal.pk, early=True)
    before = state()

    response = put(bearer_client(cast.ben), _vote_path(proposal), {"choice": "no"})

    assert_problem(response, 409, "voting_closed")
    assert state() == before


@pytest.mark.parametrize("who", ["olga", "carla"])
def test_someone_outside_the_collective_cannot_vote(cast: Cast, who: str) -> None:
    proposal = _proposal(cast, title="Private plans")
    vote_cast(proposal=proposal, voter=cast.ben, choice="yes", reason="Private reason")
    outsider = bearer_client(getattr(cast, who))
    before = state()

    answers = [
        put(outsider, _vote_path(proposal), {"choice": "yes"}),
        send(outsider, "DELETE", _vote_path(proposal)),
        outsider.get(f"/api/v1/proposals/{proposal.pk}/votes"),
    ]

    for response in answers:
        assert_problem(response, 404, "not_found")
        assert_leaks_nothing(response, "Private plans", "Private reason", "Ben Okafor")
    assert state() == before


def test_anonymous_callers_cannot_vote(cast: Cast) -> None:
    proposal = _proposal(cast)
    before = state()

    response = send(Client(), "PUT", _vote_path(proposal), {"choice": "yes"})

    assert_problem(response, 401, "not_authenticated")
    assert state() == before


@pytest.mark.parametrize(
    ("changes", "vote", "code", "field"),
    [
        ({}, {"choice": "agree"}, "invalid_choice", "choice"),
        ({}, {"choice": ""}, "invalid_choice", "choice"),
        ({"method": "consent"}, {"choice": "yes"}, "invalid_choice", "choice"),
        ({"method": "consent"}, {"choice": "block"}, "reason_required", "reason"),
        ({"method": "consent"}, {"choice": "block", "reason": "  "}, "reason_required", "reason"),
        ({"reasons_required": True}, {"choice": "yes"}, "reason_required", "reason"),
        ({}, {"choice": "yes", "reason": "x" * 2001}, "reason_too_long", "reason"),
    ],
)
def test_a_refused_vote_names_the_field_and_changes_nothing(
    cast: Cast, changes: dict[str, Any], vote: dict[str, Any], code: str, field: str
) -> None:
    proposal = _proposal(cast, **changes)
    first = "disagree" if proposal.method == "consent" else "no"
    vote_cast(proposal=proposal, voter=cast.ben, choice=first, reason="First thoughts")
    before = state()

    response = put(bearer_client(cast.ben), _vote_path(proposal), vote)

    assert assert_problem(response, 422, code)["errors"][0]["field"] == field
    assert state() == before


@pytest.mark.parametrize(
    "body", [{}, {"choice": 1}, {"choice": "yes", "reason": None}, {"choice": "yes", "why": "x"}]
)
def test_a_vote_of_the_wrong_shape_is_a_422_problem(cast: Cast, body: dict[str, Any]) -> None:
    proposal = _proposal(cast)
    before = state()

    response = put(bearer_client(cast.ben), _vote_path(proposal), body)

    assert_problem(response, 422, "validation_failed")
    assert state() == before


def test_a_vote_on_an_id_no_database_holds_finds_nothing(cast: Cast) -> None:
    response = put(bearer_client(cast.ben), f"/api/v1/proposals/{BIG}/vote", {"choice": "yes"})

    assert_problem(response, 404, "not_found")


# --- DELETE /proposals/{id}/vote --------------------------------------------------------------


def test_a_member_takes_their_vote_back_and_their_proxy_stands_in_again(cast: Cast) -> None:
    dana = add_member(cast, "dana@example.org", "Dana Cruz")
    proposal = _proposal(cast)
    delegation_create(collective=cast.collective_a, delegator=cast.ben, delegate=dana)
    vote_cast(proposal=proposal, voter=dana, choice="no")
    vote_cast(proposal=proposal, voter=cast.ben, choice="yes")
    ben = bearer_client(cast.ben)
    assert _read(ben, proposal)["tally"]["counts"] == {"no": 1, "yes": 1}

    response = send(ben, "DELETE", _vote_path(proposal))

    assert response.status_code == 204, response.content
    assert not Vote.objects.filter(member=cast.ben).exists()
    read = _read(ben, proposal)
    assert read["my_vote"] is None
    assert read["my_proxy"]["delegate"]["handle"] == "dana-cruz"
    assert (read["tally"]["counts"], read["tally"]["by_proxy"]) == ({"no": 2}, 1)


def test_taking_back_a_vote_one_never_cast_is_a_409(cast: Cast) -> None:
    proposal = _proposal(cast)
    before = state()

    response = send(bearer_client(cast.ben), "DELETE", _vote_path(proposal))

    assert_problem(response, 409, "no_vote")
    assert state() == before


# --- Hidden results ---------------------------------------------------------------------------


def test_after_vote_results_stay_hidden_from_a_member_until_they_vote(cast: Cast) -> None:
    proposal = _proposal(cast, results_visibility="after_vote")
    vote_cast(proposal=proposal, voter=cast.ana, choice="no", reason="Hidden-reason-Q7")
    ben = bearer_client(cast.ben)

    hidden = ben.get(f"/api/v1/proposals/{proposal.pk}")
    ballots = ben.get(f"/api/v1/proposals/{proposal.pk}/votes")

    assert hidden.status_code == 200
    shown = hidden.json()
    assert (shown["results_hidden"], shown["tally"]) == (True, None)
    assert (shown["voted"], shown["eligible"]) == (1, 2)
    text = json.dumps(shown)
    assert "Hidden-reason-Q7" not in text and "counts" not in text
    assert_problem(ballots, 403, "results_hidden")
    assert_leaks_nothing(ballots, "Hidden-reason-Q7", "Ana Reyes")

    put(ben, _vote_path(proposal), {"choice": "yes"})

    after = _read(ben, proposal)
    assert (after["results_hidden"], after["tally"]["counts"]) == (False, {"no": 1, "yes": 1})
    ballots = ben.get(f"/api/v1/proposals/{proposal.pk}/votes").json()
    assert [(b["member"]["handle"], b["choice"], b["reason"]) for b in ballots["items"]] == [
        ("ana-reyes", "no", "Hidden-reason-Q7"),
        ("ben-okafor", "yes", ""),
    ]


def test_after_close_results_stay_hidden_from_everyone_until_the_tick_closes_it(
    cast: Cast, time_machine: Any
) -> None:
    proposal = _proposal(cast, results_visibility="after_close", method="consent")
    vote_cast(proposal=proposal, voter=cast.ana, choice="agree")
    vote_cast(proposal=proposal, voter=cast.ben, choice="disagree", reason="Hidden-reason-Q8")

    for who in (cast.ana, cast.ben):
        read = bearer_client(who).get(f"/api/v1/proposals/{proposal.pk}")
        assert read.json()["tally"] is None and read.json()["my_vote"]["choice"]
        assert "Hidden-reason-Q8" not in read.content.decode() or who == cast.ben
        assert_problem(
            bearer_client(who).get(f"/api/v1/proposals/{proposal.pk}/votes"),
            403,
            "results_hidden",
        )

    time_machine.move_to(proposal.closes_at + dt.timedelta(minutes=1), tick=False)
    call_command("tick")

    closed = _read(bearer_client(cast.ana), proposal)
    assert (closed["state"], closed["outcome"], closed["results_hidden"]) == (
        "closed",
        "failed",
        False,
    )
    assert closed["tally"]["counts"] == {"agree": 1, "disagree": 1}
    ballots = bearer_client(cast.ana).get(f"/api/v1/proposals/{proposal.pk}/votes").json()
    assert [b["reason"] for b in ballots["items"]] == ["", "Hidden-reason-Q8"]


def test_one_block_stops_a_consent_proposal_and_the_record_says_why(cast: Cast) -> None:
    proposal = _proposal(cast, method="consent")
    ana = bearer_client(cast.ana)
    put(ana, _vote_path(proposal), {"choice": "agree"})
    put(bearer_client(cast.ben), _vote_path(proposal), {"choice": "block", "reason": "Clients."})
    proposal_close(proposal_id=proposal.pk, early=True)

    closed = _read(ana, proposal)

    assert (closed["state"], closed["outcome"]) == ("closed", "blocked")
    assert closed["tally"]["counts"] == {"agree": 1, "block": 1}
    ballots = ana.get(f"/api/v1/proposals/{proposal.pk}/votes").json()["items"]
    assert ("block", "Clients.") in [(b["choice"], b["reason"]) for b in ballots]


def test_ballots_page_and_show_who_voted_through_a_proxy_once_closed(cast: Cast) -> None:
    dana = add_member(cast, "dana@example.org", "Dana Cruz")
    proposal = _proposal(cast)
    delegation_create(collective=cast.collective_a, delegator=dana, delegate=cast.ben)
    vote_cast(proposal=proposal, voter=cast.ana, choice="no")
    vote_cast(proposal=proposal, voter=cast.ben, choice="yes")
    proposal_close(proposal_id=proposal.pk, now=proposal.closes_at)
    ana = bearer_client(cast.ana)

    first = ana.get(f"/api/v1/proposals/{proposal.pk}/votes?limit=2").json()
    rest = ana.get(f"/api/v1/proposals/{proposal.pk}/votes?limit=2&offset=2").json()

    assert first["count"] == 3
    rows = [
        (b["member"]["handle"], b["choice"], b["proxy"] and b["proxy"]["handle"])
        for b in first["items"] + rest["items"]
    ]
    assert sorted(rows) == [
        ("ana-reyes", "no", None),
        ("ben-okafor", "yes", None),
        ("dana-cruz", "yes", "ben-okafor"),
    ]
    dana_read = _read(bearer_client(dana), proposal)
    assert (dana_read["my_vote"]["choice"], dana_read["my_vote"]["proxy"]["handle"]) == (
        "yes",
        "ben-okafor",
    )
    assert (dana_read["tally"]["direct"], dana_read["tally"]["by_proxy"]) == (2, 1)
