"""The running board looks again at the time rules when another process's change comes
in, without waiting for the check tick (set to an hour here); its own changes are
seen at that next look. Its first look reads off the writer thread: a change made
meanwhile is saved before it ends."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from prodboard.services.checks import CheckScheduler
from prodboard.services.context import Workspace
from prodboard.tui.app import make_app

from .helpers import until

LATER = "2026-11-23T09:00:00+00:00"  # three days after the demo was made


def overdue(session: Workspace) -> set[int | None]:
    return {e.piece_id for e in session.queries.events_since(0) if e.kind == "alert.overdue"}


async def test_a_change_that_makes_a_piece_late_alerts_at_once(
    open_as: Callable[..., Workspace], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRODBOARD_NOW", LATER)
    monkeypatch.setenv("PRODBOARD_CHECK_INTERVAL", "3600")
    app = make_app(open_as("ana"), live=True)
    other = open_as("ben")
    async with app.run_test(size=(120, 35)) as pilot:
        await until(pilot, lambda: app.checks.board is not None and not any(
            w.group in ("write", "checks") and not w.is_finished for w in app.workers))
        theirs = other.board.create("Late from elsewhere", stage="draft", owner="ben",
                                    due="2026-11-01", imported=True)
        await until(pilot, lambda: theirs in overdue(other))
        mine = other.board.create("Mine, due later", stage="draft", owner="ana",
                                  due="2026-12-20", imported=True)
        await until(pilot, lambda: mine in app.model.pieces)
        app.write(lambda board: board.edit(mine, {"due": "2026-11-20"}))
        await until(pilot, lambda: app.model.pieces[mine].due == "2026-11-20")
        other.board.edit(theirs, {"title": "Late from elsewhere, renamed"})
        await until(pilot, lambda: mine in overdue(other))  # the next look reads my edit


class Held(CheckScheduler):
    """A scheduler whose first look stops after its first page until let go."""

    def __init__(self) -> None:
        super().__init__(page=2)
        self.paused = threading.Event()
        self.go = threading.Event()

    def between_pages(self) -> None:
        self.paused.set()
        self.go.wait(120)


async def test_a_move_during_the_first_look_is_saved_before_the_look_ends(
    open_as: Callable[..., Workspace], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRODBOARD_NOW", LATER)  # some demo pieces are late by then
    monkeypatch.setenv("PRODBOARD_CHECK_INTERVAL", "3600")
    session = open_as("ana")
    app = make_app(session, live=True)
    app.checks = held = Held()
    piece = session.queries.pieces(stage="ideas")[0]
    async with app.run_test(size=(120, 35)) as pilot:
        try:
            await until(pilot, held.paused.is_set)  # the first look, between two pages
            app.write(lambda board: board.move(piece.id, "brief"))
            await until(pilot, lambda: app.model.pieces[piece.id].stage == "brief")
            assert not held.go.is_set() and overdue(session) == set()
        finally:
            held.go.set()
        await until(pilot, lambda: bool(overdue(session)) and not any(
            w.group in ("write", "checks") and not w.is_finished for w in app.workers))
    events = session.queries.events_since(0)
    [moved] = [e.id for e in events if e.kind == "piece.moved" and e.piece_id == piece.id]
    assert moved < min(e.id for e in events if e.kind.startswith("alert."))
