"""Builders of instances in the issue's JSON shape, and Hypothesis strategies
for small random ones that brute force can still settle."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from hypothesis import strategies as st

from mutualist.engines.matching import Instance, MatchResult, parse_instance, solve
from mutualist.engines.matching.tests.validate import validate

WEEK = "2026-11-30"  # the week: Sydney on daylight time (+11)
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAYS = DAYS[:5]


def window(days: tuple[str, ...] | list[str], start: str, end: str) -> dict[str, Any]:
    return {"days": list(days), "start": start, "end": end}


ALWAYS = window(DAYS, "00:00", "24:00")


def member(
    member_id: str,
    skills: tuple[str, ...] | list[str] = ("s",),
    *,
    timezone: str = "UTC",
    rate: str = "10",
    capacity: int = 40,
    availability: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "id": member_id,
        "skills": list(skills),
        "timezone": timezone,
        "rate": rate,
        "capacity": capacity,
        "availability": [ALWAYS] if availability is None else availability,
    }


def coverage(role_id: str, skill: str, timezone: str, *windows: dict[str, Any]) -> dict[str, Any]:
    return {"id": role_id, "skill": skill, "timezone": timezone, "coverage": list(windows)}


def flexible(role_id: str, skill: str, hours: int) -> dict[str, Any]:
    return {"id": role_id, "skill": skill, "hours": hours}


def instance(
    roles: list[dict[str, Any]],
    members: list[dict[str, Any]],
    *,
    week: str = WEEK,
    **options: Any,
) -> dict[str, Any]:
    return {"week": week, "roles": roles, "members": members, **options}


def solved(data: dict[str, Any], **kwargs: Any) -> MatchResult:
    """The engine's answer; a returned team must pass the validator."""
    result = solve(data, **kwargs)
    if result.found:
        assert validate(parse_instance(data), result) == []
    return result


def utc(text: str) -> dt.datetime:
    """``2026-11-29T22:00`` as an aware UTC datetime."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def shift_rows(result: MatchResult) -> list[tuple[str, str, str, str]]:
    """(role, member, start, end) of each shift, in the JSON's words."""
    return [
        (row["role"], row["member"], row["start"], row["end"]) for row in result.to_dict()["shifts"]
    ]


def uncovered_rows(result: MatchResult) -> list[tuple[str, str, str]]:
    return [(row["role"], row["start"], row["end"]) for row in result.to_dict()["uncovered"]]


# --- Hypothesis: small random instances ----------------------------------------------

# Weeks with a clock change in the zones below, and two plain ones.
WEEKS = (
    "2026-11-30",
    "2026-06-15",
    "2026-03-30",  # Sydney falls back on Sunday 5 April (02:00-03:00 twice)
    "2026-09-28",  # Sydney springs forward on Sunday 4 October (02:00 skipped)
    "2026-03-02",  # New York springs forward on Sunday 8 March
    "2026-10-26",  # New York falls back on Sunday 1 November
    "2026-03-23",  # Europe/Lisbon springs forward on Sunday 29 March
)
ROLE_ZONES = (
    "UTC",
    "Australia/Sydney",
    "America/New_York",
    "Asia/Kolkata",  # +05:30
    "Australia/Lord_Howe",  # half an hour of daylight saving, with Sydney's dates
    "America/St_Johns",  # -03:30, with New York's dates
    "Asia/Kathmandu",  # +05:45
)
MEMBER_ZONES = (
    *ROLE_ZONES,
    "Asia/Manila",
    "Pacific/Honolulu",
    "Europe/Lisbon",
    "Pacific/Chatham",  # +13:45 in the southern summer
)
# Rates whose sums a float would get wrong, ties, a zero, six places.
RATES = ("0", "7.25", "9.50", "10", "10.000001", "10.000002", "12.125", "15", "0.1", "0.2")
SKILLS = ("a", "b")


def _clock(hour: int) -> str:
    return f"{hour:02d}:00"


@st.composite
def windows(draw: st.DrawFn, *, max_days: int, min_hours: int, max_hours: int) -> dict[str, Any]:
    days = draw(st.lists(st.sampled_from(DAYS), min_size=1, max_size=max_days, unique=True))
    start = draw(st.integers(0, 23))
    hours = draw(st.integers(min_hours, max_hours))
    end = (start + hours) % 24
    # Midnight as an end is written either way; both mean the same hour.
    end_text = "24:00" if end == 0 and draw(st.booleans()) else _clock(end)
    return window(days, _clock(start), end_text)


