"""The "Propose a team" page: the form, the proposal, "Use this team", and
who may see it (coordinators; members 403, outsiders 404)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.urls import reverse

from mutualist.work.models import Pitch, PitchMember
from mutualist.work.services.pitches import pitch_send
from mutualist.work.services.proposals import pitch_team_propose
from mutualist.work.tests.test_matching_world import MatchWorld, build_match_world, set_member
from mutualist.work.tests.test_pitches_world import TODAY


@pytest.fixture
def world(work, time_machine) -> MatchWorld:
    time_machine.move_to(TODAY, tick=False)
    return build_match_world(work)


def page(response: Any) -> str:
    return str(response.content.decode())


def url(world: MatchWorld, name: str = "work:pitch_proposal") -> str:
    return reverse(name, kwargs={"pk": world.pitch.pk})


def team(world: MatchWorld) -> list[tuple[int, int | None]]:
    return sorted(
        PitchMember.objects.filter(pitch=world.pitch).values_list("user_id", "flexible_hours")
    )


def test_the_draft_page_offers_coordinators_to_propose_a_team(world, client_for):
    ana = page(client_for(world.ana).get(reverse("work:pitch", kwargs={"pk": world.pitch.pk})))
    ben = page(client_for(world.ben).get(reverse("work:pitch", kwargs={"pk": world.pitch.pk})))

    assert f'href="{url(world)}"' in ana
    assert url(world) not in ben


def test_ana_sees_the_cheapest_team_with_its_hours_price_and_margin(world, client_for):
    before = team(world)

    response = client_for(world.ana).get(url(world))

    html = page(response)
    assert response.status_code == 200
    assert "Optimal" in html and "The cheapest team, proven." in html
    for name in ("Dev Patel", "Cora Lim", "Ben Okafor"):
        assert f'<th scope="row">{name}</th>' in html
    assert '<dd id="proposal-price">1180.00 AUD</dd>' in html
    assert '<dd id="proposal-pay-cost">804.00 AUD</dd>' in html
    assert '<dd id="proposal-margin">376.00 AUD</dd>' in html
    # Dev's shifts in Sydney time and in his own (Kolkata, half an hour off)
    assert re.search(r"\d\d:30-\d\d:30.*Asia/Kolkata", html)
    assert "Use this team" in html
    assert team(world) == before  # proposing writes nothing


def test_the_choices_come_from_the_form(world, client_for):
    set_member(world.cora, rate="900.00", currency="PHP")
    cora, dev = world.cora.pk, world.dev.pk

    response = client_for(world.ana).get(
        url(world), {f"use_{dev}": "exclude", f"rate_{cora}": "19.00", "week": "2026-12-16"}
    )

    html = page(response)
    assert "Week of Monday 14 December 2026" in html
    assert "Dev Patel is left out, as you asked." in html
    assert "19.00 AUD (given) · 40 h left" in html
    assert f'name="use_{dev}" value="exclude"' in html  # the hidden choices of "Use this team"
    assert f'name="rate_{cora}" value="19.00"' in html


def test_a_refusal_is_shown_on_the_members_row(world, client_for):
    ben = world.ben.pk

    bad_rate = page(client_for(world.ana).get(url(world), {f"rate_{world.cora.pk}": "abc"}))
    # Ben has no customer support, and the books pay 30.00 at most
    not_eligible = page(
        client_for(world.ana).get(url(world), {f"use_{ben}": "pin", f"rate_{ben}": "31.00"})
    )

    assert "is not an hourly rate" in bad_rate
    assert "Use this team" not in bad_rate
    assert "They cannot be pinned." in not_eligible


def test_htmx_gets_the_form_and_the_proposal_without_the_page(world, client_for):
    response = client_for(world.ana).get(url(world), headers={"HX-Request": "true"})

    html = page(response)
    assert '<div id="proposal-page">' in html
    assert "<html" not in html


def test_using_the_team_writes_it_and_the_pitch_page_shows_every_hour_staffed(world, client_for):
    ana = client_for(world.ana)
    digest = pitch_team_propose(pitch=world.pitch, by=world.ana).digest

    response = ana.post(url(world, "work:pitch_proposal_apply"), {"digest": digest})

    assert response.status_code == 302
    assert response["Location"] == reverse("work:pitch", kwargs={"pk": world.pitch.pk})
    assert team(world) == sorted([(world.cora.pk, None), (world.dev.pk, None), (world.ben.pk, 6)])
    pitch_page = page(ana.get(response["Location"]))
    assert "The proposed team is the draft&#x27;s team now" in pitch_page
    assert "40 of 40 coverage hours staffed" in pitch_page
    assert "6 of 6 flexible hours proposed" in pitch_page


def test_a_team_that_changed_since_it_was_seen_is_not_used(world, client_for):
    before = team(world)

    response = client_for(world.ana).post(
        url(world, "work:pitch_proposal_apply"), {"digest": "0" * 64}
    )

    html = page(response)
    assert response.status_code == 200
    assert "The proposed team changed since you saw it" in html
    assert "Use this team" in html  # the team proposed now, to look at
    assert team(world) == before


def test_members_are_refused_and_outsiders_do_not_know_the_page(world, client_for, client):
    before = team(world)
    for name in ("work:pitch_proposal", "work:pitch_proposal_apply"):
        method = "get" if name == "work:pitch_proposal" else "post"
        target = url(world, name)

        assert getattr(client_for(world.ben), method)(target).status_code == 403
        assert getattr(client_for(world.work.cast.olga), method)(target).status_code == 404
        assert getattr(client_for(world.work.dana), method)(target).status_code == 404
        assert getattr(client_for(world.work.cast.carla), method)(target).status_code == 404
        anonymous = getattr(client, method)(target)
        assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert team(world) == before


def test_a_pitch_that_is_no_longer_a_draft_sends_the_coordinator_back_to_it(world, client_for):
    pitch_send(pitch=world.pitch, by=world.ana)
    ana = client_for(world.ana)
    back = reverse("work:pitch", kwargs={"pk": world.pitch.pk})

    shown = ana.get(url(world))
    used = ana.post(url(world, "work:pitch_proposal_apply"))
    # Choices the form would refuse do not matter any more either
    odd = ana.post(url(world, "work:pitch_proposal_apply"), {"max_team_size": "abc"})

    assert (shown.status_code, shown["Location"]) == (302, back)
    assert (used.status_code, used["Location"]) == (302, back)
    assert (odd.status_code, odd["Location"]) == (302, back)
    assert Pitch.objects.get(pk=world.pitch.pk).state == Pitch.State.SENT


def test_no_team_shows_the_reason_and_no_price(world, client_for):
    everyone = {
        f"use_{user.pk}": "exclude" for user in (world.ana, world.ben, world.cora, world.dev)
    }
    html = page(client_for(world.ana).get(url(world), everyone))

    assert "Infeasible" in html
    assert "Nobody considered can staff any hour" in html
    assert "proposal-price" not in html and "proposal-margin" not in html
    assert "a role has no bill rate yet" not in html
    assert "Use this team" not in html


def test_using_a_team_for_another_week_shows_that_weeks_check(world, client_for):
    ana = client_for(world.ana)
    week = "2026-12-16"  # a Wednesday: the week of Monday 14 December
    digest = pitch_team_propose(
        pitch=world.pitch, by=world.ana, week=dt.date.fromisoformat(week)
    ).digest

    response = ana.post(url(world, "work:pitch_proposal_apply"), {"digest": digest, "week": week})

    assert response.status_code == 302
    assert response["Location"] == (
        reverse("work:pitch", kwargs={"pk": world.pitch.pk}) + f"?week={week}"
    )
    assert "Week of Monday 14 December 2026" in page(ana.get(response["Location"]))


def test_too_small_a_team_gets_the_one_that_staffs_the_most_hours(world, client_for):
    html = page(client_for(world.ana).get(url(world), {"max_team_size": "1"}))

    assert "No team of at most 1 member" in html
    assert "staffs as many hours as any team can" in html
    assert "The cheapest team for the hours that can be staffed, proven" in html
    assert '<th scope="row">Cora Lim</th>' in html
    assert "Use this team" in html
