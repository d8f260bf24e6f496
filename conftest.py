"""Fixtures shared by every app's tests live in mutualist.testing."""

from __future__ import annotations

pytest_plugins = ["mutualist.testing"]
