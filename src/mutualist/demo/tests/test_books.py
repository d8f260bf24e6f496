"""The demo's books: posted through the ledger, balanced, never negative, loaded once."""

from __future__ import annotations

import csv
import datetime as dt
import io
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from beancount import loader
from beancount.core import data
from django.core.management import call_command
from django.db.models import Count, Sum
from django.urls import reverse

from mutualist.collectives.models import Collective, Membership
from mutualist.core.money import Money
from mutualist.demo import data as demo
from mutualist.demo.books import BOOKS, books_keys
from mutualist.ledger import selectors
from mutualist.ledger.check import ledger_check
from mutualist.ledger.models import Account, ExchangeRate, Posting, Transaction
from mutualist.members.models import User

EMAIL = "{}@demo.mutualist.coop"
BEAN_CHECK = Path(sys.executable).parent / "bean-check"


@pytest.fixture
def loaded(db):
    # The books alone: billing posts its own transactions (demo/tests/test_billing.py).
    return demo.demo_load(with_billing=False)


def user(login: str) -> User:
    return User.objects.get(email=EMAIL.format(login))


def account(name: str) -> Account:
    return Account.objects.get(name=name)


def balance(name: str) -> Money:
    return selectors.account_balance(account=account(name))


def ledger_rows() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Account, Transaction, Posting, ExchangeRate)
    }


def test_every_transaction_has_two_postings_and_balances_in_each_currency(loaded):
    # when: the postings are grouped by transaction and currency
    too_few = Transaction.objects.annotate(n=Count("postings")).filter(n__lt=2)
    unbalanced = (
        Posting.objects.values("transaction", "currency")
        .annotate(total=Sum("amount_minor"))
        .exclude(total=0)
    )
    # then
    assert loaded.transactions == len(books_keys()) == 36
    assert list(too_few) == []
    assert list(unbalanced) == []


def test_mutualist_ledger_check_passes_on_the_demo(loaded, capsys):
    # when
    violations = ledger_check()
    call_command("ledger", "check")
    # then
    assert violations == []
    assert capsys.readouterr().out == (
        "ledger ok: 36 transactions, 140 postings, 59 accounts, currencies balanced\n"
    )


def test_its_beancount_export_passes_bean_check_with_the_balances_the_ledger_lists(
    loaded, tmp_path, capsys
):
    # given
    path = tmp_path / "demo.beancount"
    call_command("ledger", "export", "--format", "beancount", "-o", str(path))
    capsys.readouterr()
    # when
    checked = subprocess.run(  # noqa: S603 (our own venv's bean-check on our own file)
        [str(BEAN_CHECK), str(path)], capture_output=True, text=True, check=False
    )
    entries, errors, _ = loader.load_file(str(path))
    call_command("ledger", "balances", "--format", "csv")
    listed = {
        row["account"]: (row["currency"], Decimal(row["balance"]))
        for row in csv.DictReader(io.StringIO(capsys.readouterr().out))
    }
    # then
    assert (checked.returncode, checked.stderr, errors) == (0, "", [])
    computed: dict[str, tuple[str, Decimal]] = {}
    for entry in entries:
        if isinstance(entry, data.Open):
            (currency,) = entry.currencies
            computed[entry.account] = (currency, Decimal(0))
        elif isinstance(entry, data.Transaction):
            for posting in entry.postings:
                currency, total = computed[posting.account]
                units = posting.units
                assert units is not None and units.number is not None
                assert units.currency == currency
                computed[posting.account] = (currency, total + units.number)
    assert computed == listed
    assert listed["Liabilities:Collectives:ManilaVa:Members:Ana:Payable"] == (
        "PHP",
        Decimal("-8311.36"),
    )


def test_every_collectives_trial_balance_balances_per_currency(loaded):
    # given
    currencies = {"manila-va": {"PHP", "USD"}, "remote-crew": {"USD", "EUR"}}
    currencies["nairobi-vo"] = {"KES", "USD"}
    for slug, expected in currencies.items():
        # when
        report = selectors.trial_balance(collective=Collective.objects.get(slug=slug))
        # then
        assert report.balanced, slug
        assert set(report.debits) == expected, slug
        assert all(not report.debits[c].is_zero() for c in expected), slug
    # and each currency sums to zero within each collective's books
    totals = (
        Posting.objects.values("account__collective", "currency")
        .annotate(total=Sum("amount_minor"))
        .exclude(total=0)
    )
    assert list(totals) == []


