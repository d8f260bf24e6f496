"""Engagement and agreement pages: who sees which rates, accepting versions,
the PDF, status and team changes, with outsiders refused (404) and members
without the role refused (403)."""

from __future__ import annotations

from typing import Any

import pytest

from mutualist.collectives.models import Collective
from mutualist.work.models import (
    Agreement,
    AgreementAcceptance,
    Client,
    Engagement,
    EngagementMember,
)
from mutualist.work.selectors.pitches import agreement_get_for_user, agreement_pdf_html
from mutualist.work.services.agreements import agreement_accept, agreement_create
from mutualist.work.tests.test_pitches_world import A_ADDRESS, TODAY


@pytest.fixture
def world(work, time_machine):
    """The work fixture's engagement, with agreement v1 made and not yet accepted."""
    time_machine.move_to(TODAY, tick=False)
    Collective.objects.filter(slug="manila-va").update(postal_address=A_ADDRESS)
    Engagement.objects.filter(pk=work.engagement.pk).update(status="pending")
    agreement_create(engagement=work.engagement, by=work.cast.ana, notify=False)
    return work


def page(response: Any) -> str:
    return str(response.content.decode())


def person(world: Any, who: str) -> Any:
    return getattr(world.cast, who, None) or getattr(world, who)


def rows() -> dict[str, Any]:
    return {
        "engagements": sorted(Engagement.objects.values_list("pk", "status")),
        "seats": sorted(
            EngagementMember.objects.values_list(
                "pk", "bill_rate_minor", "pay_rate_minor", "weekly_cap_hours", "left_at"
            )
        ),
        "agreements": Agreement.objects.count(),
        "acceptances": AgreementAcceptance.objects.count(),
    }


# --- The engagement page ------------------------------------------------------------


def test_a_coordinator_sees_every_rate_and_the_tools(world, client_for):
    text = page(client_for(world.cast.ana).get(f"/engagements/{world.engagement.pk}/"))

    assert "25.00 AUD" in text and "20.00 AUD" in text  # Ana's bill and pay
    assert "30.00 AUD" in text and "24.00 AUD" in text  # Ben's
    assert f"/engagements/{world.engagement.pk}/team/add/" in text
    assert "Version 1" in text


def test_ben_sees_bill_rates_and_his_own_pay_rate_only(world, client_for):
    response = client_for(world.cast.ben).get(f"/engagements/{world.engagement.pk}/")

    text = page(response)
    assert response.status_code == 200
    assert "25.00 AUD" in text and "24.00 AUD" in text
    assert "20.00 AUD" not in text
    assert "/team/add/" not in text


def test_dana_sees_bill_rates_and_no_pay_rate(world, client_for):
    text = page(client_for(world.dana).get(f"/engagements/{world.engagement.pk}/"))

    assert "25.00 AUD" in text and "30.00 AUD" in text
    assert "20.00" not in text and "24.00" not in text and "Pay rate" not in text
    assert "waits for your acceptance" in text


@pytest.mark.parametrize("who", ["evan", "carla", "olga"])
def test_outsiders_do_not_find_the_engagement_or_its_agreement(world, client_for, who):
    client = client_for(person(world, who))
    pk = world.engagement.pk
    before = rows()

    for path in (
        f"/engagements/{pk}/",
        f"/engagements/{pk}/agreements/1/",
        f"/engagements/{pk}/agreements/1.pdf",
        f"/engagements/{pk}/team/add/",
    ):
        assert client.get(path).status_code == 404, path
    for path in (
        f"/engagements/{pk}/agreements/1/accept/",
        f"/engagements/{pk}/agreements/new/",
        f"/engagements/{pk}/status/",
        f"/engagements/{pk}/team/{world.cast.ben.pk}/",
        f"/engagements/{pk}/team/add/",
    ):
        assert client.post(path, {"status": "paused", "party": "client"}).status_code == 404, path
    assert rows() == before


def test_the_collectives_engagements_are_listed_for_its_members_only(world, client_for):
    text = page(client_for(world.cast.ben).get("/collectives/manila-va/engagements/"))

    assert f"/engagements/{world.engagement.pk}/" in text
    assert f"/engagements/{world.b_engagement.pk}/" not in text
    for who in ("carla", "olga", "dana"):
        assert (
            client_for(person(world, who)).get("/collectives/manila-va/engagements/").status_code
            == 404
        )


# --- Agreements ---------------------------------------------------------------------


def test_the_agreement_page_shows_the_document_and_accept_buttons(world, client_for):
    text = page(client_for(world.dana).get(f"/engagements/{world.engagement.pk}/agreements/1/"))

    assert "Written agreement: Customer support, Sydney business hours" in text
    assert "Makati 1209" in text and "1 Harbour St" in text
    assert "Not accepted by either party yet." in text
    assert "Accept for Harbour Bridge Logistics" in text
    assert "Accept for Manila" not in text


def test_both_sides_accept_on_the_web_and_the_engagement_becomes_active(world, client_for):
    pk = world.engagement.pk

    client_for(world.dana).post(f"/engagements/{pk}/agreements/1/accept/", {"party": "client"})
    assert Engagement.objects.get(pk=pk).status == "pending"
    response = client_for(world.cast.ana).post(
        f"/engagements/{pk}/agreements/1/accept/", {"party": "collective"}
    )

    assert response.status_code == 302
    assert Engagement.objects.get(pk=pk).status == "active"
    text = page(client_for(world.dana).get(f"/engagements/{pk}/agreements/1/"))
    assert (
        "Accepted for the client (Harbour Bridge Logistics) by Dana Whitlock on 27 November 2026"
        in text
    )
    assert "Accepted for the collective (Manila Virtual Assistants) by Ana Reyes" in text


