"""How a payment is shared out: exact, in minor units, with no drift.

Pure arithmetic on ``Money`` (no database), so it can be tested by brute
force and with Hypothesis.

1. ``split_targets`` fixes, for an invoice's whole amount, what each
   recipient is owed: the tax invoiced; then of the net, each percentage
   share of the split rule (the treasury, each fund's levy), and what is left
   to the members in proportion to their weights (what their lines bill, or
   their pay for them). Both steps use ``allocate`` (largest remainder), so
   the targets add up to the invoice's total exactly.
2. ``payment_parts`` divides one payment among the recipients in
   proportion to what each is still owed (target less what earlier payments
   gave them). No part is negative or more than is still owed, and the
   payment that settles the invoice brings every recipient exactly to their
   target: partial payments never drift by a cent.
3. A credit note takes its amount off the targets the same way
   (``credit_split``, ``credit_parts``): its tax off the tax, its net off
   the others in proportion to what each is still owed. So no target ever
   falls below what a recipient was already given, and after any mix of
   payments and credit notes (``targets_after``) the settling payment
   still brings each recipient exactly to its target.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from mutualist.core.money import Money, allocate

HUNDRED = Decimal(100)
TAX = "tax"
TREASURY = "treasury"
MEMBER_PREFIX = "member:"


def member_key(user_id: int) -> str:
    return f"{MEMBER_PREFIX}{user_id}"


def recipient_of(key: str) -> str:
    """The kind of recipient a key names: member, treasury, tax or fund."""
    if key.startswith(MEMBER_PREFIX):
        return "member"
    if key in (TAX, TREASURY):
        return key
    return "fund"


@dataclass(frozen=True, slots=True)
class Target:
    key: str
    amount: Money


def split_targets(
    *,
    net: Money,
    tax: Money,
    percentages: Mapping[str, Decimal],
    member_weights: Mapping[int, int],
) -> list[Target]:
    """What each recipient is owed out of the whole invoice (``net + tax``).

    ``percentages`` maps the split rule's recipients (``treasury``, fund
    codes) to a percentage of the net (together at most 100);
    ``member_weights`` maps member ids to a non-negative weight. When no
    member has a weight above zero, the members' part goes to the treasury.
    Returns targets in a fixed order (tax, treasury, funds by code, members
    by id), zero amounts left out; they sum to ``net + tax``.
    """
    if net.currency != tax.currency:
        raise ValueError("net and tax are in one currency")
    if net.amount < 0 or tax.amount < 0:
        raise ValueError("net and tax are not negative")
    codes = sorted(code for code in percentages if code != TREASURY)
    ordered = [TREASURY, *codes]
    shares = [Decimal(percentages.get(code, 0)) for code in ordered]
    if any(share < 0 for share in shares) or sum(shares) > HUNDRED:
        raise ValueError("percentages are between 0 and 100 and add up to at most 100")
    rest = HUNDRED - sum(shares)
    parts: dict[str, Money] = {TAX: tax}
    if net.is_zero():
        pieces = [Money(0, net.currency)] * (len(ordered) + 1)
    else:
        pieces = allocate(net, [*shares, rest])
    for code, piece in zip(ordered, pieces[:-1], strict=True):
        parts[code] = piece
    members_part = pieces[-1]
    members = sorted(user_id for user_id, weight in member_weights.items() if weight > 0)
    if any(weight < 0 for weight in member_weights.values()):
        raise ValueError("member weights are not negative")
    if members and not members_part.is_zero():
        for user_id, piece in zip(
            members,
            allocate(members_part, [member_weights[user_id] for user_id in members]),
            strict=True,
        ):
            parts[member_key(user_id)] = piece
    elif not members_part.is_zero():
        parts[TREASURY] = parts[TREASURY] + members_part
    return [Target(key, amount) for key, amount in parts.items() if not amount.is_zero()]


def payment_parts(
    *, targets: Sequence[Target], already: Mapping[str, int], amount: Money
) -> list[Target]:
    """Divide ``amount`` among ``targets`` in proportion to what each is
    still owed after ``already`` (minor units given so far, by key).

    ``amount`` may not be more than what is still owed in all. The parts sum
    to ``amount``; each is between zero and what its recipient is still
    owed; when ``amount`` is all that is still owed, each recipient gets
    exactly the rest of its target. Zero parts are left out.
    """
    if amount.amount <= 0:
        raise ValueError("a payment is above zero")
    remaining = [max(0, t.amount.minor_units - already.get(t.key, 0)) for t in targets]
    owed = sum(remaining)
    if amount.minor_units > owed:
        raise ValueError("a payment is not more than is still owed")
    if owed == 0:  # pragma: no cover -- refused just above, for amount > 0
        return []
    pieces = allocate(amount, remaining)
    return [
        Target(target.key, piece)
        for target, piece in zip(targets, pieces, strict=True)
        if not piece.is_zero()
    ]


@dataclass(frozen=True, slots=True)
class Credit:
    """A credit note in an invoice's history: the net and the tax it takes off."""

    net: Money
    tax: Money


