"""Forms for time: starting a timer, a manual entry, an edit, an adjustment,
and an approver's return comment.

Times are typed in the member's own time zone (a date, a start, an end, and
an end date for work past midnight) and become aware instants here; a time
the clocks skip is refused, a repeated one is its first occurrence
(``services.time.local_datetime``). The rules (overlaps, caps, the week's
state) live in the services, whose refusals the views put on the field
they name.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django import forms

from mutualist.core.errors import DomainError, ValidationFailed
from mutualist.work.coverage import monday_of
from mutualist.work.models import EngagementMember
from mutualist.work.services.time import local_datetime, require_day

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
_TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
NOTE_MAX = 2000


def _note_field() -> forms.CharField:
    return forms.CharField(
        label="Note",
        required=False,
        max_length=NOTE_MAX,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class SeatChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: EngagementMember) -> str:
        return f"{obj.engagement.client.name}: {obj.engagement.title}"


def _seat_field(seats: list[EngagementMember]) -> SeatChoiceField:
    field = SeatChoiceField(
        label="Engagement",
        queryset=EngagementMember.objects.filter(pk__in=[s.pk for s in seats]).select_related(
            "engagement__client"
        ),
        empty_label=None,
    )
    return field


class TimerStartForm(forms.Form):
    prefix = "timer"

    seat = forms.Field()  # replaced in __init__
    note = _note_field()
    billable = forms.BooleanField(label="Billable", required=False, initial=True)

    def __init__(self, *args: Any, seats: list[EngagementMember], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["seat"] = _seat_field(seats)


class _IntervalForm(forms.Form):
    """A date, a start and an end in the member's zone, and an optional end
    date for an entry that runs past midnight (the next day if the end is
    not after the start and no end date is given)."""

    day = forms.DateField(label="Date", widget=_DATE)
    start = forms.TimeField(label="Start", widget=_TIME)
    end = forms.TimeField(label="End", widget=_TIME)
    end_day = forms.DateField(
        label="End date",
        required=False,
        widget=_DATE,
        help_text="Only for work past midnight; an end at or before the start means the next day.",
    )
    note = _note_field()
    billable = forms.BooleanField(label="Billable", required=False, initial=True)

    def __init__(self, *args: Any, zone: ZoneInfo, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone
        self.fields["day"].help_text = f"Times are in your time zone, {zone.key}."

    def _clean_in_range(self, name: str) -> dt.date | None:
        # Near year 1 or 9999 the next day, or the offset to UTC, overflows.
        day: dt.date | None = self.cleaned_data.get(name)
        if day is not None:
            try:
                require_day(day, field=name)
            except DomainError as exc:
                raise forms.ValidationError(exc.message, code=exc.code) from None
        return day

    def clean_day(self) -> dt.date | None:
        return self._clean_in_range("day")

    def clean_end_day(self) -> dt.date | None:
        return self._clean_in_range("end_day")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        day, start, end = data.get("day"), data.get("start"), data.get("end")
        if day is None or start is None or end is None:
            return data
        end_day = data.get("end_day") or (day if end > start else day + dt.timedelta(days=1))
        try:
            data["started_at"] = local_datetime(day, start, self.zone, field="start")
            data["ended_at"] = local_datetime(end_day, end, self.zone, field="end")
        except DomainError as exc:
            self.add_error(exc.field, exc.message)
        return data

    @classmethod
    def initial_from(
        cls,
        *,
        started_at: dt.datetime,
        ended_at: dt.datetime,
        zone: ZoneInfo,
        note: str,
        billable: bool,
    ) -> dict[str, Any]:
        start, end = started_at.astimezone(zone), ended_at.astimezone(zone)
        initial: dict[str, Any] = {
            "day": start.date(),
            "start": start.time().replace(second=0, microsecond=0),
            "end": end.time().replace(second=0, microsecond=0),
            "note": note,
            "billable": billable,
        }
        if end.date() != start.date() or initial["end"] <= initial["start"]:
            # Said outright: an end at or before the start would otherwise
            # mean the next day (a timer of seconds shows 10:00-10:00).
            initial["end_day"] = end.date()
        return initial


class EntryForm(_IntervalForm):
    """A manual entry on one of the member's seats."""

    field_order = ["seat", "day", "start", "end", "end_day", "note", "billable"]

    def __init__(
        self, *args: Any, seats: list[EngagementMember], zone: ZoneInfo, **kwargs: Any
    ) -> None:
        super().__init__(*args, zone=zone, **kwargs)
        self.fields["seat"] = _seat_field(seats)
        self.order_fields(self.field_order)


class EntryEditForm(_IntervalForm):
    """An edit of a finished entry (its engagement stays)."""


class EntryNoteForm(forms.Form):
    """A running timer's note and billable flag."""

    note = _note_field()
    billable = forms.BooleanField(label="Billable", required=False)


class AdjustmentForm(forms.Form):
    minutes = forms.IntegerField(
        label="Minutes",
        min_value=-24 * 60,
        max_value=24 * 60,
        help_text="Signed: 30 adds half an hour, -15 removes a quarter of an hour.",
    )
    note = forms.CharField(
        label="Why",
        max_length=NOTE_MAX,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class ReturnForm(forms.Form):
    comment = forms.CharField(
        label="Comment",
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What the member should change.",
    )


def parse_week(raw: str | None) -> dt.date | None:
    """``?week=YYYY-MM-DD``: any day, read as the Monday of its week; ``None``
    when absent. Raises ``ValidationFailed`` (``invalid_date``, on ``week``)
    for a value that is not a date or is outside ``TIME_DAYS``; the pages
    then say so and show this week."""
    if not raw:
        return None
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed(
            f"{raw[:40]!r} is not a date: give the week as YYYY-MM-DD.",
            code="invalid_date",
            field="week",
        ) from None
    return monday_of(require_day(day, field="week"))
