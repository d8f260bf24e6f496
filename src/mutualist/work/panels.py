"""The work app's panels on a member's dashboard (see members/panels.py)."""

from __future__ import annotations

from django.http import HttpRequest

from mutualist.collectives.models import Membership
from mutualist.members.models import User
from mutualist.members.panels import Panel


def register() -> None:
    """Called from ``WorkConfig.ready``."""
    from mutualist.members.panels import register_dashboard_panel
    from mutualist.work.portal import register_portal_section
    from mutualist.work.views.time import dashboard_this_week
    from mutualist.work.views.timesheets import portal_timesheets

    register_dashboard_panel("work.this_week", dashboard_this_week)
    register_portal_section("work.timesheets", portal_timesheets)
    # clients: a client contact's organisations and the way to the portal
    from mutualist.members import panels as member_panels
    from mutualist.work.views import portal as portal_views

    member_panels.register_dashboard_panel("work.clients", portal_views.dashboard_clients_panel)
    # pitches, agreements and engagements: what a client contact was sent and must accept
    from mutualist.work.views.pitches import portal_pitches

    register_portal_section("work.pitches", portal_pitches)
    register_dashboard_panel("work.collective_work", dashboard_collective_work)


def dashboard_collective_work(request: HttpRequest) -> Panel | None:
    """Each active collective's way into its work: clients and leads,
    pitches, engagements, and (coordinators) the team's week. The collective
    pages themselves know nothing of work (DESIGN.md's arrows), so the
    dashboard is where the two meet."""
    user = request.user
    if not isinstance(user, User):
        return None
    memberships = list(
        Membership.objects.filter(user=user, state=Membership.State.ACTIVE)
        .select_related("collective")
        .order_by("collective__name")
    )
    if not memberships:
        return None
    return Panel("work/panels/dashboard_work.html", {"memberships": memberships}, order=55)
