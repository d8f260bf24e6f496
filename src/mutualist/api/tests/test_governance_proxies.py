"""Proxies through the API: naming one for a proposal or a period, listing
them, revoking them, and every delegation the issue refuses."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from mutualist.api.tests.governance_support import BIG, NOON, A, B, add_member, post, state
from mutualist.api.tests.support import assert_leaks_nothing, assert_problem, bearer_client
from mutualist.collectives.models import Membership
from mutualist.governance.models import Delegation, Proposal
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


# --- POST /collectives/{slug}/proxies ------------------------------------------------------


def test_a_member_names_a_proxy_for_a_period(cast: Cast) -> None:
    response = post(bearer_client(cast.ben), f"{A}/proxies", {"delegate": "ana-reyes"})

    assert response.status_code == 201, response.content
    made = response.json()
    delegation = Delegation.objects.get()
    assert made == {
        "id": delegation.pk,
        "collective": {"slug": "manila-va", "name": "Manila Virtual Assistants"},
        "direction": "given",
        "delegator": {"handle": "ben-okafor", "display_name": "Ben Okafor"},
        "delegate": {"handle": "ana-reyes", "display_name": "Ana Reyes"},
        "proposal": None,
        "starts_on": "2026-12-08",
        "ends_on": None,
        "created_at": "2026-12-08T12:00:00Z",
        "active": True,
        "revoked_at": None,
        "revoked_because": "",
    }


def test_a_member_names_a_proxy_for_one_proposal_and_sees_it_on_the_proposal(cast: Cast) -> None:
    proposal = _proposal(cast)
    ben = bearer_client(cast.ben)

    response = post(ben, f"{A}/proxies", {"delegate": "ana-reyes", "proposal_id": proposal.pk})

    assert response.status_code == 201, response.content
    assert response.json()["proposal"] == {"id": proposal.pk, "title": proposal.title}
    assert (response.json()["starts_on"], response.json()["ends_on"]) == (None, None)
    read = ben.get(f"/api/v1/proposals/{proposal.pk}").json()
    assert read["my_proxy"] == {
        "id": response.json()["id"],
        "delegate": {"handle": "ana-reyes", "display_name": "Ana Reyes"},
        "scope": "proposal",
    }


def test_the_proposal_proxy_beats_the_period_one_on_the_proposal_page(cast: Cast) -> None:
    dana = add_member(cast, "dana@example.org", "Dana Cruz")
    proposal = _proposal(cast)
    other = _proposal(cast, title="Another")
    ben = bearer_client(cast.ben)
    post(ben, f"{A}/proxies", {"delegate": "ana-reyes", "starts_on": "2026-12-08"})
    post(ben, f"{A}/proxies", {"delegate": dana.profile.handle, "proposal_id": proposal.pk})

    on_it = ben.get(f"/api/v1/proposals/{proposal.pk}").json()["my_proxy"]
    on_other = ben.get(f"/api/v1/proposals/{other.pk}").json()["my_proxy"]

    assert (on_it["delegate"]["handle"], on_it["scope"]) == ("dana-cruz", "proposal")
    assert (on_other["delegate"]["handle"], on_other["scope"]) == ("ana-reyes", "period")


def test_a_period_that_ends_before_the_proposal_closes_does_not_cover_it(cast: Cast) -> None:
    proposal = _proposal(cast, closes_at=NOON + dt.timedelta(days=5))
    ben = bearer_client(cast.ben)

    post(ben, f"{A}/proxies", {"delegate": "ana-reyes", "ends_on": "2026-12-10"})

    assert ben.get(f"/api/v1/proposals/{proposal.pk}").json()["my_proxy"] is None


def test_a_new_proxy_replaces_the_standing_one_of_the_same_scope(cast: Cast) -> None:
    dana = add_member(cast, "dana@example.org", "Dana Cruz")
    ben = bearer_client(cast.ben)
    first = post(ben, f"{A}/proxies", {"delegate": "ana-reyes"}).json()

    second = post(ben, f"{A}/proxies", {"delegate": dana.profile.handle, "ends_on": "2027-01-31"})

    assert second.status_code == 201, second.content
    listed = {d["id"]: d for d in ben.get(f"{A}/proxies").json()["items"]}
    assert {i: d["active"] for i, d in listed.items()} == {
        second.json()["id"]: True,
        first["id"]: False,
    }
    assert listed[first["id"]]["revoked_because"] == "Replaced by a new proxy."


def test_standing_proxies_are_listed_before_revoked_ones(cast: Cast) -> None:
    ben = bearer_client(cast.ben)
    revoked = post(ben, f"{A}/proxies", {"delegate": "ana-reyes"}).json()
    post(ben, f"/api/v1/proxies/{revoked['id']}/revoke")
    standing = post(ben, f"{A}/proxies", {"delegate": "ana-reyes", "ends_on": "2027-01-31"})

    listed = ben.get(f"{A}/proxies").json()["items"]

    assert [d["id"] for d in listed] == [standing.json()["id"], revoked["id"]]


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"delegate": "ben-okafor"}, 422, "delegate_self", "delegate"),
        ({"delegate": "carla-mwangi"}, 422, "delegate_not_member", "delegate"),
        ({"delegate": "olga-petrova"}, 422, "delegate_not_member", "delegate"),
        ({"delegate": "nobody-at-all"}, 422, "delegate_not_member", "delegate"),
        ({"delegate": ""}, 422, "delegate_not_member", "delegate"),
        (
            {"delegate": "ana-reyes", "starts_on": "2027-01-10", "ends_on": "2027-01-09"},
            422,
            "period_reversed",
            "ends_on",
        ),
        (
            {"delegate": "ana-reyes", "starts_on": "2026-11-01", "ends_on": "2026-12-07"},
            422,
            "starts_in_past",
            "starts_on",
        ),
        ({"delegate": "ana-reyes", "proposal_id": 999_999}, 422, "unknown_proposal", "proposal_id"),
    ],
)
def test_a_refused_proxy_names_the_field_and_changes_nothing(
    cast: Cast, body: dict[str, Any], status: int, code: str, field: str
) -> None:
    before = state()

    response = post(bearer_client(cast.ben), f"{A}/proxies", body)

    assert assert_problem(response, status, code)["errors"][0]["field"] == field
    assert_leaks_nothing(response, "Carla Mwangi", "Olga Petrova")
    assert state() == before


def test_a_proxy_who_left_the_collective_cannot_be_named(cast: Cast) -> None:
    dana = add_member(cast, "dana@example.org", "Dana Cruz")
    Membership.objects.filter(user=dana).update(state=Membership.State.LEFT, left_at=NOON)
    before = state()

    response = post(bearer_client(cast.ben), f"{A}/proxies", {"delegate": "dana-cruz"})

    assert_problem(response, 422, "delegate_not_member")
    assert state() == before


def test_a_proxy_for_a_proposal_of_another_collective_is_refused(cast: Cast) -> None:
    theirs = _proposal(cast, collective=cast.collective_b, author=cast.carla, title="B's plans")
    before = state()

    response = post(
        bearer_client(cast.ben), f"{A}/proxies", {"delegate": "ana-reyes", "proposal_id": theirs.pk}
    )

    assert_problem(response, 422, "unknown_proposal")
    assert_leaks_nothing(response, "B's plans")
    assert state() == before


def test_a_proxy_for_a_proposal_of_another_of_ones_collectives_is_refused(cast: Cast) -> None:
    Membership.objects.create(
        collective=cast.collective_b,
        user=cast.ben,
        state=Membership.State.ACTIVE,
        joined_at=NOON,
    )
    theirs = _proposal(cast, collective=cast.collective_b, author=cast.carla)
    before = state()

    response = post(
        bearer_client(cast.ben), f"{A}/proxies", {"delegate": "ana-reyes", "proposal_id": theirs.pk}
    )

    body = assert_problem(response, 422, "proposal_other_collective")
    assert body["errors"][0]["field"] == "proposal_id"
    assert state() == before


def test_a_proxy_for_a_closed_or_past_deadline_proposal_is_refused(
    cast: Cast, time_machine: Any
) -> None:
    closed = _proposal(cast, title="Closed")
    vote_cast(proposal=closed, voter=cast.ana, choice="yes")
    proposal_close(proposal_id=closed.pk, early=True)
    due = _proposal(cast, title="Due", closes_at=NOON + dt.timedelta(hours=1))
    time_machine.move_to(NOON + dt.timedelta(hours=2), tick=False)
    before = state()

    for proposal in (closed, due):
        response = post(
            bearer_client(cast.ben),
            f"{A}/proxies",
            {"delegate": "ana-reyes", "proposal_id": proposal.pk},
        )
        assert assert_problem(response, 409, "voting_closed")["errors"][0]["field"] == (
            "proposal_id"
        )
    assert state() == before


def test_a_proxy_for_a_proposal_and_a_period_at_once_is_refused(cast: Cast) -> None:
    proposal = _proposal(cast)
    before = state()

    response = post(
        bearer_client(cast.ben),
        f"{A}/proxies",
        {"delegate": "ana-reyes", "proposal_id": proposal.pk, "starts_on": "2026-12-08"},
    )

    assert_problem(response, 422, "proposal_or_period")
    assert state() == before


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"delegate": 7},
        {"delegate": "ana-reyes", "proposal_id": BIG},
        {"delegate": "ana-reyes", "proposal_id": 0},
        {"delegate": "ana-reyes", "starts_on": "soon"},
        {"delegate": "ana-reyes", "until": "2027-01-01"},
    ],
)
def test_a_proxy_of_the_wrong_shape_is_a_422_problem(cast: Cast, body: dict[str, Any]) -> None:
    before = state()

    response = post(bearer_client(cast.ben), f"{A}/proxies", body)

    assert_problem(response, 422, "validation_failed")
    assert state() == before


# --- GET /collectives/{slug}/proxies -------------------------------------------------------


def test_a_member_lists_the_proxies_they_named_and_those_naming_them(cast: Cast) -> None:
    dana = add_member(cast, "dana@example.org", "Dana Cruz")
    given = delegation_create(collective=cast.collective_a, delegator=cast.ben, delegate=dana)
    received = delegation_create(
        collective=cast.collective_a, delegator=cast.ana, delegate=cast.ben
    )
    delegation_create(collective=cast.collective_a, delegator=dana, delegate=cast.ana)

    listed = bearer_client(cast.ben).get(f"{A}/proxies").json()

    assert listed["count"] == 2
    assert sorted((d["id"], d["direction"]) for d in listed["items"]) == sorted(
        [(given.pk, "given"), (received.pk, "received")]
    )


@pytest.mark.parametrize("who", ["olga", "carla"])
def test_outsiders_neither_see_nor_name_proxies(cast: Cast, who: str) -> None:
    delegation_create(collective=cast.collective_a, delegator=cast.ben, delegate=cast.ana)
    outsider = bearer_client(getattr(cast, who))
    before = state()

    answers = [
        outsider.get(f"{A}/proxies"),
        post(outsider, f"{A}/proxies", {"delegate": "ana-reyes"}),
    ]

    for response in answers:
        assert_problem(response, 404, "not_found")
        assert_leaks_nothing(response, "Ben Okafor", "Ana Reyes")
    assert state() == before


def test_anonymous_callers_must_log_in_for_proxies(cast: Cast) -> None:
    assert_problem(Client().get(f"{A}/proxies"), 401, "not_authenticated")
    assert_problem(Client().get(f"{B}/proxies"), 401, "not_authenticated")


# --- POST /proxies/{id}/revoke --------------------------------------------------------------


def test_a_member_revokes_their_proxy_once(cast: Cast) -> None:
    delegation = delegation_create(
        collective=cast.collective_a, delegator=cast.ben, delegate=cast.ana
    )
    ben = bearer_client(cast.ben)

    response = post(ben, f"/api/v1/proxies/{delegation.pk}/revoke")

    assert response.status_code == 200, response.content
    assert (response.json()["active"], response.json()["revoked_at"]) == (
        False,
        "2026-12-08T12:00:00Z",
    )
    assert response.json()["revoked_because"] == "Revoked by the member."
    before = state()
    assert_problem(post(ben, f"/api/v1/proxies/{delegation.pk}/revoke"), 409, "already_revoked")
    assert state() == before


@pytest.mark.parametrize("who", ["ana", "olga", "carla"])
def test_only_the_member_who_named_a_proxy_may_revoke_it(cast: Cast, who: str) -> None:
    # Ana is the proxy herself: she may stop voting, not end Ben's choice.
    delegation = delegation_create(
        collective=cast.collective_a, delegator=cast.ben, delegate=cast.ana
    )
    before = state()

    response = post(bearer_client(getattr(cast, who)), f"/api/v1/proxies/{delegation.pk}/revoke")

    assert_problem(response, 404, "not_found")
    assert state() == before


@pytest.mark.parametrize("delegation_id", [0, BIG, 2**63])
def test_revoking_an_id_no_database_holds_finds_nothing(cast: Cast, delegation_id: int) -> None:
    response = post(bearer_client(cast.ben), f"/api/v1/proxies/{delegation_id}/revoke")

    assert_problem(response, 404, "not_found")
