"""What the collective pages share: labels, redirects and the short names the
views use for the shared helpers in core/web.py and members/web.py."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect

from mutualist.collectives.models import Collective
from mutualist.core.reference import country_names
from mutualist.core.web import add_domain_error
from mutualist.members.web import request_member, request_viewer

_TEMPLATES = "collectives"

# Shared with the other apps' views (see core/web.py and members/web.py).
_add_domain_error = add_domain_error
_viewer = request_viewer
_current_user = request_member


def _home_label(collective: Collective) -> str:
    if collective.is_remote and not collective.city:
        return "Remote"
    country = country_names().get(collective.country, collective.country)
    place = ", ".join(part for part in (collective.city, country) if part)
    return f"{place} (and remote)" if collective.is_remote else place


def _back_to_detail(collective: Collective) -> HttpResponse:
    return redirect("collectives:detail", slug=collective.slug)
