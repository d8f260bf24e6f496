"""The decisions pages through the web UI: the list, a proposal with its
vote, making a proposal, withdrawing it, and proxies.

The cast (see ``mutualist.testing``): Ana coordinates collective A
(manila-va; her profile's time zone is Asia/Manila), Ben is a member of A,
Carla coordinates B, Olga is in no collective. The clock is frozen at
``NOW`` (a Monday, 09:00 UTC).
"""

from __future__ import annotations

import datetime as dt
import html
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mutualist.collectives.models import Bylaws, Membership
from mutualist.collectives.services import bylaws_adopt, membership_apply
from mutualist.governance.models import Delegation, Proposal, Vote
from mutualist.governance.services import (
    delegation_create,
    proposal_close,
    proposal_create,
    proposal_withdraw,
    vote_cast,
)
from mutualist.testing import Cast

NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


def url(name: str, **kwargs: object) -> str:
    return reverse(f"governance:{name}", kwargs=kwargs)


def page_of(response: Any) -> str:
    return str(response.content.decode())


def shows(response: Any, text: str) -> bool:
    return html.escape(text) in page_of(response)


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def assert_login_redirect(response: Any) -> None:
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("members:login"))


def snapshot() -> dict[str, Any]:
    return {
        "proposals": list(Proposal.objects.order_by("pk").values()),
        "votes": list(Vote.objects.order_by("pk").values()),
        "delegations": list(Delegation.objects.order_by("pk").values()),
        "bylaws": Bylaws.objects.count(),
    }


def propose(cast: Cast, **kwargs: Any) -> Proposal:
    fields: dict[str, Any] = {
        "collective": cast.collective_a,
        "author": cast.ana,
        "kind": Proposal.Kind.GENERAL,
        "title": "Buy a shared laptop",
        "body": "For the **new** member.\n\n<script>alert(1)</script>",
        "closes_at": NOW + dt.timedelta(days=2, hours=3),
    }
    fields.update(kwargs)
    return proposal_create(**fields)


@pytest.fixture
def laptop(cast: Cast) -> Proposal:
    """Ana's open general proposal, closing in two days and three hours."""
    return propose(cast)


def proposal_url(proposal: Proposal, name: str = "proposal") -> str:
    return url(name, slug=proposal.collective.slug, proposal_id=proposal.pk)


def new_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "kind": "general",
        "title": "Meet in Cebu in March",
        "body": "A week together.",
        "method": "yes_no",
        "quorum_percent": "50",
        "threshold_percent": "50",
        "closes_at": "2026-12-14T18:00",
        "results_visibility": "always",
        "effective_from": "",
        "treasury_percent": "",
        "member_share_basis": "",
        "admission_rule": "",
        "notes": "",
        "membership_id": "",
    }
    data.update(overrides)
    return data


# --- decisions ------------------------------------------------------------------------------


def test_a_member_sees_open_proposals_with_their_count_and_a_vote_button(
    cast: Cast, client_for, laptop
):
    # given: a second open proposal closing sooner, on which Ben voted
    sooner = propose(cast, title="Rename the collective", closes_at=NOW + dt.timedelta(days=1))
    vote_cast(proposal=sooner, voter=cast.ben, choice="no")

    response = client_for(cast.ben).get(url("decisions", slug="manila-va"))

    assert response.status_code == 200
    rows = response.context["open_rows"]
    assert [row.proposal.title for row in rows] == ["Rename the collective", "Buy a shared laptop"]
    assert [(row.voted, row.eligible, row.my_choice) for row in rows] == [(1, 2, "No"), (0, 2, "")]
    page = page_of(response)
    assert "1 of 2 have voted." in page
    assert "0 of 2 have voted." in page
    assert "You voted <strong>No</strong>" in page
    assert (
        f'href="{proposal_url(laptop)}#voting" role="button" class="gov-vote-link">Vote</a>' in page
    )
    # in Ben's time zone (Africa/Lagos, UTC+1), and relative
    assert "Wed 9 Dec 2026, 13:00" in page
    assert "in 2\xa0days, 3\xa0hours" in page
    assert reverse("governance:proposal_new", kwargs={"slug": "manila-va"}) in page
    assert reverse("governance:proxies", kwargs={"slug": "manila-va"}) in page
    assert "How votes are counted" in page


