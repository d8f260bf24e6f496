"""The Beancount and CSV exports: Beancount itself must accept and re-derive our books.

Every test that checks a Beancount file loads it with Beancount's own loader
(or runs ``bean-check``), so "passes bean-check" means Beancount's parser,
its per-currency balancing and our ``balance`` assertions, not a regex.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import subprocess
import sys
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from beancount import loader
from beancount.core import data
from django.db.models import F

from mutualist.collectives.models import Collective
from mutualist.core.money import Money
from mutualist.ledger.export import (
    CSV_COLUMNS,
    amount_text,
    beancount_string,
    beancount_write,
    csv_write,
)
from mutualist.ledger.models import Account, Transaction
from mutualist.ledger.services import (
    Line,
    account_open,
    currency_convert,
    transaction_post,
    transaction_reverse,
)
from mutualist.testing import Books

DAY = dt.date(2026, 2, 3)
AWKWARD_MEMO = 'Ana\'s "rush" fee \\ C:\\path\\ — São Paulo, 東京\nsecond line\ttab'

BEAN_CHECK = Path(sys.executable).parent / "bean-check"


def open_in_a(books: Books, currency: str, *parts: str, type: str = "assets") -> Account:
    root = {"assets": "Assets", "equity": "Equity"}[type]
    return account_open(
        collective=books.cast.collective_a,
        name=":".join([root, "Collectives", "ManilaVa", *parts]),
        type=type,
        currency=currency,
    )


def post_a_busy_month(books: Books) -> tuple[Transaction, Transaction, Transaction]:
    """Through the services: an awkward memo, a conversion at a recorded
    rate, a reversal, and amounts in JPY (no decimals) and BHD (three)."""
    share = transaction_post(
        lines=[
            Line(books.bank, Money("5001.00", "PHP")),
            Line(books.ana_payable, Money("-2500.50", "PHP")),
            Line(books.ben_payable, Money("-2500.50", "PHP")),
        ],
        memo=AWKWARD_MEMO,
        occurred_at=DAY,
        idempotency_key="export:share",
        kind="transfer",
    )
    reversal = transaction_reverse(
        original=share, idempotency_key="export:share:reverse", occurred_at=DAY
    )
    conversion = currency_convert(
        source=books.bank,
        target=books.usd_bank,
        amount=Money("5800", "PHP"),
        occurred_at=DAY + dt.timedelta(days=1),
        idempotency_key="export:convert",
        rate=Decimal("0.0172"),
        rate_source='the bank\'s "spot" rate',
    )
    yen = open_in_a(books, "JPY", "Bank", "JPY")
    yen_opening = open_in_a(books, "JPY", "Opening", "JPY", type="equity")
    dinar = open_in_a(books, "BHD", "Bank", "BHD")
    dinar_opening = open_in_a(books, "BHD", "Opening", "BHD", type="equity")
    transaction_post(
        lines=[
            Line(yen, Money("15000", "JPY")),
            Line(yen_opening, Money("-15000", "JPY")),
            Line(dinar, Money("1.25", "BHD")),
            Line(dinar_opening, Money("-1.25", "BHD")),
        ],
        memo="Opening balances in yen and dinars",
        occurred_at=DAY,
        idempotency_key="export:yen-dinar",
        kind="opening",
    )
    transaction_post(
        lines=[Line(dinar, Money("-0.005", "BHD")), Line(dinar_opening, Money("0.005", "BHD"))],
        memo="Five fils back",
        occurred_at=DAY + dt.timedelta(days=2),
        idempotency_key="export:fils",
        kind="transfer",
    )
    return share, reversal, conversion


def beancount_text(collective: Collective | None = None) -> str:
    out = io.StringIO()
    beancount_write(out, collective=collective)
    return out.getvalue()


def load(text: str, tmp_path: Path) -> tuple[list[Any], list[Any], dict[str, Any]]:
    path = tmp_path / "books.beancount"
    path.write_text(text, encoding="utf-8")
    entries, errors, options = loader.load_file(str(path))
    return entries, errors, options


def beancount_balances(entries: Sequence[Any]) -> dict[str, tuple[str, Decimal]]:
    """Each account's balance as Beancount computes it: the sum of its
    postings' units, zero for an account opened and never posted to."""
    totals: dict[str, tuple[str, Decimal]] = {}
    for entry in entries:
        if isinstance(entry, data.Open):
            (currency,) = entry.currencies
            totals[entry.account] = (currency, Decimal(0))
        elif isinstance(entry, data.Transaction):
            for posting in entry.postings:
                currency, total = totals[posting.account]
                units = posting.units
                assert units is not None and units.number is not None
                assert units.currency == currency
                totals[posting.account] = (currency, total + units.number)
    return totals


def transactions(entries: Sequence[Any]) -> dict[str, data.Transaction]:
    return {e.meta["mutualist-id"]: e for e in entries if isinstance(e, data.Transaction)}


