"""A collective's billing settings, and the numbers its invoices are given."""

from __future__ import annotations

import datetime as dt
import re
import string

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from mutualist.billing.models import BillingSettings, Invoice, InvoiceCounter
from mutualist.billing.services._common import MAX_TEXT, require_coordinator, text_clean
from mutualist.collectives.models import Collective
from mutualist.core.errors import Conflict, ValidationFailed
from mutualist.members.models import User

_PREFIX = re.compile(r"[A-Z0-9][A-Z0-9-]{0,11}")
# What a number may be made of once formatted: letters, digits and - / . _
_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9/._-]*")
_FIELDS = {"prefix", "year", "seq"}
MAX_PREFIX = 12
MAX_NUMBER = Invoice._meta.get_field("number").max_length or 60
LARGEST_SEQ = 999_999_999
MAX_REMINDER_DAYS = 8


def default_prefix(collective: Collective) -> str:
    """``MANILA`` for manila-va: the slug's first word, upper-cased, at most six."""
    word = re.sub(r"[^A-Za-z0-9]", "", collective.slug.split("-")[0]).upper()
    return (word or "INV")[:6]


def billing_settings_get(collective: Collective) -> BillingSettings:
    """The collective's settings, made with the defaults on first use."""
    found = BillingSettings.objects.filter(collective=collective).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return BillingSettings.objects.create(
                collective=collective, number_prefix=default_prefix(collective)
            )
    except IntegrityError:  # made by someone else at the same moment
        return BillingSettings.objects.get(collective=collective)


def number_pattern_validate(pattern: str, *, field: str) -> str:
    """A pattern such as ``{prefix}-{year}-{seq:04}``: only the placeholders
    prefix, year and seq (which is required, with an optional zero-padded
    width), and it must give a number of letters, digits and ``-/._``."""
    pattern = text_clean(pattern, field=field, max_length=60, required=True)
    try:
        parsed = list(string.Formatter().parse(pattern))
    except ValueError:
        raise ValidationFailed(
            "Braces in the pattern do not match; write placeholders like {seq:04}.",
            code="invalid_number_pattern",
            field=field,
        ) from None
    names = [name for _, name, _, _ in parsed if name is not None]
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in _FIELDS or conversion:
            raise ValidationFailed(
                f"{{{name}}} is not a placeholder; use {{prefix}}, {{year}} and {{seq}}.",
                code="invalid_number_pattern",
                field=field,
            )
        if spec and not (name == "seq" and re.fullmatch(r"0?[1-9]", spec)):
            raise ValidationFailed(
                f"Only {{seq}} takes a width, like {{seq:04}}; got {{{name}:{spec}}}.",
                code="invalid_number_pattern",
                field=field,
            )
    if names.count("seq") != 1:
        raise ValidationFailed(
            "The pattern needs {seq} exactly once: it is what makes each number unique.",
            code="invalid_number_pattern",
            field=field,
        )
    sample = number_format(pattern, prefix="ABC", year=2026, seq=1)
    if not _NUMBER.fullmatch(sample):
        raise ValidationFailed(
            f"{sample!r} is not a usable number: use letters, digits and - / . _ only.",
            code="invalid_number_pattern",
            field=field,
        )
    # The longest number it can give (the longest prefix, a billion invoices)
    # must fit the column: a longer one would fail in the database at issue.
    longest = number_format(pattern, prefix="X" * MAX_PREFIX, year=2026, seq=LARGEST_SEQ)
    if len(longest) > MAX_NUMBER:
        raise ValidationFailed(
            f"Numbers from this pattern can run to {len(longest)} characters; "
            f"keep them within {MAX_NUMBER} (a shorter text around the placeholders).",
            code="invalid_number_pattern",
            field=field,
        )
    return pattern


def number_format(pattern: str, *, prefix: str, year: int, seq: int) -> str:
    return pattern.format(prefix=prefix, year=year, seq=seq)


def reminder_days_parse(text: str, *, field: str = "reminder_days") -> str:
    """``"-3, 1, 7"``: whole days from the due date, distinct, -60 to 365."""
    raw = text_clean(text, field=field, max_length=60)
    if not raw:
        return ""
    days: list[int] = []
    for part in raw.split(","):
        item = part.strip()
        if not re.fullmatch(r"[+-]?\d{1,3}", item):
            raise ValidationFailed(
                f"{item!r} is not a number of days; write them like -3, 1, 7.",
                code="invalid_reminder_days",
                field=field,
            )
        day = int(item)
        if not -60 <= day <= 365:
            raise ValidationFailed(
                "Reminder days are from 60 days before the due date to 365 after.",
                code="invalid_reminder_days",
                field=field,
            )
        days.append(day)
    if len(set(days)) != len(days) or len(days) > MAX_REMINDER_DAYS:
        raise ValidationFailed(
            f"Give up to {MAX_REMINDER_DAYS} different days.",
            code="invalid_reminder_days",
            field=field,
        )
    return ",".join(str(day) for day in sorted(days))


