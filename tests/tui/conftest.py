"""Fixtures for the board's Pilot and snapshot tests: a demo board at a fixed time."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from textual.widgets import Input, TextArea

from prodboard.services.context import Workspace, open_board
from prodboard.tui.app import ProdboardApp, make_app

NOW = "2026-11-20T09:00:00+00:00"


@pytest.fixture(autouse=True)
def _hermetic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRODBOARD_NOW", NOW)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("PRODBOARD_CONFIG", raising=False)
    monkeypatch.delenv("PRODBOARD_DB", raising=False)
    monkeypatch.setenv("PRODBOARD_WATCH", "1")


@pytest.fixture(autouse=True)
def _steady_cursors(monkeypatch: pytest.MonkeyPatch) -> None:
    """Text cursors stay lit: a blink every 0.5 s would make a snapshot depend on how
    long the machine took to get there (a loaded one caught the cursor off)."""
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)
    monkeypatch.setattr(TextArea, "_toggle_cursor_blink_visible", lambda self: None)


@pytest.fixture
def board_db(tmp_path: Path) -> Path:
    """A demo board file."""
    path = tmp_path / "board.db"
    open_board(path, "ana", create=True, demo=True).close()
    return path


@pytest.fixture
def open_as(board_db: Path) -> Iterator[Callable[..., Workspace]]:
    """Open the demo board as someone (closed after the test)."""
    sessions: list[Workspace] = []

    def opener(user: str = "ana", **kw: object) -> Workspace:
        s = open_board(board_db, user, **kw)  # type: ignore[arg-type]
        sessions.append(s)
        return s

    yield opener
    for s in sessions:
        s.close()


@pytest.fixture
def app_as(open_as: Callable[..., Workspace]) -> Callable[..., ProdboardApp]:
    """A board app for someone, without the live feed unless asked."""

    def make(user: str = "ana", live: bool = False, **kw: object) -> ProdboardApp:
        return make_app(open_as(user, **kw), live=live)

    return make
