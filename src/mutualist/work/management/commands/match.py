"""`mutualist match INSTANCE.json [--time-limit SECONDS]`: the team matching
engine on an instance file (``mutualist.engines.matching.cli``).

``mutualist`` runs ``match`` without loading Django at all (``mutualist.cli``),
so it needs no settings or database; this command is what ``mutualist help``
lists and ``call_command("match", ...)`` runs, with the same exit statuses:
0 a team, 1 none (infeasible, or the time limit ran out first), 2 a bad call
or a malformed instance (one line on stderr naming the field).
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from mutualist.engines.matching import cli


class Command(BaseCommand):
    help = "The cheapest team that covers a job's hours: solve INSTANCE.json, print JSON."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("instance", help="the instance file (JSON); - reads standard input")
        parser.add_argument("--time-limit", default=None, metavar="SECONDS")

    def handle(self, *args: Any, **options: Any) -> None:
        argv = [options["instance"]]
        if options["time_limit"] is not None:
            argv += ["--time-limit", str(options["time_limit"])]
        errors: list[str] = []

        class _Errors:
            def write(self, text: str) -> int:
                errors.append(text)
                return len(text)

            def flush(self) -> None:
                pass

        status = cli.main(argv, stdout=self.stdout, stderr=_Errors())  # type: ignore[arg-type]
        if status:
            message = "".join(errors).strip().removeprefix(f"{cli.PROG}: ")
            raise CommandError(message or "no team found", returncode=status)
