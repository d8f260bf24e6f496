"""`mutualist demo`: a believable world, built through the services, loaded idempotently."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from mutualist.collectives.models import (
    Bylaws,
    Collective,
    CoworkingSpace,
    Invitation,
    Membership,
)
from mutualist.core.errors import ValidationFailed
from mutualist.demo import data as demo
from mutualist.members.models import (
    AvailabilityWindow,
    MemberSkill,
    Profile,
    ProfileLanguage,
    User,
)

MODELS = (
    User,
    Profile,
    MemberSkill,
    ProfileLanguage,
    AvailabilityWindow,
    Collective,
    CoworkingSpace,
    Bylaws,
    Membership,
    Invitation,
)


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def run_demo(capsys, *args: str) -> str:
    call_command("demo", *args)
    return str(capsys.readouterr().out)


def test_running_it_twice_creates_nothing_the_second_time(db, capsys):
    # given
    first = run_demo(capsys)
    after_first = row_counts()
    # when
    second = run_demo(capsys)
    # then
    assert row_counts() == after_first
    # The demo's people, and the client contacts who are not members.
    assert after_first["User"] == len(demo.PEOPLE) + len(demo.CONTACTS) == 29
    assert after_first["Collective"] == 3
    assert first.startswith(
        "Demo data loaded: 26 people, 3 collectives, 20 memberships, "
        "2 pending applications, 1 pending invitations created; "
        "36 ledger transactions posted; 5 clients with their jobs, pitches and engagements, "
    )
    assert second.startswith("Demo data already present; nothing created.")


def test_the_advertised_demo_login_works(db, capsys):
    # given
    run_demo(capsys)
    client = Client()
    # when: through the login page, as a person would (django-axes sees the request)
    response = client.post(
        reverse("members:login"),
        {"username": "ana@demo.mutualist.coop", "password": "demo-pass-2026"},
    )
    # then
    assert response.status_code == 302
    ana = User.objects.get(email="ana@demo.mutualist.coop")
    assert client.session["_auth_user_id"] == str(ana.pk)
    assert ana.display_name == "Ana Reyes"


def test_it_builds_three_collectives_with_their_coordinators(db, capsys):
    # when
    run_demo(capsys)
    # then
    coordinators = {
        m.collective.slug: m.user.email
        for m in Membership.objects.filter(
            role=Membership.Role.COORDINATOR, state=Membership.State.ACTIVE
        ).select_related("collective", "user")
    }
    assert coordinators == {
        "manila-va": "ana@demo.mutualist.coop",
        "remote-crew": "joy@demo.mutualist.coop",
        "nairobi-vo": "wanjiru@demo.mutualist.coop",
    }
    manila = Collective.objects.get(slug="manila-va")
    assert (manila.name, manila.city, manila.country, manila.base_currency, manila.is_remote) == (
        "Manila Virtual Assistants",
        "Manila",
        "PH",
        "PHP",
        False,
    )
    assert "Makati" in manila.coworking_space.address
    assert manila.coworking_space.opening_hours
    crew = Collective.objects.get(slug="remote-crew")
    assert (crew.name, crew.is_remote, crew.base_currency) == ("Remote Crew", True, "USD")
    crew_cities = set(
        Membership.objects.filter(collective=crew, state=Membership.State.ACTIVE).values_list(
            "user__profile__city", flat=True
        )
    )
    assert {"Cebu City", "Davao City", "Lagos"} <= crew_cities
    nairobi = Collective.objects.get(slug="nairobi-vo")
    assert (nairobi.name, nairobi.city, nairobi.country, nairobi.base_currency) == (
        "Nairobi Virtual Office",
        "Nairobi",
        "KE",
        "KES",
    )
    assert nairobi.bylaws.get().admission_rule == Bylaws.AdmissionRule.OPEN


def test_it_leaves_applications_and_an_invitation_pending(db, capsys):
    # when
    run_demo(capsys)
    # then
    applicants = Membership.objects.filter(state=Membership.State.APPLIED)
    # Grace and Mark wait for Ana; Lucas for Remote Crew's members' vote.
    assert sorted(applicants.values_list("user__email", "collective__slug")) == [
        ("grace@demo.mutualist.coop", "manila-va"),
        ("lucas@demo.mutualist.coop", "remote-crew"),
        ("mark@demo.mutualist.coop", "manila-va"),
    ]
    pending = Invitation.objects.get(state=Invitation.State.PENDING)
    assert (pending.collective.slug, pending.email) == ("remote-crew", "amina@demo.mutualist.coop")
    assert Membership.objects.get(
        user__email=pending.email, collective__slug="remote-crew"
    ).state == (Membership.State.INVITED)


def test_its_people_are_varied_and_believable(db, capsys):
    # when
    run_demo(capsys)
    # then
    assert all(
        email.endswith("@demo.mutualist.coop")
        for email in User.objects.values_list("email", flat=True)
    )
    marisol = User.objects.get(email="marisol@demo.mutualist.coop")
    assert set(
        marisol.memberships.filter(state=Membership.State.ACTIVE).values_list(
            "collective__slug", flat=True
        )
    ) == {"manila-va", "remote-crew"}
    timezones = set(Profile.objects.values_list("timezone", flat=True))
    assert {"Asia/Manila", "Africa/Lagos", "Africa/Nairobi", "Australia/Sydney"} <= timezones
    languages = set(ProfileLanguage.objects.values_list("code", flat=True))
    assert {"en", "fil", "ceb", "yo", "sw"} <= languages
    # A night shift that runs past midnight (end before start), Manila time.
    paolo = Profile.objects.get(user__email="paolo@demo.mutualist.coop")
    assert list(paolo.availability.values_list("weekday", "start", "end"))[0] == (
        0,
        dt.time(22, 0),
        dt.time(6, 0),
    )
    # Rates in the member's own currency, as integer minor units.
    tunde = Profile.objects.get(user__email="tunde@demo.mutualist.coop")
    assert (tunde.rate_minor, tunde.rate_currency) == (1_500_000, "NGN")
    assert MemberSkill.objects.filter(level=MemberSkill.Level.EXPERT).count() >= 25


def test_it_prints_every_login_with_its_role(db, capsys):
    # when
    out = run_demo(capsys)
    # then
    assert "Demo logins (every account's password: demo-pass-2026)" in out
    lines = {line.split()[0]: line for line in out.splitlines() if "@demo.mutualist.coop" in line}
    assert len(lines) == 29
    assert lines["ana@demo.mutualist.coop"].split("  ")[-1].strip() == "coordinator of manila-va"
    assert lines["marisol@demo.mutualist.coop"].endswith(
        "member of manila-va; member of remote-crew"
    )
    assert lines["amina@demo.mutualist.coop"].endswith(
        "member of nairobi-vo; invited to remote-crew"
    )
    assert lines["grace@demo.mutualist.coop"].endswith("applied to manila-va")
    assert lines["emily@demo.mutualist.coop"].endswith("contact of Bondi Surf Supply Pty Ltd")
    assert lines["marcus@demo.mutualist.coop"].endswith("contact of Lone Star Dental Group")


def test_once_loads_an_empty_database(db, capsys):
    # when
    out = run_demo(capsys, "--once")
    # then
    assert out.startswith("Demo data loaded: 26 people")
    assert Collective.objects.count() == 3


def test_once_only_prints_the_logins_when_the_demo_is_there(db, capsys, monkeypatch):
    # given
    run_demo(capsys)
    before = row_counts()

    def must_not_run(**kwargs):
        raise AssertionError("demo_load ran despite --once")

    monkeypatch.setattr("mutualist.demo.management.commands.demo.demo_load", must_not_run)
    # when
    out = run_demo(capsys, "--once")
    # then
    assert out.startswith("Demo data already loaded; nothing to do.")
    assert "ana@demo.mutualist.coop" in out
    assert row_counts() == before


def test_a_refused_piece_of_demo_data_writes_nothing(db):
    # given
    bad = demo.DemoPerson(
        login="zed",
        name="Zed",
        city="Nowhere",
        country="PH",
        timezone="Mars/Olympus_Mons",
        headline="",
        bio="",
        languages=("en",),
        skills={},
        rate="1",
        currency="PHP",
        capacity=1,
        availability=(),
    )
    # when
    with pytest.raises(ValidationFailed) as refused:
        demo.demo_load(people=[demo.PEOPLE[0], bad], collectives=[])
    # then
    assert refused.value.message == (
        "Unknown time zone 'Mars/Olympus_Mons'; use an IANA name such as Asia/Manila."
    )
    assert User.objects.count() == 0


def test_a_refusal_is_one_readable_line(db, monkeypatch):
    # given
    def refuse(**kwargs):
        raise ValidationFailed("Unknown currency 'ABC'.", code="invalid_currency")

    monkeypatch.setattr("mutualist.demo.management.commands.demo.demo_load", refuse)
    # when
    with pytest.raises(CommandError) as refused:
        call_command("demo")
    # then
    assert str(refused.value) == "The demo data was refused: Unknown currency 'ABC'."
