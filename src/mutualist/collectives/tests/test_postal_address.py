"""A collective's postal address: written agreements with clients name it, so
coordinators keep it on the collective's edit page and through the API."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from mutualist.api.tests.support import assert_problem, patch_json, put_json
from mutualist.collectives.models import Collective
from mutualist.collectives.services import collective_update
from mutualist.core.errors import PermissionDenied, ValidationFailed
from mutualist.testing import Cast

ADDRESS = "Unit 4, 12 Jupiter St\nMakati 1209\nPhilippines"
A = "/api/v1/collectives/manila-va"
EDIT = {
    "name": "Manila Virtual Assistants",
    "description": "Virtual assistants in Manila.",
    "city": "Manila",
    "country": "PH",
    "coworking_name": "",
    "coworking_address": "",
    "coworking_opening_hours": "",
}


def address_of(slug: str = "manila-va") -> str:
    return Collective.objects.get(slug=slug).postal_address


# --- the service ------------------------------------------------------------------


def test_a_coordinator_sets_the_postal_address(cast: Cast):
    collective_update(
        collective=cast.collective_a,
        actor=cast.ana,
        name="Manila Virtual Assistants",
        city="Manila",
        country="PH",
        postal_address=f"  {ADDRESS}\n ",
    )

    assert address_of() == ADDRESS


def test_an_edit_that_does_not_mention_the_address_keeps_it(cast: Cast):
    Collective.objects.filter(pk=cast.collective_a.pk).update(postal_address=ADDRESS)

    collective_update(
        collective=cast.collective_a, actor=cast.ana, name="Manila VAs", city="Manila", country="PH"
    )

    assert address_of() == ADDRESS


def test_it_refuses_an_address_too_long_and_changes_nothing(cast: Cast):
    with pytest.raises(ValidationFailed) as refused:
        collective_update(
            collective=cast.collective_a,
            actor=cast.ana,
            name="Renamed",
            city="Manila",
            country="PH",
            postal_address="x" * 501,
        )

    assert (refused.value.code, refused.value.field) == ("too_long", "postal_address")
    assert (address_of(), Collective.objects.get(slug="manila-va").name) == (
        "",
        "Manila Virtual Assistants",
    )


def test_a_member_who_is_not_a_coordinator_cannot_set_it(cast: Cast):
    with pytest.raises(PermissionDenied) as refused:
        collective_update(
            collective=cast.collective_a,
            actor=cast.ben,
            name="Manila Virtual Assistants",
            city="Manila",
            country="PH",
            postal_address=ADDRESS,
        )

    assert refused.value.code == "not_coordinator"
    assert address_of() == ""


# --- the edit page ----------------------------------------------------------------


def test_the_edit_page_shows_and_saves_the_postal_address(cast: Cast, client_for):
    ana = client_for(cast.ana)

    response = ana.post("/collectives/manila-va/edit/", {**EDIT, "postal_address": ADDRESS})

    assert response.status_code == 302
    assert address_of() == ADDRESS
    form = ana.get("/collectives/manila-va/edit/").context["form"]
    assert form.initial["postal_address"] == ADDRESS


def test_the_edit_page_refuses_a_too_long_address_on_its_field(cast: Cast, client_for):
    response = client_for(cast.ana).post(
        "/collectives/manila-va/edit/", {**EDIT, "postal_address": "x" * 501}
    )

    assert response.status_code == 200
    assert "postal_address" in response.context["form"].errors
    assert address_of() == ""


@pytest.mark.parametrize(("who", "status"), [("ben", 403), ("carla", 404), ("olga", 404)])
def test_only_a_coordinator_may_post_the_address(cast: Cast, client_for, who, status):
    response = client_for(getattr(cast, who)).post(
        "/collectives/manila-va/edit/", {**EDIT, "postal_address": ADDRESS}
    )

    assert response.status_code == status
    assert address_of() == ""


# --- the API ----------------------------------------------------------------------


def test_put_sets_the_address_and_members_read_it(cast: Cast, client_for):
    response = put_json(
        client_for(cast.ana),
        A,
        {"name": "Manila VAs", "city": "Manila", "country": "PH", "postal_address": ADDRESS},
    )

    assert response.status_code == 200, response.content
    assert json.loads(response.content)["postal_address"] == ADDRESS
    assert json.loads(client_for(cast.ben).get(A).content)["postal_address"] == ADDRESS


def test_patch_changes_the_address_alone_and_null_keeps_it(cast: Cast, client_for):
    ana = client_for(cast.ana)

    patch_json(ana, A, {"postal_address": ADDRESS})
    patch_json(ana, A, {"description": "New words", "postal_address": None})

    collective = Collective.objects.get(slug="manila-va")
    assert (collective.postal_address, collective.description) == (ADDRESS, "New words")


def test_the_address_is_hidden_from_everyone_but_members(cast: Cast, client: Client, client_for):
    Collective.objects.filter(pk=cast.collective_a.pk).update(postal_address=ADDRESS)

    for viewer in (client, client_for(cast.olga), client_for(cast.carla)):
        body = json.loads(viewer.get(A).content)
        assert body["postal_address"] is None
        assert "Jupiter" not in json.dumps(body)


def test_the_api_refuses_an_address_too_long(cast: Cast, client_for):
    response = patch_json(client_for(cast.ana), A, {"postal_address": "x" * 501})

    assert_problem(response, 422, "too_long")
    assert address_of() == ""
