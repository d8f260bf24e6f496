"""Versioned bylaws: adopting a new version, and which version is in force."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from mutualist.collectives.models import Bylaws, SplitShare
from mutualist.collectives.selectors import bylaws_history, bylaws_in_force
from mutualist.collectives.services import bylaws_adopt, split_shares_validate
from mutualist.core.errors import PermissionDenied, ValidationFailed

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 6, 2)


@pytest.fixture(autouse=True)
def _frozen_time(time_machine):
    time_machine.move_to(dt.datetime(2025, 6, 2, 9, 30, tzinfo=dt.UTC), tick=False)


def history(collective) -> list[dict[str, Any]]:
    """Every version with its shares, read fresh."""
    return [
        {
            **Bylaws.objects.filter(pk=bylaws.pk).values().get(),
            "shares": list(bylaws.split_shares.values_list("recipient", "percent")),
        }
        for bylaws in Bylaws.objects.filter(collective=collective).order_by("version")
    ]


def adopt(cast, **overrides: Any) -> Bylaws:
    values: dict[str, Any] = {
        "collective": cast.collective_a,
        "actor": cast.ana,
        "effective_from": TODAY + dt.timedelta(days=30),
        "treasury_percent": "15",
        "admission_rule": Bylaws.AdmissionRule.OPEN,
        "notes": " Lower the bar. ",
    }
    values.update(overrides)
    return bylaws_adopt(**values)


# --- bylaws_adopt -----------------------------------------------------------------


def test_a_coordinator_adopts_version_2_and_version_1_is_left_as_it_was(cast):
    # given collective A's founding bylaws
    (founding,) = history(cast.collective_a)

    # when Ana adopts a new version from 2 July
    bylaws = adopt(cast)

    # then it is version 2 with its own rules; version 1 is untouched
    assert bylaws.version == 2
    assert bylaws.effective_from == dt.date(2025, 7, 2)
    assert bylaws.admission_rule == "open"
    assert bylaws.notes == "Lower the bar."
    assert bylaws.created_by == cast.ana
    assert list(bylaws.split_shares.values_list("recipient", "percent")) == [
        ("treasury", Decimal("15.00"))
    ]
    assert history(cast.collective_a)[0] == founding


def test_versions_count_up_per_collective(cast):
    adopt(cast)
    third = adopt(cast, treasury_percent="20")
    other = adopt(cast, collective=cast.collective_b, actor=cast.carla)

    assert (third.version, other.version) == (3, 2)


def test_a_version_may_take_effect_today(cast):
    bylaws = adopt(cast, effective_from=TODAY)

    assert bylaws_in_force(collective=cast.collective_a) == bylaws


def test_it_refuses_an_effective_date_in_the_past_and_adopts_nothing(cast):
    before = history(cast.collective_a)

    with pytest.raises(ValidationFailed) as refused:
        adopt(cast, effective_from=TODAY - dt.timedelta(days=1))

    assert (refused.value.code, refused.value.field) == ("effective_date_in_past", "effective_from")
    assert history(cast.collective_a) == before


@pytest.mark.parametrize(
    ("percent", "error_code"),
    [
        (101, "percentage_out_of_range"),
        ("-1", "percentage_out_of_range"),
        ("10.001", "invalid_percentage"),
        ("abc", "invalid_percentage"),
        ("Infinity", "percentage_out_of_range"),
    ],
)
def test_it_refuses_a_bad_treasury_percentage_and_adopts_nothing(cast, percent, error_code):
    before = history(cast.collective_a)
    shares = SplitShare.objects.count()

    with pytest.raises(ValidationFailed) as refused:
        adopt(cast, treasury_percent=percent)

    assert (refused.value.code, refused.value.field) == (error_code, "treasury_percent")
    assert history(cast.collective_a) == before
    assert SplitShare.objects.count() == shares


def test_it_refuses_an_unknown_admission_rule(cast):
    before = history(cast.collective_a)

    with pytest.raises(ValidationFailed) as refused:
        adopt(cast, admission_rule="lottery")

    assert (refused.value.code, refused.value.field) == ("invalid_admission_rule", "admission_rule")
    assert history(cast.collective_a) == before


@pytest.mark.parametrize("who", ["ben", "carla", "olga"])
def test_only_a_coordinator_of_the_collective_adopts_bylaws(cast, who):
    before = history(cast.collective_a)

    with pytest.raises(PermissionDenied) as refused:
        adopt(cast, actor=getattr(cast, who))

    assert refused.value.code == "not_coordinator"
    assert history(cast.collective_a) == before


def test_split_shares_together_may_not_exceed_100_percent():
    with pytest.raises(ValidationFailed) as refused:
        split_shares_validate({"treasury": "60", "sick_pay": "40.01"})

    assert (refused.value.code, refused.value.field) == ("percentages_exceed_100", "split")
    assert split_shares_validate({"treasury": "60", "sick_pay": 40}) == {
        "treasury": Decimal("60.00"),
        "sick_pay": Decimal("40.00"),
    }


# --- bylaws_in_force --------------------------------------------------------------


def test_a_future_version_is_not_in_force_until_its_date(cast, time_machine):
    # given version 2 adopted to take effect on 2 July
    founding = bylaws_in_force(collective=cast.collective_a)
    second = adopt(cast)

    # then today version 1 is still in force, and on 1 July too
    assert bylaws_in_force(collective=cast.collective_a) == founding
    assert bylaws_in_force(collective=cast.collective_a, on=dt.date(2025, 7, 1)) == founding

    # when the clock reaches 2 July
    time_machine.move_to(dt.datetime(2025, 7, 2, 0, 0, tzinfo=dt.UTC), tick=False)

    # then version 2 is in force
    assert bylaws_in_force(collective=cast.collective_a) == second
    assert bylaws_in_force(collective=cast.collective_a).split_shares.get().percent == Decimal(
        "15.00"
    )


def test_a_date_before_the_founding_falls_back_to_version_1(cast):
    assert bylaws_in_force(collective=cast.collective_a, on=dt.date(2000, 1, 1)).version == 1


def test_a_later_decision_supersedes_an_earlier_one_scheduled_further_ahead(cast):
    # given version 2 takes effect on 1 August, then version 3 is adopted for 1 July
    second = adopt(cast, effective_from=dt.date(2025, 8, 1), treasury_percent="20")
    third = adopt(cast, effective_from=dt.date(2025, 7, 1), treasury_percent="12")

    # then version 3 governs from 1 July, and is not undone by version 2's date
    assert bylaws_in_force(collective=cast.collective_a, on=dt.date(2025, 7, 15)) == third
    assert bylaws_in_force(collective=cast.collective_a, on=dt.date(2025, 8, 15)) == third
    assert second.version == 2


def test_history_lists_every_version_newest_first(cast):
    adopt(cast)
    adopt(cast, treasury_percent="20")

    assert [bylaws.version for bylaws in bylaws_history(collective=cast.collective_a)] == [3, 2, 1]
