"""Pitch pages: drafting, the team form and its live check, sending, and the
client's decision, with outsiders refused (404) and members without the
role refused (403)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from mutualist.collectives.models import Collective
from mutualist.work.models import Agreement, Engagement, Job, Pitch, PitchMember
from mutualist.work.services.pitches import pitch_send, pitch_withdraw
from mutualist.work.tests.test_pitches_world import TODAY, PitchWorld, build_pitch_world


@pytest.fixture
def world(work, time_machine) -> PitchWorld:
    time_machine.move_to(TODAY, tick=False)
    return build_pitch_world(work)


def page(response: Any) -> str:
    return str(response.content.decode())


def state(world: PitchWorld) -> tuple[str, int, int]:
    pitch = Pitch.objects.get(pk=world.pitch.pk)
    return pitch.state, PitchMember.objects.filter(pitch=pitch).count(), Engagement.objects.count()


def form_data(world: PitchWorld, **overrides: Any) -> dict[str, Any]:
    """The pitch form as the page posts it: two team lines and two blank ones."""
    data: dict[str, Any] = {
        "message": "Ana covers your hours.",
        "payment_terms_days": "30",
        "payment_method": "Bank transfer",
        f"rate_{world.support.pk}": "25.00",
        f"rate_{world.books.pk}": "30.00",
        "team-TOTAL_FORMS": "4",
        "team-INITIAL_FORMS": "0",
        "team-0-member": str(world.work.cast.ana.pk),
        "team-0-job_role": str(world.support.pk),
        "team-0-pay_rate": "20.00",
        "team-0-shifts": "mon-fri 09:00-17:00",
        "team-1-member": str(world.work.cast.ben.pk),
        "team-1-job_role": str(world.books.pk),
        "team-1-pay_rate": "24.00",
        "team-1-hours": "6",
    }
    data.update(overrides)
    return data


# --- Starting a draft ---------------------------------------------------------------


def test_a_coordinator_starts_a_draft_from_the_job(world, client_for):
    pitch_withdraw(pitch=world.pitch, by=world.work.cast.ana)
    ana = client_for(world.work.cast.ana)

    assert ana.get(f"/jobs/{world.job.pk}/pitch/").status_code == 200
    response = ana.post(f"/jobs/{world.job.pk}/pitch/", {"collective": "manila-va"})

    new = Pitch.objects.get(job=world.job, state="draft")
    assert response.status_code == 302
    assert response["Location"] == f"/pitches/{new.pk}/"


def test_a_second_draft_is_refused_on_the_form(world, client_for):
    response = client_for(world.work.cast.ana).post(
        f"/jobs/{world.job.pk}/pitch/", {"collective": "manila-va"}
    )

    assert response.status_code == 200
    assert "already has a pitch" in page(response)
    assert Pitch.objects.filter(job=world.job).count() == 1


@pytest.mark.parametrize(("who", "status"), [("ben", 403), ("olga", 403), ("evan", 403)])
def test_only_coordinators_may_start_a_pitch(world, client_for, who, status):
    person = getattr(world.work.cast, who, None) or getattr(world.work, who)

    assert client_for(person).get(f"/jobs/{world.job.pk}/pitch/").status_code == status
    response = client_for(person).post(f"/jobs/{world.job.pk}/pitch/", {"collective": "manila-va"})

    assert response.status_code == status
    assert Pitch.objects.filter(job=world.job).count() == 1


def test_a_private_job_is_not_found_for_a_stranger(world, client_for):
    Job.objects.filter(pk=world.job.pk).update(visibility=Job.Visibility.PRIVATE)

    assert client_for(world.work.cast.carla).get(f"/jobs/{world.job.pk}/pitch/").status_code == 404


def test_an_anonymous_visitor_is_sent_to_log_in(world, client: Client):
    assert client.get(f"/jobs/{world.job.pk}/pitch/")["Location"].startswith("/accounts/login")
    assert client.get(f"/pitches/{world.pitch.pk}/")["Location"].startswith("/accounts/login")


# --- The draft page -----------------------------------------------------------------


def test_the_coordinator_sees_the_team_form_and_the_live_check(world, client_for):
    response = client_for(world.work.cast.ana).get(f"/pitches/{world.pitch.pk}/")

    text = page(response)
    assert response.status_code == 200
    assert 'id="pitch-form"' in text
    assert f'hx-post="/pitches/{world.pitch.pk}/check/"' in text
    assert "mon-fri 09:00-17:00" in text
    assert 'Weekly price: <strong id="weekly-price">1180.00 AUD</strong>' in text
    assert "40 of 40 coverage hours staffed" in text
    # her 40 hours on Harbour already: the check says she would be over capacity,
    # and her shifts there clash with these
    assert "Over capacity" in text
    assert 'class="warning" title="Mon 09:00: Ana Reyes (Ana Reyes works elsewhere then)"' in text


def test_the_check_re_renders_for_a_team_typed_but_not_saved(world, client_for):
    ana = client_for(world.work.cast.ana)

    response = ana.post(
        f"/pitches/{world.pitch.pk}/check/",
        form_data(world, **{"team-0-shifts": "mon-wed 09:00-17:00"}),
        headers={"HX-Request": "true"},
    )

    text = page(response)
    assert response.status_code == 200
    assert "<html" not in text
    assert "24 of 40 coverage hours staffed" in text
    assert "Thu 09:00-17:00" in text
    assert "780.00 AUD" in text  # 24 x 25 + 6 x 30
    assert PitchMember.objects.get(pitch=world.pitch, user=world.work.cast.ana).shifts.count() == 5


def test_the_check_explains_what_is_wrong_with_a_typed_team(world, client_for):
    response = client_for(world.work.cast.ana).post(
        f"/pitches/{world.pitch.pk}/check/",
        form_data(world, **{"team-0-shifts": "sat 09:00-17:00"}),
    )

    assert response.status_code == 200
    assert "outside Support&#x27;s coverage hours" in page(response)


def test_the_check_picks_another_week(world, client_for):
    response = client_for(world.work.cast.ben).get(
        f"/pitches/{world.pitch.pk}/check/?week=2027-01-13"
    )

    assert "Week of Monday 11 January 2027" in page(response)


def test_a_coordinator_saves_the_draft(world, client_for):
    response = client_for(world.work.cast.ana).post(
        f"/pitches/{world.pitch.pk}/",
        form_data(world, **{"team-0-shifts": "mon-tue 09:00-13:00", "message": "Half days."}),
    )

    assert response.status_code == 302
    pitch = Pitch.objects.get(pk=world.pitch.pk)
    assert pitch.message == "Half days."
    assert sorted(
        PitchMember.objects.get(pitch=pitch, user=world.work.cast.ana).shifts.values_list(
            "weekday", "start_hour", "end_hour"
        )
    ) == [(0, 9, 13), (1, 9, 13)]


@pytest.mark.parametrize(
    ("overrides", "where", "message"),
    [
        ({"team-0-shifts": "sat 09:00-17:00"}, "shifts", "outside Support"),
        ({"team-0-shifts": "someday 09:00-17:00"}, "shifts", "is not a day"),
        ({"team-0-shifts": "mon 09:30-17:00"}, "shifts", "whole hours"),
        ({"team-0-pay_rate": "26.00"}, "pay_rate", "above"),
        ({"team-1-hours": ""}, "hours", "hours a week"),
    ],
)
def test_a_bad_line_is_refused_on_its_field_and_nothing_changes(
    world, client_for, overrides, where, message
):
    before = state(world)

    response = client_for(world.work.cast.ana).post(
        f"/pitches/{world.pitch.pk}/", form_data(world, **overrides)
    )

    assert response.status_code == 200
    formset = response.context["formset"]
    errors = {name: str(errs) for form in formset.forms for name, errs in form.errors.items()}
    assert where in errors and message in errors[where]
    assert state(world) == before


def test_a_bad_bill_rate_is_refused_on_its_field(world, client_for):
    response = client_for(world.work.cast.ana).post(
        f"/pitches/{world.pitch.pk}/", form_data(world, **{f"rate_{world.support.pk}": "-5"})
    )

    assert f"rate_{world.support.pk}" in response.context["form"].errors


def test_add_a_line_shows_one_more_without_saving(world, client_for):
    response = client_for(world.work.cast.ana).post(
        f"/pitches/{world.pitch.pk}/", {**form_data(world), "add_line": "1"}
    )

    assert response.status_code == 200
    assert len(response.context["formset"].forms) == 5
    assert Pitch.objects.get(pk=world.pitch.pk).message != "Ana covers your hours."


def test_ben_sees_the_draft_read_only_with_his_own_pay_rate_only(world, client_for):
    response = client_for(world.work.cast.ben).get(f"/pitches/{world.pitch.pk}/")

    text = page(response)
    assert response.status_code == 200
    assert 'id="pitch-form"' not in text
    assert "24.00 AUD" in text  # his own pay rate
    assert "20.00 AUD" not in text  # Ana's
    assert (
        client_for(world.work.cast.ben)
        .post(f"/pitches/{world.pitch.pk}/", form_data(world))
        .status_code
        == 403
    )


@pytest.mark.parametrize("who", ["dana", "evan", "carla", "olga"])
def test_a_draft_is_not_found_for_the_client_and_outsiders(world, client_for, who):
    person = getattr(world.work.cast, who, None) or getattr(world.work, who)
    before = state(world)

    assert client_for(person).get(f"/pitches/{world.pitch.pk}/").status_code == 404
    assert client_for(person).get(f"/pitches/{world.pitch.pk}/check/").status_code == 404
    assert (
        client_for(person).post(f"/pitches/{world.pitch.pk}/", form_data(world)).status_code == 404
    )
    for action in ("send", "withdraw", "accept", "decline"):
        assert client_for(person).post(f"/pitches/{world.pitch.pk}/{action}/").status_code == 404
    assert state(world) == before


# --- Sending, and the client's decision -------------------------------------------------


def test_ana_sends_and_ben_may_not(world, client_for):
    assert (
        client_for(world.work.cast.ben).post(f"/pitches/{world.pitch.pk}/send/").status_code == 403
    )
    assert state(world)[0] == "draft"

    response = client_for(world.work.cast.ana).post(f"/pitches/{world.pitch.pk}/send/")

    assert response.status_code == 302
    assert state(world)[0] == "sent"


def test_sending_without_a_postal_address_is_refused_with_a_message(world, client_for):
    from mutualist.collectives.models import Collective

    Collective.objects.filter(slug="manila-va").update(postal_address="")
    ana = client_for(world.work.cast.ana)

    response = ana.post(f"/pitches/{world.pitch.pk}/send/", follow=True)

    assert "postal address" in page(response)
    assert state(world)[0] == "draft"


def test_dana_sees_the_sent_pitch_with_the_agreement_and_no_pay_rates(world, client_for):
    world.send()

    response = client_for(world.work.dana).get(f"/pitches/{world.pitch.pk}/")

    text = page(response)
    assert response.status_code == 200
    assert "Accept the pitch and the agreement" in text
    assert "Written agreement: Support and books, from December" in text
    assert "Makati 1209" in text and "1 Harbour St" in text
    assert "Pay rate" not in text and "24.00" not in text and "20.00 AUD" not in text
    assert "Over capacity" not in text and "availability" not in text
    assert '<td class="warning"' not in text and "works elsewhere" not in text


def shown_sha256(client: Any, world: PitchWorld) -> str:
    """The digest the pitch page's accept form carries."""
    text = page(client.get(f"/pitches/{world.pitch.pk}/"))
    match = re.search(r'name="agreement_sha256" value="([0-9a-f]{64})"', text)
    assert match is not None
    return match.group(1)


