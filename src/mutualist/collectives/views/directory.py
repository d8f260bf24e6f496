"""The directory of collectives, filtered by place, skill and name; htmx gets
the results alone."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from mutualist.collectives.forms import CollectiveFilterForm
from mutualist.collectives.models import Collective
from mutualist.collectives.selectors import collective_list_directory
from mutualist.collectives.views._common import _TEMPLATES, _home_label
from mutualist.core.web import is_htmx_partial
from mutualist.members.selectors import skill_list

DIRECTORY_PAGE_SIZE = 24


_is_htmx_partial = is_htmx_partial


@require_GET
def directory(request: HttpRequest) -> HttpResponse:
    form = CollectiveFilterForm(request.GET or None, skills=list(skill_list()))
    rows: list[tuple[Collective, str]] = []
    if not form.is_bound or form.is_valid():
        data = form.cleaned_data if form.is_bound else {}
        collectives = collective_list_directory(
            country=data.get("country") or None,
            city=data.get("city") or None,
            skill=data.get("skill") or None,
            remote=form.remote_value() if form.is_bound else None,
            query=data.get("q") or None,
        )
        rows = [(collective, _home_label(collective)) for collective in collectives]
    page = Paginator(rows, DIRECTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    partial = _is_htmx_partial(request)
    template = "_directory_results.html" if partial else "directory.html"
    response = render(
        request, f"{_TEMPLATES}/{template}", {"form": form, "page_obj": page, "partial": partial}
    )
    patch_vary_headers(response, ("HX-Request",))
    return response
