"""``mutualist simulate``: the solvency simulator on the command line.

::

    mutualist simulate classical --initial U --claim-rate L --mean-claim M
        (--theta TH | --premium-rate C) --horizon T [--paths N] [--seed S]
        [--method auto|plain|tilted] [--json]
    mutualist simulate classical ... --claims lognormal:MU,SIGMA     (instead of --mean-claim)
    mutualist simulate classical ... --claims-file FILE              (one amount a line, or a JSON list)
    mutualist simulate fund --config FILE.json [--months M] [--paths N] [--seed S] [--json]
    mutualist simulate recommend --config FILE.json [--target 0.01] [--months M] [--paths N]
        [--seed S] [--json]

Runs without Django: ``mutualist.cli`` hands ``simulate`` straight here
unless ``--fund`` is among the arguments (a fund in the database, which the
``simulate`` management command answers and which calls :func:`main` for
everything else).

Output: without ``--json`` a short summary; with it, one JSON object and
nothing else on stdout: for ``classical`` the result's fields
(``ruin_probability``, ``standard_error``, ``paths``, ``closed_form``...),
for ``fund`` and ``recommend`` the result's ``to_dict()``; each with
``seconds`` (the engine's wall-clock time) and ``seed`` (the one given, or
the fresh entropy drawn when none was, so any run can be repeated). A run
past a second draws a progress bar on stderr when stderr is a terminal
(``--progress always`` or ``never`` overrides).

Exit status: 0 with an answer; 2 for a bad call, bad parameters, an
unreadable file, a file that is not JSON or a config with a bad field, as
one line on stderr (``mutualist simulate: --claim-rate: must be at least 0;
got -1.``, ``mutualist simulate: model.tier_members[2]: ...``); 130 when
interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, TextIO

import numpy as np

from mutualist.engines.solvency._common import (
    MAX_AMOUNT,
    MAX_PATHS,
    MAX_THETA,
    check_int,
    check_number,
)
from mutualist.engines.solvency.classical import ClaimSizes, ClassicalResult, classical_ruin
from mutualist.engines.solvency.config import (
    MAX_MONTHS,
    SHAPES,
    ConfigError,
    FundConfig,
    parse_fund_config,
)
from mutualist.engines.solvency.fund import FundResult, simulate_fund
from mutualist.engines.solvency.recommend import Recommendation, recommend_contribution

PROG = "mutualist simulate"
ANSWER, USAGE, INTERRUPTED = 0, 2, 130
CLASSICAL_PATHS = 100_000
# A run shorter than this draws no bar at all: it would only flicker.
PROGRESS_DELAY = 1.0
# The horizons a fund's summary shows (one, three and five years), besides its own.
HORIZONS = (12, 36, 60)


class _Refused(Exception):
    """A bad call: one line on stderr, exit 2."""


class _Exit(Exception):
    def __init__(self, status: int) -> None:
        self.status = status


class _Parser(argparse.ArgumentParser):
    """argparse, with every refusal one line and ``--help`` on ``out``."""

    def __init__(self, *args: Any, out: TextIO | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.out = out or sys.stdout

    def error(self, message: str) -> NoReturn:
        raise _Refused(message.removeprefix("argument "))

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            raise _Refused(message.strip())
        raise _Exit(status)

    def _print_message(self, message: str, file: Any = None) -> None:
        if message:
            self.out.write(message)


# --- Arguments ----------------------------------------------------------------------


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number.") from None


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)  # 1e6 paths
    except ValueError:
        value = math.nan
    if math.isfinite(value) and value.is_integer():
        return int(value)
    raise argparse.ArgumentTypeError(f"{text!r} is not a whole number.")


def parser(out: TextIO | None = None) -> argparse.ArgumentParser:
    """The command's argument parser (``--help`` writes to ``out``)."""
    command = _Parser(
        prog=PROG,
        description="Will the fund hold? Monte Carlo ruin and shortfall probabilities.",
        epilog=(
            "A fund in the database: mutualist simulate --fund COLLECTIVE_SLUG/KIND "
            "[--json] (the management command, through Django)."
        ),
        out=out,
    )
    kinds = command.add_subparsers(dest="command", metavar="{classical,fund,recommend}")
    kinds.required = True

    classical = kinds.add_parser(
        "classical",
        out=out,
        help="the classical compound-Poisson (Cramer-Lundberg) ruin probability",
        description="Probability that u + c t - S(t) falls below 0 at a claim before the horizon.",
    )
    classical.add_argument("--initial", type=_number, required=True, metavar="U")
    classical.add_argument("--claim-rate", type=_number, required=True, metavar="L")
    sizes = classical.add_mutually_exclusive_group(required=True)
    sizes.add_argument("--mean-claim", type=_number, metavar="M", help="exponential claims")
    sizes.add_argument(
        "--claims",
        metavar="SPEC",
        help="lognormal:MU,SIGMA (or exponential:MEAN) instead of --mean-claim",
    )
    sizes.add_argument(
        "--claims-file",
        metavar="FILE",
        help="claim amounts drawn uniformly among: one a line, or a JSON list",
    )
    loading = classical.add_mutually_exclusive_group(required=True)
    loading.add_argument("--theta", type=_number, metavar="TH", help="c = (1 + TH) L mean")
    loading.add_argument("--premium-rate", type=_number, metavar="C")
    classical.add_argument("--horizon", type=_number, required=True, metavar="T")
    classical.add_argument("--paths", type=_whole, default=CLASSICAL_PATHS, metavar="N")
    classical.add_argument(
        "--method",
        choices=("auto", "plain", "tilted"),
        default="auto",
        help="tilted: importance sampling for rare ruin (auto picks it below 1e-2)",
    )

    fund = kinds.add_parser(
        "fund",
        out=out,
        help="a sick-pay or guarantee fund's chance of running short",
        description="Simulate a fund from a config file (engines/solvency/config.py).",
    )
    recommend = kinds.add_parser(
        "recommend",
        out=out,
        help="the lowest deposit or levy that keeps that chance under a target",
        description="The lowest contribution that keeps the chance of a shortfall under --target.",
    )
    for sub in (fund, recommend):
        sub.add_argument("--config", required=True, metavar="FILE.json")
        sub.add_argument("--months", type=_whole, metavar="M", help="default: the config's, or 60")
        sub.add_argument(
            "--paths", type=_whole, metavar="N", help="default: the config's, or 10,000"
        )
    recommend.add_argument(
        "--target", type=_number, metavar="P", help="default: the config's, or 0.01"
    )
    for sub in (classical, fund, recommend):
        sub.add_argument("--seed", type=_whole, metavar="S", help="default: fresh entropy")
        sub.add_argument("--json", action="store_true", help="print JSON only")
        sub.add_argument(
            "--progress",
            choices=("auto", "always", "never"),
            default="auto",
            help="the progress bar on stderr (auto: when it is a terminal)",
        )
    return command


