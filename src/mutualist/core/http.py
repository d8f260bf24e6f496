"""Small request helpers."""

from __future__ import annotations

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
