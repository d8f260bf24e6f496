"""The member's own pages and the public people pages, through the web UI.

The cast (see ``mutualist.testing``): Ana coordinates collective A
(manila-va), Ben is a member of A, Carla coordinates B (remote-crew), Olga is
in no collective.
"""

from __future__ import annotations

import html
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from mutualist.collectives.services import invitation_create
from mutualist.members.models import AvailabilityWindow, MemberSkill, Profile, User
from mutualist.members.services.profiles import (
    profile_set_availability,
    profile_set_skills,
    profile_update,
)
from mutualist.testing import Cast, invitation_token_payload, make_member

CAST_EMAILS = ("ana@example.org", "ben@example.org", "carla@example.org", "olga@example.org")


def text_of(response) -> str:
    return str(response.content.decode())


def shows(response, text: str) -> bool:
    """Whether the page shows ``text`` as the template escaped it."""
    return html.escape(text) in text_of(response)


def assert_no_cast_email(response) -> None:
    page = text_of(response)
    for email in CAST_EMAILS:
        assert email not in page, f"{email} leaked into {response.request['PATH_INFO']}"


def profile_snapshot(user: User) -> dict[str, object]:
    profile = Profile.objects.get(user=user)
    return {
        "display_name": profile.display_name,
        "timezone": profile.timezone,
        "rate_minor": profile.rate_minor,
        "rate_currency": profile.rate_currency,
        "weekly_capacity_hours": profile.weekly_capacity_hours,
        "is_public": profile.is_public,
        "languages": sorted(profile.languages.values_list("code", flat=True)),
    }


def profile_form_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "display_name": "Ben Okafor",
        "headline": "Bookkeeper for small online shops",
        "bio": "Ten years of keeping books straight.",
        "country": "NG",
        "city": "Lagos",
        "timezone": "Africa/Lagos",
        "languages": ["en", "yo"],
        "rate": "25.50",
        "rate_currency": "USD",
        "weekly_capacity_hours": "30",
        "is_public": "on",
    }
    data.update(overrides)
    return data


def availability_data(rows: list[tuple[str, str, str]], *, initial: int = 0) -> dict[str, str]:
    data = {
        "windows-TOTAL_FORMS": str(len(rows)),
        "windows-INITIAL_FORMS": str(initial),
        "windows-MIN_NUM_FORMS": "0",
        "windows-MAX_NUM_FORMS": "1000",
    }
    for i, (weekday, start, end) in enumerate(rows):
        data[f"windows-{i}-weekday"] = weekday
        data[f"windows-{i}-start"] = start
        data[f"windows-{i}-end"] = end
    return data


# --- dashboard ----------------------------------------------------------------------


def test_the_dashboard_shows_my_collectives_invitations_profile_and_my_own_email(
    cast: Cast, client_for
):
    # given: Carla has invited Ben to her collective
    invitation = invitation_create(
        collective=cast.collective_b, inviter=cast.carla, email="ben@example.org"
    )

    # when
    response = client_for(cast.ben).get(reverse("members:dashboard"))

    # then
    assert response.status_code == 200
    assert "ben@example.org" in text_of(response)
    assert "Manila Virtual Assistants" in text_of(response)
    assert "Remote Crew" in text_of(response)
    # The token's timestamp moves with the clock; its payload names the invitation.
    assert f'action="/invitations/{invitation_token_payload(invitation)}:' in text_of(response)
    assert 'value="accept"' in text_of(response)
    assert 'value="decline"' in text_of(response)
    for link in ("profile_edit", "skills_edit", "availability_edit", "email_change"):
        assert reverse(f"members:{link}") in text_of(response)
    assert reverse("members:password_change") in text_of(response)


def test_the_dashboard_shows_no_one_elses_email(cast: Cast, client_for):
    response = client_for(cast.ben).get(reverse("members:dashboard"))

    page = text_of(response)
    assert "ben@example.org" in page
    for email in ("ana@example.org", "carla@example.org", "olga@example.org"):
        assert email not in page


