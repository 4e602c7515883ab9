"""What a person sees: snapshots of the board, its screens and hostile text."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.widgets import TabbedContent

from prodboard.services.context import Workspace
from prodboard.tui.app import ProdboardApp

AppMaker = Callable[..., ProdboardApp]

HOSTILE = [
    "[bold]Fix[/b] the [/] bug",
    "[@click=app.quit]click me[/]",
    "Launch 🎉🚀 表格とグラフ 한국어 wide chars",
    "مرحبا بالعالم — right-to-left title",
    "\x1b[31mred?\x1b[0m \x07bell \x9b31m C1",
    "A very long title " + "that goes on and on " * 12,
    "$variable {braces} <tags> & 100% [link=https://x]y[/link]",
]


def test_demo_board_80x24(snap_compare: Any, app_as: AppMaker) -> None:
    assert snap_compare(app_as(), terminal_size=(80, 24))


def test_demo_board_160x45(snap_compare: Any, app_as: AppMaker) -> None:
    assert snap_compare(app_as(), terminal_size=(160, 45))


def test_piece_screen(snap_compare: Any, app_as: AppMaker) -> None:
    app = app_as()

    async def open_piece(pilot: Any) -> None:
        await pilot.pause()
        app.focus_piece(10)
        await pilot.press("enter")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 35), run_before=open_piece)


def test_piece_history_tab(snap_compare: Any, app_as: AppMaker) -> None:
    app = app_as()

    async def open_history(pilot: Any) -> None:
        await pilot.pause()
        app.focus_piece(10)
        await pilot.press("enter")
        app.screen.query_one("#piece-tabs", TabbedContent).active = "tab-history"
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 35), run_before=open_history)


def test_new_piece_form(snap_compare: Any, app_as: AppMaker) -> None:
    assert snap_compare(app_as(), terminal_size=(120, 35), press=["n"])


def test_help(snap_compare: Any, app_as: AppMaker) -> None:
    assert snap_compare(app_as(), terminal_size=(120, 40), press=["question_mark"])


def test_filtered_board(snap_compare: Any, app_as: AppMaker) -> None:
    assert snap_compare(
        app_as(), terminal_size=(120, 35), press=["slash", *"owner:chloe", "enter"]
    )


def test_hostile_titles(snap_compare: Any, app_as: AppMaker, open_as: Callable[..., Workspace]) -> None:
    board = open_as("ana").board
    for title in HOSTILE:
        board.create(title, stage="ideas")
    board.comment(1, "[red]not red[/red] [@click=app.quit]no[/]")
    app = app_as()

    async def look(pilot: Any) -> None:
        await pilot.press("end")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(160, 45), run_before=look)
