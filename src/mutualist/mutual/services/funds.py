"""Setting a fund up and changing its rules: always through a passed proposal.

A coordinator sets a fund up (``fund_setup``): the fund is created in the
``setting_up`` state and a ``fund_rule_change`` proposal puts its first rules
to the members' vote. Any member may later propose new rules
(``fund_rules_propose``). When such a proposal passes, governance calls
``fund_rules_enact`` (through the handler in ``mutual.handlers``), which
writes the next version and activates the fund. Nothing else writes rules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from mutualist.collectives.models import Collective, Membership
from mutualist.core.errors import Conflict, PermissionDenied, ValidationFailed
from mutualist.governance.models import Proposal
from mutualist.governance.services import proposal_create
from mutualist.governance.services.proposals import CLOSES_AT_MAX_DAYS
from mutualist.members.models import User
from mutualist.mutual.models import Fund, FundRules
from mutualist.mutual.rules import DEFAULTS, rules_clean

# How long members have to vote a fund's rules in when no closing time is given.
DEFAULT_VOTE_DAYS = 7
KIND_NAMES = dict(Fund.Kind.choices)
# How a sentence names each fund ("the sick-pay fund").
FUND_NAMES = {
    Fund.Kind.SICK_PAY: "sick-pay fund",
    Fund.Kind.GUARANTEE: "payment guarantee fund",
    Fund.Kind.INCOME_GAP: "income-gap fund",
    Fund.Kind.SAVINGS: "savings fund",
}


def fund_name(kind: str) -> str:
    return FUND_NAMES.get(Fund.Kind(kind), f"{kind} fund")


def require_member(*, collective: Collective, user: User, field: str | None = None) -> Membership:
    """The user's active membership of ``collective``; ``not_a_member`` otherwise."""
    membership = Membership.objects.filter(
        collective=collective, user=user, state=Membership.State.ACTIVE, user__is_active=True
    ).first()
    if membership is None:
        raise PermissionDenied(
            f"Only active members of {collective.name} can do that.",
            code="not_a_member",
            field=field,
        )
    return membership


def require_coordinator(*, collective: Collective, user: User) -> Membership:
    membership = require_member(collective=collective, user=user)
    if membership.role != Membership.Role.COORDINATOR:
        raise PermissionDenied(
            "Only a coordinator of this collective can do that.", code="not_coordinator"
        )
    return membership


def rules_in_force(*, fund: Fund, on: dt.date) -> FundRules | None:
    """The version of ``fund``'s rules in force on ``on``: of the versions
    effective by then, the latest decided. A later decision overrides an
    earlier one from its effective date, even one the earlier decision
    dated later (a first version voted in for the 1st, amended by a second
    vote for the 27th before: from the 27th, the second stands)."""
    return FundRules.objects.filter(fund=fund, effective_from__lte=on).order_by("-version").first()


def rules_in_force_or_refuse(*, fund: Fund, on: dt.date) -> FundRules:
    found = rules_in_force(fund=fund, on=on)
    if found is None:
        raise Conflict(
            f"The {fund_name(fund.kind)} has no rules in force on "
            f"{on.isoformat()}: its members have not voted them in yet.",
            code="no_rules",
        )
    return found


def newest_rules(*, fund: Fund) -> FundRules | None:
    """The newest version, in force or not yet (a change effective next month)."""
    return FundRules.objects.filter(fund=fund).order_by("-version").first()


def _kind(kind: str) -> str:
    if kind not in Fund.Kind.values:
        raise ValidationFailed(
            f"A fund is one of {', '.join(Fund.Kind.values)}; got {kind!r}.",
            code="invalid_fund_kind",
            field="kind",
        )
    return kind


def _closes_at(closes_at: dt.datetime | None) -> dt.datetime:
    """The vote's closing time, checked as governance checks it before any
    date is worked out from it (a year 9999 would overflow)."""
    if closes_at is not None and timezone.is_naive(closes_at):
        raise ValidationFailed(
            "The closing time needs a time zone.", code="closes_at_naive", field="closes_at"
        )
    if closes_at is not None and closes_at > timezone.now() + dt.timedelta(days=CLOSES_AT_MAX_DAYS):
        raise ValidationFailed(
            "The closing time must be within a year.", code="closes_at_too_late", field="closes_at"
        )
    return closes_at or timezone.now() + dt.timedelta(days=DEFAULT_VOTE_DAYS)


def _rules_title(fund: Fund, *, first: bool) -> str:
    name = fund_name(fund.kind)
    return f"Rules for the {name}" if first else f"New rules for the {name}"