def test_cached_balances_equal_the_postings(loaded):
    # when
    derived = dict(
        Posting.objects.values("account")
        .annotate(total=Sum("amount_minor"))
        .values_list("account", "total")
    )
    # then
    for row in Account.objects.all():
        assert row.balance_minor == derived.get(row.pk, 0), row.name


def test_no_member_payable_or_fund_is_negative(loaded):
    # given
    guarded = Account.objects.filter(must_not_go_negative=True)
    # then: every active member of every demo collective has a payable of their own
    payables = guarded.filter(owner_kind=Account.OwnerKind.MEMBER)
    members = Membership.objects.filter(state=Membership.State.ACTIVE)
    assert sorted(payables.values_list("collective__slug", "owner_id")) == sorted(
        members.values_list("collective__slug", "user_id")
    )
    assert payables.count() == 23
    # and three funds per collective hold cash
    assert guarded.filter(name__contains=":Funds:").count() == 9
    # and nothing guarded is on the wrong side of zero
    for row in guarded:
        assert not row.would_go_negative(balance(row.name).minor_units), row.name
    assert all(balance(p.name).amount <= 0 for p in payables)


def test_ana_has_her_collectives_books_and_her_own_statement_to_see(loaded):
    # given
    ana = user("ana")
    # when
    books = selectors.books_get_for_member(user=ana, slug="manila-va")
    owned = list(selectors.account_list_owned(user=ana))
    statement = selectors.account_statement(account=owned[0])
    # then
    assert [a.name for a in owned] == ["Liabilities:Collectives:ManilaVa:Members:Ana:Payable"]
    assert [(r.posting.occurred_at, r.amount, r.balance) for r in statement.rows] == [
        (dt.date(2026, 7, 10), Money("-27692.31", "PHP"), Money("-27692.31", "PHP")),
        (dt.date(2026, 7, 15), Money("27000", "PHP"), Money("-692.31", "PHP")),
        (dt.date(2026, 8, 10), Money("-7619.05", "PHP"), Money("-8311.36", "PHP")),
    ]
    assert selectors.account_list(collective=books).count() == 19
    assert selectors.journal(collective=books).count() == 15
    assert balance("Assets:Collectives:ManilaVa:Bank:PHP") == Money("399533.61", "PHP")
    assert balance("Assets:Collectives:ManilaVa:Bank:USD") == Money("3650", "USD")
    assert balance("Assets:Collectives:ManilaVa:Funds:Guarantee:Cash") == Money("42900", "PHP")


def test_ana_logs_in_to_books_with_balances_and_her_own_account(loaded, client):
    # given
    client.force_login(user("ana"), backend="django.contrib.auth.backends.ModelBackend")
    # when
    books = client.get(reverse("ledger:books", args=["manila-va"]))
    mine = client.get(reverse("ledger:my_accounts"))
    # then
    assert (books.status_code, mine.status_code) == (200, 200)
    assert "Cash set aside for the sick-pay fund" in books.content.decode()
    assert "399,533.61" in books.content.decode()
    assert "What the collective owes Ana Reyes" in mine.content.decode()
    assert "8,311.36" in mine.content.decode()


def test_members_shares_add_up_to_what_was_split(loaded):
    # given: June's 150,000.00 PHP split by hours among Manila's seven members
    split = Transaction.objects.get(idempotency_key="demo:manila-va:shares-june")
    # when
    credited = split.postings.filter(account__owner_kind=Account.OwnerKind.MEMBER)
    # then
    assert split.kind == "split"
    assert credited.count() == 7
    assert credited.aggregate(total=Sum("amount_minor"))["total"] == -15_000_000
    assert credited.get(account__name__contains=":Paolo:").amount_minor == -3_692_308


