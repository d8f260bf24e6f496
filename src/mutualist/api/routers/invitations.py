"""Invitations: coordinators invite by email, list and revoke; the invited person
lists theirs and accepts or declines with the token from the email."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from ninja import Query, Router, Status

from mutualist.api.auth import request_user
from mutualist.api.pagination import Page, PageParams, paginate
from mutualist.api.routers import responses
from mutualist.api.schemas.collectives import (
    InvitationAnswerOut,
    InvitationIn,
    InvitationOut,
    InvitationTokenIn,
    MembershipOut,
    MyInvitationOut,
)
from mutualist.collectives.selectors import (
    collective_get_for_coordinator,
    collective_get_public,
    invitation_get_for_coordinator,
    invitation_list_for_user,
    invitation_list_pending,
)
from mutualist.collectives.services import (
    invitation_accept,
    invitation_create,
    invitation_decline,
    invitation_revoke,
    invitation_token,
)

router = Router(tags=["invitations"])


@router.post(
    "/collectives/{slug}/invitations",
    response=responses({201: InvitationOut}),
    summary="Invite someone by email (coordinators)",
)
def invitation_new(request: HttpRequest, slug: str, payload: InvitationIn) -> Status[InvitationOut]:
    """The invitation link goes only to the invited address, by email; the
    response never carries it."""
    user = request_user(request)
    with transaction.atomic(durable=True):
        collective, _ = collective_get_for_coordinator(user=user, slug=slug)
        invitation = invitation_create(
            collective=collective,
            inviter=user,
            email=payload.email,
            role=payload.role,
            message=payload.message,
        )
    return Status(201, InvitationOut.from_model(invitation))


@router.get(
    "/collectives/{slug}/invitations",
    response=responses({200: Page[InvitationOut]}),
    summary="Open invitations (coordinators)",
)
def invitations_list(
    request: HttpRequest, slug: str, page: Query[PageParams]
) -> Page[InvitationOut]:
    collective = collective_get_public(slug=slug)
    rows = invitation_list_pending(collective=collective, viewer=request_user(request)).order_by(
        "-created_at", "-pk"
    )
    return paginate(rows, page, InvitationOut.from_model)


@router.delete(
    "/collectives/{slug}/invitations/{int:invitation_id}",
    response=responses({204: None}),
    summary="Revoke an invitation (coordinators)",
)
def invitation_delete(request: HttpRequest, slug: str, invitation_id: int) -> Status[None]:
    user = request_user(request)
    with transaction.atomic(durable=True):
        collective = collective_get_public(slug=slug)
        invitation = invitation_get_for_coordinator(
            collective=collective, viewer=user, invitation_id=invitation_id
        )
        invitation_revoke(invitation=invitation, actor=user)
    return Status(204, None)


@router.get(
    "/invitations",
    response=responses({200: Page[MyInvitationOut]}),
    summary="Open invitations to your email address",
)
def my_invitations(request: HttpRequest, page: Query[PageParams]) -> Page[MyInvitationOut]:
    """Each carries its token, as your dashboard's accept and decline buttons do:
    the invitation was addressed to you."""
    rows = invitation_list_for_user(user=request_user(request)).order_by("-created_at", "-pk")
    return paginate(rows, page, lambda inv: MyInvitationOut.build(inv, token=invitation_token(inv)))


@router.post(
    "/invitations/accept",
    response=responses({200: MembershipOut}),
    operation_id="invitation_accept",
    summary="Accept an invitation",
)
def invitation_accept_view(request: HttpRequest, payload: InvitationTokenIn) -> MembershipOut:
    user = request_user(request)
    with transaction.atomic(durable=True):
        membership = invitation_accept(token=payload.token, user=user)
    return MembershipOut.from_model(membership)


@router.post(
    "/invitations/decline",
    response=responses({200: InvitationAnswerOut}),
    operation_id="invitation_decline",
    summary="Decline an invitation",
)
def invitation_decline_view(
    request: HttpRequest, payload: InvitationTokenIn
) -> InvitationAnswerOut:
    user = request_user(request)
    with transaction.atomic(durable=True):
        invitation = invitation_decline(token=payload.token, user=user)
    return InvitationAnswerOut.from_model(invitation)