def test_closed_proposals_show_their_outcome_tally_and_what_was_applied(
    cast: Cast, client_for, laptop
):
    vote_cast(proposal=laptop, voter=cast.ana, choice="yes")
    vote_cast(proposal=laptop, voter=cast.ben, choice="no", reason="Too dear")
    assert proposal_close(proposal_id=laptop.pk, early=True)

    response = client_for(cast.ana).get(url("decisions", slug="manila-va"))

    assert response.context["open_rows"] == []
    [row] = response.context["closed_rows"]
    assert row.proposal.outcome == "failed"
    assert [(r.label, r.count) for r in row.rows] == [("Yes", 1), ("No", 1)]
    page = page_of(response)
    assert '<span class="gov-badge gov-badge--failed">Failed</span>' in page
    assert "2 of 2 counted; quorum 1." in page


def test_closed_proposals_are_paged_twenty_at_a_time_newest_first(cast: Cast, client_for):
    for n in range(21):
        proposal_withdraw(proposal=propose(cast, title=f"Idea {n}"), actor=cast.ana)

    first = client_for(cast.ana).get(url("decisions", slug="manila-va"))
    second = client_for(cast.ana).get(url("decisions", slug="manila-va") + "?page=2")

    assert len(first.context["closed_rows"]) == 20
    assert first.context["closed_rows"][0].proposal.title == "Idea 20"
    assert [row.proposal.title for row in second.context["closed_rows"]] == ["Idea 0"]
    assert "Page 2 of 2" in page_of(second)


def test_the_decisions_page_is_for_active_members_only(
    cast: Cast, client: Client, client_for, laptop
):
    decisions = url("decisions", slug="manila-va")

    assert client_for(cast.carla).get(decisions).status_code == 404
    assert client_for(cast.olga).get(decisions).status_code == 404
    assert_login_redirect(client.get(decisions))
    assert client_for(cast.ana).post(decisions).status_code == 405


# --- the proposal page ------------------------------------------------------------------------


def test_the_proposal_page_shows_the_text_rules_and_one_button_per_choice(
    cast: Cast, client_for, laptop
):
    response = client_for(cast.ben).get(proposal_url(laptop))

    assert response.status_code == 200
    page = page_of(response)
    assert "<p>For the <strong>new</strong> member.</p>" in page
    assert "<script>alert(1)</script>" not in page
    assert "Quorum: at least 1 of 2 members vote (50 %)" in page
    assert "a tie fails" in page
    for value, label in (("yes", "Yes"), ("no", "No")):
        assert (
            f'name="choice" value="{value}" class="gov-choice gov-choice--{value}" '
            f'aria-pressed="false">{label}</button>'
        ) in page
    assert 'hx-post="' + proposal_url(laptop, "vote") + '"' in page
    assert "Take back my vote" not in page
    assert "Withdraw this proposal" not in page  # Ben is neither author nor coordinator


def test_a_consent_proposal_offers_four_choices_and_marks_the_reason_required(
    cast: Cast, client_for
):
    proposal = propose(cast, method="consent", reasons_required=True)

    page = page_of(client_for(cast.ben).get(proposal_url(proposal)))

    for value in ("agree", "abstain", "disagree", "block"):
        assert f'name="choice" value="{value}"' in page
    assert '<span class="gov-required">(required)</span>' in page
    assert "One block stops the proposal" in page


def test_a_bylaws_change_shows_the_version_in_force_beside_the_proposed_one(cast: Cast, client_for):
    proposal = propose(
        cast,
        kind="bylaws_change",
        title="More for the treasury",
        payload={"effective_from": "2027-01-01", "shares": {"treasury": "15"}},
    )

    response = client_for(cast.ben).get(proposal_url(proposal))

    rows = response.context["comparison"]
    assert ("Treasury share", "10.00 %", "15.00 %") in rows
    assert ("Members who did the work", "90.00 %", "85.00 %") in rows
    assert "In force now" in page_of(response)


def test_the_proposal_page_is_for_active_members_of_its_collective_only(
    cast: Cast, client: Client, client_for, laptop
):
    assert client_for(cast.carla).get(proposal_url(laptop)).status_code == 404
    assert client_for(cast.olga).get(proposal_url(laptop)).status_code == 404
    assert_login_redirect(client.get(proposal_url(laptop)))
    # under another collective's address, it is not there either
    elsewhere = url("proposal", slug="remote-crew", proposal_id=laptop.pk)
    assert client_for(cast.ana).get(elsewhere).status_code == 404
    assert (
        client_for(cast.ana).get(url("proposal", slug="manila-va", proposal_id=2**63)).status_code
        == 404
    )


