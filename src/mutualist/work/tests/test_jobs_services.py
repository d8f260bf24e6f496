"""Jobs: posting, leads, editing, closing; roles with coverage windows or
flexible hours; weekly hours and coverage slots across daylight-saving changes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from mutualist.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from mutualist.core.money import Money
from mutualist.work.models import CoverageWindow, Job, JobRole, Pitch
from mutualist.work.selectors.clients import (
    job_coverage_slots,
    job_reference_week,
    job_weekly_hours,
    job_with_roles,
)
from mutualist.work.services.clients import client_record, client_register
from mutualist.work.services.jobs import (
    job_close,
    job_post,
    job_record_lead,
    job_update,
    latest_start_date,
)

pytestmark = pytest.mark.django_db

# Friday 27 November 2026, 14:00 in Sydney (03:00 UTC).
NOW = dt.datetime(2026, 11, 27, 3, 0, tzinfo=dt.UTC)
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
SUPPORT = {"skill": "customer_support", "title": "Support"}


@pytest.fixture(autouse=True)
def _frozen_time(time_machine):
    time_machine.move_to(NOW, tick=False)


def state() -> dict[str, Any]:
    return {
        "jobs": list(Job.objects.order_by("pk").values()),
        "roles": list(JobRole.objects.order_by("pk").values()),
        "windows": list(CoverageWindow.objects.order_by("pk").values()),
    }


def post(work, **changes: Any) -> Job:
    fields: dict[str, Any] = {
        "client": work.harbour,
        "by": work.dana,
        "title": "Weekend chat support",
        "description": "Answer customers by chat.",
        "start_date": dt.date(2026, 12, 7),
        "duration_weeks": 12,
        "budget_kind": Job.BudgetKind.HOURLY,
        "budget": Money("32.50", "AUD"),
        "visibility": Job.Visibility.PUBLIC,
        "roles": [
            {**SUPPORT, "coverage": [{"days": WEEKDAYS, "start": "09:00", "end": "17:00"}]},
            {"skill": "bookkeeping", "title": "Books", "hours": 6},
        ],
    }
    fields.update(changes)
    return job_post(**fields)


def refused(exc_type: type[Exception], work, **changes: Any) -> Any:
    before = state()
    with pytest.raises(exc_type) as info:
        post(work, **changes)
    assert state() == before
    return info.value


# --- job_post ----------------------------------------------------------------------------


def test_a_client_contact_posts_a_job_with_a_coverage_role_and_a_flexible_one(work):
    job = job_with_roles(post(work))

    assert (job.client, job.posted_by, job.collective) == (work.harbour, work.dana, None)
    assert (job.currency, job.timezone) == ("AUD", "Australia/Sydney")
    assert (job.budget_kind, job.budget_minor) == ("hourly", 3250)
    assert (job.visibility, job.state) == ("public", "open")
    support, books = job.roles.all()
    assert (support.kind, support.skill.slug, support.title, support.position) == (
        "coverage",
        "customer_support",
        "Support",
        0,
    )
    assert [(w.weekday, w.start_hour, w.end_hour) for w in support.coverage.all()] == [
        (day, 9, 17) for day in range(5)
    ]
    assert (books.kind, books.flexible_hours, books.position) == ("flexible", 6, 1)
    assert job_weekly_hours(job) == 46


def test_an_open_budget_and_ongoing_work_are_allowed(work):
    job = post(work, budget=None, duration_weeks=None, budget_kind=Job.BudgetKind.TOTAL)

    assert (job.budget_minor, job.duration_weeks, job.budget_kind) == (None, None, "total")


def test_the_job_may_name_its_own_time_zone(work):
    job = post(work, timezone="America/New_York")

    assert job.timezone == "America/New_York"


def test_a_start_date_today_in_the_clients_time_zone_is_fine(work):
    # 03:00 UTC on the 27th is already the 27th in Sydney (and still the 26th in New York).
    assert post(work, start_date=dt.date(2026, 11, 27)).start_date == dt.date(2026, 11, 27)


def test_it_refuses_a_start_date_in_the_past_by_the_clients_calendar(work):
    error = refused(ValidationFailed, work, start_date=dt.date(2026, 11, 26))

    assert (error.code, error.field) == ("start_date_in_past", "start_date")


def test_a_start_date_two_years_ahead_by_the_clients_calendar_is_fine(work):
    # It is 27 November 2026 in Sydney: the latest start is the same day in 2028.
    assert post(work, start_date=dt.date(2028, 11, 27)).start_date == dt.date(2028, 11, 27)


@pytest.mark.parametrize("start_date", [dt.date(2028, 11, 28), dt.date(9999, 12, 31)])
def test_it_refuses_a_start_date_more_than_two_years_ahead(work, start_date):
    # 9999-12-31 with a Sunday night window once overflowed the start week's
    # hours and took the board down for everyone.
    roles = [{**SUPPORT, "coverage": [{"days": ["sun"], "start": "22:00", "end": "06:00"}]}]

    error = refused(ValidationFailed, work, start_date=start_date, roles=roles)

    assert (error.code, error.field) == ("start_date_too_far", "start_date")
    assert "2028-11-27" in error.message


def test_two_years_from_a_leap_day_is_the_last_day_of_february():
    assert latest_start_date(dt.date(2028, 2, 29)) == dt.date(2030, 2, 28)
    assert latest_start_date(dt.date(2026, 11, 27)) == dt.date(2028, 11, 27)


def test_an_unknown_time_zone_is_refused(work):
    error = refused(ValidationFailed, work, timezone="Australia/Sydnee")

    assert (error.code, error.field) == ("invalid_timezone", "timezone")


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"title": " "}, "required", "title"),
        ({"title": "x" * 121}, "too_long", "title"),
        ({"description": ""}, "required", "description"),
        ({"duration_weeks": 0}, "invalid_duration", "duration_weeks"),
        ({"duration_weeks": 521}, "invalid_duration", "duration_weeks"),
        ({"budget_kind": "daily"}, "invalid_budget_kind", "budget_kind"),
        ({"budget": Money("30", "USD")}, "currency_mismatch", "budget"),
        ({"budget": Money("-1", "AUD")}, "negative_budget", "budget"),
        ({"visibility": "secret"}, "invalid_visibility", "visibility"),
        ({"roles": []}, "no_roles", "roles"),
        ({"roles": [{**SUPPORT, "hours": 6}] * 21}, "too_many_roles", "roles"),
    ],
)
def test_it_refuses_bad_fields_and_writes_nothing(work, changes, code, field):
    error = refused(ValidationFailed, work, **changes)

    assert (error.code, error.field) == (code, field)


@pytest.mark.parametrize(
    ("role", "code", "field"),
    [
        ({"skill": "juggling", "hours": 3}, "unknown_skill", "roles[1].skill"),
        ({"skill": "bookkeeping", "title": "x" * 81, "hours": 3}, "too_long", "roles[1].title"),
        ({"skill": "bookkeeping"}, "coverage_or_hours", "roles[1]"),
        (
            {
                "skill": "bookkeeping",
                "hours": 3,
                "coverage": [{"days": ["mon"], "start": "09:00", "end": "10:00"}],
            },
            "coverage_or_hours",
            "roles[1]",
        ),
        ({"skill": "bookkeeping", "coverage": []}, "coverage_or_hours", "roles[1].coverage"),
        ({"skill": "bookkeeping", "hours": 0}, "invalid_hours", "roles[1].hours"),
        ({"skill": "bookkeeping", "hours": 169}, "invalid_hours", "roles[1].hours"),
        ({"skill": "bookkeeping", "hours": "6"}, "invalid_hours", "roles[1].hours"),
        (
            {
                "skill": "bookkeeping",
                "coverage": [
                    {"days": ["mon"], "start": "09:00", "end": "12:00"},
                    {"days": ["tue"], "start": "09:30", "end": "12:00"},
                ],
            },
            "not_whole_hour",
            "roles[1].coverage[1].start",
        ),
        (
            {"skill": "bookkeeping", "coverage": [{"days": ["mon"], "start": "9", "end": "12:00"}]},
            "invalid_time",
            "roles[1].coverage[0].start",
        ),
        (
            {
                "skill": "bookkeeping",
                "coverage": [{"days": ["mo"], "start": "09:00", "end": "12:00"}],
            },
            "invalid_weekday",
            "roles[1].coverage[0].days",
        ),
        (
            {
                "skill": "bookkeeping",
                "coverage": [{"days": ["mon"], "start": "09:00", "end": "09:00"}],
            },
            "empty_window",
            "roles[1].coverage",
        ),
        (
            {
                "skill": "bookkeeping",
                "coverage": [
                    {"days": ["mon"], "start": "09:00", "end": "17:00"},
                    {"days": ["mon"], "start": "16:00", "end": "18:00"},
                ],
            },
            "overlapping_windows",
            "roles[1].coverage",
        ),
        (
            # Sunday night into Monday morning.
            {
                "skill": "bookkeeping",
                "coverage": [
                    {"days": ["sun"], "start": "22:00", "end": "06:00"},
                    {"days": ["mon"], "start": "05:00", "end": "09:00"},
                ],
            },
            "overlapping_windows",
            "roles[1].coverage",
        ),
    ],
)
def test_it_refuses_a_bad_role_naming_the_input_at_fault(work, role, code, field):
    roles = [{**SUPPORT, "hours": 10}, role]

    error = refused(ValidationFailed, work, roles=roles)

    assert (error.code, error.field) == (code, field)


def test_coverage_on_the_half_hour_is_refused_as_not_whole_hours(work):
    roles = [{**SUPPORT, "coverage": [{"days": ["mon"], "start": "09:30", "end": "17:00"}]}]

    error = refused(ValidationFailed, work, roles=roles)

    assert (error.code, error.field) == ("not_whole_hour", "roles[0].coverage[0].start")
    assert "whole hours" in error.message


def test_an_overnight_window_for_a_new_york_client_is_eight_hours(work):
    # given a night shift 22:00-06:00, Monday night into Tuesday, New York time
    roles = [{**SUPPORT, "coverage": [{"days": ["mon"], "start": "22:00", "end": "06:00"}]}]

    job = job_with_roles(
        post(work, timezone="America/New_York", roles=roles, start_date=dt.date(2026, 12, 7))
    )

    [window] = job.roles.get().coverage.all()
    assert (window.weekday, window.start_hour, window.end_hour) == (0, 22, 6)
    assert job_weekly_hours(job) == 8
    slots = job_coverage_slots(job, job_reference_week(job))[job.roles.get().pk]
    # 22:00 EST is 03:00 UTC the next day.
    assert slots[0] == dt.datetime(2026, 12, 8, 3, 0, tzinfo=dt.UTC)
    assert slots[-1] == dt.datetime(2026, 12, 8, 10, 0, tzinfo=dt.UTC)


def test_a_contact_of_another_client_cannot_post_for_it(work):
    error = refused(PermissionDenied, work, by=work.evan)

    assert error.code == "not_client_contact"


def test_a_coordinator_working_for_the_client_cannot_post_as_it(work):
    error = refused(PermissionDenied, work, by=work.cast.ana)

    assert error.code == "not_client_contact"


# --- Weekly hours and coverage slots across daylight saving ------------------------------


def _night(work, *, tz: str, start_date: dt.date, day: str, start: str, end: str) -> Job:
    roles = [{**SUPPORT, "coverage": [{"days": [day], "start": start, "end": end}]}]
    return job_with_roles(post(work, timezone=tz, roles=roles, start_date=start_date))


@pytest.mark.parametrize(
    ("tz", "monday", "day", "start", "end", "hours"),
    [
        # Sydney: clocks go back at 03:00 on the first Sunday of April (02:00-03:00 twice) ...
        ("Australia/Sydney", dt.date(2027, 3, 29), "sun", "00:00", "06:00", 6),
        # ... and forward at 02:00 on the first Sunday of October (02:00-03:00 skipped).
        ("Australia/Sydney", dt.date(2027, 9, 27), "sun", "00:00", "06:00", 5),
        ("Australia/Sydney", dt.date(2027, 9, 20), "sun", "00:00", "06:00", 6),
        # New York: forward on the second Sunday of March, back on the first of November.
        ("America/New_York", dt.date(2027, 3, 8), "sat", "22:00", "06:00", 7),
        ("America/New_York", dt.date(2027, 11, 1), "sat", "22:00", "06:00", 8),
        # London: forward on the last Sunday of March, back on the last of October.
        ("Europe/London", dt.date(2027, 3, 22), "sun", "00:00", "04:00", 3),
        ("Europe/London", dt.date(2027, 10, 25), "sun", "00:00", "04:00", 4),
    ],
)
def test_weekly_hours_count_real_hours_in_the_start_week(work, tz, monday, day, start, end, hours):
    job = _night(work, tz=tz, start_date=monday, day=day, start=start, end=end)

    assert job_weekly_hours(job) == hours
    slots = job_coverage_slots(job, monday)[job.roles.get().pk]
    assert len(slots) == hours
    assert len(set(slots)) == hours


def test_the_repeated_hour_in_sydney_counts_once_and_the_real_span_is_seven_hours(work):
    job = _night(
        work,
        tz="Australia/Sydney",
        start_date=dt.date(2027, 3, 29),
        day="sun",
        start="00:00",
        end="06:00",
    )

    slots = job_coverage_slots(job, dt.date(2027, 3, 29))[job.roles.get().pk]

    # 00:00 AEDT (UTC+11) on Sunday 4 April is 13:00 UTC on Saturday; 05:00 AEST
    # (UTC+10) is 19:00 UTC. Six slots, one of them (the second 02:00) missing.
    assert slots[0] == dt.datetime(2027, 4, 3, 13, 0, tzinfo=dt.UTC)
    assert slots[-1] == dt.datetime(2027, 4, 3, 19, 0, tzinfo=dt.UTC)
    assert len(slots) == 6


def test_the_start_week_is_the_one_counted_even_when_the_job_starts_midweek(work):
    # Starts on Wednesday 6 October 2027: the week of Monday 4 October, after the change.
    job = _night(
        work,
        tz="Australia/Sydney",
        start_date=dt.date(2027, 10, 6),
        day="sun",
        start="00:00",
        end="06:00",
    )

    assert job_reference_week(job) == dt.date(2027, 10, 4)
    assert job_weekly_hours(job) == 6
    assert job_weekly_hours(job, dt.date(2027, 9, 27)) == 5


# --- Leads --------------------------------------------------------------------------------


def lead(cast, client, **changes: Any) -> Job:
    fields: dict[str, Any] = {
        "collective": cast.collective_a,
        "by": cast.ana,
        "client": client,
        "title": "Month-end bookkeeping",
        "description": "Close the books each month.",
        "start_date": dt.date(2027, 1, 4),
        "duration_weeks": None,
        "budget_kind": Job.BudgetKind.TOTAL,
        "budget": None,
        "roles": [{"skill": "bookkeeping", "hours": 8}],
    }
    fields.update(changes)
    return job_record_lead(**fields)


def test_a_coordinator_records_a_private_lead_for_a_client_the_collective_works_with(work):
    job = lead(work.cast, work.harbour)

    assert (job.collective, job.visibility, job.client, job.currency) == (
        work.cast.collective_a,
        "private",
        work.harbour,
        "AUD",
    )


def test_a_lead_for_a_client_the_collective_recorded(cast):
    client = client_record(
        collective=cast.collective_a,
        by=cast.ana,
        name="Cebu Dental",
        country="PH",
        timezone="Asia/Manila",
        currency="PHP",
        billing_address="Cebu City",
    )

    job = lead(cast, client, budget=Money("20000", "PHP"))

    assert (job.currency, job.timezone, job.budget_minor) == ("PHP", "Asia/Manila", 2_000_000)


def test_a_lead_may_not_start_more_than_two_years_ahead_either(work):
    before = state()

    with pytest.raises(ValidationFailed) as info:
        lead(work.cast, work.harbour, start_date=dt.date(9999, 12, 31))

    assert (info.value.code, info.value.field) == ("start_date_too_far", "start_date")
    assert state() == before


def test_a_lead_needs_a_coordinator_of_the_collective(work):
    before = state()

    with pytest.raises(PermissionDenied) as info:
        lead(work.cast, work.harbour, by=work.cast.ben)
    with pytest.raises(PermissionDenied):
        lead(work.cast, work.harbour, by=work.cast.carla)

    assert info.value.code == "not_coordinator"
    assert state() == before


def test_a_lead_for_a_client_the_collective_does_not_know_is_not_found(work, cast):
    stranger = client_register(
        user=cast.olga,
        name="Berlin Books",
        country="DE",
        timezone="Europe/Berlin",
        currency="EUR",
        billing_address="Berlin",
    )
    before = state()

    with pytest.raises(NotFound):
        lead(cast, stranger)
    # Thames works with collective B, not A.
    with pytest.raises(NotFound):
        lead(cast, work.thames)

    assert state() == before


def test_a_draft_pitch_does_not_make_the_client_one_to_record_leads_for(work):
    # given collective B's draft pitch for Harbour's public job
    job = post(work)
    pitch = Pitch.objects.create(
        job=job, collective=work.cast.collective_b, created_by=work.cast.carla, currency="AUD"
    )
    before = state()

    # then B cannot record a lead for Harbour: the client has not heard from it
    with pytest.raises(NotFound):
        lead(work.cast, work.harbour, collective=work.cast.collective_b, by=work.cast.carla)
    assert state() == before

    # and once the pitch is sent, it can
    Pitch.objects.filter(pk=pitch.pk).update(state=Pitch.State.SENT, sent_at=NOW)
    lead(work.cast, work.harbour, collective=work.cast.collective_b, by=work.cast.carla)


# --- job_update ---------------------------------------------------------------------------


def update(job: Job, by, **changes: Any) -> Job:
    fields: dict[str, Any] = {
        "title": job.title,
        "description": job.description,
        "start_date": job.start_date,
        "duration_weeks": job.duration_weeks,
        "budget_kind": job.budget_kind,
        "budget": None
        if job.budget_minor is None
        else Money.from_minor(job.budget_minor, job.currency),
        "visibility": job.visibility,
        "timezone": job.timezone,
    }
    fields.update(changes)
    return job_update(job=job, by=by, **fields)


def test_a_contact_edits_an_open_job_and_replaces_its_roles(work):
    job = post(work)

    update(
        job,
        work.dana,
        title="Chat support",
        visibility=Job.Visibility.PRIVATE,
        roles=[
            {**SUPPORT, "coverage": [{"days": ["sat", "sun"], "start": "10:00", "end": "14:00"}]}
        ],
    )

    job = job_with_roles(job)
    assert (job.title, job.visibility) == ("Chat support", "private")
    assert [role.title for role in job.roles.all()] == ["Support"]
    assert job_weekly_hours(job) == 8


def test_an_edit_keeps_roles_when_none_are_given(work):
    job = post(work)

    update(job, work.dana, title="Renamed")

    assert JobRole.objects.filter(job=job).count() == 2


def test_an_unchanged_start_date_may_be_in_the_past_by_now(work, time_machine):
    job = post(work, start_date=dt.date(2026, 12, 1))
    time_machine.move_to(dt.datetime(2026, 12, 10, tzinfo=dt.UTC), tick=False)

    update(job, work.dana, title="Still open")

    with pytest.raises(ValidationFailed) as info:
        update(job, work.dana, start_date=dt.date(2026, 12, 2))
    assert info.value.code == "start_date_in_past"


def test_an_edit_may_not_move_the_start_more_than_two_years_ahead(work):
    job = post(work)
    before = state()

    with pytest.raises(ValidationFailed) as info:
        update(job, work.dana, start_date=dt.date(9999, 12, 31))

    assert (info.value.code, info.value.field) == ("start_date_too_far", "start_date")
    assert state() == before


def test_only_the_clients_contacts_edit_a_posted_job(work):
    job = post(work)
    before = state()

    for outsider in (work.evan, work.cast.ana):
        with pytest.raises(PermissionDenied) as info:
            update(job, outsider, title="Mine now")
        assert info.value.code == "not_client_contact"

    assert state() == before


def test_a_lead_is_edited_by_its_coordinators_and_stays_private(work):
    job = lead(work.cast, work.harbour)
    before = state()

    with pytest.raises(PermissionDenied) as info:
        update(job, work.dana, title="Ours")
    assert info.value.code == "not_coordinator"
    with pytest.raises(ValidationFailed) as public:
        update(job, work.cast.ana, visibility=Job.Visibility.PUBLIC)
    assert public.value.code == "lead_is_private"
    assert state() == before

    update(job, work.cast.ana, title="Bookkeeping, monthly")
    job.refresh_from_db()
    assert job.title == "Bookkeeping, monthly"


def test_roles_are_fixed_once_a_collective_has_pitched(work):
    job = post(work)
    Pitch.objects.create(
        job=job, collective=work.cast.collective_b, created_by=work.cast.carla, currency="AUD"
    )
    before = state()

    with pytest.raises(Conflict) as info:
        update(job, work.dana, roles=[{**SUPPORT, "hours": 4}])

    assert (info.value.code, info.value.field) == ("job_has_pitches", "roles")
    assert state() == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"timezone": "America/New_York"}, "timezone"),
        ({"start_date": dt.date(2027, 6, 1)}, "start_date"),
        ({"timezone": "America/New_York", "start_date": dt.date(2027, 6, 1)}, "timezone"),
    ],
)
def test_the_time_zone_and_start_date_are_fixed_once_a_collective_has_pitched(work, changes, field):
    # given an open job with a draft pitch: its shifts are hours in the job's
    # zone, from its start week
    job = post(work)
    Pitch.objects.create(
        job=job, collective=work.cast.collective_b, created_by=work.cast.carla, currency="AUD"
    )
    before = state()

    # when its contact moves it to New York time or to another start
    with pytest.raises(Conflict) as info:
        update(job, work.dana, **changes)

    # then it is refused, naming the field, and nothing changed
    assert (info.value.code, info.value.field) == ("job_has_pitches", field)
    assert "post a new one" in info.value.message
    assert state() == before


def test_a_pitched_job_keeps_its_other_fields_editable(work):
    job = post(work)
    Pitch.objects.create(
        job=job, collective=work.cast.collective_b, created_by=work.cast.carla, currency="AUD"
    )

    update(job, work.dana, title="Chat support", duration_weeks=20, budget=Money("40", "AUD"))

    job.refresh_from_db()
    assert (job.title, job.duration_weeks, job.budget_minor) == ("Chat support", 20, 4000)
    assert (job.timezone, job.start_date) == ("Australia/Sydney", dt.date(2026, 12, 7))


def test_without_pitches_the_time_zone_and_start_date_may_change(work):
    job = post(work)

    update(job, work.dana, timezone="America/New_York", start_date=dt.date(2027, 6, 1))

    job.refresh_from_db()
    assert (job.timezone, job.start_date) == ("America/New_York", dt.date(2027, 6, 1))


def test_a_filled_or_closed_job_does_not_change(work):
    before = state()

    with pytest.raises(Conflict) as info:
        update(work.job, work.dana, title="Filled already")

    assert info.value.code == "job_not_open"
    assert state() == before


def test_an_update_with_a_bad_role_changes_nothing(work):
    job = post(work)
    before = state()

    with pytest.raises(ValidationFailed) as info:
        update(
            job,
            work.dana,
            title="New title",
            roles=[{**SUPPORT, "coverage": [{"days": ["mon"], "start": "09:00", "end": "17:30"}]}],
        )

    assert (info.value.code, info.value.field) == ("not_whole_hour", "roles[0].coverage[0].end")
    assert state() == before


# --- job_close ----------------------------------------------------------------------------


def test_a_contact_closes_an_open_job_once(work):
    job = post(work)

    job_close(job=job, by=work.dana)

    assert job.state == "closed"
    before = state()
    with pytest.raises(Conflict) as info:
        job_close(job=job, by=work.dana)
    assert info.value.code == "job_not_open"
    assert state() == before


def test_a_contact_of_another_client_cannot_close_a_job(work):
    job = post(work)
    before = state()

    with pytest.raises(PermissionDenied):
        job_close(job=job, by=work.evan)

    assert state() == before
