"""Pitches, the live staffing check, engagements and written agreements.

A collective's active members see its pitches (drafts too), engagements and
agreements; a client's contacts see the pitches sent to them and their
engagements and agreements. Everyone else gets 404. Coordinators draft,
send and withdraw pitches, change engagements and revise agreements (a
member gets 403 ``not_coordinator``); a client contact accepts or declines
a sent pitch (a collective member gets 403 ``not_the_client``). Agreements
are accepted by a client contact for the client and a coordinator for the
collective.
"""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status

from mutualist.api.auth import request_user
from mutualist.api.pagination import Page, PageParams, paginate
from mutualist.api.routers import responses
from mutualist.api.schemas.work_pitches import (
    AcceptIn,
    AgreementOut,
    AgreementSummaryOut,
    CheckOut,
    CheckQueryIn,
    DeclineIn,
    EngagementOut,
    EngagementSummaryOut,
    PitchAcceptIn,
    PitchCheckIn,
    PitchCreateIn,
    PitchIn,
    PitchOut,
    PitchSummaryOut,
    SeatAddIn,
    SeatOut,
    SeatPatchIn,
    StatusIn,
)
from mutualist.collectives.selectors import (
    collective_get_for_coordinator,
    collective_get_for_member,
)
from mutualist.core.errors import PermissionDenied
from mutualist.members.models import User
from mutualist.work.models import Engagement, Pitch
from mutualist.work.selectors.access import (
    engagement_get_for_user,
    engagement_side,
    job_get_for_user,
)
from mutualist.work.selectors.pitches import (
    agreement_get_for_user,
    agreement_latest,
    agreement_list,
    agreement_pdf,
    agreement_pdf_filename,
    engagement_list_for_collective,
    engagement_list_for_user,
    engagement_team,
    job_roles_of,
    pay_rate_visible,
    pitch_check,
    pitch_get_for_user,
    pitch_list_for_collective,
    pitch_side,
    pitch_team,
    seat_get,
)
from mutualist.work.services.agreements import agreement_accept, agreement_revise
from mutualist.work.services.engagements import (
    engagement_member_add,
    engagement_member_remove,
    engagement_member_update,
    engagement_set_status,
)
from mutualist.work.services.pitches import (
    pitch_accept,
    pitch_create,
    pitch_decline,
    pitch_send,
    pitch_team_parse,
    pitch_update,
    pitch_withdraw,
)

router = Router(tags=["work: pitches and engagements"])


def _pitch_out(user: User, pitch_id: int) -> PitchOut:
    """The pitch as ``user`` sees it, read fresh (after any write)."""
    pitch = pitch_get_for_user(user=user, pk=pitch_id)
    engagement = Engagement.objects.filter(pitch=pitch).values_list("pk", flat=True).first()
    return PitchOut.build(
        pitch,
        roles=job_roles_of(pitch.job),
        team=pitch_team(pitch=pitch),
        viewer=user,
        side=pitch_side(user, pitch),
        engagement=engagement,
    )


def _engagement_out(user: User, engagement_id: int) -> EngagementOut:
    engagement = engagement_get_for_user(user=user, pk=engagement_id)
    side = engagement_side(user, engagement)
    latest = agreement_latest(engagement=engagement)
    return EngagementOut(
        **EngagementSummaryOut.from_model(engagement).model_dump(),
        job=engagement.job_id,
        pitch=engagement.pitch_id,
        currency=engagement.currency,
        timezone=engagement.timezone,
        payment_terms_days=engagement.payment_terms_days,
        payment_method=engagement.payment_method,
        created_at=engagement.created_at,
        team=[
            SeatOut.build(
                seat,
                currency=engagement.currency,
                show_pay=pay_rate_visible(viewer=user, side=side, seat=seat),
            )
            for seat in engagement_team(engagement=engagement, include_left=True)
        ],
        agreement=AgreementSummaryOut.from_model(latest) if latest is not None else None,
    )


# --- Pitches ------------------------------------------------------------------------


@router.get(
    "/collectives/{slug}/pitches",
    response=responses({200: Page[PitchSummaryOut]}),
    summary="A collective's pitches, newest first (members)",
)
def collective_pitches_list(
    request: HttpRequest, slug: str, page: Query[PageParams]
) -> Page[PitchSummaryOut]:
    collective, _ = collective_get_for_member(user=request_user(request), slug=slug)
    return paginate(
        pitch_list_for_collective(collective=collective), page, PitchSummaryOut.from_model
    )