def test_the_beancount_export_passes_bean_check(books, tmp_path):
    # given
    post_a_busy_month(books)
    path = tmp_path / "books.beancount"
    path.write_text(beancount_text(), encoding="utf-8")
    # when
    result = subprocess.run(  # noqa: S603 (our own venv's bean-check on our own file)
        [str(BEAN_CHECK), str(path)], capture_output=True, text=True, check=False
    )
    # then
    assert (result.returncode, result.stderr) == (0, "")


def test_beancount_computes_the_balances_the_ledger_holds(books, tmp_path):
    # given
    post_a_busy_month(books)
    # when
    entries, errors, _ = load(beancount_text(), tmp_path)
    # then: no errors, so every balance assertion held, and the sums agree
    assert errors == []
    computed = beancount_balances(entries)
    held = {
        a.name: (a.currency, Money.from_minor(a.balance_minor, a.currency).amount)
        for a in Account.objects.all()
    }
    assert computed == held
    assert computed["Assets:Collectives:ManilaVa:Bank:BHD"] == ("BHD", Decimal("1.245"))
    assert computed["Assets:Collectives:ManilaVa:Bank:JPY"] == ("JPY", Decimal("15000"))
    assert computed["Assets:Collectives:ManilaVa:Bank:USD"] == ("USD", Decimal("99.76"))


def test_it_ends_with_a_balance_assertion_per_account_the_day_after_the_last_posting(
    books, tmp_path
):
    # given
    post_a_busy_month(books)
    # when
    entries, errors, _ = load(beancount_text(), tmp_path)
    # then
    assert errors == []
    assertions = [e for e in entries if isinstance(e, data.Balance)]
    assert {e.account for e in assertions} == set(Account.objects.values_list("name", flat=True))
    assert {e.date for e in assertions} == {DAY + dt.timedelta(days=3)}


def test_bean_check_fails_when_a_cached_balance_is_not_what_the_postings_add_up_to(books, tmp_path):
    # given: a drifted cache
    Account.objects.filter(pk=books.bank.pk).update(balance_minor=F("balance_minor") + 1)
    # when
    _, errors, _ = load(beancount_text(), tmp_path)
    # then
    assert len(errors) == 1
    assert "Balance failed for 'Assets:Collectives:ManilaVa:Bank:PHP'" in errors[0].message


def test_memos_with_quotes_backslashes_newlines_and_any_script_survive(books, tmp_path):
    # given
    share, _, conversion = post_a_busy_month(books)
    # when
    entries, errors, _ = load(beancount_text(), tmp_path)
    # then
    assert errors == []
    by_id = transactions(entries)
    assert by_id[str(share.pk)].narration == AWKWARD_MEMO
    assert by_id[str(conversion.pk)].meta["fx-rate-source"] == 'the bank\'s "spot" rate'


def test_it_escapes_a_string_for_beancount():
    assert beancount_string('a "b" \\ c\nd\re\tf') == '"a \\"b\\" \\\\ c\\nd\\re\\tf"'


def test_it_records_ids_kinds_rates_and_reversals_as_metadata(books, tmp_path):
    # given
    share, reversal, conversion = post_a_busy_month(books)
    # when
    entries, errors, _ = load(beancount_text(), tmp_path)
    # then
    assert errors == []
    by_id = transactions(entries)
    assert by_id[str(share.pk)].meta["kind"] == "transfer"
    assert by_id[str(reversal.pk)].meta["kind"] == "reversal"
    assert by_id[str(reversal.pk)].meta["reverses"] == str(share.pk)
    assert by_id[str(conversion.pk)].meta["fx-rate"] == Decimal("0.0172")
    assert "reverses" not in by_id[str(share.pk)].meta
    assert "fx-rate" not in by_id[str(share.pk)].meta
    assert by_id[str(conversion.pk)].date == DAY + dt.timedelta(days=1)


def test_amounts_carry_each_currencys_own_decimals(books):
    # given
    post_a_busy_month(books)
    # when
    text = beancount_text()
    # then
    assert "  Assets:Collectives:ManilaVa:Bank:JPY  15000 JPY\n" in text
    assert "  Assets:Collectives:ManilaVa:Bank:BHD  1.250 BHD\n" in text
    assert "  Assets:Collectives:ManilaVa:Bank:BHD  -0.005 BHD\n" in text
    assert "  Liabilities:Collectives:ManilaVa:Members:Ana:Payable  -2500.50 PHP\n" in text
    assert "balance Assets:Collectives:ManilaVa:Bank:BHD  1.245 ~ 0 BHD\n" in text


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [
        (0, "EUR", "0.00"),
        (5, "EUR", "0.05"),
        (-105000, "EUR", "-1050.00"),
        (15000, "JPY", "15000"),
        (-5, "BHD", "-0.005"),
        (2**63 - 1, "EUR", "92233720368547758.07"),
    ],
)
def test_amount_text_is_exact(minor, currency, text):
    assert amount_text(minor, currency) == text