def test_dana_accepts_and_lands_on_the_agreement(world, client_for):
    world.send()
    dana = client_for(world.work.dana)

    response = dana.post(
        f"/pitches/{world.pitch.pk}/accept/", {"agreement_sha256": shown_sha256(dana, world)}
    )

    engagement = Engagement.objects.get(pitch=world.pitch)
    assert response["Location"] == f"/engagements/{engagement.pk}/agreements/1/"
    assert (state(world)[0], engagement.status) == ("accepted", "pending")


@pytest.mark.parametrize(
    ("who", "status"), [("evan", 404), ("olga", 404), ("carla", 404), ("ana", 403), ("ben", 403)]
)
def test_only_dana_may_accept_or_decline(world, client_for, who, status):
    world.send()
    person = getattr(world.work.cast, who, None) or getattr(world.work, who)

    assert client_for(person).post(f"/pitches/{world.pitch.pk}/accept/").status_code == status
    assert client_for(person).post(f"/pitches/{world.pitch.pk}/decline/").status_code == status
    assert state(world) == ("sent", 2, 2)


def test_an_agreement_changed_since_it_was_shown_is_not_accepted(world, client_for):
    world.send()
    dana = client_for(world.work.dana)
    sha = shown_sha256(dana, world)
    # the collective's address changes after Dana read the agreement
    Collective.objects.filter(slug="manila-va").update(postal_address="2 Other St, Manila")

    response = dana.post(
        f"/pitches/{world.pitch.pk}/accept/", {"agreement_sha256": sha}, follow=True
    )

    assert "The agreement changed since you read it" in page(response)
    assert state(world) == ("sent", 2, 2)
    assert (Agreement.objects.count(), Job.objects.get(pk=world.job.pk).state) == (0, "open")


