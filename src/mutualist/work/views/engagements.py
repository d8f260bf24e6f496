"""Engagement pages: an engagement with its team and status, a collective's
engagements, and the written agreement's versions (HTML and PDF) with the
buttons to accept them.

Visible to the collective's active members and the client's contacts
(``access.engagement_get_for_user``; 404 for everyone else). Bill rates are
shown to all of them; pay rates to coordinators, and to each member their
own. Changing the status, the team or the rates and revising the agreement
are for coordinators (403 for the others).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_http_methods, require_POST

from mutualist.collectives.selectors import collective_get_for_member
from mutualist.core.errors import Conflict, ValidationFailed
from mutualist.core.money import Money
from mutualist.core.web import add_domain_error, forbidden_as_403
from mutualist.members.web import request_member
from mutualist.work.coverage import HourWindow
from mutualist.work.forms.pitches import (
    AgreementAcceptForm,
    EngagementStatusForm,
    SeatAddForm,
    SeatForm,
    shifts_text,
)
from mutualist.work.models import Agreement, Engagement, EngagementShift
from mutualist.work.selectors.access import engagement_get_for_user, engagement_side
from mutualist.work.selectors.pitches import (
    accepted_parties,
    agreement_get_for_user,
    agreement_list,
    agreement_party_of,
    agreement_pdf,
    agreement_pdf_filename,
    engagement_list_for_collective,
    engagement_team,
    pay_rate_visible,
    seat_get,
)
from mutualist.work.services.agreements import agreement_accept, agreement_revise
from mutualist.work.services.engagements import (
    TRANSITIONS,
    engagement_member_add,
    engagement_member_remove,
    engagement_member_update,
    engagement_set_status,
)
from mutualist.work.services.pitches import active_members_of, coordinator_only
from mutualist.work.views.pitches import not_found_as_404

_TEMPLATES = "work/engagements"


def _coordinator(request: HttpRequest, engagement: Engagement) -> None:
    coordinator_only(request_member(request), engagement.collective_id, thing="engagement")


@login_required
@require_http_methods(["GET", "HEAD"])
@forbidden_as_403
def engagement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_member(request)
    engagement = engagement_get_for_user(user=user, pk=pk)
    side = engagement_side(user, engagement)
    currency = engagement.currency
    seats = [
        {
            "seat": seat,
            "bill_rate": Money.from_minor(seat.bill_rate_minor, currency),
            "pay_rate": (
                Money.from_minor(seat.pay_rate_minor, currency)
                if pay_rate_visible(viewer=user, side=side, seat=seat)
                else None
            ),
            "shifts": shifts_text(
                [
                    _window(s)
                    for s in sorted(seat.shifts.all(), key=lambda s: (s.weekday, s.start_hour))
                ]
            ),
            "form": SeatForm(
                initial={
                    "bill_rate": str(Money.from_minor(seat.bill_rate_minor, currency).amount),
                    "pay_rate": str(Money.from_minor(seat.pay_rate_minor, currency).amount),
                    "weekly_cap_hours": seat.weekly_cap_hours,
                },
                prefix=f"seat{seat.user_id}",
            ),
        }
        for seat in engagement_team(engagement=engagement, include_left=True)
    ]
    agreements = list(agreement_list(engagement=engagement))
    latest = agreements[0] if agreements else None
    return render(
        request,
        f"{_TEMPLATES}/detail.html",
        {
            "engagement": engagement,
            "side": side,
            "seats": seats,
            "agreements": [(a, sorted(accepted_parties(a))) for a in agreements],
            "latest": latest,
            "to_accept": _parties_to_accept(user, engagement, latest),
            "transitions": TRANSITIONS[engagement.status] if side == "coordinator" else (),
            "Status": Engagement.Status,
        },
    )


def _window(shift: EngagementShift) -> HourWindow:
    return HourWindow(shift.weekday, shift.start_hour, shift.end_hour)


def _parties_to_accept(user: Any, engagement: Engagement, latest: Agreement | None) -> list[str]:
    """The parties ``user`` may still accept the latest version for."""
    if latest is None or engagement.status == Engagement.Status.ENDED:
        return []
    done = accepted_parties(latest)
    return [party for party in agreement_party_of(user, engagement) if party not in done]


@login_required
@require_http_methods(["GET", "HEAD"])
@forbidden_as_403
def collective_engagements(request: HttpRequest, slug: str) -> HttpResponse:
    user = request_member(request)
    collective, membership = collective_get_for_member(user=user, slug=slug)
    return render(
        request,
        f"{_TEMPLATES}/collective_list.html",
        {
            "collective": collective,
            "engagements": engagement_list_for_collective(collective=collective),
            "is_coordinator": membership.is_coordinator,
        },
    )


@login_required
@require_POST
@forbidden_as_403
@not_found_as_404
def engagement_status(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_member(request)
    engagement = engagement_get_for_user(user=user, pk=pk)
    _coordinator(request, engagement)
    form = EngagementStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose to pause, resume or end the engagement.")
        return redirect("work:engagement", pk=pk)
    try:
        with transaction.atomic(durable=True):
            engagement = engagement_set_status(
                engagement=engagement, by=user, status=form.cleaned_data["status"]
            )
    except (ValidationFailed, Conflict) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"The engagement is {engagement.get_status_display().lower()}.")
    return redirect("work:engagement", pk=pk)


@login_required
@require_POST
@forbidden_as_403
@not_found_as_404
def seat_update(request: HttpRequest, pk: int, user_id: int) -> HttpResponse:
    """Change a seat's rates and cap, or (``remove``) take the member off."""
    user = request_member(request)
    engagement = engagement_get_for_user(user=user, pk=pk)
    _coordinator(request, engagement)
    seat = seat_get(engagement=engagement, user_id=user_id)
    seat.engagement = engagement
    form = SeatForm(request.POST, prefix=f"seat{user_id}")
    try:
        with transaction.atomic(durable=True):
            if "remove" in request.POST:
                engagement_member_remove(seat=seat, by=user)
                done = (
                    f"The agreement's new version takes {seat.user.display_name} off the team "
                    "once both sides accept it."
                )
            elif form.is_valid():
                data = form.cleaned_data
                versions = engagement.agreements.count()
                engagement_member_update(
                    seat=seat,
                    by=user,
                    bill_rate=data["bill_rate"] or None,
                    pay_rate=data["pay_rate"] or None,
                    weekly_cap_hours=data["weekly_cap_hours"],
                )
                done = f"{seat.user.display_name}'s seat is saved."
                if engagement.agreements.count() != versions:
                    done += (
                        " The new bill rate or cap is in the agreement's new version and "
                        "applies once both sides accept it."
                    )
            else:
                raise ValidationFailed(
                    "Hours a week are a whole number from 1 to 168.", code="invalid_weekly_cap"
                )
    except (ValidationFailed, Conflict) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("work:engagement", pk=pk)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@forbidden_as_403
