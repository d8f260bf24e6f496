"""Clients: registering, recording, editing; contacts invited by signed link,
accepting, leaving. Every refusal changes nothing."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.conf import settings
from django.core import signing

from mutualist.collectives.models import Membership
from mutualist.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from mutualist.core.money import Money
from mutualist.testing import make_member
from mutualist.work.models import Client, ClientContact, Job
from mutualist.work.services.clients import (
    CONTACT_INVITATION_SALT,
    client_contact_accept,
    client_contact_invitation_resolve,
    client_contact_invite,
    client_contact_leave,
    client_may_edit,
    client_record,
    client_register,
    client_update,
)
from mutualist.work.services.jobs import job_post

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 27, 3, 0, tzinfo=dt.UTC)
LINK = re.compile(r"https?://\S+/portal/invitations/(?P<token>[^/\s]+)/")

DETAILS: dict[str, str] = {
    "name": "Austin Pet Supplies",
    "country": "US",
    "timezone": "America/Chicago",
    "currency": "USD",
    "billing_address": "5 Congress Ave\nAustin TX 78701",
    "tax_id": "EIN 12-3456789",
}


@pytest.fixture(autouse=True)
def _frozen_time(time_machine):
    time_machine.move_to(NOW, tick=False)


def state() -> dict[str, Any]:
    return {
        "clients": list(Client.objects.order_by("pk").values()),
        "contacts": list(ClientContact.objects.order_by("pk").values("client_id", "user_id")),
    }


# --- client_register -----------------------------------------------------------------


def test_a_person_registers_their_organisation_and_becomes_its_first_contact(cast):
    client = client_register(user=cast.olga, **{**DETAILS, "name": "  Austin Pet Supplies "})

    assert client.name == "Austin Pet Supplies"
    assert (client.country, client.timezone, client.currency) == ("US", "America/Chicago", "USD")
    assert client.collective is None
    assert client.created_by == cast.olga
    assert list(client.contacts.values_list("user", flat=True)) == [cast.olga.pk]


def test_codes_are_read_in_any_case(cast):
    client = client_register(user=cast.olga, **{**DETAILS, "country": "us", "currency": "usd"})

    assert (client.country, client.currency) == ("US", "USD")


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "invalid_timezone", "timezone"),
        ({"timezone": "localtime"}, "invalid_timezone", "timezone"),
        ({"country": "XX"}, "invalid_country", "country"),
        ({"currency": "DEM"}, "invalid_currency", "currency"),
        ({"name": "   "}, "required", "name"),
        ({"name": "x" * 121}, "too_long", "name"),
        ({"billing_address": ""}, "required", "billing_address"),
        ({"tax_id": "x" * 65}, "too_long", "tax_id"),
    ],
)
def test_it_refuses_bad_details_and_writes_nothing(cast, change, code, field):
    before = state()

    with pytest.raises(ValidationFailed) as refused:
        client_register(user=cast.olga, **{**DETAILS, **change})

    assert (refused.value.code, refused.value.field) == (code, field)
    assert state() == before


# --- client_record ------------------------------------------------------------------------


def test_a_coordinator_records_a_lead_client_for_the_collective(cast):
    client = client_record(collective=cast.collective_a, by=cast.ana, **DETAILS)

    assert client.collective == cast.collective_a
    assert client.contacts.count() == 0


def test_a_member_who_is_not_a_coordinator_cannot_record_a_client(cast):
    before = state()

    with pytest.raises(PermissionDenied) as refused:
        client_record(collective=cast.collective_a, by=cast.ben, **DETAILS)

    assert refused.value.code == "not_coordinator"
    assert state() == before


def test_a_coordinator_of_another_collective_cannot_record_for_this_one(cast):
    before = state()

    with pytest.raises(PermissionDenied):
        client_record(collective=cast.collective_a, by=cast.carla, **DETAILS)

    assert state() == before


def test_recording_refuses_an_unknown_time_zone(cast):
    before = state()

    with pytest.raises(ValidationFailed) as refused:
        client_record(
            collective=cast.collective_a, by=cast.ana, **{**DETAILS, "timezone": "Sydney"}
        )

    assert refused.value.code == "invalid_timezone"
    assert state() == before


# --- client_update ------------------------------------------------------------------------


def test_a_contact_changes_their_clients_details(work):
    client_update(
        client=work.harbour,
        by=work.dana,
        **{**DETAILS, "name": "Harbour Bridge Logistics Pty", "currency": "AUD"},
    )

    work.harbour.refresh_from_db()
    assert work.harbour.name == "Harbour Bridge Logistics Pty"
    assert work.harbour.timezone == "America/Chicago"


def test_a_contact_of_another_client_cannot_change_it(work):
    before = state()

    with pytest.raises(PermissionDenied) as refused:
        client_update(client=work.thames, by=work.dana, **DETAILS)

    assert refused.value.code == "not_client_editor"
    assert state() == before


def test_coordinators_edit_the_clients_their_collective_recorded_and_no_other(cast, work):
    lead = client_record(collective=cast.collective_a, by=cast.ana, **DETAILS)

    client_update(client=lead, by=cast.ana, **{**DETAILS, "tax_id": ""})
    lead.refresh_from_db()
    assert lead.tax_id == ""

    before = state()
    # Harbour registered itself: collective A works for it but does not manage it.
    with pytest.raises(PermissionDenied):
        client_update(client=work.harbour, by=cast.ana, **{**DETAILS, "currency": "AUD"})
    # Ben is a member of A, not a coordinator.
    with pytest.raises(PermissionDenied):
        client_update(client=lead, by=cast.ben, **DETAILS)
    assert state() == before


def test_the_currency_is_fixed_once_the_client_has_jobs(work):
    before = state()

    with pytest.raises(Conflict) as refused:
        client_update(client=work.harbour, by=work.dana, **{**DETAILS, "currency": "USD"})

    assert (refused.value.code, refused.value.field) == ("currency_locked", "currency")
    assert state() == before


def test_the_currency_may_change_while_there_are_no_jobs(cast):
    client = client_register(user=cast.olga, **DETAILS)

    client_update(client=client, by=cast.olga, **{**DETAILS, "currency": "EUR"})

    client.refresh_from_db()
    assert client.currency == "EUR"


def test_an_update_refuses_an_unknown_time_zone_and_changes_nothing(work):
    before = state()

    with pytest.raises(ValidationFailed) as refused:
        client_update(
            client=work.harbour,
            by=work.dana,
            **{**DETAILS, "currency": "AUD", "timezone": "Australia/Sydnee"},
        )

    assert refused.value.code == "invalid_timezone"
    assert state() == before


# --- Inviting contacts --------------------------------------------------------------------


def _invite(work, email: str = "sam@harbour.example", by=None, capture=None):
    return client_contact_invite(client=work.harbour, by=by or work.dana, email=email)


def test_a_contact_invites_a_colleague_by_email_after_commit_with_a_link_that_resolves(
    work, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        invitation = _invite(work, email="  Sam@Harbour.Example ")

    assert len(callbacks) == 1
    assert invitation.email == "sam@harbour.example"
    assert invitation.expires_at == NOW + dt.timedelta(days=14)
    [email] = mailoutbox
    assert email.to == ["sam@harbour.example"]
    assert email.subject == "Act for Harbour Bridge Logistics on Mutualist"
    assert "Dana Whitlock invites you to act for Harbour Bridge Logistics" in email.body
    assert "expires on 11 December 2026" in email.body
    match = LINK.search(email.body)
    assert match is not None
    assert match.group(0).startswith(settings.SITE_URL)
    resolved = client_contact_invitation_resolve(token=match.group("token"))
    assert (resolved.client, resolved.email, resolved.invited_by) == (
        work.harbour,
        "sam@harbour.example",
        work.dana,
    )


def test_no_email_goes_out_when_the_transaction_does_not_commit(
    work, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        _invite(work)

    assert mailoutbox == []


@pytest.mark.parametrize(
    ("email", "code"),
    [("not an address", "invalid_email"), ("x" * 250 + "@example.org", "too_long")],
)
def test_it_refuses_a_bad_address(work, mailoutbox, email, code):
    with pytest.raises(ValidationFailed) as refused:
        _invite(work, email=email)

    assert (refused.value.code, refused.value.field) == (code, "email")
    assert mailoutbox == []


def test_it_refuses_to_invite_someone_who_already_acts_for_the_client(work, mailoutbox):
    with pytest.raises(Conflict) as refused:
        _invite(work, email="DANA@harbour.example")

    assert refused.value.code == "already_contact"
    assert mailoutbox == []


def test_someone_who_does_not_act_for_the_client_cannot_invite(
    work, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for outsider in (work.evan, work.cast.ana, work.cast.olga):
            with pytest.raises(PermissionDenied) as refused:
                _invite(work, by=outsider)
            assert refused.value.code == "not_client_contact"

    assert mailoutbox == []


def test_a_coordinator_invites_the_first_contact_of_a_client_their_collective_recorded(
    cast, mailoutbox, django_capture_on_commit_callbacks
):
    lead = client_record(collective=cast.collective_a, by=cast.ana, **DETAILS)

    with django_capture_on_commit_callbacks(execute=True):
        invitation = client_contact_invite(client=lead, by=cast.ana, email="olga@example.org")

    assert [m.to for m in mailoutbox] == [["olga@example.org"]]
    contact = client_contact_accept(token=invitation.token, user=cast.olga)
    assert contact.client == lead
    # Once it has a contact, its people invite their own.
    with pytest.raises(Conflict) as refused:
        client_contact_invite(client=lead, by=cast.ana, email="pat@example.org")
    assert refused.value.code == "client_has_contacts"
    # A member who is not a coordinator never could.
    other = client_record(collective=cast.collective_a, by=cast.ana, **DETAILS)
    with pytest.raises(PermissionDenied):
        client_contact_invite(client=other, by=cast.ben, email="pat@example.org")


# --- Accepting ----------------------------------------------------------------------------


def test_the_invited_person_accepts_and_acts_for_the_client(work):
    sam = make_member("sam@harbour.example", "Sam Lee")
    invitation = _invite(work)

    contact = client_contact_accept(token=invitation.token, user=sam)

    assert (contact.client, contact.user) == (work.harbour, sam)
    assert set(work.harbour.contacts.values_list("user", flat=True)) == {work.dana.pk, sam.pk}


def test_accepting_compares_the_address_without_regard_to_case(work):
    sam = make_member("Sam@Harbour.Example", "Sam Lee")
    invitation = _invite(work, email="sam@harbour.example")

    assert client_contact_accept(token=invitation.token, user=sam).user == sam


def test_accepting_twice_is_harmless(work):
    sam = make_member("sam@harbour.example", "Sam Lee")
    invitation = _invite(work)
    first = client_contact_accept(token=invitation.token, user=sam)

    again = client_contact_accept(token=invitation.token, user=sam)

    assert again == first
    assert ClientContact.objects.filter(user=sam).count() == 1


def test_it_refuses_someone_logged_in_with_another_address(work):
    invitation = _invite(work)
    before = state()

    with pytest.raises(PermissionDenied) as refused:
        client_contact_accept(token=invitation.token, user=work.evan)

    assert refused.value.code == "invitation_for_other_email"
    assert state() == before


def test_it_refuses_an_account_whose_address_is_not_confirmed(work):
    from mutualist.members.services.accounts import user_signup
    from mutualist.testing import PASSWORD

    sam = user_signup(
        email="sam@harbour.example", password=PASSWORD, display_name="Sam", timezone="UTC"
    )
    invitation = _invite(work)
    before = state()

    with pytest.raises(PermissionDenied) as refused:
        client_contact_accept(token=invitation.token, user=sam)

    assert refused.value.code == "email_unverified"
    assert state() == before


def test_a_link_expires_after_fourteen_days(work, time_machine):
    sam = make_member("sam@harbour.example", "Sam Lee")
    invitation = _invite(work)
    before = state()
    time_machine.move_to(NOW + dt.timedelta(days=14, seconds=1), tick=False)

    with pytest.raises(ValidationFailed) as refused:
        client_contact_accept(token=invitation.token, user=sam)

    assert (refused.value.code, refused.value.field) == ("invitation_expired", "token")
    assert state() == before


@pytest.mark.parametrize(
    "token",
    [
        lambda: "nonsense",
        lambda: signing.dumps({"c": 1, "e": "sam@harbour.example", "b": 1}, salt="another.salt"),
        lambda: signing.dumps(["not", "a", "dict"], salt=CONTACT_INVITATION_SALT),
        lambda: signing.dumps(
            {"c": "1", "e": "sam@harbour.example", "b": 1}, salt=CONTACT_INVITATION_SALT
        ),
        lambda: signing.dumps(
            {"c": 999_999, "e": "sam@harbour.example", "b": 1}, salt=CONTACT_INVITATION_SALT
        ),
    ],
    ids=["not-signed", "other-salt", "not-a-dict", "id-as-text", "no-such-client"],
)
def test_it_refuses_a_forged_or_damaged_link(work, token):
    sam = make_member("sam@harbour.example", "Sam Lee")
    before = state()

    with pytest.raises(ValidationFailed) as refused:
        client_contact_accept(token=token(), user=sam)

    assert refused.value.code == "invalid_invitation_token"
    assert state() == before


def test_a_link_stops_working_when_its_sender_no_longer_acts_for_the_client(work):
    sam = make_member("sam@harbour.example", "Sam Lee")
    pat = make_member("pat@harbour.example", "Pat Kim")
    client_contact_accept(token=_invite(work, email="pat@harbour.example").token, user=pat)
    invitation = _invite(work, by=pat)
    client_contact_leave(client=work.harbour, user=pat)
    before = state()

    with pytest.raises(Conflict) as refused:
        client_contact_accept(token=invitation.token, user=sam)

    assert refused.value.code == "invitation_withdrawn"
    assert state() == before


# --- A recorded client once it has contacts of its own ---------------------------------


def _lead_co(cast) -> Client:
    return client_record(
        collective=cast.collective_a, by=cast.ana, **{**DETAILS, "name": "Lead Co"}
    )


def test_a_coordinators_earlier_invitation_stops_working_once_the_client_has_a_contact(cast):
    # given Ana records Lead Co and invites its boss and, in the same breath, Olga
    lead = _lead_co(cast)
    boss = make_member("boss@lead.example", "Bo Sterling")
    to_boss = client_contact_invite(client=lead, by=cast.ana, email=boss.email)
    to_olga = client_contact_invite(client=lead, by=cast.ana, email=cast.olga.email)
    # and the boss accepts: Lead Co now acts for itself
    client_contact_accept(token=to_boss.token, user=boss)
    before = state()

    # when Olga opens Ana's earlier link
    with pytest.raises(Conflict) as refused:
        client_contact_accept(token=to_olga.token, user=cast.olga)

    # then it no longer works: only Lead Co's own contacts invite now
    assert (refused.value.code, refused.value.field) == ("invitation_withdrawn", "token")
    assert "Lead Co has contacts of its own" in refused.value.message
    with pytest.raises(Conflict):
        client_contact_invitation_resolve(token=to_olga.token)
    assert state() == before


def test_the_first_contact_opening_their_link_again_gets_their_contact_back(cast):
    lead = _lead_co(cast)
    boss = make_member("boss@lead.example", "Bo Sterling")
    token = client_contact_invite(client=lead, by=cast.ana, email=boss.email).token
    first = client_contact_accept(token=token, user=boss)

    again = client_contact_accept(token=token, user=boss)

    assert again == first
    assert client_contact_invitation_resolve(token=token, user=boss).client == lead


@pytest.mark.parametrize("email", ["ana@example.org", "  Ben@Example.org "])
def test_a_collective_cannot_invite_its_own_members_to_act_for_its_client(
    cast, mailoutbox, django_capture_on_commit_callbacks, email
):
    lead = _lead_co(cast)
    before = state()

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(ValidationFailed) as refused,
    ):
        client_contact_invite(client=lead, by=cast.ana, email=email)

    assert (refused.value.code, refused.value.field) == ("contact_is_member", "email")
    assert mailoutbox == []
    assert state() == before


def test_a_member_of_another_collective_may_act_for_the_client(cast):
    lead = _lead_co(cast)

    token = client_contact_invite(client=lead, by=cast.ana, email=cast.carla.email).token

    assert client_contact_accept(token=token, user=cast.carla).client == lead


def test_a_member_of_the_recording_collective_cannot_accept_a_link_to_act_for_its_client(cast):
    # given a link to Ana herself, signed before invitations checked the address
    lead = _lead_co(cast)
    to_ana = signing.dumps(
        {"c": lead.pk, "e": cast.ana.email, "b": cast.ana.pk},
        salt=CONTACT_INVITATION_SALT,
        compress=True,
    )
    # and a link to Pat, who joined collective A after it was sent
    pat = make_member("pat@lead.example", "Pat Kim")
    to_pat = client_contact_invite(client=lead, by=cast.ana, email=pat.email).token
    Membership.objects.create(
        collective=cast.collective_a,
        user=pat,
        role=Membership.Role.MEMBER,
        state=Membership.State.ACTIVE,
        joined_at=NOW,
    )
    before = state()

    for token, user in ((to_ana, cast.ana), (to_pat, pat)):
        with pytest.raises(ValidationFailed) as refused:
            client_contact_accept(token=token, user=user)
        assert refused.value.code == "contact_is_member"

    assert state() == before


def test_coordinators_stop_editing_a_recorded_client_once_it_has_contacts(cast):
    # given Lead Co, recorded by Ana, whose boss has accepted her invitation
    lead = _lead_co(cast)
    boss = make_member("boss@lead.example", "Bo Sterling")
    client_contact_accept(
        token=client_contact_invite(client=lead, by=cast.ana, email=boss.email).token, user=boss
    )
    before = state()

    # when Ana changes its billing address and tax id
    with pytest.raises(PermissionDenied) as refused:
        client_update(
            client=lead,
            by=cast.ana,
            **{**DETAILS, "billing_address": "Somewhere else", "tax_id": "EIN 98-7654321"},
        )

    # then she is refused: the client keeps its own details now
    assert refused.value.code == "client_managed_by_contacts"
    assert state() == before
    assert not client_may_edit(user=cast.ana, client=lead)
    assert client_may_edit(user=boss, client=lead)
    client_update(client=lead, by=boss, **{**DETAILS, "tax_id": "EIN 98-7654321"})
    lead.refresh_from_db()
    assert lead.tax_id == "EIN 98-7654321"


# --- Leaving ------------------------------------------------------------------------------


def test_a_contact_leaves_while_another_stays(work):
    sam = make_member("sam@harbour.example", "Sam Lee")
    client_contact_accept(token=_invite(work).token, user=sam)

    client_contact_leave(client=work.harbour, user=work.dana)

    assert list(work.harbour.contacts.values_list("user", flat=True)) == [sam.pk]


def test_the_last_contact_cannot_leave(work):
    before = state()

    with pytest.raises(Conflict) as refused:
        client_contact_leave(client=work.harbour, user=work.dana)

    assert refused.value.code == "last_contact"
    assert state() == before


def test_someone_who_does_not_act_for_the_client_cannot_leave_it(work):
    before = state()

    with pytest.raises(NotFound):
        client_contact_leave(client=work.harbour, user=work.evan)

    assert state() == before


def test_a_job_posted_in_the_clients_currency_blocks_a_currency_change(cast):
    client = client_register(user=cast.olga, **DETAILS)
    job_post(
        client=client,
        by=cast.olga,
        title="Inbox",
        description="Answer email.",
        start_date=dt.date(2026, 12, 1),
        duration_weeks=None,
        budget_kind=Job.BudgetKind.HOURLY,
        budget=Money("20", "USD"),
        visibility=Job.Visibility.PUBLIC,
        roles=[{"skill": "customer_support", "hours": 10}],
    )

    with pytest.raises(Conflict):
        client_update(client=client, by=cast.olga, **{**DETAILS, "currency": "EUR"})
