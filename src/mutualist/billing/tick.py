"""Billing's periodic jobs, found by ``mutualist.core.tick.autodiscover()``
(what they do, and why they are safe to run from several schedulers at
once: ``billing/reminders.py``)."""

from __future__ import annotations

from mutualist.billing.reminders import invoice_reminders_send, invoices_mark_overdue
from mutualist.core import tick

tick.register(
    "billing.mark_overdue",
    invoices_mark_overdue,
    description="Mark unpaid invoices past their due date overdue.",
)
tick.register(
    "billing.send_reminders",
    invoice_reminders_send,
    description="Email clients about unpaid invoices on the collective's reminder days.",
)
