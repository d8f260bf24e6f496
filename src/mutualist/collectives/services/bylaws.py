"""Versioned bylaws: the split rule and the admission rule."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from mutualist.collectives.models import (
    Bylaws,
    Collective,
    SplitShare,
)
from mutualist.collectives.services._common import require_coordinator
from mutualist.core.errors import ValidationFailed
from mutualist.members.models import User

HUNDRED = Decimal(100)
# A split recipient is a code (``treasury``; the funds add ``sick_pay``...), as
# the ledger names an account after it.
_RECIPIENT = re.compile(r"[a-z][a-z0-9_]{0,31}")
# Names the billing split gives to what is not a share of the rule.
_RESERVED = frozenset({"tax", "member", "members"})


def split_shares_validate(shares: Mapping[str, Decimal | str | int]) -> dict[str, Decimal]:
    """Each percentage 0-100 with at most two decimals; together at most 100."""
    checked: dict[str, Decimal] = {}
    for recipient, raw in shares.items():
        if not isinstance(recipient, str) or not _RECIPIENT.fullmatch(recipient):
            raise ValidationFailed(
                f"{recipient!r} is not a split recipient: lower-case letters, digits and "
                "underscores, starting with a letter, at most 32 characters (e.g. treasury).",
                code="invalid_recipient",
                field="split",
            )
        if recipient in _RESERVED:
            raise ValidationFailed(
                f"{recipient!r} cannot be a split recipient: the name is taken "
                "(the invoice's tax and the members' part are not shares of the split).",
                code="invalid_recipient",
                field="split",
            )
        field = f"{recipient}_percent"
        try:
            value = raw if isinstance(raw, Decimal) else Decimal(str(raw).strip())
        except InvalidOperation:
            raise ValidationFailed(
                f"{raw!r} is not a percentage.", code="invalid_percentage", field=field
            ) from None
        if not value.is_finite() or not Decimal(0) <= value <= HUNDRED:
            raise ValidationFailed(
                f"The {recipient} percentage must be between 0 and 100; got {raw}.",
                code="percentage_out_of_range",
                field=field,
            )
        if value != value.quantize(Decimal("0.01")):
            raise ValidationFailed(
                "Percentages have at most two decimal places.",
                code="invalid_percentage",
                field=field,
            )
        checked[recipient] = value.quantize(Decimal("0.01"))
    total = sum(checked.values(), Decimal(0))
    if total > HUNDRED:
        raise ValidationFailed(
            f"The split shares add up to {total}%; they may add up to at most 100%.",
            code="percentages_exceed_100",
            field="split",
        )
    return checked


def _validate_admission_rule(rule: str) -> str:
    if rule not in Bylaws.AdmissionRule.values:
        raise ValidationFailed(
            f"Admission rule must be one of {', '.join(Bylaws.AdmissionRule.values)}.",
            code="invalid_admission_rule",
            field="admission_rule",
        )
    return rule


def _bylaws_insert(
    *,
    collective: Collective,
    version: int,
    effective_from: dt.date,
    admission_rule: str,
    shares: Mapping[str, Decimal],
    notes: str,
    created_by: User,
    member_share_basis: str = Bylaws.ShareBasis.BILL,
) -> Bylaws:
    bylaws = Bylaws.objects.create(
        collective=collective,
        version=version,
        effective_from=effective_from,
        admission_rule=admission_rule,
        member_share_basis=member_share_basis,
        notes=notes,
        created_by=created_by,
    )
    SplitShare.objects.bulk_create(
        [SplitShare(bylaws=bylaws, recipient=key, percent=value) for key, value in shares.items()]
    )
    return bylaws


def bylaws_adopt(
    *,
    collective: Collective,
    actor: User,
    effective_from: dt.date,
    treasury_percent: Decimal | str,
    admission_rule: str,
    notes: str = "",
    member_share_basis: str | None = None,
) -> Bylaws:
    """A coordinator adds the next version of the bylaws directly.

    Since the governance app landed, members change their bylaws by a
    proposal whose handler calls ``bylaws_enact``; neither the web pages nor
    the API reach this any more. It stays for operators' scripts, the demo
    and tests that need a version in place. ``member_share_basis`` left out
    keeps the choice of the version in force.
    """
    require_coordinator(collective=collective, actor=actor)
    if member_share_basis is None:
        from mutualist.collectives.selectors import bylaws_in_force

        member_share_basis = bylaws_in_force(collective=collective).member_share_basis
    # Only the treasury's share is set here: the other shares (the funds'
    # levies) stay as the newest version has them.
    newest = Bylaws.objects.filter(collective=collective).order_by("-version").first()
    shares: dict[str, Decimal | str | int] = {
        share.recipient: share.percent
        for share in (newest.split_shares.all() if newest is not None else [])
    }
    shares[SplitShare.Recipient.TREASURY] = treasury_percent
    return bylaws_enact(
        collective=collective,
        created_by=actor,
        effective_from=effective_from,
        shares=shares,
        admission_rule=admission_rule,
        member_share_basis=member_share_basis,
        notes=notes,
    )


def bylaws_validate(
    *,
    effective_from: dt.date,
    shares: Mapping[str, Decimal | str | int],
    admission_rule: str,
    member_share_basis: str,
) -> dict[str, Decimal]:
    """Check a would-be version; returns the checked shares. Writes nothing."""
    if effective_from < timezone.localdate():
        raise ValidationFailed(
            "The effective date cannot be in the past.",
            code="effective_date_in_past",
            field="effective_from",
        )
    checked = split_shares_validate(shares)
    _validate_admission_rule(admission_rule)
    if member_share_basis not in Bylaws.ShareBasis.values:
        raise ValidationFailed(
            f"The members' shares follow {' or '.join(Bylaws.ShareBasis.values)} rates; "
            f"got {member_share_basis!r}.",
            code="invalid_share_basis",
            field="member_share_basis",
        )
    return checked


def bylaws_enact(
    *,
    collective: Collective,
    created_by: User,
    effective_from: dt.date,
    shares: Mapping[str, Decimal | str | int],
    admission_rule: str,
    member_share_basis: str,
    notes: str = "",
) -> Bylaws:
    """Add the next immutable version of the bylaws, as decided.

    No permission check: the caller is the decision (a passed proposal's
    handler, or ``bylaws_adopt`` for a coordinator). ``shares`` is the whole
    split rule of the new version (recipient to percentage). The effective
    date may not be in the past: history is not rewritten. Takes the
    collective row lock, which serialises version numbering.
    """
    checked = bylaws_validate(
        effective_from=effective_from,
        shares=shares,
        admission_rule=admission_rule,
        member_share_basis=member_share_basis,
    )
    with transaction.atomic():
        Collective.objects.select_for_update().get(pk=collective.pk)
        latest = Bylaws.objects.filter(collective=collective).aggregate(v=Max("version"))["v"] or 0
        return _bylaws_insert(
            collective=collective,
            version=latest + 1,
            effective_from=effective_from,
            admission_rule=admission_rule,
            shares=checked,
            notes=notes.strip(),
            created_by=created_by,
            member_share_basis=member_share_basis,
        )


def _admission_rule_now(collective: Collective) -> str:
    from mutualist.collectives.selectors import bylaws_in_force

    return bylaws_in_force(collective=collective).admission_rule
