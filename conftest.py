"""Test configuration shared by every app.

Tests run with the project's one settings module. DEBUG=1 in the environment
only relaxes the SECRET_KEY requirement and static-file storage; pytest-django
still runs the tests themselves with DEBUG off.
"""

from __future__ import annotations

import os

os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("EMAIL_URL", "locmem://")

pytest_plugins = ["mutualist.core.testing"]