@st.composite
def small_instances(draw: st.DrawFn) -> dict[str, Any]:
    """At most 4 members, 8 coverage slots, 2 roles and 6 flexible hours."""
    kinds = draw(
        st.sampled_from(
            [
                ("coverage",),
                ("flexible",),
                ("coverage", "flexible"),
                ("coverage", "coverage"),
                ("flexible", "flexible"),
            ]
        )
    )
    coverage_roles = kinds.count("coverage")
    roles = []
    for index, kind in enumerate(kinds):
        skill = draw(st.sampled_from(SKILLS))
        if kind == "flexible":
            roles.append(flexible(f"f{index}", skill, draw(st.integers(1, 3))))
        else:
            # One role: up to 2 days of 4 hours; two: a day of 4 hours each.
            hours = windows(max_days=3 - coverage_roles, min_hours=1, max_hours=4)
            roles.append(
                coverage(f"c{index}", skill, draw(st.sampled_from(ROLE_ZONES)), draw(hours))
            )
    count = draw(st.integers(1, 4))
    members = []
    for index in range(count):
        shape = draw(st.sampled_from(("always", "always", "wide", "narrow")))
        if shape == "always":
            availability = [ALWAYS]
        else:
            wide = shape == "wide"
            availability = draw(
                st.lists(
                    windows(max_days=7, min_hours=4 if wide else 1, max_hours=24 if wide else 8),
                    min_size=0 if not wide else 1,
                    max_size=2,
                )
            )
        members.append(
            member(
                f"m{index}",
                draw(
                    st.lists(
                        st.sampled_from(SKILLS),
                        min_size=draw(st.sampled_from((0, 1, 1, 1))),
                        max_size=2,
                        unique=True,
                    )
                ),
                timezone=draw(st.sampled_from(MEMBER_ZONES)),
                rate=draw(st.sampled_from(RATES)),
                capacity=draw(st.sampled_from((0, 1, 2, 3, 4, 6, 8, 8))),
                availability=availability,
            )
        )
    options: dict[str, Any] = {}
    ids = [m["id"] for m in members]
    if draw(st.booleans()):
        options["max_team_size"] = draw(st.integers(1, 3))
    if draw(st.integers(0, 3)) == 0:
        options["pinned"] = draw(
            st.lists(st.sampled_from(ids), max_size=options.get("max_team_size", 4), unique=True)
        )
    if draw(st.integers(0, 3)) == 0:
        rest = [i for i in ids if i not in options.get("pinned", [])]
        if rest:
            options["excluded"] = draw(st.lists(st.sampled_from(rest), max_size=2, unique=True))
    if draw(st.integers(0, 3)) == 0:
        options["one_role_per_member"] = True
    if draw(st.booleans()):
        options["currency"] = "EUR"
    return instance(roles, members, week=draw(st.sampled_from(WEEKS)), **options)


@st.composite
def small_typed_instances(draw: st.DrawFn) -> Instance:
    """``small_instances`` where some members come with their real free time
    (``intervals``, as the product passes availability less other shifts)."""
    typed = parse_instance(draw(small_instances()))
    monday = dt.datetime.combine(typed.week, dt.time(), tzinfo=dt.UTC)
    members = []
    for one in typed.members:
        if draw(st.booleans()):
            intervals = []
            for _ in range(draw(st.integers(0, 3))):
                # Mostly on the half hour, sometimes on any second.
                step = draw(st.sampled_from((1800, 1800, 60, 1)))
                start = monday + dt.timedelta(
                    seconds=step * draw(st.integers(-86400 // step, 8 * 86400 // step))
                )
                length = dt.timedelta(seconds=draw(st.integers(1800, 12 * 3600)))
                zone = dt.timezone(dt.timedelta(minutes=draw(st.sampled_from((0, 330, -600)))))
                intervals.append((start.astimezone(zone), (start + length).astimezone(zone)))
            one = dataclasses.replace(one, intervals=tuple(intervals))
        members.append(one)
    return dataclasses.replace(typed, members=tuple(members))