def test_the_dashboard_sends_anonymous_visitors_to_log_in(cast: Cast, client: Client):
    response = client.get(reverse("members:dashboard"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("members:login"))


# --- profile_edit -------------------------------------------------------------------


def test_a_member_edits_their_profile(cast: Cast, client_for):
    # when
    response = client_for(cast.ben).post(reverse("members:profile_edit"), profile_form_data())

    # then
    assert response.status_code == 302
    assert response["Location"] == reverse("members:profile_edit")
    profile = Profile.objects.get(user=cast.ben)
    assert profile.headline == "Bookkeeper for small online shops"
    assert profile.rate_minor == 2550
    assert profile.rate_currency == "USD"
    assert profile.weekly_capacity_hours == 30
    assert sorted(profile.languages.values_list("code", flat=True)) == ["en", "yo"]
    assert profile.is_public is True


def test_the_profile_form_shows_the_current_values(cast: Cast, client_for):
    # given
    profile_update(
        user=cast.ben,
        display_name="Ben Okafor",
        timezone="Africa/Lagos",
        rate=Decimal("25.50"),
        rate_currency="EUR",
        weekly_capacity_hours=20,
        languages=["en"],
    )

    # when
    response = client_for(cast.ben).get(reverse("members:profile_edit"))

    # then
    form = response.context["form"]
    assert form["rate"].value() == "25.50"
    assert form["rate_currency"].value() == "EUR"
    assert form["languages"].value() == ["en"]
    assert 'list="timezone-names"' in text_of(response)


def test_a_member_can_unpublish_their_profile(cast: Cast, client_for):
    data = profile_form_data()
    del data["is_public"]

    client_for(cast.ben).post(reverse("members:profile_edit"), data)

    assert Profile.objects.get(user=cast.ben).is_public is False


def test_the_profile_page_sends_anonymous_visitors_to_log_in(cast: Cast, client: Client):
    before = profile_snapshot(cast.ben)

    response = client.post(reverse("members:profile_edit"), profile_form_data())

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("members:login"))
    assert profile_snapshot(cast.ben) == before


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"timezone": "Mars/Olympus_Mons"},
            "timezone",
            "Unknown time zone 'Mars/Olympus_Mons'; use an IANA name such as Asia/Manila.",
        ),
        ({"rate": "-5"}, "rate", "The hourly rate cannot be negative."),
        (
            {"weekly_capacity_hours": "169"},
            "weekly_capacity_hours",
            "Weekly capacity must be between 0 and 168 hours.",
        ),
        (
            {"weekly_capacity_hours": "-1"},
            "weekly_capacity_hours",
            "Weekly capacity must be between 0 and 168 hours.",
        ),
        (
            {"rate_currency": "ZZZ"},
            "rate_currency",
            "Unknown currency 'ZZZ'; use an ISO 4217 code such as EUR, USD or PHP.",
        ),
        ({"rate": "12.345"}, "rate", "USD amounts have at most 2 decimal places; got 12.345."),
        (
            {"languages": ["en", "klingon"]},
            "languages",
            "Unknown language 'klingon'; use an ISO 639 code such as en, fil or sw.",
        ),
    ],
    ids=[
        "invalid-timezone",
        "negative-rate",
        "capacity-above-a-week",
        "negative-capacity",
        "unknown-currency",
        "too-many-decimals",
        "unknown-language",
    ],
)
def test_it_refuses_an_invalid_profile_and_says_why_on_the_field(
    cast: Cast, client_for, overrides, field, message
):
    # given
    before = profile_snapshot(cast.ben)

    # when
    response = client_for(cast.ben).post(
        reverse("members:profile_edit"), profile_form_data(**overrides)
    )

    # then: the form comes back with the service's words on that field
    assert response.status_code == 200
    assert response.context["form"].errors == {field: [message]}
    assert shows(response, message)
    # and nothing changed
    assert profile_snapshot(cast.ben) == before


def test_an_empty_post_to_the_profile_page_shows_the_required_fields(cast: Cast, client_for):
    # given
    before = profile_snapshot(cast.ben)

    # when: a POST with no fields at all (it must not pass for a GET)
    response = client_for(cast.ben).post(reverse("members:profile_edit"), {})

    # then
    assert response.status_code == 200
    form = response.context["form"]
    assert form.is_bound
    assert form.errors == {
        field: ["This field is required."]
        for field in ("display_name", "timezone", "rate_currency", "weekly_capacity_hours")
    }
    assert shows(response, "This field is required.")
    assert profile_snapshot(cast.ben) == before


# --- skills_edit --------------------------------------------------------------------