def test_the_mistaken_entry_is_corrected_by_a_reversal(loaded):
    # given
    wrong = Transaction.objects.get(idempotency_key="demo:manila-va:guarantee-july")
    # when
    reversal = selectors.transaction_reversal(transaction=wrong)
    # then
    assert reversal is not None
    assert (reversal.kind, reversal.occurred_at, reversal.idempotency_key) == (
        "reversal",
        dt.date(2026, 8, 12),
        "demo:manila-va:guarantee-july-reversal",
    )
    assert sorted(reversal.postings.values_list("account_id", "amount_minor")) == sorted(
        (a, -m) for a, m in wrong.postings.values_list("account_id", "amount_minor")
    )
    # and the savings fund holds only its own contributions: 24,000 + 3,000 + 1,600
    assert balance("Assets:Collectives:ManilaVa:Funds:Savings:Cash") == Money("28600", "PHP")
    # and Remote Crew's payout imported twice was reversed too
    twice = Transaction.objects.get(idempotency_key="demo:remote-crew:payout-tunde-again")
    assert selectors.transaction_reversal(transaction=twice) is not None
    assert balance("Liabilities:Collectives:RemoteCrew:Members:Tunde:Payable") == Money(
        "-657.14", "USD"
    )


def test_each_conversion_records_its_rate_and_where_it_came_from(loaded):
    # when
    conversions = {
        t.collective.slug: t
        for t in Transaction.objects.filter(kind="conversion").select_related("collective")
    }
    # then: Manila crossed USD to PHP through the euro on one ECB day
    manila = conversions["manila-va"]
    assert manila.fx_rate == (Decimal("67.240") / Decimal("1.1712")).quantize(Decimal("1e-12"))
    assert manila.fx_rate_source == "ECB reference rates of 2026-07-08, crossed through EUR"
    # and Remote Crew used the ECB's euro rate directly
    crew = conversions["remote-crew"]
    assert (crew.fx_rate, crew.fx_rate_source) == (
        Decimal("1.1668"),
        "ECB reference rate of 2026-08-06",
    )
    # and Nairobi its coordinator's rate (the ECB publishes no shilling rate)
    nairobi = conversions["nairobi-vo"]
    assert (nairobi.fx_rate, nairobi.fx_rate_source) == (
        Decimal("129.20"),
        "2026-09-03 rate entered by Wanjiru Kamau",
    )
    assert sorted(nairobi.postings.values_list("account__name", "amount_minor")) == [
        ("Assets:Collectives:NairobiVo:Bank:KES", 31_008_000),
        ("Assets:Collectives:NairobiVo:Bank:USD", -240_000),
        ("Equity:Collectives:NairobiVo:Trading:KES", -31_008_000),
        ("Equity:Collectives:NairobiVo:Trading:USD", 240_000),
    ]


def test_every_movement_carries_a_demo_key_and_its_coordinator(loaded):
    # when
    posted = Transaction.objects.select_related("collective", "posted_by")
    # then
    assert sorted(t.idempotency_key for t in posted) == sorted(books_keys())
    coordinators = {"manila-va": "ana", "remote-crew": "joy", "nairobi-vo": "wanjiru"}
    for t in posted:
        assert t.posted_by == user(coordinators[t.collective.slug]), t.idempotency_key
    assert {b.slug for b in BOOKS} == set(coordinators)


def test_loading_twice_posts_nothing_new(loaded):
    # given
    before = ledger_rows()
    balances = dict(Account.objects.values_list("name", "balance_minor"))
    # when
    again = demo.demo_load(with_billing=False)
    # then
    assert again.transactions == 0
    assert again.summary() == "Demo data already present; nothing created."
    assert ledger_rows() == before
    assert dict(Account.objects.values_list("name", "balance_minor")) == balances


def test_demo_once_adds_the_books_to_a_demo_loaded_before_it_had_them(db, capsys):
    # given: the people and collectives of an older demo, without books
    demo.demo_load(books=(), with_billing=False)
    assert not demo.demo_is_loaded()
    # when
    call_command("demo", "--once")
    # then
    assert capsys.readouterr().out.startswith(
        "Demo data loaded: 0 people, 0 collectives, 0 memberships, "
        "0 pending applications, 0 pending invitations created; "
        "36 ledger transactions posted; 0 clients"
    )
    assert demo.demo_is_loaded()
    assert Transaction.objects.filter(idempotency_key__in=books_keys()).count() == 36
