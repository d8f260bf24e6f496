"""Benchmark: the fund solvency simulator (``mutualist.engines.solvency``), no database.

Three measurements, against the issue's targets on this 2-core machine. Each
timing is wall clock, best and median of ``repeat`` calls (the fund's of at
least 5), after one small untimed call of each engine (imports, SciPy's root
finder, NumPy's first allocations).

1. **Classical model** (``classical_ruin``): 10^6 paths of the
   compound-Poisson reserve with ``claim_rate x horizon = 100`` (claim rate
   1, horizon 100, exponential claims of mean 1, theta 0.1, initial capital
   10), plain Monte Carlo (``method="plain"``). Against it, the same model
   as a straightforward pure-Python loop (``ruin_python``, written here: the
   ``random`` module, one path at a time, one claim at a time, stopping at
   ruin) on 10^4 paths, scaled per path: the ratio of the medians.
   **Target: under 5 s.**
2. **Sick-pay fund** (``simulate_fund``): 10^6 path-months of a 40-member
   bread fund (the eight Broodfonds tiers of ``mutual.rules.DEFAULTS``,
   copied here since the benchmark loads no Django: gifts 750 to 2,500 in
   steps of 250, deposits 4.5 % of the gift; 5 members a tier; a 1 %
   monthly chance of falling sick, geometric sick periods of mean 3
   months, 30 waiting days, at most 24 months of gifts, 36 months' deposits
   as the cap; starting empty): 60 months x 16,667 paths. Against it,
   ``reference.simulate_fund_reference`` (the fund helper's plain-Python
   version of the same model) on 2,000 paths, per path-month: the ratio of
   the medians. **Target: under 1 s.**
3. **Memory**: the peak of what Python and NumPy allocate (``tracemalloc``;
   NumPy reports its buffers to it), one call each, of ``classical_ruin``
   over a shorter horizon (``claim_rate x horizon = 10``) and of
   ``simulate_fund`` over 12 months (not 60: 10^7 paths x 60 months would
   take minutes), at 10^5, 10^6 and 10^7 paths. **Target: flat, the 10^7
   peak within 1.5x the 10^5 peak.**

Both fast answers are also checked against their slow twins: the engine's
estimate and the loop's (the reference's) must agree within 4 combined
standard errors, so a fast wrong answer is a missed target too.

Run it through ``bench/run.py --only solvency`` (about a minute).
"""

from __future__ import annotations

import functools
import math
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness import table

if TYPE_CHECKING:
    from mutualist.engines.solvency.fund import SickPayModel

SRC = Path(__file__).resolve().parent.parent / "src"

# 1. The classical model: lambda T = 100 claims a path expected.
INITIAL, CLAIM_RATE, MEAN_CLAIM, THETA, HORIZON = 10.0, 1.0, 1.0, 0.1, 100.0
CLASSICAL_PATHS = 10**6
PYTHON_PATHS = 10**4
CLASSICAL_TARGET = 5.0  # seconds

# 2. The sick-pay fund: 16,667 paths x 60 months = 10^6 path-months.
TIER_PAYOUTS = tuple(750.0 + 250.0 * step for step in range(8))
TIER_DEPOSITS = tuple(round(payout * 0.045, 2) for payout in TIER_PAYOUTS)  # 33.75 ... 112.50
MEMBERS_PER_TIER = 5
FUND_MONTHS = 60
FUND_PATHS = 16_667
REFERENCE_PATHS = 2_000
FUND_TARGET = 1.0  # seconds

# 3. Memory: shorter runs, growing paths.
MEMORY_PATHS = (10**5, 10**6, 10**7)
MEMORY_HORIZON = 10.0  # claim_rate x horizon = 10
MEMORY_MONTHS = 12
MEMORY_TARGET = 1.5  # the largest run's peak over the smallest's

AGREE_WITHIN = 4.0  # combined standard errors