@router.post(
    "/jobs/{int:job_id}/pitches",
    response=responses({201: PitchOut}),
    summary="Start a draft pitch for a job (coordinators)",
)
def job_pitch_create(request: HttpRequest, job_id: int, payload: PitchCreateIn) -> Status[PitchOut]:
    """One live pitch per job and collective (``pitch_exists``); the job must
    be public or the collective's own lead, and open."""
    user = request_user(request)
    with transaction.atomic(durable=True):
        collective, _ = collective_get_for_coordinator(user=user, slug=payload.collective)
        job = job_get_for_user(user=user, pk=job_id)
        pitch = pitch_create(job=job, collective=collective, by=user)
    return Status(201, _pitch_out(user, pitch.pk))


@router.get(
    "/pitches/{int:pitch_id}",
    response=responses({200: PitchOut}),
    summary="A pitch (the collective's members; the client's contacts once sent)",
)
def pitch_read(request: HttpRequest, pitch_id: int) -> PitchOut:
    return _pitch_out(request_user(request), pitch_id)


@router.put(
    "/pitches/{int:pitch_id}",
    response=responses({200: PitchOut}),
    summary="Replace a draft's message, terms, bill rates and team (coordinators)",
)
def pitch_replace(request: HttpRequest, pitch_id: int, payload: PitchIn) -> PitchOut:
    """Each line: a member (id or handle) of the collective on a role of the
    job with a bill rate, paid at most that rate, with shifts inside the
    role's coverage (coverage role) or hours (flexible role)."""
    user = request_user(request)
    with transaction.atomic(durable=True):
        pitch = pitch_get_for_user(user=user, pk=pitch_id)
        pitch_update(
            pitch=pitch,
            by=user,
            message=payload.message,
            payment_terms_days=payload.payment_terms_days,
            payment_method=payload.payment_method,
            roles=payload.roles_input(),
            team=payload.team_input(),
        )
    return _pitch_out(user, pitch_id)


def _internal(user: User, pitch: Pitch) -> bool:
    return pitch_side(user, pitch) in ("coordinator", "member")


@router.get(
    "/pitches/{int:pitch_id}/check",
    response=responses({200: CheckOut}),
    summary="The staffing check of a pitch's saved team for one week",
)
def pitch_check_read(request: HttpRequest, pitch_id: int, query: Query[CheckQueryIn]) -> CheckOut:
    """Coverage staffed and not, price per role and in total; the
    collective's members also see each member's load and the findings."""
    user = request_user(request)
    pitch = pitch_get_for_user(user=user, pk=pitch_id)
    result = pitch_check(pitch=pitch, week=query.week)
    return CheckOut.build(result, internal=_internal(user, pitch))


@router.post(
    "/pitches/{int:pitch_id}/check",
    response=responses({200: CheckOut}),
    summary="The staffing check of a team not saved yet (coordinators)",
)
def pitch_check_draft(request: HttpRequest, pitch_id: int, payload: PitchCheckIn) -> CheckOut:
    """The team is validated as ``PUT`` would, and nothing is written."""
    user = request_user(request)
    pitch = pitch_get_for_user(user=user, pk=pitch_id)
    if pitch_side(user, pitch) != "coordinator":
        raise PermissionDenied(
            "Only a coordinator of this collective can do that.", code="not_coordinator"
        )
    team = pitch_team_parse(pitch=pitch, roles=payload.roles_input(), team=payload.team_input())
    return CheckOut.build(pitch_check(pitch=pitch, week=payload.week, team=team), internal=True)


@router.post(
    "/pitches/{int:pitch_id}/send",
    response=responses({200: PitchOut}),
    summary="Send a draft to the client (coordinators)",
)
def pitch_send_action(request: HttpRequest, pitch_id: int) -> PitchOut:
    """Needs the collective's postal address and a team with each person on
    one role; the client's contacts are emailed."""
    user = request_user(request)
    with transaction.atomic(durable=True):
        pitch_send(pitch=pitch_get_for_user(user=user, pk=pitch_id), by=user)
    return _pitch_out(user, pitch_id)


@router.post(
    "/pitches/{int:pitch_id}/withdraw",
    response=responses({200: PitchOut}),
    summary="Withdraw a draft or a sent pitch (coordinators)",
)
def pitch_withdraw_action(request: HttpRequest, pitch_id: int) -> PitchOut:
    user = request_user(request)
    with transaction.atomic(durable=True):
        pitch_withdraw(pitch=pitch_get_for_user(user=user, pk=pitch_id), by=user)
    return _pitch_out(user, pitch_id)


