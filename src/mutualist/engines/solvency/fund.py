"""The monthly model of a collective's fund: will it pay what it promises?

Two kinds of fund, one balance recursion.

**Sick pay** (the bread funds' rules, ``mutual.services.sick_pay``). Members
sit in tiers (a deposit and a gift per tier). Members of a tier are
interchangeable, so the model counts them per tier and path rather than
following each one. Each month:

- from month 1 on, ``Poisson(joins_per_month)`` members join (never past
  ``max_members``), their tiers drawn from the month-0 mix (evenly when
  month 0 has nobody); they deposit from the month they join;
- of the members who are not sick, ``Binomial(n, sick_probability)`` fall
  sick. A sick period starts at the month's start and lasts ``d`` months
  (``durations``; fractions allowed); ``half_share`` of them are at 50 %. Its
  gift for month ``j`` of the period is ``payout x percent x |[j, j + 1) ∩
  [w, min(d, w + max_months))|`` with ``w = waiting_days / (365.25 / 12)``:
  paid from the first day after the waiting period, for at most
  ``max_months`` months, days pro rata (the app's gift arithmetic). The
  member is sick, neither at risk of a new period nor free to leave, for
  months ``j < ceil(d)``;
- a member at 100 % deposits nothing in month ``j`` of the period when that
  month's first day lies in the paid period: ``w <= j < min(d, w +
  max_months)``. That is the app's rule (``_fully_sick_on``: no deposit for
  a month whose first day lies in a 100 % claim's paid period) for a period
  starting on a month's first day, as the model places it. So with the
  usual 30 days' wait the first month is paid for its last 0.44 days and
  deposits all the same; a period of 2.5 months deposits nothing in its
  second and third months (their first days are paid);
- of the members who are not sick, ``Binomial(n, leave_rate)`` leave at the
  month's end; each takes ``balance / members``, their account on average.

**Guarantee** (``mutual.services.guarantee``). ``Poisson(invoices_per_month)``
invoices fall due each month, their amounts drawn from ``invoice_amounts``.
One paid on time brings ``levy_percent`` of it that month. One still unpaid
``overdue_days`` later (``late_probability``) is claimed: the fund owes
``payout_fraction x amount`` at month ``t + ceil(overdue_days / (365.25 /
12))`` (at least ``t + 1``). Of those, ``never_probability`` are never paid
(no levy either); the others are paid at ``t + max(ceil(delay), that
month)``, ``delay`` from ``delays``, bringing the levy and ``recovery x`` the
advance back to the fund. The model counts the recovery as income whether
or not the advance was paid yet (a claim still waiting then is paid from it;
with ``recovery`` 1 the two cancel, as in the app, where the client's payment
settles the members' shares).

**The month, in order**: (1) income: deposits of the members not 100 % sick
on the month's first day (sick pay), levies on the invoices paid that month and the
recoveries (guarantee); (2) the payouts owed this month, plus for the
guarantee what waits from earlier months, paid in full when the balance
covers them, else, with ``partial_payouts``, every one reduced by the same
share (the balance is paid out) or, without, none paid that month. A short
month's unpaid gifts are settled at zero (sick pay, as the app's run); the
guarantee's unpaid claims wait for money (carried to the next month); (3) in
``refund_month`` the balance above the cap (``buffer_multiple x`` the
monthly deposits of all members) is refunded (sick pay); (4) the leavers
take their shares (sick pay). A month is *short* when (2) cannot pay in full.

**Contributions and common random numbers.** A chunk's random events
(payouts owed, income per unit of contribution, the members' deposits for
the cap, the leavers' shares) are drawn first, without looking at the
deposit or levy; the balance recursion then runs over them, a loop over
months vectorised over the chunk's paths. So a different contribution
(``contribution=`` here, or ``recommend_contribution``'s candidates) meets
exactly the same sick periods and invoices, and the shortfall is monotone in
the contribution path by path. The sick-pay lever ``deposit_rate`` sets every
tier's deposit to ``rate x payout``; the guarantee's lever is the levy.

**Durations** (sick periods, payment delays) are geometric (whole months,
memoryless), empirical (drawn uniformly among given lengths) or
Kaplan-Meier (the product-limit estimate from finished lengths and the
lengths so far of those still running; the share the estimate leaves
beyond the longest observation is drawn as that length plus geometric
whole months). ``calibrate`` builds the last from a fund's history.

**Bounds.** Inputs past sane bounds (``_common``: amounts up to 1e12,
a million members, 3,650 days, 1,200 months, ...) are refused with a
``ValueError`` naming them, so the arithmetic stays finite.

Memory: a chunk's events are a few ``chunk_size x months`` arrays (``x``
the tiers for the members' counts); sick periods and invoices are expanded
in bounded batches; the percentile sample is at most ``percentile_paths x
months`` float32.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from mutualist.engines.solvency._common import (
    MAX_AMOUNT,
    MAX_DAYS,
    MAX_DURATION_MONTHS,
    MAX_MEMBERS,
    MAX_PATHS,
    MAX_PERCENTILE_PATHS,
    Progress,
    bernoulli_standard_error,
    check_amounts,
    check_int,
    check_number,
    chunks,
    seed_sequence,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# A month is a twelfth of the mean year, as the app's gift arithmetic counts
# days against the calendar (30.4375 is exact in binary).
MONTH_DAYS = 365.25 / 12
PERCENTILES = (5, 25, 50, 75, 95)
GEOMETRIC = "geometric"
EMPIRICAL = "empirical"
KAPLAN_MEIER = "kaplan_meier"
MAX_MONTHS = 1200
# A shortfall below a billionth of what is owed is the rounding of float
# sums of gifts and deposits (far below any currency's minor unit), not a
# shortfall: without it a balance equal to the gifts could count as short.
SHORT_TOLERANCE = 1e-9
# Events expanded at once: sick periods per scatter, invoices per block of
# months. They bound a chunk's memory however busy the fund (the usual fund
# fits one batch, so the batching costs nothing).
GIFT_BATCH = 2**16
INVOICE_BATCH = 2**18
# Sick periods drawn at once in a month (their lengths and shares): past it a
# month's onsets are drawn in pieces of tiers x paths, bounding memory for a
# fund of a million members. (Distinct from GIFT_BATCH, which only groups
# the scatter: changing that one leaves the draws as they are.)
ONSET_BATCH = 2**20
# (period, month) pairs expanded at once when scattering gifts: a batch of
# long periods over a long horizon holds up to months pairs each.
PAIR_BATCH = 2**21
# Bounds of this module's own (see ``_common`` for the shared ones).
MAX_TIERS = 24  # twice the app's 12: a chunk holds a (months x paths x tiers) array of counts
MAX_JOINS = 10_000.0  # expected joins a month
MAX_INVOICES = 100_000.0  # expected invoices falling due a month
MAX_RATE = 1e6  # a deposit rate (a deposit of a million times the gift)


@dataclass(frozen=True)
class Durations:
    """How long something lasts, in months: a sick period, or the delay from
    an invoice falling due to its late payment.

    Build one with

    - ``Durations.geometric(mean)``: whole months ``k >= 1``, ``P(D = k) =
      q (1 - q)^(k - 1)`` with ``q = 1 / mean`` (1 to 1,200);
    - ``Durations.empirical(months)``: drawn uniformly among the given
      lengths (fractions of a month allowed, each at most 1,200);
    - ``Durations.kaplan_meier(finished, running, tail_mean=...)``: the
      product-limit estimate from the finished lengths and the lengths so
      far of those still running (right-censored). It puts mass only on
      finished lengths; what it leaves beyond the longest observation
      (finished or running) is drawn as that longest length plus geometric
      whole months of mean ``tail_mean`` (by default the censoring-corrected
      memoryless mean, months observed / periods finished). ``mean`` is the
      mean of what is drawn.

    Examples
    --------
    >>> Durations.geometric(3.0).mean
    3.0
    >>> Durations.empirical([1, 2.5]).mean
    1.75
    >>> survival = Durations.kaplan_meier([2.0, 2.0, 2.0], running=[12.0], tail_mean=4.0)
    >>> survival.mean  # 3/4 at 2 months, 1/4 at 12 + 4 on average
    5.5
    """

    kind: str
    mean: float
    values: tuple[float, ...] = ()
    running: tuple[float, ...] = ()  # kaplan_meier: lengths so far of the censored
    tail_mean: float = 0.0  # kaplan_meier: mean months drawn beyond the longest observation

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if self.kind == GEOMETRIC:
            mean = check_number(self.mean, "mean", low=1.0, high=MAX_DURATION_MONTHS)
            if len(self.values):
                raise ValueError("values must be empty for geometric durations.")
            if len(self.running) or self.tail_mean:
                raise ValueError("running and tail_mean are for kaplan_meier durations only.")
            set_(self, "mean", mean)
            set_(self, "values", ())
            set_(self, "running", ())
        elif self.kind == EMPIRICAL:
            values = check_amounts(self.values, "months", high=MAX_DURATION_MONTHS)
            if len(self.running) or self.tail_mean:
                raise ValueError("running and tail_mean are for kaplan_meier durations only.")
            set_(self, "values", tuple(float(v) for v in values))
            set_(self, "running", ())
            set_(self, "mean", float(values.mean()))
        elif self.kind == KAPLAN_MEIER:
            finished = check_amounts(self.values, "finished", high=MAX_DURATION_MONTHS)
            running = (
                check_amounts(self.running, "running", positive=False, high=MAX_DURATION_MONTHS)
                if len(self.running)
                else np.empty(0)
            )
            if self.tail_mean:
                tail_mean = check_number(
                    self.tail_mean, "tail_mean", low=1.0, high=MAX_DURATION_MONTHS
                )
            else:
                observed = float(finished.sum() + running.sum()) / len(finished)
                tail_mean = min(max(observed, 1.0), float(MAX_DURATION_MONTHS))
            set_(self, "values", tuple(float(v) for v in finished))
            set_(self, "running", tuple(float(v) for v in running))
            set_(self, "tail_mean", tail_mean)
            table = self._table
            set_(
                self,
                "mean",
                float(np.dot(table.support, table.probabilities))
                + table.tail_share * (table.tail_from + tail_mean),
            )
        else:
            raise ValueError(
                f"kind must be 'geometric', 'empirical' or 'kaplan_meier'; got {self.kind!r}."
            )

    @classmethod
    def geometric(cls, mean: float) -> Durations:
        """Whole months from 1 up, geometric with this mean (1 to 1,200)."""
        return cls(GEOMETRIC, mean)

    @classmethod
    def empirical(cls, months: Sequence[float]) -> Durations:
        """One of ``months`` (each above 0, at most 1,200), uniformly."""
        if isinstance(months, str | bytes) or not isinstance(months, Sequence | np.ndarray):
            raise ValueError(f"months must be a list of numbers; got {months!r}.")
        return cls(EMPIRICAL, 0.0, tuple(months))

    @classmethod
    def kaplan_meier(
        cls,
        finished: Sequence[float],
        running: Sequence[float] = (),
        *,
        tail_mean: float | None = None,
    ) -> Durations:
        """The product-limit estimate from ``finished`` lengths (at least
        one, each above 0) and the lengths so far of those ``running`` (each
        at least 0), in months; the mass left beyond the longest observation
        drawn as it plus geometric months of mean ``tail_mean`` (1 to 1,200;
        default: ``(sum(finished) + sum(running)) / len(finished)``)."""
        for name, given in (("finished", finished), ("running", running)):
            if isinstance(given, str | bytes) or not isinstance(given, Sequence | np.ndarray):
                raise ValueError(f"{name} must be a list of numbers; got {given!r}.")
        if tail_mean is not None:
            tail_mean = check_number(tail_mean, "tail_mean", low=1.0, high=MAX_DURATION_MONTHS)
        return cls(KAPLAN_MEIER, 0.0, tuple(finished), tuple(running), tail_mean or 0.0)

    @functools.cached_property
    def _table(self) -> _SurvivalTable:
        """The Kaplan-Meier steps (computed once, kept out of the fields)."""
        return _product_limit(
            np.asarray(self.values, dtype=np.float64), np.asarray(self.running, dtype=np.float64)
        )

    def sample(self, rng: np.random.Generator, size: int | tuple[int, ...]) -> FloatArray:
        """``size`` independent durations in months (float64)."""
        if self.kind == GEOMETRIC:
            return rng.geometric(1.0 / self.mean, size).astype(np.float64)
        if self.kind == EMPIRICAL:
            values = np.asarray(self.values, dtype=np.float64)
            return values[rng.integers(0, len(values), size)]
        table = self._table
        uniform = rng.random(size)
        index = np.searchsorted(table.cumulative, uniform, side="right")
        beyond = index >= len(table.support)
        out = table.support[np.minimum(index, len(table.support) - 1)]
        count = int(np.count_nonzero(beyond))
        if count:
            extra = rng.geometric(1.0 / self.tail_mean, count).astype(np.float64)
            out[beyond] = table.tail_from + extra
        return out

    def to_dict(self) -> dict[str, Any]:
        """``{"geometric": 3.0}``, ``{"empirical": [1.0, 2.5]}`` or
        ``{"kaplan_meier": {"finished": [...], "running": [...], "tail_mean": m}}``,
        the config's shape."""
        if self.kind == GEOMETRIC:
            return {GEOMETRIC: self.mean}
        if self.kind == EMPIRICAL:
            return {EMPIRICAL: list(self.values)}
        return {
            KAPLAN_MEIER: {
                "finished": list(self.values),
                "running": list(self.running),
                "tail_mean": self.tail_mean,
            }
        }


