"""The pitch builder's adapter to the matching engine, without a database:
who is considered with which rate, capacity and free time; the instance
it builds; and the engine's answer read back as weekly shifts on the job's
wall clock, across daylight-saving changes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from mutualist.core.money import Money
from mutualist.engines.matching import MatchResult, Shift, TeamLine, solve
from mutualist.members.availability import Window as AvailabilityWindow
from mutualist.work.coverage import HourWindow, slots_of
from mutualist.work.matching import (
    Choices,
    MemberFacts,
    RoleFacts,
    candidates_of,
    engine_words,
    instance_build,
    proposal_read,
    slot_windows,
    subtract,
)
from mutualist.work.pitch_check import COVERAGE, FLEXIBLE

UTC = dt.UTC
MONDAY = dt.date(2026, 12, 7)
SUPPORT, BOOKS = 11, 12  # skill ids


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """UTC on the ``day``-th day from MONDAY."""
    return dt.datetime.combine(MONDAY + dt.timedelta(days=day), dt.time(hour, minute), tzinfo=UTC)


def support(**kwargs: object) -> RoleFacts:
    values: dict[str, object] = {
        "key": 1,
        "title": "Support",
        "kind": COVERAGE,
        "skill": SUPPORT,
        "skill_name": "Customer support",
        "coverage": tuple(HourWindow(day, 9, 17) for day in range(5)),
        "bill_rate": Money("25.00", "AUD"),
    }
    values.update(kwargs)
    return RoleFacts(**values)  # type: ignore[arg-type]


def books(**kwargs: object) -> RoleFacts:
    values: dict[str, object] = {
        "key": 2,
        "title": "Books",
        "kind": FLEXIBLE,
        "skill": BOOKS,
        "skill_name": "Bookkeeping",
        "flexible_hours": 6,
        "bill_rate": Money("30.00", "AUD"),
    }
    values.update(kwargs)
    return RoleFacts(**values)  # type: ignore[arg-type]


def member(key: int = 7, **kwargs: object) -> MemberFacts:
    values: dict[str, object] = {
        "key": key,
        "handle": f"m{key}",
        "name": f"Member {key}",
        "timezone": "UTC",
        "skills": frozenset({SUPPORT, BOOKS}),
        "rate": Money("20.00", "AUD"),
        "capacity_hours": 40,
        "availability": tuple(AvailabilityWindow(d, dt.time(0), dt.time(0)) for d in range(7)),
    }
    values.update(kwargs)
    return MemberFacts(**values)  # type: ignore[arg-type]


def considered(facts: MemberFacts, *roles: RoleFacts, **choices: object) -> object:
    [candidate] = candidates_of(
        roles=roles or (support(), books()),
        members=[facts],
        choices=Choices(**choices),  # type: ignore[arg-type]
        currency="AUD",
        timezone="UTC",
        week=MONDAY,
    )
    return candidate


# --- Who is considered, with what ------------------------------------------------------


def test_shifts_on_other_engagements_are_taken_out_of_free_time():
    # given: free Monday 08:00-18:00 UTC, working elsewhere 11:00-13:00
    facts = member(
        availability=(AvailabilityWindow(0, dt.time(8), dt.time(18)),),
        busy=((at(0, 11), at(0, 13)),),
    )

    candidate = considered(facts)

    # then: that week's Monday has two free stretches around the shift
    assert [(s, e) for s, e in candidate.free if s.date() == MONDAY] == [  # type: ignore[attr-defined]
        (at(0, 8), at(0, 11)),
        (at(0, 13), at(0, 18)),
    ]


@pytest.mark.parametrize(
    ("intervals", "taken", "left"),
    [
        ([(0, 10)], [], [(0, 10)]),
        ([(0, 10)], [(2, 4), (6, 7)], [(0, 2), (4, 6), (7, 10)]),
        ([(0, 10)], [(-5, 3), (8, 20)], [(3, 8)]),
        ([(0, 10), (12, 14)], [(0, 14)], []),
        ([(0, 10)], [(10, 12)], [(0, 10)]),
    ],
)
def test_subtract_takes_busy_stretches_out_of_free_ones(intervals, taken, left):
    def real(pairs: list[tuple[int, int]]) -> list[tuple[dt.datetime, dt.datetime]]:
        return [
            (at(0, 0) + dt.timedelta(hours=a), at(0, 0) + dt.timedelta(hours=b)) for a, b in pairs
        ]

    assert subtract(real(intervals), real(taken)) == real(left)


@pytest.mark.parametrize(
    ("capacity", "committed", "left"), [(40, 10, 30), (40, 40, 0), (20, 35, 0), (168, 0, 168)]
)
def test_hours_committed_elsewhere_lower_capacity_never_below_zero(capacity, committed, left):
    candidate = considered(member(capacity_hours=capacity, committed_hours=committed))

    assert candidate.capacity == left  # type: ignore[attr-defined]


def test_the_profile_rate_counts_only_in_the_pitchs_currency():
    in_aud = considered(member(rate=Money("20.00", "AUD")))
    in_php = considered(member(rate=Money("900.00", "PHP")))
    none = considered(member(rate=None))

    assert (in_aud.status, in_aud.rate) == ("considered", Money("20.00", "AUD"))  # type: ignore[attr-defined]
    assert in_php.status == "no_rate"  # type: ignore[attr-defined]
    assert in_php.reason.startswith("Member 7's rate is in PHP; give a rate in AUD")  # type: ignore[attr-defined]
    assert none.reason == "Member 7 has recorded no rate; give one in AUD to consider them."  # type: ignore[attr-defined]


def test_a_rate_given_by_the_coordinator_overrides_the_profile():
    given = considered(member(rate=Money("900.00", "PHP")), rates={7: Money("12.50", "AUD")})

    assert (given.status, given.rate, given.rate_given) == (  # type: ignore[attr-defined]
        "considered",
        Money("12.50", "AUD"),
        True,
    )


def test_a_rate_above_a_roles_bill_rate_keeps_the_member_off_that_role_only():
    # 28.00: above support's 25.00, not above books' 30.00
    candidate = considered(member(rate=Money("28.00", "AUD")))
    # and a role with no bill rate takes anyone with its skill
    unpriced = considered(member(rate=Money("28.00", "AUD")), support(bill_rate=None), books())

    assert candidate.roles == (2,)  # type: ignore[attr-defined]
    assert unpriced.roles == (1, 2)  # type: ignore[attr-defined]
    above = considered(member(rate=Money("31.00", "AUD")))
    assert above.status == "rate_above_bill"  # type: ignore[attr-defined]


def test_a_member_without_the_roles_skills_or_excluded_is_left_out():
    assert considered(member(skills=frozenset({99}))).status == "no_skill"  # type: ignore[attr-defined]
    excluded = considered(member(), excluded=frozenset({7}))
    assert (excluded.status, excluded.reason) == ("excluded", "Member 7 is left out, as you asked.")  # type: ignore[attr-defined]


# --- The instance ------------------------------------------------------------------------


def built(*members: MemberFacts, roles: tuple[RoleFacts, ...] | None = None, **kw: object):
    return instance_build(
        roles=roles or (support(), books()),
        members=members,
        choices=Choices(**kw),  # type: ignore[arg-type]
        currency="AUD",
        timezone="Australia/Sydney",
        week=MONDAY + dt.timedelta(days=3),  # any day of the week
    )


def test_the_instance_has_a_skill_per_role_one_role_per_member_and_real_free_time():
    result = built(
        member(7, skills=frozenset({SUPPORT})),
        member(8, skills=frozenset({99})),
        member(9, rate=Money("26.00", "AUD")),
        pinned=frozenset({7}),
        max_team_size=2,
    )
    instance = result.instance

    assert instance.week == MONDAY
    assert instance.one_role_per_member
    assert [(r.id, r.skill, r.hours) for r in instance.roles] == [
        ("1", "role-1", None),
        ("2", "role-2", 6),
    ]
    assert instance.roles[0].timezone == "Australia/Sydney"
    # Member 8 has neither skill; 9's rate is above support's bill rate
    assert [(m.id, sorted(m.skills), m.rate) for m in instance.members] == [
        ("m7", ["role-1"], Decimal("20.00")),
        ("m9", ["role-2"], Decimal("26.00")),
    ]
    assert instance.members[0].intervals  # real free time, not weekly windows
    assert (instance.pinned, instance.max_team_size) == (frozenset({"m7"}), 2)


def test_members_without_availability_are_for_flexible_roles_only_and_told_so():
    result = built(member(availability=()))

    assert result.instance.members[0].intervals == ()
    assert "Member 7 has recorded no availability: considered for flexible roles only." in (
        result.notes
    )
    answer = solve(result.instance)
    assert answer.status == "infeasible"  # no one for support's hours


def test_stand_ins_for_open_hours_are_not_counted_in_the_team_size():
    spans = ((at(0, 0) - dt.timedelta(hours=2), at(0, 0) - dt.timedelta(hours=1)),)
    result = instance_build(
        roles=(support(), books()),
        members=[member()],
        choices=Choices(max_team_size=1),
        currency="AUD",
        timezone="Australia/Sydney",
        week=MONDAY,
        open_hours={1: spans, 2: 6},
    )

    assert [m.id for m in result.instance.members] == ["m7", "~open:1", "~open:2"]
    assert [m.capacity for m in result.instance.members[1:]] == [1, 6]
    assert result.instance.max_team_size == 1  # the members' limit
    assert result.instance.uncounted == {"~open:1", "~open:2"}  # the engine skips them


# --- The answer on the wall clock --------------------------------------------------------


def local_slots(tz: str, monday: dt.date, *windows: HourWindow) -> list[dt.datetime]:
    return slots_of(windows, tz, monday)


def test_consecutive_hours_join_into_one_window_per_day():
    slots = local_slots("Australia/Sydney", MONDAY, *(HourWindow(d, 9, 17) for d in range(5)))

    assert [w.label() for w in slot_windows(slots, "Australia/Sydney", MONDAY)] == [
        f"{day} 09:00-17:00" for day in ("Mon", "Tue", "Wed", "Thu", "Fri")
    ]


def test_a_window_may_cross_midnight_and_is_cut_at_midnight_past_23_hours():
    tz = "Europe/Lisbon"
    night = local_slots(tz, MONDAY, HourWindow(5, 22, 6))
    long = local_slots(tz, MONDAY, HourWindow(0, 10, 24), HourWindow(1, 0, 24), HourWindow(2, 0, 3))

    assert slot_windows(night, tz, MONDAY) == (HourWindow(5, 22, 6),)
    assert slot_windows(long, tz, MONDAY) == (
        HourWindow(0, 10, 24),
        HourWindow(1, 0, 24),
        HourWindow(2, 0, 3),
    )


def test_a_run_into_the_next_monday_keeps_its_sunday_start():
    tz = "Asia/Manila"
    slots = local_slots(tz, MONDAY, HourWindow(6, 20, 4))

    assert slot_windows(slots, tz, MONDAY) == (HourWindow(6, 20, 4),)


@pytest.mark.parametrize(
    ("tz", "monday", "window", "hours"),
    [
        # Sydney springs forward on Sunday 4 October 2026: 02:00 does not exist
        ("Australia/Sydney", dt.date(2026, 9, 28), HourWindow(6, 0, 6), 5),
        # and falls back on Sunday 5 April 2026: 02:00 happens twice, counted once
        ("Australia/Sydney", dt.date(2026, 3, 30), HourWindow(6, 0, 6), 6),
        # New York springs forward on Sunday 8 March 2026, falls back on 1 November
        ("America/New_York", dt.date(2026, 3, 2), HourWindow(6, 0, 6), 5),
        ("America/New_York", dt.date(2026, 10, 26), HourWindow(6, 0, 6), 6),
    ],
)
def test_a_night_across_a_clock_change_is_one_window_on_the_wall_clock(tz, monday, window, hours):
    slots = local_slots(tz, monday, window)

    windows = slot_windows(slots, tz, monday)

    assert len(slots) == hours
    assert windows == (window,)
    # and the window gives back exactly those slots that week
    assert slots_of(windows, tz, monday) == slots


def test_a_skipped_hour_outside_the_coverage_does_not_join_two_shifts():
    # Sydney springs forward on Sunday 4 October 2026 (02:00 does not exist);
    # the role covers 00:00-02:00 and 03:00-06:00, so a shift across 02:00
    # would be outside its hours and refused when the team is used.
    tz, monday = "Australia/Sydney", dt.date(2026, 9, 28)
    coverage = (HourWindow(6, 0, 2), HourWindow(6, 3, 6))
    slots = local_slots(tz, monday, *coverage)

    assert slot_windows(slots, tz, monday, coverage) == coverage
    assert slot_windows(slots, tz, monday, (HourWindow(6, 0, 6),)) == (HourWindow(6, 0, 6),)


def test_hours_apart_stay_apart():
    tz = "Australia/Sydney"
    slots = local_slots(tz, MONDAY, HourWindow(0, 9, 11), HourWindow(0, 12, 13))

    assert slot_windows(slots, tz, MONDAY) == (HourWindow(0, 9, 11), HourWindow(0, 12, 13))


def test_the_engines_answer_is_read_back_in_pitch_terms_without_stand_ins():
    # given: Member 7 staffs Monday 09:00-12:00 Sydney (22:00-01:00 UTC) and a
    # stand-in the rest; Member 8 does the books
    result = instance_build(
        roles=(support(coverage=(HourWindow(0, 9, 17),)), books()),
        members=[member(7, skills=frozenset({SUPPORT})), member(8, rate=Money("24", "AUD"))],
        choices=Choices(),
        currency="AUD",
        timezone="Australia/Sydney",
        week=MONDAY,
        open_hours={1: ((at(0, 1), at(0, 6)),)},
    )
    start = dt.datetime(2026, 12, 6, 22, tzinfo=UTC)
    answer = MatchResult(
        status="optimal",
        cost=Decimal("204.00"),
        gap=0.0,
        seconds=0.1,
        team=(
            TeamLine("m7", 3, {"1": 3}, Decimal("60.00")),
            TeamLine("m8", 6, {"2": 6}, Decimal("144.00")),
            TeamLine("~open:1", 5, {"1": 5}, Decimal("0")),
        ),
        shifts=(
            Shift("1", "m7", start, start + dt.timedelta(hours=3)),
            Shift("1", "~open:1", at(0, 1), at(0, 6)),
        ),
    )

    proposal = proposal_read(answer, result)

    assert [(l.member.handle, l.role.key, l.hours, l.shifts) for l in proposal.lines] == [  # noqa: E741
        ("m7", 1, 3, (HourWindow(0, 9, 12),)),
        ("m8", 2, 6, ()),
    ]
    assert proposal.lines[0].team_item() == {
        "member": 7,
        "job_role": 1,
        "pay_rate": "20.00",
        "shifts": [{"days": ["mon"], "start": "09:00", "end": "12:00"}],
    }
    assert [(r.covered_hours, r.uncovered_hours) for r in proposal.roles] == [(3, 5), (6, 0)]
    local = [s.astimezone(ZoneInfo("Australia/Sydney")).hour for s in proposal.roles[0].uncovered]
    assert local == [12, 13, 14, 15, 16]
    assert proposal.notes[0] == (
        "Support: Mon 12:00-17:00 (Australia/Sydney) left open; no member considered with the "
        "skill is free then with hours to give."
    )
    assert (proposal.pay_cost, proposal.price) == (Money("204.00", "AUD"), Money("255.00", "AUD"))
    assert proposal.margin == Money("51.00", "AUD")
    assert proposal.found and not proposal.complete


def test_the_digest_names_the_team():
    base = built(member(7), roles=(books(),))
    answer = solve(base.instance)
    dearer = built(member(7, rate=Money("21.00", "AUD")), roles=(books(),))

    first, again = proposal_read(answer, base), proposal_read(solve(base.instance), base)
    other = proposal_read(solve(dearer.instance), dearer)

    assert first.found and other.found
    assert first.digest == again.digest
    assert first.digest != other.digest


def test_engine_reasons_use_role_titles_skill_names_and_the_limits_name():
    roles = (support(), books())

    text = engine_words(
        "Nobody with the skill 'role-2' and some capacity is available for the 6 flexible "
        "hours of '2'. No team of at most 3 members can staff every hour. The smallest team "
        "that can has 4 members. Raise max_team_size.",
        roles,
        stand_ins=2,
    )

    assert text == (
        "Nobody with the skill Bookkeeping and some capacity is available for the 6 flexible "
        "hours of “Books”. No team of at most 1 member can staff every hour. The smallest team "
        "that can has 2 members. Raise the team size limit."
    )
    assert engine_words(None, roles) == ""


def test_one_role_per_member_is_told_as_the_pitchs_rule_not_a_switch():
    text = engine_words(
        "No team keeps every member on one role (one_role_per_member): the hours can be "
        "staffed only if someone works two roles. Add members with these skills, or allow "
        "more than one role each.",
        (support(), books()),
    )

    assert text == (
        "No team keeps every member on one role: the hours can be staffed only if someone "
        "works two roles. Add members with these skills; a pitch keeps each member on one "
        "role, as an engagement seat has one rate."
    )
