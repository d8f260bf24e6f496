"""A client's pages (seeing, editing, inviting, leaving) and a collective's
clients and leads, for each person who may or may not be there."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from mutualist.testing import make_member
from mutualist.work.models import Client as ClientModel
from mutualist.work.models import ClientContact, Job, JobRole
from mutualist.work.services.clients import (
    client_contact_accept,
    client_contact_invite,
    client_record,
)
from mutualist.work.services.jobs import job_record_lead

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 27, 3, 0, tzinfo=dt.UTC)
DETAILS = {
    "name": "Cebu Dental",
    "country": "PH",
    "timezone": "Asia/Manila",
    "currency": "PHP",
    "billing_address": "Cebu City",
    "tax_id": "",
}


@pytest.fixture(autouse=True)
def _frozen_time(time_machine):
    time_machine.move_to(NOW, tick=False)


def state() -> dict[str, Any]:
    return {
        "clients": list(ClientModel.objects.order_by("pk").values()),
        "contacts": list(ClientContact.objects.order_by("pk").values("client_id", "user_id")),
        "jobs": list(Job.objects.order_by("pk").values()),
        "roles": list(JobRole.objects.order_by("pk").values()),
    }


def recorded(cast) -> ClientModel:
    return client_record(collective=cast.collective_a, by=cast.ana, **DETAILS)


def a_lead(cast, client) -> Job:
    return job_record_lead(
        collective=cast.collective_a,
        by=cast.ana,
        client=client,
        title="Front desk calls",
        description="Answer the phone.",
        start_date=dt.date(2027, 1, 4),
        duration_weeks=None,
        budget_kind=Job.BudgetKind.HOURLY,
        budget=None,
        roles=[{"skill": "customer_support", "hours": 20}],
    )


# --- A client's page ------------------------------------------------------------------------


def test_a_client_is_seen_by_its_contacts_and_the_collectives_that_work_with_it(work, client_for):
    path = f"/clients/{work.harbour.pk}/"

    dana = client_for(work.dana).get(path)
    ben = client_for(work.cast.ben).get(path)

    assert dana.status_code == ben.status_code == 200
    text = dana.content.decode()
    assert "Harbour Bridge Logistics" in text
    assert "ABN 51 824 753 556" in text
    assert "Dana Whitlock (you)" in text
    assert "dana@harbour.example" not in ben.content.decode()


def test_a_client_is_not_found_for_anyone_else(work, client_for):
    path = f"/clients/{work.harbour.pk}/"

    assert Client().get(path).status_code == 302  # to the login page
    for outsider in (work.evan, work.cast.carla, work.cast.olga):
        assert client_for(outsider).get(path).status_code == 404


def test_dana_cannot_read_or_edit_thames(work, client_for):
    before = state()

    assert client_for(work.dana).get(f"/clients/{work.thames.pk}/").status_code == 404
    assert client_for(work.dana).get(f"/clients/{work.thames.pk}/edit/").status_code == 404
    assert (
        client_for(work.dana)
        .post(f"/clients/{work.thames.pk}/edit/", {**DETAILS, "currency": "GBP"})
        .status_code
        == 404
    )
    assert state() == before


def test_a_contact_edits_their_client(work, client_for):
    response = client_for(work.dana).post(
        f"/clients/{work.harbour.pk}/edit/",
        {**DETAILS, "name": "Harbour Logistics", "currency": "AUD", "timezone": "Australia/Sydney"},
    )

    assert response.status_code == 302
    work.harbour.refresh_from_db()
    assert work.harbour.name == "Harbour Logistics"


def test_a_currency_change_with_jobs_is_refused_on_its_field(work, client_for):
    before = state()

    response = client_for(work.dana).post(
        f"/clients/{work.harbour.pk}/edit/", {**DETAILS, "currency": "USD"}
    )

    assert response.status_code == 200
    assert "currency" in response.context["form"].errors
    assert state() == before


def test_a_collective_that_works_for_a_client_sees_it_but_may_not_edit_it(work, client_for):
    before = state()

    assert client_for(work.cast.ana).get(f"/clients/{work.harbour.pk}/edit/").status_code == 403
    assert (
        client_for(work.cast.ana)
        .post(f"/clients/{work.harbour.pk}/edit/", {**DETAILS, "currency": "AUD"})
        .status_code
        == 403
    )
    assert client_for(work.cast.ana).get(f"/clients/{work.harbour.pk}/invite/").status_code == 403
    assert state() == before


def test_a_coordinator_edits_a_recorded_client_only_until_it_has_a_contact(cast, client_for):
    client = recorded(cast)
    ana = client_for(cast.ana)
    assert ana.get(f"/clients/{client.pk}/edit/").status_code == 200
    boss = make_member("boss@lead.example", "Bo Sterling")
    client_contact_accept(
        token=client_contact_invite(client=client, by=cast.ana, email=boss.email).token, user=boss
    )
    before = state()

    assert ana.get(f"/clients/{client.pk}/edit/").status_code == 403
    assert (
        ana.post(f"/clients/{client.pk}/edit/", {**DETAILS, "tax_id": "TIN 1"}).status_code == 403
    )
    assert state() == before


def test_a_contact_invites_a_colleague_from_the_clients_page(
    work, client_for, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(work.dana).post(
            f"/clients/{work.harbour.pk}/invite/", {"email": "sam@harbour.example"}
        )

    assert response.status_code == 302
    assert [m.to for m in mailoutbox] == [["sam@harbour.example"]]


def test_a_bad_address_is_shown_on_the_invite_form(work, client_for, mailoutbox):
    response = client_for(work.dana).post(f"/clients/{work.harbour.pk}/invite/", {"email": "dana@"})

    assert response.status_code == 200
    assert response.context["form"].errors["email"] == ["'dana@' is not an email address."]
    assert mailoutbox == []


def test_a_contact_leaves_but_not_when_they_are_the_last(work, client_for):
    before = state()
    refused = client_for(work.dana).post(f"/clients/{work.harbour.pk}/leave/")
    assert refused.status_code == 302
    assert state() == before

    sam = make_member("sam@harbour.example", "Sam Lee")
    invitation = client_contact_invite(client=work.harbour, by=work.dana, email=sam.email)
    client_contact_accept(token=invitation.token, user=sam)
    response = client_for(work.dana).post(f"/clients/{work.harbour.pk}/leave/")

    assert response["Location"] == "/portal/"
    assert list(work.harbour.contacts.values_list("user", flat=True)) == [sam.pk]


# --- A collective's clients and leads ---------------------------------------------------------


def test_members_see_their_collectives_clients_and_leads(work, client_for):
    client = recorded(work.cast)
    a_lead(work.cast, client)

    text = client_for(work.cast.ben).get("/collectives/manila-va/clients/").content.decode()

    assert "Cebu Dental" in text
    assert "Harbour Bridge Logistics" in text  # A works for it
    assert "Thames Tea" not in text  # B's client
    assert "Front desk calls" in text
    assert "Record a lead" not in text  # Ben is not a coordinator


def test_a_member_of_b_cannot_see_as_clients_or_leads(work, client_for):
    client = recorded(work.cast)
    job = a_lead(work.cast, client)
    carla = client_for(work.cast.carla)

    assert carla.get("/collectives/manila-va/clients/").status_code == 404
    assert carla.get(f"/clients/{client.pk}/").status_code == 404
    assert carla.get(f"/jobs/{job.pk}/").status_code == 404
    assert carla.get("/collectives/manila-va/leads/new/").status_code == 404
    assert client_for(work.cast.olga).get("/collectives/manila-va/clients/").status_code == 404


def test_a_coordinator_records_a_client_through_the_form(cast, client_for):
    response = client_for(cast.ana).post("/collectives/manila-va/clients/new/", DETAILS)

    assert response.status_code == 302
    assert ClientModel.objects.get().collective == cast.collective_a


def test_a_member_who_is_not_a_coordinator_may_not_record_clients_or_leads(work, client_for):
    before = state()
    ben = client_for(work.cast.ben)

    assert ben.get("/collectives/manila-va/clients/new/").status_code == 403
    assert ben.post("/collectives/manila-va/clients/new/", DETAILS).status_code == 403
    assert ben.get("/collectives/manila-va/leads/new/").status_code == 403
    assert state() == before


def test_a_coordinator_records_a_lead_through_the_form(work, client_for):
    client = recorded(work.cast)

    response = client_for(work.cast.ana).post(
        "/collectives/manila-va/leads/new/",
        {
            "client": str(client.pk),
            "title": "Front desk calls",
            "description": "Answer the phone.",
            "start_date": "2027-01-04",
            "duration_weeks": "12",
            "budget_kind": "hourly",
            "budget": "450",
            "timezone": "",
            "roles-0-skill": "customer_support",
            "roles-0-w0_days": ["mon", "tue", "wed", "thu", "fri"],
            "roles-0-w0_start": "08:00",
            "roles-0-w0_end": "12:00",
        },
    )

    job = Job.objects.get(client=client)
    assert response.status_code == 302
    assert (job.collective, job.visibility, job.budget_minor, job.currency) == (
        work.cast.collective_a,
        "private",
        45000,
        "PHP",
    )


def test_a_lead_for_a_client_of_another_collective_cannot_be_chosen(work, client_for):
    before = state()

    response = client_for(work.cast.ana).post(
        "/collectives/manila-va/leads/new/",
        {
            "client": str(work.thames.pk),
            "title": "Poach",
            "description": "x",
            "start_date": "2027-01-04",
            "budget_kind": "hourly",
            "roles-0-skill": "customer_support",
            "roles-0-hours": "5",
        },
    )

    assert response.status_code == 200
    assert "client" in response.context["form"].errors
    assert state() == before


def test_a_collective_without_clients_is_asked_to_record_one_first(cast, client_for):
    response = client_for(cast.ana).get("/collectives/manila-va/leads/new/")

    assert response.status_code == 302
    assert response["Location"] == "/collectives/manila-va/clients/new/"
