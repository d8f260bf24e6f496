"""The timer: at most one running per member, stopping never loses time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction

from mutualist.core.errors import DomainError
from mutualist.testing import Work
from mutualist.work.models import Engagement, TimeEntry, Timesheet
from mutualist.work.services import time as time_services
from mutualist.work.services.time import time_entry_record, timer_start, timer_stop

UTC = dt.UTC
MANILA = ZoneInfo("Asia/Manila")
NOW = dt.datetime(2026, 12, 2, 4, 0, tzinfo=UTC)  # Wed 2 Dec, 12:00 in Manila


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def manila(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=MANILA)


def start(work: Work, **kwargs: object) -> TimeEntry:
    params: dict[str, object] = {"engagement": work.engagement, "member": work.cast.ana}
    params.update(kwargs)
    with transaction.atomic():
        return timer_start(**params)  # type: ignore[arg-type]


def stop(work: Work, member: object = None, at: dt.datetime | None = None) -> TimeEntry:
    with transaction.atomic():
        return timer_stop(member=member or work.cast.ana, at=at)  # type: ignore[arg-type]


def counts() -> tuple[int, int]:
    return TimeEntry.objects.count(), Timesheet.objects.count()


def test_a_timer_runs_from_now_and_stops_into_a_finished_entry(work: Work) -> None:
    # when Ana starts her timer at 12:00 Manila and stops it at 13:15
    running = start(work, note="Inbox", billable=False)
    assert running.is_running
    assert (running.kind, running.started_at, running.minutes) == ("timer", NOW, None)
    assert running.timesheet.week_start == dt.date(2026, 11, 30)
    with time_machine.travel(NOW + dt.timedelta(minutes=75), tick=False):
        stopped = stop(work)
    # then the entry is 75 minutes, keeps its note and flag, and no timer runs
    stopped.refresh_from_db()
    assert (stopped.pk, stopped.minutes, stopped.note, stopped.billable) == (
        running.pk,
        75,
        "Inbox",
        False,
    )
    assert stopped.ended_at == NOW + dt.timedelta(minutes=75)
    assert not TimeEntry.objects.filter(ended_at__isnull=True).exists()


def test_a_timer_of_a_few_seconds_counts_one_minute(work: Work) -> None:
    start(work)
    stopped = stop(work, at=NOW + dt.timedelta(seconds=4))
    assert stopped.minutes == 1


def test_it_refuses_a_second_timer_naming_the_running_one(work: Work) -> None:
    # given Ana's timer runs
    first = start(work)
    before = counts()
    # when she starts another
    with pytest.raises(DomainError) as caught:
        start(work)
    # then it is refused, and nothing changed
    assert (caught.value.code, caught.value.status) == ("timer_running", 409)
    assert f"entry #{first.pk}" in caught.value.message
    assert counts() == before


def test_the_database_refuses_a_second_timer_when_the_check_is_bypassed(
    work: Work, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a running timer, and the service's own check blinded (as a writer
    # that slipped past it would be)
    start(work)
    monkeypatch.setattr(time_services, "_running_timer", lambda member: None)
    monkeypatch.setattr(time_services, "_require_no_overlap", lambda *a, **k: None)
    before = counts()
    # when a second start reaches the database
    with pytest.raises(DomainError) as caught:
        start(work)
    # then the partial unique index says no, as the same refusal
    assert caught.value.code == "timer_running"
    assert counts() == before


def test_one_timer_per_member_across_engagements(work: Work) -> None:
    from mutualist.work.models import EngagementMember

    EngagementMember.objects.create(
        engagement=work.b_engagement, user=work.cast.ana, role_title="Inbox",
        bill_rate_minor=1, pay_rate_minor=1, weekly_cap_hours=5,
    )  # fmt: skip
    start(work)
    with pytest.raises(DomainError) as caught:
        start(work, engagement=work.b_engagement)
    assert caught.value.code == "timer_running"


def test_two_members_run_timers_at_once(work: Work) -> None:
    start(work)
    start(work, member=work.cast.ben)
    assert TimeEntry.objects.filter(ended_at__isnull=True).count() == 2


def test_it_refuses_to_stop_a_timer_that_is_not_running(work: Work) -> None:
    with pytest.raises(DomainError) as caught:
        stop(work)
    assert (caught.value.code, caught.value.status) == ("no_timer_running", 409)


def test_it_refuses_a_stop_before_the_start(work: Work) -> None:
    running = start(work)
    with pytest.raises(DomainError) as caught:
        stop(work, at=NOW - dt.timedelta(minutes=1))
    assert caught.value.code == "ends_before_start"
    running.refresh_from_db()
    assert running.is_running


@pytest.mark.parametrize(("member", "code"), [("carla", "not_on_team"), ("olga", "not_on_team")])
def test_it_refuses_a_timer_off_the_team(work: Work, member: str, code: str) -> None:
    before = counts()
    with pytest.raises(DomainError) as caught:
        start(work, member=getattr(work.cast, member))
    assert caught.value.code == code
    assert counts() == before


def test_it_refuses_a_timer_on_a_paused_engagement(work: Work) -> None:
    Engagement.objects.filter(pk=work.engagement.pk).update(status="paused")
    work.engagement.refresh_from_db()
    with pytest.raises(DomainError) as caught:
        start(work)
    assert caught.value.code == "engagement_not_active"
    assert counts() == (0, 0)


def test_it_refuses_a_timer_before_the_engagement_starts(work: Work) -> None:
    # Sunday 29 Nov 12:00 in Manila is 15:00 Sunday in Sydney: before 30 Nov
    sunday = dt.datetime(2026, 11, 29, 4, tzinfo=UTC)
    with time_machine.travel(sunday, tick=False), pytest.raises(DomainError) as caught:
        start(work)
    assert caught.value.code == "outside_engagement"


def test_it_refuses_a_timer_once_the_cap_is_reached(work: Work) -> None:
    # given Ben (cap 10 h) has logged exactly 10 h this week
    ben = work.cast.ben
    with transaction.atomic():
        time_entry_record(
            engagement=work.engagement, member=ben, started_at=manila(1, 0),
            ended_at=manila(1, 10), recorded_by=ben,
        )  # fmt: skip
    before = counts()
    with pytest.raises(DomainError) as caught:
        start(work, member=ben)
    assert (caught.value.code, caught.value.status) == ("over_weekly_cap", 422)
    assert counts() == before


def test_it_refuses_a_timer_overlapping_an_entry(work: Work) -> None:
    # an entry that ends two minutes from now (within the grace)
    with transaction.atomic():
        other = time_entry_record(
            engagement=work.engagement, member=work.cast.ana, started_at=manila(2, 11),
            ended_at=manila(2, 12, 2), recorded_by=work.cast.ana,
        )  # fmt: skip
    with pytest.raises(DomainError) as caught:
        start(work)
    assert caught.value.code == "overlapping_entry"
    assert f"entry #{other.pk}" in caught.value.message


def test_an_entry_overlapping_a_running_timer_is_refused(work: Work) -> None:
    running = start(work, at=NOW - dt.timedelta(hours=1))
    with pytest.raises(DomainError) as caught, transaction.atomic():
        time_entry_record(
            engagement=work.engagement, member=work.cast.ana, started_at=manila(2, 11, 30),
            ended_at=manila(2, 11, 45), recorded_by=work.cast.ana,
        )  # fmt: skip
    assert caught.value.code == "overlapping_entry"
    assert f"entry #{running.pk}" in caught.value.message
    assert "(running)" in caught.value.message


def test_it_refuses_a_timer_in_a_submitted_week(work: Work) -> None:
    with transaction.atomic():
        entry = time_entry_record(
            engagement=work.engagement, member=work.cast.ana, started_at=manila(1, 9),
            ended_at=manila(1, 10), recorded_by=work.cast.ana,
        )  # fmt: skip
    Timesheet.objects.filter(pk=entry.timesheet_id).update(state="submitted")
    with pytest.raises(DomainError) as caught:
        start(work)
    assert caught.value.code == "week_submitted"


def test_a_stop_past_the_cap_is_recorded_and_warned_about(work: Work) -> None:
    # given Ben (cap 10 h) at 9 h, his timer running for 2 h
    ben = work.cast.ben
    with transaction.atomic():
        time_entry_record(
            engagement=work.engagement, member=ben, started_at=manila(1, 0),
            ended_at=manila(1, 9), recorded_by=ben,
        )  # fmt: skip
    start(work, member=ben, at=NOW - dt.timedelta(hours=2))
    # when he stops it
    stopped = stop(work, member=ben)
    # then the 2 h are kept: the week is at 11 h, over the cap
    assert stopped.minutes == 120
    from mutualist.work.services.time import week_minutes

    assert week_minutes(stopped.timesheet) == 11 * 60


def test_a_timer_across_midnight_stays_in_the_week_it_started(work: Work) -> None:
    # Sunday 6 Dec 23:00 Manila to Monday 7 Dec 01:30
    sunday_late = dt.datetime(2026, 12, 6, 15, 0, tzinfo=UTC)
    with time_machine.travel(sunday_late, tick=False):
        running = start(work)
    with time_machine.travel(sunday_late + dt.timedelta(minutes=150), tick=False):
        stopped = stop(work)
    assert stopped.pk == running.pk
    assert stopped.minutes == 150
    assert stopped.timesheet.week_start == dt.date(2026, 11, 30)


def test_a_timer_left_running_over_a_day_stops_at_24_hours(work: Work) -> None:
    running = start(work)
    with time_machine.travel(NOW + dt.timedelta(hours=30), tick=False):
        stopped = stop(work)
    assert stopped.ended_at == running.started_at + dt.timedelta(hours=24)
    assert stopped.minutes == 24 * 60
