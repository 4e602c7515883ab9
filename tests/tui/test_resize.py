"""After any resize the focused card stays on screen and highlighted, and the keys
act on that card (not on one scrolled out of sight)."""

from __future__ import annotations

from collections.abc import Callable

from textual.geometry import Region

from prodboard.services.context import Workspace
from prodboard.tui.app import ProdboardApp
from prodboard.tui.screens.piece import PieceScreen
from prodboard.tui.widgets.cards import CARD_HEIGHT
from prodboard.tui.widgets.column import StageColumn

AppMaker = Callable[..., ProdboardApp]


async def settle(app: ProdboardApp, pilot: object) -> None:
    await app.workers.wait_for_complete()
    for _ in range(3):  # the resize reaches the screen on a short timer, then lays out
        await pilot.pause(0.05)  # type: ignore[attr-defined]


def visible_highlighted(app: ProdboardApp) -> int:
    """The piece a person sees highlighted, found from what is on screen: the one
    column drawn as focused must lie inside the terminal, and its selected card
    inside that column's visible rows. Returns that card's piece id."""
    screen = app.board_screen
    focused = [c for c in screen.query(StageColumn) if c.header.has_class("-focused")]
    assert len(focused) == 1
    col = focused[0]
    assert screen.region.contains_region(col.region), (col.region, screen.region)
    cards = col.cards
    assert cards.selected is not None
    top = cards.selected * CARD_HEIGHT - round(cards.scroll_y)
    card = Region(cards.region.x, cards.region.y + top, cards.region.width, CARD_HEIGHT - 1)
    assert cards.region.contains_region(card), (card, cards.region)
    return cards.pieces[cards.selected].id


async def test_focus_stays_visible_across_resizes(
    app_as: AppMaker, open_as: Callable[..., Workspace]
) -> None:
    app = app_as()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("l", "l", "l", "l")  # Optimize: off the first screen at 80 wide
        await settle(app, pilot)
        assert app.focus_stage == "optimize"
        for size in ((160, 45), (80, 24), (100, 30), (80, 24)):
            await pilot.resize_terminal(*size)
            await settle(app, pilot)
            assert visible_highlighted(app) == app.current().id  # type: ignore[union-attr]
        seen = visible_highlighted(app)
        await pilot.press("w")  # acts on the card the person sees
        await settle(app, pilot)
        assert "ana" in open_as().queries.watchers(seen)


async def test_a_low_card_stays_visible_when_the_terminal_shrinks(
    app_as: AppMaker, open_as: Callable[..., Workspace]
) -> None:
    ana = open_as("ana")
    for n in range(8):
        ana.board.create(f"Idea {n}", stage="ideas")
    app = app_as()
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.press("end", "k", "k")  # the tenth of twelve ideas: visible at 45 rows
        await settle(app, pilot)
        tall = visible_highlighted(app)
        await pilot.resize_terminal(80, 24)  # five cards fit now
        await settle(app, pilot)
        assert visible_highlighted(app) == tall
        await pilot.press("L")
        await settle(app, pilot)
        assert open_as().queries.piece(tall).stage == "brief"  # type: ignore[union-attr]
        assert app.current().id == tall  # type: ignore[union-attr]
        assert visible_highlighted(app) == tall  # followed to its new stage, on screen


async def test_resized_while_a_piece_is_open(app_as: AppMaker) -> None:
    app = app_as()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("l", "l", "l", "l", "enter")
        assert isinstance(app.screen, PieceScreen)
        await pilot.resize_terminal(160, 45)
        await settle(app, pilot)
        await pilot.press("escape")
        await pilot.resize_terminal(80, 24)
        await settle(app, pilot)
        assert visible_highlighted(app) == app.current().id  # type: ignore[union-attr]
        await pilot.press("enter")
        await pilot.resize_terminal(160, 45)
        await settle(app, pilot)
        await pilot.resize_terminal(80, 24)
        await settle(app, pilot)
        await pilot.press("escape")
        await settle(app, pilot)
        assert visible_highlighted(app) == app.current().id  # type: ignore[union-attr]
