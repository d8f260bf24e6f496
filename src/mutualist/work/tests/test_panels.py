"""The dashboard's way into each collective's work."""

from __future__ import annotations

from django.urls import reverse


def test_a_coordinator_sees_the_way_to_clients_pitches_engagements_and_the_teams_week(
    work, client_for
):
    page = client_for(work.cast.ana).get(reverse("members:dashboard")).content.decode()
    for url in (
        reverse("work:collective_clients", kwargs={"slug": "manila-va"}),
        reverse("work:collective_pitches", kwargs={"slug": "manila-va"}),
        reverse("work:collective_engagements", kwargs={"slug": "manila-va"}),
        reverse("work:team_week", kwargs={"slug": "manila-va"}),
    ):
        assert f'href="{url}"' in page


def test_a_member_is_not_shown_the_teams_week_and_an_outsider_sees_no_collective(work, client_for):
    ben = client_for(work.cast.ben).get(reverse("members:dashboard")).content.decode()
    assert reverse("work:collective_pitches", kwargs={"slug": "manila-va"}) in ben
    assert reverse("work:team_week", kwargs={"slug": "manila-va"}) not in ben
    olga = client_for(work.cast.olga).get(reverse("members:dashboard")).content.decode()
    assert "Your collectives' work" not in olga
