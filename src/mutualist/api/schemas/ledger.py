"""The books: accounts, transactions, statements, trial balance, exchange rates,
conversions, and a coordinator's entries by hand (a new asset account, an
opening balance, a reversal).

Money is ``{"amount": "12.50", "currency": "PHP"}`` with a decimal string,
never a JSON number. Balances and posting amounts are signed as Beancount
signs them: debits positive, credits negative (so a liability the collective
owes shows a negative balance). Rates are decimal strings too.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema

from mutualist.api.schemas.common import CollectiveRefOut, InputSchema, MoneyIn, MoneyOut, PersonOut
from mutualist.core.money import Money
from mutualist.ledger.models import Account, ExchangeRate, Posting, Transaction
from mutualist.ledger.selectors import BalanceRow, Statement, StatementRow, TrialBalance
from mutualist.members.models import User

# --- Output -----------------------------------------------------------------------


def money_out(value: Money) -> MoneyOut:
    return MoneyOut(amount=str(value.amount), currency=value.currency)


def rate_text(rate: Decimal) -> str:
    """``56.125000000000`` as ``"56.125"``; never in exponent form."""
    return f"{rate.normalize():f}"


def person_out(user: User | None) -> PersonOut | None:
    """A person by handle and name; ``None`` for nobody, or for an account with
    no profile (an administrator made with createsuperuser)."""
    if user is None or getattr(user, "profile", None) is None:
        return None
    return PersonOut.from_user(user)


class AccountRefOut(Schema):
    id: int
    name: str = Field(examples=["Assets:Collectives:ManilaVa:Bank:PHP"])


class AccountOut(Schema):
    id: int
    name: str = Field(
        description="Hierarchical, and also its name in the Beancount export",
        examples=["Assets:Collectives:ManilaVa:Bank:PHP"],
    )
    collective: CollectiveRefOut = Field(description="Whose books it is in")
    type: str = Field(description="assets, liabilities, income, expenses or equity")
    currency: str
    owner_kind: str = Field(description="collective, member, fund or client")
    owner: PersonOut | None = Field(description="The member who owns it, for a member's account")
    must_not_go_negative: bool = Field(
        description="Its balance may never cross to the wrong side of zero"
    )
    description: str
    opened_at: dt.datetime
    balance: MoneyOut = Field(
        description="From its postings; signed as Beancount signs it (debits positive)"
    )

    @classmethod
    def build(cls, row: BalanceRow) -> AccountOut:
        account = row.account
        owner = account.owner if account.owner_kind == Account.OwnerKind.MEMBER else None
        return cls(
            id=account.pk,
            name=account.name,
            collective=CollectiveRefOut(slug=account.collective.slug, name=account.collective.name),
            type=account.type,
            currency=account.currency,
            owner_kind=account.owner_kind,
            owner=person_out(owner) if isinstance(owner, User) else None,
            must_not_go_negative=account.must_not_go_negative,
            description=account.description,
            opened_at=account.opened_at,
            balance=money_out(row.balance),
        )


class PostingOut(Schema):
    id: int
    account: AccountRefOut
    amount: MoneyOut = Field(description="Debit positive, credit negative")

    @classmethod
    def from_model(cls, posting: Posting) -> PostingOut:
        return cls(
            id=posting.pk,
            account=AccountRefOut(id=posting.account.pk, name=posting.account.name),
            amount=MoneyOut.from_minor(posting.amount_minor, posting.currency),
        )


class TransactionOut(Schema):
    id: int
    occurred_at: dt.date
    posted_at: dt.datetime
    memo: str
    kind: str = Field(examples=["opening", "conversion", "reversal"])
    postings: list[PostingOut] = Field(description="They sum to zero in each currency")
    posted_by: PersonOut | None
    reverses: int | None = Field(description="The id of the transaction this one reverses")
    reversed_by: int | None = Field(description="The id of the transaction that reversed this one")
    fx_rate: str | None = Field(
        description="A conversion's rate: units of the target currency per unit of the source",
        examples=["56.125"],
    )
    fx_rate_source: str = Field(description="Where a conversion's rate came from")

    @classmethod
    def from_model(cls, transaction: Transaction) -> TransactionOut:
        # Prefetched (postings, accounts) or selected (reversed_by, posted_by)
        # by the router's selectors; a missing reversal raises an AttributeError.
        reversal: Transaction | None = getattr(transaction, "reversed_by", None)
        return cls(
            id=transaction.pk,
            occurred_at=transaction.occurred_at,
            posted_at=transaction.posted_at,
            memo=transaction.memo,
            kind=transaction.kind,
            postings=[
                PostingOut.from_model(posting)
                for posting in sorted(transaction.postings.all(), key=lambda p: p.pk)
            ],
            posted_by=person_out(transaction.posted_by),
            reverses=transaction.reverses_id,
            reversed_by=reversal.pk if reversal is not None else None,
            fx_rate=rate_text(transaction.fx_rate) if transaction.fx_rate is not None else None,
            fx_rate_source=transaction.fx_rate_source,
        )


class StatementLineOut(Schema):
    posting_id: int
    transaction_id: int
    occurred_at: dt.date
    memo: str
    kind: str
    amount: MoneyOut = Field(description="Debit positive, credit negative")
    balance: MoneyOut = Field(description="The running balance after this posting")

    @classmethod
    def from_row(cls, row: StatementRow) -> StatementLineOut:
        posting = row.posting
        return cls(
            posting_id=posting.pk,
            transaction_id=posting.transaction.pk,
            occurred_at=posting.occurred_at,
            memo=posting.transaction.memo,
            kind=posting.transaction.kind,
            amount=money_out(row.amount),
            balance=money_out(row.balance),
        )


class StatementOut(Schema):
    """One page of an account's statement, oldest posting first."""

    account: AccountRefOut
    since: dt.date | None = Field(serialization_alias="from", description="As asked")
    until: dt.date | None = Field(serialization_alias="to", description="As asked")
    opening: MoneyOut = Field(description="The balance before `from`")
    closing: MoneyOut = Field(description="The balance at the end of `to` (or now)")
    items: list[StatementLineOut]
    count: int = Field(description="Postings in the period, on every page")
    limit: int
    offset: int

    @classmethod
    def build(cls, statement: Statement) -> StatementOut:
        account = statement.account
        return cls(
            account=AccountRefOut(id=account.pk, name=account.name),
            since=statement.since,
            until=statement.until,
            opening=money_out(statement.opening),
            closing=money_out(statement.closing),
            items=[StatementLineOut.from_row(row) for row in statement.rows],
            count=statement.count,
            limit=statement.limit,
            offset=statement.offset,
        )


