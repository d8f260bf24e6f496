"""A new draft: a coordinator chooses an engagement (and sees the approved
time it has waiting, per member) or a client alone, the tax, notes and any
fixed items; ``invoice_draft_create`` makes the draft or says no, on the
field at fault.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from mutualist.billing.forms_invoices import BaseFixedItemFormSet, FixedItemFormSet, InvoiceNewForm
from mutualist.billing.pdf import minutes_text
from mutualist.billing.services import invoice_draft_create, invoiceable_entries
from mutualist.billing.views.invoices import _clients_of, _members_of
from mutualist.collectives.models import Collective
from mutualist.collectives.selectors import collective_get_for_coordinator
from mutualist.core.errors import DomainError
from mutualist.core.web import add_domain_error, forbidden_as_403, is_htmx_partial
from mutualist.ledger.services import ledger_date_validate
from mutualist.members.web import request_member
from mutualist.work.models import Client, Engagement
from mutualist.work.selectors.pitches import engagement_list_for_collective

_TEMPLATES = "billing/invoices"
# The engagements a coordinator may invoice: any whose agreement was accepted.
INVOICEABLE = (Engagement.Status.ACTIVE, Engagement.Status.PAUSED, Engagement.Status.ENDED)


@dataclass(frozen=True, slots=True)
class UnbilledMember:
    name: str
    time: str
    entries: int


@dataclass(slots=True)
class Unbilled:
    """An engagement's approved time that no invoice has billed yet."""

    engagement: Engagement
    members: list[UnbilledMember] = field(default_factory=list)
    first: dt.date | None = None
    last: dt.date | None = None


def _engagements_of(collective: Collective) -> QuerySet[Engagement]:
    return engagement_list_for_collective(collective=collective).filter(status__in=INVOICEABLE)


def unbilled_time(engagements: QuerySet[Engagement], until: dt.date | None) -> list[Unbilled]:
    """Per engagement, each member's approved, unbilled time up to ``until``
    (what a draft would bill now); engagements with none are left out."""
    found = []
    for engagement in engagements:
        minutes: dict[int, int] = defaultdict(int)
        counts: dict[int, int] = defaultdict(int)
        names: dict[int, str] = {}
        row = Unbilled(engagement)
        # Days as the engagement counts them (``until`` is in its time zone too).
        zone = ZoneInfo(engagement.timezone)
        entries = invoiceable_entries(engagement=engagement, until=until).select_related(
            "member__profile"
        )
        for entry in entries:
            minutes[entry.member_id] += entry.minutes or 0
            counts[entry.member_id] += 1
            names[entry.member_id] = entry.member.display_name
            day = entry.started_at.astimezone(zone).date()
            row.first = min(filter(None, [row.first, day]))
            row.last = max(filter(None, [row.last, day]))
        row.members = [
            UnbilledMember(names[uid], minutes_text(minutes[uid]), counts[uid])
            for uid in sorted(names, key=lambda uid: names[uid])
        ]
        if row.members:
            found.append(row)
    return found


def _until_of(request: HttpRequest) -> dt.date | None:
    """The preview's "bill time up to" date; none when it is not one."""
    raw = request.GET.get("until", "").strip()
    try:
        return ledger_date_validate(dt.date.fromisoformat(raw), field="until") if raw else None
    except (ValueError, DomainError):
        return None


def _refusal_on_new(
    form: InvoiceNewForm, items: BaseFixedItemFormSet, rows: list[int], exc: DomainError
) -> None:
    """A refusal on the field it names; ``items[i].quantity`` is the quantity
    of the i-th filled-in row of the formset."""
    name = exc.field or ""
    if name.startswith("items[") and "]." in name:
        index, _, column = name.removeprefix("items[").partition("].")
        if index.isdigit() and int(index) < len(rows):
            item_form = items.forms[rows[int(index)]]
            if column in item_form.fields:
                item_form.add_error(column, exc.message)
                return
    add_domain_error(form, exc)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@forbidden_as_403
def invoice_new(request: HttpRequest, slug: str) -> HttpResponse:
    user = request_member(request)
    collective, _ = collective_get_for_coordinator(user=user, slug=slug)
    engagements = _engagements_of(collective)
    if request.method != "POST" and is_htmx_partial(request):
        # The preview of unbilled time, as "bill time up to" changes.
        return render(
            request,
            f"{_TEMPLATES}/_unbilled.html",
            {"unbilled": unbilled_time(engagements, _until_of(request))},
        )
    data = request.POST if request.method == "POST" else None
    form = InvoiceNewForm(
        data,
        engagements=engagements,
        clients=_clients_invoiceable(collective),
        initial={"engagement": request.GET.get("engagement")},
    )
    # Changing "bill time up to" refreshes the preview of what the draft would bill.
    form.fields["until"].widget.attrs.update(
        {
            "hx-get": reverse("billing:invoice_new", kwargs={"slug": collective.slug}),
            "hx-trigger": "change",
            "hx-target": "#unbilled",
            "hx-swap": "outerHTML",
        }
    )
    items = FixedItemFormSet(
        data, prefix="items", form_kwargs={"members": _members_of(collective, user)}
    )
    if request.method == "POST" and form.is_valid() and items.is_valid():
        cleaned = form.cleaned_data
        currency = form.currency()
        found = items.items(currency) if currency else None
        if found is not None:
            fixed, rows = found
            try:
                with transaction.atomic(durable=True):
                    invoice = invoice_draft_create(
                        collective=collective,
                        actor=user,
                        engagement=cleaned["engagement"],
                        client=cleaned["client"],
                        until=cleaned["until"],
                        items=fixed,
                        tax_rate=cleaned["tax_rate"],
                        tax_label=cleaned["tax_label"],
                        notes=cleaned["notes"],
                    )
            except DomainError as exc:
                if exc.status == 403:
                    raise
                _refusal_on_new(form, items, rows, exc)
            else:
                messages.success(
                    request,
                    f"Draft made for {invoice.client.name}: check it, then issue it.",
                )
                return redirect("billing:invoice", pk=invoice.pk)
    until = form.cleaned_data.get("until") if form.is_bound and form.is_valid() else None
    return render(
        request,
        f"{_TEMPLATES}/new.html",
        {
            "collective": collective,
            "form": form,
            "items": items,
            "unbilled": unbilled_time(engagements, until),
        },
        status=422 if request.method == "POST" else 200,
    )


def _clients_invoiceable(collective: Collective) -> QuerySet[Client]:
    """Clients the collective may bill fixed items alone: those it works
    for or recorded (``invoice_draft_create`` refuses any other)."""
    return _clients_of(collective).filter(
        Q(collective=collective) | Q(engagements__collective=collective)
    )
