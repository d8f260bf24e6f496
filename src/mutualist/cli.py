"""The `mutualist` command: django-admin with the project's settings."""

from __future__ import annotations

import os
import sys


def main() -> None:
    command, rest = sys.argv[1:2], sys.argv[2:]
    if command == ["match"]:
        # The matching engine needs no Django: no settings, secret key or database.
        from mutualist.engines.matching import cli

        sys.exit(cli.main(rest))
    if command == ["simulate"] and not _names_a_fund(rest):
        # Nor does the solvency simulator, but for a fund in the database (--fund),
        # which the `simulate` management command reads through Django.
        from mutualist.engines.solvency import cli as simulate

        sys.exit(simulate.main(rest))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mutualist.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


def _names_a_fund(argv: list[str]) -> bool:
    """``--fund SLUG`` or ``--fund=SLUG`` among the arguments (before a ``--``)."""
    for argument in argv:
        if argument == "--":
            return False
        if argument == "--fund" or argument.startswith("--fund="):
            return True
    return False


if __name__ == "__main__":
    main()