# --- voting -----------------------------------------------------------------------------------


def test_a_member_votes_with_one_tap_and_comes_back_to_the_page(cast: Cast, client_for, laptop):
    ben = client_for(cast.ben)
    response = ben.post(proposal_url(laptop, "vote"), {"choice": "yes"})

    assert response.status_code == 302
    assert response["Location"] == proposal_url(laptop) + "#voting"
    vote = Vote.objects.get(proposal=laptop)
    assert (vote.member, vote.choice, vote.reason) == (cast.ben, "yes", "")
    page = ben.get(proposal_url(laptop))
    assert "Your vote is recorded: Yes." in page_of(page)
    assert 'value="yes" class="gov-choice gov-choice--yes gov-choice--current"' in page_of(page)
    assert "Take back my vote" in page_of(page)


def test_a_second_vote_changes_the_first_and_never_adds_one(cast: Cast, client_for, laptop):
    ben = client_for(cast.ben)
    ben.post(proposal_url(laptop, "vote"), {"choice": "yes"})

    ben.post(proposal_url(laptop, "vote"), {"choice": "no", "reason": "Too dear"})

    assert list(Vote.objects.filter(proposal=laptop).values_list("choice", "reason")) == [
        ("no", "Too dear")
    ]


def test_htmx_gets_the_vote_panel_alone_with_the_vote_in_it(cast: Cast, client_for, laptop):
    response = client_for(cast.ben).post(
        proposal_url(laptop, "vote"), {"choice": "no", "reason": "Not now"}, **HTMX
    )

    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "governance/includes/voting.html"
    page = page_of(response)
    assert page.lstrip().startswith('<div id="voting"')
    assert "<html" not in page
    assert "Your vote is recorded: No." in page
    assert "You voted <strong>No</strong>." in page
    assert ">Not now</textarea>" in page
    assert Vote.objects.get(proposal=laptop).choice == "no"


def test_a_member_takes_back_their_vote(cast: Cast, client_for, laptop):
    vote_cast(proposal=laptop, voter=cast.ben, choice="yes")

    response = client_for(cast.ben).post(
        proposal_url(laptop, "vote"), {"action": "retract"}, follow=True
    )

    assert messages_of(response) == ["You took back your vote."]
    assert not Vote.objects.filter(proposal=laptop).exists()


def test_it_refuses_a_vote_after_the_closing_time_and_changes_nothing(
    cast: Cast, client_for, laptop, time_machine
):
    vote_cast(proposal=laptop, voter=cast.ben, choice="yes")
    before = snapshot()
    time_machine.move_to(laptop.closes_at + dt.timedelta(minutes=1), tick=False)

    plain = client_for(cast.ben).post(proposal_url(laptop, "vote"), {"choice": "no"})
    partial = client_for(cast.ben).post(proposal_url(laptop, "vote"), {"choice": "no"}, **HTMX)

    message = "Voting on this proposal closed on 9 December 2026 at 12:00 UTC."
    assert plain.status_code == 409
    assert shows(plain, message)
    assert "<html" in page_of(plain)
    assert partial.status_code == 200
    assert shows(partial, message)
    assert 'name="choice"' not in page_of(partial)
    assert snapshot() == before


def test_it_refuses_a_block_without_a_reason_and_says_so(cast: Cast, client_for):
    proposal = propose(cast, method="consent")
    before = snapshot()

    response = client_for(cast.ben).post(proposal_url(proposal, "vote"), {"choice": "block"})

    assert response.status_code == 422
    assert shows(response, "A block needs a reason: say what would have to change.")
    assert snapshot() == before


def test_it_refuses_a_choice_the_method_does_not_offer(cast: Cast, client_for, laptop):
    before = snapshot()

    response = client_for(cast.ben).post(proposal_url(laptop, "vote"), {"choice": "block"})

    assert response.status_code == 422
    assert shows(response, "Choose one of yes, no; got 'block'.")
    assert snapshot() == before


