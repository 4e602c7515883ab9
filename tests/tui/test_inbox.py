"""The inbox at the smallest supported size: every row reachable, the hint on screen."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from textual.containers import Vertical
from textual.widgets import DataTable, Label

from prodboard.services.context import Workspace
from prodboard.tui.app import make_app
from prodboard.tui.screens.inbox import InboxScreen
from prodboard.tui.screens.piece import PieceScreen


async def test_inbox_shows_its_newest_rows_and_hint_at_80x24(open_as: Callable[..., Workspace]) -> None:
    open_as("chloe").board.mark_read(open_as().queries.last_event_id())
    for i in range(16):  # two people taking turns: sixteen alerts, no burst merges them
        open_as("ben" if i % 2 else "ana").board.comment(10, f"@chloe point {i}")
    app = make_app(open_as("chloe"), live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("i")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, InboxScreen) and screen.inbox.unread == 16
        table = screen.query_one(DataTable)
        hint = screen.query(Label).last()  # "enter: go to the piece · escape: close"
        assert "escape" in str(hint.render())
        inside = screen.query_one(Vertical).content_region  # within the inbox's border
        assert hint.region.height == 1 and hint.region.bottom <= inside.bottom
        assert table.region.bottom <= hint.region.y
        assert table.cursor_row == 15  # the newest row is selected…
        visible_top = int(table.scroll_y)
        rows_shown = min(table.region.bottom, inside.bottom) - table.region.y - 1  # less the header
        assert visible_top <= 15 < visible_top + rows_shown  # …and scrolled into view
        assert "point 15" in str(table.get_row_at(15)[-1])


NOTE = "Tighten the intro; cite the Q3 figures"


async def test_the_request_for_changes_note_reaches_every_face(
    open_as: Callable[..., Workspace], board_db: Path
) -> None:
    chloe = open_as("chloe")
    chloe.board.mark_read(chloe.queries.last_event_id())
    piece = chloe.queries.piece(10)
    assert piece is not None and piece.owner == "chloe"
    app = make_app(open_as("chloe"), live=False)
    async with app.run_test(size=(160, 45), notifications=True) as pilot:
        await pilot.pause()
        open_as("ben").board.request_changes(10, NOTE)
        await app.catch_up()
        await pilot.pause()
        assert any(NOTE in str(n.message) for n in app._notifications)  # the toast
        await pilot.press("i")
        await pilot.pause()
        table = app.screen.query_one(DataTable)
        assert NOTE in str(table.get_row_at(table.row_count - 1)[-1])  # the inbox
        await pilot.press("escape")
        app.push_screen(PieceScreen(10))
        await pilot.pause()
        history = app.screen.query_one("#history", DataTable)
        rows = [str(history.get_row_at(i)[-1]) for i in range(history.row_count)]
        assert any(NOTE in row for row in rows)  # the History tab
    section = cli_show(board_db).split("\nChanges requested:\n", 1)[1].split("\n\n")[0]  # `show`
    assert section.splitlines()[-1].endswith(f"ben (revision 2): {NOTE}")


def cli_show(db: Path) -> str:
    proc = subprocess.run([sys.executable, "-m", "prodboard", "--db", str(db), "--user", "chloe",
                           "show", "10"], capture_output=True, text=True, timeout=60,
                          env=os.environ.copy())
    assert proc.returncode == 0, proc.stderr
    return proc.stdout
