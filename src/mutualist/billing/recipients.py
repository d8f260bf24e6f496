"""Where each recipient of the split rule is paid in the books.

The treasury, the tax collected and the members are billing's own. Every
other recipient of a bylaws split rule is a fund, which the funds app
brings: it registers, for its code (``sick_pay``, ``guarantee``...), the
account a levy is credited to. A code no app has registered (a rule adopted
before its fund exists) is credited to a plain
``Liabilities:Collectives:X:Funds:<Code>:C`` account, so no levy is ever
lost or refused; the fund can take it over when it arrives.

A member's share of a payment may also be partly sent elsewhere before it
reaches their payable: apps above billing register *share diverters*
(``share_diverter_register``), for instance the guarantee fund taking back
what it advanced on an unpaid invoice, or a member's savings. Billing knows
nothing of what they are for; it asks each, in order, how much of what is
left of the member's part it takes and to which account, credits those
accounts instead of the payable, and records each as a
``PaymentDiversion``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from django.core.exceptions import ImproperlyConfigured

from mutualist.billing.accounts import member_account, tax_account, treasury_account
from mutualist.billing.split import MEMBER_PREFIX, TAX, TREASURY
from mutualist.collectives.models import Collective
from mutualist.core.money import Money
from mutualist.ledger.models import Account
from mutualist.ledger.services import account_name_for, account_open
from mutualist.members.models import User

if TYPE_CHECKING:
    from mutualist.billing.models import Invoice

AccountFor = Callable[[Collective, str], Account]


@dataclass(frozen=True)
class FundRecipient:
    code: str
    label: str
    account_for: AccountFor


_funds: dict[str, FundRecipient] = {}


def fund_recipient_register(code: str, *, label: str, account_for: AccountFor) -> FundRecipient:
    """Register the account a fund's levy goes to. Registering the same
    function again is a no-op; another under a taken code is an error."""
    existing = _funds.get(code)
    if existing is not None:
        if existing.account_for is account_for:
            return existing
        raise ImproperlyConfigured(f"The split recipient {code!r} is already registered.")
    recipient = FundRecipient(code=code, label=label, account_for=account_for)
    _funds[code] = recipient
    return recipient


def fund_label(code: str) -> str:
    found = _funds.get(code)
    return found.label if found else code.replace("_", " ").capitalize() + " fund"


def _unregistered_fund_account(collective: Collective, code: str, currency: str) -> Account:
    return account_open(
        collective=collective,
        name=account_name_for(collective, Account.Type.LIABILITIES, "Funds", code, currency),
        type=Account.Type.LIABILITIES,
        currency=currency,
        # A fund's money never goes below zero (DESIGN.md, ledger rule 4);
        # only levies reach it before its app takes it over.
        must_not_go_negative=True,
        description=f"Levies for the {fund_label(code).lower()}, {currency}",
    )


def recipient_account(
    collective: Collective, key: str, currency: str, *, members: dict[int, User]
) -> Account | None:
    """The account a share under ``key`` is credited to; ``None`` for tax,
    which stays in the tax account the invoice credited at issue."""
    if key == TAX:
        return None
    if key == TREASURY:
        return treasury_account(collective, currency)
    if key.startswith(MEMBER_PREFIX):
        return member_account(collective, members[int(key.removeprefix(MEMBER_PREFIX))], currency)
    found = _funds.get(key)
    if found is not None:
        return found.account_for(collective, currency)
    return _unregistered_fund_account(collective, key, currency)


# --- Share diverters -------------------------------------------------------------------------

MAX_REASON = 40


@dataclass(frozen=True, slots=True)
class Diversion:
    """Part of a member's share sent to ``account`` instead of their payable,
    for ``reason`` (a short code: ``guarantee_refill``, ``savings``)."""

    account: Account
    amount: Money
    reason: str


class ShareDiverter(Protocol):
    """``on`` is the day the payment was received: a diverter applies the
    rules in force that day."""

    def __call__(
        self, *, invoice: Invoice, member: User, amount: Money, on: dt.date
    ) -> list[Diversion]: ...


@dataclass(frozen=True)
class RegisteredDiverter:
    name: str
    fn: ShareDiverter
    order: int


_diverters: dict[str, RegisteredDiverter] = {}


def share_diverter_register(name: str, fn: ShareDiverter, *, order: int) -> RegisteredDiverter:
    """Register ``fn`` to be asked, for each member part of every payment,
    how much of it goes elsewhere (see ``divert_member_part``). Diverters
    run by ``order``, then name. Registering the same function again is a
    no-op; another under a taken name is an error."""
    existing = _diverters.get(name)
    if existing is not None:
        if existing.fn is fn and existing.order == order:
            return existing
        raise ImproperlyConfigured(f"The share diverter {name!r} is already registered.")
    diverter = RegisteredDiverter(name=name, fn=fn, order=order)
    _diverters[name] = diverter
    return diverter


def share_diverter_unregister(name: str) -> None:
    """Forget a diverter (for tests that register their own)."""
    _diverters.pop(name, None)


def share_diverters() -> list[RegisteredDiverter]:
    return sorted(_diverters.values(), key=lambda d: (d.order, d.name))


def divert_member_part(
    *, invoice: Invoice, member: User, amount: Money, on: dt.date
) -> list[Diversion]:
    """What of ``member``'s part ``amount`` of a payment on ``invoice``,
    received ``on`` (the day whose rules a diverter applies), the
    registered diverters take, in their order, each seeing what is left
    after the ones before it. Zero diversions are dropped (no zero
    postings). Called by ``payment_record`` inside its transaction, under
    the invoice's row lock, so a diverter may lock and update its own rows.

    A diverter that takes more than is left, a negative amount, another
    currency or an account of another collective is a programming error
    (``ValueError``): the payment is refused rather than booked wrongly."""
    taken: list[Diversion] = []
    left = amount
    for diverter in share_diverters():
        if left.is_zero():
            break
        for diversion in diverter.fn(invoice=invoice, member=member, amount=left, on=on):
            if not isinstance(diversion, Diversion) or not isinstance(diversion.amount, Money):
                raise TypeError(f"The share diverter {diverter.name!r} returns Diversion values.")
            if diversion.amount.is_zero():
                continue
            if diversion.amount.currency != amount.currency:
                raise ValueError(
                    f"The share diverter {diverter.name!r} took {diversion.amount} of a part "
                    f"in {amount.currency}."
                )
            if diversion.account.currency != amount.currency:
                raise ValueError(
                    f"The share diverter {diverter.name!r} sends {amount.currency} to "
                    f"{diversion.account.name}, which holds {diversion.account.currency}."
                )
            if diversion.account.collective_id != invoice.collective_id:
                raise ValueError(
                    f"The share diverter {diverter.name!r} sends money out of the collective's "
                    "books."
                )
            if not 0 < len(diversion.reason) <= MAX_REASON:
                raise ValueError(
                    f"The share diverter {diverter.name!r} gives a reason of 1 to "
                    f"{MAX_REASON} characters."
                )
            if diversion.amount.amount < 0 or diversion.amount > left:
                raise ValueError(
                    f"The share diverter {diverter.name!r} took {diversion.amount} of the "
                    f"{left} left of the member's part."
                )
            left = left - diversion.amount
            taken.append(diversion)
    return taken


# --- Credit guards ---------------------------------------------------------------------------

CreditGuard = Callable[["Invoice"], None]
_credit_guards: dict[str, CreditGuard] = {}


def credit_guard_register(name: str, fn: CreditGuard) -> None:
    """Register ``fn(invoice)``, asked before a credit note is issued on
    ``invoice`` (under its row lock): it raises a ``DomainError`` to refuse
    (a fund that paid the members for the invoice decides by vote whether it
    is written off). Registering the same function again is a no-op."""
    existing = _credit_guards.get(name)
    if existing is not None and existing is not fn:
        raise ImproperlyConfigured(f"The credit guard {name!r} is already registered.")
    _credit_guards[name] = fn


def credit_guards_check(invoice: Invoice) -> None:
    """Ask every registered credit guard about crediting ``invoice``."""
    for name in sorted(_credit_guards):
        _credit_guards[name](invoice)


__all__ = [
    "CreditGuard",
    "Diversion",
    "RegisteredDiverter",
    "ShareDiverter",
    "credit_guard_register",
    "credit_guards_check",
    "divert_member_part",
    "fund_label",
    "fund_recipient_register",
    "recipient_account",
    "share_diverter_register",
    "share_diverter_unregister",
    "share_diverters",
    "tax_account",
]
