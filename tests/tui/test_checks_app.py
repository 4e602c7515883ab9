"""The running board looks again at the time rules when another process's change comes
in, without waiting for the check tick (set to an hour here); its own changes are
seen at that next look."""

from __future__ import annotations

from collections.abc import Callable

import pytest

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
            w.group == "write" and not w.is_finished for w in app.workers))
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