def _checked(value: Any, flag: str, check: Callable[..., Any], **bounds: Any) -> Any:
    """``check(value, ...)`` with its message naming ``flag``:
    ``--claim-rate: must be at least 0; got -1.``"""
    try:
        return check(value, "x", **bounds)
    except ValueError as error:
        raise _Refused(f"{flag}: {str(error).removeprefix('x ')}") from None


# --- The progress bar ---------------------------------------------------------------


class ProgressBar:
    """The engine's ``progress(done, total)`` callback as a rich bar on
    ``stream``, started only once a run has taken ``delay`` seconds (a short
    run draws nothing) and only when ``enabled``.

    Examples
    --------
    >>> import io
    >>> bar = ProgressBar(io.StringIO(), enabled=True, delay=3600.0)
    >>> bar(5, 10)            # within the delay: nothing drawn
    >>> bar.started
    False
    >>> bar.close()
    """

    def __init__(
        self,
        stream: TextIO,
        *,
        enabled: bool,
        delay: float | None = None,
        label: str = "simulating",
        force_terminal: bool = False,
    ) -> None:
        self.stream = stream
        self.enabled = enabled
        self.delay = PROGRESS_DELAY if delay is None else delay
        self.label = label
        self.force_terminal = force_terminal
        self._began = time.monotonic()
        self._bar: Any = None
        self._task: Any = None
        self._last = 0
        self._passes = 1

    @property
    def started(self) -> bool:
        return self._bar is not None

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if done < self._last:  # a new pass over the paths (recommend's next candidate)
            self._passes += 1
        self._last = done
        if self._bar is None:
            if time.monotonic() - self._began < self.delay:
                return
            self._start()
        label = self.label if self._passes == 1 else f"{self.label} (pass {self._passes})"
        self._bar.update(self._task, completed=done, total=total, description=label)

    def _start(self) -> None:
        # Imported here: a run that never draws a bar never loads rich's console.
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        console = Console(file=self.stream, force_terminal=self.force_terminal or None)
        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("paths"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        )
        self._bar.start()
        self._task = self._bar.add_task(self.label, total=None)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def _progress_wanted(mode: str, stream: TextIO) -> bool:
    if mode != "auto":
        return mode == "always"
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


