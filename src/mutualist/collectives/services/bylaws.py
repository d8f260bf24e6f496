"""Versioned bylaws: the split rule and the admission rule."""

from __future__ import annotations

import datetime as dt
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


def split_shares_validate(shares: Mapping[str, Decimal | str | int]) -> dict[str, Decimal]:
    """Each percentage 0-100 with at most two decimals; together at most 100."""
    checked: dict[str, Decimal] = {}
    for recipient, raw in shares.items():
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
    """Add the next immutable version of the bylaws.

    ``member_share_basis`` (``"bill"`` or ``"pay"``) says how the members'
    part of a payment is divided among the members on the invoice; left out,
    the version in force keeps its choice.

    Until the governance issue lands, a coordinator adopts a version directly;
    afterwards a passed proposal's handler calls this. The effective date may
    not be in the past: history is not rewritten.
    """
    require_coordinator(collective=collective, actor=actor)
    if effective_from < timezone.localdate():
        raise ValidationFailed(
            "The effective date cannot be in the past.",
            code="effective_date_in_past",
            field="effective_from",
        )
    shares = split_shares_validate({SplitShare.Recipient.TREASURY: treasury_percent})
    rule = _validate_admission_rule(admission_rule)
    if member_share_basis is None:
        from mutualist.collectives.selectors import bylaws_in_force

        member_share_basis = bylaws_in_force(collective=collective).member_share_basis
    if member_share_basis not in Bylaws.ShareBasis.values:
        raise ValidationFailed(
            f"The members' shares follow {' or '.join(Bylaws.ShareBasis.values)} rates; "
            f"got {member_share_basis!r}.",
            code="invalid_share_basis",
            field="member_share_basis",
        )
    with transaction.atomic():
        # The collective row lock serialises version numbering.
        Collective.objects.select_for_update().get(pk=collective.pk)
        latest = Bylaws.objects.filter(collective=collective).aggregate(v=Max("version"))["v"] or 0
        return _bylaws_insert(
            collective=collective,
            version=latest + 1,
            effective_from=effective_from,
            admission_rule=rule,
            shares=shares,
            notes=notes.strip(),
            created_by=actor,
            member_share_basis=member_share_basis,
        )


def _admission_rule_now(collective: Collective) -> str:
    from mutualist.collectives.selectors import bylaws_in_force

    return bylaws_in_force(collective=collective).admission_rule
