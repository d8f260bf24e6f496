from __future__ import annotations

from django.apps import AppConfig


class WorkConfig(AppConfig):
    name = "mutualist.work"
    label = "work"
    verbose_name = "Work: clients, jobs, pitches, engagements and time"

    def ready(self) -> None:
        from mutualist.work import panels

        panels.register()
