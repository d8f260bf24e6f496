"""The ledger accounts a fund's money lives in, opened on first use.

For a collective ``X``, a fund code ``F`` (``Guarantee``, ``IncomeGap``...)
and a currency ``C``:

- ``Liabilities:Collectives:X:Funds:F:C``: a pooled fund's money (the
  guarantee, the income-gap fund). The split rule's levies are credited
  here (``billing.recipients``: the same name billing uses for a fund no app
  registered, so levies booked before the fund was set up are already its
  own); payouts debit it. It never goes below zero.
- ``Liabilities:Collectives:X:Funds:F:<Handle>-<id>:C``: a member's own
  account inside the sick-pay fund or their savings. Owned by the member's
  ``Participation``; never below zero.

All are liabilities: the collective holds the money for the fund's members.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType

from mutualist.collectives.models import Collective
from mutualist.core.errors import ValidationFailed
from mutualist.ledger.models import Account
from mutualist.ledger.services import account_component, account_name_for, account_open
from mutualist.mutual.models import Fund, Participation

LABELS = {
    "sick_pay": "sick-pay fund",
    "guarantee": "payment guarantee fund",
    "income_gap": "income-gap fund",
    "savings": "savings",
}


def pool_account_name(collective: Collective, code: str, currency: str) -> str:
    return account_name_for(collective, Account.Type.LIABILITIES, "Funds", code, currency)


def pool_account(collective: Collective, code: str, currency: str) -> Account:
    """A pooled fund's money in ``currency`` (opened on first use)."""
    return account_open(
        collective=collective,
        name=pool_account_name(collective, code, currency),
        type=Account.Type.LIABILITIES,
        currency=currency,
        must_not_go_negative=True,
        description=f"The {LABELS.get(code, code.replace('_', ' ') + ' fund')}, {currency}",
    )


def find_pool_account(collective: Collective, code: str, currency: str) -> Account | None:
    """The pooled fund's account in ``currency`` if one was ever opened; opens nothing."""
    return Account.objects.filter(name=pool_account_name(collective, code, currency)).first()


def pool_accounts(fund: Fund) -> list[Account]:
    """Every currency's account of a pooled fund, in currency order."""
    prefix = account_name_for(fund.collective, Account.Type.LIABILITIES, "Funds", fund.code) + ":"
    return [
        account
        for account in Account.objects.filter(
            collective=fund.collective,
            owner_kind=Account.OwnerKind.COLLECTIVE,
            name__startswith=prefix,
        ).order_by("currency")
        # The pool's own accounts end in the currency right after the code.
        if account.name.count(":") == prefix.count(":")
    ]


def member_fund_account(participation: Participation, currency: str) -> Account:
    """The member's own account inside a sick-pay or savings fund (opened on
    first use). Found by owner, so a member who changes their handle keeps
    their account; the name only matters when it is first opened."""
    existing = (
        Account.objects.filter(
            owner_type=ContentType.objects.get_for_model(Participation),
            owner_id=participation.pk,
            currency=currency,
        )
        .order_by("pk")
        .first()
    )
    if existing is not None:
        return existing
    fund = participation.fund
    member = participation.member
    handle = member.profile.handle
    try:
        part = f"{account_component(handle)}-{member.pk}"
    except ValidationFailed:  # a handle of no ASCII letters still gets an account
        part = f"N-{member.pk}"
    return account_open(
        collective=fund.collective,
        name=account_name_for(fund.collective, Account.Type.LIABILITIES, "Funds", fund.code)
        + f":{part}:{currency}",
        type=Account.Type.LIABILITIES,
        currency=currency,
        owner_kind=Account.OwnerKind.FUND,
        owner=participation,
        must_not_go_negative=True,
        description=(f"{member.display_name}'s {LABELS[fund.code]} account, {currency}")[:200],
    )


def member_fund_accounts(participation: Participation) -> list[Account]:
    """Every currency's account of a participation, in currency order."""
    return list(
        Account.objects.filter(
            owner_type=ContentType.objects.get_for_model(Participation),
            owner_id=participation.pk,
        ).order_by("currency")
    )


def balance_minor(account: Account | None) -> int:
    """What a fund account holds, as a positive number of minor units (its
    credit balance: liabilities hold a negative one)."""
    return 0 if account is None else -account.balance_minor
