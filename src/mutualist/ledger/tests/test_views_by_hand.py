"""A coordinator's entries by hand on the web: opening an account (with what
it already holds), recording an opening balance, reversing a mistaken
opening or conversion.

The cast and the ``books`` fixture are test_views.py's: Ana coordinates A
(manila-va), Ben is a member, Carla coordinates B, Olga is in no collective.
A's Bank:PHP holds 100,000.00, the sick-pay fund's cash 1,000.00 (never below
zero), Bank:USD is empty. Anonymous visitors and outsiders are refused in
test_views.py and tests/outsiders.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from mutualist.core.money import Money
from mutualist.ledger.models import Account, Transaction
from mutualist.ledger.services import (
    Line,
    currency_convert,
    transaction_post,
    transaction_reverse_by_hand,
)
from mutualist.ledger.services import books as books_service
from mutualist.ledger.tests.test_views import DAY, A, messages_of, state, text_of, url
from mutualist.testing import Books, Cast

WISE = "Assets:Collectives:ManilaVa:Wise:USD"
KEY = re.compile(r'name="idempotency_key" value="([0-9a-f]{32})"')


def key_in(response: Any) -> str:
    found = KEY.search(text_of(response))
    assert found is not None
    return found.group(1)


def balance_of(account: Account) -> int:
    account.refresh_from_db()
    return account.balance_minor


def convert(books: Books) -> Transaction:
    return currency_convert(
        source=books.bank, target=books.usd_bank, amount=Money("580", "PHP"), occurred_at=DAY,
        idempotency_key="test:fx", rate=Decimal("0.0172"), posted_by=books.cast.ana,
    )  # fmt: skip


def payout_from_the_fund(books: Books, amount: str) -> Transaction:
    return transaction_post(
        lines=[Line(books.fund, -Money(amount, "PHP")), Line(books.bank, Money(amount, "PHP"))],
        memo="Sick pay for Ben",
        occurred_at=DAY,
        idempotency_key=f"test:payout:{amount}",
        kind="payout",
    )


def opening_of_the_fund() -> Transaction:
    return Transaction.objects.get(idempotency_key="test:opening:fund")


# --- The books page ---------------------------------------------------------------------------


def test_a_coordinator_is_offered_to_open_an_account(books: Books, client_for: Any) -> None:
    link = url("account_open", slug=A)

    assert link in text_of(client_for(books.cast.ana).get(url("books", slug=A)))
    assert link not in text_of(client_for(books.cast.ben).get(url("books", slug=A)))


def test_empty_books_tell_a_coordinator_to_open_an_account_and_a_member_to_wait(
    cast: Cast, client_for: Any
) -> None:
    anas = text_of(client_for(cast.ana).get(url("books", slug=A)))
    bens = text_of(client_for(cast.ben).get(url("books", slug=A)))

    assert "No accounts are open in these books yet. Start with one" in anas
    assert f'<a href="{url("account_open", slug=A)}" role="button">Open an account</a>' in anas
    assert "No accounts are open in these books yet. A coordinator opens them." in bens
    assert url("account_open", slug=A) not in bens


# --- Opening an account ------------------------------------------------------------------------


def account_data(key: str, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "label": "Wise",
        "currency": "USD",
        "description": "Client receipts",
        "amount": "",
        "occurred_at": "2026-03-02",
        "idempotency_key": key,
    }
    data.update(overrides)
    return data


def test_the_form_offers_the_collectives_currency_first(books: Books, client_for: Any) -> None:
    response = client_for(books.cast.ana).get(url("account_open", slug=A))

    assert response.status_code == 200
    assert response.context["form"]["currency"].value() == "PHP"
    assert '<option value="PHP" selected>' in text_of(response)
    assert "“Wise” in USD is Assets:Collectives:ManilaVa:Wise:USD." in text_of(response)


def test_a_coordinator_opens_an_account_without_a_balance(books: Books, client_for: Any) -> None:
    ana = client_for(books.cast.ana)
    before = Transaction.objects.count()

    response = ana.post(
        url("account_open", slug=A),
        account_data(key_in(ana.get(url("account_open", slug=A))), must_not_go_negative="on"),
    )

    wise = Account.objects.get(name=WISE)
    assert response.status_code == 302
    assert response["Location"] == url("account", slug=A, account_id=wise.pk)
    assert (wise.type, wise.currency, wise.owner_kind, wise.description) == (
        "assets",
        "USD",
        "collective",
        "Client receipts",
    )
    assert wise.must_not_go_negative is True
    assert Transaction.objects.count() == before
    assert messages_of(response) == [f"Opened {WISE}."]


def test_a_coordinator_opens_an_account_with_what_it_holds(books: Books, client_for: Any) -> None:
    ana = client_for(books.cast.ana)

    response = ana.post(
        url("account_open", slug=A),
        account_data(key_in(ana.get(url("account_open", slug=A))), amount="1,250.00"),
    )

    wise = Account.objects.get(name=WISE)
    assert response["Location"] == url("account", slug=A, account_id=wise.pk)
    assert balance_of(wise) == 125_000
    opening = Transaction.objects.get(kind="opening", postings__account=wise)
    assert (opening.occurred_at, opening.posted_by) == (DAY, books.cast.ana)
    assert messages_of(response) == [f"Opened {WISE} with $1,250.00 on 2 March 2026."]
    statement = text_of(ana.get(response["Location"]))
    assert f"Opening balance of {WISE}" in statement and "$1,250.00" in statement


def test_pressing_open_twice_opens_and_posts_once(books: Books, client_for: Any) -> None:
    ana = client_for(books.cast.ana)
    data = account_data(key_in(ana.get(url("account_open", slug=A))), amount="1250")

    first = ana.post(url("account_open", slug=A), data)
    after_first = state()
    second = ana.post(url("account_open", slug=A), data)

    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert state() == after_first


def test_a_second_press_that_raced_the_first_still_lands_on_the_account(
    books: Books, client_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second press looked for the form's account before the first
    committed, and tried to open the name after: it lands where the first did."""
    ana = client_for(books.cast.ana)
    data = account_data(key_in(ana.get(url("account_open", slug=A))), amount="1250")
    first = ana.post(url("account_open", slug=A), data)
    after_first = state()
    looks: list[object] = []
    opened_under_key = books_service._opened_under_key

    def looks_too_early_once(**kwargs: Any) -> Account | None:
        looks.append(kwargs)  # the second press's first look comes before the first commits
        return None if len(looks) == 1 else opened_under_key(**kwargs)

    monkeypatch.setattr(books_service, "_opened_under_key", looks_too_early_once)

    second = ana.post(url("account_open", slug=A), data)

    assert second.status_code == 302
    assert second["Location"] == first["Location"]
    assert state() == after_first


