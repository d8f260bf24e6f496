"""Collective pages through the web UI: directory, page, create and edit,
membership, invitations and bylaws.

The cast (see ``mutualist.testing``): Ana coordinates collective A
(manila-va), Ben is a member of A, Carla coordinates B (remote-crew), Olga is
in no collective.
"""

from __future__ import annotations

import datetime as dt
import html
from urllib.parse import quote

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core import mail, signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mutualist.collectives.models import Bylaws, Collective, CoworkingSpace, Invitation, Membership
from mutualist.collectives.services import (
    bylaws_adopt,
    invitation_create,
    invitation_token,
    membership_apply,
)
from mutualist.collectives.services.invitations import INVITATION_SALT
from mutualist.members.services.profiles import profile_set_skills
from mutualist.testing import Cast, invitation_token_payload

CAST_EMAILS = ("ana@example.org", "ben@example.org", "carla@example.org", "olga@example.org")


def text_of(response) -> str:
    return str(response.content.decode())


def shows(response, text: str) -> bool:
    """Whether the page shows ``text`` as the template escaped it."""
    return html.escape(text) in text_of(response)


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def url(name: str, **kwargs: object) -> str:
    return reverse(f"collectives:{name}", kwargs=kwargs)


def assert_no_cast_email(response) -> None:
    page = text_of(response)
    for email in CAST_EMAILS:
        assert email not in page, f"{email} leaked into {response.request['PATH_INFO']}"


def assert_login_redirect(response) -> None:
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("members:login"))


def memberships_of(collective: Collective) -> list[tuple[str, str, str]]:
    return sorted(
        Membership.objects.filter(collective=collective).values_list("user__email", "role", "state")
    )


def create_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Berlin Bookkeepers",
        "slug": "berlin-bookkeepers",
        "description": "Bookkeeping for Berlin's small businesses.",
        "city": "Berlin",
        "country": "DE",
        "base_currency": "EUR",
        "treasury_percent": "12.5",
        "admission_rule": "coordinator",
        "coworking_name": "",
        "coworking_address": "",
        "coworking_opening_hours": "",
    }
    data.update(overrides)
    return data


def edit_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Manila Virtual Assistants",
        "description": "Virtual assistants in Manila, since 2024.",
        "city": "Manila",
        "country": "PH",
        "coworking_name": "",
        "coworking_address": "",
        "coworking_opening_hours": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def olga_applied(cast: Cast) -> Membership:
    """Olga has applied to join A, with a note only coordinators should read."""
    return membership_apply(
        collective=cast.collective_a, user=cast.olga, note="I keep books for three shops."
    )


@pytest.fixture
def zoe_invited(cast: Cast) -> Invitation:
    """Ana has invited zoe@example.org (no account yet) to A."""
    return invitation_create(
        collective=cast.collective_a,
        inviter=cast.ana,
        email="zoe@example.org",
        message="Come and work with us.",
    )


@pytest.fixture
def olga_invited(cast: Cast) -> Invitation:
    """Ana has invited Olga to A as a coordinator."""
    return invitation_create(
        collective=cast.collective_a,
        inviter=cast.ana,
        email="olga@example.org",
        role=Membership.Role.COORDINATOR,
        message="We need someone to run the books.",
    )


# --- directory ------------------------------------------------------------------------


def test_the_directory_lists_collectives_with_their_home_and_member_count(
    cast: Cast, client: Client
):
    response = client.get(url("directory"))

    assert response.status_code == 200
    rows = [(collective.name, home) for collective, home in response.context["page_obj"]]
    assert rows == [("Manila Virtual Assistants", "Manila, Philippines"), ("Remote Crew", "Remote")]
    assert [collective.active_members for collective, _ in response.context["page_obj"]] == [2, 1]
    assert_no_cast_email(response)


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"remote": "yes"}, ["Remote Crew"]),
        ({"remote": "no"}, ["Manila Virtual Assistants"]),
        ({"q": "crew"}, ["Remote Crew"]),
        ({"country": "PH"}, ["Manila Virtual Assistants"]),
        ({"city": "manila"}, ["Manila Virtual Assistants"]),
        ({"skill": "bookkeeping"}, ["Manila Virtual Assistants"]),
    ],
    ids=["remote", "local", "search", "country", "city", "skill"],
)
def test_the_directory_filters_collectives(cast: Cast, client: Client, params, names):
    profile_set_skills(user=cast.ben, skills={"bookkeeping": 2})

    response = client.get(url("directory"), params)

    assert [collective.name for collective, _ in response.context["page_obj"]] == names


