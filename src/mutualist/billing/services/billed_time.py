"""The approved time a draft bills: found, grouped into lines, claimed once.

Each time entry is billed once, ever: a draft claims its entries with one
INSERT into ``InvoicedTime``, whose ``time_entry`` is unique, so a second
claim, even at the same moment, fails and writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet

from mutualist.billing.models import Invoice, InvoicedTime, InvoiceLine
from mutualist.billing.services._common import (
    FOUR_PLACES,
    MAX_DESCRIPTION,
    amount_within,
    next_position,
    round_minor,
)
from mutualist.core.errors import Conflict
from mutualist.work.models import Engagement, EngagementMember, TimeEntry


def invoiceable_entries(
    *, engagement: Engagement, until: dt.date | None = None
) -> QuerySet[TimeEntry]:
    """The engagement's approved, billable time no invoice has claimed,
    started before the end of ``until`` (in the engagement's time zone)."""
    entries = TimeEntry.objects.filter(
        engagement=engagement, approved_at__isnull=False, billable=True
    ).exclude(Exists(InvoicedTime.objects.filter(time_entry=OuterRef("pk"))))
    if until is not None:
        zone = ZoneInfo(engagement.timezone)
        end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), tzinfo=zone)
        entries = entries.filter(started_at__lt=end)
    return entries.order_by("started_at", "pk")


def _period_text(first: dt.date, last: dt.date) -> str:
    if first == last:
        return first.strftime("%d %b %Y")
    return f"{first:%d %b %Y} to {last:%d %b %Y}"


_TAKEN = (
    "Some of this time was invoiced a moment ago by someone else; "
    "nothing was changed. Reload and try again."
)


# Entries checked per query (SQLite's default limit is 999 parameters).
_CHUNK = 900


def claim_time(*, invoice: Invoice, engagement: Engagement, entries: list[TimeEntry]) -> int:
    """Add a line per member and role for ``entries`` (the engagement's
    unbilled approved time when the request began), and claim them for
    ``invoice``. A group whose time nets to zero or less (a correction
    larger than what is left to bill) waits for the next invoice. Returns
    the number of entries claimed.

    Call holding the engagement's row lock. If another draft claimed any of
    ``entries`` while this one waited (approved entries never change
    otherwise), the request is refused (``time_already_invoiced``) rather
    than quietly billing less than the coordinator asked for; the unique
    ``InvoicedTime.time_entry`` backs that up."""
    ids = [entry.pk for entry in entries]
    for start in range(0, len(ids), _CHUNK):
        if InvoicedTime.objects.filter(time_entry_id__in=ids[start : start + _CHUNK]).exists():
            raise Conflict(_TAKEN, code="time_already_invoiced")
    seats = {
        seat.user_id: seat
        for seat in EngagementMember.objects.filter(engagement=engagement).select_related(
            "user__profile"
        )
    }
    zone = ZoneInfo(engagement.timezone)
    groups: dict[int, list[TimeEntry]] = defaultdict(list)
    for entry in entries:
        if entry.member_id in seats:
            groups[entry.member_id].append(entry)
    claimed = 0
    billed_days: list[dt.date] = []
    position = next_position(invoice)
    for member_id in sorted(groups, key=lambda uid: (seats[uid].role_title, uid)):
        group = groups[member_id]
        minutes = sum(entry.minutes or 0 for entry in group)
        if minutes <= 0:
            continue
        seat = seats[member_id]
        days = [entry.started_at.astimezone(zone).date() for entry in group]
        amount = round_minor(Decimal(minutes) * Decimal(seat.bill_rate_minor) / Decimal(60))
        line = InvoiceLine.objects.create(
            invoice=invoice,
            position=position,
            kind=InvoiceLine.Kind.TIME,
            description=(
                f"{seat.role_title}: {seat.user.display_name}, {_period_text(min(days), max(days))}"
            )[:MAX_DESCRIPTION],
            quantity=(Decimal(minutes) / Decimal(60)).quantize(FOUR_PLACES),
            minutes=minutes,
            unit_price_minor=seat.bill_rate_minor,
            amount_minor=amount_within(amount, invoice.currency, field="lines"),
            member_id=member_id,
            role_title=seat.role_title,
            pay_rate_minor=seat.pay_rate_minor,
        )
        position += 1
        try:
            with transaction.atomic():
                InvoicedTime.objects.bulk_create(
                    [InvoicedTime(invoice=invoice, line=line, time_entry=e) for e in group]
                )
        except IntegrityError:
            raise Conflict(_TAKEN, code="time_already_invoiced") from None
        claimed += len(group)
        billed_days += days
    if billed_days:
        invoice.period_start, invoice.period_end = min(billed_days), max(billed_days)
        invoice.save(update_fields=["period_start", "period_end"])
    return claimed


def period_refresh(invoice: Invoice) -> None:
    """The period a draft covers, from the time it still bills (after a
    time line is removed, its days no longer count)."""
    first = last = None
    if invoice.engagement is not None:
        zone = ZoneInfo(invoice.engagement.timezone)
        days = [
            started.astimezone(zone).date()
            for started in TimeEntry.objects.filter(invoiced__invoice=invoice).values_list(
                "started_at", flat=True
            )
        ]
        if days:
            first, last = min(days), max(days)
    invoice.period_start, invoice.period_end = first, last
    invoice.save(update_fields=["period_start", "period_end"])
