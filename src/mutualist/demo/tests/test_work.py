"""The demo's work: three clients abroad, an accepted pitch with its agreement,
open jobs, and weeks of time entries across clients, some approved."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mutualist.collectives.models import Collective, CoworkingSpace
from mutualist.demo import data as demo
from mutualist.work.models import (
    Agreement,
    AgreementAcceptance,
    Engagement,
    Job,
    Pitch,
    TimeEntry,
    Timesheet,
)


@pytest.fixture
def loaded(db):
    call_command("demo")


def login(email: str) -> Client:
    client = Client()
    response = client.post(
        reverse("members:login"), {"username": email, "password": demo.DEMO_PASSWORD}
    )
    assert response.status_code == 302
    return client


def test_ana_works_for_clients_in_sydney_austin_and_london(loaded):
    engagements = Engagement.objects.filter(
        team__user__email="ana@demo.mutualist.coop", status=Engagement.Status.ACTIVE
    )
    assert sorted(e.client.timezone for e in engagements) == [
        "America/Chicago",
        "Australia/Sydney",
        "Europe/London",
    ]


def test_ana_sees_her_week_across_three_clients_in_manila_time(loaded):
    # given: Ana's Bondi shift is 11:00-15:00 in Sydney
    ana = login("ana@demo.mutualist.coop")
    zone = ZoneInfo("Asia/Manila")
    last_monday = timezone.now().astimezone(zone).date() - dt.timedelta(
        days=timezone.now().astimezone(zone).weekday() + 7
    )
    # when: she looks at last week, which is complete
    page = ana.get(reverse("work:week") + f"?week={last_monday:%Y-%m-%d}").content.decode()
    # then: every client, and the Sydney shift at its Manila hours (UTC+8 against
    # Sydney's UTC+11 in summer or UTC+10 in winter)
    for name in ("Bondi Surf Supply", "Lone Star Dental Group", "Camden Lock Books"):
        assert name in page
    first_shift = (
        TimeEntry.objects.filter(
            member__email="ana@demo.mutualist.coop",
            engagement__client__name="Bondi Surf Supply Pty Ltd",
            timesheet__week_start=last_monday,
        )
        .order_by("started_at")
        .first()
    )
    assert first_shift is not None
    sydney_start = first_shift.started_at.astimezone(ZoneInfo("Australia/Sydney"))
    assert sydney_start.hour == 11
    assert first_shift.started_at.astimezone(zone).strftime("%H:%M") in page


def test_past_weeks_are_approved_or_waiting_and_this_week_is_open(loaded):
    states = {
        week: sorted({t.state for t in Timesheet.objects.filter(week_start=week)})
        for week in Timesheet.objects.values_list("week_start", flat=True).distinct()
    }
    weeks = sorted(states)
    assert len(weeks) == 5
    assert [states[w] for w in weeks] == [
        ["approved"],
        ["approved"],
        ["approved"],
        ["submitted"],
        ["open"],
    ]
    approved = TimeEntry.objects.filter(approved_at__isnull=False)
    assert approved.count() > 40
    # The one correction is an adjustment, approved with its week.
    adjustment = TimeEntry.objects.get(kind=TimeEntry.Kind.ADJUSTMENT)
    assert adjustment.adjusts is not None
    assert (adjustment.minutes, adjustment.adjusts.kind) == (-30, TimeEntry.Kind.MANUAL)
    assert adjustment.approved_at is not None
    # Nothing lies in the future.
    assert not TimeEntry.objects.filter(ended_at__gt=timezone.now()).exists()


def test_each_accepted_pitch_has_an_agreement_both_sides_accepted(loaded):
    accepted = Pitch.objects.filter(state=Pitch.State.ACCEPTED)
    assert accepted.count() == 3
    for pitch in accepted:
        agreement = Agreement.objects.get(engagement=pitch.engagement, version=1)
        parties = set(
            AgreementAcceptance.objects.filter(agreement=agreement).values_list("party", flat=True)
        )
        assert parties == {"client", "collective"}
        assert "Makati City" in agreement.html  # the collective's postal address
        assert pitch.engagement.status == Engagement.Status.ACTIVE


def test_a_client_has_a_pitch_to_answer_and_a_week_to_approve(loaded):
    # given
    emily = login("emily@demo.mutualist.coop")
    # when
    portal = emily.get(reverse("work:portal")).content.decode()
    # then
    sent = Pitch.objects.get(state=Pitch.State.SENT)
    assert sent.job.title == "Weekend live chat"
    assert "Weekend live chat" in portal
    assert Timesheet.objects.filter(
        state=Timesheet.State.SUBMITTED, engagement__client__name="Bondi Surf Supply Pty Ltd"
    ).exists()


def test_the_board_has_open_public_jobs_and_the_lead_stays_private(loaded):
    board = Client().get(reverse("work:board")).content.decode()
    open_public = Job.objects.filter(state=Job.State.OPEN, visibility=Job.Visibility.PUBLIC)
    assert open_public.count() == 3
    for job in open_public:
        assert job.title in board
    assert "Month-end bookkeeping clean-up" not in board


def test_once_adds_the_work_to_a_demo_loaded_before_it_existed(db, capsys):
    # given: an older demo, without clients, from before collectives kept a
    # postal address (an agreement needs one)
    demo.demo_load(with_work=False)
    Collective.objects.update(postal_address="")
    assert not demo.demo_is_loaded()
    # when
    call_command("demo", "--once")
    # then
    assert "5 clients with their jobs, pitches and engagements" in capsys.readouterr().out
    assert demo.demo_is_loaded()
    assert Engagement.objects.count() == 3
    # the address was added, and nothing else about the collectives changed
    assert Collective.objects.get(slug="manila-va").postal_address.startswith(
        "Manila Virtual Assistants Cooperative"
    )
    assert CoworkingSpace.objects.filter(collective__slug="manila-va").count() == 1


def test_propose_a_team_on_remote_crews_draft_gives_jun_and_sofia(loaded):
    from mutualist.work.services.proposals import pitch_team_propose

    # given: Joy's draft for Pacific Pet Supplies, Mon-Fri 09:00-17:00 in San
    # Francisco at 22.00 USD, with no team yet
    pitch = Pitch.objects.get(
        collective__slug="remote-crew",
        state=Pitch.State.DRAFT,
        job__client__name__startswith="Pacific",
    )
    joy = pitch.created_by
    assert not pitch.team.exists()

    # when: she asks for a team
    proposal = pitch_team_propose(pitch=pitch, by=joy)

    # then: Jun's Cebu nights and Sofía's Mexico City afternoons cover all 40
    # hours, Jun (8.50) as much as he can (30 in winter, 35 in summer)
    assert (proposal.status, proposal.complete) == ("optimal", True)
    hours = {line.member.name: line.hours for line in proposal.lines}
    assert sorted(hours) == ["Jun Abellana", "Sofía Álvarez"]
    assert hours["Jun Abellana"] in (30, 35)
    assert hours["Jun Abellana"] + hours["Sofía Álvarez"] == 40
    assert proposal.price.amount == 880
    assert proposal.margin is not None and proposal.margin.amount > 0
