"""Collectives: the directory, pages, edits, bylaws, members, applications, leaving, roles.

The bylaws are read here; they change only by a ``bylaws_change`` proposal
(``governance.py``), whose handler adds the next version when it passes.

Reads go through the permission-scoped selectors: an outsider gets 404 for
anything members-only, a member who is not a coordinator gets 403 for
coordinator-only actions. Invitations live in `invitations.py`.
"""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from ninja import Query, Router, Status

from mutualist.api.auth import OPTIONAL, request_user, request_viewer
from mutualist.api.pagination import Page, PageParams, paginate
from mutualist.api.routers import anonymous_allowed, responses
from mutualist.api.schemas.collectives import (
    ApplicationIn,
    ApplicationOut,
    BylawsOut,
    CollectiveCreateIn,
    CollectiveFiltersIn,
    CollectiveOut,
    CollectivePatchIn,
    CollectiveSummaryOut,
    CollectiveUpdateIn,
    CoworkingIn,
    MemberOut,
    MembershipOut,
    RoleIn,
)
from mutualist.collectives.models import Collective, CoworkingSpace
from mutualist.collectives.selectors import (
    bylaws_history,
    bylaws_in_force,
    collective_get_for_coordinator,
    collective_get_for_member,
    collective_get_public,
    collective_list_directory,
    membership_get_for_coordinator,
    membership_list_active,
    membership_list_applications,
    membership_of,
)
from mutualist.collectives.services import (
    CoworkingInput,
    collective_create,
    collective_update,
    membership_apply,
    membership_approve,
    membership_leave,
    membership_reject,
    membership_set_role,
)

router = Router(tags=["collectives"])


def _coworking(space: CoworkingIn | None) -> CoworkingInput | None:
    if space is None:
        return None
    return CoworkingInput(name=space.name, address=space.address, opening_hours=space.opening_hours)


def _page(request: HttpRequest, slug: str) -> CollectiveOut:
    """The collective's page as the caller sees it (read fresh, after any write)."""
    viewer = request_viewer(request)
    collective = collective_get_public(slug=slug)
    return CollectiveOut.build(
        collective,
        bylaws=bylaws_in_force(collective=collective),
        members=membership_list_active(collective=collective, viewer=viewer),
        viewer_membership=membership_of(user=viewer, collective=collective),
    )


# --- Collectives ------------------------------------------------------------------


@router.get(
    "/collectives",
    response=responses({200: Page[CollectiveSummaryOut]}),
    auth=OPTIONAL,
    openapi_extra=anonymous_allowed(),
    summary="Collective directory",
)
def collectives(
    request: HttpRequest, filters: Query[CollectiveFiltersIn], page: Query[PageParams]
) -> Page[CollectiveSummaryOut]:
    rows = collective_list_directory(
        country=filters.country,
        city=filters.city,
        skill=filters.skill,
        remote=filters.remote,
        query=filters.q,
    )
    return paginate(rows, page, CollectiveSummaryOut.from_model)


@router.post("/collectives", response=responses({201: CollectiveOut}), summary="Found a collective")
def collective_new(request: HttpRequest, payload: CollectiveCreateIn) -> Status[CollectiveOut]:
    """You become its first coordinator; version 1 of its bylaws takes effect today."""
    user = request_user(request)
    with transaction.atomic(durable=True):
        collective = collective_create(
            creator=user,
            name=payload.name,
            slug=payload.slug,
            base_currency=payload.base_currency,
            description=payload.description,
            is_remote=payload.is_remote,
            city=payload.city,
            country=payload.country,
            treasury_percent=payload.treasury_percent,
            admission_rule=payload.admission_rule,
            coworking=_coworking(payload.coworking),
        )
    return Status(201, _page(request, collective.slug))


@router.get(
    "/collectives/{slug}",
    response=responses({200: CollectiveOut}),
    auth=OPTIONAL,
    openapi_extra=anonymous_allowed(),
    summary="A collective's page",
)
def collective_detail(request: HttpRequest, slug: str) -> CollectiveOut:
    return _page(request, slug)


@router.put(
    "/collectives/{slug}",
    response=responses({200: CollectiveOut}),
    summary="Replace a collective's details (coordinators)",
)
def collective_replace(
    request: HttpRequest, slug: str, payload: CollectiveUpdateIn
) -> CollectiveOut:
    """The slug and base currency are fixed at creation. Omitting ``coworking``
    removes the co-working space."""
    user = request_user(request)
    with transaction.atomic(durable=True):
        collective, _ = collective_get_for_coordinator(user=user, slug=slug)
        collective_update(
            collective=collective,
            actor=user,
            name=payload.name,
            description=payload.description,
            is_remote=payload.is_remote,
            city=payload.city,
            country=payload.country,
            coworking=_coworking(payload.coworking),
            postal_address=payload.postal_address,
        )
    return _page(request, slug)


def _current_coworking(collective: Collective) -> CoworkingInput | None:
    space: CoworkingSpace | None = getattr(collective, "coworking_space", None)
    if space is None:
        return None
    return CoworkingInput(name=space.name, address=space.address, opening_hours=space.opening_hours)


