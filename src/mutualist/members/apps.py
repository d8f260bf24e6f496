from __future__ import annotations

from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "mutualist.members"
    label = "members"
    verbose_name = "Members"
