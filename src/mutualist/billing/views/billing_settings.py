"""A collective's billing settings: how its invoices are numbered, the words
printed on them, and when clients are reminded.

Members read them; coordinators change them (403 for other members, 404
for everyone outside). A preview shows the number the next invoice and
credit note will get, and, while a coordinator types a pattern, htmx asks
``settings_preview`` for the number it would give.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as HttpPermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from mutualist.billing.forms_money import BillingSettingsForm
from mutualist.billing.models import Invoice
from mutualist.billing.selectors.money import (
    NumberPreview,
    billing_settings_read,
    number_preview,
    number_previews,
)
from mutualist.billing.services import (
    billing_settings_update,
    number_pattern_validate,
    reminder_days_of,
)
from mutualist.collectives.selectors import (
    collective_get_for_coordinator,
    collective_get_for_member,
)
from mutualist.core.errors import DomainError, ValidationFailed
from mutualist.core.web import add_domain_error, forbidden_as_403
from mutualist.members.web import request_member

_TEMPLATES = "billing/money"


def reminders_text(days: list[int]) -> str:
    """``[-3, 0, 7]`` as "3 days before the due date, on the due date, 7 days after"."""

    def one(day: int) -> str:
        if day == 0:
            return "on the due date"
        unit = "day" if abs(day) == 1 else "days"
        return f"{-day} {unit} before the due date" if day < 0 else f"{day} {unit} after"

    return ", ".join(one(day) for day in days)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@forbidden_as_403
def billing_settings(request: HttpRequest, slug: str) -> HttpResponse:
    user = request_member(request)
    collective, membership = collective_get_for_member(user=user, slug=slug)
    if request.method == "POST" and not membership.is_coordinator:
        raise HttpPermissionDenied("Only a coordinator of this collective can do that.")
    current = billing_settings_read(collective)
    form = None
    if membership.is_coordinator:
        form = BillingSettingsForm(
            request.POST if request.method == "POST" else None,
            initial=BillingSettingsForm.initial_for(current),
        )
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            with transaction.atomic(durable=True):
                billing_settings_update(collective=collective, actor=user, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request, "Saved the billing settings. Invoices issued from now on use them."
            )
            return redirect("billing:settings", slug=collective.slug)
    invoice_next, credit_note_next = number_previews(
        collective=collective, settings=current, on=timezone.localdate()
    )
    return render(
        request,
        f"{_TEMPLATES}/settings.html",
        {
            "collective": collective,
            "settings": current,
            "form": form,
            "previews": [
                ("The next invoice", invoice_next, ""),
                ("The next credit note", credit_note_next, ""),
            ],
            "reminders": reminders_text(reminder_days_of(current)),
        },
    )


@login_required
@require_GET
@forbidden_as_403
def settings_preview(request: HttpRequest, slug: str) -> HttpResponse:
    """The numbers the patterns being typed would give (an htmx fragment)."""
    collective, _ = collective_get_for_coordinator(user=request_member(request), slug=slug)
    prefix = request.GET.get("number_prefix", "").strip().upper()[:12]
    previews: list[tuple[str, NumberPreview | None, str]] = []
    for field, kind, label in (
        ("number_pattern", Invoice.Kind.INVOICE, "The next invoice"),
        ("credit_note_pattern", Invoice.Kind.CREDIT_NOTE, "The next credit note"),
    ):
        try:
            pattern = number_pattern_validate(request.GET.get(field, ""), field=field)
        except ValidationFailed as exc:
            previews.append((label, None, exc.message))
            continue
        found = number_preview(
            collective=collective,
            prefix=prefix,
            pattern=pattern,
            kind=kind,
            on=timezone.localdate(),
        )
        previews.append((label, found, ""))
    return render(request, f"{_TEMPLATES}/_number_preview.html", {"previews": previews})
