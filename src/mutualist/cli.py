"""The `mutualist` command: django-admin with the project's settings."""

from __future__ import annotations

import os
import sys


def main() -> None:
    if sys.argv[1:2] == ["match"]:
        # The matching engine needs no Django: no settings, secret key or database.
        from mutualist.engines.matching import cli

        sys.exit(cli.main(sys.argv[2:]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mutualist.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
