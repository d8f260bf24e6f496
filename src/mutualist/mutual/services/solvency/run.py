"""Running and storing: the digest of a model's inputs and the seed of the
fund's day (``seed_of``), the simulation and the recommendation
(``_compute``), each run stored as a ``SolvencyRun`` and read back the
same day, a draft's figures kept in the process instead
(``DRAFT_CACHE_SIZE``), a refusal as a report that says so, and the
pruning of old runs (``solvency_runs_prune``)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from mutualist.core.money import Money
from mutualist.engines.solvency.fund import FundModel, GuaranteeModel, SickPayModel, simulate_fund
from mutualist.engines.solvency.recommend import recommend_contribution
from mutualist.governance.models import Proposal
from mutualist.mutual.models import Fund, SolvencyRun
from mutualist.mutual.services.solvency.model import _held, first_month_after, solvency_model
from mutualist.mutual.services.solvency.report import (
    HORIZONS,
    MONTHS,
    TARGET,
    Assumption,
    SolvencyReport,
    _report_from,
    _results,
    _unmodelled,
)

logger = logging.getLogger(__package__)


# Part of every digest: bump it when the adapter changes what the same rows
# mean to the engine, so no stored run of the old meaning is reused.
# 2: the seed is the fund's and the day's (``seed_of``), member-months are
# months at risk, the guarantee's window starts with the first invoice and
# counts as claims only invoices the agreements cover.
ADAPTER_VERSION = 2
UNWORKABLE = "The projection could not be worked out from the fund's figures: {message}."


# --- Running --------------------------------------------------------------------------------


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _model_dict(model: FundModel) -> dict[str, Any]:
    """The model's parameters, JSON-ready (tuples as lists)."""
    return json.loads(_canonical(dataclasses.asdict(model)))  # type: ignore[no-any-return]


def _digest(fund: Fund, model: FundModel, first_month: dt.date, paths: int) -> str:
    """SHA-256 of everything that determines the figures."""
    return hashlib.sha256(
        _canonical(
            {
                "adapter": ADAPTER_VERSION,
                "kind": fund.kind,
                "currency": fund.currency,
                "model": _model_dict(model),
                "months": MONTHS,
                "paths": paths,
                "first_month": first_month.isoformat(),
                "target": str(TARGET),
                "horizons": list(HORIZONS),
            }
        ).encode()
    ).hexdigest()


def seed_of(*, fund_id: int, day: dt.date) -> int:
    """The seed of every report of a fund on ``day``: the rules in force, a
    proposal's and a draft's alike. They all meet the same simulated futures
    (common random numbers), so "now" beside "as proposed" shows what the
    rules change, not sampling noise (with different seeds, the needed
    deposit moved by several points between two drafts that changed only
    the deposits, which the lever overrides). The same inputs on the same
    day give the same figures."""
    text = f"mutualist-solvency:{fund_id}:{day.isoformat()}"
    return int(hashlib.sha256(text.encode()).hexdigest()[:15], 16)


# The model's fields the engine applies to the futures it has drawn, not
# used to draw them (``engines.solvency.fund``: a chunk's events are drawn
# apart from the deposits, gifts, levy and cap). Two models that differ only
# in these, with the same seed and paths, meet the very same futures.
APPLIED_FIELDS: dict[type, frozenset[str]] = {
    SickPayModel: frozenset(
        {
            "tier_deposits",
            "tier_payouts",
            "waiting_days",
            "max_months",
            "buffer_multiple",
            "refund_month",
            "partial_payouts",
            "initial_balance",
        }
    ),
    GuaranteeModel: frozenset(
        {
            "levy_percent",
            "payout_fraction",
            "overdue_days",
            "recovery",
            "initial_balance",
            "partial_payouts",
        }
    ),
}


