"""Opening accounts, and the names they carry.

An account's name is also its Beancount name: a root for its type (Assets,
Liabilities, Income, Expenses, Equity) and components that each start with a
capital letter or a digit followed by letters, digits or hyphens.
"""

from __future__ import annotations

import re

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import Model

from mutualist.collectives.models import Collective
from mutualist.core.errors import Conflict, ValidationFailed
from mutualist.core.reference import currency_exponent
from mutualist.ledger.models import Account

# Beancount's grammar for a name component after the root (ASCII subset).
_COMPONENT = re.compile(r"[A-Z0-9][A-Za-z0-9-]*")
_WORDS = re.compile(r"[A-Za-z0-9]+")


def account_component(text: str) -> str:
    """A name component from free text: ``"manila-va"`` becomes ``"ManilaVa"``,
    ``"ana.reyes"`` ``"AnaReyes"``. Letters outside ASCII are dropped, since
    Beancount's older grammar refuses them; an empty result is refused."""
    words = _WORDS.findall(text or "")
    component = "".join(word[:1].upper() + word[1:] for word in words)
    if not component:
        raise ValidationFailed(
            f"{text!r} gives no usable account-name part; use letters or digits.",
            code="invalid_account_name",
            field="name",
        )
    return component


def account_name_validate(name: str, *, type: str) -> str:
    """Refuses a name Beancount would not read, or one whose root does not
    match the account's type (``Assets:...`` for assets)."""
    root = Account.ROOTS.get(Account.Type(type)) if type in Account.Type.values else None
    if root is None:
        raise ValidationFailed(
            f"Unknown account type {type!r}; use one of {', '.join(Account.Type.values)}.",
            code="invalid_account_type",
            field="type",
        )
    parts = (name or "").split(":")
    if parts[0] != root:
        raise ValidationFailed(
            f"A {type} account's name starts with {root}:, not {parts[0]!r}.",
            code="invalid_account_name",
            field="name",
        )
    if len(parts) < 2 or not all(_COMPONENT.fullmatch(part) for part in parts[1:]):
        raise ValidationFailed(
            f"{name!r} is not a valid account name: after {root}: come parts like "
            "Collectives:ManilaVa:Bank, each starting with a capital letter or a digit.",
            code="invalid_account_name",
            field="name",
        )
    if len(name) > Account._meta.get_field("name").max_length:  # type: ignore[operator]
        raise ValidationFailed(
            "That account name is too long.", code="invalid_account_name", field="name"
        )
    return name


def account_open(
    *,
    collective: Collective,
    name: str,
    type: str,
    currency: str,
    owner_kind: str = Account.OwnerKind.COLLECTIVE,
    owner: Model | None = None,
    must_not_go_negative: bool = False,
    description: str = "",
    only_new: bool = False,
) -> Account:
    """Open an account in ``collective``'s books, or return the one already
    open under ``name`` if it matches exactly (so opening is idempotent and
    callers may open on first use). A different account under that name is a
    conflict; with ``only_new`` (a person asking to open one) so is any
    account already under that name, however it was opened."""
    account_name_validate(name, type=type)
    currency = currency.strip().upper()
    currency_exponent(currency)  # refuses an unknown code
    if owner_kind not in Account.OwnerKind.values:
        raise ValidationFailed(
            f"Unknown owner kind {owner_kind!r}.", code="invalid_owner_kind", field="owner_kind"
        )
    if (owner_kind == Account.OwnerKind.COLLECTIVE) != (owner is None):
        raise ValidationFailed(
            "The collective's own accounts have no other owner; every other account names one.",
            code="invalid_owner",
            field="owner",
        )
    owner_type = ContentType.objects.get_for_model(owner) if owner is not None else None
    wanted = {
        "collective_id": collective.pk,
        "type": type,
        "currency": currency,
        "owner_kind": owner_kind,
        "owner_type_id": owner_type.pk if owner_type else None,
        "owner_id": owner.pk if owner is not None else None,
        "must_not_go_negative": must_not_go_negative,
    }
    existing = Account.objects.filter(name=name).first()
    if existing is None:
        try:
            with transaction.atomic():
                return Account.objects.create(name=name, description=description, **wanted)
        except IntegrityError:
            # Opened by someone else between our read and our insert.
            existing = Account.objects.get(name=name)
    if only_new:
        raise Conflict(
            f"The collective already has an account named {name}.",
            code="account_exists",
            field="name",
        )
    if any(getattr(existing, field) != value for field, value in wanted.items()):
        raise Conflict(
            f"An account named {name} already exists with other settings.",
            code="account_exists",
            field="name",
        )
    return existing


def books_component(collective: Collective) -> str:
    """The part of an account name that names a collective's books, one to
    one with its slug (lower-case words joined by hyphens): each word is
    capitalised and the hyphen kept only before a digit, so "manila-va" is
    ManilaVa, while "team-2024" (Team-2024) and "team2024" (Team2024) stay
    apart. Two collectives never share an account name."""
    words = collective.slug.split("-")
    component = words[0][:1].upper() + words[0][1:]
    for word in words[1:]:
        component += ("-" + word) if word[:1].isdigit() else (word[:1].upper() + word[1:])
    if not _COMPONENT.fullmatch(component):
        raise ValidationFailed(
            f"The collective's address {collective.slug!r} gives no account-name part.",
            code="invalid_account_name",
            field="name",
        )
    return component


def account_name_for(collective: Collective, type: str, *parts: str) -> str:
    """The conventional name of an account in ``collective``'s books:
    ``account_name_for(manila, "assets", "Bank", "PHP")`` is
    ``Assets:Collectives:ManilaVa:Bank:PHP``. Parts are made into valid
    components (``account_component``)."""
    root = Account.ROOTS[Account.Type(type)]
    components = [books_component(collective), *(account_component(p) for p in parts)]
    return ":".join([root, "Collectives", *components])
