"""Browser tests: Playwright's sync API driving Debian's Chromium against ``live_server``.

Without ``/usr/bin/chromium`` the tests are skipped, unless
``MUTUALIST_REQUIRE_BROWSER=1`` (CI sets it), where a missing browser fails
them: a CI run that silently skipped its browser tests would prove nothing.

Screenshots go to ``MUTUALIST_BROWSER_ARTIFACTS`` when it is set (CI can keep
them as artifacts), else to the test's temporary directory.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import pytest_django

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MISSING = (
    f"Chromium not found at {CHROMIUM}; install Debian's chromium package to run browser tests"
)


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        if os.environ.get("MUTUALIST_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{MISSING} (MUTUALIST_REQUIRE_BROWSER=1 makes this a failure).")
        pytest.skip(MISSING)
    # Playwright's sync API keeps an asyncio loop running in the test thread, so
    # Django would refuse the ORM calls the test makes (SynchronousOnlyOperation).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def screenshots(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    base = os.environ.get("MUTUALIST_BROWSER_ARTIFACTS")
    folder = Path(base) / request.node.name if base else tmp_path / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session", autouse=True)
def _live_server_connections_closed(
    django_db_setup: None, django_db_blocker: pytest_django.DjangoDbBlocker
) -> Iterator[None]:
    """Close what the live server's request threads left open on PostgreSQL.

    The live server handles each browser connection in a daemon thread; one
    still parked on a keep-alive socket at the end of the session keeps its
    database session, and PostgreSQL then refuses to drop the test database
    ("being accessed by other users"). This runs before the database is torn
    down (it depends on ``django_db_setup``).
    """
    yield
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