def test_someone_outside_the_collective_cannot_vote(cast: Cast, client: Client, client_for, laptop):
    before = snapshot()

    assert (
        client_for(cast.carla).post(proposal_url(laptop, "vote"), {"choice": "yes"}).status_code
        == 404
    )
    assert (
        client_for(cast.olga).post(proposal_url(laptop, "vote"), {"choice": "yes"}).status_code
        == 404
    )
    assert_login_redirect(client.post(proposal_url(laptop, "vote"), {"choice": "yes"}))
    assert client_for(cast.ben).get(proposal_url(laptop, "vote")).status_code == 405
    assert snapshot() == before


# --- results visibility ------------------------------------------------------------------------


def test_results_hidden_until_close_show_only_how_many_voted(cast: Cast, client_for):
    proposal = propose(cast, results_visibility="after_close")
    vote_cast(proposal=proposal, voter=cast.ben, choice="no", reason="Secret reason")

    for viewer in (cast.ana, cast.ben):
        response = client_for(viewer).get(proposal_url(proposal))
        page = page_of(response)
        assert "1 of 2 have voted." in page
        assert "Results appear when voting closes." in page
        assert "Secret reason" not in page or viewer == cast.ben  # Ben sees his own reason
        assert "gov-counts" not in page
        assert "gov-ballots" not in page
        assert "tally" not in response.context
    # nor on the decisions page
    listing = page_of(client_for(cast.ana).get(url("decisions", slug="manila-va")))
    assert "gov-counts" not in listing
    assert "Secret reason" not in listing


def test_results_hidden_until_one_votes_appear_after_one_voted(cast: Cast, client_for):
    proposal = propose(cast, results_visibility="after_vote")
    vote_cast(proposal=proposal, voter=cast.ben, choice="no", reason="Secret reason")

    ana = page_of(client_for(cast.ana).get(proposal_url(proposal)))
    after = page_of(
        client_for(cast.ana).post(proposal_url(proposal, "vote"), {"choice": "yes"}, **HTMX)
    )

    assert "Results appear after you vote." in ana
    assert "Secret reason" not in ana
    assert "gov-counts" not in ana
    assert "Secret reason" in after
    assert "<strong>Ben Okafor</strong>: No" in after
    assert "gov-counts" in after


def test_results_shown_all_along_list_ballots_and_those_counted_through_a_proxy(
    cast: Cast, client_for, laptop
):
    vote_cast(proposal=laptop, voter=cast.ben, choice="yes", reason="We need it")
    delegation_create(collective=cast.collective_a, delegator=cast.ana, delegate=cast.ben)

    page = page_of(client_for(cast.ana).get(proposal_url(laptop)))

    assert "<strong>Ben Okafor</strong>: Yes" in page
    assert "<q>We need it</q>" in page
    assert "<strong>Ana Reyes</strong>: counted through Ben Okafor (proxy)" in page
    assert "2 of 2 counted (1 voted themselves, 1 through a proxy)" in page


# --- making a proposal -------------------------------------------------------------------------


def test_the_new_proposal_form_offers_the_kinds_a_member_may_propose(cast: Cast, client_for):
    response = client_for(cast.ben).get(url("proposal_new", slug="manila-va"))

    assert response.status_code == 200
    form = response.context["form"]
    assert [value for value, _ in form.fields["kind"].choices] == ["bylaws_change", "general"]
    assert form.initial["kind"] == "general"
    assert form.initial["treasury_percent"] == Decimal("10.00")
    # seven days ahead, in Ben's time zone (Africa/Lagos, UTC+1)
    assert 'value="2026-12-14T10:00"' in page_of(response)
    assert 'type="datetime-local"' in page_of(response)
    assert "Markdown" in page_of(response)


def test_kind_in_the_address_preselects_a_bylaws_change(cast: Cast, client_for):
    response = client_for(cast.ben).get(
        url("proposal_new", slug="manila-va") + "?kind=bylaws_change"
    )

    assert response.context["form"].initial["kind"] == "bylaws_change"
    assert '<option value="bylaws_change" selected>' in page_of(response)


