"""Small request helpers."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip_behind_proxy(request: HttpRequest) -> str:
    """The client address as the trusted reverse proxy saw it.

    The proxy appends the address it received the connection from to
    X-Forwarded-For, so the last entry is the one a client cannot forge.
    Used by django-axes when BEHIND_PROXY is on.
    """
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded:
        return str(forwarded.split(",")[-1].strip())
    return str(request.META.get("REMOTE_ADDR", ""))


def client_address(request: HttpRequest) -> str:
    """The client's address as this deployment can know it: the proxy's
    view of it when ``BEHIND_PROXY`` is on (the same rule as django-axes),
    the connection's otherwise. For per-address limits."""
    if getattr(settings, "AXES_CLIENT_IP_CALLABLE", None):
        return client_ip_behind_proxy(request)
    return str(request.META.get("REMOTE_ADDR", ""))
