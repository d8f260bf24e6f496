"""A collective's billing settings: the numbering it chooses, and when clients
are reminded. Patterns are checked when they are saved, so no invoice ever
fails to be numbered at issue."""

from __future__ import annotations

from typing import Any

import pytest

from mutualist.billing.models import BillingSettings
from mutualist.billing.services import (
    billing_settings_get,
    billing_settings_update,
    reminder_days_of,
)
from mutualist.core.errors import DomainError, PermissionDenied, ValidationFailed
from mutualist.testing import Cast, billing_state

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("ledger_checked_after")]


def refused(error: type[DomainError], code: str, call: Any) -> DomainError:
    before = billing_state()
    with pytest.raises(error) as raised:
        call()
    assert raised.value.code == code, raised.value.message
    assert billing_state() == before
    return raised.value


def update(cast: Cast, **changes: str) -> BillingSettings:
    return billing_settings_update(collective=cast.collective_a, actor=cast.ana, **changes)


def test_a_collective_starts_with_defaults_made_on_first_use(cast: Cast) -> None:
    settings = billing_settings_get(cast.collective_a)

    assert (settings.number_prefix, settings.number_pattern, settings.credit_note_pattern) == (
        "MANILA",
        "{prefix}-{year}-{seq:04}",
        "{prefix}-CN-{year}-{seq:04}",
    )
    assert reminder_days_of(settings) == [-3, 1, 7, 14, 30]
    assert billing_settings_get(cast.collective_a).pk == settings.pk
    assert billing_settings_get(cast.collective_b).number_prefix == "REMOTE"


def test_a_coordinator_changes_the_numbering_and_the_words_on_invoices(cast: Cast) -> None:
    settings = update(
        cast,
        number_prefix=" mnl ",
        number_pattern="{prefix}/{year}/{seq:05}",
        credit_note_pattern="CN/{prefix}/{seq}",
        payment_instructions="  IBAN PH12 3456  ",
        late_payment_terms="Interest at 1 % a month.",
        reminder_days="7, -3,1",
    )

    assert (settings.number_prefix, settings.number_pattern, settings.credit_note_pattern) == (
        "MNL",
        "{prefix}/{year}/{seq:05}",
        "CN/{prefix}/{seq}",
    )
    assert settings.payment_instructions == "IBAN PH12 3456"
    assert settings.reminder_days == "-3,1,7"
    assert BillingSettings.objects.get(pk=settings.pk).number_prefix == "MNL"


@pytest.mark.parametrize(
    "pattern",
    [
        "{prefix}-{year}",  # no {seq}: numbers would repeat
        "{seq}-{seq}",
        "{prefix}-{seq",  # unmatched brace
        "{seq!r}",
        "{seq:x}",
        "{seq:099}",
        "{year:04}-{seq}",
        "{0}-{seq}",
        "{seq[0]}",
        "{prefix.__class__}-{seq}",
        "{client}-{seq}",
        "INV {seq}",  # a space in a number
        "INV#{seq}",
        "-{seq}",
        "",
        # fits the 60 characters of the setting, but with a 12-letter prefix and
        # a nine-digit sequence it would not fit the invoice's number column
        "{prefix}" + "A" * 44 + "{seq:08}",
    ],
)
def test_a_pattern_that_cannot_number_invoices_is_refused(cast: Cast, pattern: str) -> None:
    error = refused(
        ValidationFailed, "required" if not pattern else "invalid_number_pattern",
        lambda: update(cast, number_pattern=pattern),
    )  # fmt: skip
    assert error.field == "number_pattern"


def test_the_longest_pattern_that_fits_is_accepted(cast: Cast) -> None:
    # 12 (prefix) + 39 + 9 (seq) = 60 characters at most
    pattern = "{prefix}" + "A" * 39 + "{seq}"
    assert update(cast, number_pattern=pattern).number_pattern == pattern


def test_invoices_and_credit_notes_need_patterns_that_tell_them_apart(cast: Cast) -> None:
    error = refused(
        ValidationFailed,
        "invalid_number_pattern",
        lambda: update(cast, credit_note_pattern="{prefix}-{year}-{seq:04}"),
    )
    assert error.field == "credit_note_pattern"


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"number_prefix": ""}, "required", "number_prefix"),
        ({"number_prefix": "M N"}, "invalid_number_prefix", "number_prefix"),
        ({"number_prefix": "-MNL"}, "invalid_number_prefix", "number_prefix"),
        ({"number_prefix": "ÑANDU"}, "invalid_number_prefix", "number_prefix"),
        ({"number_prefix": "X" * 13}, "too_long", "number_prefix"),
        ({"payment_instructions": "x" * 2001}, "too_long", "payment_instructions"),
        ({"late_payment_terms": "\x00"}, "invalid_characters", "late_payment_terms"),
        ({"reminder_days": "1,,2"}, "invalid_reminder_days", "reminder_days"),
        ({"reminder_days": "soon"}, "invalid_reminder_days", "reminder_days"),
        ({"reminder_days": "400"}, "invalid_reminder_days", "reminder_days"),
        ({"reminder_days": "-61"}, "invalid_reminder_days", "reminder_days"),
        ({"reminder_days": "1,1"}, "invalid_reminder_days", "reminder_days"),
        ({"reminder_days": "1,2,3,4,5,6,7,8,9"}, "invalid_reminder_days", "reminder_days"),
    ],
)
def test_bad_settings_are_refused_and_change_nothing(
    cast: Cast, changes: dict[str, str], code: str, field: str
) -> None:
    billing_settings_get(cast.collective_a)
    error = refused(ValidationFailed, code, lambda: update(cast, **changes))
    assert error.field == field


def test_no_reminders_is_a_choice(cast: Cast) -> None:
    settings = update(cast, reminder_days="")
    assert (settings.reminder_days, reminder_days_of(settings)) == ("", [])


@pytest.mark.parametrize("who", ["ben", "carla", "olga"])
def test_only_a_coordinator_changes_the_billing_settings(cast: Cast, who: str) -> None:
    billing_settings_get(cast.collective_a)
    refused(
        PermissionDenied,
        "not_coordinator",
        lambda: billing_settings_update(
            collective=cast.collective_a, actor=getattr(cast, who), number_prefix="X"
        ),
    )
