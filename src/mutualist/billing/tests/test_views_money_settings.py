"""A collective's billing settings on the web: members read them, coordinators
change them, and both see the number the next invoice will get.

With the ``paid`` fixture (``money_helpers.build_paid``) collective A has issued
MANILA-2026-0001, so its next invoice is MANILA-2026-0002 and its first
credit note MANILA-CN-2026-0001. The clock stands at 8 December 2026.
"""

from __future__ import annotations

from typing import Any

import pytest

from mutualist.billing.models import BillingSettings, InvoiceCounter
from mutualist.billing.tests.money_helpers import (
    NOW,
    A,
    Paid,
    assert_login_redirect,
    build_paid,
    messages_of,
    plain,
    text_of,
    url,
)
from mutualist.testing import Billed, Cast


@pytest.fixture
def frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def paid(billed: Billed, frozen: None) -> Paid:
    return build_paid(billed)


def settings_state() -> list[Any]:
    return list(BillingSettings.objects.order_by("pk").values())


def counters() -> list[tuple[str, int]]:
    return list(InvoiceCounter.objects.order_by("pk").values_list("series", "last_seq"))


def settings_data(**overrides: str) -> dict[str, str]:
    data = {
        "number_prefix": "MANILA",
        "number_pattern": "{prefix}-{year}-{seq:04}",
        "credit_note_pattern": "{prefix}-CN-{year}-{seq:04}",
        "payment_instructions": "BPI 1234-5678-90, Manila Virtual Assistants",
        "late_payment_terms": "1% a month after the due date.",
        "reminder_days": "-3, 1, 7",
    }
    data.update(overrides)
    return data


def test_a_member_reads_the_settings_and_the_next_numbers(paid: Paid, client_for: Any) -> None:
    response = client_for(paid.cast.ben).get(url("settings", slug=A))

    assert response.status_code == 200
    assert response.context["form"] is None
    page = plain(response)
    assert "The next invoice: MANILA-2026-0002" in page
    assert "The next credit note: MANILA-CN-2026-0001" in page
    assert "Invoice numbers {prefix}-{year}-{seq:04}" in page
    assert (
        "Reminders 3 days before the due date, 1 day after, 7 days after, 14 days after, "
        "30 days after" in page
    )
    assert "Only a coordinator changes them." in page
    assert "<form" not in text_of(response).split('id="content"')[1]


def test_reading_the_settings_writes_nothing(cast: Cast, frozen: None, client_for: Any) -> None:
    response = client_for(cast.ana).get(url("settings", slug=A))

    assert "The next invoice: MANILA-2026-0001" in plain(response)
    assert response.context["form"]["number_prefix"].value() == "MANILA"
    assert not BillingSettings.objects.exists()
    assert not InvoiceCounter.objects.exists()


def test_a_coordinator_changes_the_numbering_and_sees_the_next_number(
    paid: Paid, client_for: Any
) -> None:
    ana = client_for(paid.cast.ana)

    response = ana.post(
        url("settings", slug=A),
        settings_data(number_prefix="mnl", number_pattern="{prefix}/{year}/{seq:05}"),
    )

    assert response.status_code == 302
    assert response["Location"] == url("settings", slug=A)
    assert messages_of(response) == [
        "Saved the billing settings. Invoices issued from now on use them."
    ]
    saved = BillingSettings.objects.get(collective=paid.cast.collective_a)
    assert (saved.number_prefix, saved.number_pattern, saved.reminder_days) == (
        "MNL",
        "{prefix}/{year}/{seq:05}",
        "-3,1,7",
    )
    assert saved.payment_instructions == "BPI 1234-5678-90, Manila Virtual Assistants"
    assert "The next invoice: MNL/2026/00002" in plain(ana.get(url("settings", slug=A)))


