from __future__ import annotations

from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo world. It sits on top of every app (like ``api``), so the
    arrows of DESIGN.md keep pointing one way: core knows nothing of it."""

    name = "mutualist.demo"
    label = "demo"
    verbose_name = "Demo data"
