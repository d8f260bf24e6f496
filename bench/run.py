"""Benchmarks: the member directory, the ledger, billing, the funds, team matching and solvency.

- ``directory``: ``profile_list_directory``, plain and with the time-zone
  overlap filter, at 1,000 and 2,000 members (``directory_bench.py``).
- ``ledger``: ``transaction_post`` throughput from one client, and balance
  and statement reads of an account with 100,000 postings (``ledger_bench.py``).
- ``billing``: 10,000 invoices drafted from approved time, issued, paid and
  split, one after the other; the cost per invoice and its queries, early
  and late in the run (``billing_bench.py``).
- ``funds``: a month of ``mutualist tick``'s sick-pay work for 100 funds of 50
  (``funds_bench.py``).
- ``matching``: the team matching engine on random pools of 100, 1,000 and
  5,000 members against a greedy baseline (``matching_bench.py``); it needs
  no database, and ``--only matching`` sets none up.
- ``solvency``: the fund solvency simulator: 10^6 classical ruin paths and
  10^6 path-months of a 40-member sick-pay fund against plain-Python loops
  of the same models, and peak memory from 10^5 to 10^7 paths
  (``solvency_bench.py``); no database either.

The database (for all but ``matching`` and ``solvency``) is whatever
``DATABASE_URL`` points at, made disposable (``harness.py``): a fresh
``mutualist_bench`` database on a PostgreSQL server, or a new SQLite file in
a temporary directory when it is unset or SQLite.

Usage (from the project root)::

    make bench                                      # SQLite
    DATABASE_URL=postgres://USER:PASSWORD@HOST:PORT/NAME make bench
    DEBUG=1 .venv/bin/python bench/run.py --only ledger --explain
    .venv/bin/python bench/run.py --only matching
    .venv/bin/python bench/run.py --only solvency

Exits 1 if a target is missed, so a regression fails loudly.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from billing_bench import billing_text, check_billing, run_billing
from directory_bench import run_directory
from funds_bench import check_funds, funds_text, run_funds, targets_text
from harness import bench_database
from ledger_bench import check_targets, ledger_text, run_ledger
from matching_bench import SIZES as MATCHING_SIZES
from matching_bench import run_matching
from solvency_bench import run_solvency

BENCHES = ("directory", "ledger", "billing", "funds", "matching", "solvency")
NO_DATABASE = {"matching", "solvency"}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--only", choices=BENCHES, action="append", help="run only this benchmark (repeatable)"
    )
    parser.add_argument("--members", type=int, default=2000, help="directory: members")
    parser.add_argument("--repeat", type=int, default=7, help="directory: timed repetitions")
    parser.add_argument("--seed", type=int, default=2026, help="directory: fixture seed")
    parser.add_argument("--posts", type=int, default=2000, help="ledger: timed posts per run")
    parser.add_argument(
        "--postings", type=int, default=100_000, help="ledger: postings on the busy account"
    )
    parser.add_argument("--read-repeat", type=int, default=21, help="ledger: timed reads")
    parser.add_argument(
        "--explain", action="store_true", help="ledger: print the balance and statement plans"
    )
    parser.add_argument("--invoices", type=int, default=10_000, help="billing: invoices")
    parser.add_argument(
        "--engagements", type=int, default=10, help="billing: engagements billed in turn"
    )
    parser.add_argument(
        "--funds", type=int, default=100, help="funds: collectives, a sick-pay fund of 50 each"
    )
    parser.add_argument(
        "--matching-sizes",
        type=int,
        nargs="+",
        default=list(MATCHING_SIZES),
        help="matching: members in each pool",
    )
    parser.add_argument("--matching-seeds", type=int, default=3, help="matching: pools per size")
    parser.add_argument(
        "--matching-repeat", type=int, default=3, help="matching: timed solves per pool"
    )
    parser.add_argument(
        "--solvency-repeat", type=int, default=3, help="solvency: timed classical runs"
    )
    args = parser.parse_args(argv)
    if args.members < 2 or args.repeat < 1 or args.read_repeat < 1:
        parser.error("--members must be at least 2, --repeat and --read-repeat at least 1")
    if args.posts < 1 or args.postings < 100:
        parser.error("--posts must be at least 1 and --postings at least 100")
    if not 1 <= args.engagements <= 100 or args.invoices < 10 * args.engagements:
        parser.error("--engagements is 1 to 100, and --invoices at least 10 per engagement")
    if not 1 <= args.funds <= 999:
        parser.error("--funds is 1 to 999")
    if args.matching_seeds < 1 or args.matching_repeat < 1 or min(args.matching_sizes) < 1:
        parser.error("--matching-seeds, --matching-repeat and --matching-sizes are at least 1")
    if args.solvency_repeat < 1:
        parser.error("--solvency-repeat is at least 1")
    chosen = args.only or list(BENCHES)

    missed: list[str] = []
    with contextlib.ExitStack() as stack:
        # Only the benchmarks that need one get a database (and Django).
        if set(chosen) - NO_DATABASE:
            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="mutualist-bench-"))
            database = stack.enter_context(bench_database(Path(tmp)))
            print(f"database: {database.description}", file=sys.stderr)
        if "directory" in chosen:
            report, directory_missed = run_directory(
                members=args.members, repeat=args.repeat, seed=args.seed
            )
            print("## Member directory\n")
            print(report)
            print()
            missed += directory_missed
        if "ledger" in chosen:
            ledger = run_ledger(
                database=database,
                posts=args.posts,
                postings=args.postings,
                repeat=args.read_repeat,
                plans=args.explain,
            )
            print("## Ledger\n")
            print(ledger_text(ledger))
            print()
            ledger_missed = check_targets(ledger)
            if not ledger_missed:
                print(
                    "Targets met: "
                    + (
                        "at least 500 transactions/s on PostgreSQL, "
                        if database.vendor == "postgresql"
                        else "(500 transactions/s applies to PostgreSQL only) "
                    )
                    + "account_balance under 20 ms (median of the repetitions).\n"
                )
            missed += ledger_missed
        if "billing" in chosen:
            billing = run_billing(
                database=database, invoices=args.invoices, engagements=args.engagements
            )
            print("## Billing\n")
            print(billing_text(billing))
            print()
            billing_missed = check_billing(billing)
            if not billing_missed:
                print(
                    "Targets met: queries per invoice constant, and an invoice late in the run "
                    "costs at most 1.5x one early in it (medians).\n"
                )
            missed += billing_missed
        if "funds" in chosen:
            funds = run_funds(database=database, collectives=args.funds)
            print("## Funds\n")
            print(funds_text(funds))
            print()
            funds_missed = check_funds(funds)
            if not funds_missed:
                print(targets_text() + "\n")
            missed += funds_missed
        if "matching" in chosen:
            report, matching_missed = run_matching(
                sizes=args.matching_sizes, seeds=args.matching_seeds, repeat=args.matching_repeat
            )
            print("## Team matching\n")
            print(report)
            print()
            missed += matching_missed
        if "solvency" in chosen:
            report, solvency_missed = run_solvency(repeat=args.solvency_repeat)
            print("## Fund solvency simulator\n")
            print(report)
            print()
            missed += solvency_missed
    for sentence in missed:
        print(f"MISSED: {sentence}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
