"""Governance's panel on a member's dashboard: proposals waiting for their vote."""

from __future__ import annotations

from django.http import HttpRequest

from mutualist.governance.selectors import proposal_list_waiting_for
from mutualist.members.models import User
from mutualist.members.panels import Panel, register_dashboard_panel

WAITING_SHOWN = 10


def dashboard_waiting(request: HttpRequest) -> Panel | None:
    user = request.user
    if not isinstance(user, User):
        return None
    waiting = list(proposal_list_waiting_for(user=user)[: WAITING_SHOWN + 1])
    if not waiting:
        return None
    return Panel(
        "governance/panels/dashboard_waiting.html",
        {"proposals": waiting[:WAITING_SHOWN], "more": len(waiting) > WAITING_SHOWN},
        order=20,
    )


def register() -> None:
    register_dashboard_panel("governance.waiting", dashboard_waiting)
