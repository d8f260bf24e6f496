"""The model's rates from a fund's own history, leaning on priors while the
history is short.

Every rate is a shrinkage estimate (the mean of a Beta or Gamma posterior
whose prior is worth ``weight`` observations)::

    estimate = (prior x weight + observed total) / (weight + observations)

so a fund with no history gets the prior exactly, a short history moves it
a little and a long one speaks for itself. Each ``Estimate`` says where it
came from and the share of it that came from the history
(``observations / (weight + observations)``).

Censored sick periods (still running) count as *at least* their length:
their months so far are added to the months sick, but they add no ended
period. That is the estimator of a memoryless (geometric) duration's mean
under right censoring, months sick / periods ended: a long period still
running raises the mean, as it should, where dropping it would lower it.

From 30 finished periods on, the durations follow the history's own shape:
the Kaplan-Meier (product-limit) estimate from the finished periods and
the running ones (censored at their length so far), never the running ones
as if they had ended then. What it leaves beyond the longest observation
(when that one is still running) is drawn as that length plus geometric
months with the censoring-corrected mean above. Below 30, a geometric
duration with that mean. So one more period finishing at the threshold
does not drop the running ones' weight.

Late invoices are censored alike: one still unpaid and not written off
(``GuaranteeHistory.outstanding``) counts in the delay as at least its age,
and in the never-paid share neither as paid nor as never (the share is
estimated among the late invoices whose outcome is known).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mutualist.engines.solvency._common import (
    MAX_DURATION_MONTHS,
    check_amounts,
    check_int,
    check_number,
)
from mutualist.engines.solvency.fund import Durations

HISTORY = "history"
PRIOR = "prior"
BOTH = "history and prior"
# Below this many finished periods (or late payments) their lengths are too
# few to stand for the distribution: a geometric one with their mean.
EMPIRICAL_FROM = 30


@dataclass(frozen=True)
class Estimate:
    """A calibrated rate: its value, where it came from, the history's share
    of it (0..1) and how many observations it rests on."""

    value: float
    source: str
    weight: float
    observations: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "source": self.source,
            "weight": self.weight,
            "observations": self.observations,
        }


def _shrunk(
    prior: float, prior_weight: float, total: float, count: float, observations: int
) -> Estimate:
    """``(prior x prior_weight + total) / (prior_weight + count)``; the
    prior when there is nothing to count."""
    if count <= 0 and total <= 0:
        return Estimate(value=prior, source=PRIOR, weight=0.0, observations=observations)
    if prior_weight <= 0 and count > 0:
        return Estimate(value=total / count, source=HISTORY, weight=1.0, observations=observations)
    if prior_weight + count <= 0:
        return Estimate(value=prior, source=PRIOR, weight=0.0, observations=observations)
    value = (prior * prior_weight + total) / (prior_weight + count)
    return Estimate(
        value=value,
        source=BOTH,
        weight=count / (prior_weight + count),
        observations=observations,
    )


def _lengths(
    values: Any, name: str, *, positive: bool = True, high: float | None = None
) -> tuple[float, ...]:
    if isinstance(values, Sequence) and not isinstance(values, str | bytes) and not values:
        return ()
    return tuple(float(v) for v in check_amounts(values, name, positive=positive, high=high))


def _durations(finished: Sequence[float], censored: Sequence[float], mean: float) -> Durations:
    """Kaplan-Meier from ``EMPIRICAL_FROM`` finished on (its tail geometric
    with ``mean``), else geometric with ``mean``; the mean kept within
    1 to 1,200 months (past a century, a duration is "longer than any
    horizon", which 1,200 months already is)."""
    mean = min(max(mean, 1.0), float(MAX_DURATION_MONTHS))
    if len(finished) >= EMPIRICAL_FROM:
        return Durations.kaplan_meier(finished, censored, tail_mean=mean)
    return Durations.geometric(mean)


@dataclass(frozen=True)
class SickPayHistory:
    """A sick-pay fund's history (checked when built).

    ``member_months``: months members were in the fund and not sick;
    ``sick_periods``: periods that started in those months (``half_periods``
    of them at 50 %); ``durations``: finished periods' lengths in months;
    ``ongoing``: months so far of periods still running (each length at
    most 1,200 months).

    Examples
    --------
    >>> SickPayHistory(member_months=240, sick_periods=3, durations=(2.0, 4.5)).ongoing
    ()
    """

    member_months: int
    sick_periods: int
    durations: tuple[float, ...]
    ongoing: tuple[float, ...] = ()
    half_periods: int = 0

    def __post_init__(self) -> None:
        months = check_int(self.member_months, "member_months", low=0)
        check_int(self.sick_periods, "sick_periods", low=0, high=months)
        object.__setattr__(
            self, "durations", _lengths(self.durations, "durations", high=MAX_DURATION_MONTHS)
        )
        # A period that started today has run 0 months so far.
        object.__setattr__(
            self,
            "ongoing",
            _lengths(self.ongoing, "ongoing", positive=False, high=MAX_DURATION_MONTHS),
        )
        check_int(self.half_periods, "half_periods", low=0, high=self.sick_periods)


@dataclass(frozen=True)
class SickPayCalibration:
    """The sick-pay model's rates from a history."""

    sick_probability: Estimate
    mean_duration: Estimate
    durations: Durations
    half_share: Estimate


def calibrate_sick_pay(
    history: SickPayHistory,
    *,
    prior_probability: float = 0.01,
    prior_member_months: int = 240,
    prior_mean_duration: float = 3.0,
    prior_periods: int = 5,
    prior_half_share: float = 0.25,
    prior_half_weight: int = 8,
) -> SickPayCalibration:
    """Sick-pay rates from a fund's history, shrunk toward priors.

    - ``sick_probability``: periods started per member-month not sick, the
      prior worth ``prior_member_months``;
    - ``mean_duration``: months sick (finished periods, and the running
      ones so far) per finished period, the prior worth ``prior_periods``
      periods; ``durations`` is the Kaplan-Meier estimate from the finished
      and running periods from 30 finished periods on (its tail beyond the
      longest running period geometric with that mean), else geometric with
      that mean (within 1 to 1,200 months);
    - ``half_share``: the share of periods at 50 %, the prior worth
      ``prior_half_weight`` periods.

    Examples
    --------
    >>> calibration = calibrate_sick_pay(SickPayHistory(0, 0, ()))
    >>> calibration.sick_probability.value, calibration.sick_probability.source
    (0.01, 'prior')
    >>> history = SickPayHistory(member_months=240, sick_periods=6, durations=(2.0, 4.0))
    >>> calibrate_sick_pay(history).sick_probability.value
    0.0175
    >>> long = SickPayHistory(3000, 40, durations=(2.0,) * 30, ongoing=(12.0,) * 10)
    >>> calibrate_sick_pay(long).durations.kind
    'kaplan_meier'
    """
    if not isinstance(history, SickPayHistory):
        raise ValueError(f"history must be a SickPayHistory; got {history!r}.")
    prior_probability = check_number(prior_probability, "prior_probability", low=0.0, high=1.0)
    prior_member_months = check_int(prior_member_months, "prior_member_months", low=0)
    prior_mean_duration = check_number(
        prior_mean_duration, "prior_mean_duration", low=1.0, high=MAX_DURATION_MONTHS
    )
    prior_periods = check_int(prior_periods, "prior_periods", low=0)
    prior_half_share = check_number(prior_half_share, "prior_half_share", low=0.0, high=1.0)
    prior_half_weight = check_int(prior_half_weight, "prior_half_weight", low=0)

    probability = _shrunk(
        prior_probability,
        prior_member_months,
        history.sick_periods,
        history.member_months,
        history.member_months,
    )
    finished = len(history.durations)
    months_sick = sum(history.durations) + sum(history.ongoing)
    if finished == 0 and prior_periods == 0:
        # Nothing ended and no prior to lean on: the prior's mean stands.
        mean = Estimate(
            value=prior_mean_duration,
            source=PRIOR,
            weight=0.0,
            observations=len(history.ongoing),
        )
    else:
        mean = _shrunk(
            prior_mean_duration,
            prior_periods,
            months_sick,
            finished,
            finished + len(history.ongoing),
        )
    half = _shrunk(
        prior_half_share,
        prior_half_weight,
        history.half_periods,
        history.sick_periods,
        history.sick_periods,
    )
    return SickPayCalibration(
        sick_probability=probability,
        mean_duration=mean,
        durations=_durations(history.durations, history.ongoing, mean.value),
        half_share=half,
    )


@dataclass(frozen=True)
class GuaranteeHistory:
    """A guarantee fund's history (checked when built).

    ``months`` of invoicing; ``invoice_amounts`` of the invoices that fell
    due then; ``late`` of them paid after ``overdue_days`` or still unpaid
    past it; ``delays``: months from due to payment of the late-paid ones;
    ``never``: late invoices written off; ``outstanding``: the late ones
    neither paid nor written off yet, each as the months since it fell due
    (censored: their delay is at least that, their outcome unknown). Every
    late invoice is one of the three: ``len(delays) + never +
    len(outstanding)`` is at most ``late``.

    Examples
    --------
    >>> history = GuaranteeHistory(months=12, invoice_amounts=(900.0,) * 40, late=4,
    ...                            delays=(1.5, 2.0), never=1, outstanding=(3.0,))
    >>> history.outstanding
    (3.0,)
    """

    months: int
    invoice_amounts: tuple[float, ...]
    late: int
    delays: tuple[float, ...]
    never: int = 0
    outstanding: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        months = check_int(self.months, "months", low=0)
        amounts = _lengths(self.invoice_amounts, "invoice_amounts")
        if amounts and months == 0:
            raise ValueError("months must be at least 1 when invoice_amounts holds invoices.")
        object.__setattr__(self, "invoice_amounts", amounts)
        late = check_int(self.late, "late", low=0, high=len(amounts))
        delays = _lengths(self.delays, "delays", high=MAX_DURATION_MONTHS)
        object.__setattr__(self, "delays", delays)
        never = check_int(self.never, "never", low=0, high=late)
        outstanding = _lengths(
            self.outstanding, "outstanding", positive=False, high=MAX_DURATION_MONTHS
        )
        object.__setattr__(self, "outstanding", outstanding)
        room = late - never - len(delays)
        if len(outstanding) > max(room, 0):
            raise ValueError(
                f"outstanding must hold at most {max(room, 0)} entries (late - never - "
                f"len(delays)); got {len(outstanding)}."
            )


@dataclass(frozen=True)
class GuaranteeCalibration:
    """The guarantee model's rates from a history."""

    invoices_per_month: Estimate
    invoice_amounts: tuple[float, ...]
    late_probability: Estimate
    never_probability: Estimate
    mean_delay: Estimate
    delays: Durations


def calibrate_guarantee(
    history: GuaranteeHistory,
    *,
    prior_late: float = 0.1,
    prior_late_weight: int = 20,
    prior_never: float = 0.2,
    prior_never_weight: int = 10,
    prior_mean_delay: float = 2.0,
    prior_delay_weight: int = 5,
    prior_invoices_per_month: float = 4.0,
    prior_invoice_amount: float = 1000.0,
    prior_invoice_months: int = 3,
) -> GuaranteeCalibration:
    """Guarantee rates from a fund's history, shrunk toward priors.

    - ``invoices_per_month``: invoices per month, the prior worth
      ``prior_invoice_months`` months;
    - ``invoice_amounts``: the history's amounts, or
      ``(prior_invoice_amount,)`` when there are none;
    - ``late_probability``: late per invoice (prior worth
      ``prior_late_weight`` invoices); ``never_probability``: written off
      per late invoice whose outcome is known (paid or written off, not
      ``outstanding``; prior worth ``prior_never_weight``);
    - ``mean_delay``: months from due to late payment (``prior_delay_weight``
      payments), the outstanding ones counted as at least their age (months
      so far added, no payment counted); ``delays`` the Kaplan-Meier
      estimate from the paid and outstanding ones from 30 payments on (its
      tail geometric with that mean), else geometric with the mean (within
      1 to 1,200 months).

    Examples
    --------
    >>> calibration = calibrate_guarantee(GuaranteeHistory(0, (), 0, ()))
    >>> calibration.late_probability.value, calibration.invoice_amounts
    (0.1, (1000.0,))
    """
    if not isinstance(history, GuaranteeHistory):
        raise ValueError(f"history must be a GuaranteeHistory; got {history!r}.")
    prior_late = check_number(prior_late, "prior_late", low=0.0, high=1.0)
    prior_late_weight = check_int(prior_late_weight, "prior_late_weight", low=0)
    prior_never = check_number(prior_never, "prior_never", low=0.0, high=1.0)
    prior_never_weight = check_int(prior_never_weight, "prior_never_weight", low=0)
    prior_mean_delay = check_number(
        prior_mean_delay, "prior_mean_delay", low=1.0, high=MAX_DURATION_MONTHS
    )
    prior_delay_weight = check_int(prior_delay_weight, "prior_delay_weight", low=0)
    prior_invoices_per_month = check_number(
        prior_invoices_per_month, "prior_invoices_per_month", low=0.0
    )
    prior_invoice_amount = check_number(
        prior_invoice_amount, "prior_invoice_amount", low=0.0, low_open=True
    )
    prior_invoice_months = check_int(prior_invoice_months, "prior_invoice_months", low=0)

    invoices = len(history.invoice_amounts)
    rate = _shrunk(
        prior_invoices_per_month, prior_invoice_months, invoices, history.months, invoices
    )
    late = _shrunk(prior_late, prior_late_weight, history.late, invoices, invoices)
    known = history.late - len(history.outstanding)  # paid late or written off
    never = _shrunk(prior_never, prior_never_weight, history.never, known, known)
    paid = len(history.delays)
    waiting = len(history.outstanding)
    months_late = sum(history.delays) + sum(history.outstanding)
    if paid == 0 and prior_delay_weight == 0:
        # Nothing paid and no prior to lean on: the prior's mean stands.
        delay = Estimate(value=prior_mean_delay, source=PRIOR, weight=0.0, observations=waiting)
    else:
        delay = _shrunk(prior_mean_delay, prior_delay_weight, months_late, paid, paid + waiting)
    return GuaranteeCalibration(
        invoices_per_month=rate,
        invoice_amounts=history.invoice_amounts or (prior_invoice_amount,),
        late_probability=late,
        never_probability=never,
        mean_delay=delay,
        delays=_durations(history.delays, history.outstanding, delay.value),
    )
