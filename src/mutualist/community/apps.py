from __future__ import annotations

from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "mutualist.community"
    label = "community"
    verbose_name = "Community blog"
