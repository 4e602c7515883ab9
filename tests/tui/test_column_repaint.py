"""A change on the board redraws the cards that look different, and nothing else.

The board repaints every column after each batch of others' changes; a column whose
cards did not change must not redraw a line (that was most of a busy board's CPU).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import timedelta

from prodboard.services.context import Workspace
from prodboard.tui.app import ProdboardApp
from prodboard.tui.widgets.cards import CARD_HEIGHT
from prodboard.tui.widgets.column import CardList

from .helpers import until

SIZE = (160, 45)


def count_lines(app: ProdboardApp) -> Counter[str]:
    """Lines drawn per stage from now on."""
    drawn: Counter[str] = Counter()
    for stage in app.wf.stages:
        cards = app.column(stage.key).cards
        original = cards.render_line

        def render_line(y: int, original: Callable[[int], object] = original,
                        key: str = stage.key) -> object:
            drawn[key] += 1
            return original(y)

        cards.render_line = render_line  # type: ignore[method-assign, assignment]
    return drawn


def card_text(cards: CardList, index: int) -> str:
    return "".join(cards.render_line(index * CARD_HEIGHT - int(cards.scroll_y)).text
                   for _ in range(1))


async def test_another_persons_edit_redraws_its_card_only(
    app_as: Callable[..., ProdboardApp], open_as: Callable[..., Workspace]
) -> None:
    app = app_as("chloe", live=True)
    ben = open_as("ben")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        stage = next(s.key for s in app.wf.stages if len(app.model.columns[s.key]) >= 2)
        target = app.model.columns[stage][1]
        drawn = count_lines(app)
        ben.board.edit(target.id, {"title": "Renamed by Ben"})
        await until(pilot, lambda: any(p.title == "Renamed by Ben"
                                       for p in app.model.columns[stage]))
        await pilot.pause()
        assert 0 < drawn[stage] <= 2 * CARD_HEIGHT  # that card (and at most one more)
        assert {k: v for k, v in drawn.items() if k != stage and v} == {}
        cards = app.column(stage).cards
        assert "Renamed by Ben" in card_text(cards, 1)


async def test_a_card_whose_state_changes_with_the_clock_is_redrawn(
    app_as: Callable[..., ProdboardApp],
) -> None:
    """Same pieces, a later moment: a card that became overdue is drawn again."""
    app = app_as("ana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        stage, index, piece = next(
            (s.key, i, p) for s in app.wf.stages for i, p in enumerate(app.model.columns[s.key][:5])
            if p.due and not p.archived)
        cards = app.column(stage).cards
        drawn = count_lines(app)
        later = cards.now + timedelta(days=3650)
        cards.set_pieces(list(cards.pieces), cards.selected, cards.now, cards.away)
        await pilot.pause()
        assert drawn[stage] == 0  # nothing looks different: nothing drawn
        cards.set_pieces(list(cards.pieces), cards.selected, later, cards.away)
        await pilot.pause()
        assert drawn[stage] >= CARD_HEIGHT - 1  # the card now overdue, at least
        assert cards._look(piece, later, cards.away)[1] == "overdue"
