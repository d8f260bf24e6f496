"""Reads for the pitch builder's team proposals: the facts ``work.matching``
turns into a matching engine instance.

A pitch's job roles with the draft's bill rates, and the collective's
members with their skills, profile rate, weekly capacity, the hours they
have committed on other live engagements and their shifts there, and their
weekly availability. The engagement the pitch itself became (if it was
accepted) is left out of "elsewhere", as the live check leaves it out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from mutualist.core.money import Money
from mutualist.members.availability import Window
from mutualist.members.models import AvailabilityWindow, MemberSkill, User
from mutualist.work.coverage import HourWindow, monday_of
from mutualist.work.matching import MemberFacts, RoleFacts
from mutualist.work.models import Pitch
from mutualist.work.selectors.pitches import job_roles_of, pitch_team
from mutualist.work.selectors.shifts import committed_hours, seats_of, shift_occurrences


def role_facts(*, pitch: Pitch) -> list[RoleFacts]:
    """The job's roles in their order, each with the draft's bill rate (or None)."""
    rates = pitch_team(pitch=pitch).rates
    return [
        RoleFacts(
            key=role.pk,
            title=str(role),
            kind=role.kind,
            skill=role.skill_id,
            skill_name=role.skill.name,
            coverage=tuple(
                HourWindow(w.weekday, w.start_hour, w.end_hour)
                for w in sorted(role.coverage.all(), key=lambda w: (w.weekday, w.start_hour))
            ),
            flexible_hours=role.flexible_hours,
            bill_rate=rates.get(role.pk),
        )
        for role in job_roles_of(pitch.job)
    ]


def member_facts(*, pitch: Pitch, users: Sequence[User], week: dt.date) -> list[MemberFacts]:
    """``users`` (active members of the pitch's collective, profiles loaded)
    as the engine needs them for the week of ``week``, in the order given."""
    monday = monday_of(week)
    ids = [user.pk for user in users]
    skills: dict[int, set[int]] = {}
    for user_id, skill_id in MemberSkill.objects.filter(profile__user_id__in=ids).values_list(
        "profile__user_id", "skill_id"
    ):
        skills.setdefault(user_id, set()).add(skill_id)
    windows: dict[int, list[Window]] = {}
    for user_id, weekday, start_time, end_time in (
        AvailabilityWindow.objects.filter(profile__user_id__in=ids)
        .order_by("weekday", "start", "pk")
        .values_list("profile__user_id", "weekday", "start", "end")
    ):
        windows.setdefault(user_id, []).append(Window(weekday, start_time, end_time))
    # Shifts elsewhere from the Sunday before the week before to the Tuesday
    # after the week after: the availability the engine gets spans those weeks.
    zone = ZoneInfo(pitch.job.timezone)
    start = dt.datetime.combine(monday, dt.time(0), tzinfo=zone).astimezone(dt.UTC)
    start -= dt.timedelta(days=8)
    end = start + dt.timedelta(days=8 + 7 + 9)
    facts = []
    for user in users:
        profile = user.profile
        seats = [seat for seat in seats_of(user) if seat.engagement.pitch_id != pitch.pk]
        busy = shift_occurrences(user=user, start=start, end=end, seats=seats)
        facts.append(
            MemberFacts(
                key=user.pk,
                handle=profile.handle,
                name=user.display_name,
                timezone=profile.timezone,
                skills=frozenset(skills.get(user.pk, ())),
                rate=(
                    Money.from_minor(profile.rate_minor, profile.rate_currency)
                    if profile.rate_minor is not None
                    else None
                ),
                capacity_hours=profile.weekly_capacity_hours,
                committed_hours=committed_hours(seats=seats),
                availability=tuple(windows.get(user.pk, ())),
                busy=tuple((occurrence.start, occurrence.end) for occurrence in busy),
            )
        )
    return facts
