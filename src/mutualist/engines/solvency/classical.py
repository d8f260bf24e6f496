"""The classical compound-Poisson (Cramér-Lundberg) risk model: the chance
that a reserve is ruined before a horizon.

Model
-----
A reserve starts at ``initial`` (``u``), earns premiums continuously at
``premium_rate`` (``c``) a unit of time, and pays claims that arrive as a
Poisson process of rate ``claim_rate`` (``lambda``) with independent sizes
drawn from :class:`ClaimSizes`. Its surplus at time ``t`` is
``u + c t - S(t)``, ``S(t)`` the claims paid by then. Ruin is the surplus
below zero just after a claim at or before ``horizon`` (``T``); between
claims the surplus only rises, so those instants are the only ones to check.
The premium is given directly or by its safety loading ``theta``:
``c = (1 + theta) * lambda * mean``.

For exponential claims the infinite-horizon probability is
``psi(u) = exp(-theta u / ((1 + theta) mean)) / (1 + theta)`` (for
``theta > 0``; 1 otherwise). :attr:`ClassicalResult.closed_form` gives it.

Simulation
----------
Paths are run in chunks (``_common.chunks``: chunk ``i`` draws from its own
stream). Inside a chunk, paths go in column blocks of about
``_BLOCK_ELEMENTS / K`` at a time: a ``K x columns`` array of standard
exponential gaps and one of claim sizes, ``K`` about
``lambda T + 6 sqrt(lambda T) + 10`` claims (at most ``_MAX_BLOCK_CLAIMS``),
summed down the claims one row at a time (a row is a contiguous vector, so
this is much faster than ``np.cumsum`` along either axis). A path whose
block ended before ``T`` gets another block, carrying its clock and surplus.
Memory held at once is O(``_BLOCK_ELEMENTS``) plus O(``chunk_size``), never
O(``paths``).

Plain Monte Carlo continues every path to its horizon, ruined or not, and
draws for a path depend only on the seed, the chunk size and the path's
arrival times: with the same seed and chunk size, two runs that differ only
in ``initial`` or the premium meet the same claims (common random numbers),
and ruin is pathwise monotone in both, so the estimate is exactly
non-increasing in each (floating-point sums are monotone in their terms).

Importance sampling
-------------------
Ruin far below 1e-4 is invisible to plain Monte Carlo at any affordable
number of paths. ``method="tilted"`` simulates under the Lundberg change of
measure instead: with ``R > 0`` solving ``lambda (M(R) - 1) = c R``
(``M`` the claims' moment generating function), claims arrive at rate
``lambda M(R) = lambda + c R`` with density ``exp(R x) f(x) / M(R)``. Under
it the surplus drifts down, every path is run until ruin or ``T``, and a
ruined path scores ``exp(-R u) exp(R U_tau)`` (``U_tau < 0`` the surplus just
after the ruining claim; the likelihood ratio on ``{tau <= T}``), the others
0. The estimate is their mean, unbiased for the finite-horizon
probability, and its standard error the sample standard deviation over
``sqrt(paths)``. It needs ``theta > 0`` and a light tail (exponential or
empirical claims; lognormal claims have no moment generating function).

A horizon short against the capital needs a steeper tilt: under ``R`` the
surplus drifts down by ``kappa'(R)`` a unit of time and would reach ``-u``
long after ``T``. With ``kappa(r) = lambda (M(r) - 1) - c r`` (0 at ``R``),
the tilt is ``r* >= R`` minimising Gerber's finite-horizon bound
``psi(u, T) <= exp(-r u + T kappa(r))`` (valid for ``r >= R``, where
``kappa >= 0``; for ``r <= R`` the bound is ``exp(-r u)``): ``r* = R`` when
``T kappa'(R) >= u``, else the root of ``kappa'(r) = u / T``, which makes
the tilted surplus reach ``-u`` about at ``T``. The score is then
``exp(-r u + r U_tau + tau kappa(r))`` (``tau`` the time of ruin), at most
the bound. With exponential claims the bound at ``r*`` is
``exp(-(sqrt((u + c T) / mean) - sqrt(lambda T))^2)``.

``method="auto"`` tilts when it can and that bound (``ruin_bound``, the
smaller of it and ``exp(-R u)``) is below ``TILT_BELOW``: a bound is a
certainty, so plain Monte Carlo is used only where ruin may be common
enough for it to see.

A zero estimate is not a proof of zero: with no ruined path, plain Monte
Carlo says the probability is likely below about ``3 / paths``.
``upper_bound_95`` gives a one-sided 95 % upper bound for every answer
(Clopper-Pearson for plain paths, ``1 - 0.05^(1/paths)``, about ``3 /
paths``, when none was ruined; the estimate plus 1.645 standard errors when
tilted; never above ``ruin_bound``), and the standard error of a zero
estimate from paths that could have been ruined is that of a single hit
(``1 / paths``, or for tilted paths ``ruin_bound / paths``), never 0. Only
a certainty reports 0 and 0: no claims, or a bound below the smallest
float.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import brentq
from scipy.special import betaincinv

from mutualist.engines.solvency._common import (
    MAX_AMOUNT,
    MAX_PATHS,
    MAX_THETA,
    Progress,
    bernoulli_standard_error,
    check_amounts,
    check_int,
    check_number,
    chunks,
    seed_sequence,
)

EXPONENTIAL = "exponential"
LOGNORMAL = "lognormal"
EMPIRICAL = "empirical"
KINDS = (EXPONENTIAL, LOGNORMAL, EMPIRICAL)

AUTO = "auto"
PLAIN = "plain"
TILTED = "tilted"
METHODS = (AUTO, PLAIN, TILTED)

# "auto" tilts when the finite-horizon bound on the ruin probability is
# below this: above it plain Monte Carlo sees enough ruined paths.
TILT_BELOW = 1e-2
# claim_rate x mean claim below this underflows the loading's arithmetic.
MIN_EXPECTED_CLAIMS = 1e-300
# One-sided 95 %: the normal quantile for a tilted estimate's upper bound.
Z_95 = 1.6448536269514722

# Float64 elements of one block array (4 MiB). Measured on the 2-core
# development machine, 10^6 paths of 100 expected claims: 1.7 s at 2**17,
# 1.3 s at 2**18, 1.2 s at 2**19, 1.3 s at 2**20.
_BLOCK_ELEMENTS = 2**19
# Claims per block at most: a long horizon is run in several blocks rather
# than one block so tall that only a handful of paths fit in it.
_MAX_BLOCK_CLAIMS = 512

FloatArray = NDArray[np.float64]
IndexArray = NDArray[np.intp]
# fill(rng, out, scratch, index): claim sizes drawn into ``out``; ``scratch``
# and ``index`` are work buffers of the same shape.
_Sampler = Callable[[np.random.Generator, FloatArray, FloatArray, IndexArray], None]


@dataclass(frozen=True)
class ClaimSizes:
    """The distribution of one claim's size. Build it with
    :meth:`exponential`, :meth:`lognormal` or :meth:`empirical`.

    ``kind`` is ``"exponential"`` (parameter: ``mean``), ``"lognormal"``
    (``mu``, ``sigma`` of the claim's logarithm) or ``"empirical"``
    (``amounts``, drawn uniformly, repeats counting as often as they occur).
    ``mean`` is the distribution's mean in every case.

    Examples
    --------
    >>> ClaimSizes.exponential(250.0).mean
    250.0
    >>> round(ClaimSizes.lognormal(5.0, 1.0).mean, 2)
    244.69
    >>> ClaimSizes.empirical([100, 200, 600]).mean
    300.0
    >>> import numpy as np
    >>> ClaimSizes.empirical([10]).sample(np.random.default_rng(1), 3)
    array([10., 10., 10.])
    """

    kind: str
    mean: float
    mu: float | None = None
    sigma: float | None = None
    amounts: tuple[float, ...] = ()
    # The amounts as an array, built once (empirical only).
    _values: FloatArray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(
                f"kind must be 'exponential', 'lognormal' or 'empirical'; got {self.kind!r}."
            )
        mean = check_number(self.mean, "mean", low=0.0, low_open=True, high=MAX_AMOUNT)
        values = np.empty(0, dtype=np.float64)
        if self.kind == EXPONENTIAL:
            if self.mu is not None or self.sigma is not None or self.amounts:
                raise ValueError("exponential claims take only a mean.")
        elif self.kind == LOGNORMAL:
            if self.mu is None or self.sigma is None or self.amounts:
                raise ValueError("lognormal claims take mu and sigma.")
            _check_same_mean(mean, _lognormal_mean(self.mu, self.sigma), "lognormal(mu, sigma)")
        else:
            values = check_amounts(list(self.amounts), "amounts", high=MAX_AMOUNT)
            if self.mu is not None or self.sigma is not None:
                raise ValueError("empirical claims take only amounts.")
            _check_same_mean(mean, float(values.mean()), "empirical(amounts)")
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "_values", values)

    @classmethod
    def exponential(cls, mean: float) -> ClaimSizes:
        """Exponential claims with this mean (above 0, at most 1e12)."""
        return cls(
            kind=EXPONENTIAL,
            mean=check_number(mean, "mean", low=0.0, low_open=True, high=MAX_AMOUNT),
        )

    @classmethod
    def lognormal(cls, mu: float, sigma: float) -> ClaimSizes:
        """Lognormal claims: the logarithm of a claim is normal with mean
        ``mu`` and standard deviation ``sigma`` (at least 0), the claims'
        mean ``exp(mu + sigma**2 / 2)`` at most 1e12."""
        mu = check_number(mu, "mu")
        sigma = check_number(sigma, "sigma", low=0.0)
        return cls(kind=LOGNORMAL, mean=_lognormal_mean(mu, sigma), mu=mu, sigma=sigma)

    @classmethod
    def empirical(cls, amounts: Sequence[float]) -> ClaimSizes:
        """Claims drawn uniformly among ``amounts`` (each above 0, at most
        1e12): a list of past claims, or one amount for a claim of fixed
        size."""
        values = check_amounts(amounts, "amounts", high=MAX_AMOUNT)
        return cls(
            kind=EMPIRICAL,
            mean=float(values.mean()),
            amounts=tuple(float(value) for value in values),
        )

    @property
    def scale(self) -> float:
        """The exponential's scale (its mean)."""
        return self.mean

    @property
    def light_tailed(self) -> bool:
        """The claims have a moment generating function near 0, so the
        Lundberg exponent exists and exponential tilting can be used."""
        return self.kind != LOGNORMAL

    def sample(self, rng: np.random.Generator, size: int | tuple[int, ...]) -> FloatArray:
        """Claim sizes drawn from ``rng``, as a float64 array of ``size``
        (the same draws the simulator makes from the same generator)."""
        out = np.empty(size, dtype=np.float64)
        self._fill(rng, out, np.empty_like(out), np.empty(out.shape, dtype=np.intp))
        return out

    def _fill(
        self, rng: np.random.Generator, out: FloatArray, scratch: FloatArray, index: IndexArray
    ) -> None:
        """Claim sizes drawn into ``out``, allocating nothing (the
        simulator's blocks reuse their buffers)."""
        if self.kind == EXPONENTIAL:
            rng.standard_exponential(out=out)
            out *= self.mean
        elif self.kind == LOGNORMAL:
            if self.mu is None or self.sigma is None:  # refused when built; for mypy
                raise ValueError("lognormal claims take mu and sigma.")
            rng.standard_normal(out=out)
            out *= self.sigma
            out += self.mu
            # A draw past exp(709) is an infinite claim: ruin, as it should be.
            with np.errstate(over="ignore"):
                np.exp(out, out=out)
        else:
            # Uniform among the amounts: floor(n U), U in [0, 1); the minimum
            # guards against n U rounding up to n.
            count = self._values.size
            rng.random(out=scratch)
            scratch *= count
            np.copyto(index, scratch, casting="unsafe")
            np.minimum(index, count - 1, out=index)
            np.take(self._values, index, out=out)

    def log_mgf(self, r: float) -> float:
        """``log M(r)``, the log of the moment generating function
        ``E[exp(r X)]``: ``inf`` where it diverges (every ``r > 0`` for
        lognormal claims, which are given for ``r >= 0`` only), computed
        without overflow for empirical amounts."""
        if self.kind == EXPONENTIAL:
            return -math.log1p(-r * self.mean) if r * self.mean < 1.0 else math.inf
        if self.kind == LOGNORMAL:
            if r < 0.0:
                raise ValueError("the lognormal's log_mgf is only given for r >= 0.")
            return 0.0 if r == 0.0 else math.inf
        top = float(self._values.max())
        return r * top + math.log(float(np.mean(np.exp(r * (self._values - top)))))


def _lognormal_mean(mu: float, sigma: float) -> float:
    exponent = mu + sigma * sigma / 2.0
    if exponent > _LOG_MAX_AMOUNT:
        raise ValueError(
            f"mu + sigma**2/2 must be at most {_LOG_MAX_AMOUNT:.4f} (a mean claim of at most "
            f"1e12); got {exponent!r}."
        )
    return math.exp(exponent)


_LOG_MAX_AMOUNT = math.log(MAX_AMOUNT)


def _check_same_mean(given: float, computed: float, builder: str) -> None:
    if not math.isclose(given, computed, rel_tol=1e-9):
        raise ValueError(
            f"mean must be the distribution's mean {computed!r}; got {given!r}. "
            f"Build the claims with ClaimSizes.{builder}."
        )


@dataclass(frozen=True)
class ClassicalResult:
    """The estimated ruin probability and what it was computed from.

    ``theta`` is ``c / (claim_rate * mean) - 1`` also when the premium rate
    was given (infinite, ``None`` in :meth:`to_dict`, when ``claim_rate`` is
    0 and the premium rate was given). ``adjustment_coefficient`` is the
    Lundberg exponent ``R`` when it exists (claims at all, ``theta > 0``, a
    light tail). ``closed_form`` is the infinite-horizon ``psi(u)`` for
    exponential claims (it bounds the finite-horizon probability from
    above), else None.

    ``ruin_bound`` is a certain upper bound on the finite-horizon
    probability (Gerber's, ``min over r > 0 of exp(-r u + T max(kappa(r),
    0))``; None for lognormal claims, which have no moment generating
    function). ``upper_bound_95`` is a one-sided 95 % upper bound on the
    probability: read a ``ruin_probability`` of 0 as "below
    ``upper_bound_95``" (about ``3 / paths`` from plain paths), not as
    impossible; only a certainty (no claims, or ``ruin_bound`` below the
    smallest float) reports 0 with a standard error of 0. ``tilt_exponent``
    is the exponent the paths were tilted by (``R``, or the steeper ``r*``
    of a short horizon; None for plain paths).

    Examples
    --------
    >>> result = classical_ruin(
    ...     initial=0.0, claim_rate=0.0, claims=ClaimSizes.exponential(1.0),
    ...     horizon=10.0, theta=0.2, paths=10,
    ... )
    >>> result.to_dict()["ruin_probability"], result.to_dict()["standard_error"]
    (0.0, 0.0)
    """

    ruin_probability: float
    standard_error: float
    paths: int
    horizon: float
    initial: float
    claim_rate: float
    premium_rate: float
    theta: float
    method: str
    adjustment_coefficient: float | None
    closed_form: float | None
    mean_claims_per_path: float
    upper_bound_95: float = 0.0
    ruin_bound: float | None = None
    tilt_exponent: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready values (floats, ints, strings, None; a
        non-finite float becomes None)."""
        return {
            "ruin_probability": _json_float(self.ruin_probability),
            "standard_error": _json_float(self.standard_error),
            "paths": self.paths,
            "horizon": _json_float(self.horizon),
            "initial": _json_float(self.initial),
            "claim_rate": _json_float(self.claim_rate),
            "premium_rate": _json_float(self.premium_rate),
            "theta": _json_float(self.theta),
            "method": self.method,
            "adjustment_coefficient": _json_float(self.adjustment_coefficient),
            "closed_form": _json_float(self.closed_form),
            "mean_claims_per_path": _json_float(self.mean_claims_per_path),
            "upper_bound_95": _json_float(self.upper_bound_95),
            "ruin_bound": _json_float(self.ruin_bound),
            "tilt_exponent": _json_float(self.tilt_exponent),
        }


def _json_float(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def exponential_ruin(*, initial: float, theta: float, mean: float) -> float:
    """The infinite-horizon ruin probability for exponential claims,
    ``exp(-theta u / ((1 + theta) mean)) / (1 + theta)`` when ``theta > 0``,
    else 1.

    Examples
    --------
    >>> round(exponential_ruin(initial=0.0, theta=0.25, mean=1.0), 6)
    0.8
    """
    if theta <= 0.0:
        return 1.0
    if math.isinf(theta):
        return 0.0
    return math.exp(-theta * initial / ((1.0 + theta) * mean)) / (1.0 + theta)


def lundberg_exponent(
    claims: ClaimSizes, *, claim_rate: float, premium_rate: float
) -> float | None:
    """The adjustment coefficient ``R > 0`` solving
    ``claim_rate (M(R) - 1) = premium_rate R``, or None when there is none
    (no claims, a premium at or below the expected claims, lognormal claims)
    or it cannot be told from 0 in float64.

    Exponential claims: ``R = theta / ((1 + theta) mean)``. Empirical: the
    root of ``log M(r) - log(1 + c r / lambda)``, a convex function that is 0
    at 0 and falls at first, by ``scipy.optimize.brentq``.

    Examples
    --------
    >>> lundberg_exponent(ClaimSizes.exponential(2.0), claim_rate=1.0, premium_rate=2.5)
    0.1
    >>> R = lundberg_exponent(ClaimSizes.empirical([2.0]), claim_rate=1.0, premium_rate=2.5)
    >>> round(2.0 * R - math.log1p(2.5 * R), 12)
    0.0
    """
    if claim_rate <= 0.0 or not claims.light_tailed:
        return None
    theta = _loading(premium_rate, claim_rate, claims.mean)
    if not theta > 0.0 or not math.isfinite(theta):
        return None
    if claims.kind == EXPONENTIAL:
        return theta / ((1.0 + theta) * claims.mean)
    ratio = premium_rate / claim_rate

    def gap(r: float) -> float:
        return claims.log_mgf(r) - math.log1p(ratio * r)

    high = 1.0 / claims.mean
    for _ in range(2000):
        if gap(high) > 0.0:
            break
        high *= 2.0
    else:
        return None
    low = high
    for _ in range(2000):
        low /= 2.0
        if low == 0.0:
            return None
        if gap(low) < 0.0:
            break
    else:
        return None
    root = brentq(gap, low, high, xtol=low * 1e-14, rtol=4 * np.finfo(float).eps)
    return float(root)


def _loading(premium_rate: float, claim_rate: float, mean: float) -> float:
    """``c / (lambda mean) - 1``, divided in turn so that a tiny product
    cannot underflow to a division by zero (an overflow is ``inf``)."""
    return premium_rate / claim_rate / mean - 1.0


@dataclass(frozen=True)
class _Tilt:
    """The exponential tilt of a run: exponent ``r``, ``kappa(r) >= 0`` (0
    at the Lundberg exponent), the tilted claims' ``rate`` and ``mean``,
    and ``log_bound = -r u + T kappa(r)``, the log of the bound on ruin
    (and of the largest score)."""

    exponent: float
    kappa: float
    rate: float
    mean: float
    log_bound: float


def _tilt(
    claims: ClaimSizes,
    *,
    claim_rate: float,
    premium_rate: float,
    theta: float,
    lundberg: float,
    initial: float,
    horizon: float,
) -> _Tilt:
    """The tilt minimising Gerber's bound ``exp(-r u + T kappa(r))`` over
    ``r >= R`` (see the module's docstring): ``R`` itself unless the
    horizon is short against the capital (``T kappa'(R) < u``), then the
    root of ``kappa'(r) = u / T``."""
    at_lundberg = _Tilt(
        exponent=lundberg,
        kappa=0.0,
        # lambda M(R) = lambda + c R by the Lundberg equation: no overflow of M.
        rate=claim_rate + premium_rate * lundberg,
        # Exponential: mean / (1 - mean R) = mean (1 + theta), with no cancellation
        # (a huge theta would put 1 - mean R at 0).
        mean=claims.mean * (1.0 + theta)
        if claims.kind == EXPONENTIAL
        else _tilted_mean(claims, lundberg),
        log_bound=-lundberg * initial,
    )
    drift = initial / horizon  # kappa'(r*) = u / T: ruin about at T under the tilt
    if not math.isfinite(drift) or at_lundberg.rate * at_lundberg.mean - premium_rate >= drift:
        # kappa'(R) = lambda M'(R) - c >= u / T: R is the minimum (or T too short to tell).
        return at_lundberg
    if claims.kind == EXPONENTIAL:
        mean = claims.mean
        # (1 - mean r*)^2 = lambda mean / (c + u / T); kappa(r*) and the bound in closed form.
        share = math.sqrt(claim_rate * mean * horizon / (premium_rate * horizon + initial))
        exponent = (1.0 - share) / mean
        kappa = max(claim_rate * (1.0 / share - 1.0) - premium_rate * exponent, 0.0)
        # The log bound -r* u + T kappa(r*) equals -(sqrt((u + c T) / mean) -
        # sqrt(lambda T))^2; the scores are scaled by exactly this expression.
        return _Tilt(
            exponent=exponent,
            kappa=kappa,
            rate=claim_rate / share,
            mean=mean / share,
            log_bound=-exponent * initial + horizon * kappa,
        )
    # Empirical: log(lambda M'(r)) = log(c + u / T), increasing in r, in logs (no overflow).
    values = claims._values
    top = float(values.max())
    goal = math.log(premium_rate + drift) - math.log(claim_rate)

    def slope(r: float) -> float:
        weights = np.exp(r * (values - top))
        return r * top + math.log(float(np.dot(values, weights)) / len(values)) - goal

    high = max(2.0 * lundberg, 1.0 / claims.mean)
    for _ in range(2000):
        if slope(high) > 0.0:
            break
        high *= 2.0
    else:  # pragma: no cover - u / T finite keeps the root finite
        return at_lundberg
    exponent = float(brentq(slope, lundberg, high, xtol=lundberg * 1e-12 + 1e-300))
    tilted_mean = _tilted_mean(claims, exponent)
    # lambda M(r*) = (c + u / T) / (the tilted mean), from lambda M'(r*) = c + u / T.
    rate = (premium_rate + drift) / tilted_mean
    kappa = max(rate - claim_rate - premium_rate * exponent, 0.0)
    return _Tilt(
        exponent=exponent,
        kappa=kappa,
        rate=rate,
        mean=tilted_mean,
        log_bound=-exponent * initial + horizon * kappa,
    )


def _tilted_mean(claims: ClaimSizes, exponent: float) -> float:
    """The mean of empirical claims under the tilt ``exp(r x) f(x) / M(r)``."""
    values = claims._values
    weights = np.exp(exponent * (values - values.max()))
    return float(np.dot(values, weights) / weights.sum())


def _no_tilt_bound(
    claims: ClaimSizes, *, claim_rate: float, premium_rate: float, initial: float, horizon: float
) -> float | None:
    """Gerber's bound without a Lundberg exponent (``theta <= 0``):
    ``min over r > 0 of exp(-r u + T kappa(r))``, ``kappa > 0`` there
    (exponential claims in closed form; empirical claims by the same root;
    None when there is no moment generating function)."""
    if not claims.light_tailed:
        return None
    drift = initial / horizon
    expected_slope = claim_rate * claims.mean - premium_rate  # kappa'(0)
    if not math.isfinite(drift) or expected_slope >= drift:
        return 1.0  # the minimum is at r = 0
    if claims.kind == EXPONENTIAL:
        gap = math.sqrt((initial + premium_rate * horizon) / claims.mean) - math.sqrt(
            claim_rate * horizon
        )
        return math.exp(-gap * gap)
    values = claims._values
    top = float(values.max())
    goal = math.log(premium_rate + drift) - math.log(claim_rate)

    def slope(r: float) -> float:
        weights = np.exp(r * (values - top))
        return r * top + math.log(float(np.dot(values, weights)) / len(values)) - goal

    high = 1.0 / claims.mean
    for _ in range(2000):
        if slope(high) > 0.0:
            break
        high *= 2.0
    else:  # pragma: no cover
        return 1.0
    exponent = float(brentq(slope, 0.0, high, xtol=1e-300))
    # lambda M(r) = (c + u / T) / (the tilted mean) at the root: no overflow of M.
    kappa = (premium_rate + drift) / _tilted_mean(claims, exponent) - claim_rate
    kappa -= premium_rate * exponent
    return min(math.exp(min(-exponent * initial + horizon * kappa, 0.0)), 1.0)


@dataclass(frozen=True)
class _Measure:
    """What one simulation draws from: claims arrive at ``rate`` with sizes
    from ``sample``; ``claim_mean`` sizes the blocks."""

    rate: float
    claim_mean: float
    sample: _Sampler


def _plain_measure(claims: ClaimSizes, claim_rate: float) -> _Measure:
    return _Measure(rate=claim_rate, claim_mean=claims.mean, sample=claims._fill)


def _tilted_measure(claims: ClaimSizes, tilt: _Tilt) -> _Measure:
    rate, mean, exponent = tilt.rate, tilt.mean, tilt.exponent
    if claims.kind == EXPONENTIAL:

        def exponential(
            rng: np.random.Generator, out: FloatArray, scratch: FloatArray, index: IndexArray
        ) -> None:
            rng.standard_exponential(out=out)
            out *= mean

        return _Measure(rate=rate, claim_mean=mean, sample=exponential)
    values = claims._values
    weights = np.exp(exponent * (values - values.max()))
    cumulative = np.cumsum(weights / weights.sum())
    cumulative[-1] = 1.0

    def empirical(
        rng: np.random.Generator, out: FloatArray, scratch: FloatArray, index: IndexArray
    ) -> None:
        # Inverse transform; searchsorted allocates its answer (this path
        # only runs for rare ruin, with fewer paths).
        rng.random(out=scratch)
        np.take(values, np.searchsorted(cumulative, scratch, side="right"), out=out)

    return _Measure(rate=rate, claim_mean=mean, sample=empirical)


def _block_claims(expected: float) -> int:
    """Claims per block for a path expected to see ``expected`` more: six
    standard deviations of a Poisson count above it, so a second block is
    rare, but at most ``_MAX_BLOCK_CLAIMS``."""
    if expected >= _MAX_BLOCK_CLAIMS:
        return _MAX_BLOCK_CLAIMS
    return min(_MAX_BLOCK_CLAIMS, math.ceil(expected + 6.0 * math.sqrt(expected) + 10.0))


class _Work:
    """Buffers every block of a run reuses: a fresh 4 MiB array is fresh
    pages from the kernel each time, which measured twice as slow as the
    simulation itself."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.times = np.empty(capacity, dtype=np.float64)
        self.moves = np.empty(capacity, dtype=np.float64)
        self.scratch = np.empty(capacity, dtype=np.float64)
        self.below = np.empty(capacity, dtype=np.bool_)
        self.within = np.empty(capacity, dtype=np.bool_)
        self.index = np.empty(capacity, dtype=np.intp)


def _simulate(
    rng: np.random.Generator,
    columns: int,
    measure: _Measure,
    work: _Work,
    *,
    initial: float,
    premium_rate: float,
    horizon: float,
    first_claims: int,
    tilted: bool,
) -> tuple[NDArray[np.bool_], FloatArray, FloatArray]:
    """Run ``columns`` paths to their horizon (``tilted``: to ruin or the
    horizon). Returns which were ruined and, ``tilted``, the surplus just
    after the ruining claim and the time of ruin (0 elsewhere).

    Time is counted in expected claims (``rate * t``), so the gaps are
    standard exponentials and the horizon is ``rate * horizon``. A block is
    ``claims x paths``, rows summed one at a time (each row a contiguous
    vector over the paths).
    """
    end = measure.rate * horizon
    step = premium_rate / measure.rate  # premium earned per unit of counted time
    floor = -initial  # ruined when c t - S(t) < -u
    ruined = np.zeros(columns, dtype=np.bool_)
    at_ruin = np.zeros(columns, dtype=np.float64)
    ruin_time = np.zeros(columns, dtype=np.float64)
    clock = np.zeros(columns, dtype=np.float64)
    level = np.zeros(columns, dtype=np.float64)
    active = np.arange(columns)
    claims = first_claims
    while active.size:
        count = active.size
        size = claims * count
        shape = (claims, count)
        times = work.times[:size].reshape(shape)
        moves = work.moves[:size].reshape(shape)
        scratch = work.scratch[:size].reshape(shape)
        below = work.below[:size].reshape(shape)
        within = work.within[:size].reshape(shape)
        rng.standard_exponential(out=times)
        measure.sample(rng, moves, scratch, work.index[:size].reshape(shape))
        # moves <- premium earned over each gap minus the claim at its end.
        np.multiply(times, step, out=scratch)
        np.subtract(scratch, moves, out=moves)
        times[0] += clock[active]
        moves[0] += level[active]
        for row in range(1, claims):
            np.add(times[row - 1], times[row], out=times[row])
            np.add(moves[row - 1], moves[row], out=moves[row])
        np.less(moves, floor, out=below)
        np.less_equal(times, end, out=within)
        below &= within
        hit = below.any(axis=0)
        if tilted:
            where = np.flatnonzero(hit)
            if where.size:
                first = below[:, where].argmax(axis=0)
                at_ruin[active[where]] = initial + moves[first, where]
                ruin_time[active[where]] = times[first, where] / measure.rate
        ruined[active[hit]] = True
        clock[active] = times[-1]
        level[active] = moves[-1]
        # Plain: every path runs to its horizon, ruined or not, so which
        # paths draw another block, and how tall it is, depend on their
        # arrival times only (the common random numbers behind the exact
        # monotonicity in u and c).
        going = times[-1] <= end
        if tilted:
            going &= ~hit
        active = active[going]
        if active.size:
            remaining = end - float(clock[active].min())
            claims = max(1, min(_block_claims(remaining), work.capacity // active.size))
    return ruined, at_ruin, ruin_time


def classical_ruin(
    *,
    initial: float,
    claim_rate: float,
    claims: ClaimSizes,
    horizon: float,
    premium_rate: float | None = None,
    theta: float | None = None,
    paths: int = 100_000,
    rng: Any = None,
    chunk_size: int = 2**15,
    method: str = AUTO,
    progress: Progress | None = None,
) -> ClassicalResult:
    """The probability that a compound-Poisson reserve is ruined before
    ``horizon``, by Monte Carlo, with its standard error.

    Parameters
    ----------
    initial : float
        The reserve at time 0 (``u``), 0 to 1e12.
    claim_rate : float
        Expected claims per unit of time (``lambda``), at least 0. With 0
        nothing is ever claimed: the answer is exactly 0. Otherwise
        ``claim_rate x claims.mean`` must be at least 1e-300.
    claims : ClaimSizes
        The claim size distribution.
    horizon : float
        ``T`` (above 0): ruin at a claim at or before it counts.
    premium_rate : float, optional
        Premium income per unit of time (``c``, at least 0; 0 is allowed),
        giving a loading of at most 1e6.
    theta : float, optional
        The safety loading (above 0, at most 1e6): ``c = (1 + theta) lambda
        mean``. Give exactly one of ``premium_rate`` and ``theta``.
    paths : int
        Simulated paths (at least 1).
    rng : None, int, SeedSequence or Generator
        The randomness (see ``_common.seed_sequence``). The same seed and
        ``chunk_size`` give the same result. A ``Generator`` contributes the
        ``SeedSequence`` it was seeded with and is not advanced: the same
        seeded generator gives the same answer every time (to vary runs,
        pass other seeds or ``rng.spawn(1)[0]``).
    chunk_size : int
        Paths per random stream and per progress report.
    method : {"auto", "plain", "tilted"}
        ``plain`` Monte Carlo, ``tilted`` importance sampling by exponential
        tilting (needs ``theta > 0`` and exponential or empirical claims;
        the Lundberg exponent, or a steeper one for a short horizon), or
        ``auto``: tilted when it can be and the finite-horizon bound
        ``ruin_bound`` is below ``TILT_BELOW`` (0.01), plain otherwise.
    progress : callable, optional
        ``progress(done, total)`` after each chunk.

    Returns
    -------
    ClassicalResult
        A ``ruin_probability`` of 0 means no simulated path was ruined, not
        that ruin is impossible: ``upper_bound_95`` says how high it may
        still be (about ``3 / paths`` from plain paths), and its
        ``standard_error`` is a single hit's. Only a certainty (no claims,
        or ``ruin_bound`` below the smallest float) gives 0 and 0.

    Raises
    ------
    ValueError
        One line naming the bad parameter.

    Examples
    --------
    Exponential claims of mean 1 with a 25 % loading, over a horizon long
    enough for the closed form ``exp(-0.2 u) / 1.25`` to hold:

    >>> result = classical_ruin(
    ...     initial=5.0, claim_rate=1.0, claims=ClaimSizes.exponential(1.0),
    ...     theta=0.25, horizon=1000.0, paths=10_000, rng=1,
    ... )
    >>> result.method, round(result.closed_form, 4)
    ('plain', 0.2943)
    >>> abs(result.ruin_probability - result.closed_form) < 4 * result.standard_error
    True

    Rare ruin is estimated by exponential tilting:

    >>> rare = classical_ruin(
    ...     initial=60.0, claim_rate=1.0, claims=ClaimSizes.exponential(1.0),
    ...     theta=0.25, horizon=1000.0, paths=2_000, rng=1,
    ... )
    >>> rare.method, f"{rare.closed_form:.2e}"
    ('tilted', '4.92e-06')
    >>> abs(rare.ruin_probability / rare.closed_form - 1) < 0.05
    True
    """
    initial = check_number(initial, "initial", low=0.0, high=MAX_AMOUNT)
    claim_rate = check_number(claim_rate, "claim_rate", low=0.0)
    if not isinstance(claims, ClaimSizes):
        raise ValueError(
            "claims must be a ClaimSizes (ClaimSizes.exponential, .lognormal or "
            f".empirical); got {claims!r}."
        )
    if claim_rate > 0.0 and claim_rate * claims.mean < MIN_EXPECTED_CLAIMS:
        raise ValueError(
            "claim_rate must be 0 or give claim_rate x mean claim of at least 1e-300; "
            f"got {claim_rate!r} x {claims.mean!r}."
        )
    horizon = check_number(horizon, "horizon", low=0.0, low_open=True)
    if premium_rate is not None and theta is not None:
        raise ValueError("give exactly one of premium_rate and theta; got both.")
    if premium_rate is None and theta is None:
        raise ValueError("give exactly one of premium_rate and theta; got neither.")
    if theta is not None:
        theta = check_number(theta, "theta", low=0.0, low_open=True, high=MAX_THETA)
        premium = (1.0 + theta) * claim_rate * claims.mean
        if not math.isfinite(premium):
            raise ValueError(f"theta gives an infinite premium rate; got {theta!r}.")
        loading = theta
    else:
        premium = check_number(premium_rate, "premium_rate", low=0.0)
        loading = _loading(premium, claim_rate, claims.mean) if claim_rate > 0.0 else math.inf
        if claim_rate > 0.0 and not loading <= MAX_THETA:
            raise ValueError(
                f"premium_rate must give a theta of at most {MAX_THETA:.0f} (premiums at most "
                f"a million times the expected claims); got theta = {loading:.6g}."
            )
    paths = check_int(paths, "paths", low=1, high=MAX_PATHS)
    chunk_size = check_int(chunk_size, "chunk_size", low=1)
    if not isinstance(method, str) or method not in METHODS:
        raise ValueError(f"method must be 'auto', 'plain' or 'tilted'; got {method!r}.")
    if method == TILTED and claim_rate > 0.0:
        if not claims.light_tailed:
            raise ValueError(
                "method 'tilted' needs claim sizes with a moment generating function; "
                "lognormal claims have none (their tail is too heavy for exponential "
                "tilting): use method 'plain' or 'auto'."
            )
        if not loading > 0.0:
            raise ValueError(
                "method 'tilted' needs a premium above the expected claims (theta > 0); "
                f"premium_rate {premium!r} gives theta = {loading:.6g}, so there is no "
                "Lundberg exponent to tilt by: use method 'plain' or 'auto'."
            )
    if progress is not None and not callable(progress):
        raise ValueError(f"progress must be a callable or None; got {progress!r}.")
    sequence = seed_sequence(rng)

    exponent = lundberg_exponent(claims, claim_rate=claim_rate, premium_rate=premium)
    if method == TILTED and claim_rate > 0.0 and exponent is None:
        raise ValueError(
            f"method 'tilted' could not find the Lundberg exponent: theta = {loading:.6g} is "
            "too close to 0 for float64; use method 'plain' or 'auto'."
        )
    closed_form: float | None = None
    if claims.kind == EXPONENTIAL:
        closed_form = (
            exponential_ruin(initial=initial, theta=loading, mean=claims.mean)
            if claim_rate > 0.0
            else 0.0
        )
    # The tilt a tilted run would use, and Gerber's finite-horizon bound.
    tilt: _Tilt | None = None
    bound: float | None
    if claim_rate == 0.0:
        bound = 0.0
    elif exponent is not None:
        tilt = _tilt(
            claims,
            claim_rate=claim_rate,
            premium_rate=premium,
            theta=loading,
            lundberg=exponent,
            initial=initial,
            horizon=horizon,
        )
        bound = math.exp(min(tilt.log_bound, -exponent * initial, 0.0))
    else:
        bound = _no_tilt_bound(
            claims, claim_rate=claim_rate, premium_rate=premium, initial=initial, horizon=horizon
        )
    if claim_rate == 0.0:
        chosen = PLAIN if method == AUTO else method
    elif method == AUTO:
        rare = tilt is not None and bound is not None and bound < TILT_BELOW
        chosen = TILTED if rare else PLAIN
    else:
        chosen = method

    def result(probability: float, error: float, upper: float) -> ClassicalResult:
        return ClassicalResult(
            ruin_probability=probability,
            standard_error=error,
            paths=paths,
            horizon=horizon,
            initial=initial,
            claim_rate=claim_rate,
            premium_rate=premium,
            theta=loading,
            method=chosen,
            adjustment_coefficient=exponent,
            closed_form=closed_form,
            mean_claims_per_path=claim_rate * horizon,
            upper_bound_95=upper if bound is None else min(upper, bound),
            ruin_bound=bound,
            tilt_exponent=used.exponent if used is not None else None,
        )

    used = tilt if chosen == TILTED and claim_rate > 0.0 else None
    # No claims: nothing can ruin. A bound below the smallest float: the
    # probability is 0 in float64, and tilted paths would need some u /
    # (their drift) claims each to reach ruin, without end.
    if claim_rate == 0.0 or (used is not None and bound == 0.0):
        if progress is not None:
            progress(paths, paths)
        return result(0.0, 0.0, 0.0)

    if used is not None:
        measure = _tilted_measure(claims, used)
        # Under the tilted measure the surplus drifts down: paths are ruined
        # after about u / (drift per claim) claims, often well before T.
        drift = measure.claim_mean - premium / measure.rate
        expected = measure.rate * horizon
        if drift > 0.0:
            expected = min(expected, initial / drift + 1.0)
    else:
        measure = _plain_measure(claims, claim_rate)
        expected = measure.rate * horizon
    first_claims = _block_claims(expected)
    columns = max(1, min(_BLOCK_ELEMENTS // first_claims, chunk_size, paths))
    work = _Work(first_claims * columns)

    hits = 0
    done = 0
    # Tilted: running count, mean and sum of squared deviations of the
    # scores exp(r U_tau + kappa (tau - T)) (the scores over the bound
    # exp(-r u + kappa T), so each is at most 1), merged chunk by chunk
    # (Chan et al.), never a float of every path.
    total_mean = 0.0
    total_squares = 0.0
    for chunk in chunks(paths, chunk_size, sequence):
        scores = np.zeros(chunk.paths, dtype=np.float64) if used is not None else None
        for start in range(0, chunk.paths, columns):
            count = min(columns, chunk.paths - start)
            ruined, at_ruin, ruin_time = _simulate(
                chunk.rng,
                count,
                measure,
                work,
                initial=initial,
                premium_rate=premium,
                horizon=horizon,
                first_claims=first_claims,
                tilted=used is not None,
            )
            hits += int(np.count_nonzero(ruined))
            if scores is not None and used is not None:
                block = scores[start : start + count]
                block[ruined] = np.exp(
                    used.exponent * at_ruin[ruined] + used.kappa * (ruin_time[ruined] - horizon)
                )
        if scores is not None:
            chunk_mean = float(scores.mean())
            chunk_squares = float(np.sum((scores - chunk_mean) ** 2))
            merged = done + chunk.paths
            delta = chunk_mean - total_mean
            total_squares += chunk_squares + delta * delta * done * chunk.paths / merged
            total_mean += delta * chunk.paths / merged
        done += chunk.paths
        if progress is not None:
            progress(done, paths)

    if used is None:
        if hits == 0:
            # Not a proof of zero: one hit's size, and Clopper-Pearson's 95 %.
            return result(0.0, 1.0 / paths, _clopper_pearson_upper(0, paths))
        error = bernoulli_standard_error(hits, paths)
        return result(hits / paths, error, _clopper_pearson_upper(hits, paths))
    scale = math.exp(used.log_bound)
    deviation = math.sqrt(total_squares / (paths - 1)) if paths > 1 else 0.0
    probability = scale * total_mean
    error = scale * deviation / math.sqrt(paths)
    if probability == 0.0:
        # No tilted path ruined (a hit would have scored at most the bound:
        # Clopper-Pearson on the tilted ruins, times it), or every ruined
        # path's score underflowed (an overshoot far past the capital under
        # a huge loading): not a proof of zero either way.
        upper = scale * _clopper_pearson_upper(0, paths) if hits == 0 else scale
        return result(0.0, scale / paths, upper)
    return result(probability, error, min(probability + Z_95 * error, scale))


def _clopper_pearson_upper(hits: int, paths: int) -> float:
    """The exact one-sided 95 % upper bound on a proportion seen ``hits``
    times in ``paths`` (``1 - 0.05^(1/paths)``, about ``3 / paths``, at 0)."""
    if hits >= paths:
        return 1.0
    if hits == 0:
        return -math.expm1(math.log(0.05) / paths)
    return float(betaincinv(hits + 1, paths - hits, 0.95))
