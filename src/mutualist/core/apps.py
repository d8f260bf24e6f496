from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "mutualist.core"
    label = "core"
    verbose_name = "Core"
