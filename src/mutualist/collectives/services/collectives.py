"""Creating and editing collectives and their co-working space."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from mutualist.collectives.models import (
    Bylaws,
    Collective,
    CoworkingSpace,
    Membership,
    SplitShare,
)
from mutualist.collectives.services._common import require_coordinator
from mutualist.collectives.services.bylaws import (
    _bylaws_insert,
    _validate_admission_rule,
    split_shares_validate,
)
from mutualist.core.errors import Conflict, ValidationFailed
from mutualist.core.reference import validate_country, validate_currency
from mutualist.members.models import User

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
RESERVED_SLUGS = frozenset({"new", "api", "admin", "static"})
# A postal address runs to a few lines; anything longer is not one.
POSTAL_ADDRESS_MAX = 500


@dataclass(frozen=True)
class CoworkingInput:
    name: str
    address: str
    opening_hours: str = ""


def _check_length(value: str, *, field: str, max_length: int) -> str:
    # The column's max_length: PostgreSQL would refuse a longer value with a
    # DataError (a 500) rather than this message; SQLite would store it.
    if len(value) > max_length:
        raise ValidationFailed(
            f"Use at most {max_length} characters.", code="too_long", field=field
        )
    return value


def _validate_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("A name is required.", code="required", field="name")
    return _check_length(name, field="name", max_length=120)


def _validate_home(*, is_remote: bool, city: str, country: str) -> tuple[str, str]:
    city = _check_length((city or "").strip(), field="city", max_length=80)
    country = country or ""
    country_code = validate_country(country) if country.strip() else ""
    if not is_remote and (not city or not country_code):
        field = "city" if not city else "country"
        raise ValidationFailed(
            "Give a home city and country, or mark the collective as remote.",
            code="home_required",
            field=field,
        )
    return city, country_code


def _validate_coworking(coworking: CoworkingInput | None) -> CoworkingInput | None:
    if coworking is None:
        return None
    if not coworking.name.strip():
        raise ValidationFailed(
            "A co-working space needs a name.", code="required", field="coworking_name"
        )
    _check_length(coworking.name.strip(), field="coworking_name", max_length=120)
    if not coworking.address.strip():
        raise ValidationFailed(
            "A co-working space needs an address.", code="required", field="coworking_address"
        )
    return CoworkingInput(
        coworking.name.strip(), coworking.address.strip(), coworking.opening_hours.strip()
    )


def collective_create(
    *,
    creator: User,
    name: str,
    slug: str,
    base_currency: str,
    description: str = "",
    is_remote: bool = False,
    city: str = "",
    country: str = "",
    treasury_percent: Decimal | str = Decimal("10"),
    admission_rule: str = Bylaws.AdmissionRule.COORDINATOR,
    coworking: CoworkingInput | None = None,
) -> Collective:
    """Create a collective; the creator becomes its first coordinator and
    version 1 of its bylaws takes effect today."""
    name = _validate_name(name)
    slug = (slug or "").strip().lower()
    if not SLUG_RE.match(slug) or len(slug) > 60:
        raise ValidationFailed(
            "The address name may use lowercase letters, digits and single hyphens.",
            code="invalid_slug",
            field="slug",
        )
    if slug in RESERVED_SLUGS:
        raise Conflict(f"The address name {slug!r} is reserved.", code="slug_taken", field="slug")
    currency = validate_currency(base_currency, field="base_currency")
    city, country_code = _validate_home(is_remote=is_remote, city=city, country=country)
    shares = split_shares_validate({SplitShare.Recipient.TREASURY: treasury_percent})
    rule = _validate_admission_rule(admission_rule)
    space = _validate_coworking(coworking)
    if Collective.objects.filter(slug=slug).exists():
        raise Conflict(f"The address name {slug!r} is taken.", code="slug_taken", field="slug")

    now = timezone.now()
    try:
        with transaction.atomic():
            collective = Collective.objects.create(
                name=name,
                slug=slug,
                description=description.strip(),
                is_remote=is_remote,
                city=city,
                country=country_code,
                base_currency=currency,
                created_by=creator,
                created_at=now,
            )
            Membership.objects.create(
                collective=collective,
                user=creator,
                role=Membership.Role.COORDINATOR,
                state=Membership.State.ACTIVE,
                joined_at=now,
            )
            _bylaws_insert(
                collective=collective,
                version=1,
                effective_from=timezone.localdate(now),
                admission_rule=rule,
                shares=shares,
                notes="Founding bylaws.",
                created_by=creator,
            )
            if space is not None:
                CoworkingSpace.objects.create(collective=collective, **space.__dict__)
    except IntegrityError:
        # Two people chose the same slug at the same moment: the unique index decided.
        raise Conflict(
            f"The address name {slug!r} is taken.", code="slug_taken", field="slug"
        ) from None
    return collective


def collective_update(
    *,
    collective: Collective,
    actor: User,
    name: str,
    description: str = "",
    is_remote: bool = False,
    city: str = "",
    country: str = "",
    coworking: CoworkingInput | None = None,
    postal_address: str | None = None,
) -> Collective:
    """Edit the description, home and postal address. The base currency and
    slug are fixed at creation: money and links depend on them.

    ``postal_address`` (where the collective can be written to; written
    agreements name it) is left as it is when ``None``."""
    require_coordinator(collective=collective, actor=actor)
    name = _validate_name(name)
    city, country_code = _validate_home(is_remote=is_remote, city=city, country=country)
    space = _validate_coworking(coworking)
    changes: dict[str, object] = {
        "name": name,
        "description": description.strip(),
        "is_remote": is_remote,
        "city": city,
        "country": country_code,
    }
    if postal_address is not None:
        changes["postal_address"] = _check_length(
            postal_address.strip(), field="postal_address", max_length=POSTAL_ADDRESS_MAX
        )
    with transaction.atomic():
        Collective.objects.filter(pk=collective.pk).update(**changes)
        if space is None:
            CoworkingSpace.objects.filter(collective=collective).delete()
        else:
            CoworkingSpace.objects.update_or_create(collective=collective, defaults=space.__dict__)
    collective.refresh_from_db()
    return collective