def test_a_member_sets_their_skills_with_levels(cast: Cast, client_for):
    # given: a skill Ben no longer offers
    profile_set_skills(user=cast.ben, skills={"translation": 2})

    # when
    response = client_for(cast.ben).post(
        reverse("members:skills_edit"),
        {"skill_bookkeeping": "3", "skill_data_entry": "1", "skill_translation": ""},
    )

    # then
    assert response.status_code == 302
    levels = dict(
        MemberSkill.objects.filter(profile__user=cast.ben).values_list("skill__slug", "level")
    )
    assert levels == {"bookkeeping": 3, "data_entry": 1}


def test_an_empty_post_to_the_skills_page_clears_every_skill(cast: Cast, client_for):
    # given: every level is optional, so posting none of them means "no skills"
    profile_set_skills(user=cast.ben, skills={"translation": 2, "bookkeeping": 3})

    # when
    response = client_for(cast.ben).post(reverse("members:skills_edit"), {})

    # then
    assert response.status_code == 302
    assert response["Location"] == reverse("members:skills_edit")
    assert not MemberSkill.objects.filter(profile__user=cast.ben).exists()


def test_the_skills_page_groups_the_taxonomy_by_category_with_current_levels(
    cast: Cast, client_for
):
    profile_set_skills(user=cast.ben, skills={"bookkeeping": 3})

    response = client_for(cast.ben).get(reverse("members:skills_edit"))

    assert response.status_code == 200
    assert "<h2" in text_of(response)
    assert ">Finance</h2>" in text_of(response)
    assert response.context["form"]["skill_bookkeeping"].value() == "3"


def test_it_refuses_a_skill_level_outside_the_list(cast: Cast, client_for):
    # given
    profile_set_skills(user=cast.ben, skills={"bookkeeping": 2})

    # when
    response = client_for(cast.ben).post(reverse("members:skills_edit"), {"skill_bookkeeping": "7"})

    # then
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "skill_bookkeeping": ["Select a valid choice. 7 is not one of the available choices."]
    }
    assert list(
        MemberSkill.objects.filter(profile__user=cast.ben).values_list("skill__slug", "level")
    ) == [("bookkeeping", 2)]


