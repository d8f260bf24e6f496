"""What a decision does: admission, bylaws change, general; and the kind registry."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from mutualist.collectives.models import Bylaws, Membership
from mutualist.collectives.selectors import bylaws_in_force
from mutualist.collectives.services import membership_apply, membership_turn_down
from mutualist.core.errors import Conflict, ValidationFailed
from mutualist.governance.handlers import ADMISSION, GENERAL
from mutualist.governance.kinds import (
    KindHandler,
    available_kinds,
    handler_for,
    register,
    unregister,
)
from mutualist.governance.models import Proposal
from mutualist.governance.services import (
    admission_vote_open,
    proposal_close,
    proposal_create,
    vote_cast,
)
from mutualist.governance.tests.helpers import NOW, general, kind_handled_by, snapshot
from mutualist.members.models import User

CLOSES = NOW + dt.timedelta(days=3)
CLOSING_DAY = CLOSES.date()


@pytest.fixture(autouse=True)
def _frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


def close_with(
    proposal: Proposal, choice: str, time_machine: Any, *, voters: list[User]
) -> Proposal:
    for voter in voters:
        vote_cast(proposal=proposal, voter=voter, choice=choice)
    time_machine.move_to(proposal.closes_at, tick=False)
    assert proposal_close(proposal_id=proposal.pk)
    proposal.refresh_from_db()
    return proposal


# --- The registry ------------------------------------------------------------------------------


def test_the_builtin_kinds_and_the_funds_kinds_are_registered():
    assert sorted(available_kinds()) == [
        "admission",
        "bylaws_change",
        "claim_approval",
        "fund_rule_change",
        "general",
        "write_off",
    ]
    assert handler_for("general") is GENERAL
    assert handler_for("claim_approval") is not None


def test_a_kind_registered_for_a_test_can_be_proposed_and_unregistered(cast):
    handler = KindHandler(kind="fund_rule_change", validate=lambda draft: {"checked": True})
    funds_handler = handler_for("fund_rule_change")
    with kind_handled_by("fund_rule_change", None):
        assert register(handler) is handler
        assert register(handler) is handler  # the same again is a no-op
        assert "fund_rule_change" in available_kinds()
        proposal = general(cast, kind="fund_rule_change", payload={"raw": 1})
        assert proposal.payload == {"checked": True}
        unregister("fund_rule_change")
        assert "fund_rule_change" not in available_kinds()
        with pytest.raises(ValidationFailed) as refused:
            general(cast, kind="fund_rule_change")
        assert refused.value.code == "kind_unavailable"
    assert handler_for("fund_rule_change") is funds_handler


def test_registering_a_different_handler_for_a_taken_kind_is_refused():
    with pytest.raises(ImproperlyConfigured, match="already has a handler"):
        register(KindHandler(kind="general", validate=lambda draft: {}))
    assert handler_for("general") is GENERAL


def test_registering_an_unknown_kind_is_refused():
    with pytest.raises(ImproperlyConfigured, match="not a proposal kind"):
        register(KindHandler(kind="raffle", validate=lambda draft: {}))


# --- General --------------------------------------------------------------------------------


def test_a_general_proposal_is_recorded_only(cast, time_machine):
    proposal = close_with(general(cast, closes_at=CLOSES), "yes", time_machine, voters=[cast.ana])
    assert (proposal.outcome, proposal.applied_note) == ("passed", "")
    assert proposal.applied_at == CLOSES


# --- Admission ------------------------------------------------------------------------------


@pytest.fixture
def application(cast):
    return membership_apply(collective=cast.collective_a, user=cast.olga, note="I answer chats.")


def test_a_passed_admission_vote_makes_the_applicant_a_member(cast, application, time_machine):
    proposal = admission_vote_open(membership=application)
    assert proposal.payload == {"membership_id": application.pk, "applicant": "Olga Petrova"}
    assert (proposal.author, proposal.title) == (cast.olga, "Admit Olga Petrova")
    assert "I answer chats." in proposal.body

    proposal = close_with(proposal, "yes", time_machine, voters=[cast.ana, cast.ben])

    application.refresh_from_db()
    assert application.state == Membership.State.ACTIVE
    assert proposal.applied_note == "Olga Petrova is now a member."


def test_a_failed_admission_vote_turns_the_application_down(cast, application, time_machine):
    proposal = admission_vote_open(membership=application)
    proposal = close_with(proposal, "no", time_machine, voters=[cast.ana, cast.ben])

    assert proposal.outcome == "failed"
    assert not Membership.objects.filter(pk=application.pk).exists()  # a first-time applicant
    assert proposal.applied_note == "Olga Petrova's application was turned down."


def test_an_application_decided_meanwhile_withdraws_its_vote(cast, application, time_machine):
    proposal = admission_vote_open(membership=application)
    vote_cast(proposal=proposal, voter=cast.ana, choice="yes")
    membership_turn_down(membership=application)

    proposal.refresh_from_db()
    assert (proposal.state, proposal.outcome) == ("withdrawn", "")
    assert proposal.applied_note == (
        "Withdrawn: a coordinator turned down the application before the vote closed."
    )
    time_machine.move_to(CLOSES + dt.timedelta(days=5), tick=False)
    assert not proposal_close(proposal_id=proposal.pk)
    assert not Membership.objects.filter(collective=cast.collective_a, user=cast.olga).exists()


def test_an_application_gone_without_a_decision_is_recorded_in_the_note(
    cast, application, time_machine
):
    # The application row went away by a path that decides nothing (here,
    # deleted outright): the vote still closes, and the note says why
    # nothing was applied.
    proposal = admission_vote_open(membership=application)
    vote_cast(proposal=proposal, voter=cast.ana, choice="yes")
    Membership.objects.filter(pk=application.pk).delete()

    time_machine.move_to(CLOSES + dt.timedelta(days=5), tick=False)
    assert proposal_close(proposal_id=proposal.pk)

    proposal.refresh_from_db()
    assert (proposal.state, proposal.outcome) == ("closed", "passed")
    assert proposal.applied_note == (
        "Not applied: The application was withdrawn or decided meanwhile."
    )


def test_an_applicant_whose_account_was_closed_is_not_admitted(cast, application, time_machine):
    proposal = admission_vote_open(membership=application)
    vote_cast(proposal=proposal, voter=cast.ana, choice="yes")
    cast.olga.is_active = False
    cast.olga.save(update_fields=["is_active"])
    time_machine.move_to(proposal.closes_at, tick=False)

    assert proposal_close(proposal_id=proposal.pk)

    proposal.refresh_from_db()
    assert proposal.applied_note.startswith("Not applied: This applicant's account")
    application.refresh_from_db()
    assert application.state == Membership.State.APPLIED


def test_a_member_may_open_the_vote_on_a_waiting_application_once(cast, application):
    proposal = general(cast, kind="admission", payload={"membership_id": application.pk})
    assert proposal.kind == "admission"
    before = snapshot()
    with pytest.raises(Conflict) as refused:
        general(cast, kind="admission", payload={"membership_id": application.pk})
    assert refused.value.code == "admission_vote_open"
    assert snapshot() == before


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({}, "membership_required"),
        ({"membership_id": True}, "membership_required"),
        ({"membership_id": "1"}, "membership_required"),
        ({"membership_id": 2**63}, "membership_required"),
        ({"membership_id": 999999}, "membership_not_found"),
    ],
)
def test_an_admission_proposal_names_an_existing_application(cast, payload, code):
    with pytest.raises(ValidationFailed) as refused:
        general(cast, kind="admission", payload=payload)
    assert refused.value.code == code
    assert Proposal.objects.count() == 0


def test_an_admission_vote_needs_a_waiting_application(cast):
    ben = Membership.objects.get(collective=cast.collective_a, user=cast.ben)
    carla = Membership.objects.get(collective=cast.collective_b, user=cast.carla)
    with pytest.raises(Conflict) as refused:
        general(cast, kind="admission", payload={"membership_id": ben.pk})
    assert (refused.value.code, refused.value.status) == ("not_applied", 409)
    with pytest.raises(ValidationFailed) as elsewhere:
        general(cast, kind="admission", payload={"membership_id": carla.pk})
    assert elsewhere.value.code == "membership_not_found"
    assert Proposal.objects.count() == 0


def test_the_admission_description_follows_the_application(cast, application):
    proposal = admission_vote_open(membership=application)
    assert ADMISSION.describe(proposal) == [
        ("Applicant", "Olga Petrova"),
        ("Application", "Applied"),
    ]
    Membership.objects.filter(pk=application.pk).delete()
    assert ADMISSION.describe(proposal) == [
        ("Applicant", "Olga Petrova (application no longer open)")
    ]


# --- Bylaws change ---------------------------------------------------------------------------


def bylaws_proposal(cast, **payload) -> Proposal:
    return proposal_create(
        collective=cast.collective_a,
        author=cast.ana,
        kind="bylaws_change",
        title="Treasury 12 %",
        payload={"effective_from": CLOSING_DAY.isoformat(), **payload},
        closes_at=CLOSES,
    )


def test_the_payload_is_filled_in_from_the_version_in_force(cast):
    proposal = bylaws_proposal(cast, shares={"treasury": "12"})
    assert proposal.payload == {
        "effective_from": "2026-12-10",
        "shares": {"treasury": "12.00"},
        "admission_rule": "coordinator",
        "member_share_basis": "bill",
        "notes": "",
        "replaces_version": 1,
    }


def test_a_passed_bylaws_change_is_in_force_from_its_date(cast, time_machine):
    effective = CLOSING_DAY + dt.timedelta(days=21)
    proposal = bylaws_proposal(
        cast, effective_from=effective.isoformat(), shares={"treasury": "12"}, notes="More saving"
    )
    proposal = close_with(proposal, "yes", time_machine, voters=[cast.ana, cast.ben])

    assert proposal.applied_note == "Bylaws version 2 is in force from 31 December 2026."
    assert (
        bylaws_in_force(collective=cast.collective_a, on=effective - dt.timedelta(days=1)).version
        == 1
    )
    new = bylaws_in_force(collective=cast.collective_a, on=effective)
    assert (new.version, new.notes, new.created_by) == (2, "More saving", cast.ana)
    assert {s.recipient: s.percent for s in new.split_shares.all()} == {
        "treasury": Decimal("12.00")
    }


def test_a_bylaws_change_closed_late_takes_effect_on_the_day_it_is_applied(cast, time_machine):
    proposal = bylaws_proposal(cast, admission_rule="open")
    for voter in (cast.ana, cast.ben):
        vote_cast(proposal=proposal, voter=voter, choice="yes")
    late = CLOSES + dt.timedelta(days=2)
    time_machine.move_to(late, tick=False)
    assert proposal_close(proposal_id=proposal.pk)

    proposal.refresh_from_db()
    assert proposal.applied_note == (
        "Bylaws version 2 is in force from 12 December 2026 (the proposed 10 December 2026 had passed)."
    )
    new = bylaws_in_force(collective=cast.collective_a, on=late.date())
    assert (new.version, new.admission_rule, new.notes) == (
        2,
        "open",
        f"Adopted by proposal #{proposal.pk}: Treasury 12 %",
    )


def test_a_bylaws_change_overtaken_by_another_is_not_applied(cast, time_machine):
    # Two changes open at once, both amending version 1: the first to pass
    # makes version 2; the second would re-enact version 1's admission rule
    # over it, so it is recorded as passed and not applied.
    treasury = bylaws_proposal(cast, shares={"treasury": "12"})
    admission = proposal_create(
        collective=cast.collective_a,
        author=cast.ben,
        kind="bylaws_change",
        title="Open admission",
        payload={
            "effective_from": (CLOSING_DAY + dt.timedelta(days=1)).isoformat(),
            "admission_rule": "open",
        },
        closes_at=CLOSES + dt.timedelta(days=1),
    )
    for proposal in (treasury, admission):
        for voter in (cast.ana, cast.ben):
            vote_cast(proposal=proposal, voter=voter, choice="yes")
    time_machine.move_to(CLOSES, tick=False)
    assert proposal_close(proposal_id=treasury.pk)
    time_machine.move_to(CLOSES + dt.timedelta(days=1), tick=False)
    assert proposal_close(proposal_id=admission.pk)

    admission.refresh_from_db()
    assert admission.outcome == "passed"
    assert admission.applied_note.startswith(
        "Not applied: version 2 of the bylaws was adopted after this proposal was made"
    )
    assert list(
        Bylaws.objects.filter(collective=cast.collective_a).values_list("version", flat=True)
    ) == [2, 1]
    in_force = bylaws_in_force(collective=cast.collective_a, on=CLOSING_DAY + dt.timedelta(days=2))
    assert (in_force.version, in_force.admission_rule) == (2, "coordinator")


def test_a_failed_bylaws_change_adds_no_version(cast, time_machine):
    proposal = close_with(
        bylaws_proposal(cast, shares={"treasury": "12"}), "no", time_machine, voters=[cast.ana]
    )
    assert proposal.outcome == "failed"
    assert Bylaws.objects.filter(collective=cast.collective_a).count() == 1


@pytest.mark.parametrize(
    ("payload", "code", "field"),
    [
        ({"effective_from": None}, "invalid_date", "effective_from"),
        ({"effective_from": "10/12/2026"}, "invalid_date", "effective_from"),
        ({"effective_from": "2026-12-09"}, "effective_before_close", "effective_from"),
        ({"shares": {"treasury": "12"}, "colour": "red"}, "invalid_payload", "colour"),
        ({"shares": ["treasury", "12"]}, "invalid_payload", "shares"),
        ({"shares": {"treasury": "101"}}, "percentage_out_of_range", "treasury_percent"),
        ({"shares": {"treasury": "9", "Bogus Fund!": "1"}}, "invalid_recipient", "split"),
        ({"shares": {"t" * 33: "1"}}, "invalid_recipient", "split"),
        ({"admission_rule": "lottery"}, "invalid_admission_rule", "admission_rule"),
        ({"member_share_basis": "height"}, "invalid_share_basis", "member_share_basis"),
        ({"notes": 12, "shares": {"treasury": "12"}}, "invalid_payload", "notes"),
        ({}, "bylaws_unchanged", "shares"),
        ({"shares": {"treasury": "10.00"}, "notes": "Only words"}, "bylaws_unchanged", "shares"),
    ],
)
def test_a_bad_bylaws_change_is_refused_and_nothing_written(
    cast, mailoutbox, django_capture_on_commit_callbacks, payload, code, field
):
    before = snapshot()
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(ValidationFailed) as refused,
    ):
        bylaws_proposal(cast, **payload)
    assert (refused.value.code, refused.value.field) == (code, field)
    assert snapshot() == before
    assert mailoutbox == []


def test_a_bylaws_change_needs_an_effective_date(cast):
    with pytest.raises(ValidationFailed) as refused:
        proposal_create(
            collective=cast.collective_a,
            author=cast.ana,
            kind="bylaws_change",
            title="No date",
            payload={"shares": {"treasury": "12"}},
            closes_at=CLOSES,
        )
    assert refused.value.code == "effective_from_required"
    assert Proposal.objects.count() == 0


def test_the_bylaws_description_lists_the_new_split(cast):
    from mutualist.governance.handlers import BYLAWS_CHANGE

    proposal = bylaws_proposal(cast, shares={"treasury": "12.5"})
    assert BYLAWS_CHANGE.describe(proposal) == [
        ("Takes effect on", "10 December 2026"),
        ("Treasury share", "12.50 %"),
        ("Members who did the work", "87.50 %"),
        ("Members' part shared", Bylaws.ShareBasis.BILL.label),
        ("Admission", Bylaws.AdmissionRule.COORDINATOR.label),
        ("Replaces", "version 1"),
    ]


def test_the_applicant_hears_the_outcome_of_a_vote_a_member_opened(
    cast, application, time_machine, mailoutbox, django_capture_on_commit_callbacks
):
    # given Ben opened the vote on Olga's application (she is not its author)
    proposal = general(
        cast,
        author=cast.ben,
        kind="admission",
        title="Admit Olga Petrova",
        payload={"membership_id": application.pk},
    )
    vote_cast(proposal=proposal, voter=cast.ana, choice="no")
    time_machine.move_to(proposal.closes_at, tick=False)

    with django_capture_on_commit_callbacks(execute=True):
        assert proposal_close(proposal_id=proposal.pk)

    # then she is told she was turned down, though her row is gone
    assert not Membership.objects.filter(pk=application.pk).exists()
    assert sorted(m.to[0] for m in mailoutbox) == [
        "ana@example.org",
        "ben@example.org",
        "olga@example.org",
    ]
    assert mailoutbox[-1].subject == "[Manila Virtual Assistants] Failed: Admit Olga Petrova"