def _still_owed(targets: Sequence[Target], already: Mapping[str, int]) -> dict[str, int]:
    return {t.key: max(0, t.amount.minor_units - already.get(t.key, 0)) for t in targets}


def credit_split(
    *,
    amount: Money,
    invoice_net: Money,
    invoice_tax: Money,
    targets: Sequence[Target],
    already: Mapping[str, int],
) -> Credit:
    """The net and the tax of a credit note of ``amount`` on an invoice of
    ``invoice_net`` + ``invoice_tax`` whose recipients are owed ``targets``
    and were given ``already``.

    The tax is the invoice's own proportion of the amount (``allocate``, so
    a 10 % invoice's credit of 100.00 is 90.91 + 9.09), moved only as far
    as it takes to stay within what is still owed: never more tax than the
    tax recipient is still owed, never more net than the others are. (A
    credit of everything unpaid takes exactly what each is still owed, which
    earlier payments' rounding may have moved a few units off the invoice's
    proportion.)
    ``amount`` is above zero and at most what is still owed in all.
    """
    if amount.amount <= 0:
        raise ValueError("a credit is above zero")
    owed = _still_owed(targets, already)
    tax_owed = owed.get(TAX, 0)
    net_owed = sum(minor for key, minor in owed.items() if key != TAX)
    minor = amount.minor_units
    if minor > tax_owed + net_owed:
        raise ValueError("a credit is not more than is still owed")
    if invoice_tax.is_zero():
        proportional = 0
    elif invoice_net.is_zero():
        proportional = minor
    else:
        proportional = allocate(amount, [invoice_net.minor_units, invoice_tax.minor_units])[
            1
        ].minor_units
    tax = min(max(proportional, minor - net_owed, 0), tax_owed)
    currency = amount.currency
    return Credit(net=Money.from_minor(minor - tax, currency), tax=Money.from_minor(tax, currency))


def credit_parts(
    *, targets: Sequence[Target], already: Mapping[str, int], credit: Credit
) -> list[Target]:
    """What ``credit`` takes off each target: its tax off the tax, its net
    off the other recipients in proportion to what each is still owed
    (``payment_parts``). No part is more than its recipient is still owed."""
    owed = _still_owed(targets, already)
    if credit.tax.minor_units > owed.get(TAX, 0):
        raise ValueError("a credit takes no more tax than is still owed")
    parts = [Target(TAX, credit.tax)] if not credit.tax.is_zero() else []
    if not credit.net.is_zero():
        parts += payment_parts(
            targets=[t for t in targets if t.key != TAX], already=already, amount=credit.net
        )
    return parts


def targets_less(targets: Sequence[Target], parts: Sequence[Target]) -> list[Target]:
    """``targets`` with ``parts`` taken off, zero targets left out."""
    taken = {part.key: part.amount for part in parts}
    left = [Target(t.key, t.amount - taken[t.key]) if t.key in taken else t for t in targets]
    return [t for t in left if not t.amount.is_zero()]


def targets_after(
    *, targets: Sequence[Target], history: Sequence[Mapping[str, int] | Credit]
) -> list[Target]:
    """The targets of an invoice once its credit notes are taken off.

    ``history`` is the invoice's payments (minor units given, by key) and
    credit notes, in the order they were booked; each credit note's parts
    depend on what earlier payments gave (``credit_parts``). The result adds
    up to the whole less the credits, and no target is below what its
    recipient has been given.
    """
    current = list(targets)
    given: dict[str, int] = defaultdict(int)
    for event in history:
        if isinstance(event, Credit):
            current = targets_less(
                current, credit_parts(targets=current, already=given, credit=event)
            )
        else:
            for key, minor in event.items():
                given[key] += minor
    return current