def fund_setup(
    *,
    collective: Collective,
    actor: User,
    kind: str,
    rules: Mapping[str, Any] | None = None,
    effective_from: dt.date | None = None,
    closes_at: dt.datetime | None = None,
    body: str = "",
) -> Proposal:
    """Set a fund of ``kind`` up in ``collective`` and put its first rules
    (``rules`` over the kind's defaults) to the members' vote.

    Coordinators only. The fund holds the collective's base currency. It
    takes no deposits or claims until the proposal passes. Refuses a second
    fund of the same kind (``fund_exists``) unless the first one's rules
    vote failed and no other is open, in which case a new vote is opened.
    ``effective_from`` defaults to the day after the vote closes.
    """
    require_coordinator(collective=collective, user=actor)
    kind = _kind(kind)
    rules_clean(kind, rules or {})  # refuse bad rules before anything is written
    closes = _closes_at(closes_at)
    with transaction.atomic():
        fund = (
            Fund.objects.select_for_update(no_key=True)
            .filter(collective=collective, kind=kind)
            .first()
        )
        if fund is not None:
            if fund.state == Fund.State.ACTIVE:
                raise Conflict(
                    f"{collective.name} already has its {fund_name(kind)}.",
                    code="fund_exists",
                    field="kind",
                )
        else:
            try:
                with transaction.atomic():
                    fund = Fund.objects.create(
                        collective=collective,
                        kind=kind,
                        currency=collective.base_currency,
                        created_by=actor,
                    )
            except IntegrityError:
                raise Conflict(
                    f"{collective.name} set up its {fund_name(kind)} a moment ago.",
                    code="fund_exists",
                    field="kind",
                ) from None
        return proposal_create(
            collective=collective,
            author=actor,
            kind=Proposal.Kind.FUND_RULE_CHANGE,
            title=_rules_title(fund, first=True),
            body=body,
            payload={
                "fund": kind,
                "effective_from": (
                    effective_from or timezone.localdate(closes) + dt.timedelta(days=1)
                ).isoformat(),
                "rules": dict(rules or {}),
            },
            closes_at=closes,
        )


def fund_rules_propose(
    *,
    fund: Fund,
    author: User,
    rules: Mapping[str, Any],
    effective_from: dt.date,
    closes_at: dt.datetime | None = None,
    title: str = "",
    body: str = "",
) -> Proposal:
    """Put new rules for ``fund`` to the vote (any active member). ``rules``
    names only what changes; the rest is kept from the newest version."""
    return proposal_create(
        collective=fund.collective,
        author=author,
        kind=Proposal.Kind.FUND_RULE_CHANGE,
        title=title or _rules_title(fund, first=fund.state == Fund.State.SETTING_UP),
        body=body,
        payload={
            "fund": fund.kind,
            "effective_from": effective_from.isoformat(),
            "rules": dict(rules),
        },
        closes_at=_closes_at(closes_at),
    )


def rule_change_validate(
    *, collective: Collective, payload: Mapping[str, Any], closes_at: dt.datetime
) -> dict[str, Any]:
    """The payload a ``fund_rule_change`` proposal stores: the fund's kind,
    the effective date, and the WHOLE new rules (the changes laid over the
    newest version, or over the defaults for a first version)."""
    unknown = sorted(set(payload) - {"fund", "effective_from", "rules"})
    if unknown:
        raise ValidationFailed(
            f"Unknown field {unknown[0]!r}; a rule change names fund, effective_from and rules.",
            code="invalid_payload",
            field=unknown[0],
        )
    kind = payload.get("fund")
    if not isinstance(kind, str) or kind not in Fund.Kind.values:
        raise ValidationFailed(
            f"Name the fund: one of {', '.join(Fund.Kind.values)}.",
            code="invalid_fund_kind",
            field="fund",
        )
    fund = Fund.objects.filter(collective=collective, kind=kind).first()
    if fund is None:
        raise ValidationFailed(
            f"{collective.name} has no {fund_name(kind)}; a coordinator sets it up.",
            code="fund_not_found",
            field="fund",
        )
    # Each proposal carries the whole new rules, computed from the newest
    # version: two open at once would each silently undo the other's change.
    if Proposal.objects.filter(
        collective=collective,
        kind=Proposal.Kind.FUND_RULE_CHANGE,
        state=Proposal.State.OPEN,
        payload__fund=kind,
    ).exists():
        raise Conflict(
            f"The members are already voting on rules for the {fund_name(kind)}; "
            "propose yours once that vote has closed.",
            code="rules_vote_open",
            field="fund",
        )
    raw_date = payload.get("effective_from")
    try:
        effective_from = dt.date.fromisoformat(str(raw_date))
    except ValueError:
        raise ValidationFailed(
            f"The effective date must be a date (YYYY-MM-DD); got {raw_date!r}.",
            code="invalid_date",
            field="effective_from",
        ) from None
    closing_day = timezone.localdate(closes_at)
    if effective_from < closing_day:
        raise ValidationFailed(
            f"New rules cannot take effect before the vote closes ({closing_day.isoformat()}).",
            code="effective_before_close",
            field="effective_from",
        )
    changes = payload.get("rules", {})
    if not isinstance(changes, Mapping):
        raise ValidationFailed(
            "The rules are an object of named fields.", code="invalid_rules", field="rules"
        )
    base = newest_rules(fund=fund)
    if base is not None and effective_from < base.effective_from:
        # The new rules amend the newest version: taking effect before it,
        # they would bring its changes in earlier than its members voted for.
        raise ValidationFailed(
            f"Version {base.version} takes effect on {base.effective_from.isoformat()}; rules "
            "that amend it take effect on that day or later.",
            code="effective_before_newest",
            field="effective_from",
        )
    rules = rules_clean(kind, changes, base=base.rules if base else None)
    if base is not None and rules == base.rules:
        raise ValidationFailed(
            "These are the rules already in force; name at least one change.",
            code="no_change",
            field="rules",
        )
    return {"fund": kind, "effective_from": effective_from.isoformat(), "rules": rules}


