"""Making and withdrawing proposals: what is refused, and that nothing is written then."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from mutualist.collectives.models import Membership
from mutualist.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from mutualist.governance.kinds import KindHandler
from mutualist.governance.markdown import BODY_MAX
from mutualist.governance.models import Proposal
from mutualist.governance.services import proposal_withdraw, vote_cast
from mutualist.governance.tests.helpers import NOW, general, kind_handled_by, snapshot


@pytest.fixture(autouse=True)
def _frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


def test_a_member_makes_a_proposal_and_the_others_are_told_after_commit(
    cast, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        proposal = general(cast, quorum_percent="60", threshold_percent="66.67")

    proposal.refresh_from_db()
    assert (proposal.state, proposal.opened_at, proposal.author) == ("open", NOW, cast.ana)
    assert (proposal.quorum_percent, proposal.threshold_percent) == (
        Decimal("60.00"),
        Decimal("66.67"),
    )
    assert proposal.payload == {}
    # Ben is told; Ana (the author) is not; Carla (collective B) and Olga are not.
    assert [m.to for m in mailoutbox] == [["ben@example.org"]]
    assert "Buy a shared laptop" in mailoutbox[0].subject
    assert f"/decisions/{proposal.pk}/" in mailoutbox[0].body


def test_a_rolled_back_creation_mails_no_one(cast, mailoutbox, django_capture_on_commit_callbacks):
    from django.db import transaction

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        general(cast)
        raise RuntimeError("the request failed after the proposal was made")

    assert Proposal.objects.count() == 0
    assert mailoutbox == []


REFUSALS = [
    # Claims open their own approval votes; members do not.
    ({"kind": "claim_approval"}, ValidationFailed, "kind_not_proposable", "kind"),
    ({"kind": "lottery"}, ValidationFailed, "invalid_kind", "kind"),
    ({"title": "   "}, ValidationFailed, "title_required", "title"),
    ({"title": "x" * 201}, ValidationFailed, "title_too_long", "title"),
    ({"body": "x" * (BODY_MAX + 1)}, ValidationFailed, "body_too_long", "body"),
    ({"method": "ranked"}, ValidationFailed, "invalid_method", "method"),
    ({"quorum_percent": "-1"}, ValidationFailed, "quorum_out_of_range", "quorum_percent"),
    ({"quorum_percent": "100.01"}, ValidationFailed, "quorum_out_of_range", "quorum_percent"),
    ({"quorum_percent": "NaN"}, ValidationFailed, "quorum_out_of_range", "quorum_percent"),
    ({"quorum_percent": "half"}, ValidationFailed, "invalid_percentage", "quorum_percent"),
    ({"quorum_percent": "50.005"}, ValidationFailed, "invalid_percentage", "quorum_percent"),
    (
        {"threshold_percent": "49.99"},
        ValidationFailed,
        "threshold_out_of_range",
        "threshold_percent",
    ),
    ({"threshold_percent": "101"}, ValidationFailed, "threshold_out_of_range", "threshold_percent"),
    (
        {"results_visibility": "never"},
        ValidationFailed,
        "invalid_results_visibility",
        "results_visibility",
    ),
    ({"closes_at": NOW}, ValidationFailed, "closes_at_in_past", "closes_at"),
    (
        {"closes_at": NOW - dt.timedelta(minutes=1)},
        ValidationFailed,
        "closes_at_in_past",
        "closes_at",
    ),
    (
        {"closes_at": dt.datetime(2026, 12, 10, 9, 0)},  # noqa: DTZ001 - the point of the test
        ValidationFailed,
        "closes_at_naive",
        "closes_at",
    ),
    (
        {"closes_at": NOW + dt.timedelta(days=367)},
        ValidationFailed,
        "closes_at_too_late",
        "closes_at",
    ),
    ({"payload": {"anything": 1}}, ValidationFailed, "invalid_payload", "payload"),
]


@pytest.mark.parametrize(("change", "error", "code", "field"), REFUSALS)
def test_a_bad_proposal_is_refused_and_nothing_is_written(
    cast, mailoutbox, django_capture_on_commit_callbacks, change, error, code, field
):
    before = snapshot()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(error) as refused:
        general(cast, **change)
    assert (refused.value.code, refused.value.field) == (code, field)
    assert snapshot() == before
    assert mailoutbox == []


@pytest.mark.parametrize("who", ["carla", "olga"])
def test_someone_outside_the_collective_cannot_propose(cast, mailoutbox, who):
    with pytest.raises(NotFound) as refused:
        general(cast, author=getattr(cast, who))
    assert refused.value.code == "not_found"
    assert Proposal.objects.count() == 0
    assert mailoutbox == []


def test_a_member_who_left_or_whose_account_was_closed_cannot_propose(cast):
    from mutualist.collectives.services import membership_leave

    ben = Membership.objects.get(collective=cast.collective_a, user=cast.ben)
    membership_leave(membership=ben, actor=cast.ben)
    with pytest.raises(NotFound):
        general(cast, author=cast.ben)
    Membership.objects.filter(pk=ben.pk).update(state="active", left_at=None)
    cast.ben.is_active = False
    cast.ben.save(update_fields=["is_active"])
    with pytest.raises(NotFound):
        general(cast, author=cast.ben)
    assert Proposal.objects.count() == 0


def test_a_kind_opened_only_by_the_system_cannot_be_proposed_by_a_member(cast):
    handler = KindHandler(kind="write_off", validate=lambda draft: {}, members_may_propose=False)
    with kind_handled_by("write_off", handler):
        with pytest.raises(ValidationFailed) as refused:
            general(cast, kind="write_off")
        assert refused.value.code == "kind_not_proposable"
        assert Proposal.objects.count() == 0
        assert general(cast, kind="write_off", system=True).kind == "write_off"


def test_a_kind_with_no_handler_cannot_be_proposed(cast):
    with kind_handled_by("write_off", None), pytest.raises(ValidationFailed) as refused:
        general(cast, kind="write_off")
    assert refused.value.code == "kind_unavailable"
    assert Proposal.objects.count() == 0


def test_a_closing_time_exactly_a_year_and_a_day_ahead_is_accepted(cast):
    proposal = general(cast, closes_at=NOW + dt.timedelta(days=366))
    assert proposal.closes_at == NOW + dt.timedelta(days=366)


# --- Withdrawing ---------------------------------------------------------------------------


def test_the_author_withdraws_an_open_proposal(cast):
    proposal = general(cast, author=cast.ben)
    proposal = proposal_withdraw(proposal=proposal, actor=cast.ben)
    assert (proposal.state, proposal.closed_at, proposal.outcome) == ("withdrawn", NOW, "")


def test_a_coordinator_withdraws_someone_elses_proposal(cast):
    proposal = general(cast, author=cast.ben)
    assert proposal_withdraw(proposal=proposal, actor=cast.ana).state == "withdrawn"


def test_another_member_cannot_withdraw_a_proposal(cast):
    proposal = general(cast, author=cast.ana)
    before = snapshot()
    with pytest.raises(PermissionDenied) as refused:
        proposal_withdraw(proposal=proposal, actor=cast.ben)
    assert refused.value.code == "not_author"
    assert snapshot() == before


def test_an_outsider_cannot_withdraw_a_proposal(cast):
    proposal = general(cast)
    before = snapshot()
    with pytest.raises(NotFound):
        proposal_withdraw(proposal=proposal, actor=cast.carla)
    assert snapshot() == before


def test_a_closed_or_withdrawn_proposal_cannot_be_withdrawn(cast):
    from mutualist.governance.services import proposal_close

    closed = general(cast)
    proposal_close(proposal_id=closed.pk, early=True)
    withdrawn = proposal_withdraw(proposal=general(cast), actor=cast.ana)
    before = snapshot()
    for proposal in (closed, withdrawn):
        with pytest.raises(Conflict) as refused:
            proposal_withdraw(proposal=proposal, actor=cast.ana)
        assert refused.value.code == "proposal_closed"
    assert snapshot() == before


def test_a_proposal_past_its_deadline_cannot_be_withdrawn_before_the_tick_closes_it(
    cast, time_machine
):
    # given a proposal that is failing when its deadline passes
    proposal = general(cast, closes_at=NOW + dt.timedelta(hours=1))
    vote_cast(proposal=proposal, voter=cast.ben, choice="no")
    time_machine.move_to(NOW + dt.timedelta(hours=2), tick=False)
    before = snapshot()

    # when its author tries to withdraw it before the tick has closed it
    with pytest.raises(Conflict) as refused:
        proposal_withdraw(proposal=proposal, actor=cast.ana)

    # then the outcome still stands to be recorded
    assert refused.value.code == "voting_closed"
    assert snapshot() == before
