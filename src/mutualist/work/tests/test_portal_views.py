"""The client portal: registering an organisation, the portal page, posting a
job from the web with its role rows, answering an invitation, and the
dashboard panel that leads there."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core import signing
from django.test import Client

from mutualist.members.panels import Panel
from mutualist.testing import make_member
from mutualist.work.models import Client as ClientModel
from mutualist.work.models import ClientContact, CoverageWindow, Job, JobRole
from mutualist.work.portal import register_portal_section
from mutualist.work.services.clients import (
    CONTACT_INVITATION_SALT,
    client_contact_accept,
    client_contact_invite,
    client_record,
)

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 27, 3, 0, tzinfo=dt.UTC)
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]


@pytest.fixture(autouse=True)
def _frozen_time(time_machine):
    time_machine.move_to(NOW, tick=False)


def state() -> dict[str, Any]:
    return {
        "clients": list(ClientModel.objects.order_by("pk").values()),
        "contacts": list(ClientContact.objects.order_by("pk").values("client_id", "user_id")),
        "jobs": list(Job.objects.order_by("pk").values()),
        "roles": list(JobRole.objects.order_by("pk").values()),
        "windows": list(CoverageWindow.objects.order_by("pk").values()),
    }


REGISTER = {
    "name": "Austin Pet Supplies",
    "country": "US",
    "timezone": "America/Chicago",
    "currency": "USD",
    "billing_address": "5 Congress Ave\nAustin TX 78701",
    "tax_id": "",
}


# --- Registering ----------------------------------------------------------------------------


def test_the_portal_needs_a_login(db):
    response = Client().get("/portal/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_someone_who_acts_for_no_client_is_offered_to_register_one(cast, client_for):
    response = client_for(cast.olga).get("/portal/")

    text = response.content.decode()
    assert response.status_code == 200
    assert "Register your organisation" in text
    assert 'action="/portal/register/"' in text
    # Olga's own time zone is the suggestion.
    assert 'value="Europe/Berlin"' in text


def test_registering_makes_the_person_its_first_contact_and_opens_the_portal(cast, client_for):
    browser = client_for(cast.olga)

    response = browser.post("/portal/register/", REGISTER)

    assert response.status_code == 302
    assert response["Location"] == "/portal/"
    client = ClientModel.objects.get()
    assert (client.name, client.currency, client.collective) == ("Austin Pet Supplies", "USD", None)
    assert list(client.contacts.values_list("user", flat=True)) == [cast.olga.pk]
    page = browser.get("/portal/").content.decode()
    assert "Organisations you act for" in page
    assert "Austin Pet Supplies" in page
    assert "Post a job" in page


def test_an_unknown_time_zone_is_shown_on_its_field_and_nothing_is_registered(cast, client_for):
    before = state()

    response = client_for(cast.olga).post("/portal/register/", {**REGISTER, "timezone": "Texas"})

    assert response.status_code == 200
    assert response.context["form"].errors["timezone"] == [
        "Unknown time zone 'Texas'; use an IANA name such as Asia/Manila."
    ]
    assert state() == before


# --- The portal page ------------------------------------------------------------------------


def test_a_contact_sees_their_clients_contacts_and_jobs_and_never_another_clients(work, client_for):
    text = client_for(work.dana).get("/portal/").content.decode()

    assert "Harbour Bridge Logistics" in text
    assert "Dana Whitlock" in text
    assert "Customer support, Sydney business hours" in text
    assert "Thames Tea" not in text
    assert "Evan Price" not in text
    # email addresses of others never appear; the invite form is there
    assert "evan@thames.example" not in text
    assert 'action="/clients/' in text


def test_a_contact_does_not_see_the_leads_collectives_noted_about_their_client(work, client_for):
    from mutualist.work.services.jobs import job_record_lead

    job_record_lead(
        collective=work.cast.collective_a,
        by=work.cast.ana,
        client=work.harbour,
        title="Quiet lead: payroll",
        description="Payroll.",
        start_date=dt.date(2027, 1, 4),
        duration_weeks=None,
        budget_kind=Job.BudgetKind.TOTAL,
        budget=None,
        roles=[{"skill": "bookkeeping", "hours": 4}],
    )

    assert "Quiet lead" not in client_for(work.dana).get("/portal/").content.decode()


def test_sections_other_areas_register_are_rendered_for_the_viewers_clients(
    work, client_for, settings, tmp_path
):
    template_dir = tmp_path / "templates"
    (template_dir / "test").mkdir(parents=True)
    (template_dir / "test" / "section.html").write_text(
        "<p>Section for {% for c in panel.context.clients %}{{ c.name }}{% endfor %}</p>"
    )
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], str(template_dir)]}
    ]
    register_portal_section(
        "test.section", lambda request, clients: Panel("test/section.html", {"clients": clients})
    )
    try:
        text = client_for(work.dana).get("/portal/").content.decode()
    finally:
        from mutualist.work import portal

        portal._sections.pop("test.section", None)

    assert "<p>Section for Harbour Bridge Logistics</p>" in text


# --- Posting a job from the web ---------------------------------------------------------------


def job_data(work, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "client": str(work.harbour.pk),
        "title": "Weekend support",
        "description": "Chat on weekends.",
        "start_date": "2026-12-05",
        "duration_weeks": "",
        "budget_kind": "hourly",
        "budget": "1,250.50",
        "visibility": "public",
        "timezone": "",
        "roles-0-skill": "customer_support",
        "roles-0-title": "Weekend chat",
        "roles-0-w0_days": ["sat", "sun"],
        "roles-0-w0_start": "10:00",
        "roles-0-w0_end": "16:00",
        "roles-0-w1_days": ["fri"],
        "roles-0-w1_start": "22:00",
        "roles-0-w1_end": "02:00",
        "roles-1-skill": "",
        "roles-2-skill": "bookkeeping",
        "roles-2-hours": "4",
    }
    data.update(changes)
    return data


def test_a_contact_posts_a_job_through_the_portal_form(work, client_for):
    response = client_for(work.dana).post("/portal/jobs/new/", job_data(work))

    job = Job.objects.exclude(pk=work.job.pk).get()
    assert response.status_code == 302
    assert response["Location"] == f"/jobs/{job.pk}/"
    assert (job.client, job.posted_by, job.budget_minor, job.duration_weeks) == (
        work.harbour,
        work.dana,
        125050,
        None,
    )
    chat, books = job.roles.order_by("position")
    assert sorted(chat.coverage.values_list("weekday", "start_hour", "end_hour")) == [
        (4, 22, 2),
        (5, 10, 16),
        (6, 10, 16),
    ]
    assert (books.kind, books.flexible_hours) == ("flexible", 4)


def test_the_post_form_shows_a_refusal_on_the_row_and_field_it_names(work, client_for):
    before = state()

    response = client_for(work.dana).post(
        "/portal/jobs/new/", job_data(work, **{"roles-0-w1_end": "02:30"})
    )

    assert response.status_code == 200
    form = response.context["form"]
    assert form.roles[0].errors["w1_end"] == [
        "'02:30': give whole hours here, such as 09:00 or 17:00."
    ]
    assert "give whole hours here" in response.content.decode()
    assert state() == before


def test_a_role_with_both_windows_and_hours_is_refused_on_its_row(work, client_for):
    before = state()

    response = client_for(work.dana).post(
        "/portal/jobs/new/",
        job_data(
            work,
            **{"roles-2-w0_days": ["mon"], "roles-2-w0_start": "09:00", "roles-2-w0_end": "10:00"},
        ),
    )

    assert response.status_code == 200
    assert response.context["form"].roles[2].non_field_errors() == [
        "Give a role either coverage windows or a number of flexible hours a week, "
        "not both and not neither."
    ]
    assert state() == before


def test_a_budget_that_is_not_an_amount_is_shown_on_its_field(work, client_for):
    before = state()

    response = client_for(work.dana).post("/portal/jobs/new/", job_data(work, budget="lots"))

    assert response.context["form"].errors["budget"] == ["'lots' is not an amount."]
    assert state() == before


def test_a_start_date_in_the_past_is_shown_on_its_field(work, client_for):
    response = client_for(work.dana).post(
        "/portal/jobs/new/", job_data(work, start_date="2026-11-26")
    )

    assert "start_date" in response.context["form"].errors


def test_a_contact_cannot_post_for_another_client(work, client_for):
    before = state()

    response = client_for(work.dana).post(
        "/portal/jobs/new/", job_data(work, client=str(work.thames.pk))
    )

    assert response.status_code == 200
    assert "client" in response.context["form"].errors
    assert state() == before


def test_someone_acting_for_no_client_is_sent_to_register_first(cast, client_for):
    response = client_for(cast.olga).get("/portal/jobs/new/")

    assert response.status_code == 302
    assert response["Location"] == "/portal/register/"


# --- Answering an invitation ----------------------------------------------------------------


def _token(work, email: str = "sam@harbour.example") -> str:
    return client_contact_invite(client=work.harbour, by=work.dana, email=email).token


def test_the_link_shows_whom_it_is_from_and_accepting_needs_a_login(work):
    token = _token(work)

    page = Client().get(f"/portal/invitations/{token}/")
    posted = Client().post(f"/portal/invitations/{token}/")

    assert page.status_code == 200
    assert "Dana Whitlock invites you to act for Harbour Bridge Logistics" in page.content.decode()
    assert posted.status_code == 302
    assert posted["Location"].startswith("/accounts/login/")
    assert ClientContact.objects.filter(client=work.harbour).count() == 1


def test_the_invited_person_accepts_and_lands_in_the_portal(work, client_for):
    sam = make_member("sam@harbour.example", "Sam Lee")
    token = _token(work)
    browser = client_for(sam)

    assert (
        "Accept: act for Harbour Bridge Logistics"
        in browser.get(f"/portal/invitations/{token}/").content.decode()
    )
    response = browser.post(f"/portal/invitations/{token}/")

    assert response.status_code == 302
    assert response["Location"] == "/portal/"
    assert ClientContact.objects.filter(client=work.harbour, user=sam).exists()


def test_someone_else_cannot_accept_it(work, client_for):
    token = _token(work)
    before = state()

    page = client_for(work.evan).get(f"/portal/invitations/{token}/")
    response = client_for(work.evan).post(f"/portal/invitations/{token}/")

    assert "sent to a different email address" in page.content.decode()
    assert response.status_code == 403
    assert state() == before


def test_an_expired_link_is_gone(work, client_for, time_machine):
    token = _token(work)
    time_machine.move_to(NOW + dt.timedelta(days=15), tick=False)

    response = Client().get(f"/portal/invitations/{token}/")

    assert response.status_code == 410
    assert "expired" in response.content.decode()


def test_a_damaged_link_is_a_bad_request(db):
    assert Client().get("/portal/invitations/not-a-token/").status_code == 400


def test_a_coordinator_invites_the_first_contact_of_a_recorded_client_from_its_page(
    cast, client_for, mailoutbox, django_capture_on_commit_callbacks
):
    client = client_record(
        collective=cast.collective_a,
        by=cast.ana,
        name="Cebu Dental",
        country="PH",
        timezone="Asia/Manila",
        currency="PHP",
        billing_address="Cebu City",
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(cast.ana).post(
            f"/clients/{client.pk}/invite/", {"email": "olga@example.org"}
        )

    assert response.status_code == 302
    [email] = mailoutbox
    token = re.search(r"/portal/invitations/([^/\s]+)/", email.body).group(1)  # type: ignore[union-attr]
    client_for(cast.olga).post(f"/portal/invitations/{token}/")
    assert list(client.contacts.values_list("user", flat=True)) == [cast.olga.pk]


def test_a_coordinators_link_stops_working_once_the_client_has_a_contact(cast, client_for):
    # given Ana's two first-contact links for a client she recorded, one accepted
    client = client_record(
        collective=cast.collective_a,
        by=cast.ana,
        name="Lead Co",
        country="PH",
        timezone="Asia/Manila",
        currency="PHP",
        billing_address="Cebu City",
    )
    boss = make_member("boss@lead.example", "Bo Sterling")
    to_boss = client_contact_invite(client=client, by=cast.ana, email=boss.email).token
    to_olga = client_contact_invite(client=client, by=cast.ana, email=cast.olga.email).token
    client_contact_accept(token=to_boss, user=boss)
    before = state()

    # when Olga opens and accepts hers
    page = client_for(cast.olga).get(f"/portal/invitations/{to_olga}/")
    accepted = client_for(cast.olga).post(f"/portal/invitations/{to_olga}/")

    # then it is withdrawn, and the boss's own link still opens for the boss
    assert (page.status_code, accepted.status_code) == (409, 409)
    assert "Lead Co has contacts of its own" in page.content.decode()
    assert state() == before
    assert client_for(boss).get(f"/portal/invitations/{to_boss}/").status_code == 200


def test_a_member_of_the_recording_collective_cannot_accept_a_link_to_act_for_its_client(
    cast, client_for
):
    # given a link to Ana for a client her collective recorded, signed before
    # invitations checked the address
    client = client_record(
        collective=cast.collective_a,
        by=cast.ana,
        name="Lead Co",
        country="PH",
        timezone="Asia/Manila",
        currency="PHP",
        billing_address="Cebu City",
    )
    token = signing.dumps(
        {"c": client.pk, "e": cast.ana.email, "b": cast.ana.pk},
        salt=CONTACT_INVITATION_SALT,
        compress=True,
    )
    before = state()

    response = client_for(cast.ana).post(f"/portal/invitations/{token}/")

    assert response.status_code == 403
    assert "cannot be its own client" in response.content.decode()
    assert state() == before


# --- The dashboard panel ----------------------------------------------------------------------


def test_a_client_contact_sees_their_clients_on_the_dashboard_and_others_see_nothing(
    work, client_for
):
    dana = client_for(work.dana).get("/me/").content.decode()
    ben = client_for(work.cast.ben).get("/me/").content.decode()

    assert "Organisations you act for" in dana
    assert f'href="/clients/{work.harbour.pk}/"' in dana
    assert "Go to the client portal" in dana
    assert "Organisations you act for" not in ben