def test_pressing_open_twice_without_a_balance_opens_one_and_says_so(
    books: Books, client_for: Any
) -> None:
    """Without a balance nothing records the form's key; the name is the
    guard, and the second press is told the account is open already."""
    ana = client_for(books.cast.ana)
    data = account_data(key_in(ana.get(url("account_open", slug=A))))

    first = ana.post(url("account_open", slug=A), data)
    after_first = state()
    second = ana.post(url("account_open", slug=A), data)

    assert first.status_code == 302
    assert second.status_code == 200
    assert second.context["form"].errors == {
        "label": [f"The collective already has an account named {WISE}."]
    }
    assert state() == after_first


@pytest.mark.parametrize(
    "changes", [{"label": "Revolut"}, {"amount": "1250.01"}, {"description": "Other"}]
)
def test_a_reused_form_for_another_account_opens_nothing_and_offers_a_fresh_key(
    books: Books, client_for: Any, changes: dict[str, str]
) -> None:
    ana = client_for(books.cast.ana)
    key = key_in(ana.get(url("account_open", slug=A)))
    ana.post(url("account_open", slug=A), account_data(key, amount="1250"))
    before = state()

    response = ana.post(
        url("account_open", slug=A), account_data(key, **{"amount": "1250", **changes})
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "This form was already used for a different account. Check the books; if you do "
        "mean to open this one too, press Open once more."
    ]
    assert state() == before
    fresh = key_in(response)
    assert fresh != key
    if "label" in changes:
        again = ana.post(url("account_open", slug=A), account_data(fresh, amount="1250", **changes))
        assert again.status_code == 302
        assert Account.objects.filter(name="Assets:Collectives:ManilaVa:Revolut:USD").exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"label": ""}, "label", "This field is required."),
        ({"label": "--"}, "label", "Use letters or digits in the name, such as Bank or Wise."),
        ({"label": "x" * 41}, "label", "Ensure this value has at most 40 characters (it has 41)."),
        (
            {"currency": "XYZ"},
            "currency",
            "Select a valid choice. XYZ is not one of the available choices.",
        ),
        ({"amount": "ten"}, "amount", "'ten' is not an amount."),
        ({"amount": "1.005"}, "amount", "USD amounts have at most 2 decimal places; got 1.005."),
        ({"amount": "0"}, "amount", "An opening balance of zero records nothing."),
        ({"amount": "10", "occurred_at": ""}, "occurred_at", "Give the day the account held this amount."),
        ({"amount": "10", "occurred_at": "soon"}, "occurred_at", "Enter a valid date."),
        (
            {"label": "Bank", "currency": "PHP"},
            "label",
            "The collective already has an account named Assets:Collectives:ManilaVa:Bank:PHP.",
        ),
        ({"idempotency_key": "x"}, "idempotency_key", "The form was damaged; load the page again."),
    ],
)  # fmt: skip
def test_it_refuses_a_bad_account_on_the_field_and_opens_nothing(
    books: Books, client_for: Any, overrides: dict[str, str], field: str, message: str
) -> None:
    ana = client_for(books.cast.ana)
    data = account_data(key_in(ana.get(url("account_open", slug=A))), **overrides)
    before = state()

    response = ana.post(url("account_open", slug=A), data)

    assert response.status_code == 200
    assert response.context["form"].errors == {field: [message]}
    assert state() == before