class AccountBalanceOut(Schema):
    account: AccountRefOut
    type: str
    balance: MoneyOut = Field(description="Debits positive, credits negative")


class CurrencyTotalsOut(Schema):
    currency: str
    debits: MoneyOut = Field(description="The sum of the debit balances")
    credits: MoneyOut = Field(description="The sum of the credit balances, as a positive amount")
    balanced: bool = Field(description="Whether debits equal credits")


class TrialBalanceOut(Schema):
    as_of: dt.date | None = Field(description="Balances at the end of this day; null for now")
    balanced: bool = Field(description="Whether every currency balances")
    currencies: list[CurrencyTotalsOut]
    accounts: list[AccountBalanceOut]

    @classmethod
    def build(cls, report: TrialBalance) -> TrialBalanceOut:
        currencies = []
        for currency in sorted(report.debits):
            debits, credits = report.debits[currency], -report.credits[currency]
            currencies.append(
                CurrencyTotalsOut(
                    currency=currency,
                    debits=money_out(debits),
                    credits=money_out(credits),
                    balanced=debits == credits,
                )
            )
        return cls(
            as_of=report.as_of,
            balanced=report.balanced,
            currencies=currencies,
            accounts=[
                AccountBalanceOut(
                    account=AccountRefOut(id=row.account.pk, name=row.account.name),
                    type=row.account.type,
                    balance=money_out(row.balance),
                )
                for row in report.rows
            ],
        )


