"""Every write in billing. Views, the API, commands and the demo call these."""

from __future__ import annotations

from mutualist.billing.services._common import quantity_parse, tax_rate_parse
from mutualist.billing.services.billed_time import invoiceable_entries
from mutualist.billing.services.credit_notes import credit_note_issue
from mutualist.billing.services.invoices import (
    FixedItem,
    invoice_draft_create,
    invoice_draft_delete,
    invoice_draft_update,
    invoice_line_add,
    invoice_line_remove,
)
from mutualist.billing.services.issue import invoice_issue, invoice_member_weights
from mutualist.billing.services.payments import (
    EXCESS_CHOICES,
    invoice_targets,
    payment_record,
    shares_so_far,
)
from mutualist.billing.services.payouts import payout_record, payout_setting_set
from mutualist.billing.services.settings import (
    billing_settings_get,
    billing_settings_update,
    number_next,
    number_pattern_validate,
    reminder_days_of,
    reminder_days_parse,
)

__all__ = [
    "EXCESS_CHOICES",
    "FixedItem",
    "billing_settings_get",
    "billing_settings_update",
    "credit_note_issue",
    "invoice_draft_create",
    "invoice_draft_delete",
    "invoice_draft_update",
    "invoice_issue",
    "invoice_line_add",
    "invoice_line_remove",
    "invoice_member_weights",
    "invoice_targets",
    "invoiceable_entries",
    "number_next",
    "number_pattern_validate",
    "payment_record",
    "payout_record",
    "payout_setting_set",
    "quantity_parse",
    "reminder_days_of",
    "reminder_days_parse",
    "shares_so_far",
    "tax_rate_parse",
]