def test_an_overdraft_on_an_account_that_must_not_go_negative_opens_nothing(
    books: Books, client_for: Any
) -> None:
    ana = client_for(books.cast.ana)
    data = account_data(
        key_in(ana.get(url("account_open", slug=A))), amount="-10", must_not_go_negative="on"
    )
    before = state()

    response = ana.post(url("account_open", slug=A), data)

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        f"{WISE} cannot go below zero: it holds 0.00 USD, and this would take it to -10.00 USD."
    ]
    assert state() == before  # all or nothing: the account was not opened either


def test_members_cannot_open_an_account(books: Books, client_for: Any) -> None:
    ben = client_for(books.cast.ben)
    before = state()

    page = ben.get(url("account_open", slug=A))
    refused = ben.post(url("account_open", slug=A), account_data("a" * 32, amount="10"))

    assert (page.status_code, refused.status_code) == (403, 403)
    assert state() == before


# --- Recording an opening balance ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "account", "offered"),
    [
        ("ana", "usd_bank", True),
        ("ana", "fund", True),
        ("ana", "ben_payable", False),  # a member's payable is not the collective's money
        ("ana", "opening", False),
        ("ben", "usd_bank", False),
    ],
)
def test_a_statement_offers_a_coordinator_to_record_an_opening_balance(
    books: Books, client_for: Any, who: str, account: str, offered: bool
) -> None:
    pk = getattr(books, account).pk

    page = text_of(client_for(getattr(books.cast, who)).get(url("account", slug=A, account_id=pk)))

    assert (url("opening_balance", slug=A, account_id=pk) in page) is offered
    assert ("Record an opening balance" in page) is offered


def opening_data(key: str, **overrides: str) -> dict[str, str]:
    data = {"amount": "89.25", "occurred_at": "2026-03-02", "memo": "", "idempotency_key": key}
    data.update(overrides)
    return data


def record_page(books: Books, account: str = "usd_bank") -> str:
    return url("opening_balance", slug=A, account_id=getattr(books, account).pk)


def test_a_coordinator_records_an_opening_balance(books: Books, client_for: Any) -> None:
    ana = client_for(books.cast.ana)
    page = ana.get(record_page(books))

    response = ana.post(record_page(books), opening_data(key_in(page), memo="Moved from Wise"))

    assert page.status_code == 200
    assert "Amount in USD" in text_of(page)
    assert "It holds $0.00 now." in text_of(page)
    assert response.status_code == 302
    assert response["Location"] == url("account", slug=A, account_id=books.usd_bank.pk)
    assert balance_of(books.usd_bank) == 89_25
    opening = Transaction.objects.get(kind="opening", postings__account=books.usd_bank)
    assert (opening.memo, opening.occurred_at, opening.posted_by) == (
        "Moved from Wise",
        DAY,
        books.cast.ana,
    )
    assert messages_of(response) == ["Posted: Moved from Wise, $89.25."]


def test_pressing_record_twice_posts_once(books: Books, client_for: Any) -> None:
    ana = client_for(books.cast.ana)
    data = opening_data(key_in(ana.get(record_page(books))))

    first = ana.post(record_page(books), data)
    after_first = state()
    second = ana.post(record_page(books), data)

    assert first.status_code == second.status_code == 302
    assert state() == after_first
    assert balance_of(books.usd_bank) == 89_25


