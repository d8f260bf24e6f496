"""The work app's panels on a member's dashboard (see members/panels.py)."""

from __future__ import annotations


def register() -> None:
    """Called from ``WorkConfig.ready``."""