def test_the_directory_answers_htmx_with_the_results_alone(cast: Cast, client: Client):
    response = client.get(url("directory"), {"q": "manila"}, headers={"HX-Request": "true"})

    page = text_of(response)
    assert "<html" not in page
    assert "Manila Virtual Assistants" in page
    assert "Remote Crew" not in page
    assert "HX-Request" in response["Vary"]


def test_the_directory_filter_form_works_with_and_without_javascript(cast: Cast, client: Client):
    page = text_of(client.get(url("directory")))

    assert 'method="get" action="/collectives/"' in page
    assert 'hx-get="/collectives/"' in page
    assert 'hx-push-url="true"' in page


# --- detail -----------------------------------------------------------------------------


def test_the_public_sees_a_collectives_page_its_bylaws_split_and_members(
    cast: Cast, client: Client
):
    response = client.get(url("detail", slug="manila-va"))

    assert response.status_code == 200
    page = text_of(response)
    assert "<h1>Manila Virtual Assistants</h1>" in page
    assert "Virtual assistants in Manila." in page
    assert "Manila, Philippines" in page
    assert "Treasury" in page
    assert "10.00%" in page
    assert "Remainder to the members who did the work" in page
    assert "90.00%" in page
    assert reverse("members:profile", kwargs={"handle": "ana-reyes"}) in page
    assert reverse("members:profile", kwargs={"handle": "ben-okafor"}) in page
    assert f"{reverse('members:login')}?next=/collectives/manila-va/" in page
    assert url("apply", slug="manila-va") not in page
    assert_no_cast_email(response)


def test_a_remote_collective_says_remote_and_shows_its_coworking_space(cast: Cast, client: Client):
    CoworkingSpace.objects.create(
        collective=cast.collective_b, name="Hub One", address="1 Main St", opening_hours="24/7"
    )

    page = text_of(client.get(url("detail", slug="remote-crew")))

    assert "Remote ·" in page
    assert "Hub One" in page
    assert "1 Main St" in page


def test_an_outsider_sees_an_apply_button(cast: Cast, client_for):
    response = client_for(cast.olga).get(url("detail", slug="manila-va"))

    assert f'action="{url("apply", slug="manila-va")}"' in text_of(response)
    assert "Apply to join" in text_of(response)
    assert url("leave", slug="manila-va") not in text_of(response)


def test_a_member_sees_a_leave_button_and_no_coordinator_tools(
    cast: Cast, client_for, olga_applied, zoe_invited
):
    response = client_for(cast.ben).get(url("detail", slug="manila-va"))

    page = text_of(response)
    assert f'action="{url("leave", slug="manila-va")}"' in page
    assert url("apply", slug="manila-va") not in page
    assert "zoe@example.org" not in page
    assert "I keep books for three shops." not in page
    assert url("edit", slug="manila-va") not in page
    assert "Make coordinator" not in page


def test_a_coordinator_sees_applications_invitations_and_role_buttons(
    cast: Cast, client_for, olga_applied, zoe_invited
):
    response = client_for(cast.ana).get(url("detail", slug="manila-va"))

    page = text_of(response)
    assert "Olga Petrova" in page
    assert "I keep books for three shops." in page
    assert (
        f'action="{url("application_decide", slug="manila-va", membership_id=olga_applied.pk)}"'
        in page
    )
    assert "zoe@example.org" in page
    assert (
        f'action="{url("invitation_revoke", slug="manila-va", invitation_id=zoe_invited.pk)}"'
        in page
    )
    ben = Membership.objects.get(user=cast.ben)
    assert f'action="{url("membership_role", slug="manila-va", membership_id=ben.pk)}"' in page
    assert "Make coordinator" in page
    assert url("edit", slug="manila-va") in page
    assert url("invite", slug="manila-va") in page


def test_the_collective_page_leaks_nothing_private_to_outsiders(
    cast: Cast, client: Client, client_for, olga_applied, zoe_invited
):
    for viewer in (client, client_for(cast.carla)):
        response = viewer.get(url("detail", slug="manila-va"))
        page = text_of(response)
        assert "zoe@example.org" not in page
        assert "Come and work with us." not in page
        assert "I keep books for three shops." not in page
        assert "Applications" not in page
        assert_no_cast_email(response)


def test_an_unknown_collective_is_not_found(cast: Cast, client: Client):
    assert client.get(url("detail", slug="no-such-collective")).status_code == 404


# --- create -----------------------------------------------------------------------------


