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

# Sane upper bounds on the models' inputs. Each is far beyond any real fund,
# and each keeps the arithmetic finite and the memory bounded: a number past
# them is a mistake (a typo, a unit slip), refused with a ValueError naming
# it rather than answered with an overflow or an allocation of terabytes.
MAX_AMOUNT = 1e12  # any amount of money: deposits, gifts, balances, invoices, claims
MAX_MEMBERS = 1_000_000  # members of a fund (month 0, and max_members)
MAX_DAYS = 3650  # waiting_days, overdue_days: ten years
MAX_DURATION_MONTHS = 1200  # a duration or delay, or its mean: a century
MAX_THETA = 1e6  # a safety loading: premiums a million times the expected claims
MAX_PERCENTILE_PATHS = 1_000_000  # paths kept for the balance percentiles


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
    try:
        number = float(value)
    except OverflowError:  # a whole number past float64's range (10**400)
        raise ValueError(
            f"{name} must be a finite number; got a whole number of {_digits(int(value))} digits."
        ) from None
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number; got {value!r}.")
    if low is not None and (number <= low if low_open else number < low):
        word = "above" if low_open else "at least"
        raise ValueError(f"{name} must be {word} {_shown(low)}; got {_shown(number)}.")
    if high is not None and (number >= high if high_open else number > high):
        word = "below" if high_open else "at most"
        raise ValueError(f"{name} must be {word} {_shown(high)}; got {_shown(number)}.")
    return number


def _digits(value: int) -> int:
    # From the bit length: str() of a huge int is refused past 4,300 digits.
    return max(1, math.floor(abs(value).bit_length() * math.log10(2)) + 1)


def check_int(value: Any, name: str, *, low: int, high: int | None = None) -> int:
    """``value`` as an int within the bounds, or ``ValueError`` (a huge
    number is shown by its count of digits)."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"{name} must be a whole number; got {value!r}.")
    number = int(value)
    if number < low:
        raise ValueError(f"{name} must be at least {low}; got {_shown_int(number)}.")
    if high is not None and number > high:
        raise ValueError(f"{name} must be at most {high}; got {_shown_int(number)}.")
    return number


def _shown_int(number: int) -> str:
    if abs(number) < 10**30:
        return str(number)
    return f"a whole number of {_digits(number)} digits"


def check_amounts(
    values: Any, name: str, *, positive: bool = True, high: float | None = None
) -> np.ndarray:
    """A non-empty 1-D sequence of finite numbers (each above 0 when
    ``positive``, else at least 0; at most ``high`` when given) as a float64
    array, or ``ValueError`` naming the first bad entry ("claims[3] must be
    above 0; got -2.0.")."""
    if isinstance(values, str | bytes) or not isinstance(values, Sequence | np.ndarray):
        raise ValueError(f"{name} must be a list of numbers; got {values!r}.")
    if len(values) == 0:
        raise ValueError(f"{name} must hold at least one number.")
    out = np.empty(len(values), dtype=np.float64)
    for index, value in enumerate(values):
        out[index] = check_number(value, f"{name}[{index}]", low=0.0, low_open=positive, high=high)
    return out


def _shown(number: float) -> str:
    if float(number).is_integer() and abs(number) < 1e16:
        return repr(int(number))
    return repr(float(number))


def seed_sequence(rng: Any) -> np.random.SeedSequence:
    """One ``SeedSequence`` from whatever ``rng`` is (SPEC 7): None (fresh
    entropy), an int seed, a ``SeedSequence``, or a ``Generator``.

    A ``Generator`` contributes the ``SeedSequence`` it was seeded with and
    is neither used nor advanced: ``default_rng(7)`` gives exactly what the
    seed 7 gives, and the same seeded generator passed twice gives the same
    answer twice (to vary a run, pass another seed or a spawned child,
    ``rng.spawn(1)[0]``). Only a generator built from a bit generator with
    no seed sequence (legacy seeding) has a seed drawn from it, which
    advances it."""
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
