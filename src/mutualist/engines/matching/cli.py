"""``mutualist match INSTANCE.json [--time-limit SECONDS]``: solve an instance
file and print the answer as JSON on stdout.

Runs without Django: ``mutualist.cli`` hands ``match`` straight here, so it
needs no settings, secret key or database (``mutualist help match`` still
finds it as a management command, which calls this too).

Exit status: 0 when a team was found (``optimal`` or ``feasible``); 1 when
there is none (``infeasible``, or ``unknown`` when the time limit ran out
first), with the answer still printed; 2 for a bad call, an unreadable
file, a file that is not JSON or a malformed instance, as one line on
stderr naming the field (``members[3].rate: ...``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import sys
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any, NoReturn, TextIO

from mutualist.engines.matching.instance import InstanceError
from mutualist.engines.matching.solver import solve

PROG = "mutualist match"
FOUND, NONE_FOUND, USAGE = 0, 1, 2


class _Refused(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, as every other refusal of the command line.
        raise _Refused(message)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: give a number of seconds above 0")
    return value


def parser() -> argparse.ArgumentParser:
    command = _Parser(
        prog=PROG,
        description="The cheapest team that covers a job's hours (docs/matching.md).",
    )
    command.add_argument("instance", help="the instance file (JSON); - reads standard input")
    command.add_argument(
        "--time-limit",
        type=_seconds,
        default=None,
        metavar="SECONDS",
        help="stop the search after this long and print the best team found (status feasible)",
    )
    return command


def main(
    argv: Sequence[str] | None = None,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run the command; returns its exit status."""
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    try:
        args = parser().parse_args(argv)
        data = _read(args.instance, stdin)
        with _solver_chatter_to_stderr(stdout):
            result = solve(data, time_limit=args.time_limit)
    except _Refused as refusal:
        stderr.write(f"{PROG}: {refusal}\n")
        return USAGE
    except InstanceError as error:
        stderr.write(f"{PROG}: {error}\n")
        return USAGE
    stdout.write(result.to_json() + "\n")
    flush = getattr(stdout, "flush", None)
    if flush is not None:
        flush()
    return FOUND if result.found else NONE_FOUND


def _read(path: str, stdin: TextIO) -> Any:
    name = "standard input" if path == "-" else path
    try:
        if path == "-":
            text = stdin.read()
        else:
            with open(path, encoding="utf-8") as file:
                text = file.read()
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise _Refused(f"cannot read {name}: {reason}") from None
    try:
        # A number with a fraction is read as a Decimal, its exact text:
        # never a binary float (an unquoted rate 9.50 stays 9.50).
        return json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as error:
        raise _Refused(
            f"{name} is not JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    except RecursionError:
        raise _Refused(f"{name} is nested too deeply to be an instance") from None
    except ValueError:  # a whole number of more than 4,300 digits
        raise _Refused(f"{name} holds a number too long to read") from None


@contextlib.contextmanager
def _solver_chatter_to_stderr(stdout: TextIO) -> Iterator[None]:
    """Point file descriptor 1 at stderr while the solver runs: HiGHS has
    lines its C++ prints to the process's standard output whatever its
    options say, and stdout must carry the JSON answer alone."""
    for stream in (stdout, sys.stdout, sys.stderr):
        flush = getattr(stream, "flush", None)
        if flush is not None:
            flush()
    try:
        saved = os.dup(1)
    except OSError:  # no descriptor 1 at all: nothing C could write into
        yield
        return
    try:
        os.dup2(2, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
