"""One key press, one write, one paint; an unexpected error is said and survived."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from textual.widgets import TextArea

from prodboard.services.commands import Commands
from prodboard.services.context import Workspace, open_board
from prodboard.storage.sqlite.engine import SQLiteStore
from prodboard.tui.app import ProdboardApp
from prodboard.tui.screens.forms import CommentForm

from .helpers import until

SIZE = (120, 35)


@contextmanager
def counting(engine: Engine) -> Iterator[list[tuple[str, str]]]:
    """Every statement run on ``engine`` meanwhile, with the thread that ran it."""
    seen: list[tuple[str, str]] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append((threading.current_thread().name, " ".join(statement.split())))

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def is_feed_read(statement: str) -> bool:
    """The feed's own check for new events (the poll reads it every interval)."""
    return statement == "BEGIN DEFERRED" or (
        statement.startswith("SELECT") and "FROM event WHERE event.id > ?" in statement)


def counted_paints(app: ProdboardApp) -> list[set[str] | None]:
    calls: list[set[str] | None] = []
    original = app.paint

    def paint(stages: Any = None) -> None:
        calls.append(set(stages) if stages is not None else None)
        original(stages)

    app.paint = paint  # type: ignore[method-assign]
    return calls


async def writes_done(app: ProdboardApp, pilot: Any) -> None:
    await until(pilot, lambda: not [w for w in app.workers
                                    if w.group in ("write", "checks") and w.is_running])


async def test_one_L_press_paints_once_and_runs_only_the_moves_queries(
    open_as: Callable[..., Workspace], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PRODBOARD_CHECK_INTERVAL", "3600")
    # What the move alone costs: the same move on an identical demo board, run directly.
    twin = open_board(tmp_path / "twin.db", "ana", create=True, demo=True)
    piece = twin.queries.pieces(stage="ideas")[0]
    assert isinstance(twin.store, SQLiteStore)
    with counting(twin.store.engine) as needed:
        twin.board.move_by(piece.id, 1, base_version=piece.version)
    twin.close()
    assert needed  # the listener sees the move's statements

    session = open_as("ana")
    app = ProdboardApp(session, live=True)  # with the feed: it brings my own move back
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.feed is not None and app.feed_cursor > 0)
        await pilot.pause(0.5)  # the start-up time checks
        await writes_done(app, pilot)
        # A demo threshold may fall due within the hour (the demo's dates follow the real
        # clock): keep the scheduler's next look out of the press it would be counted in.
        monkeypatch.setattr(app, "run_time_checks_soon", lambda *_a, **_k: None)
        if app.checks_due is not None:
            app.checks_due.stop()
        # What the start-up checks raised (by the hour, some demo piece is due soon) comes
        # through the feed: let it arrive before the press, or its reads count as the press's.
        raised = session.queries.last_event_id()
        await until(pilot, lambda: app.feed_cursor >= raised)
        await pilot.pause(0.3)
        assert app.focus_piece(piece.id)
        await pilot.pause()
        paints = counted_paints(app)
        assert isinstance(session.store, SQLiteStore)
        with counting(session.store.engine) as ran:
            await pilot.press("L")
            await until(pilot, lambda: app.model.pieces[piece.id].stage == "brief")
            [last] = session.board.emitted  # the move's event
            await until(pilot, lambda: app.feed_cursor >= last)  # the feed saw my move
            await pilot.pause(0.3)
        writes = [s for thread, s in ran if thread.startswith("prodboard-write")]
        others = [s for thread, s in ran if not thread.startswith("prodboard-write")]
    assert len(paints) == 1, paints
    assert paints[0] == {"ideas", "brief"}  # the two columns, once; the focus followed
    assert app.current() is not None and app.current().id == piece.id  # type: ignore[union-attr]
    assert len(writes) <= len(needed), "\n".join([*writes, "--- needed:", *(s for _, s in needed)])
    # no read of the piece before the move, nor after it when the feed brings it back
    assert all(is_feed_read(s) for s in others), others


async def test_an_unexpected_error_in_a_write_is_a_toast_and_the_board_stays_usable(
    app_as: Callable[..., ProdboardApp], monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(self: Commands, *args: Any, **kw: Any) -> Any:
        raise RuntimeError("the disk gremlin")

    app = app_as()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        first = app.current()
        assert first is not None and first.stage == "ideas"
        with monkeypatch.context() as patch:
            patch.setattr(Commands, "move_by", broken)
            await pilot.press("L")
            await until(pilot, lambda: any(n.title == "Unexpected error"
                                           for n in app._notifications))
        [note] = [n for n in app._notifications if n.title == "Unexpected error"]
        assert "RuntimeError: the disk gremlin" in str(note.message)
        assert "the disk gremlin" in caplog.text  # logged, with its traceback
        assert app.model.pieces[first.id].stage == "ideas"  # nothing changed
        await pilot.press("j")  # the next keys work
        assert app.current() is not None and app.current().id != first.id  # type: ignore[union-attr]
        await pilot.press("k", "L")  # and the writer still writes
        await until(pilot, lambda: app.model.pieces[first.id].stage == "brief")
        assert app.session.queries.piece(first.id).stage == "brief"  # type: ignore[union-attr]


async def test_an_unexpected_error_saving_a_form_keeps_what_was_typed(
    app_as: Callable[..., ProdboardApp], monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(self: Commands, *args: Any, **kw: Any) -> Any:
        raise RuntimeError("the disk gremlin")

    monkeypatch.setattr(Commands, "comment", broken)
    app = app_as()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, CommentForm)
        app.screen.query_one(TextArea).insert("a long thought")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: any(n.title == "Unexpected error"
                                       for n in app._notifications))
        assert isinstance(app.screen, CommentForm)  # still open, with the text
        assert app.screen.query_one(TextArea).text == "a long thought"