def test_a_member_creates_a_collective_and_becomes_its_coordinator(cast: Cast, client_for):
    # when
    response = client_for(cast.olga).post(
        url("create"),
        create_data(
            coworking_name="Betahaus",
            coworking_address="Rudi-Dutschke-Str. 23, Berlin",
            coworking_opening_hours="Mon-Fri 08:00-20:00",
        ),
        follow=True,
    )

    # then
    collective = Collective.objects.get(slug="berlin-bookkeepers")
    assert response.redirect_chain == [(url("detail", slug="berlin-bookkeepers"), 302)]
    assert messages_of(response) == [
        "Berlin Bookkeepers is created, and you are its first coordinator."
    ]
    assert memberships_of(collective) == [("olga@example.org", "coordinator", "active")]
    bylaws = Bylaws.objects.get(collective=collective)
    assert [(s.recipient, str(s.percent)) for s in bylaws.split_shares.all()] == [
        ("treasury", "12.50")
    ]
    assert collective.coworking_space.name == "Betahaus"
    assert "87.50%" in text_of(response)


def test_the_create_page_suggests_an_address_name_from_the_name(cast: Cast, client_for):
    page = text_of(client_for(cast.olga).get(url("create")))

    assert 'id="id_slug"' in page
    assert "addEventListener" in page


def test_creating_a_collective_needs_an_account(cast: Cast, client: Client):
    assert_login_redirect(client.get(url("create")))
    assert_login_redirect(client.post(url("create"), create_data()))
    assert not Collective.objects.filter(slug="berlin-bookkeepers").exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"treasury_percent": "101"},
            "treasury_percent",
            "The treasury percentage must be between 0 and 100; got 101.",
        ),
        (
            {"treasury_percent": "-5"},
            "treasury_percent",
            "The treasury percentage must be between 0 and 100; got -5.",
        ),
        (
            {"base_currency": "ZZZ"},
            "base_currency",
            "Unknown currency 'ZZZ'; use an ISO 4217 code such as EUR, USD or PHP.",
        ),
        ({"slug": "manila-va"}, "slug", "The address name 'manila-va' is taken."),
        (
            {"slug": "Not A Slug"},
            "slug",
            "The address name may use lowercase letters, digits and single hyphens.",
        ),
        ({"city": ""}, "city", "Give a home city and country, or mark the collective as remote."),
        (
            {"coworking_name": "Betahaus"},
            "coworking_address",
            "A co-working space needs an address.",
        ),
    ],
    ids=[
        "treasury-101",
        "treasury-negative",
        "unknown-currency",
        "slug-taken",
        "slug-malformed",
        "no-home",
        "space-without-address",
    ],
)
def test_it_refuses_to_create_an_invalid_collective_and_says_why_on_the_field(
    cast: Cast, client_for, overrides, field, message
):
    # given
    collectives_before = list(Collective.objects.values_list("slug", flat=True))
    bylaws_before = Bylaws.objects.count()

    # when
    response = client_for(cast.olga).post(url("create"), create_data(**overrides))

    # then
    assert response.status_code == 200
    assert response.context["form"].errors == {field: [message]}
    assert shows(response, message)
    assert list(Collective.objects.values_list("slug", flat=True)) == collectives_before
    assert Bylaws.objects.count() == bylaws_before
    assert not Membership.objects.filter(user=cast.olga).exists()


def test_an_empty_post_to_the_create_page_shows_the_required_fields(cast: Cast, client_for):
    # given
    collectives_before = list(Collective.objects.values_list("slug", flat=True))
    bylaws_before = Bylaws.objects.count()

    # when: a POST with no fields at all (it must not pass for a GET)
    response = client_for(cast.olga).post(url("create"), {})

    # then
    assert response.status_code == 200
    form = response.context["form"]
    assert form.is_bound
    assert form.errors == {
        field: ["This field is required."]
        for field in ("name", "slug", "base_currency", "treasury_percent", "admission_rule")
    }
    assert shows(response, "This field is required.")
    assert list(Collective.objects.values_list("slug", flat=True)) == collectives_before
    assert Bylaws.objects.count() == bylaws_before
    assert not Membership.objects.filter(user=cast.olga).exists()


# --- edit -------------------------------------------------------------------------------


def test_a_coordinator_edits_the_collective_and_adds_then_removes_a_coworking_space(
    cast: Cast, client_for
):
    ana = client_for(cast.ana)

    # when: Ana adds a co-working space
    response = ana.post(
        url("edit", slug="manila-va"),
        edit_data(coworking_name="The Hive", coworking_address="Makati Ave 1"),
    )

    # then
    assert response.status_code == 302
    assert response["Location"] == url("detail", slug="manila-va")
    collective = Collective.objects.get(slug="manila-va")
    assert collective.description == "Virtual assistants in Manila, since 2024."
    assert collective.coworking_space.name == "The Hive"

    # when: she clears the space's name
    form = ana.get(url("edit", slug="manila-va")).context["form"]
    assert form["coworking_name"].value() == "The Hive"
    ana.post(url("edit", slug="manila-va"), edit_data(coworking_address="Makati Ave 1"))

    # then
    assert not CoworkingSpace.objects.filter(collective=collective).exists()


