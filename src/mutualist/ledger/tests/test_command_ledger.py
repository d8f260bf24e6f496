"""`mutualist ledger ...`: check, balances, export and rates-import from the command line."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import subprocess
import sys
from decimal import Decimal

import pytest
from beancount import loader
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import F

from mutualist.core.money import Money
from mutualist.ledger.models import Account, ExchangeRate
from mutualist.ledger.services import Line, transaction_post
from mutualist.ledger.tests.test_export import beancount_balances, post_a_busy_month
from mutualist.testing import build_books, build_cast

BANK = "Assets:Collectives:ManilaVa:Bank:PHP"


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("ledger", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def refusal(*args: str) -> tuple[str, str]:
    err = io.StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("ledger", *args, stdout=io.StringIO(), stderr=err)
    return str(excinfo.value), err.getvalue()


def balances_csv(*args: str) -> list[list[str]]:
    out, _ = run("balances", "--format", "csv", *args)
    return list(csv.reader(io.StringIO(out)))


# ----- check ---------------------------------------------------------------


def test_check_passes_good_books_with_a_one_line_summary(books):
    assert run("check") == (
        "ledger ok: 3 transactions, 6 postings, 8 accounts, currencies balanced\n",
        "",
    )


def test_check_counts_only_the_named_collectives_books(books):
    out, _ = run("check", "--collective", "remote-crew")
    assert out == (
        "ledger ok (remote-crew): 1 transaction, 2 postings, 2 accounts, currencies balanced\n"
    )


def test_check_exits_1_listing_each_violation_one_per_line(books):
    # given: two drifted caches
    Account.objects.filter(pk__in=[books.bank.pk, books.b_bank.pk]).update(
        balance_minor=F("balance_minor") + 1
    )
    # when
    message, err = refusal("check")
    # then
    assert message == "ledger check failed: 2 violations"
    assert err.splitlines() == [
        f"balance_cache_mismatch: {BANK} holds a cached balance of 100000.01 PHP, "
        "but its postings sum to 100000.00 PHP",
        "balance_cache_mismatch: Assets:Collectives:RemoteCrew:Bank:USD holds a cached "
        "balance of 500.01 USD, but its postings sum to 500.00 USD",
    ]


@pytest.mark.parametrize(
    "args",
    [
        ["check", "--collective", "nowhere"],
        ["balances", "--collective", "nowhere"],
        ["export", "--format", "csv", "--collective", "nowhere"],
    ],
)
def test_an_unknown_collective_is_refused_in_one_line(db, args):
    assert refusal(*args)[0] == "No collective with the slug 'nowhere'."


# ----- balances --------------------------------------------------------------


def test_balances_as_csv_signed_as_beancount_signs_them(books):
    assert balances_csv() == [
        ["account", "currency", "balance"],
        [BANK, "PHP", "100000.00"],
        ["Assets:Collectives:ManilaVa:Bank:USD", "USD", "0.00"],
        ["Assets:Collectives:ManilaVa:Funds:SickPay:Cash", "PHP", "1000.00"],
        ["Assets:Collectives:RemoteCrew:Bank:USD", "USD", "500.00"],
        ["Equity:Collectives:ManilaVa:Opening:PHP", "PHP", "-101000.00"],
        ["Equity:Collectives:RemoteCrew:Opening:USD", "USD", "-500.00"],
        ["Liabilities:Collectives:ManilaVa:Members:Ana:Payable", "PHP", "0.00"],
        ["Liabilities:Collectives:ManilaVa:Members:Ben:Payable", "PHP", "0.00"],
    ]


def test_balances_of_one_collective_as_of_a_day(books):
    # given: a payment in February
    transaction_post(
        lines=[
            Line(books.b_bank, Money("20.25", "USD")),
            Line(books.b_opening, Money("-20.25", "USD")),
        ],
        memo="February top-up",
        occurred_at=dt.date(2026, 2, 1),
        idempotency_key="command:b:february",
        kind="transfer",
    )
    # when / then
    assert balances_csv("--collective", "remote-crew", "--as-of", "2026-01-31")[1:] == [
        ["Assets:Collectives:RemoteCrew:Bank:USD", "USD", "500.00"],
        ["Equity:Collectives:RemoteCrew:Opening:USD", "USD", "-500.00"],
    ]
    assert balances_csv("--collective", "remote-crew", "--as-of", "2026-02-01")[1:] == [
        ["Assets:Collectives:RemoteCrew:Bank:USD", "USD", "520.25"],
        ["Equity:Collectives:RemoteCrew:Opening:USD", "USD", "-520.25"],
    ]
    assert balances_csv("--collective", "remote-crew", "--as-of", "2025-12-31")[1:] == [
        ["Assets:Collectives:RemoteCrew:Bank:USD", "USD", "0.00"],
        ["Equity:Collectives:RemoteCrew:Opening:USD", "USD", "0.00"],
    ]


def test_balances_as_json(books):
    out, _ = run("balances", "--format", "json", "--collective", "remote-crew")
    assert json.loads(out) == {
        "as_of": None,
        "collective": "remote-crew",
        "balances": [
            {
                "account": "Assets:Collectives:RemoteCrew:Bank:USD",
                "currency": "USD",
                "balance": "500.00",
            },
            {
                "account": "Equity:Collectives:RemoteCrew:Opening:USD",
                "currency": "USD",
                "balance": "-500.00",
            },
        ],
    }


def test_balances_as_an_aligned_table(books):
    out, _ = run("balances", "--collective", "remote-crew")
    assert out.splitlines() == [
        "Account                                    Balance  Currency",
        "Assets:Collectives:RemoteCrew:Bank:USD      500.00  USD",
        "Equity:Collectives:RemoteCrew:Opening:USD  -500.00  USD",
    ]


@pytest.mark.parametrize("day", ["2026-13-01", "yesterday", "31/01/2026"])
def test_a_bad_date_is_refused_in_one_line(db, day):
    assert refusal("balances", "--as-of", day)[0] == f"{day!r} is not a date; use YYYY-MM-DD."


# ----- export ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("scope", "accounts"),
    [([], 14), (["--collective", "manila-va"], 12), (["--collective", "remote-crew"], 2)],
)
def test_beancount_computes_from_the_export_exactly_what_ledger_balances_prints(
    books, tmp_path, scope, accounts
):
    # given
    post_a_busy_month(books)
    path = tmp_path / "books.beancount"
    # when
    out, _ = run("export", "--format", "beancount", "-o", str(path), *scope)
    entries, errors, _ = loader.load_file(str(path))
    # then
    assert out == f"Wrote {path}.\n"
    assert errors == []
    printed = {
        account: (currency, Decimal(balance))
        for account, currency, balance in balances_csv(*scope)[1:]
    }
    assert beancount_balances(entries) == printed
    assert len(printed) == accounts


def test_export_writes_to_standard_output_without_extra_newlines(books):
    out, _ = run("export", "--format", "csv", "--collective", "remote-crew")
    assert out.splitlines()[0] == "transaction_id,date,kind,memo,account,amount,currency"
    assert len(out.splitlines()) == 3
    beancount, _ = run("export", "--format", "beancount")
    assert "\n\n\n" not in beancount


def test_export_to_a_directory_that_does_not_exist_is_refused_in_one_line(books, tmp_path):
    target = tmp_path / "missing" / "books.beancount"
    assert refusal("export", "--format", "beancount", "-o", str(target))[0] == (
        f"Cannot write {target}: No such file or directory."
    )


def test_export_replaces_a_file_whole(books, tmp_path):
    # given
    path = tmp_path / "books.csv"
    path.write_text("old contents\n")
    # when
    run("export", "--format", "csv", "-o", str(path))
    # then
    assert path.read_text().startswith("transaction_id,")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["books.csv"]


# ----- rates-import ------------------------------------------------------------

ECB_DAILY = "Date, USD, JPY, PHP, \n26 November 2026, 1.0512, 162.31, 61.234, \n"


def test_rates_import_loads_the_ecb_file_and_says_what_it_did(db, tmp_path):
    # given
    path = tmp_path / "eurofxref.csv"
    path.write_text(ECB_DAILY)
    # when
    out, _ = run("rates-import", str(path))
    # then
    assert out == "Imported 3 rates for 1 day (2026-11-26).\n"
    assert ExchangeRate.objects.get(base="EUR", quote="PHP").rate == Decimal("61.234")


def test_rates_import_of_a_historical_file_names_the_span(db, tmp_path):
    path = tmp_path / "eurofxref-hist.csv"
    path.write_text("Date,USD,JPY\n2026-11-26,1.05,162.3\n2026-11-25,1.04,N/A\n")
    assert run("rates-import", str(path))[0] == (
        "Imported 3 rates for 2 days (2026-11-25 to 2026-11-26).\n"
    )


def test_rates_import_refuses_a_file_that_is_not_an_ecb_file(db, tmp_path):
    # given
    path = tmp_path / "rates.csv"
    path.write_text("currency,rate\nUSD,1.05\n")
    # when / then
    assert refusal("rates-import", str(path))[0] == (
        "Not an ECB reference-rate file: the first column must be headed Date."
    )
    assert ExchangeRate.objects.count() == 0


def test_rates_import_refuses_a_missing_or_binary_file(db, tmp_path):
    missing = tmp_path / "nope.csv"
    assert refusal("rates-import", str(missing))[0] == (
        f"Cannot read {missing}: No such file or directory."
    )
    binary = tmp_path / "rates.zip"
    binary.write_bytes(b"PK\x03\x04\xff\xfe\x00")
    assert refusal("rates-import", str(binary))[0] == f"Cannot read {binary}: it is not UTF-8 text."


# ----- outside a test's transaction ------------------------------------------------


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL's snapshot; on SQLite the real-command test below covers it "
    "(and a flush there would meet the triggers that refuse deleting postings)",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_check_and_export_read_one_snapshot_outside_any_transaction(tmp_path):
    # given: books committed for real (the deferred balance triggers fire),
    # and commands that open their own REPEATABLE READ, READ ONLY snapshot
    books = build_books(build_cast())
    post_a_busy_month(books)
    # when
    out, _ = run("check")
    run("export", "--format", "beancount", "-o", str(tmp_path / "books.beancount"))
    # then
    assert out.startswith("ledger ok: 8 transactions, 22 postings, 14 accounts")
    _, errors, _ = loader.load_file(str(tmp_path / "books.beancount"))
    assert errors == []


def test_the_real_command_exits_non_zero_with_one_readable_line(tmp_path):
    # given: a migrated throwaway database for a separate process
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        "MUTUALIST_VAR_DIR": str(tmp_path),
    }

    def mutualist(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 (our own interpreter, fixed arguments)
            [sys.executable, "-m", "mutualist", *args],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    assert mutualist("migrate", "--noinput").returncode == 0
    # when
    ok = mutualist("ledger", "check")
    bad = mutualist("ledger", "balances", "--as-of", "soon")
    # then
    assert (ok.returncode, ok.stdout) == (
        0,
        "ledger ok: 0 transactions, 0 postings, 0 accounts, currencies balanced\n",
    )
    assert (bad.returncode, bad.stderr) == (
        1,
        "CommandError: 'soon' is not a date; use YYYY-MM-DD.\n",
    )
