"""Engagements: status changes, the team's rates and caps, members joining and
leaving, and the agreement versions those changes make."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from mutualist.collectives.models import Collective, Membership
from mutualist.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from mutualist.members.models import Skill
from mutualist.testing import make_member
from mutualist.work.models import Agreement, Engagement, EngagementMember, EngagementShift
from mutualist.work.services.engagements import (
    engagement_member_add,
    engagement_member_remove,
    engagement_member_update,
    engagement_set_status,
)
from mutualist.work.tests.test_pitches_world import A_ADDRESS, TODAY


@pytest.fixture
def world(work, time_machine):
    time_machine.move_to(TODAY, tick=False)
    Collective.objects.filter(slug="manila-va").update(postal_address=A_ADDRESS)
    return work


def rows() -> dict[str, Any]:
    return {
        "engagements": sorted(Engagement.objects.values_list("pk", "status", "ended_on")),
        "seats": sorted(
            EngagementMember.objects.values_list(
                "pk", "user_id", "bill_rate_minor", "pay_rate_minor", "weekly_cap_hours", "left_at"
            )
        ),
        "shifts": EngagementShift.objects.count(),
        "agreements": Agreement.objects.count(),
    }


# --- Status -------------------------------------------------------------------------


def test_a_coordinator_pauses_resumes_and_ends_an_engagement(world):
    engagement = world.engagement

    assert (
        engagement_set_status(engagement=engagement, by=world.cast.ana, status="paused").status
        == "paused"
    )
    assert (
        engagement_set_status(engagement=engagement, by=world.cast.ana, status="active").status
        == "active"
    )
    ended = engagement_set_status(engagement=engagement, by=world.cast.ana, status="ended")

    # 01:00 UTC on 27 November is midday in Sydney
    assert (ended.status, ended.ended_on) == ("ended", dt.date(2026, 11, 27))


@pytest.mark.parametrize(
    ("start", "wanted"),
    [
        ("ended", "active"),
        ("ended", "paused"),
        ("pending", "active"),
        ("pending", "paused"),
        ("active", "active"),
    ],
)
def test_it_refuses_a_status_change_the_rules_do_not_allow(world, start, wanted):
    Engagement.objects.filter(pk=world.engagement.pk).update(
        status=start, ended_on=dt.date(2026, 11, 20) if start == "ended" else None
    )
    before = rows()

    with pytest.raises(Conflict) as refused:
        engagement_set_status(engagement=world.engagement, by=world.cast.ana, status=wanted)

    assert refused.value.code == "status_change_not_allowed"
    assert rows() == before


def test_a_pending_engagement_may_be_called_off(world):
    Engagement.objects.filter(pk=world.engagement.pk).update(status="pending")

    ended = engagement_set_status(engagement=world.engagement, by=world.cast.ana, status="ended")

    assert ended.status == "ended"


def test_it_refuses_an_unknown_status_and_people_without_the_role(world):
    before = rows()

    with pytest.raises(ValidationFailed) as unknown:
        engagement_set_status(engagement=world.engagement, by=world.cast.ana, status="done")
    with pytest.raises(PermissionDenied) as ben:
        engagement_set_status(engagement=world.engagement, by=world.cast.ben, status="paused")
    with pytest.raises(NotFound):
        engagement_set_status(engagement=world.engagement, by=world.dana, status="paused")

    assert (unknown.value.code, ben.value.code) == ("invalid_engagement_status", "not_coordinator")
    assert rows() == before


# --- Rates and caps -----------------------------------------------------------------


def test_a_new_pay_rate_alone_makes_no_new_agreement_version(world):
    seat = engagement_member_update(seat=world.ben_seat, by=world.cast.ana, pay_rate="25.50")

    assert (seat.pay_rate_minor, seat.bill_rate_minor) == (2550, 3000)
    assert Agreement.objects.count() == 0


def test_a_new_bill_rate_or_cap_makes_a_new_agreement_version(world):
    engagement_member_update(
        seat=world.ben_seat, by=world.cast.ana, bill_rate="32", weekly_cap_hours=8
    )

    [agreement] = Agreement.objects.filter(engagement=world.engagement)
    ben = next(item for item in agreement.terms["services"] if item["member"] == "Ben Okafor")
    assert (ben["bill_rate"], ben["weekly_hours"], ben["weekly_value"]) == ("32.00", 8, "256.00")


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"pay_rate": "31.00"}, "pay_above_bill", "pay_rate"),
        ({"bill_rate": "20.00"}, "pay_above_bill", "pay_rate"),
        ({"pay_rate": "-1"}, "negative_rate", "pay_rate"),
        ({"bill_rate": "1.234"}, "too_many_decimals", "bill_rate"),
        ({"weekly_cap_hours": 0}, "invalid_weekly_cap", "weekly_cap_hours"),
        ({"weekly_cap_hours": 169}, "invalid_weekly_cap", "weekly_cap_hours"),
    ],
)
def test_it_refuses_bad_rates_and_caps_and_changes_nothing(world, change, code, field):
    before = rows()

    with pytest.raises(ValidationFailed) as refused:
        engagement_member_update(seat=world.ben_seat, by=world.cast.ana, **change)

    assert (refused.value.code, refused.value.field) == (code, field)
    assert rows() == before


def test_ben_cannot_raise_his_own_pay(world):
    before = rows()

    with pytest.raises(PermissionDenied):
        engagement_member_update(seat=world.ben_seat, by=world.cast.ben, pay_rate="29")

    assert rows() == before


# --- Joining and leaving ------------------------------------------------------------


def test_a_coordinator_adds_a_member_with_shifts_and_a_new_version(world):
    dee = make_member("dee@example.org", "Dee Santos", timezone="Asia/Manila")
    Membership.objects.create(
        collective=world.cast.collective_a, user=dee, role="member", state="active",
        joined_at=TODAY,
    )  # fmt: skip

    seat = engagement_member_add(
        engagement=world.engagement, by=world.cast.ana, member=dee.profile.handle,
        role_title="Weekend support", skill="customer_support", bill_rate="25", pay_rate="20",
        weekly_cap_hours=8, shifts=[{"days": ["sat"], "start": "09:00", "end": "17:00"}],
    )  # fmt: skip

    assert (seat.role_title, seat.skill_id, seat.bill_rate_minor, seat.weekly_cap_hours) == (
        "Weekend support",
        Skill.objects.get(slug="customer_support").pk,
        2500,
        8,
    )
    assert list(seat.shifts.values_list("weekday", "start_hour", "end_hour")) == [(5, 9, 17)]
    agreement = Agreement.objects.get(engagement=world.engagement)
    assert [item["member"] for item in agreement.terms["services"]] == [
        "Ana Reyes",
        "Ben Okafor",
        "Dee Santos",
    ]


@pytest.mark.parametrize(
    ("member", "overrides", "error", "code"),
    [
        ("carla", {}, ValidationFailed, "team_member_unknown"),
        ("olga", {}, ValidationFailed, "team_member_unknown"),
        ("ben", {}, Conflict, "seat_exists"),
        ("ben", {"skill": "juggling"}, ValidationFailed, "unknown_skill"),
        ("ben", {"role_title": " "}, ValidationFailed, "required"),
        ("ben", {"pay_rate": "40"}, ValidationFailed, "pay_above_bill"),
        (
            "ben",
            {"shifts": [{"days": ["sat"], "start": "9", "end": "17:00"}]},
            ValidationFailed,
            "invalid_time",
        ),
    ],
)
def test_it_refuses_a_bad_new_member_and_changes_nothing(world, member, overrides, error, code):
    values: dict[str, Any] = {
        "engagement": world.engagement, "by": world.cast.ana,
        "member": getattr(world.cast, member).pk, "role_title": "Extra", "bill_rate": "30",
        "pay_rate": "20", "weekly_cap_hours": 5,
    }  # fmt: skip
    values.update(overrides)
    before = rows()

    with pytest.raises(error) as refused:
        engagement_member_add(**values)

    assert refused.value.code == code
    assert rows() == before


def test_a_member_taken_off_keeps_their_seat_row_and_may_come_back(world):
    seat = engagement_member_remove(seat=world.ben_seat, by=world.cast.ana)

    assert seat.left_at == TODAY
    assert (
        Agreement.objects.get(engagement=world.engagement).terms["total_weekly_value"] == "1000.00"
    )
    with pytest.raises(Conflict) as twice:
        engagement_member_remove(seat=world.ben_seat, by=world.cast.ana)
    assert twice.value.code == "seat_left"
    with pytest.raises(Conflict) as left:
        engagement_member_update(seat=world.ben_seat, by=world.cast.ana, pay_rate="1")
    assert left.value.code == "seat_left"

    back = engagement_member_add(
        engagement=world.engagement, by=world.cast.ana, member=world.cast.ben.pk,
        role_title="Books", bill_rate="30", pay_rate="24", weekly_cap_hours=6,
    )  # fmt: skip

    assert (back.pk, back.left_at) == (world.ben_seat.pk, None)
    assert Agreement.objects.filter(engagement=world.engagement).count() == 2


def test_the_last_member_stays_on_the_team(world):
    engagement_member_remove(seat=world.ben_seat, by=world.cast.ana)
    before = rows()

    with pytest.raises(Conflict) as refused:
        engagement_member_remove(seat=world.ana_seat, by=world.cast.ana)

    assert refused.value.code == "last_team_member"
    assert rows() == before


def test_nothing_changes_on_an_ended_engagement(world):
    engagement_set_status(engagement=world.engagement, by=world.cast.ana, status="ended")
    world.ben_seat.refresh_from_db()
    before = rows()

    with pytest.raises(Conflict) as refused:
        engagement_member_update(seat=world.ben_seat, by=world.cast.ana, pay_rate="1")

    assert refused.value.code == "engagement_ended"
    assert rows() == before
