"""Pitch services: drafting, the team's rules, sending, withdrawing, and the
client's decision. Every refusal changes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.db import transaction
from django.http import Http404

from mutualist.collectives.models import Collective, Membership
from mutualist.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from mutualist.work.models import (
    Agreement,
    AgreementAcceptance,
    Engagement,
    EngagementMember,
    EngagementShift,
    Job,
    Pitch,
    PitchMember,
    PitchRole,
    PitchShift,
)
from mutualist.work.services.pitches import (
    pitch_accept,
    pitch_create,
    pitch_decline,
    pitch_send,
    pitch_update,
    pitch_withdraw,
)
from mutualist.work.tests.test_pitches_world import (
    TODAY,
    WEEKDAYS,
    PitchWorld,
    build_pitch_world,
    roles_input,
    team_input,
)


@pytest.fixture
def world(work, time_machine) -> PitchWorld:
    time_machine.move_to(TODAY, tick=False)
    return build_pitch_world(work)


def rows() -> dict[str, Any]:
    """Everything a pitch service may write."""
    return {
        "pitches": sorted(
            Pitch.objects.values_list(
                "pk", "state", "message", "payment_terms_days", "payment_method", "decision_note"
            )
        ),
        "roles": sorted(
            PitchRole.objects.values_list("pitch_id", "job_role_id", "bill_rate_minor")
        ),
        "team": sorted(
            PitchMember.objects.values_list(
                "pitch_id", "job_role_id", "user_id", "pay_rate_minor", "flexible_hours"
            )
        ),
        "shifts": sorted(
            PitchShift.objects.values_list("member__user_id", "weekday", "start_hour", "end_hour")
        ),
        "jobs": sorted(Job.objects.values_list("pk", "state")),
        "engagements": Engagement.objects.count(),
        "seats": EngagementMember.objects.count(),
        "agreements": Agreement.objects.count(),
        "acceptances": AgreementAcceptance.objects.count(),
    }


def update(world: PitchWorld, **overrides: Any) -> Pitch:
    values: dict[str, Any] = {
        "pitch": world.pitch,
        "by": world.work.cast.ana,
        "message": "Updated.",
        "payment_terms_days": 14,
        "payment_method": "Wise transfer",
        "roles": roles_input(world.support, world.books),
        "team": team_input(world.work, world.support, world.books),
    }
    values.update(overrides)
    return pitch_update(**values)


def line(
    world: PitchWorld, who: str = "ana", role: str = "support", **fields: Any
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "member": getattr(world.work.cast, who).pk,
        "job_role": getattr(world, role).pk,
        "pay_rate": "20.00",
    }
    if role == "support":
        item["shifts"] = [{"days": WEEKDAYS, "start": "09:00", "end": "17:00"}]
    else:
        item["hours"] = 6
    item.update(fields)
    return item


# --- Creating a draft ---------------------------------------------------------------


def test_a_coordinator_starts_a_draft_in_the_jobs_currency(work, time_machine):
    time_machine.move_to(TODAY, tick=False)
    world = build_pitch_world(work)

    assert (world.pitch.state, world.pitch.currency, world.pitch.created_by) == (
        "draft",
        "AUD",
        work.cast.ana,
    )
    assert (world.pitch.payment_terms_days, world.pitch.payment_method) == (30, "Bank transfer")


def test_it_refuses_a_second_live_pitch_of_one_collective_for_a_job(world):
    before = rows()

    with pytest.raises(Conflict) as refused:
        pitch_create(job=world.job, collective=world.work.cast.collective_a, by=world.work.cast.ana)

    assert refused.value.code == "pitch_exists"
    assert rows() == before


def test_a_withdrawn_pitch_makes_room_for_a_new_one(world):
    pitch_withdraw(pitch=world.pitch, by=world.work.cast.ana)

    again = pitch_create(
        job=world.job, collective=world.work.cast.collective_a, by=world.work.cast.ana
    )

    assert again.state == "draft"
    assert Pitch.objects.filter(job=world.job).count() == 2


def test_ben_who_is_not_a_coordinator_cannot_start_a_pitch(world):
    world.pitch.delete()
    before = rows()

    with pytest.raises(PermissionDenied) as refused:
        pitch_create(job=world.job, collective=world.work.cast.collective_a, by=world.work.cast.ben)

    assert refused.value.code == "not_coordinator"
    assert rows() == before


def test_it_refuses_a_pitch_for_a_job_that_is_not_open(world):
    Job.objects.filter(pk=world.job.pk).update(state=Job.State.CLOSED)
    before = rows()

    with pytest.raises(Conflict) as refused:
        pitch_create(
            job=world.job, collective=world.work.cast.collective_b, by=world.work.cast.carla
        )

    assert refused.value.code == "job_not_open_for_pitches"
    assert rows() == before


def test_a_coordinator_cannot_pitch_for_a_private_job_they_cannot_see(world):
    Job.objects.filter(pk=world.job.pk).update(visibility=Job.Visibility.PRIVATE)

    with pytest.raises(Http404):
        pitch_create(
            job=world.job, collective=world.work.cast.collective_b, by=world.work.cast.carla
        )

    assert not Pitch.objects.filter(collective=world.work.cast.collective_b).exists()


# --- Editing the draft --------------------------------------------------------------


def test_a_coordinator_replaces_the_message_terms_rates_and_team(world):
    pitch = update(
        world,
        roles=roles_input(world.support, world.books, support="26.50"),
        team=[
            line(world, "ana", shifts=[{"days": ["mon", "tue"], "start": "09:00", "end": "13:00"}]),
            line(world, "ben", "support", pay_rate="21.00",
                 shifts=[{"days": ["mon", "tue"], "start": "13:00", "end": "17:00"}]),
        ],
    )  # fmt: skip

    assert (pitch.message, pitch.payment_terms_days, pitch.payment_method) == (
        "Updated.",
        14,
        "Wise transfer",
    )
    assert sorted(
        PitchRole.objects.filter(pitch=pitch).values_list("bill_rate_minor", flat=True)
    ) == [
        2650,
        3000,
    ]
    assert sorted(
        PitchShift.objects.filter(member__pitch=pitch).values_list(
            "member__user__email", "weekday", "start_hour", "end_hour"
        )
    ) == [
        ("ana@example.org", 0, 9, 13),
        ("ana@example.org", 1, 9, 13),
        ("ben@example.org", 0, 13, 17),
        ("ben@example.org", 1, 13, 17),
    ]


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"payment_method": "  "}, "required", "payment_method"),
        ({"payment_method": "x" * 121}, "too_long", "payment_method"),
        ({"message": "x" * 5001}, "too_long", "message"),
        ({"payment_terms_days": 366}, "invalid_payment_terms", "payment_terms_days"),
        ({"payment_terms_days": "thirty"}, "invalid_payment_terms", "payment_terms_days"),
    ],
)
def test_it_refuses_bad_terms_and_changes_nothing(world, change, code, field):
    before = rows()

    with pytest.raises(ValidationFailed) as refused:
        update(world, **change)

    assert (refused.value.code, refused.value.field) == (code, field)
    assert rows() == before


def _bad_teams(world: PitchWorld) -> list[tuple[list[dict[str, Any]], str, str]]:
    return [
        ([line(world, "olga")], "team_member_unknown", "team[0].member"),
        ([line(world, "carla")], "team_member_unknown", "team[0].member"),
        ([line(world, job_role=999999)], "pitch_role_unknown", "team[0].job_role"),
        ([line(world, pay_rate="-1")], "negative_rate", "team[0].pay_rate"),
        ([line(world, pay_rate="20.001")], "too_many_decimals", "team[0].pay_rate"),
        ([line(world, pay_rate="twenty")], "invalid_amount", "team[0].pay_rate"),
        ([line(world, pay_rate="25.01")], "pay_above_bill", "team[0].pay_rate"),
        ([line(world), line(world)], "duplicate_team_line", "team[1]"),
        ([line(world, shifts=[])], "shifts_required", "team[0].shifts"),
        ([line(world, hours=8)], "line_kind_mismatch", "team[0].hours"),
        ([line(world, "ben", "books", hours=None)], "hours_required", "team[0].hours"),
        ([line(world, "ben", "books", hours=169)], "invalid_flexible_hours", "team[0].hours"),
        (
            [line(world, "ben", "books", shifts=[{"days": ["mon"], "start": "09:00", "end": "10:00"}])],
            "line_kind_mismatch",
            "team[0].shifts",
        ),
        (
            [line(world, shifts=[{"days": ["mon"], "start": "09:30", "end": "17:00"}])],
            "not_whole_hour",
            "team[0].shifts[0].start",
        ),
        (
            [line(world, shifts=[{"days": ["sat"], "start": "09:00", "end": "17:00"}])],
            "shift_outside_coverage",
            "team[0].shifts",
        ),
        (
            [line(world, shifts=[{"days": ["mon"], "start": "16:00", "end": "18:00"}])],
            "shift_outside_coverage",
            "team[0].shifts",
        ),
    ]  # fmt: skip


@pytest.mark.parametrize("case", range(16))
def test_it_refuses_a_bad_team_line_naming_it_and_changes_nothing(world, case):
    team, code, field = _bad_teams(world)[case]
    before = rows()

    with pytest.raises(ValidationFailed) as refused:
        update(world, team=team)

    assert (refused.value.code, refused.value.field) == (code, field)
    assert rows() == before


def test_it_refuses_a_line_on_a_role_without_a_bill_rate(world):
    before = rows()

    with pytest.raises(ValidationFailed) as refused:
        update(world, roles=[{"job_role": world.support.pk, "bill_rate": "25.00"}],
               team=[line(world, "ben", "books")])  # fmt: skip

    assert (refused.value.code, refused.value.field) == ("bill_rate_required", "team[0].job_role")
    assert rows() == before


def test_it_refuses_one_persons_overlapping_shifts_across_roles(world, work):
    # given a job with a second coverage role over the same hours
    from mutualist.members.models import Skill
    from mutualist.work.models import CoverageWindow, JobRole

    chat = JobRole.objects.create(
        job=world.job, position=2, skill=Skill.objects.get(slug="customer_support"),
        title="Chat", kind=JobRole.Kind.COVERAGE,
    )  # fmt: skip
    CoverageWindow.objects.create(role=chat, weekday=0, start_hour=9, end_hour=17)
    before = rows()

    with pytest.raises(ValidationFailed) as refused:
        update(
            world,
            roles=[*roles_input(world.support, world.books), {"job_role": chat.pk, "bill_rate": "20"}],
            team=[
                line(world, shifts=[{"days": ["mon"], "start": "09:00", "end": "12:00"}]),
                line(world, job_role=chat.pk, shifts=[{"days": ["mon"], "start": "11:00", "end": "13:00"}]),
            ],
        )  # fmt: skip

    assert (refused.value.code, refused.value.field) == ("shifts_overlap", "team[1].shifts")
    assert rows() == before


def test_a_person_may_be_on_two_roles_of_a_draft(world):
    pitch = update(
        world,
        team=[
            line(world, "ben", "support", shifts=[{"days": ["mon"], "start": "09:00", "end": "12:00"}]),
            line(world, "ben", "books"),
        ],
    )  # fmt: skip

    assert pitch.team.filter(user=world.work.cast.ben).count() == 2


@pytest.mark.parametrize(
    ("roles", "code", "field"),
    [
        ([{"job_role": 999999, "bill_rate": "1"}], "pitch_role_unknown", "roles[0].job_role"),
        ([{"job_role": "support", "bill_rate": "1"}], "pitch_role_unknown", "roles[0].job_role"),
        ("dup", "duplicate_role", "roles[1]"),
        ("negative", "negative_rate", "roles[0].bill_rate"),
        ("huge", "amount_too_large", "roles[0].bill_rate"),
    ],
)
def test_it_refuses_bad_bill_rates(world, roles, code, field):
    if roles == "dup":
        roles = [{"job_role": world.support.pk, "bill_rate": "25"}] * 2
    elif roles == "negative":
        roles = [{"job_role": world.support.pk, "bill_rate": "-0.01"}]
    elif roles == "huge":
        roles = [{"job_role": world.support.pk, "bill_rate": "10000000000000000"}]
    before = rows()

    with pytest.raises(ValidationFailed) as refused:
        update(world, roles=roles, team=[])

    assert (refused.value.code, refused.value.field) == (code, field)
    assert rows() == before


def test_ben_cannot_edit_and_carla_does_not_know_the_pitch(world):
    before = rows()

    with pytest.raises(PermissionDenied) as refused:
        update(world, by=world.work.cast.ben)
    with pytest.raises(NotFound):
        update(world, by=world.work.cast.carla)

    assert refused.value.code == "not_coordinator"
    assert rows() == before


def test_a_sent_pitch_cannot_be_edited(world):
    world.send()
    before = rows()

    with pytest.raises(Conflict) as refused:
        update(world)

    assert refused.value.code == "pitch_not_draft"
    assert rows() == before


# --- Sending ------------------------------------------------------------------------


def test_a_coordinator_sends_the_pitch_and_the_clients_contacts_are_emailed(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        pitch = world.send()

    assert (pitch.state, pitch.sent_at) == ("sent", TODAY)
    assert [message.to for message in mail.outbox] == [["dana@harbour.example"]]
    assert "Manila Virtual Assistants" in mail.outbox[0].subject
    assert f"/pitches/{pitch.pk}/" in mail.outbox[0].body


def test_ben_cannot_send(world):
    before = rows()

    with pytest.raises(PermissionDenied) as refused:
        pitch_send(pitch=world.pitch, by=world.work.cast.ben)

    assert refused.value.code == "not_coordinator"
    assert rows() == before


def test_it_refuses_to_send_while_the_collective_has_no_postal_address(world):
    Collective.objects.filter(pk=world.work.cast.collective_a.pk).update(postal_address=" ")
    before = rows()

    with pytest.raises(Conflict) as refused:
        world.send()

    assert refused.value.code == "postal_address_required"
    assert rows() == before


def test_it_refuses_to_send_without_a_team(world):
    update(world, team=[])
    before = rows()

    with pytest.raises(Conflict) as refused:
        world.send()

    assert refused.value.code == "pitch_team_required"
    assert rows() == before


def test_it_refuses_to_send_with_a_person_on_two_roles(world):
    update(
        world,
        team=[
            line(world, "ben", "support", shifts=[{"days": ["mon"], "start": "09:00", "end": "12:00"}]),
            line(world, "ben", "books"),
        ],
    )  # fmt: skip
    before = rows()

    with pytest.raises(Conflict) as refused:
        world.send()

    assert refused.value.code == "member_on_two_roles"
    assert rows() == before


def test_it_refuses_to_send_twice_or_for_a_closed_job(world):
    world.send()
    with pytest.raises(Conflict) as twice:
        world.send()
    assert twice.value.code == "pitch_not_draft"

    other = pitch_create(
        job=world.job, collective=world.work.cast.collective_b, by=world.work.cast.carla
    )
    Job.objects.filter(pk=world.job.pk).update(state=Job.State.CLOSED)
    with pytest.raises(Conflict) as closed:
        pitch_send(pitch=other, by=world.work.cast.carla)
    assert closed.value.code == "job_not_open_for_pitches"
    assert Pitch.objects.get(pk=other.pk).state == "draft"


# --- Withdrawing --------------------------------------------------------------------


@pytest.mark.parametrize("sent", [False, True])
def test_a_coordinator_withdraws_a_draft_or_a_sent_pitch(world, sent):
    if sent:
        world.send()

    pitch = pitch_withdraw(pitch=world.pitch, by=world.work.cast.ana)

    assert (pitch.state, pitch.decided_by, pitch.decided_at) == (
        "withdrawn",
        world.work.cast.ana,
        TODAY,
    )


def test_ben_cannot_withdraw_and_nothing_is_withdrawn_twice(world):
    with pytest.raises(PermissionDenied):
        pitch_withdraw(pitch=world.pitch, by=world.work.cast.ben)
    pitch_withdraw(pitch=world.pitch, by=world.work.cast.ana)
    before = rows()

    with pytest.raises(Conflict) as refused:
        pitch_withdraw(pitch=world.pitch, by=world.work.cast.ana)

    assert refused.value.code == "pitch_closed"
    assert rows() == before


# --- The client's decision ----------------------------------------------------------


def test_dana_declines_with_a_note_and_the_coordinators_are_emailed(
    world, django_capture_on_commit_callbacks
):
    world.send()

    with django_capture_on_commit_callbacks(execute=True):
        pitch = pitch_decline(pitch=world.pitch, by=world.work.dana, note=" Too dear. ")

    assert (pitch.state, pitch.decided_by, pitch.decision_note) == (
        "declined",
        world.work.dana,
        "Too dear.",
    )
    assert [message.to for message in mail.outbox] == [["ana@example.org"]]
    assert "Too dear." in mail.outbox[0].body


@pytest.mark.parametrize("state", ["draft", "withdrawn", "declined"])
def test_dana_cannot_accept_a_pitch_that_is_not_sent(world, state):
    if state != "draft":
        world.send()
        if state == "withdrawn":
            pitch_withdraw(pitch=world.pitch, by=world.work.cast.ana)
        else:
            pitch_decline(pitch=world.pitch, by=world.work.dana)
    before = rows()

    with pytest.raises((Conflict, NotFound)) as refused:
        pitch_accept(pitch=world.pitch, by=world.work.dana)

    # A draft was never sent, so Dana does not know of it at all.
    assert refused.value.code == ("not_found" if state == "draft" else "pitch_not_sent")
    assert rows() == before


def test_only_the_clients_contacts_decide(world):
    world.send()
    before = rows()

    with pytest.raises(PermissionDenied) as member:
        pitch_accept(pitch=world.pitch, by=world.work.cast.ana)
    with pytest.raises(NotFound):
        pitch_accept(pitch=world.pitch, by=world.work.evan)
    with pytest.raises(NotFound):
        pitch_decline(pitch=world.pitch, by=world.work.cast.olga)

    assert member.value.code == "not_the_client"
    assert rows() == before


def test_it_refuses_a_decline_note_too_long(world):
    world.send()
    before = rows()

    with pytest.raises(ValidationFailed) as refused:
        pitch_decline(pitch=world.pitch, by=world.work.dana, note="x" * 2001)

    assert (refused.value.code, refused.value.field) == ("too_long", "note")
    assert rows() == before


def test_dana_accepts_a_sent_pitch_and_gets_a_pending_engagement_with_agreement_v1(
    world, django_capture_on_commit_callbacks
):
    world.send()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        engagement = pitch_accept(pitch=world.pitch, by=world.work.dana)

    pitch = Pitch.objects.get(pk=world.pitch.pk)
    assert (pitch.state, pitch.decided_by) == ("accepted", world.work.dana)
    assert Job.objects.get(pk=world.job.pk).state == "filled"
    assert (
        engagement.status, engagement.client, engagement.collective, engagement.pitch,
        engagement.currency, engagement.timezone, engagement.starts_on,
        engagement.payment_terms_days, engagement.payment_method,
    ) == (
        "pending", world.work.harbour, world.work.cast.collective_a, pitch,
        "AUD", "Australia/Sydney", dt.date(2026, 12, 7), 30, "Bank transfer",
    )  # fmt: skip
    assert sorted(
        engagement.team.values_list(
            "user__email", "role_title", "skill__slug", "bill_rate_minor", "pay_rate_minor",
            "weekly_cap_hours",
        )
    ) == [
        ("ana@example.org", "Support", "customer_support", 2500, 2000, 40),
        ("ben@example.org", "Books", "bookkeeping", 3000, 2400, 6),
    ]  # fmt: skip
    assert sorted(
        EngagementShift.objects.filter(member__engagement=engagement).values_list(
            "weekday", "start_hour", "end_hour"
        )
    ) == [(day, 9, 17) for day in range(5)]
    [agreement] = engagement.agreements.all()
    assert agreement.version == 1
    assert list(agreement.acceptances.values_list("party", "user", "accepted_at")) == [
        ("client", world.work.dana.pk, TODAY)
    ]
    assert [message.to for message in mail.outbox] == [["ana@example.org"]]
    assert f"/engagements/{engagement.pk}/agreements/1/" in mail.outbox[0].body


def test_accepting_declines_the_other_collectives_waiting_pitch(world):
    world.send()
    carla = world.work.cast.carla
    Collective.objects.filter(pk=world.work.cast.collective_b.pk).update(postal_address="B St 1")
    other = pitch_create(job=world.job, collective=world.work.cast.collective_b, by=carla)
    pitch_update(
        pitch=other, by=carla, message="", payment_terms_days=30, payment_method="Card",
        roles=[{"job_role": world.books.pk, "bill_rate": "40"}],
        team=[{"member": carla.pk, "job_role": world.books.pk, "pay_rate": "30", "hours": 6}],
    )  # fmt: skip
    pitch_send(pitch=other, by=carla)

    pitch_accept(pitch=world.pitch, by=world.work.dana)

    other.refresh_from_db()
    assert (other.state, other.decided_by) == ("declined", world.work.dana)
    with pytest.raises(Conflict) as refused:
        pitch_accept(pitch=other, by=world.work.dana)
    assert refused.value.code == "pitch_not_sent"


def test_an_engagement_starts_today_when_the_jobs_start_date_has_passed(world, time_machine):
    world.send()
    time_machine.move_to(dt.datetime(2026, 12, 9, 3, 0, tzinfo=dt.UTC), tick=False)

    engagement = pitch_accept(pitch=world.pitch, by=world.work.dana)

    # 03:00 UTC is 14:00 on 9 December in Sydney.
    assert engagement.starts_on == dt.date(2026, 12, 9)


# --- Members who left the collective ------------------------------------------------


def test_it_refuses_to_send_a_team_naming_someone_who_left_the_collective(world):
    Membership.objects.filter(user=world.work.cast.ben).update(state="left", left_at=TODAY)
    before = rows()

    with pytest.raises(Conflict) as refused:
        pitch_send(pitch=world.pitch, by=world.work.cast.ana)

    assert refused.value.code == "team_member_left"
    assert rows() == before


def test_accepting_a_pitch_after_a_member_left_writes_nothing(world):
    world.send()
    Membership.objects.filter(user=world.work.cast.ben).update(state="left", left_at=TODAY)
    before = rows()

    with pytest.raises(Conflict) as refused, transaction.atomic():
        pitch_accept(pitch=world.pitch, by=world.work.dana)

    assert refused.value.code == "team_member_left"
    assert rows() == before


# --- Control characters in text -----------------------------------------------------


@pytest.mark.parametrize("note", ["no\x00thanks", "no\x1bthanks", "no\x7fthanks"])
def test_it_refuses_a_decline_note_with_control_characters(world, note):
    world.send()
    before = rows()

    with pytest.raises(ValidationFailed) as refused:
        pitch_decline(pitch=world.pitch, by=world.work.dana, note=note)

    assert (refused.value.code, refused.value.field) == ("invalid_characters", "note")
    assert rows() == before


def test_a_decline_note_keeps_its_new_lines_and_tabs(world):
    world.send()

    pitch = pitch_decline(pitch=world.pitch, by=world.work.dana, note="No,\r\n\tthanks")

    assert pitch.decision_note == "No,\r\n\tthanks"
