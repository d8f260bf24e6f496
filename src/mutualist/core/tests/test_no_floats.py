"""No floats on money paths: a float cannot hold 0.10, so none may appear.

Scans the source of the money modules (and of every money app as it
arrives) for ``float(...)`` calls, float literals and ``FloatField``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import mutualist

ROOT = Path(mutualist.__file__).parent
MONEY_MODULES = [ROOT / "core" / "money.py", ROOT / "core" / "reference.py"]
MONEY_APPS = ["ledger", "billing", "mutual"]
# Modules of the money apps that are not money paths. The solvency simulator
# estimates chances by Monte Carlo in floats (``mutualist.engines.solvency``);
# these modules are its boundary and its pictures. They move and store no
# money: every amount they show becomes a ``Decimal``/``Money`` rounded to
# the currency's minor unit, stored as decimal strings in a JSON cache
# (``SolvencyRun``, which the next test checks has no FloatField). The
# solvency service's modules that hold no float (its JSON, its interface)
# are scanned like any other.
SOLVENCY = ROOT / "mutual" / "services" / "solvency"
NOT_MONEY_PATHS = {
    SOLVENCY / "history.py": "the simulator's float boundary",
    SOLVENCY / "model.py": "the simulator's float boundary",
    SOLVENCY / "report.py": "the simulator's float boundary",
    SOLVENCY / "run.py": "the simulator's float boundary",
    ROOT / "mutual" / "views" / "solvency.py": "chances and shares as text",
    ROOT / "mutual" / "charts.py": "chart geometry (inches, line widths)",
}


def money_sources() -> list[Path]:
    files = list(MONEY_MODULES)
    for app in MONEY_APPS:
        folder = ROOT / app
        if folder.is_dir():
            files += [
                p
                for p in folder.rglob("*.py")
                if "tests" not in p.parts and p not in NOT_MONEY_PATHS
            ]
    return sorted(files)


def floats_in(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "float"
        ):
            found.append(f"line {node.lineno}: float(...)")
        elif isinstance(node, ast.Constant) and isinstance(node.value, float):
            found.append(f"line {node.lineno}: float literal {node.value!r}")
        elif isinstance(node, ast.Attribute | ast.Name) and "FloatField" in ast.unparse(node):
            found.append(f"line {node.lineno}: FloatField")
    return found


def test_the_scan_finds_floats() -> None:
    assert floats_in("x = float(y)\nz = 0.1\nf = models.FloatField()") == [
        "line 1: float(...)",
        "line 2: float literal 0.1",
        "line 3: FloatField",
    ]


def test_the_money_apps_are_scanned() -> None:
    assert ROOT / "ledger" / "services" / "posting.py" in money_sources()


def test_the_exempt_modules_exist_and_store_no_float() -> None:
    # A stale exemption would silently cover a future file of the same name.
    assert all(path.is_file() for path in NOT_MONEY_PATHS)
    assert "FloatField" not in (ROOT / "mutual" / "models.py").read_text()
    assert (ROOT / "mutual" / "services" / "funds.py") in money_sources()


@pytest.mark.parametrize("path", money_sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_money_code_has_no_floats(path: Path) -> None:
    assert floats_in(path.read_text()) == []