def test_admission_is_offered_only_while_an_application_waits_without_a_vote(
    cast: Cast, client_for
):
    membership = membership_apply(collective=cast.collective_a, user=cast.olga, note="Hi")

    response = client_for(cast.ben).get(url("proposal_new", slug="manila-va"))
    kinds = [value for value, _ in response.context["form"].fields["kind"].choices]
    made = client_for(cast.ben).post(
        url("proposal_new", slug="manila-va"),
        new_data(kind="admission", title="Admit Olga", membership_id=str(membership.pk)),
    )
    again = client_for(cast.ben).get(url("proposal_new", slug="manila-va"))

    assert kinds == ["admission", "bylaws_change", "general"]
    assert made.status_code == 302
    proposal = Proposal.objects.get(kind="admission")
    assert proposal.payload == {"membership_id": membership.pk, "applicant": "Olga Petrova"}
    assert "admission" not in dict(again.context["form"].fields["kind"].choices)


def test_a_member_makes_a_proposal_closing_at_a_time_read_in_their_own_zone(cast: Cast, client_for):
    response = client_for(cast.ana).post(
        url("proposal_new", slug="manila-va"), new_data(), follow=True
    )

    proposal = Proposal.objects.get(title="Meet in Cebu in March")
    assert response.redirect_chain == [(proposal_url(proposal), 302)]
    # 18:00 in Manila (UTC+8) is 10:00 UTC
    assert proposal.closes_at == dt.datetime(2026, 12, 14, 10, 0, tzinfo=dt.UTC)
    assert (proposal.author, proposal.kind, proposal.payload) == (cast.ana, "general", {})
    assert messages_of(response) == [
        "Your proposal is open for votes until 14 December 2026 at 18:00 (Asia/Manila). "
        "The members have been told by email."
    ]


def test_a_coordinator_proposes_a_new_split_rule(cast: Cast, client_for):
    response = client_for(cast.ana).post(
        url("proposal_new", slug="manila-va"),
        new_data(
            kind="bylaws_change",
            title="15 % for the treasury",
            effective_from="2027-01-01",
            treasury_percent="15",
            member_share_basis="bill",
            admission_rule="vote",
        ),
    )

    assert response.status_code == 302
    proposal = Proposal.objects.get(kind="bylaws_change")
    assert proposal.payload == {
        "effective_from": "2027-01-01",
        "shares": {"treasury": "15.00"},
        "admission_rule": "vote",
        "member_share_basis": "bill",
        "notes": "",
        "replaces_version": 1,
    }


@pytest.mark.parametrize(
    ("overrides", "field", "message", "status"),
    [
        (
            {"threshold_percent": "40"},
            "threshold_percent",
            "The threshold must be between 50 % and 100 %; got 40.",
            422,
        ),
        (
            {"quorum_percent": "101"},
            "quorum_percent",
            "The quorum must be between 0 % and 100 %; got 101.",
            422,
        ),
        (
            {"closes_at": "2026-12-07T16:59"},  # 08:59 UTC, a minute ago
            "closes_at",
            "The closing time must be in the future.",
            422,
        ),
        (
            {"kind": "bylaws_change", "effective_from": "2026-12-20", "treasury_percent": "10",
             "member_share_basis": "bill", "admission_rule": "coordinator"},
            "treasury_percent",
            "That is the bylaws as they stand already; change at least one rule.",
            422,
        ),
        (
            {"kind": "bylaws_change", "effective_from": "2026-12-10", "treasury_percent": "20"},
            "effective_from",
            "The new bylaws cannot take effect before the vote closes (14 December 2026).",
            422,
        ),
        (
            {"kind": "bylaws_change", "effective_from": "2026-12-20", "treasury_percent": "120"},
            "treasury_percent",
            "The treasury percentage must be between 0 and 100; got 120.",
            422,
        ),
        ({"title": ""}, "title", "This field is required.", 422),
    ],
    ids=[
        "threshold-40",
        "quorum-101",
        "closes-in-the-past",
        "bylaws-unchanged",
        "effective-before-close",
        "treasury-120",
        "no-title",
    ],
)  # fmt: skip
def test_it_refuses_a_bad_proposal_on_the_field_at_fault_and_makes_nothing(
    cast: Cast, client_for, mailoutbox, overrides, field, message, status
):
    before = snapshot()

    response = client_for(cast.ana).post(
        url("proposal_new", slug="manila-va"), new_data(**overrides)
    )

    assert response.status_code == status
    assert response.context["form"].errors == {field: [message]}
    assert shows(response, message)
    assert snapshot() == before
    assert mailoutbox == []


