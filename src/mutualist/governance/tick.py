"""Governance's periodic jobs for ``mutualist tick``."""

from __future__ import annotations

from mutualist.core.tick import register
from mutualist.governance.services import proposals_close_due, reminders_due


def close_proposals() -> int:
    """Close proposals that are due or that every member voted on, and apply each outcome once."""
    return proposals_close_due()


def remind_voters() -> int:
    """Remind members who have not voted, a day before a proposal closes."""
    return reminders_due()


register("governance.remind_voters", remind_voters)
register("governance.close_proposals", close_proposals)
