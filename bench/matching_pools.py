"""Random, realistic pools of members for the matching benchmark, and the job they bid for.

A pool is the JSON-shaped instance of ``mutualist.engines.matching`` (a
plain ``dict``, so a benchmark run goes through ``parse_instance`` as the
command line and the API do), seeded, so a size and a seed always give the
same pool:

- **Skills**: 1-4 of twelve a freelance collective of virtual assistants
  offers, customer support and bookkeeping the most common.
- **Time zones**: weighted like a remote workforce: Manila first, then
  India, East and West Africa, Latin America, Pakistan, Indonesia, Eastern
  Europe and Portugal, and a few in the US and Australia. Kolkata (+05:30)
  and Kathmandu (+05:45) put their members' hours off the UTC hour, so
  those members can staff a role hour only where two of their local hours
  together cover it.
- **Availability**: a weekly pattern in the member's own zone: mostly a
  weekday window of 4-10 hours (day workers, early and late shifts, night
  owls whose window runs past midnight, split days), some on three or four
  weekdays only, some with a weekend window.
- **Rates**: USD with cents (``"12.75"``), by region (6-15 in Manila, India,
  Africa; 10-25 in Latin America; 18-35 in Europe; 25-45 in the US and
  Australia), with a premium for the scarcer skills, kept within 6.00-45.00.
- **Capacity**: 10-40 hours a week, mostly 20-40.

The job (:func:`job`): a client in Sydney wants customer support staffed
Monday to Friday, 09:00-17:00 Sydney time (40 hours; the week of
30 November 2026, Sydney on daylight time, UTC+11, so 22:00-06:00 UTC the day
before), plus 10 hours of bookkeeping and 8 of social media, flexible. At
most five people (``MAX_TEAM_SIZE``), as the rationale there says.

Write the pools out to try them with the command line::

    .venv/bin/python bench/matching_pools.py --write /tmp/pools   # bench-pool-{100,1000,5000}.json
    .venv/bin/mutualist match /tmp/pools/bench-pool-1000.json
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

SIZES = (100, 1_000, 5_000)
WEEK = "2026-11-30"  # a Monday; no daylight-saving change anywhere in the pools that week
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAYS = DAYS[:5]

# Five: a client meets a team, not a crowd, and a coordinator can brief and
# cover for five people. The 40 support hours take two or three people in
# shifts (nobody with a 40-hour capacity is free for all of them: a Sydney
# business day is 22:00-06:00 UTC, the small hours of most of the world),
# the bookkeeping and the social media one person each unless a support
# person has the skill too. So five leaves room for one hand-over but not
# for a team stitched from whoever is cheapest each hour, which is what
# makes the limit bite: the greedy baseline often needs more.
MAX_TEAM_SIZE = 5

# (skill, weight): what a collective of virtual assistants offers; support and
# bookkeeping are the bread and butter.
SKILLS: tuple[tuple[str, int], ...] = (
    ("customer_support", 30),
    ("bookkeeping", 20),
    ("data_entry", 12),
    ("social_media", 12),
    ("executive_assistant", 10),
    ("copywriting", 8),
    ("graphic_design", 8),
    ("email_marketing", 6),
    ("web_development", 6),
    ("seo", 5),
    ("project_management", 5),
    ("video_editing", 4),
)
# Scarcer or more skilled work is paid more (the highest premium of a
# member's skills applies); data entry a little less.
SKILL_PREMIUM = {
    "web_development": Decimal("1.35"),
    "project_management": Decimal("1.25"),
    "bookkeeping": Decimal("1.15"),
    "video_editing": Decimal("1.15"),
    "seo": Decimal("1.10"),
    "graphic_design": Decimal("1.10"),
    "data_entry": Decimal("0.90"),
}
SKILL_COUNTS = ((1, 35), (2, 35), (3, 20), (4, 10))  # (skills a member has, weight)

# (zone, weight, lowest and highest base rate in USD an hour)
ZONES: tuple[tuple[str, int, int, int], ...] = (
    ("Asia/Manila", 24, 6, 15),
    ("Asia/Kolkata", 9, 6, 16),
    ("Africa/Nairobi", 7, 6, 15),
    ("Africa/Lagos", 7, 6, 15),
    ("America/Mexico_City", 6, 10, 25),
    ("Asia/Karachi", 5, 6, 14),
    ("America/Bogota", 5, 10, 25),
    ("America/Argentina/Buenos_Aires", 5, 10, 25),
    ("Asia/Jakarta", 4, 6, 14),
    ("Europe/Warsaw", 4, 18, 35),
    ("Europe/Lisbon", 4, 18, 35),
    ("America/New_York", 4, 25, 45),
    ("America/Los_Angeles", 3, 25, 45),
    ("Australia/Sydney", 3, 28, 45),
    ("Asia/Kathmandu", 2, 6, 14),
    ("Africa/Cairo", 2, 6, 15),
)
RATE_MIN, RATE_MAX = Decimal("6.00"), Decimal("45.00")
CAPACITIES = ((10, 10), (15, 10), (20, 25), (25, 10), (30, 20), (35, 5), (40, 20))

# (name, weight, local start hours, lengths): shapes of a working day.
# Night owls start in the evening and run past midnight; split days are a
# morning and an evening window.
SHAPES: tuple[tuple[str, int, tuple[int, ...], tuple[int, ...]], ...] = (
    ("day", 45, (7, 8, 9, 10), (6, 7, 8, 9, 10)),
    ("early", 10, (4, 5, 6), (4, 5, 6, 7, 8)),
    ("late", 15, (12, 13, 14, 15, 16), (4, 5, 6, 7, 8)),
    ("night", 18, (18, 19, 20, 21, 22, 23), (5, 6, 7, 8, 9, 10)),
    ("split", 12, (7, 8, 9), (4, 5)),
)


def _weighted(rng: random.Random, items: Sequence[tuple[Any, int]]) -> Any:
    return rng.choices([item for item, _ in items], weights=[w for _, w in items])[0]


def _clock(hour: int) -> str:
    return f"{hour:02d}:00"


def _window(days: Sequence[str], start: int, hours: int) -> dict[str, Any]:
    """A window of ``hours`` from ``start``; past midnight when it must
    (``end`` not after ``start``), ``24:00`` when it ends at midnight."""
    end = start + hours
    return {
        "days": list(days),
        "start": _clock(start),
        "end": "24:00" if end == 24 else _clock(end % 24),
    }


def _availability(rng: random.Random) -> list[dict[str, Any]]:
    shape = _weighted(rng, [(s, s[1]) for s in SHAPES])
    name, _, starts, lengths = shape
    # Most work every weekday; a quarter three or four of them.
    if rng.random() < 0.75:
        days = list(WEEKDAYS)
    else:
        days = sorted(rng.sample(WEEKDAYS, rng.randint(3, 4)), key=DAYS.index)
    start, hours = rng.choice(starts), rng.choice(lengths)
    windows = [_window(days, start, hours)]
    if name == "split":
        evening = rng.choice((18, 19, 20))
        windows.append(_window(days, evening, rng.choice((3, 4))))
    elif rng.random() < 0.2 and len(days) > 1:
        # A different day: one weekday starts later (school run, a class).
        odd = rng.choice(days)
        days.remove(odd)
        windows = [_window(days, start, hours), _window([odd], (start + 2) % 24, hours)]
    if rng.random() < 0.2:
        weekend = ["sat"] if rng.random() < 0.6 else ["sat", "sun"]
        windows.append(_window(weekend, rng.choice((8, 9, 10, 14, 20)), rng.randint(4, 8)))
    return windows


def _rate(rng: random.Random, low: int, high: int, skills: Sequence[str]) -> str:
    base = Decimal(rng.randint(low * 100, high * 100)) / 100
    premium = max((SKILL_PREMIUM.get(skill, Decimal(1)) for skill in skills), default=Decimal(1))
    rate = base * premium
    # Half quote a round figure (12.50), half an exact one (12.37).
    step = Decimal("0.50") if rng.random() < 0.5 else Decimal("0.01")
    rate = (rate / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step
    rate = min(max(rate, RATE_MIN), RATE_MAX)
    return str(rate.quantize(Decimal("0.01")))


def _skills(rng: random.Random) -> list[str]:
    count = _weighted(rng, SKILL_COUNTS)
    names = [name for name, _ in SKILLS]
    weights = [weight for _, weight in SKILLS]
    chosen: list[str] = []
    while len(chosen) < count:
        skill = rng.choices(names, weights=weights)[0]
        if skill not in chosen:
            chosen.append(skill)
    return chosen


def member(rng: random.Random, number: int) -> dict[str, Any]:
    zone, _, low, high = _weighted(rng, [(z, z[1]) for z in ZONES])
    skills = _skills(rng)
    return {
        "id": f"m{number:05d}",
        "skills": skills,
        "timezone": zone,
        "rate": _rate(rng, low, high, skills),
        "capacity": _weighted(rng, CAPACITIES),
        "availability": _availability(rng),
    }


def job() -> dict[str, Any]:
    """The instance without its members: the week, the team limit and the roles."""
    return {
        "week": WEEK,
        "max_team_size": MAX_TEAM_SIZE,
        "currency": "USD",
        "roles": [
            {
                "id": "support",
                "skill": "customer_support",
                "timezone": "Australia/Sydney",
                "coverage": [{"days": list(WEEKDAYS), "start": "09:00", "end": "17:00"}],
            },
            {"id": "books", "skill": "bookkeeping", "hours": 10},
            {"id": "social", "skill": "social_media", "hours": 8},
        ],
    }


def pool(size: int, seed: int) -> dict[str, Any]:
    """The job with ``size`` random members; the same ``size`` and ``seed``
    always give the same instance."""
    rng = random.Random(f"matching-pool-{size}-{seed}")
    return {**job(), "members": [member(rng, n) for n in range(1, size + 1)]}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the matching benchmark's pools as JSON.")
    parser.add_argument("--write", type=Path, required=True, metavar="DIR", help="where")
    parser.add_argument("--seed", type=int, default=1, help="the pools' seed (default 1)")
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=list(SIZES), help="members in each pool"
    )
    args = parser.parse_args(argv)
    args.write.mkdir(parents=True, exist_ok=True)
    for size in args.sizes:
        path = args.write / f"bench-pool-{size}.json"
        path.write_text(json.dumps(pool(size, args.seed), indent=1) + "\n", encoding="utf-8")
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