def _futures(model: FundModel, *, seed: int, paths: int) -> str:
    """What a run's simulated futures were drawn from: the seed, the paths,
    the months, and the model's fields that shape the draws (members per
    tier, rates, durations, invoices...). Equal for two reports whose rules
    change only what is applied to the same futures (deposits, gifts, the
    waiting period, the levy...): their difference is then exact for those
    futures, not sampling noise."""
    applied = APPLIED_FIELDS[type(model)]
    drawn = {name: value for name, value in _model_dict(model).items() if name not in applied}
    text = _canonical(
        {
            "model": type(model).__name__,
            "seed": seed,
            "paths": paths,
            "months": MONTHS,
            "drawn": drawn,
        }
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _compute(
    model: FundModel, *, paths: int, seed: int, currency: str, start: Money
) -> tuple[dict[str, Any], int]:
    began = time.perf_counter()
    result = simulate_fund(model, months=MONTHS, paths=paths, rng=seed)
    recommendation = recommend_contribution(
        model, target=float(TARGET), months=MONTHS, paths=paths, rng=seed
    )
    milliseconds = int((time.perf_counter() - began) * 1000)
    return _results(model, result, recommendation, currency, start), milliseconds


def _assumption_rows(assumptions: Iterable[Assumption]) -> list[list[str]]:
    return [[row.label, row.value, row.source] for row in assumptions]


def _refused(fund: Fund, today: dt.date, error: ValueError) -> SolvencyReport:
    """The report when the engine refused what the fund's rows made of it
    (a ``ValueError``: a history or a model it cannot simulate). Never an
    error page: the report says, in one line, that it could not be worked
    out and why; the operator's log has the details."""
    message = " ".join(str(error).split()) or type(error).__name__
    logger.warning(
        "solvency: the %s of collective %s could not be simulated: %s",
        fund.kind,
        fund.collective_id,
        message,
        exc_info=True,
    )
    return _unmodelled(
        fund,
        reason=UNWORKABLE.format(message=message.rstrip(".")),
        first_month=first_month_after(today),
        start_balance=_held(fund, today)[0],
    )


# --- Storing --------------------------------------------------------------------------------


# Drafts' reports, computed and never stored, kept in this process for the
# day so that clicking "Preview the effect" again on the same rules does not
# run the simulation again: (fund id, digest, day) -> (results, computed at).
# The seed is the fund's and the day's (``seed_of``), so the key determines
# the figures. Bounded: the least recently used goes first.
DRAFT_CACHE_SIZE = 64
_drafts: OrderedDict[tuple[int, str, dt.date], tuple[dict[str, Any], dt.datetime]] = OrderedDict()
_drafts_lock = threading.Lock()


def _draft_get(key: tuple[int, str, dt.date]) -> tuple[dict[str, Any], dt.datetime] | None:
    with _drafts_lock:
        found = _drafts.get(key)
        if found is not None:
            _drafts.move_to_end(key)
        return found


def _draft_put(key: tuple[int, str, dt.date], value: tuple[dict[str, Any], dt.datetime]) -> None:
    with _drafts_lock:
        _drafts[key] = value
        _drafts.move_to_end(key)
        while len(_drafts) > DRAFT_CACHE_SIZE:
            _drafts.popitem(last=False)


def solvency_drafts_forget() -> None:
    """Empty this process's cache of drafts' reports (tests)."""
    with _drafts_lock:
        _drafts.clear()


def _report(
    *,
    fund: Fund,
    rules: Mapping[str, Any] | None,
    today: dt.date,
    proposal: Proposal | None,
    store: bool,
    paths: int | None = None,
    seed: int | None = None,
) -> SolvencyReport:
    try:
        built = solvency_model(fund=fund, rules=rules, today=today)
    except ValueError as error:
        return _refused(fund, today, error)
    if built.model is None:
        return _unmodelled(
            fund,
            reason=built.reason,
            first_month=built.first_month,
            start_balance=built.start_balance,
            assumptions=built.assumptions,
        )
    model = built.model
    paths = paths or int(settings.MUTUAL_SOLVENCY_PATHS)
    digest = _digest(fund, model, built.first_month, paths)
    # A seed given from outside (the operator's command) gives figures the
    # fund and the day do not determine: they are shown, never stored.
    store = store and seed is None
    run_seed = seed_of(fund_id=fund.pk, day=today) if seed is None else seed
    assumptions = _assumption_rows(built.assumptions)

    def report(
        results: Mapping[str, Any],
        *,
        paths: int,
        run_seed: int,
        computed_at: dt.datetime,
        run_id: int | None,
    ) -> SolvencyReport:
        return _report_from(
            fund,
            first_month=built.first_month,
            paths=paths,
            computed_at=computed_at,
            results=results,
            # Read fresh, not from the run: a row that does not change the
            # figures (a sick period begun this month) still shows today's.
            assumptions=assumptions,
            run_id=run_id,
            futures=_futures(model, seed=run_seed, paths=paths),
        )

    def shown(run: SolvencyRun) -> SolvencyReport:
        return report(
            run.results,
            paths=run.paths,
            run_seed=run.seed,
            computed_at=run.computed_at,
            run_id=run.pk,
        )

    if store:
        stored = SolvencyRun.objects.filter(fund=fund, digest=digest, computed_on=today).first()
        if stored is not None:
            return shown(stored)
    draft_key = (fund.pk, digest, today)
    if not store and seed is None:
        cached = _draft_get(draft_key)
        if cached is not None:
            results, computed_at = cached
            return report(
                results, paths=paths, run_seed=run_seed, computed_at=computed_at, run_id=None
            )
    try:
        results, milliseconds = _compute(
            model, paths=paths, seed=run_seed, currency=fund.currency, start=built.start_balance
        )
    except ValueError as error:
        return _refused(fund, today, error)
    if not store:
        computed_at = timezone.now()
        if seed is None:
            _draft_put(draft_key, (results, computed_at))
        return report(results, paths=paths, run_seed=run_seed, computed_at=computed_at, run_id=None)
    inputs = {
        "adapter": ADAPTER_VERSION,
        "kind": fund.kind,
        "currency": fund.currency,
        "first_month": built.first_month.isoformat(),
        "model": _model_dict(model),
        "assumptions": assumptions,
    }
    try:
        with transaction.atomic():
            run = SolvencyRun.objects.create(
                fund=fund,
                proposal=proposal,
                digest=digest,
                computed_on=today,
                inputs=inputs,
                results=results,
                paths=paths,
                months=MONTHS,
                seed=run_seed,
                milliseconds=milliseconds,
            )
    except IntegrityError:
        # Another viewer computed the same inputs a moment ago: theirs is
        # the day's figures (the same, from the same seed).
        run = SolvencyRun.objects.get(fund=fund, digest=digest, computed_on=today)
    return shown(run)


# How long a stored run is kept: a cache of estimates, read back the day it
# was computed (a page asks again and gets that day's figures).
KEEP_DAYS = 35


def solvency_runs_prune(*, today: dt.date | None = None) -> int:
    """Delete stored runs computed more than ``KEEP_DAYS`` days before
    ``today`` (``mutualist tick``); the number of rows deleted. Without it
    a fund whose page is read every day would keep a row a day for ever.
    Nothing reads an old run: every report is worked out again on its day.
    Idempotent and safe with several schedulers (a plain filtered delete)."""
    today = today or timezone.localdate()
    deleted, _ = SolvencyRun.objects.filter(
        computed_on__lt=today - dt.timedelta(days=KEEP_DAYS)
    ).delete()
    return deleted