def test_the_skills_page_sends_anonymous_visitors_to_log_in(cast: Cast, client: Client):
    response = client.post(reverse("members:skills_edit"), {"skill_bookkeeping": "3"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("members:login"))
    assert not MemberSkill.objects.exists()


# --- availability_edit ----------------------------------------------------------------


def test_a_member_sets_weekly_availability_including_a_night_past_midnight(cast: Cast, client_for):
    # when
    response = client_for(cast.ben).post(
        reverse("members:availability_edit"),
        availability_data([("0", "09:00", "17:00"), ("4", "22:00", "06:00"), ("", "", "")]),
        follow=True,
    )

    # then
    windows = [
        (w.weekday, f"{w.start:%H:%M}", f"{w.end:%H:%M}")
        for w in AvailabilityWindow.objects.filter(profile__user=cast.ben)
    ]
    assert windows == [(0, "09:00", "17:00"), (4, "22:00", "06:00")]
    assert shows(response, "Your availability has been saved: 16.00 hours a week.")
    assert response.context["weekly_hours"] == Decimal("16.00")


def test_the_availability_page_shows_the_rows_and_the_weekly_total(cast: Cast, client_for):
    profile_set_availability(
        user=cast.ben, windows=[{"weekday": "tue", "start": "08:00", "end": "12:30"}]
    )

    response = client_for(cast.ben).get(reverse("members:availability_edit"))

    formset = response.context["formset"]
    assert len(formset.forms) == 4  # the window and three empty rows
    assert formset.forms[0]["start"].value() == "08:00"
    assert "4.50 hours a week" in text_of(response)
    assert "runs past midnight" in text_of(response)


def test_a_member_removes_a_window_with_the_remove_box(cast: Cast, client_for):
    profile_set_availability(
        user=cast.ben,
        windows=[
            {"weekday": "mon", "start": "09:00", "end": "12:00"},
            {"weekday": "tue", "start": "09:00", "end": "12:00"},
        ],
    )
    data = availability_data([("0", "09:00", "12:00"), ("1", "09:00", "12:00")], initial=2)
    data["windows-1-DELETE"] = "on"

    client_for(cast.ben).post(reverse("members:availability_edit"), data)

    assert list(
        AvailabilityWindow.objects.filter(profile__user=cast.ben).values_list("weekday", flat=True)
    ) == [0]


def test_it_refuses_overlapping_windows_and_shows_why_above_the_rows(cast: Cast, client_for):
    # given
    profile_set_availability(
        user=cast.ben, windows=[{"weekday": "wed", "start": "10:00", "end": "11:00"}]
    )

    # when
    response = client_for(cast.ben).post(
        reverse("members:availability_edit"),
        availability_data([("0", "09:00", "17:00"), ("0", "12:00", "14:00")]),
    )

    # then
    message = "Availability windows overlap: Mon 09:00-17:00 and Mon 12:00-14:00."
    assert response.status_code == 200
    assert response.context["service_error"] == message
    page = text_of(response)
    assert page.index(html.escape(message)) < page.index('name="windows-0-weekday"')
    # and the week on file is unchanged
    assert list(
        AvailabilityWindow.objects.filter(profile__user=cast.ben).values_list("weekday", flat=True)
    ) == [2]


def test_it_refuses_a_night_window_that_runs_into_the_next_mornings_window(cast: Cast, client_for):
    response = client_for(cast.ben).post(
        reverse("members:availability_edit"),
        availability_data([("6", "22:00", "06:00"), ("0", "05:00", "09:00")]),
    )

    assert response.context["service_error"] == (
        "Availability windows overlap: Sun 22:00-06:00 (+1 day) and Mon 05:00-09:00."
    )
    assert not AvailabilityWindow.objects.exists()


def test_it_refuses_a_half_filled_row(cast: Cast, client_for):
    response = client_for(cast.ben).post(
        reverse("members:availability_edit"), availability_data([("0", "09:00", "")])
    )

    assert response.status_code == 200
    assert response.context["formset"].errors == [
        {"__all__": ["Give a day, a start and an end, or leave the whole row empty."]}
    ]
    assert not AvailabilityWindow.objects.exists()


def test_the_availability_page_sends_anonymous_visitors_to_log_in(cast: Cast, client: Client):
    response = client.post(
        reverse("members:availability_edit"), availability_data([("0", "09:00", "17:00")])
    )

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("members:login"))
    assert not AvailabilityWindow.objects.exists()


# --- directory ------------------------------------------------------------------------


def test_the_directory_lists_published_profiles_without_any_email(cast: Cast, client: Client):
    # given
    profile_update(
        user=cast.ana,
        display_name="Ana Reyes",
        headline="Executive assistant",
        country="PH",
        city="Manila",
        timezone="Asia/Manila",
        rate="500",
        rate_currency="PHP",
        weekly_capacity_hours=40,
    )
    profile_set_skills(user=cast.ana, skills={"calendar_management": 3})

    # when
    response = client.get(reverse("members:directory"))

    # then
    assert response.status_code == 200
    page = text_of(response)
    for name in ("Ana Reyes", "Ben Okafor", "Carla Mwangi", "Olga Petrova"):
        assert name in page
    assert "Executive assistant" in page
    assert "Manila, Philippines" in page
    assert "Calendar management" in page
    assert "PHP 500.00 an hour" in page
    assert_no_cast_email(response)


def test_the_directory_hides_unpublished_profiles_from_the_public(cast: Cast, client: Client):
    # given: Olga unpublishes; the others stay published
    Profile.objects.filter(user=cast.olga).update(is_public=False)

    # when
    response = client.get(reverse("members:directory"))

    # then: the page lists people, just not Olga
    assert response.status_code == 200
    page = text_of(response)
    for name in ("Ana Reyes", "Ben Okafor", "Carla Mwangi"):
        assert name in page
    assert "Olga Petrova" not in page


