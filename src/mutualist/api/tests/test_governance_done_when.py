"""Issue #6's "done when", through the API alone: a coordinator proposes a new
split rule, the members vote (one through a proxy), ``mutualist tick``
closes it, and the new bylaws version is in force from its effective date."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from mutualist.api.tests.governance_support import NOON, A, add_member, bylaws_change, post, put
from mutualist.api.tests.support import assert_problem, bearer_client
from mutualist.testing import Cast


@pytest.fixture(autouse=True)
def tuesday_noon(time_machine: Any) -> None:
    time_machine.move_to(NOON, tick=False)


def test_a_split_rule_voted_through_with_a_proxy_is_in_force_from_its_date(
    cast: Cast, time_machine: Any
) -> None:
    dana = add_member(cast, "dana@example.org", "Dana Cruz")
    ana, ben, dana_api = bearer_client(cast.ana), bearer_client(cast.ben), bearer_client(dana)

    # Ana proposes: the treasury takes 12 % from 20 December; the vote closes
    # in three days. A 60 % quorum of three members needs two ballots.
    made = post(ana, f"{A}/proposals", bylaws_change(quorum_percent="60"))
    assert made.status_code == 201, made.content
    proposal_id = made.json()["id"]
    waiting = dana_api.get("/api/v1/me/proposals/waiting").json()["items"]
    assert [p["id"] for p in waiting] == [proposal_id]

    # Dana will be away: Ben votes for her. Ben votes yes; Ana does not vote.
    proxy = post(dana_api, f"{A}/proxies", {"delegate": "ben-okafor", "proposal_id": proposal_id})
    assert proxy.status_code == 201, proxy.content
    voted = put(ben, f"/api/v1/proposals/{proposal_id}/vote", {"choice": "yes"})
    assert voted.status_code == 200, voted.content
    standing = dana_api.get(f"/api/v1/proposals/{proposal_id}").json()
    assert standing["my_proxy"]["delegate"]["handle"] == "ben-okafor"
    assert (standing["voted"], standing["tally"]["by_proxy"]) == (2, 1)

    # Nothing changes before the deadline, even when the tick runs.
    call_command("tick")
    assert ana.get(f"/api/v1/proposals/{proposal_id}").json()["state"] == "open"

    time_machine.move_to(NOON + dt.timedelta(days=3, minutes=1), tick=False)
    call_command("tick")

    closed = ana.get(f"/api/v1/proposals/{proposal_id}").json()
    assert (closed["state"], closed["outcome"]) == ("closed", "passed")
    assert closed["tally"]["counts"] == {"yes": 2}
    assert (closed["tally"]["direct"], closed["tally"]["by_proxy"]) == (1, 1)
    assert closed["applied_note"] == "Bylaws version 2 is in force from 20 December 2026."
    ballots = ana.get(f"/api/v1/proposals/{proposal_id}/votes").json()["items"]
    assert sorted(
        (b["member"]["handle"], b["proxy"] and b["proxy"]["handle"]) for b in ballots
    ) == [
        ("ben-okafor", None),
        ("dana-cruz", "ben-okafor"),
    ]
    assert_problem(
        put(ana, f"/api/v1/proposals/{proposal_id}/vote", {"choice": "no"}), 409, "voting_closed"
    )

    # The new version is on record at once, and in force from its date.
    history = Client().get(f"{A}/bylaws").json()["items"]
    assert [(b["version"], b["effective_from"]) for b in history] == [
        (2, "2026-12-20"),
        (1, history[1]["effective_from"]),
    ]
    assert history[0]["split"] == [{"recipient": "treasury", "percent": "12.00"}]
    assert Client().get(A).json()["bylaws"]["version"] == 1

    time_machine.move_to(dt.datetime(2026, 12, 20, 0, 30, tzinfo=dt.UTC), tick=False)
    in_force = Client().get(A).json()["bylaws"]
    assert (in_force["version"], in_force["effective_from"]) == (2, "2026-12-20")
    assert in_force["split"] == [{"recipient": "treasury", "percent": "12.00"}]

    # A second tick applies nothing twice.
    call_command("tick")
    assert len(Client().get(f"{A}/bylaws").json()["items"]) == 2