@dataclass(frozen=True)
class _SurvivalTable:
    support: FloatArray  # the distinct finished lengths
    probabilities: FloatArray  # the estimate's mass on each
    cumulative: FloatArray  # their running sum (1 at the end when nothing is left over)
    tail_share: float  # the mass beyond the longest observation
    tail_from: float  # the longest observation, finished or running


def _product_limit(finished: FloatArray, running: FloatArray) -> _SurvivalTable:
    """Kaplan-Meier: at each distinct finished length ``t`` the survival
    falls by the factor ``1 - ended(t) / at_risk(t)``, at risk being every
    observation (finished or running) of length ``t`` or more (a period
    running for exactly ``t`` months is at risk at ``t``: ends come first)."""
    support, ended = np.unique(finished, return_counts=True)
    observed = np.sort(np.concatenate([finished, running]))
    at_risk = len(observed) - np.searchsorted(observed, support, side="left")
    survival = np.cumprod(1.0 - ended / at_risk)
    probabilities = -np.diff(np.concatenate([[1.0], survival]))
    tail_share = float(survival[-1])
    cumulative = np.cumsum(probabilities)
    if tail_share == 0.0:
        cumulative[-1] = 1.0  # so no draw falls past the end on rounding
    return _SurvivalTable(
        support=support.astype(np.float64),
        probabilities=probabilities,
        cumulative=cumulative,
        tail_share=tail_share,
        tail_from=float(observed[-1]),
    )