def test_a_time_the_clocks_skip_is_refused(cast: Cast, client_for):
    from mutualist.members.models import Profile

    Profile.objects.filter(user=cast.ben).update(timezone="Europe/Berlin")
    before = snapshot()

    response = client_for(cast.ben).post(
        url("proposal_new", slug="manila-va"), new_data(closes_at="2027-03-28T02:30")
    )

    assert response.context["form"].errors == {
        "closes_at": [
            "02:30 does not exist on 28 March 2027 in Europe/Berlin: the clocks skip that hour."
        ]
    }
    assert snapshot() == before


def test_making_a_proposal_is_for_active_members_only(cast: Cast, client: Client, client_for):
    new = url("proposal_new", slug="manila-va")

    assert client_for(cast.carla).get(new).status_code == 404
    assert client_for(cast.olga).post(new, new_data()).status_code == 404
    assert_login_redirect(client.post(new, new_data()))
    assert not Proposal.objects.exists()


# --- withdrawing --------------------------------------------------------------------------------


def test_the_author_withdraws_an_open_proposal(cast: Cast, client_for, laptop):
    page = page_of(client_for(cast.ana).get(proposal_url(laptop)))
    response = client_for(cast.ana).post(
        proposal_url(laptop, "withdraw"), {"confirm": "1"}, follow=True
    )

    assert "Withdraw this proposal" in page
    assert messages_of(response) == [
        "The proposal is withdrawn; nothing of it will be applied and it stays closed."
    ]
    laptop.refresh_from_db()
    assert laptop.state == "withdrawn"


def test_a_coordinator_withdraws_a_members_proposal(cast: Cast, client_for):
    proposal = propose(cast, author=cast.ben)

    client_for(cast.ana).post(proposal_url(proposal, "withdraw"), {"confirm": "1"})

    proposal.refresh_from_db()
    assert proposal.state == "withdrawn"


def test_another_member_may_not_withdraw_a_proposal(cast: Cast, client_for, laptop):
    before = snapshot()

    for data in ({}, {"confirm": "1"}):
        withdraw = proposal_url(laptop, "withdraw")
        assert client_for(cast.ben).post(withdraw, data).status_code == 403
        assert client_for(cast.carla).post(withdraw, data).status_code == 404
    assert client_for(cast.ben).get(proposal_url(laptop, "withdraw")).status_code == 403
    assert snapshot() == before


def test_a_closed_proposal_cannot_be_withdrawn(cast: Cast, client_for, laptop):
    vote_cast(proposal=laptop, voter=cast.ben, choice="yes")
    proposal_close(proposal_id=laptop.pk, early=True)
    before = snapshot()

    response = client_for(cast.ana).post(
        proposal_url(laptop, "withdraw"), {"confirm": "1"}, follow=True
    )
    asked = client_for(cast.ana).post(proposal_url(laptop, "withdraw"), follow=True)

    assert messages_of(response) == ["This proposal is no longer open."]
    assert messages_of(asked) == ["This proposal is no longer open."]
    assert snapshot() == before
    assert "Outcome: Passed" in page_of(response)


# --- proxies ------------------------------------------------------------------------------------


def test_a_member_names_a_proxy_for_a_period(cast: Cast, client_for):
    response = client_for(cast.ana).post(
        url("proxies", slug="manila-va"),
        {"delegate": str(cast.ben.pk), "starts_on": "2026-12-07", "ends_on": "2026-12-31"},
        follow=True,
    )

    delegation = Delegation.objects.get()
    assert (delegation.delegator, delegation.delegate, delegation.proposal) == (
        cast.ana,
        cast.ben,
        None,
    )
    assert (delegation.starts_on, delegation.ends_on) == (
        dt.date(2026, 12, 7),
        dt.date(2026, 12, 31),
    )
    assert messages_of(response) == [
        "From 7 December 2026 until 31 December 2026, Ben Okafor votes for you whenever "
        "you do not vote yourself."
    ]
    page = page_of(response)
    assert "<strong>Ben Okafor</strong> votes for you on the proposals that close" in page
    # and Ben sees who named him
    assert "<strong>Ana Reyes</strong>" in page_of(
        client_for(cast.ben).get(url("proxies", slug="manila-va"))
    )


