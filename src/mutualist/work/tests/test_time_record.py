"""Recording a finished interval of work: ``time_entry_record``, the service
the web, the API and the CSV import share."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction

from mutualist.core.errors import DomainError
from mutualist.testing import Work
from mutualist.work.models import Engagement, TimeEntry, Timesheet
from mutualist.work.services.time import time_entry_record

UTC = dt.UTC
MANILA = ZoneInfo("Asia/Manila")
# Wednesday 2 December 2026, 12:00 in Manila: the work fixture's engagement
# started on Monday 30 November.
NOW = dt.datetime(2026, 12, 2, 4, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen() -> object:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def manila(day: int, hour: int, minute: int = 0, month: int = 12) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=MANILA)


def record(work: Work, start: dt.datetime, end: dt.datetime, **kwargs: object) -> TimeEntry:
    params: dict[str, object] = {
        "engagement": work.engagement,
        "member": work.cast.ana,
        "started_at": start,
        "ended_at": end,
        "recorded_by": work.cast.ana,
    }
    params.update(kwargs)
    with transaction.atomic():
        return time_entry_record(**params)  # type: ignore[arg-type]


def refused(work: Work, start: dt.datetime, end: dt.datetime, **kwargs: object) -> DomainError:
    before = (TimeEntry.objects.count(), Timesheet.objects.count())
    with pytest.raises(DomainError) as caught:
        record(work, start, end, **kwargs)
    assert (TimeEntry.objects.count(), Timesheet.objects.count()) == before
    return caught.value


def test_it_records_an_interval_in_utc_in_the_members_week(work: Work) -> None:
    # given Ana (Manila) on Harbour's engagement
    # when she records Tuesday 09:00-10:30 Manila time
    entry = record(work, manila(1, 9), manila(1, 10, 30), note=" calls ", billable=False)

    # then it is stored in UTC, 90 minutes, in her open timesheet of Monday 30 Nov
    entry.refresh_from_db()
    assert entry.started_at == dt.datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    assert entry.ended_at == dt.datetime(2026, 12, 1, 2, 30, tzinfo=UTC)
    assert entry.minutes == 90
    assert entry.kind == "manual"
    assert entry.note == "calls"
    assert entry.billable is False
    assert entry.created_by == work.cast.ana
    assert entry.timesheet.week_start == dt.date(2026, 11, 30)
    assert entry.timesheet.state == "open"
    assert entry.timesheet.member == work.cast.ana


def test_the_week_is_the_members_monday_not_the_clients(work: Work) -> None:
    # given Sunday 6 Dec 23:00 in Manila, already Monday 7 Dec 02:00 in Sydney
    with time_machine.travel(dt.datetime(2026, 12, 7, 0, 0, tzinfo=UTC), tick=False):
        entry = record(work, manila(6, 22), manila(6, 23))
    # then the entry belongs to Ana's week of Monday 30 Nov
    assert entry.timesheet.week_start == dt.date(2026, 11, 30)


def test_a_coordinator_records_for_a_member_and_a_second_entry_shares_the_timesheet(
    work: Work,
) -> None:
    first = record(
        work, manila(1, 9), manila(1, 10), member=work.cast.ben, recorded_by=work.cast.ben
    )
    second = record(
        work, manila(1, 11), manila(1, 12), member=work.cast.ben, recorded_by=work.cast.ana
    )
    assert second.timesheet_id == first.timesheet_id
    assert second.created_by == work.cast.ana
    assert Timesheet.objects.filter(member=work.cast.ben).count() == 1


def test_a_few_seconds_count_one_minute(work: Work) -> None:
    entry = record(work, manila(1, 9), manila(1, 9) + dt.timedelta(seconds=20))
    assert entry.minutes == 1


def test_an_imported_entry_keeps_its_source(work: Work) -> None:
    entry = record(work, manila(1, 9), manila(1, 10), kind="import", source="toggl:row 12")
    assert (entry.kind, entry.source) == ("import", "toggl:row 12")


def test_it_refuses_an_end_before_the_start(work: Work) -> None:
    error = refused(work, manila(1, 10), manila(1, 9))
    assert (error.code, error.status, error.field) == ("ends_before_start", 422, "ended_at")
    assert refused(work, manila(1, 10), manila(1, 10)).code == "ends_before_start"


def test_it_refuses_naive_datetimes(work: Work) -> None:
    error = refused(work, dt.datetime(2026, 12, 1, 9), manila(1, 10))  # noqa: DTZ001
    assert (error.code, error.field) == ("naive_datetime", "started_at")


def test_it_refuses_an_entry_longer_than_a_day(work: Work) -> None:
    with time_machine.travel(dt.datetime(2026, 12, 5, tzinfo=UTC), tick=False):
        error = refused(work, manila(1, 9), manila(2, 9, 1))
    assert error.code == "entry_too_long"


def test_it_refuses_an_entry_ending_in_the_future(work: Work) -> None:
    # now is 12:00 in Manila: 12:05 is within the grace, 12:06 is not
    record(work, manila(2, 11), manila(2, 12, 5))
    error = refused(work, manila(2, 12, 5), manila(2, 12, 6))
    assert error.code == "entry_in_future"


def test_it_refuses_a_member_of_the_other_collective(work: Work) -> None:
    # Carla (collective B) has no seat on A's engagement
    error = refused(
        work, manila(1, 9), manila(1, 10), member=work.cast.carla, recorded_by=work.cast.carla
    )
    assert (error.code, error.status) == ("not_on_team", 403)


def test_it_refuses_a_member_who_left_the_team(work: Work) -> None:
    work.ben_seat.left_at = NOW - dt.timedelta(days=1)
    work.ben_seat.save()
    error = refused(
        work, manila(1, 9), manila(1, 10), member=work.cast.ben, recorded_by=work.cast.ben
    )
    assert error.code == "not_on_team"


def test_it_refuses_someone_recording_for_another_member(work: Work) -> None:
    # Ben is a member of A, not a coordinator: he cannot log Ana's time
    error = refused(work, manila(1, 9), manila(1, 10), recorded_by=work.cast.ben)
    assert (error.code, error.status) == ("not_allowed", 403)


@pytest.mark.parametrize("status", ["paused", "pending"])
def test_it_refuses_an_engagement_that_is_not_active(work: Work, status: str) -> None:
    Engagement.objects.filter(pk=work.engagement.pk).update(status=status)
    work.engagement.refresh_from_db()
    error = refused(work, manila(1, 9), manila(1, 10))
    assert (error.code, error.status) == ("engagement_not_active", 409)


def test_it_refuses_time_before_the_engagement_starts_in_its_time_zone(work: Work) -> None:
    # Monday 30 Nov 05:00 in Manila is 08:00 in Sydney: inside the engagement
    record(work, manila(30, 5, month=11), manila(30, 6, month=11))
    # Sunday 29 Nov 20:00 Manila is 23:00 Sunday in Sydney: before it
    error = refused(work, manila(29, 20, month=11), manila(29, 20, 30, month=11))
    assert (error.code, error.field) == ("outside_engagement", "started_at")


def test_it_refuses_time_after_the_engagement_ended(work: Work) -> None:
    Engagement.objects.filter(pk=work.engagement.pk).update(ended_on=dt.date(2026, 12, 1))
    work.engagement.refresh_from_db()
    error = refused(work, manila(1, 21), manila(1, 22))  # Wed 2 Dec 00:00 in Sydney
    assert (error.code, error.field) == ("outside_engagement", "ended_at")


def test_it_refuses_an_overlap_naming_the_other_entry(work: Work) -> None:
    # given Ana's Tuesday 09:00-10:30
    first = record(work, manila(1, 9), manila(1, 10, 30))
    # when she records 10:00-11:00 the same day
    error = refused(work, manila(1, 10), manila(1, 11))
    # then she is told which entry it collides with, in her own time
    assert (error.code, error.status) == ("overlapping_entry", 409)
    assert error.message == (
        "This overlaps your entry for Harbour Bridge Logistics, "
        f"Tue 01 Dec 2026 09:00–10:30 (Asia/Manila), entry #{first.pk}."
    )
    # and back-to-back entries are fine
    record(work, manila(1, 10, 30), manila(1, 11))


def test_it_refuses_an_overlap_with_an_entry_on_another_engagement(work: Work) -> None:
    from mutualist.work.models import EngagementMember

    EngagementMember.objects.create(
        engagement=work.b_engagement, user=work.cast.ana, role_title="Inbox",
        bill_rate_minor=1, pay_rate_minor=1, weekly_cap_hours=5,
    )  # fmt: skip
    record(work, manila(1, 9), manila(1, 10), engagement=work.b_engagement)
    error = refused(work, manila(1, 9, 30), manila(1, 9, 45))
    assert error.code == "overlapping_entry"
    assert "Thames Tea Ltd" in error.message


def test_it_refuses_time_past_the_weekly_cap(work: Work) -> None:
    # given Ben (cap 10 h) with 9 h this week
    ben = work.cast.ben
    record(work, manila(1, 0), manila(1, 9), member=ben, recorded_by=ben)
    # when he records 1 h 01 min more
    error = refused(work, manila(1, 10), manila(1, 11, 1), member=ben, recorded_by=ben)
    # then it is refused; exactly 1 h is fine
    assert (error.code, error.status) == ("over_weekly_cap", 422)
    record(work, manila(1, 10), manila(1, 11), member=ben, recorded_by=ben)


@pytest.mark.parametrize(
    ("state", "code"), [("submitted", "week_submitted"), ("approved", "week_approved")]
)
def test_it_refuses_a_week_that_is_not_open(work: Work, state: str, code: str) -> None:
    entry = record(work, manila(1, 9), manila(1, 10))
    Timesheet.objects.filter(pk=entry.timesheet_id).update(state=state)
    error = refused(work, manila(1, 11), manila(1, 12))
    assert (error.code, error.status) == (code, 409)


def test_a_returned_week_takes_new_entries(work: Work) -> None:
    entry = record(work, manila(1, 9), manila(1, 10))
    Timesheet.objects.filter(pk=entry.timesheet_id).update(state="returned")
    assert record(work, manila(1, 11), manila(1, 12)).timesheet_id == entry.timesheet_id


def test_it_refuses_kinds_with_their_own_steps(work: Work) -> None:
    assert refused(work, manila(1, 9), manila(1, 10), kind="timer").code == "invalid_kind"


def test_it_refuses_a_source_too_long_to_keep(work: Work) -> None:
    error = refused(work, manila(1, 9), manila(1, 10), kind="import", source="x" * 121)
    assert (error.code, error.field) == ("too_long", "source")


def test_an_entry_across_the_night_london_falls_back_counts_real_minutes(work):
    # given: Carla works for Thames (London); 01:30 BST to 01:30 GMT on Sunday
    # 25 October 2026 is one real hour, though the wall clock shows none
    import datetime as dt
    from zoneinfo import ZoneInfo

    from django.db import transaction

    from mutualist.work.models import Engagement
    from mutualist.work.services.time import time_entry_record

    london = ZoneInfo("Europe/London")
    Engagement.objects.filter(pk=work.b_engagement.pk).update(starts_on=dt.date(2026, 10, 1))
    work.b_engagement.refresh_from_db()
    start = dt.datetime(2026, 10, 25, 1, 30, tzinfo=london)  # fold=0: BST
    end = dt.datetime(2026, 10, 25, 1, 30, fold=1, tzinfo=london)  # GMT
    # when
    with transaction.atomic():
        entry = time_entry_record(
            engagement=work.b_engagement,
            member=work.cast.carla,
            started_at=start,
            ended_at=end,
            recorded_by=work.cast.carla,
        )
    # then
    assert entry.minutes == 60
    assert entry.ended_at is not None
    assert entry.ended_at - entry.started_at == dt.timedelta(hours=1)
