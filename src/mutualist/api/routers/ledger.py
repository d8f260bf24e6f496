"""The books: accounts, balances, statements, the journal, the trial balance,
exchange rates, conversions, and a coordinator's entries by hand.

Reads are for the collective's active members (an outsider gets 404); an
account and its statement also for the account's owner; ``GET /me/accounts``
lists the caller's own. Entering a rate, converting, opening an asset
account, recording an opening balance and reversing a mistaken opening or
conversion are for coordinators (a member gets 403). Whatever moves money
needs an ``Idempotency-Key`` header, scoped to the caller and the
collective: a retry with the same key answers with the transaction the first
request posted and posts nothing new.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import P, Query, Router, Status
from ninja.params import HeaderEx

from mutualist.api.auth import request_user
from mutualist.api.pagination import Page, PageParams, paginate
from mutualist.api.routers import responses
from mutualist.api.schemas.common import MoneyIn
from mutualist.api.schemas.ledger import (
    AccountOpenIn,
    AccountOut,
    AsOfIn,
    ConversionIn,
    DateRangeIn,
    ExchangeRateFiltersIn,
    ExchangeRateIn,
    ExchangeRateOut,
    JournalFiltersIn,
    OpeningBalanceIn,
    ReversalIn,
    StatementOut,
    TransactionOut,
    TrialBalanceOut,
)
from mutualist.collectives.models import Collective
from mutualist.collectives.selectors import collective_get_for_coordinator
from mutualist.core.errors import ValidationFailed
from mutualist.core.money import CurrencyMismatch, Money
from mutualist.core.reference import validate_currency
from mutualist.ledger.models import Account, Transaction
from mutualist.ledger.selectors import (
    account_get_for_user,
    account_in_books,
    account_list,
    account_list_convertible,
    account_list_owned,
    account_owners_prefetch,
    account_statement,
    balances,
    books_get_for_member,
    exchange_rate_list,
    journal,
    transaction_get,
    transaction_under_key,
    trial_balance,
)
from mutualist.ledger.services import (
    asset_account_open_with_balance,
    currency_convert,
    exchange_rate_set,
    opening_balance_record,
    rate_parse,
    transaction_reverse_by_hand,
)
from mutualist.members.models import User

router = Router(tags=["ledger"])

IDEMPOTENCY_HEADER = "Idempotency-Key"
# Printable ASCII without spaces, like the IETF draft's examples (a UUID, a
# random token); short enough to prefix with whose key it is. A missing or
# malformed key is refused by the schema (422 validation_failed) before the
# operation runs.
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]+$"


def _key_header(what: str) -> dict[str, Any]:
    """The ``Idempotency-Key`` header's parameter, for an operation that moves money."""
    return P(
        alias=IDEMPOTENCY_HEADER,
        description=f"The same on every retry of {what} (a UUID, say): 1 to 100 "
        "printable ASCII characters, no spaces",
        pattern=IDEMPOTENCY_KEY_PATTERN,
        max_length=100,
    )


def _accounts_page(rows: QuerySet[Account], page: PageParams) -> Page[AccountOut]:
    """A page of accounts, each with its balance from the postings (one
    grouped query for the page) and its owner (one query per kind of owner)."""
    window = list(
        rows.select_related("collective").prefetch_related(account_owners_prefetch())[
            page.offset : page.offset + page.limit
        ]
    )
    return Page[AccountOut](
        items=[AccountOut.build(row) for row in balances(accounts=window)],
        count=rows.count(),
        limit=page.limit,
        offset=page.offset,
    )


def _with_details(rows: QuerySet[Transaction]) -> QuerySet[Transaction]:
    """What ``TransactionOut`` reads, fetched with the transactions."""
    return rows.select_related("posted_by__profile", "reversed_by").prefetch_related(
        "postings__account"
    )


# --- Accounts -----------------------------------------------------------------------


@router.get(
    "/collectives/{slug}/accounts",
    response=responses({200: Page[AccountOut]}),
    summary="A collective's accounts with their balances (members)",
)
def accounts_list(request: HttpRequest, slug: str, page: Query[PageParams]) -> Page[AccountOut]:
    collective = books_get_for_member(user=request_user(request), slug=slug)
    return _accounts_page(account_list(collective=collective), page)


@router.get(
    "/collectives/{slug}/accounts/{int:account_id}",
    response=responses({200: AccountOut}),
    summary="One account with its balance (members, and the account's owner)",
)
def account_detail(request: HttpRequest, slug: str, account_id: int) -> AccountOut:
    account = account_get_for_user(user=request_user(request), slug=slug, pk=account_id)
    [row] = balances(accounts=[account])
    return AccountOut.build(row)


