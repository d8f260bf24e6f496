"""What every billing service checks first."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from mutualist.billing.models import Invoice
from mutualist.collectives.models import Collective
from mutualist.collectives.selectors import membership_of
from mutualist.core.errors import PermissionDenied, ValidationFailed
from mutualist.core.reference import MAX_MINOR_UNITS
from mutualist.members.models import User

MAX_TEXT = 2000
MAX_QUANTITY = Decimal("1000000")
MAX_DESCRIPTION = 200
MAX_TAX_LABEL = 40
FOUR_PLACES = Decimal("0.0001")
THREE_PLACES = Decimal("0.001")


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


def tax_rate_parse(raw: Decimal | str | int | None, *, field: str = "tax_rate") -> Decimal:
    """A tax percentage from 0 to 100 with at most three decimals."""
    if raw is None or raw == "":
        return Decimal(0)
    if isinstance(raw, bool | float):
        raise TypeError("A tax rate is a Decimal, an int or a string.")
    try:
        rate = raw if isinstance(raw, Decimal) else Decimal(str(raw).strip())
    except InvalidOperation:
        raise ValidationFailed(
            f"{raw!r} is not a percentage.", code="invalid_tax_rate", field=field
        ) from None
    if not rate.is_finite() or not Decimal(0) <= rate <= Decimal(100):
        raise ValidationFailed(
            "A tax rate is a percentage from 0 to 100.", code="invalid_tax_rate", field=field
        )
    if rate != rate.quantize(THREE_PLACES):
        raise ValidationFailed(
            "A tax rate has at most three decimal places.", code="invalid_tax_rate", field=field
        )
    return rate.quantize(THREE_PLACES)


def quantity_parse(raw: Decimal | str | int, *, field: str) -> Decimal:
    if isinstance(raw, bool | float):
        raise TypeError("A quantity is a Decimal, an int or a string.")
    try:
        quantity = raw if isinstance(raw, Decimal) else Decimal(str(raw).strip())
    except InvalidOperation:
        raise ValidationFailed(
            f"{raw!r} is not a quantity.", code="invalid_quantity", field=field
        ) from None
    if not quantity.is_finite() or not Decimal(0) < quantity <= MAX_QUANTITY:
        raise ValidationFailed(
            f"A quantity is above 0 and at most {MAX_QUANTITY}.",
            code="invalid_quantity",
            field=field,
        )
    if quantity != quantity.quantize(FOUR_PLACES):
        raise ValidationFailed(
            "A quantity has at most four decimal places.", code="invalid_quantity", field=field
        )
    return quantity.quantize(FOUR_PLACES)


def amount_within(minor: int, currency: str, *, field: str) -> int:
    if abs(minor) > MAX_MINOR_UNITS:
        raise ValidationFailed(
            f"That comes to more than any invoice can ask in {currency}.",
            code="amount_too_large",
            field=field,
        )
    return minor


def next_position(invoice: Invoice) -> int:
    last = invoice.lines.order_by("-position").values_list("position", flat=True).first()
    return (last or 0) + 1


def rate_text(rate: Decimal | None) -> str:
    """A stored rate as a person writes it: 1.533, not 1.533000000000."""
    if rate is None:
        return ""
    return format(rate.normalize(), "f")