def fund_rules_enact(*, proposal: Proposal) -> FundRules:
    """Write the rules ``proposal`` carried as the fund's next version and
    activate the fund. Only a closed, passed ``fund_rule_change`` proposal
    can do this (``proposal_not_passed``): rules never change otherwise.
    Once per proposal (the version row is one-to-one with it)."""
    if (
        proposal.kind != Proposal.Kind.FUND_RULE_CHANGE
        or proposal.state != Proposal.State.CLOSED
        or proposal.outcome != Proposal.Outcome.PASSED
    ):
        raise Conflict(
            "Fund rules change only when the members pass a rule-change proposal.",
            code="proposal_not_passed",
        )
    payload = proposal.payload
    with transaction.atomic():
        fund = (
            Fund.objects.select_for_update(no_key=True)
            .filter(collective_id=proposal.collective_id, kind=payload["fund"])
            .first()
        )
        if fund is None:
            raise Conflict("The fund these rules are for no longer exists.", code="fund_not_found")
        existing = FundRules.objects.filter(proposal=proposal).first()
        if existing is not None:
            return existing
        version = (FundRules.objects.filter(fund=fund).aggregate(v=Max("version"))["v"] or 0) + 1
        # Re-checked against the kind's rules as they stand: the stored
        # payload was checked when proposed, and checking again costs nothing.
        rules = rules_clean(fund.kind, payload["rules"])
        enacted = FundRules.objects.create(
            fund=fund,
            version=version,
            effective_from=dt.date.fromisoformat(payload["effective_from"]),
            rules=rules,
            proposal=proposal,
        )
        if fund.state != Fund.State.ACTIVE:
            Fund.objects.filter(pk=fund.pk).update(state=Fund.State.ACTIVE)
    return enacted


def rule_changes_described(
    *, kind: str, rules: Mapping[str, Any], base: Mapping[str, Any] | None
) -> list[tuple[str, str]]:
    """Label/value rows for a proposal's page: every rule, marking what changes."""
    from mutualist.mutual.rules import LABELS

    rows = []
    for name in DEFAULTS[kind]:
        value = rules[name]
        shown = _shown(name, value)
        if base is not None and base.get(name) != value:
            shown = f"{shown} (was {_shown(name, base.get(name))})"
        rows.append((LABELS.get(name, name), shown))
    return rows


AMOUNT_RULES = frozenset({"floor", "cap"})
PERCENT_RULES = frozenset({"cap_percent", "percent"})
APPROVAL_WORDS = {"peers": "by peers", "vote": "by a vote", "automatic": "by the rules, at once"}


def _amount(value: Any) -> str:
    """12000.00 as 12,000.00 (the fund's currency is said around it)."""
    return f"{Decimal(str(value)):,.2f}"


def _shown(name: str, value: Any) -> str:
    if name == "tiers" and isinstance(value, list):
        return "; ".join(f"{_amount(t['deposit'])} → {_amount(t['payout'])}" for t in value)
    if name == "change_months" and isinstance(value, list):
        return ", ".join(dt.date(2000, int(m), 1).strftime("%B") for m in value)
    if name == "refund_month":
        return dt.date(2000, int(value), 1).strftime("%B")
    if name in AMOUNT_RULES:
        return _amount(value)
    if name in PERCENT_RULES:
        return f"{Decimal(str(value)).normalize():f} %"
    if name == "credit_limit_months":
        return f"{Decimal(str(value)).normalize():f}"
    if name == "approval":
        return APPROVAL_WORDS.get(str(value), str(value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
