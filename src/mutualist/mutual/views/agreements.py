"""The payment guarantee's client agreements: which clients signed the
collective's payment agreement (the first condition for the guarantee to
cover their invoices). Every member sees the list; coordinators record and
remove agreements."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from mutualist.core.errors import DomainError
from mutualist.core.web import forbidden_as_403
from mutualist.members.web import request_member
from mutualist.mutual.forms import AgreementForm, form_error
from mutualist.mutual.models import Fund
from mutualist.mutual.selectors import (
    client_agreement_get_for_fund,
    client_agreements,
    fund_get_for_user,
)
from mutualist.mutual.services import guarantee
from mutualist.mutual.views._common import TEMPLATES, day, membership_in
from mutualist.work.selectors.clients import collective_client_list

KIND = Fund.Kind.GUARANTEE.value


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@forbidden_as_403
def agreements(request: HttpRequest, slug: str) -> HttpResponse:
    user = request_member(request)
    fund = fund_get_for_user(user=user, slug=slug, kind=KIND)
    collective = fund.collective
    membership = membership_in(user, fund)
    if request.method == "POST" and not membership.is_coordinator:
        # Said before the form is read: a member is not asked to fix fields
        # of a form only coordinators may send (the service says so again).
        raise DjangoPermissionDenied("Only a coordinator records client agreements.")
    clients = list(collective_client_list(collective=collective))
    recorded = list(client_agreements(fund=fund))
    signed = {agreement.client_id for agreement in recorded}
    form = AgreementForm(
        request.POST if request.method == "POST" else None,
        clients=[(c.pk, c.name) for c in clients if c.pk not in signed],
    )
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            client = next(c for c in clients if c.pk == data["client"])
            try:
                with transaction.atomic(durable=True):
                    guarantee.client_agreement_record(
                        collective=collective,
                        actor=user,
                        client=client,
                        signed_on=data["signed_on"],
                        reference=data["reference"],
                    )
            except DomainError as exc:
                if exc.status == 403:
                    raise
                form_error(form, exc.field, exc.message)
                status = exc.status
            else:
                messages.success(
                    request,
                    f"{client.name}'s agreement, signed on {day(data['signed_on'])}, is "
                    "recorded: its overdue invoices can now be claimed.",
                )
                return redirect("mutual:agreements", slug=collective.slug)
    return render(
        request,
        f"{TEMPLATES}/agreements.html",
        {
            "collective": collective,
            "fund": fund,
            "agreements": recorded,
            "form": form,
            "is_coordinator": membership.is_coordinator,
            "has_unsigned": len(signed) < len(clients),
        },
        status=status,
    )


@login_required
@require_POST
@forbidden_as_403
def agreement_remove(request: HttpRequest, slug: str, agreement_id: int) -> HttpResponse:
    user = request_member(request)
    fund = fund_get_for_user(user=user, slug=slug, kind=KIND)
    agreement = client_agreement_get_for_fund(fund=fund, agreement_id=agreement_id)
    try:
        with transaction.atomic(durable=True):
            guarantee.client_agreement_remove(
                collective=fund.collective, actor=user, client=agreement.client
            )
    except DomainError as exc:
        if exc.status == 403:
            raise
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"{agreement.client.name}'s agreement is removed: new claims on its invoices are "
            "refused; claims already made stand.",
        )
    return redirect("mutual:agreements", slug=fund.collective.slug)
