"""Weekly availability windows: validation, hours, and overlap across time zones.

Pure functions, no database: the selectors and services feed them rows.

A window is a weekday plus a start and end time in one IANA time zone; an end
at or before the start means the window runs past midnight. Overlap between
people in different zones is computed on real instants of a reference week, so
daylight-saving shifts are counted the way they fall that week.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from mutualist.core.errors import ValidationFailed

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_LABELS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MINUTES_PER_DAY = 24 * 60
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY


@dataclass(frozen=True, order=True)
class Window:
    weekday: int  # 0 = Monday
    start: dt.time
    end: dt.time

    @property
    def duration_minutes(self) -> int:
        start = self.start.hour * 60 + self.start.minute
        end = self.end.hour * 60 + self.end.minute
        return (end - start) % MINUTES_PER_DAY or MINUTES_PER_DAY

    @property
    def crosses_midnight(self) -> bool:
        return self.end <= self.start

    def label(self) -> str:
        suffix = " (+1 day)" if self.crosses_midnight and self.end != dt.time(0) else ""
        return f"{DAY_LABELS[self.weekday]} {self.start:%H:%M}-{self.end:%H:%M}{suffix}"

    def week_interval(self) -> tuple[int, int]:
        """Minutes from Monday 00:00; the end may pass the end of the week."""
        start = self.weekday * MINUTES_PER_DAY + self.start.hour * 60 + self.start.minute
        return start, start + self.duration_minutes


def parse_time(value: str | dt.time, *, field: str = "availability") -> dt.time:
    if isinstance(value, dt.time):
        return value
    try:
        parsed = dt.time.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValidationFailed(
            f"{value!r} is not a time of day; use HH:MM, for example 09:00.",
            code="invalid_time",
            field=field,
        ) from None
    if parsed.second or parsed.microsecond or parsed.tzinfo:
        raise ValidationFailed(
            f"{value!r}: give times as HH:MM without seconds or offsets.",
            code="invalid_time",
            field=field,
        )
    return parsed


DAY_FULL_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def parse_weekday(value: str | int, *, field: str = "availability") -> int:
    """0-6, "mon".."sun" or "monday".."sunday" (any case) to 0 = Monday."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 6:
        return value
    if isinstance(value, str):
        name = value.strip().lower()
        # Whole names only: matching the first three letters let "monkey" and
        # "sunshine" through as weekdays.
        if name in DAY_NAMES:
            return DAY_NAMES.index(name)
        if name in DAY_FULL_NAMES:
            return DAY_FULL_NAMES.index(name)
    raise ValidationFailed(
        f"{value!r} is not a weekday; use mon, tue, wed, thu, fri, sat or sun.",
        code="invalid_weekday",
        field=field,
    )


def windows_validate(windows: Iterable[Window], *, field: str = "availability") -> list[Window]:
    """Check a week of windows: none empty, none overlapping (also across midnight
    and from Sunday night into Monday). Returns them sorted.
    """
    ordered = sorted(windows)
    for window in ordered:
        if not 0 <= window.weekday <= 6:
            raise ValidationFailed(
                f"Weekday {window.weekday} is out of range.", code="invalid_weekday", field=field
            )
        if window.start == window.end:
            raise ValidationFailed(
                f"{DAY_LABELS[window.weekday]} {window.start:%H:%M}-{window.end:%H:%M} is empty; "
                "the end must differ from the start.",
                code="empty_availability_window",
                field=field,
            )
    # Unroll onto a two-week line so a window from Sunday night into Monday is
    # compared with Monday's windows too.
    spans: list[tuple[int, int, Window]] = []
    for window in ordered:
        start, end = window.week_interval()
        spans.append((start, end, window))
        spans.append((start + MINUTES_PER_WEEK, end + MINUTES_PER_WEEK, window))
    spans.sort(key=lambda span: (span[0], span[1]))
    for (_, end_a, first), (start_b, _, second) in zip(spans, spans[1:], strict=False):
        if start_b < end_a and first != second:
            raise ValidationFailed(
                f"Availability windows overlap: {first.label()} and {second.label()}.",
                code="overlapping_availability",
                field=field,
            )
    if len(set(ordered)) != len(ordered):
        duplicate = next(w for w in ordered if ordered.count(w) > 1)
        raise ValidationFailed(
            f"Availability window {duplicate.label()} is given twice.",
            code="overlapping_availability",
            field=field,
        )
    return ordered


def weekly_hours(windows: Iterable[Window]) -> Decimal:
    minutes = sum(window.duration_minutes for window in windows)
    return (Decimal(minutes) / 60).quantize(Decimal("0.01"))


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _utc_intervals(
    windows: Iterable[Window], tz: str, week_start: dt.date, weeks: Sequence[int]
) -> list[tuple[dt.datetime, dt.datetime]]:
    zone = ZoneInfo(tz)
    intervals = []
    for offset in weeks:
        monday = week_start + dt.timedelta(weeks=offset)
        for window in windows:
            day = monday + dt.timedelta(days=window.weekday)
            start = dt.datetime.combine(day, window.start, tzinfo=zone)
            end_day = day + dt.timedelta(days=1) if window.crosses_midnight else day
            end = dt.datetime.combine(end_day, window.end, tzinfo=zone)
            intervals.append((start.astimezone(dt.UTC), end.astimezone(dt.UTC)))
    return intervals


def _merge(
    intervals: list[tuple[dt.datetime, dt.datetime]],
) -> list[tuple[dt.datetime, dt.datetime]]:
    merged: list[tuple[dt.datetime, dt.datetime]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def overlap_hours(
    windows: Sequence[Window],
    tz: str,
    other_windows: Sequence[Window],
    other_tz: str,
    *,
    week_start: dt.date,
) -> Decimal:
    """Hours per week in which both sets of windows are open, in real time.

    ``other_windows`` are taken for the week starting ``week_start`` (a Monday in
    ``other_tz``; another day means the week containing it); ``windows`` repeat
    weekly, so the weeks either side are included and a Sunday-night window
    meets a Monday-morning one.
    """
    # Windows are placed by weekday from this date: a Wednesday here would put
    # Monday's windows on a Wednesday.
    week_start = monday_of(week_start)
    ours = _merge(_utc_intervals(windows, tz, week_start, (-1, 0, 1)))
    theirs = _merge(_utc_intervals(other_windows, other_tz, week_start, (0,)))
    total = dt.timedelta()
    i = j = 0
    while i < len(ours) and j < len(theirs):
        start = max(ours[i][0], theirs[j][0])
        end = min(ours[i][1], theirs[j][1])
        if start < end:
            total += end - start
        if ours[i][1] < theirs[j][1]:
            i += 1
        else:
            j += 1
    return (Decimal(int(total.total_seconds())) / 3600).quantize(Decimal("0.01"))


def business_hours(
    days: Sequence[int] = (0, 1, 2, 3, 4), start: str = "09:00", end: str = "17:00"
) -> list[Window]:
    """The usual office day, for "how many of my hours meet a client's working day"."""
    return [Window(day, parse_time(start), parse_time(end)) for day in days]