# --- Runs ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    data: dict[str, Any]  # the --json object
    text: str  # the summary


def main(
    argv: Sequence[str] | None = None,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run ``mutualist simulate`` with ``argv`` (the arguments after
    ``simulate``); returns the exit status.

    Examples
    --------
    >>> import io, json
    >>> out, err = io.StringIO(), io.StringIO()
    >>> main(["classical", "--initial", "5", "--claim-rate", "1", "--mean-claim", "1",
    ...       "--theta", "0.2", "--horizon", "10", "--paths", "2000", "--seed", "1",
    ...       "--json"], stdout=out, stderr=err)
    0
    >>> sorted(json.loads(out.getvalue()))[:4]
    ['adjustment_coefficient', 'claim_rate', 'closed_form', 'horizon']
    >>> main(["classical", "--initial", "5", "--claim-rate", "-1", "--mean-claim", "1",
    ...       "--theta", "0.2", "--horizon", "10"], stdout=out, stderr=err)
    2
    >>> err.getvalue()
    'mutualist simulate: --claim-rate: must be at least 0; got -1.\\n'
    """
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    bar: ProgressBar | None = None
    try:
        args = parser(stdout).parse_args(argv)
        bar = ProgressBar(
            stderr,
            enabled=_progress_wanted(args.progress, stderr),
            label="searching" if args.command == "recommend" else "simulating",
            force_terminal=args.progress == "always",
        )
        run = {"classical": _classical, "fund": _fund, "recommend": _recommend}[args.command]
        answer = run(args, bar)
    except _Exit as done:  # --help
        return done.status
    except (_Refused, ConfigError) as refusal:
        _close(bar)
        stderr.write(f"{PROG}: {_one_line(str(refusal))}\n")
        return USAGE
    except KeyboardInterrupt:
        _close(bar)
        stderr.write(f"{PROG}: interrupted.\n")
        return INTERRUPTED
    _close(bar)
    if args.json:
        stdout.write(json.dumps(_jsonable(answer.data), indent=2, allow_nan=False) + "\n")
    else:
        stdout.write(answer.text + "\n")
    flush = getattr(stdout, "flush", None)
    if flush is not None:
        flush()
    return ANSWER


def _close(bar: ProgressBar | None) -> None:
    if bar is not None:
        bar.close()


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _seed(given: int | None) -> int:
    """The seed given, or fresh entropy to report, so an unseeded run can
    still be repeated exactly."""
    if given is not None:
        return int(_checked(given, "--seed", check_int, low=0))
    return int(np.random.SeedSequence().entropy)  # type: ignore[arg-type]


# Engine parameter -> the flag that set it, to name the flag in a refusal.
CLASSICAL_FLAGS = {
    "initial": "--initial",
    "claim_rate": "--claim-rate",
    "horizon": "--horizon",
    "theta": "--theta",
    "premium_rate": "--premium-rate",
    "paths": "--paths",
    "seed": "--seed",
    "method": "--method",
}
_MESSAGE = re.compile(r"^(?P<name>[A-Za-z_]\w*) (?P<rest>must .*)$", re.S)


def _flagged(error: ValueError, flags: Mapping[str, str]) -> _Refused:
    """The engine's ``"claim_rate must be at least 0; got -1."`` as
    ``--claim-rate: must be at least 0; got -1.``."""
    message = str(error)
    match = _MESSAGE.match(message)
    if match is not None and match["name"] in flags:
        return _Refused(f"{flags[match['name']]}: {match['rest']}")
    return _Refused(message)


def _claim_sizes(args: argparse.Namespace) -> ClaimSizes:
    if args.mean_claim is not None:
        mean = _checked(
            args.mean_claim, "--mean-claim", check_number, low=0.0, low_open=True, high=MAX_AMOUNT
        )
        return ClaimSizes.exponential(mean)
    if args.claims is not None:
        return _claims_spec(args.claims)
    return _claims_file(args.claims_file)


def _claims_spec(spec: str) -> ClaimSizes:
    usage = f"give lognormal:MU,SIGMA or exponential:MEAN; got {spec!r}."
    kind, _, rest = spec.partition(":")
    try:
        numbers = [float(part) for part in rest.split(",")] if rest else []
    except ValueError:
        raise _Refused(f"--claims: {usage}") from None
    try:
        if kind == "lognormal" and len(numbers) == 2:
            return ClaimSizes.lognormal(numbers[0], numbers[1])
        if kind == "exponential" and len(numbers) == 1:
            return ClaimSizes.exponential(numbers[0])
    except ValueError as error:
        raise _Refused(f"--claims: {error}") from None
    raise _Refused(f"--claims: {usage}")


def _claims_file(path: str) -> ClaimSizes:
    text = _read(path, "--claims-file")
    amounts: list[Any]
    if text.lstrip().startswith("["):
        try:
            amounts = json.loads(text)
        except (json.JSONDecodeError, RecursionError, ValueError) as error:
            reason = error.msg if isinstance(error, json.JSONDecodeError) else "too deep or long"
            raise _Refused(f"--claims-file: {path} is not a JSON list: {reason}.") from None
        if not isinstance(amounts, list):
            raise _Refused(f"--claims-file: {path} is not a JSON list.")
        for index, amount in enumerate(amounts):
            if isinstance(amount, bool) or not isinstance(amount, int | float):
                raise _Refused(
                    f"--claims-file: entry {index + 1} of {path} is not a number: {amount!r}."
                )
    else:
        amounts = []
        for number, line in enumerate(text.splitlines(), start=1):
            stripped = line.split("#", 1)[0].strip()
            if not stripped:
                continue
            try:
                amounts.append(float(stripped))
            except ValueError:
                raise _Refused(
                    f"--claims-file: line {number} of {path} is not a number: {stripped!r}."
                ) from None
    if not amounts:
        raise _Refused(f"--claims-file: {path} holds no amounts.")
    for index, amount in enumerate(amounts):
        try:
            check_number(amount, "x", low=0.0, low_open=True, high=MAX_AMOUNT)
        except ValueError as error:
            raise _Refused(
                f"--claims-file: amount {index + 1} of {path} {str(error).removeprefix('x ')}"
            ) from None
    try:
        return ClaimSizes.empirical([float(amount) for amount in amounts])
    except ValueError as error:
        raise _Refused(f"--claims-file: {error}") from None


def _read(path: str, what: str) -> str:
    try:
        with open(path, encoding="utf-8") as file:
            return file.read()
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise _Refused(f"{what}: cannot read {path}: {reason}.") from None


def _classical(args: argparse.Namespace, bar: ProgressBar) -> Answer:
    initial = _checked(args.initial, "--initial", check_number, low=0.0, high=MAX_AMOUNT)
    claim_rate = _checked(args.claim_rate, "--claim-rate", check_number, low=0.0)
    theta = premium_rate = None
    if args.theta is not None:
        theta = _checked(
            args.theta, "--theta", check_number, low=0.0, low_open=True, high=MAX_THETA
        )
    else:
        premium_rate = _checked(args.premium_rate, "--premium-rate", check_number, low=0.0)
    horizon = _checked(args.horizon, "--horizon", check_number, low=0.0, low_open=True)
    paths = _checked(args.paths, "--paths", check_int, low=1, high=MAX_PATHS)
    seed = _seed(args.seed)
    claims = _claim_sizes(args)
    started = time.perf_counter()
    try:
        result = classical_ruin(
            initial=initial,
            claim_rate=claim_rate,
            claims=claims,
            horizon=horizon,
            premium_rate=premium_rate,
            theta=theta,
            paths=paths,
            rng=seed,
            method=args.method,
            progress=bar,
        )
    except ValueError as error:
        raise _flagged(error, CLASSICAL_FLAGS) from None
    seconds = time.perf_counter() - started
    data = {**result.to_dict(), "seconds": round(seconds, 3), "seed": seed}
    return Answer(data, classical_text(result, claims, seconds=seconds, seed=seed))


def _config(args: argparse.Namespace) -> tuple[FundConfig, int, int, int]:
    """The config file's model, and the months, paths and seed to run (the
    flags over the config's)."""
    text = _read(args.config, "--config")
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        raise _Refused(
            f"{args.config} is not JSON: {error.msg} at line {error.lineno} column {error.colno}."
        ) from None
    except RecursionError:
        raise _Refused(f"{args.config} is nested too deeply to be a config.") from None
    except ValueError as error:  # NaN, Infinity, or a whole number of 4,300 digits
        raise _Refused(f"{args.config} is not a config: {error}") from None
    config = parse_fund_config(data)
    months = config.months
    if args.months is not None:
        months = _checked(args.months, "--months", check_int, low=1, high=MAX_MONTHS)
    paths = config.paths
    if args.paths is not None:
        paths = _checked(args.paths, "--paths", check_int, low=1, high=MAX_PATHS)
    seed = _seed(args.seed if args.seed is not None else config.seed)
    return config, months, paths, seed


def _no_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a number JSON allows.")


def _model_error(error: ValueError, config: FundConfig) -> Exception:
    """An engine refusal of the model, at its field's path in the file."""
    match = _MESSAGE.match(str(error))
    if match is not None and match["name"] in SHAPES[config.kind]:
        return ConfigError(f"model.{match['name']}", match["rest"])
    index = re.match(r"^(?P<name>[A-Za-z_]\w*)(?P<index>\[\d+\]) (?P<rest>must .*)$", str(error))
    if index is not None and index["name"] in SHAPES[config.kind]:
        return ConfigError(f"model.{index['name']}{index['index']}", index["rest"])
    return _flagged(error, {"months": "--months", "paths": "--paths", "target": "--target"})


def _fund(args: argparse.Namespace, bar: ProgressBar) -> Answer:
    config, months, paths, seed = _config(args)
    started = time.perf_counter()
    try:
        result = simulate_fund(config.model, months=months, paths=paths, rng=seed, progress=bar)
    except ValueError as error:
        raise _model_error(error, config) from None
    seconds = time.perf_counter() - started
    data = {**result.to_dict(), "seconds": round(seconds, 3), "seed": seed}
    return Answer(data, fund_text(result, config, seconds=seconds, seed=seed))


def _recommend(args: argparse.Namespace, bar: ProgressBar) -> Answer:
    config, months, paths, seed = _config(args)
    target = config.target
    if args.target is not None:
        target = _checked(args.target, "--target", check_number, low=0.0, high=1.0, high_open=True)
    started = time.perf_counter()
    try:
        result = recommend_contribution(
            config.model, target=target, months=months, paths=paths, rng=seed, progress=bar
        )
    except ValueError as error:
        raise _model_error(error, config) from None
    seconds = time.perf_counter() - started
    data = {**result.to_dict(), "seconds": round(seconds, 3), "seed": seed}
    return Answer(data, recommend_text(result, config, seconds=seconds, seed=seed))


def _jsonable(value: Any) -> Any:
    """Plain JSON types throughout (NumPy scalars and arrays included); a
    non-finite float becomes null rather than invalid JSON."""
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        number = float(value)
        return number if math.isfinite(number) else None
    return value


# --- Summaries ----------------------------------------------------------------------


def _g(value: float) -> str:
    """A parameter as given: 10, 0.1, 1.5e-05."""
    return f"{value:,.0f}" if float(value).is_integer() and abs(value) < 1e15 else f"{value:.6g}"


def _p(value: float) -> str:
    """A probability: four significant figures, or 0."""
    return "0" if value == 0 else f"{value:.4g}"


def _percent(value: float) -> str:
    if value == 0:
        return "0 %"
    if value < 0.0001:
        return f"{value * 100:.2g} %"
    return f"{value * 100:.2f} %"


def _claims_text(claims: ClaimSizes) -> str:
    if claims.kind == "exponential":
        return f"exponential, mean {_g(claims.mean)}"
    if claims.kind == "lognormal":
        mu, sigma = getattr(claims, "mu", None), getattr(claims, "sigma", None)
        shape = f"mu {_g(mu)}, sigma {_g(sigma)}, " if mu is not None and sigma is not None else ""
        return f"lognormal, {shape}mean {_g(claims.mean)}"
    amounts = getattr(claims, "amounts", ())
    return f"{len(amounts):,} amounts from a file, mean {_g(claims.mean)}"


def classical_text(
    result: ClassicalResult, claims: ClaimSizes, *, seconds: float, seed: int
) -> str:
    """The summary of a classical run."""
    method = "importance sampling (exponential tilting)" if result.method == "tilted" else "plain"
    lines = [
        "Classical risk model (compound Poisson, Cramer-Lundberg)",
        f"  initial capital      {_g(result.initial)}",
        f"  claims               {_g(result.claim_rate)} per unit of time ({_claims_text(claims)})",
        f"  premium rate         {_g(result.premium_rate)} (safety loading theta {result.theta:.4g})",
        f"  horizon              {_g(result.horizon)} ({_g(result.mean_claims_per_path)} claims "
        "expected per path)",
        "",
        f"Probability of ruin before {_g(result.horizon)}: {_p(result.ruin_probability)} "
        f"(standard error {_p(result.standard_error)})",
    ]
    if result.closed_form is not None:
        lines.append(f"Infinite horizon, closed form:  {_p(result.closed_form)}")
    if result.adjustment_coefficient is not None:
        bound = math.exp(-result.adjustment_coefficient * result.initial)
        lines.append(
            f"Lundberg bound exp(-R u):       {_p(bound)} (R = {result.adjustment_coefficient:.4g})"
        )
    lines.append(f"\n{result.paths:,} paths, {method}, seed {seed}, {seconds:.2f} s")
    return "\n".join(lines)


def _horizons(months: int) -> list[int]:
    shown = [h for h in HORIZONS if h < months]
    return [*shown, months]


def _span(months: int) -> str:
    if months % 12 == 0:
        years = months // 12
        return "1 year" if years == 1 else f"{years} years"
    return "1 month" if months == 1 else f"{months} months"


def _describe(config: FundConfig) -> str:
    model = config.model
    if config.kind == "sick_pay":
        members = sum(getattr(model, "tier_members", ()))
        tiers = len(getattr(model, "tier_members", ()))
        return f"Sick-pay fund: {members:,} members in {tiers} tiers"
    per_month = getattr(model, "invoices_per_month", 0.0)
    return f"Guarantee fund: {_g(per_month)} invoices a month expected"


def fund_text(result: FundResult, config: FundConfig, *, seconds: float, seed: int) -> str:
    """The summary of a fund run."""
    payouts = "gifts" if config.kind == "sick_pay" else "guarantee payouts"
    lines = [
        f"{_describe(config)}, {result.months} months",
        "",
        "Chance of at least one month in which promised payouts cannot be paid in full:",
    ]
    for months in _horizons(result.months):
        p, se = result.probability_within(months)
        # No path ran short, so what was paid is what was promised: nothing
        # promised at all (nobody can fall sick, no invoice is ever late)
        # makes a short month impossible, an exact 0.
        promised = bool(np.any(result.expected_payouts[:months] > 0))
        if p == 0 and promised:
            # Payouts were promised and no simulated path ran short: not
            # "0 %", which no simulation can show, but the rule-of-three
            # bound (95 %) on what it could be.
            bound = f"under {_percent(3 / result.paths)}"
            lines.append(f"  within {_span(months):<10} {bound:>9}  (no path ran short)")
            continue
        lines.append(
            f"  within {_span(months):<10} {_percent(p):>9}  (standard error {_percent(se)})"
        )
    lines += [
        f"Share of promised {payouts} paid:     {result.paid_share * 100:.3f} %",
        f"Expected shortfall over {result.months} months: {result.expected_shortfall:,.2f}",
        "",
        f"End-of-month balance, percentiles of {result.percentile_paths:,} paths:",
        "  month  " + "  ".join(f"{f'{p} %':>12}" for p in result.percentiles),
    ]
    bands = np.asarray(result.balance_percentiles)
    shown = sorted({m for m in (1, *HORIZONS, result.months) if m <= result.months})
    for month in shown:
        cells = "  ".join(f"{bands[row, month - 1]:>12,.2f}" for row in range(bands.shape[0]))
        lines.append(f"  {month:>5}  {cells}")
    lines.append(f"\n{result.paths:,} paths, seed {seed}, {seconds:.2f} s")
    return "\n".join(lines)


LEVERS = {
    "deposit_rate": "Deposit, as a share of the gift",
    "levy_percent": "Levy on paid invoices",
}


def _lever(lever: str, value: float) -> str:
    return f"{value * 100:.2f} %" if lever == "deposit_rate" else f"{value:.2f} %"


def recommend_text(result: Recommendation, config: FundConfig, *, seconds: float, seed: int) -> str:
    """The summary of a recommendation."""
    label = LEVERS.get(result.lever, result.lever)
    goal = f"under {_percent(result.target)} over {_span(result.months)}"
    lines = [
        f"{_describe(config)}, {result.months} months",
        "",
        f"{label}, now:     {_lever(result.lever, result.current)} "
        f"(risk of a shortfall {_percent(result.current_probability)})",
    ]
    if result.achievable and result.value is not None:
        lines.append(
            f"{label}, needed:  {_lever(result.lever, result.value)} to keep the risk {goal} "
            f"(there: {_percent(result.shortfall_probability)}, "
            f"standard error {_percent(result.standard_error)})"
        )
    else:
        lines.append(
            f"No {label.lower()} within the search keeps the risk {goal}: at the highest tried "
            f"it is {_percent(result.shortfall_probability)} "
            f"(standard error {_percent(result.standard_error)})"
        )
    lines.append(
        f"\n{result.paths:,} paths, {result.evaluations} evaluations, seed {seed}, {seconds:.2f} s"
    )
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
