"""`mutualist tick`: run the periodic jobs once.

Call it from cron, a systemd timer or a Kubernetes CronJob, every few minutes.
Every job is idempotent and safe to run from several schedulers at once (see
``mutualist.core.tick``), so an overlapping or doubled schedule does no harm.

Prints one line per job with how many things it did. A job that fails does not
stop the others; the command then exits non-zero naming the failed jobs.
"""

from __future__ import annotations

import logging
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from mutualist.core import tick

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run the periodic jobs (expire invitations, ...) once; safe to run concurrently."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--job", metavar="NAME", help="Run only this job.")
        parser.add_argument(
            "--list", action="store_true", help="List the jobs with a description; run nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        tick.autodiscover()
        selected = tick.jobs()
        if options["list"]:
            for job in selected:
                self.stdout.write(f"{job.name}: {job.description}")
            return
        if options["job"]:
            named = tick.job_get(options["job"])
            if named is None:
                known = ", ".join(j.name for j in selected) or "none registered"
                raise CommandError(f"Unknown tick job {options['job']!r}; known jobs: {known}.")
            selected = [named]

        failed = []
        for job in selected:
            try:
                count = job.func()
            except Exception as exc:
                # Keep going: one broken job must not starve the others. The
                # traceback goes to the log; the summary to the exit status.
                logger.exception("Tick job %s failed", job.name)
                self.stderr.write(f"{job.name}: failed ({type(exc).__name__}: {exc})")
                failed.append(job.name)
            else:
                self.stdout.write(f"{job.name}: {count}")
        if failed:
            raise CommandError(
                f"{len(failed)} of {len(selected)} tick jobs failed: {', '.join(failed)}."
            )
