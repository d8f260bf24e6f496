"""Placeholder views, replaced by the web UI (see views/)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def _todo(request: HttpRequest, **kwargs: object) -> HttpResponse:
    return HttpResponse("todo")


decisions = proposal_new = proposal = vote = withdraw = proxies = proxy_revoke = _todo