@not_found_as_404
def seat_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_member(request)
    engagement = engagement_get_for_user(user=user, pk=pk)
    _coordinator(request, engagement)
    form = SeatAddForm(
        request.POST if request.method == "POST" else None,
        members=active_members_of(engagement.collective_id),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic(durable=True):
                agreement = engagement_member_add(
                    engagement=engagement,
                    by=user,
                    member=int(data["member"]),
                    role_title=data["role_title"],
                    bill_rate=data["bill_rate"],
                    pay_rate=data["pay_rate"],
                    weekly_cap_hours=data["weekly_cap_hours"],
                    shifts=data["shifts"],
                )
        except (ValidationFailed, Conflict) as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                f"The agreement's version {agreement.version} proposes the new member; they "
                "join the team once both sides accept it.",
            )
            return redirect("work:engagement", pk=pk)
    return render(request, f"{_TEMPLATES}/seat_add.html", {"engagement": engagement, "form": form})


# --- Agreements -------------------------------------------------------------------


def _agreement_context(request: HttpRequest, agreement: Agreement) -> dict[str, Any]:
    user = request_member(request)
    engagement = agreement.engagement
    latest = agreement_list(engagement=engagement).first()
    is_latest = latest is not None and latest.pk == agreement.pk
    return {
        "agreement": agreement,
        "engagement": engagement,
        "acceptances": list(agreement.acceptances.all()),
        "is_latest": is_latest,
        "latest": latest,
        "to_accept": _parties_to_accept(user, engagement, agreement) if is_latest else [],
        "side": engagement_side(user, engagement),
    }


