"""Weekly windows in whole hours of a time zone's wall clock, and the real UTC
hours they cover in a given week.

Pure functions, no database. Coverage windows (a job role's hours), pitch
shifts and engagement shifts are all ``HourWindow``s in the job's time zone.

The rules for turning local hours into real ones, shared with the matching
engine's instance format (issue #9):

- a window is a weekday plus a start and an end hour; ``end`` may be 24
  (midnight at the end of the day); an end at or before the start runs past
  midnight into the next day;
- each local wall-clock hour of the window becomes one UTC hour slot of the
  week planned, with the zone's real rules that week: a local hour skipped by
  a daylight-saving change does not exist (no slot), and a local hour that
  happens twice when clocks go back counts once, the first time. That is the
  rule for *counting* coverage (``window_slots``, ``slots_of``): an hour of
  the wall clock is staffed or not, once.
- a shift someone works is a real interval instead (``window_occurrences``):
  from the window's start to its end as the clocks show them that night, so a
  night across spring-forward is an hour shorter and one across the autumn
  change an hour longer, each one continuous stretch.

Time zone names are checked with ``core.reference.validate_timezone``.

A slot is the aware UTC ``datetime`` at which that hour starts; it lasts one
hour. Zones with half-hour offsets give slots that start on the half hour.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from mutualist.core.errors import ValidationFailed

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_LABELS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
HOUR = dt.timedelta(hours=1)

Slot = dt.datetime
Interval = tuple[dt.datetime, dt.datetime]


@dataclass(frozen=True, order=True)
class HourWindow:
    weekday: int  # 0 = Monday
    start_hour: int  # 0-23
    end_hour: int  # 1-24

    @property
    def crosses_midnight(self) -> bool:
        return self.end_hour <= self.start_hour

    @property
    def hours(self) -> int:
        """Nominal length on the wall clock (a DST change can make it one more or less)."""
        return (self.end_hour - self.start_hour) % 24 or 24

    def label(self) -> str:
        suffix = " (+1 day)" if self.crosses_midnight and self.end_hour != 24 else ""
        return f"{DAY_LABELS[self.weekday]} {self.start_hour:02d}:00-{self.end_hour:02d}:00{suffix}"

    def local_hours(self) -> list[tuple[int, int]]:
        """(day offset from the window's Monday, hour) of each wall-clock hour;
        a Sunday night window reaches day 7, the next Monday."""
        return [
            (self.weekday + (self.start_hour + i) // 24, (self.start_hour + i) % 24)
            for i in range(self.hours)
        ]


def parse_weekday(value: str | int, *, field: str) -> int:
    """ "mon".."sun" (any case) or 0-6 to 0 = Monday."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 6:
        return value
    if isinstance(value, str) and value.strip().lower() in DAY_NAMES:
        return DAY_NAMES.index(value.strip().lower())
    raise ValidationFailed(
        f"{value!r} is not a weekday; use mon, tue, wed, thu, fri, sat or sun.",
        code="invalid_weekday",
        field=field,
    )


def parse_hour(value: str | int, *, field: str, end: bool = False) -> int:
    """ "09:00" (or the hour as a number) to 9. Minutes must be zero; "24:00" is
    allowed only as an end."""
    if isinstance(value, int) and not isinstance(value, bool):
        hour = value
    elif isinstance(value, str) and len(value) == 5 and value[2] == ":":
        hh, mm = value[:2], value[3:]
        if not (hh.isascii() and hh.isdigit() and mm.isascii() and mm.isdigit()):
            raise _bad_time(value, field)
        if mm != "00":
            raise ValidationFailed(
                f"{value!r}: give whole hours here, such as 09:00 or 17:00.",
                code="not_whole_hour",
                field=field,
            )
        hour = int(hh)
    else:
        raise _bad_time(value, field)
    if not (0 <= hour <= 23 or (end and hour == 24)):
        raise _bad_time(value, field)
    return hour


def _bad_time(value: object, field: str) -> ValidationFailed:
    return ValidationFailed(
        f"{value!r} is not a time of day; use HH:00, for example 09:00 (24:00 only as an end).",
        code="invalid_time",
        field=field,
    )


def hour_windows_parse(items: Iterable[Mapping[str, object]], *, field: str) -> list[HourWindow]:
    """``[{"days": ["mon", ...], "start": "09:00", "end": "17:00"}, ...]`` (the
    matching engine's shape) to validated windows, one per day."""
    windows = []
    for index, item in enumerate(items):
        where = f"{field}[{index}]"
        days = item.get("days")
        if not isinstance(days, list | tuple) or not days:
            raise ValidationFailed(
                "Name at least one day (mon-sun).", code="invalid_weekday", field=f"{where}.days"
            )
        start = parse_hour(item.get("start"), field=f"{where}.start")  # type: ignore[arg-type]
        end = parse_hour(item.get("end"), field=f"{where}.end", end=True)  # type: ignore[arg-type]
        for day in days:
            windows.append(HourWindow(parse_weekday(day, field=f"{where}.days"), start, end))
    return hour_windows_validate(windows, field=field)


def hour_windows_validate(windows: Iterable[HourWindow], *, field: str) -> list[HourWindow]:
    """Refuse empty windows and windows that overlap each other (also a Sunday
    night window running into Monday). Returns them sorted."""
    ordered = sorted(windows)
    taken: dict[int, HourWindow] = {}
    for window in ordered:
        if not 0 <= window.weekday <= 6:
            raise ValidationFailed(
                f"Weekday {window.weekday} is out of range.", code="invalid_weekday", field=field
            )
        if not (0 <= window.start_hour <= 23 and 1 <= window.end_hour <= 24):
            raise ValidationFailed(
                f"{window.label()}: hours run from 00:00 to 24:00.",
                code="invalid_time",
                field=field,
            )
        if window.start_hour == window.end_hour % 24 and window.end_hour != 24:
            raise ValidationFailed(
                f"{window.label()} is empty; the end must differ from the start.",
                code="empty_window",
                field=field,
            )
        for day, hour in window.local_hours():
            key = (day % 7) * 24 + hour
            if key in taken:
                raise ValidationFailed(
                    f"Windows overlap: {taken[key].label()} and {window.label()}.",
                    code="overlapping_windows",
                    field=field,
                )
            taken[key] = window
    return ordered


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def local_hour_to_utc(day: dt.date, hour: int, zone: ZoneInfo) -> dt.datetime | None:
    """The UTC instant at which ``hour``:00 on ``day`` starts in ``zone``, or
    ``None`` when the clocks skip that hour. A repeated hour gives its first
    occurrence (``fold=0``)."""
    naive = dt.datetime.combine(day, dt.time(hour))
    aware = naive.replace(tzinfo=zone, fold=0)
    utc = aware.astimezone(dt.UTC)
    if utc.astimezone(zone).replace(tzinfo=None) != naive:
        return None  # a wall-clock time that does not exist that day
    return utc


def window_slots(window: HourWindow, tz: str, week: dt.date) -> list[Slot]:
    """The UTC hour slots of ``window`` in the week starting on the Monday of ``week``."""
    zone = ZoneInfo(tz)
    monday = monday_of(week)
    slots = []
    for day_offset, hour in window.local_hours():
        slot = local_hour_to_utc(monday + dt.timedelta(days=day_offset), hour, zone)
        if slot is not None:
            slots.append(slot)
    return slots


def slots_of(windows: Iterable[HourWindow], tz: str, week: dt.date) -> list[Slot]:
    """All slots of ``windows`` that week, sorted, each once."""
    return sorted({slot for window in windows for slot in window_slots(window, tz, week)})


def slots_to_intervals(slots: Iterable[Slot]) -> list[Interval]:
    """Consecutive slots joined into (start, end) intervals of real time: a
    shift across a spring-forward night is one interval an hour shorter."""
    intervals: list[Interval] = []
    for slot in sorted(set(slots)):
        if intervals and intervals[-1][1] == slot:
            intervals[-1] = (intervals[-1][0], slot + HOUR)
        else:
            intervals.append((slot, slot + HOUR))
    return intervals


def wall_clock_instant(day: dt.date, hour: int, zone: ZoneInfo, *, fold: int) -> dt.datetime:
    """The UTC instant the clocks of ``zone`` show ``hour``:00 on ``day``
    (``hour`` 24 is midnight at the end of the day).

    A time that happens twice (clocks go back) is its first occurrence with
    ``fold=0``, its second with ``fold=1``. A time the clocks skip (spring
    forward) is the instant they jump, the first one after the gap: a shift
    "from 02:00" on that night starts when the clocks jump to 03:00.
    """
    naive = dt.datetime.combine(day, dt.time(0)) + dt.timedelta(hours=hour)
    aware = naive.replace(tzinfo=zone, fold=fold)
    utc = aware.astimezone(dt.UTC)
    if utc.astimezone(zone).replace(tzinfo=None) == naive:
        return utc
    # In the gap: the two readings of the time (with the offset before the
    # change and after it) lie either side of the jump. Find it by halving,
    # to the second: the first instant whose wall clock reads ``naive`` or later.
    readings = sorted(aware.replace(fold=f).astimezone(dt.UTC) for f in (0, 1))
    low, high = (int(reading.timestamp()) for reading in readings)
    while high - low > 1:
        middle = (low + high) // 2
        wall = dt.datetime.fromtimestamp(middle, dt.UTC).astimezone(zone).replace(tzinfo=None)
        if wall >= naive:
            high = middle
        else:
            low = middle
    return dt.datetime.fromtimestamp(high, dt.UTC)


def window_occurrences(window: HourWindow, tz: str, week: dt.date) -> list[Interval]:
    """The real interval a window covers in the week starting on the Monday of
    ``week``, as someone on that shift lives it: one continuous interval from
    its start instant to its end instant (none when the clocks skip all of it).

    The start is the start hour's first occurrence (the instant the clocks
    jump to, if that hour is skipped); the end is the end hour on the end day,
    its later occurrence if it happens twice (the shift lasts until the clocks
    show it the second time), the instant the clocks jump if it is skipped.
    So a London Saturday 22:00-06:00 shift across the October change lasts
    nine hours, across the March change seven. Coverage counts hours with
    ``window_slots`` instead, where the repeated hour counts once.
    """
    zone = ZoneInfo(tz)
    start_day = monday_of(week) + dt.timedelta(days=window.weekday)
    end_hours = window.start_hour + window.hours  # from start_day's midnight, on the wall clock
    end_day = start_day + dt.timedelta(days=end_hours // 24)
    start = wall_clock_instant(start_day, window.start_hour, zone, fold=0)
    end = wall_clock_instant(end_day, end_hours % 24, zone, fold=1)
    return [(start, end)] if start < end else []


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def covered(slot: Slot, intervals: Sequence[Interval]) -> bool:
    """Whether the whole hour from ``slot`` lies inside one of the (merged) intervals."""
    end = slot + HOUR
    return any(start <= slot and end <= stop for start, stop in intervals)


def overlap_minutes(a: Iterable[Interval], b: Iterable[Interval]) -> int:
    """Minutes of real time in both sets of intervals."""
    ours, theirs = merge(a), merge(b)
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
    return int(total.total_seconds()) // 60


def week_starts_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """Mondays of the weeks from ``first`` to ``last`` (both included)."""
    monday, end = monday_of(first), monday_of(last)
    weeks = []
    while monday <= end:
        weeks.append(monday)
        monday += dt.timedelta(weeks=1)
    return weeks