def test_it_refuses_an_edit_without_a_home_and_changes_nothing(cast: Cast, client_for):
    response = client_for(cast.ana).post(url("edit", slug="manila-va"), edit_data(country=""))

    message = "Give a home city and country, or mark the collective as remote."
    assert response.context["form"].errors == {"country": [message]}
    assert shows(response, message)
    collective = Collective.objects.get(slug="manila-va")
    assert (collective.country, collective.description) == ("PH", "Virtual assistants in Manila.")


def test_only_a_coordinator_may_edit_a_collective(cast: Cast, client: Client, client_for):
    edit_url = url("edit", slug="manila-va")
    data = edit_data(description="Taken over.")

    # a member lacks the role: 403
    assert client_for(cast.ben).get(edit_url).status_code == 403
    assert client_for(cast.ben).post(edit_url, data).status_code == 403
    # an outsider learns nothing: 404
    assert client_for(cast.olga).post(edit_url, data).status_code == 404
    assert client_for(cast.carla).get(edit_url).status_code == 404
    # the public is asked to log in
    assert_login_redirect(client.post(edit_url, data))
    assert Collective.objects.get(slug="manila-va").description == "Virtual assistants in Manila."


# --- invite -----------------------------------------------------------------------------


def test_a_coordinator_invites_someone_by_email(
    cast: Cast, client_for, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(cast.ana).post(
            url("invite", slug="manila-va"),
            {"email": "Zoe@Example.org", "role": "member", "message": "Join us!"},
            follow=True,
        )

    # then
    assert response.redirect_chain == [(url("detail", slug="manila-va"), 302)]
    assert messages_of(response) == ["Invitation sent to zoe@example.org."]
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role, invitation.message) == (
        "zoe@example.org",
        "member",
        "Join us!",
    )
    assert [message.to for message in mail.outbox] == [["zoe@example.org"]]
    assert "zoe@example.org" in text_of(response)  # in the coordinator's pending list


def test_it_refuses_to_invite_someone_who_is_already_a_member(cast: Cast, client_for):
    response = client_for(cast.ana).post(
        url("invite", slug="manila-va"), {"email": "ben@example.org", "role": "member"}
    )

    message = "Ben Okafor is already a member of this collective."
    assert response.context["form"].errors == {"email": [message]}
    assert shows(response, message)
    assert not Invitation.objects.exists()


def test_it_refuses_a_second_open_invitation_to_the_same_address(
    cast: Cast, client_for, zoe_invited
):
    response = client_for(cast.ana).post(
        url("invite", slug="manila-va"), {"email": "zoe@example.org", "role": "member"}
    )

    message = "zoe@example.org already has an open invitation."
    assert response.context["form"].errors == {"email": [message]}
    assert Invitation.objects.count() == 1


def test_only_a_coordinator_sees_the_invite_form(
    cast: Cast, client: Client, client_for, zoe_invited
):
    # given Ana has a pending invitation out to zoe@example.org
    invite_url = url("invite", slug="manila-va")
    form_action = f'action="{invite_url}"'
    assert form_action in text_of(client_for(cast.ana).get(invite_url))

    # when a member, an outsider and the public ask for the invite form
    member = client_for(cast.ben).get(invite_url)
    outsider = client_for(cast.olga).get(invite_url)
    public = client.get(invite_url)

    # then the member lacks the role (403), the outsider learns nothing (404),
    # the public is asked to log in; none of them sees the form or who is invited
    assert member.status_code == 403
    assert outsider.status_code == 404
    assert_login_redirect(public)
    for response in (member, outsider, public):
        assert form_action not in text_of(response)
        assert "Send invitation" not in text_of(response)
        assert "zoe@example.org" not in text_of(response)
        assert_no_cast_email(response)
    assert list(Invitation.objects.values_list("email", "state")) == [
        ("zoe@example.org", "pending")
    ]


def test_only_a_coordinator_may_invite(cast: Cast, client: Client, client_for):
    invite_url = url("invite", slug="manila-va")
    data = {"email": "mallory@example.org", "role": "coordinator"}

    assert client_for(cast.ben).post(invite_url, data).status_code == 403
    assert client_for(cast.olga).post(invite_url, data).status_code == 404
    assert_login_redirect(client.post(invite_url, data))
    assert not Invitation.objects.exists()


# --- apply ------------------------------------------------------------------------------


def test_an_outsider_applies_to_join_and_waits_for_a_coordinator(cast: Cast, client_for):
    response = client_for(cast.olga).post(
        url("apply", slug="manila-va"), {"note": "Bookkeeper, 5 years."}, follow=True
    )

    assert response.redirect_chain == [(url("detail", slug="manila-va"), 302)]
    assert messages_of(response) == [
        "Your application to Manila Virtual Assistants has been sent. "
        "A coordinator will decide on it."
    ]
    membership = Membership.objects.get(user=cast.olga)
    assert (membership.state, membership.application_note) == ("applied", "Bookkeeper, 5 years.")
    assert "waiting for a coordinator" in text_of(response)


