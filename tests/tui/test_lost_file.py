"""A board file deleted or replaced under a running board: nothing may look saved.

Real files are removed with ``os.remove`` while the app holds them open; the feed
notices through its directory watcher, the store before each write.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import Static, TextArea

from prodboard.services.context import Workspace, open_board
from prodboard.storage.store import FileLost
from prodboard.tui.app import ProdboardApp
from prodboard.tui.screens.forms import CommentForm

from .helpers import until

SIZE = (120, 35)


def remove_board(path: Path) -> None:
    """What ``rm board.db*`` does."""
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(f"{path}{suffix}"):
            os.remove(f"{path}{suffix}")


def backup(path: Path, to: Path) -> None:
    """A consistent copy through SQLite's backup API (a plain cp can miss the WAL)."""
    src, dst = sqlite3.connect(path), sqlite3.connect(to)
    with dst:
        src.backup(dst)
    src.close()
    dst.close()


def notice(app: ProdboardApp) -> str:
    return str(app.topbar.query_one("#tb-notice", Static).render())


def comment_bodies(path: Path, piece_id: int) -> list[str]:
    s = open_board(path, "ana")
    try:
        return [c.body for c in s.queries.comments(piece_id)]
    finally:
        s.close()


def test_a_write_to_a_deleted_board_raises_instead_of_committing(
    open_as: Callable[..., Workspace], board_db: Path
) -> None:
    s = open_as("ana")
    s.board.comment(1, "before")  # the pooled connections hold the file open
    remove_board(board_db)
    with pytest.raises(FileLost, match="deleted"):
        s.board.comment(1, "into the void")
    assert not board_db.exists()  # and no new empty file at the path either


def test_a_write_to_a_replaced_board_raises_and_leaves_both_files_alone(
    open_as: Callable[..., Workspace], board_db: Path, tmp_path: Path
) -> None:
    s = open_as("ana")
    s.board.comment(1, "before")
    other = tmp_path / "other.db"
    backup(board_db, other)
    os.replace(other, board_db)  # a restore done the wrong way, under an open board
    with pytest.raises(FileLost, match="replaced"):
        s.board.comment(1, "lost comment")
    assert "lost comment" not in comment_bodies(board_db, 1)


async def test_deleted_board_keeps_the_form_says_so_and_reopens(
    app_as: Callable[..., ProdboardApp], board_db: Path, tmp_path: Path
) -> None:
    app = app_as("ana", live=True)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await until(pilot, lambda: app.feed is not None)
        piece = app.current()
        assert piece is not None
        saved = tmp_path / "saved.db"
        backup(board_db, saved)
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, CommentForm))
        await pilot.press(*"hello")
        remove_board(board_db)
        await until(pilot, lambda: app.lost is not None)  # the feed noticed
        assert "FILE LOST" in notice(app) and "ctrl+r" in notice(app)

        await pilot.press("ctrl+s")
        await pilot.pause(0.3)
        form = app.screen
        assert isinstance(form, CommentForm)  # still open, with what was typed
        assert form.query_one(TextArea).text == "hello"
        assert "deleted" in str(form.query_one("#form-error", Static).render())
        assert not board_db.exists()
        await pilot.pause(1.0)
        assert "FILE LOST" in notice(app)  # persistent, not a toast that goes away

        # Someone restores the board at the path: ctrl+r reopens it from the form.
        shutil.copy(saved, board_db)
        await pilot.press("ctrl+r")
        await until(pilot, lambda: app.lost is None)
        assert "FILE LOST" not in notice(app)
        titles = [n.title for n in app._notifications]
        assert "Board file lost" not in titles and "Board" in titles  # no stale toast
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not isinstance(app.screen, CommentForm))
    assert comment_bodies(board_db, piece.id)[-1] == "hello"


async def test_write_refused_before_the_feed_notices(
    app_as: Callable[..., ProdboardApp], board_db: Path
) -> None:
    app = app_as("ana", live=False)  # no feed: the store's own check must catch it
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        piece = app.current()
        assert piece is not None
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, CommentForm))
        await pilot.press(*"typed")
        remove_board(board_db)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.lost is not None)
        form = app.screen
        assert isinstance(form, CommentForm)
        assert form.query_one(TextArea).text == "typed"
        assert "FILE LOST" in notice(app)
        assert app.model.pieces[piece.id].comments == piece.comments  # no ✉ that went nowhere
        await pilot.press("escape")
        await pilot.press("c")  # new forms do not open on a lost board
        await pilot.pause(0.2)
        assert not isinstance(app.screen, CommentForm)
        await pilot.press("ctrl+r")  # nothing at the path: says so, stays lost
        await pilot.pause(0.5)
        assert app.lost is not None
    assert not board_db.exists()
