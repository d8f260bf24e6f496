"""Payouts: money a coordinator sent a member, and how members want it sent.

The money leaves outside the app (a bank transfer, a wallet); the payout
records it in the books: ``Dr`` the member's payable, ``Cr`` the account it
was sent from, through the trading accounts when the member is paid in
another currency than the one they are owed in. A member's payable never
goes below zero: the ledger checks it under the account's row lock, so two
payouts at once cannot both take the last of it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Context, Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from mutualist.billing.accounts import find_member_account
from mutualist.billing.models import Payout, PayoutSetting
from mutualist.billing.services._common import MAX_TEXT, rate_text, require_coordinator, text_clean
from mutualist.collectives.models import Collective
from mutualist.collectives.selectors import membership_of
from mutualist.core.errors import Conflict, PermissionDenied, ValidationFailed
from mutualist.core.money import Money
from mutualist.core.reference import validate_currency
from mutualist.ledger.models import Account
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

MAX_KEY = 150


def payout_setting_set(
    *, collective: Collective, member: User, actor: User, currency: str, details: str = ""
) -> PayoutSetting:
    """A member chooses the currency they are paid in, and says where to.
    Only the member themself sets it."""
    if actor.pk != member.pk:
        raise PermissionDenied(
            "Members choose how they are paid themselves.", code="not_your_setting"
        )
    membership = membership_of(user=member, collective=collective)
    if membership is None or membership.state != membership.State.ACTIVE:
        raise Conflict("Only an active member of the collective is paid by it.", code="not_active")
    code = validate_currency(currency)
    text = text_clean(details, field="details", max_length=MAX_TEXT)
    setting, _ = PayoutSetting.objects.update_or_create(
        collective=collective,
        member=member,
        defaults={"currency": code, "details": text, "updated_at": timezone.now()},
    )
    return setting


def _source(collective: Collective, account: Account) -> Account:
    if (
        account.collective_id != collective.pk
        or account.type != Account.Type.ASSETS
        or account.owner_kind != Account.OwnerKind.COLLECTIVE
    ):
        raise ValidationFailed(
            "A payout is sent from one of the collective's own asset accounts.",
            code="unknown_account",
            field="source_account",
        )
    return account


# A rate as the ledger stores it: 15 significant digits, 12 decimal places.
_RATE_DIGITS = Context(prec=15)
_RATE_PLACES = Decimal("1e-12")
_RATE_MAX = Decimal(10) ** 17


def _rate_of(sent: Money, amount: Money) -> Decimal:
    """The rate two amounts imply, rounded as the books store rates. The
    amounts are what moved and are booked exactly; the rate is only their
    record (10.00 AUD sent as 333.33 PHP is 33.333 and no exact decimal)."""
    rate = _RATE_DIGITS.divide(sent.amount, amount.amount).quantize(
        _RATE_PLACES, context=Context(prec=40)
    )
    if not Decimal(0) < rate < _RATE_MAX:
        raise ValidationFailed(
            f"{amount} sent as {sent} gives no rate the books can record; check both amounts.",
            code="invalid_amount",
            field="sent_amount",
        )
    return rate


def _sent(
    *,
    collective: Collective,
    amount: Money,
    source: Account,
    on: dt.date,
    sent_amount: Money | None,
    fx_rate: Decimal | str | None,
    fx_rate_source: str,
) -> tuple[Money, Decimal | None, str]:
    """What left the source account, and the rate, when it is another currency."""
    if isinstance(fx_rate, bool | float):
        raise TypeError("A rate is a Decimal or a string, never a float.")
    if sent_amount is not None and not isinstance(sent_amount, Money):
        raise TypeError("An amount sent is Money.")
    if source.currency == amount.currency:
        if fx_rate not in (None, ""):
            raise ValidationFailed(
                "Sent from an account in the same currency, a payout takes no rate.",
                code="rate_not_needed",
                field="fx_rate",
            )
        if sent_amount is not None and sent_amount != amount:
            raise ValidationFailed(
                "Sent from an account in the same currency, the amount sent is the amount paid out.",
                code="invalid_amount",
                field="sent_amount",
            )
        return amount, None, ""
    if sent_amount is not None:
        if sent_amount.currency != source.currency or sent_amount.amount <= 0:
            raise ValidationFailed(
                f"The amount sent is above zero, in {source.currency}.",
                code="invalid_amount",
                field="sent_amount",
            )
        return sent_amount, _rate_of(sent_amount, amount), "the amounts owed and sent"
    if fx_rate not in (None, ""):
        rate = rate_parse(str(fx_rate), field="fx_rate")
        source_text = fx_rate_source.strip() or "given with the payout"
    else:
        quote = exchange_rate_find(
            base=amount.currency, quote=source.currency, on=on, collective=collective
        )
        rate, source_text = quote.rate, quote.source
    sent = amount.convert(rate, source.currency)
    if sent.is_zero():
        raise ValidationFailed(
            f"{amount} is worth nothing in {source.currency} at {rate_text(rate)}.",
            code="invalid_amount",
            field="amount",
        )
    return sent, rate, source_text[:200]


def payout_record(
    *,
    collective: Collective,
    member: User,
    actor: User,
    amount: Money,
    source_account: Account,
    paid_on: dt.date,
    idempotency_key: str,
    reference: str = "",
    sent_amount: Money | None = None,
    fx_rate: Decimal | str | None = None,
    fx_rate_source: str = "",
) -> Payout:
    """Record that ``amount`` of what the collective owes ``member`` (in
    that currency) was sent to them from ``source_account``. In another
    currency, give what was sent (``sent_amount``) or the rate, or the rate
    on record is used. A retry with the same key and request returns the
    first payout. Refused, changing nothing: more than the member is owed
    (``payout_beyond_payable``), an amount of zero or less, an account that
    is not the collective's."""
    require_coordinator(collective=collective, actor=actor)
    if not isinstance(amount, Money):
        raise TypeError("A payout is Money.")
    if amount.amount <= 0:
        raise ValidationFailed("A payout is above zero.", code="invalid_amount", field="amount")
    if paid_on > timezone.localdate():  # before the books' range, which reaches a year ahead
        raise ValidationFailed(
            "A payout is recorded once it is sent.", code="date_in_future", field="paid_on"
        )
    ledger_date_validate(paid_on, field="paid_on")
    key = text_clean(idempotency_key, field="idempotency_key", max_length=MAX_KEY, required=True)
    ref = text_clean(reference, field="reference", max_length=120)
    source = _source(collective, source_account)
    request: dict[str, object] = {
        "member_id": member.pk,
        "amount_minor": amount.minor_units,
        "currency": amount.currency,
        "source_account_id": source.pk,
        "paid_on": paid_on,
        "reference": ref,
    }
    # What a retry names beyond that must match too; left out, the first
    # request's choice stands.
    if isinstance(sent_amount, Money):
        request.update(sent_minor=sent_amount.minor_units, sent_currency=sent_amount.currency)
    elif (
        isinstance(fx_rate, str | Decimal) and fx_rate != "" and source.currency != amount.currency
    ):
        request["fx_rate"] = rate_parse(str(fx_rate), field="fx_rate")
    first = _replay(collective=collective, key=key, request=request)
    if first is not None:
        return first
    payable = find_member_account(collective, member, amount.currency)
    if payable is None:
        raise Conflict(
            f"The collective owes {member.display_name} nothing in {amount.currency}.",
            code="payout_beyond_payable",
            field="amount",
        )
    sent, rate, rate_source = _sent(
        collective=collective,
        amount=amount,
        source=source,
        on=paid_on,
        sent_amount=sent_amount,
        fx_rate=fx_rate,
        fx_rate_source=fx_rate_source,
    )
    try:
        # Inside the transaction: a refused payout leaves no trading account
        # opened behind it either.
        with transaction.atomic():
            lines = [Line(payable, amount)]
            if sent.currency != amount.currency:
                lines += [
                    Line(trading_account(collective, amount.currency), -amount),
                    Line(trading_account(collective, sent.currency), sent),
                ]
            lines.append(Line(source, -sent))
            posted = transaction_post(
                lines=lines,
                memo=f"Payout to {member.display_name}" + (f" (ref. {ref})" if ref else ""),
                occurred_at=paid_on,
                idempotency_key=f"billing:payout:{collective.pk}:{key}",
                kind="payout",
                cause=member,
                posted_by=actor,
                fx_rate=rate,
                fx_rate_source=rate_source,
            )
            return Payout.objects.create(
                collective=collective,
                member=member,
                amount_minor=amount.minor_units,
                currency=amount.currency,
                sent_minor=sent.minor_units,
                sent_currency=sent.currency,
                fx_rate=rate,
                fx_rate_source=rate_source,
                source_account=source,
                paid_on=paid_on,
                reference=ref,
                transaction=posted,
                idempotency_key=key,
                recorded_by=actor,
            )
    except WouldGoNegative as refusal:
        # The ledger refused under its row locks; say which account was
        # short, read again now that those locks are released.
        payable.refresh_from_db()
        if payable.would_go_negative(payable.balance_minor + amount.minor_units):
            owed = Money.from_minor(max(0, -payable.balance_minor), amount.currency)
            raise Conflict(
                f"The collective owes {member.display_name} {owed}; a payout of {amount} is "
                "more than that.",
                code="payout_beyond_payable",
                field="amount",
            ) from None
        source.refresh_from_db()
        if source.would_go_negative(source.balance_minor - sent.minor_units):
            held = Money.from_minor(max(0, source.balance_minor), source.currency)
            raise Conflict(
                f"{source.name} holds {held}; it cannot send {sent}.",
                code="beyond_source_balance",
                field="source_account",
            ) from None
        raise refusal
    except IntegrityError:
        # A twin with the same key committed first: the same request replays it.
        twin = _replay(collective=collective, key=key, request=request)
        if twin is None:  # pragma: no cover -- the key's row is what collided
            raise
        return twin


def _replay(*, collective: Collective, key: str, request: dict[str, object]) -> Payout | None:
    first = Payout.objects.filter(collective=collective, idempotency_key=key).first()
    if first is None:
        return None
    if all(getattr(first, name) == value for name, value in request.items()):
        return first
    raise Conflict(
        f"The idempotency key {key!r} was already used for another payout.",
        code="idempotency_key_reused",
        field="idempotency_key",
    )
