from __future__ import annotations

from django.apps import AppConfig


class CollectivesConfig(AppConfig):
    name = "mutualist.collectives"
    label = "collectives"
    verbose_name = "Collectives"

    def ready(self) -> None:
        from mutualist.collectives import panels
        from mutualist.members.panels import register_dashboard_panel, register_profile_panel

        register_dashboard_panel("collectives.invitations", panels.dashboard_invitations)
        register_dashboard_panel("collectives.memberships", panels.dashboard_collectives)
        register_profile_panel("collectives.memberships", panels.profile_collectives)
