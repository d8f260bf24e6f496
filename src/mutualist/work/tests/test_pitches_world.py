"""The world the pitch, agreement and engagement tests start from, built on
``mutualist.testing.work`` through the services under test.

- Collective A has a postal address (a pitch cannot be sent without one).
- ``job`` is a second, open public job of Harbour (Dana's client), starting
  Monday 7 December 2026: ``support`` covers Mon-Fri 09:00-17:00 Sydney
  time, ``books`` is 6 flexible hours a week.
- ``pitch`` is A's draft for it, written by Ana: support at 25.00 AUD an
  hour with Ana on it Mon-Fri 09-17 (paid 20.00), books at 30.00 with Ben
  on it 6 hours (paid 24.00). ``send`` sends it.

Test modules declare their own fixture calling ``build_pitch_world`` (an
imported fixture would shadow the test's argument).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from mutualist.collectives.models import Collective
from mutualist.members.models import Skill
from mutualist.testing import Work
from mutualist.work.models import CoverageWindow, Job, JobRole, Pitch
from mutualist.work.services.pitches import pitch_create, pitch_send, pitch_update

A_ADDRESS = "Unit 4, 12 Jupiter St\nMakati 1209\nPhilippines"
# "Today" in these tests: a Friday, before the job starts.
TODAY = dt.datetime(2026, 11, 27, 1, 0, tzinfo=dt.UTC)
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]


@dataclass(frozen=True)
class PitchWorld:
    work: Work
    job: Job
    support: JobRole
    books: JobRole
    pitch: Pitch

    def send(self) -> Pitch:
        return pitch_send(pitch=self.pitch, by=self.work.cast.ana)


def roles_input(support_role: JobRole, books_role: JobRole, **rates: str) -> list[dict[str, Any]]:
    return [
        {"job_role": support_role.pk, "bill_rate": rates.get("support", "25.00")},
        {"job_role": books_role.pk, "bill_rate": rates.get("books", "30.00")},
    ]


def team_input(world: Work, support: JobRole, books: JobRole) -> list[dict[str, Any]]:
    return [
        {
            "member": world.cast.ana.pk,
            "job_role": support.pk,
            "pay_rate": "20.00",
            "shifts": [{"days": WEEKDAYS, "start": "09:00", "end": "17:00"}],
        },
        {
            "member": world.cast.ben.profile.handle,
            "job_role": books.pk,
            "pay_rate": "24.00",
            "hours": 6,
        },
    ]


def build_pitch_world(work: Work) -> PitchWorld:
    cast = work.cast
    Collective.objects.filter(pk=cast.collective_a.pk).update(postal_address=A_ADDRESS)
    job = Job.objects.create(
        client=work.harbour,
        posted_by=work.dana,
        title="Support and books, from December",
        description="Answer customers by chat; keep the books.",
        start_date=dt.date(2026, 12, 7),
        duration_weeks=12,
        timezone="Australia/Sydney",
        budget_kind=Job.BudgetKind.HOURLY,
        budget_minor=3500,
        currency="AUD",
    )
    support = JobRole.objects.create(
        job=job,
        position=0,
        skill=Skill.objects.get(slug="customer_support"),
        title="Support",
        kind=JobRole.Kind.COVERAGE,
    )
    for day in range(5):
        CoverageWindow.objects.create(role=support, weekday=day, start_hour=9, end_hour=17)
    books = JobRole.objects.create(
        job=job,
        position=1,
        skill=Skill.objects.get(slug="bookkeeping"),
        title="Books",
        kind=JobRole.Kind.FLEXIBLE,
        flexible_hours=6,
    )
    pitch = pitch_create(job=job, collective=cast.collective_a, by=cast.ana)
    pitch = pitch_update(
        pitch=pitch,
        by=cast.ana,
        message="Ana covers your hours; Ben keeps the books.",
        payment_terms_days=30,
        payment_method="Bank transfer",
        roles=roles_input(support, books),
        team=team_input(work, support, books),
    )
    return PitchWorld(work, job, support, books, pitch)


def test_the_world_has_a_draft_pitch_with_its_team(work):
    world = build_pitch_world(work)

    assert world.pitch.state == Pitch.State.DRAFT
    assert world.pitch.currency == "AUD"
    assert sorted(
        world.pitch.team.values_list("user__email", "job_role__title", "flexible_hours")
    ) == [("ana@example.org", "Support", None), ("ben@example.org", "Books", 6)]
    assert world.pitch.team.get(user=work.cast.ana).shifts.count() == 5
