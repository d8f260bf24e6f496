"""Engagements: status changes, the team's rates and caps, members joining and
leaving, and the agreement versions those changes make."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction

from mutualist.collectives.models import Collective, Membership
from mutualist.core.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from mutualist.members.models import Skill
from mutualist.testing import make_member
from mutualist.work.models import Agreement, Engagement, EngagementMember, EngagementShift
from mutualist.work.services.agreements import agreement_accept
from mutualist.work.services.engagements import (
    engagement_member_add,
    engagement_member_remove,
    engagement_member_update,
    engagement_set_status,
)
from mutualist.work.services.time import time_entry_record
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


def accept_both(world: Any) -> Agreement:
    """Dana accepts the latest version for the client, then Ana for the collective."""
    latest = Agreement.objects.filter(engagement=world.engagement).latest("version")
    agreement_accept(agreement=latest, by=world.dana)
    agreement_accept(agreement=latest, by=world.cast.ana)
    return latest


def seat_of(world: Any, user: Any) -> tuple[Any, ...]:
    seat = EngagementMember.objects.get(engagement=world.engagement, user=user)
    return (seat.bill_rate_minor, seat.weekly_cap_hours, seat.left_at)


def test_a_new_bill_rate_or_cap_makes_a_new_agreement_version(world):
    engagement_member_update(
        seat=world.ben_seat, by=world.cast.ana, bill_rate="32", weekly_cap_hours=8
    )

    [agreement] = Agreement.objects.filter(engagement=world.engagement)
    ben = next(item for item in agreement.terms["services"] if item["member"] == "Ben Okafor")
    assert (ben["bill_rate"], ben["weekly_hours"], ben["weekly_value"]) == ("32.00", 8, "256.00")


def test_a_new_rate_and_cap_reach_the_seat_only_when_both_parties_accept(world, time_machine):
    # given Ben's seat at 30.00 and 10 h a week, as both parties accepted
    assert seat_of(world, world.cast.ben) == (3000, 10, None)

    # when Ana proposes 99.00 and 80 h
    engagement_member_update(
        seat=world.ben_seat, by=world.cast.ana, bill_rate="99.00", weekly_cap_hours=80
    )

    # then the seat keeps what was accepted, and time is capped by it
    assert seat_of(world, world.cast.ben) == (3000, 10, None)
    time_machine.move_to(dt.datetime(2026, 12, 2, tzinfo=dt.UTC), tick=False)
    monday = dt.datetime(2026, 11, 30, 0, 0, tzinfo=dt.UTC)
    with transaction.atomic():
        time_entry_record(
            engagement=world.engagement, member=world.cast.ben, started_at=monday,
            ended_at=monday + dt.timedelta(hours=10), recorded_by=world.cast.ben,
        )  # fmt: skip
    with pytest.raises(DomainError) as over, transaction.atomic():
        time_entry_record(
            engagement=world.engagement, member=world.cast.ben,
            started_at=monday + dt.timedelta(hours=11),
            ended_at=monday + dt.timedelta(hours=12), recorded_by=world.cast.ben,
        )  # fmt: skip
    assert over.value.code == "over_weekly_cap"

    # when only the client has accepted, nothing changes yet
    latest = Agreement.objects.get(engagement=world.engagement)
    agreement_accept(agreement=latest, by=world.dana)
    assert seat_of(world, world.cast.ben) == (3000, 10, None)

    # when the collective accepts too, the seat takes the accepted terms
    agreement_accept(agreement=latest, by=world.cast.ana)
    assert seat_of(world, world.cast.ben) == (9900, 80, None)


def test_a_second_proposal_builds_on_the_pending_one_and_supersedes_it(world):
    engagement_member_update(seat=world.ben_seat, by=world.cast.ana, bill_rate="32")
    engagement_member_update(seat=world.ben_seat, by=world.cast.ana, weekly_cap_hours=12)
    v1, v2 = Agreement.objects.filter(engagement=world.engagement).order_by("version")

    with pytest.raises(Conflict) as superseded:
        agreement_accept(agreement=v1, by=world.dana)
    assert superseded.value.code == "agreement_superseded"
    accept_both(world)

    assert seat_of(world, world.cast.ben) == (3200, 12, None)
    assert v2.terms["total_weekly_value"] == "1384.00"  # 40 x 25 + 12 x 32


def test_a_pay_rate_change_applies_at_once_and_survives_a_pending_proposal(world):
    engagement_member_update(seat=world.ben_seat, by=world.cast.ana, bill_rate="32")
    engagement_member_update(seat=world.ben_seat, by=world.cast.ana, pay_rate="26")
    world.ben_seat.refresh_from_db()
    assert (world.ben_seat.bill_rate_minor, world.ben_seat.pay_rate_minor) == (3000, 2600)

    accept_both(world)

    world.ben_seat.refresh_from_db()
    assert (world.ben_seat.bill_rate_minor, world.ben_seat.pay_rate_minor) == (3200, 2600)


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

    agreement = engagement_member_add(
        engagement=world.engagement, by=world.cast.ana, member=dee.profile.handle,
        role_title="Monday support", skill="customer_support", bill_rate="25", pay_rate="20",
        weekly_cap_hours=8, shifts=[{"days": ["mon"], "start": "09:00", "end": "17:00"}],
    )  # fmt: skip

    assert [item["member"] for item in agreement.terms["services"]] == [
        "Ana Reyes",
        "Ben Okafor",
        "Dee Santos",
    ]
    # proposed, not seated, until both parties accept
    assert not EngagementMember.objects.filter(user=dee).exists()
    accept_both(world)
    seat = EngagementMember.objects.get(engagement=world.engagement, user=dee)
    assert (seat.role_title, seat.skill_id, seat.bill_rate_minor, seat.pay_rate_minor) == (
        "Monday support",
        Skill.objects.get(slug="customer_support").pk,
        2500,
        2000,
    )
    assert (seat.weekly_cap_hours, seat.joined_at) == (8, TODAY)
    assert list(seat.shifts.values_list("weekday", "start_hour", "end_hour")) == [(0, 9, 17)]


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
    first_joined = world.ben_seat.joined_at
    proposal = engagement_member_remove(seat=world.ben_seat, by=world.cast.ana)

    assert proposal.terms["total_weekly_value"] == "1000.00"
    assert seat_of(world, world.cast.ben) == (3000, 10, None)  # until both accept
    with pytest.raises(Conflict) as twice:
        engagement_member_remove(seat=world.ben_seat, by=world.cast.ana)
    assert twice.value.code == "seat_left"
    accept_both(world)
    assert seat_of(world, world.cast.ben) == (3000, 10, TODAY)
    with pytest.raises(Conflict) as left:
        engagement_member_update(seat=world.ben_seat, by=world.cast.ana, pay_rate="1")
    assert left.value.code == "seat_left"

    engagement_member_add(
        engagement=world.engagement, by=world.cast.ana, member=world.cast.ben.pk,
        role_title="Books", bill_rate="30", pay_rate="24", weekly_cap_hours=6,
    )  # fmt: skip
    accept_both(world)

    back = EngagementMember.objects.get(pk=world.ben_seat.pk)
    assert (back.left_at, back.weekly_cap_hours, back.joined_at) == (None, 6, first_joined)
    assert Agreement.objects.filter(engagement=world.engagement).count() == 2


def test_the_last_member_stays_on_the_team(world):
    engagement_member_remove(seat=world.ben_seat, by=world.cast.ana)
    accept_both(world)
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
