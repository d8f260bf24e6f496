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
"""

from __future__ import annotations

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
