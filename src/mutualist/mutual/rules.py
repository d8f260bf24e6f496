"""Each fund kind's rules: their defaults, how they are checked, and typed
access to a stored version.

A version's rules are stored as JSON (``FundRules.rules``): decimal amounts
as strings in the fund's currency, everything else as integers, strings and
lists. ``rules_clean(kind, raw)`` checks a whole set (a partial one is
filled from ``base``, the version it amends) and returns the JSON to store,
or raises ``ValidationFailed`` naming the field (``rules.<name>``).
``rules_for(kind, stored)`` gives the typed, frozen view services read.

The sick-pay defaults follow the Dutch bread funds (Broodfonds): eight
tiers of monthly gift, 750 to 2,500 in steps of 250, each with a monthly
deposit of 4.5 % of the gift; a 30-day waiting period; at most 24 months
of gifts; an account capped at 36 monthly deposits, the excess refunded
each January; tier changes and exits on 1 January and 1 July; 20 to 50
members. Amounts are in the fund's currency, so a collective outside the
euro area adjusts them in the proposal that votes its rules in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from mutualist.core.errors import ValidationFailed

MAX_AMOUNT = Decimal("1000000000")
APPROVALS = ("peers", "vote", "automatic")


def _default_tiers() -> list[dict[str, str]]:
    tiers = []
    for step in range(8):
        payout = Decimal(750 + 250 * step)
        deposit = (payout * Decimal("0.045")).quantize(Decimal("0.01"))
        tiers.append({"deposit": str(deposit), "payout": f"{payout:.2f}"})
    return tiers


DEFAULTS: dict[str, dict[str, Any]] = {
    "sick_pay": {
        "tiers": _default_tiers(),
        "waiting_days": 30,
        "max_months": 24,
        "buffer_multiple": 36,
        "refund_month": 1,
        "change_months": [1, 7],
        "min_members": 20,
        "max_members": 50,
        "approval": "peers",
        "approvals_needed": 2,
        "claim_expiry_days": 30,
    },
    "guarantee": {
        "overdue_days": 30,
        "cap_percent": "80",
        "credit_limit_months": "2",
        "history_months": 12,
        "write_off_days": 180,
        "approval": "peers",
        "approvals_needed": 2,
        "claim_expiry_days": 30,
        "partial_payouts": True,
    },
    "income_gap": {
        "floor": "600.00",
        "cap": "300.00",
        "max_months_per_year": 3,
        "min_months_member": 3,
        "approval": "peers",
        "approvals_needed": 1,
        "claim_expiry_days": 30,
        "partial_payouts": False,
    },
    "savings": {
        "percent": "5",
        "withdrawals_per_year": 4,
        "approval": "automatic",
        "approvals_needed": 0,
        "claim_expiry_days": 30,
    },
}

# Which ways of approving each kind allows: savings are the member's own
# money; every pooled payout needs other members to agree.
APPROVALS_ALLOWED = {
    "sick_pay": ("peers", "vote"),
    "guarantee": ("peers", "vote"),
    "income_gap": ("peers", "vote"),
    "savings": ("automatic",),
}


def _fail(field: str, message: str, code: str = "invalid_rules") -> ValidationFailed:
    return ValidationFailed(message, code=code, field=f"rules.{field}")


def _int(raw: Any, field: str, low: int, high: int) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise _fail(field, f"{field.replace('_', ' ').capitalize()} is a whole number.")
    try:
        value = int(raw)
    except ValueError:
        raise _fail(field, f"{field.replace('_', ' ').capitalize()} is a whole number.") from None
    if not low <= value <= high:
        raise _fail(
            field,
            f"{field.replace('_', ' ').capitalize()} is between {low} and {high}; got {value}.",
        )
    return value


def _decimal(raw: Any, field: str, low: Decimal, high: Decimal, places: int = 2) -> str:
    if isinstance(raw, bool | float) or not isinstance(raw, int | str | Decimal):
        raise _fail(field, f"{field.replace('_', ' ').capitalize()} is a decimal number, as text.")
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise _fail(
            field, f"{field.replace('_', ' ').capitalize()} is a number; got {raw!r}."
        ) from None
    if not value.is_finite() or not low <= value <= high:
        raise _fail(
            field, f"{field.replace('_', ' ').capitalize()} is between {low} and {high}; got {raw}."
        )
    quantum = Decimal(1).scaleb(-places)
    if value != value.quantize(quantum):
        raise _fail(field, f"{field.replace('_', ' ').capitalize()} has at most {places} decimals.")
    return str(value.quantize(quantum))


def _bool(raw: Any, field: str) -> bool:
    if not isinstance(raw, bool):
        raise _fail(field, f"{field.replace('_', ' ').capitalize()} is true or false.")
    return raw


def _tiers(raw: Any) -> list[dict[str, str]]:
    if not isinstance(raw, list) or not 1 <= len(raw) <= 12:
        raise _fail("tiers", "Give 1 to 12 tiers, each a deposit and a payout.")
    tiers = []
    for index, tier in enumerate(raw):
        if not isinstance(tier, Mapping) or set(tier) != {"deposit", "payout"}:
            raise _fail(f"tiers.{index}", f"Tier {index + 1} is a deposit and a payout.")
        deposit = _decimal(tier["deposit"], f"tiers.{index}.deposit", Decimal("0.01"), MAX_AMOUNT)
        payout = _decimal(tier["payout"], f"tiers.{index}.payout", Decimal("0.01"), MAX_AMOUNT)
        tiers.append({"deposit": deposit, "payout": payout})
    for lower, higher in zip(tiers, tiers[1:], strict=False):
        if Decimal(higher["payout"]) <= Decimal(lower["payout"]) or Decimal(
            higher["deposit"]
        ) <= Decimal(lower["deposit"]):
            raise _fail("tiers", "Each tier deposits and pays more than the one before it.")
    return tiers


def _months(raw: Any) -> list[int]:
    if not isinstance(raw, list) or not raw:
        raise _fail("change_months", "Name at least one month (1-12) for tier changes and exits.")
    months = sorted({_int(month, "change_months", 1, 12) for month in raw})
    return months


_CLEANERS: dict[str, dict[str, Any]] = {
    "sick_pay": {
        "tiers": _tiers,
        "waiting_days": lambda v: _int(v, "waiting_days", 0, 365),
        "max_months": lambda v: _int(v, "max_months", 1, 120),
        "buffer_multiple": lambda v: _int(v, "buffer_multiple", 1, 240),
        "refund_month": lambda v: _int(v, "refund_month", 1, 12),
        "change_months": _months,
        "min_members": lambda v: _int(v, "min_members", 1, 10_000),
        "max_members": lambda v: _int(v, "max_members", 1, 10_000),
    },
    "guarantee": {
        "overdue_days": lambda v: _int(v, "overdue_days", 1, 365),
        "cap_percent": lambda v: _decimal(v, "cap_percent", Decimal(1), Decimal(100)),
        "credit_limit_months": lambda v: _decimal(
            v, "credit_limit_months", Decimal(0), Decimal(24)
        ),
        "history_months": lambda v: _int(v, "history_months", 1, 60),
        "write_off_days": lambda v: _int(v, "write_off_days", 30, 3650),
        "partial_payouts": lambda v: _bool(v, "partial_payouts"),
    },
    "income_gap": {
        "floor": lambda v: _decimal(v, "floor", Decimal("0.01"), MAX_AMOUNT),
        "cap": lambda v: _decimal(v, "cap", Decimal("0.01"), MAX_AMOUNT),
        "max_months_per_year": lambda v: _int(v, "max_months_per_year", 1, 12),
        "min_months_member": lambda v: _int(v, "min_months_member", 0, 120),
        "partial_payouts": lambda v: _bool(v, "partial_payouts"),
    },
    "savings": {
        "percent": lambda v: _decimal(v, "percent", Decimal(0), Decimal(50)),
        "withdrawals_per_year": lambda v: _int(v, "withdrawals_per_year", 1, 52),
    },
}
_COMMON = {
    "approvals_needed": lambda v: _int(v, "approvals_needed", 0, 20),
    "claim_expiry_days": lambda v: _int(v, "claim_expiry_days", 1, 365),
}


def rules_clean(
    kind: str, raw: Mapping[str, Any], *, base: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The rules to store for a fund of ``kind``: ``raw`` laid over ``base``
    (the version it amends; the defaults when there is none), every field
    checked. Unknown fields are refused, so a typo never passes silently."""
    if kind not in DEFAULTS:
        raise ValidationFailed(
            f"Unknown fund kind {kind!r}.", code="invalid_fund_kind", field="fund"
        )
    if not isinstance(raw, Mapping):
        raise ValidationFailed(
            "The rules are an object of named fields.", code="invalid_rules", field="rules"
        )
    known = set(DEFAULTS[kind])
    unknown = sorted(set(raw) - known)
    if unknown:
        raise _fail(
            unknown[0], f"Unknown rule {unknown[0]!r}; the rules are {', '.join(sorted(known))}."
        )
    merged = {**DEFAULTS[kind], **(base or {}), **raw}
    cleaned: dict[str, Any] = {}
    for name, cleaner in {**_CLEANERS[kind], **_COMMON}.items():
        cleaned[name] = cleaner(merged[name])
    approval = merged["approval"]
    if approval not in APPROVALS_ALLOWED[kind]:
        raise _fail(
            "approval",
            f"Claims on this fund are approved {' or '.join(APPROVALS_ALLOWED[kind])}; "
            f"got {approval!r}.",
        )
    cleaned["approval"] = approval
    if approval == "peers" and cleaned["approvals_needed"] < 1:
        raise _fail("approvals_needed", "Claims approved by peers need at least one approval.")
    if kind == "sick_pay" and cleaned["min_members"] > cleaned["max_members"]:
        raise _fail("min_members", "The smallest group size is not above the largest.")
    if kind == "income_gap" and Decimal(cleaned["cap"]) > Decimal(cleaned["floor"]):
        raise _fail("cap", "A top-up is at most the floor it tops up to.")
    return {name: cleaned[name] for name in DEFAULTS[kind]}


