"""The engines stand alone: nothing under ``src/mutualist/engines`` imports
Django or any of the apps, so they run (and are benchmarked) without a
settings module, and the arrows of DESIGN.md point one way.

The first check reads the source (every import statement, including those
inside functions and ``TYPE_CHECKING`` blocks); the second imports the
package in a fresh interpreter and looks at what came along.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ENGINES = Path(__file__).resolve().parent.parent / "src" / "mutualist" / "engines"
FORBIDDEN_ROOTS = {"django", "ninja", "rest_framework"}


def engine_files() -> list[Path]:
    return sorted(ENGINES.rglob("*.py"))


def module_name(path: Path) -> str:
    """``mutualist.engines.matching.solver`` for its file; a package's
    ``__init__`` counts as the package itself for relative imports."""
    parts = path.relative_to(ENGINES.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, module: str, *, package: bool = False) -> list[tuple[int, str]]:
    """(line, absolute module name) of each import in ``source``, the text of
    ``module`` (a ``package`` when it is an ``__init__``)."""
    here = module.split(".") if package else module.split(".")[:-1]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - (node.level - 1)]
                name = ".".join([*base, *([node.module] if node.module else [])])
            else:
                name = node.module or ""
            found.append((node.lineno, name))
            # ``from mutualist import work`` imports an app as well.
            found.extend((node.lineno, f"{name}.{alias.name}") for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and (
                (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
                or (
                    isinstance(node.func, ast.Name)
                    and node.func.id in {"import_module", "__import__"}
                )
            )
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return found


def offending(module: str) -> bool:
    parts = module.split(".")
    if parts[0] in FORBIDDEN_ROOTS:
        return True
    return parts[0] == "mutualist" and len(parts) > 1 and parts[1] != "engines"


def test_the_engines_are_there_to_check():
    names = {path.relative_to(ENGINES).as_posix() for path in engine_files()}
    assert "matching/solver.py" in names
    assert "matching/__init__.py" in names
    assert "solvency/fund.py" in names
    assert "solvency/__init__.py" in names


@pytest.mark.parametrize(
    "path", engine_files(), ids=lambda path: path.relative_to(ENGINES).as_posix()
)
def test_no_engine_file_imports_django_or_an_app(path):
    found = imported_modules(
        path.read_text(encoding="utf-8"), module_name(path), package=path.name == "__init__.py"
    )
    assert [f"line {line}: {name}" for line, name in found if offending(name)] == []


def test_the_import_check_catches_what_it_looks_for():
    # The check itself can fail: each kind of forbidden import, and two allowed.
    source = (
        "import django.db\n"
        "from django.conf import settings\n"
        "from mutualist import work\n"
        "from mutualist.ledger.services import transaction_post\n"
        "from ...members import models\n"
        "def later():\n"
        "    import importlib\n"
        "    importlib.import_module('mutualist.billing')\n"
        "from mutualist.engines.matching import solve\n"
        "from . import timegrid\n"
    )
    found = imported_modules(source, "mutualist.engines.matching.solver")
    assert [name for _line, name in found if offending(name)] == [
        "django.db",
        "django.conf",
        "django.conf.settings",
        "mutualist.work",
        "mutualist.ledger.services",
        "mutualist.ledger.services.transaction_post",
        "mutualist.members",
        "mutualist.members.models",
        "mutualist.billing",
    ]
    assert "mutualist.engines.matching.timegrid" in [name for _line, name in found]


@pytest.mark.parametrize("engine", ["matching", "solvency"])
def test_importing_an_engine_loads_no_django_and_no_app(engine):
    code = (
        f"import sys, mutualist.engines.{engine}\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in {'django', 'ninja'}"
        " or (m.startswith('mutualist.') and not m.startswith('mutualist.engines')))\n"
        "assert 'django' not in sys.modules, loaded\n"
        "assert loaded == [], loaded\n"
        "print('ok')\n"
    )
    environment = {
        name: value
        for name in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT", "PYTHONPATH")
        if (value := os.environ.get(name)) is not None
    }
    completed = subprocess.run(  # noqa: S603 - this interpreter, fixed code
        [sys.executable, "-c", code],
        env=environment,  # no DJANGO_SETTINGS_MODULE to lean on
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (completed.returncode, completed.stdout.strip()) == (0, "ok"), completed.stderr
