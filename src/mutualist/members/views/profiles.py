"""Placeholder views for the member's own pages; the lead replaces this module."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def dashboard(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


def profile_edit(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


def skills_edit(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


def availability_edit(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


def directory(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


def profile_detail(request: HttpRequest, handle: str) -> HttpResponse:
    raise NotImplementedError
