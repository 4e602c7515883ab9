"""What the calendar looks like on a fixed clock (2026-11-20): the week at 80x24, the
whole month at 160x45, with a piece to place and a warning on the day."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prodboard.services.context import Workspace
from prodboard.tui.app import ProdboardApp

AppMaker = Callable[..., ProdboardApp]


def _plan(open_as: Callable[..., Workspace]) -> None:
    board = open_as("ana").board
    board.create("Year-end roundup", stage="draft", owner="dev", imported=True)  # the tray
    board.create("Rushed teaser", stage="draft", owner="gus", publish_date="2026-11-21",
                 channels=["linkedin"], imported=True)  # two days to go, still in Draft
    board.mark_read(board.q.last_event_id())  # no launch toast over the calendar


async def _open(pilot: Any) -> None:
    await pilot.pause()
    await pilot.press("d")
    await pilot.pause()
    await pilot.press("right")  # Saturday 21st: the warning and its pieces
    await pilot.pause()


def test_calendar_week_80x24(snap_compare: Any, app_as: AppMaker,
                             open_as: Callable[..., Workspace]) -> None:
    _plan(open_as)
    assert snap_compare(app_as(), terminal_size=(80, 24), run_before=_open)


def test_calendar_month_160x45(snap_compare: Any, app_as: AppMaker,
                               open_as: Callable[..., Workspace]) -> None:
    _plan(open_as)
    assert snap_compare(app_as(), terminal_size=(160, 45), run_before=_open)
