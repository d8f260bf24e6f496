"""Benchmark: the member directory, plain and with the time-zone overlap filter.

The overlap filter is the most expensive read in the members issue: for every
visible profile it converts each availability window to real instants over
three weeks and intersects them with a business week in another zone. This
script builds a throwaway SQLite database with N members (default 2,000), each
with a profile, skills, languages and 3-5 weekly availability windows in one of
many time zones, then times ``profile_list_directory`` and counts its queries.

Usage (from the project root)::

    make bench
    DEBUG=1 .venv/bin/python bench/run.py --members 2000 --repeat 7

Exits 1 if a target in ``TARGETS`` is missed, so a regression fails loudly.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

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


@dataclass(frozen=True)
class Measurement:
    members: int
    label: str
    rows: int
    median_ms: float
    max_ms: float
    queries: int
    peak_mib: float


def configure(var_dir: Path) -> None:
    """Point the settings at a throwaway SQLite database, then start Django."""
    os.environ["MUTUALIST_VAR_DIR"] = str(var_dir)
    os.environ["DATABASE_URL"] = f"sqlite:///{var_dir / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mutualist.settings")
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("EMAIL_URL", "dummy://")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


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


def measure(members: int, label: str, run: Callable[[], int], repeat: int) -> Measurement:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rows = run()  # warm-up: first-use caches (zoneinfo, prepared statements)
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        timings.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        run()
    # Separate run: tracemalloc slows Python down, so it never overlaps the timing.
    tracemalloc.start()
    tracemalloc.reset_peak()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return Measurement(
        members=members,
        label=label,
        rows=rows,
        median_ms=statistics.median(timings),
        max_ms=max(timings),
        queries=len(queries.captured_queries),
        peak_mib=peak / 2**20,
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


def table(results: Sequence[Measurement]) -> str:
    header = ("members", "query", "rows", "median ms", "max ms", "queries", "peak MiB")
    rows = [header] + [
        (
            f"{m.members:,}",
            m.label,
            f"{m.rows:,}",
            f"{m.median_ms:.1f}",
            f"{m.max_ms:.1f}",
            str(m.queries),
            f"{m.peak_mib:.1f}",
        )
        for m in results
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = []
    for index, row in enumerate(rows):
        cells = [
            cell.ljust(width) if column == 1 else cell.rjust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells))
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def check_targets(results: Sequence[Measurement], members: int) -> list[str]:
    """The missed targets, as sentences; empty when all are met."""
    missed = []
    overlap = [m for m in results if "overlap" in m.label]
    full = next(m for m in overlap if m.members == members)
    if full.max_ms >= TARGET_OVERLAP_MS:
        missed.append(
            f"overlap directory for {members:,} members took up to {full.max_ms:.0f} ms "
            f"(target: under {TARGET_OVERLAP_MS:.0f} ms)"
        )
    for label in sorted({m.label for m in results}):
        counts = {m.members: m.queries for m in results if m.label == label}
        if len(set(counts.values())) != 1:
            missed.append(f"{label}: query count grows with the members {counts} (N+1)")
    return missed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--members", type=int, default=2000, help="members at the full size")
    parser.add_argument("--repeat", type=int, default=7, help="timed repetitions per query")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    if args.members < 2 or args.repeat < 1:
        parser.error("--members must be at least 2 and --repeat at least 1")

    rng = random.Random(args.seed)
    half = args.members // 2
    with tempfile.TemporaryDirectory(prefix="mutualist-bench-") as tmp:
        configure(Path(tmp))
        results: list[Measurement] = []
        # Two sizes, so a query count that grows with the data (N+1) shows.
        for first, count in ((0, half), (half, args.members - half)):
            started = time.perf_counter()
            create_members(first, count, rng)
            print(
                f"created members {first:,}-{first + count - 1:,} "
                f"in {time.perf_counter() - started:.1f} s",
                file=sys.stderr,
            )
            results.extend(measure_directory(first + count, args.repeat))
        from django.db import connections

        connections.close_all()  # before the temporary directory goes away

    print(table(results))
    missed = check_targets(results, args.members)
    print()
    if missed:
        for sentence in missed:
            print(f"MISSED: {sentence}")
        return 1
    print(
        f"Targets met: overlap directory for {args.members:,} members under "
        f"{TARGET_OVERLAP_MS:.0f} ms (worst of {args.repeat}), query counts constant."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
