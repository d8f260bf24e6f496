"""Team proposals for a draft pitch: the matching engine's cheapest team from
the collective's active members, and applying it to the draft.

Coordinators of the pitching collective only (another member gets 403
``not_coordinator``, anyone else 404), on a draft (409 ``pitch_not_draft``).
Neither operation runs inside one database transaction: the engine may
search for up to ``WORK_MATCH_TIME_LIMIT`` seconds, and holding the write
lock meanwhile would stall every other writer; applying writes the team in
one short transaction of its own (``pitch_team_apply_proposal``).
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from mutualist.api.auth import request_user
from mutualist.api.routers import responses
from mutualist.api.routers.work_pitches import _pitch_out
from mutualist.api.schemas.common import PersonOut
from mutualist.api.schemas.work_proposals import (
    ProposalAppliedOut,
    ProposalApplyIn,
    ProposalIn,
    ProposalOut,
)
from mutualist.members.models import User
from mutualist.work.matching import Proposal
from mutualist.work.selectors.pitches import pitch_get_for_user
from mutualist.work.services.proposals import pitch_team_apply_proposal, pitch_team_propose

router = Router(tags=["work: pitches and engagements"])


def _proposal_out(proposal: Proposal, pitch_id: int) -> ProposalOut:
    keys = {c.member.key for c in proposal.candidates}
    people = {
        user.pk: PersonOut.from_user(user)
        for user in User.objects.filter(pk__in=keys).select_related("profile")
    }
    return ProposalOut.build(proposal, pitch_id=pitch_id, people=people)


@router.post(
    "/pitches/{int:pitch_id}/proposal",
    response=responses({200: ProposalOut}),
    summary="The cheapest team for a draft from the collective's members (coordinators)",
)
def pitch_proposal(request: HttpRequest, pitch_id: int, payload: ProposalIn) -> ProposalOut:
    """Asks the matching engine; writes nothing. Each active member is
    considered for the roles whose skill they have, at their profile's rate
    in the pitch's currency (or the one you give in ``rates``) when it is not
    above the role's bill rate, with their weekly capacity less the hours
    committed on other engagements, when they are free: their availability
    less their shifts on other engagements. One role per member. Hours no one
    can staff are left open and the team covers the rest."""
    user = request_user(request)
    pitch = pitch_get_for_user(user=user, pk=pitch_id)
    proposal = pitch_team_propose(
        pitch=pitch,
        by=user,
        week=payload.week,
        max_team_size=payload.max_team_size,
        pinned=payload.pinned,
        excluded=payload.excluded,
        rates=payload.rates,
    )
    return _proposal_out(proposal, pitch.pk)


@router.post(
    "/pitches/{int:pitch_id}/proposal/apply",
    response=responses({200: ProposalAppliedOut}),
    summary="Make the proposed team the draft's team (coordinators)",
)
def pitch_proposal_apply(
    request: HttpRequest, pitch_id: int, payload: ProposalApplyIn
) -> ProposalAppliedOut:
    """Solves again with the same choices and replaces the draft's team with
    the answer, keeping its message, terms and bill rates: each role the team
    works on needs a bill rate (422 ``bill_rate_required``). With ``digest``
    (the proposal's), a different answer is refused (409 ``proposal_changed``);
    no team is 409 ``no_team_found``."""
    user = request_user(request)
    pitch = pitch_get_for_user(user=user, pk=pitch_id)
    proposal = pitch_team_apply_proposal(
        pitch=pitch,
        by=user,
        week=payload.week,
        max_team_size=payload.max_team_size,
        pinned=payload.pinned,
        excluded=payload.excluded,
        rates=payload.rates,
        digest=payload.digest,
    )
    return ProposalAppliedOut(
        pitch=_pitch_out(user, pitch.pk), proposal=_proposal_out(proposal, pitch.pk)
    )