# --- Typed views --------------------------------------------------------------------------


@dataclass(frozen=True)
class Tier:
    deposit: Decimal
    payout: Decimal


@dataclass(frozen=True)
class Common:
    approval: str
    approvals_needed: int
    claim_expiry_days: int


@dataclass(frozen=True)
class SickPayRules(Common):
    tiers: tuple[Tier, ...]
    waiting_days: int
    max_months: int
    buffer_multiple: int
    refund_month: int
    change_months: tuple[int, ...]
    min_members: int
    max_members: int


@dataclass(frozen=True)
class GuaranteeRules(Common):
    overdue_days: int
    cap_percent: Decimal
    credit_limit_months: Decimal
    history_months: int
    write_off_days: int
    partial_payouts: bool


@dataclass(frozen=True)
class IncomeGapRules(Common):
    floor: Decimal
    cap: Decimal
    max_months_per_year: int
    min_months_member: int
    partial_payouts: bool


@dataclass(frozen=True)
class SavingsRules(Common):
    percent: Decimal
    withdrawals_per_year: int


AnyRules = SickPayRules | GuaranteeRules | IncomeGapRules | SavingsRules


def _common(stored: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "approval": stored["approval"],
        "approvals_needed": int(stored["approvals_needed"]),
        "claim_expiry_days": int(stored["claim_expiry_days"]),
    }


