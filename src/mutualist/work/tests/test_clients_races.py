"""Races on clients and jobs, on PostgreSQL: two people acting at the same moment.

The threads meet at a barrier, each on its own database connection; SQLite
serialises writers, so these run where DATABASE_URL points at PostgreSQL and
are skipped otherwise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.db import connection, transaction

from mutualist.core.money import Money
from mutualist.members.models import User
from mutualist.testing import Work, make_member, race
from mutualist.work.models import Client, ClientContact, Job
from mutualist.work.services.clients import (
    client_contact_accept,
    client_contact_invite,
    client_contact_leave,
    client_update,
)
from mutualist.work.services.jobs import job_close, job_post

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row-lock races need PostgreSQL (set DATABASE_URL); SQLite serialises writers",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_two_contacts_leaving_at_once_leave_one_behind(work: Work) -> None:
    # given Harbour with two contacts, Dana and Sam
    sam = make_member("sam@harbour.example", "Sam Lee")
    token = client_contact_invite(client=work.harbour, by=work.dana, email=sam.email).token
    client_contact_accept(token=token, user=sam)

    # when both leave at the same moment
    def leave(user: User) -> Callable[[], None]:
        def call() -> None:
            with transaction.atomic(durable=True):
                client_contact_leave(client=work.harbour, user=user)

        return call

    outcome = race(leave(work.dana), leave(sam))

    # then one of them left and the other is refused as the last contact
    assert len(outcome.results) == 1
    assert [refusal.code for refusal in outcome.refusals] == ["last_contact"]
    assert ClientContact.objects.filter(client=work.harbour).count() == 1


def test_two_first_contact_invitations_accepted_at_once_make_one_contact(cast) -> None:
    # given a client collective A recorded, and Ana's links to two people
    lead = Client.objects.create(
        name="Lead Co",
        country="PH",
        timezone="Asia/Manila",
        currency="PHP",
        billing_address="Cebu City",
        collective=cast.collective_a,
        created_by=cast.ana,
    )
    boss = make_member("boss@lead.example", "Bo Sterling")
    tokens = {
        user: client_contact_invite(client=lead, by=cast.ana, email=user.email).token
        for user in (boss, cast.olga)
    }

    # when both accept at the same moment
    def accept(user: User) -> Callable[[], None]:
        def call() -> None:
            with transaction.atomic(durable=True):
                client_contact_accept(token=tokens[user], user=user)

        return call

    outcome = race(accept(boss), accept(cast.olga))

    # then the first one in is the client's contact, and the other link is withdrawn
    assert len(outcome.results) == 1
    assert [refusal.code for refusal in outcome.refusals] == ["invitation_withdrawn"]
    assert ClientContact.objects.filter(client=lead).count() == 1


def test_two_closes_at_once_close_the_job_once(work: Work) -> None:
    job = job_post(
        client=work.harbour,
        by=work.dana,
        title="Support",
        description="Chat.",
        start_date=dt.date(2027, 1, 4),
        duration_weeks=None,
        budget_kind=Job.BudgetKind.HOURLY,
        budget=None,
        visibility=Job.Visibility.PUBLIC,
        roles=[{"skill": "customer_support", "hours": 10}],
    )

    def close() -> Job:
        with transaction.atomic(durable=True):
            return job_close(job=Job.objects.get(pk=job.pk), by=work.dana)

    outcome = race(close, close)

    assert len(outcome.results) == 1
    assert [refusal.code for refusal in outcome.refusals] == ["job_not_open"]
    assert Job.objects.get(pk=job.pk).state == Job.State.CLOSED


def test_a_currency_change_and_a_new_job_at_once_never_leave_a_job_in_the_old_currency(
    cast,
) -> None:
    from mutualist.work.services.clients import client_register

    client = client_register(
        user=cast.olga,
        name="Austin Pets",
        country="US",
        timezone="America/Chicago",
        currency="USD",
        billing_address="Austin",
    )

    # Each side reads the client itself, as two requests would.
    def change() -> object:
        with transaction.atomic(durable=True):
            return client_update(
                client=Client.objects.get(pk=client.pk),
                by=cast.olga,
                name="Austin Pets",
                country="US",
                timezone="America/Chicago",
                currency="EUR",
                billing_address="Austin",
            )

    def post() -> object:
        with transaction.atomic(durable=True):
            return job_post(
                client=Client.objects.get(pk=client.pk),
                by=cast.olga,
                title="Inbox",
                description="Email.",
                start_date=dt.date(2027, 1, 4),
                duration_weeks=None,
                budget_kind=Job.BudgetKind.HOURLY,
                budget=Money("20", "USD"),
                visibility=Job.Visibility.PUBLIC,
                roles=[{"skill": "customer_support", "hours": 10}],
            )

    outcome = race(change, post)

    # Whichever took the client's row lock first wins; the other is refused:
    # the change because a job exists now, the job because the currency it
    # was priced in changed under it (or, read after the change, because
    # its budget is not in the client's currency).
    assert len(outcome.results) == 1
    [refusal] = outcome.refusals
    assert refusal.code in {"currency_locked", "state_changed", "currency_mismatch"}
    client.refresh_from_db()
    assert all(job.currency == client.currency for job in Job.objects.filter(client=client))