def test_under_an_open_admission_rule_applying_admits_at_once(cast: Cast, client_for):
    # given: Remote Crew adopts bylaws that open it to anyone, from today
    from django.utils import timezone

    from mutualist.collectives.services import bylaws_adopt

    bylaws_adopt(
        collective=cast.collective_b,
        actor=cast.carla,
        effective_from=timezone.localdate(),
        treasury_percent="10",
        admission_rule="open",
    )

    response = client_for(cast.olga).post(url("apply", slug="remote-crew"), follow=True)

    assert messages_of(response) == ["Welcome to Remote Crew: you are now a member."]
    assert Membership.objects.get(user=cast.olga).state == "active"


def test_it_refuses_an_application_from_someone_already_a_member(cast: Cast, client_for):
    # given
    before = memberships_of(cast.collective_a)

    # when
    response = client_for(cast.ben).post(url("apply", slug="manila-va"), follow=True)

    # then it speaks to Ben, not about him
    message = "You are already a member of this collective."
    assert messages_of(response) == [message]
    assert shows(response, message)
    assert memberships_of(cast.collective_a) == before


def test_an_invitee_who_applies_is_pointed_to_their_invitation(
    cast: Cast, client_for, olga_invited
):
    # given Olga is invited to A
    before = memberships_of(cast.collective_a)

    # when she applies to A anyway
    response = client_for(cast.olga).post(url("apply", slug="manila-va"), follow=True)

    # then she is told, in her own terms, where her invitation waits, and nothing changed
    message = (
        "You have already been invited to this collective: "
        "accept the invitation from your dashboard."
    )
    assert messages_of(response) == [message]
    assert shows(response, message)
    assert memberships_of(cast.collective_a) == before
    assert list(Invitation.objects.values_list("email", "state")) == [
        ("olga@example.org", "pending")
    ]


def test_applying_needs_an_account_and_a_post(cast: Cast, client: Client, client_for):
    assert_login_redirect(client.post(url("apply", slug="manila-va")))
    assert client_for(cast.olga).get(url("apply", slug="manila-va")).status_code == 405
    assert client_for(cast.olga).post(url("apply", slug="nowhere")).status_code == 404
    assert not Membership.objects.filter(user=cast.olga).exists()


# --- leave ------------------------------------------------------------------------------


def test_a_member_leaves_a_collective(cast: Cast, client_for):
    response = client_for(cast.ben).post(url("leave", slug="manila-va"), follow=True)

    assert messages_of(response) == ["You have left Manila Virtual Assistants."]
    membership = Membership.objects.get(user=cast.ben)
    assert membership.state == "left"
    assert membership.left_at is not None


def test_it_refuses_to_let_the_last_coordinator_leave_while_members_remain(cast: Cast, client_for):
    before = memberships_of(cast.collective_a)

    response = client_for(cast.ana).post(url("leave", slug="manila-va"), follow=True)

    message = "You are the last coordinator: make another member coordinator before leaving."
    assert messages_of(response) == [message]
    assert memberships_of(cast.collective_a) == before


def test_outsiders_cannot_leave_what_they_are_not_in(cast: Cast, client: Client, client_for):
    before = memberships_of(cast.collective_a)

    assert client_for(cast.olga).post(url("leave", slug="manila-va")).status_code == 404
    assert_login_redirect(client.post(url("leave", slug="manila-va")))
    assert memberships_of(cast.collective_a) == before


# --- application_decide -------------------------------------------------------------------


def test_a_coordinator_approves_an_application(cast: Cast, client_for, olga_applied):
    response = client_for(cast.ana).post(
        url("application_decide", slug="manila-va", membership_id=olga_applied.pk),
        {"decision": "approve"},
        follow=True,
    )

    assert messages_of(response) == ["Olga Petrova is now a member of Manila Virtual Assistants."]
    olga_applied.refresh_from_db()
    assert olga_applied.state == "active"


def test_a_coordinator_rejects_an_application(cast: Cast, client_for, olga_applied):
    response = client_for(cast.ana).post(
        url("application_decide", slug="manila-va", membership_id=olga_applied.pk),
        {"decision": "reject"},
        follow=True,
    )

    assert messages_of(response) == ["You declined Olga Petrova's application."]
    assert not Membership.objects.filter(pk=olga_applied.pk).exists()