@pytest.mark.parametrize(
    ("who", "field", "message"),
    [
        ("self", "delegate", "You cannot be your own proxy."),
        ("carla", "delegate", "Choose an active member of the collective."),
        ("nobody", "delegate", "Choose an active member of the collective."),
    ],
)
def test_it_refuses_a_proxy_who_cannot_be_one(cast: Cast, client_for, who, field, message):
    pk = {"self": cast.ana.pk, "carla": cast.carla.pk, "nobody": 999_999}[who]
    before = snapshot()

    response = client_for(cast.ana).post(url("proxies", slug="manila-va"), {"delegate": str(pk)})

    assert response.status_code == 422
    assert response.context["form"].errors == {field: [message]}
    assert shows(response, message)
    assert "Carla Mwangi" not in page_of(response)
    assert snapshot() == before


def test_it_refuses_a_period_that_ends_before_it_starts(cast: Cast, client_for):
    before = snapshot()

    response = client_for(cast.ana).post(
        url("proxies", slug="manila-va"),
        {"delegate": str(cast.ben.pk), "starts_on": "2026-12-10", "ends_on": "2026-12-08"},
    )

    assert response.context["form"].errors == {"ends_on": ["The period ends before it starts."]}
    assert snapshot() == before


def test_a_proxy_for_one_proposal_is_named_on_its_page_and_both_see_it(
    cast: Cast, client_for, laptop
):
    response = client_for(cast.ana).post(
        url("proxies", slug="manila-va"),
        {"delegate": str(cast.ben.pk), "proposal": str(laptop.pk)},
        follow=True,
    )

    assert response.redirect_chain == [(proposal_url(laptop), 302)]
    assert Delegation.objects.get().proposal == laptop
    assert (
        "<strong>Ben Okafor</strong> votes for you unless you vote yourself (for this proposal)."
        in page_of(response)
    )
    ben = page_of(client_for(cast.ben).get(proposal_url(laptop)))
    assert (
        "Your vote also counts for <strong>Ana Reyes</strong>, unless they vote themselves." in ben
    )


def test_a_proxy_for_a_closed_proposal_is_refused_on_its_page(
    cast: Cast, client_for, laptop, time_machine
):
    time_machine.move_to(laptop.closes_at + dt.timedelta(seconds=1), tick=False)
    before = snapshot()

    response = client_for(cast.ana).post(
        url("proxies", slug="manila-va"),
        {"delegate": str(cast.ben.pk), "proposal": str(laptop.pk)},
        follow=True,
    )

    # Back on the proposal's page, which no longer offers the form: the
    # refusal is said as a message, not lost on a form that is not shown.
    assert response.redirect_chain == [(proposal_url(laptop), 302)]
    assert messages_of(response) == ["Voting on that proposal has closed."]
    assert shows(response, "Voting on that proposal has closed.")
    assert snapshot() == before


def test_a_member_revokes_their_proxy_and_it_stays_on_record(cast: Cast, client_for):
    delegation = delegation_create(
        collective=cast.collective_a, delegator=cast.ana, delegate=cast.ben
    )
    revoke = url("proxy_revoke", slug="manila-va", delegation_id=delegation.pk)

    assert client_for(cast.ben).post(revoke).status_code == 404  # not Ben's to revoke
    response = client_for(cast.ana).post(revoke, follow=True)
    again = client_for(cast.ana).post(revoke, follow=True)

    assert messages_of(response) == ["Ben Okafor no longer votes for you."]
    assert messages_of(again) == ["That proxy was already revoked."]
    delegation.refresh_from_db()
    assert delegation.revoked_because == "Revoked by the member."
    assert "Revoked by the member." in page_of(response)


def test_proxies_are_for_active_members_only(cast: Cast, client: Client, client_for):
    delegation = delegation_create(
        collective=cast.collective_a, delegator=cast.ana, delegate=cast.ben
    )
    before = snapshot()

    assert client_for(cast.olga).get(url("proxies", slug="manila-va")).status_code == 404
    assert (
        client_for(cast.carla)
        .post(url("proxies", slug="manila-va"), {"delegate": str(cast.ben.pk)})
        .status_code
        == 404
    )
    assert (
        client_for(cast.ana)
        .post(url("proxy_revoke", slug="remote-crew", delegation_id=delegation.pk))
        .status_code
        == 404
    )
    assert_login_redirect(client.get(url("proxies", slug="manila-va")))
    assert snapshot() == before


# --- the collective's page, its bylaws and the dashboard ----------------------------------------


