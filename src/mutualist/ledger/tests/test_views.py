"""The books through the web UI: a collective's accounts and trial balance,
the journal, a transaction, a statement, a member's own accounts, exchange
rates and conversions, and the read-only admin.

The cast (see ``mutualist.testing``): Ana coordinates collective A
(manila-va), Ben is a member of A, Carla coordinates B (remote-crew), Olga is
in no collective. The ``books`` fixture opens A's books: Bank:PHP holds
100,000.00, the sick-pay fund's cash 1,000.00 (never below zero), Ana's and
Ben's payables are empty, Bank:USD is empty; B's Bank:USD holds 500.00.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from mutualist.collectives.models import Membership
from mutualist.collectives.services import membership_leave
from mutualist.core.money import Money
from mutualist.ledger.models import Account, ExchangeRate, Posting, Transaction
from mutualist.ledger.services import (
    Line,
    currency_convert,
    exchange_rate_set,
    exchange_rates_import_ecb,
    transaction_post,
    transaction_reverse,
)
from mutualist.members.models import User
from mutualist.testing import Books

A = "manila-va"
B = "remote-crew"
DAY = dt.date(2026, 3, 2)


def text_of(response: Any) -> str:
    """The page, without the line-break hints inside account names."""
    return str(response.content.decode()).replace("<wbr>", "")


def shows(response: Any, text: str) -> bool:
    """Whether the page shows ``text`` as the template escaped it."""
    return html.escape(text) in text_of(response)


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def url(name: str, **kwargs: object) -> str:
    return reverse(f"ledger:{name}", kwargs=kwargs)


def assert_login_redirect(response: Any) -> None:
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("members:login"))


def state() -> dict[str, Any]:
    """Everything a refused request must leave as it was."""
    return {
        "transactions": Transaction.objects.count(),
        "postings": Posting.objects.count(),
        "accounts": list(Account.objects.order_by("pk").values_list("name", "balance_minor")),
        "rates": list(ExchangeRate.objects.order_by("pk").values()),
    }


def pay(
    books: Books,
    amount: str,
    *,
    to: Account | None = None,
    day: dt.date = DAY,
    memo: str = "Paid the Acme subcontractor",
    kind: str = "payout",
    key: str | None = None,
) -> Transaction:
    """Pay ``amount`` PHP out of the bank (against the opening equity, by default)."""
    target = to or books.opening
    return transaction_post(
        lines=[Line(books.bank, -Money(amount, "PHP")), Line(target, Money(amount, "PHP"))],
        memo=memo,
        occurred_at=day,
        idempotency_key=key or f"test:{memo}:{amount}:{day}",
        kind=kind,
    )


def leave(books: Books, user: User) -> None:
    membership = Membership.objects.get(collective=books.cast.collective_a, user=user)
    membership_leave(membership=membership, actor=user)


def owe_ben(books: Books, amount: str, *, day: dt.date = DAY) -> Transaction:
    """The collective owes Ben ``amount`` PHP from the bank: his payable is credited."""
    return transaction_post(
        lines=[
            Line(books.bank, Money(amount, "PHP")),
            Line(books.ben_payable, -Money(amount, "PHP")),
        ],
        memo=f"Ben's share, {amount}",
        occurred_at=day,
        idempotency_key=f"test:owe-ben:{amount}:{day}",
        kind="share",
    )


# --- Who may open the books ----------------------------------------------------------


@pytest.fixture
def pages(books: Books) -> dict[str, str]:
    tx = Transaction.objects.get(idempotency_key="test:opening:a")
    return {
        "books": url("books", slug=A),
        "journal": url("journal", slug=A),
        "transaction": url("transaction", slug=A, transaction_id=tx.pk),
        "account": url("account", slug=A, account_id=books.bank.pk),
        "rates": url("rates", slug=A),
        "convert": url("convert", slug=A),
        "account_open": url("account_open", slug=A),
        "opening_balance": url("opening_balance", slug=A, account_id=books.usd_bank.pk),
        "transaction_reverse": url("transaction_reverse", slug=A, transaction_id=tx.pk),
    }


PAGES = [
    "books",
    "journal",
    "transaction",
    "account",
    "rates",
    "convert",
    "account_open",
    "opening_balance",
    "transaction_reverse",
]


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_visitors_are_sent_to_log_in(
    books: Books, pages: dict[str, str], client: Client, page: str
) -> None:
    assert_login_redirect(client.get(pages[page]))
    assert_login_redirect(client.post(pages[page], {}))


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("who", ["olga", "carla"])
def test_people_outside_the_collective_get_404(
    books: Books, pages: dict[str, str], client_for: Any, page: str, who: str
) -> None:
    before = state()
    visitor = client_for(getattr(books.cast, who))

    assert visitor.get(pages[page]).status_code == 404
    assert visitor.post(pages[page], {}).status_code in {404, 405}
    assert state() == before


def test_a_member_who_left_no_longer_reads_the_books(books: Books, client_for: Any) -> None:
    leave(books, books.cast.ben)
    ben = client_for(books.cast.ben)

    assert ben.get(url("books", slug=A)).status_code == 404
    assert ben.get(url("account", slug=A, account_id=books.bank.pk)).status_code == 404


def test_the_collective_page_links_members_to_the_books(books: Books, client_for: Any) -> None:
    books_url = url("books", slug=A)
    page = reverse("collectives:detail", kwargs={"slug": A})

    assert books_url in text_of(client_for(books.cast.ben).get(page))
    assert books_url not in text_of(client_for(books.cast.olga).get(page))
    assert books_url not in text_of(Client().get(page))


# --- The books page ---------------------------------------------------------------------


def test_a_member_sees_the_accounts_grouped_by_type_with_their_balances(
    books: Books, client_for: Any
) -> None:
    owe_ben(books, "2500")

    response = client_for(books.cast.ben).get(url("books", slug=A))

    assert response.status_code == 200
    page = text_of(response)
    headings = re.findall(r"<h2[^>]*>([^<]+)</h2>", page)
    assert headings == ["Assets", "Liabilities", "Equity", "Trial balance"]
    assert "Assets:Collectives:ManilaVa:Bank:PHP" in page
    assert "₱102,500.00" in page  # the bank
    assert "₱1,000.00" in page  # the fund
    # Ben's payable is a credit: shown as what the collective owes him.
    assert re.search(r"Members:Ben:Payable</a>.*?₱2,500.00", page, re.S)
    assert "₱101,000.00" in page  # the opening equity, on its credit side
    assert url("account", slug=A, account_id=books.ben_payable.pk) in page
    # B's books are not A's.
    assert "RemoteCrew" not in page


def test_the_trial_balance_totals_debits_and_credits_per_currency(
    books: Books, client_for: Any
) -> None:
    exchange_rate_set(
        collective=books.cast.collective_a,
        actor=books.cast.ana,
        base="PHP",
        quote="USD",
        rate=Decimal("0.0178"),
        on=DAY,
    )
    currency_convert(
        source=books.bank,
        target=books.usd_bank,
        amount=Money("1000", "PHP"),
        occurred_at=DAY,
        idempotency_key="test:convert",
    )

    page = text_of(client_for(books.cast.ben).get(url("books", slug=A)))

    trial = page[page.index("Trial balance") :]
    rows = re.findall(
        r'<th scope="row">([A-Z]{3})</th>\s*<td class="num">([^<]+)</td>\s*'
        r'<td class="num">([^<]+)</td>\s*<td>([^<]+)</td>',
        trial,
    )
    # PHP: bank 99,000 + fund 1,000 + trading 1,000 = opening 101,000.
    assert rows == [
        ("PHP", "₱101,000.00", "₱101,000.00", "Yes"),
        ("USD", "$17.80", "$17.80", "Yes"),
    ]
    assert "The books balance in every currency." in trial


def test_the_books_show_balances_as_of_a_date(books: Books, client_for: Any) -> None:
    pay(books, "300", day=dt.date(2026, 2, 1))
    ben = client_for(books.cast.ben)

    before = text_of(ben.get(url("books", slug=A), {"as_of": "2026-01-31"}))
    after = text_of(ben.get(url("books", slug=A), {"as_of": "2026-02-01"}))

    assert "₱100,000.00" in before and "₱99,700.00" not in before
    assert "₱99,700.00" in after
    assert "up to the end of 31 January 2026" in before


def test_a_bad_as_of_date_is_an_error_on_the_field(books: Books, client_for: Any) -> None:
    response = client_for(books.cast.ben).get(url("books", slug=A), {"as_of": "31/01/2026"})

    assert response.status_code == 200
    assert response.context["form"].errors == {"as_of": ["Enter a valid date."]}
    assert "₱100,000.00" in text_of(response)  # today's balances instead


def test_only_coordinators_see_the_link_to_convert(books: Books, client_for: Any) -> None:
    convert = url("convert", slug=A)

    assert convert in text_of(client_for(books.cast.ana).get(url("books", slug=A)))
    assert convert not in text_of(client_for(books.cast.ben).get(url("books", slug=A)))


# --- The journal ----------------------------------------------------------------------


def test_the_journal_lists_transactions_newest_first_with_links_to_each(
    books: Books, client_for: Any
) -> None:
    later = pay(books, "250")

    response = client_for(books.cast.ben).get(url("journal", slug=A))

    assert response.status_code == 200
    memos = [row.transaction.memo for row in response.context["rows"]]
    assert memos == [
        "Paid the Acme subcontractor",
        "Opening balance of the sick-pay fund",
        "Opening balance",
    ]
    assert url("transaction", slug=A, transaction_id=later.pk) in text_of(response)
    assert "₱250.00" in text_of(response)
    assert "3 transactions" in text_of(response)
    assert "Opening balance" in text_of(response) and "B opening" not in text_of(response)


@pytest.mark.parametrize(
    ("params", "memos"),
    [
        ({"kind": "payout"}, ["Rent", "Paid the Acme subcontractor"]),
        ({"q": "acme"}, ["Paid the Acme subcontractor"]),
        ({"from": "2026-03-02", "to": "2026-03-02"}, ["Paid the Acme subcontractor"]),
        ({"from": "2026-03-03"}, ["Rent"]),
        ({"to": "2026-01-01"}, ["Opening balance of the sick-pay fund", "Opening balance"]),
        ({"account": "fund"}, ["Rent", "Opening balance of the sick-pay fund"]),
    ],
)
def test_the_journal_filters_transactions(
    books: Books, client_for: Any, params: dict[str, str], memos: list[str]
) -> None:
    pay(books, "250")
    transaction_post(
        lines=[Line(books.fund, -Money("100", "PHP")), Line(books.bank, Money("100", "PHP"))],
        memo="Rent",
        occurred_at=dt.date(2026, 3, 5),
        idempotency_key="test:rent",
        kind="payout",
    )
    if params.get("account") == "fund":
        params = {"account": str(books.fund.pk)}

    response = client_for(books.cast.ben).get(url("journal", slug=A), params)

    assert response.context["form"].errors == {}
    assert [row.transaction.memo for row in response.context["rows"]] == memos


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({"from": "March 2nd"}, {"from": ["Enter a valid date."]}),
        ({"to": "2026-02-30"}, {"to": ["Enter a valid date."]}),
        (
            {"from": "2026-03-02", "to": "2026-03-01"},
            {"to": ["The end date is before the start date."]},
        ),
        (
            {"kind": "bribe"},
            {"kind": ["Select a valid choice. bribe is not one of the available choices."]},
        ),
    ],
)
def test_the_journal_says_which_filter_is_wrong_and_lists_nothing(
    books: Books, client_for: Any, params: dict[str, str], errors: dict[str, list[str]]
) -> None:
    response = client_for(books.cast.ben).get(url("journal", slug=A), params)

    assert response.status_code == 200
    assert response.context["form"].errors == errors
    assert response.context["rows"] == []
    assert "Fix the filters to see transactions" in text_of(response)


def test_the_journal_refuses_an_account_of_other_books(books: Books, client_for: Any) -> None:
    response = client_for(books.cast.ben).get(url("journal", slug=A), {"account": books.b_bank.pk})

    assert list(response.context["form"].errors) == ["account"]
    assert response.context["rows"] == []


def test_the_journal_is_paginated_and_the_pages_keep_the_filters(
    books: Books, client_for: Any
) -> None:
    for day in range(1, 31):
        pay(books, "10", day=dt.date(2026, 4, day), memo=f"Payout {day}")
    ben = client_for(books.cast.ben)

    first = ben.get(url("journal", slug=A), {"kind": "payout"})
    second = ben.get(url("journal", slug=A), {"kind": "payout", "page": "2"})

    assert [row.transaction.memo for row in first.context["rows"]][:2] == [
        "Payout 30",
        "Payout 29",
    ]
    assert len(first.context["rows"]) == 25
    assert [row.transaction.memo for row in second.context["rows"]] == [
        f"Payout {day}" for day in range(5, 0, -1)
    ]
    assert "?kind=payout&amp;page=2" in text_of(first)
    assert "Page 1 of 2" in text_of(first)


def test_the_journal_answers_htmx_with_the_results_alone(books: Books, client_for: Any) -> None:
    response = client_for(books.cast.ben).get(
        url("journal", slug=A), {"q": "fund"}, headers={"HX-Request": "true"}
    )

    page = text_of(response)
    assert "<html" not in page
    assert "1 transaction" in page
    assert "Opening balance of the sick-pay fund" in page
    assert "HX-Request" in response["Vary"]


# --- A transaction ----------------------------------------------------------------------


def test_a_transaction_shows_its_postings_in_debit_and_credit_columns(
    books: Books, client_for: Any
) -> None:
    owe_ben(books, "1000", day=dt.date(2026, 3, 1))
    transaction_post(
        lines=[
            Line(books.bank, Money("500", "PHP")),
            Line(books.ana_payable, -Money("500", "PHP")),
        ],
        memo="Ana's share",
        occurred_at=dt.date(2026, 3, 1),
        idempotency_key="test:owe-ana",
        kind="share",
    )

    posted = transaction_post(
        lines=[
            Line(books.bank, -Money("1500", "PHP")),
            Line(books.ben_payable, Money("1000", "PHP")),
            Line(books.ana_payable, Money("500", "PHP")),
        ],
        memo="Paid out to Ana and Ben",
        occurred_at=DAY,
        idempotency_key="test:payout",
        kind="payout",
        posted_by=books.cast.ana,
    )
    response = client_for(books.cast.ben).get(url("transaction", slug=A, transaction_id=posted.pk))

    assert response.status_code == 200
    page = text_of(response)
    rows = re.findall(
        r'<a href="/collectives/manila-va/books/accounts/(\d+)/" class="account-name">([^<]+)</a>'
        r'</th>\s*<td class="num">([^<]*)</td>\s*<td class="num">([^<]*)</td>',
        page,
    )
    assert rows == [
        (str(books.bank.pk), books.bank.name, "", "₱1,500.00"),
        (str(books.ben_payable.pk), books.ben_payable.name, "₱1,000.00", ""),
        (str(books.ana_payable.pk), books.ana_payable.name, "₱500.00", ""),
    ]
    assert "Paid out to Ana and Ben" in page
    assert "payout" in page
    assert "2 March 2026" in page
    assert "by Ana Reyes" in page
    assert "Total PHP" in page


def test_a_conversion_shows_its_rate_and_where_it_came_from(books: Books, client_for: Any) -> None:
    converted = currency_convert(
        source=books.bank,
        target=books.usd_bank,
        amount=Money("5000", "PHP"),
        occurred_at=DAY,
        idempotency_key="test:convert",
        rate=Decimal("0.01785"),
        rate_source="BPI receipt 4471",
    )

    page = text_of(
        client_for(books.cast.ben).get(url("transaction", slug=A, transaction_id=converted.pk))
    )

    assert "Exchange rate" in page
    assert "0.01785" in page
    assert "BPI receipt 4471" in page
    assert "$89.25" in page  # 5,000 PHP at 0.01785
    assert "Total USD" in page and "Total PHP" in page


def test_a_conversion_at_the_collectives_own_rate_names_who_entered_it_not_their_address(
    books: Books, client_for: Any
) -> None:
    exchange_rate_set(
        collective=books.cast.collective_a,
        actor=books.cast.ana,
        base="PHP",
        quote="USD",
        rate=Decimal("0.0178"),
        on=DAY,
    )
    converted = currency_convert(
        source=books.bank,
        target=books.usd_bank,
        amount=Money("1000", "PHP"),
        occurred_at=DAY,
        idempotency_key="test:convert",
    )

    page = text_of(
        client_for(books.cast.ben).get(url("transaction", slug=A, transaction_id=converted.pk))
    )

    assert "rate entered by Ana Reyes" in page
    assert "ana@example.org" not in page


def test_a_reversal_and_its_original_link_to_each_other(books: Books, client_for: Any) -> None:
    original = pay(books, "250")
    reversal = transaction_reverse(original=original, idempotency_key="test:reverse")
    ben = client_for(books.cast.ben)

    original_page = text_of(ben.get(url("transaction", slug=A, transaction_id=original.pk)))
    reversal_page = text_of(ben.get(url("transaction", slug=A, transaction_id=reversal.pk)))

    assert "Reversed by" in original_page
    assert url("transaction", slug=A, transaction_id=reversal.pk) in original_page
    assert "Reverses" in reversal_page
    assert url("transaction", slug=A, transaction_id=original.pk) in reversal_page


def test_a_transaction_of_other_books_is_not_found(books: Books, client_for: Any) -> None:
    b_opening = Transaction.objects.get(idempotency_key="test:opening:b")

    # Ana is not in B; A's address does not reach B's transaction either.
    assert (
        client_for(books.cast.ana)
        .get(url("transaction", slug=B, transaction_id=b_opening.pk))
        .status_code
        == 404
    )
    assert (
        client_for(books.cast.ana)
        .get(url("transaction", slug=A, transaction_id=b_opening.pk))
        .status_code
        == 404
    )


# --- A statement ----------------------------------------------------------------------


def test_a_statement_shows_each_posting_with_the_running_balance(
    books: Books, client_for: Any
) -> None:
    pay(books, "250", day=dt.date(2026, 2, 1), memo="February payout")
    owe_ben(books, "1000", day=dt.date(2026, 3, 1))

    response = client_for(books.cast.ben).get(url("account", slug=A, account_id=books.bank.pk))

    assert response.status_code == 200
    statement = response.context["statement"]
    assert [(row.amount, row.balance) for row in statement.rows] == [
        (Money("100000", "PHP"), Money("100000", "PHP")),
        (Money("-250", "PHP"), Money("99750", "PHP")),
        (Money("1000", "PHP"), Money("100750", "PHP")),
    ]
    page = text_of(response)
    assert "₱100,750.00" in page
    assert "February payout" in page
    assert url("transaction", slug=A, transaction_id=statement.rows[1].posting.transaction.pk) in (
        page
    )


def test_a_statement_for_a_period_starts_from_the_opening_balance(
    books: Books, client_for: Any
) -> None:
    pay(books, "250", day=dt.date(2026, 2, 1), memo="February payout")
    pay(books, "100", day=dt.date(2026, 3, 1), memo="March payout")

    response = client_for(books.cast.ben).get(
        url("account", slug=A, account_id=books.bank.pk), {"from": "2026-02-01", "to": "2026-02-28"}
    )

    statement = response.context["statement"]
    assert statement.opening == Money("100000", "PHP")
    assert [row.posting.transaction.memo for row in statement.rows] == ["February payout"]
    assert statement.closing == Money("99750", "PHP")
    assert "Opening balance" in text_of(response) and "March payout" not in text_of(response)


def test_a_credit_normal_statement_shows_balances_on_the_credit_side(
    books: Books, client_for: Any
) -> None:
    owe_ben(books, "1000")

    page = text_of(
        client_for(books.cast.ben).get(url("account", slug=A, account_id=books.ben_payable.pk))
    )

    assert "credits add to it" in page
    assert "₱1,000.00" in page and "-₱1,000.00" not in page


def test_a_long_statement_is_paged(books: Books, client_for: Any) -> None:
    for day in range(1, 61):
        pay(books, "1", day=dt.date(2026, 1, 1) + dt.timedelta(days=day), memo=f"Payout {day}")
    ben = client_for(books.cast.ben)

    first = ben.get(url("account", slug=A, account_id=books.bank.pk))
    second = ben.get(url("account", slug=A, account_id=books.bank.pk), {"page": "2"})
    beyond = ben.get(url("account", slug=A, account_id=books.bank.pk), {"page": "9"})
    absurd = ben.get(
        url("account", slug=A, account_id=books.bank.pk), {"page": "99999999999999999999"}
    )

    assert len(first.context["statement"].rows) == 50
    assert [row.posting.transaction.memo for row in second.context["statement"].rows] == [
        f"Payout {day}" for day in range(50, 61)
    ]
    assert second.context["statement"].rows[-1].balance == Money("99940", "PHP")
    assert beyond.context["page_obj"].number == 2
    assert absurd.status_code == 200 and absurd.context["page_obj"].number == 2
    assert "Page 1 of 2" in text_of(first)


def test_a_statement_with_a_bad_date_says_so_on_the_field(books: Books, client_for: Any) -> None:
    response = client_for(books.cast.ben).get(
        url("account", slug=A, account_id=books.bank.pk), {"from": "yesterday"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {"from": ["Enter a valid date."]}
    assert response.context["statement"] is None
    assert "Fix the period to see the statement" in text_of(response)


def test_the_owner_who_left_still_reads_their_own_statement_but_not_the_books(
    books: Books, client_for: Any
) -> None:
    owe_ben(books, "1000")
    leave(books, books.cast.ben)
    ben = client_for(books.cast.ben)

    response = ben.get(url("account", slug=A, account_id=books.ben_payable.pk))

    assert response.status_code == 200
    assert "this account is yours" in text_of(response)
    assert "₱1,000.00" in text_of(response)
    # The transaction pages are the members'; the statement does not link to them.
    assert "/books/transactions/" not in text_of(response)
    assert ben.get(url("account", slug=A, account_id=books.bank.pk)).status_code == 404
    assert ben.get(url("account", slug=A, account_id=books.ana_payable.pk)).status_code == 404


def test_an_account_of_other_books_is_not_found(books: Books, client_for: Any) -> None:
    carla = client_for(books.cast.carla)

    assert carla.get(url("account", slug=A, account_id=books.ben_payable.pk)).status_code == 404
    # B's account under A's address is not found either, even for B's coordinator.
    assert carla.get(url("account", slug=A, account_id=books.b_bank.pk)).status_code == 404
    assert carla.get(url("account", slug=B, account_id=books.b_bank.pk)).status_code == 200


# --- A member's own accounts ----------------------------------------------------------------


def test_a_member_sees_their_own_accounts_with_balances(books: Books, client_for: Any) -> None:
    owe_ben(books, "1000")

    response = client_for(books.cast.ben).get(url("my_accounts"))

    assert response.status_code == 200
    page = text_of(response)
    assert books.ben_payable.name in page
    assert books.ana_payable.name not in page
    assert "₱1,000.00" in page
    assert "Manila Virtual Assistants" in page
    assert url("account", slug=A, account_id=books.ben_payable.pk) in page


def test_someone_without_accounts_is_told_so(books: Books, client_for: Any) -> None:
    response = client_for(books.cast.olga).get(url("my_accounts"))

    assert response.status_code == 200
    assert "You have no accounts yet" in text_of(response)


def test_the_dashboard_lists_a_members_accounts_only_when_they_have_some(
    books: Books, client_for: Any
) -> None:
    owe_ben(books, "1000")
    dashboard = reverse("members:dashboard")

    bens = text_of(client_for(books.cast.ben).get(dashboard))
    olgas = text_of(client_for(books.cast.olga).get(dashboard))

    assert "Your accounts" in bens and books.ben_payable.name in bens and "₱1,000.00" in bens
    assert "Your accounts" not in olgas


# --- Exchange rates --------------------------------------------------------------------


def rate_data(**overrides: str) -> dict[str, str]:
    data = {"base": "USD", "quote": "PHP", "rate": "56.125", "on": "2026-03-01"}
    data.update(overrides)
    return data


def test_a_coordinator_enters_an_exchange_rate(books: Books, client_for: Any) -> None:
    ana = client_for(books.cast.ana)

    response = ana.post(url("rates", slug=A), rate_data())

    assert response.status_code == 302
    assert response["Location"] == url("rates", slug=A)
    rate = ExchangeRate.objects.get()
    assert (rate.collective, rate.base, rate.quote, rate.rate, rate.on, rate.source) == (
        books.cast.collective_a,
        "USD",
        "PHP",
        Decimal("56.125"),
        dt.date(2026, 3, 1),
        "manual",
    )
    assert rate.entered_by == books.cast.ana
    assert messages_of(response) == ["Saved: on 01 March 2026, 1 USD = 56.125 PHP."]
    page = text_of(ana.get(url("rates", slug=A)))
    assert "1 USD in PHP" in page and "56.125" in page and "Ana Reyes" in page


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"rate": "fifty"}, "rate", "'fifty' is not a rate."),
        ({"rate": "-1"}, "rate", "'-1' is not a usable rate: it must be above zero."),
        ({"quote": "USD"}, "quote", "A rate is between two different currencies."),
        (
            {"base": "XYZ"},
            "base",
            "Unknown currency 'XYZ'; use an ISO 4217 code such as EUR, USD or PHP.",
        ),
        ({"on": "tomorrow"}, "on", "Enter a valid date."),
    ],
)
def test_it_refuses_a_bad_rate_on_the_field_and_saves_nothing(
    books: Books, client_for: Any, overrides: dict[str, str], field: str, message: str
) -> None:
    before = state()

    response = client_for(books.cast.ana).post(url("rates", slug=A), rate_data(**overrides))

    assert response.status_code == 200
    assert response.context["form"].errors == {field: [message]}
    assert state() == before


def test_members_read_the_rates_but_cannot_enter_one(books: Books, client_for: Any) -> None:
    exchange_rate_set(
        collective=books.cast.collective_a,
        actor=books.cast.ana,
        base="USD",
        quote="PHP",
        rate=Decimal("56.125"),
        on=DAY,
    )
    ben = client_for(books.cast.ben)
    before = state()

    page = ben.get(url("rates", slug=A))
    refused = ben.post(url("rates", slug=A), rate_data(rate="1"))

    assert page.status_code == 200
    assert "56.125" in text_of(page)
    assert page.context["form"] is None
    assert "Enter a rate" not in text_of(page)
    assert refused.status_code == 403
    assert state() == before


def test_the_rates_page_lists_the_latest_ecb_rates(books: Books, client_for: Any) -> None:
    exchange_rates_import_ecb(
        text="Date, USD, PHP,\n2026-02-27, 1.0412, 60.518,\n2026-02-26, 1.0398, 60.1,\n"
    )

    response = client_for(books.cast.ben).get(url("rates", slug=A))

    page = text_of(response)
    assert "Euro reference rates of 27 February 2026" in page
    assert [(r.quote, r.rate) for r in response.context["reference"]] == [
        ("PHP", Decimal("60.518")),
        ("USD", Decimal("1.0412")),
    ]
    assert "60.1<" not in page


# --- Conversions -------------------------------------------------------------------------


def form_key(client: Client, slug: str = A) -> str:
    page = text_of(client.get(url("convert", slug=slug)))
    found = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', page)
    assert found is not None
    return found.group(1)


def conversion_data(books: Books, key: str, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "source": books.bank.pk,
        "target": books.usd_bank.pk,
        "amount": "5,000.00",
        "occurred_at": "2026-03-02",
        "rate": "0.01785",
        "rate_source": "BPI receipt 4471",
        "memo": "",
        "idempotency_key": key,
    }
    data.update(overrides)
    return data


def test_a_coordinator_converts_between_two_accounts(books: Books, client_for: Any) -> None:
    ana = client_for(books.cast.ana)

    response = ana.post(url("convert", slug=A), conversion_data(books, form_key(ana)))

    assert response.status_code == 302
    converted = Transaction.objects.get(kind="conversion")
    assert response["Location"] == url("transaction", slug=A, transaction_id=converted.pk)
    assert (converted.fx_rate, converted.fx_rate_source) == (
        Decimal("0.01785"),
        "BPI receipt 4471",
    )
    assert converted.posted_by == books.cast.ana
    assert converted.occurred_at == DAY
    books.bank.refresh_from_db()
    books.usd_bank.refresh_from_db()
    assert books.bank.balance_minor == 95_000_00
    assert books.usd_bank.balance_minor == 89_25
    assert messages_of(response) == ["Posted: Convert 5000.00 PHP to 89.25 USD at 0.01785."]


def test_pressing_convert_twice_posts_once(books: Books, client_for: Any) -> None:
    ana = client_for(books.cast.ana)
    data = conversion_data(books, form_key(ana))

    first = ana.post(url("convert", slug=A), data)
    second = ana.post(url("convert", slug=A), data)

    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Transaction.objects.filter(kind="conversion").count() == 1
    books.bank.refresh_from_db()
    assert books.bank.balance_minor == 95_000_00


def test_each_rendering_of_the_form_carries_a_new_key(books: Books, client_for: Any) -> None:
    ana = client_for(books.cast.ana)

    assert form_key(ana) != form_key(ana)


def test_a_reused_form_with_other_values_posts_nothing_and_offers_a_fresh_key(
    books: Books, client_for: Any
) -> None:
    ana = client_for(books.cast.ana)
    key = form_key(ana)
    ana.post(url("convert", slug=A), conversion_data(books, key))
    before = state()

    response = ana.post(url("convert", slug=A), conversion_data(books, key, amount="10.00"))

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "This form was already used for a different conversion. Check the journal; if you "
        "do mean to convert again, press Convert once more."
    ]
    assert state() == before
    fresh = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', text_of(response))
    assert fresh is not None and fresh.group(1) != key
    again = ana.post(url("convert", slug=A), conversion_data(books, fresh.group(1), amount="10.00"))
    assert again.status_code == 302
    assert Transaction.objects.filter(kind="conversion").count() == 2


def test_without_a_rate_it_uses_the_collectives_own(books: Books, client_for: Any) -> None:
    exchange_rate_set(
        collective=books.cast.collective_a,
        actor=books.cast.ana,
        base="PHP",
        quote="USD",
        rate=Decimal("0.0178"),
        on=dt.date(2026, 3, 1),
    )
    ana = client_for(books.cast.ana)

    response = ana.post(
        url("convert", slug=A),
        conversion_data(books, form_key(ana), rate="", rate_source="", amount="1000"),
    )

    assert response.status_code == 302
    converted = Transaction.objects.get(kind="conversion")
    assert converted.fx_rate == Decimal("0.0178")
    assert converted.fx_rate_source.startswith("2026-03-01 rate entered by")


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"amount": "five"}, "amount", "'five' is not an amount."),
        ({"amount": "1.005"}, "amount", "PHP amounts have at most 2 decimal places; got 1.005."),
        ({"amount": "0"}, "amount", "Convert an amount above zero."),
        ({"rate": "about 0.018"}, "rate", "'about 0.018' is not a rate."),
        ({"rate": "0"}, "rate", "'0' is not a usable rate: it must be above zero."),
        (
            {"rate": ""},
            "rate",
            "No PHP/USD rate from the 7 days up to 2026-03-02; import the ECB rates or enter one.",
        ),
        (
            {"target": "bank"},
            "target",
            "Both accounts hold the same currency; post a transfer instead.",
        ),
        ({"occurred_at": "next Monday"}, "occurred_at", "Enter a valid date."),
        (
            {"target": "ben_payable"},
            "target",
            "Select a valid choice. That choice is not one of the available choices.",
        ),
        (
            {"target": "b_bank"},
            "target",
            "Select a valid choice. That choice is not one of the available choices.",
        ),
        ({"idempotency_key": "x"}, "idempotency_key", "The form was damaged; load the page again."),
    ],
)
def test_it_refuses_a_bad_conversion_on_the_field_and_posts_nothing(
    books: Books, client_for: Any, overrides: dict[str, str], field: str, message: str
) -> None:
    ana = client_for(books.cast.ana)
    data = conversion_data(books, form_key(ana))
    for name, value in overrides.items():
        data[name] = getattr(books, value).pk if hasattr(books, value) else value
    before = state()

    response = ana.post(url("convert", slug=A), data)

    assert response.status_code == 200
    assert response.context["form"].errors == {field: [message]}
    assert state() == before


def test_it_refuses_to_empty_an_account_that_must_not_go_negative(
    books: Books, client_for: Any
) -> None:
    ana = client_for(books.cast.ana)
    before = state()

    response = ana.post(
        url("convert", slug=A),
        conversion_data(books, form_key(ana), source=books.fund.pk, amount="1000.01"),
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Assets:Collectives:ManilaVa:Funds:SickPay:Cash cannot go below zero: it holds "
        "1000.00 PHP, and this would take it to -0.01 PHP."
    ]
    assert state() == before


def test_members_cannot_convert(books: Books, client_for: Any) -> None:
    ben = client_for(books.cast.ben)
    before = state()

    assert ben.get(url("convert", slug=A)).status_code == 403
    refused = ben.post(url("convert", slug=A), conversion_data(books, "a" * 32))

    assert refused.status_code == 403
    assert state() == before


# --- The admin -----------------------------------------------------------------------------


@pytest.fixture
def admin_client(books: Books, client_for: Any) -> Client:
    olga = books.cast.olga
    olga.is_staff = olga.is_superuser = True
    olga.save(update_fields=["is_staff", "is_superuser"])
    client: Client = client_for(User.objects.get(pk=olga.pk))
    return client


def test_the_admin_lists_accounts_transactions_and_rates(
    books: Books, admin_client: Client
) -> None:
    exchange_rates_import_ecb(text="Date, USD,\n2026-02-27, 1.0412,\n")
    for model in ("account", "transaction", "exchangerate"):
        response = admin_client.get(reverse(f"admin:ledger_{model}_changelist"))
        assert response.status_code == 200, model
    page = text_of(admin_client.get(reverse("admin:ledger_account_changelist")))
    assert "100000.00 PHP" in page


def test_the_admin_shows_a_transaction_with_its_postings_and_cannot_change_it(
    books: Books, admin_client: Client
) -> None:
    opening = Transaction.objects.get(idempotency_key="test:opening:a")
    change = reverse("admin:ledger_transaction_change", args=[opening.pk])
    before = state()

    page = admin_client.get(change)
    edited = admin_client.post(change, {"memo": "Rewritten history"})
    deleted = admin_client.post(
        reverse("admin:ledger_transaction_delete", args=[opening.pk]), {"post": "yes"}
    )
    added = admin_client.get(reverse("admin:ledger_transaction_add"))

    assert page.status_code == 200
    assert "Opening balance" in text_of(page)
    assert "100000.00" in text_of(page) and "-100000.00" in text_of(page)
    assert (edited.status_code, deleted.status_code, added.status_code) == (403, 403, 403)
    assert state() == before


@pytest.mark.parametrize("model", ["account", "exchangerate"])
def test_the_admin_cannot_add_accounts_or_rates(admin_client: Client, model: str) -> None:
    assert admin_client.get(reverse(f"admin:ledger_{model}_add")).status_code == 403