def test_it_refuses_to_decide_an_application_twice(cast: Cast, client_for, olga_applied):
    decide = url("application_decide", slug="manila-va", membership_id=olga_applied.pk)
    ana = client_for(cast.ana)
    ana.post(decide, {"decision": "approve"}, follow=True)

    response = ana.post(decide, {"decision": "reject"}, follow=True)

    assert messages_of(response) == ["That application is no longer waiting for a decision."]
    assert Membership.objects.get(pk=olga_applied.pk).state == "active"


def test_only_a_coordinator_may_decide_applications(
    cast: Cast, client: Client, client_for, olga_applied
):
    decide = url("application_decide", slug="manila-va", membership_id=olga_applied.pk)

    assert client_for(cast.ben).post(decide, {"decision": "approve"}).status_code == 403
    assert client_for(cast.carla).post(decide, {"decision": "approve"}).status_code == 404
    assert_login_redirect(client.post(decide, {"decision": "approve"}))
    assert Membership.objects.get(pk=olga_applied.pk).state == "applied"


# --- membership_role ----------------------------------------------------------------------


def test_a_coordinator_makes_a_member_coordinator(cast: Cast, client_for):
    ben = Membership.objects.get(user=cast.ben)

    response = client_for(cast.ana).post(
        url("membership_role", slug="manila-va", membership_id=ben.pk),
        {"role": "coordinator"},
        follow=True,
    )

    assert messages_of(response) == ["Ben Okafor is now a coordinator."]
    ben.refresh_from_db()
    assert ben.role == "coordinator"


def test_it_refuses_to_demote_the_last_coordinator(cast: Cast, client_for):
    ana = Membership.objects.get(user=cast.ana, collective=cast.collective_a)

    response = client_for(cast.ana).post(
        url("membership_role", slug="manila-va", membership_id=ana.pk),
        {"role": "member"},
        follow=True,
    )

    assert messages_of(response) == ["A collective needs at least one coordinator."]
    ana.refresh_from_db()
    assert ana.role == "coordinator"


def test_only_a_coordinator_may_change_roles(cast: Cast, client: Client, client_for):
    ben = Membership.objects.get(user=cast.ben)
    role_url = url("membership_role", slug="manila-va", membership_id=ben.pk)

    assert client_for(cast.ben).post(role_url, {"role": "coordinator"}).status_code == 403
    assert client_for(cast.olga).post(role_url, {"role": "coordinator"}).status_code == 404
    assert_login_redirect(client.post(role_url, {"role": "coordinator"}))
    ben.refresh_from_db()
    assert ben.role == "member"


def test_a_membership_of_another_collective_is_not_found(cast: Cast, client_for):
    carla = Membership.objects.get(user=cast.carla)

    response = client_for(cast.ana).post(
        url("membership_role", slug="manila-va", membership_id=carla.pk), {"role": "member"}
    )

    assert response.status_code == 404
    carla.refresh_from_db()
    assert carla.role == "coordinator"


# --- invitation_revoke --------------------------------------------------------------------


def test_a_coordinator_revokes_an_invitation(cast: Cast, client_for, zoe_invited):
    response = client_for(cast.ana).post(
        url("invitation_revoke", slug="manila-va", invitation_id=zoe_invited.pk), follow=True
    )

    assert messages_of(response) == ["The invitation to zoe@example.org has been revoked."]
    zoe_invited.refresh_from_db()
    assert zoe_invited.state == "revoked"


def test_only_a_coordinator_may_revoke_an_invitation(
    cast: Cast, client: Client, client_for, zoe_invited
):
    revoke = url("invitation_revoke", slug="manila-va", invitation_id=zoe_invited.pk)

    assert client_for(cast.ben).post(revoke).status_code == 403
    forbidden = client_for(cast.ben).post(revoke)
    assert "zoe@example.org" not in text_of(forbidden)
    assert client_for(cast.olga).post(revoke).status_code == 404
    assert_login_redirect(client.post(revoke))
    zoe_invited.refresh_from_db()
    assert zoe_invited.state == "pending"


# --- bylaws -------------------------------------------------------------------------------


def test_anyone_reads_the_history_of_the_bylaws(cast: Cast, client: Client):
    # given: a second version from tomorrow
    bylaws_adopt(
        collective=cast.collective_a,
        actor=cast.ana,
        effective_from=timezone.localdate() + dt.timedelta(days=1),
        treasury_percent="15",
        admission_rule="open",
        notes="Voted at the March meeting.",
    )

    response = client.get(url("bylaws", slug="manila-va"))

    assert response.status_code == 200
    versions = [version.version for version, _, _ in response.context["versions"]]
    assert versions == [2, 1]
    page = text_of(response)
    assert "Voted at the March meeting." in page
    assert "Treasury 15.00%; remainder to members 85.00%" in page
    assert "(in force)" in page
    assert '<form method="post"' not in page.split("<main", 1)[1]
    assert "Propose a change" not in page
    assert_no_cast_email(response)


