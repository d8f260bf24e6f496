"""Who sees which jobs: public ones for all, a client's own for its contacts,
a collective's lead only for that collective."""

from __future__ import annotations

import datetime as dt

from mutualist.work.models import Job
from mutualist.work.selectors.access import jobs_visible_to


def lead_for_harbour(work) -> Job:
    return Job.objects.create(
        client=work.harbour,
        collective=work.cast.collective_a,
        posted_by=work.cast.ana,
        title="Ana's private note about Harbour",
        description="A lead.",
        start_date=dt.date(2027, 1, 4),
        timezone="Australia/Sydney",
        budget_kind=Job.BudgetKind.TOTAL,
        currency="AUD",
        visibility=Job.Visibility.PRIVATE,
    )


def test_a_lead_is_seen_by_its_collective_and_not_by_the_clients_contacts(work):
    # given: collective A keeps a private lead about Harbour, Dana's client
    lead = lead_for_harbour(work)
    # then
    assert lead in jobs_visible_to(work.cast.ana)
    assert lead in jobs_visible_to(work.cast.ben)
    assert lead not in jobs_visible_to(work.dana)
    assert lead not in jobs_visible_to(work.cast.carla)
    assert lead not in jobs_visible_to(work.cast.olga)


def test_a_contact_sees_the_private_jobs_their_client_posted(work):
    # given
    Job.objects.filter(pk=work.job.pk).update(visibility=Job.Visibility.PRIVATE)
    # then: Dana (Harbour), A (which pitched for it) see it; Evan and Olga do not
    assert work.job in jobs_visible_to(work.dana)
    assert work.job in jobs_visible_to(work.cast.ben)
    assert work.job not in jobs_visible_to(work.evan)
    assert work.job not in jobs_visible_to(work.cast.olga)
