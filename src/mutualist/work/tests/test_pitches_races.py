"""Races on pitches and agreements, on PostgreSQL: two people deciding at the
same moment never both win, and two acceptances at once both count.

The threads meet at a barrier and act at the same moment, each on its own
database connection; SQLite serialises writers, so these run where CI runs
them (DATABASE_URL set to PostgreSQL) and are skipped otherwise.
"""

from __future__ import annotations

import pytest
from django.db import connection

from mutualist.collectives.models import Collective
from mutualist.testing import race
from mutualist.work.models import AgreementAcceptance, Engagement, Job, Pitch
from mutualist.work.services.agreements import agreement_accept
from mutualist.work.services.pitches import (
    pitch_accept,
    pitch_create,
    pitch_send,
    pitch_update,
    pitch_withdraw,
)
from mutualist.work.tests.test_pitches_world import TODAY, PitchWorld, build_pitch_world

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row-lock races need PostgreSQL (set DATABASE_URL); SQLite serialises writers",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def world(work, time_machine) -> PitchWorld:
    time_machine.move_to(TODAY, tick=False)
    world = build_pitch_world(work)
    world.send()
    return world


@pytest.mark.parametrize("attempt", range(3))
def test_accept_and_withdraw_at_the_same_moment_exactly_one_wins(world, attempt):
    pitch = Pitch.objects.get(pk=world.pitch.pk)

    outcome = race(
        lambda: pitch_accept(pitch=pitch, by=world.work.dana),
        lambda: pitch_withdraw(pitch=pitch, by=world.work.cast.ana),
    )

    assert len(outcome.results) == 1
    assert [refusal.code for refusal in outcome.refusals] in (["pitch_not_sent"], ["pitch_closed"])
    state = Pitch.objects.get(pk=pitch.pk).state
    engagements = Engagement.objects.filter(pitch=pitch).count()
    job = Job.objects.get(pk=world.job.pk).state
    if state == "accepted":
        assert (engagements, job, outcome.refusals[0].code) == (1, "filled", "pitch_closed")
    else:
        assert (state, engagements, job, outcome.refusals[0].code) == (
            "withdrawn", 0, "open", "pitch_not_sent",
        )  # fmt: skip


def test_two_pitches_for_one_job_accepted_at_once_fill_it_once(world):
    carla = world.work.cast.carla
    Collective.objects.filter(slug="remote-crew").update(postal_address="1 Remote Rd")
    other = pitch_create(job=world.job, collective=world.work.cast.collective_b, by=carla)
    pitch_update(
        pitch=other, by=carla, message="", payment_terms_days=30, payment_method="Card",
        roles=[{"job_role": world.books.pk, "bill_rate": "40"}],
        team=[{"member": carla.pk, "job_role": world.books.pk, "pay_rate": "30", "hours": 6}],
    )  # fmt: skip
    pitch_send(pitch=other, by=carla)
    ours = Pitch.objects.get(pk=world.pitch.pk)

    outcome = race(
        lambda: pitch_accept(pitch=ours, by=world.work.dana),
        lambda: pitch_accept(pitch=other, by=world.work.dana),
    )

    assert len(outcome.results) == 1
    assert [r.code for r in outcome.refusals] in (["job_not_open_for_pitches"], ["pitch_not_sent"])
    assert Pitch.objects.filter(job=world.job, state="accepted").count() == 1
    assert Engagement.objects.filter(job=world.job).count() == 1


def test_two_coordinators_starting_a_pitch_at_once_make_one(world):
    pitch_withdraw(pitch=world.pitch, by=world.work.cast.ana)
    from mutualist.collectives.models import Membership

    Membership.objects.filter(user=world.work.cast.ben).update(role="coordinator")
    a = world.work.cast.collective_a

    outcome = race(
        lambda: pitch_create(job=world.job, collective=a, by=world.work.cast.ana),
        lambda: pitch_create(job=world.job, collective=a, by=world.work.cast.ben),
    )

    assert len(outcome.results) == 1
    assert [r.code for r in outcome.refusals] == ["pitch_exists"]
    assert Pitch.objects.filter(job=world.job, state="draft").count() == 1


def test_both_sides_accepting_the_agreement_at_once_activate_the_engagement(world):
    engagement = pitch_accept(pitch=world.pitch, by=world.work.dana)
    agreement = engagement.agreements.get()
    # Dana's acceptance came with the pitch; take a revision both must accept
    from mutualist.work.services.agreements import agreement_revise

    agreement_accept(agreement=agreement, by=world.work.cast.ana)
    Engagement.objects.filter(pk=engagement.pk).update(status="pending")
    v2 = agreement_revise(engagement=engagement, by=world.work.cast.ana)
    v2.engagement = Engagement.objects.select_related("client", "collective").get(pk=engagement.pk)

    outcome = race(
        lambda: agreement_accept(agreement=v2, by=world.work.dana),
        lambda: agreement_accept(agreement=v2, by=world.work.cast.ana),
    )

    assert (len(outcome.results), outcome.refusals) == (2, [])
    assert sorted(
        AgreementAcceptance.objects.filter(agreement=v2).values_list("party", flat=True)
    ) == [
        "client",
        "collective",
    ]
    assert Engagement.objects.get(pk=engagement.pk).status == "active"


@pytest.mark.parametrize("attempt", range(5))
def test_a_send_racing_the_accept_of_another_pitch_never_stays_sent_for_a_filled_job(
    world, attempt
):
    carla = world.work.cast.carla
    Collective.objects.filter(slug="remote-crew").update(postal_address="1 Remote Rd")
    other = pitch_create(job=world.job, collective=world.work.cast.collective_b, by=carla)
    pitch_update(
        pitch=other, by=carla, message="", payment_terms_days=30, payment_method="Card",
        roles=[{"job_role": world.books.pk, "bill_rate": "40"}],
        team=[{"member": carla.pk, "job_role": world.books.pk, "pay_rate": "30", "hours": 6}],
    )  # fmt: skip
    ours = Pitch.objects.get(pk=world.pitch.pk)

    outcome = race(
        lambda: pitch_accept(pitch=ours, by=world.work.dana),
        lambda: pitch_send(pitch=other, by=carla),
    )

    # either the send came first (then the accept declined it) or it was refused
    assert Job.objects.get(pk=world.job.pk).state == "filled"
    assert Pitch.objects.get(pk=other.pk).state in ("declined", "draft")
    assert [r.code for r in outcome.refusals] in ([], ["job_not_open_for_pitches"])
