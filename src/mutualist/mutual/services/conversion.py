"""Changing a pooled fund's money from one currency to another.

Levies arrive in the currency each client paid in (a Manila collective with
clients in Sydney collects its guarantee and income-gap levies in AUD), while
an income-gap top-up is paid in the fund's own currency. A coordinator
converts part of a pooled fund's holding at a rate on record (or one given),
as one balanced ledger transaction through the trading accounts, with the
rate and its source recorded on it. It is not a decision about the fund's
rules, only about which currency its money is held in, like converting the
treasury's cash; the ledger's own conversion page serves the collective's
asset accounts, and a fund's pools are liabilities, so the postings are
the other way round and live here.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from mutualist.core.errors import Conflict, ValidationFailed
from mutualist.core.money import Money
from mutualist.core.reference import validate_currency
from mutualist.ledger.models import Transaction
from mutualist.ledger.services import (
    Line,
    WouldGoNegative,
    exchange_rate_find,
    ledger_date_validate,
    rate_parse,
    trading_account,
    transaction_post,
)
from mutualist.members.models import User
from mutualist.mutual.accounts import balance_minor, find_pool_account, pool_account
from mutualist.mutual.models import Claim, Fund
from mutualist.mutual.services.funds import fund_name, require_coordinator

POOLED = (Fund.Kind.GUARANTEE, Fund.Kind.INCOME_GAP)


def fund_convert(
    *,
    fund: Fund,
    actor: User,
    amount: Money,
    to_currency: str,
    idempotency_key: str,
    rate: Decimal | str | None = None,
    rate_source: str = "",
    on: dt.date | None = None,
) -> Transaction:
    """Convert ``amount`` of a pooled fund's money into ``to_currency``
    (coordinators only). Without ``rate`` the rate on record for ``on``
    (today) is used. Never more than the fund holds in that currency less
    what approved claims have reserved on it (``beyond_available``). A retry
    with the same ``idempotency_key`` returns the first conversion."""
    require_coordinator(collective=fund.collective, user=actor)
    if fund.kind not in POOLED:
        raise ValidationFailed(
            f"The {fund_name(fund.kind)} is held in each member's own account; "
            "only pooled funds are converted.",
            code="not_pooled",
            field="fund",
        )
    if not isinstance(amount, Money):
        raise TypeError("An amount is Money.")
    if amount.amount <= 0:
        raise ValidationFailed(
            "Convert an amount above zero.", code="invalid_amount", field="amount"
        )
    to_currency = (to_currency or "").strip().upper()
    validate_currency(to_currency, field="to_currency")
    if to_currency == amount.currency:
        raise ValidationFailed(
            "Choose another currency than the one converted from.",
            code="same_currency",
            field="to_currency",
        )
    key = (idempotency_key or "").strip()
    if not 0 < len(key) <= 150:
        raise ValidationFailed(
            "An idempotency key of 1 to 150 characters is required.",
            code="invalid_idempotency_key",
            field="idempotency_key",
        )
    day = ledger_date_validate(on or timezone.localdate(), field="on")
    full_key = f"mutual:convert:{fund.pk}:{key}"
    first = Transaction.objects.filter(idempotency_key=full_key).first()
    if first is not None:
        # A retry of the same conversion returns it (at the rate it used,
        # whatever rate has arrived since); another request under the key is refused.
        moved = dict(
            first.postings.filter(account__name__contains=":Funds:").values_list(
                "currency", "amount_minor"
            )
        )
        if moved.get(amount.currency) == amount.minor_units and to_currency in moved:
            return first
        raise Conflict(
            f"The idempotency key {idempotency_key!r} was already used for another conversion.",
            code="idempotency_key_reused",
            field="idempotency_key",
        )
    collective = fund.collective
    if rate not in (None, ""):
        if isinstance(rate, bool | float):
            raise TypeError("A rate is a Decimal or a string, never a float.")
        used, source = rate_parse(str(rate), field="rate"), (rate_source.strip() or "given")
    else:
        quote = exchange_rate_find(
            base=amount.currency, quote=to_currency, on=day, collective=collective
        )
        used, source = quote.rate, quote.source
    converted = amount.convert(used, to_currency)
    if converted.is_zero():
        raise ValidationFailed(
            f"{amount} is worth nothing in {to_currency} at {used}.",
            code="invalid_amount",
            field="amount",
        )
    with transaction.atomic():
        Fund.objects.select_for_update(no_key=True).get(pk=fund.pk)
        held = find_pool_account(collective, fund.code, amount.currency)
        reserved = (
            Claim.objects.filter(
                fund=fund, currency=amount.currency, state=Claim.State.APPROVED
            ).aggregate(total=Sum("reserved_minor"))["total"]
            or 0
        )
        free = (balance_minor(held) if held else 0) - int(reserved)
        if held is None or amount.minor_units > free:
            raise Conflict(
                f"The fund holds {Money.from_minor(max(free, 0), amount.currency)} it can "
                f"convert; {amount} is more.",
                code="beyond_available",
                field="amount",
            )
        target = pool_account(collective, fund.code, to_currency)
        try:
            return transaction_post(
                lines=[
                    Line(held, amount),
                    Line(trading_account(collective, amount.currency), -amount),
                    Line(trading_account(collective, to_currency), converted),
                    Line(target, -converted),
                ],
                memo=(f"The {fund_name(fund.kind)} converts {amount} to {converted} at {used}"),
                occurred_at=day,
                idempotency_key=full_key,
                kind="conversion",
                posted_by=actor,
                fx_rate=used,
                fx_rate_source=source[:200],
            )
        except WouldGoNegative:
            raise Conflict(
                f"The fund does not hold {amount}.", code="beyond_available", field="amount"
            ) from None