def test_every_mistake_in_the_settings_shows_at_once_and_nothing_changes(
    paid: Paid, client_for: Any
) -> None:
    before = settings_state()

    response = client_for(paid.cast.ana).post(
        url("settings", slug=A),
        settings_data(number_pattern="{prefix}-{seq}-{seq}", reminder_days="-3, soon"),
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["number_pattern"] == [
        "The pattern needs {seq} exactly once: it is what makes each number unique."
    ]
    assert errors["reminder_days"] == ["'soon' is not a number of days; write them like -3, 1, 7."]
    assert settings_state() == before


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"number_prefix": "mnl!"}, "number_prefix", "A prefix is 1 to 12 capital letters"),
        (
            {"credit_note_pattern": "{prefix}-{year}-{seq:04}"},
            "credit_note_pattern",
            "Invoices and credit notes need patterns that tell them apart",
        ),
        ({"number_pattern": "{client}-{seq}"}, "number_pattern", "{client} is not a placeholder"),
        ({"number_pattern": "{prefix} {seq}"}, "number_pattern", "is not a usable number"),
        ({"reminder_days": "1, 1"}, "reminder_days", "Give up to 8 different days."),
        ({"payment_instructions": "x" * 2001}, "payment_instructions", "at most 2000 characters"),
    ],
)
def test_bad_settings_are_refused_on_their_field_and_change_nothing(
    paid: Paid, client_for: Any, overrides: dict[str, str], field: str, message: str
) -> None:
    before = settings_state()

    response = client_for(paid.cast.ana).post(url("settings", slug=A), settings_data(**overrides))

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert settings_state() == before


def test_a_member_may_not_change_the_settings(paid: Paid, client_for: Any) -> None:
    before = settings_state()

    response = client_for(paid.cast.ben).post(
        url("settings", slug=A), settings_data(number_prefix="BEN")
    )

    assert response.status_code == 403
    assert settings_state() == before


@pytest.mark.parametrize("who", ["carla", "olga"])
def test_outsiders_find_no_billing_settings(paid: Paid, client_for: Any, who: str) -> None:
    user = getattr(paid.cast, who)
    before = settings_state()

    assert client_for(user).get(url("settings", slug=A)).status_code == 404
    assert client_for(user).post(url("settings", slug=A), settings_data()).status_code == 404
    assert client_for(user).get(url("settings_preview", slug=A)).status_code == 404
    assert settings_state() == before


def test_anonymous_visitors_are_sent_to_log_in_for_billing_settings(
    paid: Paid, client: Any
) -> None:
    assert_login_redirect(client.get(url("settings", slug=A)))
    assert_login_redirect(client.post(url("settings", slug=A), settings_data()))
    assert_login_redirect(client.get(url("settings_preview", slug=A)))


# --- The live preview -----------------------------------------------------------------------


def test_the_preview_shows_what_a_pattern_being_typed_would_give_without_taking_a_number(
    paid: Paid, client_for: Any
) -> None:
    before = counters()

    response = client_for(paid.cast.ana).get(
        url("settings_preview", slug=A),
        {
            "number_prefix": "mnl",
            "number_pattern": "INV-{year}{seq:03}",
            "credit_note_pattern": "{prefix}-CN-{seq",
        },
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    page = plain(response)
    assert "The next invoice: INV-2026002" in page
    assert "The next credit note: Braces in the pattern do not match" in page
    assert "<html" not in text_of(response)
    assert counters() == before


def test_the_preview_warns_of_a_number_an_earlier_invoice_already_has(
    paid: Paid, client_for: Any
) -> None:
    # A pattern without {year} starts a new series at 1, giving MANILA-2026-0001 again.
    response = client_for(paid.cast.ana).get(
        url("settings_preview", slug=A),
        {
            "number_prefix": "MANILA",
            "number_pattern": "{prefix}-2026-{seq:04}",
            "credit_note_pattern": "{prefix}-CN-{seq}",
        },
    )

    assert "The next invoice: MANILA-2026-0001 an earlier invoice already has this number" in plain(
        response
    )


def test_a_member_gets_no_preview(paid: Paid, client_for: Any) -> None:
    assert client_for(paid.cast.ben).get(url("settings_preview", slug=A)).status_code == 403


def test_the_coordinators_form_asks_for_the_preview_as_they_type(
    paid: Paid, client_for: Any
) -> None:
    response = client_for(paid.cast.ana).get(url("settings", slug=A))

    assert f'hx-get="{url("settings_preview", slug=A)}"' in text_of(response)
    assert 'hx-target="#number-preview"' in text_of(response)
    assert "<code>{seq:04}</code> the invoice's place in the series" in text_of(response)
