"""Dashboard and portal panels of the invoices area (see members/panels.py, work/portal.py)."""

from __future__ import annotations


def register() -> None:
    """Called from ``BillingConfig.ready``."""
