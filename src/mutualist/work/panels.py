"""The work app's panels on a member's dashboard (see members/panels.py)."""

from __future__ import annotations


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
