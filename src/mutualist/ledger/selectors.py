"""Reads of the books, scoped by who is asking.

An active member of a collective sees all of its books (accounts, journal,
trial balance): a collective's money is its members' business. Anyone sees
the accounts they own themselves (a member's payable), in any collective,
including one they have left. Everyone else gets a 404.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.prefetch import GenericPrefetch
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.http import Http404

from mutualist.collectives.models import Collective, Membership
from mutualist.collectives.selectors import collective_get_for_member, membership_of
from mutualist.core.money import Money
from mutualist.ledger.models import Account, ExchangeRate, Posting, Transaction
from mutualist.members.models import User

Viewer = User | AnonymousUser


def books_get_for_member(*, user: Viewer, slug: str) -> Collective:
    """The collective whose books ``user`` may read as a member; 404 otherwise."""
    collective, _ = collective_get_for_member(user=user, slug=slug)
    return collective


def _owned_by(user: User) -> Q:
    return Q(owner_type=ContentType.objects.get_for_model(User), owner_id=user.pk)


def account_list_owned(*, user: Viewer) -> QuerySet[Account]:
    """The accounts ``user`` owns, in every collective's books."""
    if not isinstance(user, User):
        return Account.objects.none()
    return Account.objects.filter(_owned_by(user)).select_related("collective")


def account_list(*, collective: Collective) -> QuerySet[Account]:
    """All of a collective's accounts; call with a collective from ``books_get_for_member``."""
    return Account.objects.filter(collective=collective).order_by("name")


def account_get_for_user(*, user: Viewer, slug: str, pk: int) -> Account:
    """One account, for an active member of its collective or for its owner."""
    account = (
        Account.objects.filter(pk=pk, collective__slug=slug).select_related("collective").first()
    )
    if account is None or not isinstance(user, User):
        raise Http404("No such account.")
    if account.owner_type_id is not None and account_list_owned(user=user).filter(pk=pk).exists():
        return account
    membership = membership_of(user=user, collective=account.collective)
    if membership is None or membership.state != Membership.State.ACTIVE:
        raise Http404("No such account.")
    return account


def account_balance(*, account: Account, as_of: dt.date | None = None) -> Money:
    """The account's balance on ``as_of`` (inclusive, summed from its
    postings through the (account, date) index), or now (the balance that
    ``transaction_post`` keeps beside the account in the same database
    transaction, and ``mutualist ledger check`` verifies against the postings).

    Signed as Beancount signs it: positive for a debit balance."""
    if as_of is None:
        current = Account.objects.filter(pk=account.pk).values_list("balance_minor", flat=True)
        return Money.from_minor(int(current.get()), account.currency)
    total = Posting.objects.filter(account=account, occurred_at__lte=as_of).aggregate(
        total=Coalesce(Sum("amount_minor"), 0)
    )["total"]
    return Money.from_minor(int(total), account.currency)


@dataclass(frozen=True, slots=True)
class StatementRow:
    posting: Posting
    amount: Money
    balance: Money  # the running balance after this posting


@dataclass(frozen=True, slots=True)
class Statement:
    account: Account
    since: dt.date | None
    until: dt.date | None
    opening: Money  # before ``since``
    closing: Money  # at ``until`` (or now)
    count: int  # postings in the period
    rows: list[StatementRow]
    offset: int
    limit: int


def account_statement(
    *,
    account: Account,
    since: dt.date | None = None,
    until: dt.date | None = None,
    offset: int = 0,
    limit: int = 50,
) -> Statement:
    """The account's postings in the period, oldest first, each with the
    running balance after it; one page of ``limit`` rows from ``offset``.

    A page costs the same few index reads wherever it falls: the balance
    before its first row is one SUM over the (account, date, id) index, the
    running balance within it is added up over its own rows, and the
    transactions are fetched for its rows only. (A window sum over the
    whole history sorted every posting of the account for every page.)
    """
    opening = Money.zero(account.currency)
    if since is not None:  # not since - 1 day: that fails for 0001-01-01
        before = Posting.objects.filter(account=account, occurred_at__lt=since)
        total = before.aggregate(total=Coalesce(Sum("amount_minor"), 0))["total"]
        opening = Money.from_minor(int(total), account.currency)
    period = Posting.objects.filter(account=account)
    if since is not None:
        period = period.filter(occurred_at__gte=since)
    if until is not None:
        period = period.filter(occurred_at__lte=until)
    totals = period.aggregate(count=Count("id"), total=Coalesce(Sum("amount_minor"), 0))
    page = list(
        period.order_by("occurred_at", "id").prefetch_related("transaction")[
            offset : offset + limit
        ]
    )
    running = opening.minor_units
    if page and offset:
        first = page[0]
        earlier = period.filter(
            Q(occurred_at__lt=first.occurred_at) | Q(occurred_at=first.occurred_at, id__lt=first.pk)
        )
        running += int(earlier.aggregate(total=Coalesce(Sum("amount_minor"), 0))["total"])
    rows = []
    for posting in page:
        running += posting.amount_minor
        rows.append(
            StatementRow(
                posting=posting,
                amount=Money.from_minor(posting.amount_minor, account.currency),
                balance=Money.from_minor(running, account.currency),
            )
        )
    return Statement(
        account=account,
        since=since,
        until=until,
        opening=opening,
        closing=opening + Money.from_minor(int(totals["total"]), account.currency),
        count=int(totals["count"]),
        rows=rows,
        offset=offset,
        limit=limit,
    )


