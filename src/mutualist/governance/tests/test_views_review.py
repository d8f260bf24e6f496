"""The decisions pages as a member reads them, after a review used them: proxies
that have done their work, withdrawn proposals, the confirmation before
withdrawing, outcomes explained in words, the minutes between the deadline and
the count, admission votes, reasons that are required, and dates.

The cast and the frozen clock are those of ``test_views`` (Ana in
Asia/Manila, Ben in Africa/Lagos, Olga in Europe/Berlin; a Monday 09:00 UTC).
"""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from mutualist.collectives.services import bylaws_adopt, membership_apply
from mutualist.governance.models import Proposal, Vote
from mutualist.governance.services import (
    delegation_create,
    proposal_close,
    proposal_withdraw,
    vote_cast,
)
from mutualist.governance.tests.test_views import (
    HTMX,
    NOW,
    messages_of,
    new_data,
    page_of,
    proposal_url,
    propose,
    snapshot,
    url,
)
from mutualist.testing import Cast


@pytest.fixture(autouse=True)
def frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def laptop(cast: Cast) -> Proposal:
    return propose(cast)


def text_of(response: Any) -> str:
    """The page's words as read: tags, entities and runs of spaces aside."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", page_of(response))).split())


# --- 1. proxies that have done their work -------------------------------------------------------


def test_a_proxy_for_a_closed_proposal_is_listed_as_used_with_no_revoke(
    cast: Cast, client_for, laptop
):
    delegation = delegation_create(
        collective=cast.collective_a, delegator=cast.ana, delegate=cast.ben, proposal=laptop
    )
    vote_cast(proposal=laptop, voter=cast.ben, choice="yes")
    assert proposal_close(proposal_id=laptop.pk, now=laptop.closes_at + dt.timedelta(seconds=1))
    assert Vote.objects.filter(proposal=laptop, member=cast.ana, proxy=cast.ben).exists()

    ana = client_for(cast.ana).get(url("proxies", slug="manila-va"))
    ben = client_for(cast.ben).get(url("proxies", slug="manila-va"))

    assert ana.context["for_proposals"] == []
    [earlier] = ana.context["history"]
    assert earlier.delegation == delegation
    assert earlier.why == "Used in the count of “Buy a shared laptop”."
    revoke = url("proxy_revoke", slug="manila-va", delegation_id=delegation.pk)
    assert revoke not in page_of(ana)
    assert ben.context["to_me"] == []
    assert "No one has named you their proxy." in page_of(ben)


def test_a_proxy_for_a_withdrawn_proposal_has_ended(cast: Cast, client_for, laptop):
    delegation = delegation_create(
        collective=cast.collective_a, delegator=cast.ana, delegate=cast.ben, proposal=laptop
    )
    standing = client_for(cast.ana).get(url("proxies", slug="manila-va"))
    proposal_withdraw(proposal=laptop, actor=cast.ana)

    ana = client_for(cast.ana).get(url("proxies", slug="manila-va"))
    ben = client_for(cast.ben).get(url("proxies", slug="manila-va"))

    revoke = url("proxy_revoke", slug="manila-va", delegation_id=delegation.pk)
    assert standing.context["for_proposals"] == [delegation]
    assert revoke in page_of(standing)
    assert ana.context["for_proposals"] == []
    [earlier] = ana.context["history"]
    assert earlier.why == "Ended: the proposal was withdrawn before the count."
    assert earlier.ended == "7 December 2026"
    assert revoke not in page_of(ana)
    assert ben.context["to_me"] == []


# --- 2. and 3. withdrawing ----------------------------------------------------------------------


def test_withdrawing_asks_first_and_the_first_step_changes_nothing(cast: Cast, client_for, laptop):
    before = snapshot()

    asked = client_for(cast.ana).post(proposal_url(laptop, "withdraw"))
    fetched = client_for(cast.ana).get(proposal_url(laptop, "withdraw"))

    for response in (asked, fetched):
        assert response.status_code == 200
        assert "Withdraw “Buy a shared laptop”?" in text_of(response)
        assert "Nothing of it will be applied and it cannot be reopened." in text_of(response)
        assert 'name="confirm" value="1"' in page_of(response)
    assert snapshot() == before

    done = client_for(cast.ana).post(proposal_url(laptop, "withdraw"), {"confirm": "1"})

    assert done.status_code == 302
    laptop.refresh_from_db()
    assert laptop.state == "withdrawn"


def test_a_withdrawn_proposal_says_who_withdrew_it_and_never_counted(
    cast: Cast, client_for, laptop, time_machine
):
    vote_cast(proposal=laptop, voter=cast.ben, choice="yes")
    time_machine.move_to(NOW + dt.timedelta(hours=8), tick=False)
    proposal_withdraw(proposal=laptop, actor=cast.ana)

    page = client_for(cast.ana).get(proposal_url(laptop))
    listed = client_for(cast.ana).get(url("decisions", slug="manila-va"))

    # 17:00 UTC is 01:00 the next day in Manila.
    line = "Withdrawn on 8 December 2026 at 01:00 by Ana Reyes before the count"
    for response in (page, listed):
        words = text_of(response)
        assert line in words
        assert "counted;" not in words
        assert "quorum 1" not in words.lower()
    assert "nothing was counted" in text_of(page)


def test_a_withdrawn_proposal_keeps_hidden_results_hidden(cast: Cast, client_for):
    proposal = propose(cast, results_visibility="after_close")
    vote_cast(proposal=proposal, voter=cast.ben, choice="no", reason="Too dear")
    proposal_withdraw(proposal=proposal, actor=cast.ana)

    page = client_for(cast.ana).get(proposal_url(proposal))
    listed = client_for(cast.ana).get(url("decisions", slug="manila-va"))

    assert page.context["results_shown"] is False
    assert "Too dear" not in page_of(page)
    assert "1 of 2 had voted when it was withdrawn." in text_of(page)
    [row] = listed.context["closed_rows"]
    assert row.tally is None
    assert "1 of 2 had voted." in text_of(listed)
    assert "gov-counts" not in page_of(listed)


# --- 5. and 12. a closed proposal's outcome in words, and its rules in the past -----------------


def close_at_deadline(proposal: Proposal, time_machine: Any) -> Proposal:
    time_machine.move_to(proposal.closes_at + dt.timedelta(seconds=1), tick=False)
    assert proposal_close(proposal_id=proposal.pk)
    proposal.refresh_from_db()
    return proposal


@pytest.mark.parametrize(
    ("fields", "ballots", "words"),
    [
        (
            {"threshold_percent": Decimal("66.67")},
            [("ana", "yes"), ("ben", "no")],
            "1 for, 1 against: a tie fails.",
        ),
        (
            {"threshold_percent": Decimal("66.67")},
            [("ana", "no"), ("ben", "no")],
            "0 % for; at least 66.67 % needed.",
        ),
        ({"quorum_percent": Decimal("100")}, [("ana", "yes")], "1 of 2 voted; 2 needed."),
        (
            {"method": "consent"},
            [("ana", "agree"), ("ben", "block")],
            "Blocked by Ben Okafor.",
        ),
    ],
)
def test_a_closed_proposal_explains_its_outcome(
    cast: Cast, client_for, time_machine, fields, ballots, words
):
    proposal = propose(cast, **fields)
    for who, choice in ballots:
        vote_cast(
            proposal=proposal,
            voter=getattr(cast, who),
            choice=choice,
            reason="Not now" if choice == "block" else "",
        )
    close_at_deadline(proposal, time_machine)

    page = client_for(cast.ben).get(proposal_url(proposal))
    listed = client_for(cast.ben).get(url("decisions", slug="manila-va"))

    assert words in text_of(page)
    assert words in text_of(listed)


def test_a_closed_proposals_rules_speak_in_the_past(cast: Cast, client_for, laptop, time_machine):
    open_page = text_of(client_for(cast.ben).get(proposal_url(laptop)))
    close_at_deadline(laptop, time_machine)

    closed = text_of(client_for(cast.ben).get(proposal_url(laptop)))

    assert "How members voted is shown all along." in open_page
    assert "How members voted was shown all along." in closed
    assert "How members voted is shown" not in closed
    assert "Quorum: at least 1 of 2 members had to vote" in closed


# --- 6. between the deadline and the count ------------------------------------------------------


def test_past_the_deadline_an_open_proposal_offers_no_vote_and_says_the_count_is_coming(
    cast: Cast, client_for, laptop, time_machine
):
    vote_cast(proposal=laptop, voter=cast.ana, choice="yes")
    time_machine.move_to(laptop.closes_at + dt.timedelta(minutes=2), tick=False)

    listed = client_for(cast.ana).get(url("decisions", slug="manila-va"))
    listed_ben = client_for(cast.ben).get(url("decisions", slug="manila-va"))
    page = client_for(cast.ben).get(proposal_url(laptop))

    # 12:00 UTC: 20:00 in Manila, 13:00 in Lagos.
    said = "Voting closed at 9 December 2026 at {} ({}); the count is made within minutes."
    assert said.format("20:00", "Asia/Manila") in text_of(listed)
    assert said.format("13:00", "Africa/Lagos") in text_of(listed_ben)
    assert said.format("13:00", "Africa/Lagos") in text_of(page)
    assert "Change your vote" not in page_of(listed)
    assert "You voted Yes." in text_of(listed)
    assert "gov-vote-link" not in page_of(listed_ben)
    assert 'name="choice"' not in page_of(page)
    for response in (listed, listed_ben, page):
        assert "0\xa0minutes" not in page_of(response)


def test_less_than_a_minute_before_the_deadline_never_reads_in_0_minutes(
    cast: Cast, client_for, laptop, time_machine
):
    time_machine.move_to(laptop.closes_at - dt.timedelta(seconds=30), tick=False)

    listed = page_of(client_for(cast.ben).get(url("decisions", slug="manila-va")))
    page = page_of(client_for(cast.ben).get(proposal_url(laptop)))
    dashboard = page_of(client_for(cast.ben).get(reverse("members:dashboard")))

    for text in (listed, page, dashboard):
        assert "in less than a minute" in text
        assert "0\xa0minutes" not in text


# --- 7. and 9. admission by vote ----------------------------------------------------------------


@pytest.fixture
def by_vote(cast: Cast) -> None:
    bylaws_adopt(
        collective=cast.collective_a,
        actor=cast.ana,
        effective_from=timezone.localdate(),
        treasury_percent="10",
        admission_rule="vote",
    )


def test_an_application_links_coordinators_to_its_vote_and_tells_the_applicant(
    cast: Cast, client_for, by_vote
):
    membership_apply(collective=cast.collective_a, user=cast.olga, note="Hello")
    vote = Proposal.objects.get(kind="admission")

    coordinator = page_of(
        client_for(cast.ana).get(reverse("collectives:detail", args=["manila-va"]))
    )
    dashboard = text_of(client_for(cast.olga).get(reverse("members:dashboard")))

    assert f'<a href="{proposal_url(vote)}">see the vote</a>' in coordinator
    assert "The members are voting on your application" in dashboard
    assert "waiting for a coordinator" not in dashboard


def test_an_admission_vote_opened_by_an_application_says_so(cast: Cast, client_for, by_vote):
    membership_apply(collective=cast.collective_a, user=cast.olga, note="Hello")
    vote = Proposal.objects.get(kind="admission")
    general = propose(cast)

    page = text_of(client_for(cast.ben).get(proposal_url(vote)))
    listed = text_of(client_for(cast.ben).get(url("decisions", slug="manila-va")))
    other = text_of(client_for(cast.ben).get(proposal_url(general)))

    assert "opened by Olga Petrova's application" in page
    assert "opened by Olga Petrova's application" in listed
    assert "proposed by Olga Petrova" not in page + listed
    assert "proposed by Ana Reyes" in other


def test_without_the_vote_rule_the_applicant_waits_for_a_coordinator(cast: Cast, client_for):
    membership_apply(collective=cast.collective_a, user=cast.olga, note="Hello")

    dashboard = text_of(client_for(cast.olga).get(reverse("members:dashboard")))

    assert "Application waiting for a coordinator" in dashboard


# --- 10. a reason that is required --------------------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True])
@pytest.mark.parametrize(
    ("fields", "choice"), [({"method": "consent"}, "block"), ({"reasons_required": True}, "yes")]
)
def test_a_missing_reason_is_said_at_the_textarea_which_takes_the_focus(
    cast: Cast, client_for, fields, choice, htmx
):
    proposal = propose(cast, **fields)
    before = snapshot()

    response = client_for(cast.ben).post(
        proposal_url(proposal, "vote"), {"choice": choice}, **(HTMX if htmx else {})
    )

    assert response.status_code == (200 if htmx else 422)
    textarea = re.search(r"<textarea id=\"vote-reason\"[^>]*>", page_of(response))
    assert textarea is not None
    assert 'aria-invalid="true"' in textarea[0]
    assert 'aria-describedby="vote-reason-error"' in textarea[0]
    assert "autofocus" in textarea[0]
    assert " required" not in textarea[0]  # the server answers, visibly
    error = re.search(
        r'<ul id="vote-reason-error" class="errorlist" role="alert">(.*?)</ul>', page_of(response)
    )
    assert error is not None and "reason" in error[1]
    assert 'class="form-errors"' not in page_of(response)  # said once, where it belongs
    assert snapshot() == before


def test_a_hint_near_the_buttons_says_a_block_needs_a_reason_first(cast: Cast, client_for):
    proposal = propose(cast, method="consent")
    plain = propose(cast, title="Plain")

    page = page_of(client_for(cast.ben).get(proposal_url(proposal)))
    other = page_of(client_for(cast.ben).get(proposal_url(plain)))

    assert "To block, write your reason first, then tap Block." in page
    assert "aria-invalid" not in page
    assert "To block" not in other


# --- 8. dates -----------------------------------------------------------------------------------


def test_a_new_proposals_message_has_no_leading_zero(cast: Cast, client_for):
    response = client_for(cast.ben).post(
        url("proposal_new", slug="manila-va"),
        new_data(closes_at="2027-01-01T09:30"),
        follow=True,
    )

    assert messages_of(response) == [
        "Your proposal is open for votes until 1 January 2027 at 09:30 (Africa/Lagos). "
        "The members have been told by email."
    ]


# --- 11. the dashboard's card and the members table on a phone ----------------------------------


def test_the_waiting_panel_is_a_card_like_the_others(cast: Cast, client_for, laptop):
    page = page_of(client_for(cast.ben).get(reverse("members:dashboard")))

    panel = page[page.index('<section aria-labelledby="waiting-heading">') :]
    panel = panel[: panel.index("</section>")]
    assert "<article>" in panel
    assert '<header><h2 id="waiting-heading">Waiting for your vote</h2></header>' in panel


def test_the_members_table_scrolls_in_its_own_box(cast: Cast, client_for):
    page = page_of(client_for(cast.ana).get(reverse("collectives:detail", args=["manila-va"])))

    members = page[page.index('id="members-heading"') :]
    assert members.index('<div class="table-scroll"><table>') < members.index("Make coordinator")