@router.patch(
    "/collectives/{slug}",
    response=responses({200: CollectiveOut}),
    summary="Change some of a collective's details (coordinators)",
)
def collective_patch(request: HttpRequest, slug: str, payload: CollectivePatchIn) -> CollectiveOut:
    """Only the fields you send change; ``"coworking": null`` removes the space."""
    user = request_user(request)
    sent = payload.model_fields_set
    with transaction.atomic(durable=True):
        collective, _ = collective_get_for_coordinator(user=user, slug=slug)
        collective_update(
            collective=collective,
            actor=user,
            name=payload.name if payload.name is not None else collective.name,
            description=(
                payload.description if payload.description is not None else collective.description
            ),
            is_remote=payload.is_remote if payload.is_remote is not None else collective.is_remote,
            city=payload.city if payload.city is not None else collective.city,
            country=payload.country if payload.country is not None else collective.country,
            coworking=(
                _coworking(payload.coworking)
                if "coworking" in sent
                else _current_coworking(collective)
            ),
            postal_address=payload.postal_address,
        )
    return _page(request, slug)


# --- Bylaws -----------------------------------------------------------------------


@router.get(
    "/collectives/{slug}/bylaws",
    response=responses({200: Page[BylawsOut]}),
    auth=OPTIONAL,
    openapi_extra=anonymous_allowed(),
    summary="Every version of the bylaws, newest first",
)
def bylaws_list(request: HttpRequest, slug: str, page: Query[PageParams]) -> Page[BylawsOut]:
    collective = collective_get_public(slug=slug)
    return paginate(bylaws_history(collective=collective), page, BylawsOut.from_model)


# --- Members and applications -------------------------------------------------------


@router.get(
    "/collectives/{slug}/members",
    response=responses({200: Page[MemberOut]}),
    auth=OPTIONAL,
    openapi_extra=anonymous_allowed(),
    summary="Active members, as you may see them",
)
def members_list(request: HttpRequest, slug: str, page: Query[PageParams]) -> Page[MemberOut]:
    """Fellow members see everyone active; others see those with a published profile."""
    collective = collective_get_public(slug=slug)
    rows = membership_list_active(collective=collective, viewer=request_viewer(request))
    return paginate(rows, page, MemberOut.from_model)


@router.post(
    "/collectives/{slug}/applications",
    response=responses({201: MembershipOut}),
    summary="Apply to join",
)
def application_new(
    request: HttpRequest, slug: str, payload: ApplicationIn
) -> Status[MembershipOut]:
    """Under an open admission rule you are admitted at once (state ``active``);
    otherwise the application waits for a coordinator (state ``applied``)."""
    user = request_user(request)
    with transaction.atomic(durable=True):
        collective = collective_get_public(slug=slug)
        membership = membership_apply(collective=collective, user=user, note=payload.note)
    return Status(201, MembershipOut.from_model(membership))


@router.get(
    "/collectives/{slug}/applications",
    response=responses({200: Page[ApplicationOut]}),
    summary="Waiting applications (coordinators)",
)
def applications_list(
    request: HttpRequest, slug: str, page: Query[PageParams]
) -> Page[ApplicationOut]:
    collective = collective_get_public(slug=slug)
    rows = membership_list_applications(
        collective=collective, viewer=request_user(request)
    ).order_by("created_at", "pk")
    return paginate(rows, page, ApplicationOut.from_model)


@router.post(
    "/collectives/{slug}/applications/{int:membership_id}/approve",
    response=responses({200: MembershipOut}),
    summary="Admit an applicant (coordinators)",
)
def application_approve(request: HttpRequest, slug: str, membership_id: int) -> MembershipOut:
    user = request_user(request)
    with transaction.atomic(durable=True):
        collective = collective_get_public(slug=slug)
        membership = membership_get_for_coordinator(
            collective=collective, viewer=user, membership_id=membership_id
        )
        membership = membership_approve(membership=membership, actor=user)
    return MembershipOut.from_model(membership)


@router.post(
    "/collectives/{slug}/applications/{int:membership_id}/reject",
    response=responses({204: None}),
    summary="Turn down an applicant (coordinators)",
)
def application_reject(request: HttpRequest, slug: str, membership_id: int) -> Status[None]:
    user = request_user(request)
    with transaction.atomic(durable=True):
        collective = collective_get_public(slug=slug)
        membership = membership_get_for_coordinator(
            collective=collective, viewer=user, membership_id=membership_id
        )
        membership_reject(membership=membership, actor=user)
    return Status(204, None)


@router.post(
    "/collectives/{slug}/leave",
    response=responses({200: MembershipOut}),
    summary="Leave a collective",
)
def leave(request: HttpRequest, slug: str) -> MembershipOut:
    """The last coordinator cannot leave while other members remain."""
    user = request_user(request)
    with transaction.atomic(durable=True):
        _, membership = collective_get_for_member(user=user, slug=slug)
        membership = membership_leave(membership=membership, actor=user)
    return MembershipOut.from_model(membership)


@router.put(
    "/collectives/{slug}/members/{int:membership_id}/role",
    response=responses({200: MembershipOut}),
    summary="Make a member coordinator, or not (coordinators)",
)
def member_role(
    request: HttpRequest, slug: str, membership_id: int, payload: RoleIn
) -> MembershipOut:
    user = request_user(request)
    with transaction.atomic(durable=True):
        collective = collective_get_public(slug=slug)
        membership = membership_get_for_coordinator(
            collective=collective, viewer=user, membership_id=membership_id
        )
        membership = membership_set_role(membership=membership, actor=user, role=payload.role)
    return MembershipOut.from_model(membership)
