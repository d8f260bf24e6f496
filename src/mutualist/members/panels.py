"""Panels other apps add to a member's pages, without members importing them.

DESIGN.md's arrows point from collectives (and later billing, mutual...) to
members, never back. Yet a member's dashboard shows their collectives and
invitations, and a profile page the collectives the person is active in. So
those apps register panels here (in their ``AppConfig.ready()``), the way
wagtail's hooks work; members renders whatever is registered, in order.

A provider takes the request (and, for profile panels, the profile shown) and
returns a ``Panel`` or ``None`` when it has nothing to show. It must read
through its own app's permission-scoped selectors.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest

from mutualist.members.models import Profile


@dataclass(frozen=True)
class Panel:
    """A template to include and the context it needs (as ``panel.context``)."""

    template: str
    context: Mapping[str, Any] = field(default_factory=dict)
    order: int = 100


DashboardProvider = Callable[[HttpRequest], Panel | None]
ProfileProvider = Callable[[HttpRequest, Profile], Panel | None]

_dashboard: dict[str, DashboardProvider] = {}
_profile: dict[str, ProfileProvider] = {}


def register_dashboard_panel(name: str, provider: DashboardProvider) -> None:
    """Register (or re-register, e.g. on autoreload) a dashboard panel."""
    _dashboard[name] = provider


def register_profile_panel(name: str, provider: ProfileProvider) -> None:
    _profile[name] = provider


def dashboard_panels(request: HttpRequest) -> list[Panel]:
    panels = [provider(request) for provider in _dashboard.values()]
    return sorted((p for p in panels if p is not None), key=lambda p: p.order)


def profile_panels(request: HttpRequest, profile: Profile) -> list[Panel]:
    panels = [provider(request, profile) for provider in _profile.values()]
    return sorted((p for p in panels if p is not None), key=lambda p: p.order)
