"""What every billing service checks first."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from mutualist.collectives.models import Collective
from mutualist.collectives.selectors import membership_of
from mutualist.core.errors import PermissionDenied, ValidationFailed
from mutualist.members.models import User

MAX_TEXT = 2000


def require_coordinator(*, collective: Collective, actor: User) -> None:
    membership = membership_of(user=actor, collective=collective)
    if membership is None or not membership.is_coordinator:
        raise PermissionDenied(
            "Only a coordinator of this collective can do that.", code="not_coordinator"
        )


def text_clean(value: str | None, *, field: str, max_length: int, required: bool = False) -> str:
    """Trimmed text within its length; NUL is refused (no database stores it)."""
    text = (value or "").strip()
    if "\x00" in text:
        raise ValidationFailed("Text may not contain NUL.", code="invalid_characters", field=field)
    if required and not text:
        raise ValidationFailed("This is required.", code="required", field=field)
    if len(text) > max_length:
        raise ValidationFailed(
            f"At most {max_length} characters; this has {len(text)}.",
            code="too_long",
            field=field,
        )
    return text


def round_minor(value: Decimal) -> int:
    """An exact product (hours times a rate, a tax) rounded once, half to even,
    to whole minor units."""
    return int(value.to_integral_value(rounding=ROUND_HALF_EVEN))
