"""Fixtures shared by every app's tests live in mutualist.core.testing."""

from __future__ import annotations

pytest_plugins = ["mutualist.core.testing"]
