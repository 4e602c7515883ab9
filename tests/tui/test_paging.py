"""Paged columns: a stage bigger than a page is read from the database as it scrolls.

A real board file of a few hundred published pieces and a page of 40 stand in for
90,000 and 500; a second Workspace on the same file plays the colleagues.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from prodboard.domain.workflow import default_workflow
from prodboard.services.context import Workspace, open_board
from prodboard.tui.app import ProdboardApp, make_app
from prodboard.tui.board_state import BoardState
from prodboard.tui.screens.calendar import CalendarScreen

from .helpers import until
from .test_model import piece

SIZE = (120, 40)  # nine cards a column
PAGE = 40
PUBLISHED = 300
STAGE = "published"


@pytest.fixture
def paged_db(tmp_path: Path) -> Path:
    """A board whose Published stage is many pages long, with a few scheduled pieces."""
    path = tmp_path / "paged.db"
    s = open_board(path, "ana", create=True)
    s.board.set_person("ana", display_name="Ana", roles=["pm", "editor"])
    s.board.add_person("ben", "Ben", roles=["pm", "editor"])
    items = [{"title": f"Old piece {i}", "stage": STAGE, "owner": "ana"} for i in range(PUBLISHED)]
    items += [{"title": f"Next piece {i}", "stage": "scheduled", "owner": "ana"} for i in range(5)]
    s.board.create_many(items)
    s.close()
    return path


@pytest.fixture
def board(paged_db: Path) -> Iterator[Callable[..., Workspace]]:
    opened: list[Workspace] = []

    def opener(user: str = "ana") -> Workspace:
        opened.append(open_board(paged_db, user))
        return opened[-1]

    yield opener
    for s in opened:
        s.close()


def paged_app(session: Workspace, live: bool = False) -> ProdboardApp:
    app = make_app(session, live=live)
    app.page_size = PAGE
    return app


def order(s: Workspace, stage: str = STAGE) -> list[int]:
    """The stage's ids in board order, as the database has them."""
    return [p.id for p in s.queries.pieces(stage=stage)]


def shown(app: ProdboardApp, stage: str = STAGE) -> list[int]:
    return [p.id for p in app.model.columns[stage]]


async def read_next(pilot: Any, app: ProdboardApp) -> None:
    """Go to the last card held: nearing it reads the next page (wait for it)."""
    before = len(shown(app))
    await pilot.press("end")
    await until(pilot, lambda: len(shown(app)) > before or not app.model.paged)


def beyond_window(app: ProdboardApp, s: Workspace) -> int:
    """A published piece well past what the board holds."""
    pid = order(s)[PUBLISHED - 20]
    assert pid not in app.model.pieces
    return pid


async def test_a_big_stage_holds_one_page_and_reads_the_next_ones_in_order(
    board: Callable[..., Workspace],
) -> None:
    s = board()
    app = paged_app(s)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert shown(app) == order(s)[:PAGE]  # the window from the top, nothing more
        assert len(app.model.pieces) == PAGE + 5
        header = str(app.column(STAGE).header.render())
        assert f"{PUBLISHED}" in header and " of " not in header  # the true total
        app.focus_piece(shown(app)[0])
        await pilot.pause()
        sizes: list[int] = []
        while app.model.paged:
            await read_next(pilot, app)
            ids = shown(app)
            assert ids == order(s)[: len(ids)]  # no gap, no duplicate, board order
            sizes.append(len(ids))
        assert shown(app) == order(s)
        assert sizes == [PAGE * n for n in range(2, len(sizes) + 1)] + [PUBLISHED]
        await pilot.press("end")
        assert app.current() is not None and app.current().id == order(s)[-1]  # type: ignore[union-attr]


