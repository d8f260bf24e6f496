"""The job board's pages: the list with filters (whole page and htmx partial),
a job's page with its hours in the job's and the viewer's time zone, and
editing or closing a job."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse

from mutualist.core.money import Money
from mutualist.members.services.profiles import profile_set_availability
from mutualist.work.models import CoverageWindow, Job, JobRole
from mutualist.work.services.clients import client_record
from mutualist.work.services.jobs import job_post, job_record_lead

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 27, 3, 0, tzinfo=dt.UTC)
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
BOARD = "/jobs/"


@pytest.fixture(autouse=True)
def _frozen_time(time_machine):
    time_machine.move_to(NOW, tick=False)


def post(work, **changes: Any) -> Job:
    fields: dict[str, Any] = {
        "client": work.harbour,
        "by": work.dana,
        "title": "Sydney office support",
        "description": "Chat and email for a Sydney office.",
        "start_date": dt.date(2026, 11, 30),
        "duration_weeks": 26,
        "budget_kind": Job.BudgetKind.HOURLY,
        "budget": Money("35", "AUD"),
        "visibility": Job.Visibility.PUBLIC,
        "roles": [
            {
                "skill": "customer_support",
                "title": "Support",
                "coverage": [{"days": WEEKDAYS, "start": "09:00", "end": "17:00"}],
            },
            {"skill": "bookkeeping", "title": "Books", "hours": 6},
        ],
    }
    fields.update(changes)
    return job_post(**fields)


def lead(work) -> Job:
    return job_record_lead(
        collective=work.cast.collective_a,
        by=work.cast.ana,
        client=work.harbour,
        title="Quiet lead: payroll",
        description="Payroll for Harbour.",
        start_date=dt.date(2027, 1, 4),
        duration_weeks=None,
        budget_kind=Job.BudgetKind.TOTAL,
        budget=None,
        roles=[{"skill": "bookkeeping", "hours": 4}],
    )


def state() -> dict[str, Any]:
    return {
        "jobs": list(Job.objects.order_by("pk").values()),
        "roles": list(JobRole.objects.order_by("pk").values()),
        "windows": list(CoverageWindow.objects.order_by("pk").values()),
    }


# --- The board ------------------------------------------------------------------------------


def test_anyone_sees_the_board_with_public_open_jobs_only(work):
    post(work)
    post(work, title="Private support", visibility=Job.Visibility.PRIVATE)
    lead(work)

    response = Client().get(BOARD)

    assert response.status_code == 200
    text = response.content.decode()
    assert "1 job" in text
    assert "Sydney office support" in text
    assert "Harbour Bridge Logistics" in text
    assert "A$35.00 an hour at most" in text
    assert "<td>46</td>" in text
    assert "Private support" not in text
    assert "Quiet lead" not in text
    assert "Overlap with the availability of" not in text  # only members compare


def test_the_filters_answer_htmx_with_the_results_alone(work):
    post(work)
    post(work, title="Books only", roles=[{"skill": "bookkeeping", "hours": 6}])

    response = Client().get(BOARD, {"skill": "customer_support"}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    text = response.content.decode()
    assert "<html" not in text
    assert "Sydney office support" in text
    assert "Books only" not in text
    assert response["Vary"] == "HX-Request" or "HX-Request" in response["Vary"]


def test_a_member_sees_how_much_of_each_jobs_coverage_meets_their_collectives_hours(
    work, client_for
):
    profile_set_availability(
        user=work.cast.ana,
        windows=[{"weekday": day, "start": "09:00", "end": "17:00"} for day in range(5)],
    )
    post(work)

    response = client_for(work.cast.ben).get(BOARD, {"collective": "manila-va"})

    text = response.content.decode()
    assert (
        "25 h of this job’s coverage overlaps the availability of Manila Virtual Assistants" in text
    )


def test_the_overlap_filter_keeps_jobs_with_enough_overlapping_hours(work, client_for):
    profile_set_availability(
        user=work.cast.ana,
        windows=[{"weekday": day, "start": "09:00", "end": "17:00"} for day in range(5)],
    )
    post(work)
    post(work, client=work.thames, by=work.evan, title="London inbox", budget=Money("20", "GBP"))

    response = client_for(work.cast.ana).get(
        BOARD, {"collective": "manila-va", "min_overlap_hours": "20"}
    )

    text = response.content.decode()
    assert "Sydney office support" in text
    assert "London inbox" not in text


def test_a_collective_one_is_not_in_is_not_a_choice(work, client_for):
    post(work)

    response = client_for(work.cast.carla).get(BOARD, {"collective": "manila-va"})

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_filters_that_do_not_make_sense_are_shown_as_errors(work):
    post(work)

    response = Client().get(BOARD, {"min_budget": "10"}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    text = response.content.decode()
    assert "Fix the filters" in text
    assert "hourly rate or a total" in text


def test_the_board_pages_through_many_jobs(work):
    for index in range(25):
        post(work, title=f"Job number {index}")

    first = Client().get(BOARD).content.decode()
    second = Client().get(BOARD, {"page": 2}).content.decode()

    assert "Job number 24" in first and "Job number 4<" not in first
    assert "Page 1 of 2" in first
    assert "Job number 4<" in second


# --- A job's page -------------------------------------------------------------------------------


def test_a_public_job_shows_its_coverage_in_the_jobs_and_the_viewers_time_zone(work, client_for):
    job = post(work)

    anonymous = Client().get(f"/jobs/{job.pk}/").content.decode()
    ana = client_for(work.cast.ana).get(f"/jobs/{job.pk}/").content.decode()

    assert "Mon 09:00-17:00" in anonymous
    assert "For you, in" not in anonymous
    # Ana is in Manila (UTC+8): Sydney 09:00 AEDT is 06:00 there.
    assert "For you, in Asia/Manila" in ana
    assert "Mon 06:00-14:00" in ana
    assert "6 flexible hours a week" in ana
    assert "A$35.00 an hour at most" in ana
    assert "46" in ana


def test_a_job_starting_at_the_end_of_the_calendar_leaves_the_board_and_its_page_up(
    work, client_for
):
    # given a public job written before start dates were capped: it starts on
    # 9999-12-31 with a Sunday-night window, whose hours once overflowed
    job = post(
        work,
        title="Night watch",
        roles=[
            {
                "skill": "customer_support",
                "coverage": [{"days": ["sun"], "start": "22:00", "end": "06:00"}],
            }
        ],
    )
    Job.objects.filter(pk=job.pk).update(start_date=dt.date(9999, 12, 31))
    post(work, title="Day shift")

    # when anyone reads the board and the job's page
    board = Client().get(BOARD)
    member = client_for(work.cast.ana).get(BOARD, {"collective": "manila-va"})
    page = client_for(work.cast.ana).get(f"/jobs/{job.pk}/")

    # then all of them answer, the job with its eight hours
    assert (board.status_code, member.status_code, page.status_code) == (200, 200, 200)
    assert "Night watch" in board.content.decode()
    assert "Day shift" in board.content.decode()
    assert "<td>8</td>" in board.content.decode()
    assert "Sun 22:00-06:00 (+1 day)" in page.content.decode()


def test_a_night_shift_reads_as_the_next_day_for_a_viewer_far_away(work, client_for):
    roles = [
        {
            "skill": "customer_support",
            "coverage": [{"days": ["mon"], "start": "22:00", "end": "06:00"}],
        }
    ]
    job = post(work, timezone="America/New_York", roles=roles, start_date=dt.date(2026, 12, 7))

    text = client_for(work.cast.ana).get(f"/jobs/{job.pk}/").content.decode()

    assert "Mon 22:00-06:00 (+1 day)" in text
    # 22:00 EST Monday is 11:00 Tuesday in Manila; 06:00 EST is 19:00.
    assert "Tue 11:00-19:00" in text


def test_a_coordinator_sees_the_way_to_draft_a_pitch_once_pitches_exist(work, client_for):
    job = post(work)

    text = client_for(work.cast.ana).get(f"/jobs/{job.pk}/").content.decode()
    ben = client_for(work.cast.ben).get(f"/jobs/{job.pk}/").content.decode()

    try:
        url = reverse("work:pitch_new", kwargs={"job_id": job.pk})
    except NoReverseMatch:
        assert "Draft a pitch" not in text
    else:
        assert f'href="{url}"' in text
    assert "Draft a pitch" not in ben


def test_a_private_job_is_not_found_for_outsiders(work, client_for):
    job = post(work, visibility=Job.Visibility.PRIVATE)

    assert Client().get(f"/jobs/{job.pk}/").status_code == 404
    assert client_for(work.cast.olga).get(f"/jobs/{job.pk}/").status_code == 404
    assert client_for(work.evan).get(f"/jobs/{job.pk}/").status_code == 404
    assert client_for(work.dana).get(f"/jobs/{job.pk}/").status_code == 200


def test_a_lead_is_seen_by_its_collective_only_not_by_the_client_nor_another_collective(
    work, client_for
):
    job = lead(work)

    assert client_for(work.cast.ben).get(f"/jobs/{job.pk}/").status_code == 200
    assert client_for(work.cast.carla).get(f"/jobs/{job.pk}/").status_code == 404
    assert client_for(work.dana).get(f"/jobs/{job.pk}/").status_code == 404
    assert client_for(work.cast.olga).get(f"/jobs/{job.pk}/").status_code == 404


# --- Editing and closing --------------------------------------------------------------------


def edit_data(job: Job, **changes: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": job.title,
        "description": job.description,
        "start_date": job.start_date.isoformat(),
        "duration_weeks": "26",
        "budget_kind": "hourly",
        "budget": "35.00",
        "visibility": "public",
        "timezone": "",
        "roles-0-skill": "customer_support",
        "roles-0-title": "Support",
        "roles-0-w0_days": WEEKDAYS,
        "roles-0-w0_start": "09:00",
        "roles-0-w0_end": "17:00",
    }
    data.update(changes)
    return data


def test_a_contact_edits_a_job_through_the_form(work, client_for):
    job = post(work)

    response = client_for(work.dana).post(
        f"/jobs/{job.pk}/edit/", edit_data(job, title="Support, weekdays", budget="40")
    )

    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.title, job.budget_minor, job.timezone) == (
        "Support, weekdays",
        4000,
        "Australia/Sydney",
    )
    assert list(job.roles.values_list("title", flat=True)) == ["Support"]


def test_the_edit_form_shows_each_role_with_its_windows(work, client_for):
    job = post(work)

    text = client_for(work.dana).get(f"/jobs/{job.pk}/edit/").content.decode()

    assert 'name="roles-0-w0_start" value="09:00"' in text
    assert 'name="roles-1-hours" value="6"' in text


def test_a_half_hour_in_the_form_is_shown_on_its_field_and_nothing_changes(work, client_for):
    job = post(work)
    before = state()

    response = client_for(work.dana).post(
        f"/jobs/{job.pk}/edit/", edit_data(job, **{"roles-0-w0_start": "09:30"})
    )

    assert response.status_code == 200
    form = response.context["form"]
    assert form.roles[0].errors["w0_start"] == [
        "'09:30': give whole hours here, such as 09:00 or 17:00."
    ]
    assert state() == before


def test_only_those_who_may_edit_a_job_see_its_form(work, client_for):
    job = post(work)
    before = state()

    # the job is public, so they may know it exists: 403, not 404
    assert client_for(work.evan).get(f"/jobs/{job.pk}/edit/").status_code == 403
    assert (
        client_for(work.cast.ana).post(f"/jobs/{job.pk}/edit/", edit_data(job)).status_code == 403
    )
    assert state() == before


def test_a_contact_closes_a_job_and_another_client_cannot(work, client_for):
    job = post(work)

    refused = client_for(work.evan).post(f"/jobs/{job.pk}/close/")
    assert refused.status_code == 403
    job.refresh_from_db()
    assert job.state == "open"

    response = client_for(work.dana).post(f"/jobs/{job.pk}/close/")
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.state == "closed"


def test_recorded_clients_jobs_show_on_the_board_only_when_posted(cast, client_for):
    client = client_record(
        collective=cast.collective_a,
        by=cast.ana,
        name="Cebu Dental",
        country="PH",
        timezone="Asia/Manila",
        currency="PHP",
        billing_address="Cebu City",
    )
    job_record_lead(
        collective=cast.collective_a,
        by=cast.ana,
        client=client,
        title="Front desk",
        description="Calls.",
        start_date=dt.date(2027, 1, 4),
        duration_weeks=None,
        budget_kind=Job.BudgetKind.HOURLY,
        budget=None,
        roles=[{"skill": "customer_support", "hours": 20}],
    )

    assert "Front desk" not in client_for(cast.ana).get(BOARD).content.decode()


def test_a_job_with_a_pitch_can_still_be_renamed_when_its_roles_come_back_unchanged(
    work, client_for
):
    from mutualist.work.models import Pitch

    job = post(work)
    Pitch.objects.create(
        job=job, collective=work.cast.collective_b, created_by=work.cast.carla, currency="AUD"
    )
    data = edit_data(
        job,
        title="Renamed",
        **{"roles-1-skill": "bookkeeping", "roles-1-title": "Books", "roles-1-hours": "6"},
    )

    response = client_for(work.dana).post(f"/jobs/{job.pk}/edit/", data)

    assert response.status_code == 302
    job.refresh_from_db()
    assert job.title == "Renamed"

    changed = client_for(work.dana).post(f"/jobs/{job.pk}/edit/", {**data, "roles-1-hours": "8"})
    assert changed.status_code == 200
    assert "pitched" in changed.content.decode()
