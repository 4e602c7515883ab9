"""The core and the command line never import Textual (only the board does)."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = r"""
import json, pkgutil, sys
import prodboard.core
names = ["prodboard.core", "prodboard.cli"]
names += [m.name for m in pkgutil.walk_packages(prodboard.core.__path__, "prodboard.core.")]
for name in names:
    __import__(name)
print(json.dumps({"imported": names, "textual": sorted(m for m in sys.modules
                                                       if m == "textual" or m.startswith("textual."))}))
"""


def test_core_and_cli_do_not_import_textual() -> None:
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    for expected in ("prodboard.core.store", "prodboard.core.board", "prodboard.core.queries",
                     "prodboard.core.workflow", "prodboard.cli"):
        assert expected in report["imported"]
    assert report["textual"] == []
