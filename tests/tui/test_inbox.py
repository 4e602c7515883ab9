"""The inbox at the smallest supported size: every row reachable, the hint on screen."""

from __future__ import annotations

from collections.abc import Callable

from textual.containers import Vertical
from textual.widgets import DataTable, Label

from prodboard.core.context import Session
from prodboard.tui.app import make_app
from prodboard.tui.inbox import InboxScreen


async def test_inbox_shows_its_newest_rows_and_hint_at_80x24(open_as: Callable[..., Session]) -> None:
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
