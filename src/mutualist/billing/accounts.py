"""The ledger accounts billing posts to, opened on first use.

For a collective ``X`` and a currency ``C`` (the invoice's):

- ``Assets:Collectives:X:Receivable:<Client>:C``: what a client owes
  (debited when an invoice is issued, credited as it is paid or credited);
- ``Liabilities:Collectives:X:Invoiced:C``: invoiced work not yet shared
  out; credited at issue with the invoice's net amount, debited as each
  payment is split;
- ``Liabilities:Collectives:X:Tax:C``: tax invoiced, owed to the tax office;
- ``Income:Collectives:X:Treasury:C``: the treasury's share of payments;
- ``Liabilities:Collectives:X:Members:<Handle>:C``: what the collective
  owes a member (their shares, less payouts); it never goes below zero;
- ``Liabilities:Collectives:X:ClientCredit:<Client>:C``: money a client
  paid beyond what it owed, held for it; never below zero;
- ``Assets:Collectives:X:Bank:C``: where a payment lands when the
  coordinator names no account of their own.

Accounts with an owner are found by owner (a renamed client or member keeps
their account); the name only matters when one is first opened.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model

from mutualist.collectives.models import Collective
from mutualist.core.errors import ValidationFailed
from mutualist.ledger.models import Account
from mutualist.ledger.services import account_component, account_name_for, account_open
from mutualist.members.models import User
from mutualist.work.models import Client


def _collective_account(
    collective: Collective, type: str, part: str, currency: str, description: str
) -> Account:
    return account_open(
        collective=collective,
        name=account_name_for(collective, type, part, currency),
        type=type,
        currency=currency,
        description=description,
    )


def invoiced_account(collective: Collective, currency: str) -> Account:
    return _collective_account(
        collective,
        Account.Type.LIABILITIES,
        "Invoiced",
        currency,
        f"Invoiced work not yet shared out, {currency}",
    )


def tax_account(collective: Collective, currency: str) -> Account:
    return _collective_account(
        collective, Account.Type.LIABILITIES, "Tax", currency, f"Tax invoiced, {currency}"
    )


def treasury_account(collective: Collective, currency: str) -> Account:
    return _collective_account(
        collective,
        Account.Type.INCOME,
        "Treasury",
        currency,
        f"The treasury's share of payments, {currency}",
    )


def default_deposit_account(collective: Collective, currency: str) -> Account:
    return _collective_account(
        collective, Account.Type.ASSETS, "Bank", currency, f"Payments received, {currency}"
    )


def _owned_account(
    *,
    collective: Collective,
    type: str,
    group: str,
    owner: Model,
    owner_kind: str,
    label: str,
    currency: str,
    description: str,
    must_not_go_negative: bool,
) -> Account:
    prefix = account_name_for(collective, type, group) + ":"
    owner_type = ContentType.objects.get_for_model(owner)
    existing = (
        Account.objects.filter(
            collective=collective,
            owner_type=owner_type,
            owner_id=owner.pk,
            currency=currency,
            name__startswith=prefix,
        )
        .order_by("pk")
        .first()
    )
    if existing is not None:
        return existing
    try:
        part = f"{account_component(label)}-{owner.pk}"
    except ValidationFailed:  # a name of no ASCII letters still gets an account
        part = f"N-{owner.pk}"
    return account_open(
        collective=collective,
        name=f"{prefix}{part}:{currency}",
        type=type,
        currency=currency,
        owner_kind=owner_kind,
        owner=owner,
        must_not_go_negative=must_not_go_negative,
        description=description[:200],
    )


def receivable_account(collective: Collective, client: Client, currency: str) -> Account:
    return _owned_account(
        collective=collective,
        type=Account.Type.ASSETS,
        group="Receivable",
        owner=client,
        owner_kind=Account.OwnerKind.CLIENT,
        label=client.name,
        currency=currency,
        description=f"Owed by {client.name}, {currency}",
        must_not_go_negative=False,
    )


def client_credit_account(collective: Collective, client: Client, currency: str) -> Account:
    return _owned_account(
        collective=collective,
        type=Account.Type.LIABILITIES,
        group="ClientCredit",
        owner=client,
        owner_kind=Account.OwnerKind.CLIENT,
        label=client.name,
        currency=currency,
        description=f"Held for {client.name}: paid beyond what it owed, {currency}",
        must_not_go_negative=True,
    )


def member_account(collective: Collective, member: User, currency: str) -> Account:
    """What the collective owes ``member`` in ``currency``: shares in, payouts out."""
    return _owned_account(
        collective=collective,
        type=Account.Type.LIABILITIES,
        group="Members",
        owner=member,
        owner_kind=Account.OwnerKind.MEMBER,
        label=member.profile.handle,
        currency=currency,
        description=f"Owed to {member.display_name}, {currency}",
        must_not_go_negative=True,
    )


def find_member_account(collective: Collective, member: User, currency: str) -> Account | None:
    """The member's payable in ``currency`` if one was ever opened; opens nothing."""
    return (
        Account.objects.filter(
            collective=collective,
            owner_type=ContentType.objects.get_for_model(User),
            owner_id=member.pk,
            owner_kind=Account.OwnerKind.MEMBER,
            currency=currency,
            name__startswith=account_name_for(collective, Account.Type.LIABILITIES, "Members")
            + ":",
        )
        .order_by("pk")
        .first()
    )
