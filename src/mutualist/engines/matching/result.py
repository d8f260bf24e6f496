"""The matching engine's answer, and its JSON shape.

``MatchResult.to_dict()`` gives::

    {"status": "optimal", "cost": "1234.50", "currency": "USD", "gap": 0.0,
     "seconds": 0.12,
     "team": [{"member": "ana", "hours": 30, "roles": {"support": 24, "books": 6}}],
     "shifts": [{"role": "support", "member": "ana",
                 "start": "2026-11-29T22:00:00Z", "end": "2026-11-30T06:00:00Z"}],
     "uncovered": [], "reason": null}

``status`` is ``optimal`` (proven), ``feasible`` (the time limit stopped the
search with a valid team; ``gap`` is the proven relative gap), ``infeasible``
(no team keeps every rule; ``uncovered`` lists the role hours nobody
eligible can staff, ``reason`` says what stands in the way) or ``unknown``
(the time limit ran out before any team was found).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

OPTIMAL = "optimal"
FEASIBLE = "feasible"
INFEASIBLE = "infeasible"
UNKNOWN = "unknown"
STATUSES = (OPTIMAL, FEASIBLE, INFEASIBLE, UNKNOWN)


def utc_text(instant: dt.datetime) -> str:
    """``2026-11-29T22:00:00Z``."""
    return instant.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class TeamLine:
    """A member on the team: their hours that week and how they split by role
    (role id to hours, in the order of the instance's roles)."""

    member: str
    hours: int
    roles: Mapping[str, int]
    cost: Decimal  # hours x rate, exact

    def to_dict(self) -> dict[str, Any]:
        return {
            "member": self.member,
            "hours": self.hours,
            "roles": dict(self.roles),
            "cost": str(self.cost),
        }


@dataclass(frozen=True)
class Shift:
    """Consecutive hour slots of one member on one coverage role, as one real
    interval (UTC)."""

    role: str
    member: str
    start: dt.datetime
    end: dt.datetime

    @property
    def hours(self) -> int:
        return int((self.end - self.start) / dt.timedelta(hours=1))

    def to_dict(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "member": self.member,
            "start": utc_text(self.start),
            "end": utc_text(self.end),
        }


@dataclass(frozen=True)
class Uncovered:
    """Consecutive hour slots of a coverage role that no member with its
    skill can staff (nobody is available, or the one who is has no capacity)."""

    role: str
    start: dt.datetime
    end: dt.datetime

    @property
    def hours(self) -> int:
        return int((self.end - self.start) / dt.timedelta(hours=1))

    def to_dict(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "start": utc_text(self.start),
            "end": utc_text(self.end),
            "hours": self.hours,
        }


@dataclass(frozen=True)
class MatchResult:
    status: str
    cost: Decimal | None  # None unless a team was found
    gap: float | None  # relative gap proven; 0.0 when optimal, None without a team
    seconds: float
    team: tuple[TeamLine, ...] = ()
    shifts: tuple[Shift, ...] = ()
    uncovered: tuple[Uncovered, ...] = ()
    reason: str | None = None
    currency: str | None = None
    # Figures of the model, for benchmarks and the curious.
    stats: Mapping[str, int] = field(default_factory=dict)

    @property
    def found(self) -> bool:
        """A team was returned (optimal or feasible)."""
        return self.status in (OPTIMAL, FEASIBLE)

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "cost": None if self.cost is None else str(self.cost),
            "currency": self.currency,
            "gap": self.gap,
            "seconds": self.seconds,
            "team": [line.to_dict() for line in self.team],
            "shifts": [shift.to_dict() for shift in self.shifts],
            "uncovered": [slot.to_dict() for slot in self.uncovered],
            "reason": self.reason,
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)
