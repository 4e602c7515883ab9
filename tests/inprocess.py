"""The command line run in-process (``cli.run`` under click's CliRunner isolation):
the same code path as the console entry point, without a new interpreter per call,
for tests that try many inputs. A few real processes still cover each behaviour."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from click.testing import CliRunner

from prodboard import cli as cli_module


def invoke(args: list[str], db: Path, stdin: bytes = b"", user: str = "ana",
           env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of ``prodboard ARGS`` on the board ``db``."""
    full_env = {"PRODBOARD_DB": str(db), "PRODBOARD_USER": user, **(env or {})}
    with CliRunner().isolation(input=stdin, env=full_env) as (out, err, _):
        code = cli_module.run(args)
    return code, out.getvalue().decode("utf-8"), err.getvalue().decode("utf-8")


def dump(db: Path) -> list[str]:
    """Every row of the board, to show that a refused command changed nothing."""
    conn = sqlite3.connect(db)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()
