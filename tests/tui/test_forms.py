"""Every form opens, cancels and saves without a crash: on every demo piece, on an empty
board, for a person who has just joined, and on a read-only board (where nothing but
the filter opens)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.screen import Screen
from textual.widgets import Input, Select

from prodboard.domain.values import PieceView
from prodboard.services.context import Workspace, open_board
from prodboard.tui.app import ProdboardApp, make_app
from prodboard.tui.screens.forms import FilterForm, FormScreen, PieceForm
from prodboard.tui.screens.piece import PieceScreen

AppMaker = Callable[..., ProdboardApp]
SIZE = (80, 24)
BOARD_KEYS = ("e", "n", "c", "a", "y", "x", "o", "slash")  # every form or decision
PIECE_KEYS = ("e", "c", "a", "y", "x", "o")


async def settle(app: ProdboardApp, pilot: object) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()  # type: ignore[attr-defined]


async def press_and_close(app: ProdboardApp, pilot: object, key: str, base: Screen[Any]) -> None:
    """Press ``key``; whatever opens must be a working form, and closes with escape."""
    await pilot.press(key)  # type: ignore[attr-defined]
    await settle(app, pilot)
    assert app.is_running, key
    if app.screen is not base:
        assert isinstance(app.screen, (FormScreen, FilterForm)), (key, app.screen)
        await pilot.press("escape")  # type: ignore[attr-defined]
        await settle(app, pilot)
    assert app.screen is base, key


def variants(session: Workspace) -> list[PieceView]:
    """One piece per stage, and every unassigned one: each branch the forms and the
    decisions take (gate or none, review, last stage, owner or none)."""
    pieces = session.queries.pieces()
    chosen = {p.stage: p for p in reversed(pieces)} | {p.stage + "?": p for p in pieces
                                                       if p.owner is None}
    return sorted(chosen.values(), key=lambda p: p.id)


async def test_every_form_from_the_board(
    app_as: AppMaker, open_as: Callable[..., Workspace]
) -> None:
    """The edit form on every piece, the others on each kind of piece. ana (strategist,
    pm) may override but not approve: nothing she opens and cancels, and no edit she
    saves unchanged, changes a piece (unassigned ones stay unassigned)."""
    before = {p.id: p for p in open_as().queries.pieces()}
    sample = {p.id for p in variants(open_as())}
    assert any(p.owner is None for p in before.values())
    app = app_as("ana")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        for pid, piece in before.items():
            assert app.focus_piece(pid)
            await pilot.press("e")
            owner = app.screen.query_one("#f-owner", Select)
            assert owner.selection == piece.owner and owner.is_blank() == (piece.owner is None)
            await pilot.press("ctrl+s")
            await settle(app, pilot)
            assert app.screen is app.board_screen, pid
            if pid in sample:
                for key in BOARD_KEYS[1:]:
                    await press_and_close(app, pilot, key, app.board_screen)
    assert {p.id: p for p in open_as().queries.pieces()} == before


def approvals(session: Workspace) -> int:
    q = session.queries
    return sum(e.kind == "piece.approved" for p in q.pieces() for e in q.history(p.id))


async def test_every_form_from_the_piece_screen(
    app_as: AppMaker, open_as: Callable[..., Workspace]
) -> None:
    """On each kind of piece, as ben, an editor: he approves and requests changes for real."""
    before = approvals(open_as())
    app = app_as("ben")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        for piece in variants(open_as()):
            assert app.focus_piece(piece.id)
            await pilot.press("enter")
            await settle(app, pilot)
            screen = app.screen
            assert isinstance(screen, PieceScreen) and screen.piece_id == piece.id
            for key in PIECE_KEYS:
                await press_and_close(app, pilot, key, screen)
            await pilot.press("escape")
            await settle(app, pilot)
    assert approvals(open_as()) > before  # the walk reached real decisions


async def test_an_unassigned_piece_can_be_given_an_owner_and_back(
    app_as: AppMaker, open_as: Callable[..., Workspace]
) -> None:
    unassigned = next(p for p in open_as().queries.pieces() if p.owner is None)
    app = app_as("ana")
    async with app.run_test(size=SIZE) as pilot:
        assert app.focus_piece(unassigned.id)
        await pilot.press("e")
        app.screen.query_one("#f-owner", Select).value = "dev"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert open_as().queries.piece(unassigned.id).owner == "dev"  # type: ignore[union-attr]
        await pilot.press("e")
        app.screen.query_one("#f-owner", Select).clear()
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert open_as().queries.piece(unassigned.id).owner is None  # type: ignore[union-attr]


async def test_forms_on_an_empty_board(tmp_path: Path) -> None:
    """A board just made with ``init``: no pieces, and the creator maybe not yet a person."""
    session = open_board(tmp_path / "empty.db", "ana", create=True)
    on_board = session.queries.person("ana") is not None
    app = make_app(session, live=False)
    try:
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            for key in BOARD_KEYS:
                await press_and_close(app, pilot, key, app.board_screen)
            await pilot.press("n")
            form = app.screen
            assert isinstance(form, PieceForm)
            assert form.query_one("#f-owner", Select).selection == ("ana" if on_board else None)
            form.query_one("#f-title", Input).value = "First piece"
            await pilot.press("ctrl+s")
            await settle(app, pilot)
            assert app.screen is app.board_screen
        [made] = session.queries.pieces()
        assert made.title == "First piece" and made.owner == ("ana" if on_board else None)
    finally:
        session.close()


async def test_forms_for_a_person_who_just_joined(
    app_as: AppMaker, open_as: Callable[..., Workspace]
) -> None:
    open_as("ana").board.add_person("zoe", "Zoe Quinn", ["writer"])
    app = app_as("zoe")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        for piece in variants(open_as())[:4]:
            assert app.focus_piece(piece.id)
            await press_and_close(app, pilot, "e", app.board_screen)
        app.action_focus_column(-len(app.wf.stages))  # a new idea: no gate to meet
        await pilot.press("n")
        form = app.screen
        assert isinstance(form, PieceForm)
        assert form.query_one("#f-owner", Select).selection == "zoe"
        form.query_one("#f-title", Input).value = "Zoe's first"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
    made = [p for p in open_as().queries.pieces() if p.title == "Zoe's first"]
    assert [p.owner for p in made] == ["zoe"]


async def test_a_read_only_board_opens_only_the_filter(
    board_db: Path, app_as: AppMaker, open_as: Callable[..., Workspace]
) -> None:
    before = open_as().queries.pieces()
    os.chmod(board_db, 0o444)
    app = app_as("ana")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        assert app.session.store.readonly
        for piece in variants(open_as())[:4]:  # the refusal comes before any piece rule
            assert app.focus_piece(piece.id)
            for key in BOARD_KEYS:
                await pilot.press(key)
                await settle(app, pilot)
                if key == "slash":
                    assert isinstance(app.screen, FilterForm)
                    await pilot.press("escape")
                assert app.screen is app.board_screen, key
            await pilot.press("enter")
            screen = app.screen
            assert isinstance(screen, PieceScreen)
            for key in (*PIECE_KEYS, "t", "w"):
                await pilot.press(key)
                await settle(app, pilot)
                assert app.screen is screen, key  # refused before any form opens
            await pilot.press("escape")
        notes = [n for n in app._notifications if n.title == "Read-only"]
        assert notes and all("read-only" in str(n.message) for n in notes)
    assert open_as().queries.pieces() == before