def test_accepting_a_withdrawn_pitch_is_refused_with_a_message(world, client_for):
    world.send()
    pitch_withdraw(pitch=world.pitch, by=world.work.cast.ana)

    response = client_for(world.work.dana).post(f"/pitches/{world.pitch.pk}/accept/", follow=True)

    assert "Only a sent pitch can be accepted" in page(response)
    assert state(world) == ("withdrawn", 2, 2)


def test_dana_declines_with_a_note(world, client_for):
    world.send()

    client_for(world.work.dana).post(f"/pitches/{world.pitch.pk}/decline/", {"note": "Not now."})

    pitch = Pitch.objects.get(pk=world.pitch.pk)
    assert (pitch.state, pitch.decision_note) == ("declined", "Not now.")


@pytest.mark.parametrize("note", ["no\x00thanks", "no\x1bthanks", "x" * 2001])
def test_a_bad_decline_note_is_shown_and_the_pitch_stays_sent(world, client_for, note):
    pitch_send(pitch=world.pitch, by=world.work.cast.ana)

    response = client_for(world.work.dana).post(
        f"/pitches/{world.pitch.pk}/decline/", {"note": note}, follow=True
    )

    assert response.status_code == 200
    assert "The note:" in page(response) or "plain text" in page(response)
    pitch = Pitch.objects.get(pk=world.pitch.pk)
    assert (pitch.state, pitch.decision_note) == ("sent", "")


