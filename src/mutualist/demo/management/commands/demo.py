"""`mutualist demo`: load a believable world to click around in.

Three collectives (Manila Virtual Assistants, Remote Crew, Nairobi Virtual
Office) and about 25 people, built through the real services; see
``mutualist.demo.data``. Running it again creates nothing new; ``--once`` does
not even look further than "is Ana there?", which is what ``make run`` wants on
every start. Either way it ends by printing the demo logins.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor

from mutualist.core.errors import DomainError
from mutualist.demo.data import demo_is_loaded, demo_load, demo_logins, demo_logins_table


class Command(BaseCommand):
    help = "Load demo collectives and members (idempotent) and print the demo logins."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--once",
            action="store_true",
            help="If the demo data is already there, only print the logins.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self._require_migrated()
        try:
            if options["once"] and demo_is_loaded():
                self.stdout.write("Demo data already loaded; nothing to do.")
            else:
                result = demo_load()
                self.stdout.write(result.summary())
            logins = demo_logins()
        except DomainError as exc:
            # A service refused a piece of demo data; its transaction wrote nothing
            # (the blog, loaded after it, keeps what it made, and the next run completes it).
            raise CommandError(f"The demo data was refused: {exc.message}") from None
        except DatabaseError as exc:
            first_line = (
                str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            )
            raise CommandError(f"Could not load the demo data: {first_line}") from None
        self.stdout.write("")
        self.stdout.write(demo_logins_table(logins))

    def _require_migrated(self) -> None:
        """Refuse with one line, instead of a traceback about a missing table."""
        connection = connections[DEFAULT_DB_ALIAS]
        try:
            executor = MigrationExecutor(connection)
            plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        except DatabaseError as exc:
            raise CommandError(f"Could not reach the database: {exc}") from None
        if plan:
            raise CommandError(
                f"The database is missing {len(plan)} migration(s); run `mutualist migrate` first."
            )