def _tier_amounts(values: Any, name: str, tiers: int) -> tuple[float, ...]:
    amounts = check_amounts(values, name, positive=False, high=MAX_AMOUNT)
    if len(amounts) != tiers:
        raise ValueError(
            f"{name} must hold one amount per tier ({tiers}, as tier_members); got {len(amounts)}."
        )
    return tuple(float(a) for a in amounts)


def _durations(value: Any, name: str) -> Durations:
    if not isinstance(value, Durations):
        raise ValueError(f"{name} must be a Durations; got {value!r}.")
    return value


def _flag(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false; got {value!r}.")
    return value


@dataclass(frozen=True)
class SickPayModel:
    """A sick-pay fund, per tier (tier 0 the lowest). Checked when built:
    every field's bounds, one deposit and one payout per tier.

    Examples
    --------
    >>> model = SickPayModel(
    ...     tier_members=(10, 5), tier_deposits=(30.0, 45.0), tier_payouts=(1000.0, 1500.0),
    ...     sick_probability=0.01, durations=Durations.geometric(3.0))
    >>> model.waiting_days, model.max_months
    (30, 24)
    """

    tier_members: tuple[int, ...]
    tier_deposits: tuple[float, ...]
    tier_payouts: tuple[float, ...]
    sick_probability: float
    durations: Durations
    waiting_days: int = 30
    max_months: int = 24
    half_share: float = 0.0
    initial_balance: float = 0.0
    joins_per_month: float = 0.0
    leave_rate: float = 0.0
    max_members: int | None = None
    buffer_multiple: int | None = 36
    refund_month: int = 1
    start_month: int = 1
    partial_payouts: bool = True

    def __post_init__(self) -> None:
        raw = self.tier_members
        if isinstance(raw, str | bytes) or not isinstance(raw, Sequence | np.ndarray):
            raise ValueError(f"tier_members must be a list of whole numbers; got {raw!r}.")
        if len(raw) == 0:
            raise ValueError("tier_members must hold at least one tier.")
        if len(raw) > MAX_TIERS:
            raise ValueError(f"tier_members must hold at most {MAX_TIERS} tiers; got {len(raw)}.")
        members = tuple(
            check_int(n, f"tier_members[{i}]", low=0, high=MAX_MEMBERS) for i, n in enumerate(raw)
        )
        if sum(members) > MAX_MEMBERS:
            raise ValueError(
                f"tier_members must add up to at most {MAX_MEMBERS} members; got {sum(members)}."
            )
        set_ = object.__setattr__
        set_(self, "tier_members", members)
        set_(self, "tier_deposits", _tier_amounts(self.tier_deposits, "tier_deposits", len(raw)))
        set_(self, "tier_payouts", _tier_amounts(self.tier_payouts, "tier_payouts", len(raw)))
        set_(
            self,
            "sick_probability",
            check_number(self.sick_probability, "sick_probability", low=0.0, high=1.0),
        )
        _durations(self.durations, "durations")
        check_int(self.waiting_days, "waiting_days", low=0, high=MAX_DAYS)
        check_int(self.max_months, "max_months", low=1, high=MAX_DURATION_MONTHS)
        set_(self, "half_share", check_number(self.half_share, "half_share", low=0.0, high=1.0))
        set_(
            self,
            "initial_balance",
            check_number(self.initial_balance, "initial_balance", low=0, high=MAX_AMOUNT),
        )
        set_(
            self,
            "joins_per_month",
            check_number(self.joins_per_month, "joins_per_month", low=0, high=MAX_JOINS),
        )
        set_(self, "leave_rate", check_number(self.leave_rate, "leave_rate", low=0.0, high=1.0))
        if self.max_members is not None:
            check_int(self.max_members, "max_members", low=0, high=MAX_MEMBERS)
        if self.buffer_multiple is not None:
            check_int(self.buffer_multiple, "buffer_multiple", low=1, high=MAX_DURATION_MONTHS)
        check_int(self.refund_month, "refund_month", low=1, high=12)
        check_int(self.start_month, "start_month", low=1, high=12)
        _flag(self.partial_payouts, "partial_payouts")

    @property
    def deposit_rate(self) -> float:
        """The model's own deposits as one rate: the month-0 members' deposits
        over their gifts, ``sum(n_i d_i) / sum(n_i p_i)``. At that rate
        (every tier depositing ``rate x its gift``) the members deposit as
        much in total as with their own deposits, so it is the rate whose
        risk compares with the model's own. With nobody in the fund at month
        0 every tier counts once; with no gift to pay it is 0.

        Examples
        --------
        >>> model = SickPayModel(
        ...     tier_members=(9, 1), tier_deposits=(20.0, 20.0), tier_payouts=(200.0, 3000.0),
        ...     sick_probability=0.01, durations=Durations.geometric(3.0))
        >>> round(model.deposit_rate, 6)  # (9 x 20 + 20) / (9 x 200 + 3000)
        0.041667
        """
        members = self.tier_members if sum(self.tier_members) else (1,) * len(self.tier_members)
        deposits = sum(n * d for n, d in zip(members, self.tier_deposits, strict=True))
        payouts = sum(n * p for n, p in zip(members, self.tier_payouts, strict=True))
        return deposits / payouts if payouts > 0 else 0.0


@dataclass(frozen=True)
class GuaranteeModel:
    """A payment-guarantee fund. Checked when built.

    Examples
    --------
    >>> model = GuaranteeModel(invoices_per_month=4.0, invoice_amounts=(800.0, 1200.0),
    ...                        levy_percent=3.0, payout_fraction=0.8, late_probability=0.1)
    >>> model.delays.mean
    3.0
    """

    invoices_per_month: float
    invoice_amounts: tuple[float, ...]
    levy_percent: float
    payout_fraction: float
    late_probability: float
    overdue_days: int = 30
    delays: Durations = Durations.geometric(3.0)
    never_probability: float = 0.0
    recovery: float = 1.0
    initial_balance: float = 0.0
    partial_payouts: bool = True

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(
            self,
            "invoices_per_month",
            check_number(self.invoices_per_month, "invoices_per_month", low=0.0, high=MAX_INVOICES),
        )
        amounts = check_amounts(self.invoice_amounts, "invoice_amounts", high=MAX_AMOUNT)
        set_(self, "invoice_amounts", tuple(float(a) for a in amounts))
        set_(
            self,
            "levy_percent",
            check_number(self.levy_percent, "levy_percent", low=0.0, high=100.0),
        )
        set_(
            self,
            "payout_fraction",
            check_number(self.payout_fraction, "payout_fraction", low=0.0, high=1.0),
        )
        set_(
            self,
            "late_probability",
            check_number(self.late_probability, "late_probability", low=0.0, high=1.0),
        )
        check_int(self.overdue_days, "overdue_days", low=0, high=MAX_DAYS)
        _durations(self.delays, "delays")
        set_(
            self,
            "never_probability",
            check_number(self.never_probability, "never_probability", low=0.0, high=1.0),
        )
        set_(self, "recovery", check_number(self.recovery, "recovery", low=0.0, high=1.0))
        set_(
            self,
            "initial_balance",
            check_number(self.initial_balance, "initial_balance", low=0, high=MAX_AMOUNT),
        )
        _flag(self.partial_payouts, "partial_payouts")

    @property
    def claim_months(self) -> int:
        """Months from an invoice falling due to the fund's payout (at least 1)."""
        return max(math.ceil(self.overdue_days / MONTH_DAYS), 1)


FundModel = SickPayModel | GuaranteeModel


def _frozen(array: FloatArray) -> FloatArray:
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class FundResult:
    """What ``simulate_fund`` estimates (arrays are read-only).

    ``shortfall_by_month[m]`` is the chance of a first short month at or
    before month ``m + 1`` (so it is non-decreasing and its last entry is
    ``shortfall_probability``). Balances are end-of-month, after refunds and
    leavers. ``expected_balance`` is the mean over all paths; the percentile
    bands come from the first ``percentile_paths`` paths.

    Examples
    --------
    >>> model = GuaranteeModel(invoices_per_month=2.0, invoice_amounts=(1000.0,),
    ...                        levy_percent=5.0, payout_fraction=0.8, late_probability=0.0)
    >>> result = simulate_fund(model, months=12, paths=100, rng=1)
    >>> result.shortfall_probability, result.probability_within(6)
    (0.0, (0.0, 0.0))
    """

    shortfall_probability: float
    standard_error: float
    shortfall_by_month: FloatArray
    standard_error_by_month: FloatArray
    expected_shortfall: float
    paid_share: float
    percentiles: tuple[int, ...]
    balance_percentiles: FloatArray
    expected_income: FloatArray
    expected_payouts: FloatArray
    paths: int
    months: int
    percentile_paths: int
    expected_balance: FloatArray = field(default_factory=lambda: np.zeros(0))
    contribution: float | None = None  # the lever value simulated at; None: the model's own

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: numbers as floats, arrays as (nested) lists."""
        return {
            "shortfall_probability": self.shortfall_probability,
            "standard_error": self.standard_error,
            "shortfall_by_month": self.shortfall_by_month.tolist(),
            "standard_error_by_month": self.standard_error_by_month.tolist(),
            "expected_shortfall": self.expected_shortfall,
            "paid_share": self.paid_share,
            "percentiles": list(self.percentiles),
            "balance_percentiles": self.balance_percentiles.tolist(),
            "expected_balance": self.expected_balance.tolist(),
            "expected_income": self.expected_income.tolist(),
            "expected_payouts": self.expected_payouts.tolist(),
            "paths": self.paths,
            "months": self.months,
            "percentile_paths": self.percentile_paths,
            "contribution": self.contribution,
        }

    def probability_within(self, months: int) -> tuple[float, float]:
        """``(probability, standard error)`` of a short month within the first ``months``."""
        months = check_int(months, "months", low=1, high=self.months)
        return (
            float(self.shortfall_by_month[months - 1]),
            float(self.standard_error_by_month[months - 1]),
        )


# --- A chunk's events -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Events:
    """One chunk's random events, drawn without looking at the contribution.

    Income at lever ``x`` is ``x * unit_income + fixed_income``; at the
    model's own contribution it is ``own_income + fixed_income`` (sick pay:
    the tiers' own deposits) or ``own_level * unit_income + fixed_income``
    (guarantee: its levy)."""

    owed: FloatArray  # (P, M) payouts falling due
    unit_income: FloatArray  # (P, M) income per unit of the lever
    own_income: FloatArray | None  # (P, M) sick pay: the tiers' own deposits
    fixed_income: FloatArray | None  # (P, M) guarantee: recoveries
    own_level: float | None  # guarantee: the model's levy
    refund_months: tuple[int, ...] = ()  # months t whose end refunds above the cap
    cap_multiple: float = 0.0
    own_cap: FloatArray | None = None  # (P, R) all members' own deposits in refund months
    unit_cap: FloatArray | None = None  # (P, R) ... per unit of the rate
    leave: FloatArray | None = None  # (P, M) share of the members leaving at the end
    carry: bool = False  # unpaid claims wait (guarantee)
    partial: bool = True

    @property
    def paths(self) -> int:
        return int(self.owed.shape[0])

    @property
    def nbytes(self) -> int:
        arrays = (
            self.owed,
            self.unit_income,
            self.own_income,
            self.fixed_income,
            self.own_cap,
            self.unit_cap,
            self.leave,
        )
        return sum(a.nbytes for a in arrays if a is not None)


def _events(model: FundModel, months: int, paths: int, rng: np.random.Generator) -> _Events:
    if isinstance(model, SickPayModel):
        return _sick_pay_events(model, months, paths, rng)
    return _guarantee_events(model, months, paths, rng)


def _sick_pay_events(
    model: SickPayModel, months: int, paths: int, rng: np.random.Generator
) -> _Events:
    tiers = len(model.tier_members)
    cells = paths * tiers
    pay = np.asarray(model.tier_payouts, dtype=np.float64)
    dep = np.asarray(model.tier_deposits, dtype=np.float64)
    start = np.asarray(model.tier_members, dtype=np.int64)
    members = np.tile(start, (paths, 1))  # (P, K) in the fund
    well = members.copy()  # (P, K) of them not sick
    back = np.zeros((months + 1, cells), dtype=np.int32)  # sick members well again at month t
    back_flat = back.reshape(-1)
    total = int(start.sum())
    mix = start / total if total else np.full(tiers, 1.0 / tiers)
    member_pay = np.empty((paths, months))  # every member's payout, summed
    member_dep = np.empty((paths, months))  # every member's deposit, summed
    leave = np.zeros((paths, months)) if model.leave_rate > 0 else None
    gifts = _Gifts(model, months, paths)
    for t in range(months):
        well += back[t].reshape(paths, tiers)
        if t > 0 and model.joins_per_month > 0:
            joins = rng.poisson(model.joins_per_month, paths)
            if model.max_members is not None:
                room = np.maximum(model.max_members - members.sum(axis=1), 0)
                joins = np.minimum(joins, room)
            new = rng.multinomial(joins, mix)
            members += new
            well += new
        if model.sick_probability > 0:
            onsets = rng.binomial(well, model.sick_probability)
            if onsets.any():
                well -= onsets
                flat = onsets.ravel()
                # Usually one piece; a huge fund's month comes in pieces of cells.
                for low, high in _pieces(flat, ONSET_BATCH):
                    cell = np.repeat(np.arange(low, high, dtype=np.int64), flat[low:high])
                    count = len(cell)
                    if not count:
                        continue
                    length = model.durations.sample(rng, count)
                    half = (
                        rng.random(count) < model.half_share
                        if model.half_share > 0
                        else np.zeros(count, dtype=bool)
                    )
                    ends = np.minimum(t + np.ceil(length).astype(np.int64), months)
                    # np.unique then one fancy add is several times quicker than np.add.at.
                    where, many = np.unique(ends * cells + cell, return_counts=True)
                    back_flat[where] += many.astype(np.int32)
                    gifts.add(cell, t, length, half)
        member_pay[:, t] = members @ pay
        member_dep[:, t] = members @ dep
        if leave is not None:
            leavers = rng.binomial(well, model.leave_rate)
            counted = members.sum(axis=1)
            leave[:, t] = np.divide(
                leavers.sum(axis=1),
                counted,
                out=np.zeros(paths),
                where=counted > 0,
            )
            members -= leavers
            well -= leavers
    owed, no_pay, no_dep = gifts.arrays()
    refunds = tuple(
        t for t in range(months) if (model.start_month - 1 + t) % 12 + 1 == model.refund_month
    )
    capped = model.buffer_multiple is not None and bool(refunds)
    columns = list(refunds)
    return _Events(
        owed=owed,
        # Clipped at zero: the two sums round differently when everyone is sick.
        unit_income=np.maximum(member_pay - no_pay, 0.0),
        own_income=np.maximum(member_dep - no_dep, 0.0),
        fixed_income=None,
        own_level=None,
        refund_months=refunds if capped else (),
        cap_multiple=float(model.buffer_multiple or 0),
        own_cap=member_dep[:, columns] if capped else None,
        unit_cap=member_pay[:, columns] if capped else None,
        leave=leave,
        carry=False,
        partial=model.partial_payouts,
    )


def _pieces(counts: IntArray, batch: int) -> list[tuple[int, int]]:
    """Ranges ``[low, high)`` of ``counts`` (in order, covering it), each
    summing to at most ``batch`` unless one entry alone is more."""
    total = np.cumsum(counts)
    if len(total) == 0 or int(total[-1]) <= batch:
        return [(0, len(counts))]
    ranges = []
    low, before = 0, 0
    while low < len(counts):
        high = max(int(np.searchsorted(total, before + batch, side="right")), low + 1)
        ranges.append((low, high))
        before = int(total[high - 1])
        low = high
    return ranges


def _scatter(index: IntArray, *, weights: FloatArray, minlength: int) -> FloatArray:
    """``np.bincount`` with weights, typed as the floats it returns."""
    return np.bincount(index, weights=weights, minlength=minlength).astype(np.float64, copy=False)


class _Gifts:
    """The gifts owed per path and month, and the payouts and deposits of the
    members at 100 % who deposit nothing then, gathered from sick periods:
    each period is expanded into one (period, month) pair per month with a
    paid day and scattered with ``bincount``. Periods are scattered in
    batches of at most ``GIFT_BATCH`` periods and about ``PAIR_BATCH``
    pairs, so memory stays bounded however many fall sick and however long
    they stay sick."""

    def __init__(self, model: SickPayModel, months: int, paths: int) -> None:
        self.months = months
        self.paths = paths
        self.tiers = len(model.tier_members)
        self.pay = np.asarray(model.tier_payouts, dtype=np.float64)
        self.dep = np.asarray(model.tier_deposits, dtype=np.float64)
        self.waiting = model.waiting_days / MONTH_DAYS
        self.longest = self.waiting + model.max_months  # a paid period is [waiting, end)
        self.first = math.floor(self.waiting)  # the first month with a paid day
        size = paths * months
        self.owed = np.zeros(size)
        self.no_pay = np.zeros(size)
        self.no_dep = np.zeros(size)
        # (cell, onset, end of the paid period, half, paid months)
        self.parts: list[tuple[IntArray, int, FloatArray, npt.NDArray[np.bool_], IntArray]] = []
        self.pending = 0
        self.pending_pairs = 0

    def add(
        self, cell: IntArray, onset: int, length: FloatArray, half: npt.NDArray[np.bool_]
    ) -> None:
        """Periods starting in month ``onset``, in cells ``path x tiers + tier``."""
        end = np.minimum(length, self.longest)
        count = np.where(end > self.waiting, np.ceil(end).astype(np.int64) - self.first, 0)
        count = np.clip(np.minimum(count, self.months - onset - self.first), 0, None)
        for low, high in _pieces(count, PAIR_BATCH):
            piece = count[low:high]
            self.parts.append((cell[low:high], onset, end[low:high], half[low:high], piece))
            self.pending += high - low
            self.pending_pairs += int(piece.sum())
            if self.pending >= GIFT_BATCH or self.pending_pairs >= PAIR_BATCH:
                self._scatter()

    def arrays(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """``(owed, no_pay, no_dep)``, each ``(paths, months)``."""
        self._scatter()
        shape = (self.paths, self.months)
        return self.owed.reshape(shape), self.no_pay.reshape(shape), self.no_dep.reshape(shape)

    def _scatter(self) -> None:
        if not self.parts:
            return
        cell = np.concatenate([part[0] for part in self.parts])
        onset = np.concatenate([np.full(len(part[0]), part[1]) for part in self.parts])
        end = np.concatenate([part[2] for part in self.parts])
        half = np.concatenate([part[3] for part in self.parts])
        count = np.concatenate([part[4] for part in self.parts])
        self.parts = []
        self.pending = 0
        self.pending_pairs = 0
        months, size, waiting = self.months, len(self.owed), self.waiting
        path, tier = np.divmod(cell, self.tiers)
        period = np.repeat(np.arange(len(cell)), count)
        offset = np.arange(len(period)) - np.repeat(np.cumsum(count) - count, count)
        j = self.first + offset  # month of the period, from 0
        share = np.minimum(j + 1, end[period]) - np.maximum(j, waiting)
        pay = self.pay[tier]
        gift = np.where(half, 0.5 * pay, pay)[period] * share
        flat = path[period] * months + onset[period] + j
        self.owed += _scatter(flat, weights=gift, minlength=size)
        # No deposit at 100 % when the month's first day (j) is paid: w <= j < end.
        full = ~half[period] & (j >= waiting) & (j < end[period])
        flat_full = flat[full]
        self.no_pay += _scatter(flat_full, weights=pay[period][full], minlength=size)
        dep = self.dep[tier][period][full]
        self.no_dep += _scatter(flat_full, weights=dep, minlength=size)


def _guarantee_events(
    model: GuaranteeModel, months: int, paths: int, rng: np.random.Generator
) -> _Events:
    size = paths * months
    counts = rng.poisson(model.invoices_per_month, (paths, months))
    per_month = counts.sum(axis=0)
    owed = np.zeros(size)
    unit = np.zeros(size)
    fixed = np.zeros(size)
    values = np.asarray(model.invoice_amounts)
    claim = model.claim_months
    start = 0
    while start < months:
        # A block of months holding at most INVOICE_BATCH invoices (at least one month).
        stop, held = start + 1, int(per_month[start])
        while stop < months and held + int(per_month[stop]) <= INVOICE_BATCH:
            held += int(per_month[stop])
            stop += 1
        block = counts[:, start:stop].ravel()
        # Usually one piece; a month of a busy fund comes in pieces of paths.
        for low, high in _pieces(block, INVOICE_BATCH):
            cell = np.repeat(np.arange(low, high, dtype=np.int64), block[low:high])
            path, month = np.divmod(cell, stop - start)
            month += start
            held = len(cell)
            amounts = values[rng.integers(0, len(values), held)]
            late = rng.random(held) < model.late_probability
            never = rng.random(held) < model.never_probability
            delay = model.delays.sample(rng, held)
            levy = amounts / 100.0  # income per levy percent
            on_time = ~late
            unit += _scatter(
                path[on_time] * months + month[on_time], weights=levy[on_time], minlength=size
            )
            due = month + claim
            claimed = late & (due < months)
            owed += _scatter(
                path[claimed] * months + due[claimed],
                weights=model.payout_fraction * amounts[claimed],
                minlength=size,
            )
            paid_at = month + np.maximum(np.ceil(delay).astype(np.int64), claim)
            recovered = late & ~never & (paid_at < months)
            at = path[recovered] * months + paid_at[recovered]
            unit += _scatter(at, weights=levy[recovered], minlength=size)
            advance = model.recovery * model.payout_fraction * amounts[recovered]
            fixed += _scatter(at, weights=advance, minlength=size)
        start = stop
    return _Events(
        owed=owed.reshape(paths, months),
        unit_income=unit.reshape(paths, months),
        own_income=None,
        fixed_income=fixed.reshape(paths, months),
        own_level=model.levy_percent,
        carry=True,
        partial=model.partial_payouts,
    )


# --- The balance recursion ------------------------------------------------------------------


@dataclass(frozen=True)
class _Outcome:
    first: IntArray  # (P,) month of the first short month; months when none
    unpaid: FloatArray  # (P,) promised and not paid by the end
    promised: float  # all payouts falling due, summed over paths
    paid: FloatArray  # (M,) paid out, summed over paths
    income: FloatArray  # (M,) income, summed over paths
    balance: FloatArray  # (M,) end-of-month balance, summed over paths
    balances: FloatArray | None  # (P, M) end-of-month balances when asked


def _run(
    events: _Events, initial: float, level: float | None, *, keep_balances: bool = False
) -> _Outcome:
    """The balance recursion over a chunk's events at contribution ``level``
    (None: the model's own), vectorised over paths, a loop over months."""
    paths, months = events.owed.shape
    if level is None and events.own_income is not None:
        income = events.own_income.copy()
    else:
        income = events.unit_income * (level if level is not None else events.own_level or 0.0)
    if events.fixed_income is not None:
        income += events.fixed_income
    cap: FloatArray | None = None
    if level is None and events.own_cap is not None:
        cap = events.own_cap * events.cap_multiple
    elif level is not None and events.unit_cap is not None:
        cap = events.unit_cap * (level * events.cap_multiple)
    refund_at = {t: r for r, t in enumerate(events.refund_months)}
    balance = np.full(paths, initial)
    waiting = np.zeros(paths)
    unpaid = np.zeros(paths)
    first = np.full(paths, months, dtype=np.int64)
    paid_sum = np.empty(months)
    balance_sum = np.empty(months)
    balances = np.empty((paths, months)) if keep_balances else None
    for t in range(months):
        balance += income[:, t]
        owed = events.owed[:, t] + waiting if events.carry else events.owed[:, t]
        short = owed - balance > SHORT_TOLERANCE * (1.0 + owed)
        # Short: the balance is paid out (every gift reduced by the same share), or nothing.
        paid = np.where(short, balance if events.partial else 0.0, owed)
        np.maximum(balance - paid, 0.0, out=balance)
        missing = owed - paid
        if events.carry:
            waiting = missing
        else:
            unpaid += missing
        first[short & (first == months)] = t
        if cap is not None and t in refund_at:
            np.minimum(balance, cap[:, refund_at[t]], out=balance)
        if events.leave is not None:
            balance *= 1.0 - events.leave[:, t]
        paid_sum[t] = paid.sum()
        balance_sum[t] = balance.sum()
        if balances is not None:
            balances[:, t] = balance
    if events.carry:
        unpaid = waiting
    return _Outcome(
        first=first,
        unpaid=unpaid,
        promised=float(events.owed.sum()),
        paid=paid_sum,
        income=income.sum(axis=0),
        balance=balance_sum,
        balances=balances,
    )


def _initial(model: FundModel) -> float:
    return model.initial_balance


def _check_model(model: Any) -> FundModel:
    if not isinstance(model, SickPayModel | GuaranteeModel):
        raise ValueError(f"model must be a SickPayModel or a GuaranteeModel; got {model!r}.")
    return model


def _check_contribution(model: FundModel, value: Any, name: str) -> float:
    if isinstance(model, SickPayModel):
        return check_number(value, name, low=0.0, high=MAX_RATE)
    return check_number(value, name, low=0.0, high=100.0)


def simulate_fund(
    model: FundModel,
    *,
    months: int = 60,
    paths: int = 10_000,
    rng: Any = None,
    chunk_size: int = 4096,
    percentile_paths: int = 50_000,
    progress: Progress | None = None,
    contribution: float | None = None,
) -> FundResult:
    """Simulate a fund month by month over many paths.

    Parameters
    ----------
    model : SickPayModel or GuaranteeModel
        The fund (see the module's docstring for the model and the month's order).
    months : int
        The horizon, at least 1.
    paths : int
        How many independent paths.
    rng : None, int, SeedSequence or Generator
        The randomness; the same seed and ``chunk_size`` give the same result.
        A ``Generator`` contributes the ``SeedSequence`` it was seeded with
        and is neither used nor advanced: the same seeded generator gives the
        same answer every time (``default_rng(7)`` answers as the seed 7
        does). To vary runs, pass other seeds or spawned children
        (``rng.spawn(1)[0]``).
    chunk_size : int
        Paths simulated at once (memory is O(chunk_size x months)).
    percentile_paths : int
        The balance percentiles come from the first this many paths (at
        most 1,000,000; numpy's default, linear interpolation).
    progress : callable, optional
        ``progress(done, paths)`` after each chunk.
    contribution : float, optional
        Simulate at this lever value instead of the model's own: sick pay,
        a deposit rate (every tier deposits ``rate x payout``); guarantee,
        the levy in percent. The random events are the same for every value.

    Returns
    -------
    FundResult

    Examples
    --------
    >>> model = SickPayModel(
    ...     tier_members=(8, 8), tier_deposits=(30.0, 45.0), tier_payouts=(1000.0, 1500.0),
    ...     sick_probability=0.01, durations=Durations.geometric(3.0), initial_balance=2000.0)
    >>> result = simulate_fund(model, months=24, paths=2000, rng=7)
    >>> 0.0 <= result.shortfall_probability <= 1.0
    True
    >>> result.balance_percentiles.shape
    (5, 24)
    """
    model = _check_model(model)
    months = check_int(months, "months", low=1, high=MAX_MONTHS)
    paths = check_int(paths, "paths", low=1, high=MAX_PATHS)
    chunk_size = check_int(chunk_size, "chunk_size", low=1)
    percentile_paths = check_int(
        percentile_paths, "percentile_paths", low=1, high=MAX_PERCENTILE_PATHS
    )
    level = (
        None if contribution is None else _check_contribution(model, contribution, "contribution")
    )
    sequence = seed_sequence(rng)

    kept = min(percentile_paths, paths)
    sample = np.empty((kept, months), dtype=np.float32)
    first_counts = np.zeros(months + 1, dtype=np.int64)
    unpaid = 0.0
    promised = 0.0
    paid = np.zeros(months)
    income = np.zeros(months)
    balance = np.zeros(months)
    done = 0
    for chunk in chunks(paths, chunk_size, sequence):
        events = _events(model, months, chunk.paths, chunk.rng)
        keep = done < kept
        outcome = _run(events, _initial(model), level, keep_balances=keep)
        if keep and outcome.balances is not None:
            rows = min(kept - done, chunk.paths)
            sample[done : done + rows] = outcome.balances[:rows]
        first_counts += np.bincount(outcome.first, minlength=months + 1)
        unpaid += float(outcome.unpaid.sum())
        promised += outcome.promised
        paid += outcome.paid
        income += outcome.income
        balance += outcome.balance
        done += chunk.paths
        if progress is not None:
            progress(done, paths)
    return _result(
        first_counts=first_counts,
        paths=paths,
        unpaid=unpaid,
        promised=promised,
        paid=paid,
        income=income,
        balance=balance,
        sample=sample,
        contribution=level,
    )


def _result(
    *,
    first_counts: IntArray,
    paths: int,
    unpaid: float,
    promised: float,
    paid: FloatArray,
    income: FloatArray,
    balance: FloatArray,
    sample: npt.NDArray[np.floating[Any]],
    contribution: float | None,
) -> FundResult:
    """A ``FundResult`` from the run's totals (shared with the reference)."""
    months = len(paid)
    hits = np.cumsum(first_counts[:months])
    by_month = hits / paths
    errors = np.array([bernoulli_standard_error(int(h), paths) for h in hits])
    bands = np.percentile(sample.astype(np.float64), PERCENTILES, axis=0)
    paid_total = float(paid.sum())
    return FundResult(
        shortfall_probability=float(by_month[-1]),
        standard_error=float(errors[-1]),
        shortfall_by_month=_frozen(by_month.astype(np.float64)),
        standard_error_by_month=_frozen(errors.astype(np.float64)),
        expected_shortfall=unpaid / paths,
        paid_share=1.0 if promised <= 0 else min(paid_total / promised, 1.0),
        percentiles=PERCENTILES,
        balance_percentiles=_frozen(np.asarray(bands, dtype=np.float64)),
        expected_income=_frozen(income / paths),
        expected_payouts=_frozen(paid / paths),
        paths=paths,
        months=months,
        percentile_paths=len(sample),
        expected_balance=_frozen(balance / paths),
        contribution=contribution,
    )
