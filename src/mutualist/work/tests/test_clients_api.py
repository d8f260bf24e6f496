"""The clients API: registering, reading, patching, inviting and accepting,
and a collective's clients; with outsiders at every door."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.test import Client

from mutualist.api.tests.support import (
    assert_leaks_nothing,
    assert_problem,
    bearer_client,
    patch_json,
    post_json,
)
from mutualist.core.money import Money
from mutualist.testing import make_member
from mutualist.work.models import Client as ClientModel
from mutualist.work.models import ClientContact, Job, Pitch
from mutualist.work.services.clients import (
    client_contact_accept,
    client_contact_invite,
    client_record,
)
from mutualist.work.services.jobs import job_post
from mutualist.work.services.pitches import pitch_create

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 27, 3, 0, tzinfo=dt.UTC)
API = "/api/v1"
BODY: dict[str, Any] = {
    "name": "Austin Pet Supplies",
    "country": "US",
    "timezone": "America/Chicago",
    "currency": "USD",
    "billing_address": "5 Congress Ave\nAustin TX 78701",
}


@pytest.fixture(autouse=True)
def _frozen_time(time_machine):
    time_machine.move_to(NOW, tick=False)


def state() -> dict[str, Any]:
    return {
        "clients": list(ClientModel.objects.order_by("pk").values()),
        "contacts": list(ClientContact.objects.order_by("pk").values("client_id", "user_id")),
    }


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/clients"),
        ("post", "/clients"),
        ("get", "/clients/1"),
        ("patch", "/clients/1"),
        ("post", "/clients/1/contacts"),
        ("post", "/client-invitations/accept"),
        ("get", "/collectives/manila-va/clients"),
        ("post", "/collectives/manila-va/clients"),
    ],
)
def test_client_endpoints_refuse_anonymous_callers(work, method, path):
    before = state()

    response = getattr(Client(), method)(f"{API}{path}", data=BODY, content_type="application/json")

    assert_problem(response, 401, "not_authenticated")
    assert state() == before


def test_a_person_registers_a_client_and_reads_it_back(cast):
    api = bearer_client(cast.olga)

    response = post_json(api, f"{API}/clients", BODY)

    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "Austin Pet Supplies"
    assert body["collective"] is None
    assert body["tax_id"] == ""
    assert body["contacts"] == [
        {"handle": cast.olga.profile.handle, "display_name": "Olga Petrova"}
    ]
    assert api.get(f"{API}/clients/{body['id']}").json() == body
    assert [c["id"] for c in api.get(f"{API}/clients").json()["items"]] == [body["id"]]


def test_an_unknown_time_zone_is_a_problem_naming_the_field(cast):
    before = state()

    response = post_json(
        bearer_client(cast.olga), f"{API}/clients", {**BODY, "timezone": "Mars/Olympus"}
    )

    body = assert_problem(response, 422, "invalid_timezone")
    assert body["errors"] == [
        {
            "field": "timezone",
            "message": "Unknown time zone 'Mars/Olympus'; use an IANA name such as Asia/Manila.",
            "code": "invalid_timezone",
        }
    ]
    assert state() == before


def test_unknown_fields_are_refused(cast):
    response = post_json(bearer_client(cast.olga), f"{API}/clients", {**BODY, "vat": "x"})

    assert_problem(response, 422, "validation_failed")


def test_dana_cannot_read_or_patch_thames(work):
    api = bearer_client(work.dana)
    before = state()

    read = api.get(f"{API}/clients/{work.thames.pk}")
    patched = patch_json(api, f"{API}/clients/{work.thames.pk}", {"name": "Mine"})
    invited = post_json(api, f"{API}/clients/{work.thames.pk}/contacts", {"email": "x@example.org"})

    for response in (read, patched, invited):
        assert_problem(response, 404, "not_found")
        assert_leaks_nothing(response, "Thames", "evan@thames.example")
    assert state() == before


def test_the_clients_list_shows_only_what_the_caller_may_see(work):
    dana = bearer_client(work.dana).get(f"{API}/clients").json()
    ana = bearer_client(work.cast.ana).get(f"{API}/clients").json()
    olga = bearer_client(work.cast.olga).get(f"{API}/clients").json()

    assert [c["name"] for c in dana["items"]] == ["Harbour Bridge Logistics"]
    assert [c["name"] for c in ana["items"]] == ["Harbour Bridge Logistics"]
    assert olga == {"items": [], "count": 0, "limit": 20, "offset": 0}
    assert "dana@harbour.example" not in json.dumps(ana)


def test_a_contact_patches_only_the_fields_sent(work):
    response = patch_json(
        bearer_client(work.dana), f"{API}/clients/{work.harbour.pk}", {"tax_id": "", "name": "HBL"}
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["tax_id"], body["currency"], body["timezone"]) == (
        "HBL",
        "",
        "AUD",
        "Australia/Sydney",
    )


def test_the_currency_of_a_client_with_jobs_does_not_change(work):
    before = state()

    response = patch_json(
        bearer_client(work.dana), f"{API}/clients/{work.harbour.pk}", {"currency": "USD"}
    )

    body = assert_problem(response, 409, "currency_locked")
    assert body["errors"][0]["field"] == "currency"
    assert state() == before


def test_a_collective_working_for_a_client_reads_it_but_may_not_patch_it(work):
    api = bearer_client(work.cast.ana)
    before = state()

    assert api.get(f"{API}/clients/{work.harbour.pk}").status_code == 200
    assert_problem(
        patch_json(api, f"{API}/clients/{work.harbour.pk}", {"name": "Ours"}),
        403,
        "not_client_editor",
    )
    assert state() == before


def test_a_draft_pitch_does_not_show_the_client_to_the_pitching_collective(work):
    # given Harbour's public job, and Carla (coordinator of B) drafting a pitch for it
    job = job_post(
        client=work.harbour,
        by=work.dana,
        title="Weekend chat",
        description="Chat.",
        start_date=dt.date(2026, 12, 5),
        duration_weeks=None,
        budget_kind=Job.BudgetKind.HOURLY,
        budget=Money("30", "AUD"),
        visibility=Job.Visibility.PUBLIC,
        roles=[{"skill": "customer_support", "hours": 10}],
    )
    pitch = pitch_create(job=job, collective=work.cast.collective_b, by=work.cast.carla)
    api = bearer_client(work.cast.carla)

    # when B reads Harbour while the pitch is a draft: nothing
    draft = api.get(f"{API}/clients/{work.harbour.pk}")
    assert_problem(draft, 404, "not_found")
    assert_leaks_nothing(draft, "1 Harbour St", "ABN 51 824 753 556", "dana@harbour.example")
    listed = api.get(f"{API}/clients").json()["items"]
    theirs = api.get(f"{API}/collectives/remote-crew/clients").json()["items"]
    assert "Harbour Bridge Logistics" not in [c["name"] for c in listed + theirs]

    # and once the pitch is sent, the client is one B deals with
    Pitch.objects.filter(pk=pitch.pk).update(state=Pitch.State.SENT, sent_at=NOW)
    sent = api.get(f"{API}/clients/{work.harbour.pk}")
    assert sent.status_code == 200
    assert sent.json()["billing_address"].startswith("1 Harbour St")
    theirs = api.get(f"{API}/collectives/remote-crew/clients").json()["items"]
    assert "Harbour Bridge Logistics" in [c["name"] for c in theirs]


def test_a_coordinator_may_not_patch_a_recorded_client_that_has_contacts_of_its_own(cast):
    lead = client_record(collective=cast.collective_a, by=cast.ana, **BODY)
    boss = make_member("boss@lead.example", "Bo Sterling")
    token = client_contact_invite(client=lead, by=cast.ana, email=boss.email).token
    client_contact_accept(token=token, user=boss)
    before = state()

    response = patch_json(
        bearer_client(cast.ana), f"{API}/clients/{lead.pk}", {"billing_address": "Elsewhere"}
    )

    assert_problem(response, 403, "client_managed_by_contacts")
    assert state() == before


# --- Contacts ------------------------------------------------------------------------------


def test_a_contact_invites_and_the_link_goes_only_by_email(
    work, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_json(
            bearer_client(work.dana),
            f"{API}/clients/{work.harbour.pk}/contacts",
            {"email": "Sam@Harbour.example"},
        )

    assert response.status_code == 201
    assert response.json() == {
        "client_id": work.harbour.pk,
        "email": "sam@harbour.example",
        "expires_at": "2026-12-11T03:00:00Z",
    }
    [email] = mailoutbox
    token = re.search(r"/portal/invitations/([^/\s]+)/", email.body).group(1)  # type: ignore[union-attr]
    assert token not in response.content.decode()

    sam = make_member("sam@harbour.example", "Sam Lee")
    accepted = post_json(bearer_client(sam), f"{API}/client-invitations/accept", {"token": token})
    assert accepted.status_code == 200
    assert accepted.json()["id"] == work.harbour.pk
    assert {c["display_name"] for c in accepted.json()["contacts"]} == {"Dana Whitlock", "Sam Lee"}
    again = post_json(bearer_client(sam), f"{API}/client-invitations/accept", {"token": token})
    assert again.status_code == 200


def test_accepting_with_another_account_is_refused(work):
    token = client_contact_invite(
        client=work.harbour, by=work.dana, email="sam@harbour.example"
    ).token
    before = state()

    response = post_json(
        bearer_client(work.evan), f"{API}/client-invitations/accept", {"token": token}
    )

    assert_problem(response, 403, "invitation_for_other_email")
    assert state() == before


def test_a_forged_token_is_refused(work):
    response = post_json(
        bearer_client(work.evan), f"{API}/client-invitations/accept", {"token": "x"}
    )

    body = assert_problem(response, 422, "invalid_invitation_token")
    assert body["errors"][0]["field"] == "token"


def test_someone_who_does_not_act_for_a_client_they_can_see_cannot_invite(work, mailoutbox):
    response = post_json(
        bearer_client(work.cast.ben),
        f"{API}/clients/{work.harbour.pk}/contacts",
        {"email": "x@example.org"},
    )

    assert_problem(response, 403, "not_client_contact")
    assert mailoutbox == []


# --- A collective's clients ----------------------------------------------------------------


def test_a_coordinator_records_a_client_and_members_list_them(cast):
    response = post_json(bearer_client(cast.ana), f"{API}/collectives/manila-va/clients", BODY)

    assert response.status_code == 201
    assert response.json()["collective"] == {
        "slug": "manila-va",
        "name": "Manila Virtual Assistants",
    }
    assert response.json()["contacts"] == []
    listed = bearer_client(cast.ben).get(f"{API}/collectives/manila-va/clients").json()
    assert [c["name"] for c in listed["items"]] == ["Austin Pet Supplies"]


def test_a_member_who_is_not_a_coordinator_cannot_record_a_client(cast):
    before = state()

    response = post_json(bearer_client(cast.ben), f"{API}/collectives/manila-va/clients", BODY)

    assert_problem(response, 403, "not_coordinator")
    assert state() == before


def test_outsiders_and_other_collectives_get_404_for_a_collectives_clients(cast):
    client_record(collective=cast.collective_a, by=cast.ana, **BODY)
    before = state()

    for person in (cast.carla, cast.olga):
        api = bearer_client(person)
        assert_problem(api.get(f"{API}/collectives/manila-va/clients"), 404, "not_found")
        response = post_json(api, f"{API}/collectives/manila-va/clients", BODY)
        assert_problem(response, 404, "not_found")
    assert state() == before


def test_a_coordinator_invites_the_first_contact_of_a_recorded_client(
    cast, mailoutbox, django_capture_on_commit_callbacks
):
    client = client_record(collective=cast.collective_a, by=cast.ana, **BODY)

    with django_capture_on_commit_callbacks(execute=True):
        response = post_json(
            bearer_client(cast.ana),
            f"{API}/clients/{client.pk}/contacts",
            {"email": "olga@example.org"},
        )

    assert response.status_code == 201
    assert [m.to for m in mailoutbox] == [["olga@example.org"]]


def test_a_coordinator_cannot_invite_a_member_of_their_collective_to_act_for_its_client(
    cast, mailoutbox, django_capture_on_commit_callbacks
):
    client = client_record(collective=cast.collective_a, by=cast.ana, **BODY)
    before = state()

    with django_capture_on_commit_callbacks(execute=True):
        response = post_json(
            bearer_client(cast.ana),
            f"{API}/clients/{client.pk}/contacts",
            {"email": "ana@example.org"},
        )

    problem = assert_problem(response, 422, "contact_is_member")
    assert problem["errors"][0]["field"] == "email"
    assert mailoutbox == []
    assert state() == before


# --- Leaving -------------------------------------------------------------------------------


def test_a_contact_leaves_through_the_api_but_not_as_the_last_one(work):
    before = state()
    assert_problem(
        post_json(bearer_client(work.dana), f"{API}/clients/{work.harbour.pk}/leave"),
        409,
        "last_contact",
    )
    assert state() == before

    sam = make_member("sam@harbour.example", "Sam Lee")
    token = client_contact_invite(client=work.harbour, by=work.dana, email=sam.email).token
    post_json(bearer_client(sam), f"{API}/client-invitations/accept", {"token": token})
    response = post_json(bearer_client(work.dana), f"{API}/clients/{work.harbour.pk}/leave")

    assert response.status_code == 204
    assert list(work.harbour.contacts.values_list("user", flat=True)) == [sam.pk]
    # gone: Dana may no longer see the client at all
    assert_problem(
        bearer_client(work.dana).get(f"{API}/clients/{work.harbour.pk}"), 404, "not_found"
    )


def test_only_a_contact_can_leave_a_client(work):
    before = state()

    assert_problem(
        post_json(bearer_client(work.cast.ana), f"{API}/clients/{work.harbour.pk}/leave"),
        404,
        "not_found",
    )
    assert_problem(
        post_json(bearer_client(work.evan), f"{API}/clients/{work.harbour.pk}/leave"),
        404,
        "not_found",
    )
    assert state() == before
