"""What an operator's environment produces: `mutualist check` under production settings.

Settings are read once per process, so the test process's own settings (DEBUG on, a
test database) say nothing about a deployment. Each test runs the real command in a
fresh interpreter with an environment built from scratch.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

# Only what an interpreter needs to start. Everything the settings read is given
# explicitly, so a developer's shell (DEBUG=1, SECURE_SSL_REDIRECT=0, ...) cannot
# leak into the child and make a check pass or fail for the wrong reason.
_PASSTHROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT", "PYTHONPATH")


def run_mutualist(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    base = {name: value for name in _PASSTHROUGH if (value := os.environ.get(name)) is not None}
    return subprocess.run(  # noqa: S603 - fixed argv: this interpreter and our own command
        [sys.executable, "-m", "mutualist", *args],
        env={**base, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def production_env(tmp_path: Path) -> dict[str, str]:
    """The minimum a production deployment sets, per docs/operators.md."""
    env = {
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),  # 67 characters
        "ALLOWED_HOSTS": "mutualist.example.org",
        "SITE_URL": "https://mutualist.example.org",
        # Without DATABASE_URL the SQLite file and collected static files land here.
        "MUTUALIST_VAR_DIR": str(tmp_path / "var"),
    }
    if database_url := os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"] = database_url
    return env


def test_check_deploy_finds_no_issues_with_production_settings(
    production_env: dict[str, str], tmp_path: Path
) -> None:
    # Given the environment an operator sets for production
    # When Django's deployment checklist runs, failing on any warning
    result = run_mutualist(
        "check", "--deploy", "--fail-level", "WARNING", env=production_env, cwd=tmp_path
    )

    # Then it passes and says so
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_it_refuses_to_start_without_a_secret_key_when_debug_is_off(
    production_env: dict[str, str], tmp_path: Path
) -> None:
    # Given production settings with no SECRET_KEY
    del production_env["SECRET_KEY"]

    # When any command starts
    result = run_mutualist("check", env=production_env, cwd=tmp_path)

    # Then it stops, naming the missing variable
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is required when DEBUG is off" in result.stderr


def test_it_refuses_a_debug_value_it_cannot_read(
    production_env: dict[str, str], tmp_path: Path
) -> None:
    # Given a DEBUG value that is neither true nor false
    production_env["DEBUG"] = "maybe"

    # When any command starts
    result = run_mutualist("check", env=production_env, cwd=tmp_path)

    # Then it stops rather than guessing, naming the variable and the bad value
    assert result.returncode != 0
    assert "ImproperlyConfigured: DEBUG must be one of" in result.stderr
    assert "got 'maybe'" in result.stderr


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"SITE_URL": ""}, "SITE_URL is required when DEBUG is off"),
        ({"SITE_URL": "mutualist.example.org"}, "SITE_URL must start with http:// or https://"),
        (
            {"EMAIL_URL": "smtp://user:pw@mail.example.org:abc"},
            "EMAIL_URL has a port that is not a number",
        ),
        ({"EMAIL_URL": "carrier-pigeon://loft"}, "EMAIL_URL scheme must be one of"),
    ],
)
def test_a_misconfigured_deployment_is_refused_at_start_with_a_clear_message(
    production_env: dict[str, str], tmp_path: Path, override: dict[str, str], message: str
) -> None:
    # Given a production environment with one setting wrong
    env = {**production_env, **override}
    # When the operator runs any command
    result = run_mutualist("check", env=env, cwd=tmp_path)
    # Then it refuses to start and says what is wrong
    assert result.returncode != 0
    assert message in result.stderr
