"""What the simulator's modules share: checking inputs (one exact
``ValueError`` naming the parameter), splitting paths into chunks with a
random stream each, and the progress callback.

Randomness: a run's ``rng`` (a seed, a ``SeedSequence``, a ``Generator`` or
None) becomes one ``SeedSequence``; chunk ``i`` draws from its ``i``-th
spawned child, so a chunk's draws depend on the seed, the chunk size and
the chunk's index only. The same seed and chunk size give the same result,
whatever else runs; ``recommend_contribution`` relies on it (common random
numbers: every candidate contribution meets the same claims).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

# progress(done, total): paths done so far out of the run's paths. Called
# after each chunk; the command line draws a bar from it.
Progress = Callable[[int, int], None]

# Paths and months are counted in int64 and summed in float64: a run past
# this many paths would lose whole paths to rounding in its counts.
MAX_PATHS = 10**12


def check_number(
    value: Any,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """``value`` as a finite float within the bounds, or ``ValueError``
    ("claim_rate must be at least 0; got -1.0."). Booleans are refused: a
    ``True`` where a rate belongs is a caller's mistake, not 1."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValueError(f"{name} must be a number; got {value!r}.")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number; got {value!r}.")
    if low is not None and (number <= low if low_open else number < low):
        word = "above" if low_open else "at least"
        raise ValueError(f"{name} must be {word} {_shown(low)}; got {_shown(number)}.")
    if high is not None and (number >= high if high_open else number > high):
        word = "below" if high_open else "at most"
        raise ValueError(f"{name} must be {word} {_shown(high)}; got {_shown(number)}.")
    return number


def check_int(value: Any, name: str, *, low: int, high: int | None = None) -> int:
    """``value`` as an int within the bounds, or ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"{name} must be a whole number; got {value!r}.")
    number = int(value)
    if number < low:
        raise ValueError(f"{name} must be at least {low}; got {number}.")
    if high is not None and number > high:
        raise ValueError(f"{name} must be at most {high}; got {number}.")
    return number


def check_amounts(values: Any, name: str, *, positive: bool = True) -> np.ndarray:
    """A non-empty 1-D sequence of finite numbers (each above 0 when
    ``positive``, else at least 0) as a float64 array, or ``ValueError``
    naming the first bad entry ("claims[3] must be above 0; got -2.0.")."""
    if isinstance(values, str | bytes) or not isinstance(values, Sequence | np.ndarray):
        raise ValueError(f"{name} must be a list of numbers; got {values!r}.")
    if len(values) == 0:
        raise ValueError(f"{name} must hold at least one number.")
    out = np.empty(len(values), dtype=np.float64)
    for index, value in enumerate(values):
        out[index] = check_number(value, f"{name}[{index}]", low=0.0, low_open=positive)
    return out


def _shown(number: float) -> str:
    return repr(int(number)) if float(number).is_integer() else repr(float(number))


def seed_sequence(rng: Any) -> np.random.SeedSequence:
    """One ``SeedSequence`` from whatever ``rng`` is (SPEC 7): None (fresh
    entropy), an int seed, a ``SeedSequence``, or a ``Generator`` (its own
    bit generator's seed sequence, so passing a generator is reproducible
    exactly when the generator was seeded)."""
    if isinstance(rng, bool):
        raise ValueError(f"rng must be a seed, a SeedSequence or a Generator; got {rng!r}.")
    if rng is None or isinstance(rng, int | np.integer):
        if rng is not None and int(rng) < 0:
            raise ValueError(f"seed must be at least 0; got {int(rng)}.")
        return np.random.SeedSequence(None if rng is None else int(rng))
    if isinstance(rng, np.random.SeedSequence):
        return rng
    if isinstance(rng, np.random.Generator):
        sequence = rng.bit_generator.seed_seq
        if isinstance(sequence, np.random.SeedSequence):
            return sequence
        # A generator built from a bare bit generator state: draw a seed from it.
        return np.random.SeedSequence(int(rng.integers(0, 2**63)))
    raise ValueError(f"rng must be a seed, a SeedSequence or a Generator; got {rng!r}.")


@dataclass(frozen=True)
class Chunk:
    """One chunk of a run: its index, how many paths, and its own generator."""

    index: int
    paths: int
    rng: np.random.Generator


def chunks(total: int, size: int, sequence: np.random.SeedSequence) -> Iterator[Chunk]:
    """``total`` paths in chunks of ``size`` (the last one smaller), chunk
    ``i`` drawing from the ``i``-th child of ``sequence``. Children are
    spawned as they are needed, so a run of 10^7 paths holds no list of them."""
    count = -(-total // size)
    for index in range(count):
        # spawn_key addresses the i-th child directly, as sequence.spawn would.
        child = np.random.SeedSequence(
            entropy=sequence.entropy,
            spawn_key=(*sequence.spawn_key, index),
            pool_size=sequence.pool_size,
        )
        paths = min(size, total - index * size)
        yield Chunk(index, paths, np.random.default_rng(child))


def bernoulli_standard_error(hits: int, paths: int) -> float:
    """The standard error of a proportion ``hits / paths`` estimated from
    ``paths`` independent paths (0 when every path agrees)."""
    if paths <= 0:
        return 0.0
    share = hits / paths
    return math.sqrt(max(share * (1.0 - share), 0.0) / paths)
