"""Writes to a member's profile, skills and availability.

Every refusal names its field and code and leaves the profile exactly as it was.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from mutualist.core.errors import ValidationFailed
from mutualist.members.availability import Window
from mutualist.members.models import AvailabilityWindow, MemberSkill, Profile, ProfileLanguage
from mutualist.members.services.profiles import (
    profile_set_availability,
    profile_set_skills,
    profile_update,
)

pytestmark = pytest.mark.django_db


def snapshot(user) -> dict[str, Any]:
    """Everything a profile service may write, read fresh from the database."""
    profile = Profile.objects.get(user=user)
    return {
        "profile": Profile.objects.filter(pk=profile.pk).values().get(),
        "languages": list(ProfileLanguage.objects.filter(profile=profile).values_list("code")),
        "skills": list(
            MemberSkill.objects.filter(profile=profile).values_list("skill__slug", "level")
        ),
        "availability": list(
            AvailabilityWindow.objects.filter(profile=profile).values_list(
                "weekday", "start", "end"
            )
        ),
        "rows": (
            ProfileLanguage.objects.count(),
            MemberSkill.objects.count(),
            AvailabilityWindow.objects.count(),
        ),
    }


def valid_update(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "display_name": "Ben Okafor",
        "headline": "Bookkeeper for small agencies",
        "bio": "I reconcile.",
        "country": "NG",
        "city": "Lagos",
        "timezone": "Africa/Lagos",
        "languages": ["en", "yo"],
        "rate": "25.00",
        "rate_currency": "USD",
        "weekly_capacity_hours": 30,
        "is_public": True,
    }
    values.update(overrides)
    return values


@pytest.fixture
def ben(cast):
    # given Ben with a filled-in profile, skills and availability
    profile_update(user=cast.ben, **valid_update())
    profile_set_skills(user=cast.ben, skills={"bookkeeping": 3, "data_entry": 2})
    profile_set_availability(
        user=cast.ben, windows=[{"weekday": "mon", "start": "09:00", "end": "17:00"}]
    )
    return cast.ben


# --- profile_update ---------------------------------------------------------------


def test_it_updates_every_editable_field_and_normalises_codes(cast):
    # when Ben updates his profile with loosely written codes
    profile = profile_update(
        user=cast.ben,
        display_name="  Ben O.  ",
        headline=" Bookkeeper ",
        bio=" Numbers. ",
        country="ng",
        city=" Abuja ",
        timezone="Africa/Lagos",
        languages=["EN", "yo", "en"],
        rate="12.50",
        rate_currency="usd",
        weekly_capacity_hours=20,
        is_public=False,
    )

    # then the stored profile holds the cleaned values
    profile.refresh_from_db()
    assert (profile.display_name, profile.headline, profile.bio) == (
        "Ben O.",
        "Bookkeeper",
        "Numbers.",
    )
    assert (profile.country, profile.city, profile.timezone) == ("NG", "Abuja", "Africa/Lagos")
    assert (profile.rate_minor, profile.rate_currency) == (1250, "USD")
    assert profile.weekly_capacity_hours == 20
    assert profile.is_public is False
    assert sorted(profile.languages.values_list("code", flat=True)) == ["en", "yo"]


def test_it_replaces_the_languages_rather_than_adding_to_them(ben):
    profile_update(user=ben, **valid_update(languages=["fr"]))

    assert list(ben.profile.languages.values_list("code", flat=True)) == ["fr"]


@pytest.mark.parametrize(
    ("rate", "currency", "minor"),
    [("1500", "JPY", 1500), ("2.125", "BHD", 2125), (Decimal("7.5"), "EUR", 750), ("0", "PHP", 0)],
)
def test_it_stores_the_rate_in_the_currencys_minor_units(cast, rate, currency, minor):
    profile = profile_update(user=cast.ben, **valid_update(rate=rate, rate_currency=currency))

    profile.refresh_from_db()
    assert (profile.rate_minor, profile.rate_currency) == (minor, currency)


@pytest.mark.parametrize("rate", [None, "", "  "])
def test_it_clears_the_rate_when_none_is_given(ben, rate):
    profile = profile_update(user=ben, **valid_update(rate=rate))

    profile.refresh_from_db()
    assert profile.rate_minor is None


@pytest.mark.parametrize(
    ("overrides", "error_code", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "invalid_timezone", "timezone"),
        ({"timezone": "localtime"}, "invalid_timezone", "timezone"),
        ({"rate": "-1"}, "negative_rate", "rate"),
        ({"rate": Decimal("-0.01")}, "negative_rate", "rate"),
        ({"rate": "10.5", "rate_currency": "JPY"}, "too_many_decimals", "rate"),
        ({"rate": "12.345", "rate_currency": "USD"}, "too_many_decimals", "rate"),
        ({"rate": "1.2345", "rate_currency": "BHD"}, "too_many_decimals", "rate"),
        ({"rate": "twelve"}, "invalid_amount", "rate"),
        ({"rate": "NaN"}, "invalid_amount", "rate"),
        ({"rate": "Infinity"}, "invalid_amount", "rate"),
        ({"rate": "1e30"}, "amount_too_large", "rate"),
        ({"weekly_capacity_hours": -1}, "invalid_capacity", "weekly_capacity_hours"),
        ({"weekly_capacity_hours": 169}, "invalid_capacity", "weekly_capacity_hours"),
        ({"weekly_capacity_hours": "40"}, "invalid_capacity", "weekly_capacity_hours"),
        ({"weekly_capacity_hours": True}, "invalid_capacity", "weekly_capacity_hours"),
        ({"rate_currency": "ABC"}, "invalid_currency", "rate_currency"),
        ({"rate_currency": "DEM"}, "invalid_currency", "rate_currency"),
        ({"country": "XX"}, "invalid_country", "country"),
        ({"languages": ["en", "xx"]}, "invalid_language", "languages"),
        ({"display_name": "   "}, "required", "display_name"),
        ({"display_name": "B" * 81}, "too_long", "display_name"),
        ({"headline": "h" * 141}, "too_long", "headline"),
        ({"city": "c" * 81}, "too_long", "city"),
    ],
)
def test_it_refuses_invalid_profile_input_and_changes_nothing(ben, overrides, error_code, field):
    # given Ben's profile as it stands
    before = snapshot(ben)

    # when an update carries one bad value (and a new name, to see it is not kept)
    changes = {"display_name": "Changed Name", **overrides}
    with pytest.raises(ValidationFailed) as refused:
        profile_update(user=ben, **valid_update(**changes))

    # then it is refused naming the field, and nothing was written
    assert (refused.value.code, refused.value.field) == (error_code, field)
    assert snapshot(ben) == before


def test_the_largest_storable_rate_is_accepted(cast):
    profile = profile_update(
        user=cast.ben, **valid_update(rate="1000000000000000", rate_currency="JPY")
    )

    profile.refresh_from_db()
    assert profile.rate_minor == 10**15  # MAX_MINOR_UNITS


# --- profile_set_skills -----------------------------------------------------------


def test_it_replaces_the_skills_with_their_levels(ben):
    profile_set_skills(user=ben, skills={"payroll": 1, "bookkeeping": 2})

    assert snapshot(ben)["skills"] == [("bookkeeping", 2), ("payroll", 1)]


def test_an_empty_mapping_clears_the_skills(ben):
    profile_set_skills(user=ben, skills={})

    assert snapshot(ben)["skills"] == []


@pytest.mark.parametrize(
    ("skills", "error_code"),
    [
        ({"bookkeeping": 3, "juggling": 2}, "unknown_skill"),
        ({"bookkeeping": 0}, "invalid_skill_level"),
        ({"bookkeeping": 4}, "invalid_skill_level"),
        ({"bookkeeping": True}, "invalid_skill_level"),
        ({"bookkeeping": "2"}, "invalid_skill_level"),
    ],
)
def test_it_refuses_unknown_skills_and_bad_levels_and_changes_nothing(ben, skills, error_code):
    before = snapshot(ben)

    with pytest.raises(ValidationFailed) as refused:
        profile_set_skills(user=ben, skills=skills)

    assert (refused.value.code, refused.value.field) == (error_code, "skills")
    assert snapshot(ben) == before


# --- profile_set_availability -----------------------------------------------------


def test_it_replaces_the_availability_with_the_windows_given(ben):
    # when Ben gives a weekday morning and a Sunday night shift
    profile_set_availability(
        user=ben,
        windows=[
            {"weekday": "sun", "start": "22:00", "end": "06:00"},
            {"weekday": 0, "start": "09:00", "end": "12:00"},
            {"weekday": "Monday", "start": dt.time(12), "end": dt.time(15)},
            Window(2, dt.time(9), dt.time(17)),
        ],
    )

    # then they replace Monday 09:00-17:00, sorted
    assert snapshot(ben)["availability"] == [
        (0, dt.time(9), dt.time(12)),
        (0, dt.time(12), dt.time(15)),
        (2, dt.time(9), dt.time(17)),
        (6, dt.time(22), dt.time(6)),
    ]


@pytest.mark.parametrize(
    ("windows", "error_code"),
    [
        (
            [
                {"weekday": "mon", "start": "09:00", "end": "12:00"},
                {"weekday": "mon", "start": "11:00", "end": "13:00"},
            ],
            "overlapping_availability",
        ),
        (
            [
                {"weekday": "sun", "start": "22:00", "end": "06:00"},
                {"weekday": "mon", "start": "05:00", "end": "07:00"},
            ],
            "overlapping_availability",
        ),
        ([{"weekday": "tue", "start": "09:00", "end": "09:00"}], "empty_availability_window"),
        ([{"weekday": "tue", "start": "25:00", "end": "26:00"}], "invalid_time"),
        ([{"weekday": "tue", "start": "09:00", "end": "9pm"}], "invalid_time"),
        ([{"weekday": "funday", "start": "09:00", "end": "17:00"}], "invalid_weekday"),
        ([{"weekday": 7, "start": "09:00", "end": "17:00"}], "invalid_weekday"),
        ([{"weekday": "wed", "start": "09:00"}], "invalid_availability"),
        ([("wed", "09:00", "17:00")], "invalid_availability"),
    ],
)
def test_it_refuses_bad_availability_and_keeps_the_old_windows(ben, windows, error_code):
    before = snapshot(ben)

    with pytest.raises(ValidationFailed) as refused:
        profile_set_availability(user=ben, windows=windows)

    assert (refused.value.code, refused.value.field) == (error_code, "availability")
    assert snapshot(ben) == before
    assert before["availability"] == [(0, dt.time(9), dt.time(17))]
