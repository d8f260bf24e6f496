"""Benchmark: the member directory, plain and with the time-zone overlap filter.

The overlap filter is the most expensive read in the members issue: for every
visible profile it converts each availability window to real instants over
three weeks and intersects them with a business week in another zone. This
builds N members (default 2,000), each with a profile, skills, languages and
3-5 weekly availability windows in one of many time zones, then times
``profile_list_directory`` and counts its queries. Run it through
``bench/run.py``.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import time
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from harness import Measurement, measure, table

# The overlap filter with 2,000 members must answer within this many
# milliseconds (worst of the repetitions, not the median), with a number of
# queries that does not grow with the number of members.
TARGET_OVERLAP_MS = 1500.0
OVERLAP_ZONE = "Australia/Sydney"
MIN_OVERLAP_HOURS = Decimal("10")
# A fixed week (Monday 2 March 2026: Sydney still on daylight time, Europe and
# the US not yet), so every run computes the same overlaps.
PAGE_SIZE = 24  # the people directory's page
TODAY = dt.date(2026, 3, 2)

TIMEZONES = (
    "Asia/Manila",
    "Asia/Manila",
    "Asia/Manila",
    "Africa/Lagos",
    "Africa/Lagos",
    "Africa/Nairobi",
    "Africa/Nairobi",
    "Africa/Accra",
    "Africa/Cairo",
    "Africa/Johannesburg",
    "Asia/Kolkata",
    "Asia/Karachi",
    "Asia/Dhaka",
    "Asia/Jakarta",
    "Asia/Ho_Chi_Minh",
    "Asia/Tokyo",
    "Asia/Dubai",
    "Australia/Sydney",
    "Pacific/Auckland",
    "Europe/London",
    "Europe/Lisbon",
    "Europe/Berlin",
    "Europe/Istanbul",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Mexico_City",
    "America/Bogota",
    "America/Sao_Paulo",
)
LANGUAGES = ("en", "fil", "ceb", "yo", "sw", "es", "pt", "hi", "ar", "fr", "id", "vi")


def random_windows(rng: random.Random) -> list[tuple[int, dt.time, dt.time]]:
    """3-5 weekly windows that pass the availability rules; some cross midnight."""
    from mutualist.core.errors import ValidationFailed
    from mutualist.members.availability import Window, windows_validate

    while True:
        days = rng.sample(range(7), rng.randint(3, 5))
        windows = []
        for day in days:
            start = rng.choice((0, 6, 7, 8, 9, 10, 13, 14, 18, 20, 21, 22, 23))
            hours = rng.randint(3, 9)
            end = (start + hours) % 24
            windows.append(Window(day, dt.time(start), dt.time(end)))
        try:
            checked = windows_validate(windows)
        except ValidationFailed:
            continue  # a night window ran into the next morning's; draw again
        return [(w.weekday, w.start, w.end) for w in checked]


def create_members(first: int, count: int, rng: random.Random) -> None:
    """Bulk-insert ``count`` members numbered from ``first`` (a fixture, not a service call)."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from mutualist.members.models import (
        AvailabilityWindow,
        MemberSkill,
        Profile,
        ProfileLanguage,
        Skill,
        User,
    )

    skills = list(Skill.objects.all())
    password = make_password(None)  # unusable: nobody logs in to the bench database
    numbers = range(first, first + count)
    with transaction.atomic():
        users = User.objects.bulk_create(
            [User(email=f"member{n}@bench.invalid", password=password) for n in numbers]
        )
        profiles = Profile.objects.bulk_create(
            [
                Profile(
                    user=user,
                    handle=f"member-{n}",
                    display_name=f"Member {n:05d}",
                    headline="Virtual assistant",
                    timezone=rng.choice(TIMEZONES),
                    rate_minor=rng.randint(300, 3000) * 100,
                    rate_currency="USD",
                    weekly_capacity_hours=rng.choice((20, 30, 40)),
                    # One in ten unpublished: the anonymous directory skips them.
                    is_public=rng.random() >= 0.1,
                )
                for n, user in zip(numbers, users, strict=True)
            ]
        )
        MemberSkill.objects.bulk_create(
            [
                MemberSkill(profile=profile, skill=skill, level=rng.randint(1, 3))
                for profile in profiles
                for skill in rng.sample(skills, rng.randint(1, 3))
            ]
        )
        ProfileLanguage.objects.bulk_create(
            [
                ProfileLanguage(profile=profile, code=code)
                for profile in profiles
                for code in {"en", *rng.sample(LANGUAGES, rng.randint(0, 2))}
            ]
        )
        AvailabilityWindow.objects.bulk_create(
            [
                AvailabilityWindow(profile=profile, weekday=day, start=start, end=end)
                for profile in profiles
                for day, start, end in random_windows(rng)
            ]
        )