def journal(
    *,
    collective: Collective,
    account: Account | None = None,
    kind: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
    search: str = "",
) -> QuerySet[Transaction]:
    """The collective's transactions, newest first, filtered; call with a
    collective from ``books_get_for_member``."""
    transactions = Transaction.objects.filter(collective=collective)
    if account is not None:
        transactions = transactions.filter(postings__account=account).distinct()
    if kind:
        transactions = transactions.filter(kind=kind)
    if since is not None:
        transactions = transactions.filter(occurred_at__gte=since)
    if until is not None:
        transactions = transactions.filter(occurred_at__lte=until)
    if search:
        transactions = transactions.filter(memo__icontains=search)
    return transactions.order_by("-occurred_at", "-id")


def journal_kinds(*, collective: Collective) -> list[str]:
    return list(
        Transaction.objects.filter(collective=collective)
        .order_by("kind")
        .values_list("kind", flat=True)
        .distinct()
    )


def transaction_get(*, collective: Collective, pk: int) -> Transaction:
    """One of the collective's transactions with its postings; 404 if not in these books."""
    found = (
        Transaction.objects.filter(collective=collective, pk=pk)
        .select_related("reverses", "posted_by", "cause_type")
        .prefetch_related("postings__account")
        .first()
    )
    if found is None:
        raise Http404("No such transaction.")
    return found


def transaction_reversal(*, transaction: Transaction) -> Transaction | None:
    return Transaction.objects.filter(reverses=transaction).first()


@dataclass(frozen=True, slots=True)
class BalanceRow:
    account: Account
    balance: Money


@dataclass(slots=True)
class TrialBalance:
    as_of: dt.date | None
    rows: list[BalanceRow]
    # Per currency: the sum of debit balances and of credit balances (a
    # negative Money); they cancel when the books balance.
    debits: dict[str, Money] = field(default_factory=dict)
    credits: dict[str, Money] = field(default_factory=dict)

    @property
    def balanced(self) -> bool:
        return all((self.debits[c] + self.credits[c]).is_zero() for c in self.debits)


def balances(
    *, accounts: Iterable[Account] | QuerySet[Account], as_of: dt.date | None = None
) -> list[BalanceRow]:
    """Each account's balance re-derived from its postings (one grouped query)."""
    accounts = list(accounts)
    postings = Posting.objects.filter(account__in=[a.pk for a in accounts])
    if as_of is not None:
        postings = postings.filter(occurred_at__lte=as_of)
    totals = dict(
        postings.values("account")
        .annotate(total=Sum("amount_minor"))
        .values_list("account", "total")
    )
    return [
        BalanceRow(account, Money.from_minor(int(totals.get(account.pk, 0)), account.currency))
        for account in accounts
    ]


def trial_balance(*, collective: Collective, as_of: dt.date | None = None) -> TrialBalance:
    """Every account of the collective with its balance, and the debit and
    credit totals per currency (equal and opposite when the books balance)."""
    rows = balances(accounts=account_list(collective=collective), as_of=as_of)
    report = TrialBalance(as_of=as_of, rows=rows)
    for row in rows:
        currency = row.account.currency
        report.debits.setdefault(currency, Money.zero(currency))
        report.credits.setdefault(currency, Money.zero(currency))
        if row.balance.amount > 0:
            report.debits[currency] += row.balance
        else:
            report.credits[currency] += row.balance
    return report


def account_in_books(*, collective: Collective, pk: int) -> Account | None:
    """One of the collective's accounts by id, or ``None``; for a filter or a
    form field that names an account of books the caller may already read."""
    return account_list(collective=collective).filter(pk=pk).first()


def account_list_convertible(*, collective: Collective) -> QuerySet[Account]:
    """The collective's own asset accounts: what a coordinator may convert
    between (members' payables and other owners' accounts are not its cash)."""
    return account_list(collective=collective).filter(
        type=Account.Type.ASSETS, owner_kind=Account.OwnerKind.COLLECTIVE
    )


def account_owners_prefetch() -> GenericPrefetch[str]:
    """Fetch accounts' owners in one query per kind, members with their
    profiles (a name to show), for a list of accounts."""
    return GenericPrefetch("owner", [User.objects.select_related("profile")])


def exchange_rate_list(
    *, collective: Collective, source: str | None = None
) -> QuerySet[ExchangeRate]:
    """The rates that serve a collective's books, newest first: its own
    (``manual``), the ECB's reference rates (``ecb``), or both."""
    rates = ExchangeRate.objects.select_related("entered_by__profile")
    own = Q(collective=collective)
    reference = Q(collective__isnull=True, source=ExchangeRate.Source.ECB)
    if source == ExchangeRate.Source.MANUAL:
        rates = rates.filter(own)
    elif source == ExchangeRate.Source.ECB:
        rates = rates.filter(reference)
    else:
        rates = rates.filter(own | reference)
    return rates.order_by("-on", "base", "quote", "-id")


def exchange_rate_list_reference_latest() -> QuerySet[ExchangeRate]:
    """The ECB's reference rates of the latest day imported."""
    reference = ExchangeRate.objects.filter(collective__isnull=True, source=ExchangeRate.Source.ECB)
    latest = reference.order_by("-on").values_list("on", flat=True).first()
    if latest is None:
        return reference.none()
    return reference.filter(on=latest).order_by("quote")


def transaction_under_key(*, collective: Collective, idempotency_key: str) -> Transaction | None:
    """The transaction the collective's books hold under ``idempotency_key``,
    or ``None``: a retry repeats the first attempt's defaults (its date) from it."""
    return Transaction.objects.filter(
        collective=collective, idempotency_key=idempotency_key
    ).first()