def test_a_reused_opening_form_with_another_amount_posts_nothing(
    books: Books, client_for: Any
) -> None:
    ana = client_for(books.cast.ana)
    key = key_in(ana.get(record_page(books)))
    ana.post(record_page(books), opening_data(key))
    before = state()

    response = ana.post(record_page(books), opening_data(key, amount="90"))

    assert response.context["form"].non_field_errors() == [
        "This form was already used for a different opening balance. Check the statement; "
        "if you do mean to record another, press Record once more."
    ]
    assert key_in(response) != key
    assert state() == before


@pytest.mark.parametrize(
    ("account", "overrides", "field", "message"),
    [
        ("usd_bank", {"amount": "five"}, "amount", "'five' is not an amount."),
        ("usd_bank", {"amount": ""}, "amount", "This field is required."),
        ("usd_bank", {"amount": "0.00"}, "amount", "An opening balance of zero records nothing."),
        ("usd_bank", {"occurred_at": ""}, "occurred_at", "This field is required."),
        ("usd_bank", {"memo": "x" * 501}, "memo",
         "Ensure this value has at most 500 characters (it has 501)."),
        ("fund", {"amount": "-1,000.01"}, None,
         "Assets:Collectives:ManilaVa:Funds:SickPay:Cash cannot go below zero: it holds "
         "1000.00 PHP, and this would take it to -0.01 PHP."),
    ],
)  # fmt: skip
def test_it_refuses_a_bad_opening_balance_and_posts_nothing(
    books: Books,
    client_for: Any,
    account: str,
    overrides: dict[str, str],
    field: str | None,
    message: str,
) -> None:
    ana = client_for(books.cast.ana)
    data = opening_data(key_in(ana.get(record_page(books, account))), **overrides)
    before = state()

    response = ana.post(record_page(books, account), data)

    assert response.status_code == 200
    assert response.context["form"].errors == {field or "__all__": [message]}
    assert state() == before


@pytest.mark.parametrize("account", ["ben_payable", "opening", "b_bank"])
def test_only_the_collectives_own_asset_accounts_have_the_page(
    books: Books, client_for: Any, account: str
) -> None:
    ana = client_for(books.cast.ana)
    before = state()

    assert ana.get(record_page(books, account)).status_code == 404
    assert ana.post(record_page(books, account), opening_data("a" * 32)).status_code == 404
    assert state() == before


def test_members_cannot_record_an_opening_balance(books: Books, client_for: Any) -> None:
    ben = client_for(books.cast.ben)
    before = state()

    page = ben.get(record_page(books))
    refused = ben.post(record_page(books), opening_data("a" * 32))

    assert (page.status_code, refused.status_code) == (403, 403)
    assert state() == before


# --- Reversing a mistaken entry -----------------------------------------------------------------


def reverse_page(transaction: Transaction) -> str:
    return url("transaction_reverse", slug=A, transaction_id=transaction.pk)


@pytest.mark.parametrize(
    ("entry", "offered"),
    [
        ("opening", True),
        ("conversion", True),
        ("payout", False),  # corrected where it came from
        ("reversal", False),
        ("reversed", False),
    ],
)
def test_a_coordinator_is_offered_to_reverse_only_a_hand_made_entry_not_yet_reversed(
    books: Books, client_for: Any, entry: str, offered: bool
) -> None:
    if entry == "opening":
        shown = opening_of_the_fund()
    elif entry == "payout":
        shown = payout_from_the_fund(books, "10")
    else:
        shown = convert(books)
        if entry in {"reversal", "reversed"}:
            reversal = transaction_reverse_by_hand(
                original=shown, actor=books.cast.ana, idempotency_key="test:undo"
            )
            shown = reversal if entry == "reversal" else shown
    page = url("transaction", slug=A, transaction_id=shown.pk)

    anas = text_of(client_for(books.cast.ana).get(page))
    bens = text_of(client_for(books.cast.ben).get(page))

    assert (reverse_page(shown) in anas) is offered
    assert ("Reverse this entry" in anas) is offered
    assert reverse_page(shown) not in bens


def test_the_confirmation_shows_what_will_be_mirrored(books: Books, client_for: Any) -> None:
    conversion = convert(books)

    response = client_for(books.cast.ana).get(reverse_page(conversion))

    assert response.status_code == 200
    page = text_of(response)
    assert f"Reverse transaction #{conversion.pk}?" in page
    assert "₱580.00" in page and "$9.98" in page
    assert f"Reversal of #{conversion.pk}: Convert 580.00 PHP to 9.98 USD at 0.0172" in page
    assert state()["transactions"] == 4  # showing the form posts nothing