def measure_directory(members: int, repeat: int) -> list[Measurement]:
    from django.contrib.auth.models import AnonymousUser

    from mutualist.members.selectors import profile_list_directory

    viewer = AnonymousUser()

    # What the people directory does per request: count the matches, then
    # build one page of 24. Unfiltered, that is paged in SQL; with the overlap
    # filter every visible profile has to be scanned in Python first.
    def first_page(entries: Sequence[Any]) -> int:
        total = len(entries)
        list(entries[:PAGE_SIZE])
        return total

    def plain() -> int:
        return first_page(profile_list_directory(viewer=viewer, today=TODAY))

    def overlap() -> int:
        return first_page(
            profile_list_directory(
                viewer=viewer,
                overlap_timezone=OVERLAP_ZONE,
                min_overlap_hours=MIN_OVERLAP_HOURS,
                today=TODAY,
            )
        )

    return [
        measure(members, "directory page, unfiltered", plain, repeat),
        measure(
            members,
            f"directory page, overlap {OVERLAP_ZONE} >= {MIN_OVERLAP_HOURS} h",
            overlap,
            repeat,
        ),
    ]


def check_targets(results: Sequence[Measurement], members: int) -> list[str]:
    """The missed targets, as sentences; empty when all are met."""
    missed = []
    overlap = [m for m in results if "overlap" in m.label]
    full = next(m for m in overlap if m.size == members)
    if full.max_ms >= TARGET_OVERLAP_MS:
        missed.append(
            f"overlap directory for {members:,} members took up to {full.max_ms:.0f} ms "
            f"(target: under {TARGET_OVERLAP_MS:.0f} ms)"
        )
    for label in sorted({m.label for m in results}):
        counts = {m.size: m.queries for m in results if m.label == label}
        if len(set(counts.values())) != 1:
            missed.append(f"{label}: query count grows with the members {counts} (N+1)")
    return missed


def directory_table(results: Sequence[Measurement]) -> str:
    header = ("members", "query", "rows", "median ms", "max ms", "queries", "peak MiB")
    rows = [
        (
            f"{m.size:,}",
            m.label,
            f"{m.rows:,}",
            f"{m.median_ms:.1f}",
            f"{m.max_ms:.1f}",
            str(m.queries),
            f"{m.peak_mib:.1f}",
        )
        for m in results
    ]
    return table(header, rows)


def run_directory(*, members: int, repeat: int, seed: int) -> tuple[str, list[str]]:
    """Build the members in two halves, measure after each; the report and the missed targets."""
    rng = random.Random(seed)
    half = members // 2
    results: list[Measurement] = []
    # Two sizes, so a query count that grows with the data (N+1) shows.
    for first, count in ((0, half), (half, members - half)):
        started = time.perf_counter()
        create_members(first, count, rng)
        print(
            f"created members {first:,}-{first + count - 1:,} "
            f"in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
        results.extend(measure_directory(first + count, repeat))
    missed = check_targets(results, members)
    report = directory_table(results)
    if not missed:
        report += (
            f"\n\nTargets met: overlap directory for {members:,} members under "
            f"{TARGET_OVERLAP_MS:.0f} ms (worst of {repeat}), query counts constant."
        )
    return report, missed