@login_required
@require_http_methods(["GET", "HEAD"])
@forbidden_as_403
def agreement_detail(request: HttpRequest, pk: int, version: int) -> HttpResponse:
    agreement = agreement_get_for_user(
        user=request_member(request), engagement_pk=pk, version=version
    )
    return render(request, "work/agreements/detail.html", _agreement_context(request, agreement))


@login_required
@require_http_methods(["GET", "HEAD"])
@forbidden_as_403
def agreement_pdf_view(request: HttpRequest, pk: int, version: int) -> HttpResponse:
    """The same document as a PDF (WeasyPrint), acceptances below it."""
    agreement = agreement_get_for_user(
        user=request_member(request), engagement_pk=pk, version=version
    )
    response = HttpResponse(agreement_pdf(agreement), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{agreement_pdf_filename(agreement)}"'
    return response


@login_required
@require_POST
@forbidden_as_403
@not_found_as_404
def agreement_accept_view(request: HttpRequest, pk: int, version: int) -> HttpResponse:
    user = request_member(request)
    agreement = agreement_get_for_user(user=user, engagement_pk=pk, version=version)
    form = AgreementAcceptForm(request.POST)
    party = form.cleaned_data["party"] if form.is_valid() else None
    try:
        with transaction.atomic(durable=True):
            acceptance = agreement_accept(agreement=agreement, by=user, party=party or None)
    except (ValidationFailed, Conflict) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"You accepted version {version} for the {acceptance.get_party_display().lower()}.",
        )
    return redirect("work:agreement", pk=pk, version=version)


@login_required
@require_POST
@forbidden_as_403
@not_found_as_404
def agreement_revise_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_member(request)
    engagement = engagement_get_for_user(user=user, pk=pk)
    try:
        with transaction.atomic(durable=True):
            agreement = agreement_revise(engagement=engagement, by=user)
    except (ValidationFailed, Conflict) as exc:
        messages.error(request, exc.message)
        return redirect("work:engagement", pk=pk)
    messages.success(request, f"Version {agreement.version} is ready for both sides to accept.")
    return redirect("work:agreement", pk=pk, version=agreement.version)


urlpatterns: list[URLPattern] = [
    path("engagements/<int:pk>/", engagement_detail, name="engagement"),
    path("engagements/<int:pk>/status/", engagement_status, name="engagement_status"),
    path("engagements/<int:pk>/team/add/", seat_add, name="engagement_seat_add"),
    path("engagements/<int:pk>/team/<int:user_id>/", seat_update, name="engagement_seat"),
    path("engagements/<int:pk>/agreements/new/", agreement_revise_view, name="agreement_revise"),
    path("engagements/<int:pk>/agreements/<int:version>/", agreement_detail, name="agreement"),
    path(
        "engagements/<int:pk>/agreements/<int:version>.pdf",
        agreement_pdf_view,
        name="agreement_pdf",
    ),
    path(
        "engagements/<int:pk>/agreements/<int:version>/accept/",
        agreement_accept_view,
        name="agreement_accept",
    ),
    path(
        "collectives/<slug:slug>/engagements/",
        collective_engagements,
        name="collective_engagements",
    ),
]
