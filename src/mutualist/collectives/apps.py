from __future__ import annotations

from django.apps import AppConfig


class CollectivesConfig(AppConfig):
    name = "mutualist.collectives"
    label = "collectives"
    verbose_name = "Collectives"
