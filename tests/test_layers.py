"""The layer contract, read from the source: which package may import which.

domain   pure rules and values: imports only domain and errors
storage  tables, queries, backends: never services, cli or tui
services the board's behaviour: never cli or tui
cli      never tui, except the one entry point that launches the app
Textual is imported only under tui/, click only under cli/; a database driver only
inside its backend (sqlite3 and watchfiles under storage/sqlite/, psycopg under
storage/postgres/), so nothing above storage/backend.py knows which one runs.
Every import counts, including those inside functions.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "prodboard"

# layer -> the layers of ours it may import (a layer may always import itself)
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "domain": {"errors"},
    "settings": {"errors", "domain"},
    "config": {"errors", "domain", "settings"},
    "storage": {"errors", "domain", "settings"},
    "services": {"errors", "domain", "settings", "config", "storage"},
    "cli": {"errors", "domain", "settings", "config", "storage", "services"},
    "tui": {"errors", "domain", "settings", "config", "storage", "services"},
}
EXCEPTIONS = {("cli", "prodboard.tui.run")}  # `prodboard` with no command opens the board
THIRD_PARTY = {"textual": {"tui"}, "click": {"cli"}}
# driver -> the one package that may import it
BACKEND_ONLY = {
    "sqlite3": "prodboard.storage.sqlite",
    "watchfiles": "prodboard.storage.sqlite",
    "psycopg": "prodboard.storage.postgres",
    "psycopg_pool": "prodboard.storage.postgres",
}


def layer_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "prodboard"


def source_modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports_of(module: str, path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names.add(target)
            names.update(f"{target}.{alias.name}" for alias in node.names)
    return names


def bad_imports(module: str, path: Path, modules: dict[str, Path]) -> list[str]:
    """The imports in one file that break the contract."""
    layer = layer_of(module)
    found = []
    for name in sorted(imports_of(module, path)):
        top = name.split(".")[0]
        if top == "prodboard":
            if name not in modules and name.rsplit(".", 1)[0] in modules:
                continue  # `from module import name`: the module itself is checked
            target = layer_of(name)
            if target in (layer, "prodboard") or target in ALLOWED[layer] or (layer, name) in EXCEPTIONS:
                continue
            found.append(f"{module} imports {name}")
        elif (top in THIRD_PARTY and layer not in THIRD_PARTY[top]) or (
                top in BACKEND_ONLY and not _inside(module, BACKEND_ONLY[top])):
            found.append(f"{module} imports {name}")
    return found


def _inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def violations() -> list[str]:
    modules = source_modules()
    found = []
    for module, path in sorted(modules.items()):
        if layer_of(module) in ALLOWED:
            found += bad_imports(module, path, modules)
    return found


def test_every_module_belongs_to_a_layer() -> None:
    stray = [m for m in source_modules() if layer_of(m) not in ALLOWED and m.count(".") > 1]
    assert stray == []


def test_layers_import_only_downwards() -> None:
    assert violations() == []


@pytest.mark.parametrize(
    ("module", "line", "expected"),
    [
        ("prodboard.domain.rules", "from prodboard.storage import queries", True),
        ("prodboard.domain.rules", "from prodboard.domain.text import clean", False),
        ("prodboard.storage.queries", "from ..services import feed", True),
        ("prodboard.services.feed", "import textual.app", True),
        ("prodboard.services.feed", "def f():\n    from prodboard.tui import app", True),
        ("prodboard.cli", "from prodboard.tui.run import run_app", False),
        ("prodboard.cli", "from prodboard.tui.app import ProdboardApp", True),
        ("prodboard.services.feed", "import sqlite3", True),
        ("prodboard.storage.store", "from watchfiles import awatch", True),
        ("prodboard.storage.queries", "def f():\n    import psycopg", True),
        ("prodboard.storage.sqlite.wake", "import sqlite3\nfrom watchfiles import watch", False),
        ("prodboard.storage.sqlite.engine", "import psycopg", True),
        ("prodboard.storage.postgres.engine", "import psycopg.sql", False),
        ("prodboard.storage.postgres.engine", "import sqlite3", True),
    ],
)
def test_the_checker_catches_a_wrong_import(tmp_path: Path, module: str, line: str, expected: bool) -> None:
    """The contract test itself fails when a layer reaches up (so it cannot pass vacuously)."""
    path = tmp_path / "mod.py"
    path.write_text(line + "\n")
    assert bool(bad_imports(module, path, source_modules())) is expected


SCRIPT = r"""
import json, pkgutil, sys
import prodboard
names = [m.name for m in pkgutil.walk_packages(prodboard.__path__, "prodboard.")
         if not m.name.startswith("prodboard.tui")]
for name in names:
    __import__(name)
print(json.dumps({"imported": names, "textual": sorted(m for m in sys.modules
                                                       if m == "textual" or m.startswith("textual."))}))
"""


def test_nothing_outside_tui_loads_textual_at_import() -> None:
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    for expected in ("prodboard.storage.store", "prodboard.storage.sqlite.wake",
                     "prodboard.services.commands", "prodboard.domain.workflow", "prodboard.cli",
                     "prodboard.settings"):
        assert expected in report["imported"]
    assert report["textual"] == []