@router.get(
    "/collectives/{slug}/accounts/{int:account_id}/statement",
    response=responses({200: StatementOut}),
    by_alias=True,
    summary="An account's postings with the running balance (members, and the owner)",
)
def account_statement_read(
    request: HttpRequest,
    slug: str,
    account_id: int,
    period: Query[DateRangeIn],
    page: Query[PageParams],
) -> StatementOut:
    """Oldest first; ``opening`` is the balance before ``from``, each line's
    ``balance`` the running balance after it."""
    account = account_get_for_user(user=request_user(request), slug=slug, pk=account_id)
    if period.since and period.until and period.until < period.since:
        raise ValidationFailed(
            "The end date is before the start date.", code="invalid_period", field="to"
        )
    statement = account_statement(
        account=account,
        since=period.since,
        until=period.until,
        offset=page.offset,
        limit=page.limit,
    )
    return StatementOut.build(statement)


@router.get(
    "/me/accounts",
    response=responses({200: Page[AccountOut]}),
    summary="Your own accounts, in every collective's books",
)
def me_accounts(request: HttpRequest, page: Query[PageParams]) -> Page[AccountOut]:
    return _accounts_page(account_list_owned(user=request_user(request)).order_by("name"), page)


# --- Journal and trial balance --------------------------------------------------------


@router.get(
    "/collectives/{slug}/transactions",
    response=responses({200: Page[TransactionOut]}),
    summary="The journal: transactions, newest first (members)",
)
def transactions_list(
    request: HttpRequest, slug: str, filters: Query[JournalFiltersIn], page: Query[PageParams]
) -> Page[TransactionOut]:
    collective = books_get_for_member(user=request_user(request), slug=slug)
    account = None
    if filters.account is not None:
        account = account_in_books(collective=collective, pk=filters.account)
        if account is None:
            raise ValidationFailed(
                f"There is no account {filters.account} in these books.",
                code="unknown_account",
                field="account",
            )
    if filters.since and filters.until and filters.until < filters.since:
        raise ValidationFailed(
            "The end date is before the start date.", code="invalid_period", field="to"
        )
    rows = journal(
        collective=collective,
        account=account,
        kind=filters.kind or "",
        since=filters.since,
        until=filters.until,
        search=(filters.q or "").strip(),
    )
    return paginate(_with_details(rows), page, TransactionOut.from_model)


@router.get(
    "/collectives/{slug}/transactions/{int:transaction_id}",
    response=responses({200: TransactionOut}),
    summary="One transaction with its postings (members)",
)
def transaction_detail(request: HttpRequest, slug: str, transaction_id: int) -> TransactionOut:
    collective = books_get_for_member(user=request_user(request), slug=slug)
    found = transaction_get(collective=collective, pk=transaction_id)
    return TransactionOut.from_model(found)


@router.get(
    "/collectives/{slug}/trial-balance",
    response=responses({200: TrialBalanceOut}),
    summary="Every account's balance and the totals per currency (members)",
)
def trial_balance_read(request: HttpRequest, slug: str, when: Query[AsOfIn]) -> TrialBalanceOut:
    collective = books_get_for_member(user=request_user(request), slug=slug)
    return TrialBalanceOut.build(trial_balance(collective=collective, as_of=when.as_of))


# --- Exchange rates and conversions ------------------------------------------------------


@router.get(
    "/collectives/{slug}/exchange-rates",
    response=responses({200: Page[ExchangeRateOut]}),
    summary="The rates a collective's conversions may use, newest first (members)",
)
def exchange_rates_list(
    request: HttpRequest, slug: str, filters: Query[ExchangeRateFiltersIn], page: Query[PageParams]
) -> Page[ExchangeRateOut]:
    collective = books_get_for_member(user=request_user(request), slug=slug)
    rows = exchange_rate_list(collective=collective, source=filters.source)
    return paginate(rows, page, ExchangeRateOut.from_model)


@router.post(
    "/collectives/{slug}/exchange-rates",
    response=responses({201: ExchangeRateOut}),
    summary="Enter the collective's rate for a pair and day (coordinators)",
)
def exchange_rate_new(
    request: HttpRequest, slug: str, payload: ExchangeRateIn
) -> Status[ExchangeRateOut]:
    """Entering a pair and day again replaces that rate; conversions already
    posted keep the rate they used."""
    user = request_user(request)
    with transaction.atomic(durable=True):
        collective, _ = collective_get_for_coordinator(user=user, slug=slug)
        rate = exchange_rate_set(
            collective=collective,
            actor=user,
            base=payload.base,
            quote=payload.quote,
            rate=payload.rate,
            on=payload.on,
        )
    return Status(201, ExchangeRateOut.from_model(rate))


