"""Closing: at the deadline or once everyone voted, once, with the outcome applied once;
the reminder and outcome emails; `mutualist tick`."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from mutualist.core.errors import Conflict
from mutualist.governance.kinds import KindHandler
from mutualist.governance.models import Proposal, Vote
from mutualist.governance.services import (
    proposal_close,
    proposals_close_due,
    proposals_everyone_voted,
    reminders_due,
    vote_cast,
    vote_retract,
)
from mutualist.governance.tests.helpers import NOW, add_member, general, kind_handled_by

CLOSES = NOW + dt.timedelta(days=3)


@pytest.fixture(autouse=True)
def _frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def counting_kind():
    """A handler of our own for "write_off" (in place of the funds' one) that
    counts how often its outcome is applied, and can be made to refuse or crash."""
    calls: list[tuple[str, int]] = []
    behaviour = {"raise": None}

    def on_passed(proposal):
        calls.append(("passed", proposal.pk))
        if behaviour["raise"] is not None:
            raise behaviour["raise"]
        Proposal.objects.filter(pk=proposal.pk).update(title="Applied")
        return "Written off."

    def on_rejected(proposal):
        calls.append((proposal.outcome, proposal.pk))
        return "Nothing written off."

    handler = KindHandler(
        kind="write_off", validate=lambda draft: {}, on_passed=on_passed, on_rejected=on_rejected
    )
    with kind_handled_by("write_off", handler):
        yield calls, behaviour


def test_a_proposal_closes_at_its_deadline_and_not_before(cast, time_machine):
    proposal = general(cast, closes_at=CLOSES)
    vote_cast(proposal=proposal, voter=cast.ana, choice="yes")

    time_machine.move_to(CLOSES - dt.timedelta(seconds=1), tick=False)
    assert proposals_close_due() == 0
    time_machine.move_to(CLOSES, tick=False)
    assert proposals_close_due() == 1

    proposal.refresh_from_db()
    assert (proposal.state, proposal.outcome, proposal.closed_at) == ("closed", "passed", CLOSES)
    assert proposal.tally == {
        "eligible": 2,
        "voted": 1,
        "direct": 1,
        "by_proxy": 0,
        "quorum_needed": 1,
        "counts": {"yes": 1},
    }
    assert (proposal.applied_at, proposal.applied_note) == (CLOSES, "")
    assert proposals_close_due() == 0


def test_a_proposal_closes_early_once_everyone_voted_themselves(cast):
    proposal = general(cast, closes_at=CLOSES)
    vote_cast(proposal=proposal, voter=cast.ana, choice="yes")
    assert proposals_everyone_voted() == []
    vote_cast(proposal=proposal, voter=cast.ben, choice="no")
    assert proposals_everyone_voted() == [proposal.pk]

    assert proposals_close_due() == 1
    proposal.refresh_from_db()
    assert (proposal.state, proposal.outcome, proposal.closed_at) == ("closed", "failed", NOW)


def test_a_proxy_vote_does_not_cut_anyones_time_short(cast):
    from mutualist.governance.services import delegation_create

    proposal = general(cast, closes_at=CLOSES)
    delegation_create(collective=cast.collective_a, delegator=cast.ana, delegate=cast.ben)
    vote_cast(proposal=proposal, voter=cast.ben, choice="yes")

    assert proposals_everyone_voted() == []
    assert proposals_close_due() == 0
    assert Proposal.objects.get(pk=proposal.pk).state == "open"


def test_an_applicant_and_other_collectives_do_not_hold_up_an_early_close(cast):
    mine = general(cast, closes_at=CLOSES)
    theirs = general(cast, collective=cast.collective_b, author=cast.carla, closes_at=CLOSES)
    vote_cast(proposal=mine, voter=cast.ana, choice="yes")
    vote_cast(proposal=mine, voter=cast.ben, choice="yes")
    # Carla voting in A is impossible; her own proposal in B waits for her
    assert proposals_everyone_voted() == [mine.pk]
    vote_cast(proposal=theirs, voter=cast.carla, choice="yes")
    assert proposals_everyone_voted() == [mine.pk, theirs.pk]


def test_a_retraction_after_the_list_was_read_keeps_the_proposal_open(cast, monkeypatch):
    # given everyone voted when the tick read its list...
    proposal = general(cast, closes_at=CLOSES)
    vote_cast(proposal=proposal, voter=cast.ana, choice="yes")
    vote_cast(proposal=proposal, voter=cast.ben, choice="yes")
    from mutualist.governance.services import closing

    listed = closing.proposals_everyone_voted()
    # ...and Ben took his vote back before the tick got to the proposal
    vote_retract(proposal=proposal, voter=cast.ben)
    monkeypatch.setattr(closing, "proposals_everyone_voted", lambda now=None: listed)

    assert proposals_close_due() == 0

    proposal.refresh_from_db()
    assert proposal.state == "open"


def test_without_quorum_the_outcome_is_no_quorum_and_rejection_is_applied(
    cast, time_machine, counting_kind
):
    calls, _ = counting_kind
    add_member(cast.collective_a, "dee@example.org", "Dee Santos")
    proposal = general(cast, kind="write_off", closes_at=CLOSES, quorum_percent="67")
    vote_cast(proposal=proposal, voter=cast.ana, choice="yes")
    time_machine.move_to(CLOSES, tick=False)

    proposals_close_due()

    proposal.refresh_from_db()
    assert (proposal.outcome, proposal.tally["quorum_needed"]) == ("no_quorum", 3)
    assert calls == [("no_quorum", proposal.pk)]
    assert proposal.applied_note == "Nothing written off."


def test_the_outcome_is_applied_once_however_often_it_is_closed(
    cast, time_machine, counting_kind, mailoutbox, django_capture_on_commit_callbacks
):
    calls, _ = counting_kind
    proposal = general(cast, kind="write_off", closes_at=CLOSES)
    vote_cast(proposal=proposal, voter=cast.ana, choice="yes")
    time_machine.move_to(CLOSES, tick=False)

    with django_capture_on_commit_callbacks(execute=True):
        results = [
            proposal_close(proposal_id=proposal.pk),
            proposal_close(proposal_id=proposal.pk),
            proposal_close(proposal_id=proposal.pk, early=True),
            proposals_close_due(),
        ]

    assert results == [True, False, False, 0]
    assert calls == [("passed", proposal.pk)]
    proposal.refresh_from_db()
    assert (proposal.title, proposal.applied_note) == ("Applied", "Written off.")
    # one outcome email per member
    assert sorted(m.to[0] for m in mailoutbox) == ["ana@example.org", "ben@example.org"]


def test_a_handlers_refusal_is_recorded_as_the_note_and_the_proposal_still_closes(
    cast, time_machine, counting_kind
):
    calls, behaviour = counting_kind
    behaviour["raise"] = Conflict("The fund is empty.", code="fund_empty")
    proposal = general(cast, kind="write_off", closes_at=CLOSES)
    vote_cast(proposal=proposal, voter=cast.ana, choice="yes")
    time_machine.move_to(CLOSES, tick=False)

    assert proposals_close_due() == 1

    proposal.refresh_from_db()
    assert (proposal.state, proposal.outcome) == ("closed", "passed")
    assert proposal.applied_note == "Not applied: The fund is empty."
    assert proposal.title == "Buy a shared laptop"  # the handler's write was rolled back


def test_a_crashing_handler_leaves_its_proposal_open_and_the_others_still_close(
    cast, time_machine, counting_kind
):
    calls, behaviour = counting_kind
    broken = general(cast, kind="write_off", closes_at=CLOSES)
    fine = general(cast, closes_at=CLOSES + dt.timedelta(minutes=1))
    vote_cast(proposal=broken, voter=cast.ana, choice="yes")
    behaviour["raise"] = RuntimeError("bug in the handler")
    time_machine.move_to(CLOSES + dt.timedelta(minutes=2), tick=False)

    with pytest.raises(RuntimeError):
        proposals_close_due()

    broken.refresh_from_db()
    fine.refresh_from_db()
    assert (broken.state, broken.tally, broken.outcome) == ("open", {}, "")
    assert not Vote.objects.filter(proposal=broken, proxy__isnull=False).exists()
    assert fine.state == "closed"
    # fixed, the next tick closes it
    behaviour["raise"] = None
    assert proposals_close_due() == 1
    assert Proposal.objects.get(pk=broken.pk).outcome == "passed"


def test_a_kind_without_a_handler_is_closed_and_recorded_only(cast, time_machine):
    with kind_handled_by(
        "claim_approval", KindHandler(kind="claim_approval", validate=lambda draft: {})
    ):
        proposal = general(cast, kind="claim_approval", closes_at=CLOSES)
    time_machine.move_to(CLOSES, tick=False)

    with kind_handled_by("claim_approval", None):
        assert proposals_close_due() == 1

    proposal.refresh_from_db()
    assert proposal.state == "closed"
    assert proposal.applied_note == (
        "No handler is registered for this kind; the outcome is recorded only."
    )


def test_a_withdrawn_proposal_is_never_closed(cast, time_machine):
    from mutualist.governance.services import proposal_withdraw

    proposal = general(cast, closes_at=CLOSES)
    proposal_withdraw(proposal=proposal, actor=cast.ana)
    time_machine.move_to(CLOSES, tick=False)
    assert proposals_close_due() == 0
    assert not proposal_close(proposal_id=proposal.pk)
    assert Proposal.objects.get(pk=proposal.pk).state == "withdrawn"


def test_closing_a_missing_proposal_does_nothing(db):
    assert proposal_close(proposal_id=987654) is False


# --- Emails --------------------------------------------------------------------------------


def test_the_reminder_goes_once_a_day_before_close_to_those_who_have_not_voted(
    cast, time_machine, mailoutbox, django_capture_on_commit_callbacks
):
    dee = add_member(cast.collective_a, "dee@example.org", "Dee Santos")
    proposal = general(cast, closes_at=CLOSES)
    vote_cast(proposal=proposal, voter=cast.ben, choice="yes")

    time_machine.move_to(CLOSES - dt.timedelta(hours=25), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_due() == 0
    time_machine.move_to(CLOSES - dt.timedelta(hours=24), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_due() == 1
        assert reminders_due() == 0
    time_machine.move_to(CLOSES - dt.timedelta(hours=2), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_due() == 0

    assert sorted(m.to[0] for m in mailoutbox) == ["ana@example.org", dee.email]
    assert "closes in a day" in mailoutbox[0].subject
    assert Proposal.objects.get(pk=proposal.pk).reminder_sent_at == CLOSES - dt.timedelta(hours=24)


def test_no_reminder_for_a_proposal_open_a_day_or_less(cast, mailoutbox):
    general(cast, closes_at=NOW + dt.timedelta(hours=24))
    general(cast, closes_at=NOW + dt.timedelta(hours=5))
    assert reminders_due() == 0
    assert mailoutbox == []


def test_the_outcome_mail_goes_after_commit_to_every_member(
    cast, time_machine, mailoutbox, django_capture_on_commit_callbacks
):
    proposal = general(cast, closes_at=CLOSES)
    vote_cast(proposal=proposal, voter=cast.ana, choice="yes")
    time_machine.move_to(CLOSES, tick=False)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        proposals_close_due()
    assert mailoutbox == []  # nothing before commit
    for callback in callbacks:
        callback()

    assert sorted(m.to[0] for m in mailoutbox) == ["ana@example.org", "ben@example.org"]
    assert mailoutbox[0].subject == "[Manila Virtual Assistants] Passed: Buy a shared laptop"
    assert "1 of 2 members voted" in mailoutbox[0].body


# --- mutualist tick -------------------------------------------------------------------------


def test_tick_runs_both_jobs_and_a_second_run_does_nothing(
    cast, time_machine, mailoutbox, django_capture_on_commit_callbacks
):
    due = general(cast, closes_at=NOW + dt.timedelta(days=1))
    reminded = general(cast, closes_at=NOW + dt.timedelta(days=2))
    vote_cast(proposal=due, voter=cast.ana, choice="yes")
    time_machine.move_to(NOW + dt.timedelta(days=1, hours=1), tick=False)

    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("tick", stdout=out)
    assert "governance.close_proposals: 1" in out.getvalue()
    assert "governance.remind_voters: 1" in out.getvalue()
    sent = len(mailoutbox)
    assert sent == 2 + 2  # the outcome to Ana and Ben, the reminder to both

    again = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("tick", stdout=again)
    assert "governance.close_proposals: 0" in again.getvalue()
    assert "governance.remind_voters: 0" in again.getvalue()
    assert len(mailoutbox) == sent
    assert Proposal.objects.get(pk=reminded.pk).state == "open"


def test_tick_reports_the_close_job_failed_when_a_handler_crashes(
    cast, time_machine, counting_kind
):
    _, behaviour = counting_kind
    behaviour["raise"] = RuntimeError("bug")
    proposal = general(cast, kind="write_off", closes_at=CLOSES)
    vote_cast(proposal=proposal, voter=cast.ana, choice="yes")
    time_machine.move_to(CLOSES, tick=False)
    with pytest.raises(CommandError, match="governance.close_proposals"):
        call_command("tick", stdout=StringIO(), stderr=StringIO())
