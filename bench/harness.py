"""What the benchmarks share: a throwaway database, a timer, a table.

The database is whatever ``DATABASE_URL`` names, made disposable:

- PostgreSQL: a fresh database ``mutualist_bench`` on that server, created and
  migrated through Django's test-database machinery and dropped at the end
  (the role needs CREATEDB); the database ``DATABASE_URL`` names is never
  written to.
- Anything else (unset, or a SQLite URL): a new SQLite file in a temporary
  directory, with the project's real SQLite options (WAL, ``synchronous=NORMAL``,
  ``IMMEDIATE`` transactions), so the figures are what ``make run`` gets.

Timings run with ``DEBUG`` off, as production does: with it on, Django keeps
every query's SQL, which costs time on a hot path. Query counts are taken in
a separate call under ``CaptureQueriesContext``, and memory under
``tracemalloc`` in yet another, so instrumentation never skews a timing.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

BENCH_DATABASE = "mutualist_bench"
SRC = Path(__file__).resolve().parent.parent / "src"


@dataclass(frozen=True)
class Database:
    vendor: str  # Django's: "postgresql" or "sqlite"
    description: str  # server version and durability settings, for the report


def _is_postgres(url: str) -> bool:
    return url.split(":", 1)[0].lower() in {"postgres", "postgresql", "pgsql"}


def _describe() -> Database:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            shown = {}
            for name in ("server_version", "fsync", "synchronous_commit", "full_page_writes"):
                cursor.execute(f"SHOW {name}")
                shown[name] = cursor.fetchone()[0]
            version = shown.pop("server_version").split()[0]
            flags = ", ".join(f"{k}={v}" for k, v in shown.items())
            return Database("postgresql", f"PostgreSQL {version} ({flags})")
        cursor.execute("PRAGMA journal_mode")
        journal = cursor.fetchone()[0]
        cursor.execute("PRAGMA synchronous")
        synchronous = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}[cursor.fetchone()[0]]
        cursor.execute("SELECT sqlite_version()")
        version = cursor.fetchone()[0]
    return Database(
        connection.vendor,
        f"SQLite {version} (journal_mode={journal}, synchronous={synchronous}, a file on disk)",
    )


@contextlib.contextmanager
def bench_database(var_dir: Path) -> Iterator[Database]:
    """Start Django on a disposable, migrated database; drop it afterwards."""
    url = os.environ.get("DATABASE_URL", "")
    postgres = _is_postgres(url)
    os.environ["MUTUALIST_VAR_DIR"] = str(var_dir)
    if not postgres:
        os.environ["DATABASE_URL"] = f"sqlite:///{var_dir / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mutualist.settings")
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("EMAIL_URL", "dummy://")
    if str(SRC) not in sys.path:
        sys.path.insert(0, str(SRC))

    import django
    from django.core.management import call_command
    from django.db import connection, connections

    django.setup()
    if postgres:
        connection.settings_dict["TEST"]["NAME"] = BENCH_DATABASE
        original = connection.settings_dict["NAME"]
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        try:
            yield _describe()
        finally:
            connections.close_all()
            connection.creation.destroy_test_db(original, verbosity=0)
    else:
        call_command("migrate", verbosity=0, interactive=False)
        try:
            yield _describe()
        finally:
            connections.close_all()  # before the temporary directory goes away


@dataclass(frozen=True)
class Measurement:
    size: int  # how much data was there (members, postings)
    label: str
    rows: int
    median_ms: float
    max_ms: float
    queries: int
    peak_mib: float


def measure(
    size: int, label: str, run: Callable[[], int], repeat: int, *, memory: bool = True
) -> Measurement:
    """Time ``run`` (which returns how many rows it produced): one warm-up,
    ``repeat`` timed calls with DEBUG off, one call counting queries and one
    under tracemalloc."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, override_settings

    with override_settings(DEBUG=False):
        rows = run()  # warm-up: first-use caches (zoneinfo, prepared statements)
        timings = []
        for _ in range(repeat):
            started = time.perf_counter()
            run()
            timings.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        run()
    peak = 0
    if memory:
        # Separate run: tracemalloc slows Python down, so it never overlaps the timing.
        tracemalloc.start()
        tracemalloc.reset_peak()
        run()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return Measurement(
        size=size,
        label=label,
        rows=rows,
        median_ms=statistics.median(timings),
        max_ms=max(timings),
        queries=len(queries.captured_queries),
        peak_mib=peak / 2**20,
    )


def table(header: Sequence[str], rows: Sequence[Sequence[str]], *, left: int = 1) -> str:
    """A plain-text table; the column at index ``left`` is left-aligned, the
    others (numbers) right-aligned."""
    everything = [tuple(header), *(tuple(row) for row in rows)]
    widths = [max(len(row[i]) for row in everything) for i in range(len(header))]
    lines = []
    for index, row in enumerate(everything):
        cells = [
            cell.ljust(width) if column == left else cell.rjust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)
