"""Loaded with ``-p`` before pytest-django configures Django (see pyproject).

A root conftest runs too late for this: pytest-django imports the settings in
``pytest_load_initial_conftests``. DEBUG=1 here only relaxes the SECRET_KEY
requirement and the static-file storage; pytest-django still runs the tests
themselves with DEBUG off.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("EMAIL_URL", "locmem://")
# A clean clone has no var/; keep test runs from writing there or warning about
# a missing static directory.
_var = Path(tempfile.gettempdir()) / "mutualist-test-var"
(_var / "static").mkdir(parents=True, exist_ok=True)
os.environ.setdefault("MUTUALIST_VAR_DIR", str(_var))