def _day_of(first: Transaction | None) -> dt.date:
    """The date a request without one means: today, or for a retry the day
    of the first attempt (which may have been yesterday), so that it replays."""
    return first.occurred_at if first is not None else timezone.localdate()


def _rate(text: str | None) -> Decimal | None:
    return None if text is None else rate_parse(text, field="rate")


@router.post(
    "/collectives/{slug}/conversions",
    response=responses({201: TransactionOut}),
    summary="Convert money between two of the collective's accounts (coordinators)",
)
def conversion_new(
    request: HttpRequest,
    response: HttpResponse,
    slug: str,
    payload: ConversionIn,
    idempotency_key: HeaderEx[str, _key_header("this conversion")],
) -> Status[TransactionOut]:
    """One transaction through the collective's trading accounts, recording
    the rate and its source. Requires an ``Idempotency-Key`` header: a retry
    with the same key and body answers with the first transaction (and the
    header ``Idempotent-Replayed: true``); the same key with another body is
    ``409 idempotency_key_reused``."""
    user = request_user(request)
    with transaction.atomic(durable=True):
        collective, _ = collective_get_for_coordinator(user=user, slug=slug)
        # Scoped to the caller and the collective: a key is only its sender's to repeat.
        key = f"api:conversion:{collective.pk}:{user.pk}:{idempotency_key}"
        accounts = account_list_convertible(collective=collective)
        source = accounts.filter(pk=payload.source_account).first()
        target = accounts.filter(pk=payload.target_account).first()
        for found, field, given in (
            (source, "source_account", payload.source_account),
            (target, "target_account", payload.target_account),
        ):
            if found is None:
                raise ValidationFailed(
                    f"Account {given} is not one of this collective's asset accounts.",
                    code="unknown_account",
                    field=field,
                )
        assert source is not None and target is not None  # noqa: S101 -- checked above
        first = transaction_under_key(collective=collective, idempotency_key=key)
        posted = currency_convert(
            source=source,
            target=target,
            amount=Money(payload.amount.amount, payload.amount.currency),
            occurred_at=payload.occurred_at or _day_of(first),
            idempotency_key=key,
            memo=payload.memo.strip(),
            rate=_rate(payload.rate),
            rate_source=payload.rate_source,
            posted_by=user,
        )
        posted = transaction_get(collective=collective, pk=posted.pk)
    if first is not None:
        response["Idempotent-Replayed"] = "true"
    return Status(201, TransactionOut.from_model(posted))


# --- Entries by hand: new accounts, opening balances, reversals ----------------------------


def _money(given: MoneyIn, *, field: str) -> Money:
    """``given`` as Money; a refusal names the input at fault under ``field``."""
    try:
        return Money(given.amount, given.currency)
    except ValidationFailed as exc:
        part = "currency" if exc.code == "invalid_currency" else "amount"
        raise type(exc)(exc.message, code=exc.code, field=f"{field}.{part}") from None


def _opening_money(given: MoneyIn, account_currency: str, *, field: str) -> Money:
    """An opening balance: in the account's currency, and not zero."""
    money = _money(given, field=field)
    if money.currency != account_currency.strip().upper():
        raise CurrencyMismatch(
            f"The account holds {account_currency.strip().upper()}, not {money.currency}.",
            field=f"{field}.currency",
        )
    if money.is_zero():
        raise ValidationFailed(
            "An opening balance of zero records nothing; leave it out.",
            code="invalid_amount",
            field=f"{field}.amount",
        )
    return money


def _asset_account_open(
    *, collective: Collective, actor: User, payload: AccountOpenIn, key: str | None
) -> tuple[Account, bool]:
    """The payload's checks the service cannot name fields for (the opening
    balance's currency and amount), then the service."""
    amount = None
    if payload.opening_balance is not None:
        currency = validate_currency(payload.currency)  # the account's, before its balance's
        amount = _opening_money(payload.opening_balance, currency, field="opening_balance")
    return asset_account_open_with_balance(
        collective=collective,
        actor=actor,
        label=payload.label,
        currency=payload.currency,
        description=payload.description,
        must_not_go_negative=payload.must_not_go_negative,
        opening_balance=amount,
        occurred_at=payload.occurred_at,
        idempotency_key=key,
    )


