"""My work on the board: ``owner:me``, ``review:me`` and ``mine`` in the filter, the
key that toggles it, "assign to me" on the board and the piece screen, and the
searchable people picker, at 80x24 and 160x45."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import Input, OptionList

from prodboard.services.context import Workspace
from prodboard.tui.app import ProdboardApp
from prodboard.tui.screens.forms import AssignForm
from prodboard.tui.screens.piece import PieceScreen

from .screen_text import HOSTILE, screen_lines

AppMaker = Callable[..., ProdboardApp]
SIZES = [(80, 24), (160, 45)]


async def settle(app: ProdboardApp, pilot: object) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()  # type: ignore[attr-defined]


def shown_ids(app: ProdboardApp) -> set[int]:
    return {p.id for col in app.model.columns.values() for p in col}


def toasts(app: ProdboardApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def type_filter(pilot: object, query: str) -> None:
    await pilot.press("slash", *query, "enter")  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]


@pytest.mark.parametrize("size", SIZES)
async def test_owner_me_review_me_and_mine(app_as: AppMaker, size: tuple[int, int]) -> None:
    app = app_as("ben")  # an editor: owns nothing, reviews 10 and 11 (in Review)
    async with app.run_test(size=size) as pilot:
        await type_filter(pilot, "owner:me")
        assert shown_ids(app) == set()
        await pilot.press("escape")
        await type_filter(pilot, "review:me")
        assert shown_ids(app) == {10, 11}
        await pilot.press("escape")
        await type_filter(pilot, "mine")
        assert shown_ids(app) == {10, 11}
        assert app.model.filter.describe() == "mine"
    app = app_as("chloe")
    async with app.run_test(size=size) as pilot:
        await type_filter(pilot, "owner:me")
        assert shown_ids(app) == {5, 7, 10, 14}
        await pilot.press("escape")
        await type_filter(pilot, "mine format:article")  # with other terms
        assert shown_ids(app) == {p.id for p in app.model.pieces.values()
                                  if p.owner == "chloe" and "article" in p.format}


@pytest.mark.parametrize("size", SIZES)
async def test_the_my_work_key_toggles_and_keeps_other_terms(
    app_as: AppMaker, size: tuple[int, int]
) -> None:
    app = app_as("hana")  # owns 8, 11, 15; reviews nothing
    async with app.run_test(size=size) as pilot:
        everything = shown_ids(app)
        await pilot.press("u")
        assert shown_ids(app) == {8, 11, 15}
        assert "mine" in "\n".join(screen_lines(app))  # the top bar says the filter
        await pilot.press("u")
        assert shown_ids(app) == everything
        await type_filter(pilot, "newsletter")
        await pilot.press("u")
        assert app.model.filter.describe() == "newsletter mine"
        assert shown_ids(app) == {11, 15}
        await pilot.press("u")
        assert app.model.filter.describe() == "newsletter"


async def test_my_work_for_a_brand_new_person_and_on_an_empty_board(
    app_as: AppMaker, open_as: Callable[..., Workspace], tmp_path: Path
) -> None:
    open_as("ana").board.add_person("zoe", "Zoe Quinn", [])
    app = app_as("zoe")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("u")
        assert shown_ids(app) == set() and app.model.filter.mine
        await pilot.press("A")  # nothing focused: says so
        assert any("No piece here" in t for t in toasts(app))
    from prodboard.services.context import open_board
    from prodboard.tui.app import make_app

    empty = open_board(tmp_path / "empty.db", "ana", create=True)
    try:
        app = make_app(empty, live=False)
        async with app.run_test(size=(160, 45)) as pilot:
            await pilot.press("u", "A")
            await settle(app, pilot)
            assert app.model.filter.mine and shown_ids(app) == set()
    finally:
        empty.close()


@pytest.mark.parametrize("size", SIZES)
async def test_assign_to_me_on_the_board_is_one_event(
    app_as: AppMaker, open_as: Callable[..., Workspace], size: tuple[int, int]
) -> None:
    before = open_as().queries.last_event_id()
    app = app_as("gus")
    async with app.run_test(size=size, notifications=True) as pilot:
        assert app.focus_piece(2)  # unassigned
        await pilot.press("A")
        await settle(app, pilot)
        assert open_as().queries.piece(2).owner == "gus"  # type: ignore[union-attr]
        assert "#2 is assigned to you." in toasts(app)
        await pilot.press("A")  # mine already: nothing written
        await settle(app, pilot)
        assert "#2 is yours already." in toasts(app)
    events = open_as().queries.events_since(before)
    assert [(e.kind, e.piece_id, e.actor) for e in events] == [("piece.assigned", 2, "gus")]


async def test_assign_to_me_on_the_piece_screen(
    app_as: AppMaker, open_as: Callable[..., Workspace]
) -> None:
    app = app_as("hana")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        assert app.focus_piece(7)  # chloe's
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, PieceScreen)
        await pilot.press("A")
        await settle(app, pilot)
        assert open_as().queries.piece(7).owner == "hana"  # type: ignore[union-attr]
        assert screen.piece is not None and screen.piece.owner == "hana"  # reloaded
        assert app.screen is screen


async def test_assign_to_me_refused_on_a_read_only_board(
    board_db: Path, app_as: AppMaker, open_as: Callable[..., Workspace]
) -> None:
    before = open_as().queries.last_event_id()
    os.chmod(board_db, 0o444)
    app = app_as("gus")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        assert app.focus_piece(2)
        await pilot.press("A")
        await settle(app, pilot)
        await pilot.press("enter", "A")
        await settle(app, pilot)
        assert sum("read-only" in t for t in toasts(app)) >= 3  # the opening notice and both
        await pilot.press("escape", "u")  # my work still filters a read-only board
        assert app.model.filter.mine
    assert open_as().queries.piece(2).owner is None  # type: ignore[union-attr]
    assert open_as().queries.last_event_id() == before


async def test_assign_to_me_refused_for_a_guest(
    app_as: AppMaker, open_as: Callable[..., Workspace]
) -> None:
    """The app never starts for a guest from the command line; should one reach it
    (say, removed from the board meanwhile), the write is refused in a toast."""
    before = open_as().queries.last_event_id()
    app = app_as("visitor", newcomer=True)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        assert app.focus_piece(2)
        await pilot.press("A")
        await settle(app, pilot)
        assert any("visitor" in t and "join" in t for t in toasts(app)), toasts(app)
    assert open_as().queries.piece(2).owner is None  # type: ignore[union-attr]
    assert open_as().queries.last_event_id() == before


@pytest.mark.parametrize("size", SIZES)
async def test_the_people_picker_narrows_as_you_type(
    app_as: AppMaker, open_as: Callable[..., Workspace], size: tuple[int, int]
) -> None:
    app = app_as("ana")
    async with app.run_test(size=size) as pilot:
        assert app.focus_piece(2)
        await pilot.press("a")
        form = app.screen
        assert isinstance(form, AssignForm)
        olist = form.query_one(OptionList)
        assert olist.option_count == 1 + len(open_as().queries.people())  # nobody + all
        await pilot.press(*"writer")  # a role
        assert [olist.get_option_at_index(i).id for i in range(olist.option_count)] == [
            "chloe", "hana"]
        await pilot.press("down")  # the arrows move in the list from the search field
        assert isinstance(form.focused, Input) and olist.highlighted == 1
        await pilot.press("enter")
        await settle(app, pilot)
        assert open_as().queries.piece(2).owner == "hana"  # type: ignore[union-attr]
        await pilot.press("a")
        form = app.screen
        assert isinstance(form, AssignForm)
        await pilot.press(*"nobody-like-this")
        await pilot.press("enter")  # no match: says so, assigns nothing, stays open
        assert app.screen is form
        assert "Nobody matches" in "\n".join(screen_lines(app))
        await pilot.press("escape")
    assert open_as().queries.piece(2).owner == "hana"  # type: ignore[union-attr]


async def test_hostile_names_in_the_people_picker(
    app_as: AppMaker, open_as: Callable[..., Workspace]
) -> None:
    admin = open_as("ana").board
    for i, name in enumerate(HOSTILE):
        admin.add_person(f"mal{i}", name, [])
    app = app_as("ana")
    async with app.run_test(size=(160, 45)) as pilot:
        assert app.focus_piece(2)
        await pilot.press("a")
        await pilot.press(*"mal")  # the handles
        olist = app.screen.query_one(OptionList)
        assert olist.option_count == len(HOSTILE)
        text = "\n".join(screen_lines(app))
        for i, name in enumerate(HOSTILE):
            assert f"{name} (@mal{i})" in text  # shown literally, never as markup
        await pilot.press("space", *"[bold]")  # typed markup is searched for as text
        assert [olist.get_option_at_index(i).id for i in range(olist.option_count)] == ["mal2"]
        assert app.is_running
