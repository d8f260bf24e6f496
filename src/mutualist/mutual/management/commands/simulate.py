"""`mutualist simulate`: the solvency simulator.

- ``--fund COLLECTIVE_SLUG/KIND`` (``manila-va/sick_pay``): that fund's
  report from the database, as its page shows it (the same stored run the
  same day), as a short summary or ``--json``; ``--paths`` and ``--seed``
  override the page's (a report with a seed given is not stored). It is the
  operator's command: it checks no permission. A fund that does not exist
  or is not simulated is one line on stderr and exit 2. ``simulate fund
  --fund ...`` and ``simulate recommend --fund ...`` say the same (the
  report holds the recommendation).
- Anything else (``classical``, ``fund --config``, ``recommend --config``)
  is the engine's command line (``mutualist.engines.solvency.cli``), handed
  the arguments as ``match`` hands its own: ``mutualist`` itself runs those
  without Django (``mutualist.cli``); this command is what ``mutualist help
  simulate`` lists and ``call_command("simulate", ...)`` runs, with the same
  exit statuses (0 an answer, 2 a bad call, one line).
"""

from __future__ import annotations

import argparse
import json
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandError

from mutualist.mutual.models import Fund
from mutualist.mutual.selectors import fund_find_for_operator
from mutualist.mutual.services.funds import fund_name
from mutualist.mutual.services.solvency import (
    HorizonRisk,
    SolvencyReport,
    solvency_for_fund,
    solvency_report_json,
)
from mutualist.mutual.views.solvency import bound

USAGE = 2
SUBCOMMANDS = ("fund", "recommend")