@router.post(
    "/collectives/{slug}/accounts",
    response=responses({201: AccountOut}),
    summary="Open an asset account, with what it already holds (coordinators)",
)
def account_new(
    request: HttpRequest,
    response: HttpResponse,
    slug: str,
    payload: AccountOpenIn,
    idempotency_key: HeaderEx[
        str | None, _key_header("this request; required with an opening balance")
    ] = None,
) -> Status[AccountOut]:
    """An account where the collective keeps money (a bank, a wallet, a cash
    box), named from ``label`` and ``currency``. With ``opening_balance`` it
    also records what the account held on ``occurred_at``, in one step: if the
    balance is refused, no account is opened. That moves money, so it needs an
    ``Idempotency-Key`` header; a retry answers with the same account (and
    ``Idempotent-Replayed: true``). Without a balance the header is not
    needed, and opening a name again is ``409 account_exists``."""
    user = request_user(request)
    with transaction.atomic(durable=True):
        collective, _ = collective_get_for_coordinator(user=user, slug=slug)
        if payload.opening_balance is None and payload.occurred_at is not None:
            raise ValidationFailed(
                "occurred_at is the opening balance's date: send opening_balance with it.",
                code="validation_failed",
                field="occurred_at",
            )
        if payload.opening_balance is not None and idempotency_key is None:
            raise ValidationFailed(
                "An opening balance moves money: send an Idempotency-Key header.",
                code="validation_failed",
                field=IDEMPOTENCY_HEADER,
            )
        key = None
        if payload.opening_balance is not None and idempotency_key is not None:
            # Scoped to the caller and the collective: a key is only its sender's to repeat.
            key = f"api:opening:{collective.pk}:{user.pk}:{idempotency_key}"
        account, replayed = _asset_account_open(
            collective=collective, actor=user, payload=payload, key=key
        )
        [row] = balances(accounts=[account])
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return Status(201, AccountOut.build(row))


@router.post(
    "/collectives/{slug}/accounts/{int:account_id}/opening-balance",
    response=responses({201: TransactionOut}),
    summary="Record what one of the collective's asset accounts already held (coordinators)",
)
def opening_balance_new(
    request: HttpRequest,
    response: HttpResponse,
    slug: str,
    account_id: int,
    payload: OpeningBalanceIn,
    idempotency_key: HeaderEx[str, _key_header("this opening balance")],
) -> Status[TransactionOut]:
    """One transaction of kind ``opening``, against the collective's
    opening-balance equity in the account's currency. Only the collective's
    own asset accounts take one (another account of these books is
    ``422 unknown_account``). Requires an ``Idempotency-Key`` header, as a
    conversion does."""
    user = request_user(request)
    with transaction.atomic(durable=True):
        collective, _ = collective_get_for_coordinator(user=user, slug=slug)
        account = account_in_books(collective=collective, pk=account_id)
        if account is None:
            raise Http404("No such account.")
        key = f"api:opening:{collective.pk}:{user.pk}:{idempotency_key}"
        first = transaction_under_key(collective=collective, idempotency_key=key)
        posted = opening_balance_record(
            account=account,
            actor=user,
            amount=_opening_money(payload.amount, account.currency, field="amount"),
            occurred_at=payload.occurred_at or _day_of(first),
            idempotency_key=key,
            memo=payload.memo,
        )
        posted = transaction_get(collective=collective, pk=posted.pk)
    if first is not None:
        response["Idempotent-Replayed"] = "true"
    return Status(201, TransactionOut.from_model(posted))


@router.post(
    "/collectives/{slug}/transactions/{int:transaction_id}/reversal",
    response=responses({201: TransactionOut}),
    summary="Reverse a mistaken opening balance or conversion (coordinators)",
)
def transaction_reversal_new(
    request: HttpRequest,
    response: HttpResponse,
    slug: str,
    transaction_id: int,
    idempotency_key: HeaderEx[str, _key_header("this reversal")],
    payload: ReversalIn | None = None,
) -> Status[TransactionOut]:
    """Posts the mirror image of the transaction, dated today, linked to it
    (``reverses``). Only the kinds coordinators enter by hand, ``opening``
    and ``conversion``, are reversed here; any other is
    ``409 not_reversible_by_hand`` (it is corrected where it came from), and
    a transaction already reversed is ``409 already_reversed``. Requires an
    ``Idempotency-Key`` header: a retry answers with the same reversal."""
    user = request_user(request)
    with transaction.atomic(durable=True):
        collective, _ = collective_get_for_coordinator(user=user, slug=slug)
        original = transaction_get(collective=collective, pk=transaction_id)
        key = f"api:reversal:{collective.pk}:{user.pk}:{idempotency_key}"
        replayed = transaction_under_key(collective=collective, idempotency_key=key) is not None
        reversal = transaction_reverse_by_hand(
            original=original,
            actor=user,
            idempotency_key=key,
            memo=payload.memo if payload is not None else "",
        )
        reversal = transaction_get(collective=collective, pk=reversal.pk)
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return Status(201, TransactionOut.from_model(reversal))