def test_the_collective_page_links_members_to_decisions_and_proxies(
    cast: Cast, client: Client, client_for, laptop
):
    member = page_of(client_for(cast.ben).get(reverse("collectives:detail", args=["manila-va"])))
    outsider = page_of(client_for(cast.olga).get(reverse("collectives:detail", args=["manila-va"])))
    public = page_of(client.get(reverse("collectives:detail", args=["manila-va"])))

    assert "Decisions (1 open)</a>" in member
    assert url("proxies", slug="manila-va") in member
    for page in (outsider, public):
        assert url("decisions", slug="manila-va") not in page


def test_under_the_vote_rule_applications_go_to_the_members(cast: Cast, client_for):
    bylaws_adopt(
        collective=cast.collective_a,
        actor=cast.ana,
        effective_from=timezone.localdate(),
        treasury_percent="10",
        admission_rule="vote",
    )
    membership_apply(collective=cast.collective_a, user=cast.olga, note="Hello")

    coordinator = page_of(
        client_for(cast.ana).get(reverse("collectives:detail", args=["manila-va"]))
    )
    applicant = page_of(
        client_for(cast.olga).get(reverse("collectives:detail", args=["manila-va"]))
    )

    assert "The members vote on this application" in coordinator
    assert 'name="decision" value="approve"' not in coordinator
    assert "Decisions (1 open)" in coordinator  # the vote opened by itself
    assert "The members are voting on your application." in applicant


def test_the_dashboard_lists_proposals_waiting_for_the_members_vote(cast: Cast, client_for, laptop):
    ben = page_of(client_for(cast.ben).get(reverse("members:dashboard")))
    vote_cast(proposal=laptop, voter=cast.ben, choice="yes")
    after = page_of(client_for(cast.ben).get(reverse("members:dashboard")))

    assert "Waiting for your vote" in ben
    assert f'href="{proposal_url(laptop)}#voting">Buy a shared laptop</a>' in ben
    assert "Waiting for your vote" not in after


def test_membership_states_hide_decisions_from_a_member_who_left(cast: Cast, client_for, laptop):
    Membership.objects.filter(user=cast.ben, collective=cast.collective_a).update(
        state="left", left_at=timezone.now()
    )

    assert client_for(cast.ben).get(proposal_url(laptop)).status_code == 404
    assert client_for(cast.ben).get(url("decisions", slug="manila-va")).status_code == 404


# --- the "done when", through the web ----------------------------------------------------


def test_a_new_split_rule_proposed_voted_through_a_proxy_and_closed_is_in_force(
    cast: Cast, client_for, time_machine
):
    from mutualist.collectives.selectors import bylaws_in_force
    from mutualist.governance.services import proposals_close_due

    ana, ben = client_for(cast.ana), client_for(cast.ben)
    # given: Ana proposes 15 % for the treasury from 1 January, closing on 14 December
    ana.post(
        url("proposal_new", slug="manila-va"),
        new_data(
            kind="bylaws_change",
            title="15 % for the treasury",
            effective_from="2027-01-01",
            treasury_percent="15",
            member_share_basis="bill",
            admission_rule="coordinator",
        ),
    )
    proposal = Proposal.objects.get()
    # Ana names Ben her proxy for it; Ben votes yes
    ana.post(url("proxies", slug="manila-va"), {"delegate": cast.ben.pk, "proposal": proposal.pk})
    ben.post(proposal_url(proposal, "vote"), {"choice": "yes", "reason": "Reserves first"})

    # when: the scheduler runs after the deadline
    time_machine.move_to(proposal.closes_at + dt.timedelta(minutes=5), tick=False)
    assert proposals_close_due() == 1

    # then: the page shows the outcome, what was applied, and Ana's ballot through Ben
    page = page_of(ana.get(proposal_url(proposal)))
    assert "Outcome: Passed" in page
    assert "Bylaws version 2 is in force from 1 January 2027." in page
    assert (
        '<strong>Ana Reyes</strong>: Yes <span class="muted">through Ben Okafor (proxy)</span>'
        in page
    )
    assert "2 of 2 counted (1 voted themselves, 1 through a proxy)" in page
    assert 'name="choice"' not in page
    listing = page_of(ana.get(url("decisions", slug="manila-va")))
    assert '<span class="gov-badge gov-badge--passed">Passed</span>' in listing
    # and from 1 January the new version is in force
    assert bylaws_in_force(collective=cast.collective_a, on=dt.date(2027, 1, 1)).version == 2