def rules_for(kind: str, stored: Mapping[str, Any]) -> AnyRules:
    """The typed rules of a stored version (``FundRules.rules``)."""
    if kind == "sick_pay":
        return SickPayRules(
            **_common(stored),
            tiers=tuple(Tier(Decimal(t["deposit"]), Decimal(t["payout"])) for t in stored["tiers"]),
            waiting_days=int(stored["waiting_days"]),
            max_months=int(stored["max_months"]),
            buffer_multiple=int(stored["buffer_multiple"]),
            refund_month=int(stored["refund_month"]),
            change_months=tuple(int(m) for m in stored["change_months"]),
            min_members=int(stored["min_members"]),
            max_members=int(stored["max_members"]),
        )
    if kind == "guarantee":
        return GuaranteeRules(
            **_common(stored),
            overdue_days=int(stored["overdue_days"]),
            cap_percent=Decimal(stored["cap_percent"]),
            credit_limit_months=Decimal(stored["credit_limit_months"]),
            history_months=int(stored["history_months"]),
            write_off_days=int(stored["write_off_days"]),
            partial_payouts=bool(stored["partial_payouts"]),
        )
    if kind == "income_gap":
        return IncomeGapRules(
            **_common(stored),
            floor=Decimal(stored["floor"]),
            cap=Decimal(stored["cap"]),
            max_months_per_year=int(stored["max_months_per_year"]),
            min_months_member=int(stored["min_months_member"]),
            partial_payouts=bool(stored["partial_payouts"]),
        )
    if kind == "savings":
        return SavingsRules(
            **_common(stored),
            percent=Decimal(stored["percent"]),
            withdrawals_per_year=int(stored["withdrawals_per_year"]),
        )
    raise ValueError(f"unknown fund kind {kind!r}")


# Labels for describing rules on pages, in the API docs and in proposals.
LABELS: dict[str, str] = {
    "tiers": "Tiers (monthly deposit → monthly gift)",
    "waiting_days": "Waiting period (days)",
    "max_months": "Longest sick-pay period (months)",
    "buffer_multiple": "Account cap (monthly deposits)",
    "refund_month": "Excess refunded in month",
    "change_months": "Tier changes and exits on the 1st of",
    "min_members": "Fewest members",
    "max_members": "Most members",
    "overdue_days": "Claimable when overdue by (days)",
    "cap_percent": "Pays at most (% of the members' unpaid shares)",
    "credit_limit_months": "Credit limit (months of the client's average payments)",
    "history_months": "Payment history looked at (months)",
    "write_off_days": "Write-off vote possible after (days overdue)",
    "partial_payouts": "Pays part when the fund is short",
    "floor": "Income floor per month",
    "cap": "Largest top-up per month",
    "max_months_per_year": "Top-ups per year, at most",
    "min_months_member": "Months of membership before a first claim",
    "percent": "Saved from each of your shares (%)",
    "withdrawals_per_year": "Withdrawals per year, at most",
    "approval": "Claims approved",
    "approvals_needed": "Approvals needed",
    "claim_expiry_days": "Undecided claims expire after (days)",
}
