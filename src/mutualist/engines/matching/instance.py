"""The matching engine's input: a week, the job's roles and the members who
might staff them, as typed values, and the parser from the JSON shape.

The JSON shape (``docs/matching.md`` has all of it)::

    {"week": "2026-11-30", "max_team_size": 3, "currency": "USD",
     "roles": [{"id": "support", "skill": "customer_support",
                "timezone": "Australia/Sydney",
                "coverage": [{"days": ["mon"], "start": "09:00", "end": "17:00"}]},
               {"id": "books", "skill": "bookkeeping", "hours": 6}],
     "members": [{"id": "ana", "skills": ["customer_support"],
                  "timezone": "Asia/Manila", "rate": "9.50", "capacity": 30,
                  "availability": [{"days": ["mon"], "start": "06:00", "end": "14:00"}]}]}

and four optional keys beyond the issue's format: ``pinned`` (member ids
who must be on the team), ``excluded`` (member ids left out),
``one_role_per_member`` (each member on one role at most) and
``fewest_members`` (among the cheapest teams, one with the fewest members).

``parse_instance`` refuses anything else with an ``InstanceError`` naming
the field (``members[3].rate``), so a caller can say what to fix. Unknown
keys are refused too: a misspelt ``"coverge"`` would otherwise turn a
coverage role into an error much further away.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Weeks the engine plans: wide enough for any real job, narrow enough that
# the week either side stays inside datetime, and late enough that every
# zone's offset is a whole number of minutes (Monrovia's was -0:44:30 until 1972).
WEEK_MIN = dt.date(1980, 1, 7)
WEEK_MAX = dt.date(2199, 12, 30)
# Hours a week in one member's capacity, one flexible role, one rate's digits.
CAPACITY_MAX = 168
FLEXIBLE_HOURS_MAX = 100_000
RATE_MAX = Decimal("1000000000")
RATE_PLACES_MAX = 6
ID_MAX_LENGTH = 200

_HOUR = re.compile(r"\A([0-9]{2}):([0-9]{2})\Z")
_CURRENCY = re.compile(r"\A[A-Z]{3}\Z")
_RATE = re.compile(r"\A[0-9]+(?:\.[0-9]+)?\Z")


class InstanceError(ValueError):
    """A malformed instance: ``field`` names where (``roles[0].coverage[1].end``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Window:
    """A weekly window of whole hours on a local wall clock.

    ``days`` are 0 (Monday) to 6; ``start`` is 0-23 and ``end`` 1-24. An
    ``end`` not after ``start`` runs past midnight into the next day (so
    09:00-09:00 is 24 hours).
    """

    days: tuple[int, ...]
    start: int
    end: int

    @property
    def hours(self) -> int:
        return (self.end - self.start) % 24 or 24

    def local_hours(self) -> list[tuple[int, int]]:
        """(day from the week's Monday, hour) of each wall-clock hour; a Sunday
        night window reaches day 7, the next Monday."""
        return [
            (day + (self.start + i) // 24, (self.start + i) % 24)
            for day in self.days
            for i in range(self.hours)
        ]


@dataclass(frozen=True)
class Role:
    """A coverage role (``coverage`` windows in ``timezone``, every hour staffed
    by one member) or a flexible one (``hours`` a week, in any split)."""

    id: str
    skill: str
    coverage: tuple[Window, ...] = ()
    timezone: str | None = None
    hours: int | None = None

    @property
    def flexible(self) -> bool:
        return self.hours is not None


@dataclass(frozen=True)
class Member:
    """Someone who might staff the job.

    ``availability`` is a weekly pattern of windows in ``timezone``: it
    repeats every week, so a role hour early on the week's Monday in Sydney
    may fall on a member's Sunday before it in Honolulu and is covered by
    their Sunday window. A caller that knows the member's real free time
    (their availability less their shifts elsewhere) passes it instead as
    ``intervals``, aware datetimes; then ``availability`` is not used.
    """

    id: str
    skills: frozenset[str]
    timezone: str
    rate: Decimal
    capacity: int
    availability: tuple[Window, ...] = ()
    intervals: tuple[tuple[dt.datetime, dt.datetime], ...] | None = None


@dataclass(frozen=True)
class Instance:
    week: dt.date  # a Monday
    roles: tuple[Role, ...]
    members: tuple[Member, ...]
    max_team_size: int | None = None
    currency: str | None = None
    pinned: frozenset[str] = field(default_factory=frozenset)
    excluded: frozenset[str] = field(default_factory=frozenset)
    one_role_per_member: bool = False
    fewest_members: bool = False
    # Members the team-size limit does not count (typed instances only): the
    # pitch builder's stand-ins for hours it leaves open.
    uncounted: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        check_instance(self)


# --- Checks of a typed instance ----------------------------------------------------


def check_instance(instance: Instance) -> None:
    """The rules a typed ``Instance`` must keep (the parser gives only such)."""
    if instance.week.weekday() != 0:
        raise InstanceError("week", f"{instance.week.isoformat()} is not a Monday.")
    if not WEEK_MIN <= instance.week <= WEEK_MAX:
        raise InstanceError("week", f"plan a week from {WEEK_MIN.year} to {WEEK_MAX.year}.")
    if instance.max_team_size is not None and instance.max_team_size < 1:
        raise InstanceError("max_team_size", "give at least 1, or leave it out for no limit.")
    if not instance.roles:
        raise InstanceError("roles", "name at least one role.")
    for index, role in enumerate(instance.roles):
        for at, window in enumerate(role.coverage):
            _check_window(window, f"roles[{index}].coverage[{at}]")
    for index, member in enumerate(instance.members):
        for at, window in enumerate(member.availability):
            _check_window(window, f"members[{index}].availability[{at}]")
    seen: set[str] = set()
    for index, role in enumerate(instance.roles):
        where = f"roles[{index}]"
        if role.id in seen:
            raise InstanceError(f"{where}.id", f"{role.id!r} names two roles.")
        seen.add(role.id)
        if role.flexible:
            if role.coverage:
                raise InstanceError(where, "give either coverage or hours, not both.")
            if not 1 <= (role.hours or 0) <= FLEXIBLE_HOURS_MAX:
                raise InstanceError(f"{where}.hours", f"give 1 to {FLEXIBLE_HOURS_MAX} hours.")
        else:
            if not role.coverage:
                raise InstanceError(where, "give coverage windows or a number of hours.")
            if role.timezone is None or not is_timezone(role.timezone):
                raise InstanceError(f"{where}.timezone", f"{role.timezone!r} is not a time zone.")
    ids: set[str] = set()
    for index, member in enumerate(instance.members):
        where = f"members[{index}]"
        if member.id in ids:
            raise InstanceError(f"{where}.id", f"{member.id!r} names two members.")
        ids.add(member.id)
        if not is_timezone(member.timezone):
            raise InstanceError(f"{where}.timezone", f"{member.timezone!r} is not a time zone.")
        if not 0 <= member.capacity <= CAPACITY_MAX:
            raise InstanceError(f"{where}.capacity", f"give 0 to {CAPACITY_MAX} hours a week.")
        if not member.rate.is_finite() or not 0 <= member.rate < RATE_MAX:
            raise InstanceError(f"{where}.rate", "give a rate from 0 to 999999999.")
        if -int(member.rate.as_tuple().exponent) > RATE_PLACES_MAX:
            raise InstanceError(f"{where}.rate", f"at most {RATE_PLACES_MAX} decimal places.")
        for at, (start, end) in enumerate(member.intervals or ()):
            if start.tzinfo is None or end.tzinfo is None or not start < end:
                raise InstanceError(
                    f"{where}.intervals[{at}]", "give aware datetimes, start before end."
                )
    for name, chosen in (
        ("pinned", instance.pinned),
        ("excluded", instance.excluded),
        ("uncounted", instance.uncounted),
    ):
        unknown = sorted(chosen - ids)
        if unknown:
            raise InstanceError(name, f"{unknown[0]!r} is not one of the members.")
    both = sorted(instance.pinned & instance.excluded)
    if both:
        raise InstanceError("pinned", f"{both[0]!r} is both pinned and excluded.")
    if (
        instance.max_team_size is not None
        and len(instance.pinned - instance.uncounted) > instance.max_team_size
    ):
        raise InstanceError(
            "pinned",
            f"{len(instance.pinned)} members are pinned, more than max_team_size "
            f"({instance.max_team_size}).",
        )


def _check_window(window: Window, where: str) -> None:
    days = window.days
    if not days or len(set(days)) != len(days) or not all(0 <= day <= 6 for day in days):
        raise InstanceError(f"{where}.days", "give distinct days from 0 (Monday) to 6.")
    if not 0 <= window.start <= 23:
        raise InstanceError(f"{where}.start", "give an hour from 0 to 23.")
    if not 0 <= window.end <= 24:
        raise InstanceError(f"{where}.end", "give an hour from 0 to 24.")


@functools.cache
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_timezone(name: str) -> bool:
    """An IANA time zone name this machine knows (never a path: only names
    from the list are looked up)."""
    return name in _timezones()


# --- The JSON shape ------------------------------------------------------------------


_TOP_KEYS = {
    "week",
    "max_team_size",
    "currency",
    "roles",
    "members",
    "pinned",
    "excluded",
    "one_role_per_member",
    "fewest_members",
}
_ROLE_KEYS = {"id", "skill", "timezone", "coverage", "hours"}
_MEMBER_KEYS = {"id", "skills", "timezone", "rate", "capacity", "availability"}
_WINDOW_KEYS = {"days", "start", "end"}


def parse_instance(data: object) -> Instance:
    """The typed instance of the JSON-shaped ``data``; ``InstanceError`` names
    the first field at fault."""
    top = _mapping(data, "instance", _TOP_KEYS)
    week = _week(top.get("week"))
    max_team_size = None
    if top.get("max_team_size") is not None:
        max_team_size = _whole(top["max_team_size"], "max_team_size", low=1, high=1_000_000)
    currency = top.get("currency")
    if currency is not None and (not isinstance(currency, str) or not _CURRENCY.match(currency)):
        raise InstanceError("currency", f"{currency!r} is not a currency code such as USD.")
    roles = tuple(
        _role(item, f"roles[{index}]")
        for index, item in enumerate(_list(top.get("roles"), "roles", empty=False))
    )
    members = tuple(
        _member(item, f"members[{index}]")
        for index, item in enumerate(_list(top.get("members", []), "members"))
    )
    options: dict[str, bool] = {}
    for name in ("one_role_per_member", "fewest_members"):
        value = top.get(name, False)
        if not isinstance(value, bool):
            raise InstanceError(name, "give true or false.")
        options[name] = value
    return Instance(
        week=week,
        roles=roles,
        members=members,
        max_team_size=max_team_size,
        currency=currency,
        pinned=_ids(top.get("pinned", []), "pinned"),
        excluded=_ids(top.get("excluded", []), "excluded"),
        one_role_per_member=options["one_role_per_member"],
        fewest_members=options["fewest_members"],
    )


def _mapping(value: object, where: str, keys: set[str]) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise InstanceError(where, "give an object ({...}).")
    for key in value:
        if key not in keys:
            raise InstanceError(
                f"{where}.{key}" if where != "instance" else str(key),
                f"unknown field; the fields here are {', '.join(sorted(keys))}.",
            )
    return value


def _list(value: object, where: str, *, empty: bool = True) -> Sequence[object]:
    if not isinstance(value, list | tuple):
        raise InstanceError(where, "give a list ([...]).")
    if not empty and not value:
        raise InstanceError(where, "give at least one.")
    return value


def _text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InstanceError(where, "give a non-empty string.")
    if len(value) > ID_MAX_LENGTH:
        raise InstanceError(where, f"at most {ID_MAX_LENGTH} characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: no text can carry it out again
        raise InstanceError(where, "give valid text (this holds a lone surrogate).") from None
    return value


def _whole(value: object, where: str, *, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InstanceError(where, f"give a whole number from {low} to {high}.")
    if not low <= value <= high:
        raise InstanceError(where, f"give a whole number from {low} to {high}.")
    return value


def _week(value: object) -> dt.date:
    if not isinstance(value, str):
        raise InstanceError("week", "give the week's Monday as an ISO date, such as 2026-11-30.")
    try:
        week = dt.date.fromisoformat(value)
    except ValueError:
        raise InstanceError("week", f"{value!r} is not a date such as 2026-11-30.") from None
    if len(value) != 10:
        raise InstanceError("week", f"{value!r} is not a date such as 2026-11-30.")
    if week.weekday() != 0:
        raise InstanceError("week", f"{value} is a {week:%A}; give the Monday of the week.")
    if not WEEK_MIN <= week <= WEEK_MAX:
        raise InstanceError("week", f"plan a week from {WEEK_MIN.year} to {WEEK_MAX.year}.")
    return week


def _timezone(value: object, where: str) -> str:
    if not isinstance(value, str) or not is_timezone(value):
        raise InstanceError(where, f"{value!r} is not a time zone such as Europe/Lisbon.")
    return value


def _hour(value: object, where: str, *, end: bool) -> int:
    match = _HOUR.match(value) if isinstance(value, str) else None
    if match is None:
        raise InstanceError(where, f"{value!r} is not a time such as 09:00.")
    hour, minute = int(match[1]), int(match[2])
    if minute != 0:
        raise InstanceError(where, f"{value!r}: windows are in whole hours, such as 09:00.")
    if not (hour <= 23 or (end and hour == 24)):
        raise InstanceError(where, f"{value!r}: hours run 00:00 to 24:00 (24:00 only as an end).")
    return hour


def _window(value: object, where: str) -> Window:
    item = _mapping(value, where, _WINDOW_KEYS)
    raw_days = _list(item.get("days"), f"{where}.days", empty=False)
    days: list[int] = []
    for index, day in enumerate(raw_days):
        if not isinstance(day, str) or day.lower() not in DAY_NAMES:
            raise InstanceError(f"{where}.days[{index}]", f"{day!r} is not one of mon ... sun.")
        number = DAY_NAMES.index(day.lower())
        if number in days:
            raise InstanceError(f"{where}.days[{index}]", f"{day!r} is named twice.")
        days.append(number)
    start = _hour(item.get("start"), f"{where}.start", end=False)
    end = _hour(item.get("end"), f"{where}.end", end=True)
    return Window(days=tuple(days), start=start, end=end)


def _role(value: object, where: str) -> Role:
    item = _mapping(value, where, _ROLE_KEYS)
    role_id = _text(item.get("id"), f"{where}.id")
    skill = _text(item.get("skill"), f"{where}.skill")
    has_coverage, has_hours = "coverage" in item, "hours" in item
    if has_coverage == has_hours:
        raise InstanceError(where, "give either coverage (windows) or hours (flexible), not both.")
    timezone = None
    if item.get("timezone") is not None:
        timezone = _timezone(item["timezone"], f"{where}.timezone")
    if has_hours:
        hours = _whole(item["hours"], f"{where}.hours", low=1, high=FLEXIBLE_HOURS_MAX)
        return Role(id=role_id, skill=skill, hours=hours, timezone=timezone)
    if timezone is None:
        raise InstanceError(f"{where}.timezone", "a coverage role needs its time zone.")
    windows = tuple(
        _window(window, f"{where}.coverage[{index}]")
        for index, window in enumerate(_list(item["coverage"], f"{where}.coverage", empty=False))
    )
    return Role(id=role_id, skill=skill, coverage=windows, timezone=timezone)


def _rate(value: object, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        # A binary float cannot hold 9.10 exactly; the rate must be exact.
        raise InstanceError(where, 'give the rate as a decimal string, such as "9.50".')
    if isinstance(value, int) and not 0 <= value < RATE_MAX:
        raise InstanceError(where, "give a rate from 0 to 999999999.")
    if isinstance(value, Decimal) and (
        not value.is_finite()
        or value.adjusted() >= 9
        or int(value.as_tuple().exponent) < -RATE_PLACES_MAX
    ):
        # Checked before the number is written out: 1e999999999 has a billion digits.
        raise InstanceError(
            where, f"give a rate from 0 to 999999999, at most {RATE_PLACES_MAX} decimal places."
        )
    if isinstance(value, str) and len(value) > 40:
        raise InstanceError(where, "give a rate such as 9.50 (this one is too long).")
    text = str(value) if not isinstance(value, Decimal) else format(value, "f")
    if not _RATE.match(text):
        raise InstanceError(where, f"{text!r} is not a rate such as 9.50.")
    try:
        rate = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        raise InstanceError(where, f"{text!r} is not a rate such as 9.50.") from None
    if rate >= RATE_MAX:
        raise InstanceError(where, "give a rate below 1000000000.")
    if -int(rate.as_tuple().exponent) > RATE_PLACES_MAX:
        raise InstanceError(where, f"at most {RATE_PLACES_MAX} decimal places.")
    return rate


def _member(value: object, where: str) -> Member:
    item = _mapping(value, where, _MEMBER_KEYS)
    member_id = _text(item.get("id"), f"{where}.id")
    skills = frozenset(
        _text(skill, f"{where}.skills[{index}]")
        for index, skill in enumerate(_list(item.get("skills"), f"{where}.skills"))
    )
    return Member(
        id=member_id,
        skills=skills,
        timezone=_timezone(item.get("timezone"), f"{where}.timezone"),
        rate=_rate(item.get("rate"), f"{where}.rate"),
        capacity=_whole(item.get("capacity"), f"{where}.capacity", low=0, high=CAPACITY_MAX),
        availability=tuple(
            _window(window, f"{where}.availability[{index}]")
            for index, window in enumerate(
                _list(item.get("availability", []), f"{where}.availability")
            )
        ),
    )


def _ids(value: object, where: str) -> frozenset[str]:
    items = _list(value, where)
    return frozenset(_text(item, f"{where}[{index}]") for index, item in enumerate(items))