@router.post(
    "/pitches/{int:pitch_id}/accept",
    response=responses({201: EngagementOut}),
    summary="Accept a sent pitch and its written agreement (the client's contacts)",
)
def pitch_accept_action(
    request: HttpRequest, pitch_id: int, payload: PitchAcceptIn | None = None
) -> Status[EngagementOut]:
    """Creates the engagement (``pending``) and version 1 of its agreement,
    accepted for the client by you; it becomes ``active`` when a coordinator
    accepts the agreement for the collective."""
    user = request_user(request)
    with transaction.atomic(durable=True):
        engagement = pitch_accept(
            pitch=pitch_get_for_user(user=user, pk=pitch_id),
            by=user,
            agreement_sha256=payload.agreement_sha256 if payload is not None else None,
        )
    return Status(201, _engagement_out(user, engagement.pk))


@router.post(
    "/pitches/{int:pitch_id}/decline",
    response=responses({200: PitchOut}),
    summary="Decline a sent pitch (the client's contacts)",
)
def pitch_decline_action(request: HttpRequest, pitch_id: int, payload: DeclineIn) -> PitchOut:
    user = request_user(request)
    with transaction.atomic(durable=True):
        pitch_decline(pitch=pitch_get_for_user(user=user, pk=pitch_id), by=user, note=payload.note)
    return _pitch_out(user, pitch_id)


# --- Engagements ----------------------------------------------------------------------


@router.get(
    "/engagements",
    response=responses({200: Page[EngagementSummaryOut]}),
    summary="Engagements of your collectives and of the clients you act for",
)
def engagements_list(request: HttpRequest, page: Query[PageParams]) -> Page[EngagementSummaryOut]:
    rows = engagement_list_for_user(user=request_user(request))
    return paginate(rows, page, EngagementSummaryOut.from_model)


@router.get(
    "/collectives/{slug}/engagements",
    response=responses({200: Page[EngagementSummaryOut]}),
    summary="A collective's engagements (members)",
)
def collective_engagements_list(
    request: HttpRequest, slug: str, page: Query[PageParams]
) -> Page[EngagementSummaryOut]:
    collective, _ = collective_get_for_member(user=request_user(request), slug=slug)
    return paginate(
        engagement_list_for_collective(collective=collective),
        page,
        EngagementSummaryOut.from_model,
    )


@router.get(
    "/engagements/{int:engagement_id}",
    response=responses({200: EngagementOut}),
    summary="An engagement with its team and latest agreement version",
)
def engagement_read(request: HttpRequest, engagement_id: int) -> EngagementOut:
    return _engagement_out(request_user(request), engagement_id)


@router.post(
    "/engagements/{int:engagement_id}/status",
    response=responses({200: EngagementOut}),
    summary="Pause, resume or end an engagement (coordinators)",
)
def engagement_status_set(
    request: HttpRequest, engagement_id: int, payload: StatusIn
) -> EngagementOut:
    """active <-> paused; -> ended is final. A pending engagement becomes
    active only when both sides accept its agreement."""
    user = request_user(request)
    with transaction.atomic(durable=True):
        engagement = engagement_get_for_user(user=user, pk=engagement_id)
        engagement_set_status(engagement=engagement, by=user, status=payload.status)
    return _engagement_out(user, engagement_id)


@router.post(
    "/engagements/{int:engagement_id}/team",
    response=responses({201: SeatOut}),
    summary="Propose a member for the team (coordinators); makes a new agreement version, "
    "and the member is seated when both parties accept it",
)
def engagement_team_add(
    request: HttpRequest, engagement_id: int, payload: SeatAddIn
) -> Status[SeatOut]:
    user = request_user(request)
    with transaction.atomic(durable=True):
        engagement = engagement_get_for_user(user=user, pk=engagement_id)
        agreement = engagement_member_add(
            engagement=engagement,
            by=user,
            member=payload.member,
            role_title=payload.role_title,
            skill=payload.skill,
            bill_rate=payload.bill_rate,
            pay_rate=payload.pay_rate,
            weekly_cap_hours=payload.weekly_cap_hours,
            shifts=[shift.model_dump() for shift in payload.shifts],
        )
    # The member is seated when both parties accept that version: show the seat it proposes.
    proposed = agreement.terms["seats"][-1]
    member = User.objects.select_related("profile").get(pk=proposed["user_id"])
    return Status(201, SeatOut.proposed(proposed, user=member, currency=engagement.currency))


