"""Placeholder views for collectives; the lead replaces this module."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def directory(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


def create(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


def detail(request: HttpRequest, slug: str) -> HttpResponse:
    raise NotImplementedError


def edit(request: HttpRequest, slug: str) -> HttpResponse:
    raise NotImplementedError


def invite(request: HttpRequest, slug: str) -> HttpResponse:
    raise NotImplementedError


def apply(request: HttpRequest, slug: str) -> HttpResponse:
    raise NotImplementedError


def leave(request: HttpRequest, slug: str) -> HttpResponse:
    raise NotImplementedError


def application_decide(request: HttpRequest, slug: str, membership_id: int) -> HttpResponse:
    raise NotImplementedError


def membership_role(request: HttpRequest, slug: str, membership_id: int) -> HttpResponse:
    raise NotImplementedError


def invitation_revoke(request: HttpRequest, slug: str, invitation_id: int) -> HttpResponse:
    raise NotImplementedError


def bylaws(request: HttpRequest, slug: str) -> HttpResponse:
    raise NotImplementedError


def invitation_respond(request: HttpRequest, token: str) -> HttpResponse:
    raise NotImplementedError