def test_members_propose_a_bylaws_change_instead_of_adopting_one(cast: Cast, client_for):
    for member in (cast.ana, cast.ben):
        response = client_for(member).get(url("bylaws", slug="manila-va"))

        page = text_of(response)
        propose = reverse("governance:proposal_new", kwargs={"slug": "manila-va"})
        assert f'href="{propose}?kind=bylaws_change" role="button">Propose a change</a>' in page
        assert '<form method="post"' not in page.split("<main", 1)[1]


def test_the_bylaws_page_no_longer_adopts_a_version_directly(
    cast: Cast, client: Client, client_for
):
    data = {
        "effective_from": (timezone.localdate() + dt.timedelta(days=1)).isoformat(),
        "treasury_percent": "50",
        "member_share_basis": "bill",
        "admission_rule": "open",
    }
    bylaws_url = url("bylaws", slug="manila-va")

    for response in (
        client_for(cast.ana).post(bylaws_url, data),
        client_for(cast.ben).post(bylaws_url, data),
        client_for(cast.olga).post(bylaws_url, data),
        client.post(bylaws_url, data),
    ):
        assert response.status_code == 405
    assert Bylaws.objects.filter(collective=cast.collective_a).count() == 1


# --- invitation_respond -------------------------------------------------------------------


def test_the_public_sees_an_invitation_summary_with_links_to_log_in_or_sign_up(
    cast: Cast, client: Client, zoe_invited
):
    invitation_url = url("invitation", token=invitation_token(zoe_invited))

    response = client.get(invitation_url)

    assert response.status_code == 200
    page = text_of(response)
    assert "Manila Virtual Assistants" in page
    assert "Ana Reyes" in page
    assert "as a member" in page
    assert "Come and work with us." in page
    next_param = quote(invitation_url, safe="/")
    assert f"{reverse('members:login')}?next={next_param}" in page
    assert f"{reverse('members:signup')}?next={next_param}" in page
    assert 'value="accept"' not in page
    assert "zoe@example.org" not in page
    assert_no_cast_email(response)


def test_the_invitee_sees_accept_and_decline_buttons(cast: Cast, client_for, olga_invited):
    response = client_for(cast.olga).get(url("invitation", token=invitation_token(olga_invited)))

    page = text_of(response)
    assert "as a coordinator" in page
    assert 'value="accept"' in page
    assert 'value="decline"' in page


def test_the_invitee_accepts_and_joins_with_the_invited_role(cast: Cast, client_for, olga_invited):
    response = client_for(cast.olga).post(
        url("invitation", token=invitation_token(olga_invited)), {"action": "accept"}, follow=True
    )

    assert response.redirect_chain == [(url("detail", slug="manila-va"), 302)]
    assert messages_of(response) == [
        "Welcome to Manila Virtual Assistants: you joined as a coordinator."
    ]
    membership = Membership.objects.get(user=cast.olga)
    assert (membership.state, membership.role) == ("active", "coordinator")
    olga_invited.refresh_from_db()
    assert olga_invited.state == "accepted"


def test_the_invitee_declines(cast: Cast, client_for, olga_invited):
    response = client_for(cast.olga).post(
        url("invitation", token=invitation_token(olga_invited)),
        {"action": "decline"},
        follow=True,
    )

    assert response.redirect_chain == [(reverse("members:dashboard"), 302)]
    assert messages_of(response) == ["You declined the invitation to Manila Virtual Assistants."]
    olga_invited.refresh_from_db()
    assert olga_invited.state == "declined"
    assert not Membership.objects.filter(user=cast.olga).exists()


def test_answering_an_invitation_needs_an_account(cast: Cast, client: Client, olga_invited):
    invitation_url = url("invitation", token=invitation_token(olga_invited))

    response = client.post(invitation_url, {"action": "accept"})

    assert_login_redirect(response)
    assert f"next={quote(invitation_url, safe='/')}" in response["Location"]
    olga_invited.refresh_from_db()
    assert olga_invited.state == "pending"


def test_it_refuses_an_invitation_accepted_by_someone_it_was_not_sent_to(
    cast: Cast, client_for, olga_invited
):
    # given: Ben got hold of Olga's link
    ben = client_for(cast.ben)
    invitation_url = url("invitation", token=invitation_token(olga_invited))
    assert 'value="accept"' not in text_of(ben.get(invitation_url))

    # when
    response = ben.post(invitation_url, {"action": "accept"})

    # then
    assert response.status_code == 403
    assert shows(
        response,
        "This invitation was sent to a different email address. Log in with that "
        "address, or ask for an invitation to yours.",
    )
    olga_invited.refresh_from_db()
    assert olga_invited.state == "pending"
    assert Membership.objects.get(user=cast.ben).role == "member"


