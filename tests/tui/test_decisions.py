"""Request changes and override: the rules are checked before the board asks for the
note, a blank note or reason is refused in the form, and a failed save's toast is
titled for what happened."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import Input, Static

from prodboard.services.context import Workspace
from prodboard.tui.app import ProdboardApp
from prodboard.tui.screens.forms import ReasonForm
from prodboard.tui.screens.piece import PieceScreen

AppMaker = Callable[..., ProdboardApp]
SIZE = (120, 35)


async def settle(app: ProdboardApp, pilot: object) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()  # type: ignore[attr-defined]


def toasts(app: ProdboardApp) -> list[tuple[str, str]]:
    return [(n.title, str(n.message)) for n in app._notifications]


async def test_request_changes_outside_review_refuses_before_asking(
    app_as: AppMaker, open_as: Callable[..., Workspace]
) -> None:
    app = app_as("ben")  # an editor: may request changes, but only on a piece in review
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        assert app.focus_piece(7)  # in draft
        await pilot.press("x")
        await settle(app, pilot)
        assert app.screen is app.board_screen  # no note asked for
        assert ("Refused", "piece #7 is not in Review") in toasts(app)
        await pilot.press("enter", "x")  # the piece screen shares the check
        await settle(app, pilot)
        assert isinstance(app.screen, PieceScreen)
    assert open_as().queries.piece(7).stage == "draft"  # type: ignore[union-attr]


async def test_request_changes_by_someone_not_allowed_refuses_before_asking(
    app_as: AppMaker,
) -> None:
    app = app_as("chloe")  # a writer, not a reviewer of #10
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        assert app.focus_piece(10)  # in review
        await pilot.press("x")
        await settle(app, pilot)
        assert app.screen is app.board_screen
        assert any(t == "Refused" and "may request changes" in m for t, m in toasts(app))


async def test_a_blank_note_is_refused_in_the_form(
    app_as: AppMaker, open_as: Callable[..., Workspace]
) -> None:
    app = app_as("ben")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        assert app.focus_piece(10)
        await pilot.press("x")
        form = app.screen
        assert isinstance(form, ReasonForm)
        form.query_one(Input).value = "   "
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen is form
        error = str(form.query_one("#form-error", Static).render())
        assert "Say what needs changing" in error and "--note" not in error
    assert open_as().queries.piece(10).stage == "review"  # type: ignore[union-attr]


async def test_a_blank_override_reason_asks_for_a_reason(
    app_as: AppMaker, open_as: Callable[..., Workspace]
) -> None:
    app = app_as("ana")  # may override
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        assert app.focus_piece(5)  # the brief gate blocks it
        await pilot.press("o")
        form = app.screen
        assert isinstance(form, ReasonForm)
        await pilot.press("space", "enter")
        await settle(app, pilot)
        assert app.screen is form  # kept open, not the gate's refusal
        error = str(form.query_one("#form-error", Static).render())
        assert "Give a reason" in error and "gate" not in error.split(":")[0]
        await pilot.press(*"launch")
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen is app.board_screen
    assert open_as().queries.piece(5).stage == "draft"  # type: ignore[union-attr]


async def test_refusals_and_conflicts_are_titled_for_what_they_are(
    app_as: AppMaker, open_as: Callable[..., Workspace]
) -> None:
    app = app_as("ana")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        assert app.focus_piece(5)
        await pilot.press("L")  # the brief gate
        await settle(app, pilot)
        assert any(t == "Refused" and "brief gate" in m for t, m in toasts(app))
        assert app.focus_piece(7)
        open_as("ben").board.move(7, "review")  # meanwhile, in ben's terminal
        await pilot.press("L")
        await settle(app, pilot)
        assert any(t == "Conflict" and "ben changed" in m for t, m in toasts(app))
        assert not any(t == "Not saved" for t, _ in toasts(app))


async def test_a_locked_board_is_titled_busy(
    board_db: Path, app_as: AppMaker, open_as: Callable[..., Workspace],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PRODBOARD_BUSY_TIMEOUT_MS", "200")
    app = app_as("chloe")
    holder = sqlite3.connect(board_db, isolation_level=None)
    try:
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            assert app.focus_piece(7)
            holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
            await pilot.press("L")
            await settle(app, pilot)
            holder.execute("ROLLBACK")
            assert any(t == "Board is busy" for t, _ in toasts(app)), toasts(app)
    finally:
        holder.close()
    assert open_as().queries.piece(7).stage == "draft"  # type: ignore[union-attr]


def test_the_command_line_asks_for_a_reason_too(
    board_db: Path, cli: Callable[..., tuple[int, str, str]], open_as: Callable[..., Workspace]
) -> None:
    code, _, err = cli("move", 5, "draft", "--override", "  ", user="ana")
    assert code == 2 and err.strip().endswith("give a reason for the override")
    assert err.count("\n") == 1
    assert open_as().queries.piece(5).stage == "brief"  # type: ignore[union-attr]
