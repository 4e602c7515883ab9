"""A new piece gets the same defaults (priority, format, stage, empty fields),
whichever face creates it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.widgets import Input

from prodboard.domain.fields import DEFAULT_PRIORITY, FIELDS
from prodboard.services.context import Workspace
from prodboard.tui.app import ProdboardApp
from prodboard.tui.screens.forms import PieceForm

from .helpers import until


def cli_add(db: Path, title: str) -> int:
    env = {**os.environ, "PRODBOARD_DB": str(db), "PRODBOARD_USER": "ana"}
    proc = subprocess.run([sys.executable, "-m", "prodboard", "add", title], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return int(proc.stdout)


async def test_the_board_and_the_cli_give_a_new_piece_the_same_priority(
    app_as: Callable[..., ProdboardApp], open_as: Callable[..., Workspace], board_db: Path
) -> None:
    app = app_as()
    async with app.run_test(size=(120, 35)) as pilot:
        await pilot.press("n")
        assert isinstance(app.screen, PieceForm)
        assert app.screen.query_one("#f-priority", Input).value == str(DEFAULT_PRIORITY)
        app.screen.query_one("#f-title", Input).value = "From the board"
        await pilot.press("ctrl+s")
        s = open_as()

        def made() -> list[Any]:
            return [p for p in s.queries.pieces() if p.title == "From the board"]

        await until(pilot, lambda: bool(made()))
    by_cli = s.queries.piece(cli_add(board_db, "From the command line"))
    assert by_cli is not None
    assert made()[0].priority == by_cli.priority == DEFAULT_PRIORITY
    # And every other field a person may set, but the owner (the form offers you).
    names = [f.name for f in FIELDS if f.settable and f.name not in ("title", "owner")]
    assert {n: getattr(made()[0], n) for n in names} == {n: getattr(by_cli, n) for n in names}