def test_ben_cannot_accept_for_the_collective(world, client_for):
    before = rows()

    response = client_for(world.cast.ben).post(
        f"/engagements/{world.engagement.pk}/agreements/1/accept/", {"party": "collective"}
    )

    assert response.status_code == 403
    assert rows() == before


def test_the_pdf_is_a_pdf_attachment_with_the_acceptances(world, client_for):
    v1 = Agreement.objects.get(engagement=world.engagement)
    agreement_accept(agreement=v1, by=world.dana)
    # the client renames itself afterwards: the PDF names it as accepted
    Client.objects.filter(pk=world.engagement.client_id).update(name="Renamed Ltd")
    agreement = agreement_get_for_user(
        user=world.dana, engagement_pk=world.engagement.pk, version=1
    )

    html = agreement_pdf_html(agreement)

    assert agreement.html in html
    assert (
        f"Accepted for the client ({v1.terms['client']['name']}) by Dana" in html
        and "Renamed Ltd" not in html
    )
    assert "Not accepted by either party yet" not in html
    response = client_for(world.dana).get(f"/engagements/{world.engagement.pk}/agreements/1.pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="agreement-{world.engagement.pk}-v1.pdf"'
    )
    assert response.content.startswith(b"%PDF")


def test_an_unknown_version_is_not_found(world, client_for):
    assert (
        client_for(world.cast.ana)
        .get(f"/engagements/{world.engagement.pk}/agreements/2/")
        .status_code
        == 404
    )


def test_a_coordinator_makes_a_new_version_and_ben_may_not(world, client_for):
    pk = world.engagement.pk
    assert client_for(world.cast.ben).post(f"/engagements/{pk}/agreements/new/").status_code == 403

    response = client_for(world.cast.ana).post(f"/engagements/{pk}/agreements/new/")

    assert response["Location"] == f"/engagements/{pk}/agreements/2/"
    text = page(client_for(world.dana).get(f"/engagements/{pk}/agreements/1/"))
    assert "This version was replaced by" in text
    assert "Accept for" not in text


# --- Status and team ----------------------------------------------------------------


def test_a_coordinator_ends_a_pending_engagement_and_ben_may_not(world, client_for):
    pk = world.engagement.pk

    assert (
        client_for(world.cast.ben)
        .post(f"/engagements/{pk}/status/", {"status": "ended"})
        .status_code
        == 403
    )
    assert Engagement.objects.get(pk=pk).status == "pending"
    client_for(world.cast.ana).post(f"/engagements/{pk}/status/", {"status": "ended"})

    assert Engagement.objects.get(pk=pk).status == "ended"


def test_a_refused_status_change_says_why(world, client_for):
    response = client_for(world.cast.ana).post(
        f"/engagements/{world.engagement.pk}/status/", {"status": "active"}, follow=True
    )

    assert "becomes active when both sides accept" in page(response)
    assert Engagement.objects.get(pk=world.engagement.pk).status == "pending"


def test_a_coordinator_changes_a_seat_and_a_new_version_follows(world, client_for):
    ben = world.cast.ben.pk
    client_for(world.cast.ana).post(
        f"/engagements/{world.engagement.pk}/team/{ben}/",
        {f"seat{ben}-bill_rate": "32.00", f"seat{ben}-pay_rate": "25.00", f"seat{ben}-weekly_cap_hours": "10"},
    )  # fmt: skip

    # the pay rate applies at once; the bill rate waits for both parties to accept
    seat = EngagementMember.objects.get(pk=world.ben_seat.pk)
    assert (seat.bill_rate_minor, seat.pay_rate_minor) == (3000, 2500)
    assert Agreement.objects.filter(engagement=world.engagement).count() == 2


def test_a_bad_seat_change_is_refused_with_a_message(world, client_for):
    ben = world.cast.ben.pk
    before = rows()

    response = client_for(world.cast.ana).post(
        f"/engagements/{world.engagement.pk}/team/{ben}/",
        {f"seat{ben}-bill_rate": "20.00", f"seat{ben}-pay_rate": "24.00", f"seat{ben}-weekly_cap_hours": "10"},
        follow=True,
    )  # fmt: skip

    assert "above the bill rate" in page(response)
    assert rows() == before


def test_a_coordinator_takes_ben_off_the_team(world, client_for):
    client_for(world.cast.ana).post(
        f"/engagements/{world.engagement.pk}/team/{world.cast.ben.pk}/", {"remove": "1"}
    )

    # proposed in the agreement's next version; Ben leaves when both accept it
    assert EngagementMember.objects.get(pk=world.ben_seat.pk).left_at is None
    latest = Agreement.objects.filter(engagement=world.engagement).latest("version")
    assert [seat["user_id"] for seat in latest.terms["seats"]] == [world.cast.ana.pk]


def test_the_add_member_page_refuses_someone_already_on_the_team(world, client_for):
    ana = client_for(world.cast.ana)
    assert ana.get(f"/engagements/{world.engagement.pk}/team/add/").status_code == 200
    before = rows()

    response = ana.post(
        f"/engagements/{world.engagement.pk}/team/add/",
        {"member": world.cast.ben.pk, "role_title": "More books", "bill_rate": "30",
         "pay_rate": "20", "weekly_cap_hours": "4", "shifts": ""},
    )  # fmt: skip

    assert response.status_code == 200
    assert "already on this engagement" in page(response)
    assert rows() == before
    assert (
        client_for(world.cast.ben).get(f"/engagements/{world.engagement.pk}/team/add/").status_code
        == 403
    )


def test_a_seat_id_past_64_bits_is_not_found(world, client_for):
    response = client_for(world.cast.ana).post(
        f"/engagements/{world.engagement.pk}/team/99999999999999999999/", {"remove": "1"}
    )

    assert response.status_code == 404
