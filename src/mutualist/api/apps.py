from __future__ import annotations

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "mutualist.api"
    label = "api"
    verbose_name = "API"

    def ready(self) -> None:
        from mutualist.api import panels
        from mutualist.members.panels import register_dashboard_panel

        register_dashboard_panel("api.tokens", panels.dashboard_api_access)