def test_the_directory_filters_by_skill_country_city_and_language(cast: Cast, client: Client):
    # given
    profile_set_skills(user=cast.ben, skills={"bookkeeping": 2})
    profile_set_skills(user=cast.carla, skills={"bookkeeping": 3})
    profile_update(
        user=cast.carla,
        display_name="Carla Mwangi",
        country="KE",
        city="Nairobi",
        timezone="Africa/Nairobi",
        languages=["sw"],
        rate_currency="KES",
        weekly_capacity_hours=40,
    )

    # when / then
    by_skill = client.get(reverse("members:directory"), {"skill": "bookkeeping"})
    assert [card.profile.display_name for card in by_skill.context["page_obj"]] == [
        "Ben Okafor",
        "Carla Mwangi",
    ]
    by_country = client.get(reverse("members:directory"), {"skill": "bookkeeping", "country": "KE"})
    assert [card.profile.display_name for card in by_country.context["page_obj"]] == [
        "Carla Mwangi"
    ]
    by_city = client.get(reverse("members:directory"), {"city": "lagos"})
    assert [card.profile.display_name for card in by_city.context["page_obj"]] == ["Ben Okafor"]
    by_language = client.get(reverse("members:directory"), {"language": "sw"})
    assert [card.profile.display_name for card in by_language.context["page_obj"]] == [
        "Carla Mwangi"
    ]


def test_the_directory_shows_overlap_hours_with_office_hours_in_a_timezone(
    cast: Cast, client: Client
):
    # given: Ben (Lagos, UTC+1) works Mon-Fri 09:00-17:00; Olga has no hours
    profile_set_availability(
        user=cast.ben,
        windows=[{"weekday": day, "start": "09:00", "end": "17:00"} for day in range(5)],
    )

    # when: a client in Lagos's time zone asks for at least 10 hours
    response = client.get(
        reverse("members:directory"),
        {"overlap_timezone": "Africa/Lagos", "min_overlap_hours": "10"},
    )

    # then
    cards = list(response.context["page_obj"])
    assert [(card.profile.display_name, card.overlap_hours) for card in cards] == [
        ("Ben Okafor", Decimal("40.00"))
    ]
    assert "Hours in office time (Africa/Lagos)" in text_of(response)
    assert "40.00 h a week" in text_of(response)


def test_the_directory_says_when_the_overlap_timezone_is_unknown(cast: Cast, client: Client):
    response = client.get(reverse("members:directory"), {"overlap_timezone": "Atlantis/Capital"})

    assert response.status_code == 200
    message = "Unknown time zone 'Atlantis/Capital'; use an IANA name such as Asia/Manila."
    assert response.context["form"].errors == {"overlap_timezone": [message]}
    assert shows(response, message)
    assert list(response.context["page_obj"]) == []


def test_the_directory_answers_htmx_with_the_results_alone(cast: Cast, client: Client):
    response = client.get(
        reverse("members:directory"), {"city": "Manila"}, headers={"HX-Request": "true"}
    )

    page = text_of(response)
    assert "<html" not in page
    assert 'id="results-heading"' in page
    assert "Ana Reyes" in page
    assert "Ben Okafor" not in page
    assert "HX-Request" in response["Vary"]
    assert_no_cast_email(response)


def test_the_directory_filter_form_updates_results_with_htmx_and_pushes_the_url(
    cast: Cast, client: Client
):
    page = text_of(client.get(reverse("members:directory")))

    assert 'hx-get="/people/"' in page
    assert 'hx-target="#directory-results"' in page
    assert 'hx-push-url="true"' in page
    assert 'method="get" action="/people/"' in page  # and it works without JavaScript


def test_the_directory_shows_24_people_a_page(cast: Cast, client: Client):
    # given: 26 people in all (the cast and 22 more)
    for i in range(22):
        make_member(f"person{i:02d}@example.org", f"Person {i:02d}")

    # when
    first = client.get(reverse("members:directory"))
    second = client.get(reverse("members:directory"), {"page": "2"})

    # then
    assert len(first.context["page_obj"]) == 24
    assert len(second.context["page_obj"]) == 2
    assert 'href="?page=2"' in text_of(first)


# --- profile_detail -----------------------------------------------------------------


def test_a_profile_page_shows_skills_languages_availability_rate_and_collectives(
    cast: Cast, client: Client
):
    # given
    profile_update(
        user=cast.ben,
        display_name="Ben Okafor",
        headline="Bookkeeper",
        country="NG",
        city="Lagos",
        timezone="Africa/Lagos",
        languages=["en", "yo"],
        rate="20",
        rate_currency="USD",
        weekly_capacity_hours=30,
    )
    profile_set_skills(user=cast.ben, skills={"bookkeeping": 3, "payroll": 1})
    profile_set_availability(
        user=cast.ben,
        windows=[
            {"weekday": "mon", "start": "09:00", "end": "13:00"},
            {"weekday": "fri", "start": "22:00", "end": "02:00"},
        ],
    )

    # when
    response = client.get(reverse("members:profile", kwargs={"handle": "ben-okafor"}))

    # then
    assert response.status_code == 200
    page = text_of(response)
    assert "Bookkeeping" in page
    assert "Expert" in page
    assert "Payroll" in page
    assert "Learning" in page
    assert "English, Yoruba" in page
    assert "USD 20.00 an hour" in page
    assert "8.00 hours a week" in page
    assert "Africa/Lagos" in page
    assert "Mon 09:00-13:00" in page
    assert "Fri 22:00-02:00 (+1 day)" in page
    assert "Manila Virtual Assistants" in page
    assert_no_cast_email(response)


