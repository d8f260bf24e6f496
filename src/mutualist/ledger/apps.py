from __future__ import annotations

from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "mutualist.ledger"
    label = "ledger"
    verbose_name = "Ledger"

    def ready(self) -> None:
        from mutualist.ledger import panels
        from mutualist.members.panels import register_dashboard_panel

        register_dashboard_panel("ledger.accounts", panels.dashboard_accounts)
