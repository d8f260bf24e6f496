from __future__ import annotations

from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "mutualist.governance"
    label = "governance"
    verbose_name = "Governance: proposals and votes"

    def ready(self) -> None:
        from mutualist.governance import handlers, panels, receivers

        handlers.register_builtin()
        receivers.connect()
        panels.register()