def test_an_unpublished_profile_is_hidden_from_outsiders(cast: Cast, client: Client, client_for):
    # given
    Profile.objects.filter(user=cast.ben).update(is_public=False)
    url = reverse("members:profile", kwargs={"handle": "ben-okafor"})

    # then: the public and outsiders get a 404 that names no one
    for response in (client.get(url), client_for(cast.olga).get(url)):
        assert response.status_code == 404
        assert "Ben Okafor" not in text_of(response)
        assert "Manila Virtual Assistants" not in text_of(response)
    # and a fellow member of A sees it
    assert client_for(cast.ana).get(url).status_code == 200


def test_an_unpublished_profile_shows_a_fellow_member_only_the_collectives_they_share(
    cast: Cast, client_for
):
    # given: Ben, unpublished, is also in Carla's collective B
    from mutualist.collectives.models import Membership

    Membership.objects.create(
        collective=cast.collective_b,
        user=cast.ben,
        state=Membership.State.ACTIVE,
        joined_at=cast.collective_b.created_at,
    )
    Profile.objects.filter(user=cast.ben).update(is_public=False)

    # when: Ana (A only) looks at Ben's profile
    response = client_for(cast.ana).get(reverse("members:profile", kwargs={"handle": "ben-okafor"}))

    # then
    assert "Manila Virtual Assistants" in text_of(response)
    assert "Remote Crew" not in text_of(response)


def test_an_unknown_handle_is_not_found(cast: Cast, client: Client):
    response = client.get(reverse("members:profile", kwargs={"handle": "nobody-here"}))

    assert response.status_code == 404


# --- email privacy ------------------------------------------------------------------


def test_no_public_page_ever_contains_a_members_email(cast: Cast, client: Client, client_for):
    # given: everyone has skills and hours, so every part of the pages renders
    for user in (cast.ana, cast.ben, cast.carla, cast.olga):
        profile_set_skills(user=user, skills={"data_entry": 2})
    pages = [
        reverse("members:directory"),
        reverse("members:directory") + "?overlap_timezone=UTC",
        reverse("members:profile", kwargs={"handle": "ana-reyes"}),
        reverse("members:profile", kwargs={"handle": "ben-okafor"}),
        reverse("collectives:detail", kwargs={"slug": "manila-va"}),
        reverse("collectives:directory"),
    ]

    # when / then: for the public, an outsider and a member of A alike
    for viewer in (client, client_for(cast.olga), client_for(cast.ben)):
        for url in pages:
            response = viewer.get(url)
            assert response.status_code == 200, url
            assert_no_cast_email(response)


def test_my_dashboard_is_the_one_page_that_shows_my_own_email(cast: Cast, client_for):
    olga = client_for(cast.olga)

    assert "olga@example.org" in text_of(olga.get(reverse("members:dashboard")))
    assert "olga@example.org" not in text_of(
        olga.get(reverse("members:profile", kwargs={"handle": "olga-petrova"}))
    )


def test_the_directory_loads_one_page_of_people_in_a_fixed_number_of_queries(
    db, client, django_assert_max_num_queries
):
    # given: more people than fit on a page
    from mutualist.testing import make_member

    for n in range(30):
        make_member(f"p{n}@example.org", f"Person {n:02d}")
    # when / then: the unfiltered directory is paged in SQL
    with django_assert_max_num_queries(10):
        first = client.get("/people/")
    with django_assert_max_num_queries(10):
        second = client.get("/people/?page=2")
    assert first.context["page_obj"].paginator.count == 30
    assert [card.profile.display_name for card in second.context["cards"]] == [
        f"Person {n:02d}" for n in range(24, 30)
    ]