@router.patch(
    "/engagements/{int:engagement_id}/team/{int:user_id}",
    response=responses({200: SeatOut}),
    summary="Change a member's rates or weekly cap (coordinators)",
)
def engagement_team_patch(
    request: HttpRequest, engagement_id: int, user_id: int, payload: SeatPatchIn
) -> SeatOut:
    """Only what you send changes. A new bill rate or cap makes a new
    version of the agreement, which both sides accept again; the seat
    returned keeps the rate and cap in force until they have. A pay rate
    changes at once."""
    user = request_user(request)
    with transaction.atomic(durable=True):
        engagement = engagement_get_for_user(user=user, pk=engagement_id)
        seat = seat_get(engagement=engagement, user_id=user_id)
        seat.engagement = engagement
        engagement_member_update(
            seat=seat,
            by=user,
            pay_rate=payload.pay_rate,
            bill_rate=payload.bill_rate,
            weekly_cap_hours=payload.weekly_cap_hours,
        )
    seat = seat_get(engagement=engagement, user_id=user_id)
    return SeatOut.build(seat, currency=engagement.currency, show_pay=True)


@router.delete(
    "/engagements/{int:engagement_id}/team/{int:user_id}",
    response=responses({200: SeatOut}),
    summary="Propose taking a member off the team (coordinators): a new agreement version; "
    "when both parties accept it the seat is kept with left_at",
)
def engagement_team_remove(request: HttpRequest, engagement_id: int, user_id: int) -> SeatOut:
    user = request_user(request)
    with transaction.atomic(durable=True):
        engagement = engagement_get_for_user(user=user, pk=engagement_id)
        seat = seat_get(engagement=engagement, user_id=user_id)
        seat.engagement = engagement
        engagement_member_remove(seat=seat, by=user)
    seat = seat_get(engagement=engagement, user_id=user_id)
    return SeatOut.build(seat, currency=engagement.currency, show_pay=True)


# --- Agreements -----------------------------------------------------------------------


@router.get(
    "/engagements/{int:engagement_id}/agreements",
    response=responses({200: list[AgreementSummaryOut]}),
    summary="Every version of the engagement's written agreement, newest first",
)
def agreements_list(request: HttpRequest, engagement_id: int) -> list[AgreementSummaryOut]:
    engagement = engagement_get_for_user(user=request_user(request), pk=engagement_id)
    return [AgreementSummaryOut.from_model(a) for a in agreement_list(engagement=engagement)]


@router.post(
    "/engagements/{int:engagement_id}/agreements",
    response=responses({201: AgreementOut}),
    summary="Make the next version from the current team and rates (coordinators)",
)
def agreement_revise_action(request: HttpRequest, engagement_id: int) -> Status[AgreementOut]:
    """Both sides accept it again; the engagement keeps its status meanwhile."""
    user = request_user(request)
    with transaction.atomic(durable=True):
        engagement = engagement_get_for_user(user=user, pk=engagement_id)
        agreement = agreement_revise(engagement=engagement, by=user)
    found = agreement_get_for_user(
        user=user, engagement_pk=engagement_id, version=agreement.version
    )
    return Status(201, AgreementOut.build(found))


@router.get(
    "/engagements/{int:engagement_id}/agreements/{int:version}",
    response=responses({200: AgreementOut}),
    summary="One version: its terms, its document and who accepted it when",
)
def agreement_read(request: HttpRequest, engagement_id: int, version: int) -> AgreementOut:
    agreement = agreement_get_for_user(
        user=request_user(request), engagement_pk=engagement_id, version=version
    )
    return AgreementOut.build(agreement)


@router.get(
    "/engagements/{int:engagement_id}/agreements/{int:version}/pdf",
    response=responses({200: None}),
    summary="One version as a PDF (application/pdf)",
)
def agreement_pdf_download(request: HttpRequest, engagement_id: int, version: int) -> HttpResponse:
    agreement = agreement_get_for_user(
        user=request_user(request), engagement_pk=engagement_id, version=version
    )
    response = HttpResponse(agreement_pdf(agreement), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{agreement_pdf_filename(agreement)}"'
    return response


@router.post(
    "/engagements/{int:engagement_id}/agreements/{int:version}/accept",
    response=responses({200: AgreementOut}),
    summary="Accept a version for the client (its contacts) or the collective (coordinators)",
)
def agreement_accept_action(
    request: HttpRequest, engagement_id: int, version: int, payload: AcceptIn
) -> AgreementOut:
    """Only the latest version. When both parties have accepted it, a
    pending engagement becomes active."""
    user = request_user(request)
    with transaction.atomic(durable=True):
        agreement = agreement_get_for_user(user=user, engagement_pk=engagement_id, version=version)
        agreement_accept(agreement=agreement, by=user, party=payload.party)
    return AgreementOut.build(
        agreement_get_for_user(user=user, engagement_pk=engagement_id, version=version)
    )
