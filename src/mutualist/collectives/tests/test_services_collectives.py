"""Creating and editing collectives."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from mutualist.collectives.models import (
    Bylaws,
    Collective,
    CoworkingSpace,
    Membership,
    SplitShare,
)
from mutualist.collectives.services import CoworkingInput, collective_create, collective_update
from mutualist.core.errors import Conflict, PermissionDenied, ValidationFailed

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 6, 2, 9, 30, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen_time(time_machine):
    time_machine.move_to(NOW, tick=False)


def row_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Collective, Membership, Bylaws, SplitShare, CoworkingSpace)
    }


def create_args(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "Nairobi Bookkeepers",
        "slug": "nairobi-books",
        "base_currency": "KES",
        "city": "Nairobi",
        "country": "KE",
        "description": "Books, done together.",
    }
    values.update(overrides)
    return values


# --- collective_create ------------------------------------------------------------


def test_the_creator_becomes_the_active_coordinator(cast):
    # when Olga creates a collective
    collective = collective_create(creator=cast.olga, **create_args())

    # then she is its one member, an active coordinator since now
    membership = Membership.objects.get(collective=collective)
    assert membership.user == cast.olga
    assert membership.is_coordinator
    assert membership.joined_at == NOW
    assert collective.created_by == cast.olga
    assert collective.created_at == NOW


def test_founding_bylaws_are_version_1_effective_today_with_a_ten_percent_treasury(cast):
    collective = collective_create(creator=cast.olga, **create_args())

    bylaws = Bylaws.objects.get(collective=collective)
    assert bylaws.version == 1
    assert bylaws.effective_from == dt.date(2025, 6, 2)
    assert bylaws.admission_rule == Bylaws.AdmissionRule.COORDINATOR
    assert bylaws.created_by == cast.olga
    assert list(bylaws.split_shares.values_list("recipient", "percent")) == [
        ("treasury", Decimal("10.00"))
    ]


def test_it_stores_the_chosen_treasury_share_and_admission_rule(cast):
    collective = collective_create(
        creator=cast.olga,
        **create_args(treasury_percent="12.5", admission_rule=Bylaws.AdmissionRule.OPEN),
    )

    bylaws = Bylaws.objects.get(collective=collective)
    assert bylaws.admission_rule == "open"
    assert bylaws.split_shares.get().percent == Decimal("12.50")


def test_it_normalises_slug_currency_and_country(cast):
    collective = collective_create(
        creator=cast.olga,
        **create_args(slug=" Nairobi-Books ", base_currency="kes", country="ke", name="  N B  "),
    )

    collective.refresh_from_db()
    assert (collective.slug, collective.base_currency, collective.country, collective.name) == (
        "nairobi-books",
        "KES",
        "KE",
        "N B",
    )


def test_it_creates_the_coworking_space(cast):
    collective = collective_create(
        creator=cast.olga,
        **create_args(
            coworking=CoworkingInput(" The Hub ", " Ngong Road 1 ", " Mon-Fri 08:00-20:00 ")
        ),
    )

    space = CoworkingSpace.objects.get(collective=collective)
    assert (space.name, space.address, space.opening_hours) == (
        "The Hub",
        "Ngong Road 1",
        "Mon-Fri 08:00-20:00",
    )


def test_a_remote_collective_needs_no_home(cast):
    collective = collective_create(
        creator=cast.olga, **create_args(city="", country="", is_remote=True)
    )

    assert (collective.is_remote, collective.city, collective.country) == (True, "", "")


@pytest.mark.parametrize(
    ("overrides", "error", "error_code", "field"),
    [
        ({"slug": "manila-va"}, Conflict, "slug_taken", "slug"),
        ({"slug": "MANILA-VA"}, Conflict, "slug_taken", "slug"),
        ({"slug": "new"}, Conflict, "slug_taken", "slug"),
        ({"slug": "nairobi books"}, ValidationFailed, "invalid_slug", "slug"),
        ({"slug": "-nairobi"}, ValidationFailed, "invalid_slug", "slug"),
        ({"slug": "nairobi--books"}, ValidationFailed, "invalid_slug", "slug"),
        ({"slug": "nairobi_books"}, ValidationFailed, "invalid_slug", "slug"),
        ({"slug": ""}, ValidationFailed, "invalid_slug", "slug"),
        ({"slug": "a" * 61}, ValidationFailed, "invalid_slug", "slug"),
        ({"name": "  "}, ValidationFailed, "required", "name"),
        ({"name": "n" * 121}, ValidationFailed, "too_long", "name"),
        ({"base_currency": "ABC"}, ValidationFailed, "invalid_currency", "base_currency"),
        ({"base_currency": "XAU"}, ValidationFailed, "invalid_currency", "base_currency"),
        ({"city": "", "country": ""}, ValidationFailed, "home_required", "city"),
        ({"country": ""}, ValidationFailed, "home_required", "country"),
        ({"city": "c" * 81}, ValidationFailed, "too_long", "city"),
        ({"country": "XX"}, ValidationFailed, "invalid_country", "country"),
        (
            {"treasury_percent": 101},
            ValidationFailed,
            "percentage_out_of_range",
            "treasury_percent",
        ),
        ({"treasury_percent": -1}, ValidationFailed, "percentage_out_of_range", "treasury_percent"),
        (
            {"treasury_percent": "10.001"},
            ValidationFailed,
            "invalid_percentage",
            "treasury_percent",
        ),
        ({"treasury_percent": "abc"}, ValidationFailed, "invalid_percentage", "treasury_percent"),
        (
            {"treasury_percent": "NaN"},
            ValidationFailed,
            "percentage_out_of_range",
            "treasury_percent",
        ),
        (
            {"admission_rule": "lottery"},
            ValidationFailed,
            "invalid_admission_rule",
            "admission_rule",
        ),
        (
            {"coworking": CoworkingInput("The Hub", "  ")},
            ValidationFailed,
            "required",
            "coworking_address",
        ),
        (
            {"coworking": CoworkingInput("", "Road 1")},
            ValidationFailed,
            "required",
            "coworking_name",
        ),
    ],
)
def test_it_refuses_a_bad_collective_and_creates_nothing(cast, overrides, error, error_code, field):
    # given the cast's two collectives
    before = row_counts()

    # when Olga tries to create a collective with one bad value
    with pytest.raises(error) as refused:
        collective_create(creator=cast.olga, **create_args(**overrides))

    # then it is refused naming the field, and no row was written
    assert type(refused.value) is error
    assert (refused.value.code, refused.value.field) == (error_code, field)
    assert row_counts() == before


def test_a_percentage_of_exactly_0_or_100_is_allowed(cast):
    collective_create(creator=cast.olga, **create_args(slug="zero", treasury_percent=0))
    collective_create(creator=cast.olga, **create_args(slug="all", treasury_percent="100.00"))

    assert sorted(
        SplitShare.objects.filter(bylaws__collective__slug__in=["zero", "all"]).values_list(
            "percent", flat=True
        )
    ) == [Decimal("0.00"), Decimal("100.00")]


# --- collective_update ------------------------------------------------------------


def snapshot(collective: Collective) -> dict[str, Any]:
    return {
        "collective": Collective.objects.filter(pk=collective.pk).values().get(),
        "space": list(CoworkingSpace.objects.filter(collective=collective).values()),
    }


def test_a_coordinator_edits_name_home_and_coworking_space(cast):
    # when Ana edits collective A
    collective = collective_update(
        collective=cast.collective_a,
        actor=cast.ana,
        name="Manila VAs",
        description=" New text ",
        city="Quezon City",
        country="ph",
        coworking=CoworkingInput("Desk Co", "Katipunan Ave"),
    )

    # then the row and its space hold the new values; slug and currency stay
    assert (collective.name, collective.description, collective.city, collective.country) == (
        "Manila VAs",
        "New text",
        "Quezon City",
        "PH",
    )
    assert (collective.slug, collective.base_currency) == ("manila-va", "PHP")
    assert CoworkingSpace.objects.get(collective=collective).name == "Desk Co"


def test_an_edit_without_a_coworking_space_removes_it(cast):
    collective_update(
        collective=cast.collective_a,
        actor=cast.ana,
        name="Manila VAs",
        city="Manila",
        country="PH",
        coworking=CoworkingInput("Desk Co", "Katipunan Ave"),
    )

    collective_update(
        collective=cast.collective_a, actor=cast.ana, name="Manila VAs", city="Manila", country="PH"
    )

    assert not CoworkingSpace.objects.filter(collective=cast.collective_a).exists()


@pytest.mark.parametrize("who", ["ben", "carla", "olga"])
def test_only_a_coordinator_may_edit_a_collective(cast, who):
    # Ben is a plain member of A, Carla coordinates B, Olga is an outsider
    before = snapshot(cast.collective_a)

    with pytest.raises(PermissionDenied) as refused:
        collective_update(
            collective=cast.collective_a,
            actor=getattr(cast, who),
            name="Taken over",
            is_remote=True,
        )

    assert (refused.value.code, refused.value.field) == ("not_coordinator", None)
    assert snapshot(cast.collective_a) == before


@pytest.mark.parametrize(
    ("overrides", "error_code", "field"),
    [
        ({"name": ""}, "required", "name"),
        ({"city": "", "is_remote": False}, "home_required", "city"),
        ({"country": "XX"}, "invalid_country", "country"),
        ({"coworking": CoworkingInput("Desk Co", "")}, "required", "coworking_address"),
    ],
)
def test_it_refuses_a_bad_edit_and_changes_nothing(cast, overrides, error_code, field):
    before = snapshot(cast.collective_a)
    values = {"name": "Renamed", "city": "Manila", "country": "PH", **overrides}

    with pytest.raises(ValidationFailed) as refused:
        collective_update(collective=cast.collective_a, actor=cast.ana, **values)

    assert (refused.value.code, refused.value.field) == (error_code, field)
    assert snapshot(cast.collective_a) == before
