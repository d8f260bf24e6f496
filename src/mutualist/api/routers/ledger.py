"""The books: accounts, balances, statements, the journal, the trial balance,
exchange rates and conversions.

Reads are for the collective's active members (an outsider gets 404); an
account and its statement also for the account's owner; ``GET /me/accounts``
lists the caller's own. Entering a rate and converting are for coordinators
(a member gets 403). A conversion moves money, so it needs an
``Idempotency-Key`` header: a retry with the same key answers with the
transaction the first request posted and posts nothing new.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import P, Query, Router, Status
from ninja.params import HeaderEx

from mutualist.api.auth import request_user
from mutualist.api.pagination import Page, PageParams, paginate
from mutualist.api.routers import responses
from mutualist.api.schemas.ledger import (
    AccountOut,
    AsOfIn,
    ConversionIn,
    DateRangeIn,
    ExchangeRateFiltersIn,
    ExchangeRateIn,
    ExchangeRateOut,
    JournalFiltersIn,
    StatementOut,
    TransactionOut,
    TrialBalanceOut,
)
from mutualist.collectives.selectors import collective_get_for_coordinator
from mutualist.core.errors import ValidationFailed
from mutualist.core.money import Money
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
    transaction_exists,
    transaction_get,
    trial_balance,
)
from mutualist.ledger.services import currency_convert, exchange_rate_set

router = Router(tags=["ledger"])

IDEMPOTENCY_HEADER = "Idempotency-Key"
# Printable ASCII without spaces, like the IETF draft's examples (a UUID, a
# random token); short enough to prefix with whose key it is. A missing or
# malformed key is refused by the schema (422 validation_failed) before the
# operation runs.
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]+$"


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


def _rate(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        return Decimal(text.strip())
    except InvalidOperation:
        raise ValidationFailed(
            f'{text!r} is not a rate; send a decimal string such as "56.125".',
            code="invalid_rate",
            field="rate",
        ) from None


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
    idempotency_key: HeaderEx[
        str,
        P(
            alias=IDEMPOTENCY_HEADER,
            description="The same on every retry of this conversion (a UUID, say): 1 to 100 "
            "printable ASCII characters, no spaces",
            pattern=IDEMPOTENCY_KEY_PATTERN,
            max_length=100,
        ),
    ],
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
        replayed = transaction_exists(collective=collective, idempotency_key=key)
        posted = currency_convert(
            source=source,
            target=target,
            amount=Money(payload.amount.amount, payload.amount.currency),
            occurred_at=payload.occurred_at or timezone.localdate(),
            idempotency_key=key,
            memo=payload.memo.strip(),
            rate=_rate(payload.rate),
            rate_source=payload.rate_source,
            posted_by=user,
        )
        posted = transaction_get(collective=collective, pk=posted.pk)
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return Status(201, TransactionOut.from_model(posted))
