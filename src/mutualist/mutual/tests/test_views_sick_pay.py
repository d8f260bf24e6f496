"""The sick-pay fund through the web UI: joining with a tier, changing
tier or leaving on a set date (and cancelling), reporting sick, ending a
sick period.

Tiers (``sick_pay_helpers.RULES``): 30.00 PHP a month for a gift of
1,000.00, 60.00 for 2,000.00, 90.00 for 3,000.00; one peer approves.
Changes happen on 1 January and 1 July. The clock is frozen at ``NOW``
(Friday 27 November 2026).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from mutualist.mutual.models import Claim, Fund, Participation, ParticipationChange
from mutualist.mutual.tests.helpers import NOW, add_member, snapshot
from mutualist.mutual.tests.sick_pay_helpers import join, sick_fund
from mutualist.mutual.tests.test_views_support import page_of, shows
from mutualist.testing import Cast

pytestmark = pytest.mark.django_db

A = "manila-va"


@pytest.fixture(autouse=True)
def _now(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


def url(name: str, **kwargs: object) -> str:
    return reverse(f"mutual:{name}", kwargs={"slug": A, **kwargs})


FUND = url("fund", kind="sick_pay")


@pytest.fixture
def fund(cast: Cast) -> Fund:
    return sick_fund(cast.collective_a, cast.ana)


# --- Joining ----------------------------------------------------------------------------------


def test_a_member_joins_with_a_tier_from_the_fund_page(
    cast: Cast, fund: Fund, client_for: Any
) -> None:
    ben = client_for(cast.ben)
    page = ben.get(FUND)
    assert shows(page, "Join the sick-pay fund")
    assert shows(page, "Tier 2: deposit ₱60.00 a month, gift ₱2,000.00 a month when sick")
    response = ben.post(url("sick_pay_join"), {"tier": "1"}, follow=True)
    participation = Participation.objects.get(fund=fund, member=cast.ben)
    assert (participation.tier, participation.joined_on) == (1, NOW.date())
    assert shows(response, "You are in the sick-pay fund from 27 November 2026")
    # The rules ask for 20 to 50 members: a warning, never a refusal
    assert shows(response, "The fund has 1 member; the rules ask for 20 to 50.")
    assert shows(response, "You take part since 27 November 2026")
    assert not shows(response, "Join the sick-pay fund")


def test_joining_twice_or_with_a_tier_the_rules_lack_is_refused(
    cast: Cast, fund: Fund, client_for: Any
) -> None:
    ben = client_for(cast.ben)
    before = snapshot()
    response = ben.post(url("sick_pay_join"), {"tier": "7"})
    assert response.status_code == 422
    assert "tier" in response.context["join_form"].errors
    assert snapshot() == before
    join(fund, cast.ben)
    before = snapshot()
    response = ben.post(url("sick_pay_join"), {"tier": "2"})
    assert response.status_code == 409
    assert shows(response, "You are already in the sick-pay fund.")
    assert snapshot() == before


# --- Deposits in arrears -------------------------------------------------------------------------


def test_coordinators_see_who_is_behind_with_deposits(
    cast: Cast, fund: Fund, client_for: Any
) -> None:
    from mutualist.mutual.services.sick_pay import sick_pay_deposits_post

    # Given Ben (tier 2, 60.00 a month) is owed nothing: November's deposit is in arrears
    join(fund, cast.ben, tier=1)
    sick_pay_deposits_post(NOW.date())
    # When Ana (coordinator) opens the fund page, she reads who, which month, how much
    ana = client_for(cast.ana).get(FUND)
    assert shows(ana, "Deposits in arrears")
    assert [(a.member, a.month, str(a.amount)) for a in ana.context["arrears"]] == [
        ("Ben Okafor", dt.date(2026, 11, 1), "60.00 PHP")
    ]
    assert "₱60.00" in page_of(ana) and shows(ana, "November 2026")
    # Ben sees only his own months, in his part of the page
    ben = client_for(cast.ben).get(FUND)
    assert ben.context["arrears"] is None
    assert not shows(ben, "only coordinators see this list")
    assert shows(ben, "Deposits in arrears: November 2026.")


def test_a_coordinator_reads_that_no_deposit_is_behind(
    cast: Cast, fund: Fund, client_for: Any
) -> None:
    page = client_for(cast.ana).get(FUND)
    assert page.context["arrears"] == []
    assert "Every member's deposits are paid." in page_of(page)


# --- Changing tier, leaving ---------------------------------------------------------------------


def test_a_tier_change_is_offered_on_the_next_set_dates_and_can_be_cancelled(
    cast: Cast, fund: Fund, client_for: Any
) -> None:
    join(fund, cast.ben)
    ben = client_for(cast.ben)
    page = page_of(ben.get(FUND))
    for offered in ("2027-01-01", "2027-07-01", "2028-01-01"):
        assert f'value="{offered}"' in page
    response = ben.post(
        url("sick_pay_change"),
        {"change": "tier", "tier": "2", "effective_on": "2027-01-01"},
        follow=True,
    )
    change = ParticipationChange.objects.get()
    assert (change.kind, change.tier, change.effective_on) == ("tier", 2, dt.date(2027, 1, 1))
    assert shows(response, "You move to tier 3 on 1 January 2027.")
    assert shows(response, "Cancel this change")
    response = ben.post(url("sick_pay_change_cancel", change_id=change.pk), follow=True)
    change.refresh_from_db()
    assert change.state == "cancelled"
    assert shows(response, "The change is cancelled")


def test_a_change_outside_the_set_dates_is_refused_naming_the_next_one(
    cast: Cast, fund: Fund, client_for: Any
) -> None:
    join(fund, cast.ben)
    before = snapshot()
    response = client_for(cast.ben).post(
        url("sick_pay_change"), {"change": "exit", "tier": "", "effective_on": "2026-12-15"}
    )
    assert response.status_code == 422
    errors = " ".join(response.context["change_form"].errors["effective_on"])
    assert "the next such date is 1 January 2027" in errors
    assert snapshot() == before


def test_a_tier_change_without_a_tier_is_refused(cast: Cast, fund: Fund, client_for: Any) -> None:
    join(fund, cast.ben)
    before = snapshot()
    response = client_for(cast.ben).post(
        url("sick_pay_change"), {"change": "tier", "tier": "", "effective_on": "2027-01-01"}
    )
    assert response.status_code == 422
    assert "Choose the tier to move to." in response.context["change_form"].errors["tier"]
    assert snapshot() == before


def test_a_member_asks_to_leave_on_a_set_date(cast: Cast, fund: Fund, client_for: Any) -> None:
    join(fund, cast.ben)
    response = client_for(cast.ben).post(
        url("sick_pay_change"),
        {"change": "exit", "tier": "", "effective_on": "2027-07-01"},
        follow=True,
    )
    change = ParticipationChange.objects.get()
    assert (change.kind, change.effective_on) == ("exit", dt.date(2027, 7, 1))
    assert shows(response, "You leave the fund on 1 July 2027")


def test_another_member_cannot_cancel_ones_change(cast: Cast, fund: Fund, client_for: Any) -> None:
    cleo = add_member(cast.collective_a, "cleo@example.com", "Cleo Santos")
    join(fund, cast.ben)
    client_for(cast.ben).post(
        url("sick_pay_change"), {"change": "tier", "tier": "1", "effective_on": "2027-01-01"}
    )
    change = ParticipationChange.objects.get()
    before = snapshot()
    assert (
        client_for(cleo).post(url("sick_pay_change_cancel", change_id=change.pk)).status_code == 403
    )
    assert snapshot() == before
    assert (
        client_for(cast.olga).post(url("sick_pay_change_cancel", change_id=change.pk)).status_code
        == 404
    )


# --- Sick claims ------------------------------------------------------------------------------


def test_a_member_reports_sick_peers_approve_and_the_period_ends(
    cast: Cast, fund: Fund, client_for: Any
) -> None:
    join(fund, cast.ben)
    ben = client_for(cast.ben)
    form = ben.get(url("claim_new", kind="sick_pay"))
    assert shows(form, "Report sick")
    assert shows(form, "Neither my name nor my reason")
    response = ben.post(
        url("claim_new", kind="sick_pay"),
        {
            "starts_on": "2026-11-20",
            "percent": "50",
            "reason": "Back pain",
            "disclosure": "name_only",
        },
    )
    claim = Claim.objects.get()
    assert response.status_code == 302
    assert (claim.starts_on, claim.percent, claim.state) == (dt.date(2026, 11, 20), 50, "submitted")
    # Claiming twice for the same period is refused on the start date
    before = snapshot()
    again = ben.post(
        url("claim_new", kind="sick_pay"),
        {"starts_on": "2026-11-25", "percent": "100", "reason": "", "disclosure": "everything"},
    )
    assert again.status_code == 409
    assert "claiming twice for the same period" in " ".join(
        again.context["form"].errors["starts_on"]
    )
    assert snapshot() == before
    # Ana approves: the claim is paid month by month
    client_for(cast.ana).post(
        reverse("mutual:claim_decide", kwargs={"slug": A, "claim_id": claim.pk}),
        {"decision": "approve", "note": ""},
    )
    claim.refresh_from_db()
    assert claim.state == "ongoing"
    page = ben.get(reverse("mutual:claim", kwargs={"slug": A, "claim_id": claim.pk}))
    assert shows(page, "Paid from")
    assert shows(page, "20 December 2026")  # after the 30-day waiting period
    # Ben is better on the 25th: within the waiting period, nothing is owed
    response = ben.post(
        reverse("mutual:claim_end", kwargs={"slug": A, "claim_id": claim.pk}),
        {"ends_on": "2026-11-25"},
        follow=True,
    )
    claim.refresh_from_db()
    assert (claim.state, claim.ends_on) == ("ended", dt.date(2026, 11, 25))
    assert shows(response, "The sick period ends on 25 November 2026.")


def test_an_end_before_the_start_is_refused_on_its_field(
    cast: Cast, fund: Fund, client_for: Any
) -> None:
    join(fund, cast.ben)
    client_for(cast.ben).post(
        url("claim_new", kind="sick_pay"),
        {"starts_on": "2026-11-20", "percent": "100", "reason": "", "disclosure": "everything"},
    )
    claim = Claim.objects.get()
    before = snapshot()
    response = client_for(cast.ben).post(
        reverse("mutual:claim_end", kwargs={"slug": A, "claim_id": claim.pk}),
        {"ends_on": "2026-11-01"},
    )
    assert response.status_code == 422
    assert "cannot end before" in " ".join(response.context["end_form"].errors["ends_on"])
    assert snapshot() == before


def test_a_member_who_does_not_take_part_is_told_to_join_first(
    cast: Cast, fund: Fund, client_for: Any
) -> None:
    ben = client_for(cast.ben)
    form = ben.get(url("claim_new", kind="sick_pay"))
    assert shows(form, "Only members who take part in the sick-pay fund can claim from it.")
    assert 'name="starts_on"' not in page_of(form)
    before = snapshot()
    response = ben.post(
        url("claim_new", kind="sick_pay"),
        {"starts_on": "2026-11-20", "percent": "100", "reason": "", "disclosure": "everything"},
    )
    assert response.status_code == 403
    assert snapshot() == before
