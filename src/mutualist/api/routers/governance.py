"""Proposals, votes and proxies: how a collective decides.

Only a collective's active members see or touch its proposals, votes and
proxies; anyone else gets 404, as for an id that does not exist. Any active
member may propose, vote, and name a proxy; the author or a coordinator may
withdraw an open proposal. How the members voted stays hidden where the
proposal says so (``results_shown``): the proposal then shows only how many
have voted, and its ballots answer ``403 results_hidden``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status

from mutualist.api.auth import request_user
from mutualist.api.pagination import Page, PageParams, paginate
from mutualist.api.routers import responses
from mutualist.api.schemas.governance import (
    DelegationIn,
    DelegationOut,
    ProposalFiltersIn,
    ProposalIn,
    ProposalOut,
    ProposalSummaryOut,
    VoteIn,
    VoteOut,
)
from mutualist.collectives.models import Collective
from mutualist.collectives.selectors import collective_get_for_member
from mutualist.core.errors import DomainError, PermissionDenied, ValidationFailed
from mutualist.governance.kinds import handler_for
from mutualist.governance.markdown import render_markdown
from mutualist.governance.models import Delegation, Proposal
from mutualist.governance.selectors import (
    delegation_get_for_user,
    delegation_in_force,
    delegation_list_for_user,
    eligible_members,
    live_tally,
    proposal_get_for_user,
    proposal_list_for_collective,
    proposal_list_waiting_for,
    results_shown,
    vote_list,
    vote_of,
)
from mutualist.governance.services import (
    delegation_create,
    delegation_revoke,
    proposal_create,
    proposal_withdraw,
    vote_cast,
    vote_retract,
)
from mutualist.members.models import User

router = Router(tags=["governance: proposals, votes and proxies"])

# The body's own fields; anything else a refusal names came from the kind's
# handler checking ``payload``.
_PROPOSAL_FIELDS = frozenset(ProposalIn.model_fields)


def _payload_field(field: str) -> str:
    """The dotted path, in the body, of a field a kind's handler names.

    Handlers name their fields as the web form does (``effective_from``, and
    ``treasury_percent`` or ``split`` for the split rule); the API names them
    inside ``payload``.
    """
    if field == "payload" or field.startswith("payload."):
        return field
    if field == "split":
        return "payload.shares"
    if field.endswith("_percent"):
        return f"payload.shares.{field.removesuffix('_percent')}"
    return f"payload.{field}"


@contextmanager
def _proposal_fields() -> Iterator[None]:
    try:
        yield
    except DomainError as exc:
        if exc.field and exc.field not in _PROPOSAL_FIELDS:
            exc.field = _payload_field(exc.field)
        raise


@contextmanager
def _delegation_fields() -> Iterator[None]:
    """The service names the proposal ``proposal``; the body calls it ``proposal_id``."""
    try:
        yield
    except DomainError as exc:
        if exc.field == "proposal":
            exc.field = "proposal_id"
        raise


def _my_proxy(proposal: Proposal, user: User) -> Delegation | None:
    """Who would vote for ``user`` were the proposal to close as planned:
    a proxy for it, else one for a period covering its closing day."""
    if proposal.state != Proposal.State.OPEN:
        return None
    eligible_ids = set(eligible_members(proposal.collective_id).values_list("user_id", flat=True))
    return delegation_in_force(
        proposal=proposal,
        delegator_id=user.pk,
        eligible_ids=eligible_ids,
        day=timezone.localdate(proposal.closes_at),
    )


def _proposal_out(user: User, proposal_id: int) -> ProposalOut:
    """The proposal as ``user`` sees it, read fresh (after any write)."""
    proposal = proposal_get_for_user(user=user, proposal_id=proposal_id)
    handler = handler_for(proposal.kind)
    return ProposalOut.build(
        proposal,
        body_html=str(render_markdown(proposal.body)),
        details=handler.describe(proposal) if handler is not None else [],
        tally=live_tally(proposal=proposal),
        results_shown=results_shown(proposal=proposal, user=user),
        my_vote=vote_of(proposal=proposal, user=user),
        my_proxy=_my_proxy(proposal, user),
        voting_open=proposal.is_open and proposal.closes_at > timezone.now(),
    )


def _delegation_out(user: User, delegation_id: int) -> DelegationOut:
    """A proxy ``user`` named, read fresh (after any write)."""
    delegation = delegation_get_for_user(user=user, delegation_id=delegation_id)
    return DelegationOut.build(delegation, viewer=user)


def _delegate_in(handle: str, *, collective: Collective) -> User:
    """The active member of ``collective`` with this handle. Anyone else, or
    no one, is ``422 delegate_not_member``: a member learns nothing of people
    outside the collective this way."""
    found = (
        eligible_members(collective.pk)
        .filter(user__profile__handle=handle.strip())
        .select_related("user__profile")
        .first()
    )
    if found is None:
        raise ValidationFailed(
            f"No active member of {collective.name} has the handle {handle.strip()!r}.",
            code="delegate_not_member",
            field="delegate",
        )
    return found.user


# --- Proposals -----------------------------------------------------------------------


@router.get(
    "/collectives/{slug}/proposals",
    response=responses({200: Page[ProposalSummaryOut]}),
    summary="A collective's proposals (members)",
)
def collective_proposals_list(
    request: HttpRequest, slug: str, filters: Query[ProposalFiltersIn], page: Query[PageParams]
) -> Page[ProposalSummaryOut]:
    """Newest first; ``state=open`` soonest closing first, ``state=closed``
    (withdrawn included) latest closed first. A closed proposal carries the
    tally recorded at closing."""
    _, proposals = proposal_list_for_collective(
        user=request_user(request), slug=slug, state=filters.state
    )
    return paginate(proposals, page, ProposalSummaryOut.from_model)


@router.post(
    "/collectives/{slug}/proposals",
    response=responses({201: ProposalOut}),
    summary="Put a proposal to the collective's vote (members)",
)
def collective_proposal_create(
    request: HttpRequest, slug: str, payload: ProposalIn
) -> Status[ProposalOut]:
    """The kind's handler checks ``payload`` (its refusals name
    ``payload.<field>``). The members are told by email."""
    user = request_user(request)
    with transaction.atomic(durable=True), _proposal_fields():
        collective, _ = collective_get_for_member(user=user, slug=slug)
        proposal = proposal_create(
            collective=collective,
            author=user,
            kind=payload.kind,
            title=payload.title,
            body=payload.body,
            payload=payload.payload,
            method=payload.method,
            quorum_percent=payload.quorum_percent,
            threshold_percent=payload.threshold_percent,
            closes_at=payload.closes_at,
            results_visibility=payload.results_visibility,
            reasons_required=payload.reasons_required,
        )
    return Status(201, _proposal_out(user, proposal.pk))


@router.get(
    "/proposals/{int:proposal_id}",
    response=responses({200: ProposalOut}),
    summary="A proposal, with the count where you may see it (members)",
)
def proposal_read(request: HttpRequest, proposal_id: int) -> ProposalOut:
    return _proposal_out(request_user(request), proposal_id)


@router.post(
    "/proposals/{int:proposal_id}/withdraw",
    response=responses({200: ProposalOut}),
    summary="Withdraw an open proposal (its author or a coordinator)",
)
def proposal_withdraw_action(request: HttpRequest, proposal_id: int) -> ProposalOut:
    """Nothing is applied; the votes stay on the record."""
    user = request_user(request)
    with transaction.atomic(durable=True):
        proposal = proposal_get_for_user(user=user, proposal_id=proposal_id)
        proposal_withdraw(proposal=proposal, actor=user)
    return _proposal_out(user, proposal_id)


@router.get(
    "/me/proposals/waiting",
    response=responses({200: Page[ProposalSummaryOut]}),
    summary="Open proposals waiting for your vote",
)
def me_proposals_waiting(request: HttpRequest, page: Query[PageParams]) -> Page[ProposalSummaryOut]:
    """In every collective you are an active member of, soonest closing first."""
    rows = proposal_list_waiting_for(user=request_user(request)).select_related("author__profile")
    return paginate(rows, page, ProposalSummaryOut.from_model)


# --- Votes ---------------------------------------------------------------------------


@router.get(
    "/proposals/{int:proposal_id}/votes",
    response=responses({200: Page[VoteOut]}),
    summary="Who voted how, and why (members, once the proposal shows results)",
)
def proposal_votes_list(
    request: HttpRequest, proposal_id: int, page: Query[PageParams]
) -> Page[VoteOut]:
    """Oldest first. While the proposal hides its results from you: ``403
    results_hidden``."""
    user = request_user(request)
    proposal = proposal_get_for_user(user=user, proposal_id=proposal_id)
    if not results_shown(proposal=proposal, user=user):
        raise PermissionDenied(
            "This proposal shows how the members voted only after you have voted."
            if proposal.results_visibility == Proposal.Results.AFTER_VOTE
            else "This proposal shows how the members voted only once voting has closed.",
            code="results_hidden",
        )
    return paginate(vote_list(proposal=proposal, user=user), page, VoteOut.from_model)


@router.put(
    "/proposals/{int:proposal_id}/vote",
    response=responses({200: VoteOut}),
    summary="Cast or change your vote (members)",
)
def proposal_vote_cast(request: HttpRequest, proposal_id: int, payload: VoteIn) -> VoteOut:
    """A second vote changes the first (``changed_at``); it never adds one."""
    user = request_user(request)
    with transaction.atomic(durable=True):
        proposal = proposal_get_for_user(user=user, proposal_id=proposal_id)
        vote = vote_cast(
            proposal=proposal, voter=user, choice=payload.choice, reason=payload.reason
        )
    return VoteOut.from_model(vote)


@router.delete(
    "/proposals/{int:proposal_id}/vote",
    response=responses({204: None}),
    summary="Take your vote back while voting is open (members)",
)
def proposal_vote_retract(request: HttpRequest, proposal_id: int) -> Status[None]:
    """Your proxy, if you named one, then votes for you again."""
    user = request_user(request)
    with transaction.atomic(durable=True):
        proposal = proposal_get_for_user(user=user, proposal_id=proposal_id)
        vote_retract(proposal=proposal, voter=user)
    return Status(204, None)


# --- Proxies -------------------------------------------------------------------------


@router.get(
    "/collectives/{slug}/proxies",
    response=responses({200: Page[DelegationOut]}),
    summary="The proxies you named and those naming you (members)",
)
def collective_proxies_list(
    request: HttpRequest, slug: str, page: Query[PageParams]
) -> Page[DelegationOut]:
    """Standing ones first, then revoked ones, newest first."""
    user = request_user(request)
    _, delegations = delegation_list_for_user(user=user, slug=slug)
    delegations = delegations.select_related("collective")
    return paginate(delegations, page, lambda d: DelegationOut.build(d, viewer=user))


@router.post(
    "/collectives/{slug}/proxies",
    response=responses({201: DelegationOut}),
    summary="Name a proxy, for one proposal or for a period (members)",
)
def collective_proxy_create(
    request: HttpRequest, slug: str, payload: DelegationIn
) -> Status[DelegationOut]:
    """A new proxy replaces your standing one of the same scope (one
    proposal, or the period)."""
    user = request_user(request)
    with transaction.atomic(durable=True), _delegation_fields():
        collective, _ = collective_get_for_member(user=user, slug=slug)
        delegate = _delegate_in(payload.delegate, collective=collective)
        proposal = None
        if payload.proposal_id is not None:
            # Only a proposal the member may see: one of a collective they
            # are not in is no proposal at all.
            try:
                proposal = proposal_get_for_user(user=user, proposal_id=payload.proposal_id)
            except Http404:
                raise ValidationFailed(
                    "There is no such proposal.", code="unknown_proposal", field="proposal_id"
                ) from None
        delegation = delegation_create(
            collective=collective,
            delegator=user,
            delegate=delegate,
            proposal=proposal,
            starts_on=payload.starts_on,
            ends_on=payload.ends_on,
        )
    return Status(201, _delegation_out(user, delegation.pk))


@router.post(
    "/proxies/{int:delegation_id}/revoke",
    response=responses({200: DelegationOut}),
    summary="Revoke a proxy you named",
)
def proxy_revoke(request: HttpRequest, delegation_id: int) -> DelegationOut:
    user = request_user(request)
    with transaction.atomic(durable=True):
        delegation = delegation_get_for_user(user=user, delegation_id=delegation_id)
        delegation_revoke(delegation=delegation, actor=user)
    return _delegation_out(user, delegation_id)