def broodfonds_model() -> SickPayModel:
    """The 40-member bread fund of the benchmark."""
    from mutualist.engines.solvency.fund import Durations, SickPayModel

    return SickPayModel(
        tier_members=(MEMBERS_PER_TIER,) * len(TIER_PAYOUTS),
        tier_deposits=TIER_DEPOSITS,
        tier_payouts=TIER_PAYOUTS,
        sick_probability=0.01,
        durations=Durations.geometric(3.0),
        waiting_days=30,
        max_months=24,
        buffer_multiple=36,
    )


def ruin_python(
    *,
    initial: float,
    claim_rate: float,
    mean_claim: float,
    premium_rate: float,
    horizon: float,
    paths: int,
    seed: int,
) -> int:
    """How many of ``paths`` compound-Poisson reserves are ruined by
    ``horizon``: the straightforward loop, one path and one claim at a time
    (exponential gaps and exponential claims from ``random``), stopping a
    path at ruin."""
    rnd = random.Random(seed)
    ruined = 0
    for _ in range(paths):
        time_now = 0.0
        claims = 0.0
        while True:
            time_now += rnd.expovariate(claim_rate)
            if time_now > horizon:
                break
            claims += rnd.expovariate(1.0 / mean_claim)
            if initial + premium_rate * time_now - claims < 0.0:
                ruined += 1
                break
    return ruined


@dataclass(frozen=True)
class Timed:
    label: str
    paths: int
    seconds: list[float]  # one per timed call
    estimate: float
    standard_error: float
    unit: int  # paths or path-months per call, for the per-unit figure

    @property
    def best(self) -> float:
        return min(self.seconds)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def per_unit_us(self) -> float:
        return self.median / self.unit * 1e6


@dataclass(frozen=True)
class Peak:
    label: str
    paths: int
    mib: float
    seconds: float


@dataclass(frozen=True)
class SolvencyRun:
    classical: Timed
    loop: Timed
    fund: Timed
    reference: Timed
    peaks: list[Peak]
    repeat: int


