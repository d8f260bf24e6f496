"""Written agreements: what version 1 says, who accepts it, what activates the
engagement, revisions, and the database refusing any change to a version."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.core import mail
from django.db import DatabaseError, IntegrityError, transaction
from django.http import Http404

from mutualist.collectives.models import Collective
from mutualist.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from mutualist.work.models import (
    Agreement,
    AgreementAcceptance,
    ClientContact,
    Engagement,
)
from mutualist.work.selectors.pitches import agreement_get_for_user
from mutualist.work.services.agreements import agreement_accept, agreement_create, agreement_revise
from mutualist.work.services.engagements import engagement_set_status
from mutualist.work.services.pitches import pitch_accept
from mutualist.work.tests.test_pitches_world import A_ADDRESS, TODAY, build_pitch_world


@pytest.fixture
def accepted(work, time_machine) -> tuple[Any, Engagement, Agreement]:
    """A's pitch for the December job, sent and accepted by Dana."""
    time_machine.move_to(TODAY, tick=False)
    world = build_pitch_world(work)
    world.send()
    engagement = pitch_accept(pitch=world.pitch, by=work.dana)
    return world, engagement, engagement.agreements.get()


def counts() -> tuple[int, int, list[tuple[int, str]]]:
    return (
        Agreement.objects.count(),
        AgreementAcceptance.objects.count(),
        sorted(Engagement.objects.values_list("pk", "status")),
    )


# --- Version 1 ------------------------------------------------------------------------


def test_version_1_carries_what_a_written_contract_must_say(accepted):
    world, engagement, agreement = accepted
    terms = agreement.terms

    # both parties' names and addresses
    assert terms["client"] == {
        "name": "Harbour Bridge Logistics",
        "address": "1 Harbour St\nSydney NSW 2000\nAustralia",
        "country": "AU",
        "tax_id": "ABN 51 824 753 556",
    }
    assert terms["collective"] == {
        "name": "Manila Virtual Assistants",
        "address": A_ADDRESS,
        "slug": "manila-va",
    }
    # itemised services and their value
    assert terms["services"] == [
        {
            "member": "Ana Reyes", "role": "Support", "skill": "Customer support",
            "weekly_hours": 40,
            "shifts": [f"{day} 09:00-17:00" for day in ("Mon", "Tue", "Wed", "Thu", "Fri")],
            "bill_rate": "25.00", "weekly_value": "1000.00",
        },
        {
            "member": "Ben Okafor", "role": "Books", "skill": "Bookkeeping",
            "weekly_hours": 6, "shifts": [], "bill_rate": "30.00", "weekly_value": "180.00",
        },
    ]  # fmt: skip
    assert (terms["total_weekly_value"], terms["currency"]) == ("1180.00", "AUD")
    # rate and method of pay, payment terms and the payment date rule
    assert (terms["payment_method"], terms["payment_terms_days"], terms["payment_terms"]) == (
        "Bank transfer",
        30,
        "Net 30 days",
    )
    assert terms["payment_date"].startswith("Each invoice is due 30 days after the date")
    # the work, when it starts, and the pitch's message
    assert (terms["title"], terms["start_date"], terms["version"]) == (
        "Support and books, from December",
        "2026-12-07",
        1,
    )
    assert terms["message"] == "Ana covers your hours; Ben keeps the books."


def test_version_1_document_shows_every_term_and_its_digest_is_stored(accepted):
    _, _, agreement = accepted

    for text in (
        "Harbour Bridge Logistics", "1 Harbour St", "Manila Virtual Assistants", "Makati 1209",
        "Ana Reyes", "Support", "25.00", "1000.00", "Ben Okafor", "Books", "30.00", "180.00",
        "1180.00 AUD", "Bank transfer", "Net 30 days", "2026-12-07", "Version 1",
    ):  # fmt: skip
        assert text in agreement.html, text
    assert agreement.sha256 == hashlib.sha256(agreement.html.encode()).hexdigest()
    # pay rates are between the collective and its members: not in the agreement
    assert "20.00" not in agreement.html and "24.00" not in agreement.html


def test_dana_accepted_for_the_client_when_she_accepted_the_pitch(accepted):
    _, engagement, agreement = accepted

    [acceptance] = agreement.acceptances.all()
    assert (acceptance.party, acceptance.user, acceptance.name, acceptance.accepted_at) == (
        "client",
        accepted[0].work.dana,
        "Dana Whitlock",
        TODAY,
    )
    assert engagement.status == "pending"


# --- Acceptance ---------------------------------------------------------------------


def test_ana_accepts_for_the_collective_and_the_engagement_becomes_active(accepted):
    world, engagement, agreement = accepted

    acceptance = agreement_accept(agreement=agreement, by=world.work.cast.ana)

    assert (acceptance.party, acceptance.user) == ("collective", world.work.cast.ana)
    engagement.refresh_from_db()
    assert engagement.status == "active"


def test_ben_who_is_not_a_coordinator_cannot_accept(accepted):
    world, _, agreement = accepted
    before = counts()

    with pytest.raises(PermissionDenied) as refused:
        agreement_accept(agreement=agreement, by=world.work.cast.ben)

    assert refused.value.code == "not_a_party"
    assert counts() == before