def _whole(text: str, name: str, low: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise CommandError(f"{name}: {text!r} is not a whole number.", returncode=USAGE) from None
    if value < low:
        raise CommandError(f"{name}: must be at least {low}; got {value}.", returncode=USAGE)
    return value


class _Refused(Exception):
    pass


class _QuietParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _Refused(message)


def _fund_parser() -> argparse.ArgumentParser:
    """The ``--fund`` call when it came after a word (``simulate fund --fund
    ...``), which the command's own parser leaves to the engine's."""
    parser = _QuietParser(prog="mutualist simulate", add_help=False)
    parser.add_argument("word", nargs="?")
    parser.add_argument("--fund")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--paths")
    parser.add_argument("--seed")
    return parser


def _percent(share: float, places: int = 1) -> str:
    return f"{share * 100:.{places}f} %"


def _risk(risk: HorizonRisk) -> str:
    """ "2.40 % (± 0.30 %)"; when no simulated future ran short, not "0.00 %",
    which no simulation can show, but the rule-of-three bound: "under 0.03 %"."""
    if risk.probability <= 0 and risk.upper_bound:
        return f"under {bound(risk.upper_bound)} %"
    return f"{_percent(risk.probability, 2)} (± {_percent(risk.standard_error, 2)})"


def summary(report: SolvencyReport) -> list[str]:
    """A modelled report in a few readable lines."""
    fund = report.fund
    lines = [
        f"The {fund_name(fund.kind)} of {fund.collective.name} ({report.currency}): "
        f"{report.months} months from {report.first_month:%B %Y}, {report.paths:,} paths",
        f"Money at the start: {report.start_balance.format()}",
        "Chance of a month not paid in full: "
        + ", ".join(
            f"{risk.months // 12} year{'s' if risk.months > 12 else ''} {_risk(risk)}"
            for risk in report.risks
        ),
        f"Promised but not paid, on average over {report.months} months: "
        f"{report.expected_shortfall.format()} ({_percent(report.paid_share, 2)} paid)",
    ]
    if report.balance_bands:
        median = report.balance_bands[report.percentiles.index(50)]
        lines.append(
            f"Median balance after {report.months} months: {median[-1]:,} {report.currency} "
            f"(5th to 95th percentile: {report.balance_bands[0][-1]:,} to "
            f"{report.balance_bands[-1][-1]:,})"
        )
    advice = report.recommendation
    if advice is not None:
        if advice.needed is not None:
            lines.append(
                f"{advice.label}: {advice.current} % now; {advice.needed} % keeps the "
                f"{report.months // 12}-year risk under 1 % "
                f"({_percent(advice.probability, 2)} ± {_percent(advice.standard_error, 2)})"
            )
            for index, (deposit, payout) in enumerate(advice.tiers, start=1):
                lines.append(f"  tier {index}: {deposit.format()} a month for {payout.format()}")
        else:
            lines.append(
                f"{advice.label}: {advice.current} % now; no level tried keeps the "
                f"{report.months // 12}-year risk under 1 % "
                f"({_percent(advice.probability, 2)} at the highest)"
            )
    lines.append("Assumptions:")
    lines += [f"  {row.label}: {row.value} ({row.source})" for row in report.assumptions]
    if report.run_id is not None:
        lines.append(f"Stored as run #{report.run_id}.")
    return lines


class Command(BaseCommand):
    help = (
        "Will the fund hold? With --fund COLLECTIVE_SLUG/KIND: that fund's solvency report "
        "from the database, as its page shows it (the operator's command: no permission "
        "is checked). Otherwise the simulator on its own: classical, fund --config, "
        "recommend --config (see `mutualist simulate --help`)."
    )
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--fund",
            metavar="COLLECTIVE_SLUG/KIND",
            help="a fund in the database, such as manila-va/sick_pay",
        )
        parser.add_argument("--json", action="store_true", help="print the report as JSON")
        parser.add_argument("--paths", metavar="N", help="simulated paths (default: the page's)")
        parser.add_argument(
            "--seed", metavar="S", help="a seed of your own (the report is then not stored)"
        )
        parser.add_argument(
            "engine_args",
            nargs=argparse.REMAINDER,
            metavar="classical|fund|recommend ...",
            help="the simulator's own command line, handed to it as given",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        rest: list[str] = list(options["engine_args"] or [])
        named = any(a == "--fund" or a.startswith("--fund=") for a in rest)
        if options["fund"] is None and not named:
            self._engine(rest, options)
            return
        if rest:
            # ``simulate fund --fund ...``: the words after the first one
            # reached us unparsed (they may be the engine's).
            try:
                found = _fund_parser().parse_args(rest)
            except _Refused:
                raise CommandError(
                    "--fund takes only --json, --paths and --seed.", returncode=USAGE
                ) from None
            if found.word not in (None, *SUBCOMMANDS):
                raise CommandError(
                    f"--fund goes with fund or recommend, not {found.word}.", returncode=USAGE
                )
            options = {
                **options,
                "fund": found.fund or options["fund"],
                "json": options["json"] or found.json,
                "paths": found.paths or options["paths"],
                "seed": found.seed or options["seed"],
            }
        self._fund(options)

    def _fund(self, options: dict[str, Any]) -> None:
        slug, _, kind = str(options["fund"]).partition("/")
        if not slug or not kind or "/" in kind:
            raise CommandError(
                f"--fund is COLLECTIVE_SLUG/KIND, such as manila-va/sick_pay; "
                f"got {options['fund']!r}.",
                returncode=USAGE,
            )
        if kind not in Fund.Kind.values:
            raise CommandError(
                f"--fund: a fund is one of {', '.join(Fund.Kind.values)}; got {kind!r}.",
                returncode=USAGE,
            )
        paths = None if options["paths"] is None else _whole(options["paths"], "--paths", 1)
        seed = None if options["seed"] is None else _whole(options["seed"], "--seed", 0)
        fund = fund_find_for_operator(slug=slug, kind=kind)
        if fund is None:
            raise CommandError(
                f"--fund: no {fund_name(kind)} in a collective {slug!r}.", returncode=USAGE
            )
        report = solvency_for_fund(fund=fund, paths=paths, seed=seed)
        if not report.modelled:
            raise CommandError(f"{slug}/{kind}: {report.reason}", returncode=USAGE)
        if options["json"]:
            self.stdout.write(json.dumps(solvency_report_json(report), indent=2))
        else:
            self.stdout.write("\n".join(summary(report)))

    def _engine(self, rest: list[str], options: dict[str, Any]) -> None:
        # The solvency engine loads only here: --fund needs none of it.
        from mutualist.engines.solvency import cli

        argv = list(rest)
        if options["json"]:
            argv.append("--json")
        if options["paths"] is not None:
            argv += ["--paths", str(options["paths"])]
        if options["seed"] is not None:
            argv += ["--seed", str(options["seed"])]
        errors: list[str] = []

        class _Errors:
            def write(self, text: str) -> int:
                errors.append(text)
                return len(text)

            def flush(self) -> None:
                pass

            def isatty(self) -> bool:
                return False

        # The engine writes whole lines of its own: the wrapper adds none.
        self.stdout.ending = ""
        status = cli.main(argv, stdout=self.stdout, stderr=_Errors())  # type: ignore[arg-type]
        if status:
            message = "".join(errors).strip().splitlines()
            line = message[-1] if message else "the simulator gave no answer"
            raise CommandError(line.removeprefix(f"{cli.PROG}: "), returncode=status)
        if errors:
            self.stderr.write("".join(errors), ending="")
