"""Sections of the client portal's home page, registered by each area.

The portal page (clients and jobs) shows what a client contact must act on:
pitches received, agreements to accept, timesheets to approve and later
invoices. Each area registers a provider here (in ``work.panels.register``),
the way members' dashboard panels work; the portal renders what it gets.
A provider takes the request and the clients the viewer acts for and
returns a ``Panel`` or ``None``; it must read through permission-scoped
selectors.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.http import HttpRequest

from mutualist.members.panels import Panel
from mutualist.work.models import Client

PortalProvider = Callable[[HttpRequest, Sequence[Client]], Panel | None]

_sections: dict[str, PortalProvider] = {}


def register_portal_section(name: str, provider: PortalProvider) -> None:
    _sections[name] = provider


def portal_sections(request: HttpRequest, clients: Sequence[Client]) -> list[Panel]:
    panels = [provider(request, clients) for provider in _sections.values()]
    return sorted((p for p in panels if p is not None), key=lambda p: p.order)
