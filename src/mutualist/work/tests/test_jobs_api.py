"""The jobs API: posting (the issue's "done when"), the public board with its
filters, a job's page, patching, closing, leads; with outsiders at every door."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from mutualist.api.tests.support import (
    assert_leaks_nothing,
    assert_problem,
    bearer_client,
    patch_json,
    post_json,
)
from mutualist.core.money import Money
from mutualist.members.models import Skill
from mutualist.members.services.profiles import profile_set_availability
from mutualist.work.models import CoverageWindow, Job, JobRole, Pitch
from mutualist.work.services.clients import client_record
from mutualist.work.services.jobs import job_post, job_record_lead

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 27, 3, 0, tzinfo=dt.UTC)
API = "/api/v1"
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]


@pytest.fixture(autouse=True)
def _frozen_time(time_machine):
    time_machine.move_to(NOW, tick=False)


def state() -> dict[str, Any]:
    return {
        "jobs": list(Job.objects.order_by("pk").values()),
        "roles": list(JobRole.objects.order_by("pk").values()),
        "windows": list(CoverageWindow.objects.order_by("pk").values()),
    }


def body(work, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "client_id": work.harbour.pk,
        "title": "Customer support, Sydney business hours",
        "description": "Chat and email.",
        "start_date": "2026-12-07",
        "duration_weeks": 26,
        "budget_kind": "hourly",
        "budget": {"amount": "35.00", "currency": "AUD"},
        "visibility": "public",
        "roles": [
            {
                "skill": "customer_support",
                "title": "Support",
                "coverage": [{"days": WEEKDAYS, "start": "09:00", "end": "17:00"}],
            },
            {"skill": "bookkeeping", "title": "Books", "hours": 6},
        ],
    }
    data.update(changes)
    return data


def posted(work, **changes: Any) -> Job:
    fields: dict[str, Any] = {
        "client": work.harbour,
        "by": work.dana,
        "title": "Sydney office support",
        "description": "Chat and email.",
        "start_date": dt.date(2026, 11, 30),
        "duration_weeks": None,
        "budget_kind": Job.BudgetKind.HOURLY,
        "budget": Money("35", "AUD"),
        "visibility": Job.Visibility.PUBLIC,
        "roles": [
            {
                "skill": "customer_support",
                "coverage": [{"days": WEEKDAYS, "start": "09:00", "end": "17:00"}],
            }
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
        description="Payroll.",
        start_date=dt.date(2027, 1, 4),
        duration_weeks=None,
        budget_kind=Job.BudgetKind.TOTAL,
        budget=None,
        roles=[{"skill": "bookkeeping", "hours": 4}],
    )


# --- Anonymous callers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/jobs"),
        ("patch", "/jobs/{job}"),
        ("post", "/jobs/{job}/close"),
        ("post", "/collectives/manila-va/leads"),
    ],
)
def test_job_writes_refuse_anonymous_callers(work, method, path):
    job = posted(work)
    before = state()

    response = getattr(Client(), method)(
        f"{API}{path.format(job=job.pk)}", data=body(work), content_type="application/json"
    )

    assert_problem(response, 401, "not_authenticated")
    assert state() == before


# --- POST /jobs: a client contact posts a job ---------------------------------------------------


def test_a_client_contact_posts_a_job_through_the_api(work):
    response = post_json(bearer_client(work.dana), f"{API}/jobs", body(work))

    assert response.status_code == 201
    job = response.json()
    assert job["client"] == {"id": work.harbour.pk, "name": "Harbour Bridge Logistics"}
    assert job["collective"] is None
    assert job["budget"] == {"amount": "35.00", "currency": "AUD"}
    assert (job["timezone"], job["state"], job["visibility"]) == (
        "Australia/Sydney",
        "open",
        "public",
    )
    assert job["weekly_hours"] == 46
    support, books = job["roles"]
    assert support["skill"] == {"slug": "customer_support", "name": "Customer support"}
    assert support["kind"] == "coverage"
    assert support["coverage"] == [{"days": WEEKDAYS, "start": "09:00", "end": "17:00"}]
    assert support["hours"] is None
    assert (books["kind"], books["hours"], books["coverage"]) == ("flexible", 6, [])
    # and it is on the public board
    board = Client().get(f"{API}/jobs").json()
    assert [item["id"] for item in board["items"]] == [job["id"]]


def test_an_overnight_new_york_shift_goes_in_and_comes_out_as_it_was_written(work):
    roles = [
        {
            "skill": "customer_support",
            "coverage": [{"days": ["mon", "tue"], "start": "22:00", "end": "06:00"}],
        }
    ]

    response = post_json(
        bearer_client(work.dana),
        f"{API}/jobs",
        body(work, timezone="America/New_York", roles=roles),
    )

    assert response.status_code == 201
    assert response.json()["roles"][0]["coverage"] == [
        {"days": ["mon", "tue"], "start": "22:00", "end": "06:00"}
    ]
    assert response.json()["weekly_hours"] == 16


def test_coverage_on_the_half_hour_is_refused_naming_the_window(work):
    roles = [
        {
            "skill": "customer_support",
            "coverage": [{"days": ["mon"], "start": "09:30", "end": "17:00"}],
        }
    ]
    before = state()

    response = post_json(bearer_client(work.dana), f"{API}/jobs", body(work, roles=roles))

    problem = assert_problem(response, 422, "not_whole_hour")
    assert problem["errors"][0]["field"] == "roles[0].coverage[0].start"
    assert state() == before


@pytest.mark.parametrize(
    ("changes", "status", "code", "field"),
    [
        ({"timezone": "Mars/Olympus"}, 422, "invalid_timezone", "timezone"),
        ({"budget": {"amount": "35.00", "currency": "USD"}}, 422, "currency_mismatch", "budget"),
        (
            {"budget": {"amount": "35.001", "currency": "AUD"}},
            422,
            "too_many_decimals",
            "budget.amount",
        ),
        ({"budget": {"amount": "-1", "currency": "AUD"}}, 422, "negative_budget", "budget"),
        (
            {"budget": {"amount": "1", "currency": "XYZ"}},
            422,
            "invalid_currency",
            "budget.currency",
        ),
        ({"start_date": "2026-11-26"}, 422, "start_date_in_past", "start_date"),
        ({"roles": []}, 422, "no_roles", "roles"),
        ({"roles": [{"skill": "juggling", "hours": 3}]}, 422, "unknown_skill", "roles[0].skill"),
        ({"roles": [{"skill": "bookkeeping"}]}, 422, "coverage_or_hours", "roles[0]"),
        ({"visibility": "secret"}, 422, "invalid_visibility", "visibility"),
    ],
)
def test_bad_jobs_are_refused_with_the_field_at_fault_and_nothing_written(
    work, changes, status, code, field
):
    before = state()

    response = post_json(bearer_client(work.dana), f"{API}/jobs", body(work, **changes))

    problem = assert_problem(response, status, code)
    assert problem["errors"][0]["field"] == field
    assert state() == before


SUNDAY_NIGHT = [
    {"skill": "customer_support", "coverage": [{"days": ["sun"], "start": "22:00", "end": "06:00"}]}
]


def test_a_job_starting_at_the_end_of_the_calendar_is_refused_and_the_board_stays_up(work):
    # given a start on 9999-12-31 and a Sunday-night window, whose start week's
    # hours once overflowed after the job had been saved (a 500, and the board
    # down for everyone)
    before = state()

    response = post_json(
        bearer_client(work.dana),
        f"{API}/jobs",
        body(work, start_date="9999-12-31", roles=SUNDAY_NIGHT),
    )

    problem = assert_problem(response, 422, "start_date_too_far")
    assert problem["errors"][0]["field"] == "start_date"
    assert state() == before
    assert Client().get(f"{API}/jobs").status_code == 200


def far_future_job(work) -> Job:
    """A public job starting on 9999-12-31 with a Sunday-night window, written
    straight to the tables as it could be before start dates were capped."""
    job = Job.objects.create(
        client=work.harbour,
        posted_by=work.dana,
        title="Night watch at the end of time",
        description="Nights.",
        start_date=dt.date(9999, 12, 31),
        timezone="Australia/Sydney",
        budget_kind=Job.BudgetKind.HOURLY,
        currency="AUD",
        visibility=Job.Visibility.PUBLIC,
    )
    role = JobRole.objects.create(
        job=job,
        position=0,
        skill=Skill.objects.get(slug="customer_support"),
        kind=JobRole.Kind.COVERAGE,
    )
    CoverageWindow.objects.create(role=role, weekday=6, start_hour=22, end_hour=6)
    return job


def test_a_job_already_starting_at_the_end_of_the_calendar_does_not_break_the_api(work):
    job = far_future_job(work)
    profile_set_availability(
        user=work.cast.ana, windows=[{"weekday": 6, "start": "00:00", "end": "23:00"}]
    )

    board = Client().get(f"{API}/jobs")
    overlap = bearer_client(work.cast.ana).get(f"{API}/jobs", {"collective": "manila-va"})
    detail = Client().get(f"{API}/jobs/{job.pk}")

    assert board.status_code == 200
    [item] = board.json()["items"]
    assert (item["id"], item["weekly_hours"]) == (job.pk, 8)
    assert overlap.status_code == 200
    assert overlap.json()["items"][0]["id"] == job.pk
    assert detail.status_code == 200
    assert detail.json()["weekly_hours"] == 8


def test_a_job_whose_reply_cannot_be_built_is_not_written(work, monkeypatch):
    # given a reply that fails after the job is written (as the far-future
    # start date's hours once did)
    def broken(job: Job) -> Any:
        raise OverflowError("date value out of range")

    monkeypatch.setattr("mutualist.api.routers.work_clients._job_out", broken)
    before = state()

    response = post_json(bearer_client(work.dana), f"{API}/jobs", body(work))

    # then the caller gets a 500 and no job half-written behind it
    assert_problem(response, 500, "server_error")
    assert state() == before


def test_a_float_amount_is_refused_by_the_schema(work):
    response = post_json(
        bearer_client(work.dana),
        f"{API}/jobs",
        body(work, budget={"amount": 35.5, "currency": "AUD"}),
    )

    assert_problem(response, 422, "validation_failed")


def test_nobody_posts_for_a_client_they_cannot_see_or_do_not_act_for(work):
    before = state()

    # Dana cannot see Thames: 404; Ana's collective works for Harbour, but she does not act for it.
    assert_problem(
        post_json(bearer_client(work.dana), f"{API}/jobs", body(work, client_id=work.thames.pk)),
        404,
        "not_found",
    )
    assert_problem(
        post_json(bearer_client(work.cast.ana), f"{API}/jobs", body(work)),
        403,
        "not_client_contact",
    )
    assert_problem(
        post_json(bearer_client(work.cast.olga), f"{API}/jobs", body(work)), 404, "not_found"
    )
    assert state() == before


# --- GET /jobs: the board ----------------------------------------------------------------------


def test_the_board_is_public_and_lists_only_public_open_jobs(work):
    job = posted(work)
    posted(work, title="Private one", visibility=Job.Visibility.PRIVATE)
    lead(work)

    response = Client().get(f"{API}/jobs")

    assert response.status_code == 200
    page = response.json()
    assert page["count"] == 1
    [item] = page["items"]
    assert (item["id"], item["weekly_hours"], item["overlap_hours"]) == (job.pk, 40, None)


def test_the_board_counts_overlap_with_the_callers_collective(work):
    profile_set_availability(
        user=work.cast.ana,
        windows=[{"weekday": day, "start": "09:00", "end": "17:00"} for day in range(5)],
    )
    posted(work)
    posted(work, client=work.thames, by=work.evan, title="London", budget=Money("20", "GBP"))

    response = bearer_client(work.cast.ben).get(
        f"{API}/jobs", {"collective": "manila-va", "min_overlap_hours": "20"}
    )

    [item] = response.json()["items"]
    assert (item["title"], item["overlap_hours"]) == ("Sydney office support", "25.00")


def test_the_board_refuses_overlap_with_a_collective_the_caller_is_not_in(work):
    posted(work)

    assert_problem(Client().get(f"{API}/jobs", {"collective": "manila-va"}), 404, "not_found")
    assert_problem(
        bearer_client(work.cast.carla).get(f"{API}/jobs", {"collective": "manila-va"}),
        404,
        "not_found",
    )


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ({"min_budget": "10"}, 422, "budget_kind_required"),
        ({"min_overlap_hours": "5"}, 422, "collective_required"),
        ({"min_hours": "20", "max_hours": "10"}, 422, "invalid_range"),
        ({"min_hours": "200"}, 422, "validation_failed"),
        ({"budget_kind": "daily"}, 422, "invalid_budget_kind"),
    ],
)
def test_the_board_refuses_filters_that_do_not_make_sense(work, query, status, code):
    assert_problem(Client().get(f"{API}/jobs", query), status, code)


def test_the_board_filters_by_skill_hours_and_budget(work):
    posted(work, title="Support")
    posted(
        work, title="Books", roles=[{"skill": "bookkeeping", "hours": 6}], budget=Money("50", "AUD")
    )

    def titles(query: dict[str, str]) -> list[str]:
        return [item["title"] for item in Client().get(f"{API}/jobs", query).json()["items"]]

    assert titles({"skill": "bookkeeping"}) == ["Books"]
    assert titles({"min_hours": "10"}) == ["Support"]
    assert titles({"budget_kind": "hourly", "min_budget": "40"}) == ["Books"]


# --- GET /jobs/{id} -----------------------------------------------------------------------------


def test_a_public_job_is_readable_by_anyone(work):
    job = posted(work)

    response = Client().get(f"{API}/jobs/{job.pk}")

    assert response.status_code == 200
    assert response.json()["title"] == "Sydney office support"


def test_a_private_job_is_readable_only_by_its_clients_contacts(work):
    job = posted(work, visibility=Job.Visibility.PRIVATE)

    assert bearer_client(work.dana).get(f"{API}/jobs/{job.pk}").status_code == 200
    for person in (work.evan, work.cast.olga, work.cast.carla):
        response = bearer_client(person).get(f"{API}/jobs/{job.pk}")
        assert_problem(response, 404, "not_found")
        assert_leaks_nothing(response, "Sydney office support")
    assert_problem(Client().get(f"{API}/jobs/{job.pk}"), 404, "not_found")


def test_dana_cannot_read_thames_private_jobs(work):
    job = posted(
        work,
        client=work.thames,
        by=work.evan,
        title="Thames private",
        budget=None,
        visibility=Job.Visibility.PRIVATE,
    )

    assert_problem(bearer_client(work.dana).get(f"{API}/jobs/{job.pk}"), 404, "not_found")
    assert_problem(
        patch_json(bearer_client(work.dana), f"{API}/jobs/{job.pk}", {"title": "x"}),
        404,
        "not_found",
    )
    assert_problem(
        post_json(bearer_client(work.dana), f"{API}/jobs/{job.pk}/close"), 404, "not_found"
    )


def test_olga_sees_only_public_jobs(work):
    public = posted(work)
    private = posted(work, visibility=Job.Visibility.PRIVATE)
    a_lead = lead(work)
    api = bearer_client(work.cast.olga)

    assert api.get(f"{API}/jobs/{public.pk}").status_code == 200
    assert api.get(f"{API}/jobs/{private.pk}").status_code == 404
    assert api.get(f"{API}/jobs/{a_lead.pk}").status_code == 404
    assert [item["id"] for item in api.get(f"{API}/jobs").json()["items"]] == [public.pk]


def test_a_lead_is_for_its_collectives_members_only(work):
    job = lead(work)

    ben = bearer_client(work.cast.ben).get(f"{API}/jobs/{job.pk}")
    assert ben.status_code == 200
    assert ben.json()["collective"] == {"slug": "manila-va", "name": "Manila Virtual Assistants"}
    assert ben.json()["visibility"] == "private"
    for person in (work.dana, work.cast.carla):
        assert_problem(bearer_client(person).get(f"{API}/jobs/{job.pk}"), 404, "not_found")


# --- PATCH and close ----------------------------------------------------------------------------


def test_a_contact_patches_only_what_they_send(work):
    job = posted(work)

    response = patch_json(
        bearer_client(work.dana), f"{API}/jobs/{job.pk}", {"title": "Support", "budget": None}
    )

    assert response.status_code == 200
    assert (response.json()["title"], response.json()["budget"]) == ("Support", None)
    assert response.json()["roles"][0]["coverage"] == [
        {"days": WEEKDAYS, "start": "09:00", "end": "17:00"}
    ]
    job.refresh_from_db()
    assert (job.duration_weeks, job.start_date) == (None, dt.date(2026, 11, 30))


def test_a_patch_replacing_roles_with_a_bad_window_changes_nothing(work):
    job = posted(work)
    before = state()

    response = patch_json(
        bearer_client(work.dana),
        f"{API}/jobs/{job.pk}",
        {
            "title": "New",
            "roles": [
                {
                    "skill": "customer_support",
                    "coverage": [{"days": ["mon"], "start": "10:00", "end": "10:00"}],
                }
            ],
        },
    )

    problem = assert_problem(response, 422, "empty_window")
    assert problem["errors"][0]["field"] == "roles[0].coverage"
    assert state() == before


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"timezone": "America/New_York", "start_date": "2027-06-01"}, "timezone"),
        ({"start_date": "2027-06-01"}, "start_date"),
    ],
)
def test_a_pitched_job_keeps_its_time_zone_and_start_date(work, patch, field):
    # given an open job a collective has pitched for
    job = posted(work)
    Pitch.objects.create(
        job=job,
        collective=work.cast.collective_b,
        created_by=work.cast.carla,
        currency="AUD",
        state=Pitch.State.SENT,
        sent_at=NOW,
    )
    before = state()

    # when its contact moves it to New York time (every shift 15 hours on)
    response = patch_json(bearer_client(work.dana), f"{API}/jobs/{job.pk}", patch)

    # then it is refused and nothing moved
    problem = assert_problem(response, 409, "job_has_pitches")
    assert problem["errors"][0]["field"] == field
    assert state() == before


def test_only_the_clients_contacts_patch_or_close_a_posted_job(work):
    job = posted(work)
    before = state()

    for person in (work.evan, work.cast.ana):
        api = bearer_client(person)
        assert_problem(
            patch_json(api, f"{API}/jobs/{job.pk}", {"title": "x"}), 403, "not_client_contact"
        )
        assert_problem(post_json(api, f"{API}/jobs/{job.pk}/close"), 403, "not_client_contact")
    assert state() == before


def test_a_contact_closes_a_job_once(work):
    job = posted(work)
    api = bearer_client(work.dana)

    closed = post_json(api, f"{API}/jobs/{job.pk}/close")
    again = post_json(api, f"{API}/jobs/{job.pk}/close")

    assert closed.status_code == 200
    assert closed.json()["state"] == "closed"
    assert_problem(again, 409, "job_not_open")
    assert Client().get(f"{API}/jobs").json()["count"] == 0


# --- Leads ---------------------------------------------------------------------------------------


def lead_body(client_id: int, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "client_id": client_id,
        "title": "Front desk calls",
        "description": "Answer the phone.",
        "start_date": "2027-01-04",
        "budget_kind": "total",
        "budget": {"amount": "45000", "currency": "PHP"},
        "roles": [{"skill": "customer_support", "hours": 20}],
    }
    data.update(changes)
    return data


def test_a_coordinator_records_a_lead(cast):
    client = client_record(
        collective=cast.collective_a,
        by=cast.ana,
        name="Cebu Dental",
        country="PH",
        timezone="Asia/Manila",
        currency="PHP",
        billing_address="Cebu City",
    )

    response = post_json(
        bearer_client(cast.ana), f"{API}/collectives/manila-va/leads", lead_body(client.pk)
    )

    assert response.status_code == 201
    job = response.json()
    assert (job["visibility"], job["collective"]["slug"], job["budget"]) == (
        "private",
        "manila-va",
        {"amount": "45000.00", "currency": "PHP"},
    )


def test_leads_are_refused_for_members_other_collectives_and_unknown_clients(work):
    before = state()

    assert_problem(
        post_json(
            bearer_client(work.cast.ben),
            f"{API}/collectives/manila-va/leads",
            lead_body(work.harbour.pk, budget=None),
        ),
        403,
        "not_coordinator",
    )
    assert_problem(
        post_json(
            bearer_client(work.cast.carla),
            f"{API}/collectives/manila-va/leads",
            lead_body(work.harbour.pk),
        ),
        404,
        "not_found",
    )
    # Thames works with B, not A: A's coordinator may not know it.
    assert_problem(
        post_json(
            bearer_client(work.cast.ana),
            f"{API}/collectives/manila-va/leads",
            lead_body(work.thames.pk),
        ),
        404,
        "not_found",
    )
    assert state() == before


def test_a_lead_cannot_be_made_public(work):
    job = lead(work)
    before = state()

    response = patch_json(
        bearer_client(work.cast.ana), f"{API}/jobs/{job.pk}", {"visibility": "public"}
    )

    assert_problem(response, 422, "lead_is_private")
    assert state() == before
