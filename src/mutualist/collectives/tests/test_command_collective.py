from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from mutualist.collectives.models import Collective, Invitation, Membership


def test_it_creates_a_collective_from_the_command_line(cast, capsys):
    # when
    call_command(
        "collective",
        "create",
        "--creator",
        "olga@example.org",
        "--name",
        "Berlin Bookkeepers",
        "--slug",
        "berlin-books",
        "--currency",
        "EUR",
        "--city",
        "Berlin",
        "--country",
        "DE",
    )
    # then
    collective = Collective.objects.get(slug="berlin-books")
    assert collective.base_currency == "EUR"
    assert Membership.objects.get(collective=collective, user=cast.olga).role == "coordinator"
    assert "Created Berlin Bookkeepers (berlin-books)." in capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--currency", "ABC"],
            "Unknown currency 'ABC'; use an ISO 4217 code such as EUR, USD or PHP.",
        ),
        (
            ["--currency", "EUR", "--treasury-percent", "101"],
            "The treasury percentage must be between 0 and 100; got 101.",
        ),
        (
            ["--currency", "EUR", "--slug", "manila-va"],
            "The address name 'manila-va' is taken.",
        ),
    ],
)
def test_it_refuses_bad_input_with_one_line_and_creates_nothing(cast, extra, message):
    # given
    before = Collective.objects.count()
    args = ["collective", "create", "--creator", "olga@example.org", "--name", "X", "--remote"]
    if "--slug" not in extra:
        args += ["--slug", "x-collective"]
    # when / then
    with pytest.raises(CommandError) as excinfo:
        call_command(*args, *extra)
    assert str(excinfo.value) == message
    assert Collective.objects.count() == before


def test_it_refuses_an_invitation_from_someone_who_is_not_a_coordinator(cast):
    with pytest.raises(CommandError) as excinfo:
        call_command(
            "collective", "invite", "manila-va", "new@example.org", "--by", "ben@example.org"
        )
    assert str(excinfo.value) == "Only a coordinator of this collective can do that."
    assert not Invitation.objects.filter(email="new@example.org").exists()


def test_it_invites_by_email(cast, mailoutbox, django_capture_on_commit_callbacks, capsys):
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "collective", "invite", "manila-va", "new@example.org", "--by", "ana@example.org"
        )
    assert Invitation.objects.filter(email="new@example.org", state="pending").count() == 1
    assert [m.to for m in mailoutbox] == [["new@example.org"]]
    assert "Invited new@example.org to manila-va" in capsys.readouterr().out


def test_it_names_an_unknown_account_in_one_line(cast):
    with pytest.raises(CommandError, match=r"^No account with the email 'nobody@example.org'\.$"):
        call_command(
            "collective",
            "create",
            "--creator",
            "nobody@example.org",
            "--name",
            "X",
            "--slug",
            "x",
            "--currency",
            "EUR",
            "--remote",
        )


def test_the_real_command_exits_non_zero_with_one_readable_line(tmp_path):
    # given: a migrated throwaway database for a separate process
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        "MUTUALIST_VAR_DIR": str(tmp_path),
    }
    subprocess.run(
        [sys.executable, "-m", "mutualist", "migrate", "--noinput"],
        env=env,
        check=True,
        capture_output=True,
    )
    # when
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mutualist",
            "collective",
            "create",
            "--creator",
            "nobody@example.org",
            "--name",
            "X",
            "--slug",
            "x",
            "--currency",
            "EUR",
            "--remote",
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    # then
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "CommandError: No account with the email 'nobody@example.org'."
    ]
