from __future__ import annotations

from django.apps import AppConfig


class MutualConfig(AppConfig):
    name = "mutualist.mutual"
    label = "mutual"
    verbose_name = "Mutual funds and claims"

    def ready(self) -> None:
        from mutualist.mutual import wiring

        wiring.connect()
