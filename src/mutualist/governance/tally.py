"""Counting ballots into an outcome: pure, no database.

The rules, as the decisions page states them:

- Quorum: at least ``quorum_percent`` of the members eligible at closing have
  a ballot (direct or through a proxy; an abstention counts). With nobody
  eligible there is no quorum.
- Consent: one block stops the proposal (``blocked``), quorum or not: an
  objection is on the record either way.
- Threshold: of the ballots for or against (abstentions aside), at least
  ``threshold_percent`` are for, and always more than half: a tie fails.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Any

FOR = frozenset({"yes", "agree"})
AGAINST = frozenset({"no", "disagree"})
BLOCK = "block"


@dataclass(frozen=True)
class Tally:
    eligible: int
    direct: int
    by_proxy: int
    counts: dict[str, int]
    quorum_needed: int
    outcome: str

    @property
    def voted(self) -> int:
        return self.direct + self.by_proxy

    @property
    def for_votes(self) -> int:
        return sum(n for choice, n in self.counts.items() if choice in FOR)

    @property
    def against_votes(self) -> int:
        return sum(n for choice, n in self.counts.items() if choice in AGAINST)

    @property
    def quorum_met(self) -> bool:
        return self.eligible > 0 and self.voted >= self.quorum_needed

    def as_json(self) -> dict[str, Any]:
        return {
            "eligible": self.eligible,
            "voted": self.voted,
            "direct": self.direct,
            "by_proxy": self.by_proxy,
            "quorum_needed": self.quorum_needed,
            "counts": dict(sorted(self.counts.items())),
        }


def quorum_needed(*, eligible: int, quorum_percent: Decimal) -> int:
    """The fewest ballots that make the quorum: ceil(eligible * percent / 100)."""
    needed = (Decimal(eligible) * quorum_percent / 100).to_integral_value(rounding=ROUND_CEILING)
    return int(needed)


def count(
    *,
    choices: Iterable[tuple[str, bool]],
    eligible: int,
    quorum_percent: Decimal,
    threshold_percent: Decimal,
) -> Tally:
    """Count ``choices`` (each a choice and whether it came through a proxy).

    ``eligible`` is the number of members who could vote at closing; the
    caller passes only their ballots.
    """
    counts: Counter[str] = Counter()
    direct = by_proxy = 0
    for choice, through_proxy in choices:
        counts[choice] += 1
        if through_proxy:
            by_proxy += 1
        else:
            direct += 1
    needed = quorum_needed(eligible=eligible, quorum_percent=quorum_percent)
    voted = direct + by_proxy
    in_favour = sum(n for choice, n in counts.items() if choice in FOR)
    against = sum(n for choice, n in counts.items() if choice in AGAINST)
    if counts[BLOCK]:
        outcome = "blocked"
    elif eligible == 0 or voted < needed:
        outcome = "no_quorum"
    elif in_favour * 2 > in_favour + against and in_favour * 100 >= threshold_percent * (
        in_favour + against
    ):
        outcome = "passed"
    else:
        outcome = "failed"
    return Tally(
        eligible=eligible,
        direct=direct,
        by_proxy=by_proxy,
        counts={choice: n for choice, n in counts.items() if n},
        quorum_needed=needed,
        outcome=outcome,
    )
