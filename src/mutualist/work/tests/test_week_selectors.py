"""A member's week across clients in their own time, through daylight-saving
changes on the clients' side; the team's week; warnings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction

from mutualist.members.models import User
from mutualist.testing import Work
from mutualist.work.models import (
    Client,
    Engagement,
    EngagementMember,
    EngagementShift,
    TimeEntry,
)
from mutualist.work.selectors.time import Week, member_week, team_week
from mutualist.work.services.time import time_entry_record, timer_start

UTC = dt.UTC
SYDNEY = ZoneInfo("Australia/Sydney")
LONDON = ZoneInfo("Europe/London")
CHICAGO = ZoneInfo("America/Chicago")  # Austin keeps Central time
NOW = dt.datetime(2026, 4, 20, 4, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@dataclass(frozen=True)
class Three:
    """Ana (Manila) on three of collective A's engagements: Harbour in Sydney,
    Thames in London, Lone Star in Austin, all running since January."""

    work: Work
    harbour: Engagement
    thames: Engagement
    austin: Engagement


@pytest.fixture
def three(work: Work) -> Three:
    Engagement.objects.filter(pk=work.engagement.pk).update(starts_on=dt.date(2026, 1, 5))
    work.engagement.refresh_from_db()
    lone_star = Client.objects.create(
        name="Lone Star Plumbing", country="US", timezone="America/Chicago", currency="USD",
        billing_address="3 Congress Ave\nAustin TX", created_by=work.cast.ana,
    )  # fmt: skip

    def engagement(client: Client, title: str, tz: str, weekday: int) -> Engagement:
        found = Engagement.objects.create(
            collective=work.cast.collective_a, client=client, title=title,
            currency=client.currency, timezone=tz, status="active",
            starts_on=dt.date(2026, 1, 5),
        )  # fmt: skip
        seat = EngagementMember.objects.create(
            engagement=found, user=work.cast.ana, role_title="Assistant",
            bill_rate_minor=3000, pay_rate_minor=2500, weekly_cap_hours=5,
        )  # fmt: skip
        EngagementShift.objects.create(member=seat, weekday=weekday, start_hour=9, end_hour=11)
        return found

    thames = engagement(work.thames, "Tea orders", "Europe/London", 1)  # Tuesdays
    austin = engagement(lone_star, "Dispatch", "America/Chicago", 2)  # Wednesdays
    return Three(work, work.engagement, thames, austin)


def record(three: Three, engagement: Engagement, start: dt.datetime, end: dt.datetime) -> None:
    ana = three.work.cast.ana
    with transaction.atomic():
        time_entry_record(
            engagement=engagement, member=ana, started_at=start, ended_at=end, recorded_by=ana
        )


def at(zone: ZoneInfo, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=zone)


def local_entries(week: Week) -> list[tuple[str, str, str, str]]:
    """(day, client, local start, local end) for each entry, as the page shows them."""
    return [
        (day.day.isoformat(), row.entry.engagement.client.name,
         row.start.strftime("%a %H:%M"), row.end.strftime("%a %H:%M") if row.end else "")
        for day in week.days
        for row in day.entries
    ]  # fmt: skip


def local_shifts(week: Week) -> list[tuple[str, str, str]]:
    return [
        (s.engagement.client.name, s.start.strftime("%a %d %H:%M"), s.end.strftime("%H:%M"))
        for s in week.shifts
    ]


def test_ana_reads_three_clients_in_manila_time_across_the_us_change(three: Three) -> None:
    # given the week after the US moved its clocks (Sunday 8 March), not yet the UK
    ana = three.work.cast.ana
    record(three, three.harbour, at(SYDNEY, 3, 9, 9), at(SYDNEY, 3, 9, 11))  # Mon, AEDT
    record(three, three.thames, at(LONDON, 3, 10, 9), at(LONDON, 3, 10, 10))  # Tue, GMT
    record(three, three.austin, at(CHICAGO, 3, 10, 10), at(CHICAGO, 3, 10, 11))  # Tue, CDT
    # when she reads her week of Monday 9 March
    week = member_week(member=ana, week_start=dt.date(2026, 3, 9))
    # then each entry shows at its Manila time, on its Manila day
    assert week.zone.key == "Asia/Manila"
    assert local_entries(week) == [
        ("2026-03-09", "Harbour Bridge Logistics", "Mon 06:00", "Mon 08:00"),
        ("2026-03-10", "Thames Tea Ltd", "Tue 17:00", "Tue 18:00"),
        # 10:00 in Austin (CDT, UTC-5) is 23:00 in Manila, ending at midnight
        ("2026-03-10", "Lone Star Plumbing", "Tue 23:00", "Wed 00:00"),
    ]
    # and the totals per client and for the week
    assert [(c.client.name, c.minutes, c.cap_hours) for c in week.clients] == [
        ("Harbour Bridge Logistics", 120, 40),
        ("Lone Star Plumbing", 60, 5),
        ("Thames Tea Ltd", 60, 5),
    ]
    assert (week.minutes, week.hours) == (240, "4:00")
    # and her shifts in Manila time: Austin's Wednesday 09:00 is 22:00 in Manila
    assert local_shifts(week)[:1] == [("Harbour Bridge Logistics", "Mon 09 06:00", "14:00")]
    assert ("Thames Tea Ltd", "Tue 10 17:00", "19:00") in local_shifts(week)
    assert ("Lone Star Plumbing", "Wed 11 22:00", "00:00") in local_shifts(week)


def test_the_week_before_the_us_change_is_an_hour_later_for_austin(three: Three) -> None:
    week = member_week(member=three.work.cast.ana, week_start=dt.date(2026, 3, 2))
    assert ("Lone Star Plumbing", "Wed 04 23:00", "01:00") in local_shifts(week)
    assert ("Thames Tea Ltd", "Tue 03 17:00", "19:00") in local_shifts(week)


def test_the_week_sydney_leaves_daylight_saving(three: Three) -> None:
    # given entries either side of Sunday 5 April 03:00 in Sydney (AEDT -> AEST),
    # and London already on summer time (since 29 March)
    ana = three.work.cast.ana
    record(three, three.harbour, at(SYDNEY, 4, 4, 10), at(SYDNEY, 4, 4, 11))  # Sat, UTC+11
    record(three, three.harbour, at(SYDNEY, 4, 5, 10), at(SYDNEY, 4, 5, 11))  # Sun, UTC+10
    record(three, three.thames, at(LONDON, 3, 31, 9), at(LONDON, 3, 31, 10))  # Tue, BST
    # when Ana reads her week of Monday 30 March
    week = member_week(member=ana, week_start=dt.date(2026, 3, 30))
    # then the same 10:00 in Sydney is 07:00 in Manila on Saturday, 08:00 on Sunday
    assert local_entries(week) == [
        ("2026-03-31", "Thames Tea Ltd", "Tue 16:00", "Tue 17:00"),
        ("2026-04-04", "Harbour Bridge Logistics", "Sat 07:00", "Sat 08:00"),
        ("2026-04-05", "Harbour Bridge Logistics", "Sun 08:00", "Sun 09:00"),
    ]
    assert [day.minutes for day in week.days] == [0, 60, 0, 0, 0, 60, 60]
    # and her Sydney shifts move an hour later in Manila from the next week on
    assert ("Harbour Bridge Logistics", "Mon 30 06:00", "14:00") in local_shifts(week)
    following = member_week(member=ana, week_start=dt.date(2026, 4, 6))
    assert ("Harbour Bridge Logistics", "Mon 06 07:00", "15:00") in local_shifts(following)


def test_a_member_in_a_zone_with_daylight_saving_gets_her_own_monday(work: Work) -> None:
    # Lena lives in London: her weeks run Monday to Sunday on London's clock
    from mutualist.testing import make_member

    lena = make_member("lena@example.org", "Lena", timezone="Europe/London")
    EngagementMember.objects.create(
        engagement=work.engagement, user=lena, role_title="Support",
        bill_rate_minor=1, pay_rate_minor=1, weekly_cap_hours=10,
    )  # fmt: skip
    Engagement.objects.filter(pk=work.engagement.pk).update(starts_on=dt.date(2026, 1, 5))
    work.engagement.refresh_from_db()
    # Sunday 29 March 23:30 BST is still her week of 23 March
    with transaction.atomic():
        entry = time_entry_record(
            engagement=work.engagement, member=lena, started_at=at(LONDON, 3, 29, 23, 30),
            ended_at=at(LONDON, 3, 30, 0, 30), recorded_by=lena,
        )  # fmt: skip
    assert entry.timesheet.week_start == dt.date(2026, 3, 23)
    week = member_week(member=lena, week_start=dt.date(2026, 3, 23))
    assert local_entries(week) == [
        ("2026-03-29", "Harbour Bridge Logistics", "Sun 23:30", "Mon 00:30")
    ]


def test_it_warns_about_overcommitment_clashing_shifts_and_a_week_over_a_cap(
    three: Three,
) -> None:
    ana = three.work.cast.ana
    # given caps of 40 + 5 + 5 = 50 h against a capacity of 40 h, and a London
    # shift on Mondays 00:00-02:00 (08:00-10:00 in Manila in March) inside her
    # Sydney shift (09:00-17:00 AEDT, 06:00-14:00 in Manila)
    seat = EngagementMember.objects.get(engagement=three.thames, user=ana)
    EngagementShift.objects.create(member=seat, weekday=0, start_hour=0, end_hour=2)
    # and 6 h on Thames (cap 5), as a stopped timer would leave it
    record(three, three.thames, at(LONDON, 3, 10, 9), at(LONDON, 3, 10, 13))
    TimeEntry.objects.filter(engagement=three.thames).update(
        ended_at=at(LONDON, 3, 10, 15), minutes=360
    )
    week = member_week(member=ana, week_start=dt.date(2026, 3, 9))
    assert week.warnings == [
        "Your caps add up to 50 h a week, more than your capacity of 40 h.",
        "Shifts overlap: Harbour Bridge Logistics Mon 06:00–14:00 and "
        "Thames Tea Ltd Mon 08:00–10:00.",
        "6:00 h on Tea orders is over your cap of 5 h: correct an entry before you submit the week.",
    ]
    assert week.submittable is False
    assert [e.over_cap for e in week.engagements] == [False, False, True]


def test_a_running_timer_counts_so_far_and_blocks_submitting(three: Three) -> None:
    ana = three.work.cast.ana
    with transaction.atomic():
        timer_start(engagement=three.harbour, member=ana, at=NOW - dt.timedelta(minutes=42))
    week = member_week(member=ana, week_start=dt.date(2026, 4, 20))
    assert week.running is not None
    assert (week.running.minutes, week.minutes, week.submittable) == (42, 42, False)


def test_the_team_week_shows_every_member_and_what_waits(work: Work) -> None:
    from mutualist.work.services.timesheets import week_submit

    Engagement.objects.filter(pk=work.engagement.pk).update(starts_on=dt.date(2026, 1, 5))
    work.engagement.refresh_from_db()
    ben: User = work.cast.ben
    with transaction.atomic():
        time_entry_record(
            engagement=work.engagement, member=ben, started_at=at(SYDNEY, 4, 14, 9),
            ended_at=at(SYDNEY, 4, 14, 12), recorded_by=ben,
        )  # fmt: skip
        [sheet] = week_submit(member=ben, week_start=dt.date(2026, 4, 13))
    team = team_week(collective=work.cast.collective_a, week_start=dt.date(2026, 4, 13))
    rows = {
        m.member.display_name: [
            (r.engagement.title, r.minutes, r.cap_hours, r.state) for r in m.rows
        ]
        for m in team.members
    }
    assert rows == {
        "Ana Reyes": [("Customer support, Sydney business hours", 0, 40, "open")],
        "Ben Okafor": [("Customer support, Sydney business hours", 180, 10, "submitted")],
    }
    assert team.to_approve == [sheet]