def _clock(call: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    seconds = []
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = call()
        seconds.append(time.perf_counter() - started)
    return seconds, result


def _peak(call: Callable[[], Any]) -> tuple[float, float]:
    """(peak MiB traced, seconds) of one call under tracemalloc."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    started = time.perf_counter()
    try:
        call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20, time.perf_counter() - started


def run_solvency(
    *,
    repeat: int = 3,
    classical_paths: int = CLASSICAL_PATHS,
    python_paths: int = PYTHON_PATHS,
    fund_paths: int = FUND_PATHS,
    reference_paths: int = REFERENCE_PATHS,
    memory_paths: Sequence[int] = MEMORY_PATHS,
) -> tuple[str, list[str]]:
    """Measure; the report and the missed targets."""
    if str(SRC) not in sys.path:
        sys.path.insert(0, str(SRC))
    from mutualist.engines.solvency._common import bernoulli_standard_error
    from mutualist.engines.solvency.classical import ClaimSizes, classical_ruin
    from mutualist.engines.solvency.fund import simulate_fund
    from mutualist.engines.solvency.reference import simulate_fund_reference

    claims = ClaimSizes.exponential(MEAN_CLAIM)
    premium = (1.0 + THETA) * CLAIM_RATE * MEAN_CLAIM
    model = broodfonds_model()

    def classical(paths: int, horizon: float = HORIZON) -> Any:
        return classical_ruin(
            initial=INITIAL,
            claim_rate=CLAIM_RATE,
            claims=claims,
            horizon=horizon,
            theta=THETA,
            paths=paths,
            rng=1,
            method="plain",
        )

    def fund(paths: int, months: int = FUND_MONTHS) -> Any:
        return simulate_fund(model, months=months, paths=paths, rng=1)

    # Warm-up: imports, SciPy's root finder, NumPy's first allocations.
    classical(2_000)
    fund(500)

    # 1. The classical model.
    seconds, result = _clock(lambda: classical(classical_paths), repeat)
    classical_timed = Timed(
        "engine, plain Monte Carlo",
        classical_paths,
        seconds,
        result.ruin_probability,
        result.standard_error,
        classical_paths,
    )
    print(f"solvency: classical {classical_paths:,} paths in {min(seconds):.2f} s", file=sys.stderr)
    seconds, ruined = _clock(
        lambda: ruin_python(
            initial=INITIAL,
            claim_rate=CLAIM_RATE,
            mean_claim=MEAN_CLAIM,
            premium_rate=premium,
            horizon=HORIZON,
            paths=python_paths,
            seed=1,
        ),
        repeat,
    )
    loop_timed = Timed(
        "pure-Python loop (random)",
        python_paths,
        seconds,
        ruined / python_paths,
        bernoulli_standard_error(ruined, python_paths),
        python_paths,
    )
    print(f"solvency: Python loop {python_paths:,} paths in {min(seconds):.2f} s", file=sys.stderr)

    # 2. The sick-pay fund.
    seconds, result = _clock(lambda: fund(fund_paths), max(repeat, 5))
    fund_timed = Timed(
        "engine (simulate_fund)",
        fund_paths,
        seconds,
        result.shortfall_probability,
        result.standard_error,
        fund_paths * FUND_MONTHS,
    )
    print(f"solvency: fund {fund_paths:,} paths in {min(seconds):.2f} s", file=sys.stderr)
    seconds, result = _clock(
        lambda: simulate_fund_reference(model, months=FUND_MONTHS, paths=reference_paths, seed=1),
        repeat,
    )
    reference_timed = Timed(
        "reference (plain Python)",
        reference_paths,
        seconds,
        result.shortfall_probability,
        result.standard_error,
        reference_paths * FUND_MONTHS,
    )
    print(f"solvency: reference {reference_paths:,} paths in {min(seconds):.2f} s", file=sys.stderr)

    # 3. Memory.
    peaks = []
    for paths in memory_paths:
        mib, took = _peak(functools.partial(classical, paths, MEMORY_HORIZON))
        peaks.append(
            Peak(f"classical_ruin, claim_rate x horizon = {MEMORY_HORIZON:g}", paths, mib, took)
        )
        print(
            f"solvency: classical {paths:,} paths, peak {mib:.1f} MiB, {took:.1f} s",
            file=sys.stderr,
        )
    for paths in memory_paths:
        mib, took = _peak(functools.partial(fund, paths, MEMORY_MONTHS))
        peaks.append(Peak(f"simulate_fund, {MEMORY_MONTHS} months", paths, mib, took))
        print(f"solvency: fund {paths:,} paths, peak {mib:.1f} MiB, {took:.1f} s", file=sys.stderr)

    run = SolvencyRun(classical_timed, loop_timed, fund_timed, reference_timed, peaks, repeat)
    missed = check_solvency(run)
    report = solvency_text(run)
    if not missed:
        report += "\n\n" + targets_text()
    return report, missed


def _agree(a: Timed, b: Timed) -> bool:
    return abs(a.estimate - b.estimate) <= AGREE_WITHIN * math.hypot(
        a.standard_error, b.standard_error
    )


def check_solvency(run: SolvencyRun) -> list[str]:
    missed = []
    if run.classical.median >= CLASSICAL_TARGET:
        missed.append(
            f"classical: {run.classical.paths:,} paths in {run.classical.median:.2f} s (median), "
            f"target under {CLASSICAL_TARGET:g} s"
        )
    if run.fund.median >= FUND_TARGET:
        missed.append(
            f"fund: {run.fund.unit:,} path-months in {run.fund.median:.2f} s (median), "
            f"target under {FUND_TARGET:g} s"
        )
    for fast, slow in ((run.classical, run.loop), (run.fund, run.reference)):
        if not _agree(fast, slow):
            missed.append(
                f"{fast.label} gives {fast.estimate:.4f} (SE {fast.standard_error:.4f}), "
                f"{slow.label} {slow.estimate:.4f} (SE {slow.standard_error:.4f}): more than "
                f"{AGREE_WITHIN:g} standard errors apart"
            )
    for label in dict.fromkeys(peak.label for peak in run.peaks):
        series = [peak for peak in run.peaks if peak.label == label]
        if len(series) > 1 and series[-1].mib > MEMORY_TARGET * series[0].mib:
            missed.append(
                f"{label}: peak {series[-1].mib:.1f} MiB at {series[-1].paths:,} paths, over "
                f"{MEMORY_TARGET:g}x the {series[0].mib:.1f} MiB at {series[0].paths:,}"
            )
    return missed


def targets_text() -> str:
    return (
        f"Targets met: 10^6 classical paths (100 claims a path expected) in under "
        f"{CLASSICAL_TARGET:g} s, 10^6 path-months of the 40-member sick-pay fund in under "
        f"{FUND_TARGET:g} s (medians), peak memory flat (the largest run within "
        f"{MEMORY_TARGET:g}x the smallest); both engines agree with their plain-Python "
        f"twins within {AGREE_WITHIN:g} standard errors."
    )


def _timing_rows(fast: Timed, slow: Timed, unit: str) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for timed in (fast, slow):
        calls = len(timed.seconds)
        rows.append(
            (
                timed.label,
                f"{timed.paths:,}",
                f"{timed.unit:,}" if unit == "path-months" else "",
                str(calls),
                f"{timed.best:.3f}",
                f"{timed.median:.3f}",
                f"{timed.per_unit_us:.3f}",
                f"{timed.estimate:.4f}",
                f"{timed.standard_error:.4f}",
            )
        )
    return rows


def solvency_text(run: SolvencyRun) -> str:
    header = (
        "",
        "paths",
        "path-months",
        "calls",
        "best s",
        "median s",
        "µs a unit",
        "estimate",
        "SE",
    )
    lines = [
        f"Classical model: u {INITIAL:g}, claim rate {CLAIM_RATE:g}, exponential claims of mean "
        f"{MEAN_CLAIM:g}, theta {THETA:g} (premium rate {(1 + THETA) * CLAIM_RATE * MEAN_CLAIM:g}), "
        f"horizon {HORIZON:g}: {CLAIM_RATE * HORIZON:g} claims a path expected; ruin before the "
        "horizon",
        "",
        table(
            [h for h in header if h != "path-months"],
            [row[:2] + row[3:] for row in _timing_rows(run.classical, run.loop, "paths")],
            left=0,
        ),
        "",
        f"Engine over loop, per path (medians): {run.loop.per_unit_us / run.classical.per_unit_us:,.0f}x",
        "",
        f"Sick-pay fund: {MEMBERS_PER_TIER * len(TIER_PAYOUTS)} members in {len(TIER_PAYOUTS)} "
        f"tiers (gifts {TIER_PAYOUTS[0]:,.0f}-{TIER_PAYOUTS[-1]:,.0f}, deposits 4.5 %), "
        f"{FUND_MONTHS} months, starting empty; a short month at least once",
        "",
        table(header, _timing_rows(run.fund, run.reference, "path-months"), left=0),
        "",
        f"Engine over reference, per path-month (medians): "
        f"{run.reference.per_unit_us / run.fund.per_unit_us:,.0f}x",
        "",
        "Peak traced memory (tracemalloc, one call each; seconds under tracemalloc):",
        "",
    ]
    sizes = sorted({peak.paths for peak in run.peaks})
    peak_header = ("run", *(f"{size:,} paths" for size in sizes), "largest / smallest")
    rows = []
    for label in dict.fromkeys(peak.label for peak in run.peaks):
        series = {peak.paths: peak for peak in run.peaks if peak.label == label}
        cells = [
            f"{series[size].mib:.1f} MiB, {series[size].seconds:.1f} s" if size in series else "-"
            for size in sizes
        ]
        ratio = series[sizes[-1]].mib / series[sizes[0]].mib if series[sizes[0]].mib else math.nan
        rows.append((label, *cells, f"{ratio:.2f}x"))
    lines.append(table(peak_header, rows, left=0))
    return "\n".join(lines)