def test_a_party_accepts_a_version_once(accepted):
    world, _, agreement = accepted
    before = counts()

    with pytest.raises(Conflict) as refused:
        agreement_accept(agreement=agreement, by=world.work.dana)

    assert refused.value.code == "agreement_already_accepted"
    assert counts() == before


def test_evan_and_carla_cannot_even_see_the_agreement(accepted):
    world, engagement, _ = accepted

    for person in (world.work.evan, world.work.cast.carla, world.work.cast.olga):
        with pytest.raises(Http404):
            agreement_get_for_user(user=person, engagement_pk=engagement.pk, version=1)


def test_someone_acting_for_both_sides_must_say_which(accepted):
    world, engagement, agreement = accepted
    ClientContact.objects.create(client=world.work.harbour, user=world.work.cast.ana)
    revised = agreement_revise(engagement=engagement, by=world.work.cast.ana)
    before = counts()

    with pytest.raises(ValidationFailed) as unsaid:
        agreement_accept(agreement=revised, by=world.work.cast.ana)
    with pytest.raises(ValidationFailed) as bad:
        agreement_accept(agreement=revised, by=world.work.cast.ana, party="both")
    assert (unsaid.value.code, bad.value.code) == ("party_required", "invalid_party")
    assert counts() == before

    acceptance = agreement_accept(agreement=revised, by=world.work.cast.ana, party="collective")
    assert acceptance.party == "collective"


def test_dana_cannot_accept_for_the_collective(accepted):
    world, _, agreement = accepted

    with pytest.raises(PermissionDenied) as refused:
        agreement_accept(agreement=agreement, by=world.work.dana, party="collective")

    assert refused.value.code == "not_a_party"


# --- Revisions ----------------------------------------------------------------------


def test_a_revision_needs_both_sides_again_and_the_engagement_stays_active(
    accepted, django_capture_on_commit_callbacks
):
    world, engagement, v1 = accepted
    agreement_accept(agreement=v1, by=world.work.cast.ana)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        v2 = agreement_revise(engagement=engagement, by=world.work.cast.ana)

    assert v2.version == 2
    assert v2.terms["version"] == 2
    assert list(v2.acceptances.all()) == []
    engagement.refresh_from_db()
    assert engagement.status == "active"
    # the client is told; Ana made it, so she is not emailed
    assert [message.to for message in mail.outbox] == [["dana@harbour.example"]]
    # an old version can no longer be accepted
    with pytest.raises(Conflict) as superseded:
        agreement_accept(agreement=v1, by=world.work.dana)
    assert superseded.value.code == "agreement_superseded"
    agreement_accept(agreement=v2, by=world.work.dana)
    agreement_accept(agreement=v2, by=world.work.cast.ana)
    assert sorted(v2.acceptances.values_list("party", flat=True)) == ["client", "collective"]


def test_only_coordinators_revise_and_never_an_ended_engagement(accepted):
    world, engagement, _ = accepted
    before = counts()

    with pytest.raises(PermissionDenied) as member:
        agreement_revise(engagement=engagement, by=world.work.cast.ben)
    with pytest.raises(NotFound):
        agreement_revise(engagement=engagement, by=world.work.cast.carla)
    engagement_set_status(engagement=engagement, by=world.work.cast.ana, status="ended")
    with pytest.raises(Conflict) as ended:
        agreement_revise(engagement=engagement, by=world.work.cast.ana)

    assert (member.value.code, ended.value.code) == ("not_coordinator", "engagement_ended")
    assert counts()[:2] == before[:2]


def test_no_new_version_without_the_collectives_postal_address(accepted):
    world, engagement, _ = accepted
    Collective.objects.filter(slug="manila-va").update(postal_address="")
    before = counts()

    with pytest.raises(Conflict) as refused:
        agreement_revise(engagement=engagement, by=world.work.cast.ana)

    assert refused.value.code == "postal_address_required"
    assert counts() == before


def test_a_version_of_the_work_fixtures_engagement_is_made_from_its_seats(work):
    Collective.objects.filter(slug="manila-va").update(postal_address=A_ADDRESS)

    agreement = agreement_create(engagement=work.engagement, by=work.cast.ana)

    # Ben's seat has a cap of 10 hours: 40 x 25 + 10 x 30
    assert agreement.terms["total_weekly_value"] == "1300.00"
    assert agreement.terms["start_date"] == "2026-11-30"


# --- Immutable ----------------------------------------------------------------------


def test_the_database_refuses_to_change_or_delete_a_version_or_an_acceptance(accepted):
    _, _, agreement = accepted
    acceptance = agreement.acceptances.get()

    for attempt in (
        lambda: Agreement.objects.filter(pk=agreement.pk).update(html="<p>other terms</p>"),
        lambda: Agreement.objects.filter(pk=agreement.pk).delete(),
        lambda: AgreementAcceptance.objects.filter(pk=acceptance.pk).update(name="Someone"),
        lambda: AgreementAcceptance.objects.filter(pk=acceptance.pk).delete(),
    ):
        with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
            attempt()

    stored = Agreement.objects.get(pk=agreement.pk)
    assert (stored.html, stored.sha256) == (agreement.html, agreement.sha256)
    assert AgreementAcceptance.objects.get(pk=acceptance.pk).name == "Dana Whitlock"
