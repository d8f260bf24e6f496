"""A collective's billing settings: how its invoices are numbered, the
words printed on them, and when unpaid invoices' clients are reminded.

Its active members read them; its coordinators change them (a member gets
``403 not_coordinator``, anyone else 404).
"""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from ninja import Router

from mutualist.api.auth import request_user
from mutualist.api.routers import responses
from mutualist.api.schemas.billing_money import BillingSettingsOut, BillingSettingsPatchIn
from mutualist.billing.models import BillingSettings
from mutualist.billing.selectors.money import billing_settings_read, number_previews
from mutualist.billing.services import billing_settings_update
from mutualist.collectives.models import Collective
from mutualist.collectives.selectors import (
    collective_get_for_coordinator,
    collective_get_for_member,
)

router = Router(tags=["billing: settings"])


def settings_out(collective: Collective, settings: BillingSettings) -> BillingSettingsOut:
    """The settings, with the numbers the next invoice and credit note issued
    today would get (read from the counters, not taken from them)."""
    invoice, credit_note = number_previews(
        collective=collective, settings=settings, on=timezone.localdate()
    )
    return BillingSettingsOut.from_model(
        settings, next_numbers=(invoice.number, credit_note.number)
    )


@router.get(
    "/collectives/{slug}/billing-settings",
    response=responses({200: BillingSettingsOut}),
    summary="How the collective numbers its invoices and reminds its clients (members)",
)
def billing_settings_detail(request: HttpRequest, slug: str) -> BillingSettingsOut:
    """Until a coordinator changes them, the defaults (reading writes nothing)."""
    collective, _ = collective_get_for_member(user=request_user(request), slug=slug)
    return settings_out(collective, billing_settings_read(collective))


@router.patch(
    "/collectives/{slug}/billing-settings",
    response=responses({200: BillingSettingsOut}),
    summary="Change the numbering, the words on invoices or the reminder days (coordinators)",
)
def billing_settings_change(
    request: HttpRequest, slug: str, payload: BillingSettingsPatchIn
) -> BillingSettingsOut:
    """Only the fields sent change. A new pattern numbers the next invoice
    issued; numbers already given keep theirs. ``reminder_days`` ``[]``
    sends no reminders."""
    user = request_user(request)
    reminder_days = payload.reminder_days
    with transaction.atomic(durable=True):
        collective, _ = collective_get_for_coordinator(user=user, slug=slug)
        settings = billing_settings_update(
            collective=collective,
            actor=user,
            number_prefix=payload.number_prefix,
            number_pattern=payload.number_pattern,
            credit_note_pattern=payload.credit_note_pattern,
            payment_instructions=payload.payment_instructions,
            late_payment_terms=payload.late_payment_terms,
            reminder_days=(
                ",".join(str(day) for day in reminder_days) if reminder_days is not None else None
            ),
        )
    return settings_out(collective, settings)
