"""The staffing check built from rows: the work fixture's pitch, a team typed
but not saved, hours committed elsewhere, and a Sydney job across the clock
changes."""

from __future__ import annotations

import datetime as dt

import pytest

from mutualist.core.money import Money
from mutualist.members.models import AvailabilityWindow, Skill
from mutualist.work.coverage import HourWindow
from mutualist.work.models import (
    CoverageWindow,
    Job,
    JobRole,
    Pitch,
    PitchMember,
    PitchRole,
    PitchShift,
)
from mutualist.work.selectors.pitches import DraftLine, DraftTeam, pitch_check, pitch_team
from mutualist.work.tests.test_pitches_world import TODAY, build_pitch_world


def test_the_work_fixtures_pitch_staffs_all_40_hours_and_costs_1180_aud(work):
    # when the check runs for the job's start week (Monday 30 November 2026)
    result = pitch_check(pitch=work.pitch)

    # then every Mon-Fri 09-17 Sydney hour is staffed by Ana
    [support, books] = result.roles
    assert result.week == dt.date(2026, 11, 30)
    assert (support.required_hours, support.staffed_hours, support.unstaffed) == (40, 40, [])
    assert {slot.staffed_by for slot in support.slots} == {(work.cast.ana.pk,)}
    # and Ben's 6 flexible hours are the 6 asked for
    assert (books.hours, books.required_hours) == (6, 6)
    # and the week costs 40 x 25.00 + 6 x 30.00
    assert (support.price, books.price) == (Money("1000.00", "AUD"), Money("180.00", "AUD"))
    assert result.total == Money("1180.00", "AUD")


def test_the_engagement_the_pitch_became_is_not_counted_as_elsewhere(work):
    result = pitch_check(pitch=work.pitch)

    loads = {load.member.name: load for load in result.members}
    assert (loads["Ana Reyes"].pitch_hours, loads["Ana Reyes"].committed_hours) == (40, 0)
    assert (loads["Ben Okafor"].pitch_hours, loads["Ben Okafor"].committed_hours) == (6, 0)
    assert loads["Ana Reyes"].clashes == ()
    assert not loads["Ana Reyes"].overloaded


def test_a_new_pitch_sees_anas_40_hours_on_harbour_and_her_clashing_shifts(work, time_machine):
    time_machine.move_to(TODAY, tick=False)
    world = build_pitch_world(work)

    result = pitch_check(pitch=world.pitch)

    ana = next(load for load in result.members if load.member.key == work.cast.ana.pk)
    assert (ana.pitch_hours, ana.committed_hours, ana.total_hours, ana.capacity_hours) == (
        40,
        40,
        80,
        40,
    )
    assert ana.overloaded
    assert len(ana.clashes) == 40  # the same hours as her Harbour shifts
    assert any(f.startswith("Ana Reyes already works Mon 09:00-17:00") for f in result.findings)


def test_availability_comes_from_the_members_profile_in_their_zone(work):
    # Ana (Manila) is available 07:00-15:00 her time: 10:00-18:00 in Sydney
    for day in range(5):
        AvailabilityWindow.objects.create(
            profile=work.cast.ana.profile, weekday=day, start=dt.time(7), end=dt.time(15)
        )

    result = pitch_check(pitch=work.pitch)

    assert "Support: Mon 09:00-10:00 is outside Ana Reyes's availability." in result.findings
    assert len(result.members[0].outside_availability) == 5


def test_a_team_typed_but_not_saved_is_checked_without_writing(work):
    before = (PitchMember.objects.count(), PitchShift.objects.count(), PitchRole.objects.count())
    saved = pitch_team(pitch=work.pitch)
    half = DraftTeam(
        rates=saved.rates,
        lines=(
            DraftLine(
                user=work.cast.ben,
                job_role=work.support_role,
                pay_rate=Money("20", "AUD"),
                shifts=(HourWindow(0, 9, 17), HourWindow(1, 9, 17)),
            ),
        ),
    )

    result = pitch_check(pitch=work.pitch, team=half)

    assert (result.roles[0].staffed_hours, result.roles[0].unstaffed_hours) == (16, 24)
    assert result.total == Money("400.00", "AUD")
    assert (
        PitchMember.objects.count(),
        PitchShift.objects.count(),
        PitchRole.objects.count(),
    ) == before


def test_the_viewer_may_pick_another_week(work):
    result = pitch_check(pitch=work.pitch, week=dt.date(2027, 1, 13))

    assert result.week == dt.date(2027, 1, 11)
    assert result.roles[0].staffed_hours == 40


@pytest.fixture
def night_pitch(work):
    """A Sydney job covering Sunday 00:00-06:00, with Ana proposed for it."""
    job = Job.objects.create(
        client=work.harbour, posted_by=work.dana, title="Sunday nights",
        description="Watch the overnight queue.", start_date=dt.date(2027, 4, 1),
        timezone="Australia/Sydney", budget_kind=Job.BudgetKind.HOURLY, currency="AUD",
    )  # fmt: skip
    role = JobRole.objects.create(
        job=job, skill=Skill.objects.get(slug="customer_support"), title="Nights",
        kind=JobRole.Kind.COVERAGE,
    )  # fmt: skip
    CoverageWindow.objects.create(role=role, weekday=6, start_hour=0, end_hour=6)
    pitch = Pitch.objects.create(
        job=job, collective=work.cast.collective_a, created_by=work.cast.ana, currency="AUD"
    )
    PitchRole.objects.create(pitch=pitch, job_role=role, bill_rate_minor=4000)
    line = PitchMember.objects.create(
        pitch=pitch, job_role=role, user=work.cast.ana, pay_rate_minor=3000
    )
    PitchShift.objects.create(member=line, weekday=6, start_hour=0, end_hour=6)
    return pitch


@pytest.mark.parametrize(
    ("week", "slots"),
    [
        (None, 6),  # the start week holds Sunday 4 April 2027: clocks go back, 02:00 counts once
        (dt.date(2027, 9, 27), 5),  # Sunday 3 October 2027: 02:00 is skipped
    ],
)
def test_the_check_of_a_sydney_job_across_a_clock_change(night_pitch, week, slots):
    result = pitch_check(pitch=night_pitch, week=week)

    [nights] = result.roles
    assert (nights.required_hours, nights.staffed_hours, nights.hours) == (slots, slots, slots)
    assert result.total == Money("40.00", "AUD") * slots
