"""The lowest contribution that keeps a fund's shortfall risk under a target.

The lever is the sick-pay fund's deposit rate (every tier deposits ``rate x
its payout``) or the guarantee's levy (percent of each paid invoice). The
search is a bisection on a grid of ``tolerance`` steps with common random
numbers: every candidate meets the same simulated sick periods and invoices
(each chunk's events are drawn once from the chunk's own seed), so the
estimated probability is monotone in the lever path by path and the answer
does not wobble from one candidate to the next. The events of every chunk
are kept while they fit in ``CACHE_BYTES``; beyond that the rest are drawn
again, from the same chunk seeds, for each candidate (the same events,
more time).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from mutualist.engines.solvency._common import (
    MAX_PATHS,
    Progress,
    bernoulli_standard_error,
    check_int,
    check_number,
    chunks,
    seed_sequence,
)
from mutualist.engines.solvency.fund import (
    MAX_MONTHS,
    FundModel,
    SickPayModel,
    _check_contribution,
    _check_model,
    _Events,
    _events,
    _run,
)

DEPOSIT_RATE = "deposit_rate"
LEVY_PERCENT = "levy_percent"
CACHE_BYTES = 256 * 2**20
# The finest grid the search takes: a billionth of the lever (a grid near
# the round(..., 10) that keeps values on it, and at most ~50 bisections
# over a range of a million).
MIN_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Recommendation:
    """The lowest lever value meeting the target, and the risk around it.

    ``value`` is rounded up to the tolerance (or is ``high``); it was
    simulated and met the target: ``shortfall_probability`` is the risk at
    ``value`` (at ``high`` when the target cannot be met, then ``value`` is
    None and ``achievable`` False). ``current`` is the model's own lever
    value (sick pay: ``SickPayModel.deposit_rate``, the members' deposits
    over their gifts, the rate at which they deposit as much in total as
    now) and ``current_probability`` the risk with the model as it is (sick
    pay: each tier's own deposit). ``evaluations`` counts simulations of all
    the paths.

    Examples
    --------
    >>> from mutualist.engines.solvency.fund import GuaranteeModel
    >>> model = GuaranteeModel(invoices_per_month=4.0, invoice_amounts=(1000.0,),
    ...                        levy_percent=1.0, payout_fraction=0.8, late_probability=0.05,
    ...                        initial_balance=500.0)
    >>> answer = recommend_contribution(model, months=24, paths=500, rng=3)
    >>> answer.lever, answer.achievable, answer.shortfall_probability <= answer.target
    ('levy_percent', True, True)
    """

    lever: str
    value: float | None
    achievable: bool
    target: float
    months: int
    shortfall_probability: float
    standard_error: float
    current: float
    current_probability: float
    evaluations: int
    paths: int
    tolerance: float = 0.0
    current_standard_error: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "lever": self.lever,
            "value": self.value,
            "achievable": self.achievable,
            "target": self.target,
            "months": self.months,
            "shortfall_probability": self.shortfall_probability,
            "standard_error": self.standard_error,
            "current": self.current,
            "current_probability": self.current_probability,
            "current_standard_error": self.current_standard_error,
            "evaluations": self.evaluations,
            "paths": self.paths,
            "tolerance": self.tolerance,
        }


class _ChunkEvents:
    """A run's chunks of events, drawn once and kept while they fit in
    ``budget`` bytes; a chunk that did not fit is drawn again from its own
    seed each time (so every pass meets the same events)."""

    def __init__(
        self,
        model: FundModel,
        months: int,
        paths: int,
        chunk_size: int,
        sequence: np.random.SeedSequence,
        budget: int | None = None,
    ) -> None:
        self.model = model
        self.months = months
        self.paths = paths
        self.chunk_size = chunk_size
        self.sequence = sequence
        self.budget = CACHE_BYTES if budget is None else budget
        self.kept: dict[int, _Events] = {}
        self.bytes = 0

    def __iter__(self) -> Iterator[_Events]:
        for chunk in chunks(self.paths, self.chunk_size, self.sequence):
            events = self.kept.get(chunk.index)
            if events is None:
                events = _events(self.model, self.months, chunk.paths, chunk.rng)
                if self.bytes + events.nbytes <= self.budget:
                    self.kept[chunk.index] = events
                    self.bytes += events.nbytes
            yield events


def _round(value: float) -> float:
    # k x tolerance in binary carries noise (37 x 0.0001 = 0.0037000000000000002).
    return round(value, 10)


def _steps(value: float, tolerance: float) -> int:
    """``value`` in tolerance steps, rounded up (a value on the grid, up to
    float noise, stays on it)."""
    steps = value / tolerance
    nearest = round(steps)
    return int(nearest) if abs(steps - nearest) < 1e-9 else math.ceil(steps)


def recommend_contribution(
    model: FundModel,
    *,
    target: float = 0.01,
    months: int = 60,
    paths: int = 10_000,
    rng: Any = None,
    low: float = 0.0,
    high: float | None = None,
    tolerance: float | None = None,
    chunk_size: int = 4096,
    progress: Progress | None = None,
) -> Recommendation:
    """The lowest deposit rate (sick pay) or levy (guarantee) that keeps the
    chance of a short month within ``months`` at or under ``target``.

    Parameters
    ----------
    model : SickPayModel or GuaranteeModel
    target : float
        The highest acceptable shortfall probability, in [0, 1).
    months, paths, rng, chunk_size
        As for ``simulate_fund``; ``simulate_fund(model, contribution=value,
        ...)`` with the same ``rng``, ``months``, ``paths`` and ``chunk_size``
        reproduces the answer's probability exactly. A ``Generator`` as
        ``rng`` contributes the ``SeedSequence`` it was seeded with and is
        not advanced: the same seeded generator gives the same answer every
        time.
    low, high : float
        The lever's range. ``high`` defaults to 1.0 for a deposit rate (a
        deposit equal to the gift; at most 1,000,000) and 100 for a levy
        (percent, at most 100).
    tolerance : float, optional
        The grid of the answer, from 1e-9 to ``(high - low) / 2``: 0.0001
        for a rate, 0.01 (a hundredth of a percent point) for a levy, or
        half the range when that is smaller. The value is rounded up to it
        (``high`` itself when the grid steps past it).
    progress : callable, optional
        ``progress(done, total)`` after each chunk, in path-evaluations.

    Returns
    -------
    Recommendation

    Examples
    --------
    >>> from mutualist.engines.solvency.fund import Durations, SickPayModel
    >>> model = SickPayModel(
    ...     tier_members=(10,), tier_deposits=(30.0,), tier_payouts=(1000.0,),
    ...     sick_probability=0.01, durations=Durations.geometric(2.0), initial_balance=3000.0)
    >>> answer = recommend_contribution(model, target=0.05, months=12, paths=400, rng=1)
    >>> answer.lever, answer.achievable
    ('deposit_rate', True)
    """
    model = _check_model(model)
    sick_pay = isinstance(model, SickPayModel)
    target = check_number(target, "target", low=0.0, high=1.0, high_open=True)
    months = check_int(months, "months", low=1, high=MAX_MONTHS)
    paths = check_int(paths, "paths", low=1, high=MAX_PATHS)
    chunk_size = check_int(chunk_size, "chunk_size", low=1)
    low = _check_contribution(model, low, "low")
    high = _check_contribution(
        model, (1.0 if sick_pay else 100.0) if high is None else high, "high"
    )
    if high < low:
        raise ValueError(f"high must be at least low ({low!r}); got {high!r}.")
    # A grid of at least two steps over the range (when it is one).
    widest = (high - low) / 2.0 if high > low else None
    if tolerance is None:
        tolerance = 0.0001 if sick_pay else 0.01
        if widest is not None:
            tolerance = max(min(tolerance, widest), MIN_TOLERANCE)
    else:
        tolerance = check_number(tolerance, "tolerance", low=MIN_TOLERANCE, high=widest)
    sequence = seed_sequence(rng)
    events = _ChunkEvents(model, months, paths, chunk_size, sequence)

    first_step = _steps(low, tolerance)
    last_step = max(_steps(high, tolerance), first_step)
    planned = 3 + max(math.ceil(math.log2(max(last_step - first_step, 1))), 0) + 1
    total = planned * paths
    done = 0
    evaluations = 0

    def value_of(step: int) -> float:
        # Rounded up to the grid, never past `high` (a `high` off the grid is its own top).
        return min(_round(step * tolerance), high)

    def shortfall(level: float | None) -> tuple[float, float]:
        nonlocal done, evaluations
        hits = 0
        for chunk in events:
            outcome = _run(chunk, model.initial_balance, level)
            hits += int(np.count_nonzero(outcome.first < months))
            done += chunk.paths
            if progress is not None:
                progress(min(done, total), total)
        evaluations += 1
        return hits / paths, bernoulli_standard_error(hits, paths)

    current = model.deposit_rate if isinstance(model, SickPayModel) else model.levy_percent
    current_probability, current_error = shortfall(None)
    at_high = shortfall(high)
    lever = DEPOSIT_RATE if sick_pay else LEVY_PERCENT
    if at_high[0] > target:
        answer = Recommendation(
            lever=lever,
            value=None,
            achievable=False,
            target=target,
            months=months,
            shortfall_probability=at_high[0],
            standard_error=at_high[1],
            current=current,
            current_probability=current_probability,
            evaluations=evaluations,
            paths=paths,
            tolerance=tolerance,
            current_standard_error=current_error,
        )
    else:
        # Invariant: the step `good` meets the target, `bad` (when above -1) does not.
        seen: dict[int, tuple[float, float]] = {}
        at_low = shortfall(value_of(first_step))
        seen[first_step] = at_low
        if at_low[0] <= target:
            good, bad = first_step, first_step - 1
        else:
            good, bad = last_step, first_step
            if value_of(last_step) == high:
                seen[last_step] = at_high
        while good - bad > 1:
            middle = (good + bad) // 2
            seen[middle] = shortfall(value_of(middle))
            if seen[middle][0] <= target:
                good = middle
            else:
                bad = middle
        if good not in seen:
            seen[good] = shortfall(value_of(good))
        value: float | None = value_of(good)
        probability, error = seen[good]
        if probability > target:
            # The grid's top (assumed to meet the target as `high` does) fell
            # below `high` and short of it: `high` is the answer.
            value, (probability, error) = high, at_high
        achievable = probability <= target
        answer = Recommendation(
            lever=lever,
            value=value if achievable else None,
            achievable=achievable,
            target=target,
            months=months,
            shortfall_probability=probability,
            standard_error=error,
            current=current,
            current_probability=current_probability,
            evaluations=evaluations,
            paths=paths,
            tolerance=tolerance,
            current_standard_error=current_error,
        )
    if progress is not None and done < total:
        progress(total, total)
    return answer