def reminder_days_of(settings: BillingSettings) -> list[int]:
    return [int(day) for day in settings.reminder_days.split(",") if day.strip()]


def billing_settings_update(
    *,
    collective: Collective,
    actor: User,
    number_prefix: str | None = None,
    number_pattern: str | None = None,
    credit_note_pattern: str | None = None,
    payment_instructions: str | None = None,
    late_payment_terms: str | None = None,
    reminder_days: str | None = None,
) -> BillingSettings:
    """Change what is given; numbers already issued keep theirs. A changed
    pattern applies from the next invoice issued."""
    require_coordinator(collective=collective, actor=actor)
    changes: dict[str, object] = {}
    if number_prefix is not None:
        prefix = text_clean(number_prefix, field="number_prefix", max_length=12, required=True)
        prefix = prefix.upper()
        if not _PREFIX.fullmatch(prefix):
            raise ValidationFailed(
                "A prefix is 1 to 12 capital letters, digits and hyphens, like MNL.",
                code="invalid_number_prefix",
                field="number_prefix",
            )
        changes["number_prefix"] = prefix
    if number_pattern is not None:
        changes["number_pattern"] = number_pattern_validate(number_pattern, field="number_pattern")
    if credit_note_pattern is not None:
        changes["credit_note_pattern"] = number_pattern_validate(
            credit_note_pattern, field="credit_note_pattern"
        )
    if payment_instructions is not None:
        changes["payment_instructions"] = text_clean(
            payment_instructions, field="payment_instructions", max_length=MAX_TEXT
        )
    if late_payment_terms is not None:
        changes["late_payment_terms"] = text_clean(
            late_payment_terms, field="late_payment_terms", max_length=MAX_TEXT
        )
    if reminder_days is not None:
        changes["reminder_days"] = reminder_days_parse(reminder_days)
    # One transaction: a refusal below leaves not even the default row behind.
    with transaction.atomic():
        settings = billing_settings_get(collective)
        pattern = str(changes.get("number_pattern", settings.number_pattern))
        credit_pattern = str(changes.get("credit_note_pattern", settings.credit_note_pattern))
        if pattern.replace("{prefix}", "") == credit_pattern.replace("{prefix}", ""):
            raise ValidationFailed(
                "Invoices and credit notes need patterns that tell them apart (add CN- to one).",
                code="invalid_number_pattern",
                field="credit_note_pattern",
            )
        if changes:
            changes["updated_at"] = timezone.now()
            BillingSettings.objects.filter(pk=settings.pk).update(**changes)
            settings.refresh_from_db()
    return settings


def number_next(*, collective: Collective, kind: str, issue_date: dt.date) -> tuple[str, str, int]:
    """The next number for an invoice or credit note issued on ``issue_date``:
    ``(number, series, seq)``. Call inside the transaction that issues it:
    the counter's row stays locked until that commits, so a second issue at
    the same moment waits and takes the next number, and a rolled-back issue
    gives its number back (no gaps)."""
    settings = billing_settings_get(collective)
    pattern = (
        settings.credit_note_pattern
        if kind == Invoice.Kind.CREDIT_NOTE
        else settings.number_pattern
    )
    yearly = any(name == "year" for _, name, _, _ in string.Formatter().parse(pattern))
    series = f"{kind}:{issue_date.year if yearly else 'all'}"
    # Make the counter if it is missing, then take the next value with one
    # UPDATE, which locks the row until commit on PostgreSQL (SQLite's
    # IMMEDIATE transactions serialise writers already).
    InvoiceCounter.objects.get_or_create(collective=collective, series=series)
    InvoiceCounter.objects.filter(collective=collective, series=series).update(
        last_seq=F("last_seq") + 1
    )
    seq = InvoiceCounter.objects.get(collective=collective, series=series).last_seq
    number = number_format(pattern, prefix=settings.number_prefix, year=issue_date.year, seq=seq)
    # The exclude matches the unique index's condition (number <> ''), so
    # SQLite uses that partial index instead of scanning every invoice.
    if Invoice.objects.filter(collective=collective, number=number).exclude(number="").exists():
        # Only after the pattern or prefix was changed to one that repeats
        # an old number; the whole issue is rolled back.
        raise Conflict(
            f"The numbering pattern gives {number}, which an earlier invoice already has; "
            "change the pattern or the prefix in the billing settings.",
            code="invoice_number_taken",
        )
    return number, series, seq