def test_accounts_open_no_later_than_their_first_posting(books, tmp_path):
    # given: an account opened after its opening balance's date
    Account.objects.filter(pk=books.bank.pk).update(
        opened_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    )
    # when
    entries, errors, _ = load(beancount_text(), tmp_path)
    # then
    assert errors == []
    opened = {e.account: e.date for e in entries if isinstance(e, data.Open)}
    first = dt.date(2026, 1, 1)
    assert opened["Assets:Collectives:ManilaVa:Bank:PHP"] == first


def test_the_collective_filter_exports_only_that_collectives_books(books, tmp_path):
    # given
    post_a_busy_month(books)
    b = books.cast.collective_b
    # when
    entries, errors, options = load(beancount_text(collective=b), tmp_path)
    # then
    assert errors == []
    assert {e.account for e in entries if isinstance(e, data.Open)} == {
        "Assets:Collectives:RemoteCrew:Bank:USD",
        "Equity:Collectives:RemoteCrew:Opening:USD",
    }
    assert set(transactions(entries)) == {
        str(pk) for pk in Transaction.objects.filter(collective=b).values_list("pk", flat=True)
    }
    assert options["operating_currency"] == ["USD"]
    assert beancount_balances(entries) == {
        "Assets:Collectives:RemoteCrew:Bank:USD": ("USD", Decimal("500.00")),
        "Equity:Collectives:RemoteCrew:Opening:USD": ("USD", Decimal("-500.00")),
    }


def test_empty_books_export_as_an_empty_valid_file(db, tmp_path):
    entries, errors, _ = load(beancount_text(), tmp_path)
    assert (entries, errors) == ([], [])


# ----- CSV -----------------------------------------------------------------


def csv_rows(collective: Collective | None = None) -> list[list[str]]:
    out = io.StringIO()
    csv_write(out, collective=collective)
    return list(csv.reader(io.StringIO(out.getvalue())))


def test_the_csv_export_has_one_row_per_posting(books):
    # given
    share, _, conversion = post_a_busy_month(books)
    # when
    header, *rows = csv_rows()
    # then
    assert tuple(header) == CSV_COLUMNS
    # the fixture's three openings, the share and its reversal, the
    # conversion, the yen and dinar openings, the five fils
    assert len(rows) == 2 + 2 + 2 + 3 + 3 + 4 + 4 + 2
    assert [r for r in rows if r[0] == str(conversion.pk)] == [
        [
            str(conversion.pk),
            "2026-02-04",
            "conversion",
            "Convert 5800.00 PHP to 99.76 USD at 0.0172",
            name,
            amount,
            currency,
        ]
        for name, amount, currency in [
            ("Assets:Collectives:ManilaVa:Bank:PHP", "-5800.00", "PHP"),
            ("Equity:Collectives:ManilaVa:Trading:PHP", "5800.00", "PHP"),
            ("Equity:Collectives:ManilaVa:Trading:USD", "-99.76", "USD"),
            ("Assets:Collectives:ManilaVa:Bank:USD", "99.76", "USD"),
        ]
    ]
    assert {r[3] for r in rows if r[0] == str(share.pk)} == {AWKWARD_MEMO}
    assert ("Assets:Collectives:ManilaVa:Bank:BHD", "-0.005", "BHD") in {
        (r[4], r[5], r[6]) for r in rows
    }


def test_the_csv_export_sums_to_zero_per_currency(books):
    post_a_busy_month(books)
    totals: dict[str, Decimal] = {}
    for row in csv_rows()[1:]:
        totals[row[6]] = totals.get(row[6], Decimal(0)) + Decimal(row[5])
    assert totals == {"PHP": 0, "USD": 0, "JPY": 0, "BHD": 0}


def test_the_csv_export_defuses_memos_a_spreadsheet_would_run(books):
    # given
    transaction_post(
        lines=[Line(books.bank, Money("1", "PHP")), Line(books.opening, Money("-1", "PHP"))],
        memo='=HYPERLINK("http://evil.example","click")',
        occurred_at=DAY,
        idempotency_key="export:formula",
        kind="transfer",
    )
    # when
    memos = {row[3] for row in csv_rows()[1:]}
    # then
    assert '\'=HYPERLINK("http://evil.example","click")' in memos


def test_the_csv_collective_filter_exports_only_that_collectives_postings(books):
    post_a_busy_month(books)
    rows = csv_rows(collective=books.cast.collective_b)[1:]
    assert [(r[4], r[5], r[6]) for r in rows] == [
        ("Assets:Collectives:RemoteCrew:Bank:USD", "500.00", "USD"),
        ("Equity:Collectives:RemoteCrew:Opening:USD", "-500.00", "USD"),
    ]