def test_it_refuses_an_expired_invitation_with_410(cast: Cast, client_for, olga_invited):
    # given
    token = invitation_token(olga_invited)
    before = memberships_of(cast.collective_a)

    # when: fifteen days later (links are valid for fourteen)
    with time_machine.travel(timezone.now() + dt.timedelta(days=15), tick=False):
        olga = client_for(cast.olga)
        shown = olga.get(url("invitation", token=token))
        answered = olga.post(url("invitation", token=token), {"action": "accept"})

    # then
    message = "This invitation has expired; ask the collective for a new one."
    for response in (shown, answered):
        assert response.status_code == 410
        assert shows(response, message)
    olga_invited.refresh_from_db()
    assert olga_invited.state == "pending"
    assert memberships_of(cast.collective_a) == before


def test_it_refuses_a_forged_invitation_token_with_400(cast: Cast, client_for, olga_invited):
    # given: a token for the same invitation, signed with another key
    forged = signing.dumps(
        {"i": olga_invited.pk}, key="not-the-secret-key", salt=INVITATION_SALT, compress=True
    )
    before = memberships_of(cast.collective_a)

    # when
    olga = client_for(cast.olga)
    shown = olga.get(url("invitation", token=forged))
    answered = olga.post(url("invitation", token=forged), {"action": "accept"})
    garbage = olga.get(url("invitation", token="not-a-token"))

    # then
    message = "This invitation link is not valid; check that you copied all of it."
    for response in (shown, answered, garbage):
        assert response.status_code == 400
        assert shows(response, message)
    olga_invited.refresh_from_db()
    assert olga_invited.state == "pending"
    assert memberships_of(cast.collective_a) == before


def test_it_refuses_an_invitation_that_was_already_answered_with_409(
    cast: Cast, client_for, olga_invited
):
    token = invitation_token(olga_invited)
    olga = client_for(cast.olga)
    olga.post(url("invitation", token=token), {"action": "decline"})

    response = olga.post(url("invitation", token=token), {"action": "accept"})

    assert response.status_code == 409
    assert shows(response, "This invitation has already been declined.")
    assert not Membership.objects.filter(user=cast.olga).exists()


def test_a_revoked_invitation_cannot_be_accepted(cast: Cast, client_for, olga_invited):
    token = invitation_token(olga_invited)
    client_for(cast.ana).post(
        url("invitation_revoke", slug="manila-va", invitation_id=olga_invited.pk)
    )

    response = client_for(cast.olga).post(url("invitation", token=token), {"action": "accept"})

    assert response.status_code == 409
    assert shows(response, "This invitation has already been revoked.")
    assert not Membership.objects.filter(user=cast.olga, state="active").exists()


# --- admin --------------------------------------------------------------------------------


@pytest.fixture
def admin_client(cast: Cast, client_for):
    from mutualist.members.models import User

    cast.olga.is_staff = cast.olga.is_superuser = True
    cast.olga.save(update_fields=["is_staff", "is_superuser"])
    return client_for(User.objects.get(pk=cast.olga.pk))


def test_the_admin_lists_collectives_memberships_invitations_and_bylaws(admin_client, zoe_invited):
    for model in ("collective", "membership", "invitation", "bylaws"):
        response = admin_client.get(reverse(f"admin:collectives_{model}_changelist"))
        assert response.status_code == 200, model


def test_the_admin_shows_an_invitation_without_its_token(cast: Cast, admin_client, zoe_invited):
    response = admin_client.get(
        reverse("admin:collectives_invitation_change", args=[zoe_invited.pk])
    )

    assert response.status_code == 200
    assert "zoe@example.org" in text_of(response)
    assert invitation_token_payload(zoe_invited) not in text_of(response)
    assert "/invitations/" not in text_of(response)


def test_the_admin_cannot_change_or_delete_a_bylaws_version(cast: Cast, admin_client):
    bylaws = Bylaws.objects.get(collective=cast.collective_a)
    change_url = reverse("admin:collectives_bylaws_change", args=[bylaws.pk])

    # viewing works, saving changes nothing
    assert admin_client.get(change_url).status_code == 200
    response = admin_client.post(change_url, {"notes": "Rewritten history."})
    assert response.status_code == 403
    delete = admin_client.post(
        reverse("admin:collectives_bylaws_delete", args=[bylaws.pk]), {"post": "yes"}
    )
    assert delete.status_code == 403
    bylaws.refresh_from_db()
    assert bylaws.notes == "Founding bylaws."
    page = text_of(admin_client.get(change_url))
    assert "treasury" in page
    assert "10.00" in page  # the split share, read-only inline