class ExchangeRateOut(Schema):
    id: int
    base: str = Field(examples=["USD"])
    quote: str = Field(examples=["PHP"])
    rate: str = Field(description="Units of `quote` one unit of `base` buys", examples=["56.125"])
    on: dt.date
    source: str = Field(description="manual (the collective's own) or ecb (reference rates)")
    entered_by: PersonOut | None = Field(description="The coordinator who entered it")
    created_at: dt.datetime

    @classmethod
    def from_model(cls, rate: ExchangeRate) -> ExchangeRateOut:
        return cls(
            id=rate.pk,
            base=rate.base,
            quote=rate.quote,
            rate=rate_text(rate.rate),
            on=rate.on,
            source=rate.source,
            entered_by=person_out(rate.entered_by),
            created_at=rate.created_at,
        )


# --- Input ------------------------------------------------------------------------


class DateRangeIn(Schema):
    """``from`` and ``to``, inclusive (query parameters)."""

    since: dt.date | None = Field(None, alias="from", description="From this day (inclusive)")
    until: dt.date | None = Field(None, alias="to", description="Up to this day (inclusive)")


class JournalFiltersIn(DateRangeIn):
    """Query parameters of GET .../transactions."""

    account: int | None = Field(None, description="Only transactions that post to this account")
    kind: str | None = Field(None, max_length=40, examples=["conversion"])
    q: str | None = Field(None, max_length=100, description="Words in the memo")


class AsOfIn(Schema):
    as_of: dt.date | None = Field(None, description="Balances at the end of this day")


class ExchangeRateFiltersIn(Schema):
    source: Literal["manual", "ecb"] | None = Field(
        None, description="manual: the collective's own; ecb: reference rates; both if absent"
    )


class ExchangeRateIn(InputSchema):
    base: str = Field(description="ISO 4217", examples=["USD"])
    quote: str = Field(description="ISO 4217", examples=["PHP"])
    rate: str = Field(
        description="A decimal string: units of `quote` one unit of `base` buys",
        examples=["56.125"],
    )
    on: dt.date = Field(description="The day it applies from (conversions use it for a week)")


class ConversionIn(InputSchema):
    source_account: int = Field(description="One of the collective's asset accounts")
    target_account: int = Field(description="Another, in a different currency")
    amount: MoneyIn = Field(description="What leaves the source account, in its currency")
    occurred_at: dt.date | None = Field(None, description="Today if absent")
    rate: str | None = Field(
        None,
        description="Units of the target currency per unit of the source. Absent: the "
        "collective's own rate from the past week, else the ECB's",
        examples=["0.01782"],
    )
    rate_source: str = Field("", max_length=200, description="Where a given rate comes from")
    memo: str = Field("", max_length=500, description="Empty for 'Convert ... to ... at ...'")


class AccountOpenIn(InputSchema):
    label: str = Field(
        description="Where the money is kept, 1 to 40 characters: it names the account "
        "(`Wise` in USD opens `Assets:Collectives:<Books>:Wise:USD`)",
        examples=["Wise"],
    )
    currency: str = Field(
        description="ISO 4217; the one currency the account holds", examples=["USD"]
    )
    description: str = Field("", max_length=200, examples=["Client receipts"])
    must_not_go_negative: bool = Field(
        False, description="Refuse anything that would take its balance below zero"
    )
    opening_balance: MoneyIn | None = Field(
        None,
        description="What it already holds, in its currency (negative for an overdraft); "
        "recorded against the collective's opening-balance equity. Needs an "
        "`Idempotency-Key` header",
    )
    occurred_at: dt.date | None = Field(
        None, description="The day it held `opening_balance` (only with one); today if absent"
    )


class OpeningBalanceIn(InputSchema):
    amount: MoneyIn = Field(
        description="What the account held, in its currency; negative for an overdraft"
    )
    occurred_at: dt.date | None = Field(None, description="The day it held it; today if absent")
    memo: str = Field("", max_length=500, description="Empty for 'Opening balance of <account>'")


class ReversalIn(InputSchema):
    memo: str = Field(
        "", max_length=500, description="Why; empty for 'Reversal of #<id>: <its memo>'"
    )