# --- Lists --------------------------------------------------------------------------


def test_members_see_their_collectives_pitches_and_outsiders_do_not(world, client_for):
    for who in ("ana", "ben"):
        response = client_for(getattr(world.work.cast, who)).get("/collectives/manila-va/pitches/")
        assert response.status_code == 200
        assert f"/pitches/{world.pitch.pk}/" in page(response)
    for who in ("carla", "olga"):
        assert (
            client_for(getattr(world.work.cast, who))
            .get("/collectives/manila-va/pitches/")
            .status_code
            == 404
        )
    assert client_for(world.work.dana).get("/collectives/manila-va/pitches/").status_code == 404


def test_the_portal_lists_received_pitches_and_agreements_to_accept(world, client_for):
    dana = client_for(world.work.dana)
    assert f"/pitches/{world.pitch.pk}/" not in page(dana.get("/portal/"))  # a draft

    pitch_send(pitch=world.pitch, by=world.work.cast.ana)
    text = page(dana.get("/portal/"))
    assert f"/pitches/{world.pitch.pk}/" in text
    assert "Waiting for your answer" in text
    assert f"/engagements/{world.work.engagement.pk}/" in text

    evan = page(client_for(world.work.evan).get("/portal/"))
    assert f"/pitches/{world.pitch.pk}/" not in evan
    assert f"/engagements/{world.work.engagement.pk}/" not in evan


def test_the_portal_shows_an_agreement_waiting_for_the_client(world, client_for):
    from mutualist.work.services.agreements import agreement_revise

    agreement = agreement_revise(engagement=world.work.engagement, by=world.work.cast.ana)

    text = page(client_for(world.work.dana).get("/portal/"))

    assert f"/engagements/{world.work.engagement.pk}/agreements/{agreement.version}/" in text


@pytest.mark.parametrize("week", ["9999-12-31", "0001-01-01", "not-a-date"])
def test_a_week_out_of_range_falls_back_to_the_start_week_with_a_message(world, client_for, week):
    ana = client_for(world.work.cast.ana)

    detail = ana.get(f"/pitches/{world.pitch.pk}/", {"week": week})
    partial = ana.get(f"/pitches/{world.pitch.pk}/check/", {"week": week})

    assert (detail.status_code, partial.status_code) == (200, 200)
    assert "showing the job&#x27;s start week" in page(detail)


@pytest.mark.parametrize("count", ["abc", "-1", "999999999999", "51", "１"])
@pytest.mark.parametrize("path", ["", "check/"])
def test_a_bad_team_line_count_is_a_form_error_and_changes_nothing(world, client_for, count, path):
    before = state(world)

    response = client_for(world.work.cast.ana).post(
        f"/pitches/{world.pitch.pk}/{path}",
        form_data(world, add_line="1", **{"team-TOTAL_FORMS": count}),
    )

    assert response.status_code == 200
    assert state(world) == before
