"""The world the team-proposal tests start from: ``test_pitches_world``'s
draft (collective A's pitch for Harbour's support and books job, from
Monday 7 December 2026: support Mon-Fri 09:00-17:00 Sydney at 25.00 AUD,
books 6 flexible hours at 30.00) with members who can staff it.

Sydney is at UTC+11 in December, so its 09:00-17:00 is 06:00-14:00 in
Manila and 03:30-11:30 in Kolkata.

- Cora (Manila, customer support, 18.00 AUD, 40 h) is free Mon-Fri
  06:00-14:00 her time: every support hour.
- Dev (Kolkata, customer support, 15.00 AUD, 20 h) is free Mon-Fri
  03:30-11:30 his time, every support hour too, but has 20 hours.
- Ben (Lagos, bookkeeping, 24.00 AUD, 40 h, 10 committed on Harbour) is
  free every day 08:00-20:00 his time.
- Ana, the coordinator, has customer support at 10.00 AUD, the cheapest, and
  is free when the job needs her, but her Harbour shifts are those very
  hours (Mon-Fri 09:00-17:00 Sydney), 40 h of her 80.

The cheapest team: Dev 20 h and Cora 20 h of support, Ben 6 h of books:
20 x 15 + 20 x 18 + 6 x 24 = 804.00 AUD of pay for 40 x 25 + 6 x 30 =
1180.00 AUD billed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from mutualist.collectives.models import Membership
from mutualist.members.models import User
from mutualist.members.services.profiles import profile_set_availability, profile_set_skills
from mutualist.testing import Work, make_member
from mutualist.work.models import Pitch
from mutualist.work.tests.test_pitches_world import PitchWorld, build_pitch_world

WEEKDAYS = range(5)


@dataclass(frozen=True)
class MatchWorld:
    pitch_world: PitchWorld
    cora: User
    dev: User

    @property
    def work(self) -> Work:
        return self.pitch_world.work

    @property
    def pitch(self) -> Pitch:
        return self.pitch_world.pitch

    @property
    def ana(self) -> User:
        return self.work.cast.ana

    @property
    def ben(self) -> User:
        return self.work.cast.ben


def set_member(
    user: User,
    *,
    rate: str | None,
    currency: str = "AUD",
    capacity: int = 40,
    skills: dict[str, int] | None = None,
    windows: list[dict[str, Any]] | None = None,
) -> None:
    profile = user.profile
    profile.rate_minor = None if rate is None else int(Decimal(rate) * 100)
    profile.rate_currency = currency
    profile.weekly_capacity_hours = capacity
    profile.save()
    if skills is not None:
        profile_set_skills(user=user, skills=skills)
    if windows is not None:
        profile_set_availability(user=user, windows=windows)


def weekdays(start: str, end: str) -> list[dict[str, Any]]:
    return [{"weekday": day, "start": start, "end": end} for day in WEEKDAYS]


def join_a(user: User, work: Work) -> None:
    Membership.objects.create(
        collective=work.cast.collective_a,
        user=user,
        role=Membership.Role.MEMBER,
        state=Membership.State.ACTIVE,
        joined_at=work.cast.collective_a.created_at,
    )


def build_match_world(work: Work) -> MatchWorld:
    world = build_pitch_world(work)
    cora = make_member("cora@example.org", "Cora Lim", timezone="Asia/Manila")
    dev = make_member("dev@example.org", "Dev Patel", timezone="Asia/Kolkata")
    join_a(cora, work)
    join_a(dev, work)
    set_member(
        cora, rate="18.00", skills={"customer_support": 3}, windows=weekdays("06:00", "14:00")
    )
    set_member(
        dev,
        rate="15.00",
        capacity=20,
        skills={"customer_support": 2},
        windows=weekdays("03:30", "11:30"),
    )
    set_member(
        work.cast.ben,
        rate="24.00",
        skills={"bookkeeping": 3},
        windows=[{"weekday": day, "start": "08:00", "end": "20:00"} for day in range(7)],
    )
    set_member(
        work.cast.ana,
        rate="10.00",
        capacity=80,
        skills={"customer_support": 3},
        windows=weekdays("06:00", "14:00"),
    )
    return MatchWorld(world, cora, dev)


def test_the_world_has_four_members_of_a_and_a_draft_without_the_newcomers(work):
    world = build_match_world(work)

    assert world.pitch.state == Pitch.State.DRAFT
    assert sorted(
        Membership.objects.filter(collective=work.cast.collective_a).values_list(
            "user__profile__handle", flat=True
        )
    ) == ["ana-reyes", "ben-okafor", "cora-lim", "dev-patel"]
    assert world.pitch.team.count() == 2  # Ana on support, Ben on books
