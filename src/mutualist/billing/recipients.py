"""Where each recipient of the split rule is paid in the books.

The treasury, the tax collected and the members are billing's own. Every
other recipient of a bylaws split rule is a fund, which the funds app
brings: it registers, for its code (``sick_pay``, ``guarantee``...), the
account a levy is credited to. A code no app has registered (a rule adopted
before its fund exists) is credited to a plain
``Liabilities:Collectives:X:Funds:<Code>:C`` account, so no levy is ever
lost or refused; the fund can take it over when it arrives.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

from mutualist.billing.accounts import member_account, tax_account, treasury_account
from mutualist.billing.split import MEMBER_PREFIX, TAX, TREASURY
from mutualist.collectives.models import Collective
from mutualist.ledger.models import Account
from mutualist.ledger.services import account_name_for, account_open
from mutualist.members.models import User

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


__all__ = ["fund_label", "fund_recipient_register", "recipient_account", "tax_account"]
