"""A collective's billing settings through the API: members read them,
coordinators change them, everyone else gets 404.

Collective A (manila-va): Ana coordinates, Ben is a member; Olga, Carla and
Harbour's contact Dana are not in it.
"""

from __future__ import annotations

from typing import Any

import pytest

from mutualist.api.tests.billing_support import NOON, A, issued_invoice, state
from mutualist.api.tests.support import assert_problem, bearer_client, patch_json
from mutualist.billing.models import BillingSettings
from mutualist.testing import Billed, Cast


@pytest.fixture(autouse=True)
def december(time_machine: Any) -> None:
    time_machine.move_to(NOON, tick=False)


def test_members_read_the_defaults_without_anything_being_written(cast: Cast) -> None:
    response = bearer_client(cast.ben).get(f"{A}/billing-settings")

    assert response.status_code == 200
    body = response.json()
    assert (body["number_prefix"], body["number_pattern"], body["credit_note_pattern"]) == (
        "MANILA",
        "{prefix}-{year}-{seq:04}",
        "{prefix}-CN-{year}-{seq:04}",
    )
    assert body["reminder_days"] == [-3, 1, 7, 14, 30]
    assert (body["next_invoice_number"], body["next_credit_note_number"]) == (
        "MANILA-2026-0001",
        "MANILA-CN-2026-0001",
    )
    assert not BillingSettings.objects.exists()


def test_a_coordinator_changes_the_numbering_and_the_next_invoice_follows_it(
    billed: Billed,
) -> None:
    response = patch_json(
        bearer_client(billed.work.cast.ana),
        f"{A}/billing-settings",
        {"number_prefix": "mnl", "number_pattern": "{prefix}/{year}/{seq:03}",
         "payment_instructions": "BPI 1234", "reminder_days": [14, -3, 1]},
    )  # fmt: skip

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["number_prefix"], body["number_pattern"]) == ("MNL", "{prefix}/{year}/{seq:03}")
    assert (body["payment_instructions"], body["reminder_days"]) == ("BPI 1234", [-3, 1, 14])
    assert body["next_invoice_number"] == "MNL/2026/001"
    invoice = issued_invoice(billed)
    assert (invoice.number, invoice.payment_instructions) == ("MNL/2026/001", "BPI 1234")
    after = bearer_client(billed.work.cast.ben).get(f"{A}/billing-settings").json()
    assert after["next_invoice_number"] == "MNL/2026/002"


def test_an_empty_list_of_reminder_days_sends_no_reminders(cast: Cast) -> None:
    response = patch_json(bearer_client(cast.ana), f"{A}/billing-settings", {"reminder_days": []})

    assert response.json()["reminder_days"] == []


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"number_pattern": "{prefix}-{year}"}, "invalid_number_pattern", "number_pattern"),
        ({"number_pattern": "{who}-{seq}"}, "invalid_number_pattern", "number_pattern"),
        ({"credit_note_pattern": "{prefix}-{year}-{seq:04}"}, "invalid_number_pattern",
         "credit_note_pattern"),
        ({"number_prefix": "M N"}, "invalid_number_prefix", "number_prefix"),
        ({"reminder_days": [1, 1]}, "invalid_reminder_days", "reminder_days"),
        ({"reminder_days": [400]}, "invalid_reminder_days", "reminder_days"),
        ({"reminder_days": ["1"]}, "validation_failed", "reminder_days.0"),
        ({"payment_instructions": "x" * 2001}, "too_long", "payment_instructions"),
        ({"colour": "blue"}, "validation_failed", "colour"),
    ],
)  # fmt: skip
def test_it_refuses_bad_settings_and_changes_nothing(
    cast: Cast, body: dict[str, Any], code: str, field: str
) -> None:
    bearer_client(cast.ana).get(f"{A}/billing-settings")
    before = list(BillingSettings.objects.values())

    response = patch_json(bearer_client(cast.ana), f"{A}/billing-settings", body)

    problem = assert_problem(response, 422, code)
    assert [error["field"] for error in problem["errors"]] == [field]
    assert list(BillingSettings.objects.values()) == before


@pytest.mark.parametrize(("who", "status"), [("ben", 403), ("olga", 404), ("carla", 404),
                                             ("dana", 404)])  # fmt: skip
def test_only_coordinators_change_the_settings(billed: Billed, who: str, status: int) -> None:
    person = billed.work.dana if who == "dana" else getattr(billed.work.cast, who)
    before = state()

    response = patch_json(bearer_client(person), f"{A}/billing-settings", {"number_prefix": "X"})

    assert_problem(response, status, "not_coordinator" if status == 403 else "not_found")
    assert state() == before
    assert not BillingSettings.objects.filter(number_prefix="X").exists()


@pytest.mark.parametrize("who", ["olga", "carla"])
def test_outsiders_do_not_read_the_settings(cast: Cast, who: str) -> None:
    assert_problem(bearer_client(getattr(cast, who)).get(f"{A}/billing-settings"), 404, "not_found")