async def test_others_moving_cards_keep_my_focus_order_and_counts(
    board: Callable[..., Workspace],
) -> None:
    s, ben = board(), board("ben")
    app = paged_app(s, live=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        mine = shown(app)[12]
        app.focus_piece(mine)
        await pilot.pause()
        held, far = shown(app)[3], beyond_window(app, s)
        later = order(s)[PUBLISHED - 40]
        into = order(s, "scheduled")[0]
        ben.board.move(held, "scheduled")  # out of the window
        ben.board.move(far, "scheduled")  # out of the stage, from beyond the window
        ben.board.move(into, STAGE)  # in: the top of the stage
        ben.board.reorder(mine, -1)  # my own card, one up
        ben.board.reorder(later, -1)  # within the stage, beyond the window
        ben.board.archive(shown(app)[20])
        ben.board.create("Published late", stage=STAGE, imported=True)  # at the very end
        want = {k: n for k, n in ben.queries.stage_counts().items()}
        await until(pilot, lambda: app.model.counts[STAGE] == want[STAGE]
                    and app.model.pieces.get(into, None) is not None
                    and app.model.pieces[into].stage == STAGE
                    and app.model.pieces[mine].version > 1 and not app.model.stale)
        assert app.focus_stage == STAGE and app.current() is not None
        assert app.current().id == mine  # type: ignore[union-attr]
        ids = shown(app)
        assert len(ids) == len(set(ids))
        assert [(p.rank, p.id) for p in app.model.columns[STAGE]] == sorted(
            (p.rank, p.id) for p in app.model.columns[STAGE])
        assert ids[0] == into and held not in ids and far not in ids
        for key, n in want.items():
            assert app.model.counts[key] == n, key
        assert app.model.counts["scheduled"] == len(shown(app, "scheduled"))
        # Read the rest: what the board holds is then the database's column exactly.
        while app.model.paged:
            await read_next(pilot, app)
        assert shown(app) == order(s)
        assert app.model.counts[STAGE] == len(order(s))


async def test_a_filter_finds_a_piece_beyond_the_window(board: Callable[..., Workspace]) -> None:
    s = board()
    app = paged_app(s)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        far = beyond_window(app, s)
        s.board.edit(far, {"title": "The needle in the archive"})
        app._set_filter("needle")
        await until(pilot, lambda: far in shown(app))
        assert shown(app) == [far]
        assert "1 of" in str(app.column(STAGE).header.render())
        app._set_filter("")  # the window again, and the match it found
        await pilot.pause()
        assert shown(app) == order(s)[:PAGE] + [far]
        app.focus_piece(shown(app)[0])
        await read_next(pilot, app)  # scrolling on reads the pages between
        ids = shown(app)
        assert ids[: 2 * PAGE] == order(s)[: 2 * PAGE] and ids[-1] == far


async def test_going_to_a_piece_the_board_does_not_hold(board: Callable[..., Workspace]) -> None:
    s = board()
    app = paged_app(s)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        far = beyond_window(app, s)
        assert app.focus_piece(far)
        await pilot.pause()
        assert app.focus_stage == STAGE
        assert app.current() is not None and app.current().id == far  # type: ignore[union-attr]
        assert app.model.counts[STAGE] == PUBLISHED  # held, not counted twice
        assert not app.focus_piece(10_000)  # no such piece: nothing moves


async def test_the_calendar_shows_a_published_piece_the_board_does_not_hold(
    board: Callable[..., Workspace],
) -> None:
    s = board()
    far = order(s)[PUBLISHED - 5]
    s.board.edit(far, {"publish_date": "2026-11-12"})  # this month (the tests' clock: 20 Nov)
    app = paged_app(s)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert far not in app.model.pieces
        await pilot.press("d")
        screen = app.screen
        assert isinstance(screen, CalendarScreen)

        def listed() -> bool:
            data = screen.data
            return data is not None and any(
                e.piece.id == far for entries in data.days.values() for e in entries)

        await until(pilot, listed)
        assert far not in app.model.pieces  # read for the calendar, not held by the board


async def test_a_read_only_board_pages_too(paged_db: Path, board: Callable[..., Workspace]) -> None:
    os.chmod(paged_db, 0o444)
    try:
        s = board()
        assert s.store.readonly
        app = paged_app(s)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            app.focus_piece(shown(app)[0])
            await pilot.press("end")
            await until(pilot, lambda: len(shown(app)) == 2 * PAGE)
            assert shown(app) == order(s)[: 2 * PAGE]
    finally:
        os.chmod(paged_db, 0o644)


# -- the model on its own: what a page may and may not change ----------------------------
def test_a_page_keeps_what_the_feed_brought_since_it_was_read() -> None:
    model = BoardState(default_workflow())
    model.load([piece(i, STAGE, float(i)) for i in range(1, 4)], {STAGE: 10}, {STAGE: (3.0, 3)})
    assert model.shown(STAGE) == 10 and model.counts[STAGE] == 10
    read = [piece(i, STAGE, float(i)) for i in range(4, 7)]  # the next page, read...
    model.update([replace(read[0], stage="draft", rank=0.0, version=2)])  # ...then moved
    model.update([replace(read[1], archived=True, version=2)])  # ...and archived
    assert model.stale  # pieces the board did not hold: which count changed is unknown
    model.set_totals({STAGE: 8, "draft": 1})
    model.add_page(STAGE, read, complete=False)
    assert [p.id for p in model.columns[STAGE]] == [1, 2, 3, 6]
    assert model.pieces[4].stage == "draft" and 5 not in model.pieces
    assert model.paged[STAGE] == (6.0, 6) and model.counts[STAGE] == 8
    model.add_page(STAGE, [piece(7, STAGE, 7.0)], complete=True)
    assert STAGE not in model.paged and model.counts[STAGE] == 5  # held whole: counted


def test_a_piece_read_for_a_jump_is_counted_once() -> None:
    model = BoardState(default_workflow())
    model.load([piece(1, STAGE, 1.0), piece(2, "draft", 1.0)], {STAGE: 50, "draft": 1},
               {STAGE: (1.0, 1)})
    assert model.hold([piece(40, STAGE, 40.0)]) == {STAGE}
    assert model.counts[STAGE] == 50  # the total had it already
    assert model.hold([piece(3, "draft", 2.0)]) == {"draft"}  # news in a stage held whole
    assert model.counts["draft"] == 2
    assert model.hold([piece(40, STAGE, 40.0)]) == set()  # held already
