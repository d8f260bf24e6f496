from __future__ import annotations

from django.apps import AppConfig


class CollectivesConfig(AppConfig):
    name = "mutualist.collectives"
    label = "collectives"
    verbose_name = "Collectives"

    def ready(self) -> None:
        from mutualist.collectives import panels
        from mutualist.collectives.selectors import profiles_of_fellow_members
        from mutualist.members.panels import register_dashboard_panel, register_profile_panel
        from mutualist.members.visibility import register_profile_visibility

        register_profile_visibility("collectives.fellow_members", profiles_of_fellow_members)

        register_dashboard_panel("collectives.invitations", panels.dashboard_invitations)
        register_dashboard_panel("collectives.memberships", panels.dashboard_collectives)
        register_profile_panel("collectives.memberships", panels.profile_collectives)
