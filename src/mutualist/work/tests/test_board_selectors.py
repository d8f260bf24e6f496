"""The job board's reads: which jobs, their weekly hours, and how much of their
coverage meets a collective's availability, across daylight-saving changes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from mutualist.core.errors import ValidationFailed
from mutualist.core.money import Money
from mutualist.members.services.profiles import profile_set_availability
from mutualist.work.models import Job
from mutualist.work.selectors.clients import (
    collective_availability,
    hours_label,
    job_list_board,
    job_overlap_minutes,
    job_with_roles,
)
from mutualist.work.services.clients import client_register
from mutualist.work.services.jobs import job_close, job_post

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 27, 3, 0, tzinfo=dt.UTC)
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
OFFICE_DAY = [{"days": WEEKDAYS, "start": "09:00", "end": "17:00"}]


@pytest.fixture(autouse=True)
def _frozen_time(time_machine):
    time_machine.move_to(NOW, tick=False)


def weekdays(start: str, end: str) -> list[dict[str, object]]:
    return [{"weekday": day, "start": start, "end": end} for day in range(5)]


def post(work, *, client=None, by=None, **changes: Any) -> Job:
    client = client or work.harbour
    fields: dict[str, Any] = {
        "client": client,
        "by": by or work.dana,
        "title": "Support",
        "description": "Chat and email.",
        "start_date": dt.date(2026, 11, 30),
        "duration_weeks": None,
        "budget_kind": Job.BudgetKind.HOURLY,
        "budget": Money("30", client.currency),
        "visibility": Job.Visibility.PUBLIC,
        "roles": [{"skill": "customer_support", "coverage": OFFICE_DAY}],
    }
    fields.update(changes)
    return job_post(**fields)


def titles(entries) -> list[str]:
    return [entry.job.title for entry in entries]


# --- Overlap with a collective's availability ------------------------------------------------


def test_a_manila_members_office_day_meets_a_sydney_office_day_five_hours_a_day_in_summer(work):
    # given Ana (Manila, UTC+8) available Mon-Fri 09:00-17:00, the only one of A with hours
    profile_set_availability(user=work.cast.ana, windows=weekdays("09:00", "17:00"))
    # and a Sydney job Mon-Fri 09:00-17:00 starting Monday 30 November 2026 (AEDT, UTC+11)
    job = job_with_roles(post(work))

    # when the board compares it with collective A
    [entry] = job_list_board(overlap_with=work.cast.collective_a)

    # then Sydney 09:00-17:00 is Manila 06:00-14:00: five hours a day meet Ana's
    assert entry.job == job
    assert entry.overlap_minutes == 25 * 60
    assert entry.overlap_hours == Decimal("25.00")
    assert entry.overlap_label == "25"
    assert entry.weekly_hours == 40


def test_in_a_sydney_winter_week_the_same_hours_meet_six_hours_a_day(work):
    profile_set_availability(user=work.cast.ana, windows=weekdays("09:00", "17:00"))
    job = job_with_roles(post(work, start_date=dt.date(2027, 7, 5)))  # AEST, UTC+10

    minutes = job_overlap_minutes(job, collective_availability(collective=work.cast.collective_a))

    assert minutes == 30 * 60


def test_the_week_sydney_turns_its_clocks_back_counts_each_day_as_it_falls(work):
    # Clocks go back at 03:00 on Sunday 4 April 2027: Monday to Friday that week
    # are all AEST already (UTC+10), while the week before was AEDT (UTC+11).
    profile_set_availability(user=work.cast.ana, windows=weekdays("09:00", "17:00"))
    team = collective_availability(collective=work.cast.collective_a)
    before = job_with_roles(post(work, start_date=dt.date(2027, 3, 29)))
    after = job_with_roles(post(work, start_date=dt.date(2027, 4, 5)))

    assert job_overlap_minutes(before, team) == 25 * 60
    assert job_overlap_minutes(after, team) == 30 * 60


def test_london_and_manila_meet_an_hour_longer_a_day_once_london_is_on_summer_time(work):
    # given a Manila member available 14:00-22:00 (06:00-14:00 UTC) and a London job 09:00-17:00
    profile_set_availability(user=work.cast.ana, windows=weekdays("14:00", "22:00"))
    team = collective_availability(collective=work.cast.collective_a)
    # London's clocks go forward on Sunday 28 March 2027
    gmt = job_with_roles(
        post(work, client=work.thames, by=work.evan, start_date=dt.date(2027, 3, 22))
    )
    bst = job_with_roles(
        post(work, client=work.thames, by=work.evan, start_date=dt.date(2027, 3, 29))
    )

    # GMT: 09:00-17:00 UTC meets 06:00-14:00 for 5 hours; BST: 08:00-16:00 UTC for 6
    assert job_overlap_minutes(gmt, team) == 25 * 60
    assert job_overlap_minutes(bst, team) == 30 * 60


def test_a_new_york_night_shift_across_the_spring_change_meets_only_its_real_hours(work):
    # A New York night shift Saturday 13 March 2027 22:00 to Sunday 06:00, the
    # night clocks go forward: seven real hours, 03:00-10:00 UTC.
    roles = [
        {
            "skill": "customer_support",
            "coverage": [{"days": ["sat"], "start": "22:00", "end": "06:00"}],
        }
    ]
    job = job_with_roles(
        post(work, timezone="America/New_York", roles=roles, start_date=dt.date(2027, 3, 8))
    )
    # Ben in Lagos (UTC+1) is available on Sunday 00:00-12:00, 23:00 Saturday to 11:00 UTC.
    profile_set_availability(
        user=work.cast.ben, windows=[{"weekday": "sun", "start": "00:00", "end": "12:00"}]
    )

    [entry] = job_list_board(overlap_with=work.cast.collective_a)

    assert entry.job == job
    assert entry.weekly_hours == 7
    assert entry.overlap_minutes == 7 * 60


def test_availability_is_the_union_of_the_active_members_and_never_counted_twice(work):
    profile_set_availability(user=work.cast.ana, windows=weekdays("09:00", "17:00"))
    # Ben (Lagos, UTC+1) Mon-Fri 00:00-04:00: 23:00-03:00 UTC, inside Sydney's
    # 22:00-06:00 UTC and partly over Ana's 01:00-09:00 UTC.
    profile_set_availability(user=work.cast.ben, windows=weekdays("00:00", "04:00"))
    # Carla is in collective B: her hours never count for A.
    profile_set_availability(user=work.cast.carla, windows=weekdays("00:00", "23:00"))
    post(work)

    [entry] = job_list_board(overlap_with=work.cast.collective_a)

    # 23:00-06:00 UTC each day, except that Monday's Ben-window starting Sunday 23:00 UTC
    # is Monday 00:00 in Lagos: every day is 7 hours.
    assert entry.overlap_minutes == 5 * 7 * 60


def test_a_member_who_left_no_longer_counts(work):
    from mutualist.collectives.models import Membership
    from mutualist.collectives.services import membership_leave

    profile_set_availability(user=work.cast.ben, windows=weekdays("00:00", "04:00"))
    membership_leave(membership=Membership.objects.get(user=work.cast.ben), actor=work.cast.ben)
    post(work)

    [entry] = job_list_board(overlap_with=work.cast.collective_a)

    assert entry.overlap_minutes == 0


def test_flexible_hours_count_as_hours_but_never_as_overlap(work):
    profile_set_availability(user=work.cast.ana, windows=weekdays("00:00", "23:00"))
    post(work, roles=[{"skill": "bookkeeping", "hours": 10}])

    [entry] = job_list_board(overlap_with=work.cast.collective_a)

    assert (entry.weekly_hours, entry.overlap_minutes) == (10, 0)


def test_half_hour_zones_give_fractions_of_hours(work):
    # Adelaide is UTC+10:30 in summer: its 09:00-17:00 is 22:30-06:30 UTC.
    profile_set_availability(user=work.cast.ana, windows=weekdays("09:00", "17:00"))
    post(work, timezone="Australia/Adelaide")

    [entry] = job_list_board(overlap_with=work.cast.collective_a)

    assert entry.overlap_minutes == 5 * 330
    assert entry.overlap_label == "27.5"


def test_hours_read_as_people_read_them():
    assert [hours_label(m) for m in (0, 60, 2400, 90, 20)] == ["0", "1", "40", "1.5", "0.33"]


# --- Which jobs ------------------------------------------------------------------------------


def test_the_board_lists_public_open_jobs_newest_first(work, time_machine):
    first = post(work, title="First")
    time_machine.move_to(NOW + dt.timedelta(minutes=1), tick=False)
    post(work, title="Second")
    post(work, title="Private", visibility=Job.Visibility.PRIVATE)
    closed = post(work, title="Closed")
    job_close(job=closed, by=work.dana)

    # the work fixture's job is filled: not on the board either
    assert titles(job_list_board()) == ["Second", "First"]
    assert len(job_list_board()) == 2
    assert job_list_board()[1].job == first


def test_a_job_whose_hours_cannot_be_computed_does_not_take_the_board_down(work):
    # given two jobs whose rows no check let through: one starting on the
    # calendar's last day with a Sunday-night window (its start week's hours
    # would run past 9999), one in a time zone that does not exist
    profile_set_availability(user=work.cast.ana, windows=weekdays("09:00", "17:00"))
    post(work, title="Fine")
    end_of_time = post(
        work,
        title="End of time",
        roles=[
            {
                "skill": "customer_support",
                "coverage": [{"days": ["sun"], "start": "22:00", "end": "06:00"}],
            }
        ],
    )
    Job.objects.filter(pk=end_of_time.pk).update(start_date=dt.date(9999, 12, 31))
    nowhere = post(work, title="Nowhere")
    Job.objects.filter(pk=nowhere.pk).update(timezone="Mars/Olympus")
    team = work.cast.collective_a

    # when the board is read, with and without a collective's overlap
    plain = {entry.job.title: entry for entry in job_list_board()}
    compared = {entry.job.title: entry for entry in job_list_board(overlap_with=team)}

    # then every job is listed: the last week the calendar can hold stands in
    # for the far one, and the unknown zone shows its nominal hours, no overlap
    assert set(plain) == set(compared) == {"Fine", "End of time", "Nowhere"}
    assert plain["End of time"].weekly_hours == compared["End of time"].weekly_hours == 8
    assert plain["Nowhere"].weekly_hours == compared["Nowhere"].weekly_hours == 40
    assert compared["Nowhere"].overlap_minutes is None
    assert compared["Fine"].overlap_minutes == 25 * 60
    assert titles(job_list_board(min_hours=8, max_hours=8)) == ["End of time"]


def test_the_board_filters_by_skill(work):
    post(work, title="Support")
    post(work, title="Books", roles=[{"skill": "bookkeeping", "hours": 5}])

    assert titles(job_list_board(skill="bookkeeping")) == ["Books"]
    assert titles(job_list_board(skill="juggling")) == []


def test_the_board_filters_by_weekly_hours_counted_in_the_start_week(work):
    post(work, title="Office week")  # 40
    post(work, title="Part time", roles=[{"skill": "bookkeeping", "hours": 10}])
    night = [
        {
            "skill": "customer_support",
            "coverage": [{"days": ["sun"], "start": "00:00", "end": "06:00"}],
        }
    ]
    # Sunday 3 October 2027: Sydney skips 02:00-03:00, so 5 hours that week.
    post(work, title="Spring night", roles=night, start_date=dt.date(2027, 9, 27))

    assert titles(job_list_board(min_hours=20)) == ["Office week"]
    assert titles(job_list_board(max_hours=5)) == ["Spring night"]
    assert titles(job_list_board(min_hours=6, max_hours=10)) == ["Part time"]


def test_the_board_filters_by_budget_in_each_jobs_own_currency(work, cast):
    yen = client_register(
        user=cast.olga,
        name="Osaka Tea",
        country="JP",
        timezone="Asia/Tokyo",
        currency="JPY",
        billing_address="Osaka",
    )
    post(work, title="AUD 30/h")
    post(work, title="AUD 25/h", budget=Money("25", "AUD"))
    post(work, title="AUD open", budget=None)
    post(
        work, title="AUD 3000 total", budget_kind=Job.BudgetKind.TOTAL, budget=Money("3000", "AUD")
    )
    post(work, title="JPY 2500/h", client=yen, by=cast.olga, budget=Money("2500", "JPY"))

    assert titles(job_list_board(budget_kind="hourly", min_budget=Decimal("30"))) == [
        "JPY 2500/h",
        "AUD 30/h",
    ]
    assert titles(job_list_board(budget_kind="hourly", min_budget=Decimal("29.99"))) == [
        "JPY 2500/h",
        "AUD 30/h",
    ]
    assert titles(job_list_board(budget_kind="hourly", min_budget=Decimal("2500.5"))) == []
    assert titles(job_list_board(budget_kind="total")) == ["AUD 3000 total"]


def test_the_board_filters_by_minimum_overlap(work):
    profile_set_availability(user=work.cast.ana, windows=weekdays("09:00", "17:00"))
    post(work, title="Sydney")  # 25 hours with A
    post(work, title="London", client=work.thames, by=work.evan)  # 0 with A

    assert titles(
        job_list_board(overlap_with=work.cast.collective_a, min_overlap_hours=Decimal("25"))
    ) == ["Sydney"]
    assert (
        titles(
            job_list_board(overlap_with=work.cast.collective_a, min_overlap_hours=Decimal("25.01"))
        )
        == []
    )


@pytest.mark.parametrize(
    ("filters", "code"),
    [
        ({"min_budget": Decimal("10")}, "budget_kind_required"),
        ({"min_overlap_hours": Decimal("10")}, "collective_required"),
        ({"min_hours": 20, "max_hours": 10}, "invalid_range"),
        ({"budget_kind": "daily"}, "invalid_budget_kind"),
    ],
)
def test_the_board_refuses_filters_that_do_not_make_sense(work, filters, code):
    with pytest.raises(ValidationFailed) as refused:
        job_list_board(**filters)

    assert refused.value.code == code


def test_without_python_side_filters_the_board_counts_in_sql_and_builds_one_page(
    work, django_assert_max_num_queries
):
    for index in range(30):
        post(work, title=f"Job {index}")

    board = job_list_board()
    with django_assert_max_num_queries(4):
        page = board[0:20]
        count = len(board)

    assert count == 30
    assert [entry.job.title for entry in page][:2] == ["Job 29", "Job 28"]
    assert all(entry.weekly_hours == 40 for entry in page)


def test_a_member_of_another_collective_counts_against_their_own(work):
    profile_set_availability(user=work.cast.carla, windows=weekdays("00:00", "23:00"))
    post(work)

    [entry] = job_list_board(overlap_with=work.cast.collective_b)

    # Carla (Nairobi, UTC+3) is available from 21:00 UTC the day before to 20:00 UTC;
    # Sydney's 09:00-17:00 (22:00-06:00 UTC) lies wholly inside it every weekday.
    assert entry.overlap_minutes == 40 * 60


def test_an_absurd_minimum_budget_finds_nothing_rather_than_overflowing(work, cast):
    client_register(
        user=cast.olga,
        name="Manama Trading",
        country="BH",
        timezone="Asia/Bahrain",
        currency="BHD",
        billing_address="Manama",
    )
    post(work)

    found = job_list_board(budget_kind="hourly", min_budget=Decimal("999999999999999999"))

    assert titles(found) == []