def test_a_coordinator_reverses_a_mistaken_conversion(books: Books, client_for: Any) -> None:
    conversion = convert(books)
    ana = client_for(books.cast.ana)

    response = ana.post(
        reverse_page(conversion),
        {"memo": "Wrong rate", "idempotency_key": key_in(ana.get(reverse_page(conversion)))},
    )

    reversal = Transaction.objects.get(reverses=conversion)
    assert response.status_code == 302
    assert response["Location"] == url("transaction", slug=A, transaction_id=reversal.pk)
    assert (reversal.kind, reversal.memo, reversal.posted_by) == (
        "reversal",
        "Wrong rate",
        books.cast.ana,
    )
    assert reversal.occurred_at == timezone.localdate()
    assert (balance_of(books.bank), balance_of(books.usd_bank)) == (100_000_00, 0)
    assert messages_of(response) == [f"Posted #{reversal.pk}, reversing #{conversion.pk}."]
    # The original now says what reversed it, and offers no second reversal.
    original = text_of(ana.get(url("transaction", slug=A, transaction_id=conversion.pk)))
    assert f"#{reversal.pk}</a> Wrong rate" in original
    assert "Reverse this entry" not in original


def test_pressing_reverse_twice_posts_once(books: Books, client_for: Any) -> None:
    opening = opening_of_the_fund()
    ana = client_for(books.cast.ana)
    data = {"memo": "", "idempotency_key": key_in(ana.get(reverse_page(opening)))}

    first = ana.post(reverse_page(opening), data)
    after_first = state()
    second = ana.post(reverse_page(opening), data)

    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert state() == after_first
    assert Transaction.objects.get(reverses=opening).memo == (
        f"Reversal of #{opening.pk}: Opening balance of the sick-pay fund"
    )


def test_a_second_reversal_from_another_form_posts_nothing(books: Books, client_for: Any) -> None:
    conversion = convert(books)
    ana = client_for(books.cast.ana)
    stale = key_in(ana.get(reverse_page(conversion)))  # a second tab
    reversal = transaction_reverse_by_hand(
        original=conversion, actor=books.cast.ana, idempotency_key="test:undo"
    )
    before = state()

    response = ana.post(reverse_page(conversion), {"memo": "", "idempotency_key": stale})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        f"Transaction #{conversion.pk} was already reversed by #{reversal.pk}."
    ]
    assert "This entry was already reversed by" in text_of(response)
    assert state() == before


def test_an_entry_from_another_service_is_explained_not_reversed(
    books: Books, client_for: Any
) -> None:
    payout = payout_from_the_fund(books, "10")
    ana = client_for(books.cast.ana)
    before = state()

    page = ana.get(reverse_page(payout))
    refused = ana.post(reverse_page(payout), {"memo": "", "idempotency_key": "a" * 32})

    assert page.status_code == 200
    assert "A payout entry is corrected where it came from" in text_of(page)
    assert 'name="idempotency_key"' not in text_of(page)
    assert refused.context["form"].non_field_errors() == [
        "A payout entry is corrected where it came from, not reversed by hand; "
        "coordinators reverse only conversion and opening entries."
    ]
    assert state() == before


def test_an_opening_whose_money_was_paid_out_cannot_be_reversed(
    books: Books, client_for: Any
) -> None:
    payout_from_the_fund(books, "400")
    opening = opening_of_the_fund()
    ana = client_for(books.cast.ana)
    data = {"memo": "", "idempotency_key": key_in(ana.get(reverse_page(opening)))}
    before = state()

    response = ana.post(reverse_page(opening), data)

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Assets:Collectives:ManilaVa:Funds:SickPay:Cash cannot go below zero: it holds "
        "600.00 PHP, and this would take it to -400.00 PHP."
    ]
    assert state() == before


def test_members_cannot_reverse(books: Books, client_for: Any) -> None:
    opening = opening_of_the_fund()
    ben = client_for(books.cast.ben)
    before = state()

    page = ben.get(reverse_page(opening))
    refused = ben.post(reverse_page(opening), {"memo": "", "idempotency_key": "a" * 32})

    assert (page.status_code, refused.status_code) == (403, 403)
    assert state() == before


def test_a_transaction_of_other_books_has_no_reversal_page(books: Books, client_for: Any) -> None:
    b_opening = Transaction.objects.get(idempotency_key="test:opening:b")
    before = state()

    ana = client_for(books.cast.ana)

    assert ana.get(reverse_page(b_opening)).status_code == 404
    assert ana.post(reverse_page(b_opening), {"idempotency_key": "a" * 32}).status_code == 404
    assert state() == before
