"""Placeholder API wiring; the lead replaces this module."""

from __future__ import annotations

from ninja import NinjaAPI

api = NinjaAPI(urls_namespace="api")
